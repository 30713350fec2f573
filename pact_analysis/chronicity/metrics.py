"""Validation metrics of predicted probabilities: C-index, calibration, AUCs, decision curve.

:func:`concordance` (Harrell's C), :func:`calibration` (logistic recalibration slope and
calibration-in-the-large), :func:`decision_curve` (net benefit) and :func:`evaluate_predictions`
(every metric with cluster-bootstrap intervals) take plain arrays and DataFrames. Two counts are
written here because the libraries take no frequency weights, which a bootstrap at region scale needs:
Harrell's C-index (:class:`_ConcordancePairs`) and the cumulative/dynamic AUC
(:class:`_ValidationMetrics`, on scikit-survival's censoring weights); the tests assert that both
equal lifelines' and scikit-survival's values.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd


class _RankedScores:
    """The AUC of one set of scores for any case labels and frequency weights, the sorting done once.

    The AUC is the weighted share of (case, control) pairs whose case scores higher, ties counting
    one half (the Mann-Whitney statistic): what scikit-learn's ``roc_auc_score`` gives with
    ``sample_weight`` for finite scores and non-negative weights (the tests assert equality), without
    sorting again at every bootstrap replicate.
    """

    def __init__(self, score: Sequence[float]) -> None:
        self.tie = np.unique(np.asarray(score, dtype=float), return_inverse=True)[1].ravel()
        self.groups = int(self.tie.max()) + 1 if len(self.tie) else 0

    def auc(self, case: np.ndarray, weights: np.ndarray) -> float:
        """AUC of the scores for ``case`` (bool) against the other rows, each counted ``weights`` times."""
        cases = np.bincount(self.tie, np.where(case, weights, 0.0), self.groups)
        controls = np.bincount(self.tie, np.where(case, 0.0, weights), self.groups)
        below = np.cumsum(controls) - controls
        pairs = cases.sum() * controls.sum()
        return float(cases @ (below + 0.5 * controls) / pairs) if pairs > 0 else np.nan


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
    observed: Sequence[float],
    predicted: Sequence[float],
    n_bins: int = 10,
    alpha: float = 0.05,
    missing: str = "raise",
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
    missing : {"raise", "drop"}
        What to do with rows without a prediction (NaN): stop (a model must score every row), or
        leave them out (the oracle, where a spell has no match in the truth).

    Returns
    -------
    dict
        ``n_dropped`` (rows left out); ``slope`` (and ``slope_ci``): coefficient of logit(predicted) in a logistic regression of the
        outcome (1 = perfect; below 1: predictions too extreme); ``citl`` (and ``citl_ci``):
        calibration-in-the-large, the intercept of a logistic regression with logit(predicted) as an
        offset (0 = perfect; positive: risk underestimated); ``observed_mean``, ``predicted_mean``;
        ``table``: per bin ``n``, ``predicted`` (mean), ``observed`` (share) and a Wilson interval
        ``ci_lower``/``ci_upper`` of the observed share.
    """
    from statsmodels.stats.proportion import proportion_confint

    y = np.asarray(observed, dtype=float)
    p = np.asarray(predicted, dtype=float)
    scored = ~np.isnan(p)
    if not scored.all() and missing != "drop":
        raise ValueError(f"calibration: {int((~scored).sum())} rows without a prediction")
    y, p = y[scored], p[scored]
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
        "n_dropped": int((~scored).sum()),
        "slope": float(slope_fit.params[1]),
        "slope_ci": (float(slope_ci[0]), float(slope_ci[1])),
        "citl": float(citl_fit.params[0]),
        "citl_ci": (float(citl_ci[0]), float(citl_ci[1])),
        "observed_mean": float(y.mean()),
        "predicted_mean": float(p.mean()),
        "table": table.reset_index(),
    }


