"""Project paths and parameters (``params.yaml``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

#: Root of the project: the folder holding ``params.yaml`` (overridable for tests).
ROOT = Path(os.environ.get("PACT_ROOT", Path(__file__).resolve().parent.parent))


class Paths:
    """Where each stage reads and writes, relative to a project root.

    Parameters
    ----------
    root : Path, optional
        Project root; defaults to :data:`ROOT`.
    """

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root or ROOT)
        self.extracts = self.root / "data" / "extracts"  # real extracts as delivered (never DVC outs)
        self.raw = self.root / "data" / "raw"
        self.truth = self.root / "data" / "truth"
        self.interim = self.root / "data" / "interim"
        self.clean = self.interim / "clean"
        self.processed = self.root / "data" / "processed"
        self.warehouse = self.root / "data" / "warehouse"
        self.reports = self.root / "reports"
        self.metrics = self.root / "metrics"
        self.notebooks = self.root / "notebooks"
        self.params = self.root / "params.yaml"


def load_params(path: Path | None = None) -> dict[str, Any]:
    """Read ``params.yaml``.

    Parameters
    ----------
    path : Path, optional
        Parameters file; defaults to the project's ``params.yaml``.

    Returns
    -------
    dict
        The parameters, with dates left as :class:`datetime.date`.
    """
    path = Path(path or Paths().params)
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)
