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
# # Public spending: what chronic receipt costs and what proactive work could save (developer notes)
#
# A briefing for a budget meeting (issue 12): RGC spending from the benefit registry per year, province,
# CEAS, profile and chronicity-risk band, scaled beside the published totals; the expected future
# spending of today's recipients; the scenario of intensive case management for every alerted
# recipient (pilot effect propagated by simulation, break-even effect, tornado). Sentences about the
# effect are chosen by `sp.effect_wording` (assumed, raised, lowered, or an interval including no
# effect), never written here. The `spending` stage
# (`pact_analysis/stages/spending.py`, statistics in `pact_analysis/spending/`) computes everything once
# into `data/spending`; this notebook only loads, plots and narrates. Words in
# `pact_analysis/locales/*/LC_MESSAGES/spending.po`.

# %% tags=["parameters"]
root = "."
lang = "es"
data_source = "synthetic"
data_extraction_date = "2018-10-31"
disclosure_min_cell = 10

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from pact_analysis import disclosure, report
from pact_analysis import spending as sp
from pact_analysis.paths import Paths
from pact_analysis.report import i18n
from pact_analysis.spending.wording import SCALED_TOLERANCE, forecast_check, scaled_years_apart

#: The heads behind each part of a chronic share (protected with it, not published).
BEHIND = ["chronic_persons", "other_persons"]

res, v = sp.load_results(Paths(Path(root)).spending)
cfg, chron, scale, effect = v["cfg"], v["chronicity"], v["scale"], v["effect"]
# one sign convention for euros everywhere: the net *cost*, positive = cost (as metrics/spending.json);
# tables, figures and values hold net costs. A sentence names the sense ("net cost", "net saving") and
# gives the amount and its interval in that sense ("net cost 108 (95% interval 29 to 241)").
net_cost = v["net_cost_5y_eur"]


def sense(cost: float) -> str:
    """The word that names a net cost's sense: ``net cost`` when positive, else ``net saving``."""
    return r.t("net.cost" if cost > 0 else "net.saving")


def in_sense(cost: float, low: float, high: float) -> tuple[float, float, float]:
    """A net cost and its interval in the sense of :func:`sense` (a saving as a positive saving)."""
    if cost > 0:
        return cost, low, high
    return -cost, -high, -low


NET, NET_LOW, NET_HIGH = in_sense(net_cost["estimate"], net_cost["ci_low"], net_cost["ci_high"])
r = report.start(
    "06_spending",
    root,
    lang,
    disclosure_min_cell,
    data_source=data_source,
    data_extraction_date=data_extraction_date,
    **{f"spending_{k}": value for k, value in cfg.items() if k != "effect_default"},
)
yearly, comparison, future, tornado = res["yearly"], res["comparison"], res["future"], res["tornado"]
factor, cases, years, last_full = scale["factor"], v["cases"], res["years"], v["last_full"]
future_total = future.loc["total"]
past = future.loc["past_horizon"] if "past_horizon" in future.index else None
future = sp.in_band_order(future)  # bands listed by time on the benefit, as in Table 6
top_input = tornado.index[0]
by_ceas = res["by_ceas"]
# cross-references to the other reports, as links
alerts_report = r.ref("04_alerts", text_key="link.alerts")
chronicity_link = r.ref("03_chronicity", "deployed", text_key="link.chronicity")  # the deployed model
# the Weibull model of time on the benefit takes the chronicity report's factors (its survival models)
factors_link = r.ref("03_chronicity", "cox", text_key="link.factors")
pilot_report = r.ref("05_pilot_evaluation", text_key="link.pilot_report")
reentry_link = r.ref("03_chronicity", "reentry", text_key="link.reentry")
# the forecast's interval qualified by the backtest that spans its horizon (one value, with the section)
BACKTEST_KEYS = {"backtest": "spending.backtest_error", "backtest_horizon": "spending.backtest_horizon_error"}
checked, checked_by = forecast_check(v["backtest"], v.get("backtest_horizon"), cfg["horizon_years"])
checked_key = next((BACKTEST_KEYS[k] for k in BACKTEST_KEYS if v.get(k) is checked_by), None)
# the alerts are withheld: the flagged heads are whom the model would flag, not alerted persons
withheld_note = r.t("findings.withheld") if chron.get("alerts_withheld") else ""
# the headline is the net at the default assumptions (not the centre of the draws): their median beside it
MEDIAN = abs(net_cost["median"])
median_kind = sense(net_cost["median"])


