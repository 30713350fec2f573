"""The ``link`` stage: link persons across sources with Splink, pseudonymise, de-identify.

Reads ``data/interim/clean`` (the ingest stage's typed tables), the key (refused if its fingerprint
differs from ``metrics/key.json``, written by the ``key`` stage: :mod:`.key_stage`) and, when a
reviewer has labelled one, ``data/review/clerical_review_labelled.csv``; writes:

- ``data/interim/linkage/`` (identities allowed, never published): ``predictions.parquet`` (scored
  pairs), ``clusters.parquet``, ``crosswalk.parquet`` (record -> ``person_key``),
  ``clerical_review.csv`` and ``model.json`` (the trained Splink settings);
- ``data/processed/``: ``persons.parquet`` and every clean table de-identified
  (:mod:`pact_analysis.linkage.deidentify`);
- ``data/interim/linkage/summary.json``: counts (timings go to the log, so the file is
  byte-identical across runs), the exact DNI/NIE baseline's person count (``deterministic_n_persons``,
  real data too), the clerical-review precision with its Wilson interval when the labelled file exists
  (``clerical_review``, :func:`pact_analysis.linkage.review.labelled_precision`) and, when the
  synthetic truth exists, the quality figures of :func:`pact_analysis.linkage.evaluate.quality_metrics`;
  and everything the linkage report shows beyond them (threshold sensitivity, precision-recall curve,
  spells given a wrong person: :func:`stage_metrics`), so that the report computes nothing;
- ``metrics/linkage.json``: the headline figures of that summary (:func:`headline_metrics`).

Every file written is byte-identical between two runs on the same input and machine (see
:mod:`~.pipeline`).

Modules: :mod:`~pact_analysis.linkage.prepare` (standardise identities), :mod:`~.model` (Splink
comparisons and blocking, backend-agnostic), :mod:`~.pipeline` (train, predict, cluster),
:mod:`~.evaluate`, :mod:`~.pseudonymise`, :mod:`~.key_stage`, :mod:`~.deidentify`, :mod:`~.review`.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pact_analysis.io import atomic_dir, progress
from pact_analysis.linkage import diagnostics, evaluate, pipeline, pseudonymise, review
from pact_analysis.paths import Paths

log = logging.getLogger(__name__)

#: Labelled clerical review, in ``data/review`` (a committed folder, never an output; see :mod:`.review`).
LABELLED_REVIEW = "clerical_review_labelled.csv"


def labelled_review_path(paths: Paths) -> Path:
    """Where a reviewer puts the labelled clerical review: ``data/review/clerical_review_labelled.csv``."""
    return paths.review / LABELLED_REVIEW


def crosswalk_from(result: pipeline.LinkageResult, key: bytes) -> pd.DataFrame:
    """Return ``source, record_id, cluster_id, person_key, cluster_size`` for every person record."""
    records = result.clusters.rename(columns={"source_dataset": "source", "unique_id": "record_id"})
    docs = result.prepared[["source_dataset", "unique_id", "doc_norm"]].rename(
        columns={"source_dataset": "source", "unique_id": "record_id"}
    )
    records = records.merge(docs, on=["source", "record_id"], how="left")
    return pseudonymise.assign_person_keys(records, key)


def _clusters_out(crosswalk: pd.DataFrame) -> pd.DataFrame:
    return crosswalk[["source", "record_id", "cluster_id"]]


def write_interim(
    folder: Path,
    result: pipeline.LinkageResult,
    crosswalk: pd.DataFrame,
    persons: dict[str, pd.DataFrame],
    seed: int,
) -> pd.DataFrame:
    """Write the identity-bearing outputs atomically; return the clerical review sample."""
    pairs = evaluate.prediction_pairs(result.predictions, 0.0)
    sample = review.clerical_sample(pairs, persons, np.random.default_rng(seed))
    with atomic_dir(folder) as tmp:
        pairs.to_parquet(tmp / "predictions.parquet", index=False)
        _clusters_out(crosswalk).to_parquet(tmp / "clusters.parquet", index=False)
        crosswalk.to_parquet(tmp / "crosswalk.parquet", index=False)
        sample.to_csv(tmp / "clerical_review.csv", index=False)
        with open(tmp / "model.json", "w", encoding="utf-8") as fh:
            json.dump(result.model, fh, indent=2, sort_keys=True)
    return sample


def write_processed(folder: Path, tables: dict[str, pd.DataFrame]) -> None:
    """Write the de-identified tables atomically as ``<name>.parquet``."""
    with atomic_dir(folder) as tmp:
        for name, table in progress(sorted(tables.items()), desc="write processed"):
            table.to_parquet(tmp / f"{name}.parquet", index=False)


#: Thresholds of the report's precision-recall curve (synthetic truth only).
CURVE_THRESHOLDS = (0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999)
#: Thresholds of the report's sensitivity table, besides ``linkage.threshold``.
SENSITIVITY_THRESHOLDS = (0.5, 0.8, 0.95, 0.99)


def stage_metrics(
    paths: Paths,
    params: dict[str, Any],
    result: pipeline.LinkageResult,
    crosswalk: pd.DataFrame,
    frames: dict[str, pd.DataFrame],
) -> dict[str, Any]:
    """Counts, baseline, clerical review and (synthetic data only) quality for ``metrics/linkage.json``.

    Parameters
    ----------
    paths : Paths
        Project paths (truth and labelled review).
    params : dict
        Reads ``data.source`` and ``linkage.threshold``.
    result : LinkageResult
        The linkage run.
    crosswalk : DataFrame
        ``source, record_id, cluster_id, person_key, cluster_size``.
    frames : dict of str to DataFrame
        The clean ``rgc_members`` and ``rgc_spells`` (for the spells given a wrong person); other
        tables may be there.

    Returns
    -------
    dict
        ``threshold``, ``records``, ``records_by_source``, ``n_persons``, ``pairs_compared``,
        ``links_at_threshold``, ``deterministic_n_persons`` (persons found by exact DNI/NIE
        matching, :func:`pact_analysis.linkage.evaluate.deterministic_clusters`),
        ``threshold_sensitivity`` (:func:`.diagnostics.threshold_sensitivity` at
        :data:`SENSITIVITY_THRESHOLDS` and ``linkage.threshold``); ``clerical_review`` when the
        labelled file exists; ``quality``, ``true_persons``, ``threshold_curve``
        (:func:`.evaluate.threshold_curve` at :data:`CURVE_THRESHOLDS`) and ``downstream`` (RGC
        spells given a wrong person by the linkage and by the exact-document baseline,
        :func:`.diagnostics.spells_with_wrong_person`) when the synthetic truth exists. The linkage
        report reads these; it computes none of them.
    """
    threshold = float(params["linkage"]["threshold"])
    pairs = evaluate.prediction_pairs(result.predictions, 0.0)
    sensitivity = diagnostics.threshold_sensitivity(
        pairs, crosswalk[["source", "record_id"]], sorted({*SENSITIVITY_THRESHOLDS, threshold})
    )
    deterministic = evaluate.deterministic_clusters(result.prepared)
    out: dict[str, Any] = {
        "threshold": threshold,
        "records": int(len(crosswalk)),
        "records_by_source": {s: int(n) for s, n in crosswalk.groupby("source").size().items()},
        "n_persons": int(crosswalk["person_key"].nunique()),
        "pairs_compared": result.pairs_compared,
        "links_at_threshold": int((result.predictions["match_probability"] >= threshold).sum()),
        "deterministic_n_persons": int(deterministic["cluster_id"].nunique()),
        "threshold_sensitivity": sensitivity.reset_index().to_dict(orient="records"),
    }
    truth_file = paths.truth / "records.parquet"
    if params["data"].get("source", "synthetic") == "synthetic" and truth_file.exists():
        truth = pd.read_parquet(truth_file)
        clusters = _clusters_out(crosswalk).astype("string")
        out["quality"] = evaluate.quality_metrics(
            result.predictions, clusters, result.prepared, truth, threshold, baseline=deterministic
        )
        out["true_persons"] = int(truth["person_id"].nunique())
        out["threshold_curve"] = evaluate.threshold_curve(pairs, truth, list(CURVE_THRESHOLDS)).to_dict(
            orient="records"
        )
        out["downstream"] = {
            method: diagnostics.spells_with_wrong_person(
                clusters, truth, frames["rgc_members"], frames["rgc_spells"]
            )
            for method, clusters in {
                "probabilistic": _clusters_out(crosswalk),
                "exact_document": deterministic,
            }.items()
        }
    review_metrics = clerical_review_metrics(paths, threshold)
    if review_metrics is not None:
        out["clerical_review"] = review_metrics
    return out


def headline_metrics(summary: dict[str, Any]) -> dict[str, Any]:
    """The figures the linkage is judged by, for ``metrics/linkage.json`` (the rest stays in the summary).

    Parameters
    ----------
    summary : dict
        :func:`stage_metrics`.

    Returns
    -------
    dict
        ``records``, ``n_persons``, ``deterministic_n_persons``; with the synthetic
        truth ``true_persons`` and the pairwise ``precision``, ``recall`` and B-cubed ``bcubed_f1``;
        with a labelled clerical review its ``clerical_review_precision``.
    """
    keys = ("records", "n_persons", "deterministic_n_persons", "true_persons")
    out = {k: summary[k] for k in keys if k in summary}
    if "quality" in summary:
        quality = summary["quality"]
        out |= {
            "precision": quality["pairwise"]["precision"],
            "recall": quality["pairwise"]["recall"],
            "bcubed_f1": quality["bcubed"]["f1"],
        }
    if "clerical_review" in summary:
        out["clerical_review_precision"] = summary["clerical_review"].get("precision")
    return out


def clerical_review_metrics(paths: Paths, threshold: float) -> dict[str, Any] | None:
    """Precision from the labelled clerical review, or ``None`` when no reviewer has labelled one.

    Parameters
    ----------
    paths : Paths
        Project paths (:func:`labelled_review_path`).
    threshold : float
        ``linkage.threshold``.

    Returns
    -------
    dict or None
        :func:`pact_analysis.linkage.review.labelled_precision` of the labelled file.
    """
    old_place = paths.interim / LABELLED_REVIEW
    if old_place.exists():
        log.warning("%s is no longer read: move it to data/review/", old_place.relative_to(paths.root))
    labelled = labelled_review_path(paths)
    if not labelled.exists():
        return None
    return review.labelled_precision(pd.read_csv(labelled), threshold)
