"""``python -m pact_analysis pdf`` (``make pdf``; not a DVC stage): print every report with Chromium."""

from __future__ import annotations

import logging
from typing import Any

from pact_analysis.paths import Paths
from pact_analysis.report.browser import write_pdfs

log = logging.getLogger(__name__)


def run(paths: Paths, params: dict[str, Any]) -> None:
    """Write ``reports/pdf/<lang>/<report>.pdf`` for every report page (needs Debian's ``chromium``).

    Parameters
    ----------
    paths : Paths
        Project paths.
    params : dict
        Validated parameters (unused).
    """
    for pdf in write_pdfs(paths.reports):
        log.info("wrote %s", pdf.relative_to(paths.root))
