"""Ingest: read every raw extract, parse it per the codebook, validate it, write typed parquet files.

``python -m pact_analysis ingest`` reads ``data/raw/<file>`` for each codebook source and writes
``data/interim/clean/<source>.parquet`` atomically (nothing is written if any extract fails), with
``delivery.json`` (which extracts were delivered: an optional extract that was not delivered gets an
empty table but ``delivered: false`` and no row count, unlike a delivered empty file), plus
``metrics/ingest.json``. A bad extract stops the stage with one :class:`~pact_analysis.errors.ExtractError`
naming the file, the row (as a spreadsheet numbers it: the header is row 1) and the column. Values of
personal-data columns (codebook ``pii: true``) are never quoted in a message: messages end up in logs.

Reading tolerates the conventions of Spanish exports:

- encodings UTF-8, UTF-8 with BOM, cp1252 / Latin-1 (UTF-8 is tried first; a file that is UTF-8
  except for a few bytes is refused as mixed rather than misread);
- delimiter ``;``, ``,`` or tab, sniffed from the header; CRLF or LF line endings;
- decimal comma or point (decided per file from the float columns; the other sign is a thousands
  separator only in well-formed groups of three digits);
- dates ``dd/mm/yyyy``, ``dd-mm-yyyy``, ``dd.mm.yyyy`` or ``yyyy-mm-dd`` (an optional ``00:00:00`` time
  part is ignored); day-first always, two-digit years are refused;
- booleans ``1/0``, ``S/N``, ``sí/no``, ``true/false``;
- spaces around values and header names; header names in any case and any order; fully empty rows;
- codes in lower case (``h`` -> ``H``); fixed-width numeric codes that lost their leading zeros in a
  spreadsheet (municipality ``5019`` -> ``05019``).

Documents (DNI/NIE) failing their check letter are kept -- linkage absorbs such typos -- and counted in
the metrics, with their rows listed in ``data/interim/clean/warnings.csv`` and the log.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import logging
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa

from pact_analysis import codebook, schemas
from pact_analysis.config import Paths
from pact_analysis.errors import ExtractError, StageError
from pact_analysis.io import atomic_dir, progress, write_json

log = logging.getLogger(__name__)

#: Longest accepted field: longer values are corrupted exports (a pasted document, a binary blob).
MAX_FIELD_CHARS = 10_000
#: Rows listed per column and problem before the rest are summarised in one line.
ROWS_SHOWN = 5
#: Which extracts were delivered, beside the clean tables (an absent optional extract has an empty table).
DELIVERY_FILE = "delivery.json"
_TRUE = frozenset({"1", "1.0", "1,0", "s", "si", "y", "yes", "t", "true", "v", "verdadero"})
_FALSE = frozenset({"0", "0.0", "0,0", "n", "no", "f", "false", "falso"})
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_TIME = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")
_INT = re.compile(r"^[+-]?\d+([.,]0{1,2})?$")
_FLOAT = {
    ",": re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$"),
    ".": re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$"),
}


@dataclass(frozen=True)
class Problem:
    """One contract breach: where it is and what is wrong (never a personal-data value)."""

    rows: tuple[int, ...]
    column: str | None
    text: str
    kind: str = ""

    def __str__(self) -> str:
        where = _rows_text(self.rows)
        if self.column:
            where = f"{where}, column {self.column}" if where else f"column {self.column}"
        return f"{where}: {self.text}" if where else self.text


@dataclass
class RawTable:
    """The text of one extract: header, data records, their spreadsheet row numbers, the delimiter."""

    header: list[str]
    rows: list[list[str]]
    numbers: list[int]
    delimiter: str
    problems: list[Problem] = field(default_factory=list)


def _rows_text(rows: tuple[int, ...]) -> str:
    if not rows:
        return ""
    if len(rows) == 1:
        return f"row {rows[0]}"
    return "rows " + ", ".join(map(str, rows[:-1])) + f" and {rows[-1]}"


def required_sources() -> list[str]:
    """Return the sources every region must deliver (codebook ``required: true``)."""
    return [name for name, spec in codebook.sources().items() if spec.get("required")]


# --- bytes to records -------------------------------------------------------------------------------


def decode(data: bytes, file: str) -> tuple[str, str]:
    """Decode an extract, refusing spreadsheets and binary files.

    Parameters
    ----------
    data : bytes
        The file's content.
    file : str
        File name for messages.

    Returns
    -------
    tuple of str
        ``(text, encoding)``; the encoding is ``utf-8``, ``utf-8-sig`` or ``cp1252``.
    """
    if not data:
        raise ExtractError(file, ["the file is empty (0 bytes): expected a header row and data rows"])
    if data[:2] == b"PK":
        raise ExtractError(file, ["is a spreadsheet (.xlsx); export it as CSV (semicolon-separated, UTF-8)"])
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise ExtractError(file, ["is a spreadsheet (.xls); export it as CSV (semicolon-separated, UTF-8)"])
    if b"\x00" in data[:4096]:
        raise ExtractError(
            file, ["is a binary file (or UTF-16 text); export it as CSV (semicolon-separated, UTF-8)"]
        )
    encoding = "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError as err:
        if _UTF8_MULTIBYTE.search(data):
            row = data[: err.start].count(b"\n") + 1
            raise ExtractError(
                file,
                [
                    f"row {row}: byte 0x{data[err.start]:02x} is not UTF-8 although the rest of the file is "
                    "(mixed encodings: export the whole file again as UTF-8)"
                ],
            ) from None
        return data.decode("cp1252", errors="replace"), "cp1252"


def sniff_delimiter(header_line: str) -> str:
    """Return the delimiter of a header line: the most frequent of ``;``, ``,`` and tab (``;`` on ties)."""
    counts = {sep: header_line.count(sep) for sep in (";", ",", "\t")}
    return max(counts, key=lambda sep: (counts[sep], sep == ";"))


def split_records(text: str, file: str) -> RawTable:
    """Split decoded text into a header and stripped records, checking field counts and sizes.

    Parameters
    ----------
    text : str
        Decoded file content.
    file : str
        File name for messages.

    Returns
    -------
    RawTable
        Header (stripped), data records with their spreadsheet row numbers, and structural problems
        (wrong field count, oversized field). Fully empty records are skipped but keep their number.
    """
    first_line = text.split("\n", 1)[0]
    delimiter = sniff_delimiter(first_line)
    # Read oversized fields instead of failing inside csv, so that the message can name row and column.
    csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    table = RawTable([], [], [], delimiter)
    try:
        for number, record in enumerate(reader, start=1):
            _add_record(table, number, [value.strip() for value in record])
    except csv.Error as err:
        table.problems.append(Problem((reader.line_num,), None, f"unreadable line ({err})"))
    if not table.header:
        raise ExtractError(file, ["row 1: no header row (the file holds only blank lines)"])
    return table


def _add_record(table: RawTable, number: int, record: list[str]) -> None:
    if not table.header:
        if any(record):
            table.header = [name.lstrip("\ufeff").lstrip("ï»¿").strip() for name in record]
        return
    if not any(record):
        return
    width = len(table.header)
    if len(record) != width:
        table.problems.append(_field_count_problem(table.header, number, len(record)))
        return
    for name, value in zip(table.header, record, strict=True):
        if len(value) > MAX_FIELD_CHARS:
            table.problems.append(
                Problem(
                    (number,),
                    name,
                    f"field of {len(value):,} characters, over the limit of {MAX_FIELD_CHARS:,}",
                )
            )
            return
    table.rows.append(record)
    table.numbers.append(number)


def _field_count_problem(header: list[str], number: int, found: int) -> Problem:
    width = len(header)
    if found < width:
        text = f"the line ends after {found} of {width} fields (truncated line, or a missing delimiter)"
        return Problem((number,), header[found], text, "fields")
    text = f"the line has {found} fields, the header {width} (an unquoted delimiter inside a value?)"
    return Problem((number,), f"{header[-1]} and beyond", text, "fields")


# --- header -----------------------------------------------------------------------------------------


def match_header(header: list[str], source: str, rows: list[list[str]]) -> tuple[list[str], list[Problem]]:
    """Map the header of an extract to codebook column names.

    Header names are compared case-insensitively; unnamed columns that are empty in every row are
    ignored (trailing delimiters of some exports).

    Returns
    -------
    tuple
        The codebook name of each header position (``""`` for an ignored column) and header problems
        (missing, unexpected or repeated columns, with a suggestion when one is close).
    """
    specs = codebook.columns(source)
    lower = {name.lower(): name for name in specs}
    names = [lower.get(name.lower(), name) for name in header]
    problems: list[Problem] = []
    for pos, name in enumerate(names):
        if not name and all(not row[pos] for row in rows):
            names[pos] = ""
        elif names.count(name) > 1 and names.index(name) == pos:
            problems.append(Problem((1,), name or "(unnamed)", "appears more than once in the header"))
    missing = [n for n in specs if n not in names and specs[n].get("required", True)]
    extra = [n for n in dict.fromkeys(names) if n and n not in specs]
    for name in extra:
        problems.append(Problem((1,), f"'{name}'", "not expected" + _suggestion(name, missing, extra)))
    for name in missing:
        problems.append(Problem((1,), name, "missing from the header"))
    if problems:
        problems.append(Problem((), None, "expected columns: " + ", ".join(specs)))
    return names, problems


def _suggestion(found: str, missing: list[str], extra: list[str]) -> str:
    close = difflib.get_close_matches(found.lower(), missing, n=1, cutoff=0.6)
    if not close and len(missing) == 1 and len(extra) == 1:
        close = missing
    return f"; did you mean {close[0]}?" if close else ""


# --- text to typed columns --------------------------------------------------------------------------


def _shown(value: str, spec: dict[str, Any], what: str) -> str:
    if spec.get("pii"):
        return f"value {what} (not shown: personal data)"
    short = value if len(value) <= 60 else value[:57] + "..."
    return f"'{short}' {what}"


def _failures(raw: pd.Series, ok: pd.Series, name: str, spec: dict[str, Any], what: str) -> list[Problem]:
    bad = raw[~ok & raw.ne("")]
    return [Problem((int(row),), name, _shown(str(value), spec, what), what) for row, value in bad.items()]


def parse_string(raw: pd.Series, name: str, spec: dict[str, Any]) -> tuple[pd.Series, list[Problem]]:
    """Return a string column: NFC-normalised, empty as missing, codes upper-cased, lost zeros restored."""
    values = raw.map(lambda v: unicodedata.normalize("NFC", v)).astype("string").replace("", pd.NA)
    if spec.get("codes"):
        allowed = set(codebook.codes(spec["codes"]))
        upper = values.str.upper()
        values = values.mask(upper.isin(allowed).fillna(False).astype(bool), upper)
    width = re.fullmatch(r"\^\\d\{(\d+)\}\$", spec.get("pattern", ""))
    if width:
        short = values.str.fullmatch(r"\d+").fillna(False).astype(bool) & values.str.len().lt(
            int(width.group(1))
        )
        values = values.mask(short, values.str.zfill(int(width.group(1))))
    if name == "doc_number":
        values = schemas.normalise_document(values)
    return values, []


def parse_int(raw: pd.Series, name: str, spec: dict[str, Any]) -> tuple[pd.Series, list[Problem]]:
    """Return an Int64 column; ``3``, ``+3``, ``3,0`` and ``3.00`` are read, ``2,5`` or ``x`` are problems."""
    ok = raw.str.fullmatch(_INT.pattern) | raw.eq("")
    digits = raw.where(ok, "").str.replace(r"[.,]0+$", "", regex=True)
    values = pd.to_numeric(digits.replace("", None)).astype("Int64")
    return values, _failures(raw, ok, name, spec, "is not a whole number")


def detect_decimal(raws: list[pd.Series]) -> str:
    """Return the decimal sign of a file's float columns: the last separator in most values.

    Ties (including no separator at all) go to the codebook's ``raw_format.decimal``.
    """
    text = pd.concat(raws) if raws else pd.Series([], dtype=object)
    last = text.str.extract(r"([.,])\d*$")[0].dropna()
    comma, point = int((last == ",").sum()), int((last == ".").sum())
    if comma == point:
        return codebook.load()["raw_format"]["decimal"]
    return "," if comma > point else "."


def parse_float(
    raw: pd.Series, name: str, spec: dict[str, Any], decimal: str
) -> tuple[pd.Series, list[Problem]]:
    """Return a Float64 column read with the file's decimal sign (the other one groups thousands)."""
    ok = raw.str.fullmatch(_FLOAT[decimal].pattern) | raw.eq("")
    thousands = "." if decimal == "," else ","
    text = raw.where(ok, "").str.replace(thousands, "", regex=False).str.replace(decimal, ".", regex=False)
    values = pd.to_numeric(text.replace("", None)).astype("Float64")
    return values, _failures(raw, ok, name, spec, f"is not a number (decimal sign '{decimal}')")


