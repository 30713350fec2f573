"""``linkage.backend: spark``: the same Splink model on Spark (local mode) as on DuckDB, on the tiny region.

The DuckDB run is the ``link`` stage's own output on the tiny project; the Spark run links the same
clean records with the same parameters. They must put the same records into the same persons (at least
99.5% of records in identical clusters), compare the same pairs and reach the same accuracy against
the synthetic truth.

Needs Java 17 and pyspark: skipped on a machine without them, except in CI (``CI`` set), where a
missing runtime is a failure (``.ci/run`` installs ``openjdk-17-jre-headless``).
"""

from __future__ import annotations

import json
import logging
import time

import pandas as pd
import pytest

from pact_analysis import codebook, ingest
from pact_analysis.linkage import evaluate, pipeline
from pact_analysis.params import load_params
from tests.linkage.spark_env import require_spark

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("spark")]


@pytest.fixture(scope="module")
def spark_run(tiny_project):
    """Link the tiny project's clean person records on Spark with the project's parameters."""
    require_spark()
    logging.getLogger("splink").setLevel(logging.ERROR)
    params = load_params(tiny_project.params)
    settings = params["linkage"]
    frames = ingest.read_clean(tiny_project)
    persons = {s: frames[s] for s in codebook.person_sources() if s in frames}
    start = time.perf_counter()
    result = pipeline.link_records(
        persons,
        threshold=float(settings["threshold"]),
        max_pairs_em=float(settings["max_pairs_em"]),
        seed=int(params["seed"]),
        backend="spark",
        spark=settings["spark"],
    )
    return result, time.perf_counter() - start, params


def _clusters(result: pipeline.LinkageResult) -> pd.DataFrame:
    out = result.clusters.rename(columns={"source_dataset": "source", "unique_id": "record_id"})
    return out.astype("string")


def test_spark_runs_on_spark(spark_run):
    result, _, _ = spark_run
    from splink import SparkAPI

    assert isinstance(result.linker._db_api, SparkAPI)
    assert result.linker._db_api.spark.sparkContext.master == "local[2]"


def test_spark_and_duckdb_put_the_same_records_into_the_same_persons(spark_run, tiny_project):
    result, seconds, _ = spark_run
    duckdb_clusters = pd.read_parquet(tiny_project.linkage / "clusters.parquet").astype("string")
    share = evaluate.identical_cluster_share(duckdb_clusters, _clusters(result))
    summary = json.loads(tiny_project.linkage_summary.read_text())
    print(f"Spark linkage {seconds:.0f} s; {share:.4%} of records in identical clusters")
    assert share >= 0.995
    assert result.pairs_compared == summary["pairs_compared"]  # the same blocking rules, the same pairs


def test_spark_and_duckdb_learn_the_same_m_probabilities(spark_run, tiny_project):
    """EM starts from u probabilities sampled differently by each engine; m must still agree closely."""
    result, _, _ = spark_run
    duckdb_model = json.loads((tiny_project.linkage / "model.json").read_text())

    def m_values(model):
        return {
            (c["output_column_name"], level.get("label_for_charts", i)): level["m_probability"]
            for c in model["comparisons"]
            for i, level in enumerate(c["comparison_levels"])
            if "m_probability" in level
        }

    ours, theirs = m_values(result.model), m_values(duckdb_model)
    assert ours.keys() == theirs.keys()
    assert max(abs(ours[k] - theirs[k]) for k in ours) < 0.01


def test_spark_and_duckdb_reach_the_same_accuracy(spark_run, tiny_project):
    result, _, params = spark_run
    truth = pd.read_parquet(tiny_project.truth / "records.parquet")
    spark_quality = evaluate.quality_metrics(
        result.predictions, _clusters(result), result.prepared, truth, float(params["linkage"]["threshold"])
    )
    duckdb_quality = json.loads(tiny_project.linkage_summary.read_text())["quality"]
    for kind in ("pairwise", "bcubed"):
        for score in ("precision", "recall", "f1"):
            assert spark_quality[kind][score] == pytest.approx(duckdb_quality[kind][score], abs=0.005), (
                kind,
                score,
            )
    assert spark_quality["pairwise"]["precision"] >= 0.99
    assert spark_quality["pairwise"]["recall"] >= 0.98
