"""Chronicity alerts for case managers: today's recipients at risk, why, and what to offer.

**The model.** The chronicity model of report ``03_chronicity``, defined once in
:mod:`pact_analysis.chronicity`: the predictors of :func:`~pact_analysis.chronicity.predictors` (the
protected characteristics of ``chronicity.exclude_predictors`` excluded and audited instead), trained
on the stacked landmarks of :func:`~pact_analysis.chronicity.landmark_stack` and deployed by
:func:`~pact_analysis.chronicity.fit_deployed_model`: recalibration (kept only if it helps out of
sample), validated landmarks and threshold (the rule ``chronicity.alert_share``) are decided on the
recalibration cohort; the report's decision curve and fairness audit use the same threshold on the
test cohort. A recipient is scored only at a validated landmark (``scored_landmark``), and no alert
is issued when the deployed model is miscalibrated on the test cohort
(:func:`~pact_analysis.chronicity.deployed_check`). The model's validation is the report's; the
alerts score today's recipients, explain and list.

**Reasons.** For a logistic model the logit is ``reference + sum_j b_j (x_j - mean_j)`` with the
development means as reference, so each term (a feature with its interaction with the time on the
spell) is the factor's contribution for that person; the factors with the largest positive
contributions are the reasons, each labelled lever or context as the codebook marks it once
(``codes.alert_factor_role``, read into :data:`FACTORS`); protected factors are never shown as reasons.

One module per job: :mod:`~pact_analysis.alerts.params` (parameters),
:mod:`~pact_analysis.alerts.factors` (what a case manager is told about a predictor),
:mod:`~pact_analysis.alerts.scoring` (:func:`score`: risks, intervals, alerts, reasons, interventions),
:mod:`~pact_analysis.alerts.lists` (the lists per CEAS, the run's figures, reading them back),
:mod:`~pact_analysis.alerts.feedback` (the case managers' responses) and
:mod:`~pact_analysis.alerts.tables` (the report's counts). The stage is
:mod:`pact_analysis.stages.alerts`. Every public name is importable from ``pact_analysis.alerts``.
"""

from pact_analysis.alerts.factors import AVERAGE_PROFILE, FACTORS, Factor, check_factors, shown_factors
from pact_analysis.alerts.feedback import (
    FEEDBACK_COLUMNS,
    RESPONSES,
    feedback_outcomes,
    feedback_rates,
    feedback_tables,
    read_feedback,
    synthetic_feedback,
)
from pact_analysis.alerts.lists import (
    HEADLINES,
    LIST_COLUMNS,
    SCORE_COLUMNS,
    case_lists,
    coefficient_table,
    describe_reasons,
    headline_metrics,
    intervention_label,
    model_summary,
    read_outputs,
    run_summary,
    score_table,
    write_lists,
    write_outputs,
)
from pact_analysis.alerts.params import alerts_params
from pact_analysis.alerts.scoring import (
    GROUPS,
    bootstrap_risk,
    current_share,
    interventions,
    population_counts,
    publishable_rows,
    score,
    select_alerts,
    threshold_table,
    top_reasons,
)
from pact_analysis.alerts.tables import disability_label, reason_counts, share_table

__all__ = [
    "AVERAGE_PROFILE",
    "FACTORS",
    "FEEDBACK_COLUMNS",
    "GROUPS",
    "HEADLINES",
    "LIST_COLUMNS",
    "RESPONSES",
    "SCORE_COLUMNS",
    "Factor",
    "alerts_params",
    "bootstrap_risk",
    "case_lists",
    "check_factors",
    "coefficient_table",
    "current_share",
    "population_counts",
    "publishable_rows",
    "describe_reasons",
    "disability_label",
    "feedback_outcomes",
    "feedback_rates",
    "feedback_tables",
    "headline_metrics",
    "intervention_label",
    "interventions",
    "model_summary",
    "read_feedback",
    "read_outputs",
    "reason_counts",
    "run_summary",
    "score",
    "score_table",
    "select_alerts",
    "share_table",
    "shown_factors",
    "synthetic_feedback",
    "threshold_table",
    "top_reasons",
    "write_lists",
    "write_outputs",
]
