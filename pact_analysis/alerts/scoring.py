"""Score today's recipients with the chronicity model: risks with intervals, alerts, reasons.

:func:`score` fits the deployed model (:func:`pact_analysis.chronicity.fit_deployed_model`), scores
the current recipients with bootstrap intervals (:func:`bootstrap_risk`), selects the alerts
(:func:`select_alerts`), explains them (:func:`top_reasons`: for a logistic model the logit is
``reference + sum_j b_j (x_j - mean_j)`` with the development means as reference, so each term is the
factor's contribution for that person, and the largest positive ones are the reasons) and suggests an
intervention (:func:`interventions`); :func:`threshold_table` says what
the model and the candidate thresholds do on the later cohorts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pact_analysis import chronicity as ch
from pact_analysis.alerts.factors import AVERAGE_PROFILE, FACTORS, check_factors, shown_factors
from pact_analysis.alerts.params import alerts_params
from pact_analysis.workers import beside

#: Group columns the report compares alerts with recipients on.
GROUPS = ("sex", "nationality", "disability")


#: Landmark rows from which half of the bootstrap refits run in a worker (:func:`bootstrap_risk`):
#: 11,190 at 20,000 persons, where the refits take about as long as a worker's start.
APART_FROM_ROWS = 40_000


def bootstrap_risk(
    stack: pd.DataFrame,
    current: pd.DataFrame,
    model: ch.LinearModel,
    params: Mapping[str, Any] | None,
    n_boot: int,
    seed: int = 0,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Percentile interval of each current recipient's risk: refit and recalibrate on resampled persons.

    Persons (all their spells and landmarks) are resampled; the penalty is held at ``model.C``; the
    recalibration is decided on each replicate as for the deployed model. The resamples are drawn
    first, in order, from ``seed``; half of the refits run in a worker process
    (:func:`~pact_analysis.workers.beside`), which changes no risk.

    Returns
    -------
    DataFrame
        Indexed like ``current``: ``risk_lower``, ``risk_upper`` (NaN when ``n_boot`` is 0).
    """
    if not n_boot or current.empty:
        return pd.DataFrame({"risk_lower": np.nan, "risk_upper": np.nan}, index=current.index)
    rng = np.random.default_rng(seed)
    codes, persons = pd.factorize(stack["person_key"])
    resamples = [rng.integers(0, len(persons), len(persons)) for _ in range(int(n_boot))]
    half = len(resamples) // 2
    apart = len(stack) >= APART_FROM_ROWS
    with beside(
        _refit_risks, stack, codes, resamples[:half], current, model.C, params, seed, apart=apart
    ) as first:
        risks = _refit_risks(stack, codes, resamples[half:], current, model.C, params, seed)
        risks = first.result() + risks
    low, high = np.quantile(np.vstack(risks), [alpha / 2, 1 - alpha / 2], axis=0)
    return pd.DataFrame({"risk_lower": low, "risk_upper": high}, index=current.index)


def _refit_risks(
    stack: pd.DataFrame,
    codes: np.ndarray,
    resamples: list[np.ndarray],
    current: pd.DataFrame,
    c: float,
    params: Mapping[str, Any] | None,
    seed: int,
) -> list[np.ndarray]:
    """The current recipients' risks under the deployed model refitted on each resample of persons
    (``codes``: each stack row's person; a resample: the persons drawn, by code), at penalty ``c``.
    A resample whose development rows hold one outcome only is skipped."""
    members = pd.Series(np.arange(len(stack))).groupby(codes).apply(np.asarray).to_list()
    risks = []
    for drawn in resamples:
        sample = stack.iloc[np.concatenate([members[i] for i in drawn])]
        if sample.loc[sample["split"] == "develop", "still"].nunique() < 2:
            continue
        # the same strategy as the deployed model: recalibration decided again on each replicate
        risks.append(ch.fit_deployed_model(sample, params, seed, c=c).risk(current))
    return risks


