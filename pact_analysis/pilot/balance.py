"""Balance achieved, not only reported: balance diagnostics, entropy balancing and effective sample sizes.

A weighting is *balanced* when every covariate has an absolute standardised mean difference below
``smd_max`` (0.1) and a treated/control variance ratio within ``1/vr_max .. vr_max`` (0.5-2; Austin
2009, Stuart 2010). When the propensity-score weights miss either, :func:`entropy_weights` refines them
(entropy balancing, Hainmueller 2012): the control weights closest to the base weights (in
Kullback-Leibler divergence) whose weighted means and, for non-binary covariates, second moments equal
the treated ones. The dual is a smooth convex problem solved by scipy; a run without a solution (a
treated mean outside the controls' range) is reported as not balanced.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.special import logsumexp

#: Balance thresholds (Austin 2009; Stuart 2010): every |SMD| below this ...
SMD_MAX = 0.1
#: ... and every variance ratio within ``1 / VR_MAX .. VR_MAX``.
VR_MAX = 2.0


def _weighted_var(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    mean = np.average(values, axis=0, weights=weights)
    return np.average((values - mean) ** 2, axis=0, weights=weights)


def balance_table(x: pd.DataFrame, treated: np.ndarray, weights: np.ndarray | None = None) -> pd.DataFrame:
    """Standardised mean differences and variance ratios of each covariate, before and after weighting.

    Parameters
    ----------
    x : DataFrame
        Numeric covariates.
    treated : ndarray of bool
        Treatment indicator.
    weights : ndarray, optional
        Analysis weights; units of weight 0 do not count.

    Returns
    -------
    DataFrame
        Per covariate: ``smd_before``, ``smd_after`` (treated minus control over the unweighted pooled
        SD, so before and after compare), ``vr_before``, ``vr_after`` (treated variance over control
        variance; 1 for a covariate constant in both groups).
    """
    t = np.asarray(treated, bool)
    w = np.ones(len(x)) if weights is None else np.asarray(weights, float)
    values = x.to_numpy(float)
    sd = np.sqrt((values[t].var(axis=0, ddof=1) + values[~t].var(axis=0, ddof=1)) / 2)
    out = {}
    for name, wt, wc in (("before", np.ones(t.sum()), np.ones((~t).sum())), ("after", w[t], w[~t])):
        diff = np.average(values[t], axis=0, weights=wt) - np.average(values[~t], axis=0, weights=wc)
        vt, vc = _weighted_var(values[t], wt), _weighted_var(values[~t], wc)
        out[f"smd_{name}"] = np.divide(diff, sd, out=np.zeros_like(diff), where=sd > 0)
        out[f"vr_{name}"] = np.divide(vt, vc, out=np.ones_like(vt), where=(vc > 0) & (vt > 0))
    return pd.DataFrame(out, index=x.columns)[["smd_before", "smd_after", "vr_before", "vr_after"]]


def is_balanced(table: pd.DataFrame, smd_max: float = SMD_MAX, vr_max: float = VR_MAX) -> bool:
    """Whether every covariate has ``|smd_after| < smd_max`` and ``vr_after`` within ``1/vr_max .. vr_max``."""
    smd_ok = (table["smd_after"].abs() < smd_max).all()
    vr_ok = (np.abs(np.log(table["vr_after"])) < np.log(vr_max)).all()
    return bool(smd_ok and vr_ok)


def max_log_variance_ratio(table: pd.DataFrame) -> float:
    """The largest ``|log variance ratio|`` after weighting (below ``log 2`` means within 0.5-2)."""
    return float(np.abs(np.log(table["vr_after"])).max())


def effective_size(weights: np.ndarray) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum w^2`` of the units with positive weight."""
    w = np.asarray(weights, float)
    w = w[w > 0]
    return float(w.sum() ** 2 / (w**2).sum()) if len(w) else 0.0


def balance_moments(x: pd.DataFrame) -> pd.DataFrame:
    """The covariates and the squares of the non-binary ones (their means fix the variances)."""
    values = x.astype(float)
    binary = values.isin([0.0, 1.0]).all()
    squares = (values.loc[:, ~binary] ** 2).add_suffix("^2")
    return pd.concat([values, squares], axis=1)


def entropy_weights(
    x: pd.DataFrame, treated: np.ndarray, base: np.ndarray | None = None, tol: float = 1e-6
) -> tuple[np.ndarray, bool]:
    """ATT weights by entropy balancing on the means and second moments of ``x`` (Hainmueller 2012).

    Parameters
    ----------
    x : DataFrame
        Numeric covariates.
    treated : ndarray of bool
        Treatment indicator.
    base : ndarray, optional
        Base weights (e.g. inverse probability of completing follow-up); the treated keep theirs, the
        controls' are reweighted. Units of base weight 0 stay at 0.
    tol : float
        Largest moment difference accepted, in SD of each moment.

    Returns
    -------
    weights : ndarray
        Treated: their base weights; controls: base times ``exp(c' lambda)``, summing to the treated's.
    converged : bool
        Whether the moments match within ``tol`` (False: no balancing weights exist or were found).
    """
    t = np.asarray(treated, bool)
    q = np.ones(len(x)) if base is None else np.asarray(base, float)
    moments = balance_moments(x).to_numpy(float)
    target = np.average(moments[t], axis=0, weights=q[t])
    scale = moments.std(axis=0)
    keep = scale > 0
    c = (moments[:, keep] - target[keep]) / scale[keep]
    use = ~t & (q > 0)
    cc, logq = c[use], np.log(q[use])

    def dual(lam: np.ndarray) -> tuple[float, np.ndarray]:
        z = cc @ lam + logq
        p = np.exp(z - logsumexp(z))
        return float(logsumexp(z)), cc.T @ p

    def hessian(lam: np.ndarray) -> np.ndarray:
        z = cc @ lam + logq
        p = np.exp(z - logsumexp(z))
        mean = cc.T @ p
        return (cc * p[:, None]).T @ cc - np.outer(mean, mean)

    fit = optimize.minimize(
        dual, np.zeros(cc.shape[1]), jac=True, hess=hessian, method="trust-exact", options={"gtol": tol / 10}
    )
    z = cc @ fit.x + logq
    w = np.where(t, q, 0.0)
    w[use] = np.exp(z - logsumexp(z)) * q[t].sum()
    gap = np.abs(cc.T @ (w[use] / w[use].sum())).max() if cc.shape[1] else 0.0
    return w, bool(np.isfinite(gap) and gap < tol)
