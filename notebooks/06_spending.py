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
# recipient (pilot effect propagated by simulation, break-even effect, tornado). Statistics live in
# `pact_analysis/spending.py`; words in `pact_analysis/locales/*/LC_MESSAGES/spending.po`.

# %% tags=["parameters"]
root = "."
lang = "es"
data_source = "synthetic"
data_extraction_date = "2018-10-31"
disclosure_min_cell = 10
seed = 20151101
synthetic_start_date = "2011-01-01"
chronicity_landmark_month = 3
chronicity_horizon_month = 24
chronicity_merge_gap_months = 1
chronicity_history_months = 24
chronicity_develop_before = "2014-01-01"
chronicity_alert_threshold = 0.75
chronicity_landmarks = [3, 6, 9, 12, 15, 18, 21]
evaluation_pilot_start = "2017-02-01"
evaluation_admin_method = "ipw"
spending_price_year = 2018
spending_cost_per_case_eur = 1700
spending_cost_per_case_range = [1000, 3500]
spending_discount_rate = 0.03
spending_discount_rate_range = [0.0, 0.06]
spending_horizon_years = 5
spending_months_to_exit = 6
spending_reentry_share = 0.33
spending_reentry_share_range = [0.2, 0.5]
spending_chronic_months = 24
spending_draws = 2000
spending_model_draws = 200
spending_effect_default_estimate = 0.05
spending_effect_default_ci_low = -0.05
spending_effect_default_ci_high = 0.15

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from pact_analysis import codebook, report
from pact_analysis import spending as sp
from pact_analysis.config import Paths
from pact_analysis.io import write_json

cfg = {
    "price_year": spending_price_year,
    "cost_per_case_eur": spending_cost_per_case_eur,
    "cost_per_case_range": spending_cost_per_case_range,
    "discount_rate": spending_discount_rate,
    "discount_rate_range": spending_discount_rate_range,
    "horizon_years": spending_horizon_years,
    "months_to_exit": spending_months_to_exit,
    "reentry_share": spending_reentry_share,
    "reentry_share_range": spending_reentry_share_range,
    "chronic_months": spending_chronic_months,
    "draws": spending_draws,
    "model_draws": spending_model_draws,
    "effect_default": {
        "estimate": spending_effect_default_estimate,
        "ci_low": spending_effect_default_ci_low,
        "ci_high": spending_effect_default_ci_high,
    },
}
r = report.start(
    "06_spending",
    root,
    lang,
    disclosure_min_cell,
    data_source=data_source,
    data_extraction_date=data_extraction_date,
    **{f"spending_{k}": v for k, v in cfg.items() if k != "effect_default"},
)
params = {
    "seed": seed,
    "data": {"extraction_date": data_extraction_date},
    "synthetic": {"start_date": synthetic_start_date},
    "chronicity": {
        "landmark_month": chronicity_landmark_month,
        "horizon_month": chronicity_horizon_month,
        "merge_gap_months": chronicity_merge_gap_months,
        "history_months": chronicity_history_months,
        "develop_before": chronicity_develop_before,
        "landmarks": chronicity_landmarks,
        "alert_threshold": chronicity_alert_threshold,
    },
    "alerts": {},
    "evaluation": {"pilot_start": evaluation_pilot_start, "admin_method": evaluation_admin_method},
    "spending": cfg,
}
paths = Paths(Path(root))
res = sp.analyse(root, params, disclosure_min_cell)
paid, yearly, comparison, scale = res["paid"], res["yearly"], res["comparison"], res["scale"]
factor = scale["factor"]
effect, cases, years = res["effect"], res["cases"], res["years"]
sims = np.asarray(res["simulated"])
metrics = sp.metrics(res)
net5 = metrics["net_5y_eur"]
full_years = yearly.loc[yearly["months_covered"] == 12]
last_full = int(full_years.index.max())
future = res["future"]
future_total = future.loc["total"]
past = future.loc["past_horizon"] if "past_horizon" in future.index else None
provinces = {p["code"]: p["name"] for p in codebook.load()["provinces"]}
tornado = res["tornado"]
top_input = tornado.index[0]
if lang == "es":
    write_json(paths.metrics / "spending.json", metrics)


def meur(value: float, decimals: int = 1) -> object:
    """Millions of euros for a sentence."""
    return r.num(value / 1e6, decimals)


def keur(value: float) -> object:
    """Thousands of euros for a sentence."""
    return r.num(value / 1e3, 0)


def interval(low: object, high: object) -> str:
    """An interval for a sentence."""
    return r.t("ci", low=low, high=high)


