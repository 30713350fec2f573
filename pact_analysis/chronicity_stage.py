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
import time
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
    # exits to care or a move leave the RGC's reach: the model compares exits to a job and sanctions
    back = back.loc[back["exit_cause"].isin(["JOB_INCOME", "NON_COMPLIANCE"])]
    back = back.assign(exit_non_compliance=(back["exit_cause"] == "NON_COMPLIANCE").astype(float))
    covariates = ["exit_non_compliance", "spell_years", *[c for c in ch.EXIT_COVARIATES if c != "prior_imi"]]
    cox = ch.fit_cox(back, "time_out", "returned", covariates, cluster="household_key")
    return {"reentry_km": km["summary"], "reentry_curves": km["curves"], "reentry_cox": cox}


# -- the predictive model --------------------------------------------------------------------------


def predictive_results(
    paths: Paths, tables: dict[str, pd.DataFrame], params: dict[str, Any], truth: Path | None
) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Temporal validation of every candidate model, calibration, decision curve and the deployed
    model's specification (the one the alerts use)."""
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
    curve = ch.decision_curve(val["still"], val[DEPLOYED], THRESHOLDS)
    out["decision_curve"] = curve
    out["specification"] = result["deployed"].table()
    keep = [c for c in LANDMARK_COLUMNS if c in lm] + [c for c in lm if c.startswith("p_")]
    out["landmark"] = lm[keep]
    useful = curve.loc[curve["useful"], "threshold"]
    at = curve.iloc[(curve["threshold"] - threshold).abs().argmin()]
    flagged = val[DEPLOYED] >= threshold
    values = {
        **result["summary"],
        "alert_threshold": threshold,
        "alert_rate": float(flagged.mean()),
        "alert_ppv": float(val.loc[flagged, "still"].mean()) if flagged.any() else None,
        "net_benefit": float(at["net_benefit"]),
        "net_benefit_all": float(at["treat_all"]),
        "useful_from": float(useful.min()) if len(useful) else None,
        "useful_to": float(useful.max()) if len(useful) else None,
        "validation_still": float(val["still"].mean()),
        "logistic_C": result["deployed"].C,
        "recalibration": list(result["deployed"].recalibration),
        "landmarks": [float(m) for m in cfg["landmarks"]],
        "excluded_predictors": list(cfg["exclude_predictors"]),
        "predictors": len(result["deployed"].features),
        "bootstrap": int(cfg["bootstrap"]),
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
                DEPLOYED,
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
    began = time.perf_counter()

    def progress(step: str) -> None:
        log.info("chronicity: %s (%.0f s since the start)", step, time.perf_counter() - began)

    tables = ch.load_tables(paths.processed)
    spells = spells_for_analysis(tables, params)
    progress(f"{len(spells)} spells built")
    out, values = survival_results(spells, float(cfg["ph_cut_months"]))
    progress("Kaplan-Meier, Cox with its checks and AFT fitted")
    out |= competing_results(spells)
    progress("competing exits fitted")
    out |= reentry_results(spells, cfg["extraction_date"])
    progress("re-entry fitted")
    predictive, pvalues = predictive_results(paths, tables, params, truth)
    out |= predictive
    progress("predictive models fitted and validated")
    out |= fairness_results(predictive["landmark"], spells, params)
    progress("fairness audited")
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
    tables = {p.stem: _python_bools(pd.read_parquet(p)) for p in sorted(folder.glob("*.parquet"))}
    return tables, json.loads((folder / "values.json").read_text(encoding="utf-8"))


def _python_bools(table: pd.DataFrame) -> pd.DataFrame:
    """Hold yes/no columns as Python booleans (and None), which the report's tables show as words."""
    flags = [c for c in table.columns if pd.api.types.is_bool_dtype(table[c])]
    for c in flags:
        table[c] = pd.Series(
            [None if pd.isna(x) else bool(x) for x in table[c]], index=table.index, dtype=object
        )
    return table


def stage_metrics(root: Path, params: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The headline figures for ``metrics/chronicity.json``."""
    keys = (
        "chosen_model", "c_index", "oracle_c_index", "share_of_achievable_gain", "auc", "oracle_auc",
        "calibration_slope", "calibration_in_the_large", "brier", "c_index_with_protected",
        "auc_with_protected", "alert_threshold", "alert_rate", "alert_ppv",
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
    metrics = stage_metrics(paths.root, params, values)
    values |= {k: metrics[k] for k in ("coverage", "coverage_seeds", "coverage_n_intervals") if k in metrics}
    save_results(results_dir(paths), tables, values)
    write_json(paths.metrics / "chronicity.json", metrics)
    log.info(
        "chronicity: %d spells; %s C-index %.3f (oracle %s), calibration slope %.2f",
        values["spells"],
        values["chosen_model"],
        values["c_index"],
        f"{values['oracle_c_index']:.3f}" if "oracle_c_index" in values else "n/a",
        values["calibration_slope"],
    )


# -- tables of the report ---------------------------------------------------------------------------


def km_summary(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Kaplan-Meier summaries of every grouping in one table indexed by (grouping, group)."""
    names = [n for n in ("all", "province", "household_type", "profile") if f"km_{n}" in tables]
    parts = [tables[f"km_{n}"].assign(grouping=n) for n in names]
    cols = ["n", "events", "median", "median_lower", "median_upper", *[f"still_{t}" for t in AT_MONTHS]]
    return pd.concat(parts).set_index(["grouping", "group"])[cols]


def ratio_table(table: pd.DataFrame) -> pd.DataFrame:
    """Coefficient table (``coef``, ``ci_lower``, ``ci_upper``, ``p``) as ratios: ``hr``, ``hr_lower``, ``hr_upper``, ``p``."""
    return pd.DataFrame(
        {
            "hr": np.exp(table["coef"]),
            "hr_lower": np.exp(table["ci_lower"]),
            "hr_upper": np.exp(table["ci_upper"]),
            "p": table["p"],
        },
        index=table.index,
    )


def forest_frame(table: pd.DataFrame, series: str | None = None) -> pd.DataFrame:
    """A coefficient table as the input of :func:`.chronicity_figures.plot_forest`.

    Terms of a (covariate, period) index are ``covariate`` or ``covariate@period``; ``series`` names
    an index level drawn as separate series (e.g. ``cause``).
    """
    flat = table.reset_index()
    if "period" in flat:
        flat["term"] = np.where(
            flat["period"] == "all", flat["covariate"], flat["covariate"] + "@" + flat["period"]
        )
    else:
        flat["term"] = flat["covariate"]
    out = pd.DataFrame(
        {
            "term": flat["term"],
            "ratio": np.exp(flat["coef"]),
            "lower": np.exp(flat["ci_lower"]),
            "upper": np.exp(flat["ci_upper"]),
        }
    )
    if series:
        out["series"] = flat[series]
    return out


def cif_at(cif: pd.DataFrame, at: tuple[int, ...] = AT_MONTHS) -> pd.DataFrame:
    """Cumulative incidence of each exit cause at the months ``at``, indexed by (cause, month)."""
    picked = cif.loc[cif["time"].isin([float(t) for t in at])].assign(month=lambda d: d["time"].astype(int))
    return picked.set_index(["cause", "month"])[["cif", "ci_lower", "ci_upper"]]


def aft_beside_cox(aft: pd.DataFrame, cox: pd.DataFrame) -> pd.DataFrame:
    """Time ratios of the AFT model beside the Cox hazard ratios; ``agree``: opposite directions.

    A hazard ratio below 1 (slower exit) should come with a time ratio above 1 (longer on the
    benefit); for a covariate with a time interaction the early-period hazard ratio is compared.
    """
    hr = cox["coef"].groupby(level="covariate").first()
    terms = [c for c in aft.index if c in hr.index]
    out = pd.DataFrame(
        {
            "hr": np.exp(hr.reindex(terms)),
            "time_ratio": np.exp(aft.loc[terms, "coef"]),
            "tr_lower": np.exp(aft.loc[terms, "ci_lower"]),
            "tr_upper": np.exp(aft.loc[terms, "ci_upper"]),
        }
    )
    out["agree"] = np.sign(np.log(out["hr"])) == -np.sign(np.log(out["time_ratio"]))
    return out.rename_axis("covariate")


def with_intervals(
    table: pd.DataFrame, columns: list[str], fmt: Any, lower: str = "_lower", upper: str = "_upper"
) -> pd.DataFrame:
    """Replace ``<c>``, ``<c>_lower``, ``<c>_upper`` by one text cell ``est (low–high)`` per column.

    Parameters
    ----------
    table : DataFrame
        The table.
    columns : list of str
        Estimate columns with interval columns beside them.
    fmt : callable
        Number formatter (language-aware), e.g. a percentage.
    lower, upper : str
        Suffixes of the interval columns.
    """
    out = table.copy()
    for c in columns:
        est, lo, hi = out[c], out[f"{c}{lower}"], out[f"{c}{upper}"]
        text = [
            "–" if pd.isna(e) else f"{fmt(e)} ({fmt(a)}–{fmt(b)})" if pd.notna(a) and pd.notna(b) else fmt(e)
            for e, a, b in zip(est, lo, hi, strict=True)
        ]
        out[c] = pd.Series(text, index=out.index, dtype=object)
        out = out.drop(columns=[f"{c}{lower}", f"{c}{upper}"])
    return out


def metrics_wide(metrics: pd.DataFrame, fmt: Any) -> pd.DataFrame:
    """Validation metrics (model, metric) as one row per model with ``est (low–high)`` cells."""
    wide = metrics.unstack("metric")
    wide.columns = [f"{m}{'' if s == 'estimate' else s.removeprefix('ci')}" for s, m in wide.columns]
    names = list(dict.fromkeys(m for _, m in metrics.index))
    return with_intervals(wide, names, fmt)[names]


def fairness_table(table: pd.DataFrame, min_cell: int, fmt: Any) -> pd.DataFrame:
    """The fairness audit as published: small groups' rates blanked, error rates with intervals.

    A group's share of the alerts is also blanked when it holds fewer than ``min_cell`` alerts (but
    some): with the total it would give the count away.
    """
    rates = ["false_positive_rate", "false_negative_rate"]
    masked = ch.mask_small_groups(table.loc[table["n"] > 0], "n", min_cell)  # empty intersections dropped
    alerts = (table["share_of_alerts"] * table["n"].iloc[-1] * table["alert_rate"].iloc[-1]).round()
    few = (alerts > 0) & (alerts < min_cell)
    masked.loc[few.reindex(masked.index, fill_value=False), "share_of_alerts"] = np.nan
    shown = masked[
        [
            "n",
            "share_of_recipients",
            "share_of_alerts",
            *rates,
            *[f"{r}_{s}" for r in rates for s in ("lower", "upper")],
            "observed",
            "predicted",
        ]
    ]
    return with_intervals(shown, rates, fmt)


def gap_values(table: pd.DataFrame, min_cell: int, label: Any, fmt: Any) -> dict[str, Any] | None:
    """The groups with the highest and lowest error rates, for a sentence stating the gaps.

    Parameters
    ----------
    table : DataFrame
        :func:`.chronicity.fairness_audit` output (``overall`` last).
    min_cell : int
        Groups smaller than this are left out.
    label : callable
        Display text of a group value (intersections are joined with " × ").
    fmt : callable
        Formatter of a rate (e.g. ``Report.pct``).

    Returns
    -------
    dict or None
        ``fpr_high``, ``fpr_high_value``, ``fpr_low``, ``fpr_low_value`` and the same for ``fnr``;
        ``None`` when fewer than two groups are large enough.
    """
    rows = table.iloc[:-1]
    rows = rows.loc[rows["n"] >= min_cell]
    out: dict[str, Any] = {}
    for short, metric in (("fpr", "false_positive_rate"), ("fnr", "false_negative_rate")):
        values = rows[metric].dropna()
        if len(values) < 2:
            return None
        for end, key in (("high", values.idxmax()), ("low", values.idxmin())):
            out[f"{short}_{end}"] = " × ".join(
                label(str(k)) for k in (key if isinstance(key, tuple) else (key,))
            )
            out[f"{short}_{end}_value"] = fmt(float(values[key]))
    return out


def predictor_label(name: str, lang: str) -> str:
    """Display text of a predictor of the deployed model (catalogue ``chronicity.value.*``), for the
    specification tables of both reports."""
    from pact_analysis.report import i18n

    if name == ch.REFERENCE_ROW:
        return i18n.t("chronicity.value.reference", lang)
    factor = ch.factor_of(name)
    text = i18n.t(f"chronicity.value.{factor}", lang)
    return text if name == factor else i18n.t("chronicity.value.by_year_on_spell", lang, feature=text)
