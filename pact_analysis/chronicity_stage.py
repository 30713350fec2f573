"""The ``chronicity`` stage: every estimate of report ``03_chronicity``, computed once.

``python -m pact_analysis chronicity`` builds the RGC spells from ``data/processed``, fits the
survival models, validates the predictive model on the later cohorts, audits its fairness and (on the
synthetic region) checks the estimators against ``data/truth``. It writes

- ``data/interim/chronicity/``: one parquet file per result table and ``values.json`` (scalars); the
  report reads them (:func:`load_results`) instead of refitting once per language. The landmark
  predictions hold pseudonymous keys and are never published;
- ``metrics/chronicity.json``: ``coverage``, ``c_index``, ``oracle_c_index``, ``calibration_slope``
  and the other headline figures (``dvc metrics show``).

The statistics are in :mod:`pact_analysis.chronicity`; this module only orchestrates them.
"""

from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pact_analysis import chronicity as ch
from pact_analysis import codebook
from pact_analysis.config import Paths
from pact_analysis.io import atomic_dir, write_json

log = logging.getLogger(__name__)

#: Months at which the share still receiving (and the cumulative incidences) are reported.
AT_MONTHS = (12, 24, 36)
#: Thresholds of the decision curve.
THRESHOLDS = tuple(np.round(np.arange(0.05, 0.951, 0.05), 2))
#: Groups of the fairness audit: name -> columns (several columns: their intersections).
FAIRNESS_GROUPS = {
    "sex": ["sex"],
    "nationality": ["nationality"],
    "disability": ["disability_status"],
    "province": ["province"],
    "sex_nationality": ["sex", "nationality"],
}
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


def results_dir(paths: Paths) -> Path:
    """Return the folder of the stage's results (``data/interim/chronicity``)."""
    return paths.interim / "chronicity"


def province_names() -> dict[str, str]:
    """Return province code -> name from the codebook."""
    return {p["code"]: p["name"] for p in codebook.load()["provinces"]}


def spells_for_analysis(tables: dict[str, pd.DataFrame], params: dict[str, Any]) -> pd.DataFrame:
    """Head spells with the critical factors at their start and the province's name."""
    spells = ch.exit_dataset(ch.build_spells(tables, params), tables, params)
    return spells.assign(province=spells["province_code"].map(province_names()).fillna("unknown"))


# -- survival -------------------------------------------------------------------------------------


def survival_results(spells: pd.DataFrame, cut: float) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Kaplan-Meier overall and by group, the Cox model of exit with its remedy, and the AFT check."""
    tables: dict[str, pd.DataFrame] = {}
    groups = {"all": None, "province": "province", "household_type": "household_type"}
    if "profile" in spells and spells["profile"].notna().any():
        groups["profile"] = "profile"
    for name, by in groups.items():
        km = ch.kaplan_meier(spells, "duration", "event", by=by, entry="entry", at=AT_MONTHS)
        tables[f"km_{name}"], tables[f"km_curves_{name}"] = km["summary"], km["curves"]
    cox = ch.cox_with_remedy(
        spells, "duration", "event", ch.EXIT_COVARIATES, strata="province", cluster="household_key", cut=cut
    )
    tables["cox_check"], tables["cox"] = cox["check"], cox["table"]
    aft = {
        d: ch.fit_aft(spells, "duration", "event", ch.EXIT_COVARIATES, distribution=d)
        for d in ("weibull", "lognormal")
    }
    best = min(aft, key=lambda d: aft[d]["aic"])
    tables["aft"] = (
        aft[best]["table"].loc[lambda t: t.index.get_level_values(0).isin(["lambda_", "mu_"])].droplevel(0)
    )
    values = {
        "cox_remedied": cox["remedied"],
        "aft_distribution": best,
        "aft_aic": {d: aft[d]["aic"] for d in aft},
    }
    return tables, values


def competing_results(spells: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Aalen-Johansen cumulative incidence per exit cause and the cause-specific Cox models."""
    causes = [c for c in ch.CAUSES if (spells["cause"] == c).any()]
    grid = np.arange(0.0, float(spells["duration"].max()) + 1.0, 1.0)
    cif = ch.cumulative_incidence(spells, "duration", "cause", censored="censored", entry="entry", times=grid)
    cox = ch.cause_specific_cox(
        spells,
        "duration",
        "cause",
        ch.EXIT_COVARIATES,
        causes=causes,
        strata="province",
        cluster="household_key",
    )
    return {"cif": cif, "cause_cox": cox.set_index(["cause", "covariate"])}


