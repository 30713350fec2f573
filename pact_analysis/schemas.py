"""Pandera contracts of the raw extracts, built from the codebook (the one place a column is defined).

:func:`schema_for` returns the schema of one *typed* extract (after :mod:`pact_analysis.ingest` has
parsed the text): dtypes, nullability, uniqueness, code lists, the plausible range of every number
(``min``/``max``, each citing its source in ``codebook.yaml``), amounts bounded in multiples of the
IPREM of their own years (``max_iprem``: the RGC's 130%), patterns, dates (a column's own ``min`` --
the RGC's start -- or else the earliest plausible birth date, and never after the extraction date),
ages 0 to ``period.max_age`` at the extraction date for birth dates and birth years, and
``end_date >= start_date``. Cross-file references (``references:`` in the codebook) need several files
and are checked by ingest; values that are possible but unusual (``warn_min``/``warn_max``,
``warn_max_iprem``, dates before ``period.usual_from``, ages over ``period.unusual_age``) are read with
a warning (:func:`unusual_bounds`, :func:`iprem_bounds`).

Identity documents are checked separately by :func:`document_is_valid`: a wrong DNI/NIE check letter
is a typo that linkage is designed to absorb, so it is counted and reported, never a hard error.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pandera.pandas as pa

from pact_analysis import codebook

#: pandas dtype of each codebook type (nullable extension dtypes, so a missing value stays missing).
DTYPES: dict[str, str] = {
    "string": "string",
    "int": "Int64",
    "float": "Float64",
    "date": "datetime64[ns]",
    "bool": "boolean",
}

#: DNI/NIE check letters, indexed by the number modulo 23 (Real Decreto 1553/2005).
CHECK_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
_NIE_PREFIX = {"X": "0", "Y": "1", "Z": "2"}
#: Columns holding birth dates, bounded by the ages of ``period``.
BIRTH_COLUMNS = frozenset({"birth_date"})
#: Columns holding birth years (when the date is unknown), bounded by the same ages.
BIRTH_YEAR_COLUMNS = frozenset({"birth_year"})
#: Pairs (start, end) of date columns where the end may not precede the start.
DATE_PAIRS = (("start_date", "end_date"),)


def fmt_date(value: Any) -> str:
    """Return a date as the raw extracts write it (``dd/mm/yyyy``)."""
    return pd.Timestamp(value).strftime(codebook.load()["raw_format"]["date_format"])


def _oldest_born(latest: pd.Timestamp, age: int) -> pd.Timestamp:
    """Return the earliest birth date giving an age of at most ``age`` on ``latest``."""
    return latest - pd.DateOffset(years=age + 1) + pd.Timedelta(days=1)


def date_bounds(
    column: str, extraction_date: Any, spec: dict[str, Any] | None = None
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return the earliest and latest acceptable value of a date column.

    Parameters
    ----------
    column : str
        Column name; a birth date gives an age of at most ``period.max_age`` at the extraction date (and
        is never before ``period.earliest_birth``).
    extraction_date : date-like
        The day the extracts were taken (``params["data"]["extraction_date"]``).
    spec : dict, optional
        The column's codebook definition: its ``min`` (a date), if any, is the earliest value; without
        it a date may go back to the earliest plausible birth date.

    Returns
    -------
    tuple of Timestamp
        ``(earliest, latest)``, both inclusive.
    """
    period = codebook.load()["period"]
    latest = pd.Timestamp(extraction_date)
    if spec and spec.get("min") is not None and column not in BIRTH_COLUMNS:
        return pd.Timestamp(spec["min"]), latest
    oldest = _oldest_born(latest, codebook.age_limits()[0])
    return max(pd.Timestamp(period["earliest_birth"]), oldest), latest


