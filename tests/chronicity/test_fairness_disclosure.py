"""The fairness audit's nested tables protected together: no small count recoverable by differencing.

The checker is independent of the protection: each published count (a persons cell, or the numerator
and denominator behind a published rate and its Wilson interval) is a sum of the unknown counts of
the finest cells (sex x nationality x province x disability x alert x outcome); a small count is
recoverable when its vector lies in the span of the published ones (a rank test).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from pact_analysis.chronicity.fairness import FAIRNESS_GROUPS, fairness_audit
from pact_analysis.chronicity.fairness_disclosure import protect_audits
from pact_analysis.chronicity.tables import fairness_table
from pact_analysis.disclosure import SUPPRESSED

DIMS = ["sex", "nationality", "province", "disability_status"]
#: count -> (alert, still) filters (None: either)
COUNTS = {
    "n": (None, None),
    "alerts": (1, None),
    "no_alert": (0, None),
    "stayed": (None, 1),
    "left": (None, 0),
    "false_pos": (1, 0),
    "true_neg": (0, 0),
    "false_neg": (0, 1),
    "true_pos": (1, 1),
}
#: rate -> (numerator, denominator): a published rate with its interval gives both away
RATES = {
    "alert_rate": ("alerts", "n"),
    "observed": ("stayed", "n"),
    "false_positive_rate": ("false_pos", "left"),
    "false_negative_rate": ("false_neg", "stayed"),
}


def persons(cells: dict[tuple[str, str], tuple[int, int, int, int]]) -> pd.DataFrame:
    """Persons of each sex x nationality cell from its (false pos., true pos., true neg., false neg.)
    counts; province and disability assigned in turn."""
    rows = []
    for (sex, nat), counts in cells.items():
        for (alert, still), k in zip([(1, 0), (1, 1), (0, 0), (0, 1)], counts, strict=True):
            rows += [(sex, nat, alert, still)] * k
    data = pd.DataFrame(rows, columns=["sex", "nationality", "alert", "still"])
    data["province"] = np.array(["P1", "P2", "P3"])[np.arange(len(data)) % 3]
    data["disability_status"] = np.array(["with", "without"])[(np.arange(len(data)) // 3) % 2]
    data["p"] = np.where(data["alert"] == 1, 0.9, 0.1)
    return data


def audits_of(data: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {
        name: fairness_audit(data, "still", "p", cols, threshold=0.5, n_boot=0)
        for name, cols in FAIRNESS_GROUPS.items()
    }


def primary_only(table: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """How each table was published before: suppressed on its own counts only (per table)."""
    out = table.copy()
    for rate in RATES:
        num, den = table[f"{rate}_num"], table[f"{rate}_den"]
        out.loc[(num < min_cell) | (den < min_cell) | (den - num < min_cell), rate] = np.nan
    out["n"] = table["n"].where((table["n"] == 0) | (table["n"] >= min_cell))
    return out


def _vector(data: pd.DataFrame, cells: pd.MultiIndex, group: dict, count: str) -> np.ndarray:
    alert, still = COUNTS[count]
    keep = np.ones(len(cells), dtype=bool)
    for dim, value in group.items():
        keep &= cells.get_level_values(dim).astype(str) == str(value)
    for name, value in (("alert", alert), ("still", still)):
        if value is not None:
            keep &= cells.get_level_values(name) == value
    return keep.astype(float)


def _groups(table: pd.DataFrame) -> list[dict]:
    names = list(table.index.names)
    keys = [k if isinstance(k, tuple) else (k,) for k in table.index]
    return [{n: v for n, v in zip(names, k, strict=True) if v != "overall"} for k in keys]


def _published(data: pd.DataFrame, published: dict[str, pd.DataFrame]) -> tuple[pd.MultiIndex, np.ndarray]:
    """The finest cells and the system of every published count (as sums of their counts)."""
    levels = [sorted(data[d].astype(str).unique()) for d in DIMS] + [[0, 1], [0, 1]]
    cells = pd.MultiIndex.from_product(levels, names=[*DIMS, "alert", "still"])
    known = []
    for table in published.values():
        for group, (_, row) in zip(_groups(table), table.iterrows(), strict=True):
            if pd.notna(row["n"]):
                known.append(_vector(data, cells, group, "n"))
            for rate, parts in RATES.items():
                if pd.notna(row[rate]):
                    known += [_vector(data, cells, group, c) for c in parts]
    return cells, np.array(known)


def exposed(data: pd.DataFrame, published: dict[str, pd.DataFrame], min_cell: int) -> list[tuple]:
    """Every count 1..min_cell-1 of every group that some combination of published counts gives."""
    cells, system = _published(data, published)
    targets = [(tuple(g.items()), c) for t in published.values() for g in _groups(t) for c in COUNTS]
    rank = np.linalg.matrix_rank(system)
    hits = []
    for group, count in dict.fromkeys(targets):
        vector = _vector(data, cells, dict(group), count)
        value = int(vector @ _fine_counts(data, cells))
        if 0 < value < min_cell and np.linalg.matrix_rank(np.vstack([system, vector])) == rank:
            hits.append((group, count, value))
    return hits


def _lines(table: pd.DataFrame) -> list[list[dict]]:
    """The groups of each line of a table: a 1-D table's rows; a crosstab's rows sharing one value."""
    groups = [g for g in _groups(table) if len(g) == len(table.index.names)]
    if len(table.index.names) == 1:
        return [groups]
    out = []
    for fixed in table.index.names:
        for value in {g[fixed] for g in groups}:
            out.append([g for g in groups if g[fixed] == value])
    return out


def exposed_unions(data: pd.DataFrame, published: dict[str, pd.DataFrame], min_cell: int) -> list[tuple]:
    """Every count 1..min_cell-1 of a union of two or more groups of one line that the published
    counts give (a line's hidden cells summing to a small count)."""
    cells, system = _published(data, published)
    fine = _fine_counts(data, cells)
    rank = np.linalg.matrix_rank(system)
    hits = []
    for table in published.values():
        for line in _lines(table):
            for size in range(2, len(line) + 1):
                for union in itertools.combinations(line, size):
                    for count in COUNTS:
                        vector = sum(_vector(data, cells, g, count) for g in union)
                        value = int(vector @ fine)
                        stacked = np.vstack([system, vector])
                        if 0 < value < min_cell and np.linalg.matrix_rank(stacked) == rank:
                            hits.append((union, count, value))
    return hits


def _fine_counts(data: pd.DataFrame, cells: pd.MultiIndex) -> np.ndarray:
    frame = data.assign(**{d: data[d].astype(str) for d in DIMS})
    return frame.groupby([*DIMS, "alert", "still"]).size().reindex(cells, fill_value=0).to_numpy()


BIG = (12, 14, 13, 15)


def leaky_data() -> pd.DataFrame:
    """M x EU holds one alert (a true positive); every other cell is large."""
    cells = {(s, n): BIG for s in ("H", "M") for n in ("ES", "EU", "LATAM")}
    cells[("M", "EU")] = (0, 1, 13, 15)
    return persons(cells)


def test_differencing_nested_tables_gave_the_single_alert_away_before():
    data, min_cell = leaky_data(), 5
    before = {name: primary_only(t, min_cell) for name, t in audits_of(data).items()}
    hits = exposed(data, before, min_cell)
    alerts = ((("sex", "M"), ("nationality", "EU")), "alerts", 1)
    assert alerts in hits  # M's alerts minus M x ES's (or EU's minus H x EU's)
    # the constructed path: the sex table minus the other nationalities' cells
    sex, cross = before["sex"], before["sex_nationality"]
    others = cross.loc[[("M", "ES"), ("M", "LATAM")], "alert_rate_num"].sum()
    assert round(sex.loc["M", "alert_rate"] * sex.loc["M", "n"]) - others == 1
    assert np.isnan(cross.loc[("M", "EU"), "alert_rate"])


def test_no_small_count_is_recoverable_from_the_tables_protected_together():
    data, min_cell = leaky_data(), 5
    protected = protect_audits(audits_of(data), min_cell)
    after = {name: p.table for name, p in protected.items()}
    assert exposed(data, after, min_cell) == []
    # the single alert hidden among complements: at least a rectangle of alert counts (2-D table)
    nested = ("sex", "nationality", "sex_nationality")
    hidden_alerts = [protected[n].mask[("yes", "all")] for n in nested]
    assert hidden_alerts[2].loc[("M", "EU")] and sum(int(h.iloc[:-1].sum()) for h in hidden_alerts) >= 4
    assert np.isnan(after["sex_nationality"].loc[("M", "EU"), "alert_rate"])
    # one decision per count: the overall row is the same in every table
    overall = [t.iloc[-1][list(RATES) + ["n"]] for t in after.values()]
    assert all(o.equals(overall[0]) for o in overall)


def test_random_audits_leave_no_small_count_recoverable():
    rng = np.random.default_rng(7)
    cells = {(s, n): tuple(rng.integers(0, 12, 4)) for s in ("H", "M") for n in ("ES", "EU", "LATAM", "SSA")}
    data, min_cell = persons(cells), 10
    before = {name: primary_only(t, min_cell) for name, t in audits_of(data).items()}
    assert exposed(data, before, min_cell)  # the data set is at risk
    after = {name: p.table for name, p in protect_audits(audits_of(data), min_cell).items()}
    assert exposed(data, after, min_cell) == []


def test_no_cell_beyond_the_small_counts_is_hidden_without_need():
    """Every hidden count that is not small is needed: shown again, some small count is exposed."""
    from pact_analysis.chronicity.fairness_disclosure import (
        _layouts,
        _relations,
        _slices,
        cell_mask,
        group_keys,
        row_cells,
    )
    from pact_analysis.disclosure import exposed_small_cells

    rng = np.random.default_rng(7)
    cells = {(s, n): tuple(rng.integers(0, 12, 4)) for s in ("H", "M") for n in ("ES", "EU", "LATAM", "SSA")}
    audits, min_cell = audits_of(persons(cells)), 10
    mask = cell_mask(audits, min_cell)
    counts = pd.concat([row_cells(t).set_axis(group_keys(t)) for t in audits.values()])
    counts = counts.loc[~counts.index.duplicated()].reindex(mask.index)
    counts.loc[counts[("all", "all")] == 0] = np.nan
    values, hidden = counts.to_numpy().ravel(), mask.to_numpy().ravel()
    relations = _relations(_slices(_layouts(audits), counts.index), values.size)
    assert not mask.loc["overall"].any()  # the overall row is published
    added = np.flatnonzero(hidden & ~((values > 0) & (values < min_cell)))
    assert len(added)
    for cell in added:
        released = hidden.copy()
        released[cell] = False
        assert exposed_small_cells(values, relations, released, min_cell).any(), cell


def test_tables_with_only_large_counts_are_published_whole():
    cells = dict.fromkeys(itertools.product(("H", "M"), ("ES", "EU")), BIG)
    protected = protect_audits(audits_of(persons(cells)), 3)
    for name, audit in protected.items():
        assert audit.primary == audit.secondary == audit.derived == 0, name
        assert not audit.mask.to_numpy().any()
        shown = fairness_table(audit, lambda x: f"{x:.3f}", lambda x: f"{x:.2f}")
        assert not shown.table["persons"].eq(SUPPRESSED).any()
        assert audit.table[list(RATES)].notna().all().all()


def test_published_table_marks_suppressed_persons_and_drops_empty_intersections():
    cells = dict.fromkeys(itertools.product(("H", "M"), ("ES", "EU")), BIG)
    cells[("M", "EU")] = (0, 1, 1, 1)  # three persons
    cells[("H", "LATAM")] = (4, 4, 4, 4)
    protected = protect_audits(audits_of(persons(cells)), 5)
    shown = fairness_table(protected["sex_nationality"], lambda x: f"{x:.3f}", lambda x: f"{x:.2f}")
    assert shown.table.loc[("M", "EU"), "persons"] == SUPPRESSED
    assert ("M", "LATAM") not in shown.table.index  # nobody: dropped, a known zero
    assert shown.primary > 0 and shown.secondary > 0
    assert shown.table.loc[("M", "EU"), "alert_rate"] == SUPPRESSED  # it would give the count away
    assert (shown.table == SUPPRESSED).sum().sum() == shown.primary + shown.secondary + shown.derived


def small_union_data() -> pd.DataFrame:
    """M x EU and M x LATAM hold one and two alerts: primary cells of one line whose sum is small."""
    cells = {(s, n): BIG for s in ("H", "M") for n in ("ES", "EU", "LATAM")}
    cells[("M", "EU")] = (0, 1, 13, 15)
    cells[("M", "LATAM")] = (1, 1, 13, 15)
    return persons(cells)


def test_hidden_cells_of_a_line_never_sum_to_a_small_count():
    data, min_cell = small_union_data(), 5
    after = {name: p.table for name, p in protect_audits(audits_of(data), min_cell).items()}
    assert exposed(data, after, min_cell) == []
    assert exposed_unions(data, after, min_cell) == []


def recoverable_witness(values, equations, mask, cell, min_cell):
    """A weaker check than the rule on bounded sums: a cell is exposed only when recoverable by itself.

    Its "witness" is the true table, which never holds for a small count, so it is asked every time.
    """
    from pact_analysis.disclosure import recoverable

    return None if recoverable(equations, mask)[cell] else np.nan_to_num(values)


@pytest.mark.parametrize("seed", [28, 35, 38])
def test_random_audits_leave_no_small_union_recoverable(seed, monkeypatch):
    """Audits where the protection without the rule on hidden sums leaves a small union exposed."""
    from pact_analysis.disclosure import bounds

    rng = np.random.default_rng(seed)
    cells = {(s, n): tuple(rng.integers(0, 12, 4)) for s in ("H", "M") for n in ("ES", "EU", "LATAM")}
    data, min_cell = persons(cells), 10
    after = {name: p.table for name, p in protect_audits(audits_of(data), min_cell).items()}
    assert exposed_unions(data, after, min_cell) == [] and exposed(data, after, min_cell) == []
    with monkeypatch.context() as undone:  # the data set is at risk: without the rule, a union leaks
        undone.setattr(bounds, "_witness", recoverable_witness)
        before = {name: p.table for name, p in protect_audits(audits_of(data), min_cell).items()}
    assert exposed_unions(data, before, min_cell)


def test_a_rate_of_zero_or_one_hundred_percent_is_not_shown_and_counts_as_hidden():
    """M x EU: every stayer missed (15 of 15, a false negative rate of 100%), no leaver alerted (0%)."""
    cells = {(s, n): BIG for s in ("H", "M") for n in ("ES", "EU", "LATAM")}
    cells[("M", "EU")] = (0, 0, 13, 15)
    protected = protect_audits(audits_of(persons(cells)), 5)["sex_nationality"]
    row = protected.table.loc[("M", "EU")]
    assert row["n"] == 28  # the group itself is shown
    assert np.isnan(row["false_negative_rate"]) and np.isnan(row["false_positive_rate"])
    assert np.isnan(row["alert_rate"])  # no alert in the group: 0%
    assert not np.isnan(protected.table.loc[("H", "EU"), "false_negative_rate"])
    assert protected.derived >= 3  # the blanked rates count when the report judges the table