def parse_date(raw: pd.Series, name: str, spec: dict[str, Any]) -> tuple[pd.Series, list[Problem]]:
    """Return a datetime64 column from day-first or ISO dates; impossible dates are problems."""
    text = raw.str.replace(_TIME.pattern, "", regex=True)
    dmy = text.str.extract(_DMY.pattern)
    ymd = text.str.extract(_YMD.pattern)
    parts = pd.DataFrame(
        {
            "year": dmy[2].fillna(ymd[0]),
            "month": dmy[1].fillna(ymd[1]),
            "day": dmy[0].fillna(ymd[2]),
        }
    )
    four_digits = parts["year"].str.len().eq(4).fillna(False).astype(bool)
    parts = parts.where(four_digits).astype("float")
    values = pd.to_datetime(parts, errors="coerce").astype("datetime64[ns]")
    problems = _failures(raw, four_digits | raw.eq(""), name, spec, "has a two-digit or missing year")
    problems += _failures(raw, values.notna() | ~four_digits | raw.eq(""), name, spec, "is not a date")
    return values, problems


def parse_bool(raw: pd.Series, name: str, spec: dict[str, Any]) -> tuple[pd.Series, list[Problem]]:
    """Return a boolean column from 1/0, S/N, sí/no, true/false (case and accents ignored)."""
    key = raw.str.lower().map(lambda v: unicodedata.normalize("NFKD", v).encode("ascii", "ignore").decode())
    values = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    values[key.isin(_TRUE)] = True
    values[key.isin(_FALSE)] = False
    ok = values.notna() | raw.eq("")
    return values, _failures(raw, ok, name, spec, "is not a yes/no value (1/0, S/N, sí/no, true/false)")


