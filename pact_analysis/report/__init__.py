"""The HTML reports evaluators read: notebooks rendered in Spanish and English, and their index.

- :mod:`.i18n`: translation catalogues (``pact_analysis/locales``) and locale formatting (Babel);
- :mod:`.page`: what a report notebook calls (findings, text, figures, tables, footer);
- :mod:`.render`: papermill execution per language and nbconvert export;
- :mod:`.shell`: the shared page (stylesheet, navigation, language switch);
- :mod:`.index`: the executive-summary index and the methods page;
- :mod:`.provenance`: commit, fingerprints, parameters and package versions of a run;
- :mod:`.browser`: opening the pages in headless Chromium (checks, screenshots, PDF).

Tables are published only through :meth:`.page.Report.table`, which applies the disclosure control
and keeps a CSV copy under ``reports/tables/<report>/`` for the ``check`` stage.
"""

from __future__ import annotations

from pact_analysis.report.i18n import LANGUAGES
from pact_analysis.report.index import REPORTS, build_index
from pact_analysis.report.page import start
from pact_analysis.report.provenance import data_fingerprint, provenance
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
    "flatten_params", "notebook_parameters", "offline_html", "provenance", "render_notebook",
    "start", "to_ipynb",
]  # fmt: skip
