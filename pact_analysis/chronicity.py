"""Chronicity on minimum income (RGC): spells, survival models, validation and the predictive model.

The statistics behind notebook ``03_chronicity`` (issue 10). The notebook narrates and plots; every
estimate comes from here. Three layers:

1. **A generic API** on plain DataFrames and column names, so the same code runs on the synthetic
   region, on real extracts and on public benchmark data (``lifelines.datasets.load_rossi``):
   :func:`fit_cox`, :func:`cumulative_incidence`, :func:`fit_aft`, :func:`kaplan_meier`,
   :func:`schoenfeld_check`, :func:`concordance`, :func:`calibration`. They wrap lifelines,
   scikit-survival and statsmodels. Two counts are written here because the libraries take no
   frequency weights, which a bootstrap at region scale needs: Harrell's C-index
   (:class:`_ConcordancePairs`) and the cumulative/dynamic AUC (:class:`_ValidationMetrics`, on
   scikit-survival's censoring weights); the tests assert that both equal lifelines' and
   scikit-survival's values.
2. **Spells** from the processed (pseudonymised) tables: :func:`build_spells` and the history
   features known at a given date, :func:`history_features`.
3. **Validation against the truth** (synthetic region only): :func:`truth_spells`,
   :func:`validate_against_truth` (cause-specific Cox with the true covariates against the true log
   hazard ratios of ``data/truth/hazard.json``) and :func:`oracle_still_receiving` (the generating
   model's probability of still receiving at the horizon given the landmark).
4. **The predictive model**: :func:`landmark_dataset` (features known at the landmark only),
   :func:`fit_predictors` (Cox, penalised logistic, gradient boosting), :func:`evaluate_predictions`
   (C-index, AUC, time-dependent AUC, Brier score, calibration slope and calibration-in-the-large,
   with cluster bootstrap intervals) and :func:`predictive_validation` (the whole temporal-split
   comparison with the oracle).

Durations are in months of :data:`DAYS_PER_MONTH` days since the spell started (the clock of the
true model).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: Mean length of a calendar month in days (365.25 / 12), as in :mod:`pact_analysis.synth.timeline`.
DAYS_PER_MONTH = 30.4375
#: Exit causes of the RGC (codebook ``rgc_exit``) in the order of their integer codes (0 = censored).
CAUSES = ("JOB_INCOME", "NON_COMPLIANCE", "CARE_MOVED")
#: Default parameters of the ``chronicity`` section of params.yaml.
DEFAULTS: dict[str, Any] = {
    "merge_gap_months": 1.0,
    "observation_start": None,
    "landmark_month": 3,
    "horizon_month": 24,
    "develop_before": "2014-01-01",
    "models": ["cox", "logistic", "boosting"],
    "chosen_model": "logistic",
    "logistic_C": "cv",
    "cox_penalizer": 0.01,
    "boosting": {"max_iter": 200, "learning_rate": 0.05, "max_depth": 3, "min_samples_leaf": 40},
    "bootstrap": 200,
    "history_months": 24,
    "landmarks": [3, 6, 9, 12, 15, 18, 21],
    "exclude_predictors": ["foreign", "female"],
    "alert_threshold": 0.5,
    "ph_cut_months": 12,
}
#: SAUSS provisions counted as history features (``RGC_PROCESSING`` is the claim itself).
PROVISIONS = (
    "EMERGENCY_AID",
    "INCLUSION_PLAN",
    "EMPLOYMENT_REFERRAL",
    "ENERGY_POVERTY",
    "HOUSING",
    "FAMILY_SUPPORT",
    "DEPENDENCY",
    "INFO",
)


def chronicity_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return the ``chronicity`` parameters with :data:`DEFAULTS` filled in.

    Parameters
    ----------
    params : mapping or None
        The project parameters (``chronicity`` section optional) or ``None``.

    Returns
    -------
    dict
        Every key of :data:`DEFAULTS`, plus ``extraction_date`` and ``start_date`` from ``data`` and
        ``synthetic`` when present.
    """
    params = dict(params or {})
    out = {**DEFAULTS, **dict(params.get("chronicity") or {})}
    out["boosting"] = {**DEFAULTS["boosting"], **dict(out.get("boosting") or {})}
    out.setdefault("extraction_date", (params.get("data") or {}).get("extraction_date"))
    if out.get("extraction_date") is None:
        out["extraction_date"] = (params.get("data") or {}).get("extraction_date")
    if out.get("observation_start") is None:
        out["observation_start"] = (params.get("synthetic") or {}).get("start_date")
    return out


# --------------------------------------------------------------------------------------------------
# Generic API
# --------------------------------------------------------------------------------------------------


def _design(data: pd.DataFrame, covariates: Sequence[str]) -> tuple[pd.DataFrame, list[str]]:
    """Return numeric covariates: booleans as 0/1, categoricals one-hot (first level dropped).

    Columns without variation are left out, with a warning (:func:`_varying`).
    """
    parts = []
    for col in covariates:
        s = data[col]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            parts.append(pd.to_numeric(s, errors="coerce").astype(float).rename(col))
        else:
            dummies = pd.get_dummies(s.astype("string"), prefix=col, prefix_sep="=", drop_first=True)
            parts.append(dummies.astype(float))
    x = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=data.index)
    x = x[_varying(x, x.columns)]
    return x, list(x.columns)


