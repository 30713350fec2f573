"""Clerical review: reproducible sample of uncertain pairs with both identities; precision from labels."""

from __future__ import annotations

import numpy as np
import pandas as pd

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


def test_labelled_precision():
    labelled = pd.DataFrame({"match_probability": [0.95, 0.97, 0.5, 0.4, 0.99], "label": [1, 0, 1, 0, None]})
    out = review.labelled_precision(labelled, threshold=0.9)
    assert out == {
        "n_labelled": 4,
        "n_above_threshold": 2,
        "precision_above_threshold": 0.5,
        "matches_below_threshold": 1,
    }
