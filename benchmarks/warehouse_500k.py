"""Benchmark the ``warehouse`` stage on a region-scale synthetic population (default 500,000 persons).

Prepares a scratch project with the project's own stages, each in its own process as under
``dvc repro`` (``synthesize``, ``ingest``, ``link``; skipped when ``--project`` already holds
``data/processed``, e.g. from an earlier run), then runs the ``warehouse`` stage in this process and
reports its wall time, its peak memory (this process, DuckDB included), the row counts and the
warehouse size. Goal (issue 9): under 10 minutes on 2 cores.

Usage::

    .venv/bin/python benchmarks/warehouse_500k.py [--n-persons 500000] [--project DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import sys
import tempfile
import time
from pathlib import Path

from harness import make_project, run_stage, save_figures

from pact_analysis.params import load_params
from pact_analysis.paths import ROOT, Paths
from pact_analysis.stages import warehouse


def prepare(project: Path, n_persons: int) -> dict[str, float]:
    """Lay out ``project`` and run synthesize, ingest and link unless ``data/processed`` exists."""
    paths = Paths(project)
    seconds: dict[str, float] = {}
    if (paths.processed / "persons.parquet").exists():
        return seconds
    make_project(project, n_persons)
    for stage in ("synthesize", "ingest", "link"):
        seconds[stage] = round(run_stage(project, stage)["seconds"], 1)
    return seconds


def measure(project: Path) -> dict[str, object]:
    """Run the warehouse stage on a prepared project; return time, peak memory and sizes."""
    paths = Paths(project)
    params = load_params(paths.params)
    params.setdefault("warehouse", load_params(ROOT / "params.yaml")["warehouse"])
    start = time.perf_counter()
    warehouse.run(paths, params)
    seconds = time.perf_counter() - start
    metrics = json.loads((paths.warehouse_parquet / "summary.json").read_text(encoding="utf-8"))
    size = sum(p.stat().st_size for p in paths.warehouse.rglob("*") if p.is_file())
    return {
        "seconds_warehouse": round(seconds, 1),
        "peak_memory_gb_warehouse": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2, 2),
        "duckdb_memory_limit": params["warehouse"].get("duckdb_memory_limit"),
        "warehouse_size_mb": round(size / 1024**2, 1),
        "rows": metrics["rows"],
        "persons_known": metrics["persons_known"],
        "persons_by_risk_situation": metrics["persons_by_risk_situation"],
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print (and optionally write) its figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-persons", type=int, default=500_000)
    parser.add_argument("--project", type=Path, default=None, help="scratch project to create or reuse")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="warehouse_bench_") as tmp:
        project = args.project or Path(tmp)
        figures: dict[str, object] = {
            "n_persons": args.n_persons,
            "seconds_preparation": prepare(project, args.n_persons),
        }
        figures["peak_memory_gb_preparation"] = round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2, 2
        )
        figures |= measure(project)
    save_figures(figures, args.out, echo=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
