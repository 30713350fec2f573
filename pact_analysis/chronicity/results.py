"""Every estimate of report ``03_chronicity``, computed once from the processed tables.

:func:`analyse` builds the RGC spells, fits the survival models (Kaplan-Meier, Cox with its checks
and remedy, AFT, competing exits, re-entry), validates the predictive model on the later cohorts,
audits its fairness and (on the synthetic region) checks the estimators against the truth. It returns
result tables and scalar values, which the ``chronicity`` stage (:mod:`pact_analysis.stages.chronicity`)
writes with :func:`save_results` and the reports read with
:func:`~pact_analysis.chronicity.tables.load_results`; :func:`headline_metrics` picks the figures of
``metrics/chronicity.json``.
"""

from __future__ import annotations

import json
import logging
import math
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pact_analysis import codebook
from pact_analysis.chronicity.fairness import FAIRNESS_GROUPS, fairness_audit
from pact_analysis.chronicity.fairness_disclosure import protect_audits
from pact_analysis.chronicity.metrics import (
    calibration,
    decision_curve,
    publishable_thresholds,
    threshold_counts,
)
from pact_analysis.chronicity.params import CAUSES, chronicity_params
from pact_analysis.chronicity.spells import EXIT_COVARIATES, build_spells, exit_dataset, reentry_dataset
from pact_analysis.chronicity.survival import (
    cause_specific_cox,
    cox_with_remedy,
    cumulative_incidence,
    fit_aft,
    fit_cox,
    kaplan_meier,
)
from pact_analysis.chronicity.truth import observable_versus_truth, true_median_months
from pact_analysis.chronicity.validation import predictive_validation
from pact_analysis.io import atomic_dir, write_json
from pact_analysis.workers import beside

log = logging.getLogger(__name__)

#: Months at which the share still receiving (and the cumulative incidences) are reported.
AT_MONTHS = (12, 24, 36)
#: Thresholds of the decision curve.
THRESHOLDS = tuple(np.round(np.arange(0.05, 0.951, 0.05), 2))
#: The deployed model's risk (recalibrated chosen model): what the alerts, the decision curve and
#: the fairness audit use.
DEPLOYED = "p_deployed"
#: Columns of the landmark dataset kept for the alerts and for re-use (pseudonymous, never published).
LANDMARK_COLUMNS = [
    "person_key",
    "household_key",
    "spell_id",
    "ceas_code",
    "province",
    "split",
    "still",
    "time",
    "exited",
]
#: The headline figures of ``metrics/chronicity.json`` (those present); every value, these included,
#: is in ``values.json`` of the stage's results.
HEADLINES = (
    "spells",
    "median_months",
    "median_months_ci",
    "true_median_months",
    "c_index",
    "c_index_ci",
    "share_of_achievable_gain",
    "coverage",
    "deployed_auc",
    "deployed_auc_ci",
    "deployed_calibration_slope",
    "deployed_calibration_slope_ci",
    "deployed_calibration_intercept",
    "deployed_calibration_intercept_ci",
    "sensitivity",
    "sensitivity_ci",
    "ppv",
    "ppv_ci",
    "validated_landmarks",
    "max_scored_landmark",
)


def province_names() -> dict[str, str]:
    """Return province code -> name from the codebook."""
    return {p["code"]: p["name"] for p in codebook.load()["provinces"]}


def spells_for_analysis(tables: dict[str, pd.DataFrame], params: dict[str, Any]) -> pd.DataFrame:
    """Head spells with the critical factors at their start and the province's name.

    Parameters
    ----------
    tables : dict of DataFrame
        The processed tables (:func:`~pact_analysis.chronicity.spells.load_tables`).
    params : dict
        Project parameters.
    """
    episodes = build_spells(tables, params)
    spells = exit_dataset(episodes, tables, params)
    spells = spells.assign(province=spells["province_code"].map(province_names()).fillna("unknown"))
    spells.attrs = dict(episodes.attrs)  # the counts of repaired records (open_superseded_files...)
    return spells


# -- survival -------------------------------------------------------------------------------------


