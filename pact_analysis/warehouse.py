"""The ``warehouse`` stage: a DuckDB star schema, the risk indicators and the lists for proactive work.

Reads the de-identified tables of ``data/processed`` (persons known only by ``person_key``) and
writes ``data/warehouse/``:

- ``pact.duckdb``: the star schema of :func:`logical_model` -- dimensions for persons, households,
  territory (CEAS, province, urban/rural), dates and the codebook's code lists; facts for RGC benefit
  spells, SAUSS provisions, employment episodes, NGO attentions and MDTSE assessments -- plus the
  per-person ``indicators`` at the reference date (``warehouse.reference_date``), the risk situations
  of the codebook (``person_risk``), the candidates for community actions (``community_candidate``,
  criteria ``warehouse.community_actions``) and counts per CEAS and province (``risk_by_ceas``,
  ``risk_by_province``; unsuppressed, see :func:`risk_statistics` for publishing);
- ``parquet/<table>.parquet``: every table of the model;
- ``lists/<ceas_code>.csv``: per CEAS, the persons in each risk situation and the candidates for
  community actions, with reason codes and reasons in Spanish and English. Pseudonymous and never
  published. (They live here rather than in ``data/processed/lists``: ``data/processed`` is the
  ``link`` stage's output, and DVC cannot give one folder to two stages.)

The SQL is in ``pact_analysis/sql/`` (``star.sql``, ``indicators.sql``) and is standard SQL; what is
DuckDB-only (reading and writing Parquet, registering pandas frames, settings) stays in this module
and is marked.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from pact_analysis import codebook
from pact_analysis.config import Paths
from pact_analysis.errors import StageError
from pact_analysis.io import atomic_dir, progress, write_json
from pact_analysis.linkage import deidentify

log = logging.getLogger(__name__)

#: Codebook column types as SQL types.
SQL_TYPES = {"string": "VARCHAR", "int": "INTEGER", "float": "DOUBLE", "date": "DATE", "bool": "BOOLEAN"}

#: SQL types of ``data/processed/persons.parquet`` (:data:`deidentify.PERSON_COLUMNS`).
PERSON_TYPES = {"birth_year": "INTEGER", "age": "INTEGER", "disability_pct": "INTEGER"}

#: Processed tables the warehouse reads (``persons`` plus these codebook sources).
SOURCES = (
    "ceas",
    "sauss_persons",
    "sauss_interventions",
    "rgc_members",
    "rgc_spells",
    "employment_persons",
    "employment_episodes",
    "ngo_attention",
    "mdtse_assessments",
    "pilot_assignment",
)

#: Code dimensions: table -> codebook code list.
CODE_DIMENSIONS = {
    "dim_sex": "sex",
    "dim_education": "education",
    "dim_nationality_group": "nationality_group",
    "dim_household_type": "household_type",
    "dim_benefit_exit": "rgc_exit",
    "dim_rgc_role": "rgc_role",
    "dim_provision": "provision",
    "dim_provision_status": "provision_status",
    "dim_employment_episode": "employment_episode",
    "dim_contract_type": "contract_type",
    "dim_workday": "workday",
    "dim_ngo": "ngo",
    "dim_ngo_service": "ngo_service",
    "dim_mdtse_wave": "wave",
}

#: ``warehouse.reference_date`` value meaning "the extraction date".
EXTRACTION = "extraction_date"


# --- the logical model ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column: ``name``, SQL ``type``, part of the primary key, referenced table (foreign key)."""

    name: str
    type: str
    pk: bool = False
    references: str | None = None


@dataclass(frozen=True)
class Table:
    """One table of the model: ``kind`` is dimension, fact, bridge, derived, aggregate or metadata."""

    name: str
    kind: str
    description: str
    columns: tuple[Column, ...] = field(default_factory=tuple)

    @property
    def primary_key(self) -> list[str]:
        """Columns of the primary key (empty if none)."""
        return [c.name for c in self.columns if c.pk]

    @property
    def column_names(self) -> list[str]:
        """Column names in order."""
        return [c.name for c in self.columns]


def _cols(*specs: str) -> tuple[Column, ...]:
    """Parse ``"name TYPE [PK] [-> table]"`` column specifications."""
    out = []
    for spec in specs:
        head, _, ref = spec.partition("->")
        name, sql_type, *flags = head.split()
        out.append(Column(name, sql_type, pk="PK" in flags, references=ref.strip() or None))
    return tuple(out)


