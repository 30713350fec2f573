"""The ``ingest`` stage: read and validate every raw extract, write the typed tables.

Reads ``data/raw`` (staged from ``data/extracts`` in files mode) and ``data.extraction_date``; writes
``data/interim/clean`` atomically -- one parquet table per codebook source, ``delivery.json`` (which
extracts were delivered, their rows), ``warnings.json`` and ``warnings.csv`` --,
``data/interim/ingest/details.json`` (each extract's encoding, delimiter, decimal mark, dropped columns
and blank shares: kept apart so that ``link`` does not re-run when only the export format changed) and
``metrics/ingest.json``. A bad extract stops the stage
with one message naming the file as the user knows it (``data/extracts/<file>`` in files mode), the
row and the column, and nothing is written; warnings are logged and kept in ``warnings.json``.
"""

from __future__ import annotations

from typing import Any

from pact_analysis import ingest
from pact_analysis.io import atomic_dir, write_json
from pact_analysis.paths import Paths


def run(paths: Paths, params: dict[str, Any]) -> None:
    """Run the stage (see the module docstring).

    Parameters
    ----------
    paths : Paths
        Project paths.
    params : dict
        Validated parameters; reads ``data.extraction_date`` and ``data.source``.

    Raises
    ------
    ExtractError
        If any extract breaks its contract (nothing is written then).
    """
    extraction_date = params["data"]["extraction_date"]
    files_mode = params["data"].get("source") == "files"
    shown_in = paths.extracts.relative_to(paths.root).as_posix() if files_mode else None
    originals = paths.extracts if files_mode else paths.raw
    delivered = ingest.read_folder(paths.raw, extraction_date, shown_in, originals)
    ingest.account(delivered)
    with atomic_dir(paths.clean) as tmp:
        ingest.write_clean(tmp, delivered, extraction_date)
    with atomic_dir(paths.ingest_details) as tmp:
        ingest.write_details(tmp, delivered, extraction_date)
    write_json(paths.metric("ingest"), ingest.metrics(delivered))
