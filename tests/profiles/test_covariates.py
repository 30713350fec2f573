"""Covariates of profile membership: bias-adjusted three-step estimation with StepMix (issue 19)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from pact_analysis import profiles
from pact_analysis.profiles import covariates as cv
from pact_analysis.profiles import em
from pact_analysis.profiles.latent import fit_starts, n_categories, size_order

#: True coefficients of the covariate ``z`` (yes against no) in the log odds of each class against class 0.
BETA = np.array([0.0, 1.0, -0.8])
ALPHA = np.array([0.0, -0.3, 0.2])


def simulate(n: int, seed: int, separation: float) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Three classes whose membership depends on ``z`` (log odds ratios :data:`BETA`) but not on ``a``;
    eight three-category indicators, each class answering one category with probability ``separation``."""
    rng = np.random.default_rng(seed)
    z = rng.integers(0, 2, n)
    a = rng.integers(0, 3, n)
    eta = ALPHA[None] + np.outer(z, BETA)
    p = np.exp(eta) / np.exp(eta).sum(axis=1, keepdims=True)
    cls = (rng.random(n)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)
    items = {}
    for f in range(8):
        probs = np.full((3, 3), (1 - separation) / 2)
        probs[np.arange(3), (np.arange(3) + f) % 3] = separation
        items[f"i{f}"] = (rng.random(n)[:, None] > np.cumsum(probs[cls], axis=1)).sum(axis=1).astype(str)
    covariates = pd.DataFrame({"z": np.where(z == 1, "yes", "no"), "a": np.array(["w", "x", "y"])[a]})
    return pd.DataFrame(items), covariates, cls


def measurement_model(frame: pd.DataFrame, k: int = 3, seed: int = 1):
    """The stage's way to the measurement model: many starts (:func:`fit_starts`), best one to StepMix."""
    data = profiles.encode(frame, list(frame.columns), [])
    _, starts, _ = fit_starts(data, k, 10, seed)
    best = starts.best()
    model = em.to_stepmix(
        starts.log_weights[0, best], starts.log_pis[0, best], n_categories(data), data.descriptor
    )
    return model, data.X.to_numpy(float)


def true_log_odds_ratio(fitted_to_true: dict[int, int], profile: int, reference: int, level: str) -> float:
    """The true coefficient of ``z = level`` (against the other level) for fitted ``profile`` vs ``reference``."""
    diff = BETA[fitted_to_true[profile]] - BETA[fitted_to_true[reference]]
    return float(diff if level == "yes" else -diff)


@pytest.fixture(scope="module")
def simulated():
    frame, covariates, cls = simulate(4000, seed=0, separation=0.65)
    model, X = measurement_model(frame)
    order = size_order(model.predict_proba(X))
    labels = model.predict_proba(X)[:, order].argmax(axis=1)
    fitted_to_true = pd.crosstab(labels, cls).idxmax(axis=1).to_dict()
    assert sorted(fitted_to_true.values()) == [0, 1, 2]
    table, results = cv.covariate_effects(model, X, covariates, order, seed=3)
    return table, results, fitted_to_true, model, X, covariates, order


@pytest.mark.parametrize("correction", ["ML", "BCH"])
def test_three_step_recovers_the_known_log_odds_ratio_within_two_standard_errors(simulated, correction):
    table, results, fitted_to_true, *_ = simulated
    assert results["covariate_converged"][correction]
    rows = table[(table["correction"] == correction) & (table["covariate"] == "z")]
    assert len(rows) == 2  # profiles 2 and 3 against profile 1, the largest
    for row in rows.itertuples():
        truth = true_log_odds_ratio(fitted_to_true, row.profile - 1, 0, row.level)
        assert abs(row.coef - truth) < 2 * row.se, (row.profile, row.coef, truth, row.se)
        assert row.ci_lower < truth < row.ci_upper
        assert row.p_value < 0.001 and 0.02 < row.se < 0.5
    null = table[(table["correction"] == correction) & (table["covariate"] == "a")]
    assert (null["coef"].abs() < 3 * null["se"]).all()  # no effect of a


