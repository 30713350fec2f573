# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python (pact-analysis)
#     language: python
#     name: pact-analysis
# ---

# %% [markdown]
# # Chronicity on minimum income (developer notes)
#
# Time on the RGC, what shortens or lengthens it, competing exits, returns, and the predictive model
# at month 3 with its validation, fairness audit, model card and transparency record (TRIPOD+AI and
# PROBAST items of `shared/design/REPORTING.md`). The estimates are computed once by the
# `chronicity` stage (`pact_analysis/stages/chronicity.py`, results in `data/interim/chronicity`);
# this notebook shows them. Words come from `pact_analysis/locales/*/LC_MESSAGES/chronicity.po`.

# %% tags=["parameters"]
root = "."
lang = "es"
data_source = "synthetic"
data_extraction_date = "2018-10-31"
disclosure_min_cell = 10
chronicity_landmark_month = 3
chronicity_horizon_month = 24
chronicity_develop_before = "2014-01-01"
chronicity_recalibrate_before = "2015-01-01"
chronicity_alert_share = 0.15
chronicity_validated_min_events = 100
chronicity_merge_gap_months = 1
chronicity_ph_cut_months = 12
chronicity_chosen_model = "logistic"

# %%
from functools import partial
from pathlib import Path

from pact_analysis import chronicity as ch
from pact_analysis import disclosure, report
from pact_analysis.chronicity import figures as fig
from pact_analysis.chronicity import tables as cs
from pact_analysis.chronicity.spells import UNKNOWN_EXIT
from pact_analysis.paths import Paths
from pact_analysis.report import i18n

r = report.start(
    "03_chronicity",
    root,
    lang,
    disclosure_min_cell,
    data_source=data_source,
    chronicity_landmark_month=chronicity_landmark_month,
    chronicity_horizon_month=chronicity_horizon_month,
    chronicity_alert_share=chronicity_alert_share,
    chronicity_chosen_model=chronicity_chosen_model,
)
res, v = cs.load_results(Paths(Path(root)))
truth = v["synthetic"]
pct = partial(i18n.percent, lang=lang)
num2 = partial(i18n.number, lang=lang, decimals=2)


def num_threshold(x: float) -> str:
    """A threshold as the tables show it: two decimals, three where it has them (0.735, not 0.74)."""
    return i18n.number(x, lang=lang, decimals=2 if abs(x - round(x, 2)) < 1e-9 else 3)


def label(term: str) -> str:
    """Display text of a covariate, group or ``covariate@period`` term."""
    cut = r.num(chronicity_ph_cut_months, 0)
    parts = str(term).split("@")
    return " · ".join(r.t(f"cox.{p}", cut=cut) if p in ("early", "late") else r.value(p) for p in parts)


overall = res["km_all"].iloc[0]
metrics = res["metrics"]["estimate"]
chosen = chronicity_chosen_model
back = res["reentry_km"].set_index("group")
routes = res["cause_cox"].groupby(level="cause")["events"].first()
unknown = int(v["exits"] - routes.loc[routes.index.isin(ch.CAUSES)].sum())
# exits and returns are both counts of persons: a small number of returns is suppressed; the text,
# the figure and the table publish a route's returns only where the table does
returns_published = cs.returns_table(back, unknown, disclosure_min_cell)
returns_shown = returns_published.table
returns_hidden = [g for g in back.index if returns_published.mask.loc[g, "events"]]


def back_24(route):
    """A route's share back within 24 months as the table publishes it."""
    if route in returns_hidden:
        return r.t("common.suppressed_in_text", mark=disclosure.SUPPRESSED)
    return r.pct(returns_shown.loc[route, "back_24"])


ci = res["metrics"].loc[(chosen, "c_index")]

