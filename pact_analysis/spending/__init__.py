"""Public spending on the minimum income (RGC): what chronic receipt costs, and what proactive work could save.

The statistics behind the ``spending`` stage and notebook ``06_spending`` (issue 12), one module per
job:

- :mod:`~pact_analysis.spending.params`: the ``spending`` parameters and their defaults;
- :mod:`~pact_analysis.spending.paid`: spending paid, month by month, each head paid once a month
  however many of its files overlap, and its sums by group, small groups folded (:func:`payments`,
  :func:`spending_by`, :func:`yearly_spending`), the last full year (:func:`last_full_year`) and how
  often one head's files overlap (:func:`overlapping_head_months`);
- :mod:`~pact_analysis.spending.by_profile`: spending on households by the head's profile, heads
  without a profile as a group of their own, and the profiles' coverage
  (:func:`spending_by_profile`, :func:`profile_coverage`) and which sentence may describe it
  (:func:`profile_text`);
- :mod:`~pact_analysis.spending.scale`: the synthetic region beside the published totals
  (:func:`scaling_factor`, :func:`published_comparison`);
- :mod:`~pact_analysis.spending.future`: expected future spending of today's recipients
  (:func:`fit_remaining`, :func:`conditional_survival`, :func:`future_spending`, its prediction
  interval holding the model's uncertainty and the chance of who exits);
- :mod:`~pact_analysis.spending.backtest`: the same prediction made at an earlier date and checked
  against what was paid (:func:`known_at`, :func:`observed_spending`, :func:`backtest`, :func:`rolling_backtests`);
- :mod:`~pact_analysis.spending.bands`: today's recipients by chronicity-risk band, listed in
  :data:`BAND_ORDER` (:func:`in_band_order`);
- :mod:`~pact_analysis.spending.scenario`: intensive case management for every alerted recipient
  (:func:`avoided_per_leaver`, :func:`scenario_years`, :func:`break_even_effect`, :func:`simulate`,
  :func:`tornado`);
- :mod:`~pact_analysis.spending.inputs`: what is read from the other stages (a missing input is an
  error naming it; the pilot's effect is the only optional one, and must be finite with its
  estimate inside its interval);
- :mod:`~pact_analysis.spending.wording`: which sentence may describe the effect (assumed, raised,
  lowered, or an interval that includes no effect: :func:`effect_wording`), the values it shows
  (:func:`effect_shown`) and the note on its source (:func:`effect_source_key`);
- :mod:`~pact_analysis.spending.analysis`: everything at once (:func:`analyse`);
- :mod:`~pact_analysis.spending.results`: what the stage stores for the report and its headline
  metrics.

What is not counted (other benefits, taxes and employment income, wellbeing, other professionals'
time) is stated in the report; nothing here is a full cost-benefit analysis.
"""

from __future__ import annotations

from pact_analysis.spending.analysis import analyse, where_paid
from pact_analysis.spending.backtest import (
    backtest,
    history_months,
    horizon_backtest,
    known_at,
    observed_spending,
    rolling_backtests,
)
from pact_analysis.spending.bands import (
    BAND_ORDER,
    BANDS,
    MEDIUM_RISK,
    in_band_order,
    last_year_by_band,
    merge_bands,
    risk_bands,
)
from pact_analysis.spending.by_profile import (
    MIN_PROFILE_COVERAGE,
    NO_PROFILE,
    PROFILE_TEXTS,
    check_coverage,
    head_profiles,
    profile_coverage,
    profile_labels,
    profile_names,
    profile_text,
    spending_by_profile,
)
from pact_analysis.spending.future import (
    conditional_survival,
    current_recipients,
    expected_months,
    fit_remaining,
    future_spending,
    parameter_draws,
    simulated_months,
)
from pact_analysis.spending.inputs import (
    alert_scores,
    checked_effect,
    pilot_effect,
    read_inputs,
    read_profiles,
)
from pact_analysis.spending.paid import (
    OTHER,
    episode_start,
    exposed_remainders,
    file_months,
    fold,
    groups_to_fold_within,
    last_full_year,
    months_paid,
    overlapping_head_months,
    paid_once,
    payments,
    protect_spending,
    registry_total,
    small_groups,
    spending_by,
    spending_by_folded,
    spending_crosstab,
    yearly_spending,
)
from pact_analysis.spending.params import spending_params
from pact_analysis.spending.results import load_results, metrics, save_results
from pact_analysis.spending.scale import (
    PUBLISHED_HEADS,
    PUBLISHED_MONTHLY_AMOUNT_EUR,
    PUBLISHED_MONTHLY_AMOUNT_YEAR,
    PUBLISHED_SPENDING_EUR,
    published_comparison,
    scaling_factor,
)
from pact_analysis.spending.scenario import (
    PACT_COST_EUR,
    PACT_PARTICIPANTS,
    avoided_per_leaver,
    break_even_effect,
    discount_factors,
    effect_se,
    scenario_years,
    simulate,
    tornado,
)
from pact_analysis.spending.wording import WORDINGS, effect_shown, effect_source_key, effect_wording

__all__ = [
    "MEDIUM_RISK",
    "BAND_ORDER",
    "BANDS",
    "MIN_PROFILE_COVERAGE",
    "NO_PROFILE",
    "OTHER",
    "PACT_COST_EUR",
    "PACT_PARTICIPANTS",
    "PROFILE_TEXTS",
    "PUBLISHED_HEADS",
    "PUBLISHED_MONTHLY_AMOUNT_EUR",
    "PUBLISHED_MONTHLY_AMOUNT_YEAR",
    "PUBLISHED_SPENDING_EUR",
    "WORDINGS",
    "alert_scores",
    "analyse",
    "avoided_per_leaver",
    "backtest",
    "rolling_backtests",
    "history_months",
    "horizon_backtest",
    "break_even_effect",
    "check_coverage",
    "checked_effect",
    "conditional_survival",
    "current_recipients",
    "discount_factors",
    "effect_se",
    "effect_shown",
    "effect_source_key",
    "effect_wording",
    "episode_start",
    "expected_months",
    "file_months",
    "fit_remaining",
    "exposed_remainders",
    "fold",
    "groups_to_fold_within",
    "future_spending",
    "head_profiles",
    "in_band_order",
    "known_at",
    "last_full_year",
    "last_year_by_band",
    "load_results",
    "merge_bands",
    "metrics",
    "months_paid",
    "observed_spending",
    "overlapping_head_months",
    "paid_once",
    "parameter_draws",
    "payments",
    "pilot_effect",
    "profile_coverage",
    "profile_labels",
    "profile_names",
    "profile_text",
    "published_comparison",
    "read_inputs",
    "read_profiles",
    "registry_total",
    "risk_bands",
    "save_results",
    "scaling_factor",
    "scenario_years",
    "simulated_months",
    "simulate",
    "small_groups",
    "spending_by",
    "protect_spending",
    "spending_by_folded",
    "spending_by_profile",
    "spending_crosstab",
    "spending_params",
    "tornado",
    "where_paid",
    "yearly_spending",
]
