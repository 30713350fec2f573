"""The fairness audit of the alerts and disclosure control of what it publishes.

:func:`fairness_audit` (error rates at the alert threshold and calibration within groups, with
cluster-bootstrap intervals), :func:`mask_small_groups` and :func:`publishable_curves` (rates of
small groups and curve ends with few at risk are not shown); the audit's tables are protected together
by :mod:`.fairness_disclosure`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from pact_analysis.chronicity.fairness_disclosure import protect_audits
from pact_analysis.chronicity.metrics import calibration

#: Groups of the stage's fairness audit: name -> columns (several columns: their intersections).
FAIRNESS_GROUPS = {
    "sex": ["sex"],
    "nationality": ["nationality"],
    "disability": ["disability_status"],
    "province": ["province"],
    "sex_nationality": ["sex", "nationality"],
}


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


#: The audit's rates (proportions of persons), each with counts and a Wilson interval.
RATES = ("alert_rate", "false_positive_rate", "false_negative_rate", "observed")


def wilson(count: pd.Series, nobs: pd.Series, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of ``count / nobs`` (statsmodels ``proportion_confint``); NaN when
    ``nobs`` is 0. Never of zero width when ``nobs`` > 0."""
    from statsmodels.stats.proportion import proportion_confint

    count, nobs = np.asarray(count, float), np.asarray(nobs, float)
    ok = nobs > 0
    low, high = np.full(len(count), np.nan), np.full(len(count), np.nan)
    lo, hi = proportion_confint(count[ok], nobs[ok], alpha=alpha, method="wilson")
    low[ok], high[ok] = lo, hi
    # at 0 and 1 the bound is exact (0 or 1): not a float a hair inside it (read as "> 99.999%")
    low[ok & (count == 0)] = 0.0
    high[ok & (count == nobs)] = 1.0
    return low, high


def rate_counts(y: np.ndarray, alert: np.ndarray, member: np.ndarray, index: pd.Index) -> pd.DataFrame:
    """Numerator and denominator of each rate of :data:`RATES` per group (``member`` codes) and overall."""
    n_groups = len(index) - 1
    onehot = np.zeros((len(y), n_groups + 1))
    onehot[member >= 0, member[member >= 0]] = 1.0
    onehot[:, -1] = 1.0
    left, stayed, alert = (y == 0).astype(float), (y == 1).astype(float), alert.astype(float)
    parts = {
        "alert_rate": (alert, np.ones(len(y))),
        "false_positive_rate": (alert * left, left),
        "false_negative_rate": ((1 - alert) * stayed, stayed),
        "observed": (stayed, np.ones(len(y))),
    }
    out = {}
    for name, (num, den) in parts.items():
        out[f"{name}_num"], out[f"{name}_den"] = num @ onehot, den @ onehot
    return pd.DataFrame(out, index=index).round().astype(int)


def _group_slopes(
    y: np.ndarray, p: np.ndarray, member: np.ndarray, n_groups: int, alpha: float = 0.05
) -> np.ndarray:
    """Calibration slope within each group and overall, with its Wald interval (rows independent).

    Returns an array of shape ``(n_groups + 1, 3)``: slope, lower and upper bound (the logistic fit
    of :func:`.metrics.calibration`); NaN with fewer than 2 of either outcome or when every risk of
    the group is the same.
    """
    out = np.full((n_groups + 1, 3), np.nan)
    for g in range(n_groups + 1):
        at = np.ones(len(y), bool) if g == n_groups else member == g
        if (y[at] == 1).sum() >= 2 and (y[at] == 0).sum() >= 2 and np.ptp(p[at]) > 0:
            fit = calibration(y[at], p[at], alpha=alpha)
            out[g] = fit["slope"], *fit["slope_ci"]
    return out


def mask_rates(table: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """One audit table as it may be published on its own: the rates, intervals, shares and means that
    would give a suppressed count away blanked, ``n`` NaN where suppressed.

    The suppression is primary (a numerator, denominator or their difference below ``min_cell``) and
    complementary (the group's other counts and the overall row). Tables published together are
    protected together: :func:`.fairness_disclosure.protect_audits`.

    Parameters
    ----------
    table : DataFrame
        :func:`fairness_audit` output of one column (``<rate>_num``, ``<rate>_den``).
    min_cell : int
        Minimum publishable count.
    """
    return protect_audits({"table": table}, min_cell)["table"].table


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
        (no alert among those still receiving), ``observed`` and ``predicted`` (mean), each rate of
        :data:`RATES` with its numerator and denominator (``<rate>_num``, ``<rate>_den``: what
        suppression decides on) and its Wilson interval (``<rate>_lower`` / ``<rate>_upper``, statsmodels
        ``proportion_confint``; rows are independent persons: pass one row per person), the
        ``calibration_slope`` within the group (logistic regression of the outcome on the logit of the
        risk; NaN below 2 outcomes of each kind) with its Wald interval (``calibration_slope_lower`` /
        ``calibration_slope_upper``) and, with ``n_boot``, a person-bootstrap interval of
        ``predicted``.
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
    keys = sensitive[groups[0]] if len(groups) == 1 else pd.MultiIndex.from_frame(sensitive)
    member = table.index[:-1].get_indexer(keys)
    table = table.join(rate_counts(y, p >= threshold, member, table.index))
    for col in RATES:
        low, high = wilson(table[f"{col}_num"], table[f"{col}_den"], alpha)
        table[f"{col}_lower"], table[f"{col}_upper"] = low, high
    slopes = _group_slopes(y, p, member, len(table) - 1, alpha)
    table["calibration_slope"] = slopes[:, 0]
    table["calibration_slope_lower"], table["calibration_slope_upper"] = slopes[:, 1], slopes[:, 2]
    if n_boot:  # the mean predicted risk is no proportion: a bootstrap resampling whole persons
        clusters = pd.factorize(data[cluster])[0] if cluster and cluster in data else np.arange(len(data))
        low, high = _group_bootstrap(
            y, p >= threshold, p, member, len(table) - 1, clusters, n_boot, seed, alpha
        )
        table["predicted_lower"], table["predicted_upper"] = low["predicted"], high["predicted"]
    alerts = data[predicted].to_numpy(float) >= threshold
    counts = sensitive.assign(alert=alerts).groupby(groups, observed=True)["alert"].agg(["size", "sum"])
    counts = counts.reindex(table.index).fillna(0)  # empty intersections count 0
    counts.iloc[-1] = [len(data), int(alerts.sum())]  # the overall row
    table["n"] = counts["size"].astype(int)
    table["share_of_recipients"] = counts["size"] / len(data)
    table["share_of_alerts"] = counts["sum"] / max(int(alerts.sum()), 1)
    first = ["n", "share_of_recipients", "share_of_alerts"]
    return table[first + [c for c in table.columns if c not in first]]


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
