"""Validation metrics equal lifelines' and scikit-survival's, with weights and by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines.utils import concordance_index

from pact_analysis.chronicity.metrics import (
    _RankedScores,
    _ValidationMetrics,
    calibration,
    concordance,
    decision_curve,
    evaluate_predictions,
    publishable_thresholds,
    threshold_counts,
)


def test_concordance_matches_lifelines(rossi):
    data, _ = rossi
    risk = data["prio"] + 0.01 * data["age"]
    ours = concordance(data["week"], data["arrest"], risk)
    assert ours == pytest.approx(concordance_index(data["week"], -risk, data["arrest"]), abs=1e-9)
    assert concordance([1, 2, 3], [1, 1, 1], [3, 2, 1]) == 1.0
    assert concordance([1, 2, 3], [1, 1, 1], [1, 2, 3]) == 0.0


def test_concordance_counts_ties_and_weights_as_lifelines():
    rng = np.random.default_rng(11)
    for _ in range(100):
        n = int(rng.integers(5, 80))
        time = rng.integers(0, 8, n).astype(float)  # many tied times, exits and censorings among them
        event = rng.random(n) < 0.6
        risk = rng.integers(0, 5, n).astype(float)  # many tied risks
        if event.any() and len(np.unique(time)) > 1:
            ours = concordance(time, event, risk)
            assert ours == pytest.approx(concordance_index(time, -risk, event), abs=1e-12)
        weights = rng.integers(0, 4, n)
        rows = np.repeat(np.arange(n), weights)
        if event[rows].any() and len(np.unique(time[rows])) > 1:
            ours = concordance(time, event, risk, weights=weights)
            expected = concordance_index(time[rows], -risk[rows], event[rows])
            assert ours == pytest.approx(expected, abs=1e-12)


def _validation_frame(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    time = np.minimum(rng.exponential(np.exp(1.0 + 0.8 * x) * 10), 21.0)
    censored = rng.random(n) < 0.2
    time = np.where(censored, rng.uniform(0, 21, n), time).round(1)
    frame = pd.DataFrame(
        {
            "time": time,
            "exited": (time < 21) & ~censored,
            "person_key": rng.integers(0, n // 2, n).astype(str),
        }
    )
    frame["still"] = (frame["time"] >= 21).astype(int)
    p = 1 / (1 + np.exp(-(x - 0.5 + rng.normal(0, 0.5, n))))
    return frame, p


def test_time_dependent_auc_matches_scikit_survival():
    from sksurv.metrics import cumulative_dynamic_auc
    from sksurv.util import Surv

    frame, p = _validation_frame(600, 4)
    train, _ = _validation_frame(800, 5)
    ours = evaluate_predictions(frame, p, train=train, td_times=(5, 12), n_boot=0)["estimate"]
    expected, _ = cumulative_dynamic_auc(
        Surv.from_arrays(train["exited"], train["time"]),
        Surv.from_arrays(frame["exited"], frame["time"]),
        1 - p,
        [5, 12],
    )
    assert ours[["td_auc_5", "td_auc_12"]].to_numpy() == pytest.approx(expected, abs=1e-9)


def test_auc_with_weights_and_ties_matches_scikit_learn():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(11)
    score = rng.integers(0, 12, 400) / 4  # many ties
    ranked = _RankedScores(score)
    for _ in range(20):
        case = rng.random(400) < rng.uniform(0.05, 0.6)
        weights = rng.integers(0, 4, 400).astype(float) * rng.choice([1.0, 0.37], 400)
        keep = weights > 0
        expected = roc_auc_score(case[keep], score[keep], sample_weight=weights[keep])
        assert ranked.auc(case, weights) == pytest.approx(expected, abs=1e-12)
    assert np.isnan(ranked.auc(np.ones(400, bool), np.ones(400)))  # no control: no AUC
    assert _RankedScores([1, 2, 3]).auc(np.array([False, False, True]), np.ones(3)) == 1.0


def test_bootstrap_weights_equal_repeated_rows():
    frame, p = _validation_frame(500, 6)
    train, _ = _validation_frame(500, 7)
    weights = np.random.default_rng(8).integers(0, 3, len(frame))
    rows = np.repeat(np.arange(len(frame)), weights)
    weighted = _ValidationMetrics(frame, p, train, (5, 12))(weights)
    repeated = _ValidationMetrics(frame.iloc[rows], p[rows], train, (5, 12))()
    assert weighted == pytest.approx(repeated, abs=1e-6)


def test_calibration_recovers_slope():
    rng = np.random.default_rng(7)
    lp = rng.normal(0, 1.2, 20000)
    p = 1 / (1 + np.exp(-lp))
    y = rng.random(len(p)) < p
    good = calibration(y, p)
    assert good["slope"] == pytest.approx(1.0, abs=0.06) and good["citl"] == pytest.approx(0.0, abs=0.05)
    extreme = calibration(y, 1 / (1 + np.exp(-2 * lp)))
    assert extreme["slope"] == pytest.approx(0.5, abs=0.04)
    shifted = calibration(y, 1 / (1 + np.exp(-(lp - 0.5))))
    assert shifted["citl"] == pytest.approx(0.5, abs=0.06)  # risk underestimated: positive intercept
    assert len(good["table"]) == 10 and good["table"]["n"].sum() == len(y)
    # a row without a prediction (the oracle where a spell has no match in the truth) is left out
    gaps = p.copy()
    gaps[:50] = np.nan
    partial, without = calibration(y, gaps, missing="drop"), calibration(y[50:], p[50:])
    assert partial["slope"] == pytest.approx(without["slope"], rel=1e-9)
    assert partial["table"]["n"].sum() == len(y) - 50 and partial["n_dropped"] == 50
    # unless asked, a model that leaves rows unscored is an error, not a smaller sample
    with pytest.raises(ValueError, match="50 rows without a prediction"):
        calibration(y, gaps)


def test_bootstrap_is_seeded():
    rng = np.random.default_rng(3)
    n = 300
    frame = pd.DataFrame({"still": rng.integers(0, 2, n), "person_key": rng.integers(0, 200, n).astype(str)})
    frame["exited"] = frame["still"] == 0
    frame["time"] = np.where(frame["exited"], rng.uniform(0, 21, n), 21.0)
    p = np.clip(0.3 + 0.4 * frame["still"] + rng.normal(0, 0.2, n), 0.01, 0.99)
    a = evaluate_predictions(frame, p, train=frame, n_boot=20, seed=5)
    b = evaluate_predictions(frame, p, train=frame, n_boot=20, seed=5)
    pd.testing.assert_frame_equal(a, b)


def test_decision_curve_hand_example():
    y = np.array([1, 1, 0, 0])
    p = np.array([0.9, 0.4, 0.6, 0.1])
    curve = decision_curve(y, p, [0.5]).iloc[0]
    # at 0.5: one true and one needless alert among 4, weight 1
    assert curve["net_benefit"] == pytest.approx(1 / 4 - 1 / 4)
    assert curve["treat_all"] == pytest.approx(0.5 - 0.5) and curve["alert_rate"] == 0.5
    assert not curve["useful"]
    better = decision_curve(y, np.array([0.9, 0.8, 0.2, 0.1]), [0.5]).iloc[0]
    assert better["net_benefit"] == pytest.approx(0.5) and better["useful"]


def test_decision_curve_intervals_resample_persons_and_establish_only_a_real_gain():
    rng = np.random.default_rng(4)
    n = 1500
    risk = rng.uniform(0.05, 0.95, n)
    y = (rng.random(n) < risk).astype(int)
    thresholds = [0.3, 0.5, 0.7]
    good = decision_curve(y, risk, thresholds, n_boot=300, seed=1)
    assert (good["net_benefit_lower"] < good["net_benefit"]).all()
    assert (good["net_benefit"] < good["net_benefit_upper"]).all()
    assert good["established"].all()  # a calibrated, informative score beats both defaults
    noise = decision_curve(y, rng.permutation(risk), thresholds, n_boot=300, seed=1)
    assert not noise["established"].any() and (noise["gain_lower"] < 0).all()
    # a person's rows resampled together: the same rows twice as one person widen nothing
    twice = decision_curve(
        np.repeat(y, 2), np.repeat(risk, 2), thresholds, np.repeat(np.arange(n), 2), 300, 1
    )
    once_width = good["net_benefit_upper"] - good["net_benefit_lower"]
    twice_width = twice["net_benefit_upper"] - twice["net_benefit_lower"]
    assert np.allclose(twice_width, once_width, rtol=0.25)


def _small(x, m):
    return (x > 0) & (x < m)


def test_publishable_thresholds_leave_no_small_count_in_a_row_or_a_difference():
    rng = np.random.default_rng(8)
    n, m = 771, 10
    risk = rng.beta(2, 2, n)
    y = rng.random(n) < risk
    grid = sorted({*np.round(np.arange(0.05, 0.951, 0.05), 2), 0.7352})
    counts = threshold_counts(y, risk, grid)
    totals = {"flagged_with": int(y.sum()), "flagged_without": int((~y).sum())}
    kept = publishable_thresholds(counts, totals, 0.7352, m)
    assert 0.7352 in kept
    # the unsuppressed grid does give small counts away (else this test proves nothing)
    every = counts.to_numpy()
    assert (
        _small(np.abs(np.diff(every, axis=0)), m).any()
        or _small(totals["flagged_with"] - every[:, 0], m).any()
    )
    shown = counts.loc[kept].to_numpy()
    left = np.array([totals["flagged_with"], totals["flagged_without"]]) - shown
    assert not _small(shown, m).any() and not _small(left, m).any()
    # every pair of published rows, not only neighbours: a reader can difference any two
    for i in range(len(shown)):
        for j in range(i + 1, len(shown)):
            assert not _small(np.abs(shown[i] - shown[j]), m).any()
    # flagged and not flagged too (sums of the two counts)
    flagged = shown.sum(axis=1)
    assert not _small(np.abs(np.subtract.outer(flagged, flagged)), m).any()


def test_publishable_thresholds_by_hand():
    counts = pd.DataFrame(
        {"heads": [63, 42, 23, 16, 14, 6, 1, 0]}, index=[0.5, 0.6, 0.7, 0.735, 0.75, 0.8, 0.85, 0.9]
    )
    # 23 - 16 = 7 and 16 - 14 = 2 would give small cells away; 6 and 1 are small themselves
    assert publishable_thresholds(counts, {"heads": 83}, 0.735, 10) == [0.5, 0.6, 0.735, 0.9]
    # 80 of 83: three left unflagged
    assert publishable_thresholds(
        counts.assign(heads=[80, 42, 23, 16, 14, 6, 1, 0]), {"heads": 83}, 0.735, 10
    ) == [
        0.6,
        0.735,
        0.9,
    ]
    with pytest.raises(ValueError):
        publishable_thresholds(counts.iloc[::-1].set_axis(counts.index), {"heads": 83}, 0.735, 10)
    # no row of the table it derives from could be published (a small region): nothing to publish
    assert publishable_thresholds(counts.iloc[:0], {"heads": 83}, 0.735, 10) == []