def _mdtse_columns() -> tuple[Column, ...]:
    scores = [f"dim_{d} INTEGER" for d in codebook.mdtse_dimensions()]
    return _cols(*scores, *(f"{f} INTEGER" for f in codebook.mdtse_factors()))


@cache
def tables() -> tuple[Table, ...]:
    """Return the warehouse tables in build order (a table only references tables before it)."""
    code_dims = [
        Table(name, "dimension", f"codebook code list `{codes}`", _cols("code VARCHAR PK", "label VARCHAR"))
        for name, codes in CODE_DIMENSIONS.items()
    ]
    return (
        Table(
            "warehouse_params",
            "metadata",
            "the reference date of the indicators and the extraction date",
            _cols("reference_date DATE", "extraction_date DATE"),
        ),
        Table(
            "dim_date",
            "dimension",
            "one row per day from the earliest event to the later of the extraction and reference dates",
            _cols(
                "calendar_date DATE PK",
                "year INTEGER",
                "quarter INTEGER",
                "month INTEGER",
                "day INTEGER",
                "month_index INTEGER",
                "iso_weekday INTEGER",
            ),
        ),
        *code_dims,
        Table(
            "dim_risk_situation",
            "dimension",
            "risk situations of the codebook, with their SQL rule over `indicators`",
            _cols("code VARCHAR PK", "label_en VARCHAR", "label_es VARCHAR", "rule_sql VARCHAR"),
        ),
        Table(
            "dim_community_action",
            "dimension",
            "community actions and their criteria (params: warehouse.community_actions)",
            _cols(
                "code VARCHAR PK",
                "description VARCHAR",
                "situations VARCHAR",
                "min_situations INTEGER",
                "min_age INTEGER",
                "max_age INTEGER",
            ),
        ),
        Table(
            "dim_territory",
            "dimension",
            "CEAS with their province and urban/rural area",
            _cols(
                "ceas_code VARCHAR PK",
                "ceas_name VARCHAR",
                "municipality_code VARCHAR",
                "province_code VARCHAR",
                "province_name VARCHAR",
                "area VARCHAR",
                "urban BOOLEAN",
                "pilot_territory VARCHAR",
            ),
        ),
        Table(
            "dim_household",
            "dimension",
            "RGC households (persons sharing benefit files), pseudonymous",
            _cols(
                "household_key VARCHAR PK",
                "household_type VARCHAR -> dim_household_type",
                "household_size INTEGER",
                "n_persons INTEGER",
                "n_rgc_files INTEGER",
                "first_rgc_start DATE -> dim_date",
            ),
        ),
        Table(
            "dim_person",
            "dimension",
            "linked persons, pseudonymous: no name, document, birth date or address",
            _cols(
                "person_key VARCHAR PK",
                "household_key VARCHAR -> dim_household",
                "sex VARCHAR -> dim_sex",
                "birth_year INTEGER",
                "age_at_extraction INTEGER",
                "age_band VARCHAR",
                "nationality_group VARCHAR -> dim_nationality_group",
                "education VARCHAR -> dim_education",
                "disability_pct INTEGER",
                "disability BOOLEAN",
                "household_type VARCHAR -> dim_household_type",
                "ceas_code VARCHAR -> dim_territory",
                "ceas_source VARCHAR",
                "province_code VARCHAR",
                "sauss_registration_date DATE -> dim_date",
                "in_sauss BOOLEAN",
                "in_rgc BOOLEAN",
                "in_employment BOOLEAN",
                "in_ngo BOOLEAN",
            ),
        ),
        Table(
            "bridge_rgc_member",
            "bridge",
            "persons of each RGC benefit file (head or member)",
            _cols(
                "file_id VARCHAR PK", "person_key VARCHAR PK -> dim_person", "role VARCHAR -> dim_rgc_role"
            ),
        ),
        Table(
            "fact_benefit_spell",
            "fact",
            "RGC benefit spells (one per benefit file), keyed to the head",
            _cols(
                "spell_id VARCHAR PK",
                "file_id VARCHAR",
                "person_key VARCHAR -> dim_person",
                "household_key VARCHAR -> dim_household",
                "ceas_code VARCHAR -> dim_territory",
                "start_date DATE -> dim_date",
                "end_date DATE -> dim_date",
                "exit_reason VARCHAR -> dim_benefit_exit",
                "monthly_amount_eur DOUBLE",
                "household_type VARCHAR -> dim_household_type",
                "household_size INTEGER",
                "prior_imi BOOLEAN",
                "months_paid INTEGER",
            ),
        ),
        Table(
            "fact_provision",
            "fact",
            "SAUSS interventions and provisions",
            _cols(
                "intervention_id VARCHAR PK",
                "person_key VARCHAR -> dim_person",
                "ceas_code VARCHAR -> dim_territory",
                "date DATE -> dim_date",
                "provision_code VARCHAR -> dim_provision",
                "status VARCHAR -> dim_provision_status",
                "amount_eur DOUBLE",
            ),
        ),
        Table(
            "fact_employment_episode",
            "fact",
            "employment-service episodes: job-seeker registrations and contracts",
            _cols(
                "episode_id VARCHAR PK",
                "person_key VARCHAR -> dim_person",
                "episode_type VARCHAR -> dim_employment_episode",
                "start_date DATE -> dim_date",
                "end_date DATE -> dim_date",
                "contract_type VARCHAR -> dim_contract_type",
                "workday VARCHAR -> dim_workday",
                "hours_week DOUBLE",
            ),
        ),
        Table(
            "fact_ngo_attention",
            "fact",
            "third-sector (NGO) attentions",
            _cols(
                "attention_id INTEGER PK",
                "person_key VARCHAR -> dim_person",
                "ngo_code VARCHAR -> dim_ngo",
                "service_code VARCHAR -> dim_ngo_service",
                "date DATE -> dim_date",
            ),
        ),
        Table(
            "fact_mdtse_assessment",
            "fact",
            "MDTSE assessments (dimension scores 1-10, factors -3..3), with the pilot group",
            _cols(
                "assessment_id VARCHAR PK",
                "person_key VARCHAR -> dim_person",
                "wave VARCHAR -> dim_mdtse_wave",
                "assessment_date DATE -> dim_date",
                "assessor_id VARCHAR",
                "pilot_group VARCHAR",
            )
            + _mdtse_columns(),
        ),
        Table(
            "indicators", "derived", "risk indicators per person at the reference date", _indicator_columns()
        ),
        Table(
            "person_risk",
            "derived",
            "persons in each risk situation at the reference date",
            _cols("person_key VARCHAR PK -> dim_person", "situation_code VARCHAR PK -> dim_risk_situation"),
        ),
        Table(
            "community_candidate",
            "derived",
            "candidates for community actions, one row per qualifying risk situation (the reasons)",
            _cols(
                "person_key VARCHAR PK -> dim_person",
                "action_code VARCHAR PK -> dim_community_action",
                "situation_code VARCHAR PK -> dim_risk_situation",
            ),
        ),
        Table(
            "risk_by_ceas",
            "aggregate",
            "persons in each risk situation per CEAS (n_known: persons known at the reference date)",
            _cols(
                "ceas_code VARCHAR PK -> dim_territory",
                "situation_code VARCHAR PK -> dim_risk_situation",
                "province_code VARCHAR",
                "n_persons INTEGER",
                "n_known INTEGER",
            ),
        ),
        Table(
            "risk_by_province",
            "aggregate",
            "persons in each risk situation per province (persons without a CEAS included)",
            _cols(
                "province_code VARCHAR PK",
                "situation_code VARCHAR PK -> dim_risk_situation",
                "n_persons INTEGER",
                "n_known INTEGER",
            ),
        ),
    )