# %%
r.title()
r.banner(data_source)
dv = cs.deployed_values(v, r.num, r.pct)
# the figures the index shows too: recorded, so that the check stage finds any second value
for text_key, key, decimals in (
    ("deployed_auc", "deployed_auc", 3),
    ("dslope", "deployed_calibration_slope", 2),
):
    if v.get(key) is not None:
        dv[text_key] = r.quantity(f"chronicity.{key}", v[key], "num", decimals, where="findings")
window = r.n(chronicity_horizon_month - chronicity_landmark_month)
verdict_key = cs.slope_verdict(v)
slopes_text = cs.landmark_slopes_text(v, num2, lambda k: r.t(f"deployed.verdict.{k}"))
test_slopes = cs.landmark_slopes_text(v, num2, lambda k: r.t(f"deployed.verdict.{k}"), cohort="test")
low, high = (r.num(x, 1) for x in v["validated_slope"])
# with no landmark validated: whether the cohort was too small for the rule (intervals wider than the band)
halfwidth = cs.median_halfwidth(v)
band_half = (v["validated_slope"][1] - v["validated_slope"][0]) / 2
power = r.t("deployed.too_small", halfwidth=num2(halfwidth)) if halfwidth and halfwidth > band_half else ""
# what the test cohort shows of the deployed model's calibration, read in words (report 04 too)
reading = " ".join(r.t(f"common.calibration.{key}", **dv) for key in cs.calibration_reading(v))
verdict = r.t(
    f"deployed.{verdict_key}", low=low, high=high, landmark=r.n(chronicity_landmark_month),
    slopes=slopes_text, test_slopes=test_slopes, power=power, reading=reading, **dv,
)  # fmt: skip
test_from = r.date(chronicity_recalibrate_before)
values = {
    "spells": r.count(v["spells"]),
    "heads": r.count(v["heads"]),
    "median": r.num(overall["median"], 1),
    "median_lower": r.num(overall["median_lower"], 1),
    "median_upper": r.num(overall["median_upper"], 1),
    "window": window,
    "test_from": test_from,
    "test_persons": r.count(v.get("test_persons", 0)),
    "verdict": verdict,
    **dv,
    "still_24": r.pct(overall["still_24"]),
    "still_36": r.pct(overall["still_36"]),
    "back_job": back_24("JOB_INCOME"),
    "back_sanction": back_24("NON_COMPLIANCE"),
    "c_index": r.quantity("chronicity.c_index", v["c_index"], "num", 3, where="findings"),
    "c_lower": r.num(ci["ci_lower"], 3),
    "c_upper": r.num(ci["ci_upper"], 3),
    "auc": r.num(v["auc"], 3),
    "slope": r.num(v["calibration_slope"], 2),
    "threshold": r.num(v["alert_threshold"], 3),
    "alert_rate": r.pct(v["alert_rate"]),
}
if truth:
    inside = v["median_months_ci"][0] <= v["true_median_months"] <= v["median_months_ci"][1]
    values |= {
        "true_median": r.num(v["true_median_months"], 1),
        "inside": r.t("truth.inside" if inside else "truth.outside"),
        "oracle": r.num(v["oracle_c_index"], 3),
        "gain": r.pct(v["share_of_achievable_gain"], 0),
        "coverage": r.t(
            "truth.coverage_region",
            coverage=r.pct(v["coverage_this_region"]),
            n=r.n(v["coverage_n_intervals_this_region"]),
        ),
    }
    if v.get("coverage_seeds", 1) > 1:  # the figure the evaluation is judged on: pooled over seeds
        values["coverage"] = r.t(
            "truth.coverage_pooled",
            region=values["coverage"],
            coverage=r.pct(v["coverage"]),
            n=r.n(v["coverage_n_intervals"]),
            seeds=r.n(v["coverage_seeds"]),
        )
    r.findings(also="findings.truth", index="index.truth", **values)
else:
    r.findings(**values)

