"""Spending paid by the benefit registry (RGC): one row per head and calendar month paid, and sums.

Every benefit file of ``rgc_spells`` is expanded into the calendar months it paid, from the month of
``start_date`` (first month paid) to the month of ``end_date`` (last month paid) or, when still paid,
the month of the extraction date (:func:`file_months`). A household receives one RGC benefit at a
time, so a head paid by two or more concurrent files in a month (overlapping or nested files, or one
file repeated) is paid once that month, at the amount of the file begun last (:func:`paid_once`);
the head-months so de-duplicated are counted (:func:`overlapping_head_months`). Totals are therefore
``sum(amount x months paid)`` over the registry with each head-month counted once
(:func:`registry_total`). Each month also carries its rank in the person's episode (files separated
by less than ``chronicity.merge_gap_months`` are one episode,
:func:`pact_analysis.chronicity.build_spells`), so the spending beyond month 24 of an episode is
known. Sums over groups of fewer than the minimum publishable persons are folded into one row
(:func:`spending_by_folded`); when the groups nest in larger ones whose totals are published (CEAS in
provinces), more are folded until no larger group's total minus its published parts gives away a
folded group (:func:`groups_to_fold_within`, :func:`exposed_remainders`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from pact_analysis import chronicity as ch
from pact_analysis.disclosure import SUPPRESSED, Protected, protect, recoverable
from pact_analysis.errors import StageError

#: Label of the row that aggregates groups with fewer than ``min_cell`` persons.
OTHER = "other"


def month_index(dates: pd.Series) -> pd.Series:
    """Months since year 0 of each date (``year * 12 + month - 1``), NaN for missing dates."""
    d = pd.to_datetime(dates)
    return d.dt.year * 12 + d.dt.month - 1


def months_paid(spells: pd.DataFrame, extraction_date: Any) -> pd.Series:
    """Calendar months paid by each benefit file, first and last month included.

    Parameters
    ----------
    spells : DataFrame
        ``rgc_spells`` (``start_date``, ``end_date``; ``end_date`` empty while still paid).
    extraction_date : date-like
        Files still paid (or ending after it) are paid up to its month; an open file followed by a
        later file of the same person up to that file's start
        (:func:`pact_analysis.chronicity.spells.superseded_ends`, the rule of the spells).

    Returns
    -------
    Series of int
        Indexed like ``spells``.
    """
    extraction = pd.Timestamp(extraction_date)
    end = pd.to_datetime(spells["end_date"])
    if "person_key" in spells:  # an open file ends when a later file of the person starts
        end = end.mask(end > extraction).fillna(ch.superseded_ends(spells, extraction))
    end = end.fillna(extraction).clip(upper=extraction)
    n = month_index(end) - month_index(spells["start_date"]) + 1
    return n.clip(lower=0).astype(int)


def registry_total(spells: pd.DataFrame, extraction_date: Any) -> float:
    """Total paid by the benefit registry, EUR: :func:`payments` summed (each head-month paid once)."""
    return float(payments(spells, extraction_date)["amount_eur"].sum())


def episode_start(spells: pd.DataFrame, episodes: pd.DataFrame) -> pd.Series:
    """Start of the episode each benefit file belongs to (its own start when it has no episode).

    Parameters
    ----------
    spells : DataFrame
        ``rgc_spells`` (``person_key``, ``start_date``).
    episodes : DataFrame
        :func:`pact_analysis.chronicity.build_spells` (heads): merged files of one person.

    Returns
    -------
    Series of datetime
        Indexed like ``spells``.
    """
    files = spells[["person_key", "start_date"]].assign(
        person_key=spells["person_key"].astype(object),
        start_date=pd.to_datetime(spells["start_date"]),
        _row=np.arange(len(spells)),
    )
    known = files.dropna(subset=["person_key"]).sort_values("start_date")
    eps = episodes[["person_key", "start_date"]].rename(columns={"start_date": "episode_start"})
    eps = eps.assign(
        person_key=eps["person_key"].astype(object), episode_start=pd.to_datetime(eps["episode_start"])
    ).sort_values("episode_start")
    matched = pd.merge_asof(
        known,
        eps.assign(start_date=eps["episode_start"]),
        on="start_date",
        by="person_key",
        direction="backward",
    ).set_index("_row")["episode_start"]
    out = pd.Series(files["start_date"].to_numpy(), index=spells.index)
    found = matched.reindex(np.arange(len(spells))).to_numpy()
    return out.where(pd.isna(found), pd.Series(found, index=spells.index))


def file_months(
    spells: pd.DataFrame,
    extraction_date: Any,
    ceas: pd.DataFrame | None = None,
    episodes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per benefit file and calendar month it paid (concurrent files each counted).

    Parameters
    ----------
    spells, extraction_date, ceas, episodes
        As in :func:`payments`.

    Returns
    -------
    DataFrame
        The columns of :func:`payments` but ``files``, plus ``start_date`` (the file's).
    """
    n = months_paid(spells, extraction_date)
    first = month_index(spells["start_date"])
    origin = first if episodes is None else month_index(episode_start(spells, episodes))
    rows = np.repeat(np.arange(len(spells)), n.to_numpy())
    offset = np.arange(len(rows)) - np.repeat(np.cumsum(n.to_numpy()) - n.to_numpy(), n.to_numpy())
    months = first.to_numpy()[rows] + offset
    base = spells.iloc[rows]
    out = pd.DataFrame(
        {
            "file_id": base["file_id"].to_numpy(),
            "person_key": base["person_key"].astype(object).fillna(base["file_id"]).to_numpy(),
            "ceas_code": base["ceas_code"].to_numpy(),
            "year": (months // 12).astype(int),
            "amount_eur": base["monthly_amount_eur"].astype(float).to_numpy(),
            "spell_month": (months - origin.to_numpy()[rows] + 1).astype(int),
            "start_date": pd.to_datetime(base["start_date"]).to_numpy(),
        }
    )
    out.insert(3, "month", pd.to_datetime({"year": out["year"], "month": months % 12 + 1, "day": 1}))
    if ceas is not None:
        out.insert(3, "province_code", out["ceas_code"].map(ceas.set_index("ceas_code")["province_code"]))
    return out


def paid_once(rows: pd.DataFrame) -> pd.DataFrame:
    """Each head paid once a month, however many of its files pay that month.

    A household cannot receive two RGC benefits at once: when concurrent files (overlapping, nested
    or repeated) of one head pay the same month, the month is paid at the amount of the file begun
    last (the latest resolution in force; on the same start day, the larger amount, then the larger
    ``file_id``), and that file's ``file_id`` and ``ceas_code`` are kept. ``spell_month`` is the
    largest of the concurrent rows (the month of the longest-running episode).

    Parameters
    ----------
    rows : DataFrame
        :func:`file_months`.

    Returns
    -------
    DataFrame
        One row per ``person_key`` and ``month`` (in that order), with ``files`` (the files that paid it: more than
        one in the head-months de-duplicated, :func:`overlapping_head_months`), without ``start_date``.
    """
    keys = ["person_key", "month"]
    order = rows.sort_values(
        [*keys, "start_date", "amount_eur", "file_id"], ascending=[True, True, False, False, False]
    )
    g = order.groupby(keys, sort=False)
    order = order.assign(files=g["file_id"].transform("size"), spell_month=g["spell_month"].transform("max"))
    return order.drop_duplicates(keys, keep="first").drop(columns="start_date").reset_index(drop=True)


def payments(
    spells: pd.DataFrame,
    extraction_date: Any,
    ceas: pd.DataFrame | None = None,
    episodes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per head (household's file holder) and calendar month paid, concurrent files paid once.

    The months of every file (:func:`file_months`) are de-duplicated per head and month
    (:func:`paid_once`: the file begun last sets the amount); how many head-months were
    de-duplicated is :func:`overlapping_head_months` of the result.

    Parameters
    ----------
    spells : DataFrame
        ``rgc_spells`` of ``data/processed``.
    extraction_date : date-like
        End of the data (open files are paid up to its month).
    ceas : DataFrame, optional
        ``ceas`` table (``ceas_code``, ``province_code``): adds ``province_code``.
    episodes : DataFrame, optional
        :func:`pact_analysis.chronicity.build_spells` output: ``spell_month`` counts from the start of
        the episode (merged files) instead of the file.

    Returns
    -------
    DataFrame
        ``file_id`` (the file whose amount is paid), ``person_key`` (the head; the file id when
        unlinked), ``ceas_code``, ``province_code``, ``month`` (first day), ``year``, ``amount_eur``,
        ``spell_month`` (1 = the episode's first month), ``files`` (files paying that head-month).
    """
    return paid_once(file_months(spells, extraction_date, ceas, episodes))


def spending_by(paid: pd.DataFrame, by: str | Sequence[str], chronic_months: int = 24) -> pd.DataFrame:
    """Spending, persons, months paid and the share beyond ``chronic_months`` per group.

    Parameters
    ----------
    paid : DataFrame
        :func:`payments`.
    by : str or sequence of str
        Grouping columns.
    chronic_months : int
        Months of an episode after which its payments count as chronic receipt.

    Returns
    -------
    DataFrame
        Indexed by ``by``: ``spending_eur``, ``persons`` (distinct heads paid), ``months``,
        ``mean_amount_eur`` (per month paid), ``chronic_share`` (share of spending paid beyond month
        ``chronic_months`` of an episode), and the heads behind each part of that share,
        ``chronic_persons`` and ``other_persons`` (for :func:`protect_spending`).
    """
    is_chronic = paid["spell_month"] > chronic_months
    chronic = paid["amount_eur"].where(is_chronic, 0.0)
    heads = paid["person_key"]
    g = paid.assign(_chronic=chronic, _c=heads.where(is_chronic), _o=heads.where(~is_chronic)).groupby(
        by, sort=True
    )
    out = pd.DataFrame(
        {
            "spending_eur": g["amount_eur"].sum(),
            "persons": g["person_key"].nunique(),
            "months": g.size(),
        }
    )
    out["mean_amount_eur"] = out["spending_eur"] / out["months"]
    out["chronic_share"] = g["_chronic"].sum() / out["spending_eur"]
    out["chronic_persons"], out["other_persons"] = g["_c"].nunique(), g["_o"].nunique()
    return out


def protect_spending(table: pd.DataFrame, min_cell: int) -> Protected:
    """A table of spending by group as published: persons protected, and the chronic share shown as
    :data:`~pact_analysis.disclosure.SUPPRESSED` where its chronic or its other part is paid to 1 to
    ``min_cell - 1`` heads (share x spending would give their sum back: their amounts) or where the
    persons are suppressed; as the groups' chronic spending adds up to the year's, further shares
    are hidden until the hidden groups hold at least ``min_cell`` heads in each part (and are two or
    more).

    Parameters
    ----------
    table : DataFrame
        Columns to publish, among them ``persons`` and ``chronic_share``, with ``chronic_persons``
        and ``other_persons`` (:func:`spending_by`; dropped from the published table).
    min_cell : int
        Minimum publishable count.

    Returns
    -------
    Protected
        The chronic shares hidden are counted as derived cells.
    """
    behind = ["chronic_persons", "other_persons"]
    protected = protect(table.drop(columns=behind), min_cell, columns=["persons"], additive=False)
    few = pd.concat([table[c].between(1, min_cell - 1) for c in behind], axis=1).any(axis=1)
    shown = table["chronic_share"].notna()
    hit = (few | protected.mask["persons"]) & shown
    # the groups' chronic spending adds up to the year's (published): the hidden groups together
    # must hold at least min_cell heads in each part, or one more group is hidden (fewest heads first)
    while hit.any() and (hit.sum() == 1 or (table.loc[hit, behind].sum() < min_cell).any()):
        spare = table.loc[shown & ~hit, "persons"]
        if spare.empty:
            break
        hit[spare.idxmin()] = True
    out = protected.table.copy()
    out["chronic_share"] = out["chronic_share"].astype(object).mask(hit, SUPPRESSED)
    return Protected(
        out,
        protected.mask,
        protected.primary,
        protected.secondary,
        protected.derived + int(hit.sum()),
        relations=protected.relations,  # persons: primary suppression only (a person in several rows)
    )


def yearly_spending(paid: pd.DataFrame, chronic_months: int = 24) -> pd.DataFrame:
    """:func:`spending_by` calendar year, with ``months_covered`` (months of the year in the data)."""
    out = spending_by(paid, "year", chronic_months)
    covered = paid.groupby("year")["month"].agg(lambda m: m.dt.month.nunique())
    out["months_covered"] = covered.astype(int)
    return out


def last_full_year(yearly: pd.DataFrame, extraction_date: Any) -> int:
    """The last calendar year that is complete in the data.

    A year is full only if the extraction date is on or after its 31 December (an extraction on
    15 December already counts December as paid, but the year is not over) and the data hold all 12
    of its months (the first year of the window may start late).

    Parameters
    ----------
    yearly : DataFrame
        :func:`yearly_spending` (indexed by year, with ``months_covered``).
    extraction_date : date-like
        End of the data.

    Returns
    -------
    int

    Raises
    ------
    StageError
        When no year paid is full (the tables by profile and CEAS need one).
    """
    extraction = pd.Timestamp(extraction_date).normalize()
    full = [
        int(year)
        for year, months in yearly["months_covered"].items()
        if months == 12 and pd.Timestamp(int(year), 12, 31) <= extraction
    ]
    if not full:
        years = f"{yearly.index.min()}-{yearly.index.max()}" if len(yearly) else "none"
        raise StageError(
            f"spending: no full calendar year in the data (years paid: {years}; extraction date "
            f"{extraction.date()}): a year is full when all 12 months are paid and the extraction is on "
            "or after its 31 December; the tables by profile and CEAS need one"
        )
    return max(full)


def overlapping_head_months(paid: pd.DataFrame) -> int:
    """Head-months paid by more than one file (overlapping files, or one file repeated), paid once.

    :func:`payments` pays each such month once (:func:`paid_once`); this counts them, so the report can
    say how often the registry holds concurrent files.

    Parameters
    ----------
    paid : DataFrame
        :func:`payments` (``files``).

    Returns
    -------
    int
    """
    return int((paid["files"] > 1).sum())


def small_groups(persons: pd.Series, min_cell: int) -> list[Any]:
    """Groups to fold into one row: those with fewer than ``min_cell`` persons, and then the next
    smallest while the folded ones hold fewer than ``min_cell`` persons together.

    A spending sum over a few persons discloses their amounts as surely as a count does; folding
    leaves every published row with at least ``min_cell`` persons (unless the whole table has fewer).

    Parameters
    ----------
    persons : Series
        Distinct persons per group (indexed by group).
    min_cell : int
        Minimum publishable number of persons.

    Returns
    -------
    list
        Labels of the groups to fold (empty when none is small).
    """
    order = persons.sort_values(kind="stable")
    small = (order < min_cell).to_numpy()
    while small.any() and not small.all() and order[small].sum() < min_cell:
        small[int(np.argmin(small))] = True
    return list(order.index[small])


def fold(values: pd.Series, folded: Sequence[Any], other: str = OTHER) -> pd.Series:
    """Replace the labels in ``folded`` by ``other`` (see :func:`small_groups`)."""
    return values.astype(object).where(~values.isin(list(folded)), other)


def _parents(paid: pd.DataFrame, by: str, parent: str) -> pd.Series:
    """The larger group of each group (its most frequent ``parent`` value; missing as ``"?"``)."""
    pairs = paid[[by, parent]].astype(object).fillna("?")
    return pairs.groupby(by)[parent].agg(lambda values: values.value_counts().index[0])


def exposed_remainders(
    paid: pd.DataFrame, by: str, parent: str, folded: Sequence[Any], min_cell: int
) -> list[Any]:
    """Larger groups whose published total, minus their published parts, gives away folded groups.

    A table of groups (CEAS) with the small ones folded into one row is published beside the totals
    of the larger groups they belong to (provinces). Each larger group's total minus its published
    groups is the sum of its folded groups: its *remainder*. A remainder is disclosive when it holds
    one folded group (that group is recovered exactly: :func:`pact_analysis.disclosure.recoverable`
    on the relations "a province's groups add up to its total" and "the folded groups add up to the
    folded row") or fewer than ``min_cell`` distinct persons. A remainder that is the whole larger
    group gives away nothing that the larger group's own table does not decide.

    Parameters
    ----------
    paid : DataFrame
        :func:`payments` (``person_key``, ``by``, ``parent``).
    by, parent : str
        The groups and the larger groups holding them (``ceas_code``, ``province_code``).
    folded : sequence
        Groups folded into the aggregated row.
    min_cell : int
        Minimum publishable number of persons.

    Returns
    -------
    list
        The larger groups with a disclosive remainder, sorted (empty when the folding is safe).
    """
    parent_of = _parents(paid, by, parent)
    groups = list(parent_of.index)
    hidden = parent_of.index.isin(list(folded))
    parents = sorted(parent_of.unique(), key=str)
    whole = {p for p in parents if hidden[(parent_of == p).to_numpy()].all()}
    # cells: the groups, then each larger group's total (known), then the folded row (known)
    n = len(groups)
    equations = np.zeros((len(parents) + 1, n + len(parents) + 1))
    for i, p in enumerate(parents):
        equations[i, :n] = (parent_of == p).to_numpy()
        equations[i, n + i] = -1.0
    equations[-1, :n], equations[-1, -1] = hidden, -1.0
    cells = np.concatenate([hidden, np.zeros(len(parents) + 1, dtype=bool)])
    found = recoverable(equations, cells)[:n]
    key = paid[by].astype(object)
    exposed = []
    for p in parents:
        members = (parent_of == p).to_numpy() & hidden
        if not members.any() or p in whole:
            continue
        rest = paid.loc[key.isin(parent_of.index[members]), "person_key"].nunique()
        if found[members].any() or rest < min_cell:
            exposed.append(p)
    return exposed


def groups_to_fold_within(paid: pd.DataFrame, by: str, parent: str, min_cell: int) -> list[Any]:
    """Groups to fold so that neither the folded row nor any larger group's remainder discloses.

    Starts from :func:`small_groups`; while a larger group's remainder is disclosive
    (:func:`exposed_remainders`: one folded group, or fewer than ``min_cell`` persons, recoverable
    as its published total minus its published groups), the smallest group of it still shown is
    folded too (at worst the whole larger group, whose total its own table protects).

    Parameters
    ----------
    paid : DataFrame
        :func:`payments` (``person_key``, ``by``, ``parent``).
    by, parent : str
        The groups and the larger groups holding them (``ceas_code``, ``province_code``).
    min_cell : int
        Minimum publishable number of persons.

    Returns
    -------
    list
        Labels of the groups to fold.
    """
    persons = paid.groupby(by)["person_key"].nunique()
    parent_of = _parents(paid, by, parent)
    folded = list(small_groups(persons, min_cell))
    for _ in range(len(persons) + 1):
        exposed = exposed_remainders(paid, by, parent, folded, min_cell)
        if not exposed:
            return folded
        for p in exposed:
            shown = persons[(parent_of == p).to_numpy() & ~persons.index.isin(folded)]
            if len(shown):
                folded.append(shown.sort_values(kind="stable").index[0])
    raise AssertionError("unreachable: each round folds at least one more group")  # pragma: no cover


def spending_by_folded(
    paid: pd.DataFrame,
    by: str,
    min_cell: int,
    chronic_months: int = 24,
    other: str = OTHER,
    parent: str | None = None,
) -> pd.DataFrame:
    """:func:`spending_by` one column, groups of fewer than ``min_cell`` persons folded into ``other``.

    With ``parent`` (the larger groups whose totals are published elsewhere, e.g. ``province_code``
    for CEAS), groups are also folded until no larger group's total minus its published groups gives
    away a folded one (:func:`groups_to_fold_within`).

    Returns
    -------
    DataFrame
        Largest spending first, ``other`` last; rows still under ``min_cell`` persons (a table whose
        every group is small) have their figures blanked.
    """
    if parent is None:
        folded = small_groups(paid.groupby(by)["person_key"].nunique(), min_cell)
    else:
        folded = groups_to_fold_within(paid, by, parent, min_cell)
    table = spending_by(paid.assign(**{by: fold(paid[by], folded, other)}), by, chronic_months)
    table = table.sort_values("spending_eur", ascending=False)
    table = pd.concat([table.drop(index=[other], errors="ignore"), table.loc[table.index == other]])
    return ch.mask_small_groups(table, "persons", min_cell)


def spending_crosstab(paid: pd.DataFrame, rows: str, columns: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Spending (EUR) by ``rows`` x ``columns`` and the persons paid behind each cell.

    Publish the first with the second as ``behind`` (:meth:`pact_analysis.report.page.Report.table`,
    :func:`pact_analysis.disclosure.protect_by`): cells of fewer than the minimum persons and their
    complements are suppressed, so no hidden cell is recoverable from the totals.

    Returns
    -------
    (DataFrame, DataFrame)
        Spending in EUR and distinct persons paid, same rows and columns.
    """
    money = paid.pivot_table(index=rows, columns=columns, values="amount_eur", aggfunc="sum", fill_value=0.0)
    persons = paid.pivot_table(
        index=rows, columns=columns, values="person_key", aggfunc="nunique", fill_value=0
    )
    return money, persons.reindex(index=money.index, columns=money.columns, fill_value=0)
