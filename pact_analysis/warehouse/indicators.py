"""The risk indicator SQL: the codebook's risk situations, community-action criteria, counts per unit.

The per-person ``indicators`` are in ``sql/indicators.sql`` and the star schema in ``sql/star.sql``
(:func:`sql_blocks`); the rules of the risk situations are the codebook's (:func:`risk_situations`),
and the SELECTs built from them here are standard SQL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import duckdb
import pandas as pd

from pact_analysis import codebook
from pact_analysis.errors import StageError
from pact_analysis.warehouse.model import mdtse_columns


@cache
def sql_blocks(name: str) -> dict[str, str]:
    """Return the ``-- name: <table>`` blocks of ``pact_analysis/warehouse/sql/<name>.sql``.

    Parameters
    ----------
    name : str
        ``star`` or ``indicators``.

    Returns
    -------
    dict of str to str
        The SELECT of each table, by table name.
    """
    text = (
        resources.files("pact_analysis.warehouse").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")
    )
    parts = re.split(r"^-- name: (\w+)\s*$", text, flags=re.MULTILINE)
    return {parts[i]: parts[i + 1].strip().rstrip(";") for i in range(1, len(parts), 2)}


def risk_situations() -> dict[str, dict[str, str]]:
    """Return the codebook's risk situations (code -> ``{en, es, sql}``)."""
    return codebook.load()["risk_situations"]


def mdtse_sql() -> str:
    """Return the SELECT of ``fact_mdtse_assessment`` (its score and factor columns come from the codebook)."""
    scores = ", ".join(f'a."{c.name}"' for c in mdtse_columns())
    return (
        "SELECT a.assessment_id, a.person_key, a.wave, a.assessment_date, a.assessor_id, g.pilot_group, "
        f"{scores} FROM mdtse_assessments a LEFT JOIN "
        '(SELECT person_key, MIN("group") AS pilot_group FROM pilot_assignment GROUP BY person_key) g '
        "ON g.person_key = a.person_key"
    )


def person_risk_sql() -> str:
    """Return the SELECT of ``person_risk``: each codebook rule over ``indicators``, for known persons."""
    parts = [
        f"SELECT person_key, '{code}' AS situation_code FROM indicators WHERE known_at_reference AND ({s['sql']})"
        for code, s in risk_situations().items()
    ]
    return "\nUNION ALL\n".join(parts)


def community_sql(actions: Mapping[str, Mapping[str, Any]]) -> str:
    """Return the SELECT of ``community_candidate`` from the action criteria.

    A person is a candidate for an action when their age is within ``[min_age, max_age]`` and they are
    in at least ``min_situations`` (default 1) of the action's ``situations``; one row per qualifying
    situation, so the rows of a candidate are the reasons.

    Parameters
    ----------
    actions : mapping
        ``warehouse.community_actions``: code -> ``situations``, ``min_situations``, ``min_age``,
        ``max_age``.

    Returns
    -------
    str

    Raises
    ------
    StageError
        An action names an unknown risk situation or has an invalid code.
    """
    known = set(risk_situations())
    parts = []
    for code, action in actions.items():
        unknown = set(action["situations"]) - known
        if unknown or not re.fullmatch(r"[A-Z][A-Z0-9_]*", code):
            raise StageError(f"warehouse.community_actions.{code}: unknown risk situations {sorted(unknown)}")
        listed = ", ".join(f"'{s}'" for s in action["situations"])
        parts.append(
            f"SELECT person_key, '{code}' AS action_code, situation_code FROM ("
            "SELECT r.person_key, r.situation_code, COUNT(*) OVER (PARTITION BY r.person_key) AS n "
            "FROM person_risk r JOIN indicators i ON i.person_key = r.person_key "
            f"WHERE r.situation_code IN ({listed}) "
            f"AND i.age BETWEEN {int(action['min_age'])} AND {int(action['max_age'])}) q "
            f"WHERE n >= {int(action.get('min_situations', 1))}"
        )
    return (
        "\nUNION ALL\n".join(parts)
        or "SELECT person_key, '' AS action_code, '' AS situation_code FROM person_risk WHERE 1 = 0"
    )


def risk_count_sql(unit: str) -> str:
    """Return the SELECT of ``risk_by_ceas`` (``unit="ceas"``) or ``risk_by_province``: a full grid.

    Parameters
    ----------
    unit : {"ceas", "province"}
        Rows of the grid.

    Returns
    -------
    str
    """
    key = f"{unit}_code"
    units = (
        "SELECT ceas_code, province_code FROM dim_territory"
        if unit == "ceas"
        else "SELECT DISTINCT province_code FROM indicators WHERE province_code IS NOT NULL "
        "UNION SELECT province_code FROM dim_territory"
    )
    extra = "u.province_code, " if unit == "ceas" else ""
    return (
        f"SELECT u.{key}, s.code AS situation_code, {extra}"
        "COALESCE(c.n_persons, 0) AS n_persons, COALESCE(k.n_known, 0) AS n_known "
        f"FROM ({units}) u CROSS JOIN dim_risk_situation s "
        f"LEFT JOIN (SELECT i.{key}, r.situation_code, COUNT(*) AS n_persons FROM person_risk r "
        f"JOIN indicators i ON i.person_key = r.person_key GROUP BY i.{key}, r.situation_code) c "
        f"ON c.{key} = u.{key} AND c.situation_code = s.code "
        f"LEFT JOIN (SELECT {key}, COUNT(*) AS n_known FROM indicators WHERE known_at_reference GROUP BY {key}) k "
        f"ON k.{key} = u.{key}"
    )


def risk_statistics(
    con: duckdb.DuckDBPyConnection, unit: str = "ceas", min_cell: int | None = None
) -> pd.DataFrame:
    """Return persons per risk situation per CEAS or province as a crosstab, optionally suppressed.

    Parameters
    ----------
    con : DuckDBPyConnection
        A built warehouse (e.g. ``duckdb.connect(str(paths.warehouse_db), read_only=True)``).
    unit : {"ceas", "province"}
        Rows of the table.
    min_cell : int, optional
        When given, counts below it are suppressed with :func:`pact_analysis.disclosure.suppress_small_cells`
        (primary and secondary); for publishing.

    Returns
    -------
    DataFrame
        One row per CEAS (or province), ``n_known`` (persons known at the reference date) and one
        count column per risk situation in codebook order.
    """
    if unit not in ("ceas", "province"):
        raise ValueError(f"unit must be 'ceas' or 'province', not {unit!r}")
    key = f"{unit}_code"
    long = con.execute(f"SELECT * FROM risk_by_{unit} ORDER BY {key}").df()
    wide = long.pivot(index=key, columns="situation_code", values="n_persons")
    wide = wide.reindex(columns=list(risk_situations())).astype("Int64")
    wide.insert(0, "n_known", long.groupby(key)["n_known"].first().astype("Int64"))
    wide.columns.name = None
    if min_cell is not None:
        from pact_analysis.disclosure import suppress_small_cells

        wide = suppress_small_cells(wide, min_cell)
    return wide
