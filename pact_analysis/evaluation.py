"""Evaluation of the PACT pilot: design and power, attrition, MDTSE change, matched comparison, claims.

Generic estimators take a plain DataFrame and column names, so the same code runs on public data with a
published answer (:func:`matched_effect`, :func:`paired_changes`, :func:`interaction`,
:func:`agreement`). Pilot-specific helpers build the analysis frames from ``data/processed``
(:func:`analysis_frames`) and read the generator's truth (:func:`true_effects`).

Design (TREND; What Works Clearinghouse v5): 184 recipients in 8 CEAS, not randomised; the estimand is
the average effect on the treated (ATT) for all enrolled participants (intention to treat), attrition
handled by inverse-probability-of-completion weights and, as a sensitivity analysis, multiple
imputation. Standard errors are clustered by CEAS with the CR1 small-sample correction and *t*
reference on ``G - 1`` degrees of freedom (Cameron & Miller 2015).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from sklearn.neighbors import NearestNeighbors
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from pact_analysis import codebook

#: Covariates of the matched comparison (profile is latent: not in the data).
MATCH_COVARIATES = [
    "age",
    "female",
    "foreign",
    "lone_parent",
    "household_size",
    "months_rgc",
    "prior_employment",
]
#: Administrative outcomes (from the pilot start).
ADMIN_OUTCOMES = ("exit_12m", "exit_end", "days_employed", "reentry")
#: Dimensions that describe living conditions (self-perception is the person's own view).
LIVING = ("economic", "housing", "employment", "health", "personal", "relational")
#: The dimensions of the claim "above all empowerment and motivation" (tested against the other five).
EMPOWERMENT = ("personal", "self_perception")
#: Months on the RGC counted as fully chronic (6 years): the scale of the heterogeneity interaction.
CHRONIC_MONTHS = 72.0
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


def _effect_from_fit(fit: Any, term: str, treated: np.ndarray, weights: np.ndarray, alpha: float) -> Effect:
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
    effect = _effect_from_fit(fit, "treated", treated, w, alpha)
    effect.balance = balance
    effect.weights = pd.Series(w, index=frame.index)
    return effect


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
    ANCOVA on baseline, so that regression to the mean cannot pass for a larger effect).
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
    fit = weighted_fit(
        frame[outcome].to_numpy(float), x, w, None if cluster is None else frame[cluster].to_numpy(), alpha
    )
    return _effect_from_fit(fit, "interaction", t.to_numpy(bool), w, alpha)


def slope(data: pd.DataFrame, outcome: str, predictor: str, cluster: str | None = None) -> Effect:
    """Slope of ``outcome`` on ``predictor`` (e.g. the change on the baseline score: regression to the mean)."""
    frame = data.dropna(subset=[outcome, predictor]).reset_index(drop=True)
    w = np.ones(len(frame))
    fit = weighted_fit(
        frame[outcome].to_numpy(float),
        frame[[predictor]],
        w,
        None if cluster is None else frame[cluster].to_numpy(),
    )
    return _effect_from_fit(fit, predictor, np.ones(len(frame), bool), w, 0.05)


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
        estimate, ci_low, ci_high, group_var, residual_var, icc, and ``boundary``: True when the CEAS
        variance is (practically) zero, in which case the model reduces to the ordinary mean.
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
    }


def mde(n: int, clusters: int, icc: float, alpha: float = 0.05, power: float = 0.8, groups: int = 1) -> float:
    """Minimum detectable effect in SD units: ``(z_{1-a/2} + z_power) * sqrt(deff * groups / n)``.

    ``deff = 1 + (n / clusters - 1) * icc`` (Kish); ``groups=1`` for a pre-post (paired, SD of change)
    comparison, ``groups=2`` for two independent groups of ``n`` each.
    """
    deff = 1 + (n / clusters - 1) * icc
    return float((stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) * np.sqrt(deff * groups / n))


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


def wilson(successes: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval of a share (statsmodels)."""
    if n == 0:
        return (np.nan, np.nan)
    low, high = proportion_confint(successes, n, alpha=alpha, method="wilson")
    return float(low), float(high)


