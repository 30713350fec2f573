"""Statistical disclosure control and the PII scan of everything that is published.

Two guarantees, checked by ``python -m pact_analysis check`` (:func:`run`):

1. **Small cells.** Published counts below ``disclosure.min_cell`` are suppressed and shown as
   :data:`SUPPRESSED` (``[c]``, never ``<N``) by :func:`protect`. A table declares its structure: an
   additive one (a crosstab whose totals are published or derivable) also gets the fewest and
   smallest complementary suppressions that keep every suppressed cell unrecoverable; a
   non-additive one (alternative methods side by side, different measures) gets primary suppression
   only. Report notebooks save every table they publish as CSV under ``reports/tables/<report>/``
   (optionally ``<report>/<lang>/``) with a JSON sidecar; :func:`check_table` refuses counts
   1..min_cell-1, ``<N`` labels and recoverable suppressed cells there, and counts the primary and
   secondary suppressions for ``metrics/disclosure.json``.
2. **No direct identifier after linkage.** :func:`scan_for_pii` looks for identities taken from the
   raw person extracts in every file under ``data/processed``, ``data/warehouse``, ``reports`` and
   ``metrics``. A finding names the file, the kind of identifier and where it is -- never the value.

The matching rule, chosen to find real leaks without drowning them in false alarms:

- **names**: the full given name followed by the first surname (``MARIA JOSE MARTIN``) or the first
  surname followed by the full given name (``MARTIN, MARIA JOSE``), as whole words after removing
  accents, case and punctuation; only surnames of more than 3 letters (so ``MARIA LI`` in a sentence
  is not a hit). A lone given name or surname (``MARIA``, ``GARCIA``) is never a hit: codebook
  labels, references (``Ayala & Rodríguez``) and place names are full of them.
- **documents**: any DNI/NIE/passport number recorded in the raw extracts (typos included), with or
  without separators before the letter, and the 8 digits of a DNI without its letter; only as a whole
  token, so digits inside a pseudonym (hex) or a longer number do not count.
- **phones**: the 9 digits of a recorded phone number, optionally with ``+34`` and separators.
- **birth dates**: exact ``dd/mm/yyyy`` or ``yyyy-mm-dd`` birth dates *before*
  ``period.earliest_event``: no event of the study can carry such a date, while later birth dates
  (children) are indistinguishable from event dates.
- **identifier columns**: in a data file (parquet, DuckDB, CSV), a column named like a direct
  identifier -- a codebook ``pii`` column (``given_name``, ``surname1``, ``doc_number``,
  ``birth_date``, ``address``, ``phone``...) or a synonym (``nombre``, ``apellidos``, ``dni``,
  ``fecha_nacimiento``, ``dob``...) -- is a finding by itself, whatever its values: names split
  over two columns would escape the full-name rule, which works within one cell or one line.

What is scanned: parquet (every string, date and datetime column), DuckDB databases (every table),
CSV, JSON, HTML (tags removed, entities and ``\\uXXXX`` escapes decoded, base64 images ignored),
SVG, Markdown and plain text. Other binary files (PNG...) are listed as skipped in the metrics.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.linalg
from scipy.optimize import Bounds, LinearConstraint, milp

from pact_analysis import codebook, ingest
from pact_analysis.config import Paths
from pact_analysis.errors import ExtractError, StageError
from pact_analysis.io import progress, write_json

#: Column names that say "count" in a published table: n, count, n_*, *_n, count_*, *_count.
COUNT_COLUMN = re.compile(r"^(n|count|counts|frequency)$|^n_|_n$|^count_|_count$", re.IGNORECASE)
#: Spanish and English names of direct-identifier columns, besides the codebook's ``pii`` columns.
IDENTIFIER_SYNONYMS = (
    r"birth_?date|date_?of_?birth|dob|fecha_?(de_?)?nac(imiento)?|first_?name|last_?name|surnames?|"
    r"nombre|apellidos?\d?|dni|nie|nif|document_?number|telefono|phone_?number|direccion|domicilio"
)
#: The kind of a finding made on values (the others are made on column names).
VALUE_KINDS = frozenset({"a DNI/NIE", "a phone number", "a birth date", "a full name"})
TEXT_SUFFIXES = frozenset({".csv", ".json", ".html", ".htm", ".svg", ".md", ".txt", ".tsv", ".yaml", ".yml"})
DB_SUFFIXES = frozenset({".duckdb", ".db"})
_DOC = re.compile(r"(?<![0-9A-Z])([XYZ]?\d{7,8})[ .\-]?([A-Z])?(?![0-9A-Z])")
_PHONE = re.compile(r"(?<![0-9A-Z])(?:\+?34[ .\-]?)?([6789]\d{2})[ .\-]?(\d{3})[ .\-]?(\d{3})(?![0-9A-Z])")
_DATE = re.compile(r"(?<!\d)(\d{2})/(\d{2})/(\d{4})(?!\d)|(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_BASE64 = re.compile(r"data:[\w/+.\-]+;base64,[A-Za-z0-9+/=\s\\]+")
_TAG = re.compile(r"<[^>]*>")
_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


# --- small cells ------------------------------------------------------------------------------------

#: How a suppressed cell is published, whatever its value: the UK statistical convention ``[c]``
#: ("confidential"). A cell is never labelled ``<N``: that states that its value is below N, which is
#: false for a complementary (secondary) suppression. The report layer explains the symbol.
SUPPRESSED = "[c]"
#: Largest table (number of count cells) whose complementary suppression is solved exactly with an
#: integer program (:func:`scipy.optimize.milp`); larger tables use the greedy heuristic, whose cost
#: grows only linearly with the table while the exact search can grow exponentially.
EXACT_MAX_CELLS = 400
#: Rounds of the exact search (each excluding one pattern that totals would still undo) before the
#: greedy heuristic repairs the last pattern instead.
EXACT_MAX_ROUNDS = 50
#: HiGHS options: a proven optimum (no relative gap); node and time limits as a safety net.
_MILP_OPTIONS = {"mip_rel_gap": 0.0, "node_limit": 20_000, "time_limit": 60.0}
#: A label ``<N`` (N whole), refused in published count columns.
_BELOW_LABEL = re.compile(r"^\s*<\s*\d+\s*$")


@dataclass(frozen=True)
class Protected:
    """A table protected for publication (:func:`protect`).

    Attributes
    ----------
    table : DataFrame
        The table as published: suppressed counts replaced by :data:`SUPPRESSED` (count columns as
        object dtype), other columns unchanged.
    mask : DataFrame of bool
        True where a count is suppressed; same rows as ``table``, one column per count column.
    primary : int
        Cells suppressed because they hold 1..min_cell-1.
    secondary : int
        Complementary cells suppressed so that no primary cell can be recovered from totals.
    derived : int
        Cells of ``derived`` columns (shares, means, intervals computed from the counts) suppressed
        because their row has a suppressed count.
    """

    table: pd.DataFrame
    mask: pd.DataFrame
    primary: int
    secondary: int
    derived: int = 0


def marker(min_cell: int | None = None) -> str:
    """Return how a suppressed cell is shown: :data:`SUPPRESSED` (``min_cell`` is ignored)."""
    return SUPPRESSED


def back_solvable(mask: np.ndarray) -> list[tuple[int, int]]:
    """Return the suppressed cells that row and column totals determine exactly.

    Each row and each column of a 2-D table gives one linear equation on its suppressed cells (the
    total minus the shown cells); a line of one cell gives none (its "total" is the cell itself and is
    not published). A suppressed cell is recoverable when its unit vector lies in the row space of
    those equations, that is when every solution of the homogeneous system is zero there.

    Parameters
    ----------
    mask : ndarray of bool, shape (rows, columns)
        True where a cell is suppressed.

    Returns
    -------
    list of (row, column)
        Positions of recoverable suppressed cells, in reading order (empty when the pattern is safe).
    """
    mask = np.asarray(mask, dtype=bool)
    cells = [(int(r), int(c)) for r, c in np.argwhere(mask)]
    equations = [[float(cell in line) for cell in cells] for line in map(set, _lines(mask.shape))]
    if not cells or not equations:
        return []
    null = scipy.linalg.null_space(np.array(equations))
    freedom = np.linalg.norm(null, axis=1) if null.shape[1] else np.zeros(len(cells))
    return [cell for cell, free in zip(cells, freedom, strict=True) if free < 1e-8]


def suppression_mask(
    counts: pd.DataFrame, min_cell: int, additive: bool = True, method: str = "auto"
) -> pd.DataFrame:
    """Return which cells of a count table to suppress: primary and, if additive, secondary.

    Primary: counts 1..``min_cell``-1 (a true zero is not disclosive by itself). Secondary, only for
    an additive table (rows x columns a crosstab whose row and column totals are published or
    derivable): the fewest complementary cells, then the smallest in total, such that no suppressed
    cell can be recovered exactly (:func:`back_solvable`). Zeros are complements of last resort:
    a pattern with fewer zeros is always preferred. Missing cells (NaN: combinations that do not
    exist) are never chosen.

    ``method="exact"`` solves this as an integer program: every row and column holds 0 or at least 2
    suppressed cells; the optimum is checked with :func:`back_solvable` and, while a cell is still
    recoverable, that pattern is excluded and the program solved again. ``"greedy"``: while a line
    holds exactly one suppressed cell, suppress the smallest count left in it; then, while a cell is
    recoverable, the smallest count left in its row or column. ``"auto"`` (default) is exact up to
    :data:`EXACT_MAX_CELLS` cells and greedy above (or if the solver fails). The result is
    deterministic: the same table always gives the same pattern.

    Parameters
    ----------
    counts : DataFrame
        Non-negative counts; rows and columns are the two dimensions (totals, if present as a row or
        column, take part like any other cell).
    min_cell : int
        Minimum publishable count.
    additive : bool, default True
        False for a table whose cells add up to nothing published (rows are alternative methods,
        columns different measures...): primary suppression only.
    method : {"auto", "exact", "greedy"}
        How complementary cells are chosen.

    Returns
    -------
    DataFrame of bool
        Same shape and labels as ``counts``.
    """
    if method not in {"auto", "exact", "greedy"}:
        raise ValueError(f"unknown suppression method {method!r}")
    values = counts.to_numpy(dtype=float, na_value=np.nan)
    mask = (values > 0) & (values < min_cell)
    if additive and mask.any():
        mask = _complements(values, mask, method)
    return pd.DataFrame(mask, index=counts.index, columns=counts.columns)


def _complements(values: np.ndarray, primary: np.ndarray, method: str) -> np.ndarray:
    if method == "greedy" or (method == "auto" and values.size > EXACT_MAX_CELLS):
        return _greedy(values, primary)
    return _exact(values, primary)


def _lines(shape: tuple[int, ...]) -> Iterator[list[tuple[int, int]]]:
    """Yield the rows and columns of a table that have a total: lines of more than one cell."""
    rows, cols = shape
    if cols > 1:
        yield from ([(r, c) for c in range(cols)] for r in range(rows))
    if rows > 1:
        yield from ([(r, c) for r in range(rows)] for c in range(cols))


# --- greedy complementary suppression


def _greedy(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    mask = mask.copy()
    for _ in range(values.size + 1):
        if not (_protect_lines(values, mask) or _protect_solvable(values, mask)):
            break
    return mask


def _smallest_free(values: np.ndarray, mask: np.ndarray, cells: Iterable[tuple[int, int]]) -> tuple | None:
    free = [(values[c] == 0, values[c], c) for c in cells if not mask[c] and not np.isnan(values[c])]
    return min(free)[2] if free else None


def _protect_lines(values: np.ndarray, mask: np.ndarray) -> bool:
    added = False
    for line in _lines(values.shape):
        if sum(mask[c] for c in line) == 1:
            cell = _smallest_free(values, mask, line)
            if cell is not None:
                mask[cell] = added = True
    return added


def _protect_solvable(values: np.ndarray, mask: np.ndarray) -> bool:
    for row, col in back_solvable(mask):
        line = [(row, c) for c in range(values.shape[1])] + [(r, col) for r in range(values.shape[0])]
        cell = _smallest_free(values, mask, line)
        if cell is not None:
            mask[cell] = True
            return True
    return False


# --- exact complementary suppression


def _exact(values: np.ndarray, primary: np.ndarray) -> np.ndarray:
    """Optimal complements by integer programming; greedy if the solver gives up."""
    candidates = [(int(r), int(c)) for r, c in np.argwhere(~primary & ~np.isnan(values))]
    # Cells that totals give away even if every other cell were suppressed: nothing can protect them.
    hopeless = set(back_solvable(primary | ~np.isnan(values)))
    excluded: list[list[int]] = []
    mask = primary
    for _ in range(EXACT_MAX_ROUNDS):
        chosen = _solve_complements(values, primary, candidates, excluded)
        if chosen is None:
            return _greedy(values, primary)
        mask = primary.copy()
        for j in chosen:
            mask[candidates[j]] = True
        if set(back_solvable(mask)) <= hopeless:
            return mask
        excluded.append(chosen)
    return _greedy(values, mask)


def _solve_complements(
    values: np.ndarray, primary: np.ndarray, candidates: list[tuple[int, int]], excluded: list[list[int]]
) -> list[int] | None:
    """Return the indices of the cheapest complements meeting the line rule, or None if none found.

    Variables: one binary per candidate cell, then one per line without a primary cell (1 when that
    line holds suppressed cells, which must then be at least 2). The cost is lexicographic, in two
    solves: first (zeros used, cells used), then the total value of the cells among those optima.
    Each pattern in ``excluded`` is cut off with its subsets (at least one cell outside it).
    """
    n = len(candidates)
    if not n:
        return []
    width, rows, bounds = _line_rule(primary, candidates)
    for chosen in excluded:
        rows.append(_row(width, sorted(set(range(n)) - set(chosen))))
        bounds.append((1.0, np.inf))
    cell_values = np.array([values[c] for c in candidates])
    count_cost = _row(width, range(n), np.where(cell_values == 0, n + 1.0, 1.0))
    first = _milp(count_cost, rows, bounds)
    if first is None:
        return None
    fewest = float(np.round(first @ count_cost))
    second = _milp(_row(width, range(n), cell_values), [*rows, count_cost], [*bounds, (0.0, fewest + 0.5)])
    solution = first if second is None else second
    return [j for j in range(n) if solution[j] > 0.5]


def _row(width: int, positions: Iterable[int], coefficients: Any = 1.0) -> np.ndarray:
    row = np.zeros(width)
    row[list(positions)] = coefficients
    return row


def _line_rule(primary: np.ndarray, candidates: list[tuple[int, int]]) -> tuple[int, list, list]:
    """Return (variables, rows, bounds) of "each line holds 0 or at least 2 suppressed cells"."""
    index = {cell: j for j, cell in enumerate(candidates)}
    groups = []
    for line in _lines(primary.shape):
        members = [index[c] for c in line if c in index]
        hits = int(sum(primary[c] for c in line))
        if members and hits <= 1:
            groups.append((hits, members))
    n = len(candidates)
    width = n + sum(1 for hits, _ in groups if hits == 0)
    rows: list[np.ndarray] = []
    bounds: list[tuple[float, float]] = []
    flag = n
    for hits, members in groups:
        if hits == 1:  # one primary cell: at least one complement in the line
            rows.append(_row(width, members))
            bounds.append((1.0, np.inf))
            continue
        rows += [_row(width, [j, flag], [1.0, -1.0]) for j in members]  # a cell used: the line is used
        bounds += [(-np.inf, 0.0)] * len(members)
        rows.append(_row(width, [*members, flag], [1.0] * len(members) + [-2.0]))  # used: >= 2 cells
        bounds.append((0.0, np.inf))
        flag += 1
    return width, rows, bounds


def _milp(cost: np.ndarray, rows: list[np.ndarray], bounds: list[tuple[float, float]]) -> np.ndarray | None:
    """Minimise ``cost`` over binary vectors subject to ``bounds`` on ``rows``; None if no solution."""
    constraints = [LinearConstraint(np.array(rows), *np.array(bounds).T)] if rows else []
    result = milp(
        cost,
        constraints=constraints,
        integrality=np.ones(len(cost)),
        bounds=Bounds(0, 1),
        options=_MILP_OPTIONS,
    )
    return None if result.x is None else np.round(result.x)


# --- publishing


def _round(values: pd.DataFrame, base: int | None) -> pd.DataFrame:
    """Round counts to the nearest multiple of ``base`` (halves to even); unchanged if no base."""
    if not base:
        return values
    return values.div(base).round().mul(base).astype("Int64")


def protect(
    table: pd.DataFrame,
    min_cell: int,
    columns: list[str] | None = None,
    additive: bool = True,
    round_to: int | None = None,
    *,
    count: str | None = None,
    by: list[str] | None = None,
    derived: list[str] | None = None,
) -> Protected:
    """Protect a table for publication: suppress small counts, and complements if it is additive.

    Parameters
    ----------
    table : DataFrame
        A table whose rows are categories and whose count columns are ``columns`` (a crosstab when
        every column is a count), or a long frame with one row per cell and a ``count`` column.
    min_cell : int
        Minimum publishable count (``params["disclosure"]["min_cell"]``).
    columns : list of str, optional
        Wide table: the count columns. Other columns are left as they are. Default: every column.
    additive : bool, default True
        True when rows x count columns form a crosstab whose row and column totals are published or
        derivable: complementary cells are then suppressed so that no suppressed cell can be
        recovered exactly (:func:`suppression_mask`). False when the cells add up to nothing
        published (rows are alternative methods, columns different measures): primary suppression
        only.
    round_to : int, optional
        Round the published (unsuppressed) counts to the nearest multiple of this base (e.g. 5).
        Suppression is decided on the exact counts.
    count : str, optional
        Long frame: the name of its count column (``columns`` is then ignored).
    by : list of str, optional
        Long frame only: the dimensions of the table. With two or more, the last one is the columns
        of the crosstab and the others its rows; with one, the cells form a single line whose total is
        assumed known. Defaults to every column except ``count``.
    derived : list of str, optional
        Columns computed from the counts of their row (shares, rates, means, interval limits). A
        share beside a suppressed count gives the count back (share x n), so in every row with a
        suppressed count these are suppressed too.

    Returns
    -------
    Protected
        The published table (suppressed cells shown as :data:`SUPPRESSED`), the mask and the numbers
        of primary, secondary and derived suppressions.
    """
    if count is not None:
        columns = [count]
        hidden = _long_mask(table, min_cell, count, by, additive)
    else:
        columns = list(table.columns) if columns is None else list(columns)
        hidden = suppression_mask(table[columns], min_cell, additive).to_numpy()
    mask = pd.DataFrame(hidden, index=table.index, columns=columns)
    out = table.copy()
    out[columns] = _round(table[columns], round_to).astype(object).mask(hidden, SUPPRESSED)
    values = table[columns].to_numpy(dtype=float, na_value=np.nan)
    primary = int(((values > 0) & (values < min_cell)).sum())
    rows = mask.any(axis=1)
    derived_cells = 0
    for column in derived or []:
        hit = rows & table[column].notna()
        derived_cells += int(hit.sum())
        out[column] = out[column].astype(object).mask(hit, SUPPRESSED)
    return Protected(out, mask, primary, int(hidden.sum()) - primary, derived_cells)


def protect_by(values: pd.DataFrame, behind: pd.DataFrame, min_cell: int, additive: bool = True) -> Protected:
    """Protect a table of amounts whose cells are decided by the counts of persons behind them.

    A spending crosstab (EUR by province and year) holds no counts, but each cell describes the
    persons behind it: the suppression pattern is the one :func:`suppression_mask` finds on
    ``behind`` (small cells and, for an additive table, their complements), applied to ``values``.

    Parameters
    ----------
    values : DataFrame
        The published amounts.
    behind : DataFrame
        Persons behind each cell; same index and columns as ``values``.
    min_cell : int
        Minimum publishable count.
    additive : bool
        Whether the cells of ``behind`` add up to published or derivable totals.

    Returns
    -------
    Protected
        ``values`` with the suppressed cells shown as :data:`SUPPRESSED`; ``primary`` and
        ``secondary`` count the cells hidden because of ``behind``.
    """
    if not (values.index.equals(behind.index) and values.columns.equals(behind.columns)):
        raise ValueError(
            "protect_by: the amounts and the persons behind them must have the same rows and columns"
        )
    mask = suppression_mask(behind, min_cell, additive)
    counts = behind.to_numpy(dtype=float, na_value=np.nan)
    primary = int(((counts > 0) & (counts < min_cell)).sum())
    out = values.astype(object).mask(mask.to_numpy(), SUPPRESSED)
    return Protected(out, mask, primary, int(mask.to_numpy().sum()) - primary, 0)


def suppress_small_cells(
    table: pd.DataFrame,
    min_cell: int,
    columns: list[str] | None = None,
    count: str | None = None,
    by: list[str] | None = None,
    round_to: int | None = None,
    additive: bool = True,
) -> pd.DataFrame:
    """Return the table as published by :func:`protect` (same parameters)."""
    return protect(table, min_cell, columns, additive, round_to, count=count, by=by).table


def _long_mask(
    table: pd.DataFrame, min_cell: int, count: str, by: list[str] | None, additive: bool
) -> np.ndarray:
    """Suppression of a long frame, decided on its crosstab; one flag per row of ``table``."""
    by = list(by) if by else [c for c in table.columns if c != count]
    cells = table.set_index(by)[count]
    if len(by) > 1:
        mask = suppression_mask(cells.unstack(by[-1]), min_cell, additive).reset_index()
        hidden = mask.melt(id_vars=by[:-1], var_name=by[-1], value_name="_hidden")
    else:
        mask = suppression_mask(cells.to_frame().T, min_cell, additive)
        hidden = mask.melt(var_name=by[0], value_name="_hidden")
    return table[by].merge(hidden, on=by, how="left")["_hidden"].eq(True).to_numpy().reshape(-1, 1)


# --- checking published tables


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


# --- identities -------------------------------------------------------------------------------------


def normalise_text(text: str) -> str:
    """Upper-case, accents removed, every run of non-alphanumerics collapsed to one space."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().upper()
    return " ".join(re.sub(r"[^A-Z0-9]+", " ", plain).split())