def text_frame(table: RawTable, names: list[str], source: str) -> pd.DataFrame:
    """Return the text of an extract with codebook column names and order, indexed by row number.

    Absent optional columns are empty strings; ignored (unnamed, empty) columns are dropped.
    """
    index = pd.Index(table.numbers, name="row", dtype="int64")
    text = pd.DataFrame(table.rows, columns=range(len(names)), index=index, dtype=object)
    raws = {name: text[pos] for pos, name in enumerate(names) if name}
    empty = pd.Series("", index=index, dtype=object)
    return pd.DataFrame({name: raws.get(name, empty) for name in codebook.columns(source)}, index=index)


def parse_columns(text: pd.DataFrame, source: str) -> tuple[pd.DataFrame, str, list[Problem]]:
    """Parse the text columns of an extract (:func:`text_frame`) into the codebook's types.

    Returns
    -------
    tuple
        The typed frame (codebook column order, indexed by spreadsheet row number), the decimal sign
        found and the parsing problems.
    """
    specs = codebook.columns(source)
    decimal = detect_decimal([text[n] for n, s in specs.items() if s["type"] == "float"])
    typed: dict[str, pd.Series] = {}
    problems: list[Problem] = []
    for name, spec in specs.items():
        raw = text[name]
        if spec["type"] == "float":
            typed[name], found = parse_float(raw, name, spec, decimal)
        else:
            typed[name], found = _PARSERS[spec["type"]](raw, name, spec)
        problems += found
    frame = pd.DataFrame(typed, index=text.index)
    return frame.astype({n: schemas.DTYPES[s["type"]] for n, s in specs.items()}), decimal, problems


