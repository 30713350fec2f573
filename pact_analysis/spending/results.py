"""What the ``spending`` stage stores for the report, and the headline figures of ``metrics/spending.json``.

``data/spending/`` (the stage's DVC output, pseudonymous aggregates, never published as such) holds
one Parquet file per table of :data:`TABLES` and ``values.json`` (every scalar the report narrates,
:func:`values`). The notebook ``06_spending`` reads them back with :func:`load_results`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pact_analysis.io import write_json

#: Tables of :func:`pact_analysis.spending.analysis.analyse` that the report shows, stored as Parquet.
TABLES = (
    "yearly",
    "comparison",
    "by_province",
    "by_province_persons",
    "by_ceas",
    "by_profile",
    "last_year",
    "future",
    "years",
    "tornado",
    "inputs",
    "breakeven_line",
)


def _number(value: Any) -> float | None:
    """A float for JSON; None for NaN (a blanked, suppressed figure)."""
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def net_summary(result: Mapping[str, Any]) -> dict[str, Any]:
    """The scenario's discounted net over the horizon: estimate, simulated median and 95% interval.

    Returns
    -------
    dict
        ``estimate`` (at the defaults), ``median``, ``ci_low``, ``ci_high`` and
        ``probability_saving`` (share of draws with a net saving); None without draws.
    """
    sims = np.asarray(result["simulated"], dtype=float)
    some = bool(sims.size)
    return {
        "estimate": float(result["years"]["discounted_net_eur"].sum()),
        "median": float(np.median(sims)) if some else None,
        "ci_low": float(np.quantile(sims, 0.025)) if some else None,
        "ci_high": float(np.quantile(sims, 0.975)) if some else None,
        "probability_saving": float((sims > 0).mean()) if some else None,
    }


def net_cost(net: Mapping[str, Any]) -> dict[str, Any]:
    """The net as a cost (positive = cost), its 95% interval in the same sign, and P(net saving).

    Parameters
    ----------
    net : mapping
        :func:`net_summary` (saving minus cost).

    Returns
    -------
    dict
        ``estimate``, ``ci_low``, ``ci_high`` (as costs: positive is a cost), ``probability_saving``,
        and ``median`` (as a cost) when ``net`` has one.
    """

    def cost(value: Any) -> float | None:
        return None if value is None else -float(value)

    out = {
        "estimate": cost(net["estimate"]),
        "ci_low": cost(net["ci_high"]),
        "ci_high": cost(net["ci_low"]),
        "probability_saving": net["probability_saving"],
    }
    return out | ({"median": cost(net["median"])} if "median" in net else {})


#: Columns of the stored tables that hold a net (saving minus cost), and the name of the same figure
#: stored as a net *cost* (positive = cost), the one sign convention of the report and its files.
NET_COST_COLUMNS = {
    "years": {"net_eur": "net_cost_eur", "discounted_net_eur": "discounted_net_cost_eur"},
    "tornado": {"net_low_eur": "net_cost_low_eur", "net_high_eur": "net_cost_high_eur"},
    "breakeven_line": {"net_eur": "net_cost_eur"},
}


def as_net_cost(name: str, table: pd.DataFrame) -> pd.DataFrame:
    """A stored table with each net (saving minus cost) turned into a net cost (positive = cost).

    Parameters
    ----------
    name : str
        The table's name in :data:`TABLES`; tables without a net are returned as they are.
    table : DataFrame
        The table as :func:`pact_analysis.spending.analysis.analyse` computes it.

    Returns
    -------
    DataFrame
        The same rows, the columns of :data:`NET_COST_COLUMNS` negated and renamed.
    """
    columns = NET_COST_COLUMNS.get(name, {})
    if not columns:
        return table
    out = table.copy()
    for column in columns:
        out[column] = -out[column] + 0.0  # no "-0" where the net is zero
    return out.rename(columns=columns)


def metrics(result: Mapping[str, Any]) -> dict[str, Any]:
    """``metrics/spending.json``: the headline figures the analysis is judged by.

    Parameters
    ----------
    result : mapping
        :func:`pact_analysis.spending.analysis.analyse`.

    Returns
    -------
    dict
        ``registry_total_eur`` (paid by the registry), ``future_5y_eur`` (expected spending on
        today's recipients over the horizon), ``cases`` (alerted recipients), ``effect`` (the
        pilot's estimate and its ``source``), ``net_cost`` (the scenario's discounted net *cost*
        over the horizon, one sign convention: positive is a cost; ``estimate``, ``ci_low``,
        ``ci_high`` and ``probability_saving``),
        ``break_even_effect``, ``by_profile`` (spending in the last full year on households by
        the head's profile, ``no_profile`` and ``other`` included when shown, EUR; None where
        suppressed) and ``pilot_like`` (the scenario for recipients like the participants:
        ``net_cost`` and ``break_even_effect``; None without the pilot), ``backtest_error`` (relative
        error, ``predicted / observed - 1``, of the spending predicted for the ``backtest_months``
        after a cut-off that many months before the extraction date: the latest origin of
        :func:`~pact_analysis.spending.backtest.rolling_backtests`). The rest, the backtest's
        figures included, is in ``data/spending/values.json``.
    """
    net = net_summary(result)
    return {
        "registry_total_eur": float(result["registry_total"]),
        "future_5y_eur": float(result["future"].loc["total", "expected_eur"]),
        "cases": int(result["cases"]),
        "effect": {k: result["effect"][k] for k in ("estimate", "source")},
        "net_cost": net_cost({k: v for k, v in net.items() if k != "median"}),  # the median: values.json
        "break_even_effect": float(result["break_even"]),
        "by_profile": {str(p): _number(v) for p, v in result["by_profile"]["spending_eur"].items()},
        "pilot_like": _pilot_like_headline(pilot_like_summary(result.get("pilot_like"))),
        "backtest_error": _number(result["backtests"][0]["relative_error"]),
    }


def _pilot_like_headline(summary: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``net_cost`` (estimate) and ``break_even_effect`` of the pilot-like scenario, for the metrics."""
    if summary is None:
        return None
    return {"net_cost": summary["net_cost"]["estimate"], "break_even_effect": summary["break_even_effect"]}


