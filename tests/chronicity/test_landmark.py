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
    assert (at12["still"] == (at12["duration"] > 33)).all()
    assert result["deployed"].features == predictors(params) and "foreign" not in predictors(params)
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
    m = result["metrics"]
    assert set(m["model"]) == {"cox", "logistic", "boosting", "oracle"}
    # percentile intervals of 5 replicates need not contain the estimate; they must be ordered and finite
    assert (m["ci_lower"] <= m["ci_upper"] + 1e-12).all() and np.isfinite(
        m[["ci_lower", "ci_upper"]]
    ).all().all()


def test_logistic_specification_reproduces_the_predictions(tiny):
    _, params, tables = tiny
    lm = landmark_stack(build_spells(tables, params), tables, params)
    features = predictors(params)
    model = fit_predictors(lm, params={**params, "chronicity": {"models": ["logistic"], "logistic_C": 1.0}})
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
