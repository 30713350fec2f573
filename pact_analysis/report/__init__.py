"""The HTML reports evaluators read: notebooks rendered in Spanish and English, and their index.

- :mod:`.i18n`: translation catalogues (``pact_analysis/locales``) and locale formatting (Babel);
- :mod:`.page`: what a report notebook calls (findings, text, figures, tables, footer);
- :mod:`.render`: papermill execution per language and nbconvert export;
- :mod:`.shell`: the shared page (stylesheet, navigation, language switch);
- :mod:`.index`: the executive-summary index, the methods page and provenance;
- :mod:`.browser`: opening the pages in headless Chromium (checks, screenshots, PDF).

Tables are published only through :meth:`.page.Report.table`, which applies the disclosure control
and keeps a CSV copy under ``reports/tables/<report>/`` for the ``check`` stage.
"""

from __future__ import annotations

from typing import Any

from pact_analysis.config import Paths
from pact_analysis.report.i18n import LANGUAGES
from pact_analysis.report.index import REPORTS, build_index, data_fingerprint, provenance
from pact_analysis.report.page import start
from pact_analysis.report.render import (
    declared_parameters,
    dotted_names,
    flatten_params,
    notebook_parameters,
    offline_html,
    render_notebook,
    to_ipynb,
)

__all__ = [
    "LANGUAGES", "REPORTS", "build_index", "data_fingerprint", "declared_parameters", "dotted_names",
    "flatten_params", "notebook_parameters", "offline_html", "provenance", "render_notebook", "run",
    "start", "to_ipynb",
]  # fmt: skip


def run(paths: Paths, params: dict[str, Any]) -> None:
    """The ``index`` stage: write the index and methods pages in every language, then scan them.

    The ``check`` stage ran before them, so the index scans its own pages for the identities of the raw
    extracts and stops (:class:`StageError`) on a finding.
    """
    from pact_analysis import disclosure, runstatus
    from pact_analysis.errors import StageError

    build_index(paths, params)
    pages = [paths.reports / "index.html"] + [
        paths.reports / lang / f"{p}.html" for lang in LANGUAGES for p in ("index", "methods")
    ]
    scan = disclosure.scan_for_pii(pages, disclosure.collect_identities(paths.raw), root=paths.root)
    if scan["findings"]:
        raise StageError("identifiers found in the index pages: " + "; ".join(map(str, scan["findings"])))
    runstatus.clear(paths)