def share_table(flags: pd.Series, by: pd.Series, claim: float | None = None) -> pd.DataFrame:
    """Share of ``True`` per group and overall with Wilson intervals, and whether a claim is inside.

    Returns
    -------
    DataFrame
        Per group and ``TOTAL``: ``n``, ``agree`` (True), ``disagree`` (False), ``share``, ``ci_low``,
        ``ci_high`` and, with a ``claim``, ``claim_inside``. Both counts are given because a share
        publishes both (``derived`` columns of :func:`pact_analysis.disclosure.protect`).
    """
    frame = pd.DataFrame({"flag": flags.astype(bool).to_numpy(), "by": by.to_numpy()})
    parts = [g for _, g in frame.groupby("by", sort=True)] + [frame]
    names = [*sorted(frame["by"].unique()), "TOTAL"]
    rows = []
    for name, part in zip(names, parts, strict=True):
        low, high = wilson(int(part["flag"].sum()), len(part))
        rows.append(
            {
                "group": name,
                "n": len(part),
                "agree": int(part["flag"].sum()),
                "disagree": int((~part["flag"]).sum()),
                "share": part["flag"].mean(),
                "ci_low": low,
                "ci_high": high,
            }
        )
    out = pd.DataFrame(rows).set_index("group")
    if claim is not None:
        out["claim_inside"] = (out["ci_low"] <= claim) & (claim <= out["ci_high"])
    return out


def agreement(surveys: pd.DataFrame, respondent: str, claim: float) -> pd.DataFrame:
    """Agreement (``useful`` and ``relevant`` both 4+ on 1-5) of one respondent type by territory."""
    part = surveys.loc[surveys["respondent_type"] == respondent]
    agree = (part["useful"] >= 4) & (part["relevant"] >= 4)
    return share_table(agree, part["territory"], claim)


def suppressed_rows(
    table: pd.DataFrame, min_cell: int, counts: list[str], additive: bool = True
) -> pd.Series:
    """Rows of which the report suppresses at least one count (:func:`pact_analysis.disclosure.protect`).

    The same call as the report framework's ``table`` (same counts, same ``additive``), so the rows
    are exactly those published with a :data:`~pact_analysis.disclosure.SUPPRESSED` count.
    """
    from pact_analysis import disclosure

    return disclosure.protect(table, min_cell, columns=counts, additive=additive).mask.any(axis=1)


def binned_change(
    people: pd.DataFrame, outcome: str, by: str, bins: list[float], min_cell: int, alpha: float = 0.05
) -> pd.DataFrame:
    """Mean of ``outcome`` with a *t* interval per bin of ``by`` and group, only where publishable.

    A figure of individual persons (a scatter) publishes microdata, and a mean of fewer than
    ``min_cell`` persons a small group: bins are kept only when every group has at least ``min_cell``
    persons in them (:func:`pact_analysis.disclosure.rows_without_small_counts`).

    Returns
    -------
    DataFrame
        Rows ``(bin, group)``: ``n``, ``mean``, ``ci_low``, ``ci_high``, ``mid`` (bin mid-point).
    """
    from pact_analysis import disclosure

    frame = people.dropna(subset=[outcome, by]).assign(
        bin=lambda f: pd.cut(f[by], bins, include_lowest=True, right=False)
    )
    g = frame.groupby(["bin", "group"], observed=False)[outcome]
    out = pd.DataFrame({"n": g.size(), "mean": g.mean(), "sd": g.std(ddof=1)})
    half = stats.t.ppf(1 - alpha / 2, np.maximum(out["n"] - 1, 1)) * out["sd"] / np.sqrt(out["n"])
    out["ci_low"], out["ci_high"] = out["mean"] - half, out["mean"] + half
    counts = out["n"].unstack("group").fillna(0)
    keep = disclosure.rows_without_small_counts(counts, list(counts.columns), min_cell) & (counts > 0).all(
        axis=1
    )
    out = out.loc[out.index.get_level_values("bin").isin(keep.index[keep])]
    out["mid"] = [(b.left + b.right) / 2 for b in out.index.get_level_values("bin")]
    return out.drop(columns="sd")