# %%
r.heading("about")
r.say(
    "about.text",
    extraction_date=r.date(data_extraction_date),
    gap=r.num(chronicity_merge_gap_months, 0),
    spells=r.count(v["spells"]),
    heads=r.count(v["heads"]),
    exits=r.count(v["exits"]),
    merged=r.count(v["merged_files"]),
    superseded=r.count(v["open_superseded_files"]),
    truncated=r.count(v["left_truncated_spells"]),
    median_no_entry=r.num(v["median_months_no_entry"], 1),
)

# %% [markdown]
# ## Kaplan-Meier: time on the RGC

# %%
r.heading("km")
r.say(
    "km.text",
    median=r.num(overall["median"], 1),
    lower=r.num(overall["median_lower"], 1),
    upper=r.num(overall["median_upper"], 1),
    still_12=r.pct(overall["still_12"]),
    still_24=r.pct(overall["still_24"]),
    still_36=r.pct(overall["still_36"]),
    min_cell=r.n(disclosure_min_cell),
)
shown = {
    k: ch.publishable_curves(res[f"km_curves_{k}"], disclosure_min_cell)
    for k in ("all", "province", "household_type")
}
ax = fig.plot_curves(
    shown["all"], lambda _: r.t("km.all"), r.t("common.months_on_rgc"), r.t("common.share_still_receiving")
)
ax.axhline(0.5, color="grey", linewidth=0.8, linestyle=":")
r.figure(ax, "km.overall")

# %%
r.figure(
    fig.plot_small_multiples(
        i18n.by_name(shown["province"], "group"),
        shown["all"],
        label,
        r.t("common.months_on_rgc"),
        r.t("common.share_still_receiving"),
    ),
    "km.province",
)
ax = fig.plot_curves(
    shown["household_type"], label, r.t("common.months_on_rgc"), r.t("common.share_still_receiving")
)
ax.legend(fontsize="small")
r.figure(ax, "km.household")

# %%
if "km_profile" not in res:
    r.say("km.no_profile", profiles=r.ref("02_profiles"))
r.table(
    cs.km_summary(res, i18n.sort_key),
    "km.table",
    counts=["n", "events"],
    additive=False,
    percent=["still_12", "still_24", "still_36"],
    decimals=1,
)

# %% [markdown]
# ## Cox model of exit, Schoenfeld checks and remedy; AFT check

# %%
r.heading("cox")
remedied = ", ".join(label(c) for c in v["cox_remedied"]) or r.t("cox.none")
r.say("cox.text", cut=r.num(chronicity_ph_cut_months, 0), remedied=remedied)
ax = fig.plot_forest(cs.forest_frame(res["cox"]), label, r.t("cox.xlabel"))
r.figure(ax, "cox.forest", remedy=r.t("cox.forest_remedy") if v["cox_remedied"] else "")
r.table(cs.ratio_table(res["cox"]).rename(index=label, level="period"), "cox.table", decimals={"p": 3})

# %%
r.say("cox.schoenfeld")
unchecked = [
    c
    for c in dict.fromkeys(res["cox"].index.get_level_values("covariate"))
    if c not in res["cox_check"].index
]
r.table(res["cox_check"], "cox.check", decimals={"p": 3})
if unchecked:
    r.say("cox.not_checked", covariates=", ".join(label(c) for c in unchecked))

# %%
r.heading("aft", level=3)
aft = cs.aft_beside_cox(res["aft"], res["cox"])
r.say(
    "aft.text",
    distribution=r.t(f"aft.{v['aft_distribution']}"),
    weibull=r.num(v["aft_aic"]["weibull"], 0),
    lognormal=r.num(v["aft_aic"]["lognormal"], 0),
    agree=r.n(int(aft["agree"].sum())),
    total=r.n(len(aft)),
)
r.table(aft, "aft.table")

# %% [markdown]
# ## Competing exits