def pp(share: float) -> object:
    """A difference in probability, in percentage points."""
    return r.num(100 * share, 1)


# %%
r.title()
r.banner(data_source)
r.findings(
    total=meur(res["registry_total"]),
    first_year=str(yearly.index.min()),
    last_year=str(yearly.index.max()),
    last_full=str(last_full),
    spent_last_full=meur(yearly.loc[last_full, "spending_eur"], 2),
    chronic_share=r.pct(yearly.loc[last_full, "chronic_share"], 0),
    chronic=r.n(cfg["chronic_months"]),
    scaled_last_full=meur(comparison.loc[last_full, "scaled_eur"], 0),
    published_last_full=meur(comparison.loc[last_full, "published_eur"], 0)
    if pd.notna(comparison.loc[last_full, "published_eur"])
    else "–",
    factor=r.num(factor, 1),
    current=r.count(int(future_total["persons"])),
    future=meur(future_total["expected_eur"], 2),
    future_ci=interval(meur(future_total["lower_eur"], 2), meur(future_total["upper_eur"], 2)),
    horizon=r.n(cfg["horizon_years"]),
    cases=r.count(cases),
    cost=r.n(cfg["cost_per_case_eur"]),
    net_kind=r.t("net.saving" if net5["estimate"] > 0 else "net.cost"),
    net=keur(abs(net5["estimate"])),
    net_ci=interval(keur(net5["ci_low"]), keur(net5["ci_high"])),
    net_scaled=meur(abs(net5["estimate"]) * factor),
    net_scaled_ci=interval(meur(net5["ci_low"] * factor), meur(net5["ci_high"] * factor)),
    p_saving=r.pct(net5["probability_saving"], 0),
    break_even=pp(res["break_even"]),
    effect=pp(effect["estimate"]),
    effect_ci=interval(pp(effect["ci_low"]), pp(effect["ci_high"])),
    top_input=r.t(f"input.{top_input}"),
    price_year=str(cfg["price_year"]),
)
r.say(f"effect_source.{effect['source']}")

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
    mean_amount=r.n(round(float(paid["amount_eur"].mean()))),
    first_year=str(yearly.index.min()),
)
chronic_eur = yearly["spending_eur"] * yearly["chronic_share"] * factor / 1e6
early_eur = yearly["spending_eur"] * factor / 1e6 - chronic_eur
fig, ax = plt.subplots(figsize=(7.5, 4.2))
labels = yearly.index.astype(str)
ax.bar(labels, early_eur, label=r.t("yearly.early", chronic=cfg["chronic_months"]))
ax.bar(labels, chronic_eur, bottom=early_eur, label=r.t("yearly.chronic", chronic=cfg["chronic_months"]))
published = comparison["published_eur"] / 1e6
ax.scatter(labels, published, color="black", marker="D", zorder=3, label=r.t("yearly.published"))
ax.set_ylabel(r.t("yearly.ylabel"))
ax.legend(loc="upper left", fontsize="small")
r.figure(fig, "yearly.figure", factor=r.num(factor, 1), last=str(yearly.index.max()))
shown = comparison.assign(
    spending_keur=comparison["spending_eur"] / 1e3,
    scaled_meur=comparison["scaled_eur"] / 1e6,
    published_meur=comparison["published_eur"] / 1e6,
)[["spending_keur", "scaled_meur", "published_meur", "ratio", "months_covered"]]
r.table(
    yearly.rename(index=str).assign(spending_keur=yearly["spending_eur"].to_numpy() / 1e3)[
        ["spending_keur", "persons", "months", "mean_amount_eur", "chronic_share", "months_covered"]
    ],
    "yearly.table",
    counts=["persons"],
    additive=False,
    decimals={"spending_keur": 0, "mean_amount_eur": 0},
    percent=["chronic_share"],
)
r.table(
    shown.rename(index=str),
    "yearly.comparison",
    decimals={"spending_keur": 0, "scaled_meur": 1, "published_meur": 0, "ratio": 2},
    factor=r.num(factor, 1),
)

# %%
r.heading("where")
r.say("where.text", min_cell=r.n(disclosure_min_cell))
by_province, persons_paid = sp.spending_crosstab(
    paid.assign(province=paid["province_code"].map(provinces).fillna(paid["province_code"])),
    "province",
    "year",
)
r.table(
    (by_province / 1e3).rename(columns=str),
    "where.province",
    behind=persons_paid.rename(columns=str),
    decimals=0,
)
last_paid = paid.loc[paid["year"] == last_full]
by_ceas = sp.spending_by_folded(last_paid, "ceas_code", disclosure_min_cell, cfg["chronic_months"])
top_share = (
    by_ceas["spending_eur"].drop(index=sp.OTHER, errors="ignore").head(10).sum()
    / by_ceas["spending_eur"].sum()
)
r.say(
    "where.ceas",
    ceas=r.n(last_paid["ceas_code"].nunique()),
    year=str(last_full),
    top_share=r.pct(top_share, 0),
    min_cell=r.n(disclosure_min_cell),
)

