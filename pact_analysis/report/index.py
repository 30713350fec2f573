"""The index of the reports (an executive summary per language), the methods page and provenance.

The index is the one page that states the git commit and the time of the run; the ``index`` stage
therefore declares no DVC outputs (it always runs, and its pages are not hashed into ``dvc.lock``),
while every report is the same bytes for the same inputs.

``reports/<lang>/index.html`` states what was studied, the key findings of every report that exists
(read from each report's ``summary.<lang>.json``, written by :meth:`.page.Report.findings`), how sure we
are, where to read more, a data-protection note, an appendix on what the study costs by region size
(:mod:`.cost`, from ``make bench``) and the provenance of the run. ``reports/index.html``
opens the default language.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from pact_analysis.io import atomic_file
from pact_analysis.paths import Paths
from pact_analysis.report import i18n
from pact_analysis.report.cost import cost_html
from pact_analysis.report.evidence import slots_html
from pact_analysis.report.i18n import LANGUAGES, Number
from pact_analysis.report.navigation import REPORTS, report_title
from pact_analysis.report.page import markdown_html, read_summary, short_name
from pact_analysis.report.provenance import params_used, provenance, provenance_html
from pact_analysis.report.references import bibliography, references_html
from pact_analysis.report.shell import page

__all__ = ["REPORTS", "build_index", "index_page", "methods_page", "report_title"]


def _finding(paths: Paths, name: str, lang: str) -> str:
    summary = read_summary(paths.reports, name, lang)
    title = html.escape(report_title(name, lang))
    if not (paths.reports / lang / f"{name}.html").exists():
        return f'<li class="missing">{title} ({html.escape(i18n.t("common.not_rendered", lang))})</li>'
    link = f'<a href="{name}.html">{title}</a>'
    slots = slots_html(paths, name, lang)
    if summary is None:
        return f'<li class="finding"><h3>{link}</h3>{slots}</li>'
    values = {k: Number.from_json(v) if isinstance(v, dict) else v for k, v in summary["values"].items()}
    text = markdown_html(i18n.t(summary.get("index", f"{short_name(name)}.index"), lang, **values))
    return f'<li class="finding"><h3>{link}</h3>{text}{slots}</li>'


def index_page(paths: Paths, params: dict[str, Any], lang: str) -> str:
    """Return the HTML of ``reports/<lang>/index.html``."""
    synthetic = params["data"]["source"] == "synthetic"
    banner = f'<div class="banner">{markdown_html(i18n.t("common.synthetic_banner", lang))}</div>'
    body = (
        f"<h1>{html.escape(i18n.t('index.title', lang))}</h1>"
        + (banner if synthetic else "")
        + markdown_html(i18n.t("index.intro", lang))
        + f"<h2>{html.escape(i18n.t('index.findings', lang))}</h2>"
        + f'<ol class="findings-list">{"".join(_finding(paths, n, lang) for n in REPORTS)}</ol>'
        + markdown_html(i18n.t("index.certainty", lang))
        + markdown_html(i18n.t("index.evidence", lang))
        + f'<p><a href="methods.html">{html.escape(i18n.t("index.methods_link", lang))}</a></p>'
        + f"<h2>{html.escape(i18n.t('index.protection', lang))}</h2>"
        + markdown_html(i18n.t("index.protection.text", lang, min_cell=int(params["disclosure"]["min_cell"])))
        + cost_html(paths, lang)
        + provenance_html(provenance(paths, params_used(params), run=True), lang)
    )
    return page(body, lang, i18n.t("index.title", lang), "index.html", home=None)


def methods_page(lang: str) -> str:
    """Return the HTML of ``reports/<lang>/methods.html`` (methods and limitations)."""
    every = [key for keys in bibliography()["cited"].values() for key in keys]
    body = (
        f"<h1>{html.escape(i18n.t('methods.title', lang))}</h1>"
        + markdown_html(i18n.t("methods.text", lang))
        + references_html(list(dict.fromkeys(every)), lang)
    )
    return page(body, lang, i18n.t("methods.title", lang), "methods.html")


REDIRECT = """<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>pact-analysis</title>
<meta http-equiv="refresh" content="0; url={lang}/index.html"></head>
<body><p><a href="{lang}/index.html" lang="es">Informes en español</a> ·
<a href="en/index.html" lang="en">Reports in English</a></p></body></html>
"""


def build_index(paths: Paths, params: dict[str, Any]) -> Path:
    """Write the index and methods pages in every language, and ``reports/index.html``.

    Parameters
    ----------
    paths : Paths
        Project paths.
    params : dict
        Study parameters.

    Returns
    -------
    Path
        ``reports/index.html`` (which opens the default language).
    """
    for stale in (paths.reports / "tables" / "index").glob("quantities.*.json"):
        stale.unlink()  # the index records anew the figures it shows (evidence.slot_html)
    for lang in LANGUAGES:
        with atomic_file(paths.reports / lang / "index.html") as fh:
            fh.write(index_page(paths, params, lang))
        with atomic_file(paths.reports / lang / "methods.html") as fh:
            fh.write(methods_page(lang))
    target = paths.reports / "index.html"
    with atomic_file(target) as fh:
        fh.write(REDIRECT.format(lang=i18n.DEFAULT_LANGUAGE))
    return target