def survival_results(spells: pd.DataFrame, cut: float) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Kaplan-Meier overall and by group, the Cox model of exit with its remedy, and the AFT check.

    Parameters
    ----------
    spells : DataFrame
        :func:`spells_for_analysis`.
    cut : float
        Months at which a covariate failing the proportional-hazards check may change its effect.

    Returns
    -------
    (dict, dict)
        Tables (``km_<grouping>``, ``km_curves_<grouping>``, ``cox_check``, ``cox``, ``aft``) and
        values (``cox_remedied``, ``aft_distribution``, ``aft_aic``, ``median_months``).
    """
    tables: dict[str, pd.DataFrame] = {}
    groups = {"all": None, "province": "province", "household_type": "household_type"}
    if "profile" in spells and spells["profile"].notna().any():
        groups["profile"] = "profile"
    for name, by in groups.items():
        km = kaplan_meier(spells, "duration", "event", by=by, entry="entry", at=AT_MONTHS)
        tables[f"km_{name}"], tables[f"km_curves_{name}"] = km["summary"], km["curves"]
    cox = cox_with_remedy(
        spells,
        "duration",
        "event",
        EXIT_COVARIATES,
        strata="province",
        cluster="household_key",
        cut=cut,
        entry="entry",
    )
    tables["cox_check"], tables["cox"] = cox["check"], cox["table"]
    aft = {
        d: fit_aft(spells, "duration", "event", EXIT_COVARIATES, distribution=d, entry="entry")
        for d in ("weibull", "lognormal")
    }
    best = min(aft, key=lambda d: aft[d]["aic"])
    tables["aft"] = (
        aft[best]["table"].loc[lambda t: t.index.get_level_values(0).isin(["lambda_", "mu_"])].droplevel(0)
    )
    km_all = tables["km_all"].iloc[0]
    median = float(km_all["median"])
    naive = kaplan_meier(spells, "duration", "event")["summary"].iloc[0]
    values = {
        "median_months_ci": None
        if math.isnan(median)
        else [float(km_all["median_lower"]), float(km_all["median_upper"])],
        # the same curve ignoring the delayed entry of left-truncated spells (length-biased)
        "median_months_no_entry": None if math.isnan(float(naive["median"])) else float(naive["median"]),
        "left_truncated_spells": int((spells["entry"] > 0).sum()),
        "merged_files": int((spells["n_files"] - 1).sum()) if "n_files" in spells else 0,
        "cox_remedied": cox["remedied"],
        "aft_distribution": best,
        "aft_aic": {d: aft[d]["aic"] for d in aft},
        "median_months": None if math.isnan(median) else median,
    }
    return tables, values


def competing_results(spells: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Aalen-Johansen cumulative incidence per exit cause and the cause-specific Cox models."""
    causes = [c for c in CAUSES if (spells["cause"] == c).any()]
    grid = np.arange(0.0, float(spells["duration"].max()) + 1.0, 1.0)
    cif = cumulative_incidence(spells, "duration", "cause", censored="censored", entry="entry", times=grid)
    cox = cause_specific_cox(
        spells,
        "duration",
        "cause",
        EXIT_COVARIATES,
        causes=causes,
        strata="province",
        cluster="household_key",
        entry="entry",
    )
    return {"cif": cif, "cause_cox": cox.set_index(["cause", "covariate"])}


def reentry_results(spells: pd.DataFrame, extraction_date: Any) -> dict[str, pd.DataFrame]:
    """Time from an exit back to the RGC by exit cause, and what predicts a return (Cox)."""
    back = reentry_dataset(spells, extraction_date)
    # returns are followed after the recorded routes; the other exits are one row of the report's
    # table, not followed (an unknown route can be a missing end date, not a time off the benefit)
    recorded = back.loc[back["exit_cause"].isin(CAUSES)]
    km = kaplan_meier(recorded, "time_out", "returned", by="exit_cause", at=AT_MONTHS)
    # exits to care or a move leave the RGC's reach: the model compares exits to a job and sanctions
    back = back.loc[back["exit_cause"].isin(["JOB_INCOME", "NON_COMPLIANCE"])]
    back = back.assign(exit_non_compliance=(back["exit_cause"] == "NON_COMPLIANCE").astype(float))
    covariates = ["exit_non_compliance", "spell_years", *[c for c in EXIT_COVARIATES if c != "prior_imi"]]
    cox = fit_cox(back, "time_out", "returned", covariates, cluster="household_key")
    return {"reentry_km": km["summary"], "reentry_curves": km["curves"], "reentry_cox": cox}


# -- the predictive model --------------------------------------------------------------------------


