"""Validation against the truth: true-covariate Cox covers the truth, the oracle, omitted traits."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pact_analysis.chronicity.truth import (
    LATENT,
    observable_versus_truth,
    oracle_still_receiving,
    validate_against_truth,
)

pytestmark = pytest.mark.xdist_group("tiny_region")


def test_true_covariate_cox_covers_truth(tiny):
    paths, params, _ = tiny
    table = validate_against_truth(paths.truth, params)
    hazard = json.loads((paths.truth / "hazard.json").read_text())
    assert len(table) == 3 * (len(hazard["covariates"]) + 2)
    row = table.set_index(["cause", "covariate"]).loc[("JOB_INCOME", "employability")]
    assert row["true"] == hazard["coefficients"]["JOB_INCOME"]["employability"]
    # tiny region (about 650 spells, 30 care/moved exits): measured 38 of 39 intervals cover
    assert table.attrs["coverage"] >= 0.8


def test_oracle_formula():
    hazard = {
        "shape": 0.8,
        "baseline": {"A": 0.03, "B": 0.01},
        "coefficients": {"A": {"x": 0.5}, "B": {"x": 0.0}},
        "profile_log_frailty": {"A": {"p": 0.2}, "B": {"p": -0.1}},
        "covariates": {"x": "a covariate"},
    }
    design = pd.DataFrame({"x": [0.0, 1.0], "profile": ["p", "p"]})
    got = oracle_still_receiving(design, hazard, landmark=3, horizon=24)
    rate = 0.03 * np.exp(np.array([0.0, 0.5]) + 0.2) + 0.01 * np.exp(-0.1)
    assert np.allclose(got, np.exp(-(24**0.8 - 3**0.8) * rate))


def test_observable_model_beside_the_truth(tiny):
    paths, params, _ = tiny
    table = observable_versus_truth(paths.truth, params)
    latent = table["covariate"].isin([*LATENT, "cycler", "stayer"])
    assert table.loc[latent, "coef_observable"].isna().all()
    assert table.loc[~latent, "coef_observable"].notna().all()
    assert 0 <= table.attrs["coverage_observable"] <= 1 and np.isfinite(table.attrs["attenuation"])
    assert table.attrs["coverage"] == validate_against_truth(paths.truth, params).attrs["coverage"]


def test_true_median_months_hand_example():
    from pact_analysis.chronicity.truth import true_median_months

    spells = pd.DataFrame({"exit_rate": [0.05, 0.05, 9.0], "truncation_months": [0.0, 0.0, 30.0]})
    # shape 1: exponential with rate 0.05, median ln 2 / 0.05; the truncated spell is not averaged in
    got = true_median_months({"rgc_spells": spells, "hazard": {"shape": 1.0}})
    assert got == pytest.approx(np.log(2) / 0.05, rel=1e-6)
    two = pd.DataFrame({"exit_rate": [0.01, 0.2], "truncation_months": [0.0, 0.0]})
    median = true_median_months({"rgc_spells": two, "hazard": {"shape": 1.5}})
    survival = np.exp(-two["exit_rate"] * median**1.5).mean()
    assert survival == pytest.approx(0.5, abs=1e-9)