# %%
r.heading("competing")
cif = res["cif"]
at = cs.cif_at(cif)
at = at.loc[at.index.get_level_values(0).isin(ch.CAUSES)]
r.say(
    "competing.text",
    job_24=r.pct(at.loc[("JOB_INCOME", 24), "cif"]),
    sanction_24=r.pct(at.loc[("NON_COMPLIANCE", 24), "cif"]),
    care_24=r.pct(at.loc[("CARE_MOVED", 24), "cif"]) if ("CARE_MOVED", 24) in at.index else "–",
)
causes = [c for c in ch.CAUSES if c in set(cif["cause"])]
ax = fig.plot_curves(
    cif, label, r.t("common.months_on_rgc"), r.t("competing.ylabel"), value="cif", groups=causes
)
ax.set_ylim(0, min(1.0, float(cif["ci_upper"].max()) + 0.05))
ax.legend(fontsize="small")
r.figure(ax, "competing.cif")
r.table(at, "competing.table", percent=["cif", "ci_lower", "ci_upper"])
if unknown:  # the count as the re-entry table publishes it: one decision
    hidden_unknown = bool(returns_published.mask.loc[UNKNOWN_EXIT, "n"])
    suppressed = r.t("common.suppressed_in_text", mark=disclosure.SUPPRESSED)
    r.say("competing.unknown", exits=suppressed if hidden_unknown else r.count(unknown))

# %%
r.say("competing.cause_specific")
ax = fig.plot_forest(cs.forest_frame(res["cause_cox"], series="cause"), label, r.t("cox.xlabel"))
r.figure(ax, "competing.forest")
r.table(cs.ratio_table(res["cause_cox"]), "competing.cox_table", decimals={"p": 3})
r.say("competing.fine_gray")

# %% [markdown]
# ## Re-entry

# %%
r.heading("reentry")
r.say("reentry.text", back_job=back_24("JOB_INCOME"), back_sanction=back_24("NON_COMPLIANCE"))
curves = ch.publishable_curves(res["reentry_curves"], disclosure_min_cell)
no_return = [
    g for g, e in returns_shown["events"].items() if isinstance(e, int) and e == 0
]  # not [c], not blank
curves = curves.loc[~curves["group"].isin([*no_return, *returns_hidden])]  # a flat line at 0 is invisible
curves = curves.assign(
    survival=1 - curves["survival"], ci_lower=1 - curves["ci_upper"], ci_upper=1 - curves["ci_lower"]
)
ax = fig.plot_curves(curves, label, r.t("reentry.xlabel"), r.t("reentry.ylabel"))
ax.set_ylim(0, min(1.0, float(curves["ci_upper"].max()) + 0.05))
ax.legend(fontsize="small")
notes = r.t("reentry.none_back", routes=", ".join(label(g) for g in no_return)) if no_return else ""
if returns_hidden:
    notes += r.t("reentry.not_published", routes=", ".join(label(g) for g in returns_hidden))
r.figure(ax, "reentry.curves", none_back=notes)
r.table(returns_published, "reentry.table", percent=["back_12", "back_24"])
r.say("reentry.model")
r.table(cs.ratio_table(res["reentry_cox"]), "reentry.cox_table", decimals={"p": 3})

# %% [markdown]
# ## The predictive model

# %%
r.heading("model")
sizes = res["sizes"]
r.say(
    "model.text",
    landmark=r.n(chronicity_landmark_month),
    horizon=r.n(chronicity_horizon_month),
    develop_before=r.date(chronicity_develop_before),
    features=r.n(len(ch.FEATURES) - len(v["excluded_predictors"])),
    chosen=r.value(chosen),
    landmarks=", ".join(str(int(m)) for m in v["landmarks"]),
    window=r.n(chronicity_horizon_month - chronicity_landmark_month),
    c_with=r.num(v["c_index_with_protected"], 3),
    c_index=r.num(v["c_index"], 3),
    auc_with=r.num(v["auc_with_protected"], 3),
    auc=r.num(v["auc"], 3),
    a=r.num(v["recalibration"][0], 2),
    b=r.num(v["recalibration"][1], 2),
)
r.table(
    sizes.assign(share=sizes["still"] / sizes["spells"]),
    "model.sizes",
    counts=["spells", "still", "persons"],
    additive=False,
    percent=["share"],
    landmark=r.n(chronicity_landmark_month),
)
# the stacked development data behind the deployed model: rows, outcomes and events per predictor
dev_rows, dev_events = v["cohort_rows"]["develop"], v["cohort_events"]["develop"]
r.say(
    "model.events",
    rows=r.n(dev_rows), persons=r.n(v["cohort_persons"]["develop"]), events=r.n(dev_events),
    non_events=r.n(dev_rows - dev_events), predictors=r.n(v["predictors"]),
    epp=r.num(min(dev_events, dev_rows - dev_events) / v["predictors"], 1),
)  # fmt: skip

