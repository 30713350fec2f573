"""The whole spending analysis in one call (:func:`analyse`), on data already read.

The ``spending`` stage (:mod:`pact_analysis.stages.spending`) reads the inputs
(:func:`pact_analysis.spending.inputs.read_inputs`), calls :func:`analyse` once and stores what the
report shows (:mod:`pact_analysis.spending.results`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from pact_analysis import chronicity as ch
from pact_analysis.alerts.params import alerts_params
from pact_analysis.pilot.balance import effective_size
from pact_analysis.spending.backtest import horizon_backtest, rolling_backtests
from pact_analysis.spending.bands import last_year_by_band, merge_bands, risk_bands
from pact_analysis.spending.by_profile import (
    check_coverage,
    profile_coverage,
    profile_names,
    spending_by_profile,
)
from pact_analysis.spending.future import (
    conditional_survival,
    current_recipients,
    fit_remaining,
    future_spending,
    parameter_draws,
)
from pact_analysis.spending.paid import (
    OTHER,
    fold,
    last_full_year,
    overlapping_head_months,
    payments,
    registry_total,
    small_groups,
    spending_by_folded,
    spending_crosstab,
    yearly_spending,
)
from pact_analysis.spending.params import spending_params
from pact_analysis.spending.scale import published_comparison, scaling_factor
from pact_analysis.spending.scenario import (
    avoided_per_leaver,
    break_even_effect,
    breakeven_line,
    inputs_table,
    scenario_years,
    simulate,
    tilt_weights,
    tornado,
)


def where_paid(
    paid: pd.DataFrame, year: int, min_cell: int, chronic_months: int, provinces: Mapping[str, str]
) -> dict[str, Any]:
    """Spending by province and year, and by CEAS in one year (small CEAS folded, and with them those
    that a province's total minus its published CEAS would give away).

    Parameters
    ----------
    paid : DataFrame
        :func:`~pact_analysis.spending.paid.payments` (with ``province_code``).
    year : int
        Year of the CEAS table (the last full year).
    min_cell : int
        Minimum publishable number of persons.
    chronic_months : int
        Months of an episode after which its payments count as chronic receipt.
    provinces : mapping
        Province name by code (codes without a name are shown as such).

    Returns
    -------
    dict
        ``by_province`` (EUR, province x year), ``by_province_persons`` (persons paid behind each
        cell), ``by_ceas`` (:func:`~pact_analysis.spending.paid.spending_by_folded`), ``top_share``
        (share of the year's spending in the 10 CEAS that spend most), ``n_ceas`` (CEAS paying that
        year).
    """
    named = paid["province_code"].map(dict(provinces)).fillna(paid["province_code"])
    money, persons = spending_crosstab(paid.assign(province=named), "province", "year")
    in_year = paid.loc[paid["year"] == year]
    by_ceas = spending_by_folded(in_year, "ceas_code", min_cell, chronic_months, parent="province_code")
    top = by_ceas["spending_eur"].drop(index=OTHER, errors="ignore").head(10).sum()
    return {
        "by_province": money,
        "by_province_persons": persons,
        "by_ceas": by_ceas,
        "top_share": float(top / by_ceas["spending_eur"].sum()),
        "n_ceas": int(in_year["ceas_code"].nunique()),
    }


def banded_recipients(
    episodes: pd.DataFrame,
    spells: pd.DataFrame,
    scores: pd.DataFrame,
    chron: Mapping[str, Any],
    min_cell: int,
) -> pd.DataFrame:
    """Today's recipients (:func:`~pact_analysis.spending.future.current_recipients`) with their risk
    ``band`` (:func:`~pact_analysis.spending.bands.risk_bands` at ``chron``'s ``alert_threshold`` and
    ``alert_top_k``, small bands merged)."""
    current = current_recipients(episodes, spells)
    first = float(min(chron.get("landmarks") or [chron["landmark_month"]]))
    flag = {"threshold": chron.get("alert_threshold"), "top_k": chron.get("alert_top_k")}
    bands = risk_bands(current, scores, first, float(chron["horizon_month"]), **flag)
    current["band"] = merge_bands(bands, min_cell)
    return current


def avoided_draws(alerted: pd.DataFrame, draws: pd.DataFrame, cfg: Mapping[str, Any]) -> np.ndarray:
    """:func:`~pact_analysis.spending.scenario.avoided_per_leaver` of the alerted recipients for each
    parameter vector of ``draws`` (row 0 the estimate); zeros when nobody is alerted.

    Returns
    -------
    ndarray, shape (draws, years)
    """
    years = int(cfg["horizon_years"])
    if not len(alerted):
        return np.zeros((len(draws), years))
    elapsed, amounts = alerted["elapsed"].to_numpy(), alerted["amount_eur"].to_numpy()
    return np.array(
        [
            avoided_per_leaver(
                conditional_survival(draws.iloc[i], alerted, elapsed, 12 * years),
                amounts,
                int(cfg["months_to_exit"]),
                years,
            )
            for i in range(len(draws))
        ]
    )


def forecast(
    folded: pd.DataFrame, model: Any, draws: pd.DataFrame, cfg: Mapping[str, Any], seed: int
) -> dict[str, Any]:
    """Expected spending of today's recipients over the horizon, with and without the model's uncertainty.

    Parameters
    ----------
    folded : DataFrame
        Today's recipients with their ``band`` (small bands folded).
    model : lifelines.WeibullAFTFitter
        :func:`~pact_analysis.spending.future.fit_remaining`.
    draws : DataFrame
        :func:`~pact_analysis.spending.future.parameter_draws` of ``model``.
    cfg : mapping
        The ``spending`` parameters (``horizon_years``, ``model_draws``).
    seed : int
        Seed of the simulated exits.

    Returns
    -------
    dict
        ``future`` (:func:`~pact_analysis.spending.future.future_spending` by band: the interval holds
        the model's uncertainty and the chance of who exits) and ``future_exits_only`` (``lower_eur``
        and ``upper_eur`` of the total with the model's estimate fixed: the chance of who exits only).
    """
    months = 12 * int(cfg["horizon_years"])
    fixed = parameter_draws(model, int(cfg["model_draws"]), seed, model_uncertainty=False)
    total = future_spending(folded, fixed, months, "band", seed=seed).loc["total"]
    return {
        "future": future_spending(folded, draws, months, "band", seed=seed),
        "future_exits_only": {k: float(total[k]) for k in ("lower_eur", "upper_eur")},
    }


def run_scenario(
    current: pd.DataFrame,
    draws: pd.DataFrame,
    effect: Mapping[str, Any],
    cfg: Mapping[str, Any],
    seed: int,
) -> dict[str, Any]:
    """The scenario of intensive case management for every alerted (``band == "high"``) recipient.

    Returns
    -------
    dict
        ``cases``, ``avoided`` (draws x years; row 0 the estimate), ``years``
        (:func:`~pact_analysis.spending.scenario.scenario_years` at the defaults), ``break_even``,
        ``simulated``, ``tornado`` (every input, ``months_to_exit`` included, varied at the
        break-even effect), ``inputs`` and ``breakeven_line``.
    """
    alerted = current.loc[current["band"] == "high"]
    avoided = avoided_draws(alerted, draws, cfg)
    cases = int(len(alerted))
    rate, reentry, cost = float(cfg["discount_rate"]), float(cfg["reentry_share"]), cfg["cost_per_case_eur"]
    rest = avoided[1:] if len(avoided) > 1 else avoided
    bounds = np.quantile(rest, [0.025, 0.975], axis=0)
    break_even = break_even_effect(cost, avoided[0], reentry, rate)
    by_month = tuple(
        avoided_draws(alerted, draws.iloc[:1], dict(cfg) | {"months_to_exit": month})[0]
        for month in cfg["months_to_exit_range"]
    )
    swings = tornado(
        cases, effect, avoided[0], bounds, cfg, at_effect=break_even, avoided_by_exit_month=by_month
    )
    return {
        "cases": cases,
        "avoided": avoided,
        "years": scenario_years(cases, effect["estimate"], cost, avoided[0], reentry, rate),
        "break_even": break_even,
        "simulated": simulate(cases, effect, rest, cfg, seed),
        "tornado": swings,
        "inputs": inputs_table(effect, cfg, avoided[0], swings),
        "breakeven_line": breakeven_line(cases, effect, break_even, avoided[0], cfg),
    }


def pilot_like(
    current: pd.DataFrame,
    draws: pd.DataFrame,
    effect: Mapping[str, Any],
    cfg: Mapping[str, Any],
    population: Mapping[str, float] | None,
    cases: int,
    seed: int,
) -> dict[str, Any] | None:
    """The same scenario for recipients like the pilot's participants (the population the effect covers).

    Today's recipients are reweighted (:func:`~pact_analysis.spending.scenario.tilt_weights`) so that
    their months on the RGC (months before the open episode plus months on it) have the mean and SD
    of the participants' months on the RGC at the pilot start; the pilot found its effect larger for
    the more chronic, so this, not the alerted recipients, is the population its evidence covers.

    Returns
    -------
    dict or None
        ``months_participants``, ``months_alerted`` (mean), ``effective_n`` of the weights, ``net_eur``
        (discounted net at the defaults), ``simulated`` (draws of the net), ``break_even``; None
        without the pilot's population or recipients.
    """
    if population is None or not len(current):
        return None
    months = (current["months_before"] + current["elapsed"]).to_numpy(float)
    weights = tilt_weights(months, float(population["mean"]), float(population["sd"]))
    years, exit_month = int(cfg["horizon_years"]), int(cfg["months_to_exit"])
    elapsed, amounts = current["elapsed"].to_numpy(), current["amount_eur"].to_numpy()
    avoided = np.array(
        [
            avoided_per_leaver(
                conditional_survival(draws.iloc[i], current, elapsed, 12 * years),
                amounts,
                exit_month,
                years,
                weights,
            )
            for i in range(len(draws))
        ]
    )
    rate, reentry, cost = float(cfg["discount_rate"]), float(cfg["reentry_share"]), cfg["cost_per_case_eur"]
    alerted = current["band"] == "high"
    return {
        "months_participants": float(population["mean"]),
        "months_alerted": float(months[alerted.to_numpy()].mean()) if alerted.any() else None,
        "effective_n": effective_size(weights),
        "net_eur": float(
            scenario_years(cases, effect["estimate"], cost, avoided[0], reentry, rate)[
                "discounted_net_eur"
            ].sum()
        ),
        "simulated": simulate(cases, effect, avoided[1:] if len(avoided) > 1 else avoided, cfg, seed),
        "break_even": break_even_effect(cost, avoided[0], reentry, rate),
    }


def analyse(
    tables: Mapping[str, pd.DataFrame],
    scores: pd.DataFrame,
    profiles: pd.DataFrame,
    effect: Mapping[str, Any],
    params: Mapping[str, Any],
    min_cell: int = 10,
    provinces: Mapping[str, str] | None = None,
    pilot_population: Mapping[str, float] | None = None,
    alerts: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything the spending report shows, in memory.

    Parameters
    ----------
    tables : mapping of DataFrame
        Linked tables (:data:`pact_analysis.chronicity.SCORING_TABLES`: ``rgc_spells``, ``ceas``...).
    scores : DataFrame
        The alerts stage's scores (``person_key``, ``ceas_code``, ``risk``, ``alert``).
    profiles : DataFrame
        The profiles stage's persons (``person_key``, ``profile``).
    effect : mapping
        The pilot's effect (``estimate``, ``ci_low``, ``ci_high``, ``source``;
        :func:`pact_analysis.spending.inputs.pilot_effect`).
    params : mapping
        Project parameters (``seed``, ``data``, ``synthetic.start_date``, ``chronicity``, ``spending``
        and ``alerts.top_k``, the cap per CEAS of the flagged ``high`` band).
    min_cell : int
        Minimum publishable number of persons (groups below it are folded into :data:`OTHER`).
    provinces : mapping, optional
        Province name by code, for the table by province.
    pilot_population : mapping, optional
        The participants' months on the RGC (``mean``, ``sd``): adds ``pilot_like`` (:func:`pilot_like`).
    alerts : mapping, optional
        The alerts stage's deployed ``threshold`` (who is flagged: the ``high`` band) and whether it
        ``withheld`` the alerts, and its ``validated_landmarks``; without it, the scores' ``alert``
        column defines the band.

    Returns
    -------
    dict
        ``cfg``, ``chronicity`` (its parameters, ``alert_threshold``, ``alert_top_k``,
        ``alerts_withheld`` and ``validated_landmarks``), ``paid`` (:func:`payments`), ``registry_total``,
        ``yearly``, ``last_full``, ``scale``, ``comparison``, ``current`` (today's recipients with
        ``band``), ``future`` (by band, small bands folded), ``last_year`` (by band),
        ``future_exits_only`` (:func:`forecast`), ``backtests``
        (:func:`~pact_analysis.spending.backtest.rolling_backtests`, the latest origin first),
        ``backtest_horizon`` (:func:`~pact_analysis.spending.backtest.horizon_backtest`, or None), ``overlapping_head_months``, ``by_profile`` (households by the head's profile, heads without
        one included), ``profile_coverage``, ``profile_names``, the tables of :func:`where_paid`,
        ``effect`` and the results of :func:`run_scenario`.

    Raises
    ------
    StageError
        When no calendar year is full (:func:`~pact_analysis.spending.paid.last_full_year`), or too few
        heads paid in it have a profile
        (:func:`~pact_analysis.spending.by_profile.check_coverage`).
    """
    cfg = spending_params(params)
    chron = ch.chronicity_params(params)
    chronic = int(cfg["chronic_months"])
    spells = tables["rgc_spells"]
    episodes = ch.exit_dataset(ch.build_spells(tables, params), tables, params)
    paid = payments(spells, params["data"]["extraction_date"], tables["ceas"], episodes)
    yearly = yearly_spending(paid, chronic)
    last_full = last_full_year(yearly, params["data"]["extraction_date"])
    coverage = profile_coverage(paid, profiles, last_full)
    check_coverage(coverage)  # before the models are fitted: stale profiles fail fast
    scale = scaling_factor(paid)
    chron = chron | {
        "alert_threshold": (alerts or {}).get("threshold"),
        "alerts_withheld": bool((alerts or {}).get("withheld")),
        "validated_landmarks": list((alerts or {}).get("validated_landmarks") or []),
        "alert_top_k": alerts_params(params)["top_k"],
    }
    current = banded_recipients(episodes, spells, scores, chron, min_cell)
    seed = int(params.get("seed", 0))
    model = fit_remaining(episodes)
    draws = parameter_draws(model, int(cfg["model_draws"]), seed)
    folded = current.assign(
        band=fold(current["band"], small_groups(current["band"].value_counts(), min_cell))
    )
    return {
        "cfg": cfg,
        "chronicity": chron,
        "paid": paid,
        "registry_total": registry_total(spells, params["data"]["extraction_date"]),
        "yearly": yearly,
        "last_full": last_full,
        "scale": scale,
        "comparison": published_comparison(yearly, scale["factor"]),
        "current": current,
        **forecast(folded, model, draws, cfg, seed),
        "backtests": rolling_backtests(
            tables,
            paid,
            params,
            months=int(cfg["backtest_months"]),
            draws=int(cfg["model_draws"]),
            origins=int(cfg["backtest_origins"]),
            step=int(cfg["backtest_step_months"]),
            least=int(cfg["backtest_min_history_months"]),
            seed=seed,
        ),
        "backtest_horizon": horizon_backtest(
            tables,
            paid,
            params,
            months=12 * int(cfg["horizon_years"]),
            draws=int(cfg["model_draws"]),
            least=int(cfg["backtest_min_history_months"]),
            seed=seed,
        ),
        "last_year": last_year_by_band(paid, current, min_cell, chronic),
        "overlapping_head_months": overlapping_head_months(paid),
        "by_profile": spending_by_profile(paid, profiles, last_full, min_cell, chronic),
        "profile_coverage": coverage,
        "profile_names": profile_names(profiles),
        **where_paid(paid, last_full, min_cell, chronic, provinces or {}),
        "effect": dict(effect),
        **(scenario := run_scenario(current, draws, effect, cfg, seed)),
        "pilot_like": pilot_like(current, draws, effect, cfg, pilot_population, scenario["cases"], seed),
    }
