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
        pilot's estimate and its ``source``), ``net_5y_eur`` (the scenario's discounted net:
        estimate and 95% interval),
        ``break_even_effect`` and ``by_profile`` (spending in the last full year on households by
        the head's profile, ``no_profile`` and ``other`` included when shown, EUR; None where
        suppressed). The rest is in ``data/spending/values.json``.
    """
    net = net_summary(result)
    return {
        "registry_total_eur": float(result["registry_total"]),
        "future_5y_eur": float(result["future"].loc["total", "expected_eur"]),
        "cases": int(result["cases"]),
        "effect": {k: result["effect"][k] for k in ("estimate", "source")},
        "net_5y_eur": {k: net[k] for k in ("estimate", "ci_low", "ci_high")},
        "break_even_effect": float(result["break_even"]),
        "by_profile": {str(p): _number(v) for p, v in result["by_profile"]["spending_eur"].items()},
    }


def values(result: Mapping[str, Any]) -> dict[str, Any]:
    """Every scalar the report narrates (``data/spending/values.json``).

    Returns
    -------
    dict
        ``cfg`` (the spending parameters used), ``chronicity`` (``alert_threshold``,
        ``horizon_month``, ``first_landmark``), ``registry_total_eur``, ``scale``, ``last_full``,
        ``mean_amount_eur`` (per month paid), ``top_share``, ``n_ceas``, ``effect`` (with
        ``not_delivered``), ``cases``, ``break_even_effect``, ``net_5y_eur`` (:func:`net_summary`),
        ``net_5y_eur_regional_scale``, ``tornado_base_eur``, ``profile_names``,
        ``profile_coverage`` (shares of the last full year's heads and spending with a profile:
        :func:`~pact_analysis.spending.by_profile.profile_coverage`) and ``overlapping_head_months``
        (head-months paid by two or more overlapping spells of the head, each counted:
        :func:`~pact_analysis.spending.paid.overlapping_head_months`).
    """
    chron = result["chronicity"]
    net = net_summary(result)
    factor = float(result["scale"]["factor"])
    return {
        "cfg": dict(result["cfg"]),
        "chronicity": {
            "alert_threshold": chron.get("alert_threshold"),
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
        "net_5y_eur": net,
        "net_5y_eur_regional_scale": {
            k: None if net[k] is None else net[k] * factor for k in ("estimate", "ci_low", "ci_high")
        },
        "tornado_base_eur": float(result["tornado"].attrs["base"]),
        "profile_names": dict(result["profile_names"]),
        "profile_coverage": {
            k: v if isinstance(v, int) else _number(v) for k, v in result["profile_coverage"].items()
        },
        "overlapping_head_months": int(result["overlapping_head_months"]),
    }


def _storable(table: pd.DataFrame) -> pd.DataFrame:
    """Column labels as strings (Parquet needs them; the years of a crosstab are numbers)."""
    return table.rename(columns=str)


def save_results(folder: Path, result: Mapping[str, Any]) -> None:
    """Write the report's tables, the scenario's draws and :func:`values` into ``folder``.

    Parameters
    ----------
    folder : Path
        An empty folder (the stage's temporary ``data/spending``).
    result : mapping
        :func:`pact_analysis.spending.analysis.analyse`.
    """
    folder = Path(folder)
    for name in TABLES:
        _storable(result[name]).to_parquet(folder / f"{name}.parquet")
    avoided = np.atleast_2d(result["avoided"])
    pd.DataFrame(avoided, columns=[str(y) for y in range(1, avoided.shape[1] + 1)]).rename_axis(
        "draw"
    ).to_parquet(folder / "avoided.parquet")
    pd.DataFrame({"net_eur": np.asarray(result["simulated"], dtype=float)}).to_parquet(
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
        ``simulated`` (one net per draw); and :func:`values`.
    """
    folder = Path(folder)
    names = (*TABLES, "avoided", "simulated")
    tables = {name: pd.read_parquet(folder / f"{name}.parquet") for name in names}
    return tables, json.loads((folder / "values.json").read_text(encoding="utf-8"))
