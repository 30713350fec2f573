"""From the bytes of an extract to its text columns: encoding, delimiter, records, header.

Spreadsheets and binary files are refused; UTF-8 (with or without BOM), cp1252 / Latin-1 and UTF-16
with a byte-order mark (Excel's "Unicode text") are read. The header is matched to the codebook
case-insensitively and in any order; an unexpected column is dropped with a warning (so that no
unscanned personal data travels downstream) unless a required column is missing, when it is more
likely a renamed one and is refused with a suggestion.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pact_analysis import codebook
from pact_analysis.errors import ExtractError
from pact_analysis.ingest.problems import Problem, summarise

#: Longest accepted field: longer values are corrupted exports (a pasted document, a binary blob).
MAX_FIELD_CHARS = 10_000
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")
_EXPORT_HINT = "export it as CSV (semicolon-separated, UTF-8)"
#: Byte-order marks of UTF-16 (Excel's "Unicode text" export writes the little-endian one).
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass
class RawTable:
    """The text of one extract: header, data records, their spreadsheet row numbers, the delimiter.

    ``cut_off`` is the row number of a last record that has no line break after it (the file may have
    been cut off), or ``None``.
    """

    header: list[str]
    rows: list[list[str]]
    numbers: list[int]
    delimiter: str
    problems: list[Problem] = field(default_factory=list)
    cut_off: int | None = None


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
        ``(text, encoding)``; the encoding is ``utf-8``, ``utf-8-sig``, ``utf-16`` or ``cp1252``.

    Raises
    ------
    ExtractError
        For an empty file, a spreadsheet, a binary file (or UTF-16 without a byte-order mark) and a
        UTF-8 file with a few bytes in another encoding.
    """
    if not data:
        raise ExtractError(file, ["the file is empty (0 bytes): expected a header row and data rows"])
    if data[:2] == b"PK":
        raise ExtractError(file, [f"is a spreadsheet (.xlsx); {_EXPORT_HINT}"])
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise ExtractError(file, [f"is a spreadsheet (.xls); {_EXPORT_HINT}"])
    if data[:2] in _UTF16_BOMS:
        return _decode_utf16(data, file), "utf-16"
    if b"\x00" in data[:4096]:
        raise ExtractError(
            file, [f"is a binary file (or UTF-16 text without a byte-order mark); {_EXPORT_HINT}"]
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


def _decode_utf16(data: bytes, file: str) -> str:
    try:
        return data.decode("utf-16")
    except UnicodeDecodeError as err:
        row = data[: err.start].decode("utf-16", errors="replace").count("\n") + 1
        raise ExtractError(
            file, [f"row {row}: not valid UTF-16 although the file starts as UTF-16; {_EXPORT_HINT}"]
        ) from None


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
        Header (stripped), data records with their spreadsheet row numbers, structural problems (wrong
        field count, oversized field) and whether the last record lacks its line break. Fully empty
        records are skipped but keep their number.
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
    last_line = text.rsplit("\n", 1)[-1].replace(delimiter, "").strip()
    if table.numbers and last_line and not text.endswith(("\n", "\r")):
        table.cut_off = table.numbers[-1]
    return table


def _add_record(table: RawTable, number: int, record: list[str]) -> None:
    if table.header and len(record) == len(table.header) and max(map(len, record)) <= MAX_FIELD_CHARS:
        if any(record):  # the usual record, checked without a loop in Python
            table.rows.append(record)
            table.numbers.append(number)
        return
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

    Header names are compared case-insensitively. Unnamed columns are ignored (trailing delimiters of
    some exports); so are unexpected columns when every required column is present: they are dropped
    (:func:`dropped_columns` names them for the warning). When a required column is missing, the
    unexpected ones are refused with a suggestion (a renamed or misspelt column).

    Parameters
    ----------
    header : list of str
        The header as written.
    source : str
        Source name in the codebook.
    rows : list of list of str
        The data records (an unnamed column is ignored whatever it holds; see :func:`dropped_columns`).

    Returns
    -------
    tuple
        The codebook name of each header position (``""`` for an ignored or dropped column) and header
        problems (missing or repeated columns, unexpected ones when a required column is missing).
    """
    specs = codebook.columns(source)
    lower = {name.lower(): name for name in specs}
    names = [lower.get(name.lower(), name) for name in header]
    problems: list[Problem] = []
    for pos, name in enumerate(names):
        if name in specs and names.count(name) > 1 and names.index(name) == pos:
            problems.append(Problem((1,), name, "appears more than once in the header"))
    missing = [n for n in specs if n not in names and specs[n].get("required", True)]
    extra = [n for n in dict.fromkeys(names) if n and n not in specs]
    if missing:
        for name in extra:
            problems.append(Problem((1,), f"'{name}'", "not expected" + _suggestion(name, missing, extra)))
    for name in missing:
        problems.append(Problem((1,), name, "missing from the header"))
    if problems:
        problems.append(Problem((), None, "expected columns: " + ", ".join(specs)))
    return [name if name in specs else "" for name in names], problems


def _suggestion(found: str, missing: list[str], extra: list[str]) -> str:
    close = difflib.get_close_matches(found.lower(), missing, n=1, cutoff=0.6)
    if not close and len(missing) == 1 and len(extra) == 1:
        close = missing
    return f"; did you mean {close[0]}?" if close else ""


def dropped_columns(header: list[str], names: list[str], rows: list[list[str]]) -> list[str]:
    """Return the columns that hold values and are dropped: unexpected names, or unnamed columns.

    Parameters
    ----------
    header : list of str
        The header as written.
    names : list of str
        Codebook names per position (:func:`match_header`; ``""`` for a column not kept).
    rows : list of list of str
        The data records.

    Returns
    -------
    list of str
        ``'observaciones'`` for a named column (each name once), ``#12 (no name)`` for an unnamed
        one holding values; unnamed columns empty in every row (trailing delimiters) are not listed.
    """
    out: list[str] = []
    for pos, (written, name) in enumerate(zip(header, names, strict=True)):
        if name:
            continue
        if written and f"'{written}'" not in out:
            out.append(f"'{written}'")
        elif not written and any(row[pos] for row in rows):
            out.append(f"#{pos + 1} (no name)")
    return out


def text_frame(table: RawTable, names: list[str], source: str) -> pd.DataFrame:
    """Return the text of an extract with codebook column names and order, indexed by row number.

    Absent optional columns are empty strings; ignored and dropped columns are not kept.
    """
    index = pd.Index(table.numbers, name="row", dtype="int64")
    text = pd.DataFrame(table.rows, columns=range(len(names)), index=index, dtype=object)
    raws = {name: text[pos] for pos, name in enumerate(names) if name}
    empty = pd.Series("", index=index, dtype=object)
    return pd.DataFrame({name: raws.get(name, empty) for name in codebook.columns(source)}, index=index)


def read_table(path: Path, file: str) -> tuple[RawTable, str]:
    """Read the bytes of an extract and split them into records.

    Returns
    -------
    tuple
        The records (:class:`RawTable`) and the encoding.

    Raises
    ------
    ExtractError
        If the file cannot be opened or decoded, or holds no header.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise ExtractError(file, [f"cannot be read ({err.strerror or type(err).__name__})"]) from None
    content, encoding = decode(data, file)
    return split_records(content, file), encoding


def read_text(path: Path, source: str, file: str | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read one raw extract as text, checking only its structure (encoding, header, field counts).

    Parameters
    ----------
    path : Path
        The CSV file.
    source : str
        Its source name in the codebook.
    file : str, optional
        The file as messages name it; defaults to the file name.

    Returns
    -------
    tuple
        The stripped text of every codebook column (:func:`text_frame`, indexed by spreadsheet row
        number) and the file's format: ``encoding``, ``delimiter``, plus ``dropped`` (the columns
        dropped, :func:`dropped_columns`) and ``cut_off`` (the row of a last record without a line
        break, or ``None``) when there is something to say.

    Raises
    ------
    ExtractError
        For a spreadsheet, binary or empty file, a header that does not match the codebook, a line
        with the wrong number of fields or an oversized field.
    """
    file = file or Path(path).name
    table, encoding = read_table(path, file)
    names, header_problems = match_header(table.header, source, table.rows)
    if header_problems or table.problems:
        raise ExtractError(file, summarise(header_problems + table.problems))
    info: dict[str, Any] = {"encoding": encoding, "delimiter": table.delimiter}
    dropped = dropped_columns(table.header, names, table.rows)
    if dropped:
        info["dropped"] = dropped
    if table.cut_off is not None:
        info["cut_off"] = table.cut_off
    return text_frame(table, names, source), info
