"""Design and power of the pilot: minimum detectable effects and the cohort flow."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

#: The intra-cluster correlation the design's minimum detectable effects assume (the estimate from
#: 8 CEAS is too imprecise to plan on).
ASSUMED_ICC = 0.05


def mde(n: int, clusters: int, icc: float, alpha: float = 0.05, power: float = 0.8, groups: int = 1) -> float:
    """Minimum detectable effect in SD units: ``(t_{1-a/2} + t_power) * sqrt(deff * groups / n)``.

    ``deff = 1 + (n / clusters - 1) * icc`` (Kish); ``groups=1`` for a pre-post (paired, SD of change)
    comparison, ``groups=2`` for two independent groups of ``n`` each. The quantiles are those of *t*
    on ``clusters - 1`` degrees of freedom, the reference of the cluster-robust intervals (with 8
    clusters, 2.36 + 0.90 instead of 1.96 + 0.84).
    """
    deff = 1 + (n / clusters - 1) * icc
    df = max(clusters - 1, 1)
    multiplier = stats.t.ppf(1 - alpha / 2, df) + stats.t.ppf(power, df)
    return float(multiplier * np.sqrt(deff * groups / n))


def flow(people: pd.DataFrame) -> pd.DataFrame:
    """Cohort flow per group: enrolled, assessed at follow-up, lost."""
    g = people.groupby("group")
    out = pd.DataFrame({"enrolled": g.size(), "followed_up": g["completed"].sum()})
    out["lost"] = out["enrolled"] - out["followed_up"]
    return out.reindex(["PILOT", "COMPARISON"]).astype(int)


def detectable_effects(pilot: pd.DataFrame, icc: float, cluster: str = "ceas_code") -> dict[str, float]:
    """The design's minimum detectable effects (:func:`mde`) for the participants in ``pilot``.

    Parameters
    ----------
    pilot : DataFrame
        One row per participant, with the cluster column.
    icc : float
        The intra-cluster correlation estimated on the data (negative values count as 0; NaN when
        the mixed model failed, and then ``mde_icc_estimated`` is NaN).
    cluster : str
        Column of the clusters (CEAS).

    Returns
    -------
    dict
        ``n``, ``clusters``, and the MDE without clustering (``mde_unclustered``), with :data:`ASSUMED_ICC`
        (``mde_icc05``), with the estimated ICC (``mde_icc_estimated``) and for two independent groups
        with an ICC of 0.05 (``mde_two_groups_icc05``).
    """
    n, clusters = len(pilot), pilot[cluster].nunique()
    return {
        "n": int(n),
        "clusters": int(clusters),
        "mde_unclustered": mde(n, n, 0.0),  # independent persons: t on n - 1 df
        "mde_icc05": mde(n, clusters, ASSUMED_ICC),
        "mde_icc_estimated": mde(n, clusters, max(icc, 0.0)) if np.isfinite(icc) else np.nan,
        "mde_two_groups_icc05": mde(n, clusters, ASSUMED_ICC, groups=2),
    }
