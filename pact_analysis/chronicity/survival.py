"""Survival models on plain DataFrames and column names: Cox, competing risks, AFT, Kaplan-Meier.

The generic API of the chronicity analyses (issue 10): the same functions run on the synthetic
region, on real extracts and on public benchmark data (``lifelines.datasets.load_rossi``). They wrap
lifelines and statsmodels: :func:`fit_cox` (with delayed entry, strata and cluster-robust errors),
:func:`cause_specific_cox`, :func:`cumulative_incidence` (Aalen-Johansen), :func:`fit_aft`,
:func:`schoenfeld_check`, :func:`kaplan_meier`, and the remedy of a failing proportional-hazards
check, :func:`cox_with_remedy` (a step-function time interaction on :func:`split_episodes`).

Durations are in months since the spell started (the clock of the true model) in the report's use;
the functions themselves take any unit.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from pact_analysis.chronicity.robust import cluster_covariance


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
        standard errors from Breslow score residuals (:func:`~.robust.cluster_covariance`, one pass
        over the exit times, delayed entry followed), as statsmodels' robust covariance computes
        them also for an Efron fit: with many exits on one day the Efron fit's robust errors are then
        a little small (3-5% with a hundred exits per distinct time; exit days are far fewer here).
        lifelines' (``cluster_col``) compare every pair of rows, which a region of 500,000 persons
        cannot afford, and ignore delayed entry. Without ties both give the same standard errors.
    strata : str or sequence of str, optional
        Stratification columns (a separate baseline hazard per stratum).
    ties : {"efron", "breslow"}
        Handling of tied exit times. The model is fitted by statsmodels ``PHReg`` (a row is at risk
        strictly after its entry, as in lifelines and the counting-process convention: statsmodels'
        own risk sets would also hold a row at an exit time equal to its entry), which gives
        lifelines' ``CoxPHFitter(entry_col=...)`` estimates (tested) about ten times faster (1.6 s
        against 22 s on 30,000 left-truncated rows); with a ``penalizer``, by lifelines.
    penalizer : float
        L2 penalty (lifelines: Efron ties and no ``cluster``; 0 for the usual partial likelihood).
    alpha : float
        One minus the confidence level of the intervals.
    return_model : bool
        Also return the fitted model (statsmodels ``PHReg``; lifelines ``CoxPHFitter`` with a
        penalizer).

    Returns
    -------
    DataFrame or (DataFrame, model)
        Indexed by covariate: ``coef`` (log hazard ratio), ``se``, ``ci_lower``, ``ci_upper``, ``p``,
        ``hr`` (exp(coef)); ``attrs["events"]``, the exits of the rows fitted.

    Raises
    ------
    RuntimeError
        The fit did not converge (e.g. a covariate category with every exit or none).

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
    if entry is not None:  # a row that leaves when (or before) it enters is at risk at no time
        empty = frame[duration] <= frame[entry]
        if empty.any():
            warnings.warn(
                f"fit_cox: {int(empty.sum())} row(s) with {duration} <= {entry} left out (at risk at no "
                f"time), {int(frame.loc[empty, event].sum())} of them with an exit",
                stacklevel=2,
            )
            frame = frame.loc[~empty]
    z = stats.norm.ppf(1 - alpha / 2)
    if ties not in ("efron", "breslow"):
        raise ValueError(f"ties must be 'efron' or 'breslow', not {ties!r}")
    if penalizer:
        from lifelines import CoxPHFitter

        if ties != "efron" or cluster is not None:
            raise ValueError("a penalizer needs ties='efron' and no cluster (lifelines)")

        model = CoxPHFitter(penalizer=penalizer, alpha=alpha)
        model.fit(frame, duration_col=duration, event_col=event, entry_col=entry, strata=strata or None)
        s = model.summary
        table = pd.DataFrame({"coef": s["coef"], "se": s["se(coef)"], "p": s["p"]})
    else:
        import statsmodels.api as sm

        # at risk strictly after entry: the next float above it is the first time it is at risk
        entries = None if entry is None else np.nextafter(frame[entry].to_numpy(float), np.inf)
        stratum = None if not strata else frame[strata].astype(str).agg("|".join, axis=1).to_numpy()
        model = sm.PHReg(
            frame[duration].to_numpy(float),
            frame[names].to_numpy(float),
            status=frame[event].to_numpy(float),
            entry=entries,
            strata=stratum,
            ties=ties,
        )
        from statsmodels.tools.sm_exceptions import ConvergenceWarning

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            res = model.fit()
        failed = any(issubclass(w.category, ConvergenceWarning) for w in caught)
        for w in caught:  # the others, passed on
            if not issubclass(w.category, ConvergenceWarning):
                warnings.warn(w.message, w.category, stacklevel=2)
        if failed or not (np.isfinite(res.params).all() and np.isfinite(res.bse).all()):
            raise RuntimeError(
                f"fit_cox: the Cox model of {event!r} on {names} did not converge (a covariate may "
                "separate the exits: every exit, or none, in one of its categories)"
            )
        se = res.bse
        if cluster is not None:
            groups = pd.factorize(frame[cluster])[0]
            codes = None if stratum is None else pd.factorize(stratum)[0]
            se = np.sqrt(np.diag(cluster_covariance(model, res.params, groups, entries, codes)))
        p = 2 * stats.norm.sf(np.abs(res.params / se))
        table = pd.DataFrame({"coef": res.params, "se": se, "p": p}, index=names)
    table["ci_lower"] = table["coef"] - z * table["se"]
    table["ci_upper"] = table["coef"] + z * table["se"]
    table["hr"] = np.exp(table["coef"])
    table = table[["coef", "se", "ci_lower", "ci_upper", "p", "hr"]].rename_axis("covariate")
    table.attrs["events"] = int(frame[event].sum())  # the exits of the rows fitted
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
        ``events`` (exits by that cause among the rows fitted) columns.
    """
    values = data[cause].astype("string")
    if causes is None:
        causes = sorted(set(values.dropna()) - {"censored"})
    parts = []
    for c in causes:
        frame = data.assign(_is_cause=(values == c).fillna(False).astype(float))
        table = fit_cox(frame, duration, "_is_cause", covariates, **fit)
        parts.append(table.reset_index().assign(cause=c, events=table.attrs["events"]))
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
    codes, levels = _cause_codes(data[event], censored)
    wanted = levels if cause is None else [cause]
    out = []
    for c in wanted:
        if c not in levels:
            raise ValueError(f"cause {c!r} never occurs in column {event!r} (causes: {levels})")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ajf = aalen_johansen_fitter(seed=seed, alpha=alpha)
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


