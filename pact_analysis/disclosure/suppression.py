"""Small-cell suppression: primary cells, and the fewest complementary cells of an additive table.

Published counts below ``disclosure.min_cell`` are suppressed and shown as :data:`SUPPRESSED`
(``[c]``, never ``<N``) by :func:`protect`. A table declares its structure: an additive one (a
crosstab whose totals are published or derivable) also gets the fewest and smallest complementary
suppressions that keep every suppressed cell unrecoverable (:func:`suppression_mask`: an integer
programme solved with :func:`scipy.optimize.milp` up to :data:`EXACT_MAX_CELLS` cells, a greedy
heuristic above); a non-additive one (alternative methods side by side, different measures) gets
primary suppression only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp

from pact_analysis.disclosure.bounds import (
    _MILP_OPTIONS,
    _smallest_free,
    crosstab_relations,
    protect_relations,
    recoverable,
)

#: How a suppressed cell is published, whatever its value: the UK statistical convention ``[c]``
#: ("confidential"). A cell is never labelled ``<N``: that states that its value is below N, which is
#: false for a complementary (secondary) suppression. The report layer explains the symbol.
SUPPRESSED = "[c]"
#: A table with a larger share of suppressed cells says nothing: it is replaced by a sentence.
MAX_SUPPRESSED_SHARE = 0.5
#: Largest table (number of count cells) whose complementary suppression is solved exactly with an
#: integer program (:func:`scipy.optimize.milp`); larger tables use the greedy heuristic, whose cost
#: grows only linearly with the table while the exact search can grow exponentially.
EXACT_MAX_CELLS = 400
#: Rounds of the exact search (each excluding one pattern that totals would still undo) before the
#: greedy heuristic repairs the last pattern instead.
EXACT_MAX_ROUNDS = 50


#: What ties a protected table's cells together, in the eyes of a reader who knows the totals:
RELATIONS = {
    "crosstab": "rows and columns add up to published totals",
    "columns": "each column adds up to a published total of its own; a row's cells are not parts of a whole",
    "nested": "each row's persons include the next row's (counts above increasing thresholds)",
    "none": "no cell is part of a published total",
}


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
        because they would give a suppressed count away (shown as :data:`SUPPRESSED` too).
    blanked : DataFrame of bool, optional
        Where the ``derived`` cells are, when ``table`` still holds numbers there (NaN) for a
        publisher that formats them later (the fairness audit's tables).
    relations : str
        What a reader knows that ties the cells of ``mask``'s columns together, as the protection
        assumed and the ``check`` stage re-checks (:data:`RELATIONS`).
    total : float, optional
        ``"nested"``: the whole the rows are parts of (the persons scored), which a reader knows too.
    """

    table: pd.DataFrame
    mask: pd.DataFrame
    primary: int
    secondary: int
    derived: int = 0
    blanked: pd.DataFrame | None = None
    relations: str = "crosstab"
    total: float | None = None

    def __post_init__(self) -> None:
        if self.relations not in RELATIONS:
            raise ValueError(f"relations must be one of {sorted(RELATIONS)}, not {self.relations!r}")


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
    found = recoverable(np.array(equations), np.ones(len(cells), dtype=bool))
    return [cell for cell, hit in zip(cells, found, strict=True) if hit]


def suppression_mask(
    counts: pd.DataFrame,
    min_cell: int,
    additive: bool = True,
    method: str = "auto",
    forced: np.ndarray | pd.DataFrame | None = None,
    bounded: bool = True,
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
    forced : array or DataFrame of bool, optional
        Cells to suppress whatever their count, protected like primary cells: the decision taken on
        a cell that another published table shares (one suppression decision per quantity).
    bounded : bool, default True
        Also add cells until no total bounds a small count below ``min_cell`` (:func:`_bounded`);
        False for a first pattern that :func:`protect_relations` completes on wider relations.

    Returns
    -------
    DataFrame of bool
        Same shape and labels as ``counts``.
    """
    if method not in {"auto", "exact", "greedy"}:
        raise ValueError(f"unknown suppression method {method!r}")
    values = counts.to_numpy(dtype=float, na_value=np.nan)
    mask = (values > 0) & (values < min_cell)
    if forced is not None:
        mask |= np.asarray(forced, dtype=bool) & ~np.isnan(values)
    if additive and mask.any():
        mask = _complements(values, mask, method)
        if bounded:
            mask = _bounded(values, mask, min_cell)
    return pd.DataFrame(mask, index=counts.index, columns=counts.columns)


def _bounded(values: np.ndarray, mask: np.ndarray, min_cell: int) -> np.ndarray:
    """Extend a crosstab's pattern until no small count is bounded below ``min_cell``.

    No suppressed cell can be recovered exactly from the complements, but two small hidden cells of
    one line are each other's complement: the published total minus the shown cells gives their sum,
    and a sum below ``min_cell`` tells that both are small. :func:`protect_relations` adds cells on
    the table's relations (:func:`crosstab_relations`) until the intruder's programme
    (:func:`exposed_small_cells`) bounds no small count below ``min_cell``; the cells already chosen
    stay suppressed. The cells of a line whose total is itself 1 to ``min_cell - 1`` are not checked:
    that total discloses them wherever it is published, and must be suppressed there. When a small
    count cannot be protected otherwise (missing cells around it), every cell of its lines is hidden.
    """
    extended, equations = crosstab_relations(values)
    if not len(equations):
        return mask
    totals = np.arange(len(extended)) >= values.size
    small_lines = (extended[totals] > 0) & (extended[totals] < min_cell)
    accepted = np.zeros(len(extended), bool)
    accepted[: values.size] = (np.abs(equations[small_lines][:, : values.size]) > 0).any(axis=0)
    hidden = np.concatenate([mask.ravel(), np.zeros(len(extended) - values.size, bool)])
    try:
        out = protect_relations(
            extended, equations, hidden, min_cell, primary=hidden.copy(), fixed=totals, accepted=accepted
        )
    except ValueError:  # no free cell left around a small count: hide its lines whole
        lines = equations[:, : values.size][:, mask.ravel()].any(axis=1)
        out = hidden | (np.abs(equations[lines]) > 0).any(axis=0)
        out &= ~totals & ~np.isnan(extended)
    return out[: values.size].reshape(values.shape)


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
    relations = "crosstab" if additive else "none"
    return Protected(out, mask, primary, int(hidden.sum()) - primary, derived_cells, relations=relations)


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
    relations = "crosstab" if additive else "none"
    return Protected(out, mask, primary, int(mask.to_numpy().sum()) - primary, 0, relations=relations)


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
