"""The ``link`` stage: link persons across the sources, pseudonymise them, write ``data/processed``.

Reads ``data/interim/clean`` (and ``data/review`` for the labelled clerical review); writes
``data/interim/linkage`` (identities: never published; its ``summary.json`` holds every count and
quality figure), ``data/processed`` (pseudonymised) and ``metrics/linkage.json`` (the headline).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from pact_analysis import codebook, ingest
from pact_analysis.io import write_json
from pact_analysis.linkage import (
    crosswalk_from,
    deidentify,
    headline_metrics,
    key_stage,
    pipeline,
    pseudonymise,
    stage_metrics,
    write_interim,
    write_processed,
)
from pact_analysis.paths import Paths

log = logging.getLogger(__name__)


def run(paths: Paths, params: dict[str, Any]) -> None:
    """Run the stage (see the module docstring).

    Parameters
    ----------
    paths : Paths
        Project paths.
    params : dict
        Validated parameters; reads ``seed``, ``data.source``, ``data.extraction_date`` and ``linkage``.

    Raises
    ------
    StageError
        No usable key, or a key other than the one recorded by the ``key`` stage.
    """
    start = time.perf_counter()
    key = pseudonymise.load_key(params, paths.root)
    key_stage.check_key(paths, key)
    ingest.clean_files(paths)  # every table is there before the linkage starts
    known = (paths.clean / ingest.DELIVERY_FILE).exists()  # clean tables written by hand (tests) have none
    delivered = ingest.delivered(paths) if known else {}
    # the person sources alone while linking; the other tables once the linkage's memory is freed
    persons = ingest.read_clean(paths, [s for s in codebook.person_sources() if delivered.get(s, True)])
    settings = params["linkage"]
    log.info(
        "linking %d person records from %d delivered person sources (%s)",
        sum(map(len, persons.values())),
        len(persons),
        ", ".join(persons),
    )
    result = pipeline.link_records(
        persons,
        threshold=float(settings["threshold"]),
        max_pairs_em=float(settings["max_pairs_em"]),
        seed=int(params["seed"]),
        backend=settings["backend"],
        memory_limit=settings["duckdb_memory_limit"],
        spark=settings["spark"],
    )
    # what the rest of the stage needs of the prepared records (the others are freed: at region
    # scale they are the largest table held)
    result.prepared = result.prepared[["source_dataset", "unique_id", "doc_norm"]]
    crosswalk = crosswalk_from(result, key)
    write_interim(paths.linkage, result, crosswalk, persons, int(params["seed"]))
    frames = persons | ingest.read_clean(paths, [s for s in codebook.sources() if s not in persons])
    del persons
    write_processed(
        paths.processed,
        deidentify.processed_tables(frames, crosswalk, key, params["data"]["extraction_date"]),
    )
    spells = {name: frames[name] for name in ("rgc_members", "rgc_spells")}
    del frames
    result.timings["stage_total"] = time.perf_counter() - start
    metrics = stage_metrics(paths, params, result, crosswalk, spells)
    write_json(paths.linkage_summary, metrics)
    write_json(paths.metric("linkage"), headline_metrics(metrics))
    timings = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in result.timings.items())
    log.info("linked %d records into %d persons (%s)", metrics["records"], metrics["n_persons"], timings)