def meur(value: float, decimals: int = 1) -> object:
    """Millions of euros for a sentence."""
    return r.num(value / 1e6, decimals)


def meur_signed(value: float, decimals: int = 2) -> str:
    """Millions of euros with the currency, the sign before it (−€0.07M, −0,07 M€), for an interval."""
    amount = r.t("meur_amount", amount=meur(abs(value), decimals))
    return f"−{amount}" if round(value / 1e6, decimals) < 0 else amount


def keur(value: float) -> object:
    """Thousands of euros for a sentence."""
    return r.num(value / 1e3, 0)


def interval(low: object, high: object) -> str:
    """An interval for a sentence."""
    return r.t("ci", low=low, high=high)


def pp(share: float) -> object:
    """A difference in probability, in percentage points."""
    return r.num(100 * share, 1)


def effect_sentence() -> str:
    """The sentence that may describe the effect: assumed, raised, lowered, or including no effect."""
    estimate, low, high = sp.effect_shown(effect)  # sizes, bounds swapped, for "lowered by"
    return r.t(
        f"effect.{sp.effect_wording(effect)}", effect=pp(estimate), effect_ci=interval(pp(low), pp(high))
    )


effect_name = r.t(f"effect_name.{effect['source']}")


def profile_label(profile: str) -> str:
    """A profile as the profiles report names it (``2. <name>``); other rows as their value."""
    code = v["profile_names"].get(profile)
    if code is None:
        return r.value(profile)
    base, _, number = code.rpartition("_")
    if number.isdigit():
        return f"{profile}. {i18n.t('profiles.name.' + base, lang)} ({number})"
    return f"{profile}. {i18n.t('profiles.name.' + code, lang)}"


# %%
r.title()
r.banner(data_source)
# a year's chronic share as the yearly table publishes it (one decision for table, figure and text)
yearly_shares = sp.protect_spending(
    yearly[["spending_eur", "persons", "chronic_share", *BEHIND]], disclosure_min_cell
)
yearly_shares = yearly_shares.table["chronic_share"]
hidden_years = yearly_shares.map(lambda x: isinstance(x, str))


def chronic_share_of(year):
    """The chronic share of ``year`` for a sentence, or the mark of a value not published."""
    if hidden_years[year]:
        return r.t("common.suppressed_in_text", mark=disclosure.SUPPRESSED)
    return r.pct(yearly.loc[year, "chronic_share"], 0)


# the population the pilot's evidence covers, in the summary beside the flagged one
like = v.get("pilot_like")
if like is not None:
    net_like, low_like, high_like = in_sense(
        like["net_cost"]["estimate"], like["net_cost"]["ci_low"], like["net_cost"]["ci_high"]
    )
    covered = r.t(
        "findings.pilot_like",
        months_participants=r.num(like["months_participants"], 0),
        net_kind=sense(like["net_cost"]["estimate"]),
        net=keur(net_like),
        net_ci=interval(keur(low_like), keur(high_like)),
    )
else:
    covered = ""
