"""Ingest: read every raw extract, parse it per the codebook, validate it, account for the delivery.

The ``ingest`` stage (:mod:`pact_analysis.stages.ingest`) reads ``data/raw/<file>`` for each codebook
source and writes ``data/interim/clean/<source>.parquet`` atomically (nothing is written if any
extract fails), with ``delivery.json`` (which extracts were delivered and how they were read: an
optional extract that was not delivered gets an empty table, ``delivered: false`` and no row count,
unlike a delivered empty file), ``warnings.json`` (what was read but may degrade the study) and
``warnings.csv`` (the rows whose DNI/NIE fails its check letter), plus ``metrics/ingest.json`` (four
headline figures). A bad extract stops the stage with one :class:`~pact_analysis.errors.ExtractError`
naming the file (``data/extracts/<file>`` in files mode), the row (as a spreadsheet numbers it: the
header is row 1) and the column; no input gives a traceback. Values of personal-data columns
(codebook ``pii: true``) are never quoted in a message: messages end up in logs.

One module per job:

- :mod:`~pact_analysis.ingest.reading`: bytes to text columns (encodings, delimiters, header);
- :mod:`~pact_analysis.ingest.parsers`: text to the codebook's types (numbers, dates, codes, yes/no);
- :mod:`~pact_analysis.ingest.validation`: the contract and plausible ranges (refused), unusual
  values, mostly blank columns and invalid documents (warned about);
- :mod:`~pact_analysis.ingest.delivery`: one extract, the whole folder, what is written and read back;
- :mod:`~pact_analysis.ingest.problems`: how problems and warnings are worded.
"""

from pact_analysis.ingest.delivery import (
    DELIVERY_FILE,
    DETAILS_FILE,
    DOCUMENTS_FILE,
    WARNINGS_FILE,
    Delivery,
    Extract,
    account,
    clean_files,
    delivered,
    delivery,
    delivery_summary,
    details,
    document_rows,
    metrics,
    read_all,
    read_clean,
    read_delivery,
    read_extract,
    read_folder,
    read_one,
    read_warnings,
    refuse,
    required_sources,
    shown_name,
    warn,
    write_clean,
    write_details,
)
from pact_analysis.ingest.parsers import (
    PARSERS,
    detect_decimal,
    parse_bool,
    parse_columns,
    parse_date,
    parse_distinct,
    parse_float,
    parse_int,
    parse_string,
)
from pact_analysis.ingest.problems import ROWS_SHOWN, Notice, Problem, summarise
from pact_analysis.ingest.reading import (
    MAX_FIELD_CHARS,
    RawTable,
    decode,
    dropped_columns,
    match_header,
    read_text,
    sniff_delimiter,
    split_records,
    text_frame,
)
from pact_analysis.ingest.validation import document_warnings, notices, reference_problems, validate

__all__ = [
    "DELIVERY_FILE",
    "DETAILS_FILE",
    "DOCUMENTS_FILE",
    "MAX_FIELD_CHARS",
    "PARSERS",
    "ROWS_SHOWN",
    "WARNINGS_FILE",
    "Delivery",
    "Extract",
    "Notice",
    "Problem",
    "RawTable",
    "account",
    "clean_files",
    "decode",
    "delivered",
    "delivery",
    "delivery_summary",
    "detect_decimal",
    "details",
    "document_rows",
    "document_warnings",
    "dropped_columns",
    "match_header",
    "metrics",
    "notices",
    "parse_bool",
    "parse_columns",
    "parse_date",
    "parse_distinct",
    "parse_float",
    "parse_int",
    "parse_string",
    "read_all",
    "read_clean",
    "read_delivery",
    "read_extract",
    "read_folder",
    "read_one",
    "read_text",
    "read_warnings",
    "reference_problems",
    "refuse",
    "required_sources",
    "shown_name",
    "sniff_delimiter",
    "split_records",
    "summarise",
    "text_frame",
    "validate",
    "warn",
    "write_clean",
    "write_details",
]
