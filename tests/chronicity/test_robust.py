"""Cox score residuals in one pass (chronicity.robust) against statsmodels' row-by-time loop."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from pact_analysis.chronicity.robust import cluster_covariance, score_residuals


def _spells(n: int = 600, seed: int = 1) -> dict[str, np.ndarray]:
    """Tied exit times (whole months), delayed entries, three strata, clusters of up to three rows,
    and some rows censored before the first exit of their stratum (never at risk at an exit)."""
    rng = np.random.default_rng(seed)
    x = np.column_stack([rng.normal(size=n), rng.binomial(1, 0.4, n), rng.uniform(0, 2, n)])
    entry = np.where(rng.random(n) < 0.4, rng.integers(0, 12, n), 0).astype(float)
    time = entry + np.ceil(rng.exponential(10 * np.exp(-0.4 * x[:, 0]), n))
    status = (rng.random(n) < 0.7).astype(float)
    early = rng.random(n) < 0.03
    time[early], status[early], entry[early] = 0.5, 0.0, 0.0
    return {
        "x": x,
        "time": time,
        "status": status,
        "entry": entry,
        "strata": rng.integers(0, 3, n),
        "groups": np.arange(n) // 3,
    }


@pytest.mark.parametrize("ties", ["breslow", "efron"])
@pytest.mark.parametrize("with_entry", [True, False])
@pytest.mark.parametrize("with_strata", [True, False])
def test_score_residuals_are_statsmodels(ties, with_entry, with_strata):
    d = _spells()
    entry = d["entry"] if with_entry else None
    strata = d["strata"] if with_strata else None
    model = sm.PHReg(d["time"], d["x"], status=d["status"], entry=entry, strata=strata, ties=ties)
    params = model.fit().params
    theirs = np.nan_to_num(model.score_residuals(params), nan=0.0)
    ours = score_residuals(d["time"], d["status"], entry, d["x"], params, strata)
    assert np.isnan(model.score_residuals(params)).any(), "some rows are never at risk at an exit"
    assert np.allclose(ours, theirs, rtol=1e-9, atol=1e-11)
    # at the maximum of the Breslow likelihood the residuals add up to the score, zero
    if ties == "breslow":
        assert np.abs(ours.sum(axis=0)).max() < 1e-6


def test_cluster_covariance_is_statsmodels_robust_covariance_without_never_at_risk_rows():
    d = _spells(seed=2)
    keep = d["time"] > 1  # statsmodels' own robust covariance is NaN as soon as one row is never at risk
    d = {k: v[keep] for k, v in d.items()}
    d["groups"] = np.unique(d["groups"], return_inverse=True)[1]
    model = sm.PHReg(d["time"], d["x"], status=d["status"], entry=d["entry"], strata=d["strata"])
    res = model.fit(groups=d["groups"])
    ours = cluster_covariance(model, res.params, d["groups"], d["entry"], d["strata"])
    assert np.allclose(ours, res.cov_params(), rtol=1e-8)