def reentry_results(spells: pd.DataFrame, extraction_date: Any) -> dict[str, pd.DataFrame]:
    """Time from an exit back to the RGC by exit cause, and what predicts a return (Cox)."""
    back = ch.reentry_dataset(spells, extraction_date)
    km = ch.kaplan_meier(back, "time_out", "returned", by="exit_cause", at=AT_MONTHS)
    covariates = ["exit_cause", "spell_years", *[c for c in ch.EXIT_COVARIATES if c != "prior_imi"]]
    cox = ch.fit_cox(back, "time_out", "returned", covariates, cluster="household_key")
    return {"reentry_km": km["summary"], "reentry_curves": km["curves"], "reentry_cox": cox}


# -- the predictive model --------------------------------------------------------------------------


def predictive_results(
    paths: Paths, tables: dict[str, pd.DataFrame], params: dict[str, Any], truth: Path | None
) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Temporal validation of every candidate model, calibration, decision curve and specification."""
    cfg = ch.chronicity_params(params)
    result = ch.predictive_validation(tables, params, truth=truth)
    lm, chosen = result["landmark"], cfg["chosen_model"]
    lm["province"] = lm["province_code"].map(province_names()).fillna("unknown")
    val = lm.loc[lm["split"] == "validate"]
    threshold = float(cfg["alert_threshold"])
    out = {"metrics": result["metrics"].set_index(["model", "metric"]), "sizes": result["sizes"]}
    bins = []
    for model in [chosen, *(["oracle"] if "p_oracle" in lm else [])]:
        cal = ch.calibration(val["still"], val[f"p_{model}"])
        bins.append(cal["table"].assign(model=model))
    out["calibration"] = pd.concat(bins, ignore_index=True)
    curve = ch.decision_curve(val["still"], val[f"p_{chosen}"], THRESHOLDS)
    out["decision_curve"] = curve
    if chosen == "logistic":
        out["specification"] = ch.logistic_specification(result["models"]["logistic"])
    keep = [c for c in LANDMARK_COLUMNS if c in lm] + [c for c in lm if c.startswith("p_")]
    out["landmark"] = lm[keep]
    useful = curve.loc[curve["useful"], "threshold"]
    at = curve.iloc[(curve["threshold"] - threshold).abs().argmin()]
    values = {
        **result["summary"],
        "alert_threshold": threshold,
        "alert_rate": float((val[f"p_{chosen}"] >= threshold).mean()),
        "net_benefit": float(at["net_benefit"]),
        "net_benefit_all": float(at["treat_all"]),
        "useful_from": float(useful.min()) if len(useful) else None,
        "useful_to": float(useful.max()) if len(useful) else None,
        "validation_still": float(val["still"].mean()),
        "logistic_C": getattr(result["models"].get("logistic"), "C", None),
    }
    return out, values


def fairness_results(
    landmark: pd.DataFrame, spells: pd.DataFrame, params: dict[str, Any]
) -> dict[str, pd.DataFrame]:
    """The fairness audit of the chosen model on the validation spells, one table per grouping."""
    cfg = ch.chronicity_params(params)
    attrs = spells.drop_duplicates("spell_id").set_index("spell_id")[["sex", "nationality", "disability"]]
    val = landmark.loc[landmark["split"] == "validate"].join(attrs, on="spell_id")
    val["disability_status"] = np.where(val["disability"] > 0, "with_disability", "without_disability")
    seed = int(params.get("seed", 0))
    out = {}
    for name, columns in FAIRNESS_GROUPS.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table = ch.fairness_audit(
                val,
                "still",
                f"p_{cfg['chosen_model']}",
                columns,
                threshold=float(cfg["alert_threshold"]),
                n_boot=int(cfg["bootstrap"]),
                seed=seed,
            )
        out[f"fairness_{name}"] = table
    return out


# -- validation against the truth ------------------------------------------------------------------


def truth_results(truth: Path, params: dict[str, Any]) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """True-covariate and observable-covariate cause-specific Cox against the true log hazard ratios."""
    table = ch.observable_versus_truth(truth, params)
    values = {
        "coverage_this_region": table.attrs["coverage"],
        "coverage_observable": table.attrs["coverage_observable"],
        "observable_slope": table.attrs["attenuation"],
        "coverage_n_intervals_this_region": int(len(table)),
    }
    return {"truth": table}, values


def pooled_coverage(
    root: Path, params: dict[str, Any], this_region: float, n_intervals: int
) -> dict[str, Any]:
    """The coverage pooled over seeds by ``benchmarks/chronicity_coverage.py``, when it matches this run.

    The benchmark is used only when it was run for this region's size and seed; otherwise the
    coverage is this region's alone (one seed), and ``coverage_seeds`` says so.
    """
    bench = Path(root) / "benchmarks" / "chronicity_coverage.json"
    if bench.exists():
        data = json.loads(bench.read_text(encoding="utf-8"))
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


# -- the stage --------------------------------------------------------------------------------------


def analyse(paths: Paths, params: dict[str, Any]) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Compute every result of the report.

    Parameters
    ----------
    paths : Paths
        Project paths (``data/processed``; ``data/truth`` on the synthetic region).
    params : dict
        Project parameters (``seed``, ``data``, ``synthetic``, ``chronicity``).

    Returns
    -------
    (dict, dict)
        Result tables by name, and scalar values (JSON-serialisable).
    """
    cfg = ch.chronicity_params(params)
    synthetic = params.get("data", {}).get("source") == "synthetic" and (paths.truth / "hazard.json").exists()
    truth = paths.truth if synthetic else None
    tables = ch.load_tables(paths.processed)
    spells = spells_for_analysis(tables, params)
    out, values = survival_results(spells, float(cfg["ph_cut_months"]))
    out |= competing_results(spells)
    out |= reentry_results(spells, cfg["extraction_date"])
    predictive, pvalues = predictive_results(paths, tables, params, truth)
    out |= predictive
    out |= fairness_results(predictive["landmark"], spells, params)
    values |= pvalues | {
        "synthetic": synthetic,
        "spells": int(len(spells)),
        "heads": int(spells["person_key"].nunique()),
        "exits": int(spells["event"].sum()),
    }
    if truth is not None:
        tt, tv = truth_results(truth, params)
        out |= tt
        values |= tv
    return out, values


