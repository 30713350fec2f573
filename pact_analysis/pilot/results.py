"""The ``pilot`` stage's results in ``data/pilot``: written once, read by report ``05_pilot_evaluation``.

``data/pilot/`` holds one parquet file per result table (:data:`TABLES`, and ``validation`` on a
synthetic region) and ``results.json`` with the scalars: ``available`` (false, with ``not_delivered``,
when the pilot's extracts were not delivered), the power figures, the heterogeneity interaction, the
imputation pooling and ``exit_12m`` (the effect on leaving the RGC within 12 months, with its 95%
interval, read by the spending scenario). Nothing there names a person: ``completers`` keeps only the
group, chronicity and change of each participant or comparison person followed up.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from pact_analysis.io import atomic_dir, write_json

#: The scalars file of ``data/pilot``.
RESULTS_FILE = "results.json"
#: Result tables of :func:`pact_analysis.pilot.evaluate` written as parquet (``validation`` too when present).
TABLES = (
    "flow",
    "paired",
    "factors",
    "ancova",
    "did",
    "mdtse_balance",
    "admin",
    "admin_check",
    "balance",
    "e_values",
    "improved",
    "reliable_improved",
    "agree_users",
    "agree_professionals",
    "verdicts",
)
#: Scalars and small dicts of the evaluation kept in ``results.json``.
VALUES = (
    "pool_sizes",
    "recipients",
    "icc",
    "power",
    "max_abs_smd",
    "max_variance_ratio_deviation",
    "balanced",
    "empowerment_gap",
    "heterogeneity",
    "rtm_comparison",
    "rtm_pilot",
    "baseline_interaction",
    "improved_effect",
    "reliability",
    "imputed",
    "sd_baseline",
    "participants_months",
    "baseline_delay_days",
)
#: Columns of the persons followed up that the report draws (mean change per band of chronicity).
COMPLETER_COLUMNS = ["group", "chronicity", "change_living"]
#: The interval of an effect as the spending scenario reads it.
INTERVAL = ("estimate", "ci_low", "ci_high")


def result_tables(result: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """Return the evaluation's tables as they are stored, by file name.

    Parameters
    ----------
    result : dict
        :func:`pact_analysis.pilot.evaluate` output.

    Returns
    -------
    dict of str to DataFrame
        :data:`TABLES`, ``validation`` (synthetic region), ``mixed`` (one row per dimension, in
        order) and ``completers`` (:data:`COMPLETER_COLUMNS` of the persons followed up).
    """
    tables = {name: result[name] for name in (*TABLES, "validation") if name in result}
    tables["mixed"] = pd.DataFrame.from_dict(result["mixed"], orient="index")
    people = result["people"]
    tables["completers"] = people.loc[people["completed"] == 1, COMPLETER_COLUMNS].reset_index(drop=True)
    return tables


def result_values(result: dict[str, Any]) -> dict[str, Any]:
    """Return the evaluation's scalars for ``results.json`` (``available`` true, ``exit_12m`` included).

    Parameters
    ----------
    result : dict
        :func:`pact_analysis.pilot.evaluate` output.
    """
    values = {name: _plain(result[name]) for name in VALUES}
    exit_12m = {k: float(result["admin"].loc["exit_12m", k]) for k in INTERVAL}
    bench = coverage_summary(result.get("coverage_benchmark"))
    return {
        "available": True,
        "not_delivered": [],
        "exit_12m": exit_12m,
        "coverage_benchmark": bench,
    } | values


def coverage_summary(bench: dict[str, Any] | None) -> dict[str, Any] | None:
    """The coverage figures of a *complete* ``benchmarks/pilot_coverage.json`` (None otherwise).

    A checkpoint of an interrupted benchmark (``complete`` false) is no coverage figure: it is refused.
    """
    if not bench or not bench.get("complete"):
        return None
    keys = ("coverage", "coverage_replications", "coverage_mc_se", "coverage_cr2_fixed_weights", "intervals")
    return {k: bench.get(k) for k in keys}


def _plain(value: Any) -> Any:
    """A JSON value of the same number: numpy scalars as Python ones, dicts and lists element-wise."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value.item() if hasattr(value, "item") else value


def save_results(folder: Path, result: dict[str, Any]) -> None:
    """Write the evaluation to ``folder`` (``data/pilot``) atomically: tables as parquet, ``results.json``.

    Parameters
    ----------
    folder : Path
        The stage's output folder (``paths.pilot``).
    result : dict
        :func:`pact_analysis.pilot.evaluate` output.
    """
    with atomic_dir(folder) as tmp:
        for name, table in result_tables(result).items():
            table.to_parquet(tmp / f"{name}.parquet")
        write_json(tmp / RESULTS_FILE, result_values(result))