# %%
r.heading("outcome", level=3)
r.say("outcome.text", window=window)
outcomes = cs.outcome_table(v).rename(
    index=r.value,
    columns={"calibration_in_the_large": "observed_minus_predicted", "share": "share_with_outcome"},
)
r.table(outcomes, "outcome.table", percent=["share_with_outcome"], decimals=3)

# %%
r.heading("deployed", level=3)
sizes_p = v["cohort_persons"]
recal = r.t("deployed.kept", a=r.num(v["recalibration"][0], 2), b=r.num(v["recalibration"][1], 2))
r.say(
    "deployed.text", develop_before=r.date(chronicity_develop_before), recal_before=test_from,
    dev_persons=r.count(sizes_p.get("develop", 0)), recal_persons=r.count(sizes_p.get("recalibrate", 0)),
    test_persons=r.count(sizes_p.get("test", 0)), C=r.num(v["logistic_C"], 4),
    loss_raw=r.num(v["recalibration_log_loss"][0], 4), loss_recal=r.num(v["recalibration_log_loss"][1], 4),
    recal_decision=recal if v["recalibrated"] else r.t("deployed.not_kept"), low=low, high=high,
    min_events=r.n(chronicity_validated_min_events), bootstrap=r.n(v["bootstrap"]),
)  # fmt: skip
if v["validated_landmarks"]:
    grid = sorted(v["landmarks"])
    last = max(v["validated_landmarks"])
    nxt = next((m for m in grid if m > last), last + (grid[-1] - grid[-2] if len(grid) > 1 else 3))
    marks = ", ".join(str(int(m)) for m in v["validated_landmarks"])
    r.say("deployed.landmarks", slopes=slopes_text, landmarks=marks, max_end=r.n(int(nxt)))
r.say(f"deployed.{verdict_key}", low=low, high=high, landmark=r.n(chronicity_landmark_month),
      slopes=slopes_text, test_slopes=test_slopes, power=power, reading=reading, **dv)  # fmt: skip
per_landmark = res["per_landmark"].assign(landmark=lambda d: d["landmark"].astype(int)).set_index("landmark")
r.table(per_landmark, "deployed.table", counts=["rows", "still"], decimals=3)

# %%
r.heading("validation", level=3)
r.say(
    "validation.text",
    bootstrap=r.n(v["bootstrap"]),
    c_index=r.num(v["c_index"], 3),
    c_lower=r.num(ci["ci_lower"], 3),
    c_upper=r.num(ci["ci_upper"], 3),
    slope=r.num(v["calibration_slope"], 2),
    citl=r.num(v["calibration_in_the_large"], 2),
    brier=r.num(v["brier"], 3),
)
r.table(cs.metrics_wide(res["metrics"], partial(i18n.number, lang=lang, decimals=3)), "validation.table")


# each series says on which cohort it is drawn: the candidates on the later cohorts, the deployed
# model on the test cohort (its own label says so)
def calibration_label(model):
    return label(model) if model == "deployed" else r.t("validation.series.later", model=label(model))


ax = fig.plot_calibration(
    res["calibration"], calibration_label, r.t("validation.predicted"), r.t("validation.observed")
)
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=1, frameon=False)  # below: no point hidden
r.figure(ax, "validation.calibration", chosen=r.value(chosen))

