"""Opening the reports in headless Chromium: what a reader sees, checked; screenshots; PDFs.

Playwright drives the system Chromium (Debian's ``chromium``; no browser is downloaded). A page
passes :func:`check_page` when it loads with no console error, no failed request, no request to a
non-local URL, every image decoded, every internal link resolving to a file (and its ``#anchor`` to
an element), a language switch that leads to the same report in the other language, and (a report
page) a contents list, previous/next and index links, a references section and each table's CSV.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from pact_analysis.errors import StageError

#: Where Debian's package puts the browser; ``PACT_CHROMIUM`` overrides.
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
#: Flags for a closed network, as root, with no background traffic.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]  # fmt: skip
INSTALL_HINT = "install Debian's Chromium: sudo apt-get update && sudo apt-get install -y chromium"


def find_chromium() -> str | None:
    """Return the path of a Chromium executable on the PATH (or ``PACT_CHROMIUM``), or None."""
    import os

    if os.environ.get("PACT_CHROMIUM"):
        return os.environ["PACT_CHROMIUM"]
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


@contextmanager
def chromium() -> Iterator[Any]:
    """Yield a headless Playwright browser running the system Chromium.

    Raises
    ------
    StageError
        If no Chromium is installed (with how to install it).
    """
    from playwright.sync_api import sync_playwright

    executable = find_chromium()
    if executable is None:
        raise StageError(f"no Chromium found on the PATH: {INSTALL_HINT}")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _is_local(url: str) -> bool:
    scheme = urlparse(url).scheme
    return scheme in {"file", "data", "about", "blob"} or (
        scheme in {"http", "https"} and urlparse(url).hostname in {"localhost", "127.0.0.1", "::1"}
    )


def _internal_links(page: Any) -> list[str]:
    return page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")


def _broken_links(page: Any) -> list[str]:
    broken = []
    for href in _internal_links(page):
        parsed = urlparse(href)
        if parsed.scheme != "file":
            continue
        if not Path(unquote(parsed.path)).exists():
            broken.append(href)
    return broken


def _broken_anchors(page: Any) -> list[str]:
    """Links to ``#id`` that lead nowhere: in this page (its DOM) or in another local page (its file)."""
    from bs4 import BeautifulSoup

    here = urlparse(page.url).path
    broken, ids_of = [], {}
    for href in _internal_links(page):
        parsed = urlparse(href)
        if parsed.scheme != "file" or not parsed.fragment:
            continue
        anchor = unquote(parsed.fragment)
        if parsed.path == here:
            found = page.evaluate("id => document.getElementById(id) !== null", anchor)
        else:
            target = Path(unquote(parsed.path))
            if target not in ids_of:
                text = target.read_text(encoding="utf-8") if target.exists() else ""
                ids_of[target] = {t["id"] for t in BeautifulSoup(text, "html.parser").find_all(id=True)}
            found = anchor in ids_of[target]
        if not found:
            broken.append(f"{Path(unquote(parsed.path)).name}#{anchor}")
    return broken


def navigation_problems(page: Any, path: Path) -> list[str]:
    """What a report page lacks to be navigated: contents list, previous/next and index, references,
    and a link to each table's CSV in the page's language.

    Only for the report pages (``<NN>_<name>.html``); the index and methods pages are not a series.
    """
    if not path.name[:2].isdigit():
        return []
    problems = []
    toc = page.eval_on_selector_all("nav.toc a[href^='#']", "els => els.length")
    if toc < 2:
        problems.append("no table of contents")
    ups = page.eval_on_selector_all("nav.pager a.up[href='index.html']", "els => els.length")
    steps = page.eval_on_selector_all("nav.pager a.prev, nav.pager a.next", "els => els.length")
    if ups != 2 or steps < 2:
        problems.append(
            f"pager: {ups} index links and {steps} previous/next links (expected 2 and at least 2)"
        )
    if page.query_selector("#references li cite, section.references-section li") is None:
        problems.append("no references section")
    tables = page.eval_on_selector_all("table[id^='table-']", "els => els.length")
    csvs = page.eval_on_selector_all("p.table-csv a[href$='.csv']", "els => els.map(e => e.href)")
    if tables != len(csvs):
        problems.append(f"{tables} tables but {len(csvs)} links to their CSV")
    problems += [
        f"the CSV {unquote(urlparse(href).path)} is not the copy in the page's language ({path.parent.name})"
        for href in csvs
        if Path(unquote(urlparse(href).path)).parent.name != path.parent.name
    ]
    return problems


def _switch_problem(page: Any, path: Path) -> str | None:
    """Return a problem if the language switch does not lead to the same page in another language."""
    switch = page.query_selector_all("a.lang")
    if not switch:
        return "no language switch"
    for link in switch:
        target = Path(unquote(urlparse(link.evaluate("e => e.href")).path))
        if target.name != path.name or target.parent.name == path.parent.name or not target.exists():
            return f"language switch leads to {target}, not to {path.name} in another language"
    return None


