"""Profiles of the persons known to social services: latent class analysis, stability and validation.

The ``profiles`` stage segments the persons known to public social services (SAUSS users and members
of minimum-income, RGC, households) on the de-identified warehouse (``data/warehouse/parquet``):

- **Indicators** (:func:`person_features`): demographics, household, benefit history, services used,
  employment and NGO contact over the whole study period, coded into ordered categories
  (:data:`CATEGORICAL`), related items joined into one (:func:`exit_route`, ``employment_record``...). Missing values are a category of
  their own ("unknown"), so no person is dropped.
- **Latent class analysis** with StepMix (:func:`fit_table`): one model per number of classes ``k``
  from 1 up, several random starts each; log-likelihood, AIC, BIC, sample-size adjusted BIC, relative
  entropy, smallest class and whether the best log-likelihood was replicated. ``k`` is the BIC
  minimum among the models whose smallest class is not too small (:func:`choose_k`). Model selection may run on a sample; everyone is then classified.
- **k-prototypes** (``kmodes``) as a baseline (:func:`kprototypes_labels`).
- **Covariates and outcomes by profile** with the BCH correction for classification error
  (:func:`bch_distal`).
- **Stability**: Hennig's bootstrap Jaccard per profile (:func:`jaccard_stability`).
- **Names** (:func:`profile_names`): descriptive, non-stigmatising name codes generated from each
  profile's traits; their words are in the ``profiles`` catalogues.
- **Validation against the truth** (synthetic region only): adjusted Rand index with the true latent
  profiles beside the supervised ceiling, a cross-validated gradient-boosting classifier trained on
  the true labels with the same indicators (:func:`supervised_ceiling`).

Outputs (:func:`run`): ``data/profiles/persons.parquet`` (``person_key``, ``profile``, ``name``,
posterior probabilities; pseudonymous, never published), ``data/profiles/tables/*.parquet`` and
``data/profiles/results.json`` (what the report shows) and ``metrics/profiles.json``. (Not under
``data/processed``: that folder is the ``link`` stage's output, and DVC gives a folder to one stage.)
"""

from __future__ import annotations

import json
import logging
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pact_analysis.config import Paths
from pact_analysis.errors import StageError
from pact_analysis.io import atomic_dir, write_json

log = logging.getLogger(__name__)

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


# --- indicators -----------------------------------------------------------------------------------


def read_tables(folder: Path) -> dict[str, pd.DataFrame]:
    """Read the warehouse tables of :data:`TABLES` from ``data/warehouse/parquet``."""
    missing = [t for t in TABLES if not (Path(folder) / f"{t}.parquet").exists()]
    if missing:
        raise StageError(
            f"profiles: warehouse tables missing in {folder}: {', '.join(missing)}; run the warehouse stage"
        )
    return {t: pd.read_parquet(Path(folder) / f"{t}.parquet") for t in TABLES}


def _months(dates: pd.Series) -> pd.Series:
    """Month index (year * 12 + month - 1) of each date."""
    d = pd.to_datetime(dates)
    return d.dt.year * 12 + d.dt.month - 1


def band_labels(cuts: Sequence[float]) -> list[str]:
    """Labels of the bands ``[0, c1), [c1, c2), ..., [cn, inf)``: ``0``, ``1``, ``2-3``, ``4+``; ``0.5-1``."""
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
    """Per person: RGC role, spells, months, exits by reason, on RGC at extraction, prior IMI."""
    spells = tables["fact_benefit_spell"].drop(columns=["person_key"])
    members = tables["bridge_rgc_member"].merge(spells, on="file_id")
    end = pd.to_datetime(members["end_date"]).fillna(extraction)
    members = members.assign(months=_months(end) - _months(members["start_date"]) + 1)
    g = members.groupby("person_key")
    return pd.DataFrame(
        {
            "rgc_role": g["role"].min().map({"HEAD": "head", "MEMBER": "member"}),
            "rgc_spells": g["spell_id"].nunique(),
            "rgc_months": g["months"].sum(),
            "rgc_job_exits": g["exit_reason"].agg(lambda s: (s == "JOB_INCOME").sum()),
            "rgc_sanction_exits": g["exit_reason"].agg(lambda s: (s == "NON_COMPLIANCE").sum()),
            "rgc_at_extraction": g["end_date"].agg(lambda s: s.isna().any()).map({True: "yes", False: "no"}),
            "prior_imi": g["prior_imi"].any().map({True: "yes", False: "no"}),
        }
    )


def _services(
    tables: Mapping[str, pd.DataFrame], persons: pd.DataFrame, extraction: pd.Timestamp
) -> pd.DataFrame:
    """Per person: each provision ever used (yes/no) and interventions per year known to SAUSS."""
    prov = tables["fact_provision"].dropna(subset=["person_key"])
    used = pd.crosstab(prov["person_key"], prov["provision_code"]).reindex(
        columns=list(PROVISIONS), fill_value=0
    )
    used = (used > 0).replace({True: "yes", False: "no"})
    used.columns = [f"used_{c.lower()}" for c in used.columns]
    first = pd.to_datetime(prov.groupby("person_key")["date"].min())
    since = pd.to_datetime(persons["sauss_registration_date"]).combine_first(first.reindex(persons.index))
    years = ((extraction - since).dt.days / 365.25).clip(lower=0.5)
    per_year = prov.groupby("person_key").size().reindex(persons.index, fill_value=0) / years
    return used.reindex(persons.index).fillna("no").assign(interventions_per_year=per_year.fillna(0.0))