# %%
r.heading("threshold", level=3)
threshold_rows = (
    r.t("threshold.rows_validated", months=", ".join(str(int(m)) for m in v["validated_landmarks"]))
    if v["validated_landmarks"]
    else r.t("threshold.rows_none", landmark=r.n(chronicity_landmark_month))
)
dc = res["decision_curve"]
shown_ppv = (
    dv
    if v.get("test_flagged", 0) >= disclosure_min_cell
    else dv | dict.fromkeys(("ppv", "ppv_lower", "ppv_upper"), "–")
)
r.say(
    "threshold.text", share=r.pct(chronicity_alert_share), alert_rate=r.pct(v["alert_rate"]),
    net_all=r.num(v["net_benefit_all"], 3), rows=threshold_rows, **shown_ppv,
)  # fmt: skip
if v["useful_ranges"]:
    r.say("threshold.useful", ranges=cs.ranges_text(v["useful_ranges"], num_threshold))
else:
    r.say("threshold.useless")
established = v.get("established_ranges") or []
r.say(
    "threshold.established" if established else "threshold.not_established",
    ranges=cs.ranges_text(established, num_threshold), bootstrap=r.n(v["bootstrap"]), min_cell=r.n(disclosure_min_cell),
)  # fmt: skip
texts = {k: r.t(f"threshold.{k}") for k in ("model", "all", "none", "xlabel", "ylabel")}
texts["threshold"] = r.t("threshold.marker", threshold=r.num(v["alert_threshold"], 3))
r.figure(fig.plot_decision_curve(dc, v["alert_threshold"], texts), "threshold.curve")
# only the rows of the one suppression decision shared with report 04 (no small count by differencing)
published_dc = dc.loc[dc["published"]] if "published" in dc else dc
shown_dc = published_dc.drop(columns=["treat_none", "useful", "published"], errors="ignore")
# the net benefit and the gain behind "established", each with its bootstrap interval where one is given
with_ci = [c for c in ("net_benefit", "gain") if f"{c}_lower" in shown_dc]
shown_dc = cs.with_intervals(shown_dc, with_ci, partial(i18n.number, lang=lang, decimals=3))
r.table(
    shown_dc.set_index("threshold"),
    "threshold.table",
    percent=["alert_rate"],
    decimals=3,
    min_cell=r.n(disclosure_min_cell),
)

# %% [markdown]
# ## Fairness audit

# %%
r.heading("fairness")
r.say("fairness.text", threshold=r.num(v["alert_threshold"], 3), min_cell=r.n(disclosure_min_cell))
rates = {"false_positive_rate": r.t("fairness.fpr"), "false_negative_rate": r.t("fairness.fnr")}
# every table of the audit protected together by the stage: nested tables cannot be differenced
protected = ch.protected_audits(res, v)
audits = {name: audit.table for name, audit in protected.items()}
# %%
shown_audits = {}  # the tables published (a withheld one publishes none of its figures)
for name, table in audits.items():
    published_audit = cs.fairness_table(
        protected[name], pct, num2, i18n.sort_key if name == "province" else None
    )
    # the error rates a table leaves out (hidden for every group), named in its caption
    dropped = [rate for rate in ("alert_rate", *rates) if rate not in published_audit.table.columns]
    shown_rate = r.label("alert_rate")  # a column header, named inside a sentence
    names = {"alert_rate": shown_rate[:1].lower() + shown_rate[1:], **rates}
    if r.table(
        published_audit,
        f"fairness.table_{name}",
        counts=["persons"],
        percent=["share_of_recipients", "share_of_alerts", "observed", "predicted"],
        left_out=r.t("fairness.left_out", rates=", ".join(names[d] for d in dropped)) if dropped else "",
    ):
        shown_audits[name] = table
        gaps = cs.gap_values(table, disclosure_min_cell, label, r.pct)
        if gaps:
            r.say("fairness.gap", grouping=r.t(f"fairness.by.{name}"), **gaps)