def test_the_table_is_tidy_and_names_its_references(simulated):
    table, results, *_ = simulated
    expected = {"correction", "profile", "reference_profile", "covariate", "level", "reference_level"}
    expected |= {"coef", "se", "ci_lower", "ci_upper", "p_value", "estimable"}
    assert expected <= set(table.columns)
    assert (table["reference_profile"] == 1).all() and set(table["profile"]) == {2, 3}
    assert results["covariate_correction"] == "ML" and "household" in results["covariate_se"]
    z = 1.959963984540054
    assert np.allclose(table["ci_upper"] - table["coef"], z * table["se"])
    # the reference level of each covariate is its most frequent one, never a column of its own
    assert set(results["covariate_reference"]) == {"z", "a"}
    assert not (table["level"] == table["reference_level"]).any()


def test_measurement_model_is_kept_fixed_and_steps_match_stepmix(simulated):
    """The structural model is StepMix's: its estimate equals StepMix's own ML three-step fit started
    from the same measurement parameters, and the measurement parameters are not changed."""
    _, _, _, model, X, covariates, order = simulated
    built = cv.design(covariates)
    before = model.get_parameters()["measurement"]["categorical"]["pis"].copy()
    fitted, posterior = cv.three_step(model, X, built.Z, order, "ML")
    after = fitted.get_parameters()["measurement"]["categorical"]["pis"]
    assert np.array_equal(after, before[order])
    assert np.allclose(posterior, model.predict_proba(X)[:, order])
    # at the maximum of the step-3 likelihood: its gradient is zero
    theta = cv._free(fitted._sm.parameters["beta"])
    gradient = cv._scores(theta, "ML", posterior, built.Z, 3).sum(axis=0)
    assert np.abs(gradient).max() < 1e-2
    # the scores are the gradient of the log-likelihood (central differences)
    e = np.zeros_like(theta)
    e[1] = 1e-5
    numeric = (
        cv._loglik(theta + e, "ML", posterior, built.Z, 3)
        - cv._loglik(theta - e, "ML", posterior, built.Z, 3)
    ) / 2e-5
    assert numeric == pytest.approx(gradient[1], abs=1e-3)


