"""The HTML reports evaluators read: notebooks rendered in Spanish and English, and their index.

- :mod:`.i18n`: translation catalogues (``pact_analysis/locales``) and locale formatting (Babel);
- :mod:`.page`: what a report notebook calls (findings, text, figures, tables, footer);
- :mod:`.render`: papermill execution per language and nbconvert export;
- :mod:`.shell`: the shared page (stylesheet, navigation, language switch);
- :mod:`.navigation`: anchored headings, contents list, previous/next, cross-references (every page);
- :mod:`.references`: each report's references section, from the one bibliography ``references.yaml``;
- :mod:`.figures`: figures drawn for readers with catalogue labels (the linkage model's weights);
- :mod:`.typography`: what a reader of each language would correct in a rendered page;
- :mod:`.index`: the sign-off index (findings, figures with their strength of evidence: :mod:`.evidence`)
  and the methods page;
- :mod:`.provenance`: commit, fingerprints, parameters and package versions of a run;
- :mod:`.browser`: opening the pages in headless Chromium (checks, screenshots, PDF).

Tables are published only through :meth:`.page.Report.table`, which applies the disclosure control,
keeps a CSV copy in the page's language under ``reports/tables/<report>/<lang>/`` for the ``check``
stage and links it under the table. A number that may appear in more than one place is published through
:meth:`.page.Report.quantity` (or a table's ``quantity_cells``), so that the ``check`` and ``index``
stages can hold it to one value and one suppression decision
(:mod:`pact_analysis.disclosure.quantities`).
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
