"""What a reader can bound from published counts and the relations among them: the disclosure audit.

A suppressed small count is exposed when the shown cells and the relations (rows and columns adding
up to totals, nested totals) bound it below the minimum cell; :func:`exposed_small_cells` checks
that with an integer programme per small count (a *witness*: a consistent table in which the count
reaches the minimum cell), :func:`protect_relations` extends a pattern until none is exposed.
:func:`pact_analysis.disclosure.suppression.protect` decides what is suppressed; this module says
whether that is enough when tables share cells.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import scipy.linalg
from scipy.optimize import Bounds, LinearConstraint, milp

#: HiGHS options: a proven optimum (no relative gap); node and time limits as a safety net.
_MILP_OPTIONS = {"mip_rel_gap": 0.0, "node_limit": 20_000, "time_limit": 60.0}


def recoverable(equations: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    """Return which hidden cells a system of linear relations among the cells determines exactly.

    The general form of :func:`back_solvable`, for relations that are not the rows and columns of
    one 2-D table (nested tables sharing margins, a count and the parts of a rate...). Shown cells are
    known, so each relation gives one equation on the hidden cells; a hidden cell is recoverable when
    its unit vector lies in the row space of those equations.

    Parameters
    ----------
    equations : ndarray, shape (relations, cells)
        Coefficients of each relation ``sum(coefficient * cell) = 0`` (e.g. the parts with +1 and
        their whole with -1).
    hidden : ndarray of bool, shape (cells,)
        True where a cell is suppressed.

    Returns
    -------
    ndarray of bool, shape (cells,)
        True where a hidden cell is determined by the shown ones.
    """
    hidden = np.asarray(hidden, dtype=bool)
    out = np.zeros(len(hidden), dtype=bool)
    sub = np.asarray(equations, dtype=float).reshape(-1, len(hidden))[:, hidden]
    if not hidden.any() or not sub.any():
        return out
    null = scipy.linalg.null_space(sub)
    freedom = np.linalg.norm(null, axis=1) if null.shape[1] else np.zeros(sub.shape[1])
    out[hidden] = freedom < 1e-8
    return out


def protect_relations(
    values: np.ndarray,
    equations: np.ndarray,
    mask: np.ndarray,
    min_cell: int,
    primary: np.ndarray | None = None,
    fixed: np.ndarray | None = None,
    accepted: np.ndarray | None = None,
) -> np.ndarray:
    """Extend a suppression pattern until no small count can be bounded below ``min_cell``.

    While a suppressed cell holding 1..``min_cell``-1 is exposed (:func:`exposed_small_cells`:
    recoverable, or bounded below ``min_cell`` by any combination of the relations, such as a shown
    total minus shown parts, or the difference of two nested totals), suppress the smallest count
    (zeros last) of a relation that holds the exposed cell; when those relations have no free cell,
    of a relation that holds one of their suppressed cells, and so on outwards. Missing cells (NaN)
    are known and never chosen. Finally each added cell, largest first, is shown again if no small
    count needs it hidden (the greedy steps can over-suppress: a later cell may make an earlier one
    unnecessary).

    Parameters
    ----------
    values : ndarray, shape (cells,)
        Counts (NaN: known not to exist).
    equations : ndarray, shape (relations, cells)
        Relations among the cells (:func:`recoverable`).
    mask : ndarray of bool, shape (cells,)
        Cells already suppressed.
    min_cell : int
        Minimum publishable count.
    primary : ndarray of bool, optional
        Cells that must stay suppressed (default ``mask``); every other suppressed cell that no small
        count needs is shown again at the end.
    fixed : ndarray of bool, optional
        Cells published whatever happens (totals published elsewhere): never chosen.
    accepted : ndarray of bool, optional
        Small counts whose bound is not checked: cells of a published total below ``min_cell``,
        which discloses them whatever is hidden here (it must be suppressed where it is published).

    Returns
    -------
    ndarray of bool
        The extended pattern (``mask`` when it is already safe and ``primary`` is ``mask``).

    Raises
    ------
    ValueError
        When an exposed cell cannot be protected (every cell it is related to, however indirectly,
        already suppressed or missing). With homogeneous relations this cannot happen (such a cell
        is unbounded); the error guards against relations that are not.
    """
    equations = _consistent(values, equations)
    primary = np.asarray(mask if primary is None else primary, bool)
    mask, small = np.asarray(mask, bool) | primary, (values > 0) & (values < min_cell)
    if accepted is not None:
        small &= ~np.asarray(accepted, bool)
    witnesses: dict[int, np.ndarray] = {}  # more suppression keeps a witness true: checked once
    for _ in range(len(values) + 1):
        exposed = None
        for cell in np.flatnonzero(mask & small):
            found = witnesses.get(int(cell))
            found = _witness(values, equations, mask, int(cell), min_cell) if found is None else found
            if found is None:
                exposed = int(cell)
                break
            witnesses[int(cell)] = found
        if exposed is None:
            return _release_unneeded(values, equations, mask, primary, min_cell, small, witnesses)
        taken = mask if fixed is None else mask | np.asarray(fixed, bool)
        cell = _nearest_free(values, equations, taken, exposed)
        if cell is None:
            raise ValueError(
                f"cell {exposed} (count {values[exposed]:g}) stays exposed: every cell "
                "related to it is already suppressed or missing"
            )
        mask[cell] = True
    raise AssertionError("unreachable: each round suppresses one more cell")  # pragma: no cover


def _release_unneeded(
    values: np.ndarray,
    equations: np.ndarray,
    mask: np.ndarray,
    primary: np.ndarray,
    min_cell: int,
    small: np.ndarray | None = None,
    witnesses: dict[int, np.ndarray] | None = None,
) -> np.ndarray:
    """Show again each added cell, largest count first, whose suppression no small count needs.

    The greedy extension of :func:`protect_relations` adds cells one at a time and can add many that
    a later addition makes unnecessary; a cell is shown again when, with it shown, no suppressed small
    count is exposed (:func:`exposed_small_cells`). Cells of ``primary`` stay suppressed.

    Each small count keeps the last witness of its safety (:func:`_witness`); showing a cell keeps it
    valid unless the witness changed that cell, so most trials need no integer programme
    (``witnesses``: those already found, by cell).
    """
    mask = mask.copy()
    counts = np.nan_to_num(np.asarray(values, float), nan=-1.0)
    small = (counts > 0) & (counts < min_cell) if small is None else small
    witnesses = dict(witnesses or {})

    def safe(cell: int) -> bool:
        known = witnesses.get(cell)
        if known is not None and _witness_holds(known, values, equations, mask, cell, min_cell):
            return True
        found = _witness(values, equations, mask, cell, min_cell)
        if found is not None:
            witnesses[cell] = found
        return found is not None

    added = np.flatnonzero(mask & ~primary)
    for cell in added[np.argsort(-counts[added], kind="stable")]:
        # only a small count linked to the cell through hidden cells can be bounded anew
        near = _linked(equations, mask, int(cell))
        mask[cell] = False
        if not all(safe(int(c)) for c in np.flatnonzero(near & small & mask)):
            mask[cell] = True
    return mask


def _linked(equations: np.ndarray, hidden: np.ndarray, cell: int) -> np.ndarray:
    """The hidden cells linked to ``cell`` through relations among hidden cells (``cell`` included).

    An intruder's bound on a hidden cell depends only on the relations of its linked set (the others
    share no hidden cell with them), so a cell outside the set is unaffected by what happens to it.
    """
    touches = np.abs(equations) > 0
    hidden = np.asarray(hidden, bool)
    reached = np.zeros(len(hidden), dtype=bool)
    reached[cell] = True
    while True:
        relations = touches[:, reached].any(axis=1)
        grown = reached | (touches[relations].any(axis=0) & hidden)
        if (grown == reached).all():
            return reached
        reached = grown


def _nearest_free(values: np.ndarray, equations: np.ndarray, mask: np.ndarray, cell: int) -> int | None:
    """Return the smallest free count of the relations nearest ``cell`` (outwards through hidden cells)."""
    reached = np.zeros(len(mask), dtype=bool)
    reached[cell] = True
    while True:
        touching = (np.abs(equations[:, reached]) > 0).any(axis=1)
        near = (np.abs(equations[touching]) > 0).any(axis=0)
        found = _smallest_free(values, mask, [int(c) for c in np.flatnonzero(near)])
        if found is not None:
            return found
        grown = reached | (near & mask)
        if (grown == reached).all():
            return None
        reached = grown


def exposed_small_cells(
    values: np.ndarray, equations: np.ndarray, mask: np.ndarray, min_cell: int
) -> np.ndarray:
    """Return which suppressed small counts the published cells bound below ``min_cell``.

    The check of an intruder who knows every shown cell, every relation and that counts are
    non-negative integers (an upper protection level: unlike a tau-argus audit, the lower bound is
    not checked, as the threshold rule needs only that a small count cannot be shown small): for each
    suppressed cell holding 1..``min_cell``-1, an integer programme (:func:`scipy.optimize.milp`)
    looks for counts consistent with the publication in which it holds ``min_cell`` or more
    (:func:`_witness`). When there are none (its largest possible value is below ``min_cell``) the
    publication tells that the cell is a small count, even if no single relation does: it covers a
    recoverable cell (:func:`recoverable`), hidden parts of a shown total whose sum is small, and a
    small sum given by the difference of two totals (a + b + c + d and c + d both shown).

    Parameters
    ----------
    values, equations, mask, min_cell
        As :func:`protect_relations` (``mask``: the cells suppressed).

    Returns
    -------
    ndarray of bool, shape (cells,)
        True where a suppressed cell holding 1..``min_cell``-1 cannot exceed ``min_cell``-1.
    """
    equations = _consistent(values, equations)
    counts = np.asarray(values, float)
    out = np.asarray(mask, bool) & (counts > 0) & (counts < min_cell)
    for cell in np.flatnonzero(out):
        out[cell] = _witness(values, equations, mask, int(cell), min_cell) is None
    return out


def _consistent(values: np.ndarray, equations: np.ndarray) -> np.ndarray:
    """Return the relations as a 2-D array, checked to hold on the counts (missing cells as zero)."""
    equations = np.asarray(equations, float).reshape(-1, len(values))
    if not np.allclose(equations @ np.nan_to_num(np.asarray(values, float)), 0):
        raise ValueError("the counts do not satisfy the relations (each relation must sum to zero)")
    return equations


def _witness(
    values: np.ndarray, equations: np.ndarray, mask: np.ndarray, cell: int, min_cell: int
) -> np.ndarray | None:
    """Counts an intruder cannot rule out in which suppressed ``cell`` holds ``min_cell`` or more.

    Non-negative integers for every cell that agree with the shown cells and satisfy the relations,
    with ``cell`` at least ``min_cell``, found by an integer programme (:func:`scipy.optimize.milp`)
    that changes the true counts as little as possible (least total absolute change), so that the
    witness still holds when other cells are shown (:func:`_witness_holds`). Only the hidden cells
    linked to ``cell`` (:func:`_linked`) are free: the others share no relation with them.

    Returns
    -------
    ndarray or None
        The witness (all cells, missing ones as zero); None when none exists: the shown cells bound
        ``cell`` below ``min_cell`` and it is exposed.
    """
    hidden = np.asarray(mask, bool)
    truth = np.nan_to_num(np.asarray(values, float))
    linked = _linked(equations, hidden, cell)
    involved = (np.abs(equations[:, linked]) > 0).any(axis=1)
    sub, rhs = equations[involved][:, linked], -(equations[involved][:, ~hidden] @ truth[~hidden])
    index, n = int(np.count_nonzero(linked[:cell])), int(linked.sum())
    witness = truth.copy()
    if not sub.shape[0] or not sub[:, index].any():  # in no relation: any value is possible
        witness[cell] = max(truth[cell], min_cell)
        return witness
    # x (integer counts), then p and q (the change x - truth = p - q, both non-negative)
    rows = np.block([[sub, np.zeros((len(sub), 2 * n))], [np.eye(n), -np.eye(n), np.eye(n)]])
    target = np.concatenate([rhs, truth[linked]])
    lower = np.zeros(3 * n)
    lower[index] = min_cell
    result = milp(
        np.concatenate([np.zeros(n), np.ones(2 * n)]),
        constraints=LinearConstraint(rows, target, target),
        integrality=np.concatenate([np.ones(n), np.zeros(2 * n)]),
        bounds=Bounds(lower, np.inf),
        options=_MILP_OPTIONS,
    )
    if result.x is not None:  # optimal, or a feasible point at a node or time limit: still a witness
        counts = np.round(result.x[:n])
        exact = np.allclose(sub @ counts, rhs, rtol=0.0, atol=0.5) and (counts >= 0).all()
        if not exact or counts[index] < min_cell:
            raise ValueError(f"the disclosure audit found an inexact witness: {result.message}")
        witness[linked] = counts
        return witness
    if result.status == 2:
        return None
    raise ValueError(f"the disclosure audit could not bound a cell: {result.message}")


def _witness_holds(
    witness: np.ndarray, values: np.ndarray, equations: np.ndarray, mask: np.ndarray, cell: int, min_cell: int
) -> bool:
    """Whether ``witness`` (:func:`_witness`) still shows ``cell`` can reach ``min_cell`` under ``mask``."""
    shown = ~np.asarray(mask, bool)
    truth = np.nan_to_num(np.asarray(values, float))
    return bool(
        witness[cell] >= min_cell
        and (witness >= 0).all()
        and np.array_equal(witness[shown], truth[shown])
        and np.allclose(equations @ witness, 0, rtol=0.0, atol=0.5)
    )


def crosstab_relations(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The relations of an additive crosstab: each line (row or column of two cells or more) adds up
    to its total, which is published.

    Parameters
    ----------
    values : ndarray, shape (rows, columns)
        Counts (NaN: cells that do not exist).

    Returns
    -------
    (ndarray, ndarray)
        The cells (row-major) followed by the line totals, and one relation per line (the line's
        cells +1, its total -1), for :func:`exposed_small_cells` and :func:`protect_relations`.
    """
    rows, cols = values.shape
    known = np.nan_to_num(values)
    lines = [np.s_[i, :] for i in range(rows) if cols > 1] + [np.s_[:, j] for j in range(cols) if rows > 1]
    equations = np.zeros((len(lines), values.size + len(lines)))
    for k, line in enumerate(lines):
        part = np.zeros(values.shape)
        part[line] = 1.0
        equations[k, : values.size] = part.ravel()
        equations[k, values.size + k] = -1.0
    totals = [known[line].sum() for line in lines]
    return np.concatenate([values.ravel().astype(float), totals]), equations


def _smallest_free(values: np.ndarray, mask: np.ndarray, cells: Iterable[tuple[int, int]]) -> tuple | None:
    free = [(values[c] == 0, values[c], c) for c in cells if not mask[c] and not np.isnan(values[c])]
    return min(free)[2] if free else None
