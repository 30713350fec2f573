"""Indicators of each person known to social services, from the warehouse tables, and their encoding.

Demographics, household, benefit history, services used, employment and NGO contact over the whole
study period, coded into ordered categories (:data:`CATEGORICAL`); related items are joined into one
(:func:`exit_route`, ``employment_record``...). Missing values are a category of their own
("unknown"), so no person is dropped. :func:`encode` turns them into what StepMix, k-prototypes and
the supervised ceiling take; :func:`distal_variables` are the covariates and outcomes described per
profile (not indicators).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pact_analysis.errors import StageError
from pact_analysis.timeline import DAYS_PER_MONTH, covered_time

#: Warehouse tables the profiles read (``data/warehouse/parquet/<name>.parquet``).
TABLES = (
    "dim_person",
    "dim_territory",
    "bridge_rgc_member",
    "fact_benefit_spell",
    "fact_provision",
    "fact_employment_episode",
    "fact_ngo_attention",
)


#: Provisions whose use (ever) is an indicator (``RGC_PROCESSING`` duplicates the benefit history).
PROVISIONS = (
    "INFO",
    "EMERGENCY_AID",
    "INCLUSION_PLAN",
    "FAMILY_SUPPORT",
    "CHILD_PROTECTION",
    "HOME_HELP",
    "TELECARE",
    "DEPENDENCY",
    "HOUSING",
    "EMPLOYMENT_REFERRAL",
    "ENERGY_POVERTY",
)


#: Provisions that are not indicators on their own: ``INFO`` (everyone's first contact) and home help
#: and telecare, merged into one indicator ``used_home_care`` (either of them).
SEPARATE_PROVISIONS = ("INFO", "HOME_HELP", "TELECARE")


#: Categorical indicators: name -> (group, cut points for counts or None for codes already categorical).
#: Counts are cut into ordered bands ``[0, c1), [c1, c2), ...``. One indicator per construct: items
#: that measure the same thing twice (the exits of the benefit history and whether it is still paid;
#: home help and telecare) are joined into one item whose categories are their combinations, since a
#: latent class model assumes indicators independent within a class and answers locally dependent
#: items with extra classes.
CATEGORICAL: dict[str, tuple[str, tuple[float, ...] | None]] = {
    "foreign": ("demographics", None),
    "education_disability": ("demographics", None),
    "household_type": ("household", None),
    "rgc_spells": ("benefit", (1, 2, 3)),
    "rgc_months": ("benefit", (1, 13, 37, 73)),
    "rgc_exit_route": ("benefit", None),
    **{f"used_{p.lower()}": ("services", None) for p in PROVISIONS if p not in SEPARATE_PROVISIONS},
    "used_home_care": ("services", None),
    "interventions_per_year": ("services", (0.01, 0.5, 1, 2, 4)),
    "employment_record": ("employment", None),
    "ngo_attentions": ("ngo", (1, 2, 5)),
}


#: Continuous indicators: name -> group (no point masses: a Gaussian per class must fit them). None:
#: the years known to social services (described per profile) date a person's first contact rather
#: than describe their situation, are spread evenly over the study period (which a Gaussian per class
#: fits only with extra classes) and repeat the months on RGC and the interventions per year.
CONTINUOUS: dict[str, str] = {}


#: Described per profile but not indicators: a person's place in the household (age, sex, role), which
#: differs between members of one household, and the separate items joined into one indicator.
DESCRIPTIVE: dict[str, tuple[float, ...] | None] = {
    "age_band": None,
    "sex": None,
    "rgc_role": None,
    "prior_imi": None,
    "used_info": None,
    "education": None,
    "disability": None,
    "contracts": (1, 2, 4),
    "jobseeker": None,
    "years_known": (1, 3, 6),
    "used_home_help": None,
    "used_telecare": None,
    "rgc_job_exits": (1, 2),
    "rgc_sanction_exits": (1, 2),
    "rgc_at_extraction": None,
    "months_employed": (1, 6, 24),
}


#: Indicator groups in reading order.
GROUPS = ("demographics", "household", "benefit", "services", "employment", "ngo")


#: Age bands at the extraction date (``age_band`` indicator).
AGE_BANDS = ["00-15", "16-24", "25-34", "35-44", "45-54", "55-64", "65+"]


def read_tables(folder: Path) -> dict[str, pd.DataFrame]:
    """Read the warehouse tables of :data:`TABLES` from ``data/warehouse/parquet``.

    Parameters
    ----------
    folder : Path
        ``data/warehouse/parquet`` (``paths.warehouse_parquet``).

    Returns
    -------
    dict of str to DataFrame
        Each table by name.

    Raises
    ------
    StageError
        A table is missing (the warehouse stage has not run).
    """
    missing = [t for t in TABLES if not (Path(folder) / f"{t}.parquet").exists()]
    if missing:
        raise StageError(
            f"profiles: warehouse tables missing in {folder}: {', '.join(missing)}; run the warehouse stage"
        )
    return {t: pd.read_parquet(Path(folder) / f"{t}.parquet") for t in TABLES}


def month_number(dates: pd.Series) -> pd.Series:
    """Month index (year * 12 + month - 1) of each date.

    Parameters
    ----------
    dates : Series
        Dates (or strings).

    Returns
    -------
    Series
        Month numbers; missing dates stay missing.
    """
    d = pd.to_datetime(dates)
    return d.dt.year * 12 + d.dt.month - 1


def band_labels(cuts: Sequence[float]) -> list[str]:
    """Labels of the bands ``[0, c1), [c1, c2), ..., [cn, inf)``: ``0``, ``1``, ``2-3``, ``4+``; ``0.5-1``.

    Parameters
    ----------
    cuts : sequence of float
        Lower bounds of the bands after the first, increasing.

    Returns
    -------
    list of str
        One label per band.
    """
    edges = [0.0, *map(float, cuts)]
    counts = all(float(c).is_integer() for c in cuts)
    labels = []
    for lo, hi in zip(edges, [*edges[1:], np.inf], strict=True):
        if hi == np.inf:
            labels.append(f"{lo:g}+")
        elif lo == 0 and hi <= 1:
            labels.append("0")
        elif counts:
            labels.append(f"{lo:g}" if hi - lo == 1 else f"{lo:g}-{hi - 1:g}")
        else:
            labels.append(f"{lo:g}-{hi:g}")
    return labels


def _count_bands(values: pd.Series, cuts: Sequence[float]) -> pd.Series:
    """Cut counts or rates into the ordered bands of :func:`band_labels`."""
    bins = [-np.inf, *map(float, cuts), np.inf]
    return pd.cut(values.fillna(0), bins, right=False, labels=band_labels(cuts)).astype(str)


def _benefit_history(tables: Mapping[str, pd.DataFrame], extraction: pd.Timestamp) -> pd.DataFrame:
    """Per person: RGC role, spells, months, exits by reason, on RGC at extraction, prior IMI.

    ``fact_benefit_spell``'s ``end_date`` is the effective end (an open file followed by a later file
    of the head ends at its start, ``end_imputed``); a spell begun by the extraction date is still
    paid then when it has no end or ends after it, and its months are counted to the extraction month
    (none for a spell begun after it), as ``months_paid``.
    """
    spells = tables["fact_benefit_spell"].drop(columns=["person_key"])
    members = tables["bridge_rgc_member"].merge(spells, on="file_id")
    start = pd.to_datetime(members["start_date"])
    end = pd.to_datetime(members["end_date"])
    open_end = end.isna() | (end > extraction)
    first, last = month_number(start), month_number(end.mask(open_end, extraction))
    members = members.assign(_still_paid=open_end & (start <= extraction))
    # months paid, each once: a person in two files at once (overlapping or nested) is paid once
    months = covered_time(members.assign(_from=first, _to=last + 1), start="_from", end="_to")
    g = members.groupby("person_key")
    key = members["person_key"]
    return pd.DataFrame(
        {
            "rgc_role": group_extreme(members["role"], key, "min").map({"HEAD": "head", "MEMBER": "member"}),
            "rgc_spells": g["spell_id"].nunique(),
            "rgc_months": months,
            "rgc_job_exits": members["exit_reason"].eq("JOB_INCOME").groupby(key).sum(),
            "rgc_sanction_exits": members["exit_reason"].eq("NON_COMPLIANCE").groupby(key).sum(),
            "rgc_at_extraction": g["_still_paid"].any().map({True: "yes", False: "no"}),
            "prior_imi": g["prior_imi"].any().map({True: "yes", False: "no"}),
        }
    )


def _services(
    tables: Mapping[str, pd.DataFrame], persons: pd.DataFrame, extraction: pd.Timestamp
) -> pd.DataFrame:
    """Per person: each provision ever used (yes/no) and interventions per year known to SAUSS."""
    prov = tables["fact_provision"].dropna(subset=["person_key"])
    # provisions per person and code (pd.crosstab gives the same table, twenty times slower at 500,000)
    used = (prov.groupby(["person_key", "provision_code"]).size().unstack(fill_value=0)).reindex(
        columns=list(PROVISIONS), fill_value=0
    )
    used = (used > 0).replace({True: "yes", False: "no"})
    used.columns = [f"used_{c.lower()}" for c in used.columns]
    first = pd.to_datetime(prov["date"]).groupby(prov["person_key"]).min()
    since = pd.to_datetime(persons["sauss_registration_date"]).combine_first(first.reindex(persons.index))
    years = ((extraction - since).dt.days / 365.25).clip(lower=0.5)
    per_year = prov.groupby("person_key").size().reindex(persons.index, fill_value=0) / years
    return used.reindex(persons.index).fillna("no").assign(interventions_per_year=per_year.fillna(0.0))


def _employment(tables: Mapping[str, pd.DataFrame], extraction: pd.Timestamp) -> pd.DataFrame:
    """Per person: contracts, months employed (log; overlapping contracts counted once) and whether
    ever a registered job-seeker."""
    ep = tables["fact_employment_episode"].dropna(subset=["person_key"])
    end = pd.to_datetime(ep["end_date"]).fillna(extraction).clip(upper=extraction)
    ep = ep.assign(start_date=pd.to_datetime(ep["start_date"]), end_date=end)
    work = ep[ep["episode_type"] == "CONTRACT"]
    contracts = work.groupby("person_key")
    jobseeker = ep[ep["episode_type"] == "JOBSEEKER"].groupby("person_key").size() > 0
    # two contracts at once are one month employed, not two: the union of the contracts
    employed = covered_time(work).dt.days / DAYS_PER_MONTH
    return pd.DataFrame(
        {
            "contracts": contracts.size(),
            "months_employed": employed,
            "jobseeker": jobseeker.map({True: "yes"}),
        }
    )


def _ngo(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Per person: NGO attentions over the study period."""
    att = tables["fact_ngo_attention"].dropna(subset=["person_key"])
    return att.groupby("person_key").size().rename("ngo_attentions").to_frame()


