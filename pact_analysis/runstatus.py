"""Say when the published reports are stale: a stage failed after they were written.

DVC stops at the first failing stage and leaves the reports of the previous run in place. So that
nobody reads them as current, ``python -m pact_analysis`` calls :func:`record_failure` when a stage
fails: it writes ``reports/STALE.txt`` and puts a visible banner at the top of every index page that
exists (``reports/index.html``, ``reports/es/index.html``, ``reports/en/index.html``), in the page's
language. The ``index`` stage calls :func:`clear` when it succeeds.

A changed index page also makes DVC see the ``index`` stage as changed, so the next ``dvc repro``
re-runs it (and clears the banner) even when every other stage is cached.

Messages come from :class:`~pact_analysis.errors.StageError`, which never quotes an identifier or
the key; an unexpected exception is recorded by its type only (its text could quote data).
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import re
from collections.abc import Callable
from pathlib import Path

from pact_analysis.errors import StageError
from pact_analysis.io import atomic_file
from pact_analysis.paths import Paths

log = logging.getLogger(__name__)

#: The marker file, in the reports folder.
STALE_FILE = "STALE.txt"
#: Index pages that get the banner when they exist, relative to the reports folder.
INDEX_PAGES = ("index.html", "es/index.html", "en/index.html")
#: CSS class of the banner (one per page; a new failure replaces it).
BANNER_CLASS = "stale-banner"
_BANNER = re.compile(rf'<div class="{BANNER_CLASS}"[^>]*>.*?</div>', re.DOTALL)
_BODY = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
_LANG = re.compile(r"<html\b[^>]*\blang=[\"']?([A-Za-z]{2})", re.IGNORECASE)
_TEXT = {
    "en": "These reports are from an earlier run: stage {stage} failed on {date} at {time} UTC: {message}",
    "es": (
        "Estos informes son de una ejecución anterior: la etapa {stage} falló el {date} a las {time} UTC: "
        "{message}"
    ),
}
_STYLE = "background:#b3261e;color:#fff;padding:0.8em 1.2em;margin:0 0 1em;font-weight:bold"


def stale_path(paths: Paths) -> Path:
    """Return the path of the marker file, ``reports/STALE.txt``."""
    return paths.reports / STALE_FILE


def failure_message(error: BaseException) -> str:
    """Return what may be recorded of an error: a stage error's text, or only the type of any other.

    Parameters
    ----------
    error : BaseException
        The error that stopped the stage.
    """
    if isinstance(error, StageError):
        return str(error)
    return f"unexpected error {type(error).__name__} (see the stage's log)"


def record_failure(paths: Paths, stage: str, message: str, when: dt.datetime | None = None) -> None:
    """Mark the reports as stale: write ``reports/STALE.txt`` and a banner on every index page.

    Never raises: a failure to mark must not hide the stage's own error (it is logged instead).

    Parameters
    ----------
    paths : Paths
        Project paths.
    stage : str
        The stage that failed, as run (``ingest``, ``report 00_overview``...).
    message : str
        The error message (:func:`failure_message`): no identifier value, never the key.
    when : datetime, optional
        Time of the failure (default: now); shown in UTC.
    """
    moment = (when or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    fields = {"stage": stage, "date": f"{moment:%Y-%m-%d}", "time": f"{moment:%H:%M}", "message": message}
    try:
        with atomic_file(stale_path(paths)) as fh:
            fh.write(
                f"The reports in this folder are from an earlier run; stage {stage} failed at "
                f"{moment:%Y-%m-%d %H:%M:%S} UTC: {message}\n"
                "Fix the problem and run `dvc repro` again; a successful run removes this file.\n"
            )
        for page in _index_pages(paths):
            _rewrite(page, lambda text: _with_banner(text, fields))
    except OSError as err:
        log.warning("could not mark the reports as stale (%s)", err)


def clear(paths: Paths) -> None:
    """Mark the reports as current: remove ``reports/STALE.txt`` and any banner of an index page.

    Parameters
    ----------
    paths : Paths
        Project paths.
    """
    stale_path(paths).unlink(missing_ok=True)
    for page in _index_pages(paths):
        _rewrite(page, lambda text: _BANNER.sub("", text))


def is_stale(paths: Paths) -> bool:
    """Return whether the last stage run failed after the reports were written."""
    return stale_path(paths).exists()


def banner(lang: str, fields: dict[str, str]) -> str:
    """Return the banner ``<div>`` in ``lang`` (Spanish or English; English for any other language).

    Parameters
    ----------
    lang : str
        Two-letter language of the page.
    fields : dict of str to str
        ``stage``, ``date`` (yyyy-mm-dd), ``time`` (HH:MM, UTC) and ``message``.
    """
    text = _TEXT.get(lang, _TEXT["en"]).format(**{k: html.escape(v) for k, v in fields.items()})
    return f'<div class="{BANNER_CLASS}" role="alert" style="{_STYLE}">{text}</div>'


def page_language(text: str) -> str:
    """Return the ``lang`` of a page's ``<html>`` tag in lower case (``en`` if it has none)."""
    match = _LANG.search(text)
    return match.group(1).lower() if match else "en"


def _with_banner(text: str, fields: dict[str, str]) -> str:
    text = _BANNER.sub("", text)
    body = _BODY.search(text)
    if body is None:
        return text
    return text[: body.end()] + banner(page_language(text), fields) + text[body.end() :]


def _index_pages(paths: Paths) -> list[Path]:
    return [paths.reports / page for page in INDEX_PAGES if (paths.reports / page).is_file()]


def _rewrite(page: Path, change: Callable[[str], str]) -> None:
    text = page.read_text(encoding="utf-8")
    changed = change(text)
    if changed != text:
        with atomic_file(page) as fh:
            fh.write(changed)
