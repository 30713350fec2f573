"""Pairwise and B-cubed scores on toy clusterings worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pact_analysis.linkage import evaluate

# Truth: person A = r1 r2 r3, person B = r4 r5, person C = r6.
TRUTH = pd.DataFrame(
    {"source": "s", "record_id": [f"r{i}" for i in range(1, 7)], "person_id": ["A", "A", "A", "B", "B", "C"]}
)


def clusters(labels):
    return pd.DataFrame({"source": "s", "record_id": [f"r{i}" for i in range(1, 7)], "cluster_id": labels})


def test_bcubed_perfect_clustering_scores_one():
    scores = evaluate.bcubed_scores(clusters(["a", "a", "a", "b", "b", "c"]), TRUTH)
    assert scores == pytest.approx({"precision": 1.0, "recall": 1.0, "f1": 1.0})


def test_bcubed_on_a_worked_example():
    # Clusters {r1 r2} {r3 r4 r5} {r6}.
    scores = evaluate.bcubed_scores(clusters(["x", "x", "y", "y", "y", "z"]), TRUTH)
    # precision: r1,r2 -> 1; r3 -> 1/3; r4,r5 -> 2/3; r6 -> 1  => (2 + 1/3 + 4/3 + 1) / 6
    assert scores["precision"] == pytest.approx((2 + 1 / 3 + 4 / 3 + 1) / 6)
    # recall: r1,r2 -> 2/3; r3 -> 1/3; r4,r5 -> 1; r6 -> 1  => (4/3 + 1/3 + 2 + 1) / 6
    assert scores["recall"] == pytest.approx((4 / 3 + 1 / 3 + 2 + 1) / 6)


def test_cluster_pairwise_on_the_same_example():
    scores = evaluate.cluster_pairwise_scores(clusters(["x", "x", "y", "y", "y", "z"]), TRUTH)
    # predicted pairs: 1 + 3 = 4, of which true: (r1,r2), (r4,r5) = 2; true pairs: 3 + 1 = 4.
    assert scores["precision"] == pytest.approx(0.5)
    assert scores["recall"] == pytest.approx(0.5)


def test_pairwise_scores_count_links():
    links = pd.DataFrame(
        {
            "source_l": "s",
            "record_id_l": ["r1", "r1", "r4"],
            "source_r": "s",
            "record_id_r": ["r2", "r6", "r5"],
        }
    )
    scores = evaluate.pairwise_scores(links, TRUTH)
    assert scores["precision"] == pytest.approx(2 / 3)
    assert scores["recall"] == pytest.approx(2 / 4)


def test_deterministic_baseline_links_only_equal_documents():
    prepared = pd.DataFrame(
        {"source_dataset": "s", "unique_id": ["r1", "r2", "r3"], "doc_norm": ["01234567Z", "01234567Z", None]}
    )
    out = evaluate.deterministic_clusters(prepared)
    assert out["cluster_id"].nunique() == 2
    assert out.loc[0, "cluster_id"] == out.loc[1, "cluster_id"]


def test_threshold_curve_recall_never_increases_with_threshold():
    preds = pd.DataFrame(
        {
            "source_l": "s",
            "record_id_l": ["r1", "r1", "r4"],
            "source_r": "s",
            "record_id_r": ["r2", "r6", "r5"],
            "match_probability": [0.99, 0.6, 0.3],
        }
    )
    curve = evaluate.threshold_curve(preds, TRUTH, [0.1, 0.5, 0.95])
    assert curve["recall"].is_monotonic_decreasing
    assert curve.loc[curve["threshold"] == 0.95, "precision"].item() == 1.0


def test_identical_cluster_share_counts_records_whose_cluster_is_the_same_set():
    a = clusters(["x", "x", "y", "y", "y", "z"])
    # the same partition under other ids: every record's cluster is identical
    assert evaluate.identical_cluster_share(a, clusters([1, 1, 2, 2, 2, 3])) == 1.0
    # r5 split off from {r3 r4 r5}: r3, r4 and r5 are in changed clusters; r1 r2 r6 are not
    assert evaluate.identical_cluster_share(a, clusters([1, 1, 2, 2, 4, 3])) == pytest.approx(3 / 6)
    # r6 joins {r1 r2}: only {r3 r4 r5} is unchanged
    assert evaluate.identical_cluster_share(a, clusters([1, 1, 2, 2, 2, 1])) == pytest.approx(3 / 6)


def test_identical_cluster_share_agrees_with_sklearn_on_identical_partitions():
    from sklearn.metrics import adjusted_rand_score

    rng = np.random.default_rng(1)
    labels = rng.integers(0, 40, 300)
    a = pd.DataFrame({"source": "s", "record_id": [f"r{i}" for i in range(300)], "cluster_id": labels})
    b = a.assign(cluster_id=(labels * 7 + 3).astype(str))  # relabelled: the same partition
    c = a.assign(cluster_id=np.where(np.arange(300) == 0, 999, labels))  # one record moved out
    assert adjusted_rand_score(a["cluster_id"], b["cluster_id"]) == 1.0
    assert evaluate.identical_cluster_share(a, b) == 1.0
    assert adjusted_rand_score(a["cluster_id"], c["cluster_id"]) < 1.0
    moved_from = (labels == labels[0]).sum()  # its old cluster changed, and so did its own
    assert evaluate.identical_cluster_share(a, c) == pytest.approx((300 - moved_from) / 300)


def test_identical_cluster_share_refuses_different_records():
    with pytest.raises(ValueError, match="same records"):
        evaluate.identical_cluster_share(clusters(list("aabbcc")), clusters(list("aabbcc")).iloc[:5])


def test_record_positions_find_each_side_and_mark_unknown_records():
    pairs = pd.DataFrame(
        {
            "source_l": ["s", "s", "t"],
            "record_id_l": ["r2", "r9", "r1"],
            "source_r": ["s"] * 3,
            "record_id_r": ["r6", "r1", "r1"],
        }
    )
    left, right = evaluate.record_positions(TRUTH, pairs)
    assert left.tolist() == [1, -1, -1] and right.tolist() == [5, 0, 0]
    with pytest.raises(Exception, match="[Uu]nique|duplicate"):
        evaluate.record_positions(pd.concat([TRUTH, TRUTH]), pairs)


def test_threshold_curve_counts_pairs_with_a_record_unknown_to_the_truth_as_false_links():
    preds = pd.DataFrame(
        {
            "source_l": "s",
            "record_id_l": ["r1", "r1", "r4", "r1"],
            "source_r": "s",
            "record_id_r": ["r2", "r3", "r5", "rX"],
            "match_probability": [0.99, 0.6, 0.95, 0.97],
        }
    )
    curve = evaluate.threshold_curve(preds, TRUTH, [0.5, 0.9]).set_index("threshold")
    assert curve.loc[0.5, "precision"] == pytest.approx(3 / 4) and curve.loc[0.5, "recall"] == pytest.approx(
        3 / 4
    )
    assert curve.loc[0.9, "precision"] == pytest.approx(2 / 3) and curve.loc[0.9, "recall"] == pytest.approx(
        2 / 4
    )
