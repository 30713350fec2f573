"""The deployed model's recalibration, landmarks, threshold and test-cohort validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from pact_analysis.chronicity.deployment import (
    DEPLOYED_METRICS,
    calibration_fit,
    choose_deployment,
    cohort_split,
    deployed_validation,
    landmark_verdict,
    slope_interval,
)
from pact_analysis.chronicity.landmark import SPELL_MONTH
from pact_analysis.chronicity.results import useful_ranges

PARAMS = {
    "data": {"extraction_date": "2018-10-31"},
    "synthetic": {"start_date": "2011-01-01"},
    "chronicity": {"develop_before": "2014-01-01", "recalibrate_before": "2015-01-01", "alert_share": 0.2},
}


def _rows(n: int = 6000, seed: int = 0, a: float = 0.0, b: float = 1.0) -> tuple[pd.DataFrame, np.ndarray]:
    """Stacked rows of persons at landmarks 3 and 6; the true logit is ``a + b * logit``."""
    rng = np.random.default_rng(seed)
    logit = rng.normal(0.5, 1.2, n)
    y = rng.random(n) < 1 / (1 + np.exp(-(a + b * logit)))
    rows = pd.DataFrame(
        {
            "person_key": (np.arange(n) // 2).astype(str),
            "still": y.astype(int),
            SPELL_MONTH: np.where(np.arange(n) % 2 == 0, 3.0, 6.0),
        }
    )
    return rows, logit


def test_cohort_split_by_start_date():
    stack = pd.DataFrame(
        {"start_date": pd.to_datetime(["2012-05-01", "2014-03-01", "2015-01-01", "2016-02-01"])}
    )
    assert cohort_split(stack, PARAMS).tolist() == ["develop", "recalibrate", "test", "test"]


def test_calibration_fit_recovers_slope_and_intercept():
    rows, logit = _rows(40000, seed=1)
    p = 1 / (1 + np.exp(-logit))
    slope, intercept = calibration_fit(rows["still"], p)
    assert slope == pytest.approx(1.0, abs=0.05) and intercept == pytest.approx(0.0, abs=0.05)
    over = 1 / (1 + np.exp(-2 * logit))  # overconfident: slope one half
    assert calibration_fit(rows["still"], over)[0] == pytest.approx(0.5, abs=0.03)
    # frequency weights equal repeated rows
    w = np.where(np.arange(len(p)) % 3 == 0, 2.0, 1.0)
    rep = np.repeat(np.arange(len(p)), w.astype(int))
    assert calibration_fit(rows["still"], p, w) == pytest.approx(
        calibration_fit(rows["still"].to_numpy()[rep], p[rep]), abs=1e-8
    )


def test_choose_deployment_recalibrates_only_when_it_helps_out_of_sample():
    rows, logit = _rows(seed=2, a=0.4, b=0.6)
    miscal = choose_deployment(rows, logit, PARAMS, seed=0)
    assert miscal["recalibrated"] and miscal["log_loss_recalibrated"] < miscal["log_loss_raw"]
    assert miscal["recalibration"][1] == pytest.approx(0.6, abs=0.1)
    risk = 1 / (1 + np.exp(-(miscal["recalibration"][0] + miscal["recalibration"][1] * logit)))
    assert (risk >= miscal["threshold"]).mean() == pytest.approx(0.2, abs=0.01)  # alert_share
    assert miscal["validated_landmarks"] == [3.0, 6.0]
    good = choose_deployment(*_rows(seed=3), PARAMS, seed=0)
    assert not good["recalibrated"] and good["recalibration"] == (0.0, 1.0)


def test_each_landmark_is_validated_on_its_own_interval_and_events():
    rows, logit = _rows(n=20000, seed=4)
    choice = choose_deployment(rows, logit, PARAMS, seed=0)
    assert choice["landmark_verdicts"] == {3.0: "validated", 6.0: "validated"}
    low, high = choice["landmark_slope_ci"][3.0]
    assert 0.8 <= low < choice["landmark_slopes"][3.0] < high <= 1.2
    # at month 6 the score says nothing of the outcome: shown miscalibrated, never validated
    noise = np.where(rows[SPELL_MONTH] == 3.0, logit, np.random.default_rng(5).permutation(logit))
    choice = choose_deployment(rows, noise, PARAMS, seed=0)
    assert choice["landmark_verdicts"][6.0] == "miscalibrated" and 6.0 not in choice["validated_landmarks"]
    # month 3 with too few events is not validated; month 6 is, on its own
    rows, logit = _rows(seed=6)
    keep = ((rows[SPELL_MONTH] == 6.0) | (np.arange(len(rows)) < 100)).to_numpy()
    gap = choose_deployment(rows.loc[keep], logit[keep], PARAMS, seed=0)
    assert sum(gap["landmark_counts"][3.0]) == 50 and gap["landmark_verdicts"][3.0] == "too_few"
    assert gap["validated_landmarks"] == [6.0]
    # too few events everywhere: nothing validated; the threshold is then set at landmark_month
    # (what the model would do is still reported; the alerts are withheld)
    few = {**PARAMS, "chronicity": {**PARAMS["chronicity"], "validated_min_events": 5000}}
    none = choose_deployment(*_rows(seed=3), few, seed=0)
    assert none["validated_landmarks"] == [] and np.isfinite(none["threshold"])


def test_a_point_slope_in_the_band_is_not_enough_to_validate():
    # well calibrated, but on 600 rows a landmark's interval is wider than the band
    rows, logit = _rows(n=1200, seed=8)
    choice = choose_deployment(rows, logit, PARAMS, seed=0)
    for m in (3.0, 6.0):
        low, high = choice["landmark_slope_ci"][m]
        assert low < 0.8 or high > 1.2
        assert choice["landmark_verdicts"][m] == "not_established"
    assert choice["validated_landmarks"] == []


def test_landmark_verdict_tests_the_claim():
    band = (0.8, 1.2)
    assert landmark_verdict((0.85, 1.1), band, (150, 120), 100) == "validated"
    assert landmark_verdict((0.9, 1.3), band, (150, 120), 100) == "not_established"
    assert landmark_verdict((0.3, 0.7), band, (150, 120), 100) == "miscalibrated"
    assert landmark_verdict((1.25, 1.6), band, (150, 120), 100) == "miscalibrated"
    assert landmark_verdict((0.85, 1.1), band, (150, 99), 100) == "too_few"


def test_slope_interval_treats_a_persons_rows_as_one_cluster():
    rows, logit = _rows(n=4000, seed=9)
    p = 1 / (1 + np.exp(-logit))
    y, persons = rows["still"].to_numpy(), rows["person_key"].to_numpy()
    once = slope_interval(y, p, np.arange(len(y)))
    # every person's row twice: the same information, so the interval must not shrink
    twice = slope_interval(np.repeat(y, 2), np.repeat(p, 2), np.repeat(np.arange(len(y)), 2))
    assert twice[0] == pytest.approx(once[0])
    assert twice[2] - twice[1] == pytest.approx(once[2] - once[1], rel=0.01)
    # treated as independent rows it would shrink by about 1/sqrt(2)
    naive = slope_interval(np.repeat(y, 2), np.repeat(p, 2), np.arange(2 * len(y)))
    assert naive[2] - naive[1] == pytest.approx((once[2] - once[1]) / np.sqrt(2), rel=0.02)
    assert slope_interval(y, p, persons)[1] < once[0] < slope_interval(y, p, persons)[2]


def test_deployed_validation_point_figures_and_person_intervals():
    rows, logit = _rows(seed=5)
    p = 1 / (1 + np.exp(-logit))
    out = deployed_validation(rows, p, threshold=0.8, n_boot=100, seed=1)
    flag, y = p >= 0.8, rows["still"].to_numpy() == 1
    assert out["sensitivity"] == pytest.approx(flag[y].mean())
    assert out["ppv"] == pytest.approx(y[flag].mean())
    assert out["false_negative_rate"] == pytest.approx(1 - out["sensitivity"])
    assert out["deployed_auc"] == pytest.approx(roc_auc_score(y, p))
    n = len(y)
    assert out["net_benefit"] == pytest.approx((flag & y).sum() / n - (flag & ~y).sum() / n * 0.8 / 0.2)
    for name in DEPLOYED_METRICS:
        low, high = out[f"{name}_ci"]
        assert low < out[name] < high, name
    assert out["test_persons"] == n // 2


def test_useful_ranges_never_join_a_broken_range():
    curve = pd.DataFrame(
        {"threshold": [0.05, 0.1, 0.15, 0.2, 0.25], "useful": [True, False, True, True, False]}
    )
    assert useful_ranges(curve) == [[0.05, 0.05], [0.15, 0.2]]
    assert useful_ranges(curve.assign(useful=False)) == []


class _Model:
    """A deployed model stub: risk from a column, validated landmarks given."""

    def __init__(self, landmarks):
        self.validated_landmarks = tuple(landmarks)

    def risk(self, frame):
        return frame["p"].to_numpy()


def test_alerts_are_withheld_when_the_test_cohort_calibration_fails():
    from pact_analysis.chronicity.deployment import deployed_check

    rows, logit = _rows(8000, seed=7)
    stack = rows.assign(start_date=pd.Timestamp("2016-01-01"), p=1 / (1 + np.exp(-logit)))
    ok = deployed_check(stack, _Model([3.0, 6.0]), PARAMS)
    assert not ok["withheld"] and 0.8 <= ok["slope"] <= 1.2
    flat = deployed_check(stack.assign(p=1 / (1 + np.exp(-logit / 2))), _Model([3.0, 6.0]), PARAMS)
    assert flat["withheld"] and flat["slope"] > 1.2  # too flat: slope near 2
    assert deployed_check(stack, _Model([]), PARAMS)["withheld"]  # no validated landmark
    early = stack.assign(start_date=pd.Timestamp("2014-06-01"))  # no test-cohort rows
    assert deployed_check(early, _Model([3.0]), PARAMS)["withheld"]


def test_scoring_landmark_scores_only_inside_validated_intervals():
    from pact_analysis.chronicity.deployment import scoring_landmark

    got = scoring_landmark(
        np.array([2, 3, 5.9, 6, 8, 9, 20.5, 21, 23.9, 24]), [3.0, 9.0, 21.0], [3, 6, 9, 12, 15, 18, 21]
    )
    expected = [np.nan, 3, 3, np.nan, np.nan, 9, np.nan, 21, 21, np.nan]
    assert np.array_equal(got, expected, equal_nan=True)


def test_opposite_miscalibrations_at_two_landmarks_do_not_cancel():
    """Too flat at month 3, too steep at month 6: the pooled interval lies inside the band, each
    landmark's does not, and the alerts are withheld."""
    from pact_analysis.chronicity.deployment import deployed_check, test_verdicts

    rows, logit = _rows(20000, seed=7)
    k = np.where(rows[SPELL_MONTH].to_numpy() == 3.0, 1 / 1.4, 1.4)
    stack = rows.assign(start_date=pd.Timestamp("2016-01-01"), p=1 / (1 + np.exp(-logit * k)))
    check = deployed_check(stack, _Model([3.0, 6.0]), PARAMS)
    low, high = check["slope_ci"]
    assert low >= 0.8 and high <= 1.2  # pooled, the two cancel
    assert check["withheld"] and check["failed_landmarks"] == [3.0, 6.0]
    assert check["test_verdicts"][3.0]["slope"] > 1.2 > 0.8 > check["test_verdicts"][6.0]["slope"]
    assert check["pooled_ok"] and check["confirmed_landmarks"] == []
    # a validated landmark the test cohort cannot judge (no row with the outcome) is not scored: it
    # cannot pass for want of test data; the alerts go out at the landmark that is confirmed
    calibrated = stack.assign(p=1 / (1 + np.exp(-logit)))
    at_six = np.flatnonzero(calibrated[SPELL_MONTH].to_numpy() == 6.0)
    thin = calibrated.drop(index=calibrated.index[at_six[3:]])  # three rows left at month 6
    verdicts = test_verdicts(
        thin.loc[thin[SPELL_MONTH].isin([3.0, 6.0])], thin["p"].to_numpy(), [3.0, 6.0], PARAMS
    )
    assert verdicts[6.0]["verdict"] == "too_few" and verdicts[3.0]["verdict"] == "validated"
    thin_check = deployed_check(thin, _Model([3.0, 6.0]), PARAMS)
    assert thin_check["confirmed_landmarks"] == [3.0] and thin_check["failed_landmarks"] == [6.0]
    assert not thin_check["withheld"]


def test_calibration_of_constant_predictions_has_no_slope_but_an_intercept():
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 1.0])
    slope, intercept = calibration_fit(y, np.full(6, 0.5))
    assert np.isnan(slope) and intercept == pytest.approx(np.log(2))  # 4 of 6 against 0.5
