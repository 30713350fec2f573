"""Every folder and file that one stage writes and another reads, named once.

No module builds a pipeline path by hand: it asks a :class:`Paths` for it. ``dvc.yaml`` names the
same folders (a test checks that every stage's ``outs`` is a :class:`Paths` attribute).
"""

from __future__ import annotations

import os
from pathlib import Path

#: Root of the project: the folder holding ``params.yaml`` (overridable for tests with ``PACT_ROOT``).
ROOT = Path(os.environ.get("PACT_ROOT", Path(__file__).resolve().parent.parent))


class Paths:
    """Where each stage reads and writes, relative to a project root.

    Parameters
    ----------
    root : Path, optional
        Project root; defaults to :data:`ROOT`.

    Notes
    -----
    Folders (``data/...``) are DVC outputs unless said otherwise; files under ``metrics/`` are the
    stages' DVC metrics.
    """

    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root or ROOT)
        data = self.root / "data"
        self.params = self.root / "params.yaml"
        self.notebooks = self.root / "notebooks"
        self.build = self.root / "build"
        # Inputs kept outside DVC's outputs.
        self.extracts = data / "extracts"  # real extracts as delivered (never DVC outs, never committed)
        self.feedback = data / "feedback"  # case managers' responses to alerts
        self.review = data / "review"  # the labelled clerical review (identities: never committed)
        # Stage outputs, in pipeline order.
        self.raw = data / "raw"  # synthesize
        self.truth = data / "truth"  # synthesize (synthetic region only)
        self.interim = data / "interim"
        self.clean = self.interim / "clean"  # ingest: the typed tables and what was delivered
        self.ingest_details = self.interim / "ingest"  # ingest: format, blank shares (not read by link)
        self.linkage = self.interim / "linkage"  # link (identities: never published)
        self.linkage_summary = self.linkage / "summary.json"  # link: every count and quality figure
        self.processed = data / "processed"  # link (pseudonymised)
        self.warehouse = data / "warehouse"
        self.warehouse_parquet = self.warehouse / "parquet"  # warehouse
        self.warehouse_lists = self.warehouse / "lists"  # warehouse (never published)
        self.warehouse_db = self.warehouse / "pact.duckdb"  # warehouse (not tracked by DVC)
        self.profiles = data / "profiles"  # profiles
        self.chronicity = self.interim / "chronicity"  # chronicity
        self.alerts = data / "alerts"  # alerts (lists never published)
        self.pilot = data / "pilot"  # pilot
        self.spending = data / "spending"  # spending
        self.reports = self.root / "reports"  # report_*, index
        self.report_tables = self.reports / "tables"
        self.disclosure_record = self.report_tables / "disclosure.json"  # check: every table and file checked
        self.metrics = self.root / "metrics"
        self.benchmarks = self.root / "benchmarks"

    def metric(self, stage: str) -> Path:
        """Return the metrics file of a stage: ``metrics/<stage>.json``.

        Parameters
        ----------
        stage : str
            Stage name, e.g. ``"chronicity"``.
        """
        return self.metrics / f"{stage}.json"

    def tables(self, report: str) -> Path:
        """Return the folder of a report's published tables: ``reports/tables/<report>``.

        Parameters
        ----------
        report : str
            Report (notebook) name, e.g. ``"03_chronicity"``.
        """
        return self.report_tables / report
