"""Clerical review: reproducible sample of uncertain pairs with both identities; precision from labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pact_analysis.errors import StageError
from pact_analysis.linkage import review
from tests.fixtures import valid_frames


def _pairs():
    ids = ["S000001", "S000002", "S000003", "S000004"]
    return pd.DataFrame(
        {
            "source_l": "sauss_persons",
            "record_id_l": ids,
            "source_r": "sauss_persons",
            "record_id_r": ids[1:] + ids[:1],
            "match_probability": [0.5, 0.999, 0.01, 0.93],
        }
    )


def test_sample_keeps_uncertain_pairs_with_identities_and_empty_label():
    frames = {"sauss_persons": valid_frames()["sauss_persons"]}
    a = review.clerical_sample(_pairs(), frames, np.random.default_rng(1))
    b = review.clerical_sample(_pairs(), frames, np.random.default_rng(1))
    pd.testing.assert_frame_equal(a, b)
    assert sorted(a["match_probability"]) == [0.5, 0.93]
    assert a["given_name_l"].notna().all() and a["doc_number_r"].notna().all()
    assert a["label"].isna().all()


def test_labelled_precision_with_wilson_interval():
    labelled = pd.DataFrame({"match_probability": [0.95, 0.97, 0.5, 0.4, 0.99], "label": [1, 0, 1, 0, None]})
    out = review.labelled_precision(labelled, threshold=0.9)
    assert {
        k: out[k] for k in ("labelled_pairs", "linked_pairs", "precision", "matches_below_threshold")
    } == {
        "labelled_pairs": 4,
        "linked_pairs": 2,
        "precision": 0.5,
        "matches_below_threshold": 1,
    }
    # Wilson score interval for 1 success in 2 at 95% (worked by hand: centre 0.5, half-width 0.4055).
    assert out["ci_lower"] == pytest.approx(0.0945, abs=1e-4)
    assert out["ci_upper"] == pytest.approx(0.9055, abs=1e-4)
    assert out["confidence"] == 0.95


def test_wilson_interval_stays_inside_zero_one_when_every_link_is_right():
    labelled = pd.DataFrame({"match_probability": [0.95] * 20, "label": ["1"] * 20})
    out = review.labelled_precision(labelled, threshold=0.9)
    assert out["precision"] == 1.0 and out["ci_upper"] == pytest.approx(1.0)
    assert 0.8 < out["ci_lower"] < 0.9  # 20/20: Wilson lower bound 0.839, not the Wald interval's 1.0


def test_no_labelled_link_gives_no_precision():
    labelled = pd.DataFrame({"match_probability": [0.5, 0.95], "label": [0, None]})
    out = review.labelled_precision(labelled, threshold=0.9)
    assert out["linked_pairs"] == 0 and out["precision"] is None and out["ci_lower"] is None


def test_a_label_other_than_zero_or_one_is_refused():
    labelled = pd.DataFrame(
        {"pair_id": ["PAIR00001", "PAIR00002"], "match_probability": [0.95, 0.97], "label": [1, 2]}
    )
    with pytest.raises(StageError, match="PAIR00002"):
        review.labelled_precision(labelled, threshold=0.9)