def household_units(persons: pd.DataFrame, index: pd.Index | None = None) -> pd.Series:
    """Each person's unit: their RGC household (``household_key``), or themselves outside one.

    Parameters
    ----------
    persons : DataFrame
        ``dim_person`` indexed by ``person_key``.
    index : Index, optional
        The persons wanted, in this order (default: all of ``persons``).
    """
    persons = persons if index is None else persons.reindex(index)
    return persons["household_key"].fillna(pd.Series(persons.index, index=persons.index))


def _household_max(values: pd.DataFrame, unit: pd.Series) -> pd.DataFrame:
    """Return each person's values replaced by the maximum over their unit (household or self).

    As ``values.groupby(unit).transform("max")`` (text compared as text, missing values skipped), with
    text columns taken through :func:`group_extreme` so that no group is reduced in Python.
    """
    out = values.copy()
    numeric = [c for c in values.columns if pd.api.types.is_numeric_dtype(values[c])]
    if numeric:
        out[numeric] = values[numeric].groupby(unit).transform("max")
    for column in values.columns.difference(numeric, sort=False):
        out[column] = group_extreme(values[column], unit, "max").reindex(unit.to_numpy()).to_numpy()
    return out


def group_extreme(values: pd.Series, by: pd.Series, how: str) -> pd.Series:
    """The largest (``how="max"``) or smallest (``"min"``) text of each group, missing values skipped.

    What pandas' ``values.groupby(by).max()`` gives for text, computed on the ranks of the distinct
    texts (sorted as Python sorts them) so that it runs in pandas' compiled reductions.

    Parameters
    ----------
    values : Series
        Text (or missing) values.
    by : Series
        Group of each value (same index).
    how : {"max", "min"}
        Which extreme.

    Returns
    -------
    Series
        Indexed by group (sorted); missing where a group has no value.
    """
    present = values.dropna()
    labels = np.array(sorted(set(present)), dtype=object)
    ranks = pd.Series(np.searchsorted(labels, present.to_numpy()), index=present.index, dtype=float)
    ranks = ranks.reindex(values.index)
    extreme = getattr(ranks.groupby(by.to_numpy()), how)()
    shown = extreme.dropna().astype(int)
    return pd.Series(labels[shown.to_numpy()], index=shown.index, dtype=object).reindex(extreme.index)


