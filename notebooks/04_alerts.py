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
# # Chronicity alerts for case managers (developer notes)
#
# Counts of the alerts of the `alerts` stage (`data/alerts`, written by `pact_analysis/stages/alerts.py`) per
# province, CEAS and group, their reasons and suggested interventions, the threshold, the model's
# validation, the case managers' feedback, and the model card / transparency items. Never persons.
# Every word comes from `pact_analysis/locales/*/LC_MESSAGES/alerts.po`.

# %% tags=["parameters"]
root = "."
lang = "es"
data_source = "synthetic"
data_extraction_date = "2018-10-31"
disclosure_min_cell = 10
chronicity_horizon_month = 24
chronicity_develop_before = "2014-01-01"
chronicity_landmark_month = 3

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from pact_analysis import alerts, codebook, disclosure, report
from pact_analysis.chronicity import figures as chfig
from pact_analysis.chronicity import tables as cs
from pact_analysis.paths import Paths

r = report.start(
    "04_alerts",
    root,
    lang,
    disclosure_min_cell,
    data_source=data_source,
    data_extraction_date=data_extraction_date,
    chronicity_horizon_month=chronicity_horizon_month,
    chronicity_develop_before=chronicity_develop_before,
)
out = alerts.read_outputs(Path(root))
model, scores, feedback, summary = out["model"], out["scores"], out["feedback"], out["summary"]
n_reasons = int(model["n_reasons"])
alerted = scores.loc[scores["alert"]]
chron_tables, chron = cs.load_results(Paths(Path(root)))  # the model's validation: report 03_chronicity
validation_table = chron_tables["metrics"].loc[chron["chosen_model"]]
provinces = {p["code"]: p["name"] for p in codebook.load()["provinces"]}
by_province = alerts.share_table(
    scores.assign(province=scores["province_code"].map(provinces)), "province", disclosure_min_cell
)
by_ceas = alerts.share_table(scores, "ceas_code", disclosure_min_cell)
reasons = alerts.reason_counts(scores, n_reasons)
shown_reasons = reasons.loc[reasons["alerts"] >= disclosure_min_cell]
top_reason = reasons.index[0] if len(reasons) else alerts.AVERAGE_PROFILE
rates = alerts.feedback_rates(feedback)
thresholds = out["thresholds"]
chosen = thresholds.loc[float(model["threshold"])]
sizes = pd.DataFrame(model["sizes"]).set_index("split")
auc_protected = float(chron["auc_with_protected"])
dv = cs.deployed_values(chron, r.num, r.pct)  # the deployed model on the test cohort (report 03)
common = {
    "horizon": r.n(chronicity_horizon_month),
    "window": r.n(chronicity_horizon_month - chronicity_landmark_month),
    # refitted with nationality and sex, on the later cohorts: the figures report 03 gives, as it gives them
    "landmark": r.n(chronicity_landmark_month),
    "auc": r.num(chron["auc"], 3),
    "auc_with_protected": r.num(auc_protected, 3),
    "c_index": r.num(chron["c_index"], 3),
    "c_with": r.num(chron["c_index_with_protected"], 3),
    **dv,
}
withheld = bool(summary.get("alerts_withheld"))
# what the test cohort shows of the deployed model's calibration, read in words (report 03 too)
reading = " ".join(r.t(f"common.calibration.{key}", **dv) for key in cs.calibration_reading(chron))
low, high = (r.num(x, 1) for x in chron["validated_slope"])
flagged = scores.loc[scores["risk"] >= float(model["threshold"])]


def reason_text(key: str) -> str:
    """The reason's words (``alerts.factor.<factor>.<direction>``)."""
    return r.t(f"factor.{key}")


# %%
r.title()
r.banner(data_source)
if withheld:
    unvalidated = not summary.get("validated_landmarks")
    alert_sentence = r.t("findings.withheld_unvalidated" if unvalidated else "findings.withheld", low=low, high=high,
                         reading=reading, **common)  # fmt: skip
    # with no flagged head holding a lever, one sentence says so (a share of 0% beside "the others")
    none_actionable = summary["actionable_share_flagged"] == 0
    actionable = (
        r.t("findings.actionable_withheld_none" if none_actionable else "findings.actionable_withheld",
            flagged=r.count(len(flagged)), n_reasons=r.n(n_reasons),
            actionable_share=r.pct(summary["actionable_share_flagged"]))
        if len(flagged) else r.t("findings.none_flagged")
    )  # fmt: skip