def _employment(tables: Mapping[str, pd.DataFrame], extraction: pd.Timestamp) -> pd.DataFrame:
    """Per person: contracts, months employed (log) and whether ever a registered job-seeker."""
    ep = tables["fact_employment_episode"].dropna(subset=["person_key"])
    end = pd.to_datetime(ep["end_date"]).fillna(extraction).clip(upper=extraction)
    ep = ep.assign(months=(end - pd.to_datetime(ep["start_date"])).dt.days.clip(lower=0) / 30.44)
    contracts = ep[ep["episode_type"] == "CONTRACT"].groupby("person_key")
    jobseeker = ep[ep["episode_type"] == "JOBSEEKER"].groupby("person_key").size() > 0
    return pd.DataFrame(
        {
            "contracts": contracts.size(),
            "months_employed": contracts["months"].sum(),
            "jobseeker": jobseeker.map({True: "yes"}),
        }
    )


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
    """Return each person's values replaced by the maximum over their unit (household or self)."""
    return values.groupby(unit).transform("max")


def _first_known(tables: Mapping[str, pd.DataFrame], persons: pd.DataFrame) -> pd.Series:
    """First day known to public social services: SAUSS registration, first provision or first RGC spell."""
    prov = tables["fact_provision"].dropna(subset=["person_key"]).groupby("person_key")["date"].min()
    spells = tables["bridge_rgc_member"].merge(tables["fact_benefit_spell"][["file_id", "start_date"]])
    first_spell = spells.groupby("person_key")["start_date"].min()
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


#: Age bands at the extraction date (``age_band`` indicator).
AGE_BANDS = ["00-15", "16-24", "25-34", "35-44", "45-54", "55-64", "65+"]