def _first_known(tables: Mapping[str, pd.DataFrame], persons: pd.DataFrame) -> pd.Series:
    """First day known to public social services: SAUSS registration, first provision or first RGC spell."""
    provisions = tables["fact_provision"].dropna(subset=["person_key"])
    prov = pd.to_datetime(provisions["date"]).groupby(provisions["person_key"]).min()
    spells = tables["bridge_rgc_member"].merge(tables["fact_benefit_spell"][["file_id", "start_date"]])
    first_spell = pd.to_datetime(spells["start_date"]).groupby(spells["person_key"]).min()
    dates = pd.concat(
        [
            pd.to_datetime(persons["sauss_registration_date"]),
            pd.to_datetime(prov),
            pd.to_datetime(first_spell),
        ],
        axis=1,
    ).reindex(persons.index)
    return dates.min(axis=1)


#: Indicators of services, employment and NGO contact that a household shares (maximum over members).
HOUSEHOLD_SHARED = (
    *(f"used_{p.lower()}" for p in PROVISIONS),
    "interventions_per_year",
    "contracts",
    "months_employed",
    "jobseeker",
    "ngo_attentions",
)


def person_features(
    tables: Mapping[str, pd.DataFrame], extraction_date: Any, household: bool = True
) -> pd.DataFrame:
    """Return the indicators of every person known to social services (SAUSS users and RGC members).

    Parameters
    ----------
    tables : mapping of str to DataFrame
        The warehouse tables of :data:`TABLES` (:func:`read_tables`).
    extraction_date : date or str
        End of the study period (``data.extraction_date``).
    household : bool
        Whether members of an RGC household (``household_key``) share the household's services,
        employment and NGO indicators (:data:`HOUSEHOLD_SHARED`, the maximum over its members), as
        they share its benefit history. Persons outside RGC households keep their own.

    Returns
    -------
    DataFrame
        Indexed by ``person_key`` (sorted); one column per indicator of :data:`CATEGORICAL` (strings,
        ``"unknown"`` when missing) and :data:`CONTINUOUS` (floats), plus ``ceas_code`` and
        ``province_code`` (not indicators).
    """
    extraction = pd.Timestamp(extraction_date)
    persons = tables["dim_person"].set_index("person_key").sort_index()
    persons = persons[persons["in_sauss"].fillna(False) | persons["in_rgc"].fillna(False)]
    age = pd.to_numeric(persons["age_at_extraction"], errors="coerce")
    base = pd.DataFrame(
        {
            "age_band": pd.cut(age, [-1, 15, 24, 34, 44, 54, 64, 200], labels=AGE_BANDS).astype(str),
            "age": age.fillna(age.median()).astype(float),
            "sex": persons["sex"],
            "foreign": persons["nationality_group"]
            .map(lambda g: "no" if g == "ES" else "yes")
            .where(persons["nationality_group"].notna()),
            "education": persons["education"],
            "disability": persons["disability"].map({True: "yes", False: "no"}),
            "household_type": persons["household_type"],
            "years_known": (extraction - _first_known(tables, persons)).dt.days / 365.25,
            "ceas_code": persons["ceas_code"],
            "province_code": persons["province_code"],
        },
        index=persons.index,
    )
    out = base.join(_benefit_history(tables, extraction)).join(_services(tables, persons, extraction))
    out = out.join(_employment(tables, extraction)).join(_ngo(tables))
    out["rgc_role"] = out["rgc_role"].fillna("none")
    shared = list(HOUSEHOLD_SHARED)
    out[shared] = out[shared].fillna(
        {"jobseeker": "no", "contracts": 0, "months_employed": 0, "ngo_attentions": 0}
    )
    if household:
        out[shared] = _household_max(out[shared], household_units(persons))
    for name in ("rgc_at_extraction", "prior_imi"):
        out[name] = out[name].fillna("no")
    out["rgc_exit_route"] = exit_route(out)
    out["used_home_care"] = np.where(
        (out["used_home_help"] == "yes") | (out["used_telecare"] == "yes"), "yes", "no"
    )
    bands = {name: cuts for name, (_, cuts) in CATEGORICAL.items() if name in out} | DESCRIPTIVE
    for name, cuts in bands.items():
        out[name] = (
            _count_bands(out[name], cuts)
            if cuts
            else out[name].astype(object).where(out[name].notna(), "unknown")
        )
    # joint items of related indicators, from their bands
    out["employment_record"] = np.where(out["jobseeker"] == "yes", "jobseeker", "not_jobseeker")
    out["employment_record"] += "_contracts_" + out["contracts"]
    out["education_disability"] = (out["education"] + "_" + out["disability"]).where(
        out["education"] != "unknown", "unknown"
    )
    for name in CONTINUOUS:
        out[name] = out[name].astype(float).fillna(out[name].median())
    return out