else:
    alert_sentence = r.t("findings.issued", alerts=r.count(len(alerted)), share=r.share(len(alerted), len(scores)),
                         ceas_with=r.n(alerted["ceas_code"].nunique()), ceas_total=r.n(len(out["lists"])), **common)  # fmt: skip
    actionable = r.t("findings.actionable", top_reason=reason_text(top_reason),
                     top_reason_share=r.share(int(reasons["alerts"].iloc[0]) if len(reasons) else 0, len(alerted)),
                     n_reasons=r.n(n_reasons), actionable_share=r.pct(summary["actionable_share"]))  # fmt: skip
first_landmark, horizon_month = min(model["landmarks"]), chronicity_horizon_month
if not withheld:
    population_key, where_months = "issued", summary["confirmed_landmarks"]
elif summary.get("validated_landmarks"):
    population_key, where_months = "validated", summary["validated_landmarks"]
else:
    population_key, where_months = "none", []
next_landmark = r.n(
    min((m for m in model["landmarks"] if m > chronicity_landmark_month), default=horizon_month)
)
population = r.t(
    f"findings.population.{population_key}",
    on_benefit=r.count(summary["on_benefit"]),
    date=r.date(data_extraction_date),
    recipients=r.count(len(scores)),
    months=", ".join(str(int(m)) for m in where_months),
    month=r.n(chronicity_landmark_month),
    next=next_landmark,
    not_scored=r.count(summary["not_scored"]),
    before=r.count(summary["before_first_landmark"]),
    first=r.n(first_landmark),
    past=r.count(summary["past_horizon"]),
    horizon=r.n(horizon_month),
)
# every head on the benefit is in one of the four counts
assert (
    len(scores) + summary["not_scored"] + summary["before_first_landmark"] + summary["past_horizon"]
    == (summary["on_benefit"])
)
r.findings(
    also="findings.feedback" if rates["reviews"] else "findings.no_feedback",
    population=population,
    alert_sentence=alert_sentence,
    actionable_sentence=actionable,
    reviews=r.count(rates["reviews"]),
    override_rate=r.share(rates["disagree"], rates["reviews"]),
    acted_rate=r.share(rates["acted"], rates["reviews"]),
    **common,
)

# %%
r.heading("use")
this_run = (
    ""
    if not withheld
    else r.t("use.withheld" if summary.get("validated_landmarks") else "use.withheld_unvalidated")
)
r.say("use.text", this_run=this_run, **common)

# %%
r.heading("province")
r.say("province.text", min_cell=r.n(disclosure_min_cell))
shown = by_province.loc[by_province[["scored", "alerts"]].ge(disclosure_min_cell).all(axis=1)]
if alerted.empty:  # no figure of nothing: one sentence says why
    r.say("province.no_alerts")
elif shown.empty:
    r.say("province.too_few", min_cell=r.n(disclosure_min_cell))
else:
    fig, ax = plt.subplots(figsize=(7, 0.45 * max(len(shown), 3) + 1))
    ax.barh(shown.index, shown["scored"], color="#c9d6e3", label=r.t("legend.scored"))
    ax.barh(shown.index, shown["alerts"], color="#1f5f8b", label=r.t("legend.alerts"))
    ax.set_xlabel(r.t("xlabel.persons"))
    ax.invert_yaxis()
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2)
    r.figure(fig, "province.figure")
# with no alert, no column of zeros and no 0/0 share
alert_columns = [] if alerted.empty else ["alerts"]
r.table(
    by_province[["scored", *alert_columns, *(["alert_share"] if alert_columns else [])]],
    "province.table",
    counts=["scored", *alert_columns],
    percent=["alert_share"],
    and_alerts=r.t("and_alerts") if alert_columns else "",
)

