"""Weighting and matching: propensity scores, ATT weights, balance, and the weighted effect estimate.

:func:`matched_effect` takes a plain DataFrame and column names, so it runs on public data with a
published answer (an observational study with selection on observables). Weights are refined until
the covariates balance (:mod:`.balance`: entropy balancing when the propensity-score weights leave an
|SMD| of 0.1 or a variance ratio outside 0.5-2), and a run that cannot balance says so. With clusters,
intervals use CR2 errors with Bell-McCaffrey degrees of freedom and the delete-one-cluster jackknife of
the whole weighting and estimation (:mod:`.inference`). Attrition is handled by
inverse-probability-of-completion weights (:func:`completion_weights`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from sklearn.neighbors import NearestNeighbors

from pact_analysis.pilot.balance import (
    SMD_MAX,
    VR_MAX,
    balance_table,
    effective_size,
    entropy_weights,
    is_balanced,
)
from pact_analysis.pilot.inference import cluster_jackknife, cr2

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
    balanced: bool | None = None
    weighting: str | None = None
    ess_treated: float | None = None
    ess_control: float | None = None
    df: float | None = None
    se_cr2: float | None = None
    se_jackknife: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the numbers (no tables) as a JSON-able dict (``balanced`` and ``weighting`` when set)."""
        keys = ("estimate", "ci_low", "ci_high", "se", "p_value", "n_treated", "n_control", "clusters")
        out = {k: (None if getattr(self, k) is None else float(getattr(self, k))) for k in keys}
        if self.df is not None:
            out |= {"df": self.df, "se_cr2": self.se_cr2, "se_jackknife": self.se_jackknife}
        if self.balanced is not None:
            out |= {
                "balanced": self.balanced,
                "weighting": self.weighting,
                "ess_treated": self.ess_treated,
                "ess_control": self.ess_control,
            }
        return out


# -- generic estimators -------------------------------------------------------------------------------


def design(data: pd.DataFrame, covariates: list[str]) -> pd.DataFrame:
    """Return the numeric design of ``covariates`` (categories as 0/1 indicators, first level dropped)."""
    return pd.get_dummies(data[covariates], drop_first=True, dtype=float).astype(float)


def propensity(x: pd.DataFrame, treated: np.ndarray) -> np.ndarray:
    """Return the propensity score of a main-effects logistic model (statsmodels, no penalty)."""
    exog = np.column_stack([np.ones(len(x)), x.to_numpy(float)])
    model = sm.Logit(np.asarray(treated, float), exog)
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
    method: str = "ipw",
    cluster: str | None = None,
    weights: str | None = None,
    adjust: bool = True,
    alpha: float = 0.05,
    k: int = 5,
    smd_max: float = SMD_MAX,
    vr_max: float = VR_MAX,
    jackknife: bool = True,
) -> Effect:
    """Average effect on the treated by matching or weighting, refined until the covariates balance.

    With clusters, the interval is *t* on the Bell-McCaffrey (Satterthwaite) degrees of freedom of the
    CR2 fit (:func:`~pact_analysis.pilot.inference.cr2`), with the standard error of the
    delete-one-cluster jackknife of the whole weighting and estimation (``jackknife``; it carries the
    estimation of the weights) or, without it or for matching, the CR2 one. Without clusters: HC1.

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
    method : {"psm", "ipw", "ebal"}
        Nearest-neighbour matching (:func:`match_weights`), ATT odds weights (:func:`ipw_weights`) or
        entropy balancing (:func:`~pact_analysis.pilot.balance.entropy_weights`). ``ipw`` weights
        that leave a covariate unbalanced are refined by entropy balancing (``weighting`` says which
        weights were used); matching is not refined, only judged, and its interval treats the
        matches as fixed (not valid for matching with replacement: Abadie & Imbens 2008), so the
        evaluation does not use it.
    cluster : str, optional
        Column of the clusters of the standard errors (the jackknife's or CR2's, *t* on the
        Bell-McCaffrey df of the CR2 fit, as above).
    weights : str, optional
        Column of prior weights (e.g. inverse probability of completing follow-up), multiplied in.
    adjust : bool
        Regress the outcome on the covariates too in the weighted sample (doubly robust; WWC requires
        adjusting for covariates with a standardised difference between 0.05 and 0.25).
    alpha : float
        1 - confidence level.
    k : int
        Controls per treated unit (``psm``).
    smd_max, vr_max : float
        Balance: every ``|SMD|`` below ``smd_max`` and every variance ratio within ``1/vr_max .. vr_max``.
    jackknife : bool
        Re-estimate weights and effect leaving out one cluster at a time for the standard error.

    Returns
    -------
    Effect
        Estimate, interval, ``balance`` (:func:`~pact_analysis.pilot.balance.balance_table`),
        ``balanced`` (False: the effect must not be called balanced), ``weighting``, the effective
        sample sizes and the weights.
    """
    if method not in ("psm", "ipw", "ebal"):
        raise ValueError(f"method must be 'psm', 'ipw' or 'ebal', not {method!r}")
    frame = data.dropna(subset=[outcome, *covariates]).reset_index(drop=True)
    x = design(frame, covariates)
    treated = frame[treatment].astype(bool).to_numpy()
    base = None if weights is None else frame[weights].to_numpy(float)
    w, used, balance, balanced = balancing_weights(x, treated, method, base, k, smd_max, vr_max)
    rhs = pd.concat(
        [pd.Series(treated.astype(float), name="treated"), x if adjust else x.iloc[:, :0]], axis=1
    )
    y = frame[outcome].to_numpy(float)
    if cluster is None:
        effect = effect_from_fit(weighted_fit(y, rhs, w, None, alpha), "treated", treated, w, alpha)
    else:
        effect = cr2_effect(y, rhs, w, frame[cluster].to_numpy(), "treated", treated, alpha)
        if jackknife and method != "psm":  # matching is not smooth: no jackknife (Abadie & Imbens 2008)
            spec = (treatment, outcome, covariates, method, weights, adjust, k, smd_max, vr_max)
            effect.se_jackknife = cluster_jackknife(lambda part: point_estimate(part, *spec), frame, cluster)
            if np.isfinite(effect.se_jackknife):
                _set_interval(effect, effect.se_jackknife, alpha)
    effect.balance = balance
    effect.weights = pd.Series(w, index=frame.index)
    effect.balanced, effect.weighting = balanced, used
    effect.ess_treated, effect.ess_control = effective_size(w[treated]), effective_size(w[~treated])
    return effect


