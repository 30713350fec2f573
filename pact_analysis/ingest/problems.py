"""What is wrong with an extract (a problem: refused) or worth knowing about it (a notice: read, warned).

Both say where -- the rows as a spreadsheet numbers them (the header is row 1) and the column -- and
never quote a value of a personal-data column (codebook ``pii: true``): messages end up in logs.
"""

from __future__ import annotations

import contextlib
import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd

log = logging.getLogger("pact_analysis.ingest")

#: Rows listed per column and problem before the rest are summarised in one line.
ROWS_SHOWN = 5


def rows_text(rows: tuple[int, ...] | list[int], total: int | None = None) -> str:
    """Return ``"row 3"``, ``"rows 3 and 5"`` or ``"rows 3, 5, 7, 9, 11 and 40 more"``.

    Parameters
    ----------
    rows : sequence of int
        Spreadsheet row numbers (only the first :data:`ROWS_SHOWN` are listed when ``total`` is given).
    total : int, optional
        How many rows there are in all, when ``rows`` lists only the first ones.
    """
    rows = list(rows)
    if not rows:
        return ""
    if total is not None and total > len(rows):
        return "rows " + ", ".join(map(str, rows)) + f" and {total - len(rows):,} more"
    if len(rows) == 1:
        return f"row {rows[0]}"
    return "rows " + ", ".join(map(str, rows[:-1])) + f" and {rows[-1]}"


def where_text(rows_part: str, column: str | None) -> str:
    """Join a rows text and a column into ``"row 3, column x"`` (either may be missing)."""
    if column:
        return f"{rows_part}, column {column}" if rows_part else f"column {column}"
    return rows_part


@dataclass(frozen=True)
class Problem:
    """One contract breach: where it is and what is wrong (never a personal-data value)."""

    rows: tuple[int, ...]
    column: str | None
    text: str
    kind: str = ""

    def __str__(self) -> str:
        where = where_text(rows_text(self.rows), self.column)
        return f"{where}: {self.text}" if where else self.text


@dataclass(frozen=True)
class Notice:
    """A warning: the extract was read, but something in it may degrade the study.

    ``file`` is the file as the user knows it (``data/extracts/rgc_members.csv`` in files mode);
    ``rows`` are all the rows concerned (the message lists the first :data:`ROWS_SHOWN`); ``share``
    is the blank share of a mostly blank column.
    """

    file: str
    source: str
    column: str | None
    kind: str
    text: str
    rows: tuple[int, ...] = ()
    share: float | None = None

    def __str__(self) -> str:
        shown = rows_text(self.rows[:ROWS_SHOWN], len(self.rows))
        where = where_text(shown, self.column)
        return f"{self.file}: {where}: {self.text}" if where else f"{self.file}: {self.text}"

    def record(self) -> dict[str, Any]:
        """Return the notice as a JSON-ready dict (``warnings.json``): rows listed up to :data:`ROWS_SHOWN`."""
        return {
            "file": self.file,
            "source": self.source,
            "column": self.column,
            "kind": self.kind,
            "message": str(self),
            "n_rows": len(self.rows),
            "rows": list(self.rows[:ROWS_SHOWN]),
            "share": self.share,
        }


def shown(value: str, spec: dict[str, Any], what: str) -> str:
    """Return ``"'value' what"``, or ``"value what (not shown: personal data)"`` for a ``pii`` column."""
    if spec.get("pii"):
        return f"value {what} (not shown: personal data)"
    short = value if len(value) <= 60 else value[:57] + "..."
    return f"'{short}' {what}"


def failures(raw: pd.Series, ok: pd.Series, name: str, spec: dict[str, Any], what: str) -> list[Problem]:
    """Return one problem per non-empty cell of ``raw`` where ``ok`` is false."""
    ok = ok.fillna(False).astype(bool)
    if ok.all():
        return []
    bad = raw[~ok & raw.ne("")]
    return [Problem((int(row),), name, shown(str(value), spec, what), what) for row, value in bad.items()]


def summarise(problems: list[Problem]) -> list[str]:
    """Order problems by row and keep the first :data:`ROWS_SHOWN` rows of each (column, problem) kind.

    Parameters
    ----------
    problems : list of Problem
        Every problem of one extract.

    Returns
    -------
    list of str
        One line per problem shown, then one line per (column, kind) counting the rows not shown.
    """
    lines: list[str] = []
    counts: dict[tuple[str | None, str], int] = defaultdict(int)
    for problem in sorted(problems, key=lambda p: (p.rows[:1] or (1 << 62,), p.column or "", p.text)):
        key = (problem.column, problem.kind or problem.text)
        counts[key] += 1
        if counts[key] <= ROWS_SHOWN:
            lines.append(str(problem))
    for (column, kind), n in sorted(counts.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])):
        if n > ROWS_SHOWN:
            lines.append(f"column {column}: {n - ROWS_SHOWN} more rows with the same problem ({kind})")
    return lines


def crash_text(err: BaseException, step: str) -> str:
    """Word an unexpected exception without its text (which could quote a value of the file)."""
    return (
        f"could not be {step}: unexpected {type(err).__name__} (a bug in pact-analysis, not in the file: "
        "please report this message)"
    )


@contextlib.contextmanager
def guarded(problems: list[Problem], column: str | None, step: str) -> Iterator[None]:
    """Turn an unexpected exception inside the block into a problem naming the column.

    Parameters
    ----------
    problems : list of Problem
        Where the problem is appended.
    column : str or None
        The column the block works on.
    step : str
        What the block does, as a past participle (``"parsed"``, ``"validated"``).
    """
    try:
        yield
    except Exception as err:  # noqa: BLE001 - any crash becomes a message naming the column
        log.debug("column %s could not be %s: %s", column, step, type(err).__name__)
        problems.append(Problem((), column, crash_text(err, step), "crash"))
