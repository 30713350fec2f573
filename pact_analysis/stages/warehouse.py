"""The ``warehouse`` stage: the DuckDB star schema, the risk indicators and the lists for proactive work.

Reads ``data/processed``; writes ``data/warehouse`` (:mod:`pact_analysis.warehouse`):
``pact.duckdb`` (not tracked by DVC), ``parquet/<table>.parquet`` with ``parquet/summary.json``
(every region total: rows per table, persons per risk situation, candidates per action...),
``lists/<ceas_code>.csv`` (pseudonymous, never published) and ``metrics/warehouse.json`` (the headline).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from pact_analysis.io import atomic_dir, write_json
from pact_analysis.paths import Paths
from pact_analysis.warehouse import (
    SUMMARY_FILE,
    build,
    connect,
    export_parquet,
    headline_metrics,
    load_processed,
    proactive_lists,
    region_summary,
    remove_spill,
    settings_from,
    write_lists,
)

log = logging.getLogger(__name__)


def run(paths: Paths, params: dict[str, Any]) -> None:
    """Run the stage (see the module docstring).

    Parameters
    ----------
    paths : Paths
        Project paths.
    params : dict
        Validated parameters; reads ``data.extraction_date``, ``warehouse.reference_date``,
        ``warehouse.community_actions`` and ``warehouse.duckdb_memory_limit``.
    """
    settings = settings_from(params)
    memory = params.get("warehouse", {}).get("duckdb_memory_limit")
    with atomic_dir(paths.warehouse) as tmp:
        parquet = _inside(tmp, paths.warehouse, paths.warehouse_parquet)
        con = connect(_inside(tmp, paths.warehouse, paths.warehouse_db), memory)
        try:
            load_processed(con, paths.processed)
            counts = build(con, settings)
            export_parquet(con, parquet)
            lists = proactive_lists(con)
            n_lists = write_lists(lists, _inside(tmp, paths.warehouse, paths.warehouse_lists))
            summary = region_summary(con, counts, settings, lists, n_lists)
        finally:
            con.close()
        remove_spill(tmp)
        write_json(parquet / SUMMARY_FILE, summary)
    write_json(paths.metric("warehouse"), headline_metrics(summary))
    log.info(
        "warehouse: %d persons, %d known at %s, %d list files",
        counts["dim_person"],
        summary["persons_known"],
        settings.reference,
        n_lists,
    )


def _inside(tmp: Path, folder: Path, target: Path) -> Path:
    """Return where ``target`` (a path under ``folder``) is in ``folder``'s temporary twin ``tmp``."""
    return tmp / target.relative_to(folder)
