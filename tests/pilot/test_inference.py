"""Small-cluster inference: CR2 against statsmodels and closed forms; coverage of matched_effect's interval."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from pact_analysis import pilot
from pact_analysis.pilot.inference import cluster_jackknife, cr2


def test_cr2_with_one_unit_per_cluster_is_statsmodels_hc2():
    rng = np.random.default_rng(1)
    n = 60
    x = pd.DataFrame({"const": 1.0, "a": rng.normal(size=n), "t": rng.integers(0, 2, n).astype(float)})
    w = rng.uniform(0.5, 2, n)
    y = x["a"] + x["t"] + rng.normal(size=n) * (1 + x["t"])
    fit = cr2(y.to_numpy(), x, w, np.arange(n))
    reference = sm.WLS(y, x, weights=w).fit(cov_type="HC2")
    np.testing.assert_allclose(fit.cov.to_numpy(), reference.cov_params().to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(fit.params.to_numpy(), reference.params.to_numpy(), rtol=1e-10)
    mean_only = cr2(y.to_numpy(), x[["const"]], np.ones(n), np.arange(n))
    assert mean_only.df["const"] == pytest.approx(n - 1)  # Bell-McCaffrey df of a mean: n - 1


def test_cr2_of_a_mean_with_equal_clusters_is_the_t_test_on_cluster_means():
    rng = np.random.default_rng(2)
    g, m = 8, 10
    cluster = np.repeat(np.arange(g), m)
    y = rng.normal(size=g * m) + np.repeat(rng.normal(size=g), m)
    fit = cr2(y, pd.DataFrame({"const": np.ones(g * m)}), np.ones(g * m), cluster)
    means = pd.Series(y).groupby(cluster).mean()
    assert np.sqrt(fit.cov.iloc[0, 0]) == pytest.approx(means.std() / np.sqrt(g))
    assert fit.df.iloc[0] == pytest.approx(g - 1)
    frame = pd.DataFrame({"y": y, "c": cluster})
    assert cluster_jackknife(lambda f: f["y"].mean(), frame, "c") == pytest.approx(means.std() / np.sqrt(g))


def test_few_treated_clusters_get_few_degrees_of_freedom():
    rng = np.random.default_rng(3)
    n, g = 400, 25
    cluster = rng.integers(0, g, n)
    t = (cluster < 4) & (rng.random(n) < 0.6)
    x = pd.DataFrame({"const": 1.0, "t": t.astype(float)})
    fit = cr2(rng.normal(size=n), x, np.ones(n), cluster, terms=["t"])
    assert fit.df["t"] < 6 < g - 1 and np.isnan(fit.df["const"])


def _clustered_study(rng: np.random.Generator, n: int = 200, clusters: int = 20, treated: int = 8):
    """Treated only in ``treated`` clusters, selection on x1 and x2, a cluster shock; true effect 1."""
    g = rng.integers(0, clusters, n)
    x1 = rng.normal(size=n) + 0.3 * (g < treated)
    x2 = rng.binomial(1, 0.4, n)
    p = np.where(g < treated, 1 / (1 + np.exp(-(-0.2 + 0.8 * x1 + 0.6 * x2))), 0.0)
    t = rng.random(n) < p
    y = 1 + x1 + 0.5 * x2 + 0.5 * x1**2 + 1.0 * t + rng.normal(0, 0.3, clusters)[g] + rng.normal(size=n)
    return pd.DataFrame({"x1": x1, "x2": x2, "t": t.astype(int), "y": y, "g": g})


def test_matched_effect_interval_covers_a_known_effect():
    """200 replications; the interval re-estimates the weights per left-out cluster (about 30 s)."""
    rng = np.random.default_rng(11)
    covered, balanced = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(200):
            eff = pilot.matched_effect(
                _clustered_study(rng), "t", "y", ["x1", "x2"], method="ipw", cluster="g"
            )
            covered.append(eff.ci_low <= 1.0 <= eff.ci_high)
            balanced.append(eff.balanced)
    coverage = np.mean(covered)
    assert coverage >= 0.9, coverage  # Monte Carlo SE about 0.015 at 0.95
    assert np.mean(balanced) > 0.9
