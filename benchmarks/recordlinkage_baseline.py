"""Baseline linkage with the recordlinkage toolkit on a project's records, scored like ours.

Links the same person records as the ``link`` stage of a scratch project (its ``data/interim/clean``
person sources, standardised by the same :func:`pact_analysis.linkage.pipeline.prepare_sources`) as
one deduplication of their union, the textbook way with the recordlinkage toolkit (0.16):

- candidate pairs: the union of five :class:`recordlinkage.index.Block` indexes, the five first
  blocking rules of our model (:func:`pact_analysis.linkage.model.prediction_blocking_rules`, see
  :data:`BLOCKS`); a :class:`~recordlinkage.index.Full` index (every pair) is out of reach beyond a
  few thousand records (43,000 records make 0.9 billion pairs);
- comparison: Jaro-Winkler at 0.85 on the given name and both surnames, exact agreement on the
  document, the birth date, the sex and the municipality, as binary features;
- classification: the unsupervised ECM classifier (Fellegi-Sunter by EM).

Quality is computed with our own :mod:`pact_analysis.linkage.evaluate` against the generator's
truth (``data/truth/records.parquet``): pairwise precision, recall and F1 of the predicted links
(as ``quality.pairwise`` of our ``link`` stage) and B-cubed of their connected components.
Run by :mod:`scale` in its own process (wall time and peak memory measured there)::

    .venv/bin/python benchmarks/recordlinkage_baseline.py --project DIR --out FILE
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import recordlinkage
from harness import save_figures
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from pact_analysis import codebook
from pact_analysis.linkage import evaluate, pipeline
from pact_analysis.paths import Paths

#: The five blocking keys (each a list of columns of the standardised records).
BLOCKS = [
    ["doc_digits"],
    ["given_first", "birth_date_str"],
    ["surname1_norm", "surname2_norm", "given_initial"],
    ["birth_date_str", "municipality_code"],
    ["surname1_norm", "birth_year", "given_initial"],
]
STRING_FEATURES = ["given_norm", "surname1_norm", "surname2_norm"]
EXACT_FEATURES = ["doc_norm", "birth_date_str", "sex", "municipality_code"]
JARO_WINKLER_THRESHOLD = 0.85


def records(paths: Paths) -> pd.DataFrame:
    """The standardised person records of every source, one frame (``source_dataset``, ``unique_id``...)."""
    frames = {s: pd.read_parquet(paths.clean / f"{s}.parquet") for s in codebook.person_sources()}
    prepared = pipeline.prepare_sources(frames)
    out = pd.concat([df.assign(source_dataset=s) for s, df in prepared.items()], ignore_index=True)
    # recordlinkage's comparisons want plain objects with NaN for missing values, not pandas' NA.
    return out.astype(object).where(out.notna(), np.nan)


def link(df: pd.DataFrame) -> tuple[pd.MultiIndex, dict[str, float], int]:
    """Candidate pairs, features and ECM classification; return the matches, timings, pairs compared."""
    timings: dict[str, float] = {}
    step = time.perf_counter()
    indexer = recordlinkage.Index()
    for columns in BLOCKS:
        indexer.add(recordlinkage.index.Block(left_on=columns))
    candidates = indexer.index(df)
    timings["index"] = time.perf_counter() - step

    step = time.perf_counter()
    compare = recordlinkage.Compare(n_jobs=1)
    for column in STRING_FEATURES:
        compare.string(column, column, method="jarowinkler", threshold=JARO_WINKLER_THRESHOLD, label=column)
    for column in EXACT_FEATURES:
        compare.exact(column, column, label=column)
    features = compare.compute(candidates, df)
    timings["compare"] = time.perf_counter() - step

    step = time.perf_counter()
    matches = recordlinkage.ECMClassifier().fit_predict(features.astype(int))
    timings["classify"] = time.perf_counter() - step
    return matches, timings, len(candidates)


def components(df: pd.DataFrame, matches: pd.MultiIndex) -> pd.DataFrame:
    """``source, record_id, cluster_id``: the connected components of the predicted links."""
    n = len(df)
    left, right = matches.get_level_values(0).to_numpy(), matches.get_level_values(1).to_numpy()
    graph = coo_matrix((np.ones(len(left)), (left, right)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return pd.DataFrame(
        {
            "source": df["source_dataset"].astype(str),
            "record_id": df["unique_id"].astype(str),
            "cluster_id": labels,
        }
    )


def main(argv: list[str] | None = None) -> int:
    """Run the baseline on ``--project`` and write its figures as JSON to ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--project", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    paths = Paths(args.project)
    start = time.perf_counter()
    df = records(paths)
    timings = {"load_and_prepare": time.perf_counter() - start}
    matches, steps, pairs = link(df)
    timings |= steps
    timings["total"] = time.perf_counter() - start
    truth = pd.read_parquet(paths.truth / "records.parquet")[[*evaluate.KEY, "person_id"]].astype("string")
    left, right = matches.get_level_values(0), matches.get_level_values(1)
    links = pd.DataFrame(
        {
            "source_l": df["source_dataset"].to_numpy()[left],
            "record_id_l": df["unique_id"].to_numpy()[left],
            "source_r": df["source_dataset"].to_numpy()[right],
            "record_id_r": df["unique_id"].to_numpy()[right],
        }
    ).astype("string")
    clusters = components(df, matches)
    figures = {
        "toolkit": f"recordlinkage {recordlinkage.__version__}",
        "method": "union of 5 Block indexes, Jaro-Winkler 0.85 / exact binary features, ECM",
        "blocks": BLOCKS,
        "records": len(df),
        "pairs_compared": int(pairs),
        "links": len(links),
        "seconds_steps": {k: round(v, 2) for k, v in timings.items()},
        "pairwise": evaluate.pairwise_scores(links, truth),
        "bcubed": evaluate.bcubed_scores(clusters, truth),
        "n_persons": int(clusters["cluster_id"].nunique()),
    }
    save_figures(figures, args.out, echo=args.out is None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
