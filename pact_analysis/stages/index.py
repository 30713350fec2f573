"""The ``index`` stage: the index and methods pages in every language, scanned for identities.

The ``check`` stage ran before it, so the index scans its own pages for the identities of the raw
extracts and stops on a finding, and checks that the figures it shows agree with every report's
(:func:`pact_analysis.disclosure.quantities.check_quantities`); a successful index clears the
stale-report banner.
"""

from __future__ import annotations

from typing import Any

from pact_analysis import disclosure, runstatus
from pact_analysis.disclosure.quantities import check_quantities
from pact_analysis.errors import StageError
from pact_analysis.paths import Paths
from pact_analysis.report.i18n import LANGUAGES
from pact_analysis.report.index import build_index


def run(paths: Paths, params: dict[str, Any]) -> None:
    """Run the stage (see the module docstring).

    Parameters
    ----------
    paths : Paths
        Project paths.
    params : dict
        Validated parameters.

    Raises
    ------
    StageError
        If an identifier of the raw extracts appears in an index page, or a quantity the index shows
        has another value (or suppression decision) in a report.
    """
    build_index(paths, params)
    pages = [paths.reports / "index.html"] + [
        paths.reports / lang / f"{p}.html" for lang in LANGUAGES for p in ("index", "methods")
    ]
    scan = disclosure.scan_for_pii(pages, disclosure.collect_identities(paths.raw), root=paths.root)
    if scan["findings"]:
        raise StageError("identifiers found in the index pages: " + "; ".join(map(str, scan["findings"])))
    conflicts = check_quantities(paths.reports)["problems"]
    if conflicts:
        raise StageError(
            "quantities published with two values or suppression decisions: " + "; ".join(conflicts)
        )
    runstatus.clear(paths)