@dataclass
class Identities:
    """What a direct identifier from ``data/raw`` looks like, in normalised form."""

    names: set[str] = field(default_factory=set)
    documents: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    birth_dates: set[pd.Timestamp] = field(default_factory=set)

    def __post_init__(self) -> None:
        #: Number of words of the longest name pattern (bounds the n-grams tried per text).
        self.longest_name = max((len(n.split()) for n in self.names), default=0)

    def __or__(self, other: Identities) -> Identities:
        return Identities(
            self.names | other.names,
            self.documents | other.documents,
            self.phones | other.phones,
            self.birth_dates | other.birth_dates,
        )


def identities_from_frame(frame: pd.DataFrame) -> Identities:
    """Collect name patterns, documents, phones and early birth dates from parsed person records.

    Parameters
    ----------
    frame : DataFrame
        Columns ``given_name``, ``surname1``, ``doc_number``, ``birth_date`` and optionally ``phone``
        (missing columns are skipped).
    """
    names: set[str] = set()
    documents: set[str] = set()
    phones: set[str] = set()
    birth_dates: set[pd.Timestamp] = set()
    if {"given_name", "surname1"} <= set(frame.columns):
        pairs = frame[["given_name", "surname1"]].dropna().drop_duplicates()
        for given, surname in pairs.itertuples(index=False):
            given, surname = normalise_text(str(given)), normalise_text(str(surname))
            if given and len(surname.replace(" ", "")) > 3:
                names |= {f"{given} {surname}", f"{surname} {given}"}
    if "doc_number" in frame:
        docs = frame["doc_number"].dropna().astype(str).map(lambda d: re.sub(r"[^0-9A-Z]", "", d.upper()))
        documents |= {d for d in docs if sum(ch.isdigit() for ch in d) >= 7}
        documents |= {d[:8] for d in docs if re.fullmatch(r"\d{8}[A-Z]", d)}
    if "phone" in frame:
        digits = frame["phone"].dropna().astype(str).str.replace(r"\D", "", regex=True).str[-9:]
        phones |= {d for d in digits if len(d) == 9}
    if "birth_date" in frame:
        earliest = pd.Timestamp(codebook.load()["period"]["earliest_event"])
        dates = pd.to_datetime(frame["birth_date"], errors="coerce").dropna()
        birth_dates |= set(dates[dates < earliest].dt.normalize())
    return Identities(names, documents, phones, birth_dates)


