"""Checks of the tables the reports publish: small counts, ``<N`` labels, recoverable cells.

Report notebooks save every table they publish as CSV under ``reports/tables/<report>/<lang>/`` (one
copy per language, the same cells hidden: :func:`language_problems`; ``<report>/`` alone is read too) with a JSON sidecar declaring its count columns, its structure (``additive``)
and the suppressions made (:class:`Sidecar`). :func:`check_table` refuses counts 1..min_cell-1,
``<N`` labels and, in an additive table, suppressed cells that the totals give away, and counts the
primary and secondary suppressions (:func:`suppression_metrics`) for the ``check`` stage.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pact_analysis import ingest
from pact_analysis.disclosure.suppression import SUPPRESSED, back_solvable
from pact_analysis.paths import Paths

#: Column names that say "count" in a published table: n, count, n_*, *_n, count_*, *_count.
COUNT_COLUMN = re.compile(r"^(n|count|counts|frequency)$|^n_|_n$|^count_|_count$", re.IGNORECASE)
#: A label ``<N`` (N whole), refused in published count columns.
_BELOW_LABEL = re.compile(r"^\s*<\s*\d+\s*$")


def count_columns(table: pd.DataFrame) -> list[str]:
    """Return the columns of a published table that hold counts.

    Columns named as counts (:data:`COUNT_COLUMN`: ``n``, ``count``, ``n_*``, ``*_n``...) when there
    are any; otherwise, for a pure crosstab, every column whose values are all whole numbers or
    suppression markers (the first column, the row labels, excepted).
    """
    named = [c for c in table.columns if COUNT_COLUMN.search(str(c))]
    if named:
        return named
    return [c for c in table.columns[1:] if _whole_numbers(table[c]) is not None]


def _text(column: pd.Series) -> pd.Series:
    return column.astype("string").str.strip()


def _is_marker(text: pd.Series) -> pd.Series:
    """:data:`SUPPRESSED`, or a (refused) ``<N`` label, so that such columns are still recognised."""
    return (text.eq(SUPPRESSED) | text.str.match(_BELOW_LABEL)).fillna(False).astype(bool)


def _whole_numbers(column: pd.Series) -> pd.Series | None:
    text = _text(column)
    marked = _is_marker(text)
    numeric = pd.to_numeric(text.where(~marked), errors="coerce")
    readable = numeric.notna() | text.isna() | marked
    if not readable.all() or (numeric.dropna() % 1 != 0).any():
        return None
    return numeric


def check_min_cell(table: pd.DataFrame, min_cell: int, columns: list[str] | None = None) -> list[str]:
    """Return one problem per count below ``min_cell`` that is not suppressed.

    Parameters
    ----------
    table : DataFrame
        A published table (as read back from its CSV). A cell that is not a number (:data:`SUPPRESSED`,
        an empty cell, any text) is not a count.
    min_cell : int
        Minimum publishable count.
    columns : list of str, optional
        The count columns; by default :func:`count_columns`.

    Returns
    -------
    list of str
        ``"row <label>, column <name>: count 3 below the minimum cell size 10"``; empty if safe.
    """
    problems = []
    for column in count_columns(table) if columns is None else columns:
        numbers = pd.to_numeric(_text(table[column]), errors="coerce")
        small = numbers[(numbers > 0) & (numbers < min_cell)]
        problems += [
            f"row {row}, column {column}: count {value:g} below the minimum cell size {min_cell}"
            for row, value in small.items()
        ]
    return problems


def check_labels(table: pd.DataFrame, columns: list[str] | None = None) -> list[str]:
    """Return one problem per count cell labelled ``<N``.

    A label ``<N`` states that the value is below N; the publisher of a suppression pattern cannot
    guarantee that (complementary cells are as large as they come), so suppressed cells are shown as
    :data:`SUPPRESSED` only.

    Parameters
    ----------
    table : DataFrame
        A published table (as read back from its CSV).
    columns : list of str, optional
        The count columns; by default :func:`count_columns`.

    Returns
    -------
    list of str
        ``"row 3, column n: label '<10' is not allowed; use [c]"``; empty if none.
    """
    problems = []
    for column in count_columns(table) if columns is None else columns:
        text = _text(table[column])
        problems += [
            f"row {row}, column {column}: label '{label}' is not allowed; use {SUPPRESSED}"
            for row, label in text[_is_marker(text) & text.ne(SUPPRESSED).fillna(False)].items()
        ]
    return problems


def check_recoverable(table: pd.DataFrame, columns: list[str] | None = None) -> list[str]:
    """Return one problem per suppressed cell of an additive table that its totals give away.

    Parameters
    ----------
    table : DataFrame
        A published additive table (rows x ``columns`` a crosstab with known row and column totals).
    columns : list of str, optional
        The count columns; by default :func:`count_columns`.

    Returns
    -------
    list of str
        ``"row 3, column n: suppressed cell recoverable from the row and column totals"``.
    """
    columns = count_columns(table) if columns is None else list(columns)
    hidden = table[columns].apply(_text).eq(SUPPRESSED).fillna(False).to_numpy(dtype=bool)
    return [
        f"row {table.index[r]}, column {columns[c]}: suppressed cell recoverable from the row and "
        "column totals"
        for r, c in back_solvable(hidden)
    ]


def read_published_csv(path: Path) -> pd.DataFrame:
    """Read a CSV as text (delimiter sniffed from the header), rows numbered as a spreadsheet shows them."""
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        delimiter = ingest.sniff_delimiter(fh.readline())
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, sep=delimiter, encoding="utf-8-sig")
    frame.index = frame.index + 2
    return frame


def published_tables(reports: Path) -> list[Path]:
    """Return the CSV tables the report notebooks publish, at any depth under ``reports/tables``.

    ``reports/tables/<report>/<name>.csv`` or ``reports/tables/<report>/<lang>/<name>.csv``.
    """
    return sorted((Path(reports) / "tables").rglob("*.csv"))


@dataclass(frozen=True)
class Sidecar:
    """What the publisher declares beside a table ``x.csv`` in ``x.json``.

    Attributes
    ----------
    count_columns : list of str or None
        ``"count_columns"``: the columns holding counts (None without a sidecar: guessed by
        :func:`count_columns`).
    additive : bool or None
        ``"additive"``: whether the counts form a crosstab with known totals (None if undeclared: the
        check then cannot tell whether totals would give a suppressed cell away).
    primary, secondary, derived : int or None
        ``"primary"``, ``"secondary"``, ``"derived"``: the suppressions made by :func:`protect` (None
        if not declared).
    protected_columns : list of str or None
        ``"protected_columns"``: the columns whose cells the protection decided (counts, or amounts
        protected by the persons behind them); None: the count columns.
    relations : str or None
        ``"relations"``: what ties those cells together (:data:`~.suppression.RELATIONS`).
    total : float or None
        ``"total"``: for nested counts, the whole they are parts of (known to a reader).
    """

    count_columns: list[str] | None = None
    additive: bool | None = None
    primary: int | None = None
    secondary: int | None = None
    derived: int | None = None
    protected_columns: list[str] | None = None
    relations: str | None = None
    total: float | None = None

    @property
    def structure(self) -> str | None:
        """The relations among the protected cells (:data:`~.suppression.RELATIONS`): ``relations``,
        or ``"crosstab"``/``"none"`` from ``additive`` when only that is declared (None: neither)."""
        if self.relations is not None:
            return self.relations
        return None if self.additive is None else ("crosstab" if self.additive else "none")


def read_sidecar(table_path: Path) -> Sidecar:
    """Return the declaration beside a published table (defaults when there is none)."""
    path = table_path.with_suffix(".json")
    if not path.exists():
        return Sidecar()
    data = json.loads(path.read_text(encoding="utf-8"))
    return Sidecar(
        list(data.get("count_columns", [])),
        None if data.get("additive") is None else bool(data["additive"]),
        _optional_int(data.get("primary")),
        _optional_int(data.get("secondary")),
        _optional_int(data.get("derived")),
        None if data.get("protected_columns") is None else list(data["protected_columns"]),
        data.get("relations"),
        None if data.get("total") is None else float(data["total"]),
    )


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def declared_count_columns(table_path: Path) -> list[str] | None:
    """Return the count columns declared next to a published table, if any.

    A table ``x.csv`` may come with ``x.json`` holding ``{"count_columns": [...]}`` (written by whoever
    publishes it); without one, :func:`count_columns` guesses from the column names and values.
    """
    return read_sidecar(table_path).count_columns


@dataclass(frozen=True)
class TableCheck:
    """The disclosure check of one published table.

    Attributes
    ----------
    name : str
        ``<report>/<name>`` (or ``<report>/<lang>/<name>``), relative to ``reports/tables``.
    small : list of str
        Unsuppressed counts below the minimum cell size.
    other : list of str
        Other problems: ``<N`` labels, suppressed cells that totals give away, undeclared or
        inconsistent declarations.
    suppressed : int
        Cells shown as :data:`SUPPRESSED`.
    primary, secondary : int or None
        The split of ``suppressed`` declared by the publisher (None if not declared).
    hidden : frozenset of (int, int)
        Positions (row, column) of the cells shown as :data:`SUPPRESSED`.
    """

    name: str
    small: list[str]
    other: list[str]
    suppressed: int
    primary: int | None
    secondary: int | None
    hidden: frozenset[tuple[int, int]] = frozenset()

    @property
    def table(self) -> str:
        """``<report>/<name>``: the table whatever the language of its copy."""
        parts = self.name.split("/")
        return "/".join([parts[0], parts[-1]])

    @property
    def lang(self) -> str | None:
        """The language of the copy (``<report>/<lang>/<name>``), None for a copy without one."""
        parts = self.name.split("/")
        return parts[1] if len(parts) == 3 else None


def check_relations(
    table: pd.DataFrame, columns: list[str], relations: str | None, min_cell: int, total: float | None = None
) -> list[str]:
    """Return the suppressed cells, and the small differences, that the declared relations give away.

    Parameters
    ----------
    table : DataFrame
        A published table (text, as :func:`read_published_csv` reads it).
    columns : list of str
        Its protected columns.
    relations : str or None
        ``"crosstab"``: rows and columns add up to known totals (:func:`check_recoverable`);
        ``"columns"``: each column on its own; ``"nested"``: each row's persons include the next
        row's (:func:`check_nested`); ``"none"`` or None: nothing to re-check.
    min_cell : int
        Minimum publishable count.
    total : float, optional
        ``"nested"``: the whole the rows are parts of (:func:`check_nested`).

    Returns
    -------
    list of str
    """
    if not columns or relations in (None, "none"):
        return []
    if relations == "crosstab":
        return check_recoverable(table, columns)
    if relations == "columns":
        return [problem for c in columns for problem in check_recoverable(table, [c])]
    if relations == "nested":
        return check_nested(table, columns, min_cell, total)
    return [f"relations {relations!r} unknown: the table cannot be checked"]


def check_nested(
    table: pd.DataFrame, columns: list[str], min_cell: int, total: float | None = None
) -> list[str]:
    """Return the small counts a reader gets by differencing the rows of a nested table.

    In a nested table each row's persons include the next row's (heads above increasing thresholds),
    between ``total`` (all of them, when a reader knows it) and none: two shown counts, the total
    included, differ by the persons between them, who must be none or at least ``min_cell``; a hidden
    cell between two equal shown counts (or beyond a shown total or a shown zero) is known. The shown
    counts must not go up then down (else the rows are not nested).

    Parameters
    ----------
    table : DataFrame
        A published table (text).
    columns : list of str
        Its count columns.
    min_cell : int
        Minimum publishable count.
    total : float, optional
        The whole the counts are parts of (the persons scored), known to a reader.

    Returns
    -------
    list of str
        One problem per pair of rows, or per column that is not monotone.
    """
    problems = []
    for column in columns:
        text = _text(table[column])
        hidden = text.eq(SUPPRESSED).fillna(False).astype(bool)
        values = pd.to_numeric(text.where(~hidden), errors="coerce")
        steps = values.dropna().diff().dropna()
        if (steps > 0).any() and (steps < 0).any():
            problems.append(f"column {column}: declared nested but its counts go up and down")
            continue
        rows = [
            (r, None if hidden[r] else float(values[r]))
            for r in table.index
            if hidden[r] or pd.notna(values[r])
        ]
        whole = [(_TOTAL, float(total))] if total is not None else []
        none = [(_NONE, 0.0)]
        line = [*none, *rows, *whole] if (steps > 0).any() else [*whole, *rows, *none]
        problems += _nested_pairs(line, column, min_cell)
    return problems


#: The implicit ends of a nested column: all the persons (when known) and none.
_TOTAL, _NONE = "the total", "none"


def _nested_pairs(line: list[tuple[Any, float | None]], column: str, min_cell: int) -> list[str]:
    """The problems between consecutive shown counts of one nested column (``None``: hidden)."""
    problems: list[str] = []
    last: tuple[Any, float] | None = None
    between = False
    for label, value in line:
        if value is None:
            between = True
            continue
        if last is not None:
            gap = abs(last[1] - value)
            if 0 < gap < min_cell and _NONE not in (last[0], label):  # a shown count: the min-cell check
                problems.append(
                    f"rows {last[0]} and {label}, column {column}: differ by {gap:g}, fewer than {min_cell} persons"
                )
            elif gap == 0 and between:
                problems.append(
                    f"rows {last[0]} and {label}, column {column}: equal, so the suppressed cells between "
                    "them are known"
                )
        last, between = (label, value), False
    return problems


def check_table(path: Path, min_cell: int, tables: Path) -> TableCheck:
    """Check one published table and count its suppressions (CSV read back + its sidecar).

    Parameters
    ----------
    path : Path
        The CSV.
    min_cell : int
        Minimum publishable count.
    tables : Path
        ``reports/tables``: names are relative to it.

    Returns
    -------
    TableCheck
    """
    table = read_published_csv(path)
    sidecar = read_sidecar(path)
    columns = count_columns(table) if sidecar.count_columns is None else sidecar.count_columns
    missing = [c for c in columns if c not in table.columns]
    columns = [c for c in columns if c in table.columns]
    other = [f"column {c}: declared as a count column but absent" for c in missing]
    other += check_labels(table, columns)
    protected = columns if sidecar.protected_columns is None else sidecar.protected_columns
    other += [f"column {c}: declared as protected but absent" for c in protected if c not in table.columns]
    other += check_relations(
        table, [c for c in protected if c in table.columns], sidecar.structure, min_cell, sidecar.total
    )
    marks = table.apply(_text).eq(SUPPRESSED).fillna(False).to_numpy()
    suppressed = int(marks.sum())
    declared = (sidecar.primary or 0) + (sidecar.secondary or 0) + (sidecar.derived or 0)
    if (sidecar.primary is not None or sidecar.secondary is not None) and declared != suppressed:
        other.append(
            f"the sidecar declares {declared} suppressed cells ({sidecar.primary} primary, "
            f"{sidecar.secondary} secondary, {sidecar.derived or 0} derived) but the table shows "
            f"{suppressed} {SUPPRESSED}"
        )
    return TableCheck(
        path.relative_to(tables).with_suffix("").as_posix(),
        check_min_cell(table, min_cell, columns),
        other,
        suppressed,
        sidecar.primary,
        sidecar.secondary,
        frozenset((int(r), int(c)) for r, c in zip(*marks.nonzero(), strict=True)),
    )


def check_tables(reports: Path, min_cell: int) -> list[TableCheck]:
    """Return the check of every published table (:func:`published_tables`), sorted by name."""
    tables = Path(reports) / "tables"
    return [check_table(path, min_cell, tables) for path in published_tables(reports)]


def small_cell_problems(reports: Path, min_cell: int, root: Path) -> list[str]:
    """Return the unsuppressed small counts of every published table, naming file, row and column."""
    return table_problems(check_tables(reports, min_cell), reports, root, "small")


def table_problems(checks: list[TableCheck], reports: Path, root: Path, kind: str) -> list[str]:
    """Return the problems of one kind found by the table checks, each prefixed with its CSV's path.

    Parameters
    ----------
    checks : list of TableCheck
        From :func:`check_tables`.
    reports : Path
        The ``reports`` folder.
    root : Path
        Project root: the CSV paths are relative to it.
    kind : {"small", "other"}
        Unsuppressed small counts, or every other problem (:class:`TableCheck`).
    """
    tables = (Path(reports) / "tables").relative_to(root)
    return [f"{tables / c.name}.csv: {p}" for c in checks for p in getattr(c, kind)]


def language_problems(checks: list[TableCheck]) -> list[str]:
    """Return the tables whose copies in two languages do not hide the same cells.

    A table is published once per language (``<report>/<lang>/<name>.csv``): its words are
    translated, its suppression decision is one.
    """
    problems = []
    for table, copies in _by_table(checks).items():
        first = copies[0]
        for other in copies[1:]:
            if (other.hidden, other.primary, other.secondary) != (
                first.hidden,
                first.primary,
                first.secondary,
            ):
                problems.append(
                    f"{table}: the {first.lang} and {other.lang} copies hide different cells "
                    f"({len(first.hidden)} and {len(other.hidden)} shown as {SUPPRESSED})"
                )
    return problems


def _by_table(checks: list[TableCheck]) -> dict[str, list[TableCheck]]:
    """The checks grouped by table (:attr:`TableCheck.table`), copies in language order."""
    grouped: dict[str, list[TableCheck]] = {}
    for check in sorted(checks, key=lambda c: (c.table, c.lang or "")):
        grouped.setdefault(check.table, []).append(check)
    return grouped


def suppression_metrics(checks: list[TableCheck]) -> dict[str, Any]:
    """Return the suppression counts of the published tables (the ``check`` stage's record).

    Each table counts once, whatever the number of languages it is published in (the copies hide
    the same cells: :func:`language_problems`); its first copy in language order is counted.
    ``suppressed_primary`` and ``suppressed_secondary`` add up what the publishers declared;
    ``suppressed_cells`` counts every :data:`SUPPRESSED` cell found; ``tables`` gives, per table
    (``<report>/<name>``), ``primary``, ``secondary`` (None if undeclared) and ``suppressed``.
    """
    first = [copies[0] for copies in _by_table(checks).values()]
    return {
        "suppressed_cells": sum(c.suppressed for c in first),
        "suppressed_primary": sum(c.primary or 0 for c in first),
        "suppressed_secondary": sum(c.secondary or 0 for c in first),
        "tables": {
            c.table: {"primary": c.primary, "secondary": c.secondary, "suppressed": c.suppressed}
            for c in first
        },
    }


def check_details_path(paths: Paths) -> Path:
    """Return where the ``check`` stage writes its full record: ``reports/tables/disclosure.json``.

    It holds, besides the headline figures of ``metrics/disclosure.json``, the files scanned and
    skipped, the problems found and the suppressions of every published table
    (:func:`suppression_metrics`).

    Parameters
    ----------
    paths : Paths
        Project paths.
    """
    return paths.disclosure_record
