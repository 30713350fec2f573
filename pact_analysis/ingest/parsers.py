"""From text columns to the codebook's types: strings, codes, whole numbers, amounts, dates, yes/no.

Every parser takes the stripped text of one column (empty string for a blank cell) and returns the
typed column and one :class:`~pact_analysis.ingest.problems.Problem` per cell it could not read. A
column with no readable value -- all blank, or all in a format the parser does not know -- is such a
column too: never an exception. Conventions read:

- decimal comma or point, decided per file from the float columns (the other sign is a thousands
  separator only in well-formed groups of three digits);
- dates ``dd/mm/yyyy``, ``dd-mm-yyyy``, ``dd.mm.yyyy`` or ``yyyy-mm-dd`` (an optional time part is
  ignored); day first always, two-digit years are refused, and a column whose every date reads as
  month/day (and some not as day/month) is refused with a "day and month swapped?" hint;
- booleans ``1/0``, ``S/N``, ``sí/no``, ``true/false``;
- codes in lower case (``h`` -> ``H``); fixed-width numeric codes that lost their leading zeros in a
  spreadsheet (municipality ``5019`` -> ``05019``); DNI/NIE without spaces, dots or hyphens.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from typing import Any

import pandas as pd

from pact_analysis import codebook, schemas
from pact_analysis.ingest.problems import ROWS_SHOWN, Problem, failures, guarded

_TRUE = frozenset({"1", "1.0", "1,0", "s", "si", "y", "yes", "t", "true", "v", "verdadero"})
_FALSE = frozenset({"0", "0.0", "0,0", "n", "no", "f", "false", "falso"})
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_TIME = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")
_INT = re.compile(r"^[+-]?\d+([.,]0{1,2})?$")
_FLOAT = {
    ",": re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$"),
    ".": re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$"),
}
#: Most digits of a whole number read (beyond, the value cannot be a count, an amount or a year).
MAX_DIGITS = 15
_HUGE = re.compile(rf"[+-]?\d{{{MAX_DIGITS + 1}}}")
_SWAPPED = (
    "every date of this column reads as month/day, and {n} not as day/month ({first}): day and month "
    "swapped? (export dates as dd/mm/yyyy)"
)


def _text(raw: pd.Series) -> pd.Series:
    """Return the column as Python strings, a missing value as an empty string."""
    if raw.dtype == object and not raw.hasnans:
        return raw  # the text of an extract (reading.text_frame): strings already
    return raw.astype(object).where(raw.notna(), "").astype(str)


def parse_string(raw: pd.Series, name: str, spec: dict[str, Any]) -> tuple[pd.Series, list[Problem]]:
    """Return a string column: NFC-normalised, empty as missing, codes upper-cased, lost zeros restored."""
    text = _text(raw).map(lambda v: unicodedata.normalize("NFC", v))
    values = text.astype("string").mask(text.eq(""), pd.NA)
    if spec.get("codes"):
        allowed = set(codebook.codes(spec["codes"]))
        upper = values.str.upper()
        values = values.mask(upper.isin(allowed).fillna(False).astype(bool), upper)
    width = re.fullmatch(r"\^\\d\{(\d+)\}\$", spec.get("pattern", ""))
    if width:
        short = values.str.fullmatch(r"\d+").fillna(False).astype(bool) & values.str.len().lt(
            int(width.group(1))
        ).fillna(False).astype(bool)
        values = values.mask(short, values.str.zfill(int(width.group(1))))
    if name == "doc_number":
        values = schemas.normalise_document(values)
    return values, []


def parse_int(raw: pd.Series, name: str, spec: dict[str, Any]) -> tuple[pd.Series, list[Problem]]:
    """Return an Int64 column; ``3``, ``+3``, ``3,0`` and ``3.00`` are read, ``2,5`` or ``x`` are problems."""
    text = _text(raw)
    ok = text.str.fullmatch(_INT.pattern).astype(bool) | text.eq("")
    digits = text.where(ok, "").str.replace(r"[.,]0+$", "", regex=True)
    huge = digits.str.match(_HUGE.pattern).astype(bool)
    digits = digits.where(~huge & digits.ne(""))
    values = pd.to_numeric(digits).astype("Int64")
    problems = failures(text, ok, name, spec, "is not a whole number")
    return values, problems + failures(text, ~huge, name, spec, f"has more than {MAX_DIGITS} digits")


def detect_decimal(raws: list[pd.Series]) -> str:
    """Return the decimal sign of a file's float columns: the last separator in most values.

    Ties (including no separator at all, or no value) go to the codebook's ``raw_format.decimal``.
    """
    text = pd.concat([_text(raw) for raw in raws]) if raws else pd.Series([], dtype=object)
    last = text.astype(object).str.extract(r"([.,])\d*$")[0].dropna() if len(text) else text
    comma, point = int((last == ",").sum()), int((last == ".").sum())
    if comma == point:
        return codebook.load()["raw_format"]["decimal"]
    return "," if comma > point else "."


def parse_float(
    raw: pd.Series, name: str, spec: dict[str, Any], decimal: str
) -> tuple[pd.Series, list[Problem]]:
    """Return a Float64 column read with the file's decimal sign (the other one groups thousands)."""
    text = _text(raw)
    ok = text.str.fullmatch(_FLOAT[decimal].pattern).astype(bool) | text.eq("")
    thousands = "." if decimal == "," else ","
    number = text.where(ok, "").str.replace(thousands, "", regex=False).str.replace(decimal, ".", regex=False)
    huge = number.str.match(_HUGE.pattern).astype(bool)
    values = pd.to_numeric(number.where(~huge & number.ne(""))).astype("Float64")
    problems = failures(text, ok, name, spec, f"is not a number (decimal sign '{decimal}')")
    return values, problems + failures(text, ~huge, name, spec, f"has more than {MAX_DIGITS} digits")