def _ngo(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Per person: NGO attentions over the study period."""
    att = tables["fact_ngo_attention"].dropna(subset=["person_key"])
    return att.groupby("person_key").size().rename("ngo_attentions").to_frame()


# --- encoding -------------------------------------------------------------------------------------


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


def _order(values: pd.Series) -> list[str]:
    """Categories in a readable order: count bands by their lower bound, ``unknown`` last."""

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
    cats = {c: list(categories[c]) if categories else _order(features[c].astype(str)) for c in categorical}
    codes = {c: pd.Categorical(features[c].astype(str), categories=cats[c]).codes for c in categorical}
    X = pd.DataFrame(codes, index=features.index).astype(np.int64)
    if (X < 0).any().any():
        raise ValueError("a category was not seen when the model was fitted")
    X = X.join(features[continuous].astype(float))
    return Encoded(X, cats, continuous)


# --- latent class analysis ------------------------------------------------------------------------


def fit_lca(data: Encoded, k: int, n_init: int, seed: int, max_iter: int = 500) -> Any:
    """Fit a latent class model with StepMix (maximum likelihood by EM, ``n_init`` random starts).

    Parameters
    ----------
    data : Encoded
        Indicators (:func:`encode`).
    k : int
        Number of classes.
    n_init : int
        Random starts; the best log-likelihood is kept and every start's is in ``lower_bound_buffer_``.
    seed : int
        Random state.
    max_iter : int
        EM iterations per start.

    Returns
    -------
    stepmix.StepMix
        The fitted model.
    """
    from stepmix.stepmix import StepMix

    model = StepMix(
        n_components=k,
        measurement=data.descriptor,
        n_init=n_init,
        max_iter=max_iter,
        abs_tol=1e-7,
        random_state=seed,
        progress_bar=0,
        verbose=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(data.X.to_numpy(float))
    return model


def replicated(start_logliks: Sequence[float], n: int, tol: float = 0.01) -> int:
    """Number of random starts whose log-likelihood is within ``tol`` of the best one.

    Parameters
    ----------
    start_logliks : sequence of float
        Average (per person) log-likelihood of each start.
    n : int
        Number of persons (the total log-likelihood is ``n`` times the average).
    tol : float
        Tolerance on the total log-likelihood.
    """
    total = np.asarray(start_logliks, dtype=float) * n
    return int((total >= np.nanmax(total) - tol).sum())


def sample_size_adjusted_bic(loglik: float, n_parameters: int, n: int) -> float:
    """Sclove's (1987) sample-size adjusted BIC: ``-2 loglik + p log((n + 2) / 24)``.

    Computed here because ``StepMix.sabic`` (3.0.0) uses ``log(n (n + 2) / 24)``, a penalty larger than
    BIC's instead of smaller, which would make the adjusted criterion choose fewer classes than BIC.

    Parameters
    ----------
    loglik : float
        Maximised log-likelihood of the model.
    n_parameters : int
        Free parameters.
    n : int
        Persons the model was fitted on.
    """
    return -2.0 * loglik + n_parameters * float(np.log((n + 2) / 24))


def fit_row(model: Any, data: Encoded) -> dict[str, Any]:
    """Fit statistics of one model: log-likelihood, AIC, BIC, SABIC, entropy, smallest class, replication."""
    X = data.X.to_numpy(float)
    n = len(X)
    labels = model.predict(X)
    sizes = np.bincount(labels, minlength=model.n_components)
    return {
        "k": model.n_components,
        "loglik": float(model.score(X) * n),
        "n_parameters": int(model.n_parameters),
        "aic": float(model.aic(X)),
        "bic": float(model.bic(X)),
        "sabic": sample_size_adjusted_bic(float(model.score(X) * n), int(model.n_parameters), n),
        "entropy": float(model.relative_entropy(X)) if model.n_components > 1 else np.nan,
        "smallest_n": int(sizes.min()),
        "smallest_share": float(sizes.min() / n),
        "starts": len(model.lower_bound_buffer_),
        "starts_at_best": replicated(model.lower_bound_buffer_, n),
    }


def fit_table(
    data: Encoded, ks: Sequence[int], n_init: int, seed: int
) -> tuple[pd.DataFrame, dict[int, Any]]:
    """Fit one latent class model per ``k`` and tabulate the fit statistics.

    Parameters
    ----------
    data : Encoded
        Indicators.
    ks : sequence of int
        Numbers of classes, e.g. ``range(1, 9)``.
    n_init : int
        Random starts per ``k``.
    seed : int
        Random state (the same for every ``k``).

    Returns
    -------
    table : DataFrame
        Indexed by ``k``: ``loglik, n_parameters, aic, bic, sabic, entropy, smallest_n,
        smallest_share, starts, starts_at_best, replicated`` (best log-likelihood reached by at
        least two starts).
    models : dict of int to StepMix
    """
    models = {k: fit_lca(data, k, n_init, seed) for k in ks}
    table = pd.DataFrame([fit_row(m, data) for m in models.values()]).set_index("k")
    table["replicated"] = table["starts_at_best"] >= 2
    return table, models


#: Smallest class a chosen model may have, as a share of the persons it was fitted on.
MIN_CLASS_SHARE = 0.05


def choose_k(table: pd.DataFrame, criterion: str = "bic", min_share: float = MIN_CLASS_SHARE) -> int:
    """Return the ``k`` that minimises ``criterion`` among models whose every class is large enough.

    The rule, stated before any comparison with the truth: the lowest ``criterion`` (``bic`` or
    ``sabic``) among the models whose smallest class (modal assignment) holds at least ``min_share``
    of the persons; a class smaller than that is too small to plan services for and is often a split
    of another class that fits the indicators' shape rather than a new situation.

    Parameters
    ----------
    table : DataFrame
        :func:`fit_table`.
    criterion : str
        ``bic`` or ``sabic``.
    min_share : float
        Smallest class share allowed (``1`` class always qualifies).
    """
    allowed = table[(table["smallest_share"] >= min_share) | (table.index == table.index.min())]
    return int(allowed[criterion].idxmin())


# --- validation against the truth -----------------------------------------------------------------


def true_profiles(
    crosswalk: pd.DataFrame, truth_records: pd.DataFrame, truth_persons: pd.DataFrame
) -> pd.Series:
    """Return the true latent profile of each linked person (synthetic region only).

    Parameters
    ----------
    crosswalk : DataFrame
        ``source, record_id, person_key`` (``data/interim/linkage/crosswalk.parquet``).
    truth_records : DataFrame
        ``source, record_id, person_id`` (``data/truth/records.parquet``).
    truth_persons : DataFrame
        ``person_id, profile`` (``data/truth/persons.parquet``).

    Returns
    -------
    Series
        ``profile`` by ``person_key``: the profile of the true person most of the linked records
        belong to (a false merge takes the majority's).
    """
    key = ["source", "record_id"]
    rec = (
        crosswalk[[*key, "person_key"]]
        .astype("string")
        .merge(truth_records[[*key, "person_id"]].astype("string"), on=key)
    )
    counts = rec.groupby(["person_key", "person_id"]).size().rename("n").reset_index()
    best = counts.sort_values(["person_key", "n", "person_id"], ascending=[True, False, True])
    best = best.drop_duplicates("person_key").set_index("person_key")["person_id"]
    profile = truth_persons.astype({"person_id": "string"}).set_index("person_id")["profile"]
    return best.map(profile).rename("true_profile")


def supervised_ceiling(
    data: Encoded, labels: pd.Series, seed: int, folds: int = 5
) -> tuple[float, np.ndarray]:
    """The supervised ceiling: cross-validated gradient boosting trained on the true labels.

    Parameters
    ----------
    data : Encoded
        The indicators the unsupervised model uses (categorical codes are declared categorical).
    labels : Series
        True label of each row of ``data.X``.
    seed : int
        Random state of the folds and the classifier.
    folds : int
        Stratified cross-validation folds.

    Returns
    -------
    ari : float
        Adjusted Rand index between the out-of-fold predictions and the true labels.
    predicted : ndarray
        The out-of-fold predictions.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import adjusted_rand_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    is_cat = [c in data.categories for c in data.X.columns]
    clf = HistGradientBoostingClassifier(categorical_features=is_cat, random_state=seed, max_iter=200)
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    predicted = cross_val_predict(clf, data.X.to_numpy(float), np.asarray(labels), cv=cv)
    return float(adjusted_rand_score(labels, predicted)), predicted


def agreement(labels: Sequence[Any], truth: Sequence[Any]) -> float:
    """Adjusted Rand index between a clustering and the true labels (1: identical, about 0: chance)."""
    from sklearn.metrics import adjusted_rand_score

    return float(adjusted_rand_score(truth, labels))


# --- stability ------------------------------------------------------------------------------------


def jaccard_stability(
    labels: np.ndarray, samples: Sequence[np.ndarray], sample_labels: Sequence[np.ndarray]
) -> pd.Series:
    """Hennig's bootstrap stability: mean best Jaccard of each original cluster over resamples.

    For each resample, each original cluster (restricted to the persons drawn) is compared with every
    cluster found on the resample; its similarity is the largest Jaccard coefficient. The mean over
    resamples is the cluster's stability: 0.75 or more stable, 0.6 to 0.75 doubtful, below 0.6 not
    stable (Hennig 2007).

    Parameters
    ----------
    labels : ndarray
        Original cluster of every person (positions ``0..n-1``).
    samples : sequence of ndarray
        Positions drawn in each resample (repeats allowed; only distinct persons count).
    sample_labels : sequence of ndarray
        Cluster found for each drawn position, aligned with ``samples``.

    Returns
    -------
    Series
        Mean Jaccard by original cluster label.
    """
    labels = np.asarray(labels)
    clusters = np.unique(labels)
    scores = {c: [] for c in clusters}
    for drawn, found in zip(samples, sample_labels, strict=True):
        drawn, first = np.unique(np.asarray(drawn), return_index=True)
        found = np.asarray(found)[first]
        original = labels[drawn]
        for c in clusters:
            members = original == c
            if not members.any():
                continue
            best = max(
                (members & (found == f)).sum() / (members | (found == f)).sum() for f in np.unique(found)
            )
            scores[c].append(best)
    return pd.Series({c: float(np.mean(v)) if v else np.nan for c, v in scores.items()}, name="jaccard")


def stability_verdict(jaccard: float) -> str:
    """``stable`` (0.75 or more), ``doubtful`` (0.6 to 0.75) or ``unstable``."""
    return "stable" if jaccard >= 0.75 else "doubtful" if jaccard >= 0.6 else "unstable"


def bootstrap_stability(
    data: Encoded, labels: np.ndarray, k: int, n_boot: int, n_init: int, seed: int
) -> pd.Series:
    """Refit the latent class model on ``n_boot`` bootstrap resamples and return :func:`jaccard_stability`."""
    rng = np.random.default_rng(seed)
    samples, found = [], []
    for b in range(n_boot):
        drawn = rng.integers(0, len(data.X), len(data.X))
        model = fit_lca(data.take(drawn), k, n_init, seed + b + 1)
        samples.append(drawn)
        found.append(model.predict(data.X.iloc[drawn].to_numpy(float)))
    return jaccard_stability(labels, samples, found)


# --- baseline -------------------------------------------------------------------------------------


def kprototypes_labels(data: Encoded, k: int, seed: int, n_init: int = 2) -> np.ndarray:
    """k-prototypes clustering (``kmodes``) of the same indicators: the baseline.

    Continuous indicators are standardised; categorical codes are matched by simple dissimilarity.
    With categorical indicators only, k-prototypes is k-modes, which is used. When Cao's
    initialisation fails (too few distinct rows), Huang's is used instead.
    """
    from kmodes.kmodes import KModes
    from kmodes.kprototypes import KPrototypes

    X = data.X.copy()
    for c in data.continuous:
        X[c] = (X[c] - X[c].mean()) / (X[c].std() or 1.0)
    cat_idx = [i for i, c in enumerate(X.columns) if c in data.categories]
    last: ValueError | None = None
    for init in ("Cao", "Huang"):
        try:
            if not data.continuous:
                model = KModes(n_clusters=k, init=init, n_init=n_init, random_state=seed, n_jobs=1)
                return model.fit_predict(X.to_numpy(int))
            model = KPrototypes(n_clusters=k, init=init, n_init=n_init, random_state=seed, n_jobs=1)
            return model.fit_predict(X.to_numpy(object), categorical=cat_idx)
        except ValueError as error:  # kmodes: "could not initialize"
            last = error
    raise StageError(f"profiles: k-prototypes baseline failed with k={k}: {last}")


# --- covariates and outcomes with the BCH correction ----------------------------------------------


def bch_distal(posterior: np.ndarray, distal: pd.DataFrame) -> pd.DataFrame:
    """Distribution of categorical covariates or outcomes per class, corrected for classification error.

    The BCH correction (Bolck, Croon & Hagenaars 2004; Vermunt 2010), as StepMix computes it
    (``stepmix.corrections.compute_bch_matrix``): each person's modal class is weighted by the inverse
    of the classification-error matrix, so the class distributions are not those of modal assignments
    treated as known. StepMix's ``n_steps=3, correction="BCH"`` fit would refit the measurement model;
    here the fitted model's posterior is used so that classes keep their labels.

    Parameters
    ----------
    posterior : ndarray of shape (n, k)
        Posterior class probabilities.
    distal : DataFrame
        Categorical covariates or outcomes (strings), same rows.

    Returns
    -------
    DataFrame
        Long table ``variable, value, class, share`` (shares of each class add up to one per variable;
        negative BCH masses are set to zero first).
    """
    from stepmix import utils
    from stepmix.corrections import compute_bch_matrix

    _, d_inv = compute_bch_matrix(posterior, "modal")
    weights = utils.modal(posterior, clip=True) @ d_inv
    rows = []
    for variable in distal.columns:
        values = distal[variable].astype(str).to_numpy()
        for value in _order(pd.Series(values)):
            mass = weights[values == value].sum(axis=0)
            rows += [
                {"variable": variable, "value": value, "class": c, "mass": m} for c, m in enumerate(mass)
            ]
    out = pd.DataFrame(rows)
    out["mass"] = out["mass"].clip(lower=0)
    out["share"] = out["mass"] / out.groupby(["variable", "class"])["mass"].transform("sum")
    return out.drop(columns="mass")


# --- describing the profiles ----------------------------------------------------------------------


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
        for value in _order(pd.Series(values)):
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
    """Share of each class with each trait of :data:`TRAITS` (from :func:`item_response`)."""
    out = {}
    for trait, (variable, values) in TRAITS.items():
        part = responses[(responses["variable"] == variable) & responses["value"].isin(values)]
        out[trait] = part.groupby("class")["share"].sum()
    return pd.DataFrame(out).fillna(0.0)


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

    Parameters
    ----------
    spells : DataFrame
        ``fact_benefit_spell`` (``person_key`` is the head).
    profile : Series
        Profile by ``person_key``.
    extraction_date : date or str
        Censoring date of spells still paid.
    """
    end = pd.to_datetime(spells["end_date"])
    months = _months(end.fillna(pd.Timestamp(extraction_date))) - _months(spells["start_date"]) + 1
    out = pd.DataFrame(
        {
            "profile": spells["person_key"].map(profile),
            "months": months.astype(float),
            "ended": end.notna(),
            "exit_reason": spells["exit_reason"].fillna("ONGOING"),
        }
    )
    return out.dropna(subset=["profile"])


def km_by_profile(spells: pd.DataFrame, horizon: int = 96) -> tuple[pd.DataFrame, pd.Series]:
    """Kaplan-Meier share still receiving by month of spell, per profile (lifelines).

    Returns
    -------
    curves : DataFrame
        ``month`` x profile: share of spells still paid.
    medians : Series
        Median months on RGC per profile (inf when more than half are still paid).
    """
    from lifelines import KaplanMeierFitter

    times = np.arange(horizon + 1)
    curves, medians = {}, {}
    for name, part in spells.groupby("profile"):
        km = KaplanMeierFitter().fit(part["months"], part["ended"])
        curves[name] = km.survival_function_at_times(times).to_numpy()
        medians[name] = float(km.median_survival_time_)
    return pd.DataFrame(curves, index=pd.Index(times, name="month")), pd.Series(medians, name="median_months")


# --- the stage ------------------------------------------------------------------------------------


def _relabel(posterior: np.ndarray) -> np.ndarray:
    """Reorder posterior columns so that class 0 is the largest (modal assignment) and so on."""
    sizes = np.bincount(posterior.argmax(axis=1), minlength=posterior.shape[1])
    return posterior[:, np.argsort(-sizes, kind="stable")]


def _sample(n: int, size: int, seed: int) -> np.ndarray:
    """Sorted positions of a random sample of ``size`` out of ``n`` (all when ``size >= n``)."""
    if size >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False))


def one_per_household(units: pd.Series, size: int, seed: int) -> np.ndarray:
    """Sorted positions of a random sample of ``size`` persons, at most one per household.

    Members of one RGC household share its household-level indicators (household type, benefit
    history, and the services, employment and NGO indicators of :data:`HOUSEHOLD_SHARED`), so a
    sample of persons would enter each household's records once per member. The likelihood, and the
    BIC, assume independent observations: counted several times, the records of large households
    earn extra classes that fit them. Models are therefore fitted on one person drawn at random per
    household (all households when there are fewer than ``size``), then everyone is classified.

    Parameters
    ----------
    units : Series
        Each person's household (:func:`household_units`), in the order of the positions.
    size : int
        Persons wanted.
    seed : int
        Random seed.
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(units))
    codes = pd.factorize(units.to_numpy())[0][order]
    _, first = np.unique(codes, return_index=True)
    chosen = order[first]
    if size < len(chosen):
        chosen = rng.choice(chosen, size, replace=False)
    return np.sort(chosen)


#: Covariates and outcomes by profile (BCH): warehouse indicators at the reference date and territory.
DISTAL_COVARIATES = ("sex", "age_band", "area")
DISTAL_OUTCOMES = (
    "on_rgc_at_reference",
    "employed_at_reference",
    "registered_unemployed",
    "emergency_aid_12m",
)


def distal_variables(
    features: pd.DataFrame, indicators: pd.DataFrame, territory: pd.DataFrame
) -> pd.DataFrame:
    """Covariates and outcomes of :data:`DISTAL_COVARIATES` and :data:`DISTAL_OUTCOMES` per person.

    Outcomes reuse the warehouse's risk indicators (``indicators`` at ``warehouse.reference_date``).
    """
    ind = indicators.set_index("person_key").reindex(features.index)
    area = features["ceas_code"].map(territory.set_index("ceas_code")["area"]).fillna("unknown")
    yes_no = {True: "yes", False: "no"}
    return pd.DataFrame(
        {
            "sex": features["sex"],
            "age_band": features["age_band"],
            "area": area,
            "on_rgc_at_reference": ind["on_rgc_at_reference"].map(yes_no),
            "employed_at_reference": ind["employed_at_reference"].map(yes_no),
            "registered_unemployed": ind["registered_unemployed"].map(yes_no),
            "emergency_aid_12m": (ind["emergency_aids_12m"].fillna(0) > 0).map(yes_no),
        },
        index=features.index,
    ).fillna("unknown")


def _truth(paths: Paths, params: Mapping[str, Any]) -> pd.Series | None:
    """True profile by ``person_key`` on the synthetic region, else None."""
    files = [
        paths.interim / "linkage" / "crosswalk.parquet",
        paths.truth / "records.parquet",
        paths.truth / "persons.parquet",
    ]
    if params["data"].get("source", "synthetic") != "synthetic" or not all(f.exists() for f in files):
        return None
    crosswalk, records, persons = (pd.read_parquet(f) for f in files)
    return true_profiles(crosswalk, records, persons[["person_id", "profile"]])


def settings(params: Mapping[str, Any]) -> dict[str, Any]:
    """The ``profiles`` parameters with defaults, and the study seed."""
    section = dict(params.get("profiles", {}) or {})
    defaults = {
        "k_max": 8,
        "min_class_share": MIN_CLASS_SHARE,
        "n_init": 4,
        "selection_sample": 6000,
        "bootstrap": 10,
        "bootstrap_sample": 3000,
        "ceiling_folds": 5,
        "validation_sample": 50000,
        "pathways_sample": 1500,
        "pathway_types": [3, 4, 5, 6, 7, 8],
    }
    return defaults | section | {"seed": int(params["seed"])}


def analyse(
    tables: Mapping[str, pd.DataFrame],
    indicators: pd.DataFrame,
    truth: pd.Series | None,
    params: Mapping[str, Any],
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame], dict[str, Any]]:
    """Everything the profiles stage computes; see :func:`run`.

    Returns
    -------
    persons : DataFrame
        ``person_key, profile, name`` and posterior probabilities ``p_1..p_k``.
    tables : dict of str to DataFrame
        Result tables for the report.
    results : dict
        Scalars (also the metrics).
    """
    from pact_analysis import pathways

    cfg = settings(params)
    seed = cfg["seed"]
    began = clock = time.perf_counter()
    extraction = params["data"]["extraction_date"]
    features = person_features(tables, extraction)
    data = encode(features)
    timing = {"indicators_s": time.perf_counter() - clock}
    clock = time.perf_counter()
    units = household_units(tables["dim_person"].set_index("person_key"), features.index)
    selection = one_per_household(units, cfg["selection_sample"], seed)
    chosen_data = data.take(selection)
    fit, models = fit_table(chosen_data, range(1, cfg["k_max"] + 1), cfg["n_init"], seed)
    k = choose_k(fit, "bic", cfg["min_class_share"])
    posterior = _relabel(models[k].predict_proba(data.X.to_numpy(float)))
    labels = posterior.argmax(axis=1)
    timing["model_selection_s"] = time.perf_counter() - clock

    responses = item_response(features, posterior, [*CATEGORICAL, *DESCRIPTIVE])
    names = profile_names(trait_shares(responses))
    profile = pd.Series(labels + 1, index=features.index, name="profile")
    persons = pd.DataFrame(posterior, index=features.index, columns=[f"p_{c + 1}" for c in range(k)])
    persons.insert(0, "name", names.reindex(labels).to_numpy())
    persons.insert(0, "profile", profile)

    boot_rows = one_per_household(units, cfg["bootstrap_sample"], seed + 1)
    clock = time.perf_counter()
    jaccard = bootstrap_stability(data.take(boot_rows), labels[boot_rows], k, cfg["bootstrap"], 1, seed)
    timing["bootstrap_s"] = time.perf_counter() - clock
    clock = time.perf_counter()
    kproto = kprototypes_labels(chosen_data, k, seed)
    timing["kprototypes_s"] = time.perf_counter() - clock

    sizes = pd.DataFrame(
        {
            "persons": np.bincount(labels, minlength=k),
            "expected": posterior.sum(axis=0),
            "mean_posterior": [
                posterior[labels == c, c].mean() if (labels == c).any() else np.nan for c in range(k)
            ],
            "jaccard": jaccard.reindex(range(k)).to_numpy(),
        },
        index=pd.Index(range(1, k + 1), name="profile"),
    )
    sizes.insert(0, "name", names.to_numpy())
    sizes["share"] = sizes["persons"] / len(labels)
    sizes["stability"] = sizes["jaccard"].map(stability_verdict)

    spells = time_on_rgc(tables["fact_benefit_spell"], profile, extraction)
    curves, medians = km_by_profile(spells)
    exits = pd.crosstab(spells["profile"], spells["exit_reason"]).rename_axis(index="profile", columns=None)

    start = params.get("synthetic", {}).get("start_date") or min(
        pd.to_datetime(tables["fact_benefit_spell"]["start_date"])
    )
    clock = time.perf_counter()
    sequences = pathways.sequences_from_tables(tables, features.index, start, extraction)
    types, silhouettes = pathways.hamming_typology(
        sequences, cfg["pathway_types"], cfg["pathways_sample"], seed
    )
    timing["pathways_s"] = time.perf_counter() - clock
    results: dict[str, Any] = {
        "n_persons": len(features),
        "n_selection": len(selection),
        "n_bootstrap_persons": len(boot_rows),
        "k_chosen": k,
        "k_sabic": choose_k(fit, "sabic", cfg["min_class_share"]),
        "k_bic_minimum": choose_k(fit, "bic", 0.0),
        "k_max": cfg["k_max"],
        "min_class_share": cfg["min_class_share"],
        "n_init": cfg["n_init"],
        "bootstrap": cfg["bootstrap"],
        "indicators": len(data.X.columns),
        "kprototypes_lca_ari": agreement(kproto, labels[selection]),
        "pathway_types": int(types.nunique()),
        "pathway_sample": len(types),
        "pathways_profile_ari": agreement(types, profile.loc[types.index]),
        "stability": {str(c): float(v) for c, v in sizes["jaccard"].items()},
        "study_months": sequences.shape[1],
    }
    if truth is not None:
        clock = time.perf_counter()
        y = truth.reindex(features.index)
        known = np.flatnonzero(y.notna().to_numpy())
        rows = known[_sample(len(known), cfg["validation_sample"], seed + 2)]  # the same persons for both
        ceiling, _ = supervised_ceiling(data.take(rows), y.iloc[rows], seed, cfg["ceiling_folds"])
        results |= {
            "k_true": int(y.nunique()),
            "ari": agreement(labels[rows], y.iloc[rows]),
            "supervised_ceiling_ari": ceiling,
            "kprototypes_ari": agreement(kproto, y.iloc[selection]),
            "n_validated": len(rows),
        }
        results["ari_share_of_ceiling"] = results["ari"] / ceiling
        truth_table = pd.crosstab(profile.iloc[rows], y.iloc[rows]).rename_axis(index="profile", columns=None)
        timing["validation_s"] = time.perf_counter() - clock
    timing["total_s"] = time.perf_counter() - began
    log.info(
        "profiles timing (s): %s", {k: round(v, 1) for k, v in timing.items()}
    )  # logged, not stored: same bytes
    out = {
        "fit": fit.reset_index(),
        "sizes": sizes.reset_index(),
        "item_response": responses,
        "distal": bch_distal(posterior, distal_variables(features, indicators, tables["dim_territory"])),
        "km_curves": curves.reset_index(),
        "km_medians": medians.rename_axis("profile").reset_index(),
        "exits": exits.reset_index(),
        "state_distribution": pathways.state_distribution(sequences, profile),
        "transitions": pathways.transition_rates(sequences).reset_index(),
        "pathway_types": pathways.type_profiles(sequences, types).reset_index(),
        "pathway_silhouettes": silhouettes,
        "pathways_by_profile": pd.crosstab(types, profile.loc[types.index])
        .rename_axis(index="pathway_type", columns=None)
        .reset_index(),
        "index_sample": _index_sample(sequences, profile, seed),
    }
    if truth is not None:
        out["truth_crosstab"] = truth_table.reset_index()
    for frame in out.values():
        frame.columns = [str(c) for c in frame.columns]
    return persons.reset_index(), out, results


