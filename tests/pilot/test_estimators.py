"""Pilot evaluation: the generic estimators on data with a known answer.

No copy of LaLonde's NSW data ships with an installed package (statsmodels, scikit-learn, lifelines,
scikit-survival were searched), so :func:`matched_effect` is checked on a simulated observational study
with a known effect and selection on observables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pact_analysis import disclosure, pilot

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
    eff = pilot.matched_effect(observational, "t", "y", ["x1", "x2"], method=method, cluster="g")
    assert eff.ci_low < EFFECT < eff.ci_high and eff.ci_high - eff.ci_low < 0.5
    assert eff.clusters == 20 and eff.n_treated > 500
    assert (eff.balance["smd_before"].abs() > 0.2).any()
    assert eff.balance["smd_after"].abs().max() < 0.1


def test_matched_effect_without_adjustment_still_balances(observational):
    eff = pilot.matched_effect(observational, "t", "y", ["x1", "x2"], method="psm", adjust=False)
    assert abs(eff.estimate - EFFECT) < 0.3
    with pytest.raises(ValueError, match="psm"):
        pilot.matched_effect(observational, "t", "y", ["x1"], method="ols")


def test_interaction_finds_effect_modification():
    rng = np.random.default_rng(4)
    n = 2000
    frame = pd.DataFrame({"t": rng.integers(0, 2, n), "m": rng.random(n), "base": rng.normal(size=n)})
    frame["y"] = frame["base"] + frame["t"] * (0.5 + 1.0 * frame["m"]) + rng.normal(size=n)
    eff = pilot.interaction(frame, "y", "t", "m", ["base"])
    assert eff.ci_low < 1.0 < eff.ci_high and eff.ci_low > 0.5


def test_mde_uses_t_on_clusters_minus_one():
    # (t_0.975,7 + t_0.8,7) = 2.365 + 0.896 = 3.261 instead of z's 2.802
    assert pilot.mde(184, 8, 0.0) == pytest.approx(3.261 / np.sqrt(184), abs=0.002)
    assert pilot.mde(184, 8, 0.05) == pytest.approx(3.261 * np.sqrt((1 + 22 * 0.05) / 184), abs=0.002)
    assert pilot.mde(184, 8, 0.05, groups=2) > pilot.mde(184, 8, 0.05)
    assert pilot.mde(1840, 800, 0.0) == pytest.approx(2.802 / np.sqrt(1840), abs=0.001)  # many clusters: z


def test_detectable_effects_has_no_estimated_icc_row_when_the_mixed_model_failed():
    people = pd.DataFrame({"ceas_code": np.repeat(["a", "b", "c", "d"], 10)})
    failed = pilot.detectable_effects(people, np.nan)
    assert np.isnan(failed["mde_icc_estimated"]) and np.isfinite(failed["mde_icc05"])
    assert pilot.detectable_effects(people, -0.2)["mde_icc_estimated"] == pilot.mde(40, 4, 0.0)


def test_rubin_barnard_rubin_df_are_capped_by_the_complete_data_df():
    rng = np.random.default_rng(9)
    est, var = rng.normal(1.0, 0.1, 20), np.full(20, 0.04)
    rubin = pilot.rubin(est, var)
    capped = pilot.rubin(est, var, df_complete=7)
    assert capped["df"] < 7 < rubin["df"]
    assert capped["estimate"] == rubin["estimate"] and capped["se"] == rubin["se"]
    assert capped["ci_high"] - capped["ci_low"] > rubin["ci_high"] - rubin["ci_low"]
    # Barnard & Rubin (1999): 1/df = 1/df_m + 1/df_obs, df_obs = (v+1)/(v+3) v (1 - gamma)
    b, total = est.var(ddof=1), var.mean() + 21 / 20 * est.var(ddof=1)
    gamma = 21 / 20 * b / total
    df_obs = 8 / 10 * 7 * (1 - gamma)
    assert capped["df"] == pytest.approx(1 / (1 / rubin["df"] + 1 / df_obs))


def test_paired_changes_holm_and_wilcoxon():
    rng = np.random.default_rng(5)
    base = pd.DataFrame(rng.normal(5, 1, (80, 3)), columns=["a", "b", "c"])
    follow = base + np.array([0.6, 0.0, 0.3]) + rng.normal(0, 1, (80, 3))
    out = pilot.paired_changes(base, follow)
    assert (out["p_holm"] >= out["p_t"]).all()
    assert out.loc["a", "ci_low"] > 0 and out.loc["b", "ci_low"] < 0 < out.loc["b", "ci_high"]
    assert out.loc["a", "p_wilcoxon"] < 0.01 and out.loc["a", "d_z"] > 0.3


def test_mixed_change_reports_a_zero_ceas_variance():
    rng = np.random.default_rng(6)
    frame = pd.DataFrame({"y": rng.normal(1, 1, 160), "ceas": np.repeat(list("abcdefgh"), 20)})
    no_var = pilot.mixed_change(frame, "y", "ceas")
    assert no_var["ci_low"] < 1 < no_var["ci_high"]
    frame["y"] += np.repeat(rng.normal(0, 2, 8), 20)
    with_var = pilot.mixed_change(frame, "y", "ceas")
    assert with_var["icc"] > 0.3 and not with_var["boundary"]
    assert no_var["icc"] < with_var["icc"]


def test_e_value_and_wilson():
    assert pilot.e_value(0.0, -1.0, 1.0, 1.0) == {"estimate": 1.0, "ci": 1.0}
    ev = pilot.e_value(0.5, 0.2, 0.8, 1.0)
    assert ev["estimate"] > ev["ci"] > 1.0
    low, high = pilot.wilson(84, 100)
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
    table = pilot.agreement(surveys, "USER", 0.89)
    assert table.loc["TOTAL", "share"] == pytest.approx(0.9) and table.loc["TOTAL", "claim_inside"]
    assert table.loc["B", "share"] == pytest.approx(0.8)


def test_reliable_improvement_is_the_same_rule_for_everybody():
    change = pd.Series([0.0, 0.5, 1.0, 2.0])
    flags = pilot.reliable_improvement(change, baseline_sd=1.0, reliability=0.8)
    assert flags.tolist() == [False, False, False, True]


def test_derived_cells_of_a_suppressed_count_are_suppressed():
    """A share or interval next to a suppressed count gives the count back: it must be hidden too."""
    flags = pd.Series([True] * 37 + [False] * 3 + [True] * 5 + [False] * 35 + [True] * 30 + [False] * 30)
    by = pd.Series(["A"] * 40 + ["B"] * 40 + ["C"] * 60)
    table = pilot.share_table(flags, by, claim=0.5)
    assert table.loc["A", ["agree", "disagree"]].tolist() == [37, 3]
    protected = disclosure.protect(
        table, 10, columns=["n", "agree", "disagree"], derived=["share", "ci_low", "ci_high", "claim_inside"]
    )
    shown, cells = protected.table, protected.derived
    hidden = pilot.suppressed_rows(table, 10, ["n", "agree", "disagree"])
    # A: 3 disagree (share 92.5% = 37/40 gives it away); B: 5 agree
    assert hidden["A"] and hidden["B"]
    for row in hidden.index[hidden]:
        assert (shown.loc[row, ["share", "ci_low", "ci_high", "claim_inside"]] == disclosure.SUPPRESSED).all()
    assert cells == 4 * int(hidden.sum())
    for row in hidden.index[~hidden]:
        assert shown.loc[row, "share"] == pytest.approx(table.loc[row, "share"])
    # the table as published (one protect call, as Report.table does): no hidden count comes back
    assert shown.loc["A", "disagree"] == disclosure.SUPPRESSED
    assert shown.loc["B", "agree"] == disclosure.SUPPRESSED
    assert not disclosure.check_recoverable(shown, ["n", "agree", "disagree"])


def test_binned_change_draws_only_bands_without_small_groups():
    rng = np.random.default_rng(7)
    people = pd.DataFrame(
        {
            "chronicity": np.r_[rng.uniform(0, 0.3, 30), rng.uniform(0.4, 0.6, 30), rng.uniform(0.4, 0.6, 4)],
            "group": ["PILOT"] * 15 + ["COMPARISON"] * 15 + ["PILOT"] * 30 + ["COMPARISON"] * 4,
            "y": rng.normal(size=64),
        }
    )
    bands = pilot.binned_change(people, "y", "chronicity", [0.0, 1 / 3, 2 / 3, 1.01], 10)
    assert set(bands.index.get_level_values("group")) == {"PILOT", "COMPARISON"}
    assert (bands["n"] >= 10).all() and len(bands) == 2  # the middle band (4 comparison) is not drawn
    assert (bands["ci_low"] < bands["mean"]).all()


def test_the_old_import_path_keeps_every_public_name():
    from pact_analysis import evaluation

    assert evaluation.matched_effect is pilot.matched_effect
    assert evaluation.evaluate is pilot.evaluate
    assert all(getattr(evaluation, name) is getattr(pilot, name) for name in pilot.__all__)


def test_a_failed_mixed_fit_is_reported_as_failed_not_as_the_ordinary_mean(monkeypatch):
    """A singular fit (the employment case: estimate -3.35 with an interval of +-3.5e7 around a mean
    change of 0.79) must not be published as a zero CEAS variance equal to the ordinary mean."""
    rng = np.random.default_rng(7)
    frame = pd.DataFrame({"y": rng.normal(0.8, 1, 160), "ceas": np.repeat(list("abcdefgh"), 20)})

    class Singular:
        converged = True
        fe_params = np.array([-3.35])
        bse = np.array([1.8e7])
        cov_re = np.array([[0.0]])
        scale = 1.68

        def conf_int(self, alpha):
            return np.array([[-3.48e7, 3.48e7]])

    class Model:
        def __init__(self, *args, **kwargs):
            pass

        def fit(self, **kwargs):
            return Singular()

    monkeypatch.setattr(pilot.effects.sm, "MixedLM", Model)
    out = pilot.mixed_change(frame, "y", "ceas")
    assert out["failed"] and not out["boundary"]
    assert np.isnan(out["estimate"]) and np.isnan(out["ci_low"]) and np.isnan(out["icc"])
    Singular.bse = np.array([0.09])  # the same fit with a sane standard error is kept
    Singular.converged = False
    assert pilot.mixed_change(frame, "y", "ceas")["failed"], "a fit that did not converge failed"


def test_a_sound_mixed_fit_is_not_failed():
    rng = np.random.default_rng(8)
    frame = pd.DataFrame({"y": rng.normal(1, 1, 160), "ceas": np.repeat(list("abcdefgh"), 20)})
    frame["y"] += np.repeat(rng.normal(0, 1, 8), 20)
    out = pilot.mixed_change(frame, "y", "ceas")
    assert not out["failed"] and out["ci_low"] < out["estimate"] < out["ci_high"]
