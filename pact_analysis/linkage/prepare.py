"""Standardise the identity fields of person records before linkage.

Spanish identities are recorded with dropped accents, particles, abbreviated compound given names,
swapped surnames, NIE/DNI variants and missing check letters (``shared/reference/identities.md``).
This module turns each raw identity into comparable forms; the comparisons in
:mod:`pact_analysis.linkage.model` use only the columns produced here (:data:`LINKAGE_COLUMNS`).

Every function works on whole columns (pandas string methods, accent stripping done once per
distinct value), so half a million records standardise in seconds.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

import pandas as pd

#: Columns of the standardised frame handed to Splink (besides ``unique_id``).
LINKAGE_COLUMNS = [
    "given_norm",
    "given_first",
    "given_initial",
    "given_rest",
    "surname1_norm",
    "surname2_norm",
    "surnames_full",
    "doc_norm",
    "doc_digits",
    "birth_date_str",
    "birth_year",
    "birth_month",
    "birth_day",
    "sex",
    "municipality_code",
    "province_code",
]

#: Surname particles, longest first so that "DE LA" is removed before "DE".
PARTICLES = ("DE LAS", "DE LOS", "DE LA", "DEL", "DE", "LA", "LAS", "LOS", "Y")

#: Unambiguous abbreviations of the first element of compound given names ("Mª José", "Fco. Javier").
#: A lone initial ("M. José", "F. Javier") is not expanded: the comparison matches initial plus the
#: remaining names instead (``given_initial``, ``given_rest``).
GIVEN_ABBREVIATIONS = {"MA": "MARIA", "MARI": "MARIA", "FCO": "FRANCISCO"}

_PARTICLE_RE = re.compile(r"^(?:(?:" + "|".join(p.replace(" ", r"\s") for p in PARTICLES) + r")\s)+")
_INNER_PARTICLE_RE = re.compile(r"\s(?:" + "|".join(p.replace(" ", r"\s") for p in PARTICLES) + r")(?=\s)")
_NIE_RE = re.compile(r"^([XYZ])(\d{7,8})([A-Z]?)$")
_DNI_RE = re.compile(r"^(\d{1,8})([A-Z]?)$")


def strip_accents(text: str) -> str:
    """Return ``text`` without diacritics (``"Martín Muñoz"`` -> ``"Martin Munoz"``).

    Parameters
    ----------
    text : str
        Any string.

    Returns
    -------
    str
        The string with combining marks removed after NFKD decomposition (``ª`` becomes ``a``).
    """
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalise_text(values: pd.Series) -> pd.Series:
    """Upper-case, strip accents, turn punctuation into spaces and collapse spaces.

    Parameters
    ----------
    values : Series
        Names as recorded; missing values allowed.

    Returns
    -------
    Series
        Nullable strings; empty results become missing.
    """
    values = values.astype("string")
    uniques = values.dropna().unique()
    mapping = {v: strip_accents(v) for v in uniques}
    out = values.map(mapping).astype("string").str.upper()
    out = out.str.replace(r"[^A-Z0-9 ]", " ", regex=True).str.replace(r"\s+", " ", regex=True).str.strip()
    return out.mask(out == "")


def remove_particles(values: pd.Series) -> pd.Series:
    """Remove surname particles (DE, DEL, DE LA, DE LAS, DE LOS) from normalised surnames.

    Parameters
    ----------
    values : Series
        Output of :func:`normalise_text`.

    Returns
    -------
    Series
        ``"DE LA FUENTE"`` -> ``"FUENTE"``, ``"GARCIA DEL RIO"`` -> ``"GARCIA RIO"``. A surname made
        only of particles is kept as it was.
    """
    stripped = values.str.replace(_PARTICLE_RE, "", regex=True)
    stripped = (" " + stripped + " ").str.replace(_INNER_PARTICLE_RE, "", regex=True).str.strip()
    stripped = stripped.str.replace(r"\s+", " ", regex=True)
    return stripped.mask(stripped.isna() | (stripped == ""), values)


def expand_given_names(values: pd.Series) -> pd.Series:
    """Expand abbreviated first elements of compound given names (``"MA JOSE"`` -> ``"MARIA JOSE"``).

    Parameters
    ----------
    values : Series
        Output of :func:`normalise_text`.

    Returns
    -------
    Series
        Only a first token followed by another token is expanded, so a lone ``"M"`` stays as is.
    """
    tokens = values.str.split(" ", n=1)
    first = tokens.str[0]
    rest = tokens.str[1]
    expanded = first.map(lambda t: GIVEN_ABBREVIATIONS.get(t, t) if isinstance(t, str) else t)
    return (expanded + " " + rest).where(rest.notna(), values).astype("string")


def normalise_document(values: pd.Series) -> pd.DataFrame:
    """Normalise DNI/NIE/passport numbers and extract their number part.

    Parameters
    ----------
    values : Series
        Document numbers as recorded (``"12.345.678-z"``, ``"x1234567l"``, ``"1234567"``...).

    Returns
    -------
    DataFrame
        ``doc_norm``: upper case without separators, DNI digits left-padded to 8, NIE as prefix +
        7 digits + letter; ``doc_digits``: the number without check letter, NIE prefix or leading
        zeros, so a missing letter, a dropped prefix or a DNI stored as a number still agree.
    """
    text = values.astype("string").str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
    text = text.mask(text == "")
    nie = text.str.extract(_NIE_RE)
    dni = text.str.extract(_DNI_RE)
    is_nie = nie[0].notna()
    is_dni = dni[0].notna() & ~is_nie
    norm = text.copy()
    norm[is_nie] = nie.loc[is_nie, 0] + nie.loc[is_nie, 1].str.zfill(7) + nie.loc[is_nie, 2]
    norm[is_dni] = dni.loc[is_dni, 0].str.zfill(8) + dni.loc[is_dni, 1]
    digits = text.str.replace(r"[^0-9]", "", regex=True).str.lstrip("0")
    digits = digits.mask(digits.isna() | (digits == ""))
    norm = norm.mask(digits.isna())  # no non-zero digit (00000000T, "-"): a placeholder, not a document
    return pd.DataFrame({"doc_norm": norm.astype("string"), "doc_digits": digits.astype("string")})


def per_distinct_value(values: pd.Series, func: Callable[[pd.Series], Any]) -> Any:
    """Apply an elementwise function to each distinct value once and spread the results.

    A region repeats names and birth dates many times over (the 1.08 million records of a
    500,000-person region hold about 8,000 distinct first surnames, 8,500 given names and 33,000
    birth dates), so the string functions of this module run on the distinct values only.

    Parameters
    ----------
    values : Series
        Input of ``func``; missing values allowed.
    func : callable
        Elementwise: row ``i`` of its result depends only on value ``i`` (a Series, or a DataFrame
        for several outputs).

    Returns
    -------
    Series or DataFrame
        ``func(values)``, with the index of ``values``.
    """
    codes, distinct = pd.factorize(values)  # a missing value gets code -1
    done = func(pd.Series(distinct, dtype=values.dtype))
    missing = func(pd.Series([None], dtype=values.dtype))
    table = pd.concat([done, missing], ignore_index=True)  # code -1 takes the last row
    return table.iloc[codes].set_axis(values.index)


def birth_parts(birth_date: pd.Series, birth_year: pd.Series | None = None) -> pd.DataFrame:
    """Split a birth date into string parts for exact, swapped and typo comparisons.

    Parameters
    ----------
    birth_date : Series
        Dates (datetime64, NaT allowed).
    birth_year : Series, optional
        Year recorded when the date is unknown (NGO records); used where the date is missing.

    Returns
    -------
    DataFrame
        ``birth_date_str`` (``YYYY-MM-DD``), ``birth_year``, ``birth_month``, ``birth_day`` as strings.
    """
    dates = pd.to_datetime(birth_date, errors="coerce")
    out = per_distinct_value(dates, _date_parts)
    if birth_year is not None:
        year = pd.to_numeric(out["birth_year"]).astype("Int64")
        year = year.fillna(pd.to_numeric(birth_year, errors="coerce").astype("Int64"))
        out["birth_year"] = year.astype("string")
    return out


def _date_parts(dates: pd.Series) -> pd.DataFrame:
    out = pd.DataFrame(index=dates.index)
    out["birth_date_str"] = dates.dt.strftime("%Y-%m-%d").astype("string")
    out["birth_year"] = dates.dt.year.astype("Int64").astype("string")
    out["birth_month"] = dates.dt.strftime("%m").astype("string")
    out["birth_day"] = dates.dt.strftime("%d").astype("string")
    return out


def _column(df: pd.DataFrame, name: str) -> pd.Series:
    return df[name] if name in df else pd.Series(pd.NA, index=df.index, dtype="string")


def standardise(df: pd.DataFrame) -> pd.DataFrame:
    """Return the standardised identity of every record of one person source.

    Parameters
    ----------
    df : DataFrame
        A clean person source with ``record_id`` and the codebook's identity columns
        (``given_name``, ``surname1``, ``surname2``, ``doc_number``, ``birth_date``, ``sex``,
        ``municipality_code``; ``birth_year`` if present). Missing columns are treated as empty.

    Returns
    -------
    DataFrame
        ``unique_id`` (the record id) followed by :data:`LINKAGE_COLUMNS`, one row per record.
    """
    given = per_distinct_value(_column(df, "given_name"), lambda v: expand_given_names(normalise_text(v)))
    s1, s2 = (
        per_distinct_value(_column(df, c), lambda v: remove_particles(normalise_text(v)))
        for c in ("surname1", "surname2")
    )
    out = pd.DataFrame({"unique_id": df["record_id"].astype("string")}, index=df.index)
    out["given_norm"] = given
    tokens = given.str.split(" ", n=1)
    out["given_first"] = tokens.str[0].astype("string")
    out["given_initial"] = out["given_first"].str[0].astype("string")
    out["given_rest"] = tokens.str[1].astype("string")
    # A record with only a second surname is a first surname recorded in the wrong field.
    out["surname1_norm"] = s1.fillna(s2)
    out["surname2_norm"] = s2.where(s1.notna())
    out["surnames_full"] = (out["surname1_norm"] + " " + out["surname2_norm"]).astype("string")
    out = out.join(normalise_document(_column(df, "doc_number")))
    birth_year = df.get("birth_year")
    out = out.join(birth_parts(_column(df, "birth_date"), birth_year))
    out["sex"] = _column(df, "sex").astype("string").str.upper().str.strip()
    muni = _column(df, "municipality_code").astype("string").str.strip()
    out["municipality_code"] = muni.mask(muni == "")
    out["province_code"] = out["municipality_code"].str[:2]
    return out.reset_index(drop=True)