def aalen_johansen_fitter(**kwargs: Any) -> Any:
    """lifelines' ``AalenJohansenFitter`` with its confidence bounds computed by cumulative sums.

    lifelines (0.30) computes the variance of the cumulative incidence (Collett, *Modelling Survival
    Data in Medical Research*, 3rd ed., p. 411, from Greenwood's estimator) in a Python loop over the
    event times, with running sums; at 100,000 spells that loop was a quarter of the chronicity
    stage. This subclass computes the same running sums with ``numpy.cumsum`` in the same order and
    the same log(-log) bounds; ``tests/chronicity/test_survival.py`` checks it against lifelines'
    loop. Everything else (the estimate, the jitter of tied times) is lifelines'.

    Parameters
    ----------
    **kwargs
        Passed to ``AalenJohansenFitter`` (``seed``, ``alpha``...).

    Returns
    -------
    AalenJohansenFitter
        An unfitted fitter.
    """
    from lifelines import AalenJohansenFitter
    from lifelines.utils import inv_normal_cdf

    class _CumulativeSumBounds(AalenJohansenFitter):
        def _bounds(self, lagged_survival: pd.Series, alpha: float, ci_labels: Any) -> Any:
            df = self.event_table.copy()
            df["Ft"] = self.cumulative_density_
            df["lagS"] = lagged_survival.fillna(1)
            if ci_labels is None:
                ci = 1 - alpha
                ci_labels = [f"{self._label}_upper_{ci:g}", f"{self._label}_lower_{ci:g}"]
            f, lag_s = df["Ft"].to_numpy(float), df["lagS"].to_numpy(float)
            d, n = df["observed"].to_numpy(float), df["at_risk"].to_numpy(float)
            cause = df[self.label_cmprisk].to_numpy(float)
            with np.errstate(divide="ignore", invalid="ignore"):
                a = d / n / (n - d)  # sum of a * (F(t) - F(t_i))**2, expanded as lifelines does
                f2, lag_s2, n2, n3 = _powers((f, 2), (lag_s, 2), (n, 2), (n, 3))
                first = np.cumsum(a * f2) + np.cumsum(-(2 * a * f)) * f + np.cumsum(a) * f2
                second = np.cumsum(lag_s2 * cause * (n - cause) / n3)
                b = lag_s * cause / n2  # sum of b * (F(t) - F(t_i))
                third = np.cumsum(-(b * f)) + np.cumsum(b) * f
                df["variance"] = first + second - 2 * third
                df["F_transformed"] = np.log(-np.log(df["Ft"]))
                df["se_transformed"] = np.sqrt(df["variance"]) / (df["Ft"] * np.absolute(np.log(df["Ft"])))
            z = inv_normal_cdf(1 - alpha / 2)
            df[ci_labels[0]] = np.exp(-np.exp(df["F_transformed"] + z * df["se_transformed"]))
            df[ci_labels[1]] = np.exp(-np.exp(df["F_transformed"] - z * df["se_transformed"]))
            return df["variance"], df[ci_labels]

    return _CumulativeSumBounds(**kwargs)