def number_bounds(column: str, spec: dict[str, Any], extraction_date: Any) -> tuple[Any, Any]:
    """Return the plausible range of a numeric column: ``(min, max)``, ``None`` where unbounded.

    Birth years run from ``period.max_age + 1`` years before the extraction year (an age of
    ``max_age`` or ``max_age + 1``) to the extraction year; a column bounded in IPREMs
    (``max_iprem``) has as ``max`` its bound in the year of the highest IPREM (each row is checked
    against its own years: :func:`iprem_bounds`); other columns take ``min``/``max`` from the codebook.
    """
    if column in BIRTH_YEAR_COLUMNS:
        year = pd.Timestamp(extraction_date).year
        return year - codebook.age_limits()[0] - 1, year
    if spec.get("max_iprem") is not None:
        return spec.get("min"), round(spec["max_iprem"] * max(codebook.iprem_table().values()), 2)
    return spec.get("min"), spec.get("max")


def unusual_bounds(column: str, spec: dict[str, Any], extraction_date: Any) -> tuple[Any, Any]:
    """Return the bounds of the usual values of a column (outside them: read, with a warning).

    Parameters
    ----------
    column : str
        Column name.
    spec : dict
        Its codebook definition.
    extraction_date : date-like
        The day the extracts were taken.

    Returns
    -------
    tuple
        ``(low, high)``, ``None`` where there is no bound: ``warn_min``/``warn_max`` for numbers; for
        birth dates the earliest date giving an age of at most ``period.unusual_age`` (below it: over
        that age), for birth years ``unusual_age`` years before the extraction year (below it the age may
        be over ``unusual_age``); for other dates ``warn_min`` or ``period.usual_from``, when later than
        the earliest acceptable date. Bounds in IPREMs are per row (:func:`iprem_bounds`).
    """
    unusual_age = codebook.age_limits()[1]
    latest = pd.Timestamp(extraction_date)
    if column in BIRTH_COLUMNS:
        return _oldest_born(latest, unusual_age), None
    if column in BIRTH_YEAR_COLUMNS:
        return latest.year - unusual_age, None
    if spec.get("type") == "date":
        usual = spec.get("warn_min", codebook.load()["period"].get("usual_from"))
        earliest = date_bounds(column, extraction_date, spec)[0]
        return (pd.Timestamp(usual) if usual is not None and pd.Timestamp(usual) > earliest else None), None
    return spec.get("warn_min"), spec.get("warn_max")


def iprem_bounds(frame: pd.DataFrame, spec: dict[str, Any], key: str, extraction_date: Any) -> pd.DataFrame:
    """Return each row's bound in IPREMs (``key``: ``max_iprem`` or ``warn_max_iprem``) and its year.

    The year is that of the column ``iprem_period``, or, for ``[start, end]``, the year of the highest
    IPREM from start to end (the latest of equal ones; an empty end: the extraction date), since an
    average over those years can reach it. A year outside the codebook's ``iprem`` table takes its nearest year.

    Parameters
    ----------
    frame : DataFrame
        Typed extract holding the ``iprem_period`` columns.
    spec : dict
        The column's codebook definition.
    key : str
        ``"max_iprem"`` or ``"warn_max_iprem"``.
    extraction_date : date-like
        The end of a period still running.

    Returns
    -------
    DataFrame
        Indexed like ``frame``: ``bound`` (EUR, rounded to cents; missing where the start date is),
        ``year`` (of the IPREM used), ``iprem`` (monthly, EUR) and ``years`` (the period's years,
        ``"2016-2017"`` or ``"2016"``).
    """
    names = [spec["iprem_period"]] if isinstance(spec["iprem_period"], str) else list(spec["iprem_period"])
    first = pd.to_datetime(frame[names[0]]).dt.year
    last = pd.to_datetime(frame[names[-1]]).dt.year
    if len(names) > 1:
        last = last.fillna(pd.Timestamp(extraction_date).year)
    last = last.where(last >= first, first)
    out = pd.DataFrame(index=frame.index, columns=["bound", "year", "iprem", "years"], dtype=object)
    known = first.notna()
    for (low, high), rows in frame[known].groupby([first[known], last[known]]).groups.items():
        year, value = max(
            (codebook.iprem(y) for y in range(int(low), int(high) + 1)), key=lambda p: (p[1], p[0])
        )
        span = f"{int(low)}" if low == high else f"{int(low)}-{int(high)}"
        out.loc[rows, ["bound", "year", "iprem", "years"]] = [round(spec[key] * value, 2), year, value, span]
    return out