def balancing_weights(
    x: pd.DataFrame,
    treated: np.ndarray,
    method: str,
    base: np.ndarray | None,
    k: int = 5,
    smd_max: float = SMD_MAX,
    vr_max: float = VR_MAX,
) -> tuple[np.ndarray, str, pd.DataFrame, bool]:
    """ATT weights of ``method``, refined by entropy balancing when ``ipw`` leaves a covariate unbalanced.

    Returns
    -------
    weights : ndarray
        Times the ``base`` weights.
    weighting : str
        ``psm``, ``ipw`` or ``ebal`` (the weights actually used).
    balance : DataFrame
        :func:`~pact_analysis.pilot.balance.balance_table` of those weights.
    balanced : bool
        Whether they meet ``smd_max`` and ``vr_max`` (and, for ``ebal``, the moments were matched).
    """
    q = np.ones(len(x)) if base is None else base
    converged = True
    if method == "ebal":
        w, converged = entropy_weights(x, treated, q)
    else:
        score = np.clip(propensity(x, treated), 1e-6, 1 - 1e-6)
        w = (match_weights(score, treated, k=k) if method == "psm" else ipw_weights(score, treated)) * q
    table = balance_table(x, treated, w)
    balanced = converged and is_balanced(table, smd_max, vr_max)
    if method == "ipw" and not balanced:
        return balancing_weights(x, treated, "ebal", base, k, smd_max, vr_max)
    return w, method, table, balanced


def completion_weights(people: pd.DataFrame, covariates: list[str]) -> pd.Series:
    """Inverse probability of completing follow-up (logistic on covariates, group and baseline score)."""
    frame = people.dropna(subset=covariates)
    x = design(frame, covariates)
    p = np.clip(propensity(x, frame["completed"].to_numpy(bool)), 0.05, 1.0)
    w = pd.Series(np.where(frame["completed"] == 1, 1.0 / p, 0.0), index=frame.index)
    return w.reindex(people.index).fillna(0.0)


def cr2_effect(
    y: np.ndarray,
    x: pd.DataFrame,
    weights: np.ndarray,
    cluster: np.ndarray,
    term: str,
    treated: np.ndarray,
    alpha: float = 0.05,
) -> Effect:
    """The :class:`Effect` of one coefficient of a WLS fit with CR2 errors and Bell-McCaffrey df.

    Parameters
    ----------
    y : ndarray
        Outcome.
    x : DataFrame
        Design without the constant (added here).
    weights : ndarray
        Analysis weights (units of weight 0 are not counted).
    cluster : ndarray
        Cluster of each row.
    term : str
        The coefficient.
    treated : ndarray of bool
        Treatment indicator (for the counts).
    alpha : float
        1 - confidence level.
    """
    fit = cr2(y, sm.add_constant(x, has_constant="add"), weights, cluster, terms=[term])
    se = float(np.sqrt(fit.cov.loc[term, term]))
    keep = np.asarray(weights) > 0
    effect = Effect(
        estimate=float(fit.params[term]),
        ci_low=np.nan,
        ci_high=np.nan,
        se=se,
        p_value=np.nan,
        n_treated=int((treated & keep).sum()),
        n_control=int((~treated & keep).sum()),
        clusters=fit.clusters,
        df=float(fit.df[term]),
        se_cr2=se,
    )
    _set_interval(effect, se, alpha)
    return effect


def _set_interval(effect: Effect, se: float, alpha: float) -> None:
    """Put the *t* interval and p-value on ``effect.df`` degrees of freedom with standard error ``se``."""
    half = stats.t.ppf(1 - alpha / 2, effect.df) * se
    effect.se = se
    effect.ci_low, effect.ci_high = effect.estimate - half, effect.estimate + half
    effect.p_value = float(2 * stats.t.sf(abs(effect.estimate) / se, effect.df)) if se > 0 else np.nan


def point_estimate(
    frame: pd.DataFrame,
    treatment: str,
    outcome: str,
    covariates: list[str],
    method: str,
    weights: str | None,
    adjust: bool,
    k: int,
    smd_max: float,
    vr_max: float,
) -> float:
    """The effect of :func:`matched_effect` alone (weights re-estimated), for the cluster jackknife."""
    x = design(frame, covariates)
    x = x.loc[:, x.std() > 0]  # a category absent once a cluster is left out
    treated = frame[treatment].astype(bool).to_numpy()
    base = None if weights is None else frame[weights].to_numpy(float)
    w, *_ = balancing_weights(x, treated, method, base, k, smd_max, vr_max)
    keep = w > 0
    rhs = np.column_stack([np.ones(len(x)), treated.astype(float), *(x.to_numpy(float).T if adjust else [])])
    sw = np.sqrt(w[keep])
    beta = np.linalg.lstsq(rhs[keep] * sw[:, None], frame[outcome].to_numpy(float)[keep] * sw, rcond=None)[0]
    return float(beta[1])
