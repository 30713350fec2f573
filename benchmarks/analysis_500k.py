"""Benchmark the ``profiles``, ``chronicity`` and ``alerts`` stages on a 500,000-person region.

Prepares a scratch project with the project's own stages (``synthesize``, ``ingest``, ``link`` as in
:mod:`warehouse_500k`, then ``warehouse``; each skipped when its output already exists, so an
interrupted run can resume with ``--project``), then runs each measured stage in its own process, as
``dvc repro`` does, and reports its wall time and that process's peak memory, with the headline
figures of its metrics file. Goals: profiles (issue 9), chronicity and alerts (issue 10) within
10 minutes each on 2 cores.

Usage::

    .venv/bin/python benchmarks/analysis_500k.py [--n-persons 500000] [--project DIR] [--out FILE]
        [--stages profiles chronicity alerts]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from harness import current_analysis_params, run_stage, save_figures
from warehouse_500k import prepare

from pact_analysis.paths import Paths

#: Headline figures copied from each stage's metrics file; a missing one is an error (a renamed
#: metric must be renamed here too, not silently dropped).
HEADLINES = {
    "profiles": [
        "n_persons",
        "k_chosen",
        "k_true",
        "ari",
        "supervised_ceiling_ari",
        "lca_starts",
        "best_ll_replicated",
        "bootstrap_replicates",
        "min_true_profile_jaccard",
    ],
    "chronicity": [
        "spells",
        "median_months",
        "c_index",
        "share_of_achievable_gain",
        "deployed_auc",
        "deployed_calibration_slope",
        "validated_landmarks",
    ],
    "alerts": ["recipients_scored", "alerts", "alert_share", "threshold"],
}


def headline(paths: Paths, stage: str) -> dict[str, object]:
    """The figures of :data:`HEADLINES` in ``metrics/<stage>.json``."""
    metrics = json.loads(paths.metric(stage).read_text(encoding="utf-8"))
    return {k: metrics[k] for k in HEADLINES.get(stage, [])}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print (and optionally write) its figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-persons", type=int, default=500_000)
    parser.add_argument("--project", type=Path, default=None, help="scratch project to create or reuse")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--stages", nargs="+", default=["profiles", "chronicity", "alerts"])
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="analysis_bench_") as tmp:
        project = args.project or Path(tmp)
        paths = Paths(project)
        figures: dict[str, object] = {
            "n_persons": args.n_persons,
            "cpus": os.cpu_count(),
            "seconds_preparation": prepare(project, args.n_persons),
        }
        current_analysis_params(project)
        if not paths.metric("warehouse").exists():
            figures["seconds_preparation"]["warehouse"] = run_stage(project, "warehouse")["seconds"]
        for stage in args.stages:
            print(f">> {stage} on {args.n_persons:,} persons", file=sys.stderr, flush=True)
            figures[stage] = run_stage(project, stage) | headline(paths, stage)
            save_figures(figures, args.out)  # keep what was measured if a later stage fails
    save_figures(figures, args.out, echo=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