def fmt_number(value: Any, grouped: bool = True) -> str:
    """Return a bound as the messages write it: ``780``, ``3,600``, ``692.26``, ``-3`` (a year: ``1908``)."""
    sep = "," if grouped else ""
    return f"{value:{sep}}" if float(value) != int(value) else f"{int(value):{sep}}"


def _range_text(low: Any, high: Any, what: str = "plausible range") -> str:
    if low is not None and high is not None:
        return f" ({what} {fmt_number(low)} to {fmt_number(high)})"
    return ""


def _column_checks(name: str, spec: dict[str, Any], extraction_date: Any) -> list[pa.Check]:
    checks: list[pa.Check] = []
    if spec.get("codes"):
        allowed = sorted(codebook.codes(spec["codes"]))
        checks.append(
            pa.Check.isin(allowed, error=f"is not a code of list {spec['codes']} ({', '.join(allowed)})")
        )
    if spec["type"] in ("int", "float"):
        checks += _number_checks(name, spec, extraction_date)
    if spec.get("pattern"):
        checks.append(
            pa.Check.str_matches(spec["pattern"], error=f"does not match the pattern {spec['pattern']}")
        )
    if spec["type"] == "date":
        earliest, latest = date_bounds(name, extraction_date, spec)
        why = _date_reason(name, spec)
        checks.append(
            pa.Check.ge(earliest, error=f"is before {fmt_date(earliest)}, the earliest plausible date{why}")
        )
        checks.append(pa.Check.le(latest, error=f"is after the extraction date {fmt_date(latest)}"))
    return checks


def _number_checks(name: str, spec: dict[str, Any], extraction_date: Any) -> list[pa.Check]:
    """The range of a number; a bound in IPREMs is a check across columns (:func:`_within_iprem`)."""
    checks: list[pa.Check] = []
    low, high = number_bounds(name, spec, extraction_date)
    year = name in BIRTH_YEAR_COLUMNS
    if year:
        span = f" (an age of {codebook.age_limits()[0] + 1} or more at the extraction date)"
    else:
        span = "" if spec.get("max_iprem") is not None else _range_text(low, high)
    if low is not None:
        checks.append(pa.Check.ge(low, error=f"is below the minimum {fmt_number(low, not year)}{span}"))
    if high is not None and spec.get("max_iprem") is None:
        span = " (after the extraction year)" if year else span
        checks.append(pa.Check.le(high, error=f"is above the maximum {fmt_number(high, not year)}{span}"))
    return checks


def _date_reason(name: str, spec: dict[str, Any]) -> str:
    if name in BIRTH_COLUMNS:
        return f" (an age of {codebook.age_limits()[0] + 1} or more)"
    if spec.get("min") is not None:
        return ""
    return f" (the birth date of a person aged {codebook.age_limits()[0]} at the extraction date)"


#: Error of the check of a column bounded in IPREMs (``{column}``): worded per row by ingest.
IPREM_CHECK = "{column} is above its maximum in IPREMs"


def _within_iprem(column: str, spec: dict[str, Any], extraction_date: Any) -> pa.Check:
    def check(frame: pd.DataFrame) -> pd.Series:
        bound = iprem_bounds(frame, spec, "max_iprem", extraction_date)["bound"]
        above = frame[column].astype("Float64") > bound.astype("Float64")
        return ~above.fillna(False).astype(bool)

    return pa.Check(check, error=IPREM_CHECK.format(column=column))


def _end_not_before_start(start: str, end: str) -> pa.Check:
    def check(frame: pd.DataFrame) -> pd.Series:
        return ~(frame[end] < frame[start]).fillna(False).astype(bool)

    return pa.Check(check, error=f"{end} is before {start}")


