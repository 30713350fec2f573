"""The references section of a report, from the one bibliography ``references.yaml``.

Each work is written once in ``pact_analysis/report/references.yaml`` (``works``); the keys a
report cites are listed there under ``cited`` and a notebook may add more with
:meth:`.page.Report.cite`. :meth:`.page.Report.footer` shows the section, grouped by kind (data
sources, reporting standards, methods), each group in order of first author.
"""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from pact_analysis.report import i18n

BIBLIOGRAPHY = Path(__file__).resolve().parent / "references.yaml"
#: Kinds of work, in the order the section shows them.
KINDS = ("data", "standard", "method")


@cache
def bibliography() -> dict[str, Any]:
    """Return ``{"works": {key: work}, "cited": {report: [keys]}}`` as read from the YAML file.

    Raises
    ------
    ValueError
        If a cited key is not a work, or a work has an unknown kind or lacks authors, year or title.
    """
    data = yaml.safe_load(BIBLIOGRAPHY.read_text(encoding="utf-8"))
    works, cited = data["works"], data.get("cited", {})
    for key, work in works.items():
        missing = [f for f in ("kind", "authors", "year", "title") if not work.get(f)]
        if missing or work["kind"] not in KINDS:
            raise ValueError(
                f"{BIBLIOGRAPHY.name}: work {key!r} lacks {missing} or has kind {work.get('kind')!r}"
            )
    unknown = sorted({k for keys in cited.values() for k in keys} - set(works))
    if unknown:
        raise ValueError(f"{BIBLIOGRAPHY.name}: cited keys {unknown} are not in works")
    return {"works": works, "cited": cited}


def cited_by(name: str, extra: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Return the keys a report cites: its ``cited`` list, then ``extra`` keys not already there.

    Raises
    ------
    KeyError
        If an extra key is not a work of the bibliography.
    """
    works = bibliography()["works"]
    unknown = [k for k in extra if k not in works]
    if unknown:
        raise KeyError(f"cited works {unknown} are not in {BIBLIOGRAPHY}")
    keys = list(bibliography()["cited"].get(name, []))
    return keys + [k for k in dict.fromkeys(extra) if k not in keys]


def entry_html(key: str, lang: str = "en") -> str:
    """One reference, Vancouver-like: authors. Title. Venue; year. DOI or URL.

    A work's ``venue_<lang>`` and ``title_<lang>`` (e.g. ``venue_es``), when given, replace its
    ``venue`` and ``title`` in that language (a description of ours, not a published title, is written
    in the reader's language).
    """
    work = bibliography()["works"][key]
    where = work.get("doi") and f"https://doi.org/{work['doi']}" or work.get("url")
    tail = f' <a href="{html.escape(where, quote=True)}">{html.escape(where)}</a>' if where else ""
    venue_text = work.get(f"venue_{lang}") or work.get("venue")
    venue = f" {html.escape(venue_text)};" if venue_text else ""
    return (
        f'<li id="ref-{html.escape(key, quote=True)}">{html.escape(work["authors"].rstrip("."))}. '
        f"<cite>{html.escape(work.get(f'title_{lang}') or work['title'])}</cite>.{venue} {work['year']}.{tail}</li>"
    )


def references_html(keys: list[str], lang: str) -> str:
    """The references section (``<section id="references">``), grouped by kind; ``""`` when empty."""
    if not keys:
        return ""
    works = bibliography()["works"]
    groups = []
    for kind in KINDS:
        chosen = sorted((k for k in keys if works[k]["kind"] == kind), key=lambda k: works[k]["authors"])
        if chosen:
            groups.append(
                f"<h3>{html.escape(i18n.t(f'common.references.{kind}', lang))}</h3>"
                f'<ol class="references">{"".join(entry_html(k, lang) for k in chosen)}</ol>'
            )
    title = html.escape(i18n.t("common.references", lang))
    return f'<section class="references-section"><h2 id="references">{title}</h2>{"".join(groups)}</section>'