# %%
r.heading("profiles")
if res["profiles"] is not None:
    with_profile = paid.assign(
        profile=paid["person_key"].map(res["profiles"].set_index("person_key")["profile"])
    )
    table = sp.spending_by_folded(
        with_profile.loc[with_profile["year"] == last_full].dropna(subset=["profile"]),
        "profile",
        disclosure_min_cell,
        cfg["chronic_months"],
    )
    r.say("profiles.text", year=str(last_full))
    r.table(
        table.assign(spending_keur=table["spending_eur"] / 1e3)[
            ["spending_keur", "persons", "chronic_share"]
        ],
        "profiles.table",
        counts=["persons"],
        additive=False,
        decimals={"spending_keur": 0},
        percent=["chronic_share"],
        year=str(last_full),
    )
else:
    r.say("profiles.none")

# %%
r.heading("bands")
r.say(
    "bands.text",
    threshold=r.pct(chronicity_alert_threshold, 0),
    horizon=r.n(chronicity_horizon_month),
    first=r.n(min(chronicity_landmarks)),
)
band_table = res["last_year"]
r.table(
    band_table.assign(spending_keur=band_table["spending_eur"] / 1e3)[
        ["spending_keur", "persons", "mean_amount_eur", "chronic_share"]
    ],
    "bands.table",
    counts=["persons"],
    additive=False,
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
    past_share=r.pct(past["expected_eur"] / future_total["expected_eur"], 0) if past is not None else "–",
    draws=r.n(cfg["model_draws"]),
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
    )[["persons", "expected_months", "expected_keur", "lower_keur", "upper_keur"]],
    "future.table",
    counts=["persons"],
    decimals={"expected_months": 1, "expected_keur": 0, "lower_keur": 0, "upper_keur": 0},
    horizon=r.n(cfg["horizon_years"]),
)

# %%
r.heading("scenario")
r.say(
    "scenario.text",
    cases=r.count(cases),
    cost=r.n(cfg["cost_per_case_eur"]),
    effect=pp(effect["estimate"]),
    effect_ci=interval(pp(effect["ci_low"]), pp(effect["ci_high"])),
    months_to_exit=r.n(cfg["months_to_exit"]),
    reentry=r.pct(cfg["reentry_share"], 0),
    horizon=r.n(cfg["horizon_years"]),
    rate=r.pct(cfg["discount_rate"], 0),
    draws=r.n(cfg["draws"]),
)
inputs = pd.DataFrame(
    {
        "default": [effect["estimate"] * 100, cfg["cost_per_case_eur"], cfg["reentry_share"] * 100,
                    float(res["avoided"][0].sum()), cfg["discount_rate"] * 100],
        "low": [effect["ci_low"] * 100, cfg["cost_per_case_range"][0], cfg["reentry_share_range"][0] * 100,
                tornado.loc["avoided", "low_value"], cfg["discount_rate_range"][0] * 100],
        "high": [effect["ci_high"] * 100, cfg["cost_per_case_range"][1], cfg["reentry_share_range"][1] * 100,
                 tornado.loc["avoided", "high_value"], cfg["discount_rate_range"][1] * 100],
    },
    index=pd.Index(["effect", "cost", "reentry", "avoided", "rate"], name="input"),
)  # fmt: skip
inputs["unit"] = ["unit_pp", "unit_eur_case", "unit_pct", "unit_eur_leaver", "unit_pct"]
inputs["source"] = [
    f"source_{effect['source']}",
    "source_assumed",
    "source_assumed",
    "source_model",
    "source_policy",
]
r.table(inputs.rename(index=lambda i: r.t(f"input.{i}")), "scenario.inputs", decimals=1)
r.table(
    years.assign(
        cost_keur=years["cost_eur"] / 1e3,
        saving_keur=years["saving_eur"] / 1e3,
        net_keur=years["net_eur"] / 1e3,
        discounted_net_keur=years["discounted_net_eur"] / 1e3,
    )[["cost_keur", "saving_keur", "net_keur", "discounted_net_keur"]],
    "scenario.years",
    decimals=1,
    cases=r.count(cases),
)
r.say(
    "scenario.result",
    net_kind=r.t("net.saving" if net5["estimate"] > 0 else "net.cost"),
    net=keur(abs(net5["estimate"])),
    net_ci=interval(keur(net5["ci_low"]), keur(net5["ci_high"])),
    p_saving=r.pct(net5["probability_saving"], 0),
    net_scaled=meur(abs(net5["estimate"]) * factor),
    net_scaled_ci=interval(meur(net5["ci_low"] * factor), meur(net5["ci_high"] * factor)),
    factor=r.num(factor, 1),
    horizon=r.n(cfg["horizon_years"]),
)