def _index_sample(
    sequences: pd.DataFrame, profile: pd.Series, seed: int, per_profile: int = 60
) -> pd.DataFrame:
    """A random sample of sequences per profile for the sequence-index plot (no person key kept)."""
    parts = []
    for name, part in sequences.groupby(profile.reindex(sequences.index)):
        take = part.sample(min(per_profile, len(part)), random_state=seed)
        parts.append(take.reset_index(drop=True).assign(profile=name))
    return pd.concat(parts, ignore_index=True)


def run(paths: Paths, params: dict[str, Any]) -> None:
    """The ``profiles`` stage.

    Reads ``data/warehouse/parquet`` (and, on the synthetic region, ``data/truth`` and the linkage
    crosswalk for the validation); writes ``data/profiles/persons.parquet`` (pseudonymous, never
    published), ``data/profiles/tables/<name>.parquet``, ``data/profiles/results.json`` and
    ``metrics/profiles.json``.

    Parameters
    ----------
    paths : Paths
        Project paths.
    params : dict
        Reads ``seed``, ``data.source``, ``data.extraction_date``, ``synthetic.start_date`` and
        ``profiles.*``.
    """
    folder = paths.warehouse / "parquet"
    tables = read_tables(folder)
    indicators = pd.read_parquet(folder / "indicators.parquet")
    persons, out, results = analyse(tables, indicators, _truth(paths, params), params)
    with atomic_dir(paths.root / "data" / "profiles") as tmp:
        persons.to_parquet(tmp / "persons.parquet", index=False)
        (tmp / "tables").mkdir()
        for name, frame in out.items():
            frame.to_parquet(tmp / "tables" / f"{name}.parquet", index=False)
        write_json(tmp / "results.json", results)
    keys = [
        "k_chosen",
        "k_sabic",
        "k_bic_minimum",
        "k_true",
        "ari",
        "supervised_ceiling_ari",
        "ari_share_of_ceiling",
        "kprototypes_ari",
        "kprototypes_lca_ari",
        "pathways_profile_ari",
        "n_persons",
        "n_selection",
        "n_validated",
        "stability",
    ]
    write_json(paths.metrics / "profiles.json", {k: results[k] for k in keys if k in results})
    log.info(
        "profiles: k=%d, %s",
        results["k_chosen"],
        {k: results.get(k) for k in ("ari", "supervised_ceiling_ari")},
    )