def _varying(data: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    """The columns that vary in ``data``; the others are named in a warning.

    A column without variation (a constant, e.g. the history counts when the optional extracts were
    not delivered, or an indicator of a level nobody has) cannot be estimated and makes a fit
    singular: it is left out.
    """
    constant = [c for c in columns if data[c].nunique(dropna=True) <= 1]  # noqa: PD101
    if constant:
        warnings.warn(f"covariates without variation left out of the model: {constant}", stacklevel=3)
    return [c for c in columns if c not in constant]


def fit_cox(
    data: pd.DataFrame,
    duration: str,
    event: str,
    covariates: Sequence[str],
    entry: str | None = None,
    cluster: str | None = None,
    strata: str | Sequence[str] | None = None,
    ties: str = "efron",
    penalizer: float = 0.0,
    alpha: float = 0.05,
    return_model: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, Any]:
    """Fit a Cox proportional hazards model and return its coefficient table.

    Parameters
    ----------
    data : DataFrame
        One row per spell (or subject).
    duration : str
        Column with the time of exit or censoring (since the origin of the clock).
    event : str
        Column, true/1 when the exit was observed (for a cause-specific model pass an indicator of
        that cause: other causes count as censored).
    covariates : sequence of str
        Covariate columns; non-numeric ones are one-hot encoded (first level is the reference).
    entry : str, optional
        Column with the time at which the row entered observation (left truncation; delayed entry).
    cluster : str, optional
        Column identifying clusters (e.g. a household with repeated spells): robust sandwich
        standard errors. The model is then fitted by statsmodels ``PHReg(...).fit(groups=...)``,
        whose score residuals follow delayed entry and tied times and cost O(rows x exit times);
        lifelines' (``cluster_col``) compare every pair of rows, which a region of 500,000 persons
        cannot afford, and ignore delayed entry. Without ties both give the same standard errors.
    strata : str or sequence of str, optional
        Stratification columns (a separate baseline hazard per stratum).
    ties : {"efron", "breslow"}
        Handling of tied exit times. ``efron`` without ``cluster`` uses lifelines' ``CoxPHFitter``;
        ``breslow``, or a ``cluster``, uses statsmodels ``PHReg``.
    penalizer : float
        L2 penalty (lifelines only: Efron ties and no ``cluster``; 0 for the usual partial
        likelihood).
    alpha : float
        One minus the confidence level of the intervals.
    return_model : bool
        Also return the fitted model object.

    Returns
    -------
    DataFrame or (DataFrame, model)
        Indexed by covariate: ``coef`` (log hazard ratio), ``se``, ``ci_lower``, ``ci_upper``, ``p``,
        ``hr`` (exp(coef)).

    Examples
    --------
    >>> from lifelines.datasets import load_rossi
    >>> rossi = load_rossi()
    >>> table = fit_cox(rossi, "week", "arrest", [c for c in rossi if c not in ("week", "arrest")])
    >>> round(table.loc["fin", "coef"], 3)
    -0.379
    """
    from scipy import stats

    strata = [strata] if isinstance(strata, str) else list(strata or [])
    x, names = _design(data, covariates)
    extra = [c for c in (duration, event, entry, cluster, *strata) if c is not None]
    frame = pd.concat([x, data[list(dict.fromkeys(extra))]], axis=1).dropna()
    frame[event] = frame[event].astype(float)
    z = stats.norm.ppf(1 - alpha / 2)
    if ties not in ("efron", "breslow"):
        raise ValueError(f"ties must be 'efron' or 'breslow', not {ties!r}")
    if ties == "efron" and cluster is None:
        from lifelines import CoxPHFitter

        model = CoxPHFitter(penalizer=penalizer, alpha=alpha)
        model.fit(frame, duration_col=duration, event_col=event, entry_col=entry, strata=strata or None)
        s = model.summary
        table = pd.DataFrame({"coef": s["coef"], "se": s["se(coef)"], "p": s["p"]})
    else:
        import statsmodels.api as sm

        if penalizer:
            raise ValueError("a penalizer needs ties='efron' and no cluster (lifelines)")
        model = sm.PHReg(
            frame[duration].to_numpy(float),
            frame[names].to_numpy(float),
            status=frame[event].to_numpy(float),
            entry=None if entry is None else frame[entry].to_numpy(float),
            strata=None if not strata else frame[strata].astype(str).agg("|".join, axis=1).to_numpy(),
            ties=ties,
        )
        groups = None if cluster is None else pd.factorize(frame[cluster])[0]
        res = model.fit(groups=groups)
        table = pd.DataFrame({"coef": res.params, "se": res.bse, "p": res.pvalues}, index=names)
    table["ci_lower"] = table["coef"] - z * table["se"]
    table["ci_upper"] = table["coef"] + z * table["se"]
    table["hr"] = np.exp(table["coef"])
    table = table[["coef", "se", "ci_lower", "ci_upper", "p", "hr"]].rename_axis("covariate")
    return (table, model) if return_model else table


def cause_specific_cox(
    data: pd.DataFrame,
    duration: str,
    cause: str,
    covariates: Sequence[str],
    causes: Sequence[Any] | None = None,
    **fit: Any,
) -> pd.DataFrame:
    """Cause-specific Cox models: one per exit cause, the other causes counted as censored.

    Parameters
    ----------
    data : DataFrame
        One row per spell.
    duration : str
        Time of exit or censoring.
    cause : str
        Column holding the exit cause (``"censored"`` or null when no exit was observed).
    covariates : sequence of str
        Covariates (see :func:`fit_cox`).
    causes : sequence, optional
        Causes to fit (default: every value of ``cause`` except ``"censored"`` and nulls).
    **fit
        Further arguments of :func:`fit_cox` (``entry``, ``cluster``, ``strata``, ``alpha``...).

    Returns
    -------
    DataFrame
        The coefficient tables of :func:`fit_cox` stacked, with ``cause``, ``covariate`` and
        ``events`` (exits by that cause) columns.
    """
    values = data[cause].astype("string")
    if causes is None:
        causes = sorted(set(values.dropna()) - {"censored"})
    parts = []
    for c in causes:
        frame = data.assign(_is_cause=(values == c).fillna(False).astype(float))
        table = fit_cox(frame, duration, "_is_cause", covariates, **fit)
        parts.append(table.reset_index().assign(cause=c, events=int(frame["_is_cause"].sum())))
    return pd.concat(parts, ignore_index=True)


def _cause_codes(values: pd.Series, censored: Any = None) -> tuple[np.ndarray, list[Any]]:
    """Integer codes of the causes (0 = censored: null, 0, False, "" or ``censored``)."""
    vals = values.astype(object)
    is_cens = vals.isna() | vals.isin([0, False, "", "0"])
    if censored is not None:
        is_cens |= vals == censored
    levels = sorted(vals[~is_cens].unique(), key=str)
    codes = np.zeros(len(vals), dtype=int)
    codes[~is_cens.to_numpy()] = pd.Categorical(vals[~is_cens], categories=levels).codes + 1
    return codes, levels


def cumulative_incidence(
    data: pd.DataFrame,
    duration: str,
    event: str,
    cause: Any | None = None,
    entry: str | None = None,
    censored: Any = None,
    alpha: float = 0.05,
    times: Sequence[float] | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Aalen-Johansen cumulative incidence of one cause (or of every cause) with competing exits.

    Parameters
    ----------
    data : DataFrame
        One row per spell.
    duration : str
        Time of exit or censoring.
    event : str
        Column holding the exit cause; censored rows hold a null, ``0``, ``False``, ``""`` or the
        value given as ``censored``.
    cause : object, optional
        The cause of interest (a value of ``event``); ``None`` returns every cause stacked.
    entry : str, optional
        Delayed-entry (left truncation) times.
    censored : object, optional
        A further value of ``event`` meaning censored (e.g. ``"censored"``).
    alpha : float
        One minus the confidence level of the bands (Greenwood / delta method, lifelines).
    times : sequence of float, optional
        Return the estimate at these times (step function) instead of at every exit time.
    seed : int
        Seed of lifelines' tie-breaking jitter (the Aalen-Johansen fitter of lifelines breaks tied
        exit times by a tiny random shift); fixed for reproducible results.

    Returns
    -------
    DataFrame
        ``cause``, ``time``, ``cif``, ``ci_lower``, ``ci_upper``.
    """
    from lifelines import AalenJohansenFitter

    codes, levels = _cause_codes(data[event], censored)
    wanted = levels if cause is None else [cause]
    out = []
    for c in wanted:
        if c not in levels:
            raise ValueError(f"cause {c!r} never occurs in column {event!r} (causes: {levels})")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ajf = AalenJohansenFitter(seed=seed, alpha=alpha)
            ajf.fit(
                data[duration].to_numpy(float),
                codes,
                event_of_interest=levels.index(c) + 1,
                entry=None if entry is None else data[entry].to_numpy(float),
            )
        est = ajf.cumulative_density_.iloc[:, 0]
        ci = ajf.confidence_interval_
        frame = pd.DataFrame(
            {"time": est.index.to_numpy(float), "cif": est.to_numpy(float)},
        )
        frame["ci_lower"] = ci.iloc[:, 0].reindex(est.index).to_numpy(float)
        frame["ci_upper"] = ci.iloc[:, 1].reindex(est.index).to_numpy(float)
        frame.loc[frame["time"] <= 0, ["ci_lower", "ci_upper"]] = 0.0
        if times is not None:
            idx = np.searchsorted(frame["time"].to_numpy(), np.asarray(times, float), side="right") - 1
            frame = frame.iloc[np.maximum(idx, 0)].assign(time=np.asarray(times, float))
        out.append(frame.assign(cause=c))
    result = pd.concat(out, ignore_index=True)
    return result[["cause", "time", "cif", "ci_lower", "ci_upper"]]


def fit_aft(
    data: pd.DataFrame,
    duration: str,
    event: str,
    covariates: Sequence[str],
    distribution: str = "weibull",
    alpha: float = 0.05,
) -> dict[str, Any]:
    """Fit a parametric accelerated failure time model (Weibull or log-normal).

    Parameters
    ----------
    data : DataFrame
        One row per spell.
    duration, event : str
        Time of exit or censoring, and the exit indicator.
    covariates : sequence of str
        Covariates (categoricals one-hot encoded).
    distribution : {"weibull", "lognormal"}
        lifelines ``WeibullAFTFitter`` or ``LogNormalAFTFitter``.
    alpha : float
        One minus the confidence level.

    Returns
    -------
    dict
        ``table``: indexed by (parameter, covariate) with ``coef``, ``se``, ``ci_lower``,
        ``ci_upper``, ``p`` (covariates of the location parameter ``lambda_``/``mu_`` are log time
        ratios: positive means longer on the benefit); ``log_likelihood``; ``aic``; ``model``.
    """
    from lifelines import LogNormalAFTFitter, WeibullAFTFitter

    fitters = {"weibull": WeibullAFTFitter, "lognormal": LogNormalAFTFitter}
    if distribution not in fitters:
        raise ValueError(f"distribution must be one of {sorted(fitters)}, not {distribution!r}")
    x, _ = _design(data, covariates)
    frame = pd.concat([x, data[[duration, event]]], axis=1).dropna()
    frame[event] = frame[event].astype(float)
    model = fitters[distribution](alpha=alpha).fit(frame, duration_col=duration, event_col=event)
    s = model.summary
    table = pd.DataFrame(
        {
            "coef": s["coef"],
            "se": s["se(coef)"],
            "ci_lower": s[s.columns[s.columns.str.startswith("coef lower")][0]],
            "ci_upper": s[s.columns[s.columns.str.startswith("coef upper")][0]],
            "p": s["p"],
        }
    )
    return {
        "table": table,
        "log_likelihood": float(model.log_likelihood_),
        "aic": float(model.AIC_),
        "model": model,
    }


class _ConcordancePairs:
    """Harrell's comparable pairs of one sample, counted for any frequency weights of its rows.

    A pair is comparable when the earlier of the two times is an exit, or when both times are equal
    and only one is an exit (the censored one outlived it), as in lifelines and scikit-survival. The
    pairs with a later time are counted by a divide-and-conquer over the binary digits of the time's
    rank: at digit ``b`` the rows whose ranks agree above ``b`` and differ at ``b`` are compared
    by a sorted search on the risk, so that every such pair is met exactly once. The sorting is done
    once; each weighting then costs a cumulative sum per digit, which makes a bootstrap by weights
    cheap on a region of 500,000 persons (lifelines' ``concordance_index`` needs no weights but walks
    a pure-Python tree at every replicate).
    """

    def __init__(self, time: Sequence[float], event: Sequence[bool], risk: Sequence[float]) -> None:
        t = np.unique(np.asarray(time, dtype=float), return_inverse=True)[1].astype(np.int64)
        r = np.unique(np.asarray(risk, dtype=float), return_inverse=True)[1].astype(np.int64)
        e = np.asarray(event, dtype=bool)
        n_risk = int(r.max()) + 1 if len(r) else 1
        self.n = len(t)
        self.parts = []
        for b in range(max(1, int(t.max()).bit_length()) if len(t) else 0):
            block = t >> (b + 1)
            later, earlier = ((t >> b) & 1) == 1, (((t >> b) & 1) == 0) & e
            self.parts.append(self._part(block, r, n_risk, later, earlier))
        self.parts.append(self._part(t, r, n_risk, ~e, e))  # the same time: censored outlives exit

    @staticmethod
    def _part(
        block: np.ndarray, r: np.ndarray, n_risk: int, later: np.ndarray, earlier: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
        """Pairs of an earlier exit and a later row of the same ``block``.

        Returns the later rows sorted by (block, risk rank), the earlier exits, and for each exit the
        positions in that order where its block starts, where the risks equal to its own start and
        end, and where its block ends.
        """
        keys = block[later] * n_risk + r[later]
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
        base = block[earlier] * n_risk
        bounds = [
            np.searchsorted(keys, base, "left"),
            np.searchsorted(keys, base + r[earlier], "left"),
            np.searchsorted(keys, base + r[earlier], "right"),
            np.searchsorted(keys, base + n_risk, "left"),
        ]
        return np.flatnonzero(later)[order], np.flatnonzero(earlier), bounds

    def c_index(self, weights: np.ndarray | None = None) -> float:
        """The C-index with each row counted ``weights`` times (ties in risk count one half)."""
        w = np.ones(self.n) if weights is None else np.asarray(weights, dtype=float)
        concordant = tied = comparable = 0.0
        for later, earlier, (start, below, upto, end) in self.parts:
            cum = np.concatenate([[0.0], np.cumsum(w[later])])
            we = w[earlier]
            concordant += we @ (cum[below] - cum[start])
            tied += we @ (cum[upto] - cum[below])
            comparable += we @ (cum[end] - cum[start])
        return float((concordant + 0.5 * tied) / comparable) if comparable else np.nan


def concordance(
    time: Sequence[float],
    event: Sequence[bool],
    risk: Sequence[float],
    weights: Sequence[float] | None = None,
) -> float:
    """Harrell's C-index: the share of comparable pairs in which the higher risk exits first.

    Parameters
    ----------
    time : array-like
        Time of exit or censoring.
    event : array-like of bool
        Exit observed.
    risk : array-like
        Predicted risk of exit (higher = sooner). Pass minus a survival probability.
    weights : array-like, optional
        Frequency weights: row ``i`` counts as ``weights[i]`` copies of itself (a bootstrap replicate
        by weights).

    Returns
    -------
    float
        C-index (0.5 = chance), ties in risk counted one half; NaN without comparable pairs. Equal
        to lifelines' ``concordance_index`` (and scikit-survival's ``concordance_index_censored``)
        on the rows repeated by their weights, which the tests assert; counted in O(n log² n) by
        :class:`_ConcordancePairs`.
    """
    return _ConcordancePairs(time, event, risk).c_index(None if weights is None else np.asarray(weights))


def _logit(p: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), eps, 1 - eps)
    return np.log(p / (1 - p))


def _recalibration_fits(
    y: np.ndarray, lp: np.ndarray, weights: np.ndarray | None = None, start: Sequence[float] | None = None
) -> tuple[Any, Any]:
    """The two logistic fits of :func:`calibration`: on ``[1, lp]`` (slope) and with ``lp`` as offset
    (calibration-in-the-large); ``weights`` are frequency weights, ``start`` = (intercept, slope,
    calibration-in-the-large) to start the iterations from (a bootstrap starts from the estimate)."""
    import statsmodels.api as sm

    family = sm.families.Binomial()
    fw = None if weights is None else np.asarray(weights, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        slope_fit = sm.GLM(y, sm.add_constant(lp, has_constant="add"), family=family, freq_weights=fw).fit(
            start_params=None if start is None else np.asarray(start[:2])
        )
        citl_fit = sm.GLM(y, np.ones((len(y), 1)), family=family, offset=lp, freq_weights=fw).fit(
            start_params=None if start is None else np.asarray(start[2:])
        )
    return slope_fit, citl_fit


def calibration(
    observed: Sequence[float], predicted: Sequence[float], n_bins: int = 10, alpha: float = 0.05
) -> dict[str, Any]:
    """Logistic recalibration of predicted probabilities against binary outcomes.

    Parameters
    ----------
    observed : array-like of 0/1
        Observed outcome.
    predicted : array-like of float
        Predicted probability of the outcome.
    n_bins : int
        Number of quantile bins of the predictions for the calibration plot.
    alpha : float
        One minus the confidence level.

    Returns
    -------
    dict
        ``slope`` (and ``slope_ci``): coefficient of logit(predicted) in a logistic regression of the
        outcome (1 = perfect; below 1: predictions too extreme); ``citl`` (and ``citl_ci``):
        calibration-in-the-large, the intercept of a logistic regression with logit(predicted) as an
        offset (0 = perfect; positive: risk underestimated); ``observed_mean``, ``predicted_mean``;
        ``table``: per bin ``n``, ``predicted`` (mean), ``observed`` (share) and a Wilson interval
        ``ci_lower``/``ci_upper`` of the observed share.
    """
    from statsmodels.stats.proportion import proportion_confint

    y = np.asarray(observed, dtype=float)
    p = np.asarray(predicted, dtype=float)
    slope_fit, citl_fit = _recalibration_fits(y, _logit(p))
    slope_ci = slope_fit.conf_int(alpha)[1]
    citl_ci = citl_fit.conf_int(alpha)[0]
    bins = pd.qcut(pd.Series(p).rank(method="first"), q=min(n_bins, len(p)), labels=False)
    table = (
        pd.DataFrame({"bin": bins, "y": y, "p": p})
        .groupby("bin")
        .agg(n=("y", "size"), events=("y", "sum"), predicted=("p", "mean"), observed=("y", "mean"))
    )
    low, high = proportion_confint(table["events"], table["n"], alpha=alpha, method="wilson")
    table["ci_lower"], table["ci_upper"] = np.asarray(low), np.asarray(high)
    return {
        "slope": float(slope_fit.params[1]),
        "slope_ci": (float(slope_ci[0]), float(slope_ci[1])),
        "citl": float(citl_fit.params[0]),
        "citl_ci": (float(citl_ci[0]), float(citl_ci[1])),
        "observed_mean": float(y.mean()),
        "predicted_mean": float(p.mean()),
        "table": table.reset_index(),
    }


def schoenfeld_check(
    data: pd.DataFrame,
    duration: str,
    event: str,
    covariates: Sequence[str],
    strata: str | Sequence[str] | None = None,
    time_transform: str = "rank",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Test proportional hazards per covariate with scaled Schoenfeld residuals.

    Parameters
    ----------
    data : DataFrame
        One row per spell.
    duration, event : str
        Time of exit or censoring, and the exit indicator.
    covariates : sequence of str
        Covariates of the Cox model (categoricals one-hot encoded).
    strata : str or sequence of str, optional
        Stratification columns (the usual remedy for a failing categorical covariate).
    time_transform : str
        lifelines ``proportional_hazard_test`` transform: ``rank`` (default), ``km``, ``identity``,
        ``log``.
    alpha : float
        Significance level for ``violated``.

    Returns
    -------
    DataFrame
        Indexed by covariate: ``test_statistic``, ``p``, ``violated`` (p < alpha).
    """
    from lifelines import CoxPHFitter
    from lifelines.statistics import proportional_hazard_test

    strata = [strata] if isinstance(strata, str) else list(strata or [])
    x, _ = _design(data, covariates)
    frame = pd.concat([x, data[[duration, event, *strata]]], axis=1).dropna()
    frame[event] = frame[event].astype(float)
    model = CoxPHFitter().fit(frame, duration_col=duration, event_col=event, strata=strata or None)
    result = proportional_hazard_test(model, frame, time_transform=time_transform)
    s = result.summary
    out = pd.DataFrame(
        {"test_statistic": s["test_statistic"].to_numpy(), "p": s["p"].to_numpy()}, index=s.index
    )
    out.index = [i[0] if isinstance(i, tuple) else i for i in out.index]
    out["violated"] = out["p"] < alpha
    return out.rename_axis("covariate")


