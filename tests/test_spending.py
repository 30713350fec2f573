"""Spending: exact reconciliation with the benefit registry, disclosure of small sums, the scenario's
arithmetic on hand-checkable cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pact_analysis import chronicity as ch
from pact_analysis import disclosure
from pact_analysis import spending as sp
from pact_analysis.config import load_params

pytestmark = pytest.mark.xdist_group("tiny_region")

EXTRACTION = "2018-10-31"


def _files(rows: list[tuple[str, str, str | None, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "file_id": [f"F{i}" for i in range(len(rows))],
            "person_key": [r[0] for r in rows],
            "ceas_code": ["C1"] * len(rows),
            "start_date": pd.to_datetime([r[1] for r in rows]),
            "end_date": pd.to_datetime([r[2] for r in rows]),
            "monthly_amount_eur": [r[3] for r in rows],
        }
    )


def test_months_paid_counts_first_and_last_month_and_stops_at_the_extraction():
    files = _files(
        [
            ("a", "2018-01-15", "2018-03-02", 500.0),  # Jan, Feb, Mar
            ("b", "2018-10-01", None, 400.0),  # still paid: October only
            ("c", "2018-09-20", "2019-05-01", 300.0),  # ends after the extraction: Sep, Oct
        ]
    )
    assert sp.months_paid(files, EXTRACTION).tolist() == [3, 1, 2]
    assert sp.registry_total(files, EXTRACTION) == 3 * 500 + 400 + 2 * 300


def test_spending_reconciles_exactly_with_the_benefit_registry(tiny_project):
    """The same total computed independently: one calendar-month period range per file."""
    params = load_params(tiny_project.params)
    tables = ch.load_tables(tiny_project.processed, ("rgc_spells", "rgc_members", "persons", "ceas"))
    spells = tables["rgc_spells"]
    extraction = pd.Timestamp(params["data"]["extraction_date"])
    independent = 0.0
    for start, end, amount in spells[["start_date", "end_date", "monthly_amount_eur"]].itertuples(
        index=False
    ):
        last = extraction if pd.isna(end) or end > extraction else end
        independent += amount * len(pd.period_range(start.to_period("M"), last.to_period("M"), freq="M"))
    paid = sp.payments(spells, extraction, tables["ceas"], ch.build_spells(tables, params))
    yearly = sp.yearly_spending(paid)
    assert independent > 0
    assert paid["amount_eur"].sum() == pytest.approx(independent, rel=1e-12)
    assert yearly["spending_eur"].sum() == pytest.approx(independent, rel=1e-12)
    assert sp.spending_by(paid, "province_code")["spending_eur"].sum() == pytest.approx(
        independent, rel=1e-12
    )
    assert yearly["months"].sum() == sp.months_paid(spells, extraction).sum()
    assert paid["spell_month"].min() == 1
    assert 0 < yearly["chronic_share"].max() < 1


def test_spell_month_counts_from_the_start_of_the_merged_episode():
    files = _files([("a", "2015-01-10", "2015-06-20", 500.0), ("a", "2015-07-05", "2015-08-10", 500.0)])
    episodes = pd.DataFrame({"person_key": ["a"], "start_date": pd.to_datetime(["2015-01-10"])})
    paid = sp.payments(files, EXTRACTION, episodes=episodes)
    assert paid.loc[paid["file_id"] == "F1", "spell_month"].tolist() == [7, 8]
    alone = sp.payments(files, EXTRACTION)
    assert alone.loc[alone["file_id"] == "F1", "spell_month"].tolist() == [1, 2]


def test_small_groups_fold_until_the_folded_row_is_publishable():
    persons = pd.Series({"a": 3, "b": 4, "c": 20, "d": 50})
    assert sp.small_groups(persons, 10) == ["a", "b", "c"]
    assert sp.small_groups(pd.Series({"a": 6, "b": 5, "c": 40}), 10) == ["b", "a"]
    assert sp.small_groups(pd.Series({"a": 12, "b": 30}), 10) == []


def test_no_published_spending_sum_covers_fewer_than_min_cell_persons():
    rows = [(f"p{i}", "2016-01-01", "2016-12-31", 500.0) for i in range(30)]
    files = _files(rows)
    files.loc[:2, "ceas_code"] = "SMALL"  # 3 persons
    table = sp.spending_by_folded(sp.payments(files, EXTRACTION), "ceas_code", 10)
    assert "SMALL" not in table.index and (table["persons"] >= 10).all()
    assert table["spending_eur"].sum() == pytest.approx(30 * 12 * 500.0)


def test_spending_crosstab_published_behind_its_persons_hides_small_cells_and_complements():
    rows = [(f"p{i}", "2016-01-01", "2017-12-31", 100.0) for i in range(40)]
    files = _files(rows)
    files["ceas_code"] = ["A"] * 20 + ["B"] * 17 + ["C"] * 3
    money, persons = sp.spending_crosstab(sp.payments(files, EXTRACTION), "ceas_code", "year")
    assert persons.loc["C"].tolist() == [3, 3] and money.loc["A", 2016] == pytest.approx(20 * 12 * 100.0)
    protected = disclosure.protect_by(money, persons, 10)
    hidden = protected.table == disclosure.SUPPRESSED
    assert hidden.loc["C"].all(), "3 persons: suppressed"
    assert hidden.sum().sum() >= 4, "a lone suppressed cell per column would be recoverable from the total"
    assert not hidden.loc["A"].all()
    assert (protected.primary, protected.primary + protected.secondary) == (2, int(hidden.sum().sum()))


def test_scaling_factor_is_published_heads_over_heads_paid_that_month():
    files = _files([("a", "2015-06-01", None, 500.0), ("b", "2015-12-01", "2016-01-31", 500.0)])
    scale = sp.scaling_factor(sp.payments(files, EXTRACTION))
    assert scale["heads"] == 2
    assert scale["factor"] == pytest.approx(sp.PUBLISHED_HEADS[1] / 2)


def test_conditional_survival_of_an_exponential_is_memoryless():
    index = pd.MultiIndex.from_tuples([("lambda_", "Intercept"), ("rho_", "Intercept")])
    params = pd.Series([np.log(10.0), 0.0], index=index)  # scale 10 months, shape 1
    curves = sp.conditional_survival(params, pd.DataFrame(index=range(2)), np.array([0.0, 30.0]), 3)
    expected = np.exp(-np.arange(1, 4) / 10.0)
    np.testing.assert_allclose(curves, np.vstack([expected, expected]))


def test_break_even_on_a_hand_checkable_case():
    """Nobody ever leaves (S = 1), EUR 500 a month, exit at month 6, five years: an extra leaver
    saves 6 months in year 1 and 12 in each later year (54 months, EUR 27,000); at EUR 2,700 a case
    the break-even effect is 2,700 / 27,000 = 0.1."""
    avoided = sp.avoided_per_leaver(np.ones((3, 60)), np.full(3, 500.0), 6, 5)
    np.testing.assert_allclose(avoided, [3000, 6000, 6000, 6000, 6000])
    assert sp.break_even_effect(2700.0, avoided, reentry=0.0, rate=0.0) == pytest.approx(0.1)
    assert sp.break_even_effect(2700.0, avoided, reentry=0.5, rate=0.0) == pytest.approx(0.2)
    at_break_even = sp.scenario_years(100, 0.1, 2700.0, avoided, 0.0, 0.0)
    assert at_break_even["net_eur"].sum() == pytest.approx(0.0, abs=1e-6)
    assert at_break_even.loc[1, "cost_eur"] == 270000 and at_break_even.loc[2, "cost_eur"] == 0
    assert sp.scenario_years(100, 0.2, 2700.0, avoided, 0.0, 0.0)["net_eur"].sum() == pytest.approx(270000)
    discounted = sp.break_even_effect(2700.0, avoided, reentry=0.0, rate=0.05)
    assert discounted > 0.1, "discounting later savings raises the break-even"


def test_simulation_without_uncertainty_equals_the_point_result_and_tornado_ranks_the_widest_input():
    avoided = np.array([3000.0, 6000, 6000, 6000, 6000])
    cfg = sp.spending_params(
        {"spending": {"cost_per_case_eur": 2700, "cost_per_case_range": [2700, 2700], "reentry_share": 0.0,
                      "reentry_share_range": [0.0, 0.0], "discount_rate": 0.0, "draws": 50}}
    )  # fmt: skip
    effect = {"estimate": 0.2, "ci_low": 0.2, "ci_high": 0.2}
    sims = sp.simulate(100, effect, avoided[None, :], cfg)
    np.testing.assert_allclose(sims, 270000.0)
    wide = {"estimate": 0.2, "ci_low": -0.3, "ci_high": 0.7}
    table = sp.tornado(100, wide, avoided, np.vstack([avoided, avoided]), cfg)
    assert table.index[0] == "effect"
    assert table.attrs["base"] == pytest.approx(270000.0)
    assert table.loc["effect", "net_low_eur"] < 0 < table.loc["effect", "net_high_eur"]


def test_pilot_effect_falls_back_to_the_documented_default(tmp_path):
    effect = sp.pilot_effect(tmp_path, {"data": {"extraction_date": EXTRACTION}})
    assert effect["source"] == "default"
    assert effect["estimate"] == sp.DEFAULTS["effect_default"]["estimate"]
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "pilot.json").write_text(
        '{"exit_12m": {"estimate": 0.07, "ci_low": 0.01, "ci_high": 0.13}}', encoding="utf-8"
    )
    stored = sp.pilot_effect(tmp_path, {"data": {"extraction_date": EXTRACTION}})
    assert stored["source"] == "metrics" and stored["estimate"] == 0.07