def read_results(paths: Paths) -> tuple[pd.DataFrame, dict[str, pd.DataFrame], dict[str, Any]]:
    """Read what :func:`run` wrote: persons, result tables and scalars (for the report)."""
    folder = paths.root / "data" / "profiles"
    tables = {p.stem: pd.read_parquet(p) for p in sorted((folder / "tables").glob("*.parquet"))}
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    return pd.read_parquet(folder / "persons.parquet"), tables, results


# --- the warehouse's logical model (diagram) ------------------------------------------------------

#: Dimensions shared by the facts (conformed dimensions), in drawing order; the other dimensions are
#: code lists.
CONFORMED = ("dim_household", "dim_person", "dim_territory", "dim_date")


def schema_layout(model: Mapping[str, Any]) -> dict[str, tuple[int, float]]:
    """Place the tables of the warehouse's logical model in four columns for drawing.

    Columns, left to right: code dimensions that describe persons or households (referenced by a
    dimension), the conformed dimensions (:data:`CONFORMED`), facts and the bridge with the derived
    tables and aggregates below them, and the code dimensions referenced only by those.
    Within the two code-list columns, tables are ordered by the mean row of the tables that
    reference them, which keeps lines short and few of them crossed. Tables without relationships
    (parameters) are left out.

    Parameters
    ----------
    model : mapping
        :func:`pact_analysis.warehouse.logical_model`.

    Returns
    -------
    dict of str to (int, float)
        Column (0-3) and row (0 at the top) of each table drawn.
    """
    kinds = {t["name"]: t["kind"] for t in model["tables"]}
    rels = model["relationships"]
    related = {r["from_table"] for r in rels} | {r["to_table"] for r in rels}
    referrers: dict[str, list[str]] = {}
    for r in rels:
        referrers.setdefault(r["to_table"], []).append(r["from_table"])
    place: dict[str, tuple[int, float]] = {}
    for i, name in enumerate(n for n in CONFORMED if n in kinds):
        place[name] = (1, 1.0 + 2.0 * i)
    middle = [n for n, k in kinds.items() if k in ("fact", "bridge") and n in related]
    derived = [n for n, k in kinds.items() if k in ("derived", "aggregate") and n in related]
    for i, name in enumerate(middle):
        place[name] = (2, float(i))
    for i, name in enumerate(derived):
        place[name] = (2, len(middle) + 0.5 + i)
    codes = [n for n, k in kinds.items() if k == "dimension" and n not in place and n in related]
    left = [n for n in codes if any(kinds.get(f) == "dimension" for f in referrers.get(n, []))]
    for column, names in ((0, left), (3, [n for n in codes if n not in left])):

        def mean_row(name: str) -> float:
            rows = [place[f][1] for f in referrers.get(name, []) if f in place]
            return float(np.mean(rows)) if rows else np.inf

        for i, name in enumerate(sorted(names, key=mean_row)):
            place[name] = (column, float(i))
    return place


