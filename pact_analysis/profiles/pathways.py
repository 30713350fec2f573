"""Pathways: each person's monthly sequence of states and a typology of those sequences.

A person's state in a calendar month is the first that applies of :data:`STATES`: on the minimum
income (RGC, any day of the month paid to their household), employed (a contract any day of the
month), registered unemployed (a job-seeker registration), attended by an NGO (an attention that
month), or none of these. Sequences run over the study period (``synthetic.start_date`` or the
first month of any record, to ``data.extraction_date``).

The typology follows sequence analysis practice (Abbott; Studer & Ritschard 2016): a dissimilarity
between sequences aligned on the calendar, then Ward clustering, on a sample of persons to keep the
quadratic cost small. Ward needs Euclidean distances: the sequences are coded one-hot (one column per
month and state) and compared by Euclidean distance (:func:`onehot_distance`), a monotone function
of the Hamming distance on the monthly states.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

#: States in priority order (a month with several takes the first); codes are positions.
STATES = ("rgc", "employed", "unemployed", "ngo", "none")


def month_index(dates: Any) -> np.ndarray:
    """Month index (year * 12 + month - 1) of dates (NaT gives -1).

    Parameters
    ----------
    dates : array-like
        Dates or strings.

    Returns
    -------
    ndarray of int64
    """
    d = pd.to_datetime(pd.Series(dates))
    return (d.dt.year * 12 + d.dt.month - 1).fillna(-1).to_numpy(np.int64)


def _coverage(
    persons: pd.Index, key: pd.Series, start: np.ndarray, end: np.ndarray, first: int, n_months: int
) -> np.ndarray:
    """Boolean persons x months matrix: True where an interval ``[start, end]`` (month indexes) covers."""
    row = persons.get_indexer(key)
    keep = row >= 0
    row, s, e = (
        row[keep],
        np.clip(start[keep] - first, 0, n_months),
        np.clip(end[keep] - first + 1, 0, n_months),
    )
    ok = s < e
    diff = np.zeros((len(persons), n_months + 1), dtype=np.int32)
    np.add.at(diff, (row[ok], s[ok]), 1)
    np.add.at(diff, (row[ok], e[ok]), -1)
    return np.cumsum(diff[:, :n_months], axis=1) > 0


def state_sequences(
    persons: Sequence[str],
    rgc: pd.DataFrame,
    employment: pd.DataFrame,
    ngo: pd.DataFrame,
    start: Any,
    end: Any,
) -> pd.DataFrame:
    """Monthly state of each person (codes of :data:`STATES`).

    Parameters
    ----------
    persons : sequence of str
        ``person_key`` of the persons wanted (rows, in this order).
    rgc : DataFrame
        RGC spells per member: ``person_key, start_date, end_date`` (end empty: still paid).
    employment : DataFrame
        ``person_key, episode_type`` (``CONTRACT`` or ``JOBSEEKER``), ``start_date, end_date``.
    ngo : DataFrame
        NGO attentions: ``person_key, date``.
    start, end : date or str
        First and last month of the sequences.

    Returns
    -------
    DataFrame
        ``int8`` codes, index ``person_key``, one column per month (``YYYY-MM``).
    """
    index = pd.Index(persons, name="person_key")
    first, last = month_index([start])[0], month_index([end])[0]
    n = last - first + 1

    def cover(frame: pd.DataFrame, start_col: str, end_col: str) -> np.ndarray:
        stop = month_index(frame[end_col])
        stop = np.where(stop < 0, last, stop)
        return _coverage(index, frame["person_key"], month_index(frame[start_col]), stop, first, n)

    contract = employment["episode_type"] == "CONTRACT"
    layers = [
        cover(rgc, "start_date", "end_date"),
        cover(employment[contract], "start_date", "end_date"),
        cover(employment[~contract], "start_date", "end_date"),
        cover(ngo.assign(end=ngo["date"]), "date", "end"),
    ]
    codes = np.full((len(index), n), len(STATES) - 1, dtype=np.int8)
    for code in reversed(range(len(layers))):
        codes[layers[code]] = code
    months = pd.period_range(pd.Timestamp(start), periods=n, freq="M").strftime("%Y-%m")
    return pd.DataFrame(codes, index=index, columns=months)


def state_distribution(sequences: pd.DataFrame, groups: pd.Series | None = None) -> pd.DataFrame:
    """Share of persons in each state per month (per group if given): ``group, month, state, share``.

    Parameters
    ----------
    sequences : DataFrame
        :func:`state_sequences`.
    groups : Series, optional
        Group of each person (default: everyone in ``all``).

    Returns
    -------
    DataFrame
        ``group, month, state, share``.
    """
    groups = pd.Series("all", index=sequences.index) if groups is None else groups.reindex(sequences.index)
    rows = []
    for group, part in sequences.groupby(groups, sort=True):
        values = part.to_numpy()
        for code, state in enumerate(STATES):
            share = (values == code).mean(axis=0)
            rows.append(pd.DataFrame({"group": group, "month": part.columns, "state": state, "share": share}))
    return pd.concat(rows, ignore_index=True)


def transition_rates(sequences: pd.DataFrame) -> pd.DataFrame:
    """Monthly transition rates between states: row state this month, column state next month.

    Parameters
    ----------
    sequences : DataFrame
        :func:`state_sequences`.

    Returns
    -------
    DataFrame
        Rows and columns :data:`STATES`; each row adds up to one (empty rows are NaN), plus
        ``person_months`` (the months in each row state that have a next month).
    """
    values = sequences.to_numpy()
    now, nxt = values[:, :-1].ravel(), values[:, 1:].ravel()
    k = len(STATES)
    counts = np.bincount(now * k + nxt, minlength=k * k).reshape(k, k).astype(float)
    totals = counts.sum(axis=1, keepdims=True)
    rates = np.divide(counts, totals, out=np.full_like(counts, np.nan), where=totals > 0)
    out = pd.DataFrame(rates, index=pd.Index(STATES, name="from"), columns=list(STATES))
    out["person_months"] = totals.ravel().astype(int)
    return out


def onehot_distance(states: np.ndarray) -> np.ndarray:
    """Condensed Euclidean distances between sequences coded one-hot (one column per month and state).

    Two one-hot rows differ in two columns for every month in different states, so the distance is
    ``sqrt(2 * months that differ)`` (tested against ``pdist`` on the one-hot matrix).

    Parameters
    ----------
    states : ndarray of int (n, months)
        State codes.

    Returns
    -------
    ndarray
        Condensed distance vector (``scipy.spatial.distance.pdist`` layout).
    """
    from scipy.spatial.distance import pdist

    states = np.asarray(states)
    return np.sqrt(2.0 * states.shape[1] * pdist(states, metric="hamming"))


def hamming_typology(
    sequences: pd.DataFrame, n_types: Sequence[int] | int, sample: int, seed: int
) -> tuple[pd.Series, pd.DataFrame]:
    """Typology of pathways: Ward clustering of the one-hot monthly states (Euclidean distance).

    Ward's criterion is defined for Euclidean distances; :func:`onehot_distance` gives them (the
    square root of twice the number of months in different states), and the silhouettes use the same.

    Parameters
    ----------
    sequences : DataFrame
        :func:`state_sequences`.
    n_types : int or sequence of int
        Number of types, or candidates to choose from by the average silhouette width.
    sample : int
        Persons drawn at random (the dissimilarity matrix is quadratic in their number).
    seed : int
        Random state of the sample.

    Returns
    -------
    types : Series
        Pathway type (1, 2, ...) of each sampled person.
    silhouettes : DataFrame
        ``n_types, silhouette`` for every candidate.
    """
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(sequences), min(sample, len(sequences)), replace=False))
    part = sequences.iloc[rows]
    dist = onehot_distance(part.to_numpy())
    tree = linkage(dist, method="ward")
    square = squareform(dist)
    candidates = [n_types] if isinstance(n_types, int) else list(n_types)
    cuts = {k: fcluster(tree, k, criterion="maxclust") for k in candidates}
    sil = pd.DataFrame(
        {
            "n_types": candidates,
            "silhouette": [
                silhouette_score(square, cuts[k], metric="precomputed") if len(set(cuts[k])) > 1 else np.nan
                for k in candidates
            ],
        }
    )
    best = (
        int(sil.loc[sil["silhouette"].idxmax(), "n_types"])
        if sil["silhouette"].notna().any()
        else candidates[0]
    )
    return pd.Series(cuts[best], index=part.index, name="pathway_type"), sil


def type_profiles(sequences: pd.DataFrame, types: pd.Series) -> pd.DataFrame:
    """Share of months in each state per pathway type (``type`` x :data:`STATES`), plus ``persons``.

    Parameters
    ----------
    sequences : DataFrame
        :func:`state_sequences`.
    types : Series
        Pathway type of the sampled persons (:func:`hamming_typology`).

    Returns
    -------
    DataFrame
        Indexed by ``pathway_type``.
    """
    values = sequences.loc[types.index].to_numpy()
    rows = {}
    for t in sorted(types.unique()):
        part = values[(types == t).to_numpy()]
        rows[t] = {s: float((part == c).mean()) for c, s in enumerate(STATES)} | {"persons": len(part)}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("pathway_type")


def members_spells(bridge: pd.DataFrame, spells: pd.DataFrame) -> pd.DataFrame:
    """RGC spells of every member of each benefit file: ``person_key, start_date, end_date``.

    Parameters
    ----------
    bridge : DataFrame
        ``bridge_rgc_member`` (``file_id, person_key``).
    spells : DataFrame
        ``fact_benefit_spell`` (``file_id, start_date, end_date``).

    Returns
    -------
    DataFrame
    """
    return bridge[["file_id", "person_key"]].merge(
        spells[["file_id", "start_date", "end_date"]], on="file_id"
    )


def sequences_from_tables(
    tables: Mapping[str, pd.DataFrame], persons: Sequence[str], start: Any, end: Any
) -> pd.DataFrame:
    """:func:`state_sequences` from the warehouse tables (``bridge_rgc_member``, facts).

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Warehouse tables (``bridge_rgc_member``, ``fact_benefit_spell``, ``fact_employment_episode``,
        ``fact_ngo_attention``).
    persons : sequence of str
        ``person_key`` of the persons wanted.
    start, end : date or str
        First and last month.

    Returns
    -------
    DataFrame
        :func:`state_sequences`.
    """
    return state_sequences(
        persons,
        members_spells(tables["bridge_rgc_member"], tables["fact_benefit_spell"]),
        tables["fact_employment_episode"].dropna(subset=["person_key"]),
        tables["fact_ngo_attention"].dropna(subset=["person_key"]),
        start,
        end,
    )
