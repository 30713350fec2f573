"""Weighting and matching: propensity scores, ATT weights, balance, and the weighted effect estimate.

:func:`matched_effect` takes a plain DataFrame and column names, so it runs on public data with a
published answer (an observational study with selection on observables). Standard errors are
clustered (CR1 small-sample correction, *t* on ``G - 1`` degrees of freedom; Cameron & Miller 2015).
Attrition is handled by inverse-probability-of-completion weights (:func:`completion_weights`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from sklearn.neighbors import NearestNeighbors

#: WWC baseline-equivalence thresholds of the standardised mean difference.
WWC_NO_ADJUSTMENT, WWC_FAIL = 0.05, 0.25


@dataclass
class Effect:
    """An effect estimate with its interval and, for matched estimates, the balance table."""

    estimate: float
    ci_low: float
    ci_high: float
    se: float
    p_value: float
    n_treated: int
    n_control: int
    clusters: int | None = None
    balance: pd.DataFrame | None = None
    weights: pd.Series | None = field(default=None, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """Return the numbers (no tables) as a JSON-able dict."""
        keys = ("estimate", "ci_low", "ci_high", "se", "p_value", "n_treated", "n_control", "clusters")
        return {k: (None if getattr(self, k) is None else float(getattr(self, k))) for k in keys}


# -- generic estimators -------------------------------------------------------------------------------


def design(data: pd.DataFrame, covariates: list[str]) -> pd.DataFrame:
    """Return the numeric design of ``covariates`` (categories as 0/1 indicators, first level dropped)."""
    return pd.get_dummies(data[covariates], drop_first=True, dtype=float).astype(float)


def smd(x: pd.DataFrame, treated: np.ndarray, weights: np.ndarray | None = None) -> pd.Series:
    """Standardised mean differences (treated minus control) over the unweighted pooled SD.

    Parameters
    ----------
    x : DataFrame
        Numeric covariates.
    treated : ndarray of bool
        Treatment indicator.
    weights : ndarray, optional
        Analysis weights (matching or IPW); the SD stays the unweighted one, so before/after compare.
    """
    w = np.ones(len(x)) if weights is None else np.asarray(weights, float)
    t = np.asarray(treated, bool)
    sd = np.sqrt((x[t].var() + x[~t].var()) / 2).replace(0, np.nan)
    diff = np.average(x[t], axis=0, weights=w[t]) - np.average(x[~t], axis=0, weights=w[~t])
    return (pd.Series(diff, index=x.columns) / sd).fillna(0.0)


def propensity(x: pd.DataFrame, treated: np.ndarray) -> np.ndarray:
    """Return the propensity score of a main-effects logistic model (statsmodels, no penalty)."""
    model = sm.Logit(np.asarray(treated, float), sm.add_constant(x, has_constant="add"))
    return np.asarray(model.fit(disp=0, maxiter=200).predict())


def match_weights(score: np.ndarray, treated: np.ndarray, k: int = 5, caliper: float = 0.2) -> np.ndarray:
    """ATT weights of nearest-neighbour matching on the logit score, with replacement and a caliper.

    Each treated person is matched to its ``k`` nearest controls within ``caliper`` SD of the logit
    score (sklearn ``NearestNeighbors``); a control's weight is the sum of ``1/m`` over the treated it
    serves (``m`` their number of matches). Treated without a match get weight 0 (off support).
    """
    t = np.asarray(treated, bool)
    logit = np.log(score / (1 - score)).reshape(-1, 1)
    width = caliper * logit.std()
    nn = NearestNeighbors(n_neighbors=min(k, int((~t).sum()))).fit(logit[~t])
    dist, idx = nn.kneighbors(logit[t])
    ok = dist <= width
    per = ok.sum(axis=1)
    w = np.zeros(len(t))
    w[np.flatnonzero(t)] = (per > 0).astype(float)
    share = np.where(ok, 1.0 / np.maximum(per, 1)[:, None], 0.0)
    np.add.at(w, np.flatnonzero(~t)[idx.ravel()], share.ravel())
    return w


def ipw_weights(score: np.ndarray, treated: np.ndarray) -> np.ndarray:
    """ATT weights: 1 for the treated, ``e / (1 - e)`` for controls (normalised to the treated count)."""
    t = np.asarray(treated, bool)
    w = np.where(t, 1.0, score / (1 - score))
    w[~t] *= t.sum() / w[~t].sum()
    return w


def weighted_fit(
    y: np.ndarray, x: pd.DataFrame, weights: np.ndarray, cluster: np.ndarray | None, alpha: float = 0.05
) -> Any:
    """WLS with CEAS-clustered (CR1, *t* on G-1 df) or, without clusters, HC1 standard errors."""
    keep = weights > 0
    model = sm.WLS(y[keep], sm.add_constant(x[keep], has_constant="add"), weights=weights[keep])
    if cluster is None:
        return model.fit(cov_type="HC1", use_t=True)
    groups = pd.factorize(np.asarray(cluster)[keep])[0]
    return model.fit(
        cov_type="cluster",
        cov_kwds={"groups": groups, "use_correction": True, "df_correction": True},
        use_t=True,
    )


def effect_from_fit(fit: Any, term: str, treated: np.ndarray, weights: np.ndarray, alpha: float) -> Effect:
    """Return the :class:`Effect` of one coefficient of a :func:`weighted_fit`.

    Parameters
    ----------
    fit : statsmodels results
        From :func:`weighted_fit`.
    term : str
        The coefficient.
    treated : ndarray of bool
        Treatment indicator of the rows given to the fit (before dropping zero weights).
    weights : ndarray
        Their weights: units of weight 0 are not counted.
    alpha : float
        1 - confidence level.
    """
    low, high = fit.conf_int(alpha).loc[term]
    keep = weights > 0
    groups = getattr(fit, "cov_kwds", {}) or {}
    clusters = len(np.unique(groups["groups"])) if "groups" in groups else None
    return Effect(
        estimate=float(fit.params[term]),
        ci_low=float(low),
        ci_high=float(high),
        se=float(fit.bse[term]),
        p_value=float(fit.pvalues[term]),
        n_treated=int((treated & keep).sum()),
        n_control=int((~treated & keep).sum()),
        clusters=clusters,
    )


def matched_effect(
    data: pd.DataFrame,
    treatment: str,
    outcome: str,
    covariates: list[str],
    method: str = "psm",
    cluster: str | None = None,
    weights: str | None = None,
    adjust: bool = True,
    alpha: float = 0.05,
    k: int = 5,
) -> Effect:
    """Average effect on the treated by propensity-score matching or inverse-probability weighting.

    Parameters
    ----------
    data : DataFrame
        One row per unit; rows with a missing outcome are dropped.
    treatment : str
        Column with 1/True for the treated.
    outcome : str
        Outcome column.
    covariates : list of str
        Columns of the propensity model (categories are expanded to indicators).
    method : {"psm", "ipw"}
        Nearest-neighbour matching (:func:`match_weights`) or ATT odds weights (:func:`ipw_weights`).
    cluster : str, optional
        Column of the clusters of the standard errors (CR1, *t* with G-1 df).
    weights : str, optional
        Column of prior weights (e.g. inverse probability of completing follow-up), multiplied in.
    adjust : bool
        Regress the outcome on the covariates too in the weighted sample (doubly robust; WWC requires
        adjusting for covariates with a standardised difference between 0.05 and 0.25).
    alpha : float
        1 - confidence level.
    k : int
        Controls per treated unit (``psm``).

    Returns
    -------
    Effect
        Estimate, interval, and ``balance`` (``smd_before``, ``smd_after`` per covariate) and weights.
    """
    frame = data.dropna(subset=[outcome, *covariates]).reset_index(drop=True)
    x = design(frame, covariates)
    treated = frame[treatment].astype(bool).to_numpy()
    score = np.clip(propensity(x, treated), 1e-6, 1 - 1e-6)
    if method == "psm":
        w = match_weights(score, treated, k=k)
    elif method == "ipw":
        w = ipw_weights(score, treated)
    else:
        raise ValueError(f"method must be 'psm' or 'ipw', not {method!r}")
    if weights is not None:
        w = w * frame[weights].to_numpy(float)
    balance = pd.DataFrame({"smd_before": smd(x, treated), "smd_after": smd(x, treated, w)})
    rhs = pd.concat(
        [pd.Series(treated.astype(float), name="treated"), x if adjust else x.iloc[:, :0]], axis=1
    )
    fit = weighted_fit(
        frame[outcome].to_numpy(float), rhs, w, None if cluster is None else frame[cluster].to_numpy(), alpha
    )
    effect = effect_from_fit(fit, "treated", treated, w, alpha)
    effect.balance = balance
    effect.weights = pd.Series(w, index=frame.index)
    return effect


def completion_weights(people: pd.DataFrame, covariates: list[str]) -> pd.Series:
    """Inverse probability of completing follow-up (logistic on covariates, group and baseline score)."""
    frame = people.dropna(subset=covariates)
    x = design(frame, covariates)
    p = np.clip(propensity(x, frame["completed"].to_numpy(bool)), 0.05, 1.0)
    w = pd.Series(np.where(frame["completed"] == 1, 1.0 / p, 0.0), index=frame.index)
    return w.reindex(people.index).fillna(0.0)
