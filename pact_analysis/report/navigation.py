"""Navigation every page shares: anchored headings, table of contents, previous/next, cross-references.

The shell (:func:`pact_analysis.report.shell.page`) calls :func:`navigate` on every page body, so
a report gets its contents list, its anchors and its previous/next links without asking: every
``<h2>`` and ``<h3>`` receives an ``id`` (kept when it has one, as :meth:`.page.Report.heading`
gives a stable one from the catalogue key, the same in both languages), and the contents list is
placed after the page's ``<h1>``. HTML is parsed with BeautifulSoup (``html.parser``), never with
regular expressions.
"""

from __future__ import annotations

import html
import re
import unicodedata

from pact_analysis.report import i18n

#: Reports in reading order (notebook names); their titles are ``<short name>.title`` in the catalogues.
REPORTS = [
    "00_overview",
    "01_record_linkage",
    "02_profiles",
    "03_chronicity",
    "04_alerts",
    "05_pilot_evaluation",
    "06_spending",
]
#: Headings the contents list holds.
LEVELS = ("h2", "h3")


def slug(text: str) -> str:
    """Return an ASCII anchor for a heading: ``"Calidad del enlace"`` -> ``"calidad-del-enlace"``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "section"


def anchor_of(key: str) -> str:
    """Return the anchor of a heading written from a catalogue key (``common.checklist`` -> ``checklist``)."""
    return slug(key.removeprefix("common.").replace(".", "-"))


def add_anchors(soup) -> list[tuple[int, str, str]]:
    """Give every heading of ``soup`` a unique ``id``; return ``(level, id, text)`` in page order.

    Headings inside the contents list itself (``nav.toc``) are left out, and so are the sub-headings
    of the references section (its groups by kind).
    """
    seen: set[str] = {tag["id"] for tag in soup.find_all(id=True) if tag.name not in LEVELS}
    headings = []
    for tag in soup.find_all(LEVELS):
        if tag.find_parent("nav") is not None:
            continue
        if tag.name == "h3" and tag.find_parent(class_="references-section") is not None:
            continue
        text = tag.get_text(" ", strip=True)
        base, number = tag.get("id") or slug(text), 2  # a kept id used twice is numbered too
        anchor = base
        while anchor in seen:
            anchor, number = f"{base}-{number}", number + 1
        tag["id"] = anchor
        seen.add(anchor)
        headings.append((int(tag.name[1]), anchor, text))
    return headings


def contents_html(headings: list[tuple[int, str, str]], lang: str) -> str:
    """The contents list: a ``nav.toc`` whose ``<h3>`` entries are nested under their ``<h2>``."""
    items, open_sub = [], False
    for level, anchor, text in headings:
        link = f'<a href="#{html.escape(anchor, quote=True)}">{html.escape(text)}</a>'
        if level == 3 and items:
            items.append(("" if open_sub else "<ol>") + f"<li>{link}</li>")
            open_sub = True
            continue
        items.append(("</ol></li>" if open_sub else ("</li>" if items else "")) + f"<li>{link}")
        open_sub = False
    if items:
        items.append("</ol></li>" if open_sub else "</li>")
    title = html.escape(i18n.t("common.contents", lang))
    return (
        f'<nav class="toc" aria-label="{title}"><h2 class="toc-title">{title}</h2>'
        f"<ol>{''.join(items)}</ol></nav>"
    )


def short_name(name: str) -> str:
    """Return the catalogue prefix of a report: ``00_overview`` -> ``overview``."""
    return name.split("_", 1)[1] if name[:2].isdigit() else name


def report_title(name: str, lang: str) -> str:
    """Return a report's title in ``lang``."""
    return i18n.t(f"{short_name(name)}.title", lang)


def pager_html(filename: str, lang: str) -> str:
    """Previous, index and next links of a report page (``""`` for a page outside :data:`REPORTS`)."""
    name = filename.removesuffix(".html")
    if name not in REPORTS:
        return ""
    at = REPORTS.index(name)
    links = []
    if at > 0:
        before = REPORTS[at - 1]
        links.append(
            f'<a class="prev" rel="prev" href="{before}.html">← {html.escape(report_title(before, lang))}</a>'
        )
    links.append(f'<a class="up" href="index.html">{html.escape(i18n.t("common.index_link", lang))}</a>')
    if at + 1 < len(REPORTS):
        after = REPORTS[at + 1]
        links.append(
            f'<a class="next" rel="next" href="{after}.html">{html.escape(report_title(after, lang))} →</a>'
        )
    label = html.escape(i18n.t("common.pager", lang), quote=True)
    return f'<nav class="pager" aria-label="{label}">{"".join(links)}</nav>'


