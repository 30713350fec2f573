"""The linkage functions reach F1 >= 0.99 on FEBRL4 with unsupervised training (issue 3)."""

from __future__ import annotations

import pytest

from pact_analysis.linkage import evaluate, pipeline


@pytest.fixture(scope="module")
def febrl_run():
    frames, truth = evaluate.febrl4_sources()
    result = pipeline.link_records(frames, threshold=0.9, max_pairs_em=1e6, seed=20151101)
    return result, truth


def test_febrl4_pairwise_f1_at_least_099(febrl_run):
    result, truth = febrl_run
    scores = evaluate.pairwise_scores(evaluate.prediction_pairs(result.predictions, 0.9), truth)
    assert scores["true_pairs"] == 5000
    assert scores["f1"] >= 0.99, scores


def test_febrl4_clusters_bcubed_f1_at_least_099(febrl_run):
    result, truth = febrl_run
    clusters = result.clusters.rename(columns={"source_dataset": "source", "unique_id": "record_id"})
    assert evaluate.bcubed_scores(clusters, truth)["f1"] >= 0.99


def test_febrl4_blocking_stays_near_linear(febrl_run):
    result, _ = febrl_run
    # 10,000 records: far below the 25 million cross pairs, and enough pairs to keep the true links.
    assert result.pairs_compared < 50 * 10_000
