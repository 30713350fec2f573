"""Multiple imputation of attrition keeps the cluster: imputed outcomes carry their CEAS's shift."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pact_analysis import pilot
from pact_analysis.pilot import effects

#: Cluster shifts, far apart; clusters 0-3 treated (treatment constant within a cluster), no effect.
SHIFTS = np.array([-3.0, -1.0, 1.0, 3.0, -2.0, 0.0, 2.0, 4.0])


@pytest.fixture(scope="module")
def clustered() -> pd.DataFrame:
    """8 CEAS of 25, numeric CEAS codes, 40% of the outcomes missing at random."""
    rng = np.random.default_rng(11)
    g = np.repeat(np.arange(len(SHIFTS)), 25)
    x = rng.normal(size=len(g))
    y = SHIFTS[g] + 0.5 * x + rng.normal(0, 0.3, len(g))
    return pd.DataFrame(
        {
            "ceas": 100 + g,
            "t": (g < 4).astype(int),
            "x": x,
            "y": np.where(rng.random(len(g)) < 0.4, np.nan, y),
            "truth": y,
        }
    )


def test_the_imputation_model_has_one_indicator_per_cluster_but_the_first(clustered):
    frame = pilot.imputation_frame(clustered, "t", "y", ["x"], [], cluster="ceas")
    assert frame.columns[0] == "y" and "t_" in frame.columns
    indicators = [c for c in frame.columns if c.startswith("_ceas_")]
    assert len(indicators) == len(SHIFTS) - 1, "numeric codes are categories, not a number"
    assert list(pilot.imputation_frame(clustered, "t", "y", ["x"], []).columns) == ["y", "x", "t_"]


def test_imputed_outcomes_reproduce_their_clusters_shift(clustered, monkeypatch):
    """Without the CEAS indicators cluster 0 (shift -3) would be imputed around its arm's mean (0)."""
    completed = []
    real = effects.matched_effect

    def keep(frame, *args, **kwargs):
        completed.append(frame["y"].to_numpy())
        return real(frame, *args, **kwargs)

    monkeypatch.setattr(effects, "matched_effect", keep)
    pooled = pilot.imputed_effect(clustered, "t", "y", ["x"], [], cluster="ceas", m=3, seed=5)
    missing = clustered["y"].isna().to_numpy()
    imputed = pd.DataFrame(
        {"ceas": clustered["ceas"], "error": np.mean(completed, axis=0) - clustered["truth"]}
    )
    error = imputed.loc[missing].groupby("ceas")["error"].mean()
    assert len(error) == len(SHIFTS) and error.abs().max() < 0.5
    assert np.isfinite(pooled["se"]) and pooled["ci_low"] < 0 < pooled["ci_high"]