# the finest grouping with at least two groups whose two error rates are both publishable
drawable = {
    name: int(table.iloc[:-1].dropna(subset=list(rates)).shape[0])
    for name, table in shown_audits.items()
}  # fmt: skip
drawn = next((n for n in ("sex_nationality", "nationality", "sex", "disability", "province") if drawable.get(n, 0) >= 2), None)  # fmt: skip
if drawn:
    ax = fig.plot_group_rates(audits[drawn], label, rates, r.t("fairness.xlabel"))
    left_out = audits[drawn].iloc[:-1]
    nonempty = left_out["n"].isna() | (left_out["n"] > 0)  # empty intersections are no group
    left_out = left_out.loc[nonempty & left_out[list(rates)].isna().any(axis=1)].index
    names = ", ".join(
        " × ".join(label(str(v)) for v in (g if isinstance(g, tuple) else (g,))) for g in left_out
    )
    omitted = r.t("fairness.rates.omitted", groups=names) if len(left_out) else ""
    r.figure(ax, "fairness.rates", grouping=r.t(f"fairness.by.{drawn}"), omitted=omitted)
else:
    r.say("fairness.rates_none", min_cell=r.n(disclosure_min_cell))
r.say("fairness.incompatible")
# where the chosen target is missed on the test cohort, from the published values of the audit
slopes, levels, apart, intervals = [], [], [], 0
for name, table in shown_audits.items():
    misses = cs.calibration_misses(table)
    grouping = r.t(f"fairness.by.{name}")
    intervals += misses["intervals"]
    apart += [
        f"{' × '.join(label(str(k)) for k in (g if isinstance(g, tuple) else (g,)))} ({grouping})"
        for g in misses["apart"]
    ]
    for g, row in misses["slope"].iterrows():
        slopes.append(r.t("fairness.missed.slope", grouping=grouping, group=" × ".join(label(str(k)) for k in (g if isinstance(g, tuple) else (g,))),
                          slope=num2(row["calibration_slope"]), interval=cs.interval_text(row["calibration_slope_lower"], row["calibration_slope_upper"], num2)))  # fmt: skip
    for g, row in misses["level"].iterrows():
        levels.append(r.t("fairness.missed.level", grouping=grouping, group=" × ".join(label(str(k)) for k in (g if isinstance(g, tuple) else (g,))),
                          predicted=pct(row["predicted"]), observed=pct(row["observed"]), low=pct(row["observed_lower"]), high=pct(row["observed_upper"])))  # fmt: skip
everyone = next(iter(audits.values())).iloc[-1]  # the overall row, the same in every table
r.say(
    "fairness.missed" if slopes or levels else "fairness.met",
    slopes="; ".join(slopes) or r.t("fairness.missed.none"),
    levels="; ".join(levels) or r.t("fairness.missed.none"),
    slope=num2(everyone["calibration_slope"]),
    interval=cs.interval_text(everyone["calibration_slope_lower"], everyone["calibration_slope_upper"], num2),
    predicted=pct(everyone["predicted"]),
    observed=pct(everyone["observed"]),
    month=r.n(chronicity_landmark_month),
)
if slopes or levels:  # whether a listed group's miss is its own or the whole cohort's, and chance
    r.say(
        "fairness.apart" if apart else "fairness.apart_none",
        groups=", ".join(sorted(apart)),
        intervals=r.n(intervals),
    )

# %% [markdown]
# ## Validation against the truth