def collect_identities(raw: Path) -> Identities:
    """Read the identities of every person source present in ``raw`` (the raw extracts).

    Raises
    ------
    StageError
        If no person extract is found (the scan would then find nothing, proving nothing).
    """
    found = Identities()
    seen = 0
    for source in codebook.person_sources():
        path = Path(raw) / codebook.sources()[source]["file"]
        if not path.exists():
            continue
        text, _ = ingest.read_text(path, source)
        spec = codebook.columns(source)["birth_date"]
        parsed = text.assign(birth_date=ingest.parse_date(text["birth_date"], "birth_date", spec)[0])
        found = found | identities_from_frame(parsed.replace("", None))
        seen += 1
    if not seen:
        raise StageError(f"no person extract in {raw}: the PII scan needs data/raw to know what to look for")
    return found


# --- scanning ---------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Finding:
    """A direct identifier found where none may be: file, kind and place -- never the value."""

    file: str
    kind: str
    location: str

    def __str__(self) -> str:
        origin = " from data/raw" if self.kind in VALUE_KINDS else ""
        return f"{self.file}: {self.kind}{origin} at {self.location}"


def find_in_text(text: str, who: Identities) -> list[str]:
    """Return the kinds of identifiers found in one piece of text (one string cell or one line)."""
    kinds = []
    upper = text.upper()
    if any(_doc_hit(m, who) for m in _DOC.finditer(upper)):
        kinds.append("a DNI/NIE")
    if any("".join(m.groups()) in who.phones for m in _PHONE.finditer(upper)):
        kinds.append("a phone number")
    if who.birth_dates and any(_date_of(m) in who.birth_dates for m in _DATE.finditer(text)):
        kinds.append("a birth date")
    if who.names and _name_hit(normalise_text(text).split(), who):
        kinds.append("a full name")
    return kinds