def _indicator_columns() -> tuple[Column, ...]:
    return _cols(
        "person_key VARCHAR PK -> dim_person",
        "ceas_code VARCHAR -> dim_territory",
        "province_code VARCHAR",
        "age INTEGER",
        "known_at_reference BOOLEAN",
        "known_sauss BOOLEAN",
        "known_rgc BOOLEAN",
        "known_employment BOOLEAN",
        "known_ngo BOOLEAN",
        "n_systems INTEGER",
        "on_rgc_at_reference BOOLEAN",
        "months_on_rgc_36m INTEGER",
        "current_rgc_spell_months INTEGER",
        "rgc_spells INTEGER",
        "rgc_reentries INTEGER",
        "rgc_reentries_12m INTEGER",
        "employed_at_reference BOOLEAN",
        "months_since_last_contract INTEGER",
        "registered_unemployed BOOLEAN",
        "unemployment_months INTEGER",
        "household_type VARCHAR -> dim_household_type",
        "household_size INTEGER",
        "n_minors INTEGER",
        "n_dependants INTEGER",
        "lone_parent_minors BOOLEAN",
        "disability BOOLEAN",
        "disability_pct INTEGER",
        "n_services_36m INTEGER",
        "n_ngos_36m INTEGER",
        "ngo_attentions_12m INTEGER",
        "emergency_aids_12m INTEGER",
        "dependency_assessed BOOLEAN",
        "months_known_to_social_services INTEGER",
    )


