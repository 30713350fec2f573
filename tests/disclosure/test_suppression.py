"""Small-cell suppression of crosstabs, long frames and wide tables, and the check of published counts."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from pact_analysis import disclosure

C = disclosure.SUPPRESSED  # "[c]"

# --- small cells ------------------------------------------------------------------------------------


def crosstab(rows: list[list[int]]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, index=[f"r{i}" for i in range(len(rows))], columns=[f"c{j}" for j in range(len(rows[0]))]
    )


def test_primary_suppression_hides_small_counts_only():
    table = crosstab([[3, 20, 30, 0], [1, 25, 40, 12], [50, 60, 70, 80]])
    out = disclosure.suppress_small_cells(table, 10)
    assert out.loc["r0", "c0"] == C and out.loc["r1", "c0"] == C
    assert out.loc["r2", "c2"] == 70
    assert out.loc["r0", "c3"] == 0  # zeros are not disclosive counts
    assert disclosure.check_min_cell(out, 10) == []


def test_a_row_with_one_suppressed_cell_and_a_total_cannot_be_back_solved():
    table = crosstab([[3, 20, 30], [15, 25, 40]])
    mask = disclosure.suppression_mask(table, 10)
    assert mask.to_numpy().sum() > 1
    assert mask.sum(axis=1).isin([0, 2, 3]).all() and mask.sum(axis=0).isin([0, 2]).all()
    assert disclosure.back_solvable(mask.to_numpy()) == []
    # Two different tables give the same published cells and the same row and column totals:
    published = disclosure.suppress_small_cells(table, 10)
    other = table.copy()
    (r0, c0), (r1, c1) = np.argwhere(mask.to_numpy())[[0, -1]]
    assert (r0, c0) != (r1, c1)
    delta = np.zeros(table.shape, dtype=int)
    delta[r0, c0], delta[r0, c1], delta[r1, c0], delta[r1, c1] = 1, -1, -1, 1
    other += delta
    assert disclosure.suppress_small_cells(other, 10).equals(published)
    assert other.sum(axis=1).equals(table.sum(axis=1)) and other.sum(axis=0).equals(table.sum(axis=0))


def test_secondary_suppression_with_margins_in_the_table():
    table = crosstab([[3, 20, 30], [15, 25, 40], [12, 11, 60]])
    table.loc["total"] = table.sum()
    table["total"] = table.sum(axis=1)
    mask = disclosure.suppression_mask(table, 10)
    assert mask.loc["r0", "c0"]
    assert mask.loc["r0"].sum() >= 2
    assert disclosure.back_solvable(mask.to_numpy()) == []


def test_a_forced_cell_is_protected_like_a_primary_one():
    table = crosstab([[30, 20, 30], [15, 25, 40]])
    forced = np.zeros(table.shape, dtype=bool)
    forced[0, 1] = True  # suppressed in another table that shares it
    mask = disclosure.suppression_mask(table, 10, forced=forced)
    assert mask.loc["r0", "c1"] and mask.to_numpy().sum() == 4
    assert disclosure.back_solvable(mask.to_numpy()) == []
    assert not disclosure.suppression_mask(table, 10).to_numpy().any()


def test_recoverable_generalises_back_solvable_and_protect_relations_repairs():
    mask = np.zeros((2, 3), dtype=bool)
    mask[0, 0] = mask[0, 1] = mask[1, 0] = True
    lines = [[(r, c) for c in range(3)] for r in range(2)] + [[(r, c) for r in range(2)] for c in range(3)]
    equations = np.array([[float((r, c) in line) for r in range(2) for c in range(3)] for line in lines])
    found = disclosure.recoverable(equations, mask.ravel()).reshape(mask.shape)
    assert sorted(map(tuple, np.argwhere(found))) == disclosure.back_solvable(mask)
    # the same table with its totals as cells: each line minus its total is zero
    values = np.array([3.0, 20, 30, 15, 25, 40, 53, 80, 18, 45, 70])  # cells, row totals, column totals
    with_totals = np.hstack([equations, -np.eye(5)])
    repaired = disclosure.protect_relations(values, with_totals, (values < 10), 10)
    assert repaired[0] and repaired.sum() >= 2 and not disclosure.recoverable(with_totals, repaired)[0]
    with pytest.raises(ValueError, match="do not satisfy"):  # relations without their totals
        disclosure.exposed_small_cells(values[:6], equations, values[:6] < 10, 10)


def test_protect_relations_never_leaves_a_small_sum_of_hidden_parts():
    """Parts 2 and 1 of a shown total 53: hidden together, their sum (3) is published by difference."""
    values = np.array([2.0, 1.0, 50.0, 53.0])
    equations = np.array([[1.0, 1.0, 1.0, -1.0]])
    mask = np.array([True, True, False, False])
    assert not disclosure.recoverable(equations, mask).any()
    assert disclosure.exposed_small_cells(values, equations, mask, 5).tolist() == [True, True, False, False]
    repaired = disclosure.protect_relations(values, equations, mask, 5)
    assert repaired.tolist() == [True, True, True, False]  # the next part joins: 53 hidden, not 3
    assert not disclosure.exposed_small_cells(values, equations, repaired, 5).any()
    # a hidden total with hidden parts tells only the shown parts' sum: nothing new
    both = np.array([True, True, False, True])
    assert not disclosure.exposed_small_cells(values, equations, both, 5).any()


def test_a_hidden_total_that_another_relation_gives_away_does_not_hide_the_parts_sum():
    """a + b + c = T with a = 1, b = 2 hidden, and T hidden but T + U = G shown: a + b = (G - U) - c."""
    values = np.array([1.0, 2.0, 50.0, 53.0, 100.0, 153.0])  # a, b, c, T, U, G
    equations = np.array([[1.0, 1.0, 1.0, -1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0, 1.0, -1.0]])
    mask = np.array([True, True, False, True, False, False])
    assert disclosure.exposed_small_cells(values, equations, mask, 5)[:2].all()
    repaired = disclosure.protect_relations(values, equations, mask, 5)
    assert repaired[2] and not disclosure.exposed_small_cells(values, equations, repaired, 5).any()


def test_the_difference_of_two_nested_totals_does_not_give_a_small_sum_away():
    """a + b + c + d = T and c + d = U, both totals shown, every part hidden: a + b = T - U = 3."""
    values = np.array([1.0, 2.0, 30.0, 40.0, 73.0, 70.0])  # a, b, c, d, T, U
    equations = np.array([[1.0, 1.0, 1.0, 1.0, -1.0, 0.0], [0.0, 0.0, 1.0, 1.0, 0.0, -1.0]])
    mask = np.array([True, True, True, True, False, False])
    assert not disclosure.recoverable(equations, mask).any()  # no cell alone, and no side is small
    assert disclosure.exposed_small_cells(values, equations, mask, 5).tolist()[:2] == [True, True]
    repaired = disclosure.protect_relations(values, equations, mask, 5)
    assert repaired.tolist() == [True, True, True, True, True, False]  # T hidden: a + b unbounded
    assert not disclosure.exposed_small_cells(values, equations, repaired, 5).any()


def test_an_exposed_cell_is_protected_through_a_relation_further_out():
    """The relation of the exposed cell has no free cell: the next one outwards gives it."""
    # a + b = T (all hidden, T = 3 by a second relation T + U = G with U, G shown)
    values = np.array([1.0, 2.0, 3.0, 40.0, 43.0])  # a, b, T, U, G
    equations = np.array([[1.0, 1.0, -1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0, -1.0]])
    mask = np.array([True, True, True, False, False])
    assert disclosure.exposed_small_cells(values, equations, mask, 5)[:2].all()
    repaired = disclosure.protect_relations(values, equations, mask, 5)
    assert repaired[3] and not disclosure.exposed_small_cells(values, equations, repaired, 5).any()


def test_protect_relations_shows_again_a_cell_a_later_one_made_unnecessary():
    """a + b + c + d = T and c + d = U, a = 1, b = 2 hidden: greedy steps hide c, then d, then T;
    with T hidden, a + b is unbounded and c, d can be shown again."""
    values = np.array([1.0, 2.0, 30.0, 40.0, 73.0, 70.0])  # a, b, c, d, T, U
    equations = np.array([[1.0, 1.0, 1.0, 1.0, -1.0, 0.0], [0.0, 0.0, 1.0, 1.0, 0.0, -1.0]])
    primary = np.array([True, True, False, False, False, False])
    repaired = disclosure.protect_relations(values, equations, primary, 5)
    assert repaired.tolist() == [True, True, False, False, True, False]
    assert not disclosure.exposed_small_cells(values, equations, repaired, 5).any()


def test_cells_hidden_with_their_total_are_not_bounded():
    values = np.array([1.0, 2.0, 3.0])  # a + b = T, all three hidden: nothing bounds them
    assert not disclosure.exposed_small_cells(values, np.array([[1.0, 1.0, -1.0]]), np.ones(3, bool), 5).any()


@pytest.mark.parametrize("seed", range(6))
def test_no_small_determined_union_survives_on_random_nested_tables(seed):
    """Brute force: every union of hidden cells whose sum the shown cells fix is 0 or at least min_cell."""
    rng = np.random.default_rng(seed)
    parts = rng.choice([0, 1, 2, 3, 12, 30], size=6).astype(float)
    # nested totals: all six parts; the last four; the last two; and the first three
    groups = [range(6), range(2, 6), range(4, 6), range(0, 3)]
    values = np.concatenate([parts, [parts[list(g)].sum() for g in groups]])
    equations = np.zeros((len(groups), len(values)))
    for r, g in enumerate(groups):
        equations[r, list(g)] = 1.0
        equations[r, 6 + r] = -1.0
    primary = (values > 0) & (values < 5)
    mask = disclosure.protect_relations(values, equations, primary, 5)
    for cell in np.flatnonzero(mask & ~primary):  # no added cell could be shown again
        released = mask.copy()
        released[cell] = False
        assert disclosure.exposed_small_cells(values, equations, released, 5).any(), (seed, cell)
    hidden = np.flatnonzero(mask)
    rank = np.linalg.matrix_rank(equations[:, mask]) if mask.any() else 0
    for size in range(1, len(hidden) + 1):
        for union in itertools.combinations(hidden, size):
            indicator = np.isin(np.flatnonzero(mask), union).astype(float)
            fixed = np.linalg.matrix_rank(np.vstack([equations[:, mask], indicator])) == rank
            assert not (fixed and 0 < values[list(union)].sum() < 5), (seed, union)


def test_back_solvable_detects_a_lone_suppressed_cell():
    mask = np.zeros((3, 3), dtype=bool)
    mask[1, 2] = True
    assert disclosure.back_solvable(mask) == [(1, 2)]
    mask[1, 0] = mask[2, 0] = mask[2, 2] = True
    assert disclosure.back_solvable(mask) == []


@pytest.mark.parametrize("seed", range(5))
def test_random_tables_never_leave_a_recoverable_cell(seed):
    rng = np.random.default_rng(seed)
    table = crosstab(rng.choice([0, 1, 2, 5, 9, 12, 30, 80], size=(5, 4)).tolist())
    mask = disclosure.suppression_mask(table, 10)
    assert disclosure.back_solvable(mask.to_numpy()) == []
    small = (table > 0) & (table < 10)
    assert mask.to_numpy()[small.to_numpy()].all()


def test_long_frame_gives_the_same_suppression_as_its_crosstab():
    table = crosstab([[3, 20, 30], [15, 25, 40]])
    long = (
        table.rename_axis(index="province")
        .reset_index()
        .melt(id_vars="province", var_name="sex", value_name="n")
    )
    out = disclosure.suppress_small_cells(long, 10, count="n", by=["province", "sex"])
    wide = disclosure.suppress_small_cells(table, 10)
    for row in out.itertuples():
        assert row.n == wide.loc[row.province, row.sex]


def test_long_frame_with_one_dimension_suppresses_two_cells():
    long = pd.DataFrame({"ceas": ["A", "B", "C", "D"], "n": [4, 50, 20, 33]})
    out = disclosure.suppress_small_cells(long, 10, count="n")
    assert out["n"].tolist() == [C, 50, C, 33]


def test_wide_table_with_label_and_count_columns():
    table = pd.DataFrame(
        {
            "profile": ["stayer", "cycler", "leaver"],
            "H": [4, 30, 50],
            "M": [25, 35, 60],
            "share": [0.1, 0.4, 0.5],
        }
    )
    out = disclosure.suppress_small_cells(table, 10, columns=["H", "M"])
    assert out["profile"].equals(table["profile"]) and out["share"].equals(table["share"])
    assert out.loc[0, "H"] == C
    mask = out[["H", "M"]].eq(C).to_numpy()
    assert mask.sum() >= 4 and disclosure.back_solvable(mask) == []


def test_single_count_column_suppresses_a_second_cell():
    table = pd.DataFrame({"n": [4, 50, 20, 33]}, index=["A", "B", "C", "D"])
    out = disclosure.suppress_small_cells(table, 10, columns=["n"])
    assert out["n"].tolist() == [C, 50, C, 33]


def test_rounding_keeps_suppression_and_rounds_the_rest():
    table = crosstab([[3, 22, 31], [15, 27, 44]])
    out = disclosure.suppress_small_cells(table, 10, round_to=5)
    shown = [v for v in out.to_numpy().ravel() if v != C]
    assert shown and all(v % 5 == 0 for v in shown)
    assert out.loc["r0", "c0"] == C


def test_check_min_cell_finds_unsuppressed_small_counts():
    table = pd.DataFrame({"ceas": ["A", "B", "C", "D"], "n": ["3", C, "0", "25"], "mean_score": ["3.5"] * 4})
    table.index = table.index + 2
    assert disclosure.check_min_cell(table, 10) == ["row 2, column n: count 3 below the minimum cell size 10"]


def test_check_min_cell_on_a_crosstab_ignores_non_count_columns():
    table = pd.DataFrame({"province": ["León", "Soria"], "H": [12, 4], "M": [30, C], "share": [0.5, 0.25]})
    assert disclosure.count_columns(table) == ["H", "M"]
    assert disclosure.check_min_cell(table, 10) == ["row 1, column H: count 4 below the minimum cell size 10"]


def _largest_by_enumeration(values, equations, mask, cell):
    """The largest value a hidden cell can take, over every table of hidden counts 0..the total."""
    hidden = np.flatnonzero(mask)
    top = int(np.nansum(values))
    trials = np.tile(np.nan_to_num(values), ((top + 1) ** len(hidden), 1))
    trials[:, hidden] = np.array(list(itertools.product(range(top + 1), repeat=len(hidden))))
    consistent = np.isclose(trials @ equations.T, 0).all(axis=1)
    return trials[consistent, cell].max()


@pytest.mark.parametrize("seed", range(8))
def test_exposure_matches_enumeration_of_every_consistent_table(seed):
    """A small hidden count is exposed exactly when no consistent table lets it reach min_cell."""
    rng = np.random.default_rng(seed)
    table = rng.choice([0, 1, 2, 3, 6, 9], size=(2, 3)).astype(float)
    values, equations = disclosure.crosstab_relations(table)
    mask = np.zeros(len(values), bool)
    mask[rng.choice(table.size, size=rng.integers(2, 4), replace=False)] = True
    found = disclosure.exposed_small_cells(values, equations, mask, 5)
    for cell in np.flatnonzero(mask & (values > 0) & (values < 5)):
        assert found[cell] == (_largest_by_enumeration(values, equations, mask, cell) < 5), (seed, cell)


@pytest.mark.parametrize("seed", range(4))
def test_reusing_witnesses_changes_no_decision(seed, monkeypatch):
    """The release of added cells decides the same with every witness recomputed from scratch."""
    from pact_analysis.disclosure import bounds

    rng = np.random.default_rng(seed)
    table = rng.choice([0, 1, 2, 3, 8, 20, 40], size=(5, 6)).astype(float)
    values, equations = disclosure.crosstab_relations(table)
    primary = (values > 0) & (values < 5)
    reused = disclosure.protect_relations(values, equations, primary, 5)
    with monkeypatch.context() as fresh:
        fresh.setattr(bounds, "_witness_holds", lambda *args: False)
        recomputed = disclosure.protect_relations(values, equations, primary, 5)
    assert reused.tolist() == recomputed.tolist()
    assert not disclosure.exposed_small_cells(values, equations, reused, 5).any()