def test_standard_errors_agree_with_stepmix_bootstrap_of_the_whole_three_step_estimator():
    """Sandwich SEs (measurement fixed) against StepMix's bootstrap, which refits everything each time."""
    from stepmix.stepmix import StepMix

    frame, covariates, _ = simulate(1500, seed=3, separation=0.7)
    data = profiles.encode(frame, list(frame.columns), [])
    X = data.X.to_numpy(float)
    built = cv.design(covariates)
    estimator = StepMix(
        n_components=3,
        n_steps=3,
        measurement=data.descriptor,
        structural="covariate",
        correction="ML",
        structural_params={"method": "newton-raphson", "max_iter": 1},
        n_init=3,
        abs_tol=1e-8,
        random_state=1,
        progress_bar=0,
    )
    estimator.fit(X, built.Z)
    table, _ = cv.covariate_effects(estimator, X, covariates, corrections=("ML",))
    # the same estimate as StepMix's own three-step fit (same measurement model)
    theta = cv._free(estimator._sm.parameters["beta"])
    assert np.allclose(table["coef"], np.delete(theta, [0, 1 + len(built.columns)]), atol=1e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # StepMix's warnings of single bootstrap refits
        samples, _ = estimator.bootstrap(X, built.Z, n_repetitions=30, progress_bar=False, random_state=5)
    beta = samples.loc["structural"].reset_index()
    wide = beta.pivot_table(index=["rep", "variable"], columns="class_no", values="value")
    sd = wide.sub(wide[0], axis=0).drop(columns=0).groupby(level="variable").std()
    for row in table.itertuples():
        column = built.columns.index((row.covariate, row.level))
        boot = sd.loc[f"feature_{column}", row.profile - 1]
        assert 0.6 < row.se / boot < 1.6, (row.covariate, row.level, row.profile, row.se, boot)


def test_a_level_absent_from_a_profile_is_not_estimable_rather_than_huge():
    frame, covariates, cls = simulate(3000, seed=4, separation=0.8)
    model, X = measurement_model(frame)
    order = size_order(model.predict_proba(X))
    labels = model.predict_proba(X)[:, order].argmax(axis=1)
    rare = labels == 2
    covariates["young"] = np.where(rare, "no", np.where(np.arange(len(X)) % 2 == 0, "yes", "no"))
    table, results = cv.covariate_effects(model, X, covariates, order, corrections=("ML",))
    young = table[(table["covariate"] == "young") & (table["profile"] == 3)].iloc[0]
    assert not young["estimable"] and np.isnan(young["coef"]) and young["boundary_sign"] == -1
    assert table.loc[table["estimable"], "se"].gt(0).all()
    assert young.name not in cv.strongest_effects(table).index


def test_no_indicator_or_function_of_one_is_a_covariate():
    indicators = set(profiles.CATEGORICAL) | set(profiles.CONTINUOUS)
    assert not indicators & set(cv.COVARIATES)
    assert not set(cv.forbidden_covariates()) & set(cv.COVARIATES)
    cv.check_covariates(cv.COVARIATES)
    for name in ("foreign", "household_type", "nationality_group", "education", "rgc_role", "years_known"):
        with pytest.raises(ValueError, match="indicators or functions"):
            cv.check_covariates([*cv.COVARIATES, name])
    with pytest.raises(ValueError, match="indicators or functions"):
        cv.covariate_effects(None, np.zeros((4, 1)), pd.DataFrame({"foreign": ["yes", "no"] * 2}))


def test_data_check_catches_a_covariate_that_determines_an_indicator():
    rng = np.random.default_rng(0)
    nationality = pd.Series(rng.choice(["ES", "MAGHREB", "EU"], 200))
    indicators = pd.DataFrame(
        {"foreign": np.where(nationality == "ES", "no", "yes"), "other": rng.choice(["a", "b"], 200)}
    )
    with pytest.raises(ValueError, match="determine one another"):
        cv.check_not_functions(pd.DataFrame({"nationality": nationality}), indicators)
    with pytest.raises(ValueError, match="determine one another"):  # and a function of an indicator
        cv.check_not_functions(
            pd.DataFrame({"f": indicators["foreign"].map({"no": "x", "yes": "y"})}), indicators
        )
    cv.check_not_functions(pd.DataFrame({"sex": rng.choice(["H", "M"], 200)}), indicators)


def test_the_stage_covariates_are_not_indicators_in_the_tiny_features():
    """The stage's covariates (sex, age band, area) come from distal_variables, not from the indicators."""
    assert cv.COVARIATES == ("sex", "age_band", "area")
    assert set(cv.DEMOGRAPHICS) <= set(profiles.DESCRIPTIVE)
    assert "area" not in profiles.CATEGORICAL and "area" not in profiles.DESCRIPTIVE


def test_design_drops_unknown_and_rare_levels_and_uses_the_commonest_as_reference():
    frame = pd.DataFrame({"s": ["a"] * 30 + ["b"] * 20 + ["c"] * 3 + ["unknown"] * 15})
    built = cv.design(frame, min_count=10)
    assert built.kept.sum() == 50 and built.reference == {"s": "a"}
    assert built.columns == [("s", "b")] and built.Z.sum() == 20


def test_strongest_effects_take_one_per_covariate_with_an_interval_excluding_zero():
    table = pd.DataFrame(
        {
            "correction": "ML",
            "covariate": ["x", "x", "y", "y"],
            "coef": [0.5, -1.2, 3.0, 0.1],
            "ci_lower": [0.1, -1.6, -0.5, 0.05],
            "ci_upper": [0.9, -0.8, 6.5, 0.15],
        }
    )
    strongest = cv.strongest_effects(table)
    assert strongest["coef"].tolist() == [-1.2, 0.1]
