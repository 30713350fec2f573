"""Covariates of profile membership: a multinomial logistic model estimated by bias-adjusted three steps.

Which persons are in which profile, by sex, age band and area, as the latent class literature does it:
the covariates *predict* class membership through StepMix's structural model (``structural="covariate"``,
a multinomial logistic regression of the latent class on the covariates), rather than being described
per profile as if they were outcomes. Estimation is the bias-adjusted three-step method:

1. the **measurement model** is the stage's chosen latent class model (its best start, handed to StepMix
   by :func:`~.em.to_stepmix`), kept fixed: it is not refitted;
2. every person is assigned to their most likely profile (modal assignment);
3. the multinomial logistic model is fitted to the assignments, corrected for their classification
   error: by **maximum likelihood** with the classification-error probabilities ``P(assigned s | class
   c)`` as fixed emission probabilities (the ML correction; Vermunt 2010; Bakk, Tekle & Vermunt 2013),
   or by weighting with the inverse of the classification-error matrix (**BCH**; Bolck, Croon &
   Hagenaars 2004; Vermunt 2010). Steps 2 and 3 are StepMix's own (``StepMix.fit`` with ``n_steps=3``
   runs exactly these after refitting the measurement model, which is what is skipped here).

StepMix (3.0.0) gives no standard errors for its structural model except by bootstrapping the whole
estimator (:meth:`StepMix.bootstrap`, which refits the measurement model from one random start per
replicate). Standard errors here are **sandwich (robust) standard errors of the step-3 estimating
equations, clustered by household** (members of one RGC household share its indicators, so their
assignments are not independent), with the measurement model and the classification-error matrix
treated as known; this ignores the step-1 uncertainty, which Bakk, Oberski & Vermunt (2014) show
understates standard errors a little when classes are not well separated. The tests compare them
with StepMix's bootstrap of the whole three-step estimator on simulated data.

Covariates are never indicators of the model nor functions of one (:func:`check_covariates`): a
covariate that is an indicator, or that determines one, would be explained by the profiles rather than
explain them.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import log_softmax, logsumexp
from threadpoolctl import threadpool_limits

from pact_analysis.profiles.features import (
    CATEGORICAL,
    CONTINUOUS,
    DESCRIPTIVE,
    DISTAL_COVARIATES,
    category_order,
)

log = logging.getLogger(__name__)

#: Covariates of profile membership: the person's sex, age band and the area (urban or rural) of their
#: social services centre (the covariates of :func:`~.features.distal_variables`).
COVARIATES: tuple[str, ...] = tuple(DISTAL_COVARIATES)

#: Warehouse columns that indicators are computed from (a covariate must not be one of them either).
INDICATOR_SOURCES: dict[str, str] = {
    "nationality_group": "foreign",
    "education": "education_disability",
    "disability": "education_disability",
    "disability_pct": "education_disability",
    "household_type": "household_type",
}

#: Person variables that may be covariates although :data:`~.features.DESCRIPTIVE` lists them: the
#: person's own demographics, which no indicator is computed from.
DEMOGRAPHICS = ("sex", "age_band")

#: Levels of a covariate that are not estimated (persons with them are left out of the model).
UNKNOWN = ("unknown", "nan")

#: Default correction of the stage: maximum likelihood (Vermunt 2010; Bakk, Tekle & Vermunt 2013).
CORRECTION = "ML"

#: Coefficients larger than this (an odds ratio beyond e^10, about 22,000) are at the boundary: the
#: profile holds (almost) no one of that level (separation), so the maximum likelihood estimate does
#: not exist and neither does its standard error. They are reported as not estimable.
BOUNDARY = 10.0

#: Persons at most in the three-step model (above it, a random sample of whole households is taken).
MAX_PERSONS = 60_000


def forbidden_covariates() -> dict[str, str]:
    """Variables that must never be covariates, each with the indicator it is or feeds.

    Returns
    -------
    dict of str to str
        The indicators (:data:`~.features.CATEGORICAL`, :data:`~.features.CONTINUOUS`), the descriptive
        items other than the person's own demographics (they are parts of joined indicators, or computed
        from the same records: RGC role, exits, contracts, years known...) and the warehouse columns
        indicators are computed from (:data:`INDICATOR_SOURCES`).
    """
    out = {name: name for name in (*CATEGORICAL, *CONTINUOUS)}
    out |= {
        name: "descriptive item of the indicators' records"
        for name in DESCRIPTIVE
        if name not in DEMOGRAPHICS
    }
    return out | INDICATOR_SOURCES


def check_covariates(names: Sequence[str]) -> None:
    """Raise if a covariate is an indicator or a function of one (by name; see :func:`check_not_functions`).

    Parameters
    ----------
    names : sequence of str
        Covariate names.

    Raises
    ------
    ValueError
        A name is in :func:`forbidden_covariates`.
    """
    forbidden = forbidden_covariates()
    bad = {n: forbidden[n] for n in names if n in forbidden}
    if bad:
        raise ValueError(f"covariates that are indicators or functions of one: {bad}")


def check_not_functions(covariates: pd.DataFrame, indicators: pd.DataFrame) -> None:
    """Raise if, in the data, a covariate is a function of an indicator or an indicator of a covariate.

    A covariate is a function of an indicator when every category of the indicator goes with one level
    of the covariate (and the covariate has two levels or more); an indicator is a function of a
    covariate the other way round (``foreign`` of the nationality group).

    Parameters
    ----------
    covariates, indicators : DataFrame
        Categorical columns, same rows.

    Raises
    ------
    ValueError
        One of them determines the other.
    """
    if not covariates.index.equals(indicators.index):
        raise ValueError("check_not_functions: covariates and indicators must have the same rows")
    # categories (unknown one of them) as codes 0..levels-1, once per column
    cov_codes, ind_codes = (
        {n: pd.factorize(f[n].astype(str))[0] for n in f} for f in (covariates, indicators)
    )
    for c in covariates.columns:
        cov = cov_codes[c]
        if cov.max(initial=0) < 1:
            continue
        for i in indicators.columns:
            ind = ind_codes[i]
            if ind.max(initial=0) < 1:
                continue
            seen = np.zeros((ind.max() + 1, cov.max() + 1), dtype=bool)  # the crosstab's non-empty cells
            seen[ind, cov] = True
            if (seen.sum(axis=1) == 1).all() or (seen.sum(axis=0) == 1).all():
                raise ValueError(f"covariate {c!r} and indicator {i!r} determine one another")


@dataclass(frozen=True)
class Design:
    """Dummy-coded covariates of the persons kept, and what each column means.

    Attributes
    ----------
    Z : ndarray (n_kept, n_columns)
        One 0/1 column per covariate level other than its reference (no intercept: StepMix adds it).
    columns : list of (str, str)
        ``(covariate, level)`` of each column.
    reference : dict of str to str
        Reference level of each covariate (its most frequent level).
    kept : ndarray of bool
        Persons kept (no unknown covariate, no level with fewer than ``min_count`` persons).
    """

    Z: np.ndarray
    columns: list[tuple[str, str]]
    reference: dict[str, str]
    kept: np.ndarray


def design(frame: pd.DataFrame, min_count: int = 10) -> Design:
    """Dummy-code categorical covariates against their most frequent level.

    Persons whose level of some covariate is unknown (:data:`UNKNOWN`) or held by fewer than ``min_count``
    persons are left out (a coefficient cannot be estimated, nor published, for a handful of persons).

    Parameters
    ----------
    frame : DataFrame
        One string column per covariate.
    min_count : int
        Persons a level needs to be estimated.

    Returns
    -------
    Design
    """
    frame = frame.astype(str)
    kept = np.ones(len(frame), dtype=bool)
    for c in frame.columns:
        counts = frame[c].value_counts()
        rare = counts.index[(counts < min_count) | counts.index.isin(UNKNOWN)]
        kept &= ~frame[c].isin(rare).to_numpy()
    frame = frame[kept]
    columns, blocks, reference = [], [], {}
    for c in frame.columns:
        counts = frame[c].value_counts()
        reference[c] = str(counts.index[0]) if len(counts) else ""
        for level in category_order(frame[c]):
            if level != reference[c]:
                columns.append((c, level))
                blocks.append((frame[c] == level).to_numpy(float))
    Z = np.column_stack(blocks) if blocks else np.zeros((len(frame), 0))
    return Design(Z, columns, reference, kept)


def _structural_model(measurement: Any, order: np.ndarray | None, correction: str, seed: int) -> Any:
    """A StepMix estimator with the stage's measurement parameters (classes in ``order``) and a covariate
    structural model, for three steps with ``correction``."""
    from stepmix.stepmix import StepMix

    k = measurement.n_components
    model = StepMix(
        n_components=k,
        n_steps=3,
        measurement=measurement.measurement,
        structural="covariate",
        assignment="modal",
        correction=correction,
        # one Newton-Raphson step per M-step (StepMix's default) for ML; BCH has a single M-step
        structural_params={
            "method": "newton-raphson",
            "max_iter": 1 if correction == "ML" else 100,
            "tol": 1e-6,
        },
        abs_tol=1e-10,
        max_iter=5000,
        random_state=seed,
        progress_bar=0,
        verbose=0,
    )
    model._check_initial_parameters(None)  # StepMix's own checks, which also set its input flags
    model.set_parameters(measurement.get_parameters())  # step 1: the stage's measurement model, fixed
    if order is not None:
        model.permute_classes(np.asarray(order))
    return model


def three_step(
    measurement: Any,
    X: np.ndarray,
    Z: np.ndarray,
    order: np.ndarray | None = None,
    correction: str = CORRECTION,
    seed: int = 0,
) -> tuple[Any, np.ndarray]:
    """Steps 2 and 3 of StepMix's bias-adjusted three-step estimation, the measurement model fixed.

    Parameters
    ----------
    measurement : stepmix.StepMix
        The fitted measurement model (:func:`~.em.to_stepmix` of the chosen start).
    X : ndarray
        Its indicators (integer codes), one row per person.
    Z : ndarray
        Covariates (:class:`Design` ``Z``), same rows.
    order : ndarray, optional
        Class order (the profiles' order: :func:`~.latent.size_order`); default the model's.
    correction : {"ML", "BCH"}
        Bias correction of step 3.
    seed : int
        Random state of StepMix's (near-zero) starting coefficients.

    Returns
    -------
    model : stepmix.StepMix
        With the structural model fitted (``model._sm.parameters["beta"]``, ``(k, 1 + n_columns)``,
        intercept first; only differences between classes are identified). ``converged_`` says
        whether the ML correction's EM converged.
    posterior : ndarray (n, k)
        Step 2's posterior class probabilities from the indicators (classes in ``order``).
    """
    if correction not in ("ML", "BCH"):
        raise ValueError(f"correction must be 'ML' or 'BCH', not {correction!r}")
    with threadpool_limits(1):  # small matrices: threaded BLAS only contends with the other jobs
        return _three_step(measurement, X, Z, order, correction, seed)


def _three_step(
    measurement: Any, X: np.ndarray, Z: np.ndarray, order: np.ndarray | None, correction: str, seed: int
) -> tuple[Any, np.ndarray]:
    """:func:`three_step` (its arguments checked)."""
    from stepmix import utils
    from stepmix.corrections import compute_bch_matrix, compute_log_emission_pm

    model = _structural_model(measurement, order, correction, seed)
    X = np.asarray(X, dtype=float)
    posterior = model.predict_proba_class(X)  # step 2: as StepMix.fit does after step 1
    model.log_resp_ = np.log(np.clip(posterior, 1e-15, 1 - 1e-15))  # what step 1 leaves (shapes only)
    if correction == "ML":
        log_emission_pm = compute_log_emission_pm(posterior, model.assignment)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.em(X, Z, freeze_measurement=True, log_emission_pm=log_emission_pm)
        for w in caught:  # not silenced: logged, and ``converged_`` is reported
            log.warning("profiles: covariate model (ML three-step): %s", w.message)
    else:
        _, D_inv = compute_bch_matrix(posterior, model.assignment)
        resp = utils.modal(posterior, clip=True) @ D_inv
        model.m_step_structural(resp, Z)
        model.converged_ = bool(_bch_gradient(model, posterior, Z) < 1e-6 * len(Z))
    return model, posterior


def _bch_gradient(model: Any, posterior: np.ndarray, Z: np.ndarray) -> float:
    """Largest absolute component of the BCH step-3 gradient at the model's coefficients (those of
    :func:`_bch_inside`); infinite when none is inside or some is not finite."""
    theta = _free(model._sm.parameters["beta"])
    inside = _bch_inside(theta, posterior.shape[1])
    if not np.isfinite(theta).all() or not inside.any():
        return float("inf")  # diverged
    gradient = _scores(theta, "BCH", posterior, Z, posterior.shape[1]).sum(axis=0)
    return float(np.abs(gradient[inside]).max())


def _bch_inside(theta: np.ndarray, k: int) -> np.ndarray:
    """Coefficients of the BCH step 3 that are at a stationary point: those of the columns (intercept,
    covariate levels) where no class's coefficient is at the boundary. The BCH pseudo-likelihood has
    no maximum for a level whose corrected mass in some profile is negative or zero: that profile's
    coefficient diverges, and the level's coefficients in the other profiles cannot reach a zero
    gradient (their weights add up to more than one)."""
    B = theta.reshape(k - 1, -1)
    column_ok = (np.abs(B) <= BOUNDARY).all(axis=0) & np.isfinite(B).all(axis=0)
    return np.broadcast_to(column_ok, B.shape).ravel()


def _free(beta: np.ndarray) -> np.ndarray:
    """Coefficients of classes 2..k minus those of class 1 (the reference), flattened class by class."""
    return (beta[1:] - beta[:1]).ravel()


def _log_p(theta: np.ndarray, Zf: np.ndarray, k: int) -> np.ndarray:
    """Log class probabilities ``(n, k)`` of the multinomial logit with class 1 as reference."""
    B = np.vstack([np.zeros(Zf.shape[1]), theta.reshape(k - 1, -1)])
    return log_softmax(Zf @ B.T, axis=1)


def _scores(theta: np.ndarray, correction: str, posterior: np.ndarray, Z: np.ndarray, k: int) -> np.ndarray:
    """Each person's score (gradient of their step-3 log-likelihood or estimating equation), ``(n, p)``.

    ML: ``(q_ic - p_ic) z_i`` with ``q`` the posterior given the assignment and the covariates; BCH:
    ``(w_ic - p_ic) z_i`` with ``w`` the BCH weights. Classes 2..k, intercept first.
    """
    from stepmix import utils
    from stepmix.corrections import compute_bch_matrix, compute_log_emission_pm

    Zf = np.column_stack([np.ones(len(Z)), Z])
    log_p = _log_p(theta, Zf, k)
    if correction == "ML":
        joint = compute_log_emission_pm(posterior, "modal") + log_p
        target = np.exp(joint - logsumexp(joint, axis=1, keepdims=True))
    else:
        _, D_inv = compute_bch_matrix(posterior, "modal")
        target = utils.modal(posterior, clip=True) @ D_inv
    resid = target - np.exp(log_p)
    return (resid[:, 1:, None] * Zf[:, None, :]).reshape(len(Z), -1)


def _loglik(theta: np.ndarray, correction: str, posterior: np.ndarray, Z: np.ndarray, k: int) -> float:
    """Step-3 log-likelihood (ML) or BCH-weighted pseudo-log-likelihood."""
    from stepmix import utils
    from stepmix.corrections import compute_bch_matrix, compute_log_emission_pm

    log_p = _log_p(theta, np.column_stack([np.ones(len(Z)), Z]), k)
    if correction == "ML":
        return float(logsumexp(compute_log_emission_pm(posterior, "modal") + log_p, axis=1).sum())
    _, D_inv = compute_bch_matrix(posterior, "modal")
    return float(((utils.modal(posterior, clip=True) @ D_inv) * log_p).sum())


def sandwich(
    theta: np.ndarray,
    correction: str,
    posterior: np.ndarray,
    Z: np.ndarray,
    groups: np.ndarray | None = None,
    step: float = 1e-5,
) -> tuple[np.ndarray, np.ndarray]:
    """Robust (sandwich) and model-based covariance of the step-3 coefficients.

    ``A⁻¹ B A⁻¹`` with ``A`` minus the Hessian of the step-3 log-likelihood (ML) or estimating equations
    (BCH), by central differences of the analytic scores, and ``B`` the outer product of the scores
    summed within ``groups`` (households), times ``G / (G - 1)``. The measurement model and the
    classification-error matrix are treated as known.

    Parameters
    ----------
    theta : ndarray
        Coefficients of classes 2..k against class 1 (intercept first for each class).
    correction : {"ML", "BCH"}
    posterior : ndarray (n, k)
        Step 2's posterior class probabilities.
    Z : ndarray (n, m)
        Covariates (no intercept column).
    groups : ndarray, optional
        Cluster of each person (default: each person their own).
    step : float
        Step of the central differences.

    Returns
    -------
    robust, model_based : ndarray (p, p)
    """
    k = posterior.shape[1]
    p = len(theta)
    H = np.empty((p, p))
    for j in range(p):
        e = np.zeros(p)
        e[j] = step
        up = _scores(theta + e, correction, posterior, Z, k).sum(axis=0)
        down = _scores(theta - e, correction, posterior, Z, k).sum(axis=0)
        H[:, j] = (up - down) / (2 * step)
    A_inv = np.linalg.pinv(-(H + H.T) / 2)
    U = _scores(theta, correction, posterior, Z, k)
    if groups is not None:
        codes = pd.factorize(np.asarray(groups))[0]
        U = pd.DataFrame(U).groupby(codes).sum().to_numpy()
    G = len(U)
    B = U.T @ U * (G / max(G - 1, 1))
    return A_inv @ B @ A_inv, A_inv


def effects_table(
    model: Any,
    posterior: np.ndarray,
    built: Design,
    groups: np.ndarray | None,
    correction: str,
    level: float = 0.95,
) -> pd.DataFrame:
    """The tidy table of a fitted three-step model: one row per profile (2..k) and covariate level.

    Parameters
    ----------
    model : stepmix.StepMix
        :func:`three_step`'s model.
    posterior : ndarray (n, k)
        :func:`three_step`'s posterior (persons of ``built``).
    built : Design
    groups : ndarray, optional
        Household of each person of ``built`` (clusters of the standard errors).
    correction : str
    level : float
        Confidence level of the intervals.

    Returns
    -------
    DataFrame
        ``correction, profile, reference_profile, covariate, level, reference_level, coef`` (log odds
        ratio of being in ``profile`` rather than the reference profile, this level against the
        reference level, the other covariates fixed), ``se`` (robust, clustered), ``ci_lower,
        ci_upper, p_value`` (Wald), ``se_model`` (model-based), ``estimable`` (False at the boundary,
        :data:`BOUNDARY`, and for BCH in every profile for a level with a profile at the boundary,
        :func:`_bch_inside`: the estimates are then missing) and ``boundary_sign`` (-1: the profile holds
        (almost) no one of that level; +1: (almost) only them; 0 when estimable).
    """
    k = posterior.shape[1]
    theta = _free(model._sm.parameters["beta"])
    inside = np.abs(theta) <= BOUNDARY
    if correction == "BCH":
        inside &= _bch_inside(theta, k)
    p = len(theta)
    robust = model_based = np.full((p, p), np.nan)
    if np.isfinite(theta).all():
        with threadpool_limits(1), np.errstate(all="ignore"):
            robust, model_based = sandwich(theta, correction, posterior, built.Z, groups)
    D = 1 + len(built.columns)
    z = stats.norm.ppf(0.5 + level / 2)
    rows = []
    for c in range(1, k):
        for j, (covariate, value) in enumerate(built.columns):
            at = (c - 1) * D + 1 + j
            coef, se = float(theta[at]), float(np.sqrt(max(robust[at, at], 0.0)))
            estimable = bool(inside[at]) and np.isfinite(se) and se > 0
            if not estimable:
                coef = se = np.nan
            rows.append(
                {
                    "correction": correction,
                    "profile": c + 1,
                    "reference_profile": 1,
                    "covariate": covariate,
                    "level": value,
                    "reference_level": built.reference[covariate],
                    "coef": coef,
                    "se": se,
                    "ci_lower": coef - z * se,
                    "ci_upper": coef + z * se,
                    "p_value": float(2 * stats.norm.sf(abs(coef) / se)) if estimable else np.nan,
                    "se_model": float(np.sqrt(max(model_based[at, at], 0.0))) if estimable else np.nan,
                    "estimable": estimable,
                    "boundary_sign": int(np.sign(theta[at])) if abs(theta[at]) > BOUNDARY else 0,
                }
            )
    return pd.DataFrame(rows)


def covariate_effects(
    measurement: Any,
    X: np.ndarray,
    covariates: pd.DataFrame,
    order: np.ndarray | None = None,
    groups: Sequence[Any] | np.ndarray | None = None,
    corrections: Sequence[str] = ("ML", "BCH"),
    seed: int = 0,
    min_count: int = 10,
    max_persons: int = MAX_PERSONS,
    indicators: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Covariates of profile membership by bias-adjusted three-step estimation (see the module docstring).

    Parameters
    ----------
    measurement : stepmix.StepMix
        The stage's fitted measurement model (kept fixed).
    X : ndarray
        Indicators (integer codes) of everyone classified.
    covariates : DataFrame
        Categorical covariates, same rows (:data:`COVARIATES`; checked by :func:`check_covariates`).
    order : ndarray, optional
        Profile order of the model's classes (:func:`~.latent.size_order`): profile 1, the largest, is
        the reference.
    groups : sequence, optional
        Household of each person (clusters of the standard errors and of the sample above
        ``max_persons``).
    corrections : sequence of str
        Corrections to estimate; the first is the stage's (:data:`CORRECTION`), the others checks.
    seed : int
        Random state (StepMix's starting coefficients, the household sample).
    min_count : int
        Persons a covariate level needs (:func:`design`).
    max_persons : int
        Persons at most; above it, a random sample of whole households.
    indicators : DataFrame, optional
        The indicators as categories (same rows), for :func:`check_not_functions`.

    Returns
    -------
    table : DataFrame
        :func:`effects_table` of every correction, stacked.
    results : dict
        ``covariates, covariate_correction, covariate_se, covariate_persons, covariate_left_out,
        covariate_households, covariate_converged`` (per correction), ``covariate_iterations``.
    """
    names = list(covariates.columns)
    check_covariates(names)
    if indicators is not None:
        check_not_functions(covariates, indicators)
    X = np.asarray(X, dtype=float)
    groups_all = np.arange(len(X)) if groups is None else np.asarray(groups)
    rows = np.arange(len(X))
    codes = pd.factorize(groups_all)[0]
    if len(X) > max_persons:
        rng = np.random.default_rng(seed)
        households = rng.permutation(codes.max() + 1)
        sizes = np.bincount(codes)[households]
        chosen = households[: int(np.searchsorted(np.cumsum(sizes), max_persons, side="right"))]
        rows = np.flatnonzero(np.isin(codes, chosen))
    built = design(covariates.iloc[rows], min_count)
    rows = rows[built.kept]
    tables, converged, iterations = [], {}, {}
    for correction in corrections:
        model, posterior = three_step(measurement, X[rows], built.Z, order, correction, seed)
        converged[correction] = bool(model.converged_)
        iterations[correction] = int(getattr(model, "n_iter_", 1)) if correction == "ML" else 1
        if not model.converged_:
            log.warning("profiles: the %s three-step covariate model did not converge", correction)
        tables.append(effects_table(model, posterior, built, groups_all[rows], correction))
    results = {
        "covariates": names,
        "covariate_correction": corrections[0],
        "covariate_se": "sandwich clustered by household, measurement model fixed",
        "covariate_persons": len(rows),
        "covariate_left_out": int(len(X) - len(rows)),
        "covariate_households": int(len(np.unique(codes[rows]))),
        "covariate_converged": converged,
        "covariate_iterations": iterations,
        "covariate_reference": built.reference,
    }
    return pd.concat(tables, ignore_index=True), results


