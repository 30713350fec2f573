"""Honest disclosure control: one neutral symbol, structure-aware and minimal secondary suppression."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from pact_analysis import disclosure
from pact_analysis.disclosure import suppression

C = disclosure.SUPPRESSED

PROVINCES = ["Ávila", "Burgos", "León", "Palencia", "Salamanca", "Segovia", "Soria", "Valladolid", "Zamora"]
ROUTES = ["employment", "non-compliance", "moved away", "voluntary"]


def exits_by_province() -> pd.DataFrame:
    """Exits from PACT by province and route; Palencia has 4 voluntary exits (a primary cell)."""
    rows = [
        [180, 60, 75, 35],
        [420, 140, 150, 60],
        [510, 170, 160, 80],
        [260, 70, 85, 4],
        [390, 120, 130, 55],
        [200, 65, 70, 40],
        [120, 22, 30, 14],
        [640, 210, 230, 90],
        [210, 75, 80, 45],
    ]
    return pd.DataFrame(rows, index=pd.Index(PROVINCES, name="province"), columns=ROUTES)


def spells_affected(merged: int, split: int, merged_exact: int, split_exact: int) -> pd.DataFrame:
    """The linkage report's key comparison: two methods side by side (rows do not add up)."""
    return pd.DataFrame(
        {"spells": [1200, 1200], "merged": [merged, merged_exact], "split": [split, split_exact]},
        index=pd.Index(["probabilistic (Splink)", "exact DNI/NIE only"], name="method"),
    )


def cost(values: np.ndarray, mask: np.ndarray, primary: np.ndarray) -> tuple[int, int, float]:
    """(zeros used, complements used, their total value) of a suppression pattern."""
    extra = mask & ~primary
    return int((values[extra] == 0).sum()), int(extra.sum()), float(values[extra].sum())


def brute_force_optimum(values: np.ndarray, min_cell: int) -> tuple[int, int, float]:
    """The cheapest safe pattern by enumeration, for tables without zeros (fewest cells, then value)."""
    primary = (values > 0) & (values < min_cell)
    free = [tuple(c) for c in np.argwhere(~primary)]
    for size in range(len(free) + 1):
        found = []
        for chosen in itertools.combinations(free, size):
            mask = primary.copy()
            for cell in chosen:
                mask[cell] = True
            if disclosure.back_solvable(mask) == []:
                found.append(cost(values, mask, primary))
        if found:
            return min(found)
    raise AssertionError("no safe pattern")


# --- the symbol -------------------------------------------------------------------------------------


def exposed(
    values: np.ndarray, mask: np.ndarray, min_cell: int = 10, skip_small_lines: bool = False
) -> list[int]:
    """Small hidden counts an intruder bounds below ``min_cell`` from the line totals; with
    ``skip_small_lines``, leaving out the cells of a line whose total is itself 1 to ``min_cell - 1``
    (that total discloses them wherever it is published)."""
    extended, equations = disclosure.crosstab_relations(values)
    hidden = np.concatenate([mask.ravel(), np.zeros(len(extended) - values.size, bool)])
    found = disclosure.exposed_small_cells(extended, equations, hidden, min_cell)[: values.size]
    if skip_small_lines:
        totals = extended[values.size :]
        small_lines = (totals > 0) & (totals < min_cell)
        found &= ~(np.abs(equations[small_lines][:, : values.size]) > 0).any(axis=0)
    return list(np.flatnonzero(found))


def test_a_line_of_zeros_or_a_small_line_elsewhere_does_not_switch_the_bounds_off():
    """Two small cells of a row bound each other below 10 whatever other lines hold: a row of zeros
    (a province with no ended file) or a column whose total is itself small."""
    base = [[79, 5, 3, 0], [80, 3, 5, 0], [200, 100, 150, 3]]
    for rows in (base + [[0, 0, 0, 0]], base):
        values = np.array(rows, dtype=float)
        mask = disclosure.suppression_mask(pd.DataFrame(values), 10).to_numpy()
        assert exposed(values, mask, skip_small_lines=True) == [], values


def test_a_small_count_that_missing_cells_leave_unprotectable_hides_its_lines():
    long = pd.DataFrame({"a": [0, 0, 1, 2, 3, 3], "b": [0, 1, 1, 0, 0, 1], "k": [15, 3, 100, 100, 4, 6]})
    table = disclosure.protect(long, 10, count="k", by=["a", "b"]).table
    assert (table.loc[[0, 1], "k"] == disclosure.SUPPRESSED).all()


