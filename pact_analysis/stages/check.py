"""The ``check`` stage: data protection of everything published, before the index is written.

Scans every published output for the identities of the raw person extracts
(:func:`pact_analysis.disclosure.scan_for_pii` on :func:`pact_analysis.disclosure.published_outputs`)
and checks every table the reports publish under ``reports/tables``
(:func:`pact_analysis.disclosure.check_tables`: unsuppressed small counts, ``<N`` labels, suppressed
cells that totals give away, inconsistent declarations, copies in two languages that hide different
cells), and that every quantity the pages record
(:mod:`pact_analysis.disclosure.quantities`) has one value and one suppression decision everywhere.

Writes ``metrics/disclosure.json`` (the headline figures, :data:`HEADLINE`) and
``reports/tables/disclosure.json`` (the full record: files scanned and skipped, problems, suppressions
per table; :func:`pact_analysis.disclosure.check_details_path`), then fails naming every problem.
"""

from __future__ import annotations

from typing import Any

from pact_analysis.disclosure import (
    Identities,
    check_details_path,
    check_tables,
    collect_identities,
    language_problems,
    published_outputs,
    scan_for_pii,
    suppression_metrics,
    table_problems,
)
from pact_analysis.disclosure.quantities import check_quantities
from pact_analysis.errors import ExtractError, StageError
from pact_analysis.io import write_json
from pact_analysis.paths import Paths
from pact_analysis.workers import Pending, beside

#: The figures of ``metrics/disclosure.json``: the rest of the record is in ``reports/tables/disclosure.json``.
HEADLINE = ("tables_checked", "suppressed_primary", "suppressed_secondary", "pii_findings")
#: Problems named in the error message (the rest are counted).
SHOWN_PROBLEMS = 20


#: Bytes of the raw extracts from which their identities are read in a worker (:func:`run`): 61 MB
#: at 100,000 persons; below, a worker's start costs about what it saves.
APART_FROM_BYTES = 50_000_000


def run(paths: Paths, params: dict[str, Any]) -> None:
    """Run the stage (see the module docstring).

    Parameters
    ----------
    paths : Paths
        Project paths.
    params : dict
        Validated parameters; reads ``disclosure.min_cell``.

    Raises
    ------
    StageError
        If the raw person extracts cannot be read, or if any identifier, unsuppressed small count,
        ``<N`` label, recoverable suppressed cell, inconsistent table declaration, or quantity
        published with two values or suppressed in one place and published in another is found
        (the metrics and the record are written first).
    """
    min_cell = int(params["disclosure"]["min_cell"])
    # the identities are read from the raw extracts in a worker while the tables are checked
    raw_bytes = sum(f.stat().st_size for f in paths.raw.glob("*") if f.is_file())
    apart = raw_bytes >= APART_FROM_BYTES
    with beside(collect_identities, paths.raw, apart=apart) as identities:
        try:
            checks = check_tables(paths.reports, min_cell)
            small = table_problems(checks, paths.reports, paths.root, "small")
            other = table_problems(checks, paths.reports, paths.root, "other") + language_problems(checks)
            quantities = check_quantities(paths.reports, skip=("index",))  # the index checks itself, after
        except Exception:
            _identities(identities)  # an unreadable extract is said first, as when it was read first
            raise
        who = _identities(identities)
    scan = scan_for_pii(published_outputs(paths), who, root=paths.root)
    record = {
        "files_scanned": len(scan["scanned"]),
        "files_skipped": scan["skipped"],
        "tables_checked": len({c.table for c in checks}),
        "table_files_checked": len(checks),
        "pii_findings": len(scan["findings"]),
        "small_cells": len(small),
        "table_problems": len(other),
        "min_cell": min_cell,
        "quantities_checked": quantities["quantities"],
        "quantity_conflicts": quantities["problems"],
        **suppression_metrics(checks),
    }
    write_json(check_details_path(paths), record)
    write_json(paths.metric("disclosure"), {key: record[key] for key in HEADLINE})
    problems = [str(f) for f in scan["findings"]] + small + other + quantities["problems"]
    if problems:
        raise StageError(
            f"{len(problems)} problems in published outputs (data protection, one value per quantity): "
            f"{_summary(problems)}"
        )


def _summary(problems: list[str]) -> str:
    """The first :data:`SHOWN_PROBLEMS` problems, then how many more."""
    more = len(problems) - SHOWN_PROBLEMS
    return "; ".join(problems[:SHOWN_PROBLEMS]) + (f"; and {more} more" if more > 0 else "")


def _identities(pending: Pending) -> Identities:
    """The identities read from the raw extracts; an extract that cannot be read stops the stage."""
    try:
        return pending.result()
    except ExtractError as err:
        raise StageError(f"cannot read the identities to look for: {err}") from None
