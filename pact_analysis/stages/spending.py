"""The ``spending`` stage: public spending on the RGC and the extension scenario, computed once.

Reads the linked tables (``data/processed``), the alerts stage's scores
(``data/alerts/scores.parquet``), the profiles stage's persons (``data/profiles/persons.parquet``)
and the pilot's effect (``data/pilot/results.json``; optional: a region without pilot extracts uses
the documented ``spending.effect_default``). Writes what report ``06_spending`` shows to
``data/spending`` and the headline figures to ``metrics/spending.json``. A missing required input
stops the stage with a message naming it; so do a pilot effect that is not finite or whose estimate
lies outside its interval (``data/pilot/results.json``), data without a full calendar year, and
profiles that cover fewer than :data:`~pact_analysis.spending.by_profile.MIN_PROFILE_COVERAGE` of
the heads paid in it (``data/profiles/persons.parquet``).
"""

from __future__ import annotations

import logging
from typing import Any

from pact_analysis import codebook
from pact_analysis import spending as sp
from pact_analysis.io import atomic_dir, write_json
from pact_analysis.paths import Paths

log = logging.getLogger(__name__)


def run(paths: Paths, params: dict[str, Any]) -> None:
    """Run the ``spending`` stage (see the module docstring).

    Parameters
    ----------
    paths : Paths
        Project paths.
    params : dict
        Reads ``seed``, ``data.extraction_date``, ``synthetic.start_date``, ``disclosure.min_cell``,
        ``chronicity`` and ``spending``.

    Raises
    ------
    StageError
        When a required input is missing or unusable (named in the message), or no year is full.
    """
    inputs = sp.read_inputs(paths, params)
    provinces = {p["code"]: p["name"] for p in codebook.load()["provinces"]}
    min_cell = int(params["disclosure"]["min_cell"])
    result = sp.analyse(**inputs, params=params, min_cell=min_cell, provinces=provinces)
    with atomic_dir(paths.spending) as tmp:
        sp.save_results(tmp, result)
    metrics = sp.metrics(result)
    write_json(paths.metric("spending"), metrics)
    coverage = result["profile_coverage"]
    log.info(
        "spending: %d flagged cases, 5-year net cost %.0f EUR (effect from %s), %d profile rows, "
        "%.0f%% of heads paid in %d with a profile, %d overlapping head-months paid once",
        metrics["cases"],
        metrics["net_cost"]["estimate"],
        metrics["effect"]["source"],
        len(metrics["by_profile"]),
        100 * coverage["heads_share"],
        coverage["year"],
        result["overlapping_head_months"],
    )
