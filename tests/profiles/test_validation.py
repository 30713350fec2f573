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
