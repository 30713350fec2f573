"""Chronicity on minimum income (RGC): spells, survival models, validation and the predictive model.

The statistics behind report ``03_chronicity`` (issue 10) and the model of the alerts, one module per
job:

- :mod:`~pact_analysis.chronicity.params`: the ``chronicity`` parameters (:func:`chronicity_params`)
  and the exit causes;
- :mod:`~pact_analysis.chronicity.survival`: the generic survival API on plain DataFrames and column
  names (:func:`fit_cox`, :func:`cause_specific_cox`, :func:`cumulative_incidence`, :func:`fit_aft`,
  :func:`kaplan_meier`, :func:`schoenfeld_check`, :func:`cox_with_remedy`), so the same code runs on
  public benchmark data (``lifelines.datasets.load_rossi``);
- :mod:`~pact_analysis.chronicity.metrics`: :func:`concordance`, :func:`calibration`,
  :func:`decision_curve`, :func:`threshold_counts` and :func:`publishable_thresholds` (the rows of
  a threshold table that may be published), :func:`evaluate_predictions` (with bootstrap intervals by weights);
- :mod:`~pact_analysis.chronicity.spells`: RGC spells from the processed tables
  (:func:`build_spells`, :func:`history_features`, :func:`exit_dataset`, :func:`reentry_dataset`);
- :mod:`~pact_analysis.chronicity.truth`: validation against the truth of the synthetic region and the
  oracle;
- :mod:`~pact_analysis.chronicity.landmark`: the predictive model's landmark data, predictors and
  candidates; :mod:`~pact_analysis.chronicity.validation`: their temporal validation
  (:func:`predictive_validation`);
- :mod:`~pact_analysis.chronicity.deployed`: the deployed model (:class:`LinearModel`) that the
  alerts use; :mod:`~pact_analysis.chronicity.deployment`: recalibration, validated landmarks and
  threshold decided on the recalibration cohort, and the deployed model's validation on the test
  cohort (:func:`choose_deployment`, :func:`deployed_validation`, :func:`deployed_check`);
- :mod:`~pact_analysis.chronicity.fairness`: the fairness audit and disclosure control of its rates,
  its tables protected together by :mod:`~pact_analysis.chronicity.fairness_disclosure`;
- :mod:`~pact_analysis.chronicity.results`: every result of the report, computed once by the stage
  (:mod:`pact_analysis.stages.chronicity`); :mod:`~pact_analysis.chronicity.tables`: read back and
  shaped for publication; :mod:`~pact_analysis.chronicity.figures`: the report's figures (import it
  explicitly: it loads matplotlib).

Every public name of these modules is importable from ``pact_analysis.chronicity`` (the import path
of the former single module). Durations are in months of
:data:`~pact_analysis.timeline.DAYS_PER_MONTH` days since the spell started (the clock of the true
model).
"""