def cronbach_alpha(items: pd.DataFrame) -> float:
    """Cronbach's alpha of the columns (internal consistency)."""
    items = items.dropna()
    k = items.shape[1]
    return float(k / (k - 1) * (1 - items.var(ddof=1).sum() / items.sum(axis=1).var(ddof=1)))


def reliable_improvement(
    change: pd.Series, baseline_sd: float, reliability: float, z: float = 1.96
) -> pd.Series:
    """Jacobson-Truax reliable change: improved when ``change / (SD sqrt(2) sqrt(1 - r)) > z``."""
    se_diff = baseline_sd * np.sqrt(2.0) * np.sqrt(1.0 - reliability)
    return change / se_diff > z


def rubin(estimates: np.ndarray, variances: np.ndarray, alpha: float = 0.05) -> dict[str, float]:
    """Pool multiple-imputation estimates with Rubin's rules (Barnard-Rubin df not applied: t on m-1 ... large)."""
    m = len(estimates)
    qbar, ubar, b = estimates.mean(), variances.mean(), estimates.var(ddof=1)
    total = ubar + (1 + 1 / m) * b
    df = (m - 1) * (1 + ubar / ((1 + 1 / m) * b)) ** 2 if b > 0 else np.inf
    half = stats.t.ppf(1 - alpha / 2, df) * np.sqrt(total)
    return {
        "estimate": float(qbar),
        "ci_low": float(qbar - half),
        "ci_high": float(qbar + half),
        "se": float(np.sqrt(total)),
    }


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

    sklearn ``IterativeImputer`` with ``sample_posterior=True`` on outcome, covariates and ``auxiliary``
    columns (e.g. the baseline score); each completed data set is analysed by :func:`matched_effect`
    (IPW).
    """
    from sklearn.experimental import enable_iterative_imputer  # noqa: F401
    from sklearn.impute import IterativeImputer

    cols = list(dict.fromkeys([outcome, *design(data, covariates).columns, *auxiliary]))
    numeric = pd.concat([data[[outcome, *auxiliary]], design(data, covariates)], axis=1).loc[:, cols]
    numeric[treatment + "_"] = data[treatment].astype(float).to_numpy()
    estimates, variances = [], []
    for i in range(m):
        filled = IterativeImputer(sample_posterior=True, random_state=seed + i, max_iter=10).fit_transform(
            numeric
        )
        frame = data.copy()
        frame[outcome] = filled[:, 0]
        eff = matched_effect(frame, treatment, outcome, covariates, method="ipw", cluster=cluster)
        estimates.append(eff.estimate)
        variances.append(eff.se**2)
    return rubin(np.array(estimates), np.array(variances))


# -- the pilot's data ---------------------------------------------------------------------------------

PROCESSED = (
    "pilot_assignment",
    "mdtse_assessments",
    "satisfaction_surveys",
    "rgc_spells",
    "employment_episodes",
    "persons",
    "ceas",
)


def read_processed(processed: Path) -> dict[str, pd.DataFrame]:
    """Read the de-identified tables the evaluation uses from ``data/processed``."""
    return {name: pd.read_parquet(Path(processed) / f"{name}.parquet") for name in PROCESSED}


def _months(days: pd.Series) -> pd.Series:
    return days.dt.days / 30.4375


def rgc_history(spells: pd.DataFrame, start: pd.Timestamp, extraction: pd.Timestamp) -> pd.DataFrame:
    """Per head on the RGC at ``start``: CEAS, months on the RGC before, and the outcomes after ``start``.

    Outcomes: ``exit_12m`` (the running spell ended within 12 months), ``exit_end`` (ended by the
    extraction date), ``reentry`` (a later spell began by the extraction date).
    """
    s = spells.copy()
    end = s["end_date"].fillna(extraction)
    before = _months(end.clip(upper=start) - s["start_date"].clip(upper=start)).clip(lower=0)
    months = before.groupby(s["person_key"]).sum().rename("months_rgc")
    running = s.loc[(s["start_date"] <= start) & (s["end_date"].isna() | (s["end_date"] > start))]
    running = (
        running.sort_values("start_date").drop_duplicates("person_key", keep="last").set_index("person_key")
    )
    later = s.loc[s["start_date"] > start].groupby("person_key")["start_date"].min()
    out = pd.DataFrame(index=running.index)
    out["ceas_code"] = running["ceas_code"]
    out["household_size"] = running["household_size"].astype(float)
    out["months_rgc"] = months.reindex(out.index)
    out["chronicity"] = (out["months_rgc"] / CHRONIC_MONTHS).clip(upper=1.0)
    ended = running["end_date"]
    out["exit_12m"] = (ended.notna() & (ended <= start + pd.DateOffset(months=12))).astype(float)
    out["exit_end"] = (ended.notna() & (ended <= extraction)).astype(float)
    out["reentry"] = (later.reindex(out.index) <= extraction).astype(float)
    return out


def days_employed(episodes: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Days with at least one contract between ``start`` and ``end``, per person (contracts merged)."""
    c = episodes.loc[episodes["episode_type"] == "CONTRACT", ["person_key", "start_date", "end_date"]].copy()
    c["start_date"] = c["start_date"].clip(lower=start)
    c["end_date"] = c["end_date"].fillna(end).clip(upper=end)
    c = c.loc[c["end_date"] > c["start_date"]].sort_values(["person_key", "start_date"])
    total: dict[str, float] = {}
    for key, part in c.groupby("person_key", sort=False):
        days, reach = 0, None
        for s, e in zip(part["start_date"], part["end_date"], strict=True):
            s = s if reach is None else max(s, reach)
            if e > s:
                days += (e - s).days
            reach = e if reach is None else max(reach, e)
        total[key] = days
    return pd.Series(total, dtype=float, name="days_employed")


