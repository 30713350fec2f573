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