def _compose(year: pd.Series, month: pd.Series, day: pd.Series, use: pd.Series) -> pd.Series:
    """Return dates from text parts where ``use`` is true (NaT elsewhere and for impossible dates)."""
    if not use.any():
        return pd.Series(pd.NaT, index=year.index, dtype="datetime64[ns]")
    parts = {"year": year, "month": month, "day": day}
    numbers = pd.DataFrame(
        {key: pd.to_numeric(part.where(use), errors="coerce").astype(float) for key, part in parts.items()}
    )
    return pd.to_datetime(numbers, errors="coerce").astype("datetime64[ns]")


def parse_date(raw: pd.Series, name: str, spec: dict[str, Any]) -> tuple[pd.Series, list[Problem]]:
    """Return a datetime64 column from day-first or ISO dates; impossible dates are problems.

    When some dates fail as day/month and every ``dd/mm/yyyy``-shaped date of the column reads as
    month/day, the failing ones are refused with a "day and month swapped?" hint.
    """
    written = _text(raw)
    text = written.str.replace(_TIME.pattern, "", regex=True)
    dmy = text.str.extract(_DMY.pattern).astype(object)
    ymd = text.str.extract(_YMD.pattern).astype(object)
    year, month, day = (dmy[d].where(dmy[d].notna(), ymd[y]) for d, y in ((2, 0), (1, 1), (0, 2)))
    shaped = year.notna()
    four_digits = year.map(lambda y: isinstance(y, str) and len(y) == 4).astype(bool)
    values = _compose(year, month, day, four_digits)
    problems = failures(written, shaped, name, spec, "is not a date (expected dd/mm/yyyy or yyyy-mm-dd)")
    problems += failures(
        written, four_digits | ~shaped, name, spec, "has a two-digit year (write it in full)"
    )
    swapped = _month_first(dmy, four_digits, values)
    if swapped is not None:
        problems.append(_swapped_problem(written[swapped], name, spec))
    read = values.notna() | ~four_digits | (swapped if swapped is not None else False)
    return values, problems + failures(written, read, name, spec, "is not a date")


def _swapped_problem(failed: pd.Series, name: str, spec: dict[str, Any]) -> Problem:
    """One problem for a column in month/day order: its first rows, how many, the first value (if not pii)."""
    rows = tuple(int(r) for r in failed.index[:ROWS_SHOWN])
    n = f"{len(failed):,} " + ("does" if len(failed) == 1 else "do")
    first = "values not shown: personal data" if spec.get("pii") else f"the first: '{failed.iloc[0]}'"
    return Problem(rows, name, _SWAPPED.format(n=n, first=first), "month/day")