def analysis_frames(tables: dict[str, pd.DataFrame], start: Any, extraction: Any) -> dict[str, pd.DataFrame]:
    """Build the evaluation frames from the de-identified tables.

    Returns
    -------
    dict
        ``"people"``: one row per assigned person (pilot and assessed comparison) with covariates,
        ``baseline_<dim>``, ``change_<dim>`` (NaN when lost), ``completed`` and the administrative
        outcomes; ``"pool"``: every RGC head on the benefit at ``start`` in a non-pilot CEAS of the
        pilot provinces plus the participants (``treated``), with covariates and administrative
        outcomes.
    """
    start, extraction = pd.Timestamp(start), pd.Timestamp(extraction)
    history = rgc_history(tables["rgc_spells"], start, extraction)
    persons = tables["persons"].set_index("person_key")
    cov = pd.DataFrame(index=history.index)
    cov["age"] = (start.year - persons["birth_year"]).reindex(cov.index).astype(float)
    cov["female"] = (persons["sex"] == "M").reindex(cov.index).astype(float)
    cov["foreign"] = (persons["nationality"] != "ES").reindex(cov.index).astype(float)
    cov["lone_parent"] = (persons["household_type"] == "LONE_PARENT").reindex(cov.index).astype(float)
    before = days_employed(tables["employment_episodes"], start - pd.DateOffset(months=24), start)
    cov["prior_employment"] = (before.reindex(cov.index).fillna(0) > 0).astype(float)
    cov["days_employed"] = (
        days_employed(tables["employment_episodes"], start, extraction).reindex(cov.index).fillna(0.0)
    )
    base = history.join(cov)
    assignment = tables["pilot_assignment"].set_index("person_key")
    ceas = tables["ceas"].set_index("ceas_code")
    pilot_provinces = set(ceas.loc[ceas["pilot_territory"].notna(), "province_code"])
    centre = ceas.reindex(base["ceas_code"])
    eligible = (
        centre["province_code"].isin(pilot_provinces).to_numpy() & centre["pilot_territory"].isna().to_numpy()
    )
    participants = assignment.index[assignment["group"] == "PILOT"]
    pool = base.loc[eligible | base.index.isin(participants)].copy()
    pool["treated"] = pool.index.isin(participants).astype(int)
    people = assignment[["group", "territory", "ceas_code", "status"]].join(
        base.drop(columns="ceas_code"), how="left"
    )
    people["treated"] = (people["group"] == "PILOT").astype(int)
    people["completed"] = (people["status"] == "COMPLETED").astype(int)
    people = people.join(mdtse_wide(tables["mdtse_assessments"]), how="left")
    return {"people": people.reset_index(), "pool": pool.reset_index()}