def decision_curve(
    observed: Sequence[float],
    predicted: Sequence[float],
    thresholds: Sequence[float],
    groups: Sequence[Any] | None = None,
    n_boot: int = 0,
    seed: int = 0,
    alpha: float = 0.05,
    min_flagged: int = 10,
) -> pd.DataFrame:
    """Net benefit of alerting on the model at each threshold, against alerting everyone or no one.

    Net benefit (Vickers & Elkin 2006) at threshold probability ``pt``: true alerts per person minus
    needless alerts per person weighted by ``pt / (1 - pt)``, the harm of a needless review relative
    to the benefit of a timely one implied by choosing ``pt``. With ``n_boot``, percentile intervals
    from a bootstrap that resamples ``groups`` (persons) whole, of the net benefit and of the gain
    over the better default (``max(treat_all, 0)``).

    Parameters
    ----------
    observed : array-like of 0/1
        Observed outcome (1 = still receiving at the horizon).
    predicted : array-like of float
        Predicted probability of the outcome.
    thresholds : sequence of float
        Threshold probabilities in (0, 1).
    groups : array-like, optional
        Unit resampled by the bootstrap (default: each row).
    n_boot : int
        Bootstrap replicates (0: no intervals).
    seed : int
        Seed of the bootstrap.
    alpha : float
        One minus the confidence level.
    min_flagged : int
        A percentile interval is not given where fewer than this many persons are flagged, or are not
        (with few flagged and no needless alert among them every replicate's gain is at least 0: the
        interval would "establish" a gain the data cannot show).

    Returns
    -------
    DataFrame
        ``threshold``, ``alert_rate``, ``net_benefit`` (model), ``treat_all``, ``treat_none`` (0),
        ``gain`` (over the better default) and ``useful`` (the model beats both defaults, by the
        point estimates); with ``n_boot``, ``net_benefit_lower``/``_upper``, ``gain_lower``/``_upper``
        and ``established`` (the gain's interval lies above 0).
    """
    y = np.asarray(observed, dtype=float)
    p = np.asarray(predicted, dtype=float)
    pts = np.asarray(thresholds, dtype=float)
    point = _net_benefits(y, p, pts, np.ones((1, len(y))))
    out = pd.DataFrame({"threshold": pts, "alert_rate": [float((p >= t).mean()) for t in pts]})
    out["net_benefit"], out["treat_all"] = point["model"][0], point["all"][0]
    out["treat_none"] = 0.0
    out["gain"] = out["net_benefit"] - np.maximum(out["treat_all"], 0.0)
    out["useful"] = out["gain"] > 0
    if n_boot and len(y):
        codes = pd.factorize(pd.Series(np.arange(len(y)) if groups is None else groups).astype(str))[0]
        rng = np.random.default_rng(seed)
        counts = np.stack(
            [
                np.bincount(rng.integers(0, codes.max() + 1, codes.max() + 1), minlength=codes.max() + 1)
                for _ in range(n_boot)
            ]
        )
        reps = _net_benefits(y, p, pts, counts[:, codes].astype(float))
        gain = reps["model"] - np.maximum(reps["all"], 0.0)
        q = [alpha / 2, 1 - alpha / 2]
        out["net_benefit_lower"], out["net_benefit_upper"] = np.quantile(reps["model"], q, axis=0)
        out["gain_lower"], out["gain_upper"] = np.quantile(gain, q, axis=0)
        # persons, not rows: a person's rows are resampled together
        units = pd.Series(codes)
        flagged = np.array([units[p >= t].nunique() for t in pts])
        unflagged = np.array([units[p < t].nunique() for t in pts])
        few = (flagged < min_flagged) | (unflagged < min_flagged)
        bounds = ["net_benefit_lower", "net_benefit_upper", "gain_lower", "gain_upper"]
        out.loc[few, bounds] = np.nan
        out["established"] = out["gain_lower"].gt(0) & ~few
    return out