def predictive_results(
    tables: dict[str, pd.DataFrame], params: dict[str, Any], truth: Path | None
) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Temporal validation of every candidate model, calibration, decision curve and the deployed
    model's specification (the one the alerts use).

    Parameters
    ----------
    tables : dict of DataFrame
        The processed tables.
    params : dict
        Project parameters.
    truth : Path, optional
        ``data/truth`` on the synthetic region (adds the oracle), else ``None``.
    """
    cfg = chronicity_params(params)
    result = predictive_validation(tables, params, truth=truth)
    lm, chosen = result["landmark"], cfg["chosen_model"]
    lm["province"] = lm["province_code"].map(province_names()).fillna("unknown")
    val = lm.loc[lm["split"] == "validate"]
    if "p_oracle" in lm:  # every model judged on the rows the oracle scores too (as in the metrics)
        val = val.loc[val["p_oracle"].notna()]
    # the deployed model is judged on the test cohort (rows at the validated landmarks) only
    test = result["test_rows"].assign(
        province=lambda d: d["province_code"].map(province_names()).fillna("unknown")
    )
    threshold = float(result["summary"]["deployed_threshold"])
    out = {
        "metrics": result["metrics"].set_index(["model", "metric"]),
        "sizes": result["sizes"],
        "per_landmark": result["per_landmark"],
    }
    bins = []
    for model in [chosen, *(["oracle"] if "p_oracle" in lm else [])]:
        cal = calibration(val["still"], val[f"p_{model}"])  # every row scored: else an error
        bins.append(cal["table"].assign(model=model))
    bins.append(calibration(test["still"], test[DEPLOYED])["table"].assign(model="deployed"))
    out["calibration"] = pd.concat(bins, ignore_index=True)
    min_cell = int(params.get("disclosure", {}).get("min_cell", 10))
    grid = threshold_grid(threshold)  # the deployed threshold is a row: its figures are in the text
    curve = decision_curve(
        test["still"], test[DEPLOYED], grid, test["person_key"], int(cfg["bootstrap"]),
        int(params.get("seed", 0)), min_flagged=min_cell,
    )  # fmt: skip
    # one suppression decision for every table of thresholds on these rows (here and report 04)
    published = published_thresholds(test["still"], test[DEPLOYED], threshold, min_cell)
    curve["published"] = curve["threshold"].isin(published)
    out["decision_curve"] = curve
    out["specification"] = result["deployed"].table()
    keep = [c for c in LANDMARK_COLUMNS if c in lm] + [c for c in lm if c.startswith("p_")]
    out["landmark"] = lm[keep]
    test_keep = [c for c in [*LANDMARK_COLUMNS, "cohort", "months_on_spell"] if c in test] + [DEPLOYED]
    out["test_landmark"] = test[test_keep]
    at = curve.loc[curve["threshold"] == threshold].iloc[0]  # alerting everyone at the same threshold
    flagged = test[DEPLOYED] >= threshold
    values = {
        **result["summary"],
        "alert_threshold": threshold,
        "alert_rate": float(flagged.mean()) if len(test) else None,
        "alert_ppv": float(test.loc[flagged, "still"].mean()) if flagged.any() else None,
        "net_benefit_all": float(at["treat_all"]),
        "useful_ranges": useful_ranges(curve),
        "established_ranges": useful_ranges(curve, "established") if "established" in curve else [],
        "published_thresholds": published,
        "validation_still": float(val["still"].mean()),
        "outcome": str(cfg["outcome"]),
        "test_still": float(test["still"].mean()) if len(test) else None,
        "logistic_C": result["deployed"].C,
        "recalibration": list(result["deployed"].recalibration),
        "landmarks": [float(m) for m in cfg["landmarks"]],
        "excluded_predictors": list(cfg["exclude_predictors"]),
        "predictors": len(result["deployed"].features),
        "bootstrap": int(cfg["bootstrap"]),
    }
    return out, values


def threshold_grid(threshold: float) -> list[float]:
    """The thresholds of the decision curve: :data:`THRESHOLDS` and the deployed ``threshold``."""
    return sorted({float(t) for t in THRESHOLDS} | {float(threshold)})


def published_thresholds(
    observed: pd.Series, risk: pd.Series, threshold: float, min_cell: int
) -> list[float]:
    """The thresholds of :func:`threshold_grid` whose row of a threshold table may be published for
    the test cohort's rows (``observed`` outcome, deployed ``risk``): the one decision of
    :func:`~pact_analysis.chronicity.metrics.publishable_thresholds` that the decision curve (report
    03) and the alerts' threshold table (report 04) both follow."""
    counts = threshold_counts(observed, risk, threshold_grid(threshold))
    y = np.asarray(observed, dtype=bool)
    totals = {"flagged_with": int(y.sum()), "flagged_without": int((~y).sum())}
    return publishable_thresholds(counts, totals, threshold, min_cell)