# %%
r.heading("truth")
if truth:
    r.say(
        "truth.text",
        coverage=r.pct(v["coverage_this_region"]),
        n=r.n(v["coverage_n_intervals_this_region"]),
        coverage_observable=r.pct(v["coverage_observable"]),
        slope=r.num(v["observable_slope"], 2),
        reading=r.t("truth.reading.above" if v["observable_slope"] > 1 else "truth.reading.below"),
    )
    texts = {k: r.t(f"truth.{k}") for k in ("true_covariates", "observable", "xlabel", "ylabel")}
    if v.get("coverage_seeds", 1) > 1:
        r.say(
            "truth.pooled",
            seeds=r.n(v["coverage_seeds"]),
            coverage=r.pct(v["coverage"]),
            n=r.n(v["coverage_n_intervals"]),
        )
    r.figure(fig.plot_truth(res["truth"], texts), "truth.figure")
    shown = res["truth"].set_index(["cause", "covariate"])[
        ["true", "coef", "ci_lower", "ci_upper", "covered", "coef_observable", "covered_observable"]
    ]
    r.table(shown, "truth.table")
    r.say(
        "truth.oracle",
        c_index=r.num(v["c_index"], 3),
        oracle=r.num(v["oracle_c_index"], 3),
        auc=r.num(v["auc"], 3),
        oracle_auc=r.num(v["oracle_auc"], 3),
        gain=r.pct(v["share_of_achievable_gain"], 0),
    )
else:
    r.say("truth.absent")
    r.say("truth.no_oracle")

# %% [markdown]
# ## Model card, transparency record

# %%
r.heading("card")
card_status = r.t(
    "card.issued"
    if not v.get("alerts_withheld")
    else "card.withheld_none"
    if verdict_key == "none"
    else "card.withheld"
)  # fmt: skip
r.say(
    "card.text",
    chosen=r.value(chosen),
    window=r.n(chronicity_horizon_month - chronicity_landmark_month),
    landmark=r.n(chronicity_landmark_month),
    horizon=r.n(chronicity_horizon_month),
    develop_before=r.date(chronicity_develop_before),
    recal_before=test_from,
    recal=recal if v["recalibrated"] else r.t("deployed.not_kept"),
    landmarks=", ".join(str(int(m)) for m in v["validated_landmarks"]) or r.t("card.no_landmark"),
    status=card_status,
    **dv,
)

# %%
r.heading("transparency")
r.say(
    "transparency.text",
    threshold=r.num(v["alert_threshold"], 3),
    window=r.n(chronicity_horizon_month - chronicity_landmark_month),
    landmark=r.n(chronicity_landmark_month),
    horizon=r.n(chronicity_horizon_month),
    landmarks=", ".join(str(int(m)) for m in v["validated_landmarks"]) or r.t("card.no_landmark"),
    status=card_status,
)

# %%
r.heading("limitations")
r.say("limitations.text")

# %%
r.heading("common.checklist")
r.say("checklist")

# %%
r.heading("common.appendix")
r.say(
    "specification.text",
    features=r.n(len(res["specification"]) - 1),
    factors=r.n(len(ch.FEATURES) - len(v["excluded_predictors"])),
    interactions=r.n(len(res["specification"]) - 1 - (len(ch.FEATURES) - len(v["excluded_predictors"]))),
    window=r.n(chronicity_horizon_month - chronicity_landmark_month),
    recal=recal if v["recalibrated"] else r.t("deployed.not_kept"),
)
spec = res["specification"].rename(index=lambda f: cs.predictor_label(f, lang), columns={"coef": "weight"})
r.table(
    spec,
    "specification.table",
    decimals=3,
    recal=recal if v["recalibrated"] else r.t("deployed.not_kept"),
)
# how many inputs the median fill touched (TRIPOD+AI: missing data), counted by the stage
missing = v["missing_inputs"]
r.say(
    "specification.missing" if missing else "specification.missing_none",
    rows=r.count(v["stack_rows"]),
    with_missing=r.count(v["rows_with_missing"]),
    share=r.share(v["rows_with_missing"], v["stack_rows"]),
    inputs=", ".join(
        f"{cs.predictor_label(f, lang)} {r.count(n)}" for f, n in sorted(missing.items(), key=lambda x: -x[1])
    ),
)

# %%
r.footer()