r.findings(
    pilot_like=covered,
    total=meur(v["registry_total_eur"]),
    first_year=str(yearly.index.min()),
    last_year=str(yearly.index.max()),
    last_full=str(last_full),
    spent_last_full=meur(yearly.loc[last_full, "spending_eur"], 2),
    chronic_share=chronic_share_of(last_full),
    chronic=r.n(cfg["chronic_months"]),
    scaled_last_full=meur(comparison.loc[last_full, "scaled_eur"], 0),
    published_last_full=meur(comparison.loc[last_full, "published_eur"], 0)
    if np.isfinite(comparison.loc[last_full, "published_eur"])
    else "–",
    factor=r.num(factor, 1),
    current=r.count(int(future_total["persons"])),
    future=meur(future_total["expected_eur"], 2),
    future_ci=interval(meur(future_total["lower_eur"], 2), meur(future_total["upper_eur"], 2)),
    future_check=r.t(
        f"findings.forecast.{checked}",
        **(
            {"error": r.quantity(checked_key, checked_by["relative_error"], "pct", 1, where="findings")}
            if checked_by
            else {}
        ),
    ),
    scale_date=r.date(scale["date"]),
    horizon=r.n(cfg["horizon_years"]),
    cases=r.count(cases),
    withheld_note=withheld_note,
    cost=r.n(cfg["cost_per_case_eur"]),
    net_kind=sense(net_cost["estimate"]),
    net=keur(NET),
    net_ci=interval(keur(NET_LOW), keur(NET_HIGH)),
    median_kind=median_kind,
    median=keur(MEDIAN),
    net_scaled=meur(NET * factor, 2),
    net_scaled_ci=r.t("ci_meur", low=meur_signed(NET_LOW * factor), high=meur_signed(NET_HIGH * factor)),
    p_saving=r.pct(net_cost["probability_saving"], 0),
    break_even=pp(v["break_even_effect"]),
    effect_sentence=effect_sentence(),
    top_input=r.t(f"input.{top_input}"),
    price_year=str(cfg["price_year"]),
)
r.say(f"effect_source.{sp.effect_source_key(effect)}", files=", ".join(effect["not_delivered"]))

# %%
r.heading("counted")
r.say("counted.text", price_year=str(cfg["price_year"]), chronic=r.n(cfg["chronic_months"]))

# %%
r.heading("yearly")
r.say(
    "yearly.text",
    factor=r.num(factor, 1),
    heads=r.count(scale["heads"]),
    published_heads=r.n(scale["published_heads"]),
    date=r.date(scale["date"]),
    amount=r.n(sp.PUBLISHED_MONTHLY_AMOUNT_EUR),
    amount_year=str(sp.PUBLISHED_MONTHLY_AMOUNT_YEAR),
    # the mean amount paid in the published figure's year, as Table 1 shows it
    mean_amount=r.n(round(yearly.loc[sp.PUBLISHED_MONTHLY_AMOUNT_YEAR, "mean_amount_eur"]))
    if sp.PUBLISHED_MONTHLY_AMOUNT_YEAR in yearly.index
    else "–",
    first_year=str(yearly.index.min()),
)
chronic_eur = yearly["spending_eur"] * yearly["chronic_share"] * factor / 1e6
early_eur = yearly["spending_eur"] * factor / 1e6 - chronic_eur
whole_eur = (yearly["spending_eur"] * factor / 1e6).where(hidden_years, 0.0)  # split not published
chronic_eur, early_eur = chronic_eur.mask(hidden_years, 0.0), early_eur.mask(hidden_years, 0.0)
fig, ax = plt.subplots(figsize=(7.5, 4.2))
# a year with fewer than 12 months in the data is marked on its label and hatched
partial = yearly["months_covered"] < 12
labels = [
    r.t("yearly.partial", year=str(y), months=int(m)) if m < 12 else str(y)
    for y, m in yearly["months_covered"].items()
]
hatch = ["//" if p else "" for p in partial]
ax.bar(labels, early_eur, label=r.t("yearly.early", chronic=cfg["chronic_months"]), hatch=hatch)
ax.bar(
    labels,
    chronic_eur,
    bottom=early_eur,
    label=r.t("yearly.chronic", chronic=cfg["chronic_months"]),
    hatch=hatch,
)
if hidden_years.any():
    ax.bar(
        labels,
        whole_eur,
        color="0.7",
        label=r.t("yearly.not_split", min_cell=disclosure_min_cell),
        hatch=hatch,
    )
