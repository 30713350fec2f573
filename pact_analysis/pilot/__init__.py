"""Evaluation of the PACT pilot: design and power, attrition, MDTSE change, matched comparison, claims.

One module per job:

- :mod:`.data`: the analysis frames from ``data/processed``, the synthetic region's true effects, and
  which of the pilot's extracts were delivered;
- :mod:`.power`: minimum detectable effects and the cohort flow;
- :mod:`.weighting`: propensity scores, matching and ATT weights, completion weights and
  :func:`matched_effect` (weights refined until balance holds; small-cluster intervals);
- :mod:`.balance`: |SMD| and variance ratios, entropy balancing, effective sample sizes;
- :mod:`.inference`: CR2 errors with Bell-McCaffrey degrees of freedom, cluster jackknife;
- :mod:`.effects`: paired and mixed-model change, ANCOVA and difference in differences,
  administrative outcomes, multiple imputation (Barnard-Rubin), E-values, coverage of the true effects;
- :mod:`.heterogeneity`: effect modification by chronicity and by the baseline score (regression to
  the mean), change per band;
- :mod:`.claims`: shares with Wilson intervals, agreement, improvement by the claim's own definition,
  one written decision rule and a verdict per claim (with risks of bias);
- :mod:`.analysis`: :func:`evaluate`, the whole evaluation;
- :mod:`.results`: the ``pilot`` stage's results in ``data/pilot`` (written once, read by the report).

Generic estimators take a plain DataFrame and column names, so the same code runs on public data with a
published answer (:func:`matched_effect`, :func:`paired_changes`, :func:`interaction`,
:func:`agreement`). Every public name is importable from here and from :mod:`pact_analysis.evaluation`.
"""

from __future__ import annotations

from pact_analysis.pilot.analysis import (
    change_results,
    claim_results,
    comparison_results,
    evaluate,
    heterogeneity_results,
    validation,
)
from pact_analysis.pilot.claims import (
    agreement,
    cronbach_alpha,
    interval_verdict,
    reliable_improvement,
    share_table,
    suppressed_rows,
    verdicts,
    wilson,
)
from pact_analysis.pilot.data import (
    ADMIN_OUTCOMES,
    CHRONIC_MONTHS,
    EMPOWERMENT,
    LIVING,
    MATCH_COVARIATES,
    PROCESSED,
    REQUIRED_EXTRACTS,
    analysis_frames,
    days_employed,
    mdtse_wide,
    missing_extracts,
    read_processed,
    rgc_history,
    true_effects,
    true_effects_from,
)
from pact_analysis.pilot.effects import (
    admin_effects,
    coverage,
    e_value,
    imputation_frame,
    imputed_effect,
    mdtse_effects,
    mixed_change,
    mixed_fit_failed,
    paired_changes,
    rubin,
)
from pact_analysis.pilot.heterogeneity import binned_change, interaction, slope
from pact_analysis.pilot.power import ASSUMED_ICC, detectable_effects, flow, mde
from pact_analysis.pilot.results import load_results, not_evaluated, save_results, save_unavailable
from pact_analysis.pilot.weighting import (
    WWC_FAIL,
    WWC_NO_ADJUSTMENT,
    Effect,
    completion_weights,
    design,
    effect_from_fit,
    ipw_weights,
    match_weights,
    matched_effect,
    propensity,
    weighted_fit,
)

__all__ = [
    "ASSUMED_ICC",
    "ADMIN_OUTCOMES",
    "CHRONIC_MONTHS",
    "EMPOWERMENT",
    "LIVING",
    "MATCH_COVARIATES",
    "PROCESSED",
    "REQUIRED_EXTRACTS",
    "WWC_FAIL",
    "WWC_NO_ADJUSTMENT",
    "Effect",
    "admin_effects",
    "agreement",
    "analysis_frames",
    "binned_change",
    "change_results",
    "claim_results",
    "comparison_results",
    "completion_weights",
    "coverage",
    "cronbach_alpha",
    "days_employed",
    "design",
    "e_value",
    "effect_from_fit",
    "evaluate",
    "flow",
    "heterogeneity_results",
    "imputation_frame",
    "imputed_effect",
    "interaction",
    "interval_verdict",
    "ipw_weights",
    "load_results",
    "match_weights",
    "matched_effect",
    "mde",
    "mdtse_effects",
    "mdtse_wide",
    "missing_extracts",
    "mixed_change",
    "mixed_fit_failed",
    "not_evaluated",
    "paired_changes",
    "detectable_effects",
    "propensity",
    "read_processed",
    "reliable_improvement",
    "rgc_history",
    "rubin",
    "save_results",
    "save_unavailable",
    "share_table",
    "slope",
    "suppressed_rows",
    "true_effects",
    "true_effects_from",
    "validation",
    "verdicts",
    "weighted_fit",
    "wilson",
]
