"""The reports as a reader sees them: headless Chromium opens every page, offline.

A page fails on a console error, a failed request, a request to a non-local URL, an image that did
not decode, a broken internal link, or a language switch that does not lead to the same report in
the other language. A screenshot of every page is kept under build/screenshots/ (a test artefact).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pact_analysis.paths import ROOT
from pact_analysis.report import browser, i18n

pytestmark = [
    pytest.mark.xdist_group("dvc"),  # the rendered reports of the tiny DVC run
    pytest.mark.skipif(
        browser.find_chromium() is None and not Path("/usr/bin/chromium").exists(),
        reason=browser.INSTALL_HINT + " (.ci/run installs it)",
    ),
]

SCREENSHOTS = ROOT / "build" / "screenshots"
PNG_1PX = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


@pytest.fixture(scope="session")  # session: xdist may interleave other modules; built once
def chromium():
    with browser.chromium() as b:
        yield b


def test_every_report_page_reads_offline_without_errors(rendered_reports, chromium):
    pages = browser.report_pages(rendered_reports.reports)
    assert len(pages) >= 2 * 4, "index, methods and two reports in each language"
    problems = {}
    for page in pages:
        shot = SCREENSHOTS / page.parent.name / f"{page.stem}.png"
        found = browser.check_page(chromium, page, shot)
        if found:
            problems[f"{page.parent.name}/{page.name}"] = found
        assert shot.stat().st_size > 10_000
    assert problems == {}


def test_every_figure_decodes_in_the_browser(rendered_reports, chromium):
    for lang in i18n.LANGUAGES:
        page = rendered_reports.reports / lang / "00_overview.html"
        assert browser.count_images(chromium, page) == page.read_text().count("<img ")


def _site(tmp_path: Path, body: str) -> Path:
    """Two language versions of one page (so the switch is valid) with ``body`` in the Spanish one."""
    from pact_analysis.report.shell import page

    for lang in i18n.LANGUAGES:
        (tmp_path / lang).mkdir(parents=True, exist_ok=True)
        (tmp_path / lang / "index.html").write_text("")
        html = page(body if lang == "es" else "<p>ok</p>", lang, "t", "x.html")
        (tmp_path / lang / "x.html").write_text(html)
    return tmp_path / "es" / "x.html"


def test_a_good_page_passes(tmp_path, chromium):
    assert (
        browser.check_page(
            chromium, _site(tmp_path, f'<img src="data:image/png;base64,{PNG_1PX}" alt="dot">')
        )
        == []
    )


def test_a_request_to_a_non_local_url_fails(tmp_path, chromium):
    found = browser.check_page(
        chromium, _site(tmp_path, '<img src="https://example.org/logo.png" alt="logo">')
    )
    assert any("non-local URL: https://example.org/logo.png" in p for p in found)


def test_a_broken_image_fails(tmp_path, chromium):
    found = browser.check_page(
        chromium, _site(tmp_path, '<img src="data:image/png;base64,AAAA" alt="broken">')
    )
    assert any("image did not decode: broken" in p for p in found)


def test_a_broken_internal_link_and_a_console_error_fail(tmp_path, chromium):
    found = browser.check_page(
        chromium, _site(tmp_path, '<a href="nowhere.html">x</a><script>console.error("boom")</script>')
    )
    assert any("broken internal link" in p for p in found)
    assert any("console error: boom" in p for p in found)


def test_a_language_switch_to_another_report_fails(tmp_path, chromium):
    path = _site(tmp_path, "<p>ok</p>")
    path.write_text(path.read_text().replace('href="../en/x.html"', 'href="../en/index.html"'))
    assert any("language switch" in p for p in browser.check_page(chromium, path))


def test_pdf_prints(rendered_reports, chromium, tmp_path):
    pdf = browser.print_pdf(
        chromium, rendered_reports.reports / "es" / "00_overview.html", tmp_path / "o.pdf"
    )
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 20_000
    shutil.rmtree(tmp_path, ignore_errors=True)
