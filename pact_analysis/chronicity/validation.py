"""The temporal validation of the chronicity model, with the oracle when the truth is known.

:func:`predictive_validation` fits every candidate model
(:func:`~pact_analysis.chronicity.landmark.fit_predictors`) on the earlier cohorts, evaluates them on
the later ones (:func:`~pact_analysis.chronicity.metrics.evaluate_predictions`) beside the generating
model's probabilities on the synthetic region, and puts the chosen model in its deployed form.

A module of its own because it joins the landmark data, the metrics, the truth and the deployed model.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pact_analysis.chronicity.deployed import _require_logistic, linear_model, raw_logit
from pact_analysis.chronicity.deployment import (
    choose_deployment,
    cohort_split,
    deployed_check,
    deployed_validation,
    per_landmark,
    scored_landmarks,
)
from pact_analysis.chronicity.landmark import (
    OUTCOMES,
    SPELL_MONTH,
    fit_predictors,
    landmark_stack,
    predictors,
)
from pact_analysis.chronicity.metrics import _ValidationMetrics, evaluate_predictions
from pact_analysis.chronicity.params import chronicity_params
from pact_analysis.chronicity.spells import build_spells, load_tables
from pact_analysis.chronicity.truth import _read_truth, oracle_still_receiving, truth_spells


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
    # every model on the same rows: those the oracle scores too (a spell without a match in the truth
    # has no oracle probability; a model must score every row)
    common = val[[f"p_{name}" for name in preds]].notna().all(axis=1)
    val = val.loc[common]
    # the censoring distribution of the time-dependent AUC: development spells on the same clock
    # (months since the validation landmark), not the whole stack, re-read at every replicate
    dev_lm = lm.loc[lm["split"] == "develop"]
    rows = []
    for name in preds:
        table = evaluate_predictions(val, val[f"p_{name}"].to_numpy(), train=dev_lm, n_boot=n_boot, seed=seed)
        rows.append(table.reset_index().assign(model=name))
    metrics = pd.concat(rows, ignore_index=True)[["model", "metric", "estimate", "ci_lower", "ci_upper"]]
    deployed, deployment = _deploy(models[_require_logistic(cfg)], stack, params, n_boot, seed)
    lm["p_deployed"] = deployed.risk(lm)
    lm["cohort"] = cohort_split(lm, params).to_numpy()
    stack["cohort"] = cohort_split(stack, params).to_numpy()
    summary = _summary(metrics, cfg["chosen_model"], "oracle" in preds)
    summary["validation_rows_without_oracle"] = int((~common).sum())
    summary["stack_rows"] = int(len(stack))
    summary["missing_inputs"] = dict(stack.attrs["missing_inputs"])
    summary["rows_with_missing"] = int(stack.attrs["rows_with_missing"])
    summary |= _with_protected(stack, lm, params, seed)
    summary |= deployment["values"]
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
        "per_landmark": deployment["per_landmark"],
        "test_rows": deployment["test_rows"],
    }


def _deploy(
    predictor: Any, stack: pd.DataFrame, params: Mapping[str, Any] | None, n_boot: int, seed: int
) -> tuple[Any, dict[str, Any]]:
    """The deployed model (recalibration, landmarks and threshold chosen on the recalibration cohort)
    and its validation on the test cohort (:mod:`pact_analysis.chronicity.deployment`).

    Returns
    -------
    (LinearModel, dict)
        The model and ``values`` (the figures of :func:`deployed_validation`, ``validated_landmarks``,
        ``max_scored_landmark``, ``deployed_threshold``, ``recalibrated``, ``recalibration_log_loss``,
        ``landmark_slopes_recalibration``, cohort sizes), ``per_landmark`` (test cohort, every
        landmark) and ``test_rows`` (the test cohort's rows at the validated landmarks, with
        ``p_deployed``).
    """
    cohort = cohort_split(stack, params)
    recal = stack.loc[cohort == "recalibrate"]
    choice = choose_deployment(recal, raw_logit(predictor, recal), params, seed)
    model = linear_model(predictor, stack, recalibration=choice["recalibration"])
    model.threshold, model.validated_landmarks = choice["threshold"], tuple(choice["validated_landmarks"])
    model.choice = choice
    test = stack.loc[cohort == "test"].copy()
    test["p_deployed"] = model.risk(test)
    table = per_landmark(test, test["p_deployed"].to_numpy())
    table["validated"] = table["landmark"].isin(choice["validated_landmarks"])
    # reported where the model scores; with no validated landmark (alerts withheld), at landmark_month
    where = scored_landmarks(choice["validated_landmarks"], params)
    scored = test.loc[test[SPELL_MONTH].isin(where)]
    values: dict[str, Any] = {
        "validated_landmarks": [float(m) for m in choice["validated_landmarks"]],
        "reported_landmarks": [float(m) for m in where],
        "deployed_threshold": choice["threshold"],
        "recalibrated": choice["recalibrated"],
        "recalibration_log_loss": [choice["log_loss_raw"], choice["log_loss_recalibrated"]],
        "landmark_slopes_recalibration": {str(k): v for k, v in choice["landmark_slopes"].items()},
        "landmark_slope_ci_recalibration": {str(k): list(v) for k, v in choice["landmark_slope_ci"].items()},
        "landmark_counts_recalibration": {str(k): list(v) for k, v in choice["landmark_counts"].items()},
        "landmark_verdicts": {str(k): v for k, v in choice["landmark_verdicts"].items()},
        "cohort_rows": {k: int(v) for k, v in cohort.value_counts().items()},
        "cohort_persons": {
            k: int(v) for k, v in stack.groupby(cohort.to_numpy())["person_key"].nunique().items()
        },
        # rows with the outcome (still receiving at the horizon), for events per predictor
        "cohort_events": {k: int(v) for k, v in stack.groupby(cohort.to_numpy())["still"].sum().items()},
    }
    if len(scored) and scored["still"].nunique() == 2:
        values |= deployed_validation(
            scored, scored["p_deployed"].to_numpy(), choice["threshold"], n_boot, seed,
            float(chronicity_params(params)["validated_level"]),
        )  # fmt: skip
    values["outcome_sensitivity"] = outcome_sensitivity(scored)
    check = deployed_check(stack, model, params)
    values["alerts_withheld"] = check["withheld"]
    values["landmark_verdicts_test"] = {str(k): v["verdict"] for k, v in check["test_verdicts"].items()}
    values["landmark_slopes_test"] = {str(k): v["slope"] for k, v in check["test_verdicts"].items()}
    values["landmark_slope_ci_test"] = {str(k): v["ci"] for k, v in check["test_verdicts"].items()}
    values["failed_landmarks"] = [float(m) for m in check["failed_landmarks"]]
    values["confirmed_landmarks"] = [float(m) for m in check["confirmed_landmarks"]]
    values["pooled_calibration_ok"] = bool(check["pooled_ok"])
    # alerts are scored only at the confirmed landmarks, and not at all when withheld
    scored_at = [] if check["withheld"] else values["confirmed_landmarks"]
    values["max_scored_landmark"] = max(scored_at) if scored_at else None
    values["validated_slope"] = [float(v) for v in chronicity_params(params)["validated_slope"]]
    return model, {"values": values, "per_landmark": table, "test_rows": scored}


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
    bounds = metrics.set_index(["model", "metric"]).loc[(chosen, "c_index")]
    summary["c_index_ci"] = [float(x) if np.isfinite(x) else None for x in bounds[["ci_lower", "ci_upper"]]]
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


def outcome_sensitivity(rows: pd.DataFrame) -> dict[str, dict[str, float | None]]:
    """The deployed risk judged against every outcome definition on the test cohort (no refit).

    Parameters
    ----------
    rows : DataFrame
        Test-cohort rows with ``p_deployed`` and ``outcome_<name>`` for each name of
        :data:`~pact_analysis.chronicity.landmark.OUTCOMES`.

    Returns
    -------
    dict
        Outcome name -> ``share`` (share positive), ``auc`` and ``calibration_in_the_large``
        (observed minus mean predicted share); ``None`` where not computable.
    """
    from sklearn.metrics import roc_auc_score

    out: dict[str, dict[str, float | None]] = {}
    for name in OUTCOMES:
        col = f"outcome_{name}"
        if col not in rows or not len(rows):
            continue
        y = rows[col].to_numpy(int)
        two = len(np.unique(y)) == 2
        out[name] = {
            "share": float(y.mean()),
            "auc": float(roc_auc_score(y, rows["p_deployed"])) if two else None,
            "calibration_in_the_large": float(y.mean() - rows["p_deployed"].mean()),
        }
    return out
