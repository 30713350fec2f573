"""The reports as a reader sees them: headless Chromium opens every page, offline.

A page fails on a console error, a failed request, a request to a non-local URL, an image that did
not decode, a broken internal link or anchor, a language switch that does not lead to the same report
in the other language, and (a report page) a missing contents list, previous/next or index link,
references section or link to a table's CSV. A screenshot of every page is kept under build/screenshots/ (a test artefact).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pact_analysis import report
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


def test_no_table_or_figure_is_cut_at_the_printed_page_edge(rendered_reports, chromium):
    cut = {
        f"{page.parent.name}/{page.name}": found
        for page in browser.report_pages(rendered_reports.reports)
        if (found := browser.print_overflow(chromium, page))
    }
    assert cut == {}


def test_a_table_wider_than_the_printed_page_is_named_and_a_narrow_one_is_not(tmp_path, chromium):
    cells = "".join(f"<td>{'x' * 30}{i}</td>" for i in range(12))  # unbreakable words
    wide = f'<div class="table-wrap"><table><caption>Wide one</caption><tr>{cells}</tr></table></div>'
    narrow = '<div class="table-wrap"><table><caption>Narrow one</caption><tr><td>1</td></tr></table></div>'
    found = browser.print_overflow(chromium, _site(tmp_path, narrow + wide))
    assert len(found) == 1 and "Wide one" in found[0]
    assert browser.print_overflow(chromium, _site(tmp_path, narrow)) == []
    # printed on a landscape page of its own, a table may be as wide as that page, not wider
    cells = "".join(f"<td>{'x' * 10}{i}</td>" for i in range(12))
    landscape = (
        f'<div class="table-wrap wide"><table><caption>Landscape</caption><tr>{cells}</tr></table></div>'
    )
    assert browser.print_overflow(chromium, _site(tmp_path, landscape)) == []
    assert browser.print_overflow(chromium, _site(tmp_path, landscape.replace(" wide", "")))


def test_every_figure_decodes_in_the_browser(rendered_reports, chromium):
    for lang in i18n.LANGUAGES:
        page = rendered_reports.reports / lang / "00_overview.html"
        assert browser.count_images(chromium, page) == page.read_text().count("<img ")


def test_the_series_reads_from_first_to_last_by_next_links_in_each_language(rendered_reports, chromium):
    """Clicking "next" from the overview walks every report in order, staying in the page's language;
    clicking each contents entry lands on its heading."""
    for lang in i18n.LANGUAGES:
        context = chromium.new_context()
        page = context.new_page()
        page.goto((rendered_reports.reports / lang / f"{report.REPORTS[0]}.html").resolve().as_uri())
        visited = []
        while True:
            assert page.get_attribute("html", "lang") == lang
            visited.append(Path(page.url).stem)
            entries = page.eval_on_selector_all("nav.toc a", "els => els.map(e => e.getAttribute('href'))")
            assert len(entries) >= 2 and "#references" in entries
            for href in entries:
                assert page.evaluate("h => document.getElementById(h.slice(1)) !== null", href), href
            following = page.query_selector("nav.pager a.next")
            if following is None:
                break
            following.click()
            page.wait_for_load_state("load")
        assert visited == report.REPORTS
        page.click("nav.pager a.up")
        assert Path(page.url).name == "index.html" and Path(page.url).parent.name == lang
        context.close()


def _site(tmp_path: Path, body: str, name: str = "x.html") -> Path:
    """Two language versions of one page (so the switch is valid) with ``body`` in the Spanish one."""
    from pact_analysis.report.shell import page

    for lang in i18n.LANGUAGES:
        (tmp_path / lang).mkdir(parents=True, exist_ok=True)
        (tmp_path / lang / "index.html").write_text("")
        html = page(body if lang == "es" else "<p>ok</p>", lang, "t", name)
        (tmp_path / lang / name).write_text(html)
    return tmp_path / "es" / name


def test_an_anchor_that_leads_nowhere_fails(tmp_path, chromium):
    found = browser.check_page(
        chromium, _site(tmp_path, '<h2>a</h2><a href="#nowhere">x</a><a href="index.html#gone">y</a>')
    )
    assert (
        "anchor leads nowhere: x.html#nowhere" in found and "anchor leads nowhere: index.html#gone" in found
    )


def test_a_report_page_without_references_or_csv_links_fails_and_a_complete_one_passes(tmp_path, chromium):
    from pact_analysis.report.references import references_html

    for neighbour in ("01_record_linkage", "02_profiles", "03_chronicity"):
        for lang in i18n.LANGUAGES:
            (tmp_path / lang).mkdir(parents=True, exist_ok=True)
            (tmp_path / lang / f"{neighbour}.html").write_text("<html></html>")
    for lang in ("es", "en"):
        (tmp_path / "tables" / "02_profiles" / lang).mkdir(parents=True)
        (tmp_path / "tables" / "02_profiles" / lang / "t.csv").write_text("a\n1\n")
    table = '<table id="table-1"><tr><td>1</td></tr></table>'
    bare = _site(tmp_path, f"<h1>t</h1><h2>a</h2><h2>b</h2>{table}", "02_profiles.html")
    found = browser.check_page(chromium, bare)
    assert "no references section" in found and "1 tables but 0 links to their CSV" in found
    references = references_html(["record_2015"], "es")
    english = '<p class="table-csv"><a href="../tables/02_profiles/en/t.csv">CSV</a></p>'
    found = browser.check_page(
        chromium,
        _site(tmp_path, f"<h1>t</h1><h2>a</h2><h2>b</h2>{table}{english}" + references, "02_profiles.html"),
    )
    assert found == [
        f"the CSV {tmp_path}/tables/02_profiles/en/t.csv is not the copy in the page's language (es)"
    ]
    csv = '<p class="table-csv"><a href="../tables/02_profiles/es/t.csv">CSV</a></p>'
    body = f"<h1>t</h1><h2>a</h2><h2>b</h2>{table}{csv}" + references
    assert browser.check_page(chromium, _site(tmp_path, body, "02_profiles.html")) == []


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