def _doc_hit(match: re.Match, who: Identities) -> bool:
    number, letter = match.group(1), match.group(2) or ""
    return number + letter in who.documents or (not letter and number in who.documents)


def _date_of(match: re.Match) -> pd.Timestamp | None:
    day, month, year = match.group(1, 2, 3) if match.group(1) else match.group(6, 5, 4)
    try:
        return pd.Timestamp(int(year), int(month), int(day))
    except ValueError:
        return None


def _name_hit(words: list[str], who: Identities) -> bool:
    longest = who.longest_name
    return any(
        " ".join(words[i : i + n]) in who.names for i in range(len(words)) for n in range(2, longest + 1)
    )


def clean_markup(text: str) -> str:
    """Return the text of HTML/SVG/JSON: base64 payloads dropped, tags removed, escapes decoded.

    Line breaks are kept so that findings can name a line.
    """
    text = _BASE64.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    text = _TAG.sub(lambda m: " " + "\n" * m.group(0).count("\n"), text)
    text = _UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    return html.unescape(text)


def scan_text_file(path: Path, who: Identities) -> list[tuple[str, str]]:
    """Return ``(kind, "line N")`` for every line of a text file holding an identifier."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix.lower() in {".html", ".htm", ".svg", ".json"}:
        text = clean_markup(text)
    return [
        (kind, f"line {n}") for n, line in enumerate(text.splitlines(), 1) for kind in find_in_text(line, who)
    ]


@cache
def _identifier_column_pattern() -> re.Pattern:
    pii = {c for s in codebook.person_sources() for c in codebook.pii_columns(s)}
    names = "|".join(sorted(map(re.escape, pii))) + "|" + IDENTIFIER_SYNONYMS
    return re.compile(rf"^({names})(_[lr]|_\d)?$", re.IGNORECASE)


def identifier_column(name: str) -> bool:
    """Return whether a column name is a direct identifier's: a codebook ``pii`` column or a synonym.

    Splink's pair suffixes (``given_name_l``) count too; ``doc_type`` or ``birth_year`` do not.
    """
    return bool(_identifier_column_pattern().match(name.strip()))


def scan_frame(frame: pd.DataFrame, who: Identities) -> list[tuple[str, str]]:
    """Return ``(kind, "column C, row R")`` per column and kind of identifier found in a table."""
    hits = []
    for column in frame.columns:
        if identifier_column(str(column)):
            hits.append(("a direct-identifier column", f"column {column}"))
        values = frame[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            dates = values.dt.normalize()
            rows = dates.index[dates.isin(who.birth_dates)]
            hits += [("a birth date", f"column {column}, row {rows[0]}")] if len(rows) else []
        elif not (pd.api.types.is_float_dtype(values) or pd.api.types.is_bool_dtype(values)):
            hits += _scan_strings(values, column, who)  # strings, dates as objects, integers (DNI, phone)
    return hits


def _scan_strings(values: pd.Series, column: Any, who: Identities) -> list[tuple[str, str]]:
    text = values.dropna().astype(str)
    kinds: dict[str, Any] = {}
    for value in text.unique():
        for kind in find_in_text(value, who):
            kinds.setdefault(kind, value)
    hits = []
    for kind, value in sorted(kinds.items()):
        row = text.index[text == value][0]
        hits.append((kind, f"column {column}, row {row}"))
    return hits


def read_published_csv(path: Path) -> pd.DataFrame:
    """Read a CSV as text (delimiter sniffed from the header), rows numbered as a spreadsheet shows them."""
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        delimiter = ingest.sniff_delimiter(fh.readline())
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, sep=delimiter, encoding="utf-8-sig")
    frame.index = frame.index + 2
    return frame


def read_table(path: Path) -> Iterator[tuple[str, pd.DataFrame]]:
    """Yield ``(table name, frame)`` for a parquet file (one table) or a DuckDB database (each table)."""
    if path.suffix.lower() == ".parquet":
        yield "", pd.read_parquet(path)
        return
    import duckdb

    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables order by 1, 2"
        ).fetchall()
        for schema, name in tables:
            yield f"table {schema}.{name}, ", con.execute(f'select * from "{schema}"."{name}"').df()


def scan_file(path: Path, who: Identities) -> list[tuple[str, str]] | None:
    """Return the identifiers found in one file as ``(kind, location)``; None if the type is not scanned."""
    suffix = path.suffix.lower()
    if suffix == ".parquet" or suffix in DB_SUFFIXES:
        return [
            (kind, prefix + where)
            for prefix, frame in read_table(path)
            for kind, where in scan_frame(frame, who)
        ]
    if suffix == ".csv":
        try:
            frame = read_published_csv(path)
        except (ValueError, pd.errors.ParserError):
            return scan_text_file(path, who)
        return scan_frame(frame, who) + [
            (kind, f"column {col}") for col in frame.columns for kind in find_in_text(str(col), who)
        ]
    if suffix in TEXT_SUFFIXES:
        return scan_text_file(path, who)
    return None


def files_under(folders: Iterable[Path]) -> list[Path]:
    """Return every file under the folders, sorted (hidden temporary files of atomic writes skipped)."""
    found = []
    for folder in folders:
        if Path(folder).exists():
            found += [p for p in Path(folder).rglob("*") if p.is_file() and not p.name.startswith(".")]
    return sorted(found)


def scan_for_pii(
    paths_to_scan: Iterable[Path], identities: Identities, root: Path | None = None
) -> dict[str, Any]:
    """Scan every file under ``paths_to_scan`` for identities from the raw extracts.

    Parameters
    ----------
    paths_to_scan : iterable of Path
        Folders (or files) to scan recursively.
    identities : Identities
        From :func:`collect_identities`.
    root : Path, optional
        Findings name files relative to this folder.

    Returns
    -------
    dict
        ``findings`` (list of :class:`Finding`), ``scanned`` and ``skipped`` (relative file names).
    """
    targets = [Path(p) for p in paths_to_scan]
    files = [p for p in targets if p.is_file()] + files_under(p for p in targets if p.is_dir())
    findings: list[Finding] = []
    scanned, skipped = [], []
    for path in progress(files, desc="PII scan"):
        name = str(path.relative_to(root)) if root and path.is_relative_to(root) else str(path)
        hits = scan_file(path, identities)
        (skipped if hits is None else scanned).append(name)
        findings += [Finding(name, kind, where) for kind, where in hits or []]
    return {"findings": sorted(set(findings)), "scanned": scanned, "skipped": skipped}


# --- the stage --------------------------------------------------------------------------------------


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
    """

    count_columns: list[str] | None = None
    additive: bool | None = None
    primary: int | None = None
    secondary: int | None = None
    derived: int | None = None


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
    """

    name: str
    small: list[str]
    other: list[str]
    suppressed: int
    primary: int | None
    secondary: int | None


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
    if sidecar.additive is True and columns:
        other += check_recoverable(table, columns)
    suppressed = int(table.apply(_text).eq(SUPPRESSED).fillna(False).to_numpy().sum())
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
    )


def check_tables(reports: Path, min_cell: int) -> list[TableCheck]:
    """Return the check of every published table (:func:`published_tables`), sorted by name."""
    tables = Path(reports) / "tables"
    return [check_table(path, min_cell, tables) for path in published_tables(reports)]


def small_cell_problems(reports: Path, min_cell: int, root: Path) -> list[str]:
    """Return the unsuppressed small counts of every published table, naming file, row and column."""
    return _problems(check_tables(reports, min_cell), reports, root, "small")


def _problems(checks: list[TableCheck], reports: Path, root: Path, kind: str) -> list[str]:
    """Problems of one kind (``"small"`` or ``"other"``), each prefixed with its CSV's path."""
    tables = (Path(reports) / "tables").relative_to(root)
    return [f"{tables / c.name}.csv: {p}" for c in checks for p in getattr(c, kind)]


