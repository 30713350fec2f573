"""Validation against the truth (synthetic region only): the estimators where they are correctly
specified, and the oracle.

:func:`truth_spells` (the true spells with the generating model's covariates),
:func:`validate_against_truth` (cause-specific Cox with the true covariates against the true log
hazard ratios of ``data/truth/hazard.json``), :func:`observable_versus_truth` (the same without the
latent traits: the bias from omitted heterogeneity) and :func:`oracle_still_receiving` (the
generating model's probability of still receiving at the horizon given the landmark).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pact_analysis.chronicity.params import chronicity_params
from pact_analysis.chronicity.spells import _months
from pact_analysis.chronicity.survival import cause_specific_cox
from pact_analysis.timeline import age_years


def _read_truth(truth: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """The truth's frames and hazard model, read from ``data/truth`` unless already given."""
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
        One row per true spell: ``spell_id``, ``person_id``, ``start_date`` (the true start, before
        the window for a spell inherited from the IMI), ``duration`` (months), ``entry`` (months
        already elapsed when the window opened: left truncation), ``event``, ``cause``, ``profile``, ``cycler``, ``stayer`` (profile indicators, leaver is the
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
    s["entry"] = s["truncation_months"].astype(float) if "truncation_months" in s else 0.0
    # a truncated spell that ended on the window's first day is not observed in it (as in build_spells)
    return s.loc[s["duration"] > s["entry"]].reset_index(drop=True)


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
    causes censored) with those covariates and profile indicators is correctly specified. Spells
    inherited from the IMI began before the window and are in the data only because they lasted
    into it: they enter the risk sets at their ``entry`` (left truncation); spells running at the
    extraction date are censored there.

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
        s,
        "duration",
        "cause",
        covariates,
        causes=list(t["hazard"]["coefficients"]),
        alpha=alpha,
        entry="entry",
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
        entry="entry",
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


def true_median_months(truth: str | Path | Mapping[str, Any]) -> float:
    """The true median time on the benefit of the spells that began in the observation window.

    The true survival of spell ``i`` from its start is ``exp(-exit_rate_i * t ** shape)`` (the
    generator's competing Weibull hazards, ``data/truth/rgc_spells.parquet`` and ``hazard.json``); the
    region's curve is their average over the spells begun in the window (``truncation_months`` 0), the
    population the Kaplan-Meier curve with delayed entry estimates (the left-truncated spells inherited
    from the IMI enter its risk sets from their entry, sharing the hazards of time since the start).
    The pilot's effect on its participants' job exits after the pilot start is not in ``exit_rate``.

    Parameters
    ----------
    truth : path or mapping
        ``data/truth`` or a dict with ``rgc_spells`` and ``hazard``.

    Returns
    -------
    float
        Months at which the average true survival is one half.
    """
    from scipy.optimize import brentq

    t = _read_truth(truth)
    s = t["rgc_spells"]
    s = s.loc[s["truncation_months"].astype(float) <= 0] if "truncation_months" in s else s
    rate = s["exit_rate"].to_numpy(float)
    shape = float(t["hazard"]["shape"])

    def gap(months: float) -> float:
        return float(np.mean(np.exp(-rate * months**shape))) - 0.5

    return float(brentq(gap, 1e-6, 1e4))