# %%
r.heading("breakeven", level=3)
r.say(
    "breakeven.text",
    break_even=pp(res["break_even"]),
    effect=pp(effect["estimate"]),
    effect_ci=interval(pp(effect["ci_low"]), pp(effect["ci_high"])),
    cost=r.n(cfg["cost_per_case_eur"]),
)
if effect["ci_low"] > res["break_even"]:
    r.say("breakeven.verdict.above")
elif effect["ci_high"] < res["break_even"]:
    r.say("breakeven.verdict.below")
else:
    r.say("breakeven.verdict.straddles")
grid = np.linspace(min(effect["ci_low"], 0.0) - 0.02, max(effect["ci_high"], res["break_even"]) + 0.05, 60)
avoided0, reentry0, rate0 = res["avoided"][0], cfg["reentry_share"], cfg["discount_rate"]
line = [
    sp.scenario_years(cases, e, cfg["cost_per_case_eur"], avoided0, reentry0, rate0)[
        "discounted_net_eur"
    ].sum()
    / 1e3
    for e in grid
]
fig, ax = plt.subplots(figsize=(7.5, 4.2))
ax.axvspan(100 * effect["ci_low"], 100 * effect["ci_high"], color="C0", alpha=0.15, label=r.t("breakeven.ci"))
ax.plot(100 * grid, line, color="C0", label=r.t("breakeven.line"))
ax.axhline(0, color="grey", linewidth=0.8)
ax.axvline(100 * effect["estimate"], color="C0", linestyle="--", label=r.t("breakeven.estimate"))
ax.axvline(100 * res["break_even"], color="C3", linestyle=":", label=r.t("breakeven.point"))
ax.set_xlabel(r.t("breakeven.xlabel"))
ax.set_ylabel(r.t("breakeven.ylabel"))
ax.legend(fontsize="small", loc="upper left")
r.figure(fig, "breakeven.figure", cases=r.count(cases), cost=r.n(cfg["cost_per_case_eur"]))

# %%
r.heading("tornado", level=3)
r.say("tornado.text", top_input=r.t(f"input.{top_input}"), base=keur(tornado.attrs["base"]))
fig, ax = plt.subplots(figsize=(7.5, 1.4 + 0.5 * len(tornado)))
order = tornado.iloc[::-1]
names = [r.t(f"input.{i}") for i in order.index]
base = tornado.attrs["base"] / 1e3
ax.barh(names, order["net_low_eur"] / 1e3 - base, left=base, color="C1", label=r.t("tornado.low"))
ax.barh(
    names, order["net_high_eur"] / 1e3 - base, left=base, color="C2", alpha=0.8, label=r.t("tornado.high")
)
ax.axvline(base, color="black", linewidth=0.8)
ax.axvline(0, color="grey", linewidth=0.8, linestyle=":")
ax.set_xlabel(r.t("tornado.xlabel", horizon=cfg["horizon_years"]))
ax.legend(fontsize="small", loc="lower right")
r.figure(fig, "tornado.figure")
r.table(
    tornado.assign(net_low_keur=tornado["net_low_eur"] / 1e3, net_high_keur=tornado["net_high_eur"] / 1e3)[
        ["net_low_keur", "net_high_keur"]
    ].rename(index=lambda i: r.t(f"input.{i}")),
    "tornado.table",
    decimals=1,
)

# %%
r.heading("limitations")
r.say("limitations.text", horizon=r.n(cfg["horizon_years"]))

# %%
r.heading("common.checklist")
r.say("checklist")

# %%
r.heading("common.appendix")
r.table(
    by_ceas.assign(spending_keur=by_ceas["spending_eur"] / 1e3)[
        ["spending_keur", "persons", "chronic_share"]
    ],
    "ceas.table",
    counts=["persons"],
    additive=False,
    decimals={"spending_keur": 0},
    percent=["chronic_share"],
    year=str(last_full),
)

# %%
r.footer()