_PARSERS = {"string": parse_string, "int": parse_int, "date": parse_date, "bool": parse_bool}


# --- validation -------------------------------------------------------------------------------------


def validate(frame: pd.DataFrame, text: pd.DataFrame, source: str, extraction_date: Any) -> list[Problem]:
    """Validate a typed extract against :func:`pact_analysis.schemas.schema_for` and word the failures.

    Parameters
    ----------
    frame : DataFrame
        Typed extract indexed by spreadsheet row number.
    text : DataFrame
        The same extract as text (:func:`text_frame`): values are quoted as written in the file, and
        cells the parser could not read (missing now) are not reported a second time.
    source : str
        Source name.
    extraction_date : date-like
        Latest acceptable date.

    Returns
    -------
    list of Problem
    """
    try:
        schemas.schema_for(source, extraction_date).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        return _word_failures(err.failure_cases, frame, text, source)
    return []


def _word_failures(
    cases: pd.DataFrame, frame: pd.DataFrame, text: pd.DataFrame, source: str
) -> list[Problem]:
    specs = codebook.columns(source)
    problems: list[Problem] = []
    table_checks = cases[cases["schema_context"] == "DataFrameSchema"]
    for check, group in table_checks.groupby("check", sort=True):
        problems += _pair_problems(str(check), sorted(set(group["index"].dropna().astype(int))), frame)
    column_cases = cases[(cases["schema_context"] == "Column") & cases["index"].notna()]
    dups = column_cases[column_cases["check"] == "field_uniqueness"]
    for (column, _), group in dups.groupby(["column", dups["failure_case"].astype(str)], sort=True):
        value = "" if specs[column].get("pii") else f" '{text.loc[int(group['index'].iloc[0]), column]}'"
        problems.append(
            Problem(tuple(sorted(group["index"].astype(int))), column, f"duplicate value{value}", "dup")
        )
    for case in column_cases[column_cases["check"] != "field_uniqueness"].itertuples():
        row, column = int(case.index), str(case.column)
        written = text.loc[row, column]
        if case.check == "not_nullable" and written == "":
            problems.append(Problem((row,), column, "is empty (a value is required)", "not_nullable"))
        elif case.check != "not_nullable":
            problems.append(
                Problem((row,), column, _shown(written, specs[column], str(case.check)), str(case.check))
            )
    return problems