def table(name: str) -> Table:
    """Return one table of the model by name."""
    return next(t for t in tables() if t.name == name)


def _target(table_def: Table, column: Column) -> tuple[str, str]:
    ref = column.references or ""
    name, _, ref_column = ref.partition(".")
    return name, ref_column or table(name).primary_key[0]


def logical_model() -> dict[str, Any]:
    """Return the logical model as data, for drawing the diagram offline.

    Returns
    -------
    dict
        ``tables``: list of ``{name, kind, description, columns: [{name, type, pk, references}],
        primary_key}``; ``relationships``: list of ``{from_table, from_column, to_table, to_column}``
        (many-to-one, from the referencing table to the referenced one).
    """
    out_tables, relationships = [], []
    for t in tables():
        cols = []
        for c in t.columns:
            ref = _target(t, c) if c.references else None
            cols.append(
                {"name": c.name, "type": c.type, "pk": c.pk, "references": ".".join(ref) if ref else None}
            )
            if ref:
                relationships.append(
                    {"from_table": t.name, "from_column": c.name, "to_table": ref[0], "to_column": ref[1]}
                )
        out_tables.append(
            {
                "name": t.name,
                "kind": t.kind,
                "description": t.description,
                "columns": cols,
                "primary_key": t.primary_key,
            }
        )
    return {"tables": out_tables, "relationships": relationships}


def create_table_sql(table_def: Table) -> str:
    """Return the portable ``CREATE TABLE`` statement of a model table (primary and foreign keys)."""
    lines = [f'    "{c.name}" {c.type}' for c in table_def.columns]
    if table_def.primary_key:
        lines.append("    PRIMARY KEY (" + ", ".join(f'"{c}"' for c in table_def.primary_key) + ")")
    for c in table_def.columns:
        if c.references:
            target, column = _target(table_def, c)
            lines.append(f'    FOREIGN KEY ("{c.name}") REFERENCES {target} ("{column}")')
    return f"CREATE TABLE {table_def.name} (\n" + ",\n".join(lines) + "\n)"


# --- inputs -----------------------------------------------------------------------------------------


def processed_columns(source: str) -> dict[str, str]:
    """Return ``{column: SQL type}`` of a table of ``data/processed`` (see :mod:`~.linkage.deidentify`).

    Parameters
    ----------
    source : str
        ``"persons"`` or a codebook source name.
    """
    if source == "persons":
        return {c: PERSON_TYPES.get(c, "VARCHAR") for c in deidentify.PERSON_COLUMNS}
    specs = codebook.columns(source)
    person_source = source in codebook.person_sources()
    refs = {"record_id"} if person_source else set(deidentify.person_references(source))
    dropped = set(deidentify.dropped_columns(source)) | refs
    keyed = person_source or bool(refs) or source == "rgc_spells"  # spells get the head's key
    columns = {"person_key": "VARCHAR"} if keyed else {}
    columns.update({c: SQL_TYPES[s["type"]] for c, s in specs.items() if c not in dropped})
    return columns


def create_sources(con: duckdb.DuckDBPyConnection) -> None:
    """Create empty, typed temporary tables named like the processed files (``persons``, ``ceas``...)."""
    for source in ("persons", *SOURCES):
        cols = ", ".join(f'"{c}" {t}' for c, t in processed_columns(source).items())
        con.execute(f"CREATE OR REPLACE TEMP TABLE {source} ({cols})")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE codebook_provinces (province_code VARCHAR, province_name VARCHAR)"
    )
    provinces = pd.DataFrame(codebook.load()["provinces"]).rename(
        columns={"code": "province_code", "name": "province_name"}
    )
    insert_frame(con, "codebook_provinces", provinces)