def test_one_neutral_symbol_whatever_the_minimum():
    assert disclosure.SUPPRESSED == "[c]"
    assert disclosure.marker(10) == disclosure.marker(5) == "[c]"


# --- additive tables: the Palencia row --------------------------------------------------------------


def test_palencia_small_cell_gets_the_cheapest_complements_shown_as_c():
    table = exits_by_province()
    protected = disclosure.protect(table, 10)
    hidden = {(r, c) for r, c in itertools.product(PROVINCES, ROUTES) if protected.mask.loc[r, c]}
    assert hidden == {
        ("Palencia", "voluntary"),
        ("Palencia", "non-compliance"),
        ("Soria", "voluntary"),
        ("Soria", "non-compliance"),
    }
    assert (protected.primary, protected.secondary) == (1, 3)
    # Palencia's 70 non-compliance exits are hidden with the neutral symbol, not as "<10".
    assert table.loc["Palencia", "non-compliance"] == 70
    assert protected.table.loc["Palencia", "non-compliance"] == C
    published = protected.table.to_numpy().ravel()
    assert not any(str(v).startswith("<") for v in published)
    assert (published == C).sum() == 4
    # Everything else is published as it is.
    shown = ~protected.mask.to_numpy()
    assert (protected.table.to_numpy()[shown] == table.to_numpy()[shown]).all()


def test_palencia_complements_are_the_smallest_possible():
    values = exits_by_province().to_numpy(dtype=float)
    primary = (values > 0) & (values < 10)
    mask = disclosure.suppression_mask(exits_by_province(), 10).to_numpy()
    assert disclosure.back_solvable(mask) == []
    assert cost(values, mask, primary) == brute_force_optimum(values, 10) == (0, 3, 70 + 14 + 22)


def test_exact_search_beats_the_greedy_heuristic_where_it_goes_wrong():
    # Greedy takes the smallest cell of row 0 (11), of column 0 (11), then a 50 to close the cycle;
    # the best cycle goes through the corner: 12 + 12 + 13.
    table = pd.DataFrame([[3, 11, 12], [11, 50, 50], [12, 50, 13]])
    values = table.to_numpy(dtype=float)
    primary = (values > 0) & (values < 10)
    exact = disclosure.suppression_mask(table, 10, method="exact").to_numpy()
    greedy = disclosure.suppression_mask(table, 10, method="greedy").to_numpy()
    assert cost(values, exact, primary) == (0, 3, 37.0)
    assert cost(values, greedy, primary) == (0, 3, 72.0)
    assert disclosure.back_solvable(exact) == [] and disclosure.back_solvable(greedy) == []


def test_a_pattern_meeting_the_line_rule_can_still_be_undone_and_is_not_chosen():
    table = pd.DataFrame([[7, 1, 10, 60], [25, 1, 1, 3], [12, 25, 1, 10], [3, 1, 12, 60]])
    values = table.to_numpy(dtype=float)
    primary = (values > 0) & (values < 10)
    # One complement (the 10 at row 2, column 3) leaves every row and column with 0 or >= 2
    # suppressed cells, yet the totals still give cells away (a bridge between two cycles).
    one_more = primary.copy()
    one_more[2, 3] = True
    assert set(one_more.sum(axis=0)) | set(one_more.sum(axis=1)) <= {0, 2, 3, 4}
    assert disclosure.back_solvable(one_more) != []
    mask = disclosure.suppression_mask(table, 10).to_numpy()
    assert disclosure.back_solvable(mask) == [] and exposed(values, mask) == []
    # the cheapest pattern that no total undoes exactly still lets two small cells bound each other
    # below 10: more cells are hidden than that optimum
    assert cost(values, mask, primary) > brute_force_optimum(values, 10)


def test_two_small_cells_of_one_line_do_not_hide_each_other():
    table = pd.DataFrame({"exits": [400, 300, 5, 3]})
    mask = disclosure.suppression_mask(table, 10).to_numpy()
    assert mask[2:].all() and mask.sum() == 3  # 5 + 3 = 8 from the total: a third cell goes
    assert exposed(table.to_numpy(float), mask) == []