def link(name: str, lang: str, anchor: str | None = None, text: str | None = None) -> str:
    """A Markdown link to another report (a cross-reference), by default worded with its title.

    Parameters
    ----------
    name : str
        Report name (one of :data:`REPORTS`, or ``"index"``/``"methods"``).
    lang : str
        Language of the page that links (the link stays in that language's folder).
    anchor : str, optional
        A heading's anchor in that report (e.g. :func:`anchor_of` of its catalogue key).
    text : str, optional
        The link's words; the report's title by default.
    """
    if name not in REPORTS and name not in ("index", "methods"):
        raise ValueError(f"no report {name!r} to link to; expected one of {REPORTS}")
    words = text if text is not None else report_title(name, lang)
    return f"[{words}]({name}.html{'#' + anchor if anchor else ''})"


#: Where a mention of another report is not made a link: links, headings, the contents list, the pager.
NOT_LINKED = ("a", "h1", "h2", "h3", "h4", "h5", "h6", "nav", "script", "style", "title")


def mentions(lang: str) -> dict[str, str]:
    """Return how a page in ``lang`` names each report and the methods page: phrase -> page name.

    The phrases are the catalogue's ``common.mentions.<short name>`` (alternatives separated by
    ``|``), e.g. "chronicity report" or "informe de cronicidad" for ``03_chronicity``.
    """
    out = {}
    for name in (*REPORTS, "methods"):
        for phrase in i18n.t(f"common.mentions.{short_name(name)}", lang).split("|"):
            if phrase.strip():
                out[phrase.strip()] = name
    return out


def link_mentions(soup, lang: str, filename: str) -> int:
    """Make every mention of another report in the text of ``soup`` a link to it; return how many.

    A mention is one of :func:`mentions` (case-insensitive, whole words); the longest phrase wins
    ("pilot evaluation report" before "pilot report"). The page's own name, and text inside
    :data:`NOT_LINKED` elements, are left as they are.
    """
    from bs4 import BeautifulSoup, NavigableString

    own = filename.removesuffix(".html")
    phrases = {k: v for k, v in mentions(lang).items() if v != own}
    if not phrases:
        return 0
    pattern = re.compile(
        r"(?<![\w-])("
        + "|".join(re.escape(k) for k in sorted(phrases, key=len, reverse=True))
        + r")(?![\w-])",
        re.IGNORECASE,
    )
    lookup = {k.lower(): v for k, v in phrases.items()}
    linked = 0
    for node in list(soup.find_all(string=pattern)):
        if type(node) is not NavigableString:
            continue  # comments, doctype and the like
        if any(parent.name in NOT_LINKED for parent in node.parents):
            continue
        parts, last = [], 0
        for match in pattern.finditer(node):
            target = lookup[match.group(1).lower()]
            parts.append(html.escape(node[last : match.start()], quote=False))
            parts.append(f'<a class="xref" href="{target}.html">{html.escape(match.group(1))}</a>')
            last, linked = match.end(), linked + 1
        parts.append(html.escape(node[last:], quote=False))
        node.replace_with(BeautifulSoup("".join(parts), "html.parser"))
    return linked


def navigate(body: str, lang: str, filename: str) -> str:
    """Return ``body`` with anchored headings, a contents list after its ``<h1>`` and the pager.

    A page with fewer than two headings gets no contents list (an index of one line says nothing);
    the previous/next links go at the top and at the bottom of a report page.
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(body, "html.parser")
    link_mentions(soup, lang, filename)
    headings = add_anchors(soup)
    pager = pager_html(filename, lang)
    if len(headings) >= 2:
        contents = BeautifulSoup(contents_html(headings, lang), "html.parser")
        title = soup.find("h1")
        if title is not None:
            title.insert_after(contents)
        else:
            soup.insert(0, contents)
    if pager:
        soup.insert(0, BeautifulSoup(pager, "html.parser"))
        soup.append(BeautifulSoup(pager.replace('class="pager"', 'class="pager bottom"'), "html.parser"))
    return str(soup)