def suppression_metrics(checks: list[TableCheck]) -> dict[str, Any]:
    """Return the suppression counts for ``metrics/disclosure.json``.

    ``suppressed_primary`` and ``suppressed_secondary`` add up what the publishers declared;
    ``suppressed_cells`` counts every :data:`SUPPRESSED` cell found; ``tables`` gives, per table,
    ``primary``, ``secondary`` (None if undeclared) and ``suppressed``.
    """
    return {
        "suppressed_cells": sum(c.suppressed for c in checks),
        "suppressed_primary": sum(c.primary or 0 for c in checks),
        "suppressed_secondary": sum(c.secondary or 0 for c in checks),
        "tables": {
            c.name: {"primary": c.primary, "secondary": c.secondary, "suppressed": c.suppressed}
            for c in checks
        },
    }


def written_after_check(path: Path, paths: Paths) -> bool:
    """Return whether a file is written after the check (so a fresh and a repeated run scan the same files).

    These are the check's own metrics, the index and methods pages (the ``index`` stage scans them
    itself, :func:`pact_analysis.report.run`), the PDFs and screenshots of the checked pages, and the
    stale-run marker.
    """
    relative = Path(path).relative_to(paths.root).as_posix()
    return (
        relative in {"metrics/disclosure.json", "reports/index.html", "reports/STALE.txt"}
        or relative.startswith(("reports/pdf/", "reports/screenshots/"))
        or (relative.startswith("reports/") and Path(relative).name in {"index.html", "methods.html"})
    )


