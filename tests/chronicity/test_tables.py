"""The public API of the former single module, and the words of the published tables."""

from __future__ import annotations

import pandas as pd
import pytest

import pact_analysis.chronicity as ch
from pact_analysis import labels
from pact_analysis.chronicity.tables import predictor_label
from pact_analysis.report import i18n


def test_the_generic_api_keeps_its_import_path():
    from pact_analysis.chronicity import calibration, concordance, cumulative_incidence, fit_aft, fit_cox

    assert fit_cox.__module__ == "pact_analysis.chronicity.survival"
    assert concordance.__module__ == calibration.__module__ == "pact_analysis.chronicity.metrics"
    assert callable(cumulative_incidence) and callable(fit_aft)
    assert all(hasattr(ch, name) for name in ch.__all__)


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_the_ground_floor_reads_the_reports_catalogues(lang):
    assert labels.catalogue(lang) == i18n.catalogue(lang)
    assert labels.text("chronicity.value.by_year_on_spell", lang, feature="X") == i18n.t(
        "chronicity.value.by_year_on_spell", lang, feature="X"
    )
    with pytest.raises(KeyError):
        labels.text("chronicity.no_such_key", lang)


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_predictor_labels(lang):
    assert predictor_label(ch.REFERENCE_ROW, lang) == i18n.t("chronicity.value.reference", lang)
    feature = i18n.t("chronicity.value.contracts_before", lang)
    assert predictor_label("contracts_before", lang) == feature
    assert predictor_label("contracts_before" + ch.BY_MONTH, lang) == i18n.t(
        "chronicity.value.by_year_on_spell", lang, feature=feature
    )
    assert all(predictor_label(p, lang) for p in ch.predictors())


def test_an_interval_with_a_negative_limit_is_not_written_with_a_dash():
    from pact_analysis.chronicity.tables import with_intervals

    table = pd.DataFrame({"x": [-0.2, 0.3], "x_lower": [-0.36, 0.21], "x_upper": [-0.08, 0.48]})
    shown = with_intervals(table, ["x"], lambda v: f"{v:.2f}")["x"].tolist()
    assert shown == ["-0.20 (-0.36; -0.08)", "0.30 (0.21–0.48)"]


def test_the_returns_table_suppresses_small_returns_and_what_would_bound_a_hidden_exit_count():
    from pact_analysis.chronicity.spells import UNKNOWN_EXIT
    from pact_analysis.chronicity.tables import returns_table
    from pact_analysis.disclosure import SUPPRESSED

    back = pd.DataFrame(
        {
            "n": [238, 1427, 1340, 60],
            "events": [0, 298, 3, 30],
            "still_12": [1.0, 0.81, 0.99, 0.2],
            "still_24": [1.0, 0.78, 0.98, 0.1],
        },
        index=pd.Index(["CARE_MOVED", "JOB_INCOME", "NON_COMPLIANCE", "OTHER"], name="group"),
    )
    shown = returns_table(back, unknown=4, min_cell=10)
    t = shown.table
    assert t.loc[UNKNOWN_EXIT, "n"] == SUPPRESSED  # 4 exits: primary
    assert t.loc["NON_COMPLIANCE", "events"] == SUPPRESSED  # 3 returns: primary
    assert (
        returns_table(back.assign(events=[0, 298, 300, 55]), 0, 10).table.loc["OTHER", "events"] == SUPPRESSED
    )
    assert t.loc["JOB_INCOME", "events"] == 298 and t.loc["JOB_INCOME", "n"] == 1427
    # the exits add up to the published total: a second one is hidden, and its returns with it
    complement = [r for r in t.index if r != UNKNOWN_EXIT and t.loc[r, "n"] == SUPPRESSED]
    assert len(complement) == 1 and t.loc[complement[0], "events"] == SUPPRESSED
    for row in ["NON_COMPLIANCE", *complement]:
        assert t.loc[row, "back_12"] == SUPPRESSED and t.loc[row, "back_24"] == SUPPRESSED
    assert (shown.primary, shown.secondary) == (2, 2)  # 4 exits, 3 returns; the complement and its returns
    assert shown.primary + shown.secondary == int(shown.mask.to_numpy().sum())
    assert t.loc["CARE_MOVED", "events"] == 0 or "CARE_MOVED" in complement  # a published zero stays


