"""Lists for proactive work: per CEAS, the persons in each risk situation and the candidates for
community actions, with their reasons (pseudonymous, never published)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from pact_analysis.io import progress
from pact_analysis.warehouse.indicators import risk_situations


def _labels(codes: list[str], language: str) -> str:
    situations = risk_situations()
    return "; ".join(situations[c].get(language, situations[c]["en"]) for c in codes)


def proactive_lists(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Return the lists for proactive work: one row per person and risk situation or community action.

    Parameters
    ----------
    con : DuckDBPyConnection
        A built warehouse.

    Returns
    -------
    DataFrame
        ``ceas_code, province_code, person_key, list`` (``risk_situation`` or ``community_action``),
        ``code`` (situation or action), ``reason_codes`` (risk situations, ``;``-separated),
        ``reason_es``, ``reason_en``; sorted.
    """
    risk = con.execute(
        "SELECT i.ceas_code, i.province_code, r.person_key, r.situation_code AS code "
        "FROM person_risk r JOIN indicators i ON i.person_key = r.person_key"
    ).df()
    risk = risk.assign(list="risk_situation", reasons=risk["code"].map(lambda c: [c]))
    action = con.execute(
        "SELECT i.ceas_code, i.province_code, c.person_key, c.action_code AS code, c.situation_code "
        "FROM community_candidate c JOIN indicators i ON i.person_key = c.person_key"
    ).df()
    keys = ["ceas_code", "province_code", "person_key", "code"]
    action = (
        action.sort_values("situation_code")
        .groupby(keys, dropna=False, sort=False)["situation_code"]
        .agg(list)
        .rename("reasons")
        .reset_index()
        .assign(list="community_action")
    )
    out = pd.concat([risk, action], ignore_index=True)
    out["reason_codes"] = out["reasons"].map(";".join)
    out["reason_es"] = out["reasons"].map(lambda c: _labels(c, "es"))
    out["reason_en"] = out["reasons"].map(lambda c: _labels(c, "en"))
    columns = [*keys[:3], "list", "code", "reason_codes", "reason_es", "reason_en"]
    return out[columns].sort_values(["ceas_code", "list", "code", "person_key"], ignore_index=True)


def list_file_name(ceas_code: Any, province_code: Any) -> str:
    """File name of one list: ``<ceas_code>.csv``, or ``NO_CEAS_<province>.csv`` for persons without one.

    Parameters
    ----------
    ceas_code : str or None
        The person's CEAS.
    province_code : str or None
        Their province.

    Returns
    -------
    str
    """
    if pd.notna(ceas_code):
        return f"{ceas_code}.csv"
    return f"NO_CEAS_{province_code if pd.notna(province_code) else 'XX'}.csv"


def write_lists(lists: pd.DataFrame, folder: Path) -> int:
    """Write one CSV per CEAS (and per province for persons without a CEAS); return the file count.

    Parameters
    ----------
    lists : DataFrame
        :func:`proactive_lists`.
    folder : Path
        Output folder (``paths.warehouse_lists``; created if missing).

    Returns
    -------
    int
        Files written.
    """
    folder.mkdir(parents=True, exist_ok=True)
    names = [list_file_name(c, p) for c, p in zip(lists["ceas_code"], lists["province_code"], strict=True)]
    groups = lists.groupby(pd.Series(names, index=lists.index), sort=True)
    for name, part in progress(groups, desc="warehouse: lists", total=groups.ngroups):
        part.to_csv(folder / name, index=False)
    return groups.ngroups
