"""Pilot evaluation: the generic estimators on data with a known answer, and the pilot on the tiny region.

No copy of LaLonde's NSW data ships with an installed package (statsmodels, scikit-learn, lifelines,
scikit-survival were searched), so :func:`matched_effect` is checked on a simulated observational study
with a known effect and selection on observables.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pact_analysis import evaluation
from pact_analysis.config import ROOT, load_params

pytestmark = pytest.mark.xdist_group("tiny_region")

EFFECT = 2.0


@pytest.fixture(scope="module")
def observational() -> pd.DataFrame:
    """Selection on x1, x2 (older, more chronic more often treated); true effect 2 on y; 20 clusters."""
    rng = np.random.default_rng(3)
    n = 3000
    x1, x2 = rng.normal(size=n), rng.binomial(1, 0.4, n)
    treated = rng.random(n) < 1 / (1 + np.exp(-(-1.5 + 0.9 * x1 + 0.8 * x2)))
    y = 1.0 + 1.5 * x1 + 1.0 * x2 + EFFECT * treated + rng.normal(size=n)
    return pd.DataFrame({"x1": x1, "x2": x2, "t": treated.astype(int), "y": y, "g": rng.integers(0, 20, n)})


@pytest.mark.parametrize("method", ["psm", "ipw"])
def test_matched_effect_recovers_a_known_effect(observational, method):
    naive = observational.groupby("t")["y"].mean().diff().iloc[-1]
    assert naive > EFFECT + 0.5  # the confounding is real
    eff = evaluation.matched_effect(observational, "t", "y", ["x1", "x2"], method=method, cluster="g")
    assert eff.ci_low < EFFECT < eff.ci_high and eff.ci_high - eff.ci_low < 0.5
    assert eff.clusters == 20 and eff.n_treated > 500
    assert (eff.balance["smd_before"].abs() > 0.2).any()
    assert eff.balance["smd_after"].abs().max() < 0.1


def test_matched_effect_without_adjustment_still_balances(observational):
    eff = evaluation.matched_effect(observational, "t", "y", ["x1", "x2"], method="psm", adjust=False)
    assert abs(eff.estimate - EFFECT) < 0.3
    with pytest.raises(ValueError, match="psm"):
        evaluation.matched_effect(observational, "t", "y", ["x1"], method="ols")


def test_interaction_finds_effect_modification():
    rng = np.random.default_rng(4)
    n = 2000
    frame = pd.DataFrame({"t": rng.integers(0, 2, n), "m": rng.random(n), "base": rng.normal(size=n)})
    frame["y"] = frame["base"] + frame["t"] * (0.5 + 1.0 * frame["m"]) + rng.normal(size=n)
    eff = evaluation.interaction(frame, "y", "t", "m", ["base"])
    assert eff.ci_low < 1.0 < eff.ci_high and eff.ci_low > 0.5


def test_mde_matches_the_design_figures():
    assert evaluation.mde(184, 8, 0.0) == pytest.approx(0.21, abs=0.01)
    assert evaluation.mde(184, 8, 0.05) == pytest.approx(0.30, abs=0.01)
    assert evaluation.mde(184, 8, 0.05, groups=2) > evaluation.mde(184, 8, 0.05)


def test_paired_changes_holm_and_wilcoxon():
    rng = np.random.default_rng(5)
    base = pd.DataFrame(rng.normal(5, 1, (80, 3)), columns=["a", "b", "c"])
    follow = base + np.array([0.6, 0.0, 0.3]) + rng.normal(0, 1, (80, 3))
    out = evaluation.paired_changes(base, follow)
    assert (out["p_holm"] >= out["p_t"]).all()
    assert out.loc["a", "ci_low"] > 0 and out.loc["b", "ci_low"] < 0 < out.loc["b", "ci_high"]
    assert out.loc["a", "p_wilcoxon"] < 0.01 and out.loc["a", "d_z"] > 0.3


def test_mixed_change_reports_a_zero_ceas_variance():
    rng = np.random.default_rng(6)
    frame = pd.DataFrame({"y": rng.normal(1, 1, 160), "ceas": np.repeat(list("abcdefgh"), 20)})
    no_var = evaluation.mixed_change(frame, "y", "ceas")
    assert no_var["ci_low"] < 1 < no_var["ci_high"]
    frame["y"] += np.repeat(rng.normal(0, 2, 8), 20)
    with_var = evaluation.mixed_change(frame, "y", "ceas")
    assert with_var["icc"] > 0.3 and not with_var["boundary"]
    assert no_var["icc"] < with_var["icc"]


def test_e_value_and_wilson():
    assert evaluation.e_value(0.0, -1.0, 1.0, 1.0) == {"estimate": 1.0, "ci": 1.0}
    ev = evaluation.e_value(0.5, 0.2, 0.8, 1.0)
    assert ev["estimate"] > ev["ci"] > 1.0
    low, high = evaluation.wilson(84, 100)
    assert low < 0.84 < high and 0 < low < high < 1


def test_agreement_and_claims():
    surveys = pd.DataFrame(
        {
            "respondent_type": ["USER"] * 40,
            "territory": ["A"] * 20 + ["B"] * 20,
            "useful": [5] * 36 + [2] * 4,
            "relevant": [4] * 40,
        }
    )
    table = evaluation.agreement(surveys, "USER", 0.89)
    assert table.loc["TOTAL", "share"] == pytest.approx(0.9) and table.loc["TOTAL", "claim_inside"]
    assert table.loc["B", "share"] == pytest.approx(0.8)


def test_reliable_improvement_is_the_same_rule_for_everybody():
    change = pd.Series([0.0, 0.5, 1.0, 2.0])
    flags = evaluation.reliable_improvement(change, baseline_sd=1.0, reliability=0.8)
    assert flags.tolist() == [False, False, False, True]


@pytest.fixture(scope="module")
def tiny_result(tiny_project):
    params = load_params(tiny_project.params)
    tables = evaluation.read_processed(tiny_project.processed)
    return evaluation.evaluate(tables, params, evaluation.true_effects(tiny_project.truth))


def test_pilot_evaluation_on_the_tiny_region(tiny_result):
    flow = tiny_result["flow"]
    assert (flow["enrolled"] == flow["followed_up"] + flow["lost"]).all()
    assert set(tiny_result["verdicts"]["verdict"]) <= {"supported", "not_supported", "not_answerable"}
    assert len(tiny_result["verdicts"]) == 7
    balance = tiny_result["balance"]
    assert balance["smd_after"].abs().max() < balance["smd_before"].abs().max()
    check = tiny_result["validation"]
    assert {"personal", "exit_12m", "days_employed"} <= set(check.index)
    assert (check["ci_low"] <= check["estimate"]).all() and (check["estimate"] <= check["ci_high"]).all()


def test_recorded_benchmark_meets_the_done_criteria():
    """benchmarks/pilot_coverage.json (5 seeds of the default region): coverage, balance, heterogeneity."""
    path = ROOT / "benchmarks" / "pilot_coverage.json"
    if not path.exists():
        pytest.skip("run benchmarks/pilot_coverage.py first")
    bench = json.loads(path.read_text())
    assert len(bench["seeds"]) == 5
    assert bench["coverage"] >= 0.9
    assert bench["max_abs_smd"] < 0.1