def exit_route(history: pd.DataFrame) -> pd.Series:
    """How a person's benefit history went, as one item: the joint coding of three related items.

    Parameters
    ----------
    history : DataFrame
        ``rgc_spells``, ``rgc_job_exits``, ``rgc_sanction_exits`` (counts, missing when never on RGC)
        and ``rgc_at_extraction`` (``yes``/``no``).

    Returns
    -------
    Series
        ``none`` (never on RGC), otherwise the exits there were (``job``, ``sanction``, both joined
        by ``+``, or ``other`` when every exit had another reason or there was none) followed by
        ``+receiving`` when still paid at the extraction date: ``job``, ``sanction+receiving``...
    """
    job = history["rgc_job_exits"].fillna(0) > 0
    sanction = history["rgc_sanction_exits"].fillna(0) > 0
    receiving = history["rgc_at_extraction"] == "yes"
    route = pd.Series(
        np.select([job & sanction, job, sanction], ["job+sanction", "job", "sanction"], "other"),
        index=history.index,
    )
    route = route.where(~receiving, route.str.replace("other", "", regex=False) + "+receiving")
    route = route.str.lstrip("+")
    return route.where(history["rgc_spells"].fillna(0) > 0, "none")


#: Covariates and outcomes by profile (BCH): warehouse indicators at the reference date and territory.
DISTAL_COVARIATES = ("sex", "age_band", "area")