def test_a_lone_small_number_of_returns_gets_a_complement_as_the_returns_add_up_to_a_published_total():
    from pact_analysis.chronicity.tables import returns_table
    from pact_analysis.disclosure import SUPPRESSED

    back = pd.DataFrame(
        {
            "n": [238, 1427, 1340],
            "events": [0, 298, 3],
            "still_12": [1.0, 0.8, 0.99],
            "still_24": [1.0, 0.78, 0.99],
        },
        index=pd.Index(["CARE_MOVED", "JOB_INCOME", "NON_COMPLIANCE"], name="group"),
    )
    shown = returns_table(back, unknown=0, min_cell=10)
    events = shown.table["events"]
    assert events["NON_COMPLIANCE"] == SUPPRESSED
    # spells - heads gives the sum of the returns: one hidden cell alone would come back
    assert (events == SUPPRESSED).sum() >= 2 and (shown.primary, shown.secondary) == (1, 1)


def test_hidden_returns_cannot_be_bounded_small_through_the_exits_shown_beside_them():
    """Returns <= exits: with the exits shown, the returns and the exits without a return are a
    crosstab (route x back or not) whose totals a reader knows; no hidden part may be pinned to
    1..min_cell-1 by them (the referee's case: 11 of 12 and 15 of 15 back, two hidden returns)."""
    import numpy as np

    from pact_analysis.chronicity.tables import returns_table
    from pact_analysis.disclosure import SUPPRESSED, crosstab_relations, exposed_small_cells

    back = pd.DataFrame(
        {"n": [12, 15, 500, 800], "events": [11, 15, 200, 300], "still_12": 0.5, "still_24": 0.5},
        index=pd.Index(["A", "B", "C", "D"], name="group"),
    )
    shown = returns_table(back, unknown=0, min_cell=10)
    hidden = (shown.table["events"] == SUPPRESSED).to_numpy()
    assert hidden[0] and hidden.sum() >= 2
    assert not hidden[1], "B, 15 of 15 back, would pin A's one exit without a return to 0 or 1"
    parts = np.column_stack([back["events"], back["n"] - back["events"]]).astype(float)
    values, equations = crosstab_relations(parts)
    mask = np.concatenate([np.repeat(hidden[:, None], 2, axis=1).ravel(), np.zeros(len(values) - 8, bool)])
    assert not exposed_small_cells(values, equations, mask, 10).any()
    before = np.concatenate([[True] * 4, [False] * 4, np.zeros(len(values) - 8, bool)])
    assert exposed_small_cells(values, equations, before, 10)[1], "A and B hidden (the previous rule)"
    assert shown.primary + shown.secondary == int(shown.mask.to_numpy().sum())


def test_returns_of_small_routes_are_bounded_through_the_returns_total_too():
    """The referee's case (round 2): with 958 returns known in all and 954 shown, the hidden returns
    of two small routes (6 and 5 exits) would be at most 4: a third route is hidden with them."""

    from pact_analysis.chronicity.tables import returns_table
    from pact_analysis.disclosure import SUPPRESSED

    back = pd.DataFrame(
        {"n": [1427, 1340, 40, 6, 5], "events": [298, 656, 0, 4, 0], "still_12": 0.5, "still_24": 0.5},
        index=pd.Index(["JOB", "SANCTION", "CARE", "OTHER", "MOVED"], name="group"),
    )
    shown = returns_table(back, unknown=20, min_cell=10)
    t = shown.table
    hidden_returns = t["events"] == SUPPRESSED
    assert hidden_returns["OTHER"] and hidden_returns.sum() >= 3
    shown_total = pd.to_numeric(t.loc[~hidden_returns, "events"], errors="coerce").sum()
    assert back["events"].sum() - shown_total >= 10, "the hidden returns hold at least min_cell together"
    assert shown.primary + shown.secondary == int(shown.mask.to_numpy().sum())
    assert shown.primary + shown.secondary + shown.derived == int((t == SUPPRESSED).to_numpy().sum())
    # an intruder who knows both totals, returns <= exits and the shown cells bounds no small count
    assert not intruder_exposes(back, 20, t)


