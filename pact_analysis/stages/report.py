"""The ``report NAME`` stages: execute ``notebooks/NAME.py`` once per language and render it to HTML.

Writes ``reports/{es,en}/NAME.html`` and the report's tables and findings in ``reports/tables/NAME``.
A report whose optional extracts were not delivered is a page naming them
(:func:`pact_analysis.report.render.render_notebook`).
"""

from __future__ import annotations

from typing import Any

from pact_analysis.paths import Paths
from pact_analysis.report.render import render_notebook


def run(paths: Paths, params: dict[str, Any], notebook: str) -> None:
    """Render one report in every language.

    Parameters
    ----------
    paths : Paths
        Project paths.
    params : dict
        Validated parameters (those the notebook declares are passed to it).
    notebook : str
        Notebook name without extension, e.g. ``"03_chronicity"``.
    """
    render_notebook(notebook, paths, params)
