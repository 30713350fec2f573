"""Command line of the data-preparation stages: ``python -m pact_analysis STAGE``.

Each stage reads ``params.yaml`` and the project paths, and is one ``dvc.yaml`` stage:

- ``synthesize``: write the synthetic region to ``data/raw`` and ``data/truth`` (or, with
  ``data.source: files``, stage the delivered extracts from ``data/extracts``);
- ``ingest``: validate every raw extract against its schema and write ``data/interim/clean``;
- ``key``: record the pseudonymisation key's fingerprint in ``metrics/key.json`` (never the key);
- ``link``: link persons across sources, pseudonymise, write ``data/processed``;
- ``warehouse``: DuckDB star schema, risk indicators and lists per CEAS in ``data/warehouse``;
- ``chronicity``: survival models, the predictive model and its audit in ``data/interim/chronicity`` and
  ``metrics/chronicity.json`` (read by report ``03_chronicity``);
- ``alerts``: chronicity alerts per CEAS for case managers in ``data/alerts`` (reads ``data/feedback``);
- ``profiles``: latent class profiles, stability, pathways and their validation in ``data/profiles``;
- ``report NOTEBOOK``: execute a notebook with papermill and render it to ``reports/``;
- ``index``: write ``reports/index.html`` with provenance;
- ``check``: the data-protection checks on everything that is published;
- ``pdf`` (not a DVC stage; ``make pdf``): print every report to ``reports/pdf/`` with Chromium.

Before any stage, ``codebook.yaml`` is checked against its schema
(:func:`pact_analysis.codebook.validate_codebook`). When a stage fails, the reports of the previous
run are marked as stale (:func:`pact_analysis.runstatus.record_failure`).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from pathlib import Path

from pact_analysis import codebook, runstatus
from pact_analysis.errors import StageError
from pact_analysis.params import load_params
from pact_analysis.paths import Paths
from pact_analysis.workers import LOG_FORMAT

#: The stages, each a module of :mod:`pact_analysis.stages` with ``run(paths, params)``.
STAGES = (
    "synthesize",
    "ingest",
    "key",
    "link",
    "warehouse",
    "profiles",
    "chronicity",
    "alerts",
    "pilot",
    "spending",
    "check",
    "index",
    "pdf",
)


def main(argv: list[str] | None = None) -> int:
    """Run one stage; return the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m pact_analysis", description=__doc__.split("\n")[0])
    parser.add_argument("stage", choices=[*STAGES, "report"])
    parser.add_argument("notebook", nargs="?", help="notebook name for the report stage, e.g. 00_overview")
    parser.add_argument("--root", type=Path, default=None, help="project root (default: this checkout)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    if args.stage == "report" and not args.notebook:
        parser.error("report needs a notebook name, e.g. 00_overview")
    paths = Paths(args.root)
    try:
        params = load_params(paths.params)  # stops on an unknown key, a wrong type or a bad value
        codebook.validate_codebook()
        stage = importlib.import_module(f"pact_analysis.stages.{args.stage}")
        if args.stage == "report":
            stage.run(paths, params, args.notebook)
        else:
            stage.run(paths, params)
    except StageError as err:
        print(f"pact-analysis {args.stage}: {err}", file=sys.stderr)
        runstatus.record_failure(paths, _stage_label(args), runstatus.failure_message(err))
        return 2
    except Exception as err:
        runstatus.record_failure(paths, _stage_label(args), runstatus.failure_message(err))
        raise
    return 0


def _stage_label(args: argparse.Namespace) -> str:
    """Return the stage as the user ran it: ``ingest``, ``report 00_overview``..."""
    return " ".join(filter(None, [args.stage, args.notebook]))


if __name__ == "__main__":
    sys.exit(main())