def test_a_zero_is_a_complement_of_last_resort():
    table = pd.DataFrame([[4, 0, 300], [20, 0, 500]])
    mask = disclosure.suppression_mask(table, 10).to_numpy()
    assert mask.tolist() == [[True, False, True], [True, False, True]]
    only_zeros_left = pd.DataFrame([[4, 0], [0, 0]])
    mask = disclosure.suppression_mask(only_zeros_left, 10).to_numpy()
    assert mask.all() and disclosure.back_solvable(mask) == []


def test_a_table_without_small_cells_is_published_whole():
    table = exits_by_province().replace(4, 12)
    protected = disclosure.protect(table, 10)
    assert (protected.primary, protected.secondary) == (0, 0)
    assert (protected.table.to_numpy() == table.to_numpy()).all()


def test_missing_cells_are_never_complements():
    table = pd.DataFrame([[4, np.nan, 30], [20, 25, 40], [np.nan, 11, 12]])
    mask = disclosure.suppression_mask(table, 10).to_numpy()
    assert not mask[0, 1] and not mask[2, 0]
    assert mask[0, 0] and disclosure.back_solvable(mask) == []


def test_large_tables_use_the_greedy_heuristic():
    rng = np.random.default_rng(7)
    table = pd.DataFrame(rng.choice([3, 15, 40, 200], size=(25, 20), p=[0.05, 0.3, 0.35, 0.3]))
    assert table.size > disclosure.EXACT_MAX_CELLS
    auto = disclosure.suppression_mask(table, 10)
    assert auto.equals(disclosure.suppression_mask(table, 10, method="greedy"))
    assert disclosure.back_solvable(auto.to_numpy()) == []


def test_an_unknown_method_is_refused():
    with pytest.raises(ValueError, match="unknown suppression method"):
        disclosure.suppression_mask(pd.DataFrame([[1, 2]]), 10, method="optimal")


# --- non-additive tables: the spells-affected comparison -------------------------------------------


def test_spells_affected_comparison_gets_primary_suppression_only():
    table = spells_affected(merged=3, split=18, merged_exact=2, split_exact=1647)
    protected = disclosure.protect(table, 10, additive=False)
    published = protected.table
    assert published.loc["probabilistic (Splink)", "split"] == 18
    assert published.loc["exact DNI/NIE only", "split"] == 1647
    assert published.loc["probabilistic (Splink)", "merged"] == C
    assert published.loc["exact DNI/NIE only", "merged"] == C
    assert published["spells"].tolist() == [1200, 1200]
    assert (protected.primary, protected.secondary) == (2, 0)
    assert protected.mask.to_numpy().sum() == 2


def test_declared_additive_the_same_comparison_would_hide_the_main_result():
    table = spells_affected(merged=3, split=18, merged_exact=2, split_exact=1647)
    protected = disclosure.protect(table, 10)  # wrongly declared as a crosstab
    assert protected.secondary > 0
    assert protected.table.loc["probabilistic (Splink)", "split"] == C


@pytest.mark.parametrize("additive", [False, True])
def test_spells_affected_without_small_cells_is_published_unsuppressed(additive):
    table = spells_affected(merged=14, split=18, merged_exact=12, split_exact=1647)
    protected = disclosure.protect(table, 10, additive=additive)
    assert (protected.primary, protected.secondary) == (0, 0)
    assert protected.table.equals(table.astype(object))
    assert disclosure.check_min_cell(protected.table, 10) == []


def test_suppress_small_cells_is_protect_table():
    table = spells_affected(merged=3, split=18, merged_exact=2, split_exact=1647)
    for additive in (False, True):
        assert disclosure.suppress_small_cells(table, 10, additive=additive).equals(
            disclosure.protect(table, 10, additive=additive).table
        )


def test_long_frame_non_additive_suppresses_primary_cells_only():
    long = pd.DataFrame({"ceas": ["A", "B", "C", "D"], "n": [4, 50, 20, 33]})
    protected = disclosure.protect(long, 10, additive=False, count="n")
    assert protected.table["n"].tolist() == [C, 50, 20, 33]
    assert protected.mask["n"].tolist() == [True, False, False, False]
    assert (protected.primary, protected.secondary) == (1, 0)


def test_protected_mask_has_the_shape_of_the_count_columns():
    table = pd.DataFrame({"profile": ["stayer", "cycler", "leaver"], "H": [4, 30, 50], "M": [25, 35, 60]})
    protected = disclosure.protect(table, 10, columns=["H", "M"])
    assert list(protected.mask.columns) == ["H", "M"] and protected.mask.index.equals(table.index)
    assert protected.mask.dtypes.eq(bool).all()
    assert protected.primary == 1 and protected.secondary == int(protected.mask.to_numpy().sum()) - 1