published = comparison["published_eur"] / 1e6
ax.scatter(labels, published, color="black", marker="D", zorder=3, label=r.t("yearly.published"))
ax.set_ylabel(r.t("yearly.ylabel"))
ax.legend(loc="upper left", fontsize="small")
published_years = [str(y) for y, value in comparison["published_eur"].items() if np.isfinite(value)]
r.figure(
    fig,
    "yearly.figure",
    factor=r.num(factor, 1),
    last=str(yearly.index.max()),
    months=r.n(int(yearly["months_covered"].iloc[-1])),
    chronic=r.n(cfg["chronic_months"]),
    first=str(yearly.index.min()),
    first_share=chronic_share_of(yearly.index[0]),
    last_share=chronic_share_of(yearly.index[-1]),
    published_years=", ".join(published_years),
)
shown = comparison.assign(
    spending_keur=comparison["spending_eur"] / 1e3,
    scaled_meur=comparison["scaled_eur"] / 1e6,
    published_meur=comparison["published_eur"] / 1e6,
)[["spending_keur", "scaled_meur", "published_meur", "ratio", "months_covered"]]
r.table(
    sp.protect_spending(
        yearly.rename(index=str).assign(spending_keur=yearly["spending_eur"].to_numpy() / 1e3)[
            [
                "spending_keur",
                "persons",
                "months",
                "mean_amount_eur",
                "chronic_share",
                "months_covered",
                *BEHIND,
            ]
        ],
        disclosure_min_cell,
    ),
    "yearly.table",
    counts=["persons"],
    decimals={"spending_keur": 0, "mean_amount_eur": 0},
    percent=["chronic_share"],
)
r.table(
    shown.rename(index=str),
    "yearly.comparison",
    decimals={"spending_keur": 0, "scaled_meur": 1, "published_meur": 0, "ratio": 2},
    factor=r.num(factor, 1),
)
# full years whose scaled spending is far from the published figure are named, with what follows
apart = scaled_years_apart(comparison["ratio"].to_dict())
if apart:
    scale_year = int(str(scale["date"])[:4])  # the year of the head count the factor equates
    later = [y for y in comparison.index if y >= scale_year and y not in apart]
    unpublished = [str(y) for y, value in comparison["published_eur"].items() if not np.isfinite(value)]
    r.say(
        "yearly.apart",
        years=", ".join(str(y) for y in apart),
        tolerance=r.pct(SCALED_TOLERANCE, 0),
        ratios=", ".join(str(r.num(x, 2).format(r.lang)) for x in apart.values()),
        total=meur(v["registry_total_eur"]),
        first=str(yearly.index.min()),
        last=str(yearly.index.max()),
        unpublished=", ".join(unpublished) or "–",
        scale_date=r.date(scale["date"]),
        scale_year=str(scale_year),
        latest=", ".join(
            f"{r.num(comparison.loc[y, 'ratio'], 2).format(r.lang)} ({y})"
            for y in later
            if np.isfinite(comparison.loc[y, "ratio"])
        )
        or "–",
    )

# %%
r.heading("where")
r.say("where.text", min_cell=r.n(disclosure_min_cell))
r.table(
    i18n.by_name(res["by_province"] / 1e3).rename(columns=str),
    "where.province",
    behind=i18n.by_name(res["by_province_persons"]).rename(columns=str),
    decimals=0,
)
r.say(
    "where.ceas",
    ceas=r.n(v["n_ceas"]),
    year=str(last_full),
    top_share=r.pct(v["top_share"], 0),
    min_cell=r.n(disclosure_min_cell),
)

# %%
r.heading("profiles")
by_profile = res["by_profile"]
coverage = v["profile_coverage"]
r.say(
    "profiles.text" + sp.profile_text(by_profile.index, coverage),  # shares only if "no profile" is a row
    year=str(last_full),
    heads_share=r.share(coverage["heads_with_profile"], coverage["heads"], 0),
    spending_share=r.pct(coverage["spending_share"], 0),
    floor=r.pct(coverage["floor"], 0),
)
r.table(
    sp.protect_spending(
        by_profile.rename(index=profile_label).assign(
            spending_keur=by_profile["spending_eur"].to_numpy() / 1e3
        )[["spending_keur", "persons", "chronic_share", *BEHIND]],
        disclosure_min_cell,
    ),
    "profiles.table",
    counts=["persons"],
    decimals={"spending_keur": 0},
    percent=["chronic_share"],
    year=str(last_full),
    folded=r.t("folded.groups") if sp.OTHER in by_profile.index else "",
)

