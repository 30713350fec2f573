"""The ``chronicity`` stage: every estimate of report ``03_chronicity``, computed once.

Reads the processed tables (``Paths.processed``) and, on the synthetic region, the truth
(``Paths.truth``) and the coverage pooled over seeds (``benchmarks/chronicity_coverage.json``); the
statistics are :func:`pact_analysis.chronicity.analyse`. Writes

- ``Paths.chronicity`` (``data/interim/chronicity``): one parquet file per result table and
  ``values.json`` (every scalar), which reports ``03_chronicity`` and ``04_alerts`` read
  (:func:`pact_analysis.chronicity.load_results`). The landmark predictions hold pseudonymous keys and
  are never published;
- ``metrics/chronicity.json``: the headline figures (:data:`pact_analysis.chronicity.HEADLINES`:
  spells, exits, median months on the RGC, C-index and the oracle's, share of the achievable gain,
  AUC, calibration slope and calibration-in-the-large, coverage of the true effects).
"""

from __future__ import annotations

import logging
from typing import Any

from pact_analysis import chronicity
from pact_analysis.io import write_json
from pact_analysis.paths import Paths

log = logging.getLogger(__name__)

#: The benchmark's file (in ``Paths.benchmarks``) holding the coverage pooled over seeds.
COVERAGE_BENCHMARK = "chronicity_coverage.json"


def run(paths: Paths, params: dict[str, Any]) -> None:
    """Run the stage (see the module docstring).

    Parameters
    ----------
    paths : Paths
        Project paths.
    params : dict
        Validated parameters; reads ``seed``, ``data``, ``synthetic`` and ``chronicity``.
    """
    synthetic = params.get("data", {}).get("source") == "synthetic" and (paths.truth / "hazard.json").exists()
    tables = chronicity.load_tables(paths.processed)
    results, values = chronicity.analyse(
        tables,
        params,
        truth=paths.truth if synthetic else None,
        bench=paths.benchmarks / COVERAGE_BENCHMARK,
    )
    chronicity.save_results(paths.chronicity, results, values)
    write_json(paths.metric("chronicity"), chronicity.headline_metrics(values))
    log.info(
        "chronicity: %d spells; %s C-index %.3f (oracle %s), calibration slope %.2f",
        values["spells"],
        values["chosen_model"],
        values["c_index"],
        f"{values['oracle_c_index']:.3f}" if "oracle_c_index" in values else "n/a",
        values["calibration_slope"],
    )
