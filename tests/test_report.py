"""Tests of report rendering helpers: parameters, offline HTML, provenance and the index."""

from __future__ import annotations

import datetime as dt

import pytest

from pact_analysis import report
from pact_analysis.config import Paths
from pact_analysis.errors import StageError


def test_flatten_and_dotted_names_are_inverse():
    params = {
        "seed": 1,
        "data": {"source": "synthetic", "extraction_date": dt.date(2018, 10, 31)},
        "a": {"b": {"c": 2}},
    }
    flat = report.flatten_params(params)
    assert flat == {"seed": 1, "data_source": "synthetic", "data_extraction_date": "2018-10-31", "a_b_c": 2}
    assert report.dotted_names(params) == {
        "seed": "seed",
        "data_source": "data.source",
        "data_extraction_date": "data.extraction_date",
        "a_b_c": "a.b.c",
    }


def test_undeclared_parameter_is_refused(tmp_path):
    nb = tmp_path / "x.py"
    nb.write_text('# %% tags=["parameters"]\nroot = "."\nnot_a_param = 3\n\n# %%\nprint(root)\n')
    declared = report.declared_parameters(nb, tmp_path)
    assert declared == ["root", "not_a_param"]
    with pytest.raises(StageError, match="not_a_param"):
        report.notebook_parameters(tmp_path / "x.ipynb", {"seed": 1}, tmp_path)


def test_offline_html_drops_cdn_scripts_only():
    page = (
        '<script src="https://cdnjs.cloudflare.com/ajax/libs/require.js/2.1.10/require.min.js"></script>\n'
        '<script type="module">import m from "https://cdnjs.cloudflare.com/x.mjs"; m.run();</script>'
        "<script>var local = 1;</script><p>keep</p>"
    )
    out = report.offline_html(page)
    assert "https://" not in out
    assert "var local = 1" in out and "<p>keep</p>" in out


def test_data_fingerprint_changes_with_content_and_names(tmp_path):
    folder = tmp_path / "raw"
    folder.mkdir()
    (folder / "a.csv").write_text("x;y\n1;2\n")
    first = report.data_fingerprint(folder)
    assert first == report.data_fingerprint(folder)
    (folder / "a.csv").write_text("x;y\n1;3\n")
    second = report.data_fingerprint(folder)
    assert second != first
    (folder / "a.csv").rename(folder / "b.csv")
    assert report.data_fingerprint(folder) != second
    assert report.data_fingerprint(tmp_path / "nothing") == "missing"


def test_index_links_rendered_reports_and_states_provenance(tmp_path):
    paths = Paths(tmp_path)
    paths.reports.mkdir(parents=True)
    (paths.reports / "00_overview.html").write_text("<html></html>")
    params = {"seed": 7, "data": {"source": "synthetic"}}
    page = report.build_index(paths, params).read_text()
    assert 'href="00_overview.html"' in page
    assert "01_record_linkage (not rendered)" not in page and "(not rendered)" in page
    assert "synthetic region" in page
    assert "git commit" in page and "fingerprint" in page and "pandas" in page
    assert "&quot;seed&quot;: 7" in page