def reporting_rows(
    stack: pd.DataFrame, model: ch.LinearModel, params: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """The test cohort's rows (used for nothing but reporting) where the model is scored
    (:func:`pact_analysis.chronicity.scored_landmarks`).

    Parameters
    ----------
    stack : DataFrame
        :func:`pact_analysis.chronicity.landmark_stack`.
    model : LinearModel
        The deployed model (its ``validated_landmarks``).
    params : mapping, optional
        Project parameters (the cohort dates of ``chronicity``).
    """
    cohort = ch.cohort_split(stack, params)
    where = ch.scored_landmarks(model.validated_landmarks, params)
    return stack.loc[(cohort == "test") & stack[ch.SPELL_MONTH].isin(where)]


def threshold_table(
    stack: pd.DataFrame,
    model: ch.LinearModel,
    thresholds: Sequence[float],
    params: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """What each candidate threshold would have done on the test cohort (validated landmarks).

    Returns
    -------
    DataFrame
        Indexed by ``threshold``: ``alert_rate`` (share flagged), ``ppv`` (share of the flagged still
        receiving at the horizon) and ``sensitivity`` (share of those still receiving who were flagged).
    """
    val = reporting_rows(stack, model, params)
    risk, still = model.risk(val), val["still"].to_numpy(bool)
    rows = []
    for t in thresholds:
        flag = risk >= t
        rows.append(
            {
                "threshold": float(t),
                "alert_rate": flag.mean() if len(flag) else np.nan,
                "ppv": still[flag].mean() if flag.any() else np.nan,
                "sensitivity": flag[still].mean() if still.any() else np.nan,
            }
        )
    return pd.DataFrame(rows).set_index("threshold")


def select_alerts(
    scores: pd.DataFrame, threshold: float | None, top_k: int | None = None, by: str = "ceas_code"
) -> pd.Series:
    """Which recipients get an alert: risk at or above ``threshold``, at most ``top_k`` per ``by``.

    Parameters
    ----------
    scores : DataFrame
        ``risk``, ``person_key`` and ``by``.
    threshold : float or None
        Minimum risk (``None``: no minimum, pure top-k).
    top_k : int or None
        The most a CEAS can attend (highest risk first, ties by ``person_key``); ``None``: no cap.

    Returns
    -------
    Series of bool
        Indexed like ``scores``.
    """
    chosen = pd.Series(True, index=scores.index) if threshold is None else scores["risk"] >= float(threshold)
    if top_k is not None:
        order = scores.loc[chosen].sort_values(["risk", "person_key"], ascending=[False, True])
        rank = order.groupby(by, dropna=False).cumcount()
        chosen = pd.Series(scores.index.isin(rank.index[rank < int(top_k)]), index=scores.index)
    return chosen


def top_reasons(contrib: pd.DataFrame, frame: pd.DataFrame, model: ch.LinearModel, n: int) -> pd.DataFrame:
    """The ``n`` shown factors with the largest positive contributions per person.

    ``contrib`` holds one column per factor (:meth:`pact_analysis.chronicity.LinearModel.factor_contributions`).

    Returns
    -------
    DataFrame
        Indexed like ``contrib``: per ``i`` in 1..n ``reason_i`` (factor, or
        :data:`AVERAGE_PROFILE` for the first when no factor raises the risk), ``reason_i_direction``
        (``high``/``low``: the person's value against the reference), ``reason_i_modifiable``
        (a lever), ``reason_i_role`` (``lever`` or ``context``), ``reason_i_logit`` (contribution);
        ``lever`` and ``lever_logit`` (:func:`top_lever`: shown even when not among the ``n``).
    """
    shown = shown_factors(contrib.columns)
    values = contrib[shown].to_numpy(float)
    order = np.argsort(-values, axis=1, kind="stable")[:, :n]
    above = frame[shown].to_numpy(float) > model.mean[shown].to_numpy()
    out = pd.DataFrame(index=contrib.index)
    rows = np.arange(len(contrib))
    for i in range(n):
        col, value = order[:, i], values[rows, order[:, i]]
        positive = value > 0
        names = np.where(positive, np.asarray(shown, dtype=object)[col], None)
        if i == 0:
            names = np.where(positive, names, AVERAGE_PROFILE)
        out[f"reason_{i + 1}"] = names
        out[f"reason_{i + 1}_direction"] = np.where(positive, np.where(above[rows, col], "high", "low"), None)
        out[f"reason_{i + 1}_modifiable"] = pd.array(
            [FACTORS[f].modifiable if f in FACTORS else None for f in names], dtype="boolean"
        )
        out[f"reason_{i + 1}_role"] = [FACTORS[f].role if f in FACTORS else None for f in names]
        out[f"reason_{i + 1}_logit"] = np.where(positive, value, np.nan)
    return out.join(top_lever(contrib))


def top_lever(contrib: pd.DataFrame) -> pd.DataFrame:
    """The lever (codebook ``alert_factors`` role ``lever``) that raises each person's risk most.

    Returns
    -------
    DataFrame
        Indexed like ``contrib``: ``lever`` (factor, or None when no lever raises the risk: the alert
        has no actionable reason) and ``lever_logit`` (its contribution).
    """
    levers = [f for f in shown_factors(contrib.columns) if FACTORS[f].modifiable]
    if not levers:
        return pd.DataFrame({"lever": None, "lever_logit": np.nan}, index=contrib.index)
    values = contrib[levers]
    raised = (values > 0).any(axis=1)
    return pd.DataFrame(
        {
            "lever": values.idxmax(axis=1).where(raised),
            "lever_logit": values.max(axis=1).where(raised),
        },
        index=contrib.index,
    )


def interventions(
    contrib: pd.DataFrame, model: ch.LinearModel, rules: Mapping[str, str], default: str
) -> pd.Series:
    """The suggested proactive intervention: the rule for the top modifiable factor that raised the
    risk (by factor name, else by its kind), else ``default``.

    Returns
    -------
    Series
        The intervention code per person (``alerts.interventions`` of params.yaml).
    """
    modifiable = [f for f in shown_factors(contrib.columns) if FACTORS[f].modifiable]
    values = contrib[modifiable]
    raised = (values > 0).any(axis=1)
    top = values.idxmax(axis=1).where(raised) if len(modifiable) else pd.Series(np.nan, index=contrib.index)
    return top.map(
        lambda f: rules.get(f, rules.get(FACTORS[f].kind, default)) if isinstance(f, str) else default
    )


def population_counts(spells: pd.DataFrame, params: Mapping[str, Any] | None) -> dict[str, int]:
    """Heads on the benefit at the extraction date outside the scoring window, by why.

    Parameters
    ----------
    spells : DataFrame
        :func:`pact_analysis.chronicity.build_spells` (``event``: the spell ended; ``duration``:
        months on the spell).
    params : mapping, optional
        Project parameters (``chronicity.landmarks``, ``chronicity.horizon_month``).

    Returns
    -------
    dict
        ``on_benefit`` (open spells at the extraction date), ``before_first_landmark`` (fewer
        months on the spell than the first landmark) and ``past_horizon`` (the horizon or more:
        already chronic). The rest are the heads :func:`pact_analysis.chronicity.current_recipients`
        keeps: scored, or ``not_scored`` between landmarks that are not used.
    """
    cfg = ch.chronicity_params(params)
    first, horizon = min(float(m) for m in cfg["landmarks"]), float(cfg["horizon_month"])
    months = spells.loc[~spells["event"].astype(bool), "duration"].astype(float)
    return {
        "on_benefit": int(len(months)),
        "before_first_landmark": int((months < first).sum()),
        "past_horizon": int((months >= horizon).sum()),
    }


def score(
    processed: str | Path | Mapping[str, pd.DataFrame], params: Mapping[str, Any], n_boot: int | None = None
) -> dict[str, Any]:
    """Fit, validate and score: everything the stage writes, in memory.

    Parameters
    ----------
    processed : path or mapping
        ``data/processed`` or its tables (``ceas`` included).
    params : mapping
        Project parameters.
    n_boot : int, optional
        Bootstrap refits of the risk intervals (default ``alerts.bootstrap``).

    Returns
    -------
    dict
        ``scores`` (every current recipient: risk, interval, alert, reasons, intervention, groups),
        ``model`` (:class:`pact_analysis.chronicity.LinearModel`),
        ``thresholds``, ``stack_sizes``, ``spells``, ``ceas``.
    """
    cfg = alerts_params(params)
    check_factors(params)
    seed = int(params.get("seed", 0))
    n_boot = int(cfg["bootstrap"] if n_boot is None else n_boot)
    tables = ch.load_tables(processed, ch.SCORING_TABLES)
    spells = ch.build_spells(tables, params)
    stack = ch.landmark_stack(spells, tables, params)
    model = ch.fit_deployed_model(stack, params, seed)
    check = ch.deployed_check(stack, model, params)
    threshold = float(model.threshold)
    current = ch.current_recipients(spells, tables, params, stack.attrs["medians"])
    # scored only at a validated landmark, as at that landmark (the model's month and interactions);
    # with none, at landmark_month to show what the model would do (the alerts are then withheld)
    where = ch.scored_landmarks(model.validated_landmarks, params)
    if not check["withheld"]:  # alerts only where the test cohort confirmed the landmark
        where = [float(m) for m in check["confirmed_landmarks"]]
    landmark = ch.scoring_landmark(current[ch.SPELL_MONTH], where, cfg["landmarks"])
    not_scored = int(np.isnan(landmark).sum())
    # every head on the benefit at the extraction: scored, not scored (a month between unvalidated
    # landmarks), before the first landmark, or at the horizon or past it (already chronic)
    on_benefit = population_counts(spells, params)
    current = current.assign(months_on_spell_now=current[ch.SPELL_MONTH], scored_landmark=landmark)
    current = current.loc[~np.isnan(landmark)].assign(**{ch.SPELL_MONTH: lambda d: d["scored_landmark"]})
    current = ch.add_interactions(current, params).reset_index(drop=True)
    current["risk"] = model.risk(current)
    current = current.join(bootstrap_risk(stack, current, model, params, n_boot, seed))
    ceas = tables["ceas"].set_index("ceas_code")
    current["province_code"] = (
        current["ceas_code"].map(ceas["province_code"]).fillna(current["province_code"])
    )
    # alerts are withheld when the deployed model is miscalibrated on the test cohort
    current["alert"] = select_alerts(current, threshold, cfg["top_k"]) & (not check["withheld"])
    contrib = model.factor_contributions(current)
    current = current.join(top_reasons(contrib, current, model, int(cfg["n_reasons"])))
    current["intervention"] = interventions(contrib, model, cfg["interventions"], cfg["default_intervention"])
    candidates = sorted({0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, threshold})
    min_cell = int(params.get("disclosure", {}).get("min_cell", 10))
    thresholds = publishable_rows(
        threshold_table(stack, model, candidates, params).join(current_share(current, candidates)),
        reporting_rows(stack, model, params).pipe(lambda d: (d["still"], model.risk(d))),
        len(current),
        threshold,
        min_cell,
    )
    return {
        "scores": current,
        "model": model,
        "threshold": threshold,
        "deployment": {
            "validated_landmarks": [float(m) for m in model.validated_landmarks],
            "confirmed_landmarks": [float(m) for m in check["confirmed_landmarks"]],
            "max_scored_landmark": None if check["withheld"] else max(check["confirmed_landmarks"]),
            "not_scored": not_scored,
            **on_benefit,
            "test_calibration_slope": check["slope"],
            "test_calibration_intercept": check["intercept"],
            "alerts_withheld": bool(check["withheld"]),
            "recalibrated": bool(model.choice.get("recalibrated", False)),
        },
        "thresholds": thresholds,
        "stack_sizes": stack.groupby("split").agg(
            rows=("still", "size"), still=("still", "sum"), persons=("person_key", "nunique")
        ),
        "spells": spells,
        "ceas": tables["ceas"],
    }


def publishable_rows(
    table: pd.DataFrame, test: tuple[Any, Any], current: int, threshold: float, min_cell: int
) -> pd.DataFrame:
    """Mark which rows of :func:`threshold_table` joined with :func:`current_share` may be published.

    ``published``: the test cohort's columns (alert rate, PPV, sensitivity) follow the one decision
    that report 03's decision curve follows too (:func:`pact_analysis.chronicity.published_thresholds`
    on the test rows' outcome and risk, ``test``), so no small count can be worked out by differencing
    two rows, in this table or across the two reports. ``current_published``: among those rows, the
    same rule on today's heads alerted (of ``current`` scored), going out from ``threshold``.
    """
    still, risk = test
    published = ch.published_thresholds(still, risk, threshold, min_cell)
    out = table.assign(published=table.index.isin(published))
    shown = out.loc[out["published"], ["current_alerts"]]
    heads = ch.publishable_thresholds(shown, {"current_alerts": current}, threshold, min_cell)
    return out.assign(current_published=out.index.isin(heads))


def current_share(current: pd.DataFrame, thresholds: Sequence[float]) -> pd.DataFrame:
    """Today's recipients each candidate threshold would alert: ``current_alerts`` and their share."""
    counts = [int((current["risk"] >= t).sum()) for t in thresholds]
    return pd.DataFrame(
        {"current_alerts": counts, "current_share": np.divide(counts, max(len(current), 1))},
        index=pd.Index([float(t) for t in thresholds], name="threshold"),
    )