def run(paths: Paths, params: dict[str, Any]) -> None:
    """The ``check`` stage: PII scan and small-cell check of everything published.

    Writes ``metrics/disclosure.json`` (files scanned, findings, suppressions per table) and raises
    :class:`StageError` with a summary if any identifier, unsuppressed small count, ``<N`` label,
    recoverable suppressed cell or inconsistent table declaration is found.

    Parameters
    ----------
    paths : Paths
        Project paths.
    params : dict
        Parameters; reads ``disclosure.min_cell``.
    """
    min_cell = int(params["disclosure"]["min_cell"])
    try:
        who = collect_identities(paths.raw)
    except ExtractError as err:
        raise StageError(f"cannot read the identities to look for: {err}") from None
    # The check's own metrics and the index (written after the check, from the checked reports) are
    # left out, so that what is scanned does not depend on whether an earlier run left them behind.
    outputs = [
        p
        for p in files_under(
            [paths.processed, paths.warehouse, paths.root / "data" / "alerts", paths.reports, paths.metrics]
        )
        if not written_after_check(p, paths)
    ]
    scan = scan_for_pii(outputs, who, root=paths.root)
    checks = check_tables(paths.reports, min_cell)
    small = _problems(checks, paths.reports, paths.root, "small")
    other = _problems(checks, paths.reports, paths.root, "other")
    problems = [str(f) for f in scan["findings"]] + small + other
    write_json(
        paths.metrics / "disclosure.json",
        {
            "files_scanned": len(scan["scanned"]),
            "files_skipped": scan["skipped"],
            "tables_checked": len(checks),
            "pii_findings": len(scan["findings"]),
            "small_cells": len(small),
            "table_problems": len(other),
            "min_cell": min_cell,
            **suppression_metrics(checks),
        },
    )
    if problems:
        shown = "; ".join(problems[:20]) + (f"; and {len(problems) - 20} more" if len(problems) > 20 else "")
        raise StageError(f"{len(problems)} data-protection problems in published outputs: {shown}")


def rows_without_small_counts(table: pd.DataFrame, columns: list[str], min_cell: int) -> pd.Series:
    """Return, per row, whether none of its counts is small (each is 0 or at least ``min_cell``).

    A figure drawn from counts (shares, rates) may only show such rows: a bar computed from a count
    of 3 publishes that count as surely as a table cell does.

    Parameters
    ----------
    table : DataFrame
        Counts.
    columns : list of str
        The count columns the figure uses.
    min_cell : int
        Minimum publishable count.
    """
    counts = table[columns]
    return ((counts == 0) | (counts >= min_cell)).all(axis=1)
