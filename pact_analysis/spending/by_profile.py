"""Spending of one calendar year on households by the profile of their head, and how much of it is covered.

A payment belongs to a benefit file, whose head is ``person_key`` (the file id when the file has no
linked head, :func:`~pact_analysis.spending.paid.payments`). The profile is the profiles stage's
(``data/profiles/persons.parquet``). Heads without a profile there (not profiled, or files without a
linked head) are not dropped: they form the group :data:`NO_PROFILE`, folded and suppressed like any
other group, so the rows of the table add up to the year's spending. :func:`profile_coverage` says
which share of the year's heads and spending has a profile; below :data:`MIN_PROFILE_COVERAGE` of the
heads the table would describe the profiles of a minority and the stage stops.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from pact_analysis.errors import StageError
from pact_analysis.paths import Paths
from pact_analysis.spending.paid import OTHER, spending_by_folded

#: Label of the group of heads paid without a profile in ``data/profiles/persons.parquet``.
NO_PROFILE = "no_profile"

#: Least share of the year's heads paid that must have a profile. Below it, a table "by profile"
#: would mostly describe who is missing from the profiles stage (a stale or partial
#: ``persons.parquet``, or a linkage failure), so the stage stops instead of publishing it. Half is a
#: floor against such failures, not a quality target: the coverage reached is reported in
#: ``data/spending/values.json`` (``profile_coverage``) and in the report.
MIN_PROFILE_COVERAGE = 0.5

#: Where the profiles come from, for error messages (``Paths().profiles``, relative to the project).
PROFILES_INPUT = (Paths(".").profiles / "persons.parquet").as_posix()


def profile_labels(profiles: pd.DataFrame) -> pd.Series:
    """Profile of each person as a label (``"1"``, ``"2"``...), indexed by ``person_key``.

    Parameters
    ----------
    profiles : DataFrame
        ``person_key``, ``profile`` (the profiles stage's ``persons.parquet``).

    Returns
    -------
    Series of str
        Persons without a profile (missing ``profile``) are left out.
    """
    unique = profiles.drop_duplicates("person_key").set_index("person_key")["profile"]
    return unique.dropna().astype(int).astype(str)


def profile_names(profiles: pd.DataFrame) -> dict[str, str]:
    """Name code of each profile label (``{"1": "rgc_long", ...}``) from the profiles stage's persons.

    Parameters
    ----------
    profiles : DataFrame
        ``profile`` and, when named, ``name``.

    Returns
    -------
    dict
        Empty when the persons carry no ``name``.
    """
    if "name" not in profiles:
        return {}
    named = profiles.dropna(subset=["profile"]).drop_duplicates("profile")
    return {str(int(p)): str(n) for p, n in zip(named["profile"], named["name"], strict=True)}


def head_profiles(paid: pd.DataFrame, profiles: pd.DataFrame) -> pd.Series:
    """The profile label of the head of each payment, :data:`NO_PROFILE` when the head has none.

    Parameters
    ----------
    paid : DataFrame
        :func:`~pact_analysis.spending.paid.payments`.
    profiles : DataFrame
        ``person_key``, ``profile``.

    Returns
    -------
    Series of str
        Indexed like ``paid``.
    """
    return paid["person_key"].map(profile_labels(profiles)).astype(object).fillna(NO_PROFILE)


def profile_coverage(paid: pd.DataFrame, profiles: pd.DataFrame, year: int) -> dict[str, Any]:
    """How many of the heads paid in ``year``, and how much of its spending, have a profile.

    Parameters
    ----------
    paid : DataFrame
        :func:`~pact_analysis.spending.paid.payments`.
    profiles : DataFrame
        ``person_key``, ``profile``.
    year : int
        Calendar year.

    Returns
    -------
    dict
        ``year``, ``heads`` (distinct heads paid), ``heads_with_profile``, ``heads_share`` and
        ``spending_share`` (shares with a profile; NaN when nobody was paid), ``floor``
        (:data:`MIN_PROFILE_COVERAGE`).
    """
    in_year = paid.loc[paid["year"] == year]
    profiled = head_profiles(in_year, profiles) != NO_PROFILE
    heads = int(in_year["person_key"].nunique())
    with_profile = int(in_year.loc[profiled, "person_key"].nunique())
    spending = float(in_year["amount_eur"].sum())
    return {
        "year": int(year),
        "heads": heads,
        "heads_with_profile": with_profile,
        "heads_share": with_profile / heads if heads else float("nan"),
        "spending_share": float(in_year.loc[profiled, "amount_eur"].sum()) / spending
        if spending
        else float("nan"),
        "floor": MIN_PROFILE_COVERAGE,
    }


def check_coverage(coverage: dict[str, Any]) -> None:
    """Stop when fewer than :data:`MIN_PROFILE_COVERAGE` of the heads paid have a profile.

    Parameters
    ----------
    coverage : dict
        :func:`profile_coverage`.

    Raises
    ------
    StageError
        Naming ``data/profiles/persons.parquet``, with the share reached and the floor.
    """
    share = coverage["heads_share"]
    if not share >= MIN_PROFILE_COVERAGE:  # NaN (nobody paid) fails too
        raise StageError(
            f"spending by profile: the share of the {coverage['heads']} heads paid in {coverage['year']} "
            f"that has a profile in {PROFILES_INPUT} is {share:.0%} ({coverage['heads_with_profile']} "
            f"heads), below the floor of {MIN_PROFILE_COVERAGE:.0%}: rerun the profiles stage on the "
            "same linked data (dvc repro profiles)"
        )


def spending_by_profile(
    paid: pd.DataFrame, profiles: pd.DataFrame, year: int, min_cell: int, chronic_months: int = 24
) -> pd.DataFrame:
    """Spending of one calendar year on households by the profile of their head, small groups folded.

    Heads without a profile form the group :data:`NO_PROFILE`, folded and suppressed like any other
    (:func:`~pact_analysis.spending.paid.spending_by_folded`), so the rows add up to the year's
    spending.

    Parameters
    ----------
    paid : DataFrame
        :func:`~pact_analysis.spending.paid.payments`.
    profiles : DataFrame
        ``person_key``, ``profile`` (the profiles stage's ``persons.parquet``).
    year : int
        Calendar year.
    min_cell : int
        Minimum publishable number of heads.
    chronic_months : int
        Months of an episode after which its payments count as chronic receipt.

    Returns
    -------
    DataFrame
        Indexed by ``profile`` (labels of :func:`profile_labels` by spending, then
        :data:`NO_PROFILE`, then :data:`~pact_analysis.spending.paid.OTHER`): ``spending_eur``,
        ``persons`` (distinct household heads paid), ``months``, ``mean_amount_eur``,
        ``chronic_share``.

    Raises
    ------
    StageError
        When fewer than :data:`MIN_PROFILE_COVERAGE` of the heads paid that year have a profile
        (:func:`check_coverage`).
    """
    check_coverage(profile_coverage(paid, profiles, year))
    in_year = paid.loc[paid["year"] == year]
    table = spending_by_folded(
        in_year.assign(profile=head_profiles(in_year, profiles)), "profile", min_cell, chronic_months
    )
    last = [label for label in (NO_PROFILE, OTHER) if label in table.index]
    return pd.concat([table.drop(index=last), table.loc[last]])


#: Suffixes of the catalogue key ``spending.profiles.text<suffix>`` chosen by :func:`profile_text`.
PROFILE_TEXTS = ("", ".few", ".all")


def profile_text(rows: Iterable[Any], coverage: dict[str, Any]) -> str:
    """Which sentence may describe the coverage of the table by profile, without undoing its folding.

    The spending share of the heads without a profile may be published only when they are a row of
    their own (:data:`NO_PROFILE`): when they are folded into :data:`~pact_analysis.spending.paid.OTHER`,
    it would give back, with the year's total, the spending of the small profiles folded with them.
    The choice depends on the rows of the table, not on the number of heads without a profile
    (folding may put :data:`NO_PROFILE` into "other" even when it alone reaches ``min_cell``).

    Parameters
    ----------
    rows : iterable
        The index of :func:`spending_by_profile`.
    coverage : dict
        :func:`profile_coverage` (``heads``, ``heads_with_profile``).

    Returns
    -------
    str
        ``".all"`` when every head has a profile; ``""`` (shares with and without a profile may be
        published) when :data:`NO_PROFILE` is a row; ``".few"`` (they are within "other", no share of
        theirs published) otherwise.
    """
    if coverage["heads_with_profile"] >= coverage["heads"]:
        return ".all"
    return "" if NO_PROFILE in set(rows) else ".few"
