"""Profiles of the persons known to social services: latent class analysis, stability and validation.

The ``profiles`` stage segments the persons known to public social services (SAUSS users and members
of minimum-income, RGC, households) on the de-identified warehouse (``data/warehouse/parquet``):

- **Indicators** (:func:`person_features`): demographics, household, benefit history, services used,
  employment and NGO contact over the whole study period, most of them coded into ordered categories
  (:data:`CATEGORICAL`) and two continuous ones (:data:`CONTINUOUS`). Missing values are a category of
  their own ("unknown"), so no person is dropped.
- **Latent class analysis** with StepMix (:func:`fit_table`): one model per number of classes ``k``
  from 1 up, several random starts each; log-likelihood, AIC, BIC, sample-size adjusted BIC, relative
  entropy, smallest class and whether the best log-likelihood was replicated. ``k`` is the BIC
  minimum (:func:`choose_k`). Model selection may run on a sample; everyone is then classified.
- **k-prototypes** (``kmodes``) as a baseline (:func:`kprototypes_labels`).
- **Covariates and outcomes by profile** with the BCH correction for classification error
  (:func:`bch_distal`).
- **Stability**: Hennig's bootstrap Jaccard per profile (:func:`jaccard_stability`).
- **Names** (:func:`profile_names`): descriptive, non-stigmatising name codes generated from each
  profile's traits; their words are in the ``profiles`` catalogues.
- **Validation against the truth** (synthetic region only): adjusted Rand index with the true latent
  profiles beside the supervised ceiling, a cross-validated gradient-boosting classifier trained on
  the true labels with the same indicators (:func:`supervised_ceiling`).

Outputs: ``data/processed/profiles/profiles.parquet`` (``person_key``, ``profile``, posterior
probabilities; pseudonymous, never published), ``data/processed/profiles/results.json`` (everything
the report shows) and ``metrics/profiles.json``.
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

#: Categorical indicators: name -> (group, cut points for counts or None for codes already categorical).
#: Counts are cut into ordered bands ``[0, c1), [c1, c2), ...``.
CATEGORICAL: dict[str, tuple[str, tuple[float, ...] | None]] = {
    "age_band": ("demographics", None),
    "sex": ("demographics", None),
    "foreign": ("demographics", None),
    "education": ("demographics", None),
    "disability": ("demographics", None),
    "household_type": ("household", None),
    "rgc_role": ("benefit", None),
    "rgc_spells": ("benefit", (1, 2, 3)),
    "rgc_months": ("benefit", (1, 13, 37, 73)),
    "rgc_job_exits": ("benefit", (1, 2)),
    "rgc_sanction_exits": ("benefit", (1, 2)),
    "rgc_at_extraction": ("benefit", None),
    "prior_imi": ("benefit", None),
    **{f"used_{p.lower()}": ("services", None) for p in PROVISIONS},
    "interventions_per_year": ("services", (0.01, 0.5, 1, 2, 4)),
    "contracts": ("employment", (1, 2, 4)),
    "months_employed": ("employment", (1, 6, 24)),
    "jobseeker": ("employment", None),
    "ngo_attentions": ("ngo", (1, 2, 5)),
}
#: Continuous indicators: name -> group (no point masses: a Gaussian per class must fit them).
CONTINUOUS: dict[str, str] = {
    "age": "demographics",
    "years_known": "services",
}
#: Indicator groups in reading order.
GROUPS = ("demographics", "household", "benefit", "services", "employment", "ngo")


# --- indicators -----------------------------------------------------------------------------------


def read_tables(folder: Path) -> dict[str, pd.DataFrame]:
    """Read the warehouse tables of :data:`TABLES` from ``data/warehouse/parquet``."""
    missing = [t for t in TABLES if not (Path(folder) / f"{t}.parquet").exists()]
    if missing:
        raise StageError(f"profiles: warehouse tables missing in {folder}: {', '.join(missing)}; run the warehouse stage")
    return {t: pd.read_parquet(Path(folder) / f"{t}.parquet") for t in TABLES}


def _months(dates: pd.Series) -> pd.Series:
    """Month index (year * 12 + month - 1) of each date."""
    d = pd.to_datetime(dates)
    return d.dt.year * 12 + d.dt.month - 1


def band_labels(cuts: Sequence[float]) -> list[str]:
    """Labels of the bands ``[0, c1), [c1, c2), ..., [cn, inf)``: ``0``, ``1``, ``2-3``, ``4+``; ``0.5-1``."""
    edges = [0.0, *map(float, cuts)]
    labels = []
    for lo, hi in zip(edges, [*edges[1:], np.inf], strict=True):
        if hi == np.inf:
            labels.append(f"{lo:g}+")
        elif lo == 0 and hi <= 1:
            labels.append("0")
        elif float(lo).is_integer() and float(hi).is_integer():
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


def _services(tables: Mapping[str, pd.DataFrame], persons: pd.DataFrame, extraction: pd.Timestamp) -> pd.DataFrame:
    """Per person: each provision ever used (yes/no) and interventions per year known to SAUSS."""
    prov = tables["fact_provision"].dropna(subset=["person_key"])
    used = pd.crosstab(prov["person_key"], prov["provision_code"]).reindex(columns=list(PROVISIONS), fill_value=0)
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


def _household_max(values: pd.DataFrame, unit: pd.Series) -> pd.DataFrame:
    """Return each person's values replaced by the maximum over their unit (household or self)."""
    return values.groupby(unit).transform("max")


def _first_known(tables: Mapping[str, pd.DataFrame], persons: pd.DataFrame) -> pd.Series:
    """First day known to public social services: SAUSS registration, first provision or first RGC spell."""
    prov = tables["fact_provision"].dropna(subset=["person_key"]).groupby("person_key")["date"].min()
    spells = tables["bridge_rgc_member"].merge(tables["fact_benefit_spell"][["file_id", "start_date"]])
    first_spell = spells.groupby("person_key")["start_date"].min()
    dates = pd.concat(
        [pd.to_datetime(persons["sauss_registration_date"]), pd.to_datetime(prov), pd.to_datetime(first_spell)],
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
            "foreign": persons["nationality_group"].map(lambda g: "no" if g == "ES" else "yes").where(
                persons["nationality_group"].notna()
            ),
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
    out[shared] = out[shared].fillna({"jobseeker": "no", "contracts": 0, "months_employed": 0, "ngo_attentions": 0})
    if household:
        unit = persons["household_key"].fillna(pd.Series(persons.index, index=persons.index))
        out[shared] = _household_max(out[shared], unit)
    for name in ("rgc_at_extraction", "prior_imi"):
        out[name] = out[name].fillna("no")
    for name, (_, cuts) in CATEGORICAL.items():
        out[name] = _count_bands(out[name], cuts) if cuts else out[name].astype(object).where(out[name].notna(), "unknown")
    for name in CONTINUOUS:
        out[name] = out[name].astype(float).fillna(out[name].median())
    return out


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
        "sabic": float(model.sabic(X)),
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


def choose_k(table: pd.DataFrame, criterion: str = "bic") -> int:
    """Return the ``k`` that minimises ``criterion`` (``bic`` or ``sabic``) in a fit table."""
    return int(table[criterion].idxmin())


# --- validation against the truth -----------------------------------------------------------------


def true_profiles(crosswalk: pd.DataFrame, truth_records: pd.DataFrame, truth_persons: pd.DataFrame) -> pd.Series:
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
    rec = crosswalk[[*key, "person_key"]].astype("string").merge(
        truth_records[[*key, "person_id"]].astype("string"), on=key
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
