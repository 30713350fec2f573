"""Stale reports: a failed stage leaves a marker and a banner on the index pages, a success clears them."""

from __future__ import annotations

import datetime as dt

import pytest

from pact_analysis import __main__ as cli
from pact_analysis import runstatus
from pact_analysis.errors import ExtractError
from pact_analysis.paths import Paths

WHEN = dt.datetime(2018, 11, 2, 9, 30, 5, tzinfo=dt.UTC)
PAGE = '<!doctype html>\n<html lang="{lang}"><head><title>t</title></head>\n<body class="x">\n<h1>Informes</h1>\n</body></html>\n'


@pytest.fixture
def paths(tmp_path) -> Paths:
    """A project whose reports folder holds the three index pages of a previous run."""
    paths = Paths(tmp_path)
    for page, lang in [("index.html", "es"), ("es/index.html", "es"), ("en/index.html", "en")]:
        (paths.reports / page).parent.mkdir(parents=True, exist_ok=True)
        (paths.reports / page).write_text(PAGE.format(lang=lang), encoding="utf-8")
    return paths


def test_a_failure_writes_the_marker_with_stage_time_and_message(paths):
    runstatus.record_failure(paths, "ingest", "rgc_spells.csv: row 3, column household_size: bad", WHEN)
    text = (paths.reports / "STALE.txt").read_text()
    assert text.startswith(
        "The reports in this folder are from an earlier run; stage ingest failed at 2018-11-02 09:30:05 UTC: "
        "rgc_spells.csv: row 3, column household_size: bad\n"
    )
    assert runstatus.is_stale(paths)


def test_the_banner_follows_the_body_tag_in_the_language_of_the_page(paths):
    runstatus.record_failure(paths, "link", "no pseudonymisation key <set one>", WHEN)
    spanish = (paths.reports / "es" / "index.html").read_text()
    english = (paths.reports / "en" / "index.html").read_text()
    assert '<body class="x"><div class="stale-banner" role="alert"' in spanish
    assert (
        "Estos informes son de una ejecución anterior: la etapa link falló el 2018-11-02 a las 09:30 UTC: "
        "no pseudonymisation key &lt;set one&gt;</div>"
    ) in spanish
    assert "These reports are from an earlier run: stage link failed on 2018-11-02 at 09:30 UTC" in english
    assert "Estos informes" in (paths.reports / "index.html").read_text()


def test_a_second_failure_replaces_the_banner(paths):
    runstatus.record_failure(paths, "link", "first", WHEN)
    runstatus.record_failure(paths, "check", "second", WHEN)
    page = (paths.reports / "en" / "index.html").read_text()
    assert page.count("stale-banner") == 1
    assert "stage check failed" in page and "first" not in page


def test_clear_restores_the_pages_exactly_and_removes_the_marker(paths):
    before = {p: p.read_bytes() for p in paths.reports.rglob("*.html")}
    runstatus.record_failure(paths, "ingest", "x", WHEN)
    assert all(p.read_bytes() != data for p, data in before.items())
    runstatus.clear(paths)
    assert {p: p.read_bytes() for p in paths.reports.rglob("*.html")} == before
    assert not runstatus.is_stale(paths)
    runstatus.clear(paths)  # idempotent


def test_a_failure_before_any_report_writes_only_the_marker(tmp_path):
    paths = Paths(tmp_path)
    runstatus.record_failure(paths, "synthesize", "no extract", WHEN)
    assert [p.name for p in paths.reports.iterdir()] == ["STALE.txt"]


def test_failure_message_keeps_stage_errors_and_hides_other_exceptions_text():
    assert runstatus.failure_message(ExtractError("a.csv", ["row 2, column x: bad"])) == (
        "a.csv: row 2, column x: bad"
    )
    hidden = runstatus.failure_message(ValueError("could not convert '12345678Z'"))
    assert "12345678Z" not in hidden and "ValueError" in hidden


def test_a_failing_stage_marks_the_reports_stale(paths, capsys):
    (paths.root / "params.yaml").write_text("data: {source: files, extraction_date: 2018-10-31}\n")
    assert cli.main(["synthesize", "--root", str(paths.root)]) == 2
    assert "holds no extract" in capsys.readouterr().err
    assert "stage synthesize failed" in (paths.reports / "STALE.txt").read_text()
    assert "la etapa synthesize falló" in (paths.reports / "es" / "index.html").read_text()


def test_an_unexpected_exception_marks_the_reports_stale_and_propagates(paths, monkeypatch):
    from pact_analysis.stages import ingest

    def crash(*_args):
        raise RuntimeError("value 12345678Z")

    monkeypatch.setattr(ingest, "run", crash)
    (paths.root / "params.yaml").write_text("data: {source: synthetic}\n")
    with pytest.raises(RuntimeError):
        cli.main(["ingest", "--root", str(paths.root)])
    text = (paths.reports / "STALE.txt").read_text()
    assert "stage ingest failed" in text and "RuntimeError" in text
    assert "12345678Z" not in text
