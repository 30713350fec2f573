"""The predictive model on the tiny region: landmarks, validation, specification, deployed form."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pact_analysis.chronicity.deployed import LinearModel, linear_model
from pact_analysis.chronicity.landmark import (
    fit_predictors,
    landmark_stack,
    logistic_specification,
    predictors,
)
from pact_analysis.chronicity.spells import build_spells
from pact_analysis.chronicity.validation import predictive_validation
from tests.chronicity.conftest import LIGHT

pytestmark = pytest.mark.xdist_group("tiny_region")


def test_predictive_validation_tiny(tiny):
    paths, params, _ = tiny
    light = {**params, "chronicity": {**params.get("chronicity", {}), **LIGHT}}
    result = predictive_validation(paths.processed, light, truth=paths.truth, n_boot=5)
    lm, stack = result["landmark"], result["stack"]
    assert (lm["duration"] > 3).all() and set(lm["split"]) == {"develop", "validate"}
    assert (lm["months_on_spell"] == 3).all() and set(stack["months_on_spell"]) == {3, 6, 9, 12, 15, 18, 21}
    # the same window at every landmark: at month 12, still receiving at month 33
    at12 = stack.loc[stack["months_on_spell"] == 12]
    assert (at12["outcome_same_spell"] == (at12["duration"] > 33)).all()
    # primary outcome: receiving at the horizon in this or a later spell (a return counts)
    assert (at12["still"] == at12["outcome_receiving"]).all() and (
        at12["still"] >= at12["outcome_same_spell"]
    ).all()
    assert (at12["outcome_sanction_as_chronic"] >= at12["still"]).all()
    # every predictor, those without variation in the development rows left out (svc_other here)
    varying = [f for f in predictors(params) if stack.loc[stack["split"] == "develop", f].nunique() > 1]  # noqa: PD101
    assert result["deployed"].features == varying and "foreign" not in predictors(params)
    assert lm["p_deployed"].between(0, 1).all() and result["deployed"].recalibration[1] > 0
    assert (lm.loc[lm["split"] == "develop", "start_date"] < pd.Timestamp("2014-01-01")).all()
    assert lm["p_oracle"].notna().all()  # every processed spell maps to its true spell
    s = result["summary"]
    assert {
        "c_index",
        "oracle_c_index",
        "calibration_slope",
        "auc",
        "oracle_auc",
        "c_index_with_protected",
    } <= set(s)
    assert 0.5 < s["oracle_c_index"] < 0.9 and 0.5 < s["c_index"] < 0.9
    # the deployed model: decided on the recalibration cohort, reported on the test cohort
    assert set(s["validated_landmarks"]) <= {3, 6, 9, 12, 15, 18, 21}
    assert s["max_scored_landmark"] in [*s["validated_landmarks"], None]
    assert 0 < s["deployed_threshold"] < 1 and set(s["cohort_rows"]) == {"develop", "recalibrate", "test"}
    test = result["test_rows"]
    assert (test["start_date"] >= pd.Timestamp("2015-01-01")).all() and len(test) == s["test_rows"]
    m = result["metrics"]
    assert set(m["model"]) == {"cox", "logistic", "boosting", "oracle"}
    # percentile intervals of 5 replicates need not contain the estimate; they must be ordered and finite
    assert (m["ci_lower"] <= m["ci_upper"] + 1e-12).all() and np.isfinite(
        m[["ci_lower", "ci_upper"]]
    ).all().all()


def test_logistic_specification_reproduces_the_predictions(tiny):
    _, params, tables = tiny
    lm = landmark_stack(build_spells(tables, params), tables, params)
    model = fit_predictors(lm, params={**params, "chronicity": {"models": ["logistic"], "logistic_C": 1.0}})
    features = model["logistic"].features  # the predictors that vary (svc_other may not, here)
    assert set(features) <= set(predictors(params))
    spec = logistic_specification(model["logistic"])
    lp = spec.loc["intercept", "coef"] + lm[features].to_numpy(float) @ spec.loc[features, "coef"].to_numpy()
    assert np.allclose(1 / (1 + np.exp(-lp)), model["logistic"].predict_still(lm))
    assert spec.loc["age_per_decade", "odds_ratio"] == pytest.approx(
        np.exp(spec.loc["age_per_decade", "coef"])
    )
    deployed = linear_model(model["logistic"], lm)
    a, b = deployed.recalibration
    assert np.allclose(deployed.logit(lm), a + b * lp)  # the deployed model: recalibrated, same ranking
    again = LinearModel.from_table(deployed.table())
    assert np.allclose(again.risk(lm), deployed.risk(lm))
    assert np.allclose(deployed.factor_contributions(lm).sum(axis=1) + deployed.reference, deployed.logit(lm))


def test_person_folds_never_split_a_person():
    import numpy as np

    from pact_analysis.chronicity.landmark import person_folds

    rng = np.random.default_rng(0)
    persons = np.repeat(np.arange(200), rng.integers(1, 8, 200))
    rows = pd.DataFrame({"person_key": persons.astype(str), "still": rng.integers(0, 2, len(persons))})
    folds = person_folds(rows, seed=1)
    assert len(folds) == 5
    seen = np.concatenate([test for _, test in folds])
    assert sorted(seen) == list(range(len(rows)))
    for train, test in folds:
        assert not set(rows["person_key"].iloc[train]) & set(rows["person_key"].iloc[test])


def test_outcome_columns_hand_example():
    from pact_analysis.chronicity.landmark import outcome_columns

    d = pd.Timestamp
    spells = pd.DataFrame(
        {
            "person_key": ["a", "a", "b", "c", "d"],
            "start_date": [
                d("2012-01-01"),
                d("2012-09-01"),
                d("2012-01-01"),
                d("2012-01-01"),
                d("2012-01-01"),
            ],
            "exit_date": [
                d("2012-06-01"),
                d("2018-10-31"),
                d("2012-06-01"),
                d("2018-10-31"),
                d("2012-06-01"),
            ],
            "event": [True, False, True, False, True],
            "cause": ["NON_COMPLIANCE", "censored", "NON_COMPLIANCE", "censored", "JOB_INCOME"],
            "duration": [5.0, 74.0, 5.0, 82.0, 5.0],
        }
    )
    rows = spells.drop(index=1)  # the first spell of each person, at its landmark
    horizon = pd.Series(d("2014-01-01"), index=rows.index)
    out = outcome_columns(rows, spells, horizon)
    # a: sanctioned, back on the benefit at the horizon; b: sanctioned and out; c: same spell; d: job exit
    assert out["outcome_receiving"].tolist() == [1, 0, 1, 0]
    assert out["outcome_same_spell"].tolist() == [0, 0, 1, 0]
    assert out["outcome_sanction_as_chronic"].tolist() == [1, 1, 1, 0]