def _month_first(dmy: pd.DataFrame, four_digits: pd.Series, values: pd.Series) -> pd.Series | None:
    """Return the rows that fail as day/month when every ``dd/mm/yyyy`` date reads as month/day, else None."""
    shaped = dmy[0].notna() & four_digits
    failed = shaped & values.isna()
    if not failed.any():
        return None
    as_month_first = _compose(dmy[2], dmy[0], dmy[1], shaped)
    return None if as_month_first[shaped].isna().any() else failed


def parse_bool(raw: pd.Series, name: str, spec: dict[str, Any]) -> tuple[pd.Series, list[Problem]]:
    """Return a boolean column from 1/0, S/N, sí/no, true/false (case and accents ignored)."""
    text = _text(raw)
    key = text.str.lower().map(lambda v: unicodedata.normalize("NFKD", v).encode("ascii", "ignore").decode())
    values = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    values[key.isin(_TRUE).to_numpy()] = True
    values[key.isin(_FALSE).to_numpy()] = False
    ok = values.notna() | text.eq("")
    return values, failures(text, ok, name, spec, "is not a yes/no value (1/0, S/N, sí/no, true/false)")


def parse_distinct(
    parser: Callable[..., tuple[pd.Series, list[Problem]]], raw: pd.Series, name: str, spec: dict[str, Any]
) -> tuple[pd.Series, list[Problem]]:
    """Parse each distinct text of a column once, then give every row the value of its text.

    Every parser reads each cell on its own (a column-wide rule, such as the "day and month
    swapped?" check of :func:`parse_date`, asks whether any or every value passes, which the
    distinct values answer alike), so the column parsed this way is the column parsed row by row. A
    dated column of a million rows holds a few thousand distinct dates. When a distinct value is a
    problem, the column is parsed again row by row, so that the messages name the rows; so is a
    column holding a NUL character, which pandas' hashing of strings does not see past
    (pandas-dev/pandas#53720).

    Parameters
    ----------
    parser : callable
        One of :data:`PARSERS` (or :func:`parse_float` with its decimal sign bound).
    raw : Series
        The column's text, indexed by spreadsheet row number.
    name : str
        Column name.
    spec : dict
        Its codebook entry.

    Returns
    -------
    tuple
        The typed column (indexed like ``raw``) and the problems of its rows.
    """
    text = _text(raw)
    # pandas (2.3) hashes a string only up to a NUL character: such a column is parsed row by row
    if text.str.contains("\x00", regex=False).any():
        return parser(raw, name, spec)
    codes, distinct = pd.factorize(text)
    if len(distinct) == len(raw):
        return parser(raw, name, spec)
    values, problems = parser(pd.Series(distinct, dtype=object), name, spec)
    if problems:
        return parser(raw, name, spec)
    return values.take(codes).set_axis(raw.index), []


def parse_columns(text: pd.DataFrame, source: str) -> tuple[pd.DataFrame, str, list[Problem]]:
    """Parse the text columns of an extract (:func:`~pact_analysis.ingest.reading.text_frame`).

    A parser that fails unexpectedly gives a problem naming its column (the column is then empty).

    Returns
    -------
    tuple
        The typed frame (codebook column order and dtypes, indexed by spreadsheet row number), the
        decimal sign found and the parsing problems.
    """
    specs = codebook.columns(source)
    problems: list[Problem] = []
    decimal = codebook.load()["raw_format"]["decimal"]
    with guarded(problems, None, "read (decimal sign)"):
        decimal = detect_decimal([text[n] for n, s in specs.items() if s["type"] == "float"])
    typed: dict[str, pd.Series] = {}
    for name, spec in specs.items():
        typed[name] = pd.Series(index=text.index, dtype=schemas.DTYPES[spec["type"]])
        with guarded(problems, name, "parsed"):
            if spec["type"] == "float":
                parser = functools.partial(parse_float, decimal=decimal)
            else:
                parser = PARSERS[spec["type"]]
            typed[name], found = parse_distinct(parser, text[name], name, spec)
            problems += found
    frame = pd.DataFrame(typed, index=text.index)
    return frame.astype({n: schemas.DTYPES[s["type"]] for n, s in specs.items()}), decimal, problems


#: The parser of each codebook type but ``float`` (which also needs the file's decimal sign).
PARSERS = {"string": parse_string, "int": parse_int, "date": parse_date, "bool": parse_bool}