def mdtse_wide(assessments: pd.DataFrame) -> pd.DataFrame:
    """Baseline score, change, and positive/negative factor counts and intensity per person (wide)."""
    dims = codebook.mdtse_dimensions()
    factors = list(codebook.mdtse_factors())
    a = assessments.set_index(["person_key", "wave"])[[f"dim_{d}" for d in dims] + factors].astype(float)
    f = a[factors]
    summary = pd.DataFrame(
        {
            "n_positive": (f > 0).sum(axis=1),
            "n_negative": (f < 0).sum(axis=1),
            "intensity_positive": f.clip(lower=0).sum(axis=1),
            "intensity_negative": (-f).clip(lower=0).sum(axis=1),
        }
    )
    scores = pd.concat([a[[f"dim_{d}" for d in dims]].rename(columns=lambda c: c[4:]), summary], axis=1)
    scores["living"] = scores[list(LIVING)].mean(axis=1)
    others = [d for d in dims if d not in EMPOWERMENT]
    scores["empowerment_gap"] = scores[list(EMPOWERMENT)].mean(axis=1) - scores[others].mean(axis=1)
    base = scores.xs("BASELINE", level="wave")
    follow = scores.xs("FOLLOWUP", level="wave").reindex(base.index)
    return pd.concat([base.add_prefix("baseline_"), (follow - base).add_prefix("change_")], axis=1)


def flow(people: pd.DataFrame) -> pd.DataFrame:
    """Cohort flow per group: enrolled, assessed at follow-up, lost."""
    g = people.groupby("group")
    out = pd.DataFrame({"enrolled": g.size(), "followed_up": g["completed"].sum()})
    out["lost"] = out["enrolled"] - out["followed_up"]
    return out.reindex(["PILOT", "COMPARISON"]).astype(int)


def completion_weights(people: pd.DataFrame, covariates: list[str]) -> pd.Series:
    """Inverse probability of completing follow-up (logistic on covariates, group and baseline score)."""
    frame = people.dropna(subset=covariates)
    x = design(frame, covariates)
    p = np.clip(propensity(x, frame["completed"].to_numpy(bool)), 0.05, 1.0)
    w = pd.Series(np.where(frame["completed"] == 1, 1.0 / p, 0.0), index=frame.index)
    return w.reindex(people.index).fillna(0.0)


# -- the truth ----------------------------------------------------------------------------------------


def true_effects(truth: Path) -> pd.Series | None:
    """The true effects of ``data/truth`` (:func:`true_effects_from`); None for real data."""
    truth = Path(truth)
    if not (truth / "pilot_admin_effects.parquet").exists():
        return None
    names = ("pilot_effects", "pilot_admin_effects")
    return true_effects_from({n: pd.read_parquet(truth / f"{n}.parquet") for n in names})


