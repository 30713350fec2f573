"""Identity noise of the raw extracts: the errors people make typing names, dates and documents.

One function per noise type (``shared/reference/identities.md``, "Typical entry errors"). Each takes the
values (a Series, or a frame for the types that touch several columns), a rate and a random stream,
picks each *eligible* row with probability ``rate`` and returns the noisy values and the boolean mask of
rows changed. Eligibility is the condition under which the error can happen at all (a day/month swap
needs a day of 12 or less, an abbreviation a compound given name...), so the rate of a type is the
share of eligible records it changes.

:func:`apply_identity_noise` applies every type to the records of one source at the rates of
``params["synthetic"]["noise"]`` times the source's multiplier (:data:`SOURCE_MULTIPLIERS`: the
employment service keeps clean documents, NGO records are poor), and returns the noise log (``source,
record_id, column, noise_type``) that the linkage evaluation reads from ``data/truth/noise_log.parquet``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pact_analysis.synth.identities import CHECK_LETTERS

NAME_COLUMNS = ("given_name", "surname1", "surname2")

#: Prefix of the record ids of each person source.
RECORD_PREFIX = {"sauss_persons": "S", "rgc_members": "R", "employment_persons": "E", "ngo_attention": "N"}

#: Multiplier of each configured rate per source (missing entries are 1). *Assumed*: the RGC registry
#: checks documents when a claim is filed; the employment service (ECYL) works from the DNI/NIE and its
#: records are clean; third-sector records are typed quickly, often without a document. ``ngo_*`` types
#: apply to NGO records only.
SOURCE_MULTIPLIERS: dict[str, dict[str, float]] = {
    "sauss_persons": {"ngo_doc_missing": 0.0, "ngo_birth_date_missing": 0.0},
    "rgc_members": {
        "typo": 0.7,
        "accent_dropped": 0.7,
        "doc_missing": 0.3,
        "doc_typo": 0.5,
        "doc_letter_wrong": 0.5,
        "duplicate_record": 0.25,
        "ngo_doc_missing": 0.0,
        "ngo_birth_date_missing": 0.0,
    },
    "employment_persons": {
        "typo": 0.5,
        "accent_dropped": 0.5,
        "surnames_swapped": 0.5,
        "second_surname_missing": 0.5,
        "day_month_swapped": 0.3,
        "birth_year_typo": 0.3,
        "doc_missing": 0.1,
        "doc_typo": 0.1,
        "doc_letter_wrong": 0.1,
        "duplicate_record": 0.5,
        "ngo_doc_missing": 0.0,
        "ngo_birth_date_missing": 0.0,
    },
    "ngo_attention": {
        "typo": 2.0,
        "accent_dropped": 2.0,
        "surnames_swapped": 2.0,
        "second_surname_missing": 3.0,
        "given_name_abbreviated": 2.0,
        "day_month_swapped": 2.0,
        "birth_year_typo": 2.0,
        "doc_missing": 0.0,  # replaced by ngo_doc_missing
        "doc_typo": 2.0,
        "doc_letter_wrong": 2.0,
        "duplicate_record": 0.0,  # every attention is already its own record
    },
}

_ACCENTS = str.maketrans("áéíóúüñÁÉÍÓÚÜÑ", "aeiouunAEIOUUN")
_ALPHABET = np.array(list("abcdefghijklmnopqrstuvwxyz"))


def effective_rates(source: str, rates: dict[str, float]) -> dict[str, float]:
    """Return the rates of one source: configured rate times its multiplier, capped at 1.

    Parameters
    ----------
    source : str
        Person source name (codebook).
    rates : dict
        ``params["synthetic"]["noise"]``.
    """
    mult = SOURCE_MULTIPLIERS.get(source, {})
    return {k: float(min(1.0, v * mult.get(k, 1.0))) for k, v in rates.items()}


def _pick(eligible: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
    """Select each eligible row with probability ``rate`` (one uniform draw per row, always)."""
    return np.asarray(eligible, dtype=bool) & (rng.random(len(eligible)) < rate)


def _text(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values.notna(), None)


# ------------------------------------------------------------------------------------------ names
def _typo_one(word: str, op: int, pos: float, letter: str) -> str:
    i = min(int(pos * len(word)), len(word) - 1)
    if op == 1 and len(word) > 2:  # deletion
        return word[:i] + word[i + 1 :]
    if op == 2 and i + 1 < len(word) and word[i] != word[i + 1]:  # transposition
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    new = letter if letter != word[i].lower() else ("a" if letter != "a" else "e")
    return word[:i] + (new.upper() if word[i].isupper() else new) + word[i + 1 :]


def typo(values: pd.Series, rate: float, rng: np.random.Generator) -> tuple[pd.Series, np.ndarray]:
    """Substitute, delete or transpose one character of a name (eligible: non-empty names)."""
    values = _text(values)
    mask = _pick(values.notna() & (values.str.len() > 1), rate, rng)
    n = len(values)
    op, pos, letter = rng.integers(0, 3, n), rng.random(n), _ALPHABET[rng.integers(0, 26, n)]
    out = values.copy()
    idx = np.flatnonzero(mask)
    out.iloc[idx] = [_typo_one(values.iloc[i], op[i], pos[i], letter[i]) for i in idx]
    changed = mask & (out != values).to_numpy(bool)
    return out, changed


def accent_dropped(
    frame: pd.DataFrame, rate: float, rng: np.random.Generator
) -> tuple[pd.DataFrame, np.ndarray]:
    """Drop the accents of every name field and write ñ as n (Martín -> Martin).

    Eligible: records with an accent or ñ in a name field (:data:`NAME_COLUMNS`); one draw per record.
    """
    plain = {col: _text(frame[col]).str.translate(_ACCENTS) for col in NAME_COLUMNS}
    differs = np.zeros(len(frame), dtype=bool)
    for col in NAME_COLUMNS:
        differs |= (frame[col].notna() & (plain[col] != _text(frame[col]))).to_numpy(bool)
    mask = _pick(differs, rate, rng)
    out = frame.copy()
    for col in NAME_COLUMNS:
        out[col] = _text(frame[col]).where(~mask, plain[col])
    return out, mask


def surnames_swapped(
    frame: pd.DataFrame, rate: float, rng: np.random.Generator
) -> tuple[pd.DataFrame, np.ndarray]:
    """Swap first and second surname (eligible: both present and different)."""
    s1, s2 = _text(frame["surname1"]), _text(frame["surname2"])
    mask = _pick((s1.notna() & s2.notna() & (s1 != s2)).to_numpy(bool), rate, rng)
    out = frame.copy()
    out["surname1"], out["surname2"] = s1.where(~mask, s2), s2.where(~mask, s1)
    return out, mask


def second_surname_missing(
    values: pd.Series, rate: float, rng: np.random.Generator
) -> tuple[pd.Series, np.ndarray]:
    """Leave the second surname empty (eligible: a second surname exists)."""
    values = _text(values)
    mask = _pick(values.notna().to_numpy(bool), rate, rng)
    return values.where(~mask, None), mask


def given_name_abbreviated(
    values: pd.Series, rate: float, rng: np.random.Generator
) -> tuple[pd.Series, np.ndarray]:
    """Abbreviate the first element of a compound given name (María José -> Mª José / M. José)."""
    values = _text(values)
    parts = values.str.split(" ", n=1)
    mask = _pick((parts.str.len() == 2).fillna(False).to_numpy(bool), rate, rng)
    first, rest = parts.str[0], parts.str[1]
    short = np.where(rng.random(len(values)) < 0.5, "Mª", "M.")
    abbrev = np.where(first == "María", short, first.str[0].fillna("") + ".")
    out = values.where(~mask, pd.Series(abbrev, index=values.index, dtype=object) + " " + rest)
    return out, mask


# ------------------------------------------------------------------------------------------ dates
def _compose(
    dates: pd.Series, year: pd.Series, month: pd.Series, day: pd.Series, mask: np.ndarray
) -> pd.Series:
    """Return ``dates`` with the masked rows replaced by the date (year, month, day)."""
    parts = {
        "year": np.where(mask, year.fillna(2000), 2000).astype(int),
        "month": np.where(mask, month.fillna(1), 1).astype(int),
        "day": np.where(mask, day.fillna(1), 1).astype(int),
    }
    built = pd.Series(pd.to_datetime(pd.DataFrame(parts), errors="coerce").to_numpy(), index=dates.index)
    return dates.where(~mask, built)


def day_month_swapped(
    values: pd.Series, rate: float, rng: np.random.Generator
) -> tuple[pd.Series, np.ndarray]:
    """Swap day and month of a date (eligible: day 12 or less and different from the month)."""
    dates = pd.to_datetime(values)
    day, month = dates.dt.day, dates.dt.month
    mask = _pick((dates.notna() & (day <= 12) & (day != month)).to_numpy(bool), rate, rng)
    return _compose(dates, dates.dt.year, day, month, mask), mask


def birth_year_typo(values: pd.Series, rate: float, rng: np.random.Generator) -> tuple[pd.Series, np.ndarray]:
    """Change the year by one or ten (a mistyped digit; eligible: a date present; never into the future)."""
    dates = pd.to_datetime(values)
    mask = _pick(dates.notna().to_numpy(bool), rate, rng)
    n = len(dates)
    shift = np.where(rng.random(n) < 0.7, 1, 10) * np.where(rng.random(n) < 0.5, -1, 1)
    # A birth date after the latest real one would be rejected at data entry: mistype downwards then.
    shift = np.where(dates.dt.year + shift > dates.dt.year.max(), -np.abs(shift), shift)
    day = dates.dt.day.where(~((dates.dt.month == 2) & (dates.dt.day == 29)), 28)
    return _compose(dates, dates.dt.year + shift, dates.dt.month, day, mask), mask


def birth_date_missing(
    values: pd.Series, rate: float, rng: np.random.Generator
) -> tuple[pd.Series, np.ndarray]:
    """Leave the birth date empty (NGO records keep the birth year instead)."""
    dates = pd.to_datetime(values)
    mask = _pick(dates.notna().to_numpy(bool), rate, rng)
    return dates.where(~mask), mask


# -------------------------------------------------------------------------------------- documents
def _is_id_doc(frame: pd.DataFrame) -> np.ndarray:
    return (frame["doc_number"].notna() & frame["doc_type"].isin(["DNI", "NIE"])).to_numpy(bool)


def doc_missing(
    frame: pd.DataFrame, rate: float, rng: np.random.Generator
) -> tuple[pd.DataFrame, np.ndarray]:
    """Leave document type and number empty (eligible: a document present)."""
    mask = _pick(frame["doc_number"].notna().to_numpy(bool), rate, rng)
    out = frame.copy()
    out["doc_number"] = _text(frame["doc_number"]).where(~mask, None)
    out["doc_type"] = _text(frame["doc_type"]).where(~mask, None)
    return out, mask


def _doc_typo_one(doc: str, pos: float, digit: int, transpose: bool) -> str:
    start = 1 if doc[0] in "XYZ" else 0
    body, letter = doc[start:-1], doc[-1]
    i = min(int(pos * (len(body) - 1)), len(body) - 2)
    if transpose and body[i] != body[i + 1]:
        body = body[:i] + body[i + 1] + body[i] + body[i + 2 :]
    else:
        new = str(digit) if str(digit) != body[i] else str((digit + 1) % 10)
        body = body[:i] + new + body[i + 1 :]
    return doc[:start] + body + letter


def doc_typo(frame: pd.DataFrame, rate: float, rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    """Transpose two adjacent digits or substitute one (eligible: a DNI or NIE present)."""
    mask = _pick(_is_id_doc(frame), rate, rng)
    n = len(frame)
    pos, digit, transpose = rng.random(n), rng.integers(0, 10, n), rng.random(n) < 0.5
    out = frame.copy()
    docs = _text(frame["doc_number"])
    idx = np.flatnonzero(mask)
    new = docs.copy()
    new.iloc[idx] = [_doc_typo_one(docs.iloc[i], pos[i], digit[i], transpose[i]) for i in idx]
    out["doc_number"] = new
    return out, mask


def doc_letter_wrong(
    frame: pd.DataFrame, rate: float, rng: np.random.Generator
) -> tuple[pd.DataFrame, np.ndarray]:
    """Replace the check letter by another one or drop it (eligible: a DNI or NIE present)."""
    mask = _pick(_is_id_doc(frame), rate, rng)
    n = len(frame)
    docs = _text(frame["doc_number"])
    letters = np.array(list(CHECK_LETTERS))
    current = docs.str[-1].fillna("T").map(CHECK_LETTERS.find).to_numpy(int)
    other = letters[(current + rng.integers(1, 23, n)) % 23]
    drop = rng.random(n) < 0.3
    body = docs.str[:-1]
    new = body.where(pd.Series(drop, index=docs.index), body + pd.Series(other, index=docs.index))
    out = frame.copy()
    out["doc_number"] = docs.where(~mask, new)
    return out, mask


def nie_to_dni(frame: pd.DataFrame, rate: float, rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    """Show the document valid at the record's date for naturalised persons.

    Records dated before ``naturalisation_date`` carry the former NIE and the nationality group of
    origin; records dated after it carry the new DNI and Spanish nationality with probability ``rate``
    (otherwise the NIE lingers). The returned mask marks the records that show the former NIE, i.e. that
    differ from the person's current document. Needs columns ``former_nie``, ``naturalisation_date``
    and ``record_date``; rows without a former NIE are never changed.
    """
    naturalised = frame["former_nie"].notna().to_numpy(bool)
    after = (pd.to_datetime(frame["record_date"]) >= pd.to_datetime(frame["naturalisation_date"])).to_numpy(
        bool
    )
    switched = _pick(naturalised & after, rate, rng)
    shows_nie = naturalised & ~switched
    out = frame.copy()
    out["doc_number"] = _text(frame["doc_number"]).where(~shows_nie, frame["former_nie"])
    out["doc_type"] = _text(frame["doc_type"]).where(~shows_nie, "NIE")
    out["nationality"] = _text(frame["nationality"]).where(~switched, "ES")
    return out, shows_nie


# ------------------------------------------------------------------------------------- duplicates
def duplicate_record(
    frame: pd.DataFrame, rate: float, rng: np.random.Generator
) -> tuple[pd.DataFrame, np.ndarray]:
    """Register some persons twice: each row is copied with probability ``rate``.

    Returns
    -------
    (DataFrame, ndarray)
        The rows with each copy placed right after its original (index reset), and a mask over the
        returned rows that is True for the copies.
    """
    copies = _pick(np.ones(len(frame), dtype=bool), rate, rng)
    repeat = 1 + copies.astype(int)
    out = frame.loc[frame.index.repeat(repeat)].reset_index(drop=True)
    is_copy = np.zeros(len(out), dtype=bool)
    is_copy[np.cumsum(repeat)[copies] - 1] = True
    return out, is_copy


def municipality_moved(
    values: pd.Series, rate: float, rng: np.random.Generator
) -> tuple[pd.Series, np.ndarray]:
    """Record another municipality of the same province: the person moved between records, or the
    source kept an old address (eligible: a municipality present and another one in its province)."""
    from pact_analysis.synth.region import make_municipalities

    codes = values.astype(object).where(values.notna(), None)
    towns = make_municipalities()[["municipality_code", "province_code"]]
    province = codes.str[:2]
    sizes = province.map(towns.groupby("province_code").size()).fillna(0).to_numpy()
    mask = _pick(codes.notna().to_numpy(bool) & (sizes > 1), rate, rng)
    draws = rng.random(len(codes))
    out = codes.copy()
    for prov, group in towns.groupby("province_code", sort=True):
        rows = np.flatnonzero(mask & (province == prov).to_numpy(bool))
        if not len(rows):
            continue
        options = group["municipality_code"].to_numpy(object)
        # a different town: shift the current position by 1..n-1 places, uniformly
        current = np.searchsorted(options, codes.to_numpy(object)[rows])
        shift = 1 + (draws[rows] * (len(options) - 1)).astype(int)
        out.iloc[rows] = options[(current + shift) % len(options)]
    return out, mask


#: Relative chance of having moved in from another province, by the province lived in now: the
#: provinces of Valladolid, León and Burgos (the region's largest cities) draw twice as many movers as
#: the others (*assumed*, after the direction of the INE Estadística de Variaciones Residenciales
#: flows inside Castilla y León; no figure in ``shared/reference``). Normalised to mean 1 over persons.
DESTINATION_WEIGHT = {"47": 2.0, "24": 2.0, "09": 2.0}


def province_moves(
    persons: pd.DataFrame, rate: float, start: str, end: str, rng: np.random.Generator
) -> pd.DataFrame:
    """Draw who moved between provinces of the region, when, and from which municipality.

    A person moved in from another province with probability ``1 - exp(-rate * w * years)``
    (``years`` of the window, ``w`` the destination weight of :data:`DESTINATION_WEIGHT`, normalised so
    its mean over persons is 1), on a day uniform in the window, from a municipality of another
    province drawn in proportion to its population. Records written before the move show the former
    municipality (:func:`province_moved`).

    Parameters
    ----------
    persons : DataFrame
        ``municipality_code`` of each person (where they live now).
    rate : float
        Moves between provinces per person-year (``synthetic.noise.province_moved``).
    start, end : str
        ISO dates of the window (``synthetic.start_date``, ``data.extraction_date``).
    rng : numpy.random.Generator
        Random stream.

    Returns
    -------
    DataFrame
        ``former_municipality_code`` and ``move_date`` (missing for persons who did not move), on
        ``persons``' index.
    """
    from pact_analysis.synth.region import make_municipalities

    towns = make_municipalities()
    codes = persons["municipality_code"].astype(object)
    province = codes.str[:2]
    weight = province.map(DESTINATION_WEIGHT).fillna(1.0).to_numpy(float)
    weight = weight / weight.mean() if len(weight) else weight
    first, last = pd.Timestamp(start), pd.Timestamp(end)
    years = max((last - first).days, 0) / 365.25
    moved = codes.notna().to_numpy(bool) & (rng.random(len(codes)) < 1 - np.exp(-rate * weight * years))
    day = first + pd.to_timedelta((rng.random(len(codes)) * (last - first).days).astype(int), unit="D")
    pick = rng.random(len(codes))
    former = pd.Series(None, index=persons.index, dtype=object)
    for prov in sorted(province[moved].unique()):
        rows = np.flatnonzero(moved & (province == prov).to_numpy(bool))
        others = towns[towns["province_code"] != prov]
        cumulative = others["population"].cumsum().to_numpy(float)
        at = np.searchsorted(cumulative / cumulative[-1], pick[rows], side="right")
        former.iloc[rows] = others["municipality_code"].to_numpy(object)[np.minimum(at, len(others) - 1)]
    return pd.DataFrame(
        {"former_municipality_code": former, "move_date": pd.Series(day, index=persons.index).where(moved)}
    )


def province_moved(
    frame: pd.DataFrame, rate: float, rng: np.random.Generator
) -> tuple[pd.DataFrame, np.ndarray]:
    """Show the former municipality on the records written before the person's move between provinces.

    Needs ``former_municipality_code``, ``move_date`` (:func:`province_moves`) and ``record_date``; rows
    without them are never changed. ``rate`` is used where the moves are drawn; here every record
    written before its person's move is changed (it was true when written). ``rng`` is not drawn from.
    """
    if "former_municipality_code" not in frame:
        return frame, np.zeros(len(frame), dtype=bool)
    before = pd.to_datetime(frame["record_date"]) < pd.to_datetime(frame["move_date"])
    mask = (frame["former_municipality_code"].notna() & before).to_numpy(bool)
    out = frame.copy()
    out["municipality_code"] = _text(frame["municipality_code"]).where(
        ~mask, frame["former_municipality_code"]
    )
    return out, mask


def sex_miscoded(values: pd.Series, rate: float, rng: np.random.Generator) -> tuple[pd.Series, np.ndarray]:
    """Record the other sex (a wrong key press or form default; eligible: a sex present)."""
    codes = values.astype(object).where(values.notna(), None)
    mask = _pick(codes.notna().to_numpy(bool), rate, rng)
    out = codes.copy()
    out[mask] = codes[mask].map({"H": "M", "M": "H"})
    return out, mask


# -------------------------------------------------------------------------------------- the whole
#: Order of application: (noise type, function, column it changes). Frame functions get the whole
#: records; series functions the named column.
STEPS: tuple[tuple[str, Any, str], ...] = (
    ("nie_to_dni", nie_to_dni, "doc_number"),
    ("typo", None, "given_name"),  # handled by _name_typo (one field per record)
    ("accent_dropped", accent_dropped, "given_name"),
    ("surnames_swapped", surnames_swapped, "surname1"),
    ("second_surname_missing", second_surname_missing, "surname2"),
    ("given_name_abbreviated", given_name_abbreviated, "given_name"),
    ("day_month_swapped", day_month_swapped, "birth_date"),
    ("birth_year_typo", birth_year_typo, "birth_date"),
    ("doc_missing", doc_missing, "doc_number"),
    ("ngo_doc_missing", doc_missing, "doc_number"),
    ("doc_typo", doc_typo, "doc_number"),
    ("doc_letter_wrong", doc_letter_wrong, "doc_number"),
    ("ngo_birth_date_missing", birth_date_missing, "birth_date"),
    ("province_moved", province_moved, "municipality_code"),
    ("municipality_moved", municipality_moved, "municipality_code"),
    ("sex_miscoded", sex_miscoded, "sex"),
)
_FRAME_STEPS = {
    nie_to_dni,
    accent_dropped,
    surnames_swapped,
    doc_missing,
    doc_typo,
    doc_letter_wrong,
    province_moved,
}


def _name_typo(frame: pd.DataFrame, rate: float, rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    """One typo in one name field per selected record: given name 40%, first surname 40%, second 20%
    (the first surname when there is no second one). Eligible: records with a given name or surname."""
    target = np.array(NAME_COLUMNS)[np.searchsorted([0.4, 0.8], rng.random(len(frame)), side="right")]
    target = np.where((target == "surname2") & frame["surname2"].isna().to_numpy(bool), "surname1", target)
    out = frame.copy()
    mask = np.zeros(len(frame), dtype=bool)
    chosen = _pick(np.ones(len(frame), dtype=bool), rate, rng)
    for col in NAME_COLUMNS:
        new, changed = typo(frame[col].where(chosen & (target == col)), 1.0, rng)
        out[col] = _text(frame[col]).where(~changed, new)
        mask |= changed
    return out, mask


def apply_identity_noise(
    records: pd.DataFrame, source: str, rates: dict[str, float], rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Apply every noise type to the person records of one source.

    Parameters
    ----------
    records : DataFrame
        True identities, one row per record, in the order record ids are to be given: identity columns
        (codebook ``identity_columns``), ``former_nie``, ``naturalisation_date`` and ``record_date``
        (the date the record was written), plus any other column, kept as is.
    source : str
        Person source name; sets the record-id prefix (:data:`RECORD_PREFIX`) and the multipliers.
    rates : dict
        ``params["synthetic"]["noise"]``.
    rng : numpy.random.Generator
        Random stream.

    Returns
    -------
    (DataFrame, DataFrame)
        The noisy records with ``record_id`` (prefix and 8 digits, in row order) and ``is_duplicate``
        (True for the second registration of a person), and the noise log (``source``, ``record_id``,
        ``column``, ``noise_type``), one row per changed column of a record, sorted.
    """
    eff = effective_rates(source, rates)
    frame, is_copy = duplicate_record(records, eff.get("duplicate_record", 0.0), rng)
    prefix = RECORD_PREFIX[source]
    frame.insert(0, "record_id", [f"{prefix}{i:08d}" for i in range(1, len(frame) + 1)])
    frame["is_duplicate"] = is_copy
    logs = [_log(frame, is_copy, "record_id", "duplicate_record")]
    for name, func, column in STEPS:
        rate = eff.get(name, 0.0)
        if rate <= 0:
            continue
        before = frame
        if func is None or func in _FRAME_STEPS:
            frame, mask = (func or _name_typo)(frame, rate, rng)
        else:
            frame = frame.copy()
            frame[column], mask = func(frame[column], rate, rng)
        columns = NAME_COLUMNS if name in ("typo", "accent_dropped", "surnames_swapped") else (column,)
        for col in columns:
            if len(columns) == 1:
                logs.append(_log(frame, mask, col, name))
                continue
            same = (before[col] == frame[col]) | (before[col].isna() & frame[col].isna())
            logs.append(_log(frame, mask & ~same.to_numpy(bool), col, name))
    log = pd.concat(logs, ignore_index=True).assign(source=source)
    log = log[["source", "record_id", "column", "noise_type"]].sort_values(
        ["record_id", "column", "noise_type"], ignore_index=True
    )
    return frame, log


def _log(frame: pd.DataFrame, mask: np.ndarray, column: str, noise_type: str) -> pd.DataFrame:
    ids = frame["record_id"].to_numpy(object)[np.asarray(mask, dtype=bool)]
    return pd.DataFrame({"record_id": ids, "column": column, "noise_type": noise_type})