def save_unavailable(folder: Path, missing: list[str]) -> None:
    """Write a ``data/pilot`` that says the pilot was not evaluated, and which extracts are missing.

    Parameters
    ----------
    folder : Path
        The stage's output folder (``paths.pilot``).
    missing : list of str
        The files that were not delivered (``pilot_assignment.csv``...).
    """
    with atomic_dir(folder) as tmp:
        write_json(tmp / RESULTS_FILE, unavailable_record(missing))


def unavailable_record(missing: list[str]) -> dict[str, Any]:
    """The record of a pilot that could not be evaluated: ``{"available": false, "not_delivered": [...]}``."""
    return {"available": False, "not_delivered": list(missing)}


def read_values(folder: Path) -> dict[str, Any]:
    """Read ``results.json`` of ``data/pilot``.

    Parameters
    ----------
    folder : Path
        The stage's output folder (``paths.pilot``).

    Raises
    ------
    FileNotFoundError
        If the ``pilot`` stage has not run.
    """
    return json.loads((Path(folder) / RESULTS_FILE).read_text(encoding="utf-8"))


def not_evaluated(folder: Path) -> list[str]:
    """Return the extracts whose absence kept the pilot from being evaluated (empty when it was).

    Parameters
    ----------
    folder : Path
        The stage's output folder (``paths.pilot``).
    """
    values = read_values(folder)
    return [] if values.get("available", True) else list(values["not_delivered"])


def load_results(folder: Path) -> dict[str, Any]:
    """Read the evaluation back in the shape :func:`pact_analysis.pilot.evaluate` returned it.

    Tables come back with the same index, columns and dtypes; ``mixed`` as a dict per dimension (in
    order); ``completers`` replaces ``people`` (only the columns the report draws).

    Parameters
    ----------
    folder : Path
        The stage's output folder (``paths.pilot``).

    Raises
    ------
    ValueError
        If the pilot was not evaluated (its extracts were not delivered).
    """
    folder = Path(folder)
    values = read_values(folder)
    if not values.get("available", True):
        raise ValueError(f"{folder}: the pilot was not evaluated; not delivered: {values['not_delivered']}")
    tables = {p.stem: pd.read_parquet(p) for p in sorted(folder.glob("*.parquet"))}
    tables["mixed"] = tables["mixed"].to_dict(orient="index")
    return values | tables


def headline(result: dict[str, Any], bench: dict[str, Any] | None) -> dict[str, Any]:
    """The figures of ``metrics/pilot.json``: coverage (from the benchmark), balance, heterogeneity, verdicts.

    Parameters
    ----------
    result : dict
        :func:`pact_analysis.pilot.evaluate` output.
    bench : dict, optional
        ``benchmarks/pilot_coverage.json`` (coverage of the primary intervals over replications of
        the pilot design with CEAS and assessor effects and linkage error), if it exists. One region's
        own intervals are too few and too dependent to be a coverage figure: they stay in
        ``data/pilot/validation.parquet``.

    Returns
    -------
    dict
        ``coverage``, ``coverage_replications`` and ``coverage_mc_se`` (None without a complete
        benchmark), ``exit_12m`` (the effect on leaving the RGC within 12 months, with its interval),
        ``max_abs_smd`` and ``max_variance_ratio_deviation`` (largest ``|log variance ratio|``) of the
        administrative comparison, ``heterogeneity`` (``estimate`` and, on a synthetic region,
        ``truth``), ``heterogeneity_detected`` (its interval lies above 0) and ``verdicts``.
    """
    het = result["heterogeneity"]
    bench = coverage_summary(bench) or {}
    return {
        "coverage": bench.get("coverage"),
        "coverage_replications": bench.get("coverage_replications"),
        "coverage_mc_se": bench.get("coverage_mc_se"),
        "exit_12m": {k: float(result["admin"].loc["exit_12m", k]) for k in INTERVAL},
        "max_abs_smd": result["max_abs_smd"],
        "max_variance_ratio_deviation": result["max_variance_ratio_deviation"],
        "heterogeneity": {k: het[k] for k in ("estimate", "truth") if k in het},
        "heterogeneity_detected": bool(het["ci_low"] > 0),
        "verdicts": verdict_metrics(result["verdicts"]),
    }


def verdict_metrics(table: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """One entry per claim: ``estimate``, ``ci`` ([low, high]; None when suppressed), ``rule``, ``verdict``
    and ``verdict_strict``."""

    def number(value: Any) -> float | None:
        return None if pd.isna(value) else float(value)

    out = {}
    for claim, row in table.iterrows():
        out[claim] = {
            "estimate": number(row["estimate"]),
            "ci": [number(row["ci_low"]), number(row["ci_high"])],
            "rule": row["rule"],
            "verdict": row["verdict"],
            "verdict_strict": row["verdict_strict"],
        }
    return out