def true_effects_from(truth: dict[str, pd.DataFrame]) -> pd.Series:
    """The average true effect on the participants (ATT) per MDTSE dimension and administrative outcome.

    Parameters
    ----------
    truth : dict
        ``pilot_effects`` (per person and dimension, points) and ``pilot_admin_effects`` (expected
        effect per participant, :data:`pact_analysis.synth.pilot.ADMIN_TRUTH_COLUMNS`).

    Returns
    -------
    Series
        Per dimension, ``living`` (mean of the six living dimensions), the administrative outcomes and
        ``heterogeneity``: the slope of the true living effect on chronicity (the interaction that
        :func:`evaluate` estimates).
    """
    per_person = truth["pilot_effects"].pivot(index="person_id", columns="dimension", values="true_effect")
    admin = truth["pilot_admin_effects"]
    living = per_person[list(LIVING)].mean(axis=1)
    chron = admin.set_index("person_id")["chronicity"].reindex(living.index)
    extra = pd.Series({"living": living.mean(), "heterogeneity": float(np.polyfit(chron, living, 1)[0])})
    return pd.concat([per_person.mean(), extra, admin[["exit_12m", "exit_end", "days_employed"]].mean()])


def coverage(estimates: pd.DataFrame, truth: pd.Series) -> pd.DataFrame:
    """Whether each true effect lies inside its interval (``estimates`` indexed like ``truth``)."""
    shared = estimates.index.intersection(truth.index)
    out = estimates.loc[shared, ["estimate", "ci_low", "ci_high"]].assign(truth=truth.loc[shared])
    out["covered"] = (out["ci_low"] <= out["truth"]) & (out["truth"] <= out["ci_high"])
    return out


# -- the whole evaluation -----------------------------------------------------------------------------


def mdtse_effects(
    people: pd.DataFrame, covariates: list[str], method: str = "ipw", cluster: str = "ceas_code"
) -> pd.DataFrame:
    """Difference in differences of the MDTSE change per dimension (pilot vs assessed comparison).

    The change (follow-up minus baseline) of completers is compared by :func:`matched_effect`,
    weighted by the inverse probability of completing (``w_complete``) and adjusted for the baseline
    score of the dimension.
    """
    rows = {}
    for dim in [*codebook.mdtse_dimensions(), "living"]:
        frame = people.loc[people["completed"] == 1]
        eff = matched_effect(
            frame,
            "treated",
            f"change_{dim}",
            [*covariates, f"baseline_{dim}"],
            method=method,
            cluster=cluster,
            weights="w_complete",
        )
        rows[dim] = eff.as_dict() | {"sd_change": frame[f"change_{dim}"].std()}
    return pd.DataFrame.from_dict(rows, orient="index")