def _net_benefits(
    y: np.ndarray, p: np.ndarray, thresholds: np.ndarray, weights: np.ndarray
) -> dict[str, np.ndarray]:
    """Net benefit of the model and of alerting everyone, per replicate (rows of ``weights``) and
    threshold (columns)."""
    total = weights.sum(axis=1, keepdims=True)
    odds = thresholds / (1.0 - thresholds)
    alert = (p[:, None] >= thresholds[None, :]).astype(float)
    tp = weights @ (alert * (y == 1)[:, None]) / total
    fp = weights @ (alert * (y == 0)[:, None]) / total
    prevalence = weights @ y[:, None] / total
    return {"model": tp - fp * odds, "all": prevalence - (1.0 - prevalence) * odds}


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
        self.ranked = _RankedScores(self.p)
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
        w = np.ones(len(self.y)) if weights is None else np.asarray(weights, dtype=float)
        out = {
            "c_index": self.pairs.c_index(w),
            "auc": self.ranked.auc(self.y == 1, w),
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
        if self.ipcw is None:
            return np.nan
        case = (self.time <= t) & self.exited
        keep = (case | (self.time > t)) & (w > 0)
        if case[keep].all() or not case[keep].any():
            return np.nan
        weight = np.where(case, self.ipcw, 1.0) * w * keep
        return 1.0 - self.ranked.auc(case, weight)  # the cases are those with the lower p (sooner exits)


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


def threshold_counts(
    observed: Sequence[float], predicted: Sequence[float], thresholds: Sequence[float]
) -> pd.DataFrame:
    """Rows flagged at each threshold, split by the outcome: the counts a table of thresholds reveals.

    A share alerted, a PPV, a sensitivity or a net benefit at a threshold, with the cohort's size and
    prevalence, give these counts back: :func:`publishable_thresholds` decides on them.

    Returns
    -------
    DataFrame
        Indexed by ``threshold`` (ascending): ``flagged_with`` (flagged, with the outcome) and
        ``flagged_without`` (flagged, without it); both never rise with the threshold.
    """
    y = np.asarray(observed, dtype=bool)
    p = np.asarray(predicted, dtype=float)
    pts = np.sort(np.asarray(thresholds, dtype=float))
    return pd.DataFrame(
        {
            "flagged_with": [int((y & (p >= t)).sum()) for t in pts],
            "flagged_without": [int((~y & (p >= t)).sum()) for t in pts],
        },
        index=pd.Index(pts, name="threshold"),
    )


def publishable_thresholds(
    counts: pd.DataFrame, totals: Mapping[str, int], anchor: float, min_cell: int
) -> list[float]:
    """The thresholds whose row of a threshold table may be published: no count below ``min_cell``
    can be read from it or worked out by differencing two published rows.

    Every report that shows a table of thresholds on the same rows takes its rows from this one
    decision (03_chronicity's decision curve, 04_alerts' thresholds), so no two published rows, in
    one report or across both, differ by a small count. A row is publishable when each count, and
    what it leaves of its total, is 0 or at least ``min_cell``; the rows kept are chosen going out
    from ``anchor`` (the deployed threshold, stated in the text), each one kept only when it differs
    from the last kept row by 0 or at least ``min_cell`` in every count. The counts never rise with
    the threshold, so the difference between any two kept rows is a sum of such differences and is
    safe too.

    Parameters
    ----------
    counts : DataFrame
        Indexed by threshold, one column per count (:func:`threshold_counts`, or persons alerted),
        non-increasing in the threshold.
    totals : mapping
        Column -> the total the count is part of (e.g. the rows with the outcome).
    anchor : float
        The threshold kept first (if its own counts are safe).
    min_cell : int
        Smallest count that may be shown.

    Returns
    -------
    list of float
        The publishable thresholds, ascending (none for a table without rows: a region so small
        that no row of the table it derives from could be published).
    """
    table = counts.sort_index()
    if table.empty:
        return []
    values = table.to_numpy(dtype=float)
    if (np.diff(values, axis=0) > 0).any():
        raise ValueError("counts must not rise with the threshold")
    total = np.array([float(totals[c]) for c in table.columns])

    def small(x: np.ndarray) -> bool:
        return bool(((x > 0) & (x < min_cell)).any())

    safe = [not small(row) and not small(total - row) for row in values]
    pts = list(table.index)
    start = int(np.argmin(np.abs(np.asarray(pts, dtype=float) - float(anchor))))
    kept: list[int] = []
    for direction in (range(start, len(pts)), range(start - 1, -1, -1)):
        last = min(kept) if kept else None  # going down: the lowest row kept going up
        for i in direction:
            if safe[i] and (last is None or not small(np.abs(values[i] - values[last]))):
                kept.append(i)
                last = i
    return sorted(float(pts[i]) for i in kept)
