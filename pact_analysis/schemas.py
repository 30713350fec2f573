"""Pandera contracts of the raw extracts, built from the codebook (the one place a column is defined).

:func:`schema_for` returns the schema of one *typed* extract (after :mod:`pact_analysis.ingest` has
parsed the text): dtypes, nullability, uniqueness, code lists, numeric bounds, patterns, the study
period for dates (nothing before ``period.earliest_event`` -- ``earliest_birth`` for birth dates --
nor after the extraction date) and ``end_date >= start_date``. Cross-file references
(``references:`` in the codebook) need several files and are checked by ingest.

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
#: Columns holding birth dates, bounded below by ``period.earliest_birth`` instead of ``earliest_event``.
BIRTH_COLUMNS = frozenset({"birth_date"})
#: Pairs (start, end) of date columns where the end may not precede the start.
DATE_PAIRS = (("start_date", "end_date"),)


def fmt_date(value: Any) -> str:
    """Return a date as the raw extracts write it (``dd/mm/yyyy``)."""
    return pd.Timestamp(value).strftime(codebook.load()["raw_format"]["date_format"])


def date_bounds(column: str, extraction_date: Any) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return the earliest and latest acceptable value of a date column.

    Parameters
    ----------
    column : str
        Column name; birth dates get ``period.earliest_birth``, other dates ``period.earliest_event``.
    extraction_date : date-like
        The day the extracts were taken (``params["data"]["extraction_date"]``).

    Returns
    -------
    tuple of Timestamp
        ``(earliest, latest)``, both inclusive.
    """
    period = codebook.load()["period"]
    earliest = period["earliest_birth"] if column in BIRTH_COLUMNS else period["earliest_event"]
    return pd.Timestamp(earliest), pd.Timestamp(extraction_date)


def _column_checks(name: str, spec: dict[str, Any], extraction_date: Any) -> list[pa.Check]:
    checks: list[pa.Check] = []
    if spec.get("codes"):
        allowed = sorted(codebook.codes(spec["codes"]))
        checks.append(
            pa.Check.isin(allowed, error=f"is not a code of list {spec['codes']} ({', '.join(allowed)})")
        )
    if "min" in spec:
        checks.append(pa.Check.ge(spec["min"], error=f"is below the minimum {spec['min']}"))
    if "max" in spec:
        checks.append(pa.Check.le(spec["max"], error=f"is above the maximum {spec['max']}"))
    if spec.get("pattern"):
        checks.append(
            pa.Check.str_matches(spec["pattern"], error=f"does not match the pattern {spec['pattern']}")
        )
    if spec["type"] == "date":
        earliest, latest = date_bounds(name, extraction_date)
        checks.append(
            pa.Check.ge(earliest, error=f"is before {fmt_date(earliest)}, the earliest plausible date")
        )
        checks.append(pa.Check.le(latest, error=f"is after the extraction date {fmt_date(latest)}"))
    return checks


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