# --- the planted small cell -------------------------------------------------------------------------


def test_a_small_cell_left_unsuppressed_is_caught():
    protected = disclosure.protect(exits_by_province(), 10)
    leaked = protected.table.reset_index().astype(str)
    leaked.index = leaked.index + 2  # as read back from the CSV
    assert disclosure.check_min_cell(leaked, 10, ROUTES) == []
    leaked.loc[leaked["province"] == "Palencia", "voluntary"] = "4"
    assert disclosure.check_min_cell(leaked, 10, ROUTES) == [
        "row 5, column voluntary: count 4 below the minimum cell size 10"
    ]


def test_a_below_label_is_refused_but_the_neutral_symbol_is_not():
    table = pd.DataFrame({"route": ["a", "b", "c"], "n": ["120", C, "<10"], "p": ["<0.001", "0.2", "0.5"]})
    table.index = table.index + 2
    assert disclosure.count_columns(table) == ["n"]
    assert disclosure.check_labels(table) == ["row 4, column n: label '<10' is not allowed; use [c]"]
    assert disclosure.check_min_cell(table, 10) == []


# --- the property: an additive pattern is never back-solvable --------------------------------------


def random_table(rng: np.random.Generator) -> pd.DataFrame:
    shape = tuple(int(n) for n in rng.integers(2, 7, size=2))
    return pd.DataFrame(rng.choice([0, 1, 3, 7, 9, 10, 12, 25, 60, 300], size=shape))


def test_two_hundred_random_additive_tables_are_never_back_solvable():
    rng = np.random.default_rng(2024)
    for _ in range(200):
        table = random_table(rng)
        protected = disclosure.protect(table, 10)
        mask = protected.mask.to_numpy()
        small = ((table > 0) & (table < 10)).to_numpy()
        assert mask[small].all()
        assert protected.primary == small.sum() and protected.secondary == mask.sum() - small.sum()
        assert disclosure.back_solvable(mask) == [], table.to_numpy()
        assert exposed(table.to_numpy(float), mask, skip_small_lines=True) == [], table.to_numpy()
        published = protected.table.astype(str)
        assert disclosure.check_recoverable(published, list(table.columns)) == []
        assert disclosure.check_min_cell(published, 10, list(table.columns)) == []


def test_random_tables_exact_never_worse_than_greedy_and_optimal_by_enumeration():
    rng = np.random.default_rng(11)
    for i in range(60):
        table = random_table(rng)
        values = table.to_numpy(dtype=float)
        primary = (values > 0) & (values < 10)
        # the complement search itself (before the intruder's bounds are checked)
        exact = suppression._complements(values, primary, "exact")
        greedy = suppression._complements(values, primary, "greedy")
        assert cost(values, exact, primary) <= cost(values, greedy, primary)
        if i < 20:  # a few small tables without zeros, against enumeration
            small = pd.DataFrame(rng.choice([1, 4, 9, 11, 13, 20, 45, 90], size=(3, 3)))
            at_small = small.to_numpy(dtype=float)
            found = suppression._complements(at_small, (at_small > 0) & (at_small < 10), "exact")
            expected = brute_force_optimum(at_small, 10)
            assert cost(at_small, found, (at_small > 0) & (at_small < 10)) == expected
            # the published pattern is that optimum whenever no total bounds a small cell with it
            published = disclosure.suppression_mask(small, 10).to_numpy()
            assert exposed(at_small, published, skip_small_lines=True) == []
            if exposed(at_small, found) == []:
                assert (published == found).all()


def test_random_tables_non_additive_suppress_exactly_the_small_cells():
    rng = np.random.default_rng(5)
    for _ in range(50):
        table = random_table(rng)
        protected = disclosure.protect(table, 10, additive=False)
        small = ((table > 0) & (table < 10)).to_numpy()
        assert (protected.mask.to_numpy() == small).all() and protected.secondary == 0


def test_same_table_same_pattern():
    rng = np.random.default_rng(3)
    tables = [random_table(rng) for _ in range(20)]
    first = [disclosure.protect(t, 10).table.to_csv() for t in tables]
    assert [disclosure.protect(t.copy(), 10).table.to_csv() for t in tables] == first