def _pair_problems(check: str, rows: list[int], frame: pd.DataFrame) -> list[Problem]:
    match = re.fullmatch(r"(\w+) is before (\w+)", check)
    if not match:
        return [Problem(tuple(rows), None, check)]
    end, start = match.groups()
    return [
        Problem(
            (row,),
            end,
            f"{schemas.fmt_date(frame.loc[row, end])} is before {start} {schemas.fmt_date(frame.loc[row, start])}",
            "pair",
        )
        for row in rows
    ]


def summarise(problems: list[Problem]) -> list[str]:
    """Order problems by row and keep the first :data:`ROWS_SHOWN` rows of each (column, problem) kind."""
    shown: list[str] = []
    counts: dict[tuple[str | None, str], int] = defaultdict(int)
    for problem in sorted(problems, key=lambda p: (p.rows[:1] or (1 << 62,), p.column or "", p.text)):
        key = (problem.column, problem.kind or problem.text)
        counts[key] += 1
        if counts[key] <= ROWS_SHOWN:
            shown.append(str(problem))
    for (column, kind), n in sorted(counts.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])):
        if n > ROWS_SHOWN:
            shown.append(f"column {column}: {n - ROWS_SHOWN} more rows with the same problem ({kind})")
    return shown


# --- one extract ------------------------------------------------------------------------------------


