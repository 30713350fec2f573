"""The deployed model validated out of sample: recalibration, threshold and validation on separate cohorts.

The chronicity model is developed on the cohorts that began before ``develop_before`` (penalty chosen
with folds grouped by person, :func:`~pact_analysis.chronicity.landmark.person_folds`). Then, on the
cohorts that began before ``recalibrate_before`` (the *recalibration cohort*): the recalibration
(intercept and slope of the linear predictor) is fitted, kept only if it improves the calibration
out of sample (two folds grouped by person inside the cohort), the landmarks are validated by a rule
that tests the claim "calibrated within ``validated_slope``" (:func:`landmark_verdict`: the 95% interval
of the deployed model's out-of-sample calibration slope there lies inside the band, on at least
``validated_min_events`` rows with the outcome and as many without) and the threshold is set by the
rule written in ``params.yaml`` beforehand (``alert_share``: the risk above which that share of the
cohort's rows at the validated landmarks is flagged: the CEAS's capacity). Everything is then reported
on the later cohorts (the *test cohort*), used for nothing else, with 95% intervals from a bootstrap
that resamples persons: :func:`deployed_validation`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from pact_analysis.chronicity.landmark import SPELL_MONTH
from pact_analysis.chronicity.params import chronicity_params

#: Figures of the deployed model on the test cohort (each with a ``<name>_ci``).
DEPLOYED_METRICS = (
    "deployed_auc",
    "deployed_calibration_slope",
    "deployed_calibration_intercept",
    "sensitivity",
    "ppv",
    "false_negative_rate",
    "net_benefit",
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


def cohort_split(stack: pd.DataFrame, params: Mapping[str, Any] | None = None) -> pd.Series:
    """``develop``, ``recalibrate`` or ``test`` for each row, by the start date of its spell.

    Parameters
    ----------
    stack : DataFrame
        Landmark rows with ``start_date``.
    params : mapping, optional
        Project parameters (``chronicity.develop_before``, ``chronicity.recalibrate_before``).
    """
    cfg = chronicity_params(params)
    start = pd.to_datetime(stack["start_date"])
    out = np.where(
        start < pd.Timestamp(cfg["develop_before"]),
        "develop",
        np.where(start < pd.Timestamp(cfg["recalibrate_before"]), "recalibrate", "test"),
    )
    return pd.Series(out, index=stack.index, name="cohort")


def calibration_fit(y: np.ndarray, p: np.ndarray, weights: np.ndarray | None = None) -> tuple[float, float]:
    """Calibration slope (logistic regression of the outcome on the logit) and intercept (calibration
    in the large: the intercept with the logit as offset), with optional frequency weights. The slope
    is NaN when every prediction is the same (it has nothing to fit)."""
    import statsmodels.api as sm

    y, p = np.asarray(y, float), np.clip(np.asarray(p, float), 1e-9, 1 - 1e-9)
    logit = np.log(p / (1 - p))
    w = None if weights is None else np.asarray(weights, float)
    large = sm.GLM(y, np.ones((len(y), 1)), family=sm.families.Binomial(), offset=logit, freq_weights=w).fit()
    if np.ptp(logit) == 0:
        return float("nan"), float(large.params[0])
    slope = sm.GLM(y, sm.add_constant(logit), family=sm.families.Binomial(), freq_weights=w).fit()
    return float(slope.params[1]), float(large.params[0])


def _apply(logit: np.ndarray, recal: tuple[float, float]) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(recal[0] + recal[1] * logit)))


def _two_fold(rows: pd.DataFrame, seed: int) -> np.ndarray:
    """Fold (0/1) of each row, persons kept whole."""
    persons = rows["person_key"].astype(str)
    keys = np.sort(persons.unique())
    fold = pd.Series(np.random.default_rng(seed).permutation(len(keys)) % 2, index=keys)
    return persons.map(fold).to_numpy()


def cross_fitted(rows: pd.DataFrame, logit: np.ndarray, seed: int) -> np.ndarray:
    """Recalibrated risks out of sample: each half of the persons recalibrated on the other half."""
    fold = _two_fold(rows, seed)
    out = np.empty(len(rows))
    y = rows["still"].to_numpy(float)
    for k in (0, 1):
        out[fold == k] = _apply(logit[fold == k], recalibrate(y[fold != k], logit[fold != k]))
    return out


def _log_loss(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


#: What the recalibration cohort says of a landmark (:func:`landmark_verdict`).
LANDMARK_VERDICTS = ("validated", "not_established", "miscalibrated", "too_few")


def slope_interval(
    y: np.ndarray, p: np.ndarray, persons: np.ndarray, alpha: float = 0.05
) -> tuple[float, float, float]:
    """Calibration slope with its ``1 - alpha`` Wald interval, robust to rows clustered by person.

    Parameters
    ----------
    y : ndarray of 0/1
        Outcome.
    p : ndarray of float
        Predicted probability (out of sample).
    persons : ndarray
        Person of each row (a person may have several spells at one landmark).
    alpha : float
        One minus the confidence level.

    Returns
    -------
    (float, float, float)
        Slope, lower and upper bound.
    """
    import statsmodels.api as sm

    y, p = np.asarray(y, float), np.clip(np.asarray(p, float), 1e-9, 1 - 1e-9)
    groups = pd.factorize(pd.Series(persons).astype(str))[0]
    fit = sm.GLM(y, sm.add_constant(np.log(p / (1 - p))), family=sm.families.Binomial()).fit(
        cov_type="cluster", cov_kwds={"groups": groups}
    )
    low, high = fit.conf_int(alpha)[1]
    return float(fit.params[1]), float(low), float(high)


def landmark_verdict(
    interval: tuple[float, float], band: tuple[float, float], counts: tuple[int, int], least: int
) -> str:
    """The rule, written before looking, that validates a landmark.

    ``validated`` when the interval of the calibration slope lies inside ``band`` (the claim
    "calibrated within the band" is shown); ``miscalibrated`` when it lies wholly outside;
    ``not_established`` when it straddles a limit (an interval that touches the band is not
    evidence of calibration); ``too_few`` when the rows with or without the outcome are fewer than
    ``least`` (the interval would not be worth reading: at least 100 events and 100 non-events, Vergouwe et al. 2005;
    Collins, Ogundimu and Altman 2016).

    Parameters
    ----------
    interval : (float, float)
        Lower and upper bound of the slope.
    band : (float, float)
        ``chronicity.validated_slope``.
    counts : (int, int)
        Rows with the outcome and without it.
    least : int
        ``chronicity.validated_min_events``.
    """
    if min(counts) < least:
        return "too_few"
    (low, high), (lo_band, hi_band) = interval, band
    if lo_band <= low and high <= hi_band:
        return "validated"
    if high < lo_band or low > hi_band:
        return "miscalibrated"
    return "not_established"


def scored_landmarks(validated: Sequence[float], params: Mapping[str, Any] | None = None) -> list[float]:
    """Where the deployed model is scored and reported: the validated landmarks; with none (alerts
    withheld), ``landmark_month``, to show what the model would do."""
    return [float(m) for m in validated] or [float(chronicity_params(params)["landmark_month"])]


def choose_deployment(
    recal_rows: pd.DataFrame, logit: np.ndarray, params: Mapping[str, Any] | None = None, seed: int = 0
) -> dict[str, Any]:
    """Recalibration, validated landmarks and threshold, decided on the recalibration cohort only.

    Parameters
    ----------
    recal_rows : DataFrame
        Landmark rows of the recalibration cohort (``still``, ``person_key``, :data:`SPELL_MONTH`).
    logit : ndarray
        The development model's linear predictor on those rows.
    params : mapping, optional
        Project parameters (``chronicity.validated_slope``, ``validated_min_events``,
        ``validated_level``, ``alert_share``).
    seed : int
        Seed of the person folds.

    Returns
    -------
    dict
        ``recalibrated`` (bool: kept because it lowered the out-of-sample log-loss), ``recalibration``
        (intercept, slope; (0, 1) when not kept), ``log_loss_raw``, ``log_loss_recalibrated``,
        ``landmark_slopes`` (month -> out-of-sample slope), ``landmark_slope_ci`` (month -> 95%
        interval, persons as clusters), ``landmark_counts`` (month -> rows with and without the
        outcome), ``landmark_verdicts`` (month -> :func:`landmark_verdict`), ``validated_landmarks``,
        ``threshold``.
    """
    cfg = chronicity_params(params)
    y = recal_rows["still"].to_numpy(float)
    raw = 1.0 / (1.0 + np.exp(-logit))
    crossed = cross_fitted(recal_rows, logit, seed)
    loss_raw, loss_recal = _log_loss(y, raw), _log_loss(y, crossed)
    recalibrated = loss_recal < loss_raw
    recal = recalibrate(y, logit) if recalibrated else (0.0, 1.0)
    out_of_sample = crossed if recalibrated else raw
    band = tuple(float(v) for v in cfg["validated_slope"])
    months = recal_rows[SPELL_MONTH].to_numpy(float)
    persons = recal_rows["person_key"].to_numpy()
    slopes, intervals, counts, verdicts = {}, {}, {}, {}
    for m in sorted(float(v) for v in np.unique(months)):
        at = months == m
        counts[m] = (int(y[at].sum()), int((1 - y[at]).sum()))
        if min(counts[m]) < 2:
            continue
        level = float(cfg["validated_level"])
        slope, low, high = slope_interval(y[at], out_of_sample[at], persons[at], alpha=1 - level)
        slopes[m], intervals[m] = slope, (low, high)
        verdicts[m] = landmark_verdict((low, high), band, counts[m], int(cfg["validated_min_events"]))
    validated = [m for m, v in verdicts.items() if v == "validated"]
    # the threshold is set where the model scores (with no validated landmark, at landmark_month)
    at_valid = np.isin(months, scored_landmarks(validated, params))
    deployed = _apply(logit, recal)
    share = float(cfg["alert_share"])
    threshold = float(np.quantile(deployed[at_valid], 1 - share)) if at_valid.any() else float("nan")
    return {
        "recalibrated": bool(recalibrated),
        "recalibration": (float(recal[0]), float(recal[1])),
        "log_loss_raw": loss_raw,
        "log_loss_recalibrated": loss_recal,
        "landmark_slopes": slopes,
        "landmark_slope_ci": intervals,
        "landmark_counts": {m: c for m, c in counts.items() if m in slopes},
        "landmark_verdicts": verdicts,
        "validated_landmarks": validated,
        "threshold": threshold,
    }


def _point(y: np.ndarray, p: np.ndarray, threshold: float, w: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import roc_auc_score

    flag = p >= threshold
    n = w.sum()
    tp, fp = w[flag & (y == 1)].sum(), w[flag & (y == 0)].sum()
    pos = w[y == 1].sum()
    slope, intercept = calibration_fit(y, p, w)
    sens = tp / pos if pos else np.nan
    return {
        "deployed_auc": float(roc_auc_score(y, p, sample_weight=w)),
        "deployed_calibration_slope": slope,
        "deployed_calibration_intercept": intercept,
        "sensitivity": float(sens),
        "ppv": float(tp / (tp + fp)) if tp + fp else np.nan,
        "false_negative_rate": float(1 - sens),
        "net_benefit": float(tp / n - fp / n * threshold / (1 - threshold)),
    }


def deployed_validation(
    test_rows: pd.DataFrame,
    risk: np.ndarray,
    threshold: float,
    n_boot: int = 200,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, Any]:
    """The deployed model's figures on the test cohort with 95% person-bootstrap percentile intervals.

    Parameters
    ----------
    test_rows : DataFrame
        Rows of the test cohort at the validated landmarks (``still``, ``person_key``).
    risk : ndarray
        The deployed (recalibrated if kept) risk of each row.
    threshold : float
        The threshold chosen on the recalibration cohort.
    n_boot : int
        Bootstrap replicates (persons resampled with replacement; a person's rows go together).
    seed : int
        Bootstrap seed.
    level : float
        Level of the calibration slope's interval, which is the Wald interval with persons as
        clusters (:func:`slope_interval`): the one the go/no-go rule reads (:func:`deployed_check`),
        so the report prints the interval that decided.

    Returns
    -------
    dict
        Each name of :data:`DEPLOYED_METRICS` with its ``<name>_ci`` ([lower, upper]), ``test_rows``,
        ``test_persons``, ``test_flagged``.
    """
    y = test_rows["still"].to_numpy(float)
    p = np.asarray(risk, float)
    codes, persons = pd.factorize(test_rows["person_key"].astype(str), sort=True)
    point = _point(y, p, threshold, np.ones(len(y)))
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(int(n_boot)):
        count = np.bincount(rng.integers(0, len(persons), len(persons)), minlength=len(persons))
        w = count[codes].astype(float)
        keep = w > 0
        if len(np.unique(y[keep])) < 2:
            continue
        draws.append(_point(y[keep], p[keep], threshold, w[keep]))
    boot = pd.DataFrame(draws)
    out: dict[str, Any] = {}
    for name in DEPLOYED_METRICS:
        out[name] = point[name]
        lo, hi = np.nanpercentile(boot[name], [2.5, 97.5]) if len(boot) else (np.nan, np.nan)
        out[f"{name}_ci"] = [float(lo), float(hi)]
    _, lo, hi = slope_interval(y, p, test_rows["person_key"].to_numpy(), 1 - level)
    out["deployed_calibration_slope_ci"] = [lo, hi]
    out |= {
        "test_rows": int(len(y)),
        "test_persons": int(len(persons)),
        "test_flagged": int((p >= threshold).sum()),
    }
    return out


def per_landmark(test_rows: pd.DataFrame, risk: np.ndarray) -> pd.DataFrame:
    """AUC and calibration slope and intercept of the deployed model at every landmark, test cohort."""
    from sklearn.metrics import roc_auc_score

    rows = []
    y = test_rows["still"].to_numpy(float)
    months = test_rows[SPELL_MONTH].to_numpy(float)
    for m in sorted(np.unique(months)):
        at = months == m
        if len(np.unique(y[at])) < 2:
            continue
        slope, intercept = calibration_fit(y[at], risk[at])
        rows.append(
            {
                "landmark": float(m),
                "rows": int(at.sum()),
                "still": int(y[at].sum()),
                "auc": float(roc_auc_score(y[at], risk[at])),
                "calibration_slope": slope,
                "calibration_intercept": intercept,
            }
        )
    return pd.DataFrame(rows)


def scoring_landmark(months: np.ndarray, validated: list[float], landmarks: list[float]) -> np.ndarray:
    """The landmark whose model scores a recipient ``months`` into the spell (NaN: not scored).

    A recipient between landmark ``L`` and the next landmark of ``landmarks`` is scored as at ``L``
    when ``L`` is validated; past the last validated landmark's interval nobody is scored.

    Parameters
    ----------
    months : ndarray
        Months on the spell so far.
    validated : list of float
        The validated landmarks (:func:`choose_deployment`).
    landmarks : list of float
        Every landmark of the model (``chronicity.landmarks``).
    """
    grid = sorted(float(m) for m in landmarks)
    step = np.diff(grid).min() if len(grid) > 1 else 3.0
    ends = {m: (grid[i + 1] if i + 1 < len(grid) else m + step) for i, m in enumerate(grid)}
    months = np.asarray(months, float)
    out = np.full(len(months), np.nan)
    for m in sorted(float(v) for v in validated):
        out[(months >= m) & (months < ends[m])] = m
    return out


def test_verdicts(
    rows: pd.DataFrame, risk: np.ndarray, validated: Sequence[float], params: Mapping[str, Any] | None = None
) -> dict[float, dict[str, Any]]:
    """:func:`landmark_verdict` of each validated landmark on the test cohort, so that opposite
    miscalibrations at two landmarks cannot cancel in a pooled slope.

    Parameters
    ----------
    rows : DataFrame
        Test-cohort rows (``still``, ``person_key``, :data:`SPELL_MONTH`).
    risk : ndarray
        The deployed risk of each row.
    validated : sequence of float
        The landmarks validated on the recalibration cohort.
    params : mapping, optional
        Project parameters (``chronicity.validated_slope``, ``validated_min_events``, ``validated_level``).

    Returns
    -------
    dict
        Month -> ``verdict`` (``too_few`` where the test cohort has fewer than ``validated_min_events``
        rows with or without the outcome there: the landmark is then not confirmed, and not scored),
        ``slope`` and ``ci`` (NaN when too few).
    """
    cfg = chronicity_params(params)
    band = tuple(float(v) for v in cfg["validated_slope"])
    least, alpha = int(cfg["validated_min_events"]), 1 - float(cfg["validated_level"])
    y, months = rows["still"].to_numpy(float), rows[SPELL_MONTH].to_numpy(float)
    risk, persons = np.asarray(risk, float), rows["person_key"].to_numpy()
    out: dict[float, dict[str, Any]] = {}
    for m in sorted(float(v) for v in validated):
        at = months == m
        counts = (int(y[at].sum()), int((1 - y[at]).sum()))
        if min(counts) < max(least, 2):
            out[m] = {"verdict": "too_few", "slope": float("nan"), "ci": [float("nan")] * 2}
            continue
        slope, low, high = slope_interval(y[at], risk[at], persons[at], alpha)
        verdict = landmark_verdict((low, high), band, counts, least)
        out[m] = {"verdict": verdict, "slope": slope, "ci": [low, high]}
    return out


def deployed_check(
    stack: pd.DataFrame, model: Any, params: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Calibration of the deployed model on the test cohort (rows at :func:`scored_landmarks`) and
    whether alerts are withheld.

    They are withheld when no landmark is validated, when the pooled slope's interval (persons as
    clusters) is not inside ``validated_slope``, or when no validated landmark is *confirmed*: its
    interval on the test cohort inside the band too (:func:`test_verdicts`). Alerts are issued only
    at the confirmed landmarks: a validated landmark the test cohort finds miscalibrated, cannot
    establish, or has too few rows to judge is not scored, so opposite miscalibrations cannot cancel
    in the pooled slope and a landmark cannot pass for want of test data.

    Parameters
    ----------
    stack : DataFrame
        :func:`~pact_analysis.chronicity.landmark_stack`.
    model : LinearModel
        The deployed model (:func:`~pact_analysis.chronicity.fit_deployed_model`).
    params : mapping, optional
        Project parameters.

    Returns
    -------
    dict
        ``slope``, ``intercept`` (NaN when not computable), ``slope_ci``, ``test_verdicts``
        (:func:`test_verdicts`), ``confirmed_landmarks`` (validated and confirmed: where alerts are
        issued), ``failed_landmarks`` (validated, not confirmed), ``pooled_ok`` (the pooled
        interval inside the band), ``withheld`` (bool).
    """
    cfg = chronicity_params(params)
    low, high = (float(v) for v in cfg["validated_slope"])
    cohort = cohort_split(stack, params)
    where = scored_landmarks(model.validated_landmarks, params)
    rows = stack.loc[(cohort == "test") & stack[SPELL_MONTH].isin(where)]
    if not len(rows) or rows["still"].nunique() < 2:
        return {
            "slope": float("nan"),
            "intercept": float("nan"),
            "slope_ci": (float("nan"), float("nan")),
            "test_verdicts": {},
            "confirmed_landmarks": [],
            "failed_landmarks": [float(m) for m in model.validated_landmarks],
            "pooled_ok": False,
            "withheld": True,
        }
    y, risk = rows["still"].to_numpy(float), model.risk(rows)
    slope, intercept = calibration_fit(y, risk)
    _, lower, upper = slope_interval(
        y, risk, rows["person_key"].to_numpy(), 1 - float(cfg["validated_level"])
    )
    verdicts = test_verdicts(rows, risk, model.validated_landmarks, params)
    confirmed = [m for m, v in verdicts.items() if v["verdict"] == "validated"]
    failed = [m for m, v in verdicts.items() if v["verdict"] != "validated"]
    # the same rule as for the landmarks: the interval, not the point, inside the band, pooled and at each
    pooled_ok = bool(low <= lower and upper <= high)
    return {
        "slope": slope,
        "intercept": intercept,
        "slope_ci": (lower, upper),
        "test_verdicts": verdicts,
        "confirmed_landmarks": confirmed,
        "failed_landmarks": failed,
        "pooled_ok": pooled_ok,
        "withheld": not (pooled_ok and confirmed),
    }