def kaplan_meier(
    data: pd.DataFrame,
    duration: str,
    event: str,
    by: str | None = None,
    entry: str | None = None,
    at: Sequence[float] = (12, 24, 36),
    alpha: float = 0.05,
) -> dict[str, pd.DataFrame]:
    """Kaplan-Meier survival (share still receiving) overall or by group, with bands.

    Parameters
    ----------
    data : DataFrame
        One row per spell.
    duration, event : str
        Time of exit or censoring, and the exit indicator (any cause).
    by : str, optional
        Grouping column (province, profile, household type...).
    entry : str, optional
        Delayed-entry times (left truncation).
    at : sequence of float
        Times at which the share still receiving is reported (months: 12, 24, 36).
    alpha : float
        One minus the confidence level (exponential Greenwood bands, lifelines).

    Returns
    -------
    dict
        ``curves``: group, time, survival, ci_lower, ci_upper, at_risk;
        ``summary``: per group n, events, median (and its interval ``median_lower``,
        ``median_upper``; NaN when not reached), and ``still_<t>``, ``still_<t>_lower``,
        ``still_<t>_upper`` for each ``t`` in ``at``.
    """
    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times

    groups = [("all", data)] if by is None else list(data.groupby(by, sort=True, observed=True))
    curves, rows = [], []
    for name, part in groups:
        kmf = KaplanMeierFitter(alpha=alpha).fit(
            part[duration].to_numpy(float),
            part[event].astype(bool).to_numpy(),
            entry=None if entry is None else part[entry].to_numpy(float),
        )
        sf = kmf.survival_function_.iloc[:, 0]
        ci = kmf.confidence_interval_survival_function_
        curves.append(
            pd.DataFrame(
                {
                    "group": name,
                    "time": sf.index.to_numpy(float),
                    "survival": sf.to_numpy(float),
                    "ci_lower": ci.iloc[:, 0].to_numpy(float),
                    "ci_upper": ci.iloc[:, 1].to_numpy(float),
                    "at_risk": kmf.event_table["at_risk"].reindex(sf.index).to_numpy(),
                }
            )
        )
        med_ci = median_survival_times(ci)
        row = {
            "group": name,
            "n": int(len(part)),
            "events": int(part[event].astype(bool).sum()),
            "median": float(kmf.median_survival_time_),
            "median_lower": float(np.asarray(med_ci).ravel()[0]),
            "median_upper": float(np.asarray(med_ci).ravel()[1]),
        }
        for t in at:
            row[f"still_{t:g}"] = float(kmf.survival_function_at_times(t).iloc[0])
            idx = np.searchsorted(sf.index.to_numpy(float), t, side="right") - 1
            row[f"still_{t:g}_lower"] = float(ci.iloc[max(idx, 0), 0])
            row[f"still_{t:g}_upper"] = float(ci.iloc[max(idx, 0), 1])
        rows.append(row)
    summary = pd.DataFrame(rows).replace([np.inf, -np.inf], np.nan)
    return {"curves": pd.concat(curves, ignore_index=True), "summary": summary}


# --------------------------------------------------------------------------------------------------
# Spells from the processed tables
# --------------------------------------------------------------------------------------------------


#: Processed tables the chronicity model reads (spells, members and the history of each person).
PROCESSED_TABLES = (
    "rgc_spells",
    "rgc_members",
    "persons",
    "employment_episodes",
    "sauss_interventions",
    "ngo_attention",
)
#: The same with the CEAS directory, for those that score today's recipients by CEAS (alerts, spending).
SCORING_TABLES = (*PROCESSED_TABLES, "ceas")


def load_tables(
    processed: str | Path | Mapping[str, pd.DataFrame], names: Sequence[str] | None = None
) -> dict[str, pd.DataFrame]:
    """Return the processed tables as DataFrames (read ``<name>.parquet`` when given a folder).

    Parameters
    ----------
    processed : path or mapping
        ``data/processed`` or a dict of already loaded tables.
    names : sequence of str, optional
        Tables wanted (default :data:`PROCESSED_TABLES`; :data:`SCORING_TABLES` adds the CEAS).
    """
    names = names or PROCESSED_TABLES
    if isinstance(processed, Mapping):
        return {n: processed[n] for n in names if n in processed}
    folder = Path(processed)
    return {n: pd.read_parquet(folder / f"{n}.parquet") for n in names if (folder / f"{n}.parquet").exists()}


def _months(delta: pd.Series) -> pd.Series:
    return delta.dt.total_seconds() / 86400.0 / DAYS_PER_MONTH


def build_spells(
    tables: str | Path | Mapping[str, pd.DataFrame],
    params: Mapping[str, Any] | None = None,
    unit: str = "head",
) -> pd.DataFrame:
    """RGC episodes per household head (or per person) from the processed tables.

    Benefit files of the same person separated by a gap shorter than ``merge_gap_months`` are merged
    into one episode (an administrative interruption, not an exit); a spell that began before the
    observation window (``observation_start``) is left-truncated (``entry`` > 0) and one still paid at
    the extraction date is censored there. A re-entry is its own spell, with the months already
    spent on the RGC (``months_before``) and the number of earlier spells as covariates.

    Parameters
    ----------
    tables : path or mapping
        ``data/processed`` or its tables (``rgc_spells``, ``rgc_members``, ``persons``).
    params : mapping, optional
        Project parameters (``data.extraction_date``; ``chronicity.merge_gap_months`` and
        ``chronicity.observation_start``, default ``synthetic.start_date``).
    unit : {"head", "person"}
        One row per head's spell, or per spell of every person in the file (members included).

    Returns
    -------
    DataFrame
        One row per spell: ``person_key``, ``household_key``, ``spell_id`` (first file's),
        ``n_files``, ``role``, ``ceas_code``, ``province_code``, ``start_date``, ``end_date`` (last
        payment, NaT if censored), ``exit_date`` (end or extraction date), ``duration`` (months),
        ``entry`` (months already elapsed at the start of observation), ``event`` (bool),
        ``cause`` (exit reason or ``"censored"``), ``cause_code`` (0 censored, 1.. in
        :data:`CAUSES` order, further reasons after), ``spell_number``, ``prior_spells``,
        ``months_before``, ``months_since_last_exit``, ``cohort`` (start year), ``prior_imi``,
        ``household_type``, ``household_size``, ``sex``, ``birth_year``, ``age``, ``age_per_decade``,
        ``nationality``, ``foreign``, ``education``, ``low_education``, ``disability``,
        ``lone_parent``.
    """
    cfg = chronicity_params(params)
    t = load_tables(tables, ("rgc_spells", "rgc_members", "persons"))
    spells = t["rgc_spells"].copy()
    if unit == "person":
        members = t["rgc_members"][["file_id", "person_key", "role"]].dropna(subset=["person_key"])
        spells = spells.drop(columns=["person_key"]).merge(
            members.drop_duplicates(["file_id", "person_key"]), on="file_id"
        )
    elif unit == "head":
        spells = spells.assign(role="HEAD")
    else:
        raise ValueError(f"unit must be 'head' or 'person', not {unit!r}")
    spells = spells.dropna(subset=["person_key", "start_date"])
    extraction = pd.Timestamp(cfg["extraction_date"])
    obs_start = pd.Timestamp(cfg["observation_start"]) if cfg.get("observation_start") else None
    spells["start_date"] = pd.to_datetime(spells["start_date"])
    spells["end_date"] = pd.to_datetime(spells["end_date"])
    spells.loc[spells["end_date"] > extraction, ["end_date", "exit_reason"]] = [pd.NaT, None]
    spells = spells.sort_values(["person_key", "start_date", "spell_id"], kind="stable").reset_index(
        drop=True
    )
    # merge files separated by a short gap
    prev_end = spells.groupby("person_key")["end_date"].shift()
    gap = _months(spells["start_date"] - prev_end)
    new = gap.isna() | (gap >= float(cfg["merge_gap_months"]))
    new |= spells["person_key"] != spells["person_key"].shift()
    spells["episode"] = new.cumsum()
    agg = spells.groupby("episode", sort=False).agg(
        person_key=("person_key", "first"),
        spell_id=("spell_id", "first"),
        n_files=("spell_id", "size"),
        role=("role", "first"),
        ceas_code=("ceas_code", "first"),
        start_date=("start_date", "first"),
        end_date=("end_date", "last"),
        exit_reason=("exit_reason", "last"),
        prior_imi=("prior_imi", "first"),
        household_type=("household_type", "first"),
        household_size=("household_size", "first"),
    )
    out = agg.reset_index(drop=True)
    out["event"] = out["end_date"].notna() & out["exit_reason"].notna()
    out["exit_date"] = out["end_date"].where(out["event"], extraction)
    out["duration"] = _months(out["exit_date"] - out["start_date"]).clip(lower=1.0 / DAYS_PER_MONTH)
    out["cause"] = out["exit_reason"].where(out["event"], "censored").astype(str)
    extra = sorted(set(out.loc[out["event"], "cause"]) - set(CAUSES))
    order = {c: i + 1 for i, c in enumerate([*CAUSES, *extra])}
    out["cause_code"] = out["cause"].map(order).fillna(0).astype(int)
    # history of earlier spells of the same person (observed part only)
    g = out.groupby("person_key", sort=False)
    out["spell_number"] = g.cumcount() + 1
    out["prior_spells"] = out["spell_number"] - 1
    out["months_before"] = g["duration"].cumsum() - out["duration"]
    last_exit = g["exit_date"].shift()
    out["months_since_last_exit"] = _months(out["start_date"] - last_exit)
    # observation window: left truncation
    out["entry"] = 0.0
    if obs_start is not None:
        out = out.loc[out["exit_date"] > obs_start].copy()
        out["entry"] = _months(obs_start - out["start_date"]).clip(lower=0.0)
    out["cohort"] = out["start_date"].dt.year
    out = _add_person_attributes(out, t.get("persons"))
    out["prior_imi"] = out["prior_imi"].fillna(False).astype(bool)
    out["lone_parent"] = (out["household_type"] == "LONE_PARENT").astype(float)
    return out.reset_index(drop=True)


def _add_person_attributes(spells: pd.DataFrame, persons: pd.DataFrame | None) -> pd.DataFrame:
    if persons is None:
        return spells
    cols = [
        "person_key",
        "household_key",
        "sex",
        "birth_year",
        "nationality",
        "province_code",
        "education",
        "disability_pct",
        "profile",  # only when the profiles stage has added it
    ]
    p = persons[[c for c in cols if c in persons]].drop_duplicates("person_key")
    out = spells.merge(p, on="person_key", how="left")
    by = pd.to_numeric(out["birth_year"], errors="coerce")
    out["age"] = out["start_date"].dt.year - by + 0.5 - out["start_date"].dt.dayofyear / 365.25
    out["age_per_decade"] = (out["age"] - 45.0) / 10.0
    out["foreign"] = (out["nationality"].astype("string") != "ES").astype(float)
    out["low_education"] = out["education"].isin(["NONE", "PRIMARY"]).astype(float)
    out["disability"] = (pd.to_numeric(out["disability_pct"], errors="coerce").fillna(0) >= 33).astype(float)
    out["female"] = (out["sex"].astype("string") == "M").astype(float)
    return out


def _count_before(
    spells: pd.DataFrame, events: pd.DataFrame, date_col: str, at: str, window_months: float | None, name: str
) -> pd.Series:
    """Count rows of ``events`` of the same person dated in [at - window, at) for every spell."""
    if events is None or events.empty:
        return pd.Series(0.0, index=spells.index, name=name)
    left = spells[["person_key", at]].reset_index()
    right = events[["person_key", date_col]].dropna()
    m = left.merge(right, on="person_key")
    keep = m[date_col] < m[at]
    if window_months is not None:
        keep &= m[date_col] >= m[at] - pd.to_timedelta(window_months * DAYS_PER_MONTH, unit="D")
    counts = m.loc[keep].groupby("index").size()
    return counts.reindex(spells.index, fill_value=0).astype(float).rename(name)