# %%
r.heading("bands")
unvalidated = not chron.get("validated_landmarks")  # no landmark validated: scored at landmark_month only
scored_month = r.n(chron.get("landmark_month") or chron["first_landmark"])
if chron.get("alerts_withheld"):
    r.say(
        "bands.withheld_unvalidated" if unvalidated else "bands.withheld",
        alerts_report=alerts_report,
        chronicity=chronicity_link,
        month=scored_month,
    )
r.say(
    "bands.text",
    threshold=r.num(chron["alert_threshold"], 3),  # a risk, written as everywhere (0.735)
    medium=r.num(sp.MEDIUM_RISK, 1),
    horizon=r.n(chron["horizon_month"]),
    first=r.n(chron["first_landmark"]),
    not_scored=r.t("bands.not_scored." + ("unvalidated" if unvalidated else "validated"), month=scored_month),
)
if chron.get("alert_top_k") is not None:
    r.say("bands.capped", top_k=r.n(chron["alert_top_k"]))
band_table = sp.in_band_order(res["last_year"])  # bands listed by time on the benefit, as in Figure 2
r.table(
    sp.protect_spending(
        band_table.assign(spending_keur=band_table["spending_eur"] / 1e3)[
            ["spending_keur", "persons", "mean_amount_eur", "chronic_share", *BEHIND]
        ].rename(index=r.value),  # labels, not codes, in the published CSV too
        disclosure_min_cell,
    ),
    "bands.table",
    counts=["persons"],
    decimals={"spending_keur": 0, "mean_amount_eur": 0},
    percent=["chronic_share"],
)

# %%
r.heading("future")
r.say(
    "future.text",
    current=r.count(int(future_total["persons"])),
    horizon=r.n(cfg["horizon_years"]),
    future=meur(future_total["expected_eur"], 2),
    future_ci=interval(meur(future_total["lower_eur"], 2), meur(future_total["upper_eur"], 2)),
    months=r.num(future_total["expected_months"], 0),
    factors=factors_link,
    past_share=r.pct(past["expected_eur"] / future_total["expected_eur"], 0) if past is not None else "–",
)
exits_only = v["future_exits_only"]  # the same forecast with the model's estimate taken as true
r.say(
    "future.uncertainty",
    draws=r.n(cfg["model_draws"]),
    exits_ci=interval(meur(exits_only["lower_eur"], 2), meur(exits_only["upper_eur"], 2)),
)
bands = future.drop(index="total")
fig, ax = plt.subplots(figsize=(7.5, 1.4 + 0.45 * len(bands)))
names = [r.value(b) for b in bands.index]
ax.barh(names, bands["expected_eur"] / 1e3, color="C0")
ax.errorbar(
    bands["expected_eur"] / 1e3,
    names,
    xerr=[
        (bands["expected_eur"] - bands["lower_eur"]) / 1e3,
        (bands["upper_eur"] - bands["expected_eur"]) / 1e3,
    ],
    fmt="none",
    color="black",
    capsize=3,
)
ax.invert_yaxis()
ax.set_xlabel(r.t("future.xlabel", horizon=cfg["horizon_years"]))
r.figure(fig, "future.figure", horizon=r.n(cfg["horizon_years"]))
r.table(
    future.assign(
        expected_keur=future["expected_eur"] / 1e3,
        lower_keur=future["lower_eur"] / 1e3,
        upper_keur=future["upper_eur"] / 1e3,
    )[["persons", "expected_months", "expected_keur", "lower_keur", "upper_keur"]].rename(index=r.value),
    "future.table",
    counts=["persons"],
    decimals={"expected_months": 1, "expected_keur": 0, "lower_keur": 0, "upper_keur": 0},
    horizon=r.n(cfg["horizon_years"]),
    folded=r.t("folded.bands") if sp.OTHER in future.index else "",
)
back = v["backtest"]  # the same model fitted backtest_months before the extraction, against what was paid
if back["relative_error"] is not None:
    r.say(
        "future.backtest." + ("inside" if back["inside"] else "outside"),
        cutoff=r.date(back["cutoff"]),
        months=r.n(back["months"]),
        persons=r.count(back["persons"]),
        predicted=meur(back["predicted_eur"], 2),
        predicted_ci=interval(meur(back["lower_eur"], 2), meur(back["upper_eur"], 2)),
        observed=meur(back["observed_eur"], 2),
        error=r.quantity("spending.backtest_error", back["relative_error"], kind="pct", decimals=1),
    )
