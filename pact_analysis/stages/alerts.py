"""The ``alerts`` stage: lists for case managers of the current recipients at risk of chronicity.

Reads the processed tables (``Paths.processed``: persons known only by ``person_key``) and the case
managers' feedback (``Paths.feedback``, ``data/feedback``), scores with the
chronicity model (:func:`pact_analysis.alerts.score`) and writes ``Paths.alerts`` (``data/alerts``):

- ``lists/<ceas_code>.csv``: one list per CEAS (a header-only file when a CEAS has no alert), for the
  case managers' system, which holds the key to re-identify. Per person: the calibrated risk of still
  receiving the minimum income (RGC) at month ``chronicity.horizon_month`` of the spell, with a
  bootstrap interval and the landmark whose model scored it; the factors that raised it most, each
  labelled lever or context; the suggested
  kind of proactive intervention; the last feedback. Pseudonymous keys only: no name, document,
  birth date or address;
- ``scores.parquet``: every current recipient scored (with sex, nationality group and disability, for
  the report's group counts; never given to case managers);
- ``coefficients.parquet``, ``thresholds.parquet``, ``model.json``:
  the full model specification and what it does on the later cohorts, for the report;
- ``feedback.parquet``: each review read from the feedback folder with the person's later RGC status;
- ``intervention_record.parquet``: who was alerted and who was acted on (for a later model);
- ``summary.json``: every figure of the run (:func:`pact_analysis.alerts.run_summary`).

and ``metrics/alerts.json``: the headline figures (:data:`pact_analysis.alerts.HEADLINES`: threshold,
recipients scored, alerts, share alerted, CEAS with alerts, PPV and sensitivity at the threshold on
the test cohort), which move with the threshold chosen by ``chronicity.alert_share``. No alert is
issued when the deployed model fails its calibration check on the test cohort.

(The outputs live in ``data/alerts`` rather than ``data/processed/alerts``: ``data/processed`` is the
``link`` stage's output, and DVC cannot give one folder to two stages.)
"""

from __future__ import annotations

import logging
from typing import Any

from pact_analysis import alerts, chronicity
from pact_analysis.io import write_json
from pact_analysis.paths import Paths

log = logging.getLogger(__name__)


def run(paths: Paths, params: dict[str, Any]) -> None:
    """Run the stage (see the module docstring).

    Parameters
    ----------
    paths : Paths
        Project paths.
    params : dict
        Validated parameters; reads ``seed``, ``data.extraction_date``, ``synthetic.start_date``,
        ``chronicity`` and ``alerts``.
    """
    cfg = alerts.alerts_params(params)
    tables = chronicity.load_tables(paths.processed, chronicity.SCORING_TABLES)
    result = alerts.score(tables, params)
    # the threshold is the one chosen on the recalibration cohort by the rule of params.yaml
    cfg = cfg | {"threshold": result["threshold"]}
    reviews = alerts.read_feedback(paths.feedback)
    feedback = alerts.feedback_outcomes(reviews, result["spells"])
    lists = alerts.case_lists(result["scores"], feedback, int(cfg["n_reasons"]))
    summary = alerts.run_summary(result, alerts.feedback_rates(feedback), cfg)
    n_lists = alerts.write_outputs(paths.alerts, result, lists, feedback, cfg, summary)
    write_json(paths.metric("alerts"), alerts.headline_metrics(summary))
    log.info(
        "alerts: %d recipients scored, %d alerts in %d lists",
        summary["recipients_scored"],
        summary["alerts"],
        n_lists,
    )
