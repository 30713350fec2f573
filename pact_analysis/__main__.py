"""Command line of the data-preparation stages: ``python -m pact_analysis STAGE``.

Each stage reads ``params.yaml`` and the project paths, and is one ``dvc.yaml`` stage:

- ``synthesize``: write the synthetic region to ``data/raw`` and ``data/truth`` (or, with
  ``data.source: files``, stage the delivered extracts from ``data/extracts``);
- ``ingest``: validate every raw extract against its schema and write ``data/interim/clean``;
- ``link``: link persons across sources, pseudonymise, write ``data/processed``;
- ``report NOTEBOOK``: execute a notebook with papermill and render it to ``reports/``;
- ``index``: write ``reports/index.html`` with provenance;
- ``check``: the data-protection checks on everything that is published.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from pathlib import Path

from pact_analysis.config import Paths, load_params
from pact_analysis.errors import StageError

STAGES = {
    "synthesize": "pact_analysis.synth",
    "ingest": "pact_analysis.ingest",
    "link": "pact_analysis.linkage",
    "index": "pact_analysis.report",
    "check": "pact_analysis.disclosure",
}


def main(argv: list[str] | None = None) -> int:
    """Run one stage; return the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m pact_analysis", description=__doc__.split("\n")[0])
    parser.add_argument("stage", choices=[*STAGES, "report"])
    parser.add_argument("notebook", nargs="?", help="notebook name for the report stage, e.g. 00_overview")
    parser.add_argument("--root", type=Path, default=None, help="project root (default: this checkout)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    paths = Paths(args.root)
    params = load_params(paths.params)
    try:
        if args.stage == "report":
            if not args.notebook:
                parser.error("report needs a notebook name, e.g. 00_overview")
            from pact_analysis import report

            report.render_notebook(args.notebook, paths, params)
        else:
            importlib.import_module(STAGES[args.stage]).run(paths, params)
    except StageError as err:
        print(f"pact-analysis {args.stage}: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