def admin_effects(
    pool: pd.DataFrame, covariates: list[str], method: str = "psm", cluster: str = "ceas_code"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Matched effects on the administrative outcomes, and the balance table of the matching."""
    rows, balance = {}, None
    for outcome in ADMIN_OUTCOMES:
        eff = matched_effect(pool, "treated", outcome, covariates, method=method, cluster=cluster)
        rows[outcome] = eff.as_dict() | {
            "control_mean": float(np.average(pool.loc[pool["treated"] == 0, outcome]))
        }
        balance = eff.balance if balance is None else balance
    return pd.DataFrame.from_dict(rows, orient="index"), balance


def evaluate(
    tables: dict[str, pd.DataFrame], params: dict[str, Any], truth: pd.Series | None = None
) -> dict[str, Any]:
    """Run the whole pilot evaluation on the de-identified tables.

    Parameters
    ----------
    tables : dict
        :func:`read_processed` output.
    params : dict
        Project parameters (``synthetic.pilot.start_date``, ``data.extraction_date``, ``evaluation``).
    truth : Series, optional
        True effects of a synthetic region (:func:`true_effects`): adds ``validation``.

    Returns
    -------
    dict
        Every table and number the report shows and ``metrics/pilot.json`` records.
    """
    cfg = params["evaluation"]
    start, extraction = cfg["pilot_start"], params["data"]["extraction_date"]
    frames = analysis_frames(tables, start, extraction)
    people, pool = frames["people"], frames["pool"]
    covs = list(MATCH_COVARIATES)
    people["w_complete"] = completion_weights(people, [*covs, "treated", "baseline_living"])
    pilot = people.loc[people["treated"] == 1]
    done = pilot.loc[pilot["completed"] == 1]
    dims = [*codebook.mdtse_dimensions()]
    paired = paired_changes(*_waves(done, dims))
    factors = paired_changes(
        *_waves(done, ["n_positive", "n_negative", "intensity_positive", "intensity_negative"])
    )
    mixed = {d: mixed_change(done, f"change_{d}", "ceas_code") for d in [*dims, "living"]}
    icc = mixed["living"]["icc"]
    did = mdtse_effects(people, covs, method=cfg["mdtse_method"])
    did_psm = mdtse_effects(people, covs, method="psm")
    check = {"psm": "ipw", "ipw": "psm"}[cfg["admin_method"]]
    admin, balance = admin_effects(pool, covs, method=cfg["admin_method"])
    admin_check, _ = admin_effects(pool, covs, method=check)
    mdtse_balance = matched_effect(
        people.loc[people["completed"] == 1],
        "treated",
        "change_living",
        [*covs, "baseline_living"],
        method=cfg["mdtse_method"],
        weights="w_complete",
    ).balance
    gap = matched_effect(
        people.loc[people["completed"] == 1],
        "treated",
        "change_empowerment_gap",
        [*covs, "baseline_empowerment_gap"],
        method=cfg["mdtse_method"],
        cluster="ceas_code",
        weights="w_complete",
    )
    sd_base = people["baseline_living"].std()
    ev = {
        d: e_value(r["estimate"], r["ci_low"], r["ci_high"], did.loc[d, "sd_change"])
        for d, r in did.iterrows()
    }
    completers = people.loc[people["completed"] == 1].assign(
        followup_living=lambda f: f["baseline_living"] + f["change_living"]
    )
    het = interaction(
        completers,
        "followup_living",
        "treated",
        "chronicity",
        [*covs, "baseline_living"],
        weights="w_complete",
        cluster="ceas_code",
    )
    comparison_done = people.loc[(people["treated"] == 0) & (people["completed"] == 1)]
    rtm = slope(comparison_done, "change_living", "baseline_living")
    naive_pilot = slope(done, "change_living", "baseline_living")
    reliability = cronbach_alpha(people[[f"baseline_{d}" for d in LIVING]])
    sd_living = people["baseline_living"].std()
    improved = reliable_improvement(people["change_living"], sd_living, reliability)
    improved_table = share_table(
        improved[people["completed"] == 1],
        people.loc[people["completed"] == 1, "group"],
        claim=cfg["claim_improved"],
    )
    mi = imputed_effect(
        people,
        "treated",
        "change_living",
        covs,
        ["baseline_living"],
        cluster="ceas_code",
        m=cfg["imputations"],
        seed=int(params["seed"]),
    )
    result: dict[str, Any] = {
        "flow": flow(people),
        "people": people,
        "pool_sizes": pool["treated"].value_counts().reindex([1, 0]).fillna(0).astype(int).to_list(),
        "paired": paired,
        "factors": factors,
        "mixed": mixed,
        "icc": icc,
        "power": {
            "n": int(len(pilot)),
            "clusters": int(pilot["ceas_code"].nunique()),
            "mde_unclustered": mde(len(pilot), pilot["ceas_code"].nunique(), 0.0),
            "mde_icc05": mde(len(pilot), pilot["ceas_code"].nunique(), 0.05),
            "mde_icc_estimated": mde(len(pilot), pilot["ceas_code"].nunique(), max(icc, 0.0)),
            "mde_two_groups_icc05": mde(len(pilot), pilot["ceas_code"].nunique(), 0.05, groups=2),
        },
        "did": did,
        "did_psm": did_psm,
        "mdtse_balance": mdtse_balance,
        "admin": admin,
        "admin_check": admin_check,
        "balance": balance,
        "max_abs_smd": float(balance["smd_after"].abs().max()),
        "e_values": pd.DataFrame.from_dict(ev, orient="index"),
        "empowerment_gap": gap.as_dict(),
        "heterogeneity": het.as_dict(),
        "rtm_comparison": rtm.as_dict(),
        "rtm_pilot": naive_pilot.as_dict(),
        "reliability": reliability,
        "improved": improved_table,
        "imputed": mi,
        "agree_users": agreement(tables["satisfaction_surveys"], "USER", cfg["claim_users"]),
        "agree_professionals": agreement(
            tables["satisfaction_surveys"], "PROFESSIONAL", cfg["claim_professionals"]
        ),
        "sd_baseline": sd_base,
    }
    result["verdicts"] = verdicts(result, cfg)
    if truth is not None:
        cols = ["estimate", "ci_low", "ci_high"]
        estimates = pd.concat(
            [
                did.loc[codebook.mdtse_dimensions(), cols],
                admin.loc[["exit_12m", "exit_end", "days_employed"], cols],
            ]
        )
        result["validation"] = coverage(estimates, truth)
        result["heterogeneity"]["truth"] = float(truth["heterogeneity"])
    return result


def _waves(people: pd.DataFrame, measures: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Baseline and follow-up of ``measures`` (columns named by measure) from the wide frame."""
    base = people[[f"baseline_{m}" for m in measures]].set_axis(measures, axis=1)
    return base, base + people[[f"change_{m}" for m in measures]].set_axis(measures, axis=1).to_numpy()


def _interval_verdict(effect: dict[str, Any]) -> str:
    """Supported when the interval lies above 0, not supported below 0, otherwise not answerable."""
    if effect["ci_low"] > 0:
        return "supported"
    return "not_supported" if effect["ci_high"] < 0 else "not_answerable"


def verdicts(result: dict[str, Any], cfg: dict[str, Any]) -> pd.DataFrame:
    """A plain verdict per claim of the pilot: supported, not supported, or not answerable.

    "Above all empowerment and motivation" claims that those dimensions (:data:`EMPOWERMENT`)
    improved *more* than the others: it is judged on the difference in differences of the gap between
    their mean change and the mean change of the other five dimensions (``empowerment_gap``), with
    its interval, not on which dimension ranks first. "The most chronic benefited most" is judged on
    the interaction's interval.
    """
    did = result["did"]
    living = did.loc[list(LIVING)]
    holm = multipletests(living["p_value"], method="holm")[1]
    all_areas = bool(((living["ci_low"] > 0).all()) and (holm < 0.05).all())
    some = int((holm < 0.05).sum())
    top = did.loc[list(LIVING) + ["self_perception"], "estimate"].idxmax()
    gap = result["empowerment_gap"]
    het = result["heterogeneity"]
    users, pros = result["agree_users"].loc["TOTAL"], result["agree_professionals"].loc["TOTAL"]
    imp = result["improved"]
    pilot_share = imp.loc["PILOT"] if "PILOT" in imp.index else None
    admin = result["admin"]
    rows = [
        ("all_areas", "supported" if all_areas else "not_supported", {"k": some}),
        ("empowerment", _interval_verdict(gap), {"top": top}),
        ("chronic", _interval_verdict(het), {}),
        ("professionals", "supported" if pros["claim_inside"] else "not_supported", {}),
        ("users", "supported" if users["claim_inside"] else "not_supported", {}),
        (
            "improved",
            "not_supported"
            if pilot_share is None or pilot_share["ci_high"] < cfg["claim_improved"]
            else "supported",
            {},
        ),
        (
            "employment",
            "supported"
            if admin.loc["days_employed", "ci_low"] > 0 or admin.loc["exit_12m", "ci_low"] > 0
            else "not_answerable",
            {},
        ),
    ]
    return pd.DataFrame([{"claim": c, "verdict": v} | extra for c, v, extra in rows]).set_index("claim")
