"""Statistical disclosure control and the identity scan of everything that is published.

Three guarantees, checked by the ``check`` stage (:mod:`pact_analysis.stages.check`):

1. **Small cells** (:mod:`.suppression`, :mod:`.tables`). Published counts below
   ``disclosure.min_cell`` are suppressed and shown as :data:`SUPPRESSED` (``[c]``, never ``<N``) by
   :func:`protect`; an additive table also gets the fewest and smallest complementary suppressions
   that keep every suppressed cell unrecoverable. :func:`check_table` refuses counts
   1..min_cell-1, ``<N`` labels and recoverable suppressed cells in the tables the reports publish
   under ``reports/tables``, and counts the primary and secondary suppressions.
2. **No direct identifier after linkage** (:mod:`.identity`). :func:`scan_for_pii` looks for
   identities taken from the raw person extracts in every published file. A finding names the file,
   the kind of identifier and where it is -- never the value.
3. **One quantity, one value, one suppression decision** (:mod:`.quantities`, imported as such:
   ``pact_analysis.disclosure.quantities.record``). A number published in more than one place is
   recorded by each page; a quantity suppressed in one place and published in another, or
   published with two values or two precisions, fails the ``check`` and ``index`` stages.

Every public name of :mod:`.suppression`, :mod:`.tables` and :mod:`.identity` is importable from
here (``pact_analysis.disclosure.protect``).
"""

from __future__ import annotations

from pact_analysis.disclosure.bounds import (
    crosstab_relations,
    exposed_small_cells,
    protect_relations,
    recoverable,
)
from pact_analysis.disclosure.identity import (
    DB_SUFFIXES,
    IDENTIFIER_SYNONYMS,
    TEXT_SUFFIXES,
    VALUE_KINDS,
    Finding,
    Identities,
    clean_markup,
    collect_identities,
    files_under,
    find_in_text,
    identifier_column,
    identities_from_frame,
    normalise_text,
    published_outputs,
    read_table,
    scan_file,
    scan_for_pii,
    scan_frame,
    scan_text_file,
    written_after_check,
)
from pact_analysis.disclosure.suppression import (
    EXACT_MAX_CELLS,
    EXACT_MAX_ROUNDS,
    MAX_SUPPRESSED_SHARE,
    RELATIONS,
    SUPPRESSED,
    Protected,
    back_solvable,
    marker,
    protect,
    protect_by,
    rows_without_small_counts,
    suppress_small_cells,
    suppression_mask,
)
from pact_analysis.disclosure.tables import (
    COUNT_COLUMN,
    Sidecar,
    TableCheck,
    check_details_path,
    check_labels,
    check_min_cell,
    check_nested,
    check_recoverable,
    check_relations,
    check_table,
    check_tables,
    count_columns,
    declared_count_columns,
    language_problems,
    published_tables,
    read_published_csv,
    read_sidecar,
    small_cell_problems,
    suppression_metrics,
    table_problems,
)

__all__ = [
    "COUNT_COLUMN",
    "DB_SUFFIXES",
    "EXACT_MAX_CELLS",
    "EXACT_MAX_ROUNDS",
    "IDENTIFIER_SYNONYMS",
    "MAX_SUPPRESSED_SHARE",
    "RELATIONS",
    "SUPPRESSED",
    "TEXT_SUFFIXES",
    "VALUE_KINDS",
    "Finding",
    "Identities",
    "Protected",
    "Sidecar",
    "TableCheck",
    "back_solvable",
    "check_details_path",
    "check_labels",
    "check_min_cell",
    "check_nested",
    "check_recoverable",
    "check_relations",
    "check_table",
    "check_tables",
    "language_problems",
    "clean_markup",
    "collect_identities",
    "count_columns",
    "declared_count_columns",
    "files_under",
    "find_in_text",
    "identifier_column",
    "identities_from_frame",
    "marker",
    "normalise_text",
    "protect",
    "protect_by",
    "protect_relations",
    "exposed_small_cells",
    "crosstab_relations",
    "published_outputs",
    "published_tables",
    "read_published_csv",
    "read_sidecar",
    "read_table",
    "recoverable",
    "rows_without_small_counts",
    "scan_file",
    "scan_for_pii",
    "scan_frame",
    "scan_text_file",
    "small_cell_problems",
    "suppress_small_cells",
    "suppression_mask",
    "suppression_metrics",
    "table_problems",
    "written_after_check",
]