def useful_ranges(curve: pd.DataFrame, column: str = "useful") -> list[list[float]]:
    """The contiguous runs of thresholds at which the model is useful on the decision curve.

    Parameters
    ----------
    curve : DataFrame
        :func:`~pact_analysis.chronicity.metrics.decision_curve` (``threshold``, ``useful``).
    column : str
        ``useful`` (by the point estimates) or ``established`` (the gain's interval above 0).

    Returns
    -------
    list of [float, float]
        ``[first, last]`` threshold of each run of consecutive useful thresholds (a broken range is
        several runs, never joined).
    """
    runs: list[list[float]] = []
    previous = False
    # a threshold whose row is not published (small counts) says nothing: it breaks a run
    shown = curve["published"] if "published" in curve else pd.Series(True, index=curve.index)
    for t, ok in zip(curve["threshold"], curve[column] & shown, strict=True):
        if ok and previous:
            runs[-1][1] = float(t)
        elif ok:
            runs.append([float(t), float(t)])
        previous = bool(ok)
    return runs


def fairness_results(
    landmark: pd.DataFrame, spells: pd.DataFrame, params: dict[str, Any], threshold: float
) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """The fairness audit of the deployed model, protected for publication once.

    One table per grouping of :data:`~pact_analysis.chronicity.fairness.FAIRNESS_GROUPS`, on
    ``landmark`` (the test cohort's rows at the validated landmarks) at ``threshold`` (the deployed
    model's, set by ``chronicity.alert_share``); the tables are protected together
    (:func:`~pact_analysis.chronicity.fairness_disclosure.protect_audits`, ``disclosure.min_cell``)
    so every report reads one suppression decision.

    Returns
    -------
    (dict, dict)
        Tables ``fairness_<grouping>`` (the protected audit without its counts behind the rates:
        ``n`` NaN where suppressed, blanked values NaN) and ``fairness_<grouping>_blanked`` (where
        values were blanked); values ``fairness_suppressed``: per grouping, the primary, secondary
        and derived cells.
    """
    cfg = chronicity_params(params)
    min_cell = int(params.get("disclosure", {}).get("min_cell", 10))
    threshold = float(threshold)
    attrs = spells.drop_duplicates("spell_id").set_index("spell_id")[["sex", "nationality", "disability"]]
    # one row per person (the earliest landmark at which the model scored them): the rates are
    # proportions of independent persons, with Wilson intervals
    order = [c for c in ("person_key", "months_on_spell") if c in landmark]
    val = landmark.sort_values(order, kind="stable").drop_duplicates("person_key").join(attrs, on="spell_id")
    val["disability_status"] = np.where(val["disability"] > 0, "with_disability", "without_disability")
    seed = int(params.get("seed", 0))
    audits = {}
    for name, columns in FAIRNESS_GROUPS.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            audits[name] = fairness_audit(
                val, "still", DEPLOYED, columns, threshold=threshold, n_boot=int(cfg["bootstrap"]), seed=seed
            )
    out, counts = {}, {}
    for name, audit in protect_audits(audits, min_cell).items():
        behind = [c for c in audit.table if c.endswith(("_num", "_den"))]  # the counts behind the rates
        out[f"fairness_{name}"] = audit.table.drop(columns=behind)
        out[f"fairness_{name}_blanked"] = audit.blanked
        counts[name] = {"primary": audit.primary, "secondary": audit.secondary, "derived": audit.derived}
    return out, {"fairness_suppressed": counts}


# -- validation against the truth ------------------------------------------------------------------


def truth_results(truth: Path, params: dict[str, Any]) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """True-covariate and observable-covariate cause-specific Cox against the true log hazard ratios."""
    table = observable_versus_truth(truth, params)
    values = {
        "coverage_this_region": table.attrs["coverage"],
        "coverage_observable": table.attrs["coverage_observable"],
        "observable_slope": table.attrs["attenuation"],
        "coverage_n_intervals_this_region": int(len(table)),
        "true_median_months": true_median_months(truth),
    }
    return {"truth": table}, values


def pooled_coverage(
    bench: Path | None, params: dict[str, Any], this_region: float, n_intervals: int
) -> dict[str, Any]:
    """The coverage pooled over seeds by ``benchmarks/chronicity_coverage.py``, when it matches this run.

    The benchmark is used only when it was run for this region's size and seed; otherwise the
    coverage is this region's alone (one seed), and ``coverage_seeds`` says so.

    Parameters
    ----------
    bench : Path or None
        The benchmark's JSON (``benchmarks/chronicity_coverage.json``), which may not exist.
    params : dict
        Project parameters (``seed``, ``synthetic.n_persons``).
    this_region : float
        This region's coverage.
    n_intervals : int
        This region's number of intervals.

    Returns
    -------
    dict
        ``coverage``, ``coverage_seeds``, ``coverage_n_intervals``.
    """
    if bench is not None and Path(bench).is_file():
        data = json.loads(Path(bench).read_text(encoding="utf-8"))
        same = data.get("n_persons") == params.get("synthetic", {}).get("n_persons") and (
            data.get("seeds") or [None]
        )[0] == params.get("seed")
        if same:
            return {
                "coverage": data["coverage"],
                "coverage_seeds": len(data["seeds"]),
                "coverage_n_intervals": data["coverage_n_intervals"],
            }
    return {"coverage": this_region, "coverage_seeds": 1, "coverage_n_intervals": n_intervals}


