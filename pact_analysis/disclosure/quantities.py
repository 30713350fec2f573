"""One quantity, one value, one suppression decision, wherever it is published.

A *quantity* is a number a reader may meet in more than one place (a report's sentence, a table
cell, the index). Each has a key named after the stage that computes it (``chronicity.median_months``,
``pilot.professionals_agree``; a headline of ``metrics/<stage>.json`` is ``<stage>.<metric>``). A
page that publishes one records it with :func:`record`, in ``reports/tables/<report>/quantities.<lang>.json``:
its value as computed, how it was shown (kind, decimals) and whether it was suppressed.
:func:`conflicts` compares every record of every page: the ``check`` and ``index`` stages fail when
a quantity is published in one place and suppressed in another, or has two values, or is shown with
two precisions (13 in one report, 13.3 in another).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pact_analysis.io import write_json

#: A page's record of the quantities it publishes, in ``reports/tables/<page>/``.
FILE = "quantities.{lang}.json"
#: Values that differ by less than this (relative) are the same value written twice.
TOLERANCE = 1e-9


@dataclass(frozen=True)
class Occurrence:
    """One place a quantity is published: page, language, where on the page, and how."""

    key: str
    page: str
    lang: str
    where: str
    value: float | None
    suppressed: bool
    shown: str

    def describe(self) -> str:
        """``03_chronicity (es, findings)``."""
        return f"{self.page} ({self.lang}, {self.where})"


def record(
    folder: Path,
    lang: str,
    key: str,
    value: float | None,
    *,
    where: str,
    suppressed: bool = False,
    shown: str = "",
) -> None:
    """Add (or replace) a quantity in ``folder/quantities.<lang>.json``.

    Parameters
    ----------
    folder : Path
        The page's folder under ``reports/tables``.
    lang : str
        The page's language.
    key : str
        The quantity's key (``<stage>.<name>``).
    value : float or None
        The value as computed (``None`` when suppressed and not known to the page).
    where : str
        Where on the page (``findings``, ``table:<stem>``, ``text``).
    suppressed : bool
        Whether the page suppressed it.
    shown : str
        How it was shown (kind and decimals, e.g. ``num:1``), so that two precisions are caught.
    """
    path = Path(folder) / FILE.format(lang=lang)
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    entry = {
        "value": None if value is None else float(value),
        "where": where,
        "suppressed": bool(suppressed),
        "shown": shown,
    }
    data.setdefault(key, [])
    if entry not in data[key]:
        data[key].append(entry)
    write_json(path, data)


def collect(reports: Path, skip: tuple[str, ...] = ()) -> dict[str, list[Occurrence]]:
    """Every quantity recorded under ``reports/tables/*/quantities.*.json``, by key.

    Parameters
    ----------
    reports : Path
        The ``reports`` folder.
    skip : tuple of str
        Pages whose record is not read (the ``check`` stage runs before the index is rewritten, so
        it skips the index's record of the previous run).
    """
    found: dict[str, list[Occurrence]] = {}
    for path in sorted(Path(reports).glob("tables/*/" + FILE.format(lang="*"))):
        if path.parent.name in skip:
            continue
        lang = path.name.split(".")[1]
        for key, entries in json.loads(path.read_text(encoding="utf-8")).items():
            for e in entries:
                found.setdefault(key, []).append(
                    Occurrence(
                        key, path.parent.name, lang, e["where"], e["value"], e["suppressed"], e["shown"]
                    )
                )
    return found


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=1e-12)


def conflicts(found: dict[str, list[Occurrence]]) -> list[str]:
    """Return one sentence per quantity published inconsistently (empty when all agree).

    A quantity conflicts when it is suppressed in one place and published in another, when two
    published values differ (beyond :data:`TOLERANCE`), or when it is shown with two precisions.
    """
    problems = []
    for key, places in sorted(found.items()):
        hidden = [p for p in places if p.suppressed]
        shown = [p for p in places if not p.suppressed]
        if hidden and shown:
            problems.append(
                f"{key}: suppressed in {hidden[0].describe()} but published in {shown[0].describe()}"
            )
            continue
        values = [p for p in shown if p.value is not None]
        for other in values[1:]:
            if not _same(values[0].value, other.value):
                problems.append(
                    f"{key}: {values[0].value:g} in {values[0].describe()} but {other.value:g} in {other.describe()}"
                )
                break
        formats = {p.shown for p in shown if p.shown}
        if len(formats) > 1:
            problems.append(f"{key}: shown with different precisions {sorted(formats)}")
    return problems


def check_quantities(reports: Path, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Collect and compare every recorded quantity: ``{"quantities": n, "problems": [...]}``.

    ``skip`` names pages whose record is left out (see :func:`collect`).
    """
    found = collect(reports, skip)
    return {"quantities": len(found), "problems": conflicts(found)}


__all__ = ["FILE", "Occurrence", "check_quantities", "collect", "conflicts", "record"]