def schema_for(source: str, extraction_date: Any | None = None) -> pa.DataFrameSchema:
    """Return the pandera schema of one typed raw extract, built from the codebook.

    Parameters
    ----------
    source : str
        Source name in the codebook, for example ``"sauss_persons"``.
    extraction_date : date-like, optional
        Latest acceptable date (the day the extracts were taken); defaults to today.

    Returns
    -------
    pandera.pandas.DataFrameSchema
        Strict schema (no extra column) of the frame produced by ingest, in codebook column order.
    """
    if extraction_date is None:
        extraction_date = dt.date.today()
    specs = codebook.columns(source)
    columns = {
        name: pa.Column(
            DTYPES[spec["type"]],
            checks=_column_checks(name, spec, extraction_date),
            nullable=bool(spec.get("nullable", False)),
            unique=bool(spec.get("unique", False)),
            required=bool(spec.get("required", True)),
            description=spec.get("description"),
        )
        for name, spec in specs.items()
    }
    checks = [_end_not_before_start(s, e) for s, e in DATE_PAIRS if s in specs and e in specs]
    checks += [
        _within_iprem(name, spec, extraction_date)
        for name, spec in specs.items()
        if spec.get("max_iprem") is not None
    ]
    return pa.DataFrameSchema(columns, checks=checks, strict=True, ordered=False, name=source)


def empty_frame(source: str) -> pd.DataFrame:
    """Return a zero-row frame with the codebook columns and dtypes of ``source``."""
    return pd.DataFrame(
        {name: pd.Series(dtype=DTYPES[spec["type"]]) for name, spec in codebook.columns(source).items()}
    )


def check_letter(number: int) -> str:
    """Return the DNI check letter of an 8-digit number (also used for NIEs after prefix mapping).

    Parameters
    ----------
    number : int
        The document number without letter (an NIE's X/Y/Z already replaced by 0/1/2).
    """
    return CHECK_LETTERS[int(number) % 23]


def normalise_document(values: pd.Series) -> pd.Series:
    """Return document numbers upper-cased without spaces, dots or hyphens (typos are kept)."""
    return values.astype("string").str.upper().str.replace(r"[\s.\-]", "", regex=True).replace("", pd.NA)


def document_is_valid(doc_type: pd.Series, doc_number: pd.Series) -> pd.Series:
    """Check DNI/NIE numbers: format and check letter.

    A DNI is 8 digits and a letter, an NIE is X/Y/Z, 7 digits and a letter; the letter is
    ``CHECK_LETTERS[number % 23]`` with X/Y/Z read as 0/1/2. The document type is taken from
    ``doc_type`` when given, otherwise guessed from the shape of the number.

    Parameters
    ----------
    doc_type : Series
        ``DNI``, ``NIE``, ``PAS`` or missing.
    doc_number : Series
        Normalised document numbers (:func:`normalise_document`).

    Returns
    -------
    Series of boolean
        True if valid, False if a DNI/NIE fails its format or letter, missing (``<NA>``) when there is
        no number or the document is a passport (not checkable).
    """
    number = doc_number.astype("string")
    nie_shaped = number.str.match(r"^[XYZ]").fillna(False).astype(bool)
    dni_shaped = number.str.match(r"^\d").fillna(False).astype(bool)
    guess = (
        pd.Series(pd.NA, index=number.index, dtype="string").mask(dni_shaped, "DNI").mask(nie_shaped, "NIE")
    )
    kind = doc_type.astype("string").fillna(guess)
    digits = number.str.replace(r"^[XYZ]", lambda m: _NIE_PREFIX[m.group(0)], regex=True)
    shaped = digits.str.fullmatch(r"\d{8}[A-Z]").fillna(False).astype(bool) & (
        nie_shaped == kind.eq("NIE").fillna(False).astype(bool)
    )
    letter_ok = [bool(ok) and check_letter(int(d[:8])) == d[8] for d, ok in zip(digits, shaped, strict=True)]
    valid = pd.Series(letter_ok, index=number.index, dtype="boolean")
    checkable = kind.isin(["DNI", "NIE"]).fillna(False).astype(bool) & number.notna()
    return valid.where(checkable, pd.NA)
