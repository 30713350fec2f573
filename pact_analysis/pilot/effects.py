"""Effects of the pilot: MDTSE change (paired, mixed model, difference in differences), administrative
outcomes, sensitivity to attrition (multiple imputation) and to unmeasured confounding (E-values), and
the coverage of the true effects on a synthetic region.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.multitest import multipletests

from pact_analysis import codebook
from pact_analysis.pilot.data import ADMIN_OUTCOMES
from pact_analysis.pilot.weighting import design, matched_effect


def paired_changes(baseline: pd.DataFrame, followup: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Paired change per column: mean with *t* interval, Cohen's d_z, Wilcoxon check, Holm correction.

    Parameters
    ----------
    baseline, followup : DataFrame
        Same persons (rows) and measures (columns).

    Returns
    -------
    DataFrame
        Per measure: n, baseline, followup, change, ci_low, ci_high, d_z (mean change / SD of change),
        p_t, p_holm (Holm over the measures), p_wilcoxon.
    """
    rows = {}
    for column in baseline.columns:
        diff = (followup[column] - baseline[column]).dropna().astype(float)
        n, mean, sd = len(diff), diff.mean(), diff.std(ddof=1)
        half = stats.t.ppf(1 - alpha / 2, n - 1) * sd / np.sqrt(n)
        rows[column] = {
            "n": n,
            "baseline": baseline[column].mean(),
            "followup": followup[column].mean(),
            "change": mean,
            "ci_low": mean - half,
            "ci_high": mean + half,
            "d_z": mean / sd if sd > 0 else np.nan,
            "p_t": stats.ttest_1samp(diff, 0.0).pvalue,
            "p_wilcoxon": stats.wilcoxon(diff, zero_method="zsplit").pvalue if (diff != 0).any() else 1.0,
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.insert(out.columns.get_loc("p_t") + 1, "p_holm", multipletests(out["p_t"], method="holm")[1])
    return out


def mixed_change(data: pd.DataFrame, outcome: str, group: str, alpha: float = 0.05) -> dict[str, Any]:
    """Mean change with CEAS random intercepts (statsmodels ``MixedLM``, REML).

    Returns
    -------
    dict
        estimate, ci_low, ci_high, group_var, residual_var, icc, ``boundary``: True when the CEAS
        variance is (practically) zero, in which case the model reduces to the ordinary mean, and
        ``failed``: True when the fit did not converge or its standard error of the mean is not finite
        or more than :data:`MIXED_SE_LIMIT` times the ordinary one (a singular fit: its estimate
        and interval mean nothing); every figure is then NaN and ``boundary`` False.
    """
    import warnings

    frame = data.dropna(subset=[outcome])
    y = frame[outcome].to_numpy(float)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = sm.MixedLM(y, np.ones((len(frame), 1)), groups=frame[group].to_numpy()).fit(reml=True)
    except np.linalg.LinAlgError:  # the CEAS variance ran into zero: the model is the ordinary mean
        half = stats.t.ppf(1 - alpha / 2, len(y) - 1) * y.std(ddof=1) / np.sqrt(len(y))
        return {
            "estimate": y.mean(),
            "ci_low": y.mean() - half,
            "ci_high": y.mean() + half,
            "group_var": 0.0,
            "residual_var": y.var(ddof=1),
            "icc": 0.0,
            "boundary": True,
            "failed": False,
        }
    if mixed_fit_failed(fit, y):
        return dict.fromkeys(
            ("estimate", "ci_low", "ci_high", "group_var", "residual_var", "icc"), np.nan
        ) | {
            "boundary": False,
            "failed": True,
        }
    low, high = np.asarray(fit.conf_int(alpha))[0]
    group_var, resid = float(np.asarray(fit.cov_re)[0, 0]), float(fit.scale)
    return {
        "estimate": float(fit.fe_params[0]),
        "ci_low": float(low),
        "ci_high": float(high),
        "group_var": group_var,
        "residual_var": resid,
        "icc": group_var / (group_var + resid) if group_var + resid > 0 else 0.0,
        "boundary": bool(group_var < 1e-6 * max(resid, 1e-12)),
        "failed": False,
    }


#: A random-intercept fit whose standard error of the mean exceeds the ordinary one (SD / sqrt(n)) this
#: many times has failed: with every person in one of a few CEAS the design effect is at most
#: n / CEAS (about 20 here, a factor of about 4.5 on the standard error), never thousands.
MIXED_SE_LIMIT = 100.0


def mixed_fit_failed(fit: Any, y: np.ndarray) -> bool:
    """Whether a ``MixedLM`` fit of a mean failed: not converged, or a standard error that is not finite
    or more than :data:`MIXED_SE_LIMIT` times the ordinary standard error of the mean of ``y``."""
    se = float(np.asarray(fit.bse)[0])
    naive = float(np.std(y, ddof=1) / np.sqrt(len(y)))
    return bool(
        not getattr(fit, "converged", True) or not np.isfinite(se) or se > MIXED_SE_LIMIT * max(naive, 1e-12)
    )


def e_value(estimate: float, ci_low: float, ci_high: float, sd: float) -> dict[str, float]:
    """E-value of a mean difference (VanderWeele & Ding 2017): ``RR = exp(0.91 d)``, ``d`` in SD units.

    Returns the E-value of the estimate and of the interval limit closest to the null (1 when the
    interval includes it).
    """

    def ev(d: float) -> float:
        rr = np.exp(0.91 * abs(d))
        return float(rr + np.sqrt(rr * (rr - 1)))

    d, lo, hi = estimate / sd, ci_low / sd, ci_high / sd
    limit = 0.0 if lo <= 0 <= hi else min(abs(lo), abs(hi))
    return {"estimate": ev(d), "ci": ev(limit) if limit else 1.0}


def rubin(
    estimates: np.ndarray, variances: np.ndarray, alpha: float = 0.05, df_complete: float = np.inf
) -> dict[str, float]:
    """Pool multiple-imputation estimates with Rubin's rules and Barnard-Rubin degrees of freedom.

    Parameters
    ----------
    estimates, variances : ndarray
        One per imputed data set.
    alpha : float
        1 - confidence level.
    df_complete : float
        Degrees of freedom of the complete-data analysis (``G - 1`` for cluster-robust errors); the
        pooled df are capped by it (Barnard & Rubin 1999). ``inf`` gives Rubin's (1987) df.
    """
    m = len(estimates)
    qbar, ubar, b = estimates.mean(), variances.mean(), estimates.var(ddof=1)
    total = ubar + (1 + 1 / m) * b
    df_rubin = (m - 1) * (1 + ubar / ((1 + 1 / m) * b)) ** 2 if b > 0 else np.inf
    if np.isfinite(df_complete):
        gamma = (1 + 1 / m) * b / total
        df_observed = (df_complete + 1) / (df_complete + 3) * df_complete * (1 - gamma)
        df = 1 / (1 / df_rubin + 1 / df_observed)
    else:
        df = df_rubin
    half = stats.t.ppf(1 - alpha / 2, df) * np.sqrt(total)
    return {
        "estimate": float(qbar),
        "ci_low": float(qbar - half),
        "ci_high": float(qbar + half),
        "se": float(np.sqrt(total)),
        "df": float(df),
    }


def imputation_frame(
    data: pd.DataFrame,
    treatment: str,
    outcome: str,
    covariates: list[str],
    auxiliary: list[str],
    cluster: str | None = None,
) -> pd.DataFrame:
    """The numeric columns of the imputation model: the outcome first, then its predictors.

    The outcome, the ``auxiliary`` columns, the design of ``covariates``, the treatment and, with
    ``cluster``, one indicator per cluster but the first (fixed effects). Without the indicators the
    imputed outcomes carry no cluster shock: a cluster's missing outcomes are drawn around its
    arm's mean, which shrinks the between-cluster variance of the completed data and makes the
    pooled intervals too narrow.

    When the treatment is constant within every cluster it is a sum of cluster indicators (with the
    intercept): the design is collinear, but the imputations need only its fitted values, which are
    identified. The imputer's Bayesian ridge (a Gaussian prior on the coefficients) makes the fit
    unique: it puts the treated clusters' common shift on the treatment and each cluster's deviation
    from its arm on its indicator, as a random intercept around the arm's mean would. The treatment
    is therefore kept (it is also identified within clusters that mix treated and comparison persons).

    Returns
    -------
    DataFrame
        Indexed like ``data``; column 0 is ``outcome``.
    """
    covs = design(data, covariates)
    extra = [a for a in auxiliary if a not in covs.columns]
    numeric = pd.concat([data[[outcome, *extra]], covs], axis=1)
    numeric[treatment + "_"] = data[treatment].astype(float).to_numpy()
    if cluster is None:
        return numeric
    codes = data[[cluster]].astype(str).add_prefix("_")  # categories, even when the codes are numbers
    return pd.concat([numeric, design(codes, ["_" + cluster])], axis=1)


def imputed_effect(
    data: pd.DataFrame,
    treatment: str,
    outcome: str,
    covariates: list[str],
    auxiliary: list[str],
    cluster: str | None = None,
    m: int = 20,
    seed: int = 0,
) -> dict[str, float]:
    """Sensitivity analysis of attrition: impute the missing outcomes ``m`` times, pool with Rubin's rules.

    sklearn ``IterativeImputer`` (Bayesian ridge, ``sample_posterior=True``) on the columns of
    :func:`imputation_frame`: outcome, covariates, ``auxiliary`` columns (e.g. the baseline score),
    treatment and, with ``cluster``, the cluster indicators, so the imputed outcomes keep their
    cluster's shift. Imputation ``i`` uses the random state ``seed + i`` (:func:`imputation_seeds`;
    the imputations can run in parts, :func:`imputed_estimates`, pooled by :func:`pooled_imputations`).
    Each completed data set is analysed by :func:`matched_effect` (IPW).

    The pooled within-imputation variance is that of the delete-one-cluster jackknife of the whole
    weighting and estimation (the standard error :func:`matched_effect` reports with clusters),
    while the complete-data degrees of freedom are the Bell-McCaffrey ones of its CR2 fit (median
    over the imputations; ``G - 1`` when none is available); the Barnard-Rubin pooled df are capped
    by them. The pairing is that of :func:`matched_effect`'s own interval and an approximation: the
    Bell-McCaffrey df describe the sampling variability of the CR2 variance, not of the jackknife's,
    for which no df of its own are computed.

    Returns
    -------
    dict
        :func:`rubin`: ``estimate``, ``ci_low``, ``ci_high``, ``se``, ``df``.
    """
    seeds = imputation_seeds(m, seed)
    return pooled_imputations(
        imputed_estimates(data, treatment, outcome, covariates, auxiliary, cluster, seeds)
    )


def imputation_seeds(m: int, seed: int) -> list[int]:
    """The random states of the ``m`` imputations of :func:`imputed_effect`, in order."""
    return [seed + i for i in range(m)]


def imputed_estimates(
    data: pd.DataFrame,
    treatment: str,
    outcome: str,
    covariates: list[str],
    auxiliary: list[str],
    cluster: str | None,
    seeds: list[int],
) -> list[tuple[float, float, float, int | None]]:
    """The analyses of the imputations with these random states (:func:`imputed_effect`).

    Returns
    -------
    list of tuple
        Per imputation: the IPW estimate, its squared standard error, its degrees of freedom (NaN
        when none) and its number of clusters.
    """
    from sklearn.experimental import enable_iterative_imputer  # noqa: F401
    from sklearn.impute import IterativeImputer
    from sklearn.linear_model import BayesianRidge

    numeric = imputation_frame(data, treatment, outcome, covariates, auxiliary, cluster)
    analyses = []
    for state in seeds:
        imputer = IterativeImputer(
            estimator=BayesianRidge(), sample_posterior=True, random_state=state, max_iter=10
        )
        frame = data.copy()
        frame[outcome] = imputer.fit_transform(numeric)[:, 0]
        eff = matched_effect(frame, treatment, outcome, covariates, method="ipw", cluster=cluster)
        analyses.append((eff.estimate, eff.se**2, np.nan if eff.df is None else eff.df, eff.clusters))
    return analyses


def pooled_imputations(analyses: list[tuple[float, float, float, int | None]]) -> dict[str, float]:
    """Rubin's rules over the analyses of :func:`imputed_estimates` (see :func:`imputed_effect`)."""
    estimates, variances, dfs, clusters = (list(column) for column in zip(*analyses, strict=True))
    if np.isfinite(dfs).any():
        df_complete = float(np.nanmedian(dfs))
    else:
        df_complete = np.inf if clusters[-1] is None else clusters[-1] - 1
    return rubin(np.array(estimates), np.array(variances), df_complete=df_complete)


def coverage(estimates: pd.DataFrame, truth: pd.Series) -> pd.DataFrame:
    """Whether each true effect lies inside its interval (``estimates`` indexed like ``truth``)."""
    shared = estimates.index.intersection(truth.index)
    out = estimates.loc[shared, ["estimate", "ci_low", "ci_high"]].assign(truth=truth.loc[shared])
    out["covered"] = (out["ci_low"] <= out["truth"]) & (out["truth"] <= out["ci_high"])
    return out


# -- the whole evaluation -----------------------------------------------------------------------------


def mdtse_effects(
    people: pd.DataFrame,
    covariates: list[str],
    method: str = "ipw",
    cluster: str = "ceas_code",
    estimator: str = "ancova",
) -> pd.DataFrame:
    """Effect on the MDTSE change per dimension (pilot vs assessed comparison), by ANCOVA or DiD.

    The change (follow-up minus baseline) of completers is compared by :func:`matched_effect`,
    weighted by the inverse probability of completing (``w_complete``) times the balancing weights.

    - ``ancova``: the baseline score of the dimension is among the balancing covariates and in the
      outcome regression (equivalent to the follow-up score adjusted for baseline; assumes the groups
      would have ended alike given the same baseline);
    - ``did``: difference in differences, the weighted difference of mean changes, balancing the
      covariates but not the baseline score (assumes parallel trends: without the pilot the groups
      would have changed alike whatever their baseline).
    """
    if estimator not in ("ancova", "did"):
        raise ValueError(f"estimator must be 'ancova' or 'did', not {estimator!r}")
    rows = {}
    for dim in [*codebook.mdtse_dimensions(), "living"]:
        frame = people.loc[people["completed"] == 1]
        baseline = [f"baseline_{dim}"] if estimator == "ancova" else []
        eff = matched_effect(
            frame,
            "treated",
            f"change_{dim}",
            [*covariates, *baseline],
            method=method,
            cluster=cluster,
            weights="w_complete",
            adjust=estimator == "ancova",
        )
        followup = frame[f"baseline_{dim}"] + frame[f"change_{dim}"]
        rows[dim] = eff.as_dict() | {"sd_change": frame[f"change_{dim}"].std(), "sd_outcome": followup.std()}
    return pd.DataFrame.from_dict(rows, orient="index")


def admin_effects(
    pool: pd.DataFrame,
    covariates: list[str],
    method: str = "ipw",
    cluster: str = "ceas_code",
    adjust: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Weighted effects on the administrative outcomes, and the balance table of the weighting.

    ``adjust=False`` gives the weighting-only estimate (no outcome regression), the check of the
    doubly-robust one.
    """
    rows, balance = {}, None
    for outcome in ADMIN_OUTCOMES:
        eff = matched_effect(
            pool, "treated", outcome, covariates, method=method, cluster=cluster, adjust=adjust
        )
        rows[outcome] = eff.as_dict() | {
            "control_mean": float(np.average(pool.loc[pool["treated"] == 0, outcome]))
        }
        balance = eff.balance if balance is None else balance
    return pd.DataFrame.from_dict(rows, orient="index"), balance