def values(result: Mapping[str, Any]) -> dict[str, Any]:
    """Every scalar the report narrates (``data/spending/values.json``).

    Returns
    -------
    dict
        ``cfg`` (the spending parameters used), ``chronicity`` (``alert_threshold``,
        ``alert_top_k``, ``alerts_withheld``, ``validated_landmarks`` (empty: the alerts are withheld
        because no landmark is validated), ``landmark_month`` (where the model scores when none is),
        ``horizon_month``, ``first_landmark``), ``registry_total_eur``, ``scale``, ``last_full``,
        ``mean_amount_eur`` (per month paid), ``top_share``, ``n_ceas``, ``effect`` (with
        ``not_delivered``), ``cases``, ``break_even_effect``, ``net_cost_5y_eur`` (:func:`net_summary`
        as a net cost, :func:`net_cost`: positive is a cost, as in ``metrics/spending.json``),
        ``net_cost_5y_eur_regional_scale``, ``tornado_base_net_cost_eur`` and ``tornado_effect`` (the
        net cost and the effect, the break-even one, at which the tornado is drawn), ``profile_names``,
        ``profile_coverage`` (shares of the last full year's heads and spending with a profile:
        :func:`~pact_analysis.spending.by_profile.profile_coverage`) and ``overlapping_head_months``
        (head-months held by two or more overlapping spells of the head, paid once:
        :func:`~pact_analysis.spending.paid.overlapping_head_months`), ``pilot_like``,
        ``future_exits_only`` (the total's interval without the model's uncertainty:
        :func:`~pact_analysis.spending.analysis.forecast`), ``backtest`` (the latest origin,
        :func:`~pact_analysis.spending.backtest.backtest`), ``backtests`` (every rolling origin,
        :func:`~pact_analysis.spending.backtest.rolling_backtests`) and ``backtest_horizon``
        (:func:`~pact_analysis.spending.backtest.horizon_backtest`; None when the records are short).
    """
    chron = result["chronicity"]
    cost = net_cost(net_summary(result))
    factor = float(result["scale"]["factor"])
    return {
        "cfg": dict(result["cfg"]),
        "chronicity": {
            "alert_threshold": chron.get("alert_threshold"),
            "alert_top_k": chron.get("alert_top_k"),
            "alerts_withheld": bool(chron.get("alerts_withheld")),
            "validated_landmarks": [float(m) for m in chron.get("validated_landmarks") or []],
            "landmark_month": chron.get("landmark_month"),
            "horizon_month": chron["horizon_month"],
            "first_landmark": min(chron.get("landmarks") or [chron["landmark_month"]]),
        },
        "registry_total_eur": float(result["registry_total"]),
        "scale": dict(result["scale"]),
        "last_full": int(result["last_full"]),
        "mean_amount_eur": float(result["paid"]["amount_eur"].mean()),
        "top_share": float(result["top_share"]),
        "n_ceas": int(result["n_ceas"]),
        "effect": dict(result["effect"]),
        "cases": int(result["cases"]),
        "break_even_effect": float(result["break_even"]),
        "net_cost_5y_eur": cost,
        "net_cost_5y_eur_regional_scale": {
            k: None if cost[k] is None else cost[k] * factor for k in ("estimate", "ci_low", "ci_high")
        },
        # the net cost at the break-even effect: zero but for rounding (no "-0")
        "tornado_base_net_cost_eur": round(-float(result["tornado"].attrs["base"]), 2) + 0.0,
        "tornado_effect": float(result["tornado"].attrs["at_effect"]),
        "profile_names": dict(result["profile_names"]),
        "profile_coverage": {
            k: v if isinstance(v, int) else _number(v) for k, v in result["profile_coverage"].items()
        },
        "overlapping_head_months": int(result["overlapping_head_months"]),
        "pilot_like": pilot_like_summary(result.get("pilot_like")),
        "future_exits_only": dict(result["future_exits_only"]),
        "backtest": dict(result["backtests"][0]),
        "backtests": [dict(b) for b in result["backtests"]],
        "backtest_horizon": None
        if result.get("backtest_horizon") is None
        else dict(result["backtest_horizon"]),
    }


