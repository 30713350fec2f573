"""De-identified outputs of the ``link`` stage (``data/processed``): no direct identifier survives.

Every clean table is rewritten with persons known only by ``person_key`` (see
:mod:`pact_analysis.linkage.pseudonymise`): record ids of person sources and of the tables that
reference them are replaced through the crosswalk, and the codebook's ``pii`` and identity columns
are dropped. :func:`persons_table` summarises each linked person without identifiers.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from pact_analysis import codebook
from pact_analysis.linkage.pseudonymise import pseudonym

log = logging.getLogger(__name__)

#: Order in which person sources are trusted for a person's attributes (first non-empty value wins).
SOURCE_PRIORITY = ("sauss_persons", "rgc_members", "employment_persons", "ngo_attention")

#: Columns of ``persons.parquet``.
PERSON_COLUMNS = [
    "person_key",
    "sex",
    "birth_year",
    "age",
    "nationality",
    "municipality_code",
    "province_code",
    "ceas_code",
    "education",
    "disability_pct",
    "household_type",
    "household_key",
    "sources",
]


def identity_columns() -> list[str]:
    """Return the codebook's shared identity columns (quasi-identifiers included) plus ``birth_year``."""
    return [*codebook.load()["identity_columns"], "birth_year"]


def dropped_columns(source: str) -> list[str]:
    """Columns of ``source`` never written to ``data/processed``."""
    drop = set(codebook.pii_columns(source))
    if source in codebook.person_sources():
        drop |= set(identity_columns()) | {"record_id"}
    return [c for c in codebook.columns(source) if c in drop]


def person_references(source: str) -> dict[str, str]:
    """Return ``{column: person source}`` for the columns of ``source`` that hold a person record id."""
    refs = {}
    persons = set(codebook.person_sources())
    for column, spec in codebook.columns(source).items():
        target, _, target_column = spec.get("references", "").partition(".")
        if target in persons and target_column == "record_id":
            refs[column] = target
    return refs


def _lookup(crosswalk: pd.DataFrame, source: str) -> pd.Series:
    part = crosswalk[crosswalk["source"] == source]
    return part.set_index("record_id")["person_key"]


