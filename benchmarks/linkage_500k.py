"""Benchmark the linkage of a region-scale synthetic population (default 500,000 persons) on this machine.

Runs the project's own stages on a scratch project: the synthetic generator (``synthesize``) writes the
raw extracts and ``ingest`` validates them, each in its own process as under ``dvc repro``; then this
process links the person records of every source with :func:`pact_analysis.linkage.pipeline.link_records`
(the heart of the ``link`` stage, with the ``linkage.*`` parameters of ``params.yaml``). Reports wall time
per step, peak memory of the linkage process (DuckDB included) and of the preparation steps, pairs
compared, and linkage quality against the generator's truth. Goal (issue 3): under 15 minutes and 12 GB
on 2 cores.

Usage::

    .venv/bin/python benchmarks/linkage_500k.py [--n-persons 500000] [--out benchmarks/linkage_500k.json]
"""

from __future__ import annotations

import argparse
import logging
import resource
import sys
import tempfile
from pathlib import Path

import pandas as pd
from harness import make_project, run_stage, save_figures

from pact_analysis import codebook
from pact_analysis.linkage import evaluate, pipeline
from pact_analysis.params import load_params


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print (and optionally write) its figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-persons", type=int, default=500_000)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    seconds: dict[str, float] = {}
    peak_preparation = 0.0
    with tempfile.TemporaryDirectory(prefix="linkage_bench_") as tmp:
        paths = make_project(Path(tmp), args.n_persons)
        params = load_params(paths.params)
        for stage in ("synthesize", "ingest"):
            run = run_stage(Path(tmp), stage)
            seconds[stage], peak_preparation = run["seconds"], max(peak_preparation, run["peak_memory_gb"])
        frames = {s: pd.read_parquet(paths.clean / f"{s}.parquet") for s in codebook.person_sources()}
        truth = pd.read_parquet(paths.truth / "records.parquet")
    settings = params["linkage"]
    threshold = float(settings["threshold"])
    result = pipeline.link_records(
        frames,
        threshold=threshold,
        max_pairs_em=float(settings["max_pairs_em"]),
        seed=params["seed"],
        memory_limit=settings.get("duckdb_memory_limit"),
    )
    seconds |= {f"link_{k}": v for k, v in result.timings.items()}
    clusters = result.clusters.rename(columns={"source_dataset": "source", "unique_id": "record_id"})
    quality = evaluate.quality_metrics(result.predictions, clusters, result.prepared, truth, threshold)
    figures = {
        "n_persons": args.n_persons,
        "records": int(sum(len(f) for f in frames.values())),
        "true_persons": int(truth["person_id"].nunique()),
        "pairs_compared": result.pairs_compared,
        "seconds": {k: round(v, 1) for k, v in seconds.items()},
        "peak_memory_gb_linkage": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2, 2),
        "peak_memory_gb_synthesize_ingest": round(peak_preparation, 2),
        "duckdb_memory_limit": settings.get("duckdb_memory_limit"),
        "pairwise": quality["pairwise"],
        "bcubed": quality["bcubed"],
        "deterministic_bcubed": quality["deterministic"]["bcubed"],
    }
    save_figures(figures, args.out, echo=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