from pact_analysis.chronicity.deployed import (
    REFERENCE_ROW,
    LinearModel,
    current_recipients,
    fit_deployed_model,
    linear_model,
    recalibrate,
)
from pact_analysis.chronicity.deployment import (
    DEPLOYED_METRICS,
    calibration_fit,
    choose_deployment,
    cohort_split,
    deployed_check,
    deployed_validation,
    scored_landmarks,
    scoring_landmark,
    test_verdicts,
)
from pact_analysis.chronicity.fairness import (
    FAIRNESS_GROUPS,
    fairness_audit,
    mask_rates,
    mask_small_groups,
    publishable_curves,
)
from pact_analysis.chronicity.fairness_disclosure import cell_mask, protect_audits
from pact_analysis.chronicity.landmark import (
    BY_MONTH,
    FEATURES,
    SPELL_MONTH,
    add_interactions,
    factor_of,
    fill_missing,
    fit_predictors,
    landmark_dataset,
    landmark_stack,
    logistic_specification,
    predictors,
)
from pact_analysis.chronicity.metrics import (
    calibration,
    concordance,
    decision_curve,
    evaluate_predictions,
    publishable_thresholds,
    threshold_counts,
)
from pact_analysis.chronicity.params import CAUSES, PROVISIONS, chronicity_params
from pact_analysis.chronicity.results import (
    AT_MONTHS,
    DEPLOYED,
    HEADLINES,
    LANDMARK_COLUMNS,
    THRESHOLDS,
    analyse,
    headline_metrics,
    published_thresholds,
    save_results,
    threshold_grid,
)
from pact_analysis.chronicity.spells import (
    EXIT_COVARIATES,
    PROCESSED_TABLES,
    SCORING_TABLES,
    build_spells,
    exit_dataset,
    history_features,
    load_tables,
    reentry_dataset,
    superseded_ends,
)
from pact_analysis.chronicity.survival import (
    cause_specific_cox,
    cox_with_remedy,
    cumulative_incidence,
    fit_aft,
    fit_cox,
    kaplan_meier,
    schoenfeld_check,
    split_episodes,
    weibull_cluster_covariance,
)
from pact_analysis.chronicity.tables import (
    aft_beside_cox,
    cif_at,
    fairness_table,
    forest_frame,
    gap_values,
    km_summary,
    load_results,
    metrics_wide,
    predictor_label,
    protected_audits,
    ratio_table,
    with_intervals,
)
from pact_analysis.chronicity.truth import (
    LATENT,
    observable_versus_truth,
    oracle_still_receiving,
    true_log_hazard_ratios,
    true_median_months,
    truth_spells,
    validate_against_truth,
)
from pact_analysis.chronicity.validation import predictive_validation
from pact_analysis.timeline import DAYS_PER_MONTH

__all__ = [
    "AT_MONTHS",
    "BY_MONTH",
    "CAUSES",
    "DAYS_PER_MONTH",
    "DEPLOYED",
    "DEPLOYED_METRICS",
    "EXIT_COVARIATES",
    "FAIRNESS_GROUPS",
    "FEATURES",
    "HEADLINES",
    "LANDMARK_COLUMNS",
    "LATENT",
    "PROCESSED_TABLES",
    "PROVISIONS",
    "REFERENCE_ROW",
    "SCORING_TABLES",
    "SPELL_MONTH",
    "THRESHOLDS",
    "LinearModel",
    "add_interactions",
    "aft_beside_cox",
    "analyse",
    "build_spells",
    "calibration",
    "calibration_fit",
    "choose_deployment",
    "cohort_split",
    "deployed_check",
    "test_verdicts",
    "deployed_validation",
    "scored_landmarks",
    "scoring_landmark",
    "cause_specific_cox",
    "cell_mask",
    "chronicity_params",
    "cif_at",
    "concordance",
    "cox_with_remedy",
    "cumulative_incidence",
    "current_recipients",
    "decision_curve",
    "evaluate_predictions",
    "publishable_thresholds",
    "published_thresholds",
    "threshold_counts",
    "threshold_grid",
    "exit_dataset",
    "factor_of",
    "fairness_audit",
    "protected_audits",
    "fairness_table",
    "fill_missing",
    "fit_aft",
    "fit_cox",
    "fit_deployed_model",
    "fit_predictors",
    "forest_frame",
    "gap_values",
    "headline_metrics",
    "history_features",
    "kaplan_meier",
    "km_summary",
    "landmark_dataset",
    "landmark_stack",
    "linear_model",
    "load_results",
    "load_tables",
    "logistic_specification",
    "mask_rates",
    "mask_small_groups",
    "metrics_wide",
    "observable_versus_truth",
    "true_median_months",
    "oracle_still_receiving",
    "predictive_validation",
    "protect_audits",
    "predictor_label",
    "predictors",
    "publishable_curves",
    "ratio_table",
    "recalibrate",
    "reentry_dataset",
    "superseded_ends",
    "save_results",
    "schoenfeld_check",
    "split_episodes",
    "weibull_cluster_covariance",
    "true_log_hazard_ratios",
    "truth_spells",
    "validate_against_truth",
    "with_intervals",
]