def deidentify_table(df: pd.DataFrame, source: str, crosswalk: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` with person record ids replaced by ``person_key`` and identifiers dropped.

    Parameters
    ----------
    df : DataFrame
        A clean table of ``source``.
    source : str
        Codebook source name.
    crosswalk : DataFrame
        ``source, record_id, person_key`` for every person record.

    Returns
    -------
    DataFrame
        ``person_key`` first (for person sources and tables referencing one person source), then
        the remaining columns in codebook order. Unknown references get an empty ``person_key``.
    """
    out = df.copy()
    refs = {"record_id": source} if source in codebook.person_sources() else person_references(source)
    keys = None
    for column, target in refs.items():
        keys = out[column].map(_lookup(crosswalk, target)).astype("string")
        unknown = int((keys.isna() & out[column].notna()).sum())
        if unknown:
            log.warning("%s: %d records reference a person unknown to the crosswalk", source, unknown)
        out = out.drop(columns=column)
    out = out.drop(columns=[c for c in dropped_columns(source) if c in out])
    if keys is not None:
        out.insert(0, "person_key", keys)
    return out.reset_index(drop=True)


def spells_with_head(spells: pd.DataFrame, members: pd.DataFrame) -> pd.DataFrame:
    """Add the household head's ``person_key`` to RGC spells (first head of the file by record).

    Parameters
    ----------
    spells : DataFrame
        Clean ``rgc_spells``.
    members : DataFrame
        De-identified ``rgc_members`` (``file_id, role, person_key``), in record order.
    """
    heads = members[members["role"] == "HEAD"].drop_duplicates("file_id").set_index("file_id")["person_key"]
    out = spells.copy()
    out.insert(0, "person_key", out["file_id"].map(heads).astype("string"))
    return out


def household_keys(members: pd.DataFrame, key: bytes) -> pd.Series:
    """Group persons into households: persons sharing an RGC file are one household.

    Files chained by a shared person (a re-entry, a household that split or merged) form one
    household: the connected components of the person-file graph.

    Parameters
    ----------
    members : DataFrame
        ``file_id, person_key`` (de-identified RGC membership).
    key : bytes
        Secret key; the household key is the pseudonym of the component's smallest person key.

    Returns
    -------
    Series
        ``household_key`` indexed by ``person_key`` (persons never in an RGC file are absent).
    """
    links = members.dropna(subset=["person_key"])[["person_key", "file_id"]].drop_duplicates()
    if links.empty:
        return pd.Series(dtype="string", name="household_key")
    persons = np.sort(links["person_key"].unique())
    files = np.sort(links["file_id"].unique())
    p_idx = np.searchsorted(persons, links["person_key"].to_numpy())
    f_idx = np.searchsorted(files, links["file_id"].to_numpy()) + len(persons)
    n = len(persons) + len(files)
    graph = coo_matrix((np.ones(len(links)), (p_idx, f_idx)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    # persons are sorted, so the first of each component is its smallest person key
    smallest = pd.Series(persons).groupby(labels[: len(persons)]).transform("first").to_numpy()
    names = {k: pseudonym(key, f"HOUSEHOLD|{k}") for k in np.unique(smallest)}
    return pd.Series([names[k] for k in smallest], index=persons, dtype="string", name="household_key")


def _sources_of(records: pd.DataFrame) -> pd.Series:
    """The sources of each person's records, sorted and joined by commas, indexed by ``person_key``.

    Built from the person-by-source presence table (a few columns) rather than a Python string join
    per person, which is slow for hundreds of thousands of persons.
    """
    present = pd.crosstab(records["person_key"], records["source"]).gt(0).sort_index(axis=1)
    names = present.columns.to_numpy(str)
    codes = present.to_numpy() @ (1 << np.arange(len(names)))  # one bit per source
    joined = {code: ",".join(names[(code >> np.arange(len(names))) & 1 == 1]) for code in np.unique(codes)}
    return pd.Series([joined[code] for code in codes], index=present.index)


def persons_table(
    frames: dict[str, pd.DataFrame],
    crosswalk: pd.DataFrame,
    households: pd.Series,
    extraction_date: Any,
) -> pd.DataFrame:
    """One row per linked person, without direct identifiers.

    Parameters
    ----------
    frames : dict of str to DataFrame
        Clean person sources (with identities).
    crosswalk : DataFrame
        ``source, record_id, person_key``.
    households : Series
        ``household_key`` by ``person_key`` (:func:`household_keys`).
    extraction_date : date or str
        The day of the extraction: ages are completed years at that day.

    Returns
    -------
    DataFrame
        :data:`PERSON_COLUMNS`, sorted by ``person_key``. Attributes come from the first source
        in :data:`SOURCE_PRIORITY` that has them; ``birth_year`` and ``age`` come from the birth
        date (or the NGO's birth year), which itself is not kept.
    """
    wanted = [
        "sex",
        "birth_date",
        "birth_year",
        "nationality",
        "municipality_code",
        "ceas_code",
        "education",
        "disability_pct",
        "household_type",
    ]
    parts = []
    for rank, source in enumerate(SOURCE_PRIORITY):
        if source not in frames:
            continue
        df = frames[source]
        part = df[["record_id", *[c for c in wanted if c in df]]].assign(source=source, rank=rank)
        parts.append(part)
    records = pd.concat(parts, ignore_index=True).reindex(columns=["source", "record_id", "rank", *wanted])
    records = records.merge(crosswalk[["source", "record_id", "person_key"]])
    records = records.sort_values(["person_key", "rank", "record_id"])
    first = records.groupby("person_key", sort=True)[wanted].first()
    sources = _sources_of(records)
    date = pd.Timestamp(extraction_date)
    birth = pd.to_datetime(first["birth_date"], errors="coerce")
    year = birth.dt.year.astype("Int64").fillna(
        pd.to_numeric(first["birth_year"], errors="coerce").astype("Int64")
    )
    before_birthday = (birth.dt.month > date.month) | (
        (birth.dt.month == date.month) & (birth.dt.day > date.day)
    )
    age = (date.year - year - before_birthday.fillna(False).astype(int)).astype("Int64")
    out = first.drop(columns=["birth_date"]).assign(birth_year=year, age=age, sources=sources)
    out["province_code"] = out["municipality_code"].astype("string").str[:2]
    out["disability_pct"] = pd.to_numeric(out["disability_pct"], errors="coerce").astype("Int64")
    out["household_key"] = households.reindex(out.index).astype("string")
    return out.rename_axis("person_key").reset_index()[PERSON_COLUMNS]


def processed_tables(
    frames: dict[str, pd.DataFrame], crosswalk: pd.DataFrame, key: bytes, extraction_date: Any
) -> dict[str, pd.DataFrame]:
    """Return every table written to ``data/processed``, keyed by file stem.

    Parameters
    ----------
    frames : dict of str to DataFrame
        Every clean table (person sources with identities included).
    crosswalk : DataFrame
        ``source, record_id, person_key``.
    key : bytes
        Secret key (for household keys).
    extraction_date : date or str
        Extraction day (ages).
    """
    tables = {source: deidentify_table(df, source, crosswalk) for source, df in sorted(frames.items())}
    members = tables.get("rgc_members", pd.DataFrame(columns=["file_id", "role", "person_key"]))
    if "rgc_spells" in tables:
        tables["rgc_spells"] = spells_with_head(tables["rgc_spells"], members)
    households = household_keys(members, key)
    person_frames = {s: frames[s] for s in codebook.person_sources() if s in frames}
    tables["persons"] = persons_table(person_frames, crosswalk, households, extraction_date)
    return tables