rolling = [b for b in v.get("backtests", []) if b["relative_error"] is not None]
if len(rolling) > 1:  # the same backtest at earlier cut-offs (rolling origins), the latest first
    overlap = cfg["backtest_step_months"] < back["months"]
    r.say(
        "future.backtest.rolling",
        origins=r.n(len(rolling)),
        step=r.n(cfg["backtest_step_months"]),
        cutoffs=", ".join(r.date(b["cutoff"]).format(r.lang) for b in rolling),
        months=r.n(back["months"]),
        errors=", ".join(r.pct(b["relative_error"], 1).format(r.lang) for b in rolling),
        inside=r.n(sum(bool(b["inside"]) for b in rolling)),
        overlap=r.t("future.backtest.overlap") if overlap else "",
    )
untested = -(-int(back["months"]) // 12) + 1  # the first year with no backtested month in it
whole = v.get("backtest_horizon")  # the same backtest over the whole horizon, when the records allow
if untested <= cfg["horizon_years"] and whole and whole["relative_error"] is not None:
    r.say(
        "future.backtest.horizon",
        cutoff=r.date(whole["cutoff"]),
        history=r.n(round(whole["history_months"])),
        months=r.n(whole["months"]),
        predicted=meur(whole["predicted_eur"], 2),
        predicted_ci=interval(meur(whole["lower_eur"], 2), meur(whole["upper_eur"], 2)),
        observed=meur(whole["observed_eur"], 2),
        error=r.quantity("spending.backtest_horizon_error", whole["relative_error"], kind="pct", decimals=1),
        where=r.t("future.backtest.where." + ("inside" if whole["inside"] else "outside")),
        first=r.n(untested),
        horizon=r.n(cfg["horizon_years"]),
    )
elif untested <= cfg["horizon_years"]:
    r.say(
        "future.backtest.untested",
        first=r.n(untested),
        horizon=r.n(cfg["horizon_years"]),
        history=r.n(cfg["backtest_min_history_months"]),
    )

# %%
r.heading("scenario")
r.say(
    "scenario.text",
    cases=r.count(cases),
    cost=r.n(cfg["cost_per_case_eur"]),
    effect_sentence=effect_sentence(),
    months_to_exit=r.n(cfg["months_to_exit"]),
    reentry=r.pct(cfg["reentry_share"], 0),
    horizon=r.n(cfg["horizon_years"]),
    rate=r.pct(cfg["discount_rate"], 0),
    draws=r.n(cfg["draws"]),
    chronicity=chronicity_link,
)
inputs = res["inputs"]
# each row at its own precision: euros and whole-numbered assumptions without decimals, else one
values = ["default", "low", "high"]
whole = inputs[values].apply(lambda row: bool(np.allclose(row, np.round(row))), axis=1)
places = [0 if w or str(u).startswith("unit_eur") else 1 for w, u in zip(whole, inputs["unit"], strict=True)]
shown_inputs = inputs.assign(**{c: r.nums_as_shown(inputs[c], places) for c in values})
r.table(
    shown_inputs.rename(index=lambda i: r.t(f"input.{i}")).assign(  # labels, not codes, in the CSV too
        unit=inputs["unit"].map(r.value).to_numpy(), source=inputs["source"].map(r.value).to_numpy()
    ),
    "scenario.inputs",
    verbatim=values,
)
r.table(
    years.assign(
        cost_keur=years["cost_eur"] / 1e3,
        saving_keur=years["saving_eur"] / 1e3,
        net_cost_keur=years["net_cost_eur"] / 1e3,
        discounted_net_cost_keur=years["discounted_net_cost_eur"] / 1e3,
    )[["cost_keur", "saving_keur", "net_cost_keur", "discounted_net_cost_keur"]],
    "scenario.years",
    decimals=1,
    cases=r.count(cases),
)
r.say(
    "scenario.result",
    net_kind=sense(net_cost["estimate"]),
    net=keur(NET),
    net_ci=interval(keur(NET_LOW), keur(NET_HIGH)),
    p_saving=r.pct(net_cost["probability_saving"], 0),
    net_scaled=meur(NET * factor, 2),
    net_scaled_ci=r.t("ci_meur", low=meur_signed(NET_LOW * factor), high=meur_signed(NET_HIGH * factor)),
    factor=r.num(factor, 1),
    horizon=r.n(cfg["horizon_years"]),
    draws=r.n(cfg["draws"]),
    median_kind=median_kind,
    median=keur(MEDIAN),
)
# the population the pilot's evidence covers: recipients like its participants (months on the RGC)
if like is not None:
    cost_like = like["net_cost"]  # positive = cost; the interval in the same sign
    net_like, low_like, high_like = in_sense(cost_like["estimate"], cost_like["ci_low"], cost_like["ci_high"])
    r.say(
        "scenario.pilot_like",
        months_participants=r.num(like["months_participants"], 0),
        months_alerted="–" if like["months_alerted"] is None else r.num(like["months_alerted"], 0),
        cases=r.count(cases),
        current=r.count(int(future_total["persons"])),  # the recipients reweighted
        ess=r.n(round(like["effective_n"])),
        net_kind=sense(cost_like["estimate"]),
        net=keur(net_like),
        net_ci=interval(keur(low_like), keur(high_like)),
        p_saving=r.pct(cost_like["probability_saving"], 0),
        break_even=pp(like["break_even_effect"]),
    )

# %%
r.heading("breakeven", level=3)
r.say(
    "breakeven.text",
    break_even=pp(v["break_even_effect"]),
    effect_sentence=effect_sentence(),
    cost=r.n(cfg["cost_per_case_eur"]),
)
if effect["ci_low"] > v["break_even_effect"]:
    r.say("breakeven.verdict.above", effect_name=effect_name)
elif effect["ci_high"] < v["break_even_effect"]:
    r.say("breakeven.verdict.below", effect_name=effect_name)
else:
    r.say("breakeven.verdict.straddles", effect_name=effect_name)
line = res["breakeven_line"]
fig, ax = plt.subplots(figsize=(7.5, 4.2))
ax.axvspan(
    100 * effect["ci_low"],
    100 * effect["ci_high"],
    color="C0",
    alpha=0.15,
    label=r.t("breakeven.ci", effect_name=effect_name),
)
ax.plot(100 * line["effect"], line["net_cost_eur"] / 1e3, color="C0", label=r.t("breakeven.line"))
ax.axhline(0, color="grey", linewidth=0.8)
ax.axvline(
    100 * effect["estimate"],
    color="C0",
    linestyle="--",
    label=r.t("breakeven.estimate", effect_name=effect_name),
)
ax.axvline(100 * v["break_even_effect"], color="C3", linestyle=":", label=r.t("breakeven.point"))
ax.set_xlabel(r.t("breakeven.xlabel"))
ax.set_ylabel(r.t("breakeven.ylabel"))
# the legend below the axes, where it covers nothing
ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2, frameon=False)
r.figure(
    fig,
    "breakeven.figure",
    cases=r.count(cases),
    cost=r.n(cfg["cost_per_case_eur"]),
    effect_name=effect_name,
    horizon=r.n(cfg["horizon_years"]),
)