# -- everything ------------------------------------------------------------------------------------

#: RGC spell records from which the predictive model is fitted in a worker, beside the survival
#: models (:func:`analyse`): 4,465 at 20,000 persons, where it saves a few seconds; on the small test
#: regions a worker's start would cost more than it saves.
APART_FROM_SPELLS = 4_000


def analyse(
    tables: dict[str, pd.DataFrame],
    params: dict[str, Any],
    truth: Path | None = None,
    bench: Path | None = None,
) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Compute every result of the report.

    Parameters
    ----------
    tables : dict of DataFrame
        The processed tables (:func:`~pact_analysis.chronicity.spells.load_tables`).
    params : dict
        Project parameters (``seed``, ``data``, ``synthetic``, ``chronicity``).
    truth : Path, optional
        ``data/truth`` on the synthetic region (oracle and validation against the truth); ``None`` on
        real extracts.
    bench : Path, optional
        ``benchmarks/chronicity_coverage.json`` (the coverage pooled over seeds, :func:`pooled_coverage`).

    Returns
    -------
    (dict, dict)
        Result tables by name, and scalar values (JSON-serialisable).
    """
    cfg = chronicity_params(params)
    began = time.perf_counter()

    def progress(step: str) -> None:
        log.info("chronicity: %s (%.0f s since the start)", step, time.perf_counter() - began)

    # the predictive model (the longest part) needs none of the survival models: it runs beside them
    apart = len(tables["rgc_spells"]) >= APART_FROM_SPELLS
    with beside(predictive_results, tables, params, truth, apart=apart) as pending:
        spells = spells_for_analysis(tables, params)
        progress(f"{len(spells)} spells built")
        out, values = survival_results(spells, float(cfg["ph_cut_months"]))
        progress("Kaplan-Meier, Cox with its checks and AFT fitted")
        out |= competing_results(spells)
        progress("competing exits fitted")
        out |= reentry_results(spells, cfg["extraction_date"])
        progress("re-entry fitted")
        if truth is not None:
            truth_tables, truth_values = truth_results(truth, params)
            progress("validated against the truth")
        predictive, pvalues = pending.result()
    out |= predictive
    progress("predictive models fitted and validated")
    fairness, fvalues = fairness_results(
        predictive["test_landmark"], spells, params, pvalues["alert_threshold"]
    )
    out |= fairness
    values |= fvalues
    progress("fairness audited and protected for publication")
    values |= pvalues | {
        "synthetic": truth is not None,
        "spells": int(len(spells)),
        "heads": int(spells["person_key"].nunique()),
        "exits": int(spells["event"].sum()),
        "open_superseded_files": int(spells.attrs.get("open_superseded_files", 0)),
        "conflicting_exits": int(spells.attrs.get("conflicting_exits", 0)),
    }
    if truth is not None:
        out |= truth_tables
        values |= truth_values
        values |= pooled_coverage(
            bench,
            params,
            truth_values["coverage_this_region"],
            truth_values["coverage_n_intervals_this_region"],
        )
    return out, values


def headline_metrics(values: dict[str, Any]) -> dict[str, Any]:
    """The figures of ``metrics/chronicity.json``: those of :data:`HEADLINES` that were computed.

    Parameters
    ----------
    values : dict
        The values of :func:`analyse`.
    """
    return {k: values[k] for k in HEADLINES if values.get(k) is not None}


def save_results(folder: Path, tables: dict[str, pd.DataFrame], values: dict[str, Any]) -> None:
    """Write the result tables (parquet) and values (``values.json``) to ``folder`` atomically.

    Parameters
    ----------
    folder : Path
        The stage's results folder (``Paths.chronicity``).
    tables : dict of DataFrame
        Result tables by name.
    values : dict
        Scalar values (JSON-serialisable).
    """
    with atomic_dir(folder) as tmp:
        for name, table in tables.items():
            table.to_parquet(tmp / f"{name}.parquet")
        write_json(tmp / "values.json", values)
