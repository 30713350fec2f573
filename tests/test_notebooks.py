"""Every report notebook executes with papermill on the tiny region and renders readable, safe HTML."""

from __future__ import annotations

import pytest

from pact_analysis import report
from pact_analysis.config import load_params

pytestmark = pytest.mark.xdist_group("tiny_region")


@pytest.mark.parametrize("name", list(report.REPORTS))
def test_notebook_renders_to_offline_html_without_code(tiny_project, name):
    if not (tiny_project.notebooks / f"{name}.py").exists():
        pytest.fail(f"report {name} is listed in report.REPORTS but notebooks/{name}.py is missing")
    html_path = report.render_notebook(name, tiny_project, load_params(tiny_project.params))
    page = html_path.read_text()
    assert "<h1" in page and "Provenance" in page
    assert 'src="https://' not in page and "cdnjs" not in page, "reports must not load anything from a CDN"
    assert "report.setup_notebook()" not in page, "code cells must be hidden"
    assert "Traceback" not in page
    tables = tiny_project.reports / "tables" / name
    assert tables.is_dir() and any(tables.glob("*.csv")), "published tables are kept for the disclosure check"