def strongest_effects(table: pd.DataFrame, correction: str = CORRECTION) -> pd.DataFrame:
    """Each covariate's largest effect (absolute log odds ratio) whose 95% interval excludes zero.

    Parameters
    ----------
    table : DataFrame
        :func:`covariate_effects`'s table.
    correction : str
        Which correction's estimates.

    Returns
    -------
    DataFrame
        One row of ``table`` per covariate that has such an effect, largest effect first (none when
        no interval excludes zero). Effects at the boundary (not estimable) are not among them.
    """
    rows = table[(table["correction"] == correction) & ((table["ci_lower"] > 0) | (table["ci_upper"] < 0))]
    rows = rows.loc[rows["coef"].abs().sort_values(ascending=False, kind="stable").index]
    return rows.drop_duplicates("covariate")


def agreement_of_corrections(table: pd.DataFrame, first: str = "ML", second: str = "BCH") -> float:
    """Largest difference between two corrections' coefficients, in standard errors of the first.

    Parameters
    ----------
    table : DataFrame
        :func:`covariate_effects`'s table with both corrections.
    first, second : str
        Corrections to compare.

    Returns
    -------
    float
        ``max |coef_first - coef_second| / se_first`` over the effects both estimate (NaN when none).
    """
    keys = ["profile", "covariate", "level"]
    a = table[table["correction"] == first].set_index(keys)
    b = table[table["correction"] == second].set_index(keys)
    if a.empty or b.empty:
        return float("nan")
    return float(((a["coef"] - b["coef"]).abs() / a["se"]).dropna().max())


