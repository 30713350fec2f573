"""Building the DuckDB star schema from ``data/processed`` and exporting it to Parquet.

What is DuckDB-only (reading and writing Parquet, registering pandas frames, settings) stays in this
module and is marked; the SQL it runs is standard.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

import duckdb
import pandas as pd

from pact_analysis import codebook
from pact_analysis.errors import StageError
from pact_analysis.io import progress
from pact_analysis.linkage import deidentify
from pact_analysis.warehouse.indicators import (
    community_sql,
    mdtse_sql,
    person_risk_sql,
    risk_count_sql,
    risk_situations,
    sql_blocks,
)
from pact_analysis.warehouse.model import CODE_DIMENSIONS, create_table_sql, table, tables
from pact_analysis.warehouse.settings import BuildSettings

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
    """Create empty, typed temporary tables named like the processed files (``persons``, ``ceas``...).

    Parameters
    ----------
    con : DuckDBPyConnection
        Connection to build in.
    """
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
    """Insert a pandas frame into a table by column name (DuckDB-only: registers the frame).

    Parameters
    ----------
    con : DuckDBPyConnection
        Connection.
    target : str
        Existing table.
    frame : DataFrame
        Rows; its columns are a subset of the table's.
    """
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
    """Create the input tables and fill them from ``data/processed`` (DuckDB-only: ``read_parquet``).

    Parameters
    ----------
    con : DuckDBPyConnection
        Connection to build in.
    folder : Path
        ``data/processed`` (``paths.processed``).

    Raises
    ------
    StageError
        A required processed table is missing.
    """
    create_sources(con)
    for source in progress(("persons", *SOURCES), desc="warehouse: read processed"):
        path = Path(folder) / f"{source}.parquet"
        if path.exists():
            relation = "read_parquet('" + str(path).replace("'", "''") + "')"
            _insert_select(con, source, list(processed_columns(source)), relation)
        elif source in ("persons", "ceas", "sauss_persons", "rgc_spells", "rgc_members"):
            raise StageError(f"{path} is missing: run the link stage first")


def _date_range_sql() -> str:
    selects = [
        f'SELECT "{c}" AS d FROM {s}' for s in SOURCES for c, t in processed_columns(s).items() if t == "DATE"
    ]
    return "SELECT MIN(d), MAX(d) FROM (" + " UNION ALL ".join(selects) + ") dates"


def date_dimension(first: dt.date, last: dt.date) -> pd.DataFrame:
    """Return the rows of ``dim_date`` for every day from ``first`` to ``last``.

    Parameters
    ----------
    first, last : date
        First and last day.

    Returns
    -------
    DataFrame
        The columns of ``dim_date``.
    """
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


def export_parquet(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """Write every model table to ``folder/<table>.parquet``, rows sorted so the files are the same bytes.

    DuckDB-only: ``COPY ... TO`` and ``ORDER BY ALL``. Without the sort, parallel scans write rows in
    a different order from run to run, and DVC would see a changed output.

    Parameters
    ----------
    con : DuckDBPyConnection
        A built warehouse.
    folder : Path
        Output folder (created if missing).
    """
    folder.mkdir(parents=True, exist_ok=True)
    for t in progress(tables(), desc="warehouse: parquet"):
        target = str(folder / f"{t.name}.parquet").replace("'", "''")
        con.execute(f"COPY (SELECT * FROM {t.name} ORDER BY ALL) TO '{target}' (FORMAT PARQUET)")


def connect(path: Path | str = ":memory:", memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB connection (DuckDB-only settings: memory limit, spill folder next to the file).

    Parameters
    ----------
    path : Path or str
        Database file, or ``:memory:``.
    memory_limit : str, optional
        DuckDB's ``memory_limit`` (``warehouse.duckdb_memory_limit``).

    Returns
    -------
    DuckDBPyConnection
    """
    con = duckdb.connect(str(path))
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    if str(path) != ":memory:":
        spill = str(Path(path).parent / ".duckdb_tmp").replace("'", "''")
        con.execute(f"SET temp_directory = '{spill}'")
    return con


def remove_spill(folder: Path) -> None:
    """Delete DuckDB's spill folder (``.duckdb_tmp``, see :func:`connect`) from ``folder``.

    Parameters
    ----------
    folder : Path
        Folder of the database file.
    """
    shutil.rmtree(folder / ".duckdb_tmp", ignore_errors=True)
