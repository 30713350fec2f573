"""The warehouse SQL on Spark SQL (transpiled by sqlglot at run time) gives the DuckDB build's tables.

The transpilation tests run everywhere; the agreement test builds the tiny project's warehouse on
DuckDB and on Spark (local mode) and compares every table, the indicators and the counts of persons
per risk situation row by row, and another does so on the hand-built heads whose open file is
followed by a later one (the effective ends of ``fact_benefit_spell``). They need Java 17 and pyspark
(skipped without them, failed in CI).
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from pact_analysis.errors import StageError
from pact_analysis.params import load_params
from pact_analysis.paths import ROOT
from pact_analysis.warehouse import SOURCES, BuildSettings, build, load_frames, load_processed, settings_from
from pact_analysis.warehouse import spark as warehouse_spark
from pact_analysis.warehouse.model import CODE_DIMENSIONS, tables
from tests.linkage.spark_env import require_spark
from tests.warehouse.hand import ACTIONS, REFERENCE
from tests.warehouse.superseded import superseded_frames


def test_every_warehouse_select_transpiles_to_spark_sql():
    import sqlglot

    settings = settings_from(load_params(ROOT / "params.yaml"))
    selects = warehouse_spark.sql_tables(settings)
    constant = {
        "warehouse_params",
        "dim_date",
        "dim_risk_situation",
        "dim_community_action",
        *CODE_DIMENSIONS,
    }
    assert set(selects) == {t.name for t in tables()} - constant  # every table computed from data
    for name, sql in selects.items():
        spark_sql = warehouse_spark.to_spark(sql)
        assert sqlglot.parse_one(spark_sql, read="spark") is not None, name
        assert '"' not in spark_sql.replace("'\"'", ""), name  # identifiers quoted the Spark way


def test_transpiling_names_what_it_cannot_read():
    with pytest.raises(StageError, match="does not transpile to Spark SQL"):
        warehouse_spark.to_spark("SELECT a FROM t SAMPLE 10%")
    assert warehouse_spark.to_spark('SELECT "group" FROM t') == "SELECT `group` FROM t"


def test_spark_types_of_the_model():
    assert [warehouse_spark.spark_type(t) for t in ("VARCHAR", "INTEGER", "DOUBLE", "BOOLEAN", "DATE")] == [
        "STRING",
        "INT",
        "DOUBLE",
        "BOOLEAN",
        "DATE",
    ]


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Same values, whatever the engine's pandas types: dates as timestamps, missing as None."""
    out = {}
    for column in frame.columns:
        values = frame[column]
        if values.map(lambda v: isinstance(v, dt.date)).any() or pd.api.types.is_datetime64_any_dtype(values):
            values = pd.to_datetime(values)
        out[column] = values.astype(object).where(values.notna(), None)
    result = pd.DataFrame(out)
    return result.sort_values(list(result.columns), key=lambda s: s.astype(str), ignore_index=True)


@pytest.fixture(scope="module")
def both_engines(tiny_project):
    """The tiny project's warehouse built on DuckDB and on Spark: ``(duckdb con, spark, counts, counts)``."""
    require_spark()
    from pact_analysis.linkage.spark import session

    params = load_params(tiny_project.params)
    con = duckdb.connect()
    load_processed(con, tiny_project.processed)
    duck_counts = build(con, settings_from(params))
    spark = session(params["linkage"]["spark"])
    warehouse_spark.load_processed(spark, tiny_project.processed)
    spark_counts = warehouse_spark.build(spark, settings_from(params))
    yield con, spark, duck_counts, spark_counts
    con.close()


@pytest.mark.slow
@pytest.mark.xdist_group("spark")
def test_spark_builds_every_table_with_the_same_rows(both_engines):
    con, spark, duck_counts, spark_counts = both_engines
    assert spark_counts == duck_counts
    assert duck_counts["indicators"] == duck_counts["dim_person"] > 1000
    for name in duck_counts:
        duck = _comparable(con.execute(f"SELECT * FROM {name}").df())
        ours = _comparable(warehouse_spark.table_frame(spark, name))
        pd.testing.assert_frame_equal(ours, duck, check_dtype=False, obj=name)


@pytest.mark.slow
@pytest.mark.xdist_group("spark")
def test_spark_gives_the_same_indicator_counts(both_engines):
    con, spark, _, _ = both_engines
    for unit in ("ceas", "province"):
        key = f"{unit}_code"
        sql = f"SELECT {key}, situation_code, n_persons, n_known FROM risk_by_{unit} ORDER BY {key}, situation_code"
        duck = con.execute(sql).df()
        ours = spark.sql(warehouse_spark.to_spark(sql)).toPandas()
        assert duck["n_persons"].sum() > 0
        pd.testing.assert_frame_equal(ours, duck, check_dtype=False)


@pytest.mark.slow
@pytest.mark.xdist_group("spark")
def test_spark_ends_a_superseded_open_file_as_duckdb_does(tmp_path):
    """The hand-built heads with an open file followed by a later one, as Parquet typed by DuckDB."""
    require_spark()
    from pact_analysis.linkage.spark import session

    con = duckdb.connect()
    load_frames(con, superseded_frames())
    for source in ("persons", *SOURCES):
        con.execute(f"COPY {source} TO '{tmp_path / f'{source}.parquet'}' (FORMAT PARQUET)")
    build(con, BuildSettings(REFERENCE, REFERENCE, ACTIONS))
    spark = session(load_params(ROOT / "params.yaml")["linkage"]["spark"])
    warehouse_spark.load_processed(spark, tmp_path)
    warehouse_spark.build(spark, BuildSettings(REFERENCE, REFERENCE, ACTIONS))
    for name in ("fact_benefit_spell", "indicators", "person_risk"):
        duck = _comparable(con.execute(f"SELECT * FROM {name}").df())
        ours = _comparable(warehouse_spark.table_frame(spark, name))
        pd.testing.assert_frame_equal(ours, duck, check_dtype=False, obj=name)
    imputed = con.execute("SELECT COUNT(*) FROM fact_benefit_spell WHERE end_imputed").fetchall()[0][0]
    con.close()
    assert imputed == 5
