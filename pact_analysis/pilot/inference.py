"""Small-cluster inference: CR2 standard errors with Bell-McCaffrey degrees of freedom, and a cluster
jackknife of the whole weighting and estimation.

Eight CEAS hold every pilot participant, so cluster-robust errors with the CR1 correction and *t* on
``G - 1`` df over-reject (Cameron & Miller 2015; Imbens & Kolesar 2016). :func:`cr2` is the
bias-reduced linearisation of Bell & McCaffrey (2002) for weighted least squares (the WLS fit as OLS on
``sqrt(w)``-scaled data, working model independent and homoskedastic there) with the Satterthwaite
degrees of freedom of each coefficient (Imbens & Kolesar 2016, Pustejovsky & Tipton 2018): with few
treated clusters they fall well below ``G - 1``. :func:`cluster_jackknife` re-estimates the weights and
the effect leaving out one cluster at a time (CV3, MacKinnon, Nielsen & Webb 2023), so the variance
includes the estimation of the weights.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class ClusterFit:
    """A WLS fit with CR2 covariance: ``params``, ``cov`` (CR2) and ``df`` (Bell-McCaffrey, per coefficient)."""

    params: pd.Series
    cov: pd.DataFrame
    df: pd.Series
    clusters: int


def _inverse_sqrt(matrix: np.ndarray) -> np.ndarray:
    """Symmetric inverse square root (pseudo-inverse on a null space, as in clubSandwich)."""
    values, vectors = np.linalg.eigh(matrix)
    inv = np.where(values > 1e-12, 1 / np.sqrt(np.clip(values, 1e-12, None)), 0.0)
    return (vectors * inv) @ vectors.T


def cr2(
    y: np.ndarray, x: pd.DataFrame, weights: np.ndarray, cluster: np.ndarray, terms: list[str] | None = None
) -> ClusterFit:
    """Weighted least squares with CR2 (Bell-McCaffrey) covariance and Satterthwaite degrees of freedom.

    Parameters
    ----------
    y : ndarray
        Outcome.
    x : DataFrame
        Design, including the constant.
    weights : ndarray
        Analysis weights; rows of weight 0 are dropped.
    cluster : ndarray
        Cluster of each row.
    terms : list of str, optional
        Coefficients whose df are computed (all by default; the others get NaN).

    Returns
    -------
    ClusterFit
        Coefficients, CR2 covariance and, per coefficient, ``df = (sum l)^2 / sum l^2`` with ``l`` the
        eigenvalues of ``G'G`` (``G`` the columns ``(I - H)_g' A_g X_g M c``).
    """
    keep = np.asarray(weights, float) > 0
    sw = np.sqrt(np.asarray(weights, float)[keep])
    xs = x.to_numpy(float)[keep] * sw[:, None]
    ys = np.asarray(y, float)[keep] * sw
    groups = pd.factorize(np.asarray(cluster)[keep])[0]
    bread = np.linalg.pinv(xs.T @ xs)
    beta = bread @ xs.T @ ys
    resid = ys - xs @ beta
    residual_maker = np.eye(len(ys)) - xs @ bread @ xs.T
    meat = np.zeros_like(bread)
    pieces = []  # per cluster: its rows and A_g X_g M (to form the df)
    for g in range(groups.max() + 1):
        rows = np.flatnonzero(groups == g)
        adjust = _inverse_sqrt(residual_maker[np.ix_(rows, rows)])
        score = xs[rows].T @ adjust @ resid[rows]
        meat += np.outer(score, score)
        pieces.append((rows, adjust @ xs[rows] @ bread))
    cov = bread @ meat @ bread
    names = list(x.columns)
    wanted = set(names if terms is None else terms)
    df = []
    for j, name in enumerate(names):
        if name not in wanted:
            df.append(np.nan)
            continue
        g_mat = np.column_stack([residual_maker[:, rows] @ piece[:, j] for rows, piece in pieces])
        gram = g_mat.T @ g_mat
        df.append(np.trace(gram) ** 2 / np.sum(gram * gram) if np.trace(gram) > 0 else np.nan)
    return ClusterFit(
        params=pd.Series(beta, index=names),
        cov=pd.DataFrame(cov, index=names, columns=names),
        df=pd.Series(df, index=names),
        clusters=int(groups.max() + 1),
    )


def cluster_jackknife(estimate: Callable[[pd.DataFrame], float], data: pd.DataFrame, cluster: str) -> float:
    """Standard error of a whole estimation (weights included) by the delete-one-cluster jackknife (CV3).

    Parameters
    ----------
    estimate : callable
        Frame -> estimate; it re-estimates everything (propensity model, balancing weights, outcome
        model) on the frame it is given.
    data : DataFrame
        The rows of the estimation.
    cluster : str
        Column of the clusters.

    Returns
    -------
    float
        ``sqrt((G - 1) / G * sum (theta_(g) - mean theta)^2)``; NaN with fewer than 2 clusters or when
        a leave-one-out estimate fails.
    """
    codes = data[cluster].to_numpy()
    levels = pd.unique(codes)
    if len(levels) < 2:
        return float("nan")
    values = np.array([estimate(data.loc[codes != level]) for level in levels], float)
    if not np.isfinite(values).all():
        return float("nan")
    g = len(levels)
    return float(np.sqrt((g - 1) / g * np.sum((values - values.mean()) ** 2)))