#: Outcomes by profile: none. The warehouse's indicators at the reference date (on RGC, employed,
#: registered unemployed, emergency aid in 12 months) are functions of the profiles' own indicators
#: (exit route, employment record, emergency aid used), so their shares by profile would repeat the
#: item-response probabilities (issue 19).
DISTAL_OUTCOMES: tuple[str, ...] = ()


def distal_variables(
    features: pd.DataFrame, indicators: pd.DataFrame, territory: pd.DataFrame
) -> pd.DataFrame:
    """Covariates and outcomes of :data:`DISTAL_COVARIATES` and :data:`DISTAL_OUTCOMES` per person.

    No outcomes (:data:`DISTAL_OUTCOMES`): the warehouse's indicators repeat the profiles' own.

    Parameters
    ----------
    features : DataFrame
        :func:`person_features`.
    indicators : DataFrame
        The warehouse's ``indicators`` table.
    territory : DataFrame
        ``dim_territory`` (``ceas_code``, ``area``).

    Returns
    -------
    DataFrame
        One string column per covariate and outcome (``unknown`` when missing), indexed like
        ``features``.
    """
    del indicators  # every indicator at the reference date is a function of the profiles' indicators
    area = features["ceas_code"].map(territory.set_index("ceas_code")["area"]).fillna("unknown")
    return pd.DataFrame(
        {"sex": features["sex"], "age_band": features["age_band"], "area": area},
        index=features.index,
    ).fillna("unknown")


