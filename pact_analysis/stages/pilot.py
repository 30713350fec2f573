"""The ``pilot`` stage: evaluate the PACT pilot once, for report ``05_pilot_evaluation`` and the spending scenario.

Reads ``data/processed`` (and, on the synthetic region, the true effects in ``data/truth``), runs
:func:`pact_analysis.pilot.evaluate` and writes:

- ``data/pilot/``: the result tables (parquet) and ``results.json`` (scalars, including ``exit_12m``,
  the effect on leaving the RGC within 12 months that the spending scenario uses), atomically
  (:func:`pact_analysis.pilot.save_results`);
- ``metrics/pilot.json``: the headline figures (:func:`pact_analysis.pilot.results.headline`: coverage of
  the primary intervals over 1,000 replications of the pilot design from ``benchmarks/pilot_coverage.json``,
  balance, heterogeneity, a verdict per claim).

When the pilot's extracts (``pilot_assignment``, ``mdtse_assessments``) were not delivered, both say so
(``{"available": false, "not_delivered": [...]}``) and nothing is estimated.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from pact_analysis.io import write_json
from pact_analysis.paths import Paths
from pact_analysis.pilot import (
    evaluate,
    missing_extracts,
    read_processed,
    save_results,
    save_unavailable,
    true_effects,
)
from pact_analysis.pilot.results import headline, unavailable_record

log = logging.getLogger(__name__)

#: The benchmark whose coverage (replications of the pilot design) the metrics quote.
POOLED_COVERAGE = "pilot_coverage.json"


def run(paths: Paths, params: dict[str, Any]) -> None:
    """Run the stage (see the module docstring).

    Parameters
    ----------
    paths : Paths
        Project paths.
    params : dict
        Validated parameters; reads ``seed``, ``data.source``, ``data.extraction_date`` and
        ``evaluation``.

    Raises
    ------
    StageError
        If the ``ingest`` stage has not recorded which extracts were delivered.
    """
    missing = missing_extracts(paths)
    if missing:
        save_unavailable(paths.pilot, missing)
        write_json(paths.metric("pilot"), unavailable_record(missing))
        log.warning("pilot: not evaluated, extracts not delivered: %s", ", ".join(missing))
        return
    synthetic = params["data"]["source"] == "synthetic"
    truth = true_effects(paths.truth) if synthetic else None
    result = evaluate(read_processed(paths.processed), params, truth)
    result["coverage_benchmark"] = pooled_coverage(paths)
    save_results(paths.pilot, result)
    write_json(paths.metric("pilot"), headline(result, result["coverage_benchmark"]))
    log.info(
        "pilot: %d participants in %d CEAS; largest SMD after weighting %.3f",
        result["power"]["n"],
        result["power"]["clusters"],
        result["max_abs_smd"],
    )


def pooled_coverage(paths: Paths) -> dict[str, Any] | None:
    """Read ``benchmarks/pilot_coverage.json`` (written by ``benchmarks/pilot_coverage.py``), if present.

    Parameters
    ----------
    paths : Paths
        Project paths.
    """
    bench = paths.benchmarks / POOLED_COVERAGE
    return json.loads(bench.read_text(encoding="utf-8")) if bench.exists() else None
