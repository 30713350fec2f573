"""For whom: effect modification by chronicity, regression to the mean, and mean change per band."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from pact_analysis.disclosure import rows_without_small_counts
from pact_analysis.pilot.weighting import Effect, cr2_effect, design, effect_from_fit, weighted_fit


def interaction(
    data: pd.DataFrame,
    outcome: str,
    treatment: str,
    modifier: str,
    covariates: list[str],
    weights: str | None = None,
    cluster: str | None = None,
    alpha: float = 0.05,
) -> Effect:
    """Effect modification as the ``treatment x modifier`` coefficient of a weighted ANCOVA.

    ``outcome ~ treatment * modifier + covariates`` (put the baseline score among the covariates: an
    ANCOVA on baseline, so that regression to the mean cannot pass for a larger effect). With a
    ``cluster``, CR2 errors and Bell-McCaffrey df (:func:`~pact_analysis.pilot.weighting.cr2_effect`).
    """
    frame = data.dropna(subset=[outcome, modifier, *covariates]).reset_index(drop=True)
    t = frame[treatment].astype(float)
    x = pd.concat(
        [
            t.rename("treated"),
            frame[modifier],
            (t * frame[modifier]).rename("interaction"),
            design(frame, [c for c in covariates if c != modifier]),
        ],
        axis=1,
    )
    w = np.ones(len(frame)) if weights is None else frame[weights].to_numpy(float)
    y = frame[outcome].to_numpy(float)
    if cluster is not None:
        return cr2_effect(y, x, w, frame[cluster].to_numpy(), "interaction", t.to_numpy(bool), alpha)
    return effect_from_fit(weighted_fit(y, x, w, None, alpha), "interaction", t.to_numpy(bool), w, alpha)


def slope(data: pd.DataFrame, outcome: str, predictor: str, cluster: str | None = None) -> Effect:
    """Slope of ``outcome`` on ``predictor`` (e.g. the change on the baseline score: regression to the
    mean); with a ``cluster``, CR2 errors and Bell-McCaffrey df, as :func:`interaction`."""
    frame = data.dropna(subset=[outcome, predictor]).reset_index(drop=True)
    w = np.ones(len(frame))
    y, everyone = frame[outcome].to_numpy(float), np.ones(len(frame), bool)
    if cluster is not None:
        return cr2_effect(y, frame[[predictor]], w, frame[cluster].to_numpy(), predictor, everyone)
    return effect_from_fit(weighted_fit(y, frame[[predictor]], w, None), predictor, everyone, w, 0.05)


def binned_change(
    people: pd.DataFrame, outcome: str, by: str, bins: list[float], min_cell: int, alpha: float = 0.05
) -> pd.DataFrame:
    """Mean of ``outcome`` with a *t* interval per bin of ``by`` and group, only where publishable.

    A figure of individual persons (a scatter) publishes microdata, and a mean of fewer than
    ``min_cell`` persons a small group: bins are kept only when every group has at least ``min_cell``
    persons in them (:func:`pact_analysis.rows_without_small_counts`).

    Returns
    -------
    DataFrame
        Rows ``(bin, group)``: ``n``, ``mean``, ``ci_low``, ``ci_high``, ``mid`` (bin mid-point).
    """
    frame = people.dropna(subset=[outcome, by]).assign(
        bin=lambda f: pd.cut(f[by], bins, include_lowest=True, right=False)
    )
    g = frame.groupby(["bin", "group"], observed=False)[outcome]
    out = pd.DataFrame({"n": g.size(), "mean": g.mean(), "sd": g.std(ddof=1)})
    half = stats.t.ppf(1 - alpha / 2, np.maximum(out["n"] - 1, 1)) * out["sd"] / np.sqrt(out["n"])
    out["ci_low"], out["ci_high"] = out["mean"] - half, out["mean"] + half
    counts = out["n"].unstack("group").fillna(0)
    keep = rows_without_small_counts(counts, list(counts.columns), min_cell) & (counts > 0).all(axis=1)
    out = out.loc[out.index.get_level_values("bin").isin(keep.index[keep])]
    out["mid"] = [(b.left + b.right) / 2 for b in out.index.get_level_values("bin")]
    return out.drop(columns="sd")