def pilot_like_summary(scenario: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The scenario for recipients like the pilot's participants: months, net cost (one sign) and break-even.

    Parameters
    ----------
    scenario : mapping or None
        :func:`pact_analysis.spending.analysis.pilot_like`.
    """
    if scenario is None:
        return None
    sims = np.asarray(scenario["simulated"], dtype=float)
    net = {
        "estimate": scenario["net_eur"],
        "ci_low": float(np.quantile(sims, 0.025)),
        "ci_high": float(np.quantile(sims, 0.975)),
        "probability_saving": float((sims > 0).mean()),
    }
    keys = ("months_participants", "months_alerted", "effective_n")
    return {k: scenario[k] for k in keys} | {
        "net_cost": net_cost(net),
        "break_even_effect": float(scenario["break_even"]),
    }


def _storable(table: pd.DataFrame) -> pd.DataFrame:
    """Column labels as strings (Parquet needs them; the years of a crosstab are numbers)."""
    return table.rename(columns=str)


def save_results(folder: Path, result: Mapping[str, Any]) -> None:
    """Write the report's tables, the scenario's draws and :func:`values` into ``folder``.

    Every net is stored as a net cost, positive = cost (:func:`as_net_cost`), the sign of
    ``metrics/spending.json``.

    Parameters
    ----------
    folder : Path
        An empty folder (the stage's temporary ``data/spending``).
    result : mapping
        :func:`pact_analysis.spending.analysis.analyse`.
    """
    folder = Path(folder)
    for name in TABLES:  # every net stored as a net cost (positive = cost)
        _storable(as_net_cost(name, result[name])).to_parquet(folder / f"{name}.parquet")
    avoided = np.atleast_2d(result["avoided"])
    pd.DataFrame(avoided, columns=[str(y) for y in range(1, avoided.shape[1] + 1)]).rename_axis(
        "draw"
    ).to_parquet(folder / "avoided.parquet")
    pd.DataFrame({"net_cost_eur": -np.asarray(result["simulated"], dtype=float) + 0.0}).to_parquet(
        folder / "simulated.parquet"
    )
    write_json(folder / "values.json", values(result))


def load_results(folder: Path) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Read what :func:`save_results` wrote.

    Parameters
    ----------
    folder : Path
        ``data/spending`` (:attr:`pact_analysis.paths.Paths.spending`).

    Returns
    -------
    (dict of DataFrame, dict)
        The tables of :data:`TABLES` plus ``avoided`` (draws x years, row 0 the estimate) and
        ``simulated`` (``net_cost_eur``, one net cost per draw), every net a net cost (positive = cost,
        :func:`as_net_cost`); and :func:`values`.
    """
    folder = Path(folder)
    names = (*TABLES, "avoided", "simulated")
    tables = {name: pd.read_parquet(folder / f"{name}.parquet") for name in names}
    return tables, json.loads((folder / "values.json").read_text(encoding="utf-8"))
