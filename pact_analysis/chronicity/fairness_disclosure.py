"""Disclosure control of the fairness audit's tables, protected together (referee finding #8).

The audit publishes one table per grouping (:data:`.fairness.FAIRNESS_GROUPS`). Behind each row are
nine counts, the cells of alert (yes, no, all) x outcome (left, stayed, all) (:data:`CELLS`): every
rate with its Wilson interval gives its numerator, denominator and their difference
(:data:`RATE_CELLS`), the persons column the corner. The tables are nested: sex x nationality rows add
up to the sex and nationality tables, every table to the ``overall`` row. Suppressing each table on its
own lets a reader difference them; :func:`protect_audits` takes one suppression decision per count
(a group's count is the same cell in every table that shows it): a first pattern from
:func:`~pact_analysis.disclosure.suppression_mask` on every 2-D slice (a grouping by a cell, a group's
nine cells) until no slice changes, then :func:`~pact_analysis.disclosure.protect_relations` on all
relations at once: cells are added until no small count can be bounded below the minimum, and every
cell hidden beyond the small counts that none of them needs is shown again (a large count that can
be worked out from the others is not a disclosure under the threshold rule).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pact_analysis.disclosure import Protected, protect_relations, suppression_mask

#: The nine counts behind a row: (alert, outcome), the last of each being the total.
ALERT, OUTCOME = ("yes", "no", "all"), ("left", "stayed", "all")
CELLS = [(a, o) for a in ALERT for o in OUTCOME]
#: The counts each published rate gives away (numerator, the rest, denominator).
RATE_CELLS = {
    "alert_rate": [("yes", "all"), ("no", "all"), ("all", "all")],
    "observed": [("all", "stayed"), ("all", "left"), ("all", "all")],
    "false_positive_rate": [("yes", "left"), ("no", "left"), ("all", "left")],
    "false_negative_rate": [("no", "stayed"), ("yes", "stayed"), ("all", "stayed")],
}
OVERALL = "overall"
#: The audit's columns a published table shows besides the persons (a rate's interval goes with it).
PUBLISHED = [
    "share_of_recipients", "share_of_alerts", "alert_rate", "false_positive_rate",
    "false_negative_rate", "observed", "predicted", "calibration_slope",
]  # fmt: skip


def row_cells(table: pd.DataFrame) -> pd.DataFrame:
    """The nine counts behind each row of a :func:`.fairness.fairness_audit` table.

    Returns
    -------
    DataFrame
        Same rows; columns (alert, outcome) of :data:`CELLS`.
    """
    n, alerts = table["n"], table["alert_rate_num"]
    left, fp = table["false_positive_rate_den"], table["false_positive_rate_num"]
    stayed, fn = table["false_negative_rate_den"], table["false_negative_rate_num"]
    parts = [fp, stayed - fn, alerts, left - fp, fn, n - alerts, left, stayed, n]
    return pd.DataFrame(dict(zip(CELLS, parts, strict=True)), index=table.index).astype(float)


def group_keys(table: pd.DataFrame) -> list[str]:
    """One key per row, the same for a group in every table (``"nationality=EU|sex=H"``; ``overall``)."""
    names = list(table.index.names)
    labels = [k if isinstance(k, tuple) else (k,) for k in table.index]
    keys = [
        "|".join(f"{n}={v}" for n, v in sorted(zip(names, k, strict=True)) if v != OVERALL) for k in labels
    ]
    return [k or OVERALL for k in keys]


def _key(**values: str) -> str:
    return "|".join(f"{n}={v}" for n, v in sorted(values.items()) if v != OVERALL) or OVERALL


def _layouts(audits: dict[str, pd.DataFrame]) -> list[pd.DataFrame]:
    """The additive tables of group keys: each grouping with its margins (last row and column).

    A grouping of two columns is a crosstab whose margins are the groupings of one column and the
    overall row; a grouping of one column that is nobody's margin is a single line with its total.
    """
    dims = {tuple(t.index.names): t for t in audits.values()}
    levels = {n[0]: [str(v) for v in t.index if v != OVERALL] for n, t in dims.items() if len(n) == 1}
    layouts, margins = [], set()
    for names in (n for n in dims if len(n) == 2):
        rows, cols = names
        if not {rows, cols} <= set(levels):
            raise ValueError(f"fairness tables: the margins of {names} are not published")
        margins |= {rows, cols}
        grid = [
            [_key(**{rows: r, cols: c}) for c in [*levels[cols], OVERALL]] for r in [*levels[rows], OVERALL]
        ]
        layouts.append(pd.DataFrame(grid))
    if any(len(n) > 2 for n in dims):
        raise ValueError("fairness tables: groupings of more than two columns are not supported")
    for name in sorted(set(levels) - margins):
        layouts.append(pd.DataFrame([[_key(**{name: v}) for v in [*levels[name], OVERALL]]]))
    return layouts


def _slices(layouts: list[pd.DataFrame], groups: pd.Index) -> list[np.ndarray]:
    """Every 2-D slice as positions in the flat vector of cells (group-major, :data:`CELLS` order)."""
    where = {g: i for i, g in enumerate(groups)}
    out = []
    for layout in layouts:
        rows = layout.map(lambda g: where.get(g, -1)).to_numpy()
        out += [np.where(rows >= 0, rows * len(CELLS) + j, -1) for j in range(len(CELLS))]
    base = np.arange(len(CELLS)).reshape(len(ALERT), len(OUTCOME))
    return out + [i * len(CELLS) + base for i in range(len(groups))]


def _relations(slices: list[np.ndarray], size: int) -> np.ndarray:
    """Every line of every slice as a relation: its parts (+1) minus its total, the last cell (-1)."""
    lines = []
    for ids in slices:
        if ids.shape[1] > 1:
            lines += list(ids)
        if ids.shape[0] > 1:
            lines += list(ids.T)
    rows = []
    for line in lines:
        row = np.zeros(size)
        row[[c for c in line[:-1] if c >= 0]] = 1.0
        if line[-1] >= 0:
            row[line[-1]] = -1.0
        rows.append(row)
    return np.array(rows)


def _settle(values: np.ndarray, mask: np.ndarray, slices: list[np.ndarray], min_cell: int) -> np.ndarray:
    """Protect every slice (:func:`suppression_mask`, shared cells forced) until none changes."""
    mask = mask.copy()
    for _ in range(mask.size + 1):
        before = mask.copy()
        for ids in slices:
            cells = pd.DataFrame(np.where(ids >= 0, values[ids], np.nan))
            hidden = suppression_mask(
                cells, min_cell, forced=np.where(ids >= 0, mask[ids], False), bounded=False
            )  # the bounds are checked on every relation at once (protect_relations)
            mask[ids[hidden.to_numpy() & (ids >= 0)]] = True
        if (mask == before).all():
            break
    return mask


def cell_mask(audits: dict[str, pd.DataFrame], min_cell: int) -> pd.DataFrame:
    """One suppression decision per count of every group of the audit's tables, taken together.

    Parameters
    ----------
    audits : dict of DataFrame
        :func:`.fairness.fairness_audit` tables by grouping (indexed by the grouping's columns,
        ``overall`` last); a grouping of two columns needs both of its one-column groupings.
    min_cell : int
        Minimum publishable count.

    Returns
    -------
    DataFrame of bool
        Indexed by group key (:func:`group_keys`), columns :data:`CELLS`: True where a count is
        suppressed. Empty groups (no person) are known zeros, never suppressed.
    """
    counts = pd.concat([row_cells(t).set_axis(group_keys(t)) for t in audits.values()])
    counts = counts.loc[~counts.index.duplicated()]
    counts.loc[counts[("all", "all")] == 0] = np.nan
    values = counts.to_numpy().ravel()
    slices = _slices(_layouts(audits), counts.index)
    relations = _relations(slices, values.size)
    small = (values > 0) & (values < min_cell)
    mask = protect_relations(values, relations, _settle(values, small, slices, min_cell), min_cell, small)
    return pd.DataFrame(mask.reshape(counts.shape), index=counts.index, columns=counts.columns)


def _apply(table: pd.DataFrame, hidden: pd.DataFrame, overall: pd.Series, min_cell: int) -> pd.DataFrame:
    """Blank what gives a suppressed count away: rates with their intervals, shares, means, n.

    A rate also goes when its numerator or the rest of its denominator is below ``min_cell``, zero
    included: a rate of 0% or 100% tells something about every person of the group.
    """
    out = table.copy()
    counts = row_cells(table)
    for rate, cells in RATE_CELLS.items():
        cols = [c for c in (rate, f"{rate}_lower", f"{rate}_upper") if c in out]
        few = (counts[cells[0]] < min_cell) | (counts[cells[1]] < min_cell)
        out.loc[hidden[cells].any(axis=1).to_numpy() | few.to_numpy(), cols] = np.nan
    persons = hidden[("all", "all")].to_numpy()
    shares = [c for c in out if c.startswith(("predicted", "share_of_recipients"))]
    out.loc[persons | overall[("all", "all")], shares] = np.nan
    few = table["alert_rate_num"] < min_cell  # zero included: with the total it is a count
    out.loc[few | hidden[("yes", "all")].to_numpy() | overall[("yes", "all")], "share_of_alerts"] = np.nan
    num, den = table["observed_num"], table["observed_den"]
    slope = (num < min_cell) | ((den - num) < min_cell) | out["observed"].isna()
    slopes = [
        c for c in ("calibration_slope", "calibration_slope_lower", "calibration_slope_upper") if c in out
    ]
    out.loc[slope, slopes] = np.nan
    out["n"] = out["n"].astype(float).mask(persons)
    return out


def protect_audits(audits: dict[str, pd.DataFrame], min_cell: int) -> dict[str, Protected]:
    """The fairness audit's tables as they may be published, protected together (:func:`cell_mask`).

    Parameters
    ----------
    audits : dict of DataFrame
        :func:`.fairness.fairness_audit` tables by grouping name.
    min_cell : int
        Minimum publishable count.

    Returns
    -------
    dict of Protected
        By grouping: ``table`` is the audit with ``n`` (NaN where suppressed), the rates, intervals,
        shares and means that would give a suppressed count away blanked (NaN); ``mask`` the nine
        counts of each row (:data:`CELLS`); ``primary`` / ``secondary`` the suppressed cells of the
        published count column, persons (small, or complements); ``derived`` the published cells
        blanked because they would give a suppressed count away or because they are a rate of a
        numerator or rest below the minimum, zero included (shown as blanks; counted when the report
        decides whether a table says anything), and ``blanked`` where they are (columns
        :data:`PUBLISHED`).
    """
    mask = cell_mask(audits, min_cell)
    out = {}
    for name, table in audits.items():
        hidden = mask.reindex(group_keys(table)).fillna(False).astype(bool).set_axis(table.index)
        persons = hidden[("all", "all")]
        primary = int((persons & (table["n"] < min_cell)).sum())
        masked = _apply(table, hidden, mask.loc[OVERALL], min_cell)
        shown = (table["n"] > 0).to_numpy()  # empty intersections are dropped, not blanked
        blanked = masked.loc[shown, PUBLISHED].isna() & table.loc[shown, PUBLISHED].notna()
        blanked = blanked.reindex(table.index, fill_value=False)
        out[name] = Protected(
            masked, hidden, primary, int(persons.sum()) - primary, int(blanked.sum().sum()), blanked
        )
    return out
