"""The warehouse on Spark SQL: the same SELECTs as the DuckDB build, transpiled at run time.

The star schema (``sql/star.sql``), the indicators (``sql/indicators.sql``) and the SELECTs built
from the codebook's risk situations (:mod:`~pact_analysis.warehouse.indicators`) are written for
DuckDB; :func:`to_spark` transpiles each one with sqlglot (DuckDB -> Spark SQL) when it runs, so
there is no second copy of the SQL to keep in step. What is not SQL is shared too: the small tables
that come from the codebook and the parameters (codes, risk situations, community actions, the
reference date) are made by the DuckDB build's own fill functions (:func:`constant_tables`), and the
calendar by :func:`pact_analysis.warehouse.build.date_dimension`. Every table computed from the data
runs as Spark SQL.

:func:`load_processed` reads ``data/processed`` into temporary views with the DuckDB build's column
types (:func:`pact_analysis.warehouse.build.processed_columns`); :func:`build` fills every model
table in the order of the logical model and caches it as a view named like the table; :func:`table`
returns one as pandas. The Spark session is :func:`pact_analysis.linkage.spark.session` (the active
session on a cluster, otherwise a local one).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import sqlglot
from sqlglot.errors import ErrorLevel

from pact_analysis import codebook
from pact_analysis.errors import StageError
from pact_analysis.io import progress
from pact_analysis.warehouse.build import (
    SOURCES,
    date_dimension,
    fillers,
    processed_columns,
)
from pact_analysis.warehouse.indicators import (
    community_sql,
    mdtse_sql,
    person_risk_sql,
    risk_count_sql,
    sql_blocks,
)
from pact_analysis.warehouse.model import create_table_sql, table, tables
from pact_analysis.warehouse.settings import BuildSettings

#: Processed tables that must exist (the others may be missing from a delivery and stay empty).
REQUIRED = ("persons", "ceas", "sauss_persons", "rgc_spells", "rgc_members")


def to_spark(sql: str) -> str:
    """Transpile one DuckDB statement to Spark SQL with sqlglot.

    Parameters
    ----------
    sql : str
        A single DuckDB statement.

    Returns
    -------
    str

    Raises
    ------
    StageError
        sqlglot cannot express a construct in Spark SQL (its message names it).
    """
    try:
        out = sqlglot.transpile(sql, read="duckdb", write="spark", unsupported_level=ErrorLevel.RAISE)
    except sqlglot.errors.SqlglotError as err:
        raise StageError(f"this warehouse SQL does not transpile to Spark SQL: {err}\n{sql[:500]}") from err
    if len(out) != 1:
        raise StageError(f"expected one SQL statement, found {len(out)}")
    return out[0]


def spark_type(sql_type: str) -> str:
    """Return the Spark SQL spelling of a DuckDB column type (``VARCHAR`` -> ``STRING``)."""
    return sqlglot.exp.DataType.build(sql_type, dialect="duckdb").sql(dialect="spark")


def _schema(columns: Mapping[str, str]) -> str:
    return ", ".join(f"`{c}` {spark_type(t)}" for c, t in columns.items())


def _typed_select(columns: Mapping[str, str], relation: str) -> str:
    """A DuckDB SELECT of ``columns`` from ``relation``, each cast to its table type."""
    return (
        "SELECT "
        + ", ".join(f'CAST(q."{c}" AS {t}) AS "{c}"' for c, t in columns.items())
        + (f" FROM {relation} q")
    )


def _view(spark: Any, name: str, frame: Any) -> int:
    """Materialise ``frame`` as the temporary view ``name``; return its row count.

    A local checkpoint, not ``cache()``: Spark 4.1's analyser fails on a query that reads one cached
    view twice (``DeduplicateRelations``: "Invalid call to exprId on unresolved object"), as the risk
    counts read ``indicators``. On a cluster, ``localCheckpoint`` keeps the rows on the executors.
    """
    frame = frame.localCheckpoint()
    frame.createOrReplaceTempView(name)
    return int(frame.count())


def load_processed(spark: Any, folder: Path) -> None:
    """Create a typed temporary view of every processed table the warehouse reads, and the provinces.

    Parameters
    ----------
    spark : SparkSession
        Session to build in.
    folder : Path
        ``data/processed`` (``paths.processed``); on a cluster, a folder every executor can read.

    Raises
    ------
    StageError
        A required processed table is missing.
    """
    spark.conf.set("spark.sql.legacy.parquet.nanosAsLong", "true")  # else Spark refuses them
    for source in progress(("persons", *SOURCES), desc="warehouse on Spark: read processed"):
        columns = processed_columns(source)
        path = Path(folder) / f"{source}.parquet"
        if path.exists():
            raw = spark.read.parquet(str(path))
            raw.createOrReplaceTempView(f"_raw_{source}")
            nanos = [f.name for f in raw.schema.fields if f.dataType.typeName() == "long"]
            select = _typed_select(columns, f"_raw_{source}")
            for name in (c for c in nanos if columns.get(c) == "DATE"):
                # pandas writes timestamps in nanoseconds, which Spark reads as longs (nanosAsLong above)
                select = select.replace(
                    f'CAST(q."{name}" AS DATE)', f'CAST(TIMESTAMP_MICROS(q."{name}" // 1000) AS DATE)'
                )
            frame = spark.sql(to_spark(select))
        elif source in REQUIRED:
            raise StageError(f"{path} is missing: run the link stage first")
        else:
            frame = spark.createDataFrame([], _schema(columns))
        _view(spark, source, frame)
    provinces = pd.DataFrame(codebook.load()["provinces"]).rename(
        columns={"code": "province_code", "name": "province_name"}
    )
    types = {"province_code": "VARCHAR", "province_name": "VARCHAR"}
    _view(spark, "codebook_provinces", spark.createDataFrame(provinces[list(types)], _schema(types)))


def sql_tables(settings: BuildSettings) -> dict[str, str]:
    """Return the DuckDB SELECT of every model table filled by SQL, by table name (as in the DuckDB build)."""
    out = dict(sql_blocks("star"))
    out |= {
        "fact_mdtse_assessment": mdtse_sql(),
        "indicators": sql_blocks("indicators")["indicators"],
        "person_risk": person_risk_sql(),
        "community_candidate": community_sql(settings.actions),
        "risk_by_ceas": risk_count_sql("ceas"),
        "risk_by_province": risk_count_sql("province"),
    }
    return out


def constant_tables(settings: BuildSettings, names: list[str]) -> dict[str, pd.DataFrame]:
    """Make the tables that come from the codebook and the parameters with the DuckDB build's code.

    Parameters
    ----------
    settings : BuildSettings
        Reference and extraction dates, community actions.
    names : list of str
        Model tables filled without reading data (codes, risk situations, actions, parameters).

    Returns
    -------
    dict of str to DataFrame
        The rows of each table, in its column order.
    """
    fill = fillers()
    out = {}
    con = duckdb.connect()
    try:
        for name in names:
            con.execute(create_table_sql(table(name)).replace("CREATE TABLE", "CREATE TEMP TABLE", 1))
            settings.current = name
            fill[name](con, settings)
            out[name] = con.execute(f"SELECT * FROM {name}").df()
    finally:
        con.close()
    return out


def calendar(spark: Any, settings: BuildSettings) -> pd.DataFrame:
    """Return ``dim_date``: every day from the earliest to the latest date of the data, the codebook's
    earliest event and the reference and extraction dates (as the DuckDB build's ``dim_date``)."""
    selects = [
        f'SELECT "{c}" AS d FROM {s}' for s in SOURCES for c, t in processed_columns(s).items() if t == "DATE"
    ]
    sql = "SELECT MIN(d) AS low, MAX(d) AS high FROM (" + " UNION ALL ".join(selects) + ") dates"
    row = spark.sql(to_spark(sql)).collect()[0]
    earliest = pd.Timestamp(codebook.load()["period"]["earliest_event"]).date()
    first = min(d for d in (row["low"], earliest, settings.reference) if d is not None)
    last = max(d for d in (row["high"], settings.extraction, settings.reference) if d is not None)
    return date_dimension(first, last)


def _union(spark: Any, columns: Mapping[str, str], select: str) -> Any:
    """Run a SELECT whose branches are joined by a line ``UNION ALL`` one branch at a time.

    Spark 4.1's analyser fails on a UNION ALL of many SELECTs of the same cached view
    (``DeduplicateRelations``: "Invalid call to exprId on unresolved object"), and so does
    ``DataFrame.unionAll`` of their frames; each branch is transpiled, run and checkpointed on its
    own, then their rows are appended: the same bag of rows.
    """
    branches = select.split("\nUNION ALL\n")
    parts = [spark.sql(to_spark(_typed_select(columns, f"({branch})"))) for branch in branches]
    if len(parts) > 1:
        parts = [part.localCheckpoint() for part in parts]
    out = parts[0]
    for part in parts[1:]:
        out = out.unionAll(part)
    return out


def build(spark: Any, settings: BuildSettings) -> dict[str, int]:
    """Create every model table as a cached temporary view (inputs loaded by :func:`load_processed`).

    Parameters
    ----------
    spark : SparkSession
        Session holding the processed views.
    settings : BuildSettings
        Reference and extraction dates, community-action criteria.

    Returns
    -------
    dict of str to int
        Rows per table, in the order of the logical model.
    """
    selects = sql_tables(settings)
    constant = [t.name for t in tables() if t.name not in selects and t.name != "dim_date"]
    frames = constant_tables(settings, constant)
    counts = {}
    for t in progress(tables(), desc="warehouse on Spark: build"):
        columns = {c.name: c.type for c in t.columns}
        if t.name in selects:
            frame = _union(spark, columns, selects[t.name])
        else:
            rows = calendar(spark, settings) if t.name == "dim_date" else frames[t.name]
            frame = spark.createDataFrame(rows[list(columns)], _schema(columns))
        try:
            counts[t.name] = _view(spark, t.name, frame)
        except Exception as err:  # Spark's own errors do not say which table
            raise StageError(f"warehouse on Spark: table {t.name} failed: {str(err)[:300]}") from err
    return counts


def table_frame(spark: Any, name: str) -> pd.DataFrame:
    """Return a built table as pandas, rows sorted by every column (for comparisons and export)."""
    frame = spark.table(name).toPandas()
    return frame.sort_values(list(frame.columns), ignore_index=True)