# %%
r.heading("tornado", level=3)
# at the break-even effect the net cost is zero to the euro: said so, not "0 thousand €"
at_zero = abs(v["tornado_base_net_cost_eur"]) < 1
r.say(
    "tornado.text",
    top_input=r.t(f"input.{top_input}"),
    base=r.t("tornado.zero")
    if at_zero
    else r.t("tornado.amount", amount=keur(v["tornado_base_net_cost_eur"])),
    at_effect=r.num(100 * v["tornado_effect"], 1),
)
fig, ax = plt.subplots(figsize=(7.5, 1.4 + 0.5 * len(tornado)))
order = tornado.iloc[::-1]
names = [r.t(f"input.{i}") for i in order.index]
base = v["tornado_base_net_cost_eur"] / 1e3
ax.barh(names, order["net_cost_low_eur"] / 1e3 - base, left=base, color="C1", label=r.t("tornado.low"))
ax.barh(
    names,
    order["net_cost_high_eur"] / 1e3 - base,
    left=base,
    color="C2",
    alpha=0.8,
    label=r.t("tornado.high"),
)
ax.axvline(base, color="black", linewidth=0.8)
ax.axvline(0, color="grey", linewidth=0.8, linestyle=":")
ax.set_xlabel(r.t("tornado.xlabel", horizon=cfg["horizon_years"]))
# the legend below the axes, where it covers no bar
ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=2, frameon=False)
r.figure(fig, "tornado.figure", horizon=r.n(cfg["horizon_years"]))
r.table(
    tornado.assign(
        net_cost_low_keur=tornado["net_cost_low_eur"] / 1e3,
        net_cost_high_keur=tornado["net_cost_high_eur"] / 1e3,
    )[["net_cost_low_keur", "net_cost_high_keur"]].rename(index=lambda i: r.t(f"input.{i}")),
    "tornado.table",
    decimals=1,
    horizon=r.n(cfg["horizon_years"]),
)

