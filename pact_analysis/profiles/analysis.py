"""Everything the ``profiles`` stage computes, and the files it leaves for the report.

:func:`analyse` runs the whole analysis on the warehouse tables: indicators, model selection,
classification of everyone, names, stability, the k-prototypes baseline, covariates and outcomes
(BCH), time on RGC, pathways and, on the synthetic region, validation against the truth.
:func:`write_results` and :func:`read_results` are the layout of ``data/profiles``:
``persons.parquet`` (``person_key``, ``profile``, ``name``, posterior probabilities ``p_1..p_k``;
pseudonymous, never published), ``tables/<name>.parquet`` and ``results.json`` (every scalar; the
headline figures are also ``metrics/profiles.json``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pact_analysis.io import write_json
from pact_analysis.paths import Paths
from pact_analysis.profiles import pathways
from pact_analysis.profiles.features import (
    CATEGORICAL,
    DESCRIPTIVE,
    Encoded,
    distal_variables,
    encode,
    household_units,
    person_features,
)
from pact_analysis.profiles.latent import (
    bch_distal,
    choose_k,
    fit_table,
    kprototypes_labels,
    one_per_household,
    relabel_by_size,
)
from pact_analysis.profiles.names import (
    item_response,
    km_by_profile,
    profile_names,
    time_on_rgc,
    trait_shares,
)
from pact_analysis.profiles.settings import settings
from pact_analysis.profiles.validation import (
    agreement,
    bootstrap_stability,
    sample_positions,
    stability_verdict,
    supervised_ceiling,
)

log = logging.getLogger(__name__)

#: The person file of ``data/profiles`` that later stages read (``person_key``, ``profile``...).
PERSONS_FILE = "persons.parquet"
#: Every scalar of the stage, in ``data/profiles``.
RESULTS_FILE = "results.json"
#: Folder of the result tables, in ``data/profiles``.
TABLES_FOLDER = "tables"


def analyse(
    tables: Mapping[str, pd.DataFrame],
    indicators: pd.DataFrame,
    truth: pd.Series | None,
    params: Mapping[str, Any],
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame], dict[str, Any]]:
    """Everything the profiles stage computes.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        The warehouse tables of :data:`~.features.TABLES` (:func:`~.features.read_tables`).
    indicators : DataFrame
        The warehouse's ``indicators`` table (risk indicators at ``warehouse.reference_date``).
    truth : Series or None
        True profile by ``person_key`` (:func:`~.validation.true_profiles`; synthetic region only).
    params : mapping
        Reads ``seed``, ``data.extraction_date``, ``synthetic.start_date`` and ``profiles.*``
        (:func:`~.settings.settings`).

    Returns
    -------
    persons : DataFrame
        ``person_key, profile, name`` and posterior probabilities ``p_1..p_k``.
    tables : dict of str to DataFrame
        Result tables for the report.
    results : dict
        Scalars (the headline figures among them are the metrics).
    """
    cfg = settings(params)
    seed = cfg["seed"]
    extraction = params["data"]["extraction_date"]
    timing: dict[str, float] = {}
    began = time.perf_counter()
    with _timed(timing, "indicators_s"):
        features = person_features(tables, extraction)
        data = encode(features)
    with _timed(timing, "model_selection_s"):
        units = household_units(tables["dim_person"].set_index("person_key"), features.index)
        selection = one_per_household(units, cfg["selection_sample"], seed)
        fit, models = fit_table(data.take(selection), range(1, cfg["k_max"] + 1), cfg["n_init"], seed)
        k = choose_k(fit, "bic", cfg["min_class_share"])
        posterior = relabel_by_size(models[k].predict_proba(data.X.to_numpy(float)))
    labels = posterior.argmax(axis=1)
    responses = item_response(features, posterior, [*CATEGORICAL, *DESCRIPTIVE])
    names = profile_names(trait_shares(responses))
    profile = pd.Series(labels + 1, index=features.index, name="profile")
    persons = pd.DataFrame(posterior, index=features.index, columns=[f"p_{c + 1}" for c in range(k)])
    persons.insert(0, "name", names.reindex(labels).to_numpy())
    persons.insert(0, "profile", profile)

    boot_rows = one_per_household(units, cfg["bootstrap_sample"], seed + 1)
    with _timed(timing, "bootstrap_s"):
        jaccard = bootstrap_stability(data.take(boot_rows), labels[boot_rows], k, cfg["bootstrap"], 1, seed)
    with _timed(timing, "kprototypes_s"):
        kproto = kprototypes_labels(data.take(selection), k, seed)
    sizes = _size_table(posterior, names, jaccard)
    with _timed(timing, "pathways_s"):
        path_results, path_tables = _pathways(tables, profile, params, cfg)
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
        "stability": {str(c): float(v) for c, v in sizes["jaccard"].items()},
        **path_results,
    }
    out = {
        "fit": fit.reset_index(),
        "sizes": sizes.reset_index(),
        "item_response": responses,
        "distal": bch_distal(posterior, distal_variables(features, indicators, tables["dim_territory"])),
        **_time_on_rgc_tables(tables["fact_benefit_spell"], profile, extraction),
        **path_tables,
    }
    if truth is not None:
        with _timed(timing, "validation_s"):
            checked, out["truth_crosstab"] = _validate(data, truth, profile, kproto, selection, cfg)
        results |= checked
    timing["total_s"] = time.perf_counter() - began
    log.info(
        "profiles timing (s): %s", {k: round(v, 1) for k, v in timing.items()}
    )  # logged, not stored: same bytes
    for frame in out.values():
        frame.columns = [str(c) for c in frame.columns]
    return persons.reset_index(), out, results


@contextlib.contextmanager
def _timed(timing: dict[str, float], key: str) -> Iterator[None]:
    """Add the seconds the block took to ``timing[key]``."""
    clock = time.perf_counter()
    yield
    timing[key] = time.perf_counter() - clock


def _size_table(posterior: np.ndarray, names: pd.Series, jaccard: pd.Series) -> pd.DataFrame:
    """Per profile (1..k): name, persons (modal), expected size, mean posterior, Jaccard and its verdict."""
    k = posterior.shape[1]
    labels = posterior.argmax(axis=1)
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
    return sizes


def _time_on_rgc_tables(spells: pd.DataFrame, profile: pd.Series, extraction: Any) -> dict[str, pd.DataFrame]:
    """Kaplan-Meier curves and medians of time on RGC per profile, and the exits by reason."""
    spells = time_on_rgc(spells, profile, extraction)
    curves, medians = km_by_profile(spells)
    exits = pd.crosstab(spells["profile"], spells["exit_reason"]).rename_axis(index="profile", columns=None)
    return {
        "km_curves": curves.reset_index(),
        "km_medians": medians.rename_axis("profile").reset_index(),
        "exits": exits.reset_index(),
    }


def _pathways(
    tables: Mapping[str, pd.DataFrame], profile: pd.Series, params: Mapping[str, Any], cfg: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """Monthly state sequences of everyone, their typology and how it relates to the profiles."""
    start = params.get("synthetic", {}).get("start_date") or min(
        pd.to_datetime(tables["fact_benefit_spell"]["start_date"])
    )
    extraction = params["data"]["extraction_date"]
    sequences = pathways.sequences_from_tables(tables, profile.index, start, extraction)
    types, silhouettes = pathways.hamming_typology(
        sequences, cfg["pathway_types"], cfg["pathways_sample"], cfg["seed"]
    )
    scalars = {
        "pathway_types": int(types.nunique()),
        "pathway_sample": len(types),
        "pathways_profile_ari": agreement(types, profile.loc[types.index]),
        "study_months": sequences.shape[1],
    }
    frames = {
        "state_distribution": pathways.state_distribution(sequences, profile),
        "transitions": pathways.transition_rates(sequences).reset_index(),
        "pathway_types": pathways.type_profiles(sequences, types).reset_index(),
        "pathway_silhouettes": silhouettes,
        "pathways_by_profile": pd.crosstab(types, profile.loc[types.index])
        .rename_axis(index="pathway_type", columns=None)
        .reset_index(),
        "index_sample": _index_sample(sequences, profile, cfg["seed"]),
    }
    return scalars, frames


def _validate(
    data: Encoded,
    truth: pd.Series,
    profile: pd.Series,
    kproto: np.ndarray,
    selection: np.ndarray,
    cfg: Mapping[str, Any],
) -> tuple[dict[str, Any], pd.DataFrame]:
    """ARI with the true profiles beside the supervised ceiling, on the same sample of persons."""
    seed = cfg["seed"]
    labels = profile.to_numpy() - 1
    y = truth.reindex(profile.index)
    known = np.flatnonzero(y.notna().to_numpy())
    rows = known[
        sample_positions(len(known), cfg["validation_sample"], seed + 2)
    ]  # the same persons for both
    ceiling, _ = supervised_ceiling(data.take(rows), y.iloc[rows], seed, cfg["ceiling_folds"])
    results = {
        "k_true": int(y.nunique()),
        "ari": agreement(labels[rows], y.iloc[rows]),
        "supervised_ceiling_ari": ceiling,
        "kprototypes_ari": agreement(kproto, y.iloc[selection]),
        "n_validated": len(rows),
    }
    results["ari_share_of_ceiling"] = results["ari"] / ceiling
    table = pd.crosstab(profile.iloc[rows], y.iloc[rows]).rename_axis(index="profile", columns=None)
    return results, table.reset_index()


def _index_sample(
    sequences: pd.DataFrame, profile: pd.Series, seed: int, per_profile: int = 60
) -> pd.DataFrame:
    """A random sample of sequences per profile for the sequence-index plot (no person key kept)."""
    parts = []
    for name, part in sequences.groupby(profile.reindex(sequences.index)):
        take = part.sample(min(per_profile, len(part)), random_state=seed)
        parts.append(take.reset_index(drop=True).assign(profile=name))
    return pd.concat(parts, ignore_index=True)


def write_results(
    folder: Path, persons: pd.DataFrame, out: Mapping[str, pd.DataFrame], results: Mapping[str, Any]
) -> None:
    """Write what :func:`analyse` returns into ``folder`` (``data/profiles``, or its temporary twin).

    Parameters
    ----------
    folder : Path
        An existing, empty folder.
    persons, out, results
        The three results of :func:`analyse`.
    """
    folder = Path(folder)
    persons.to_parquet(folder / PERSONS_FILE, index=False)
    (folder / TABLES_FOLDER).mkdir()
    for name, frame in out.items():
        frame.to_parquet(folder / TABLES_FOLDER / f"{name}.parquet", index=False)
    write_json(folder / RESULTS_FILE, results)


def read_results(paths: Paths) -> tuple[pd.DataFrame, dict[str, pd.DataFrame], dict[str, Any]]:
    """Read what the ``profiles`` stage wrote: persons, result tables and scalars (for the report).

    Parameters
    ----------
    paths : Paths
        Project paths (reads ``paths.profiles``).

    Returns
    -------
    persons : DataFrame
        ``data/profiles/persons.parquet``.
    tables : dict of str to DataFrame
        ``data/profiles/tables/<name>.parquet`` by name.
    results : dict
        ``data/profiles/results.json``.
    """
    folder = paths.profiles
    tables = {p.stem: pd.read_parquet(p) for p in sorted((folder / TABLES_FOLDER).glob("*.parquet"))}
    results = json.loads((folder / RESULTS_FILE).read_text(encoding="utf-8"))
    return pd.read_parquet(folder / PERSONS_FILE), tables, results
