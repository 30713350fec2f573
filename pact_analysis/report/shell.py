"""The page every report shares: head, stylesheet (screen and print), navigation and language switch.

Every body goes through :func:`pact_analysis.report.navigation.navigate`: anchored headings, a
contents list after the title (kept in print) and, on a report page, previous/next and index links.

Everything is inline: a page loads nothing (no font, script or stylesheet from anywhere), so it reads
the same offline and prints as shown.
"""

from __future__ import annotations

import html
from pathlib import Path

from pact_analysis.report import i18n
from pact_analysis.report.navigation import navigate

STYLE = (Path(__file__).resolve().parent / "style.css").read_text(encoding="utf-8")


def markdown_html(text: str) -> str:
    """Render catalogue Markdown (paragraphs, lists, emphasis, tables) to HTML."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"typographer": False}).enable("table").render(text)


def markdown_inline(text: str) -> str:
    """Render one line of catalogue Markdown (a caption: emphasis, code, links) without a paragraph."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"typographer": False, "html": False}).renderInline(text)


_PAGE = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
{style}
</style>
</head>
<body>
<header class="site"><nav>{home}<span class="project">{project}</span>
<span class="switch">{switch}</span></nav></header>
<main>
{body}
</main>
</body>
</html>
"""


def language_switch(filename: str, lang: str) -> str:
    """Return links to the same page in the other languages (``../en/<file>``)."""
    links = []
    for other in i18n.LANGUAGES:
        if other != lang:
            name = i18n.t("common.language_name", other)
            links.append(
                f'<a class="lang" href="../{other}/{filename}" hreflang="{other}" lang="{other}">{html.escape(name)}</a>'
            )
    return " ".join(links)


def page(body: str, lang: str, title: str, filename: str, home: str | None = "index.html") -> str:
    """Wrap a report body in the shared page.

    Parameters
    ----------
    body : str
        The HTML of the report.
    lang : str
        Page language.
    title : str
        Page title.
    filename : str
        The page's file name (the language switch points to the same name in the other folder).
    home : str, optional
        Link to the index; None on the index itself.
    """
    home_link = (
        f'<a class="home" href="{home}">{html.escape(i18n.t("common.home", lang))}</a>' if home else ""
    )
    return _PAGE.format(
        lang=lang,
        title=html.escape(title),
        style=STYLE,
        home=home_link,
        project=html.escape(i18n.t("common.project", lang)),
        switch=language_switch(filename, lang),
        body=navigate(body, lang, filename),
    )
