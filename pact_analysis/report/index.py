"""The index of the reports (an executive summary per language), the methods page and provenance.

The index is the one page that states the git commit and the time of the run; the ``index`` stage
therefore declares no DVC outputs (it always runs, and its pages are not hashed into ``dvc.lock``),
while every report is the same bytes for the same inputs.

``reports/<lang>/index.html`` states what was studied, the key findings of every report that exists
(read from each report's ``summary.<lang>.json``, written by :meth:`.page.Report.findings`), how sure we
are, where to read more, a data-protection note and the provenance of the run. ``reports/index.html``
opens the default language.
"""

from __future__ import annotations

import hashlib
import html
import importlib.metadata
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pact_analysis.config import Paths
from pact_analysis.io import atomic_file
from pact_analysis.report import i18n
from pact_analysis.report.i18n import LANGUAGES, Number
from pact_analysis.report.page import markdown_html, read_summary, short_name
from pact_analysis.report.shell import page

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

#: Packages whose versions are stated in the provenance.
KEY_PACKAGES = [
    "pandas", "numpy", "duckdb", "splink", "lifelines", "statsmodels", "scikit-learn", "pandera",
    "papermill", "nbconvert", "dvc", "babel",
]  # fmt: skip


def data_fingerprint(folder: Path) -> str:
    """Return a SHA-256 over the relative paths and contents of every file in ``folder``.

    Parameters
    ----------
    folder : Path
        Usually ``data/raw``.

    Returns
    -------
    str
        Hex digest, or ``"missing"`` if the folder does not exist.
    """
    folder = Path(folder)
    if not folder.exists():
        return "missing"
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode())
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def git_commit(root: Path) -> str:
    """Return the git commit of the checkout, with ``+changes`` if the work tree differs from it."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return commit + ("+changes" if dirty else "")


def params_used(params: dict[str, Any]) -> dict[str, Any]:
    """Return the parameters a run used: the ``synthetic`` block only when the data are synthetic."""
    if params.get("data", {}).get("source") == "synthetic":
        return params
    return {k: v for k, v in params.items() if k != "synthetic"}


def key_fingerprint(paths: Paths) -> str:
    """Return the non-secret fingerprint of the pseudonymisation key of this run (``metrics/key.json``)."""
    path = paths.metrics / "key.json"
    if not path.exists():
        return "unknown"
    return str(json.loads(path.read_text(encoding="utf-8")).get("key_fingerprint", "unknown"))


def code_fingerprint(root: Path) -> str:
    """Return a SHA-256 over the study's code: the package (modules, SQL, codebook, catalogues) and notebooks.

    Unlike the git commit, it does not change when only ``dvc.lock`` or the documentation changes,
    so a report (a DVC output) is the same bytes when re-run from the commit that recorded it.
    """
    root = Path(root)
    files = [
        p
        for folder in (root / "pact_analysis", root / "notebooks")
        for p in sorted(folder.rglob("*"))
        if p.is_file()
        and p.suffix in {".py", ".yaml", ".po", ".sql", ".css", ".csv"}
        and "__pycache__" not in p.parts
    ]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def provenance(paths: Paths, used: dict[str, Any], run: bool = False) -> dict[str, Any]:
    """Collect what an evaluator needs to re-run a report exactly.

    Parameters
    ----------
    paths : Paths
        Project paths.
    used : dict
        The parameters the report or run used (see :func:`params_used`).
    run : bool
        Also state the git commit and the time of the run (the index does; a report does not, so that
        the same inputs give the same bytes and ``dvc.lock`` stays unchanged on a re-run).

    Returns
    -------
    dict
        ``code_fingerprint``, ``params``, ``data_fingerprint``, ``key_fingerprint``, ``packages``, and
        with ``run``: ``git_commit`` and ``generated_at`` (UTC).
    """
    packages = {}
    for package in KEY_PACKAGES:
        try:
            packages[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            packages[package] = "not installed"
    prov = {
        "code_fingerprint": code_fingerprint(paths.root),
        "data_fingerprint": data_fingerprint(paths.raw),
        "key_fingerprint": key_fingerprint(paths),
        "params": used,
        "packages": packages,
    }
    if run:
        prov |= {
            "git_commit": git_commit(paths.root),
            "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        }
    return prov


def provenance_html(prov: dict[str, Any], lang: str) -> str:
    """Format :func:`provenance` as an HTML block in ``lang`` (the index and every report footer)."""
    packages = ", ".join(f"{k} {v}" for k, v in prov["packages"].items())
    params = html.escape(json.dumps(prov["params"], indent=1, sort_keys=True, default=str))
    text = markdown_html(
        i18n.t(
            "common.provenance.text",
            lang,
            code=f"`{prov['code_fingerprint'][:16]}`",
            data=f"`{prov['data_fingerprint'][:16]}`",
            key=f"`{prov['key_fingerprint']}`",
            packages=packages,
        )
    )
    if "git_commit" in prov:
        text += markdown_html(
            i18n.t(
                "common.provenance.run",
                lang,
                commit=f"`{prov['git_commit']}`",
                generated=prov["generated_at"],
            )
        )
    return (
        f'<section class="provenance"><h2>{html.escape(i18n.t("common.provenance", lang))}</h2>{text}'
        f"<details><summary>{html.escape(i18n.t('common.provenance.params', lang))}</summary>"
        f"<pre>{params}</pre></details></section>"
    )


def report_title(name: str, lang: str) -> str:
    """Return a report's title in ``lang``."""
    return i18n.t(f"{short_name(name)}.title", lang)


def _finding(paths: Paths, name: str, lang: str) -> str:
    summary = read_summary(paths.reports, name, lang)
    title = html.escape(report_title(name, lang))
    if not (paths.reports / lang / f"{name}.html").exists():
        return f'<li class="missing">{title} ({html.escape(i18n.t("common.not_rendered", lang))})</li>'
    link = f'<a href="{name}.html">{title}</a>'
    if summary is None:
        return f"<li>{link}</li>"
    values = {k: Number.from_json(v) if isinstance(v, dict) else v for k, v in summary["values"].items()}
    text = markdown_html(i18n.t(summary.get("index", f"{short_name(name)}.index"), lang, **values))
    return f'<li class="finding"><h3>{link}</h3>{text}</li>'


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
        + f'<p><a href="methods.html">{html.escape(i18n.t("index.methods_link", lang))}</a></p>'
        + f"<h2>{html.escape(i18n.t('index.protection', lang))}</h2>"
        + markdown_html(i18n.t("index.protection.text", lang, min_cell=int(params["disclosure"]["min_cell"])))
        + provenance_html(provenance(paths, params_used(params), run=True), lang)
    )
    return page(body, lang, i18n.t("index.title", lang), "index.html", home=None)


def methods_page(lang: str) -> str:
    """Return the HTML of ``reports/<lang>/methods.html`` (methods and limitations)."""
    body = f"<h1>{html.escape(i18n.t('methods.title', lang))}</h1>" + markdown_html(
        i18n.t("methods.text", lang)
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
    for lang in LANGUAGES:
        with atomic_file(paths.reports / lang / "index.html") as fh:
            fh.write(index_page(paths, params, lang))
        with atomic_file(paths.reports / lang / "methods.html") as fh:
            fh.write(methods_page(lang))
    target = paths.reports / "index.html"
    with atomic_file(target) as fh:
        fh.write(REDIRECT.format(lang=i18n.DEFAULT_LANGUAGE))
    return target