def _powers(*pairs: tuple[np.ndarray, int]) -> list[np.ndarray]:
    """Each array raised to its power by the C library's ``pow``, value by value, as lifelines' loop
    does on scalars (numpy's array power can differ in the last bit: squares, and cubes past 2**53)."""
    return [np.array([x**k for x in values.tolist()], dtype=float) for values, k in pairs]


def fit_aft(
    data: pd.DataFrame,
    duration: str,
    event: str,
    covariates: Sequence[str],
    distribution: str = "weibull",
    alpha: float = 0.05,
    entry: str | None = None,
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
    entry : str, optional
        Delayed-entry (left truncation) times: the likelihood conditions on surviving to them.

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
    cols = [duration, event, *([entry] if entry else [])]
    frame = pd.concat([x, data[list(dict.fromkeys(cols))]], axis=1).dropna()
    frame[event] = frame[event].astype(float)
    model = fitters[distribution](alpha=alpha).fit(
        frame, duration_col=duration, event_col=event, entry_col=entry
    )
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


def weibull_cluster_covariance(
    model: Any,
    data: pd.DataFrame,
    duration: str,
    event: str,
    clusters: pd.Series | np.ndarray,
    entry: str | None = None,
) -> pd.DataFrame:
    """Cluster-robust (sandwich) covariance of a lifelines Weibull AFT fit, rows grouped by cluster.

    lifelines' ``robust=True`` treats every row as independent; one person's several spells are not.
    The score of each row is written out (``log lambda = x . beta``, ``rho = exp(gamma)``, delayed
    entry ``s``; ``z = (t / lambda)^rho``):
    ``d l / d beta = x rho (z_t - z_s - d)`` and
    ``d l / d gamma = d (1 + rho log(t / lambda)) - rho z_t log(t / lambda) + rho z_s log(s / lambda)``;
    the scores are summed within clusters and the covariance is ``V B V`` with ``V`` the model's
    inverse information and ``B`` the sum of the clusters' outer products, times ``G / (G - 1)``.

    Parameters
    ----------
    model : lifelines.WeibullAFTFitter
        Fitted on ``data`` with numeric covariates (the names of ``params_["lambda_"]``) and an
        intercept-only ``rho_``.
    data : DataFrame
        The rows fitted (rows with a missing covariate, duration, event or entry are dropped, as in
        :func:`fit_aft`).
    duration, event : str
        Columns of the time and the exit indicator.
    clusters : Series or ndarray
        Cluster of each row of ``data`` (e.g. the person): a Series is aligned on ``data``'s index, an
        array taken in row order; a fitted row without a cluster is an error. Covariates must be
        numeric (as :func:`~pact_analysis.spending.future.fit_remaining` fits them).
    entry : str, optional
        Delayed-entry times.

    Returns
    -------
    DataFrame
        Indexed and labelled like ``model.variance_matrix_``.
    """
    params = model.params_
    lam = params.xs("lambda_")
    names = [c for c in lam.index if c != "Intercept"]
    cols = list(dict.fromkeys([*names, duration, event, *([entry] if entry else [])]))
    keep = data[cols].notna().all(axis=1).to_numpy()
    rows = data.loc[keep]
    x = rows[names].to_numpy(float)
    x = np.column_stack([x, np.ones(len(rows))]) if "Intercept" in lam.index else x
    order = [*names, "Intercept"] if "Intercept" in lam.index else names
    beta = lam.reindex(order).to_numpy(float)
    rho = float(np.exp(params.xs("rho_")["Intercept"]))
    log_lam = x @ beta
    t = rows[duration].to_numpy(float)
    d = rows[event].to_numpy(float)
    s = rows[entry].to_numpy(float) if entry else np.zeros(len(rows))
    log_t = np.log(t) - log_lam
    z_t = np.exp(rho * log_t)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_s = np.where(s > 0, np.log(np.where(s > 0, s, 1.0)) - log_lam, 0.0)
    z_s = np.where(s > 0, np.exp(rho * log_s), 0.0)
    score_beta = x * (rho * (z_t - z_s - d))[:, None]
    score_gamma = d * (1 + rho * log_t) - rho * z_t * log_t + rho * z_s * log_s
    scores = pd.DataFrame(
        np.column_stack([score_beta, score_gamma]),
        columns=pd.MultiIndex.from_tuples([*(("lambda_", c) for c in order), ("rho_", "Intercept")]),
    )
    if isinstance(clusters, pd.Series):
        clusters = clusters.reindex(data.index)
    groups = pd.Series(np.asarray(clusters)[keep])
    if groups.isna().any():
        raise ValueError(
            f"weibull_cluster_covariance: {int(groups.isna().sum())} fitted rows have no cluster"
        )
    groups = groups.astype(str).to_numpy()
    summed = scores.groupby(groups, sort=False).sum()
    summed = summed.reindex(columns=model.variance_matrix_.columns).to_numpy()
    g = len(summed)
    v = np.asarray(model.variance_matrix_, float)
    cov = v @ (summed.T @ summed) @ v * (g / (g - 1) if g > 1 else 1.0)
    return pd.DataFrame(cov, index=model.variance_matrix_.index, columns=model.variance_matrix_.columns)


def schoenfeld_check(
    data: pd.DataFrame,
    duration: str,
    event: str,
    covariates: Sequence[str],
    strata: str | Sequence[str] | None = None,
    time_transform: str = "rank",
    alpha: float = 0.05,
    entry: str | None = None,
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
    entry : str, optional
        Delayed-entry (left truncation) times of the model tested. lifelines has no Schoenfeld
        residuals under delayed entry, so the check runs on the rows observed from their origin
        (entry 0): spells that began inside the window, a sample not selected on the outcome, with the
        same hazards (less power, no bias).

    Returns
    -------
    DataFrame
        Indexed by covariate: ``test_statistic``, ``p``, ``violated`` (p < alpha).
    """
    from lifelines import CoxPHFitter
    from lifelines.statistics import proportional_hazard_test

    strata = [strata] if isinstance(strata, str) else list(strata or [])
    x, _ = _design(data, covariates)
    if entry is not None:
        keep = data[entry].astype(float).fillna(0.0) <= 0
        data, x = data.loc[keep], x.loc[keep]
        # a covariate (nearly) constant among them is not checked (e.g. prior_imi: inherited spells
        # are the truncated ones): fewer than 10 rows away from its most common value
        rare = [c for c in x if len(x) - int(x[c].value_counts().iloc[0]) < 10]
        if rare:
            warnings.warn(f"proportional hazards not checked for {rare}: (nearly) constant", stacklevel=2)
        x = x.drop(columns=rare)
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
    entry: str | None = None,
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
        One row per spell.
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
    entry : str, optional
        Delayed-entry (left truncation) time of each spell; the split episodes keep it.

    Returns
    -------
    dict
        ``check``: :func:`schoenfeld_check` of the model without remedy; ``remedied``: the
        covariates given a time interaction; ``table``: coefficients indexed by (``covariate``,
        ``period``) with ``period`` ``"all"``, ``"early"`` or ``"late"``.
    """
    covariates = list(covariates)
    check = schoenfeld_check(data, duration, event, covariates, strata=strata, alpha=alpha, entry=entry)
    remedied = [c for c in covariates if c in check.index and bool(check.loc[c, "violated"])]
    keep = [c for c in covariates if c not in remedied]
    cluster = cluster or "_row"
    start = data[entry].astype(float) if entry else 0.0
    episodes = split_episodes(data, duration, event, cut, entry) if remedied else data.assign(_start=start)
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