def history_features(
    spells: pd.DataFrame,
    tables: str | Path | Mapping[str, pd.DataFrame],
    at: str = "start_date",
    window_months: float = 24,
) -> pd.DataFrame:
    """The person's history of employment, services and NGO contact known at a date.

    Only records dated strictly before ``spells[at]`` are used (no look-ahead).

    Parameters
    ----------
    spells : DataFrame
        Spells with ``person_key``, ``start_date`` and the column ``at``.
    tables : path or mapping
        ``employment_episodes``, ``sauss_interventions``, ``ngo_attention`` (processed).
    at : str
        Date column at which the features are measured (``start_date`` or a landmark date).
    window_months : float
        Look-back window for the counts of services, contracts and NGO attentions.

    Returns
    -------
    DataFrame
        Indexed like ``spells``: ``recent_employment`` (a contract ended in the 12 months before the
        spell started), ``contract_since_start`` (a contract started between the spell's start and
        ``at``: work income while on the benefit), ``contracts_before`` (contracts started in the
        window), ``services_before`` (SAUSS provisions in the window, the RGC claim excluded),
        ``svc_<provision>`` per provision of :data:`PROVISIONS`, ``ngo_before`` (NGO attentions in
        the window).
    """
    t = load_tables(tables, ("employment_episodes", "sauss_interventions", "ngo_attention"))
    out = pd.DataFrame(index=spells.index)
    emp = t.get("employment_episodes")
    if emp is not None:
        contracts = emp.loc[emp["episode_type"] == "CONTRACT", ["person_key", "start_date", "end_date"]]
        left = spells[list(dict.fromkeys(["person_key", "start_date", at]))].reset_index()
        m = left.merge(
            contracts.rename(columns={"start_date": "c_start", "end_date": "c_end"}), on="person_key"
        )
        c_end = m["c_end"].fillna(pd.Timestamp.max)
        year_before = m["start_date"] - pd.to_timedelta(365, unit="D")
        recent = (c_end < m["start_date"]) & (c_end >= year_before) & (c_end < m[at])
        since = (m["c_start"] >= m["start_date"]) & (m["c_start"] < m[at])
        out["recent_employment"] = (
            m.loc[recent].groupby("index").size().reindex(spells.index).notna().astype(float)
        )
        out["contract_since_start"] = (
            m.loc[since].groupby("index").size().reindex(spells.index).notna().astype(float)
        )
        out["contracts_before"] = _count_before(
            spells,
            contracts.rename(columns={"start_date": "date"}),
            "date",
            at,
            window_months,
            "contracts_before",
        )
    sauss = t.get("sauss_interventions")
    if sauss is not None:
        svc = sauss.loc[sauss["provision_code"] != "RGC_PROCESSING"]
        out["services_before"] = _count_before(spells, svc, "date", at, window_months, "services_before")
        for code in PROVISIONS:
            part = svc.loc[svc["provision_code"] == code]
            out[f"svc_{code.lower()}"] = _count_before(spells, part, "date", at, window_months, code)
    ngo = t.get("ngo_attention")
    if ngo is not None:
        out["ngo_before"] = _count_before(spells, ngo, "date", at, window_months, "ngo_before")
    return out


# --------------------------------------------------------------------------------------------------
# Validation against the truth (synthetic region)
# --------------------------------------------------------------------------------------------------