# %%
r.heading("limitations")
r.say(
    "limitations.text",
    # "without the pilot's extracts the effect is an assumption" only when it is one
    effect_assumed=r.t("limitations.effect_assumed") if effect["source"] != "pilot" else "",
    horizon=r.n(cfg["horizon_years"]),
    months_to_exit=r.n(cfg["months_to_exit"]),
    reentry=r.pct(cfg["reentry_share"], 0),
    reentry_low=r.pct(cfg["reentry_share_range"][0], 0),
    reentry_high=r.pct(cfg["reentry_share_range"][1], 0),
    reentry_link=reentry_link,
    # the last item of the same list: months paid under overlapping files
    overlap=r.t("limitations.overlap", overlapping=r.count(v["overlapping_head_months"]))
    if v["overlapping_head_months"]
    else r.t("limitations.overlap.none"),
    # the Weibull form is checked only by the backtest that spans the horizon: said as it came out
    form_check=r.t(
        f"limitations.form.{checked}",
        **(
            {"error": r.quantity(checked_key, checked_by["relative_error"], "pct", 1, where="limitations")}
            if checked_by
            else {}
        ),
    ),
)
r.cite("canto_2002")  # the external re-entry share of the scenario

# %%
r.heading("common.checklist")
r.say("checklist.standard", horizon=r.n(cfg["horizon_years"]))
r.say(
    "checklist",
    effect_where=r.t("checklist.effect." + ("pilot" if effect["source"] == "pilot" else "default")),
    like_where=r.t("checklist.like." + ("shown" if like is not None else "none")),
    pilot_report=pilot_report,
)

# %%
r.heading("common.appendix")
r.table(
    sp.protect_spending(
        by_ceas.assign(spending_keur=by_ceas["spending_eur"] / 1e3)[
            ["spending_keur", "persons", "chronic_share", *BEHIND]
        ].rename(index=r.value),
        disclosure_min_cell,
    ),
    "ceas.table",
    counts=["persons"],
    decimals={"spending_keur": 0},
    percent=["chronic_share"],
    year=str(last_full),
)

# %%
r.footer()
