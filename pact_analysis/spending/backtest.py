"""Backtest of the future-spending prediction: fitted at an earlier date, checked against what was paid.

The data are cut at an earlier date (:func:`known_at`: records after it dropped, files and contracts
still open at it censored there); the remaining-time model (:func:`~pact_analysis.spending.future.fit_remaining`)
is fitted on the episodes known then, and its prediction of the following months' spending on the
recipients of that date (:func:`~pact_analysis.spending.future.future_spending`, the same function
and interval as the published forecast) is compared with what the registry then paid on those
episodes (:func:`observed_spending`). The relative error is ``predicted / observed - 1``
(:func:`backtest`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pandas as pd

from pact_analysis import chronicity as ch
from pact_analysis.errors import StageError
from pact_analysis.spending.future import current_recipients, fit_remaining, future_spending, parameter_draws
from pact_analysis.spending.paid import month_index

log = logging.getLogger(__name__)

#: Date column of each table's rows: rows dated after the cut-off were not known then.
DATED = {
    "rgc_spells": "start_date",
    "employment_episodes": "start_date",
    "sauss_interventions": "date",
    "ngo_attention": "date",
}
#: Columns blanked when a row ends after the cut-off (still open then).
ENDS = {"rgc_spells": ("end_date", "exit_reason"), "employment_episodes": ("end_date",)}


def known_at(tables: Mapping[str, pd.DataFrame], cutoff: Any) -> dict[str, pd.DataFrame]:
    """The tables as they stood at ``cutoff``.

    Rows of :data:`DATED` tables dated after the cut-off are dropped; files and contracts ending after
    it are open then (:data:`ENDS` blanked); ``rgc_members`` keeps the members of the files kept.
    Persons' attributes and the CEAS directory are taken as they are.

    Parameters
    ----------
    tables : mapping of DataFrame
        The linked tables (:data:`pact_analysis.chronicity.SCORING_TABLES`).
    cutoff : date-like
        The earlier date.

    Returns
    -------
    dict of DataFrame
    """
    cut = pd.Timestamp(cutoff)
    out = dict(tables)
    for name, column in DATED.items():
        if name not in out:
            continue
        table = out[name].loc[pd.to_datetime(out[name][column]) <= cut].copy()
        if name in ENDS:
            later = (pd.to_datetime(table["end_date"]) > cut).to_numpy()
            table.loc[later, list(ENDS[name])] = None
            table["end_date"] = pd.to_datetime(table["end_date"])
        out[name] = table
    if "rgc_members" in out:
        out["rgc_members"] = out["rgc_members"].loc[
            out["rgc_members"]["file_id"].isin(out["rgc_spells"]["file_id"])
        ]
    return out


def observed_spending(paid: pd.DataFrame, current: pd.DataFrame, cutoff: Any, months: int) -> float:
    """What the registry paid in the ``months`` calendar months after ``cutoff`` on the episodes open at it.

    Parameters
    ----------
    paid : DataFrame
        :func:`~pact_analysis.spending.paid.payments` of the whole data, with ``spell_month`` counted
        from the episode's start.
    current : DataFrame
        :func:`~pact_analysis.spending.future.current_recipients` at the cut-off (``person_key``,
        ``start_date`` of the open episode).
    cutoff : date-like
        The earlier date (a month's end).
    months : int
        Calendar months after the cut-off's month.

    Returns
    -------
    float
        EUR paid on those episodes (later episodes of the same heads, after an exit, not counted).
    """
    month = month_index(paid["month"])
    first = int(month_index(pd.Series([pd.Timestamp(cutoff)])).iloc[0]) + 1
    start = month_index(current["start_date"]).set_axis(current["person_key"].to_numpy())
    same_episode = paid["person_key"].map(start) == month - paid["spell_month"] + 1
    window = (month >= first) & (month < first + int(months))
    return float(paid.loc[window & same_episode, "amount_eur"].sum())


def backtest(
    tables: Mapping[str, pd.DataFrame],
    paid: pd.DataFrame,
    params: Mapping[str, Any],
    months: int,
    draws: int,
    seed: int = 0,
    earlier: int = 0,
) -> dict[str, Any]:
    """Fit the remaining-time model ``months`` (plus ``earlier``) before the extraction date and check
    its prediction of the ``months`` that follow.

    Parameters
    ----------
    tables : mapping of DataFrame
        The linked tables of the whole data.
    paid : DataFrame
        :func:`~pact_analysis.spending.paid.payments` of the whole data (episodes of the whole data).
    params : mapping
        Project parameters (``data.extraction_date``, ``chronicity``).
    months : int
        Months between the cut-off and the extraction date, and the months predicted.
    draws : int
        Parameter draws of the prediction interval (:func:`~pact_analysis.spending.future.parameter_draws`).
    seed : int
        Seed of the draws and of the simulated exits.
    earlier : int
        Months further back than ``months`` before the extraction date (a rolling origin,
        :func:`rolling_backtests`).

    Returns
    -------
    dict
        ``cutoff`` (ISO date), ``months``, ``persons`` (recipients at the cut-off), ``predicted_eur``,
        ``lower_eur`` and ``upper_eur`` (95% prediction interval), ``observed_eur``,
        ``relative_error`` (``predicted / observed - 1``) and ``inside`` (the observed within the
        interval).
    """
    cutoff = pd.Timestamp(params["data"]["extraction_date"]) - pd.DateOffset(
        months=int(months) + int(earlier)
    )
    then = dict(params) | {"data": dict(params["data"]) | {"extraction_date": str(cutoff.date())}}
    known = known_at(tables, cutoff)
    episodes = ch.exit_dataset(ch.build_spells(known, then), known, then)
    current = current_recipients(episodes, known["rgc_spells"]).assign(everyone="all")
    model_draws = parameter_draws(fit_remaining(episodes), draws, seed)
    predicted = future_spending(current, model_draws, int(months), "everyone", seed=seed).loc["total"]
    observed = observed_spending(paid, current, cutoff, months)
    low, high = float(predicted["lower_eur"]), float(predicted["upper_eur"])
    return {
        "cutoff": str(cutoff.date()),
        "months": int(months),
        "persons": int(predicted["persons"]),
        "predicted_eur": float(predicted["expected_eur"]),
        "lower_eur": low,
        "upper_eur": high,
        "observed_eur": observed,
        "relative_error": float(predicted["expected_eur"]) / observed - 1 if observed > 0 else None,
        "inside": bool(low <= observed <= high),
    }


def records_begin(tables: Mapping[str, pd.DataFrame]) -> pd.Timestamp:
    """The first ``rgc_spells`` start: where the benefit records begin."""
    return pd.to_datetime(tables["rgc_spells"]["start_date"]).min()


def history_months(tables: Mapping[str, pd.DataFrame], cutoff: Any) -> float:
    """Months of benefit records before ``cutoff`` (from :func:`records_begin`)."""
    return float((pd.Timestamp(cutoff) - records_begin(tables)).days / ch.DAYS_PER_MONTH)


def horizon_backtest(
    tables: Mapping[str, pd.DataFrame],
    paid: pd.DataFrame,
    params: Mapping[str, Any],
    months: int,
    draws: int,
    least: int,
    seed: int = 0,
) -> dict[str, Any] | None:
    """The backtest over the forecast's whole horizon: cut off ``months`` before the extraction date.

    Parameters
    ----------
    tables, paid, params, draws, seed
        As :func:`backtest`.
    months : int
        The forecast's horizon in months.
    least : int
        Months of records needed before the cut-off (``spending.backtest_min_history_months``).

    Returns
    -------
    dict or None
        :func:`backtest` with ``history_months``; None when the records before the cut-off are
        fewer than ``least`` months.
    """
    cutoff = pd.Timestamp(params["data"]["extraction_date"]) - pd.DateOffset(months=int(months))
    history = history_months(tables, cutoff)
    if history < least:
        log.info("spending: no backtest of the whole horizon (%.0f months of records before it)", history)
        return None
    return backtest(tables, paid, params, months, draws, seed) | {"history_months": history}


def rolling_backtests(
    tables: Mapping[str, pd.DataFrame],
    paid: pd.DataFrame,
    params: Mapping[str, Any],
    months: int,
    draws: int,
    origins: int,
    step: int,
    least: int,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """The backtest repeated at rolling origins: cut-offs ``months``, ``months + step``, ... before
    the extraction date, each predicting the ``months`` that follow (all inside the data).

    One origin is one draw of whatever shock the years it spans had; several show how far the error
    moves from one origin to the next. Their windows overlap, so they are not independent checks.

    Parameters
    ----------
    tables, paid, params, months, draws, seed
        As :func:`backtest`.
    origins : int
        Number of cut-offs (``spending.backtest_origins``).
    step : int
        Months between successive cut-offs (``spending.backtest_step_months``).
    least : int
        Months of records needed before the earliest cut-off (``spending.backtest_min_history_months``).

    Returns
    -------
    list of dict
        :func:`backtest` of each origin, the latest first.

    Raises
    ------
    StageError
        When the earliest cut-off has fewer than ``least`` months of records before it.
    """
    earliest = pd.Timestamp(params["data"]["extraction_date"]) - pd.DateOffset(
        months=int(months) + (int(origins) - 1) * int(step)
    )
    if history_months(tables, earliest) < least:
        raise StageError(
            f"params.yaml: spending.backtest_origins = {origins} (every {step} months) puts the earliest "
            f"backtest cut-off at {earliest.date()}, but the benefit records begin on "
            f"{records_begin(tables).date()} and "
            f"spending.backtest_min_history_months asks {least} months of them before it: fewer origins or a "
            f"shorter step"
        )
    out = []
    for k in range(int(origins)):
        out.append(backtest(tables, paid, params, months, draws, seed, earlier=k * int(step)))
        log.info("spending: backtest %d of %d (cut-off %s) done", k + 1, int(origins), out[-1]["cutoff"])
    return out
