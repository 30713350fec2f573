"""Validation: stability (Jaccard), agreement, the supervised ceiling and the true profiles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pact_analysis import profiles
from tests.profiles.toy import toy


def test_jaccard_stability_known_answer():
    labels = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    same = [np.arange(8)], [labels]
    assert profiles.jaccard_stability(labels, *same).tolist() == [1.0, 1.0]
    # second resample: one member of cluster 1 goes to cluster 0 -> J(0) = 4/5, J(1) = 3/4
    moved = np.array([0, 0, 0, 0, 0, 1, 1, 1])
    score = profiles.jaccard_stability(labels, [np.arange(8)] * 2, [labels, moved])
    assert score[0] == pytest.approx((1 + 4 / 5) / 2)
    assert score[1] == pytest.approx((1 + 3 / 4) / 2)
    assert profiles.stability_verdict(0.8) == "stable"
    assert profiles.stability_verdict(0.7) == "doubtful"
    assert profiles.stability_verdict(0.5) == "unstable"


def test_agreement_and_supervised_ceiling_ontoy():
    assert profiles.agreement([0, 0, 1, 1], ["a", "a", "b", "b"]) == 1.0
    assert profiles.agreement([1, 1, 0, 0], ["a", "a", "b", "b"]) == 1.0
    frame, group = toy(400)
    data = profiles.encode(frame, ["a", "b", "c"], ["x"])
    ceiling, predicted = profiles.supervised_ceiling(data, pd.Series(group), seed=1, folds=3)
    assert len(predicted) == 400
    assert 0.6 < ceiling <= 1.0
    noise = pd.Series(np.random.default_rng(2).integers(0, 2, 400))
    assert profiles.supervised_ceiling(data, noise, seed=1, folds=3)[0] < 0.1


def test_true_profiles_majority_of_records():
    crosswalk = pd.DataFrame(
        {
            "source": ["s", "s", "s", "r"],
            "record_id": ["1", "2", "3", "1"],
            "person_key": ["k1", "k1", "k1", "k2"],
        }
    )
    records = pd.DataFrame(
        {"source": ["s", "s", "s", "r"], "record_id": ["1", "2", "3", "1"], "person_id": ["A", "A", "B", "B"]}
    )
    persons = pd.DataFrame({"person_id": ["A", "B"], "profile": ["leaver", "stayer"]})
    assert profiles.true_profiles(crosswalk, records, persons).to_dict() == {"k1": "leaver", "k2": "stayer"}


def test_bootstrap_refits_with_the_main_start_strategy():
    frame, group = toy(300)
    data = profiles.encode(frame, ["a", "b", "c"], [])
    jaccard, summary = profiles.bootstrap_stability(data, group, 2, n_boot=6, n_init=4, seed=1, max_starts=8)
    assert summary["replicates"] == 6
    assert 4 <= summary["starts_min"] <= summary["starts_max"] <= 8
    assert summary["converged_share"] == 1.0
    assert (jaccard > 0.75).all()  # two well-separated groups are stable


def test_ceiling_folds_grouped_by_household_do_not_leak():
    # each household has its own answer pattern and one label: splitting persons lets the classifier
    # learn a household's label from its other members; grouped folds cannot
    rng = np.random.default_rng(0)
    households = np.repeat(np.arange(40), 25)
    pattern = rng.integers(0, 40, (40, 1))[households]
    frame = pd.DataFrame({"v0": pattern[:, 0].astype(str)})
    labels = pd.Series(rng.integers(0, 2, 40)[households])
    data = profiles.encode(frame, list(frame.columns), [])
    leaky, _ = profiles.supervised_ceiling(data, labels, seed=1, folds=3)
    grouped, _ = profiles.supervised_ceiling(data, labels, seed=1, folds=3, groups=households)
    assert leaky > 0.5 and grouped < 0.2