def _read_truth(truth: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    import json

    if isinstance(truth, Mapping):
        return dict(truth)
    folder = Path(truth)
    return {
        "persons": pd.read_parquet(folder / "persons.parquet"),
        "rgc_spells": pd.read_parquet(folder / "rgc_spells.parquet"),
        "hazard": json.loads((folder / "hazard.json").read_text(encoding="utf-8")),
    }


def truth_spells(
    truth: str | Path | Mapping[str, Any], params: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """The true spells with the true covariates of the generating hazard model.

    Parameters
    ----------
    truth : path or mapping
        ``data/truth`` or a dict with ``persons``, ``rgc_spells`` (truth frames) and ``hazard``.
    params : mapping, optional
        Project parameters (``data.extraction_date``).

    Returns
    -------
    DataFrame
        One row per true spell: ``spell_id``, ``person_id``, ``start_date``, ``duration`` (months),
        ``event``, ``cause``, ``profile``, ``cycler``, ``stayer`` (profile indicators, leaver is the
        reference) and every covariate of ``hazard["covariates"]`` as the generator computed it
        (age and nationality at the spell's start, years on the RGC before it).
    """
    cfg = chronicity_params(params)
    t = _read_truth(truth)
    extraction = pd.Timestamp(cfg["extraction_date"])
    s = t["rgc_spells"].sort_values(["person_id", "start_date"], kind="stable").reset_index(drop=True)
    p = t["persons"].set_index("person_id")
    end = s["end_date"].where(~s["censored"].astype(bool), extraction)
    s["duration"] = _months(end - s["start_date"])
    s["event"] = ~s["censored"].astype(bool)
    s["cause"] = s["exit_reason"].where(s["event"], "censored").astype(str)
    obs = np.minimum(s["duration"], _months(extraction - s["start_date"]))
    s["years_on_rgc_before"] = (s.groupby("person_id")["duration"].cumsum() - obs) / 12.0
    s.loc[s["spell_number"] == 1, "years_on_rgc_before"] = 0.0
    birth = p.loc[s["person_id"], "birth_date"].to_numpy("datetime64[D]")
    start = s["start_date"].to_numpy("datetime64[D]")
    from pact_analysis.synth.timeline import age_years

    s["age_per_decade"] = (age_years(birth, start) - 45.0) / 10.0
    s["lone_parent"] = (p.loc[s["person_id"], "household_type"].to_numpy() == "LONE_PARENT").astype(float)
    s["low_education"] = np.isin(p.loc[s["person_id"], "education"].to_numpy(), ["NONE", "PRIMARY"]).astype(
        float
    )
    s["disability"] = (p.loc[s["person_id"], "disability_pct"].fillna(0).to_numpy(float) >= 33).astype(float)
    s["recent_employment"] = s["recent_employment"].astype(float)
    s["no_work_income"] = (~s["work_income"].astype(bool)).astype(float)
    nat = p.loc[s["person_id"], "naturalisation_date"].to_numpy("datetime64[D]")
    naturalised = ~np.isnat(nat) & (nat <= start)
    s["foreign"] = ((p.loc[s["person_id"], "nationality"].to_numpy() != "ES") & ~naturalised).astype(float)
    s["employability"] = p.loc[s["person_id"], "employability"].to_numpy(float)
    s["resilience"] = p.loc[s["person_id"], "resilience"].to_numpy(float)
    s["prior_imi"] = s["prior_imi"].astype(float)
    s["profile"] = p.loc[s["person_id"], "profile"].to_numpy()
    s["cycler"] = (s["profile"] == "cycler").astype(float)
    s["stayer"] = (s["profile"] == "stayer").astype(float)
    return s


def true_log_hazard_ratios(hazard: Mapping[str, Any]) -> pd.DataFrame:
    """The true cause-specific log hazard ratios, profiles as contrasts with ``leaver``.

    Returns
    -------
    DataFrame
        ``cause``, ``covariate``, ``true``.
    """
    rows = []
    for cause, coefs in hazard["coefficients"].items():
        for cov, value in coefs.items():
            rows.append((cause, cov, float(value)))
        frailty = hazard["profile_log_frailty"][cause]
        for prof in ("cycler", "stayer"):
            rows.append((cause, prof, float(frailty[prof]) - float(frailty["leaver"])))
    return pd.DataFrame(rows, columns=["cause", "covariate", "true"])


def validate_against_truth(
    truth: str | Path | Mapping[str, Any],
    params: Mapping[str, Any] | None = None,
    covariates: Sequence[str] | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Cause-specific Cox with the true covariates: do the intervals cover the true log hazard ratios?

    The truth is a cause-specific Weibull proportional hazards model with the same covariates and a
    profile frailty, on the clock of months since the spell started; a Cox model per cause (other
    causes censored) with those covariates and profile indicators is correctly specified. All
    synthetic spells start inside the window (spells inherited from IMI start on the first day of
    the scheme, which is where the generator starts their clock), so there is no left truncation
    here; spells running at the extraction date are censored there.

    Parameters
    ----------
    truth : path or mapping
        ``data/truth`` (or the frames, see :func:`truth_spells`).
    params : mapping, optional
        Project parameters (``data.extraction_date``).
    covariates : sequence of str, optional
        Covariates to fit (default: every covariate of the true model plus ``cycler``, ``stayer``).
    alpha : float
        One minus the confidence level.

    Returns
    -------
    DataFrame
        ``cause``, ``covariate``, ``true``, ``coef``, ``se``, ``ci_lower``, ``ci_upper``, ``covered``,
        ``events``; its ``attrs["coverage"]`` is the share of true values inside the intervals.
    """
    t = _read_truth(truth)
    s = truth_spells(t, params)
    truth_table = true_log_hazard_ratios(t["hazard"])
    covariates = list(covariates or [*t["hazard"]["covariates"], "cycler", "stayer"])
    fits = cause_specific_cox(
        s, "duration", "cause", covariates, causes=list(t["hazard"]["coefficients"]), alpha=alpha
    )
    out = truth_table.merge(fits, on=["cause", "covariate"], how="inner")
    out["covered"] = (out["true"] >= out["ci_lower"]) & (out["true"] <= out["ci_upper"])
    out = out[["cause", "covariate", "true", "coef", "se", "ci_lower", "ci_upper", "covered", "events"]]
    out.attrs["coverage"] = float(out["covered"].mean())
    return out


def oracle_still_receiving(
    design: pd.DataFrame, hazard: Mapping[str, Any], landmark: float = 3, horizon: float = 24
) -> np.ndarray:
    """The true probability of still receiving at ``horizon`` given still receiving at ``landmark``.

    Under the competing Weibull hazards with common shape ``a``, the all-cause survival is
    ``S(t) = exp(-t**a * sum_k c_k)`` with ``c_k = b_k exp(x'beta_k + frailty_k[profile])``, so the
    probability is ``S(horizon) / S(landmark)``.

    Parameters
    ----------
    design : DataFrame
        The true covariates (columns of ``hazard["covariates"]``) and ``profile`` per spell
        (:func:`truth_spells`).
    hazard : mapping
        ``data/truth/hazard.json``.
    landmark, horizon : float
        Months since the spell started.

    Returns
    -------
    ndarray
        Probabilities, one per row of ``design``.
    """
    covs = list(hazard["covariates"])
    x = design[covs].to_numpy(float)
    total = np.zeros(len(design))
    for cause, coefs in hazard["coefficients"].items():
        beta = np.array([coefs[c] for c in covs])
        frailty = design["profile"].map(hazard["profile_log_frailty"][cause]).to_numpy(float)
        total += float(hazard["baseline"][cause]) * np.exp(x @ beta + frailty)
    a = float(hazard["shape"])
    return np.exp(-(horizon**a - landmark**a) * total)


# --------------------------------------------------------------------------------------------------
# The predictive model
# --------------------------------------------------------------------------------------------------

#: Features of the predictive model, all known at the landmark.
FEATURES = [
    "age_per_decade",
    "female",
    "foreign",
    "low_education",
    "disability",
    "lone_parent",
    "household_size",
    "prior_imi",
    "prior_spells",
    "years_before",
    "recent_employment",
    "contract_since_start",
    "contracts_before",
    "services_before",
    *[f"svc_{c.lower()}" for c in PROVISIONS],
    "ngo_before",
]


def landmark_dataset(
    spells: pd.DataFrame,
    tables: str | Path | Mapping[str, pd.DataFrame],
    params: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """The landmark dataset: spells still receiving at the landmark month with complete follow-up.

    Spells that reached the landmark (``landmark_month``) and whose horizon (``horizon_month``) falls
    before the extraction date, so the outcome (still receiving at the horizon) is known for
    everyone. Features are measured at the landmark date from records dated before it only; the
    time on the RGC before the spell comes from earlier spells.

    Parameters
    ----------
    spells : DataFrame
        Output of :func:`build_spells` (heads).
    tables : path or mapping
        The processed tables (history features).
    params : mapping, optional
        Project parameters (``chronicity``: ``landmark_month``, ``horizon_month``,
        ``history_months``, ``develop_before``).

    Returns
    -------
    DataFrame
        The spell columns, :data:`FEATURES` (missing inputs left missing: :func:`landmark_stack`
        fills them), ``landmark_date``, ``still`` (1 = still receiving at the horizon), ``time``
        (months since the landmark, administratively censored at the horizon), ``exited`` (exit
        before the horizon), ``split`` (``develop`` / ``validate``).
    """
    cfg = chronicity_params(params)
    lm, hz = float(cfg["landmark_month"]), float(cfg["horizon_month"])
    extraction = pd.Timestamp(cfg["extraction_date"])
    d = spells.loc[(spells["duration"] > lm) & (spells["entry"] <= lm)].copy()
    d["landmark_date"] = d["start_date"] + pd.to_timedelta(lm * DAYS_PER_MONTH, unit="D")
    horizon_date = d["start_date"] + pd.to_timedelta(hz * DAYS_PER_MONTH, unit="D")
    d = d.loc[horizon_date <= extraction].copy()
    hist = history_features(d, tables, at="landmark_date", window_months=float(cfg["history_months"]))
    d = pd.concat([d, hist], axis=1)
    d["years_before"] = d["months_before"] / 12.0
    d["prior_imi"] = d["prior_imi"].astype(float)
    d["household_size"] = pd.to_numeric(d["household_size"], errors="coerce").astype(float)
    d["still"] = (d["duration"] > hz).astype(int)
    d["exited"] = ~d["still"].astype(bool)
    d["time"] = np.minimum(d["duration"], hz) - lm
    d["split"] = np.where(d["start_date"] < pd.Timestamp(cfg["develop_before"]), "develop", "validate")
    for f in FEATURES:
        if f not in d:
            d[f] = 0.0
        d[f] = pd.to_numeric(d[f], errors="coerce").astype(float)
    return d.reset_index(drop=True)


#: The landmark of a row of :func:`landmark_stack` (months on the spell): a predictor of the model.
SPELL_MONTH = "months_on_spell"
#: Suffix of a feature's interaction with the years on the spell since ``landmark_month``.
BY_MONTH = ":by_year_on_spell"


def predictors(params: Mapping[str, Any] | None = None) -> list[str]:
    """The predictors of the chronicity model: :data:`FEATURES` without ``exclude_predictors``, the
    month of the spell (:data:`SPELL_MONTH`) and each feature's interaction with the years on the
    spell since ``landmark_month`` (:data:`BY_MONTH`, :func:`add_interactions`).

    The one definition of what the model sees, used by the validation (report ``03_chronicity``) and
    by the alerts (stage ``alerts``). Protected characteristics (nationality, sex) are excluded and
    audited by group instead. At ``landmark_month`` the interactions are zero, so the main effects
    are the effects at month 3 and the interactions their change per year on the spell.

    Raises
    ------
    ValueError
        If ``exclude_predictors`` names a column that is not a feature.
    """
    excluded = list(chronicity_params(params)["exclude_predictors"] or [])
    unknown = sorted(set(excluded) - set(FEATURES))
    if unknown:
        raise ValueError(f"chronicity.exclude_predictors: {unknown} are not features ({FEATURES})")
    base = [f for f in FEATURES if f not in excluded]
    return [*base, SPELL_MONTH, *[f + BY_MONTH for f in base]]


def factor_of(predictor: str) -> str:
    """The factor a predictor belongs to (an interaction belongs to its feature)."""
    return predictor.split(BY_MONTH)[0]


def add_interactions(frame: pd.DataFrame, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Add every feature's interaction with the years on the spell since ``landmark_month``."""
    years = (frame[SPELL_MONTH].astype(float) - float(chronicity_params(params)["landmark_month"])) / 12.0
    terms = {f + BY_MONTH: frame[f].astype(float) * years for f in FEATURES}
    return frame.assign(**terms)


def _at_landmark(params: Mapping[str, Any] | None, month: float) -> dict[str, Any]:
    """Parameters of the landmark dataset at ``month``: the same prediction window at every landmark."""
    params = dict(params or {})
    cfg = chronicity_params(params)
    window = float(cfg["horizon_month"]) - float(cfg["landmark_month"])
    chron = {**dict(params.get("chronicity") or {}), "landmark_month": month, "horizon_month": month + window}
    return {**params, "chronicity": chron}


def landmark_stack(
    spells: pd.DataFrame,
    tables: str | Path | Mapping[str, pd.DataFrame],
    params: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """The landmark datasets at every month of ``landmarks``, stacked: the model's training rows.

    A spell contributes one row per landmark it reached (with complete follow-up), with the landmark
    as :data:`SPELL_MONTH`. The prediction window is the same at every landmark
    (``horizon_month - landmark_month``: at month 3, still receiving at month 24; at month 11, still
    receiving at month 32), so a risk means the same thing whatever the month a recipient is scored
    at, with features measured then. Missing inputs
    are filled with the medians of the development cohorts (:func:`fill_missing`): nothing of the
    validation cohorts enters the model.

    Returns
    -------
    DataFrame
        The columns of :func:`landmark_dataset` plus :data:`SPELL_MONTH`; ``attrs["medians"]`` holds
        the fill values (a dict).

    Raises
    ------
    ValueError
        If ``landmark_month`` (where the model is validated) is not one of ``landmarks``.
    """
    cfg = chronicity_params(params)
    months = sorted(float(m) for m in cfg["landmarks"])
    if float(cfg["landmark_month"]) not in months:
        raise ValueError(f"chronicity.landmark_month {cfg['landmark_month']} is not in landmarks {months}")
    parts = [
        landmark_dataset(spells, tables, _at_landmark(params, m)).assign(**{SPELL_MONTH: m}) for m in months
    ]
    stack = pd.concat(parts, ignore_index=True)
    medians = stack.loc[stack["split"] == "develop", FEATURES].median()
    stack = add_interactions(fill_missing(stack, medians), params)
    stack.attrs["medians"] = {k: float(v) for k, v in medians.fillna(0.0).items()}
    return stack


def fill_missing(frame: pd.DataFrame, medians: Mapping[str, float] | pd.Series) -> pd.DataFrame:
    """Fill missing inputs of :data:`FEATURES` with the development medians (0 where none).

    Parameters
    ----------
    frame : DataFrame
        Rows to score or fit.
    medians : mapping or Series
        Feature -> development median (``landmark_stack(...).attrs["medians"]``).
    """
    out = frame.copy()
    fill = pd.Series(dict(medians), dtype=float).reindex(FEATURES).fillna(0.0)
    out[FEATURES] = out[FEATURES].astype(float).fillna(fill)
    return out


def fit_predictors(
    develop: pd.DataFrame,
    features: Sequence[str] | None = None,
    params: Mapping[str, Any] | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Fit the candidate models on the development spells.

    Parameters
    ----------
    develop : DataFrame
        Development part of :func:`landmark_dataset`.
    features : sequence of str, optional
        Feature columns (known at the landmark; default :func:`predictors`).
    params : mapping, optional
        Project parameters (``chronicity``: ``models``, ``logistic_C``, ``cox_penalizer``,
        ``boosting``, ``horizon_month``, ``landmark_month``).
    seed : int
        Random state of the gradient boosting.

    Returns
    -------
    dict
        Model name -> fitted object exposing ``predict_still(frame) -> ndarray`` (probability of
        still receiving at the horizon): ``cox`` (lifelines CoxPHFitter on time since the landmark),
        ``logistic`` (scikit-learn L2 logistic regression on standardised features), ``boosting``
        (scikit-learn HistGradientBoostingClassifier).
    """
    cfg = chronicity_params(params)
    features = _varying(develop, list(predictors(params) if features is None else features))
    window = float(cfg["horizon_month"]) - float(cfg["landmark_month"])
    models: dict[str, Any] = {}
    for name in cfg["models"]:
        if name == "cox":
            models[name] = _CoxPredictor(develop, features, window, float(cfg["cox_penalizer"]))
        elif name == "logistic":
            c = cfg["logistic_C"]
            models[name] = _LogisticPredictor(develop, features, c if c == "cv" else float(c), seed)
        elif name == "boosting":
            models[name] = _BoostingPredictor(develop, features, cfg["boosting"], seed)
        else:
            raise ValueError(f"unknown model {name!r} (cox, logistic, boosting)")
    return models


class _CoxPredictor:
    """Cox model of exit on the time since the landmark, predicting survival over the window."""

    def __init__(self, develop: pd.DataFrame, features: list[str], window: float, penalizer: float) -> None:
        from lifelines import CoxPHFitter

        self.features, self.window = features, window
        frame = develop[[*features, "time", "exited"]].astype(float)
        self.model = CoxPHFitter(penalizer=penalizer).fit(frame, duration_col="time", event_col="exited")

    def predict_still(self, frame: pd.DataFrame) -> np.ndarray:
        sf = self.model.predict_survival_function(frame[self.features], times=[self.window])
        return sf.to_numpy(float).ravel()


class _LogisticPredictor:
    def __init__(self, develop: pd.DataFrame, features: list[str], c: float | str, seed: int = 0) -> None:
        from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
        from sklearn.model_selection import StratifiedKFold
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        self.features = features
        if c == "cv":  # penalty chosen by 5-fold cross-validated log-loss inside the development cohorts
            folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
            learner = LogisticRegressionCV(
                Cs=np.logspace(-3, 1, 13),
                l1_ratios=(0.0,),
                cv=folds,
                scoring="neg_log_loss",
                max_iter=2000,
                use_legacy_attributes=False,
            )
        else:
            learner = LogisticRegression(C=float(c), max_iter=2000)
        self.model = make_pipeline(StandardScaler(), learner)
        self.model.fit(develop[features].to_numpy(float), develop["still"].to_numpy(int))
        last = self.model[-1]
        self.C = float(np.ravel(last.C_ if hasattr(last, "C_") else last.C)[0])

    def predict_still(self, frame: pd.DataFrame) -> np.ndarray:
        return self.model.predict_proba(frame[self.features].to_numpy(float))[:, 1]


class _BoostingPredictor:
    def __init__(self, develop: pd.DataFrame, features: list[str], cfg: Mapping[str, Any], seed: int) -> None:
        from sklearn.ensemble import HistGradientBoostingClassifier

        self.features = features
        self.model = HistGradientBoostingClassifier(
            max_iter=int(cfg["max_iter"]),
            learning_rate=float(cfg["learning_rate"]),
            max_depth=int(cfg["max_depth"]),
            min_samples_leaf=int(cfg["min_samples_leaf"]),
            early_stopping=False,
            random_state=seed,
        )
        self.model.fit(develop[features].to_numpy(float), develop["still"].to_numpy(int))

    def predict_still(self, frame: pd.DataFrame) -> np.ndarray:
        return self.model.predict_proba(frame[self.features].to_numpy(float))[:, 1]


class _ValidationMetrics:
    """Every validation metric of one model's predictions, for any frequency weights of the rows.

    What does not depend on the weights is computed once: the sorted pairs of the C-index, the logit
    of the predictions and the inverse probability of censoring weights of the time-dependent AUC
    (scikit-survival's ``CensoringDistributionEstimator`` fitted on the development spells, as in
    its ``cumulative_dynamic_auc``). A bootstrap replicate is then a weighting of the validation
    rows (how often each was drawn), not a copy of them.
    """

    def __init__(
        self, frame: pd.DataFrame, p_still: np.ndarray, train: pd.DataFrame | None, td_times: Sequence[float]
    ) -> None:
        from sksurv.nonparametric import CensoringDistributionEstimator
        from sksurv.util import Surv

        self.y = frame["still"].to_numpy(int)
        self.p = np.asarray(p_still, dtype=float)
        self.lp = _logit(self.p)
        self.time = frame["time"].to_numpy(float)
        self.exited = frame["exited"].to_numpy(bool)
        self.pairs = _ConcordancePairs(self.time, self.exited, -self.p)
        self.td_times = [float(t) for t in td_times] if train is not None else []
        self.ipcw = None
        if self.td_times:
            try:
                censoring = CensoringDistributionEstimator().fit(
                    Surv.from_arrays(train["exited"].to_numpy(bool), train["time"].to_numpy(float))
                )
                self.ipcw = censoring.predict_ipcw(Surv.from_arrays(self.exited, self.time))
            except ValueError:  # validation times beyond the development follow-up: no censoring estimate
                self.ipcw = None
        slope_fit, citl_fit = _recalibration_fits(self.y, self.lp)
        self.start = [*slope_fit.params, *citl_fit.params]  # the replicates' fits start from the estimate

    def __call__(self, weights: np.ndarray | None = None) -> dict[str, float]:
        """The metrics with row ``i`` counted ``weights[i]`` times (all once by default)."""
        from sklearn.metrics import roc_auc_score

        w = np.ones(len(self.y)) if weights is None else np.asarray(weights, dtype=float)
        both = w[self.y == 1].sum() > 0 and w[self.y == 0].sum() > 0
        out = {
            "c_index": self.pairs.c_index(w),
            "auc": float(roc_auc_score(self.y, self.p, sample_weight=w)) if both else np.nan,
            "brier": float(np.average((self.y - self.p) ** 2, weights=w)),
        }
        slope_fit, citl_fit = _recalibration_fits(self.y, self.lp, None if weights is None else w, self.start)
        out["calibration_slope"], out["calibration_in_the_large"] = slope_fit.params[1], citl_fit.params[0]
        for t in self.td_times:
            out[f"td_auc_{t:g}"] = self.td_auc(t, w)
        return {k: float(v) for k, v in out.items()}

    def td_auc(self, t: float, w: np.ndarray) -> float:
        """Cumulative/dynamic AUC at ``t``: exits by ``t`` (weighted by the inverse probability of
        being uncensored) against spells still running after ``t``, as scikit-survival's
        ``cumulative_dynamic_auc`` (the tests assert equality), with frequency weights ``w``."""
        from sklearn.metrics import roc_auc_score

        if self.ipcw is None:
            return np.nan
        case = (self.time <= t) & self.exited
        keep = (case | (self.time > t)) & (w > 0)
        if case[keep].all() or not case[keep].any():
            return np.nan
        weight = np.where(case, self.ipcw, 1.0) * w
        return float(roc_auc_score(case[keep], -self.p[keep], sample_weight=weight[keep]))


def evaluate_predictions(
    frame: pd.DataFrame,
    p_still: np.ndarray,
    train: pd.DataFrame | None = None,
    td_times: Sequence[float] = (9, 20),
    n_boot: int = 200,
    cluster: str | None = "person_key",
    seed: int = 0,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Discrimination and calibration of predicted probabilities of still receiving, with intervals.

    Parameters
    ----------
    frame : DataFrame
        Validation spells (``still``, ``time``, ``exited``; ``cluster``).
    p_still : ndarray
        Predicted probability of still receiving at the horizon.
    train : DataFrame, optional
        Development spells (censoring distribution of the time-dependent AUC).
    td_times : sequence of float
        Months since the landmark of the cumulative/dynamic AUC (scikit-survival).
    n_boot : int
        Bootstrap replicates (0: no intervals).
    cluster : str, optional
        Resample whole clusters (persons with repeated spells) instead of rows.
    seed : int
        Seed of the bootstrap.
    alpha : float
        One minus the confidence level (percentile intervals).

    Returns
    -------
    DataFrame
        Indexed by metric (``c_index``, ``auc``, ``brier``, ``calibration_slope``,
        ``calibration_in_the_large``, ``td_auc_<t>``): ``estimate``, ``ci_lower``, ``ci_upper``.
    """
    metrics = _ValidationMetrics(frame, p_still, train, td_times)
    point = metrics()
    rng = np.random.default_rng(seed)
    groups = pd.factorize(frame[cluster])[0] if cluster and cluster in frame else np.arange(len(frame))
    n_groups = int(groups.max()) + 1 if len(groups) else 0
    still = frame["still"].to_numpy() == 1
    reps = []
    for _ in range(int(n_boot)):
        drawn = np.bincount(rng.integers(0, n_groups, n_groups), minlength=n_groups)
        weights = drawn[groups]  # each row counts as often as its cluster was drawn
        if not (weights[still].any() and weights[~still].any()):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reps.append(metrics(weights))
    table = pd.DataFrame({"estimate": pd.Series(point)})
    if reps:
        boot = pd.DataFrame(reps)
        table["ci_lower"] = boot.quantile(alpha / 2)
        table["ci_upper"] = boot.quantile(1 - alpha / 2)
    else:
        table["ci_lower"] = table["ci_upper"] = np.nan
    return table.rename_axis("metric")


def predictive_validation(
    processed: str | Path | Mapping[str, pd.DataFrame],
    params: Mapping[str, Any] | None = None,
    truth: str | Path | Mapping[str, Any] | None = None,
    n_boot: int | None = None,
    seed: int | None = None,
) -> dict[str, Any]:
    """The temporal validation of the chronicity model, with the oracle when the truth is known.

    Builds the head spells and the stacked landmark rows (:func:`landmark_stack`), fits every
    candidate on the earlier cohorts (``develop_before``) with :func:`predictors`, and evaluates them
    on the later cohorts at ``landmark_month`` (the question: at month 3, still receiving at month
    24?); with ``truth``, adds the oracle (:func:`oracle_still_receiving`) on the same spells. The
    chosen model is then put in its deployed form (:func:`linear_model`: recalibrated on the later
    cohorts), as ``p_deployed``; a refit with the excluded protected predictors measures what
    excluding them costs.

    Parameters
    ----------
    processed : path or mapping
        ``data/processed`` or its tables.
    params : mapping, optional
        Project parameters (``seed``, ``data``, ``synthetic``, ``chronicity``).
    truth : path or mapping, optional
        ``data/truth``; ``None`` on real extracts (no oracle).
    n_boot : int, optional
        Bootstrap replicates (default ``chronicity.bootstrap``).
    seed : int, optional
        Seed (default the project's ``seed``).

    Returns
    -------
    dict
        ``landmark`` (the validation landmark's rows, with a ``p_<model>`` column per model,
        ``p_oracle`` and ``p_deployed``), ``stack`` (every landmark), ``models`` (fitted),
        ``deployed`` (:class:`LinearModel`), ``metrics`` (DataFrame: model, metric, estimate,
        ci_lower, ci_upper), ``summary`` (``c_index``, ``oracle_c_index``, ``calibration_slope`` and
        more of the chosen model), ``sizes`` (spells and events by split at the landmark).
    """
    cfg = chronicity_params(params)
    seed = int((params or {}).get("seed", 0) if seed is None else seed)
    n_boot = int(cfg["bootstrap"] if n_boot is None else n_boot)
    tables = load_tables(processed)
    stack = landmark_stack(build_spells(tables, params), tables, params)
    dev = stack.loc[stack["split"] == "develop"]
    models = fit_predictors(dev, params=params, seed=seed)
    lm = stack.loc[stack[SPELL_MONTH] == float(cfg["landmark_month"])].reset_index(drop=True)
    preds = {name: m.predict_still(lm) for name, m in models.items()}
    if truth is not None:
        preds["oracle"] = _oracle(lm, truth, params)
    for name, p in preds.items():
        lm[f"p_{name}"] = p
    val = lm.loc[lm["split"] == "validate"]
    # the censoring distribution of the time-dependent AUC: development spells on the same clock
    # (months since the validation landmark), not the whole stack, re-read at every replicate
    dev_lm = lm.loc[lm["split"] == "develop"]
    rows = []
    for name in preds:
        v = val.loc[val[f"p_{name}"].notna()]
        table = evaluate_predictions(v, v[f"p_{name}"].to_numpy(), train=dev_lm, n_boot=n_boot, seed=seed)
        rows.append(table.reset_index().assign(model=name))
    metrics = pd.concat(rows, ignore_index=True)[["model", "metric", "estimate", "ci_lower", "ci_upper"]]
    deployed = linear_model(models[_require_logistic(cfg)], stack)
    lm["p_deployed"] = deployed.risk(lm)
    summary = _summary(metrics, cfg["chosen_model"], "oracle" in preds)
    summary |= _with_protected(stack, lm, params, seed)
    sizes = lm.groupby("split").agg(
        spells=("still", "size"), still=("still", "sum"), persons=("person_key", "nunique")
    )
    return {
        "landmark": lm,
        "stack": stack,
        "models": models,
        "deployed": deployed,
        "metrics": metrics,
        "summary": summary,
        "sizes": sizes,
    }


def _oracle(
    lm: pd.DataFrame, truth: str | Path | Mapping[str, Any], params: Mapping[str, Any] | None
) -> np.ndarray:
    """The generating model's probability of still receiving at the horizon (NaN where unmatched)."""
    cfg = chronicity_params(params)
    t = _read_truth(truth)
    design = truth_spells(t, params).set_index("spell_id").reindex(lm["spell_id"])
    ok = design["profile"].notna().to_numpy()
    p = np.full(len(lm), np.nan)
    p[ok] = oracle_still_receiving(
        design.loc[ok], t["hazard"], float(cfg["landmark_month"]), float(cfg["horizon_month"])
    )
    return p


def _summary(metrics: pd.DataFrame, chosen: str, oracle: bool) -> dict[str, Any]:
    """Headline figures of the chosen model (and the oracle) on the later cohorts."""
    est = metrics.set_index(["model", "metric"])["estimate"]
    keys = ("c_index", "auc", "calibration_slope", "calibration_in_the_large", "brier")
    summary: dict[str, Any] = {"chosen_model": chosen, **{k: float(est[(chosen, k)]) for k in keys}}
    if oracle:
        summary["oracle_c_index"] = float(est[("oracle", "c_index")])
        summary["oracle_auc"] = float(est[("oracle", "auc")])
        summary["share_of_achievable_gain"] = (summary["c_index"] - 0.5) / (summary["oracle_c_index"] - 0.5)
    return summary


def _with_protected(
    stack: pd.DataFrame, lm: pd.DataFrame, params: Mapping[str, Any] | None, seed: int
) -> dict[str, float]:
    """C-index and AUC of the chosen model refitted with the excluded protected predictors."""
    cfg = chronicity_params(params)
    if not cfg["exclude_predictors"]:
        return {}
    chron = {**dict((params or {}).get("chronicity") or {}), "models": [cfg["chosen_model"]]}
    every = {**dict(params or {}), "chronicity": {**chron, "exclude_predictors": []}}
    develop = stack.loc[stack["split"] == "develop"]
    model = fit_predictors(develop, predictors(every), every, seed)[cfg["chosen_model"]]
    val = lm.loc[lm["split"] == "validate"]
    point = _ValidationMetrics(val, model.predict_still(val), None, ())()
    return {"c_index_with_protected": point["c_index"], "auc_with_protected": point["auc"]}


# --------------------------------------------------------------------------------------------------
# The deployed model: the chosen logistic model, recalibrated, in explainable form
# --------------------------------------------------------------------------------------------------


#: Row of :meth:`LinearModel.table` holding the reference logit.
REFERENCE_ROW = "(reference)"


@dataclass
class LinearModel:
    """The chronicity model as deployed: ``logit = reference + sum coef * (x - mean)``.

    The chosen (logistic) model fitted on the development cohorts, with its linear predictor
    recalibrated (intercept and slope) on the later cohorts, the closest to the present. Each term of
    the sum is a factor's contribution for a person (the alerts' reasons).

    Attributes
    ----------
    features : list of str
        Predictors (:func:`predictors`).
    coef : Series
        Coefficients per unit of each feature (calibrated logit scale).
    mean : Series
        Reference values (development means).
    reference : float
        Calibrated logit of a person at the reference values.
    C : float
        Inverse L2 penalty chosen.
    recalibration : tuple of float
        Intercept and slope applied to the development model's linear predictor.
    """

    features: list[str]
    coef: pd.Series
    mean: pd.Series
    reference: float
    C: float
    recalibration: tuple[float, float]

    def contributions(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Per-person contributions ``coef_j * (x_j - mean_j)`` to the calibrated logit."""
        x = frame[self.features].to_numpy(float)
        values = (x - self.mean.to_numpy()) * self.coef.to_numpy()
        return pd.DataFrame(values, index=frame.index, columns=self.features)

    def factor_contributions(self, frame: pd.DataFrame) -> pd.DataFrame:
        """:meth:`contributions` summed per factor (a feature with its interaction, :func:`factor_of`)."""
        contrib = self.contributions(frame)
        return contrib.T.groupby([factor_of(f) for f in self.features], sort=False).sum().T

    def logit(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated logit of still receiving at the horizon."""
        return self.reference + self.contributions(frame).sum(axis=1).to_numpy()

    def risk(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of still receiving at the horizon."""
        return 1.0 / (1.0 + np.exp(-self.logit(frame)))

    def table(self) -> pd.DataFrame:
        """The full specification (publishable: weights, no data), indexed by ``feature``:
        ``reference`` (development mean), ``coef`` (calibrated logit per unit) and ``odds_ratio``,
        with the reference logit as the row ``(reference)``."""
        body = pd.DataFrame({"reference": self.mean, "coef": self.coef}, index=self.features)
        top = pd.DataFrame({"reference": [np.nan], "coef": [self.reference]}, index=[REFERENCE_ROW])
        table = pd.concat([top, body]).rename_axis("feature")
        return table.assign(odds_ratio=np.exp(table["coef"]).where(table.index != REFERENCE_ROW))

    @classmethod
    def from_table(cls, table: pd.DataFrame) -> LinearModel:
        """Rebuild the model from its specification (:meth:`table`)."""
        body = table.drop(index=REFERENCE_ROW)
        return cls(
            features=list(body.index),
            coef=body["coef"].astype(float),
            mean=body["reference"].astype(float),
            reference=float(table.loc[REFERENCE_ROW, "coef"]),
            C=np.nan,
            recalibration=(np.nan, np.nan),
        )


def recalibrate(outcome: np.ndarray, logit: np.ndarray) -> tuple[float, float]:
    """Intercept and slope of a logistic regression of the outcome on a linear predictor."""
    import statsmodels.api as sm

    y, x = np.asarray(outcome, float), np.asarray(logit, float)
    if len(np.unique(y)) < 2:
        return 0.0, 1.0
    fit = sm.GLM(y, sm.add_constant(x), family=sm.families.Binomial()).fit()
    a, b = fit.params
    return float(a), float(b)


def linear_model(predictor: Any, stack: pd.DataFrame) -> LinearModel:
    """The deployed form of a fitted logistic predictor: recalibrated on the later cohorts' rows.

    Parameters
    ----------
    predictor : object
        The ``logistic`` model of :func:`fit_predictors` (scaler + logistic regression).
    stack : DataFrame
        :func:`landmark_stack`; its ``validate`` rows (every landmark) recalibrate the model.
    """
    scaler, learner = predictor.model[0], predictor.model[-1]
    intercept = float(np.ravel(learner.intercept_)[0])
    coef, mean = np.ravel(learner.coef_) / scaler.scale_, scaler.mean_
    val = stack.loc[stack["split"] == "validate"]
    raw = intercept + (val[predictor.features].to_numpy(float) - mean) @ coef
    a, b = recalibrate(val["still"].to_numpy(), raw)
    return LinearModel(
        features=list(predictor.features),
        coef=pd.Series(b * coef, index=predictor.features),
        mean=pd.Series(mean, index=predictor.features),
        reference=a + b * intercept,
        C=float(predictor.C),
        recalibration=(a, b),
    )


def _require_logistic(cfg: Mapping[str, Any]) -> str:
    """``chosen_model``, which must be ``logistic``: per-person reasons need an additive model."""
    if cfg["chosen_model"] != "logistic":
        raise ValueError(
            f"chronicity.chosen_model is {cfg['chosen_model']!r}; the deployed model with per-person "
            "reasons needs the logistic model (additive on the logit scale)"
        )
    return "logistic"


def fit_deployed_model(
    stack: pd.DataFrame, params: Mapping[str, Any] | None = None, seed: int = 0, c: float | str | None = None
) -> LinearModel:
    """Fit the chosen model on the development rows of ``stack`` and recalibrate it (:func:`linear_model`).

    The same fit as :func:`predictive_validation` (same predictors, penalty search and seed), so
    the alerts score with the model the report validates.

    Parameters
    ----------
    stack : DataFrame
        :func:`landmark_stack`.
    params : mapping, optional
        Project parameters (``chronicity``).
    seed : int
        Seed of the cross-validation folds.
    c : float or "cv", optional
        Inverse penalty (default ``chronicity.logistic_C``; the bootstrap refits hold it fixed).

    Raises
    ------
    ValueError
        If ``chosen_model`` is not ``logistic`` (per-person reasons need an additive model).
    """
    cfg = chronicity_params(params)
    _require_logistic(cfg)
    chron = {**dict((params or {}).get("chronicity") or {}), "models": ["logistic"]}
    chron["logistic_C"] = cfg["logistic_C"] if c is None else c
    dev = stack.loc[stack["split"] == "develop"]
    predictor = fit_predictors(dev, params={**dict(params or {}), "chronicity": chron}, seed=seed)["logistic"]
    return linear_model(predictor, stack)


def current_recipients(
    spells: pd.DataFrame,
    tables: str | Path | Mapping[str, pd.DataFrame],
    params: Mapping[str, Any] | None,
    medians: Mapping[str, float],
) -> pd.DataFrame:
    """The spells open at the extraction date between the first landmark and the horizon, with the
    model's inputs measured at the extraction date (records dated before it only).

    Parameters
    ----------
    spells : DataFrame
        :func:`build_spells` (heads).
    tables : path or mapping
        Processed tables (history features).
    params : mapping
        Project parameters (``chronicity``).
    medians : mapping
        Fill values of missing inputs (``landmark_stack(...).attrs["medians"]``: development cohorts).

    Returns
    -------
    DataFrame
        The spell columns, :data:`FEATURES`, :data:`SPELL_MONTH` (months on the spell so far) and
        ``scoring_date``.
    """
    cfg = chronicity_params(params)
    first, horizon = min(float(m) for m in cfg["landmarks"]), float(cfg["horizon_month"])
    d = spells.loc[~spells["event"] & (spells["duration"] >= first) & (spells["duration"] < horizon)].copy()
    d["scoring_date"] = pd.Timestamp(cfg["extraction_date"])
    hist = history_features(d, tables, at="scoring_date", window_months=float(cfg["history_months"]))
    d = pd.concat([d, hist], axis=1)
    d["years_before"] = d["months_before"] / 12.0
    d[SPELL_MONTH] = d["duration"]
    for f in FEATURES:
        d[f] = pd.to_numeric(d[f], errors="coerce").astype(float) if f in d else np.nan
    return add_interactions(fill_missing(d, medians), params).reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# Fairness audit
# --------------------------------------------------------------------------------------------------


def _group_bootstrap(
    y: np.ndarray,
    alert: np.ndarray,
    p: np.ndarray,
    member: np.ndarray,
    n_groups: int,
    clusters: np.ndarray,
    n_boot: int,
    seed: int = 0,
    alpha: float = 0.05,
    chunk: int = 25,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Cluster-bootstrap percentile intervals of the audit's rates per group and overall.

    Every rate is a ratio of sums over rows (alerts / persons, alerts among leavers / leavers...), so
    a replicate is a matrix product of the replicate's row weights (how often each row's cluster was
    drawn) with the group indicators: all groups and replicates at once, in chunks of ``chunk``.

    Returns
    -------
    (dict, dict)
        Metric -> lower and upper bounds, one value per group (``member`` codes 0..n_groups-1) and
        a last one for everyone.
    """
    n_clusters = int(clusters.max()) + 1 if len(clusters) else 0
    onehot = np.zeros((len(y), n_groups + 1))
    onehot[member >= 0, member[member >= 0]] = 1.0
    onehot[:, -1] = 1.0
    left, stayed = (y == 0).astype(float), (y == 1).astype(float)
    ratios = {  # metric: (numerator, denominator) per row
        "alert_rate": (alert.astype(float), np.ones(len(y))),
        "false_positive_rate": (alert * left, left),
        "false_negative_rate": (~alert * stayed, stayed),
        "observed": (stayed, np.ones(len(y))),
        "predicted": (p, np.ones(len(y))),
    }
    rng = np.random.default_rng(seed)
    reps: dict[str, list[np.ndarray]] = {m: [] for m in ratios}
    for start in range(0, int(n_boot), chunk):
        size = min(chunk, int(n_boot) - start)
        draws = rng.integers(0, n_clusters, (size, n_clusters))
        counts = np.stack([np.bincount(d, minlength=n_clusters) for d in draws]).astype(float)
        weights = counts[:, clusters]
        for m, (num, den) in ratios.items():
            with np.errstate(invalid="ignore", divide="ignore"):
                reps[m].append(((weights * num) @ onehot) / ((weights * den) @ onehot))
    low = {m: np.nanquantile(np.vstack(r), alpha / 2, axis=0) for m, r in reps.items()}
    high = {m: np.nanquantile(np.vstack(r), 1 - alpha / 2, axis=0) for m, r in reps.items()}
    return low, high


def fairness_audit(
    data: pd.DataFrame,
    outcome: str,
    predicted: str,
    group: str | Sequence[str],
    threshold: float = 0.5,
    n_boot: int = 200,
    seed: int = 0,
    alpha: float = 0.05,
    cluster: str | None = "person_key",
) -> pd.DataFrame:
    """Error rates at the alert threshold and calibration within groups (fairlearn MetricFrame).

    An alert is raised when the predicted probability of the outcome (still receiving at the
    horizon) reaches ``threshold``.

    Parameters
    ----------
    data : DataFrame
        Validation spells.
    outcome : str
        Observed outcome column (1 = still receiving at the horizon).
    predicted : str
        Predicted probability of the outcome.
    group : str or sequence of str
        Sensitive feature(s); several columns give their intersections (sex x nationality).
    threshold : float
        Alert threshold.
    n_boot : int
        Bootstrap replicates of the intervals (0: none), resampling whole clusters
        (:func:`_group_bootstrap`, vectorised: fast enough for every grouping at full scale).
    seed : int
        Seed of the bootstrap.
    alpha : float
        One minus the confidence level.
    cluster : str, optional
        Resample whole clusters (persons with repeated spells) when the column exists, else rows.

    Returns
    -------
    DataFrame
        One row per group (and ``overall``): ``n``, ``share_of_recipients``, ``share_of_alerts``,
        ``alert_rate``, ``false_positive_rate`` (alerts among those who left), ``false_negative_rate``
        (no alert among those still receiving), ``observed`` and ``predicted`` (mean), with
        ``<metric>_lower`` / ``<metric>_upper`` bootstrap intervals for the rates.
    """
    from fairlearn.metrics import MetricFrame, false_negative_rate, false_positive_rate, selection_rate

    def fpr(y, p):
        return false_positive_rate(y, p >= threshold, pos_label=1) if (y == 0).any() else np.nan

    def fnr(y, p):
        return false_negative_rate(y, p >= threshold, pos_label=1) if (y == 1).any() else np.nan

    metrics = {
        "alert_rate": lambda y, p: selection_rate(y, p >= threshold, pos_label=1),
        "false_positive_rate": fpr,
        "false_negative_rate": fnr,
        "observed": lambda y, p: float(np.mean(y)),
        "predicted": lambda y, p: float(np.mean(p)),
    }
    groups = [group] if isinstance(group, str) else list(group)
    sensitive = data[groups].astype("string").fillna("missing")
    y, p = data[outcome].to_numpy(int), data[predicted].to_numpy(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mf = MetricFrame(metrics=metrics, y_true=y, y_pred=p, sensitive_features=sensitive)
    table = mf.by_group.copy()
    table.loc["overall" if len(groups) == 1 else tuple(["overall"] * len(groups)), :] = mf.overall
    if n_boot:
        keys = sensitive[groups[0]] if len(groups) == 1 else pd.MultiIndex.from_frame(sensitive)
        member = table.index[:-1].get_indexer(keys)
        clusters = pd.factorize(data[cluster])[0] if cluster and cluster in data else np.arange(len(data))
        low, high = _group_bootstrap(
            y, p >= threshold, p, member, len(table) - 1, clusters, n_boot, seed, alpha
        )
        for col in metrics:
            table[f"{col}_lower"], table[f"{col}_upper"] = low[col], high[col]
    alerts = data[predicted].to_numpy(float) >= threshold
    counts = sensitive.assign(alert=alerts).groupby(groups, observed=True)["alert"].agg(["size", "sum"])
    counts = counts.reindex(table.index).fillna(0)  # empty intersections count 0
    counts.iloc[-1] = [len(data), int(alerts.sum())]  # the overall row
    table["n"] = counts["size"].astype(int)
    table["share_of_recipients"] = counts["size"] / len(data)
    table["share_of_alerts"] = counts["sum"] / max(int(alerts.sum()), 1)
    first = ["n", "share_of_recipients", "share_of_alerts"]
    return table[first + [c for c in table.columns if c not in first]]


# --------------------------------------------------------------------------------------------------
# Exit, competing exits and re-entry (the report's survival sections)
# --------------------------------------------------------------------------------------------------

#: Critical factors of the exit models, all measured at the start of the spell.
EXIT_COVARIATES = [
    "age_per_decade",
    "female",
    "foreign",
    "low_education",
    "disability",
    "lone_parent",
    "household_size",
    "prior_imi",
    "years_before",
    "recent_employment",
    "services_before",
    "ngo_before",
]


def exit_dataset(
    spells: pd.DataFrame,
    tables: str | Path | Mapping[str, pd.DataFrame],
    params: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Spells with the critical factors of :data:`EXIT_COVARIATES` measured at their start.

    Parameters
    ----------
    spells : DataFrame
        Output of :func:`build_spells`.
    tables : path or mapping
        The processed tables (history of services, contracts and NGO contact).
    params : mapping, optional
        Project parameters (``chronicity.history_months``).

    Returns
    -------
    DataFrame
        ``spells`` with the history features at ``start_date`` and ``years_before`` (years on the
        RGC before the spell); missing numeric covariates filled with the median.
    """
    cfg = chronicity_params(params)
    hist = history_features(spells, tables, at="start_date", window_months=float(cfg["history_months"]))
    out = pd.concat([spells, hist.drop(columns=[c for c in hist if c in spells])], axis=1)
    out["years_before"] = out["months_before"] / 12.0
    out["prior_imi"] = out["prior_imi"].astype(float)
    out["household_size"] = pd.to_numeric(out["household_size"], errors="coerce").astype(float)
    for col in EXIT_COVARIATES:
        out[col] = pd.to_numeric(out.get(col, 0.0), errors="coerce").astype(float)
        out[col] = out[col].fillna(out[col].median()).fillna(0.0)
    return out


def split_episodes(
    data: pd.DataFrame, duration: str, event: str, cut: float, entry: str | None = None
) -> pd.DataFrame:
    """Split each spell at ``cut`` months into (start, stop] episodes (counting-process format).

    Parameters
    ----------
    data : DataFrame
        One row per spell.
    duration, event : str
        Time of exit or censoring and the exit indicator; in the result ``duration`` is the stop
        time of the episode and ``event`` is only true on the episode that ends with the exit.
    cut : float
        Split time (months).
    entry : str, optional
        Delayed-entry time of each spell (default 0).

    Returns
    -------
    DataFrame
        The rows of ``data`` (one or two per spell) with ``_start`` (entry of the episode),
        ``_period`` (``"early"`` before ``cut``, ``"late"`` from it) and ``_row`` (the spell's row).
    """
    d = data.assign(_row=np.arange(len(data)))
    start = d[entry].to_numpy(float) if entry else np.zeros(len(d))
    stop = d[duration].to_numpy(float)
    early = d.loc[start < cut].assign(_start=start[start < cut], _period="early")
    ends_early = early[duration].to_numpy(float) <= cut
    early[duration] = np.minimum(early[duration].to_numpy(float), cut)
    early[event] = np.where(ends_early, early[event].astype(float), 0.0)
    late = d.loc[stop > cut].assign(_start=np.maximum(start[stop > cut], cut), _period="late")
    late[event] = late[event].astype(float)
    return pd.concat([early, late]).sort_values(["_row", "_start"], kind="stable").reset_index(drop=True)


def cox_with_remedy(
    data: pd.DataFrame,
    duration: str,
    event: str,
    covariates: Sequence[str],
    strata: str | None = None,
    cluster: str | None = None,
    cut: float = 12.0,
    alpha: float = 0.05,
) -> dict[str, Any]:
    """Cox model with scaled Schoenfeld checks and, where they fail, a time interaction.

    A covariate whose proportional-hazards test fails (p < ``alpha``) gets one coefficient before
    ``cut`` months and one from then on (a step-function time interaction, fitted on episodes split
    at ``cut`` with delayed entry), so its effect is still reported and the reader sees how it
    changes; the others keep one coefficient. Standard errors are robust to clusters (``cluster``;
    the spell itself when ``None``, since split spells repeat).

    Parameters
    ----------
    data : DataFrame
        One row per spell (no delayed entry).
    duration, event : str
        Time of exit or censoring, and the exit indicator.
    covariates : sequence of str
        Numeric covariates.
    strata : str, optional
        Stratification column (a baseline hazard per stratum, e.g. province).
    cluster : str, optional
        Cluster column of the robust standard errors (household).
    cut : float
        Months at which a failing covariate's effect may change.
    alpha : float
        Significance level of the checks and one minus the confidence level.

    Returns
    -------
    dict
        ``check``: :func:`schoenfeld_check` of the model without remedy; ``remedied``: the
        covariates given a time interaction; ``table``: coefficients indexed by (``covariate``,
        ``period``) with ``period`` ``"all"``, ``"early"`` or ``"late"``.
    """
    covariates = list(covariates)
    check = schoenfeld_check(data, duration, event, covariates, strata=strata, alpha=alpha)
    remedied = [c for c in covariates if c in check.index and bool(check.loc[c, "violated"])]
    keep = [c for c in covariates if c not in remedied]
    cluster = cluster or "_row"
    episodes = split_episodes(data, duration, event, cut) if remedied else data.assign(_start=0.0)
    episodes = episodes.assign(_row=episodes.get("_row", np.arange(len(episodes))))
    timed = []
    for c in remedied:
        for period in ("early", "late"):
            name = f"{c}@{period}"
            episodes[name] = episodes[c].astype(float) * (episodes["_period"] == period)
            timed.append(name)
    table = fit_cox(
        episodes,
        duration,
        event,
        [*keep, *timed],
        entry="_start",
        cluster=cluster,
        strata=strata,
        alpha=alpha,
    )
    parts = table.index.to_series().str.split("@", n=1, expand=True).reindex(columns=[0, 1])
    table.index = pd.MultiIndex.from_arrays(
        [parts[0].to_numpy(), parts[1].fillna("all").to_numpy()], names=["covariate", "period"]
    )
    return {"check": check, "remedied": remedied, "table": table}


def reentry_dataset(spells: pd.DataFrame, extraction_date: Any) -> pd.DataFrame:
    """Ended spells followed from their exit to the person's next RGC spell (a return) or censoring.

    Parameters
    ----------
    spells : DataFrame
        Output of :func:`build_spells` (or :func:`exit_dataset`); one person's spells are ordered by
        ``start_date``.
    extraction_date : date-like
        End of follow-up (censoring of those who have not returned).

    Returns
    -------
    DataFrame
        One row per ended spell with ``time_out`` (months from the exit to the return or the
        extraction date), ``returned`` (bool), ``exit_cause`` and ``spell_years`` (length of the
        spell that ended, years).
    """
    s = spells.sort_values(["person_key", "start_date"], kind="stable")
    following = s.groupby("person_key", sort=False)["start_date"].shift(-1)
    ended = s.loc[s["event"].astype(bool)].copy()
    nxt = following.loc[ended.index]
    ended["returned"] = nxt.notna()
    until = nxt.fillna(pd.Timestamp(extraction_date))
    ended["time_out"] = _months(until - ended["exit_date"]).clip(lower=1.0 / DAYS_PER_MONTH)
    ended["exit_cause"] = ended["cause"].astype(str)
    ended["spell_years"] = ended["duration"] / 12.0
    return ended.reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# Decision, specification and fairness helpers of the predictive model
# --------------------------------------------------------------------------------------------------


def decision_curve(
    observed: Sequence[float], predicted: Sequence[float], thresholds: Sequence[float]
) -> pd.DataFrame:
    """Net benefit of alerting on the model at each threshold, against alerting everyone or no one.

    Net benefit (Vickers & Elkin 2006) at threshold probability ``pt``: true alerts per person minus
    needless alerts per person weighted by ``pt / (1 - pt)``, the harm of a needless review relative
    to the benefit of a timely one implied by choosing ``pt``.

    Parameters
    ----------
    observed : array-like of 0/1
        Observed outcome (1 = still receiving at the horizon).
    predicted : array-like of float
        Predicted probability of the outcome.
    thresholds : sequence of float
        Threshold probabilities in (0, 1).

    Returns
    -------
    DataFrame
        ``threshold``, ``alert_rate``, ``net_benefit`` (model), ``treat_all``, ``treat_none`` (0)
        and ``useful`` (the model beats both defaults).
    """
    y = np.asarray(observed, dtype=float)
    p = np.asarray(predicted, dtype=float)
    prevalence, n = y.mean(), len(y)
    rows = []
    for pt in thresholds:
        alert = p >= pt
        weight = pt / (1.0 - pt)
        tp, fp = float((alert & (y == 1)).sum()), float((alert & (y == 0)).sum())
        rows.append(
            {
                "threshold": float(pt),
                "alert_rate": float(alert.mean()),
                "net_benefit": tp / n - fp / n * weight,
                "treat_all": prevalence - (1.0 - prevalence) * weight,
                "treat_none": 0.0,
            }
        )
    out = pd.DataFrame(rows)
    out["useful"] = out["net_benefit"] > np.maximum(out["treat_all"], out["treat_none"])
    return out


def logistic_specification(predictor: Any, features: Sequence[str] | None = None) -> pd.DataFrame:
    """The full specification of the penalised logistic model (publishable: no data, only weights).

    Parameters
    ----------
    predictor : object
        The ``logistic`` model of :func:`fit_predictors` (a scaler + logistic regression pipeline).
    features : sequence of str, optional
        Feature names (default the predictor's).

    Returns
    -------
    DataFrame
        Indexed by ``feature`` (``intercept`` first): ``mean`` and ``sd`` of the feature in the
        development cohorts, ``coef_standardised`` (log odds of still receiving per standard
        deviation), ``coef`` (per unit) and ``odds_ratio`` (per unit).
    """
    pipe = predictor.model
    scaler, model = pipe[0], pipe[-1]
    names = list(features or predictor.features)
    beta_std = np.ravel(model.coef_)
    beta = beta_std / scaler.scale_
    intercept = float(np.ravel(model.intercept_)[0]) - float(np.sum(beta * scaler.mean_))
    table = pd.DataFrame(
        {"mean": scaler.mean_, "sd": scaler.scale_, "coef_standardised": beta_std, "coef": beta}, index=names
    )
    top = pd.DataFrame({"coef": [intercept]}, index=["intercept"])
    table = pd.concat([top, table])
    table["odds_ratio"] = np.exp(table["coef"])
    return table.rename_axis("feature")


def mask_small_groups(
    table: pd.DataFrame, n: str, min_cell: int, columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """Blank the rates of groups smaller than ``min_cell`` (a rate of a small group discloses persons).

    Parameters
    ----------
    table : DataFrame
        One row per group with a count column ``n``.
    n : str
        The count column.
    min_cell : int
        Minimum publishable group size.
    columns : sequence of str, optional
        Columns to blank (default every numeric column except ``n``).
    """
    out = table.copy()
    columns = list(columns or [c for c in out.select_dtypes("number").columns if c != n])
    out.loc[out[n] < min_cell, columns] = np.nan
    return out


def publishable_curves(curves: pd.DataFrame, min_cell: int, at_risk: str = "at_risk") -> pd.DataFrame:
    """Cut survival curves where fewer than ``min_cell`` spells remain at risk (disclosure control).

    Parameters
    ----------
    curves : DataFrame
        ``curves`` of :func:`kaplan_meier` (``group``, ``time``, ``at_risk``...).
    min_cell : int
        Minimum number at risk shown.
    at_risk : str
        Column of the number at risk.
    """
    return curves.loc[curves[at_risk].fillna(0) >= min_cell].reset_index(drop=True)


#: Latent covariates of the true hazard model: in ``data/truth`` only, never observable.
LATENT = ("employability", "resilience")


def observable_versus_truth(
    truth: str | Path | Mapping[str, Any],
    params: Mapping[str, Any] | None = None,
    latent: Sequence[str] = LATENT,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """The cause-specific Cox with the true covariates beside the one without the latent ones.

    Both are fitted on the same true spells; the second omits the latent traits and the profile
    (what no registry records), so their difference is the bias from omitted heterogeneity alone
    (attenuation of hazard ratios towards 1 and confounding by correlated traits), not linkage or
    measurement error.

    Parameters
    ----------
    truth : path or mapping
        ``data/truth`` (see :func:`truth_spells`).
    params : mapping, optional
        Project parameters.
    latent : sequence of str
        Covariates left out of the observable model.
    alpha : float
        One minus the confidence level.

    Returns
    -------
    DataFrame
        The rows of :func:`validate_against_truth` with ``coef_observable``,
        ``ci_lower_observable``, ``ci_upper_observable`` and ``covered_observable`` (NaN for the
        latent covariates and profiles); ``attrs``: ``coverage`` (true-covariate fit),
        ``coverage_observable`` and ``attenuation`` (least-squares slope of the observable
        estimates on the true values, through the origin: 1 = no attenuation).
    """
    t = _read_truth(truth)
    full = validate_against_truth(t, params, alpha=alpha)
    observable = [c for c in t["hazard"]["covariates"] if c not in set(latent)]
    fits = cause_specific_cox(
        truth_spells(t, params),
        "duration",
        "cause",
        observable,
        causes=list(t["hazard"]["coefficients"]),
        alpha=alpha,
    )
    fits = fits.rename(columns={k: f"{k}_observable" for k in ("coef", "ci_lower", "ci_upper")})
    out = full.merge(
        fits[["cause", "covariate", "coef_observable", "ci_lower_observable", "ci_upper_observable"]],
        on=["cause", "covariate"],
        how="left",
    )
    has = out["coef_observable"].notna()
    covered = (out["true"] >= out["ci_lower_observable"]) & (out["true"] <= out["ci_upper_observable"])
    out["covered_observable"] = pd.Series(np.where(has, covered, None), index=out.index, dtype="boolean")
    sub = out.loc[has & (out["true"] != 0)]
    out.attrs["coverage"] = full.attrs["coverage"]
    out.attrs["coverage_observable"] = float(covered[has].mean())
    out.attrs["attenuation"] = float((sub["coef_observable"] * sub["true"]).sum() / (sub["true"] ** 2).sum())
    return out