def covariate_results(
    measurement: Any,
    X: np.ndarray,
    covariates: pd.DataFrame,
    order: np.ndarray,
    groups: Sequence[Any],
    seed: int,
    indicators: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """What the profiles stage stores: :func:`covariate_effects` (ML, BCH as a check) and its scalars.

    Parameters
    ----------
    measurement, X, covariates, order, groups, seed, indicators
        As :func:`covariate_effects`.

    Returns
    -------
    table : DataFrame
    results : dict
        :func:`covariate_effects`'s scalars and ``covariate_ml_bch_max_se`` (largest ML-BCH difference
        in ML standard errors, :func:`agreement_of_corrections`; NaN when BCH estimates none) over
        ``covariate_ml_bch_compared`` effects (both estimable), ``covariate_significant`` (ML
        effects whose 95% interval excludes zero, of ``covariate_effects_n``) and
        ``covariate_not_estimable`` (ML effects at the boundary).
    """
    table, results = covariate_effects(
        measurement, X, covariates, order, groups, ("ML", "BCH"), seed, indicators=indicators
    )
    ml = table[table["correction"] == "ML"]
    results["covariate_ml_bch_max_se"] = agreement_of_corrections(table)
    both = (
        ml.set_index(["profile", "covariate", "level"])["estimable"]
        & table[table["correction"] == "BCH"].set_index(["profile", "covariate", "level"])["estimable"]
    )
    results["covariate_ml_bch_compared"] = int(both.sum())
    results["covariate_effects_n"] = len(ml)
    results["covariate_significant"] = int(((ml["ci_lower"] > 0) | (ml["ci_upper"] < 0)).sum())
    results["covariate_not_estimable"] = int((~ml["estimable"]).sum())
    return table, results
