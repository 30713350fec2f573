"""Region totals of the warehouse stage: the detail (``parquet/summary.json``) and the headline metrics."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb
import pandas as pd

from pact_analysis.warehouse.indicators import risk_situations
from pact_analysis.warehouse.model import tables
from pact_analysis.warehouse.settings import BuildSettings

#: The stage's region totals, in ``data/warehouse/parquet`` (a DVC output; the headline figures are
#: ``metrics/warehouse.json``).
SUMMARY_FILE = "summary.json"


def stage_metrics(con: duckdb.DuckDBPyConnection, counts: dict[str, int], settings: BuildSettings) -> dict:
    """Row counts, persons known, persons per risk situation and candidates per action (region totals).

    Parameters
    ----------
    con : DuckDBPyConnection
        A built warehouse.
    counts : dict of str to int
        Rows per table (:func:`~.build.build`).
    settings : BuildSettings
        The build settings.

    Returns
    -------
    dict
        ``reference_date, rows, persons_known, persons_known_without_ceas,
        persons_by_risk_situation, candidates_by_community_action``.
    """
    per_situation = dict(
        con.execute("SELECT situation_code, COUNT(*) FROM person_risk GROUP BY 1 ORDER BY 1").fetchall()
    )
    per_action = dict(
        con.execute(
            "SELECT action_code, COUNT(DISTINCT person_key) FROM community_candidate GROUP BY 1"
        ).fetchall()
    )
    known, no_ceas = con.execute(
        "SELECT SUM(CASE WHEN known_at_reference THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN known_at_reference AND ceas_code IS NULL THEN 1 ELSE 0 END) FROM indicators"
    ).fetchall()[0]
    return {
        "reference_date": settings.reference.isoformat(),
        "rows": counts,
        "persons_known": int(known or 0),
        "persons_known_without_ceas": int(no_ceas or 0),
        "persons_by_risk_situation": {code: int(per_situation.get(code, 0)) for code in risk_situations()},
        "candidates_by_community_action": {code: int(per_action.get(code, 0)) for code in settings.actions},
    }


def region_summary(
    con: duckdb.DuckDBPyConnection,
    counts: dict[str, int],
    settings: BuildSettings,
    lists: pd.DataFrame,
    list_files: int,
) -> dict[str, Any]:
    """Return everything the stage counts: :func:`stage_metrics` and the lists' persons and files.

    Parameters
    ----------
    con : DuckDBPyConnection
        The built warehouse.
    counts : dict of str to int
        Rows per table (:func:`~.build.build`).
    settings : BuildSettings
        The build settings (reference date, community actions).
    lists : DataFrame
        :func:`~.lists.proactive_lists`.
    list_files : int
        Files written by :func:`~.lists.write_lists`.

    Returns
    -------
    dict
        :func:`stage_metrics` plus ``list_files`` and ``persons_on_lists`` (distinct persons).
    """
    return stage_metrics(con, counts, settings) | {
        "list_files": int(list_files),
        "persons_on_lists": int(lists["person_key"].nunique()),
    }


def headline_metrics(summary: Mapping[str, Any]) -> dict[str, int]:
    """Return the figures the warehouse stage is judged by (``metrics/warehouse.json``).

    Parameters
    ----------
    summary : mapping
        :func:`region_summary`.

    Returns
    -------
    dict
        ``persons`` (``dim_person`` rows), ``fact_rows`` (rows of every fact table),
        ``risk_situations_flagged`` (person-situation pairs, ``person_risk`` rows) and
        ``persons_on_lists``; the summary holds the rest (persons known, list files...).
    """
    facts = [t.name for t in tables() if t.kind == "fact"]
    return {
        "persons": int(summary["rows"]["dim_person"]),
        "fact_rows": int(sum(summary["rows"][name] for name in facts)),
        "risk_situations_flagged": int(sum(summary["persons_by_risk_situation"].values())),
        "persons_on_lists": int(summary["persons_on_lists"]),
    }
