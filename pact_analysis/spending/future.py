"""Expected future spending of today's recipients.

A Weibull accelerated failure time model of the episode length on the chronicity model's critical
factors (:data:`pact_analysis.chronicity.EXIT_COVARIATES`, measured at the start of the episode),
fitted on every head's episode (:func:`fit_remaining`); each open episode's survival is conditioned
on the months already elapsed (:func:`conditional_survival`); expected remaining months within the
horizon x the monthly amount (:func:`future_spending`). Intervals: parameter vectors drawn from the
fit's asymptotic normal distribution (:func:`parameter_draws`: model uncertainty, not the chance
variation of who actually leaves).
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
        ``rgc_spells`` (the open file's ``monthly_amount_eur``).

    Returns
    -------
    DataFrame
        The open episodes with ``amount_eur`` and ``elapsed`` (months on the episode so far).
    """
    open_files = spells.loc[spells["end_date"].isna()].sort_values("start_date")
    amount = open_files.drop_duplicates("person_key", keep="last").set_index("person_key")[
        "monthly_amount_eur"
    ]
    out = episodes.loc[~episodes["event"].astype(bool)].copy()
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
        The fitted model (via :func:`pact_analysis.chronicity.fit_aft`).
    """
    entry = "entry" if "entry" in exit_data and (exit_data["entry"] > 0).any() else None
    return ch.fit_aft(exit_data, "duration", "event", list(covariates), entry=entry)["model"]


def parameter_draws(model: Any, n: int, seed: int = 0) -> pd.DataFrame:
    """Parameter vectors of a lifelines parametric model: the estimate first, then ``n`` draws.

    Draws come from the asymptotic normal distribution of the estimates (``variance_matrix_``).

    Returns
    -------
    DataFrame
        ``n + 1`` rows, columns as ``model.params_``.
    """
    mean = model.params_.to_numpy(float)
    cov = np.asarray(model.variance_matrix_, dtype=float)
    rng = np.random.default_rng(seed)
    draws = rng.multivariate_normal(mean, cov, size=int(n), method="eigh") if n else np.empty((0, len(mean)))
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


def future_spending(
    current: pd.DataFrame, draws: pd.DataFrame, months: int, by: str, alpha: float = 0.05
) -> pd.DataFrame:
    """Expected spending on today's recipients over the next ``months`` months, by group.

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

    Returns
    -------
    DataFrame
        Indexed by group plus ``total``: ``persons``, ``expected_months`` (mean per person),
        ``expected_eur``, ``lower_eur``, ``upper_eur``.
    """
    groups = current[by].astype(str).to_numpy()
    labels = [*pd.unique(groups), "total"]
    amount = current["amount_eur"].to_numpy(float)
    sims = []
    months_point = None
    for i in range(len(draws)):
        remaining = conditional_survival(draws.iloc[i], current, current["elapsed"].to_numpy(), months).sum(
            axis=1
        )
        sims.append([float((amount * remaining)[groups == g].sum()) for g in labels[:-1]])
        if i == 0:
            months_point = remaining
    sims_arr = np.array(sims)
    sims_arr = np.column_stack([sims_arr, sims_arr.sum(axis=1)])
    persons = [int((groups == g).sum()) for g in labels[:-1]] + [len(groups)]
    mean_months = [float(months_point[groups == g].mean()) for g in labels[:-1]] + [
        float(months_point.mean())
    ]
    rest = sims_arr[1:] if len(sims_arr) > 1 else sims_arr
    out = pd.DataFrame(
        {
            "persons": persons,
            "expected_months": mean_months,
            "expected_eur": sims_arr[0],
            "lower_eur": np.quantile(rest, alpha / 2, axis=0),
            "upper_eur": np.quantile(rest, 1 - alpha / 2, axis=0),
        },
        index=pd.Index(labels, name=by),
    )
    return out