def read_text(path: Path, source: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read one raw extract as text, checking only its structure (encoding, header, field counts).

    Parameters
    ----------
    path : Path
        The CSV file.
    source : str
        Its source name in the codebook.

    Returns
    -------
    tuple
        The stripped text of every codebook column (:func:`text_frame`, indexed by spreadsheet row
        number) and the file's format (encoding, delimiter).

    Raises
    ------
    ExtractError
        For a spreadsheet, binary or empty file, a header that does not match the codebook, a line
        with the wrong number of fields or an oversized field.
    """
    file = Path(path).name
    content, encoding = decode(Path(path).read_bytes(), file)
    table = split_records(content, file)
    names, header_problems = match_header(table.header, source, table.rows)
    if header_problems or table.problems:
        raise ExtractError(file, summarise(header_problems + table.problems))
    return text_frame(table, names, source), {"encoding": encoding, "delimiter": table.delimiter}


def read_extract(path: Path, source: str, extraction_date: Any) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read, parse and validate one raw extract.

    Parameters
    ----------
    path : Path
        The CSV file.
    source : str
        Its source name in the codebook.
    extraction_date : date-like
        Latest acceptable date (``params["data"]["extraction_date"]``).

    Returns
    -------
    tuple
        The typed frame (codebook columns and dtypes, indexed by spreadsheet row number, index name
        ``row``) and a dict describing the file's format (encoding, delimiter, decimal).

    Raises
    ------
    ExtractError
        Naming the file, rows and columns of every problem found.
    """
    text, info = read_text(path, source)
    if text.empty and codebook.sources()[source].get("required"):
        raise ExtractError(Path(path).name, ["row 2: no data rows (header only); this extract is required"])
    frame, decimal, problems = parse_columns(text, source)
    problems += validate(frame, text, source, extraction_date)
    if problems:
        raise ExtractError(Path(path).name, summarise(problems))
    return frame, info | {"decimal": decimal}


def document_warnings(frame: pd.DataFrame, source: str) -> list[Problem]:
    """Return one warning per row whose DNI/NIE fails its format or check letter (value not shown)."""
    if "doc_number" not in frame:
        return []
    valid = schemas.document_is_valid(frame["doc_type"], frame["doc_number"])
    rows = valid.index[valid.eq(False).fillna(False).astype(bool)]
    text = "DNI/NIE fails its format or check letter (kept: linkage tolerates typos)"
    return [Problem((int(row),), "doc_number", text, "document") for row in rows]


# --- cross-file checks ------------------------------------------------------------------------------


def reference_problems(frames: dict[str, pd.DataFrame], source: str) -> list[Problem]:
    """Return rows of ``source`` whose ``references:`` columns point to nothing in the referenced extract."""
    problems: list[Problem] = []
    for column, spec in codebook.columns(source).items():
        if not spec.get("references"):
            continue
        target, target_column = spec["references"].split(".")
        if target not in frames:
            continue
        values = frames[source][column]
        broken = values.notna() & ~values.isin(set(frames[target][target_column].dropna()))
        file = codebook.sources()[target]["file"]
        problems += [
            Problem(
                (int(row),),
                column,
                _shown(str(value), spec, f"does not exist in {file} ({target_column})"),
                "ref",
            )
            for row, value in values[broken].items()
        ]
    return problems


# --- the stage --------------------------------------------------------------------------------------


def read_all(
    raw: Path, extraction_date: Any
) -> tuple[dict[str, pd.DataFrame], dict[str, Any], dict[str, list[str]]]:
    """Read every codebook source from ``raw``.

    Returns
    -------
    tuple
        Typed frames by source (an empty typed frame for an absent optional extract), the format
        information by source (``delivered`` tells an absent extract from a delivered empty one) and
        the problems by file name (empty if everything is valid).
    """
    frames: dict[str, pd.DataFrame] = {}
    info: dict[str, Any] = {}
    failures: dict[str, list[str]] = {}
    for source in progress(list(codebook.sources()), desc="ingest"):
        spec = codebook.sources()[source]
        path = Path(raw) / spec["file"]
        if not path.exists():
            if spec.get("required") or _spreadsheet_instead(path):
                failures[spec["file"]] = [_missing_text(path, bool(spec.get("required")))]
            frames[source], info[source] = _absent(source)
            continue
        try:
            frames[source], info[source] = read_extract(path, source, extraction_date)
            info[source]["delivered"] = True
        except ExtractError as err:
            failures[err.file] = err.problems
    for source in frames:
        if info[source]["delivered"]:
            broken = reference_problems(
                {s: f for s, f in frames.items() if _file_of(s) not in failures}, source
            )
            if broken:
                failures.setdefault(codebook.sources()[source]["file"], []).extend(summarise(broken))
    return frames, info, failures


def _file_of(source: str) -> str:
    return codebook.sources()[source]["file"]


def _spreadsheet_instead(path: Path) -> Path | None:
    found = [path.with_suffix(ext) for ext in (".xlsx", ".xls", ".ods") if path.with_suffix(ext).exists()]
    return found[0] if found else None


def _missing_text(path: Path, required: bool) -> str:
    text = f"file missing from {path.parent}" + (" (a required extract)" if required else "")
    other = _spreadsheet_instead(path)
    if other:
        text += f"; found {other.name} instead: a spreadsheet; export it as CSV (semicolon-separated, UTF-8)"
    return text


def _absent(source: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    frame = schemas.empty_frame(source)
    frame.index = pd.Index([], dtype="int64", name="row")
    return frame, {"delivered": False}


def _raise_first(failures: dict[str, list[str]]) -> None:
    files = sorted(failures, key=lambda f: [s["file"] for s in codebook.sources().values()].index(f))
    for other in files[1:]:
        log.error("%s", ExtractError(other, failures[other]))
    problems = list(failures[files[0]])
    if len(files) > 1:
        problems.append(f"other extracts with problems (see the log): {', '.join(files[1:])}")
    raise ExtractError(files[0], problems)


def delivery(frames: dict[str, pd.DataFrame], info: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return, per source, its file, whether it was delivered and its rows (``None`` if not delivered).

    A delivered extract with a header and no data row has 0 rows; an extract that was not delivered
    has no row count at all, so that no report shows it as an empty delivery.

    Parameters
    ----------
    frames : dict of str to DataFrame
        Typed frames by source (:func:`read_all`).
    info : dict
        Format information by source, with ``delivered`` (:func:`read_all`).
    """
    return {
        source: {
            "file": _file_of(source),
            "delivered": bool(info[source]["delivered"]),
            "rows": len(frame) if info[source]["delivered"] else None,
        }
        for source, frame in frames.items()
    }


def delivery_summary(delivered: dict[str, dict[str, Any]]) -> str:
    """Return one line for logs: ``"5 of 10 sources delivered; not delivered: a.csv, b.csv"``.

    Parameters
    ----------
    delivered : dict
        Output of :func:`delivery` (or the ``sources`` of :func:`read_delivery`).
    """
    absent = [entry["file"] for entry in delivered.values() if not entry["delivered"]]
    text = f"{len(delivered) - len(absent)} of {len(delivered)} sources delivered"
    return text + (f"; not delivered: {', '.join(absent)}" if absent else "")


def metrics(frames: dict[str, pd.DataFrame], info: dict[str, Any], warnings: pd.DataFrame) -> dict[str, Any]:
    """Return the ingest metrics: delivery, rows, format, invalid documents and missingness per source.

    An extract that was not delivered has ``delivered: false`` and ``rows: null`` and nothing else;
    a delivered empty extract has ``rows: 0``.
    """
    out: dict[str, Any] = {}
    for source, entry in delivery(frames, info).items():
        out[source] = entry
        if not entry["delivered"]:
            continue
        frame = frames[source]
        entry |= {k: v for k, v in info[source].items() if k != "delivered"}
        if "doc_number" in frame:
            entry["invalid_documents"] = int((warnings["source"] == source).sum())
        share = frame.isna().mean() if len(frame) else pd.Series(0.0, index=frame.columns)
        entry["missing_share"] = {col: round(float(v), 4) for col, v in share.items()}
    return {
        "sources": out,
        "sources_delivered": sum(entry["delivered"] for entry in out.values()),
        "total_rows": int(sum(len(f) for f in frames.values())),
    }


def run(paths: Paths, params: dict[str, Any]) -> None:
    """The ``ingest`` stage: validate ``data/raw`` and write ``data/interim/clean`` and ``metrics/ingest.json``.

    Parameters
    ----------
    paths : Paths
        Project paths.
    params : dict
        Parameters; reads ``data.extraction_date``.

    Raises
    ------
    ExtractError
        If any extract breaks its contract (nothing is written then).
    """
    extraction_date = params["data"]["extraction_date"]
    frames, info, failures = read_all(paths.raw, extraction_date)
    if failures:
        _raise_first(failures)
    warnings = pd.DataFrame(
        [
            {"source": s, "row": p.rows[0], "column": p.column, "warning": p.text}
            for s, f in frames.items()
            for p in document_warnings(f, s)
        ],
        columns=["source", "row", "column", "warning"],
    )
    for source, group in warnings.groupby("source", sort=True):
        rows = ", ".join(map(str, group["row"].head(ROWS_SHOWN)))
        more = f" and {len(group) - ROWS_SHOWN} more" if len(group) > ROWS_SHOWN else ""
        log.warning(
            "%s: %d DNI/NIE fail their check letter (rows %s%s); kept", source, len(group), rows, more
        )
    delivered = delivery(frames, info)
    log.info("%s", delivery_summary(delivered))
    with atomic_dir(paths.clean) as tmp:
        for source, frame in frames.items():
            frame.reset_index(drop=True).to_parquet(tmp / f"{source}.parquet", index=False)
        warnings.to_csv(tmp / "warnings.csv", index=False)
        write_json(tmp / DELIVERY_FILE, {"sources": delivered})
    write_json(
        paths.metrics / "ingest.json",
        {"extraction_date": str(extraction_date)} | metrics(frames, info, warnings),
    )


def read_delivery(paths: Paths) -> dict[str, dict[str, Any]]:
    """Read which extracts were delivered (``data/interim/clean/delivery.json``, written by ``ingest``).

    Parameters
    ----------
    paths : Paths
        Project paths.

    Returns
    -------
    dict
        Per source in codebook order: ``file``, ``delivered`` (bool) and ``rows`` (``None`` when the
        extract was not delivered, 0 for a delivered empty one).

    Raises
    ------
    StageError
        If the ``ingest`` stage has not written it.
    """
    path = paths.clean / DELIVERY_FILE
    if not path.exists():
        raise StageError(f"{path}: missing; run the ingest stage first (dvc repro ingest)")
    sources = json.loads(path.read_text(encoding="utf-8"))["sources"]
    return {source: sources[source] for source in codebook.sources() if source in sources}


def delivered(paths: Paths) -> dict[str, bool]:
    """Return whether each source's extract was delivered (for :func:`pact_analysis.describe.source_sizes`)."""
    return {source: entry["delivered"] for source, entry in read_delivery(paths).items()}


def read_clean(paths: Paths) -> dict[str, pd.DataFrame]:
    """Read the validated extracts written by the ``ingest`` stage.

    Parameters
    ----------
    paths : Paths
        Project paths.

    Returns
    -------
    dict of str to DataFrame
        Typed extracts keyed by source name, in codebook order.

    Raises
    ------
    StageError
        If the ``ingest`` stage has not been run.
    """
    missing = [s for s in codebook.sources() if not (paths.clean / f"{s}.parquet").exists()]
    if missing:
        raise StageError(
            f"{paths.clean}: no clean table for {', '.join(missing)}; run the ingest stage first (dvc repro ingest)"
        )
    return {source: pd.read_parquet(paths.clean / f"{source}.parquet") for source in codebook.sources()}