# %%
r.heading("groups")
r.say("groups.no_alerts" if alerted.empty else "groups.text")
labelled = alerts.disability_label(scores)
for group in alerts.GROUPS:
    table = alerts.share_table(labelled, group, disclosure_min_cell).drop(columns=["alert_share"])
    if alerted.empty:
        table = table.drop(columns=["alerts", "share_of_alerts"])
    # codes a reader of the CSV cannot mistake (H/M: hombre/mujer reads as male in English)
    table = table.rename(index={"H": "man", "M": "woman"} if group == "sex" else {})
    r.table(
        table.rename_axis("value"),
        f"groups.{group}",
        counts=["scored", *alert_columns],
        percent=["share_of_recipients", "share_of_alerts"],
        and_alerts=r.t("and_alerts") if alert_columns else "",
    )
# calibration and error rates by group: the chronicity report's fairness audit (one row per person,
# protected together with its nested tables), not a second computation on other rows
r.say("groups.calibration.text", **common)

# %%
r.heading("reasons")
r.say("reasons.text", n_reasons=r.n(n_reasons))
if alerted.empty:
    r.say("reasons.no_alerts")
elif shown_reasons.empty:
    r.say("reasons.too_few", min_cell=r.n(disclosure_min_cell))
else:
    fig, ax = plt.subplots(figsize=(7.5, 0.4 * max(len(shown_reasons), 3) + 1))
    colours = ["#2a9d8f" if m else "#8d99ae" for m in shown_reasons["modifiable"]]
    ax.barh([reason_text(k) for k in shown_reasons.index], shown_reasons["share_of_alerts"], color=colours)
    ax.invert_yaxis()
    ax.set_xlabel(r.t("xlabel.share_of_alerts"))
    ax.xaxis.set_major_formatter(lambda x, _: f"{x:.0%}")
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in ("#2a9d8f", "#8d99ae")]
    ax.legend(
        handles,
        [r.t("legend.modifiable"), r.t("legend.not_modifiable")],
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncol=2,
    )
    r.figure(fig, "reasons.figure", min_cell=r.n(disclosure_min_cell))
if not alerted.empty:
    reason_table = reasons.assign(reason=[reason_text(k) for k in reasons.index]).set_index("reason")
    r.table(
        reason_table[["alerts", "share_of_alerts", "modifiable", "kind"]].assign(
            share_of_alerts=lambda d: d["share_of_alerts"].where(d["alerts"] >= disclosure_min_cell)
        ),
        "reasons.table",
        counts=["alerts"],
        additive=False,
        percent=["share_of_alerts"],
    )
    interventions = (
        alerted["intervention"].value_counts().rename("alerts").rename_axis("intervention").to_frame()
    )
    r.table(interventions, "interventions.table", counts=["alerts"])

# %%
r.heading("threshold")
top_k = model["top_k"]
r.say(
    "threshold.text",
    top_k_text=r.t("threshold.top_k", top_k=r.n(top_k)) if top_k else "",
    alert_rate=r.pct(chron["alert_rate"]),
    # today's share at the threshold follows the table's decision on its row (its count, or the heads
    # scored less it, may be small)
    current_share=r.pct(chosen["current_share"])
    if chosen["published"] and chosen["current_published"]
    else r.t("common.suppressed_in_text", mark=disclosure.SUPPRESSED),
    **common,
)
# the rows of the one suppression decision that report 03's decision curve follows too (no count
# below the minimum in a row or in the difference of two rows, in either report), and today's heads
# on the same rule (pact_analysis.alerts.publishable_rows)
published = thresholds.loc[thresholds["published"]]
same = set(published.index) == set(chron["published_thresholds"]) & set(thresholds.index)
assert same, "the alerts' threshold rows differ from the chronicity report's decision curve"
hidden = ~published["current_published"]
# with the alerts withheld, today's column counts the heads the threshold would flag, not alerts
today = {"current_alerts": "current_flagged", "current_share": "current_flagged_share"} if withheld else {}
r.table(
    disclosure.Protected(
        table=published.drop(columns=["published", "current_published"])
        .astype({"current_alerts": object, "current_share": object})
        .assign(
            current_alerts=lambda d: d["current_alerts"].mask(hidden, disclosure.SUPPRESSED),
            current_share=lambda d: d["current_share"].mask(hidden, disclosure.SUPPRESSED),
        )
        .rename(columns=today),
        mask=hidden.to_frame(today.get("current_alerts", "current_alerts")),
        primary=int(hidden.sum()),
        secondary=0,
        derived=int(hidden.sum()),
        relations="nested",  # the heads above a threshold include those above the next
        total=len(scores),  # of the heads scored (share x total gives the count back)
    ),
    "threshold.table",
    percent=["alert_rate", "ppv", "sensitivity", "current_share", "current_flagged_share"],
    decimals={"threshold": 3},  # a risk, written as the threshold is everywhere (0.735)
    min_cell=r.n(disclosure_min_cell),
    today=r.t("threshold.today.withheld" if withheld else "threshold.today.issued"),
    tried=r.n(len(thresholds)),
    candidates=", ".join(r.num(t, 3).format(r.lang) for t in thresholds.index),
    shown=r.n(len(published)),
)