def check_page(browser: Any, path: Path, screenshot: Path | None = None) -> list[str]:
    """Open a report and return what a reader would find broken (empty when the page is fine).

    Parameters
    ----------
    browser : playwright Browser
        From :func:`chromium`.
    path : Path
        The HTML file.
    screenshot : Path, optional
        Where to save a full-page PNG screenshot.

    Returns
    -------
    list of str
        Problems: console errors, failed or non-local requests, undecoded images, broken internal
        links or anchors, a missing or wrong language switch, and on a report page a missing contents
        list, previous/next or index link, references section or link to a table's CSV.
    """
    problems: list[str] = []
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.on(
        "console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None
    )
    page.on("pageerror", lambda e: problems.append(f"script error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed request: {r.url}"))

    def guard(route: Any) -> None:
        if _is_local(route.request.url):
            route.continue_()
        else:
            problems.append(f"request to a non-local URL: {route.request.url}")
            route.abort()

    page.route("**/*", guard)
    page.goto(Path(path).resolve().as_uri(), wait_until="load")
    broken_images = page.eval_on_selector_all(
        "img",
        "els => els.filter(e => !e.complete || e.naturalWidth === 0).map(e => e.alt || e.src.slice(0, 60))",
    )
    problems += [f"image did not decode: {alt}" for alt in broken_images]
    problems += [f"broken internal link: {href}" for href in _broken_links(page)]
    problems += [f"anchor leads nowhere: {anchor}" for anchor in _broken_anchors(page)]
    problems += navigation_problems(page, Path(path))
    switch = _switch_problem(page, Path(path).resolve())
    if switch:
        problems.append(switch)
    if screenshot is not None:
        Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot), full_page=True)
    context.close()
    return problems


#: The printed page's text width in CSS pixels: A4 (210 mm) less the print stylesheet's margins
#: (``@page { margin: 16mm 14mm }``), at 96 px to the inch; a wide table's landscape page (297 mm).
PRINT_WIDTH_PX = round((210 - 2 * 14) / 25.4 * 96)
LANDSCAPE_WIDTH_PX = round((297 - 2 * 14) / 25.4 * 96)


def print_overflow(browser: Any, path: Path) -> list[str]:
    """Return the tables and figures a printed page would cut at its right edge (empty when none).

    The page is laid out with the print stylesheet at the printed text width
    (:data:`PRINT_WIDTH_PX`); an element reaching beyond it is named by its caption. A wide table
    (``.table-wrap.wide``, printed on a landscape page) may reach :data:`LANDSCAPE_WIDTH_PX`.
    """
    context = browser.new_context(viewport={"width": PRINT_WIDTH_PX, "height": 1000})
    page = context.new_page()
    page.emulate_media(media="print")
    page.goto(Path(path).resolve().as_uri(), wait_until="load")
    wide = page.eval_on_selector_all(
        "table, figure img",
        """(els, [width, landscape]) => els
            .map(e => [e, Math.ceil(e.getBoundingClientRect().right)])
            .filter(([e, right]) => right > (e.closest(".table-wrap.wide") ? landscape : width) + 1)
            .map(([e, right]) => {
                const caption = e.tagName === "TABLE" ? e.caption : e.closest("figure").querySelector("figcaption");
                return `${(caption ? caption.textContent : e.id || e.alt || e.tagName).trim().slice(0, 70)}: ${right} px`;
            })""",
        [PRINT_WIDTH_PX, LANDSCAPE_WIDTH_PX],
    )
    context.close()
    return [f"wider than the printed page ({PRINT_WIDTH_PX} px): {w}" for w in wide]


def count_images(browser: Any, path: Path) -> int:
    """Return the number of images a page shows that decoded (natural width above zero)."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(Path(path).resolve().as_uri(), wait_until="load")
    count = page.eval_on_selector_all("img", "els => els.filter(e => e.naturalWidth > 0).length")
    context.close()
    return int(count)


def print_pdf(browser: Any, html_path: Path, pdf_path: Path) -> Path:
    """Print a report to PDF with Chromium's print engine (the print stylesheet applies)."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(Path(html_path).resolve().as_uri(), wait_until="load")
    Path(pdf_path).parent.mkdir(parents=True, exist_ok=True)
    page.pdf(path=str(pdf_path), format="A4", print_background=True, prefer_css_page_size=True)
    context.close()
    return Path(pdf_path)


def report_pages(reports: Path) -> list[Path]:
    """Return every report page in every language (``reports/<lang>/*.html``)."""
    from pact_analysis.report.i18n import LANGUAGES

    return sorted(p for lang in LANGUAGES for p in (Path(reports) / lang).glob("*.html"))


def write_pdfs(reports: Path) -> list[Path]:
    """Write ``reports/pdf/<lang>/<name>.pdf`` for every report page; return the PDFs written."""
    written = []
    with chromium() as browser:
        for page in report_pages(reports):
            written.append(
                print_pdf(browser, page, Path(reports) / "pdf" / page.parent.name / f"{page.stem}.pdf")
            )
    return written