def intruder_exposes(back: pd.DataFrame, unknown: int, published: pd.DataFrame) -> bool:
    """Whether the re-entry table as published lets a small count be bounded below 10 (written apart
    from the protection: cells returns, non-returns and exits per route, then the unknown route's exits
    and the two totals)."""
    import numpy as np

    from pact_analysis.disclosure import SUPPRESSED, exposed_small_cells

    m = len(back)
    e, n = back["events"].to_numpy(float), back["n"].to_numpy(float)
    values = np.concatenate([e, n - e, n, [unknown, e.sum(), n.sum() + unknown]])
    equations = []
    for i in range(m):
        row = np.zeros(len(values))
        row[[i, m + i, 2 * m + i]] = [1, 1, -1]
        equations.append(row)
    returns = np.zeros(len(values))
    returns[:m], returns[-2] = 1, -1
    exits = np.zeros(len(values))
    exits[2 * m : 3 * m + 1], exits[-1] = 1, -1
    equations += [returns, exits]
    hidden_e = (published.loc[back.index, "events"] == SUPPRESSED).to_numpy()
    hidden_n = (published.loc[back.index, "n"] == SUPPRESSED).to_numpy()
    unknown_hidden = published.iloc[-1]["n"] == SUPPRESSED if len(published) > m else False
    mask = np.concatenate([hidden_e, hidden_e | hidden_n, hidden_n, [unknown_hidden, False, False]])
    return bool(exposed_small_cells(values, np.array(equations), mask, 10).any())


@pytest.mark.parametrize("seed", range(3))
def test_no_random_re_entry_table_lets_a_small_count_be_bounded(seed):
    """Random routes, small and large, with and without exits of unknown route: the published table
    passes the intruder's programme written apart from the protection (:func:`intruder_exposes`)."""
    import numpy as np

    from pact_analysis.chronicity.tables import returns_table
    from pact_analysis.disclosure import SUPPRESSED

    rng = np.random.default_rng(seed)
    for _ in range(15):
        m = int(rng.integers(3, 7))
        n = np.where(rng.random(m) < 0.4, rng.integers(1, 15, m), rng.integers(15, 1500, m))
        events = rng.binomial(n, rng.uniform(0, 1, m))
        back = pd.DataFrame(
            {"n": n, "events": events, "still_12": 0.5, "still_24": 0.5},
            index=pd.Index([f"R{i}" for i in range(m)], name="group"),
        )
        unknown = int(rng.choice([0, 4, 30]))
        shown = returns_table(back, unknown, 10)
        assert not intruder_exposes(back, unknown, shown.table), back.to_dict("list")
        marks = int((shown.table == SUPPRESSED).to_numpy().sum())
        assert shown.primary + shown.secondary + shown.derived == marks


def test_the_kaplan_meier_table_lists_provinces_in_the_order_the_report_gives():
    from pact_analysis.chronicity.tables import km_summary

    row = {"n": 20, "events": 10, "median": 5.0, "median_lower": 4.0, "median_upper": 6.0}
    row |= {"still_12": 0.5, "still_24": 0.4, "still_36": 0.3}
    tables = {
        "km_all": pd.DataFrame([row | {"group": "all"}]),
        "km_province": pd.DataFrame([row | {"group": g} for g in ["Zamora", "Ávila", "León"]]),
    }
    assert list(km_summary(tables).index.get_level_values("group")) == ["all", "Zamora", "Ávila", "León"]
    ordered = km_summary(tables, i18n.sort_key).index.get_level_values("group")
    assert list(ordered) == ["all", "Ávila", "León", "Zamora"]


def test_the_deployed_calibration_is_read_from_its_intervals_only():
    from pact_analysis.chronicity.tables import calibration_reading

    def values(slope, intercept):
        return {"deployed_calibration_slope_ci": slope, "deployed_calibration_intercept_ci": intercept}

    assert calibration_reading(values([1.08, 1.63], [-0.36, -0.08])) == ["flat", "over"]
    assert calibration_reading(values([0.5, 0.9], [0.05, 0.3])) == ["extreme", "under"]
    assert calibration_reading(values([0.9, 1.63], [-0.36, -0.08])) == ["over"]  # slope: 1 inside
    assert calibration_reading(values([0.9, 1.1], [-0.1, 0.1])) == ["consistent"]
    assert calibration_reading(values([float("nan"), 1.1], [-0.1, 0.1])) == []  # no interval, no reading
    assert calibration_reading({}) == []