@dataclass(frozen=True)
class Encoded:
    """Indicators as StepMix wants them: integer codes of the categories, then continuous columns.

    Attributes
    ----------
    X : DataFrame
        ``len(categorical)`` integer-coded columns followed by ``len(continuous)`` float columns.
    categories : dict of str to list of str
        The category of each code, per categorical indicator.
    continuous : list of str
        Continuous indicators.
    """

    X: pd.DataFrame
    categories: dict[str, list[str]]
    continuous: list[str]

    @property
    def descriptor(self) -> dict[str, dict[str, Any]]:
        """StepMix measurement descriptor (nested: categorical block, continuous block)."""
        out: dict[str, dict[str, Any]] = {}
        if self.categories:
            out["categorical"] = {
                "model": "categorical",
                "n_columns": len(self.categories),
                "max_n_outcomes": max(len(c) for c in self.categories.values()),
            }
        if self.continuous:
            out["continuous"] = {"model": "continuous", "n_columns": len(self.continuous)}
        return out

    def take(self, rows: np.ndarray) -> Encoded:
        """Return the encoded indicators of some rows (positions)."""
        return Encoded(self.X.iloc[rows], self.categories, self.continuous)


def category_order(values: pd.Series) -> list[str]:
    """Categories in a readable order: count bands by their lower bound, ``unknown`` last.

    Parameters
    ----------
    values : Series
        Category labels.

    Returns
    -------
    list of str
        The distinct labels, sorted.
    """

    def key(v: str) -> tuple[int, float, str]:
        head = v.split("-")[0].rstrip("+")
        return (v == "unknown", float(head) if head.replace(".", "").isdigit() else np.inf, v)

    return sorted(values.dropna().unique().tolist(), key=key)


def encode(
    features: pd.DataFrame,
    categorical: Sequence[str] | None = None,
    continuous: Sequence[str] | None = None,
    categories: Mapping[str, list[str]] | None = None,
) -> Encoded:
    """Encode indicators for StepMix, k-prototypes and the supervised ceiling.

    Parameters
    ----------
    features : DataFrame
        Indicators (:func:`person_features`, or any frame with these columns).
    categorical, continuous : sequence of str, optional
        Indicator columns; default :data:`CATEGORICAL` and :data:`CONTINUOUS`.
    categories : mapping, optional
        Categories of each categorical indicator (to encode new persons like the fitted ones).

    Returns
    -------
    Encoded
    """
    categorical = list(CATEGORICAL if categorical is None else categorical)
    continuous = list(CONTINUOUS if continuous is None else continuous)
    cats = {
        c: list(categories[c]) if categories else category_order(features[c].astype(str)) for c in categorical
    }
    codes = {c: pd.Categorical(features[c].astype(str), categories=cats[c]).codes for c in categorical}
    X = pd.DataFrame(codes, index=features.index).astype(np.int64)
    if (X < 0).any().any():
        raise ValueError("a category was not seen when the model was fitted")
    X = X.join(features[continuous].astype(float))
    return Encoded(X, cats, continuous)
