"""The scenario's arithmetic on hand-checkable cases."""

from __future__ import annotations

import numpy as np
import pytest

from pact_analysis import spending as sp


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


def test_tornado_at_break_even_varies_every_input_including_the_month_of_exit():
    avoided = np.array([3000.0, 6000, 6000, 6000, 6000])
    later, sooner = avoided * 0.8, avoided * 1.1  # exit at month 12 spares less than at month 3
    cfg = sp.spending_params({"spending": {"reentry_share": 0.2, "discount_rate": 0.03}})
    effect = {"estimate": 0.0, "ci_low": -0.1, "ci_high": 0.1}
    even = sp.break_even_effect(cfg["cost_per_case_eur"], avoided, 0.2, 0.03)
    table = sp.tornado(
        100, effect, avoided, np.vstack([avoided * 0.9, avoided * 1.1]), cfg, even, (sooner, later)
    )
    assert set(table.index) == {"effect", "cost", "reentry", "avoided", "rate", "months_to_exit"}
    assert table.attrs["base"] == pytest.approx(0.0, abs=1e-6) and table.attrs["at_effect"] == even
    assert table.loc["months_to_exit", "net_low_eur"] > 0 > table.loc["months_to_exit", "net_high_eur"]
    assert (table["swing_eur"] > 0).all()
    near_zero = sp.tornado(100, effect, avoided, np.vstack([avoided * 0.9, avoided * 1.1]), cfg)
    # at a near-zero effect the savings' inputs barely move the net; at break-even they do
    assert table.loc["reentry", "swing_eur"] > 10 * near_zero.loc["reentry", "swing_eur"]


def test_tilt_weights_give_the_participants_months_on_the_benefit():
    rng = np.random.default_rng(13)
    months = rng.gamma(1.5, 12, 2000)  # today's recipients: mostly recent
    w = sp.scenario.tilt_weights(months, 47.0, 30.0)
    mean = np.average(months, weights=w)
    assert mean == pytest.approx(47.0, abs=1e-3)
    assert np.sqrt(np.average((months - mean) ** 2, weights=w)) == pytest.approx(30.0, abs=1e-3)
    assert w.sum() == pytest.approx(len(months)) and (w > 0).all()
    with pytest.raises(ValueError, match="cannot"):
        sp.scenario.tilt_weights(months, 10 * months.max(), 1.0)
    curves = np.ones((3, 12))
    amounts = np.array([100.0, 200.0, 300.0])
    weighted = sp.avoided_per_leaver(curves, amounts, 0, 1, weights=np.array([0.0, 0.0, 1.0]))
    assert weighted[0] == pytest.approx(12 * 300.0)