def save_results(folder: Path, tables: dict[str, pd.DataFrame], values: dict[str, Any]) -> None:
    """Write the result tables (parquet) and values (JSON) to ``folder`` atomically."""
    with atomic_dir(folder) as tmp:
        for name, table in tables.items():
            table.to_parquet(tmp / f"{name}.parquet")
        write_json(tmp / "values.json", values)


def load_results(paths: Paths) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Read the stage's results: (tables by name, values)."""
    folder = results_dir(paths)
    tables = {p.stem: pd.read_parquet(p) for p in sorted(folder.glob("*.parquet"))}
    return tables, json.loads((folder / "values.json").read_text(encoding="utf-8"))


def stage_metrics(root: Path, params: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The headline figures for ``metrics/chronicity.json``."""
    keys = (
        "chosen_model", "c_index", "oracle_c_index", "share_of_achievable_gain", "auc", "oracle_auc",
        "calibration_slope", "calibration_in_the_large", "brier", "alert_threshold", "alert_rate",
        "coverage_this_region", "coverage_observable", "spells", "exits",
    )  # fmt: skip
    metrics = {k: values[k] for k in keys if values.get(k) is not None}
    if "coverage_this_region" in values:
        metrics |= pooled_coverage(
            root, params, values["coverage_this_region"], values["coverage_n_intervals_this_region"]
        )
    return metrics


def run(paths: Paths, params: dict[str, Any]) -> None:
    """The ``chronicity`` stage (see the module docstring)."""
    tables, values = analyse(paths, params)
    save_results(results_dir(paths), tables, values)
    metrics = stage_metrics(paths.root, params, values)
    write_json(paths.metrics / "chronicity.json", metrics)
    log.info(
        "chronicity: %d spells; %s C-index %.3f (oracle %s), calibration slope %.2f",
        values["spells"],
        values["chosen_model"],
        values["c_index"],
        f"{values['oracle_c_index']:.3f}" if "oracle_c_index" in values else "n/a",
        values["calibration_slope"],
    )
