"""Everything the ``profiles`` stage computes, and the files it leaves for the report.

:func:`analyse` runs the whole analysis on the warehouse tables: indicators, model selection,
classification of everyone, names, stability, the k-prototypes baseline, covariates and outcomes
(BCH), covariates of profile membership (bias-adjusted three-step, :mod:`~.covariates`), time on
RGC, pathways and, on the synthetic region, validation against the truth.
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
from pact_analysis.profiles.covariates import COVARIATES, covariate_results
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
    size_order,
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
    true_profile_jaccard,
)

log = logging.getLogger(__name__)

#: The person file of ``data/profiles`` that later stages read (``person_key``, ``profile``...).
PERSONS_FILE = "persons.parquet"
#: Every scalar of the stage, in ``data/profiles``.
RESULTS_FILE = "results.json"
#: Folder of the result tables, in ``data/profiles``.
TABLES_FOLDER = "tables"
#: A true profile counts as recovered when a fitted profile reaches this Jaccard with it (issue 19).
RECOVERED_JACCARD = 0.5


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
        two_stage = (cfg["initial_iter"], cfg["final_starts"]) if cfg["initial_iter"] else None
        fit, models, residuals = fit_table(
            data.take(selection),
            range(1, cfg["k_max"] + 1),
            cfg["n_init"],
            seed,
            cfg["max_starts"],
            two_stage,
        )
        k = choose_k(fit, cfg["k_criterion"], cfg["min_class_share"])
        proba = models[k].predict_proba(data.X.to_numpy(float))
        order = size_order(proba)
        posterior = proba[:, order]
    labels = posterior.argmax(axis=1)
    responses = item_response(features, posterior, [*CATEGORICAL, *DESCRIPTIVE])
    names = profile_names(trait_shares(responses))
    profile = pd.Series(labels + 1, index=features.index, name="profile")
    persons = pd.DataFrame(posterior, index=features.index, columns=[f"p_{c + 1}" for c in range(k)])
    persons.insert(0, "name", names.reindex(labels).to_numpy())
    persons.insert(0, "profile", profile)

    boot_rows = one_per_household(units, cfg["bootstrap_sample"], seed + 1)
    with _timed(timing, "bootstrap_s"):
        jaccard, boot = bootstrap_stability(
            data.take(boot_rows),
            labels[boot_rows],
            k,
            cfg["bootstrap"],
            cfg["n_init"],
            seed,
            cfg["max_starts"],
            two_stage,
        )
    with _timed(timing, "kprototypes_s"):
        kproto = kprototypes_labels(data.take(selection), k, seed)
    sizes = _size_table(posterior, names, jaccard)
    distal = bch_distal(posterior, distal_variables(features, indicators, tables["dim_territory"]))
    with _timed(timing, "covariates_s"):
        covariate_table, covariate_scalars = covariate_results(
            models[k],
            data.X.to_numpy(float),
            distal_variables(features, indicators, tables["dim_territory"])[list(COVARIATES)],
            order,
            units.to_numpy(),
            seed,
            indicators=features[list(CATEGORICAL)],
        )
    with _timed(timing, "pathways_s"):
        path_results, path_tables = _pathways(tables, profile, params, cfg)
    results: dict[str, Any] = {
        "n_persons": len(features),
        "n_selection": len(selection),
        "n_bootstrap_persons": len(boot_rows),
        "k_chosen": k,
        "k_criterion": cfg["k_criterion"],
        "k_bic": choose_k(fit, "bic", cfg["min_class_share"]),
        "k_sabic": choose_k(fit, "sabic", cfg["min_class_share"]),
        "k_bic_minimum": choose_k(fit, "bic", 0.0),
        "k_sabic_minimum": choose_k(fit, "sabic", 0.0),
        "lca_starts": int(fit["random_starts"].min()),
        "lca_starts_max": int(fit["random_starts"].max()),
        "initial_iter": cfg["initial_iter"],
        "final_starts": cfg["final_starts"],
        # a lower bound: runs not continued to convergence may have reached the best too
        "best_ll_share": float(fit.loc[k, "starts_at_best"] / fit.loc[k, "random_starts"]),
        "max_starts": cfg["max_starts"],
        "best_ll_replicated": int(fit.loc[k, "starts_at_best"]),
        "starts_not_converged": int((fit["starts"] - fit["converged_starts"]).sum()),
        "bootstrap_replicates": boot["replicates"],
        "bootstrap_starts_min": boot["starts_min"],
        "bootstrap_starts_max": boot["starts_max"],
        "bootstrap_replicated": boot["replicated"],
        "bootstrap_converged_share": boot["converged_share"],
        "bvr_over": int(fit.loc[k, "bvr_over"]),
        "bvr_pairs": len(residuals[k]),
        "bch_negative_cells": int(distal["negative"].sum()),
        "k_max": cfg["k_max"],
        "min_class_share": cfg["min_class_share"],
        "n_init": cfg["n_init"],
        "bootstrap": cfg["bootstrap"],
        "indicators": len(data.X.columns),
        "kprototypes_lca_ari": agreement(kproto, labels[selection]),
        "stability": {str(c): float(v) for c, v in sizes["jaccard"].items()},
        **path_results,
        **covariate_scalars,
    }
    out = {
        "fit": fit.reset_index(),
        "bvr": residuals[k],
        "neighbours": _neighbours(models, k, data, selection, order),
        "sizes": sizes.reset_index(),
        "item_response": responses,
        "distal": distal,
        "covariate_effects": covariate_table,
        **_time_on_rgc_tables(tables["fact_benefit_spell"], profile, extraction),
        **path_tables,
    }
    if truth is not None:
        with _timed(timing, "validation_s"):
            checked, out["truth_crosstab"], out["true_profile_jaccard"], out["neighbours"] = _validate(
                data, truth, profile, kproto, selection, units, out["neighbours"], models, cfg
            )
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
    """Add the seconds the block took to ``timing[key]``, and say so in the log (progress)."""
    clock = time.perf_counter()
    log.info("profiles: %s ...", key.removesuffix("_s").replace("_", " "))
    yield
    timing[key] = time.perf_counter() - clock
    log.info("profiles: %s done in %.0f s", key.removesuffix("_s").replace("_", " "), timing[key])


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
    """Kaplan-Meier curves, numbers at risk and medians of time on RGC per profile, and the exits by reason."""
    spells = time_on_rgc(spells, profile, extraction)
    curves, medians, at_risk = km_by_profile(spells)
    exits = pd.crosstab(spells["profile"], spells["exit_reason"]).rename_axis(index="profile", columns=None)
    return {
        "km_curves": curves.reset_index(),
        "km_at_risk": at_risk.reset_index(),
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


def _neighbours(
    models: Mapping[int, Any], k: int, data: Encoded, selection: np.ndarray, order: np.ndarray
) -> pd.DataFrame:
    """The models with ``k - 1`` and ``k + 1`` classes beside the chosen one (sensitivity of the choice).

    Each is compared with the chosen model on the persons of the model selection: adjusted Rand index
    and, for each of its classes, the chosen profile most of it falls in.
    """
    X = data.X.to_numpy(float)[selection]
    chosen = np.argsort(order)[models[k].predict(X)] + 1
    rows = []
    for j in (k - 1, k, k + 1):
        if j not in models:
            continue
        other = models[j].predict(X)
        sizes = np.bincount(other, minlength=j) / len(other)
        main = pd.crosstab(other, chosen).idxmax(axis=1).reindex(range(j))
        rows.append(
            {
                "k": j,
                "ari_with_chosen": agreement(other, chosen),
                "smallest_share": float(sizes.min()),
                "classes_into_profiles": ", ".join(str(int(v)) for v in main.fillna(0)),
            }
        )
    return pd.DataFrame(rows)


def _validate(
    data: Encoded,
    truth: pd.Series,
    profile: pd.Series,
    kproto: np.ndarray,
    selection: np.ndarray,
    units: pd.Series,
    neighbours: pd.DataFrame,
    models: Mapping[int, Any],
    cfg: Mapping[str, Any],
) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """ARI with the true profiles beside the supervised ceiling, each pair on the same persons.

    The LCA and the ceiling on one sample of persons (the ceiling's folds grouped by household); the
    LCA and k-prototypes on the persons of the model selection. Each true profile's best Jaccard; the
    neighbouring models' ARI and worst Jaccard on the same sample.
    """
    seed = cfg["seed"]
    labels = profile.to_numpy() - 1
    y = truth.reindex(profile.index)
    known = np.flatnonzero(y.notna().to_numpy())
    rows = known[sample_positions(len(known), cfg["validation_sample"], seed + 2)]
    ceiling, _ = supervised_ceiling(
        data.take(rows), y.iloc[rows], seed, cfg["ceiling_folds"], groups=units.iloc[rows].to_numpy()
    )
    jaccard = true_profile_jaccard(labels[rows], y.iloc[rows].to_numpy(), cfg["min_class_share"])
    sel = selection[y.iloc[selection].notna().to_numpy()]
    on_sel = np.isin(selection, sel)
    results = {
        "k_true": int(y.nunique()),
        "ari": agreement(labels[rows], y.iloc[rows]),
        "supervised_ceiling_ari": ceiling,
        "ceiling_folds_grouped_by": "household",
        "kprototypes_ari": agreement(kproto[on_sel], y.iloc[sel]),
        "lca_ari_kprototypes_persons": agreement(labels[sel], y.iloc[sel]),
        "n_validated": len(rows),
        "n_kprototypes_validated": len(sel),
        "true_profile_jaccard": {str(t): float(v) for t, v in jaccard.items()},
        "min_true_profile_jaccard": float(jaccard.min()),
    }
    results["ari_share_of_ceiling"] = results["ari"] / ceiling
    X = data.X.to_numpy(float)[rows]
    extra = []
    for j in neighbours["k"]:
        other = models[j].predict(X)
        worst = true_profile_jaccard(other, y.iloc[rows].to_numpy(), cfg["min_class_share"])
        extra.append({"ari": agreement(other, y.iloc[rows]), "min_true_profile_jaccard": float(worst.min())})
    neighbours = pd.concat([neighbours.reset_index(drop=True), pd.DataFrame(extra)], axis=1)
    table = pd.crosstab(profile.iloc[rows], y.iloc[rows]).rename_axis(index="profile", columns=None)
    frame = jaccard.rename_axis("true_profile").reset_index()
    frame["recovered"] = frame["jaccard"] >= RECOVERED_JACCARD
    return results, table.reset_index(), frame, neighbours


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
