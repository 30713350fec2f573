"""Expected future spending of today's recipients.

A Weibull accelerated failure time model of the episode length on the chronicity model's critical
factors (:data:`pact_analysis.chronicity.EXIT_COVARIATES`, measured at the start of the episode),
fitted on every head's episode (:func:`fit_remaining`); each open episode's survival is conditioned
on the months already elapsed (:func:`conditional_survival`); expected calendar months paid within
the horizon x the monthly amount (:func:`future_spending`). The interval is a prediction interval of
what will be paid: each of its simulations draws the model's coefficients from their sampling
distribution (:func:`parameter_draws`, the model's uncertainty) and then who leaves, and when, under
those coefficients (:func:`simulated_months`, the chance of who exits). The Weibull form itself is
not varied; the backtest (:mod:`pact_analysis.spending.backtest`) checks it against what was paid.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from pact_analysis import chronicity as ch


def current_recipients(episodes: pd.DataFrame, spells: pd.DataFrame) -> pd.DataFrame:
    """Episodes still paid at the extraction date with the monthly amount of their open file.

    Parameters
    ----------
    episodes : DataFrame
        :func:`pact_analysis.chronicity.exit_dataset` (or ``build_spells``) of the heads.
    spells : DataFrame
        ``rgc_spells`` (the open file's ``monthly_amount_eur``; a file whose recorded end is after
        the extraction date was still paid then).

    Returns
    -------
    DataFrame
        The open episodes with ``amount_eur`` and ``elapsed`` (months on the episode so far).
    """
    still = episodes.loc[~episodes["event"].astype(bool)]
    extraction = still.drop_duplicates("person_key").set_index("person_key")["exit_date"]  # censored there
    end = pd.to_datetime(spells["end_date"])
    paid = end.isna() | (end > pd.to_datetime(spells["person_key"].map(extraction)))  # an end still to come
    open_files = spells.loc[paid].sort_values("start_date")
    amount = open_files.drop_duplicates("person_key", keep="last").set_index("person_key")[
        "monthly_amount_eur"
    ]
    out = still.copy()
    out["amount_eur"] = out["person_key"].map(amount).astype(float)
    out["amount_eur"] = out["amount_eur"].fillna(out["amount_eur"].mean())
    out["elapsed"] = out["duration"].astype(float)
    return out.reset_index(drop=True)


def fit_remaining(exit_data: pd.DataFrame, covariates: Sequence[str] = tuple(ch.EXIT_COVARIATES)) -> Any:
    """Weibull AFT model of the episode length (months) on the critical factors at its start.

    Spells begun before the observation window are left-truncated: their ``entry`` (months already
    elapsed when observation began) goes into the likelihood as delayed entry, so the model conditions
    on their having lasted that long (otherwise long spells are over-represented and the remaining
    time is over-estimated).

    Parameters
    ----------
    exit_data : DataFrame
        :func:`pact_analysis.chronicity.exit_dataset` (``duration``, ``event``, covariates and, when
        the window truncates spells, ``entry``).
    covariates : sequence of str
        Numeric covariates.

    Returns
    -------
    lifelines.WeibullAFTFitter
        The fitted model (via :func:`pact_analysis.chronicity.fit_aft`); with ``person_key`` in
        ``exit_data``, ``cluster_variance_matrix_`` holds the covariance with a head's episodes as
        one cluster (:func:`pact_analysis.chronicity.weibull_cluster_covariance`), which
        :func:`parameter_draws` uses.
    """
    entry = "entry" if "entry" in exit_data and (exit_data["entry"] > 0).any() else None
    model = ch.fit_aft(exit_data, "duration", "event", list(covariates), entry=entry)["model"]
    if "person_key" in exit_data:  # one head's episodes are not independent
        model.cluster_variance_matrix_ = ch.weibull_cluster_covariance(
            model, exit_data, "duration", "event", exit_data["person_key"], entry
        )
    return model


#: Entropy added to the project's seed for the spending simulations' streams (:func:`streams`).
SPENDING_STREAM = 0x5E4D


def streams(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """Two independent generators from one seed: the model's coefficients, then who exits.

    :func:`parameter_draws` and :func:`future_spending` take the same ``seed``; each uses its own
    child of ``SeedSequence([seed, SPENDING_STREAM])``, so the normal draws of the coefficients and
    the uniforms of the exits never come from one stream, nor from the streams that other stages
    spawn from the project's seed (the synthetic region's among them).
    """
    coefficients, exits = np.random.SeedSequence([int(seed), SPENDING_STREAM]).spawn(2)
    return np.random.default_rng(coefficients), np.random.default_rng(exits)


def parameter_draws(model: Any, n: int, seed: int = 0, model_uncertainty: bool = True) -> pd.DataFrame:
    """Parameter vectors of a lifelines parametric model: the estimate first, then ``n`` draws.

    Parameters
    ----------
    model : lifelines parametric regression fitter
        A fitted model (``params_``, ``variance_matrix_``, or ``cluster_variance_matrix_`` when
        :func:`fit_remaining` set it).
    n : int
        Number of draws.
    seed : int
        Seed of the draws (its first stream, :func:`streams`).
    model_uncertainty : bool
        Draw from the asymptotic normal distribution of the estimates (``variance_matrix_``); when
        False every draw is the estimate (intervals then hold only the chance of who exits).

    Returns
    -------
    DataFrame
        ``n + 1`` rows, columns as ``model.params_``.
    """
    mean = model.params_.to_numpy(float)
    cov = np.asarray(getattr(model, "cluster_variance_matrix_", model.variance_matrix_), dtype=float)
    rng = streams(seed)[0]
    if not model_uncertainty:
        draws = np.tile(mean, (int(n), 1))
    elif n:
        draws = rng.multivariate_normal(mean, cov, size=int(n), method="eigh")
    else:
        draws = np.empty((0, len(mean)))
    return pd.DataFrame(np.vstack([mean, draws]), columns=model.params_.index)


def conditional_survival(
    params: pd.Series, frame: pd.DataFrame, elapsed: np.ndarray, months: int
) -> np.ndarray:
    """Probability of still receiving 1..``months`` months from now, given ``elapsed`` months so far.

    Weibull AFT (lifelines parametrisation): ``S(t) = exp(-(t / lambda)^rho)`` with
    ``log lambda = x . beta_lambda`` and ``log rho = beta_rho`` (intercept only). The probability is
    ``S(elapsed + m) / S(elapsed)``.

    Parameters
    ----------
    params : Series
        One parameter vector (MultiIndex ``(parameter, covariate)``, e.g. a row of
        :func:`parameter_draws`).
    frame : DataFrame
        Covariates of the persons.
    elapsed : ndarray
        Months already on the benefit.
    months : int
        Months ahead.

    Returns
    -------
    ndarray, shape (persons, months)
    """
    lam = params.xs("lambda_")
    x = frame.reindex(columns=[c for c in lam.index if c != "Intercept"]).to_numpy(float)
    log_lambda = lam.get("Intercept", 0.0) + x @ lam.drop("Intercept", errors="ignore").to_numpy(float)
    rho = float(np.exp(params.xs("rho_").get("Intercept", 0.0)))
    t0 = np.asarray(elapsed, dtype=float)[:, None]
    t = t0 + np.arange(1, int(months) + 1)[None, :]
    scale = np.exp(log_lambda)[:, None]
    return np.exp(-((t / scale) ** rho) + (t0 / scale) ** rho)


def expected_months(params: pd.Series, frame: pd.DataFrame, elapsed: np.ndarray, months: int) -> np.ndarray:
    """Expected calendar months paid in the next ``months`` months, per person.

    The registry pays the month of an episode's last payment in full
    (:func:`pact_analysis.spending.paid.months_paid`), so with ``elapsed`` measured at a month's end
    the first month is paid to everyone still receiving and month ``m`` when the episode outlasts
    ``elapsed + m - 1``: ``1 + sum_{m < months} S(elapsed + m) / S(elapsed)``.

    Parameters
    ----------
    params, frame, elapsed, months
        As :func:`conditional_survival`.

    Returns
    -------
    ndarray, shape (persons,)
    """
    return 1.0 + conditional_survival(params, frame, elapsed, int(months) - 1).sum(axis=1)


def simulated_months(
    params: pd.Series, frame: pd.DataFrame, elapsed: np.ndarray, months: int, rng: np.random.Generator
) -> np.ndarray:
    """Calendar months paid in one simulated future: each person's exit drawn from the model.

    The exit time is drawn by inversion (a uniform ``u`` per person: the episode outlasts
    ``elapsed + m`` while ``S(elapsed + m) / S(elapsed) > u``); months are counted as in
    :func:`expected_months`, whose value is their expectation.

    Parameters
    ----------
    params, frame, elapsed, months
        As :func:`conditional_survival`.
    rng : numpy.random.Generator
        Source of the exits.

    Returns
    -------
    ndarray of int, shape (persons,)
    """
    curves = conditional_survival(params, frame, elapsed, int(months) - 1)
    return 1 + (curves > rng.uniform(size=(len(curves), 1))).sum(axis=1)


def _group_sums(values: np.ndarray, groups: np.ndarray, labels: Sequence[str]) -> list[float]:
    """Sums of ``values`` per label of ``groups`` and (last) over everyone."""
    return [float(values[groups == g].sum()) for g in labels] + [float(values.sum())]


def future_spending(
    current: pd.DataFrame,
    draws: pd.DataFrame,
    months: int,
    by: str,
    alpha: float = 0.05,
    seed: int = 0,
) -> pd.DataFrame:
    """Expected spending on today's recipients over the next ``months`` months, by group.

    The estimate uses the model's estimate (row 0 of ``draws``, :func:`expected_months`); the
    prediction interval takes quantiles of one simulated future per further row: that row's
    coefficients, then who exits under them (:func:`simulated_months`). With
    :func:`parameter_draws` (``model_uncertainty=True``) it holds both the model's uncertainty and
    the chance of who exits; with ``model_uncertainty=False`` only the latter.

    Parameters
    ----------
    current : DataFrame
        :func:`current_recipients` with the model's covariates and the grouping column ``by``.
    draws : DataFrame
        :func:`parameter_draws` (row 0 the estimate).
    months : int
        Months ahead.
    by : str
        Grouping column (e.g. ``band``).
    alpha : float
        One minus the level of the intervals.
    seed : int
        Seed of the simulated exits (its second stream, :func:`streams`).

    Returns
    -------
    DataFrame
        Indexed by group plus ``total``: ``persons``, ``expected_months`` (mean per person),
        ``expected_eur``, ``lower_eur``, ``upper_eur``.
    """
    groups = current[by].astype(str).to_numpy()
    labels = list(pd.unique(groups))
    amount = current["amount_eur"].to_numpy(float)
    elapsed = current["elapsed"].to_numpy(float)
    point = expected_months(draws.iloc[0], current, elapsed, months)
    rng = streams(seed)[1]
    sims = np.array(
        [
            _group_sums(
                amount * simulated_months(draws.iloc[i], current, elapsed, months, rng), groups, labels
            )
            for i in range(1, len(draws))
        ]
        or [_group_sums(amount * point, groups, labels)]
    )
    persons = _group_sums(np.ones(len(groups)), groups, labels)
    return pd.DataFrame(
        {
            "persons": np.array(persons, dtype=int),
            "expected_months": np.array(_group_sums(point, groups, labels)) / np.maximum(persons, 1),
            "expected_eur": _group_sums(amount * point, groups, labels),
            "lower_eur": np.quantile(sims, alpha / 2, axis=0),
            "upper_eur": np.quantile(sims, 1 - alpha / 2, axis=0),
        },
        index=pd.Index([*labels, "total"], name=by),
    )
