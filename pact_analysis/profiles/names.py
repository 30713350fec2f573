"""Describing the profiles for their cards: item responses, descriptive names and time on RGC.

Names (:func:`profile_names`) are descriptive, non-stigmatising name codes generated from each
profile's traits (:func:`trait_shares`); their words are in the ``profiles`` catalogues, so this
module returns codes, never text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from pact_analysis.chronicity.spells import UNKNOWN_EXIT
from pact_analysis.profiles.features import category_order, month_number


def item_response(features: pd.DataFrame, posterior: np.ndarray, columns: Sequence[str]) -> pd.DataFrame:
    """Share of each category of each indicator per class, weighted by the posterior probabilities.

    Parameters
    ----------
    features : DataFrame
        Indicators (strings for categorical ones).
    posterior : ndarray of shape (n, k)
        Posterior class probabilities of the same rows.
    columns : sequence of str
        Categorical columns to describe (indicators or descriptive variables).

    Returns
    -------
    DataFrame
        ``variable, value, class, share`` (shares add up to one per variable and class).
    """
    weight = posterior / posterior.sum(axis=0, keepdims=True)
    rows = []
    for variable in columns:
        values = features[variable].astype(str).to_numpy()
        for value in category_order(pd.Series(values)):
            share = weight[values == value].sum(axis=0)
            rows += [
                {"variable": variable, "value": value, "class": c, "share": float(s)}
                for c, s in enumerate(share)
            ]
    return pd.DataFrame(rows)


#: Traits that name the profiles: trait -> (indicator, categories that have it).
TRAITS: dict[str, tuple[str, tuple[str, ...]]] = {
    "rgc": ("rgc_spells", ("1", "2", "3+")),
    "rgc_repeat": ("rgc_spells", ("2", "3+")),
    "rgc_long": ("rgc_months", ("37-72", "73+")),
    "rgc_job_exit": ("rgc_job_exits", ("1", "2+")),
    "rgc_sanction": ("rgc_sanction_exits", ("1", "2+")),
    "older": ("age_band", ("65+",)),
    "home_care": ("used_home_help", ("yes",)),
    "telecare": ("used_telecare", ("yes",)),
    "family": ("used_family_support", ("yes",)),
    "employed": ("contracts", ("1", "2-3", "4+")),
}


#: Name codes (words in the catalogues: ``profiles.name.<code>``) and how well a class fits each,
#: from its trait shares.
NAME_SCORES: dict[str, Callable[[Mapping[str, float]], float]] = {
    "rgc_returning": lambda t: t["rgc"] * (t["rgc_repeat"] + t["rgc_sanction"]) / 2,
    "rgc_long": lambda t: t["rgc"] * t["rgc_long"] * (1 - t["rgc_job_exit"]),
    "rgc_work_exit": lambda t: t["rgc"] * t["rgc_job_exit"] * (1 - t["rgc_long"]),
    "older_home_care": lambda t: (1 - t["rgc"]) * (t["older"] + t["home_care"] + t["telecare"]) / 3,
    "family_support": lambda t: (1 - t["rgc"]) * t["family"],
    "occasional_contact": lambda t: (1 - t["rgc"]) * (1 - t["family"]) * (1 - t["home_care"]) * 0.8,
}


#: A free name is given to a class only if it scores at least this share of the class's best name.
FIT_SHARE = 0.5


def trait_shares(responses: pd.DataFrame) -> pd.DataFrame:
    """Share of each class with each trait of :data:`TRAITS` (from :func:`item_response`).

    Parameters
    ----------
    responses : DataFrame
        :func:`item_response` (``variable, value, class, share``).

    Returns
    -------
    DataFrame
        One row per class, one column per trait.
    """
    out = {}
    for trait, (variable, values) in TRAITS.items():
        part = responses[(responses["variable"] == variable) & responses["value"].isin(values)]
        out[trait] = part.groupby("class")["share"].sum()
    return pd.DataFrame(out).fillna(0.0)


#: A trait held by at least this share of every class (information and advice) describes no
#: profile: the cards leave it out of their most frequent traits.
UNIVERSAL_SHARE = 0.95


def card_traits(responses: pd.DataFrame, prefix: str = "used_") -> pd.DataFrame:
    """Every trait a profile card may list: :data:`TRAITS` and each service used (``prefix`` + "yes").

    A service that is already a trait of :data:`TRAITS` (home help, telecare, family support) is
    not repeated.

    Parameters
    ----------
    responses : DataFrame
        :func:`item_response` (``variable, value, class, share``).
    prefix : str
        Start of the names of the services-used variables (each with a ``"yes"`` category).

    Returns
    -------
    DataFrame
        One row per class, one column per trait (:data:`TRAITS` codes, then service variable names).
    """
    shares = trait_shares(responses)
    covered = {variable for variable, values in TRAITS.values() if values == ("yes",)}
    used = responses[
        responses["variable"].str.startswith(prefix)
        & ~responses["variable"].isin(covered)
        & (responses["value"] == "yes")
    ]
    services = used.pivot_table(index="class", columns="variable", values="share", aggfunc="sum")
    return shares.join(services, how="left").fillna(0.0)


def most_frequent_traits(
    traits: pd.DataFrame, n: int = 3, universal: float = UNIVERSAL_SHARE
) -> dict[Any, list[tuple[str, float]]]:
    """The ``n`` most frequent traits of each class, leaving out those nearly every class has.

    Parameters
    ----------
    traits : DataFrame
        :func:`card_traits` (one row per class, one column per trait).
    n : int
        Traits per class.
    universal : float
        A trait held by at least this share in every class is left out (it describes no class).

    Returns
    -------
    dict
        Class -> ``[(trait, share), ...]``, largest share first (ties in column order).
    """
    kept = traits.loc[:, ~(traits >= universal).all(axis=0)]
    out = {}
    for cls, row in kept.iterrows():
        order = sorted(range(len(row)), key=lambda i: -row.iloc[i])[:n]
        out[cls] = [(str(row.index[i]), float(row.iloc[i])) for i in order]
    return out


def profile_names(traits: pd.DataFrame) -> pd.Series:
    """Give each class a descriptive name code from its traits, each name to the class it fits best.

    Names are assigned greedily by score (the best-fitting class and name first) while the free name
    fits the class at least :data:`FIT_SHARE` as well as its best name; a class left without a
    fitting free name takes its best name with a number (``rgc_long_2``).

    Parameters
    ----------
    traits : DataFrame
        :func:`trait_shares` (one row per class).

    Returns
    -------
    Series
        Name code by class.
    """
    scores = pd.DataFrame(
        {name: [score(row) for _, row in traits.iterrows()] for name, score in NAME_SCORES.items()},
        index=traits.index,
    )
    names: dict[Any, str] = {}
    free = scores.copy()
    while len(free) and len(free.columns):
        cls, name = free.stack().idxmax()  # noqa: PD013
        if free.loc[cls, name] < FIT_SHARE * scores.loc[cls].max():
            break  # the free names fit the remaining classes badly: number their best names instead
        names[cls] = name
        free = free.drop(index=cls, columns=name)
    for cls in free.index:
        best = scores.loc[cls].idxmax()
        names[cls] = f"{best}_{sum(v == best or v.startswith(best + '_') for v in names.values()) + 1}"
    return pd.Series(names).reindex(traits.index).rename("name")


def time_on_rgc(spells: pd.DataFrame, profile: pd.Series, extraction_date: Any) -> pd.DataFrame:
    """Spells of the heads with their profile: ``profile, months, ended, exit_reason``.

    ``fact_benefit_spell``'s ``end_date`` is already the effective end: an open file followed by a
    later file of the head ends at that file's start (``end_imputed``,
    :func:`pact_analysis.chronicity.spells.superseded_ends`), an exit of unknown reason as in the
    chronicity stage's spells. A spell ends when its end is on or before the extraction date; an end
    after it is not yet an exit (the spell is still paid at the extraction date and censored there).

    Parameters
    ----------
    spells : DataFrame
        ``fact_benefit_spell`` (``person_key`` is the head; ``end_imputed`` optional).
    profile : Series
        Profile by ``person_key``.
    extraction_date : date or str
        Censoring date of spells still paid.

    Returns
    -------
    DataFrame
        ``profile``, ``months`` (calendar months from the first to the last month paid, the last at
        most the extraction month, none for a spell begun after it, as ``months_paid``), ``ended``
        (bool), ``exit_reason`` (the recorded reason;
        :data:`~pact_analysis.chronicity.spells.UNKNOWN_EXIT` for an imputed end or an end without a
        reason, ``ONGOING`` for a spell not ended), rows of heads without a profile dropped.
    """
    extraction = pd.Timestamp(extraction_date)
    end = pd.to_datetime(spells["end_date"])
    ended = end.notna() & (end <= extraction)
    last = end.where(ended, extraction)
    months = (month_number(last) - month_number(spells["start_date"]) + 1).clip(lower=0)
    imputed = spells.get("end_imputed", pd.Series(False, index=spells.index)).fillna(False).astype(bool)
    reason = spells["exit_reason"].astype(object).mask(imputed, UNKNOWN_EXIT)
    reason = reason.fillna(UNKNOWN_EXIT).where(ended, "ONGOING")
    out = pd.DataFrame(
        {
            "profile": spells["person_key"].map(profile),
            "months": months.astype(float),
            "ended": ended,
            "exit_reason": reason,
        }
    )
    return out.dropna(subset=["profile"])


def km_by_profile(spells: pd.DataFrame, horizon: int = 96) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    """Kaplan-Meier share still receiving by month of spell, per profile (lifelines).

    Parameters
    ----------
    spells : DataFrame
        :func:`time_on_rgc`.
    horizon : int
        Last month of the curves.

    Returns
    -------
    curves : DataFrame
        ``month`` x profile: share of spells still paid.
    medians : Series
        Median months on RGC per profile (inf when more than half are still paid).
    at_risk : DataFrame
        ``month`` x profile: spells still followed at the start of the month (lifelines' number at
        risk), for the report to stop each curve where too few remain (disclosure control).
    """
    from lifelines import KaplanMeierFitter

    times = np.arange(horizon + 1)
    curves, medians, at_risk = {}, {}, {}
    for name, part in spells.groupby("profile"):
        km = KaplanMeierFitter().fit(part["months"], part["ended"])
        curves[name] = km.survival_function_at_times(times).to_numpy()
        medians[name] = float(km.median_survival_time_)
        months = np.sort(part["months"].to_numpy(float))
        at_risk[name] = len(months) - np.searchsorted(months, times, side="left")
    index = pd.Index(times, name="month")
    return (
        pd.DataFrame(curves, index=index),
        pd.Series(medians, name="median_months"),
        pd.DataFrame(at_risk, index=index),
    )