# %%
r.heading("model")
a, b = model["recalibration"]
kept = summary.get("recalibrated", True)
r.say(
    "model.text",
    scored_as=(
        r.t("model.scored_as_none", month=r.n(chronicity_landmark_month), next=next_landmark)
        if population_key == "none"
        else r.t("model.scored_as")
    ),
    C=r.num(model["C"], 4),
    develop_before=r.date(chronicity_develop_before),
    landmarks=", ".join(str(int(m)) for m in model["landmarks"]),
    recal=r.t("model.recal_kept", a=r.num(a, 2), b=r.num(b, 2)) if kept else r.t("model.recal_not_kept"),
    bootstrap=r.n(model["bootstrap"]),
    first=r.n(min(model["landmarks"])),
    dev_rows=r.n(sizes.loc["develop", "rows"]),
    dev_persons=r.n(sizes.loc["develop", "persons"]),
    **common,
)
r.table(validation_table, "model.validation", decimals=3, first=r.n(min(model["landmarks"])))
# the deployed model on the test cohort, drawn whether the alerts are issued or withheld: the picture
# behind the decision (the tenths of report 03's calibration figure, from the same file)
tenths = chron_tables["calibration"].loc[lambda d: d["model"] == "deployed"]
if tenths.empty:
    r.say("model.calibration.none")
else:
    ax = chfig.plot_calibration(
        tenths,
        lambda _: r.t("model.calibration.series"),
        r.t("model.calibration.x"),
        r.t("model.calibration.y"),
    )
    # the alert threshold: the tenths right of the line are the risks the model flags
    ax.axvline(float(model["threshold"]), color="black", linestyle="--", linewidth=0.9,
               label=r.t("model.calibration.threshold", threshold=dv["threshold"]))  # fmt: skip
    ax.legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=1, frameon=False
    )  # below: no point hidden
    r.figure(
        ax,
        "model.calibration",
        low=low,
        high=high,
        month=r.n(chronicity_landmark_month),
        decision=r.t("model.calibration.withheld" if withheld else "model.calibration.issued"),
        **dv,
    )

# %%
r.heading("feedback")
if rates["reviews"]:
    r.say(
        "feedback.text",
        reviews=r.count(rates["reviews"]),
        override_rate=r.share(rates["disagree"], rates["reviews"]),
        acted_rate=r.share(rates["acted"], rates["reviews"]),
    )
    tables = alerts.feedback_tables(feedback)
    r.table(tables["responses"], "feedback.table", counts=["reviews"])
    r.table(tables["outcomes"], "feedback.outcomes", counts=list(tables["outcomes"].columns))
else:
    r.say("feedback.none")

# %%
r.heading("limitations")
r.say("limitations.text")

# %%
r.heading("common.checklist")
r.say(
    "checklist",
    group_shares=r.t("checklist.shares" if alert_columns else "checklist.shares_none"),
    overrides=r.t("checklist.overrides" if rates["reviews"] else "checklist.overrides_none"),
)

# %%
r.heading("common.appendix")
r.say(
    "appendix.text",
    recal=r.t("model.recal_kept", a=r.num(a, 2), b=r.num(b, 2)) if kept else r.t("model.recal_not_kept"),
    **common,
)
coefficients = out["coefficients"].rename(index=lambda f: cs.predictor_label(f, lang))
r.table(coefficients, "coefficients", decimals=3)
r.table(
    by_ceas[["scored", *alert_columns, *(["alert_share"] if alert_columns else [])]],
    "ceas.table",
    counts=["scored", *alert_columns],
    percent=["alert_share"],
    and_alerts=r.t("and_alerts") if alert_columns else "",
)

# %%
r.footer()