def _insert_select(con: duckdb.DuckDBPyConnection, target: str, columns: list[str], relation: str) -> None:
    names = ", ".join(f'"{c}"' for c in columns)
    con.execute(f"INSERT INTO {target} ({names}) SELECT {names} FROM {relation}")


def insert_frame(con: duckdb.DuckDBPyConnection, target: str, frame: pd.DataFrame) -> None:
    """Insert a pandas frame into a table by column name (DuckDB-only: registers the frame)."""
    con.register("_frame", frame)
    try:
        _insert_select(con, target, list(frame.columns), "_frame")
    finally:
        con.unregister("_frame")


def load_frames(con: duckdb.DuckDBPyConnection, frames: Mapping[str, pd.DataFrame]) -> None:
    """Create the input tables and fill them from frames (missing tables stay empty).

    Parameters
    ----------
    con : DuckDBPyConnection
        Connection to build in.
    frames : mapping of str to DataFrame
        Processed tables by name; each holds a subset of :func:`processed_columns`.
    """
    create_sources(con)
    for name, frame in frames.items():
        insert_frame(con, name, frame)


def load_processed(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """Create the input tables and fill them from ``data/processed`` (DuckDB-only: ``read_parquet``)."""
    create_sources(con)
    for source in progress(("persons", *SOURCES), desc="warehouse: read processed"):
        path = Path(folder) / f"{source}.parquet"
        if path.exists():
            relation = "read_parquet('" + str(path).replace("'", "''") + "')"
            _insert_select(con, source, list(processed_columns(source)), relation)
        elif source in ("persons", "ceas", "sauss_persons", "rgc_spells", "rgc_members"):
            raise StageError(f"{path} is missing: run the link stage first")


# --- building ---------------------------------------------------------------------------------------


@cache
def sql_blocks(name: str) -> dict[str, str]:
    """Return the ``-- name: <table>`` blocks of ``pact_analysis/sql/<name>.sql``."""
    text = resources.files("pact_analysis").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")
    parts = re.split(r"^-- name: (\w+)\s*$", text, flags=re.MULTILINE)
    return {parts[i]: parts[i + 1].strip().rstrip(";") for i in range(1, len(parts), 2)}


def reference_date(params: Mapping[str, Any]) -> dt.date:
    """Return ``warehouse.reference_date`` as a date (``extraction_date`` or empty: the extraction date)."""
    value = params.get("warehouse", {}).get("reference_date") or EXTRACTION
    if value == EXTRACTION:
        value = params["data"]["extraction_date"]
    return pd.Timestamp(value).date()


def _date_range_sql() -> str:
    selects = [
        f'SELECT "{c}" AS d FROM {s}' for s in SOURCES for c, t in processed_columns(s).items() if t == "DATE"
    ]
    return "SELECT MIN(d), MAX(d) FROM (" + " UNION ALL ".join(selects) + ") dates"


def date_dimension(first: dt.date, last: dt.date) -> pd.DataFrame:
    """Return the rows of ``dim_date`` for every day from ``first`` to ``last``."""
    days = pd.date_range(first, last, freq="D")
    return pd.DataFrame(
        {
            "calendar_date": days.date,
            "year": days.year,
            "quarter": days.quarter,
            "month": days.month,
            "day": days.day,
            "month_index": days.year * 12 + days.month,
            "iso_weekday": days.isocalendar().day.to_numpy(),
        }
    )


def _fill_params(con: duckdb.DuckDBPyConnection, settings: BuildSettings) -> None:
    row = pd.DataFrame({"reference_date": [settings.reference], "extraction_date": [settings.extraction]})
    insert_frame(con, "warehouse_params", row)


def _fill_dates(con: duckdb.DuckDBPyConnection, settings: BuildSettings) -> None:
    low, high = con.execute(_date_range_sql()).fetchall()[0]
    earliest = pd.Timestamp(codebook.load()["period"]["earliest_event"]).date()
    first = min(d for d in (low, earliest, settings.reference) if d is not None)
    last = max(d for d in (high, settings.extraction, settings.reference) if d is not None)
    insert_frame(con, "dim_date", date_dimension(first, last))


def _fill_codes(codes: str) -> Callable[[duckdb.DuckDBPyConnection, BuildSettings], None]:
    def fill(con: duckdb.DuckDBPyConnection, settings: BuildSettings) -> None:
        frame = pd.DataFrame(list(codebook.codes(codes).items()), columns=["code", "label"])
        insert_frame(con, settings.current, frame)

    return fill


def risk_situations() -> dict[str, dict[str, str]]:
    """Return the codebook's risk situations (code -> ``{en, es, sql}``)."""
    return codebook.load()["risk_situations"]


def _fill_risk_situations(con: duckdb.DuckDBPyConnection, settings: BuildSettings) -> None:
    rows = [(code, s["en"], s.get("es", s["en"]), s["sql"]) for code, s in risk_situations().items()]
    insert_frame(
        con, "dim_risk_situation", pd.DataFrame(rows, columns=table("dim_risk_situation").column_names)
    )


def _fill_actions(con: duckdb.DuckDBPyConnection, settings: BuildSettings) -> None:
    rows = [
        (
            code,
            a.get("description", ""),
            ";".join(a["situations"]),
            a.get("min_situations", 1),
            a["min_age"],
            a["max_age"],
        )
        for code, a in settings.actions.items()
    ]
    frame = pd.DataFrame(rows, columns=table("dim_community_action").column_names)
    insert_frame(con, "dim_community_action", frame)


def _fill_sql(sql: str) -> Callable[[duckdb.DuckDBPyConnection, BuildSettings], None]:
    def fill(con: duckdb.DuckDBPyConnection, settings: BuildSettings) -> None:
        _insert_select(con, settings.current, table(settings.current).column_names, f"({sql}) q")

    return fill


def mdtse_sql() -> str:
    """Return the SELECT of ``fact_mdtse_assessment`` (its score and factor columns come from the codebook)."""
    scores = ", ".join(f'a."{c.name}"' for c in _mdtse_columns())
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
    """Return the SELECT of ``risk_by_ceas`` (``unit="ceas"``) or ``risk_by_province``: a full grid."""
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


@dataclass
class BuildSettings:
    """What a build needs besides its inputs: dates, community-action criteria, the table being filled."""

    reference: dt.date
    extraction: dt.date
    actions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    current: str = ""


def fillers() -> dict[str, Callable[[duckdb.DuckDBPyConnection, BuildSettings], None]]:
    """Return how each model table is filled, by table name."""
    star = sql_blocks("star")
    out: dict[str, Callable] = {
        "warehouse_params": _fill_params,
        "dim_date": _fill_dates,
        "dim_risk_situation": _fill_risk_situations,
        "dim_community_action": _fill_actions,
        "fact_mdtse_assessment": _fill_sql(mdtse_sql()),
        "indicators": _fill_sql(sql_blocks("indicators")["indicators"]),
        "person_risk": _fill_sql(person_risk_sql()),
        "risk_by_ceas": _fill_sql(risk_count_sql("ceas")),
        "risk_by_province": _fill_sql(risk_count_sql("province")),
    }
    out |= {name: _fill_codes(codes) for name, codes in CODE_DIMENSIONS.items()}
    out |= {name: _fill_sql(sql) for name, sql in star.items()}
    return out


def build(con: duckdb.DuckDBPyConnection, settings: BuildSettings) -> dict[str, int]:
    """Create and fill every model table in ``con`` (inputs already loaded); return row counts.

    Parameters
    ----------
    con : DuckDBPyConnection
        Connection holding the processed tables (:func:`load_processed` or :func:`load_frames`).
    settings : BuildSettings
        Reference and extraction dates, community-action criteria.
    """
    fill = fillers()
    fill["community_candidate"] = _fill_sql(community_sql(settings.actions))
    counts = {}
    for t in progress(tables(), desc="warehouse: build"):
        con.execute(create_table_sql(t))
        settings.current = t.name
        fill[t.name](con, settings)
        counts[t.name] = con.execute(f"SELECT COUNT(*) FROM {t.name}").fetchall()[0][0]
    return counts


# --- outputs ----------------------------------------------------------------------------------------


def risk_statistics(
    con: duckdb.DuckDBPyConnection, unit: str = "ceas", min_cell: int | None = None
) -> pd.DataFrame:
    """Return persons per risk situation per CEAS or province as a crosstab, optionally suppressed.

    Parameters
    ----------
    con : DuckDBPyConnection
        A built warehouse (e.g. ``duckdb.connect("data/warehouse/pact.duckdb", read_only=True)``).
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


def _labels(codes: list[str], language: str) -> str:
    situations = risk_situations()
    return "; ".join(situations[c].get(language, situations[c]["en"]) for c in codes)


def proactive_lists(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Return the lists for proactive work: one row per person and risk situation or community action.

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
    """File name of one list: ``<ceas_code>.csv``, or ``NO_CEAS_<province>.csv`` for persons without one."""
    if pd.notna(ceas_code):
        return f"{ceas_code}.csv"
    return f"NO_CEAS_{province_code if pd.notna(province_code) else 'XX'}.csv"


def write_lists(lists: pd.DataFrame, folder: Path) -> int:
    """Write one CSV per CEAS (and per province for persons without a CEAS); return the file count."""
    folder.mkdir(parents=True, exist_ok=True)
    names = [list_file_name(c, p) for c, p in zip(lists["ceas_code"], lists["province_code"], strict=True)]
    groups = lists.groupby(pd.Series(names, index=lists.index), sort=True)
    for name, part in progress(groups, desc="warehouse: lists", total=groups.ngroups):
        part.to_csv(folder / name, index=False)
    return groups.ngroups


def export_parquet(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """Write every model table to ``folder/<table>.parquet``, rows sorted so the files are the same bytes.

    DuckDB-only: ``COPY ... TO`` and ``ORDER BY ALL``. Without the sort, parallel scans write rows in
    a different order from run to run, and DVC would see a changed output.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for t in progress(tables(), desc="warehouse: parquet"):
        target = str(folder / f"{t.name}.parquet").replace("'", "''")
        con.execute(f"COPY (SELECT * FROM {t.name} ORDER BY ALL) TO '{target}' (FORMAT PARQUET)")


def stage_metrics(con: duckdb.DuckDBPyConnection, counts: dict[str, int], settings: BuildSettings) -> dict:
    """Row counts, persons known, persons per risk situation and candidates per action (region totals)."""
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


def connect(path: Path | str = ":memory:", memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB connection (DuckDB-only settings: memory limit, spill folder next to the file)."""
    con = duckdb.connect(str(path))
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    if str(path) != ":memory:":
        spill = str(Path(path).parent / ".duckdb_tmp").replace("'", "''")
        con.execute(f"SET temp_directory = '{spill}'")
    return con


def settings_from(params: Mapping[str, Any]) -> BuildSettings:
    """Return the build settings of ``params`` (``data.extraction_date``, ``warehouse.*``)."""
    section = params.get("warehouse", {})
    return BuildSettings(
        reference=reference_date(params),
        extraction=pd.Timestamp(params["data"]["extraction_date"]).date(),
        actions=section.get("community_actions", {}) or {},
    )


def run(paths: Paths, params: dict[str, Any]) -> None:
    """The ``warehouse`` stage (see the module docstring).

    Parameters
    ----------
    paths : Paths
        Project paths.
    params : dict
        Reads ``data.extraction_date``, ``warehouse.reference_date``, ``warehouse.community_actions``
        and ``warehouse.duckdb_memory_limit``.
    """
    settings = settings_from(params)
    memory = params.get("warehouse", {}).get("duckdb_memory_limit")
    with atomic_dir(paths.warehouse) as tmp:
        con = connect(tmp / "pact.duckdb", memory)
        try:
            load_processed(con, paths.processed)
            counts = build(con, settings)
            export_parquet(con, tmp / "parquet")
            n_lists = write_lists(proactive_lists(con), tmp / "lists")
            metrics = stage_metrics(con, counts, settings)
        finally:
            con.close()
        _remove_spill(tmp)
    metrics["list_files"] = n_lists
    write_json(paths.metrics / "warehouse.json", metrics)
    log.info(
        "warehouse: %d persons, %d known at %s, %d list files",
        counts["dim_person"],
        metrics["persons_known"],
        settings.reference,
        n_lists,
    )


def _remove_spill(folder: Path) -> None:
    shutil.rmtree(folder / ".duckdb_tmp", ignore_errors=True)