#: Box colours by table kind (colour-blind safe).
KIND_COLOURS = {
    "dimension": "#cfe2f3",
    "fact": "#f9cb9c",
    "bridge": "#fff2cc",
    "derived": "#d9ead3",
    "aggregate": "#d9d2e9",
}


def draw_logical_model(model: Mapping[str, Any], kind_labels: Mapping[str, str] | None = None) -> Any:
    """Draw the warehouse's logical model: one box per table (name and primary key), one line per key.

    Parameters
    ----------
    model : mapping
        :func:`pact_analysis.warehouse.logical_model`.
    kind_labels : mapping of str to str, optional
        Legend text of each table kind (``dimension``, ``fact``...), e.g. translated.

    Returns
    -------
    matplotlib.figure.Figure
        The diagram; lines run from the referencing table (many) to the referenced one (one), with a
        dot at the referenced end.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch, Patch

    place = schema_layout(model)
    keys = {t["name"]: t["primary_key"] for t in model["tables"]}
    kinds = {t["name"]: t["kind"] for t in model["tables"]}
    n_rows = max(row for _, row in place.values()) + 1
    width, height, gap = 3.0, 0.72, 4.0
    fig, ax = plt.subplots(figsize=(11, 0.5 * n_rows + 1.0))

    def centre(name: str) -> tuple[float, float]:
        column, row = place[name]
        return column * gap, -row

    for r in model["relationships"]:
        if r["from_table"] not in place or r["to_table"] not in place:
            continue
        (x0, y0), (x1, y1) = centre(r["from_table"]), centre(r["to_table"])
        if x0 == x1:  # same column: a bracket on the left of the boxes
            xs = [x0 - width / 2, x0 - width / 2 - 0.25, x1 - width / 2 - 0.25, x1 - width / 2]
            ys = [y0, y0, y1, y1]
        else:
            side = np.sign(x1 - x0)
            xs, ys = [x0 + side * width / 2, x1 - side * width / 2], [y0, y1]
        ax.plot(xs, ys, color="#7f7f7f", linewidth=0.6, alpha=0.7, zorder=1)
        ax.plot(xs[-1], ys[-1], "o", color="#404040", markersize=2.5, zorder=3)
    for name, (column, row) in place.items():
        x, y = column * gap, -row
        box = FancyBboxPatch(
            (x - width / 2, y - height / 2),
            width,
            height,
            boxstyle="round,pad=0.02,rounding_size=0.08",
            facecolor=KIND_COLOURS.get(kinds[name], "white"),
            edgecolor="#404040",
            linewidth=0.8,
            zorder=2,
        )
        ax.add_patch(box)
        ax.text(x, y + 0.13, name, ha="center", va="center", fontsize=8, weight="bold", zorder=4)
        key = ", ".join(keys[name])
        small = 6.5 if len(key) < 32 else 5.5
        ax.text(x, y - 0.17, f"PK: {key}", ha="center", va="center", fontsize=small, zorder=4)
    labels = dict(kind_labels or {})
    shown = [k for k in KIND_COLOURS if k in {kinds[n] for n in place}]
    ax.legend(
        handles=[
            Patch(facecolor=KIND_COLOURS[k], edgecolor="#404040", label=labels.get(k, k)) for k in shown
        ],
        loc="upper center",
        bbox_to_anchor=(0.5, 1.0),
        ncol=len(shown),
        fontsize=8,
        frameon=False,
    )
    ax.set_xlim(-width / 2 - 0.1, 3 * gap + width / 2 + 0.1)
    ax.set_ylim(-(n_rows - 1) - height, 1.2)
    ax.axis("off")
    return fig
