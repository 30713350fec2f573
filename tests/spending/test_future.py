"""Expected future spending: the conditional survival of the remaining-time model."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pact_analysis import spending as sp


def test_conditional_survival_of_an_exponential_is_memoryless():
    index = pd.MultiIndex.from_tuples([("lambda_", "Intercept"), ("rho_", "Intercept")])
    params = pd.Series([np.log(10.0), 0.0], index=index)  # scale 10 months, shape 1
    curves = sp.conditional_survival(params, pd.DataFrame(index=range(2)), np.array([0.0, 30.0]), 3)
    expected = np.exp(-np.arange(1, 4) / 10.0)
    np.testing.assert_allclose(curves, np.vstack([expected, expected]))


def test_the_remaining_time_model_takes_entry_times():
    """Left-truncated spells: the fit conditions on the months already elapsed (lifelines' entry_col)."""
    from lifelines import WeibullAFTFitter

    rng = np.random.default_rng(12)
    n = 3000
    x = rng.normal(size=n)
    duration = rng.weibull(1.2, n) * 30 * np.exp(0.3 * x)
    entry = rng.uniform(0, 24, n)
    seen = duration > entry  # spells that ended before the window are never observed
    data = pd.DataFrame({"duration": duration, "event": True, "entry": entry, "x": x}).loc[seen]
    data["event"] = data["duration"] <= data["entry"] + 60  # censored 60 months into the window
    data["duration"] = np.minimum(data["duration"], data["entry"] + 60)
    model = sp.fit_remaining(data, ["x"])
    reference = WeibullAFTFitter().fit(
        data[["duration", "event", "entry", "x"]], "duration", "event", entry_col="entry"
    )
    np.testing.assert_allclose(model.params_.to_numpy(), reference.params_.to_numpy(), rtol=1e-4)
    naive = WeibullAFTFitter().fit(data[["duration", "event", "x"]], "duration", "event")
    assert model.params_.loc[("lambda_", "Intercept")] < naive.params_.loc[("lambda_", "Intercept")]
