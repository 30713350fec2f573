"""The fairness audit by hand, intersections, and disclosure control of rates and curves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pact_analysis.chronicity.fairness import fairness_audit, mask_small_groups, publishable_curves


def test_fairness_audit_rates_and_shares():
    data = pd.DataFrame(
        {
            "still": [1, 1, 0, 0, 1, 0, 0, 0],
            "p": [0.9, 0.2, 0.8, 0.1, 0.7, 0.6, 0.3, 0.2],
            "sex": ["H", "H", "H", "H", "M", "M", "M", "M"],
        }
    )
    table = fairness_audit(data, "still", "p", "sex", threshold=0.5, n_boot=20, seed=1)
    h, m = table.loc["H"], table.loc["M"]
    assert h["false_negative_rate"] == 0.5 and h["false_positive_rate"] == 0.5
    assert m["false_negative_rate"] == 0.0 and m["false_positive_rate"] == pytest.approx(1 / 3)
    assert h["share_of_alerts"] == 0.5 and h["share_of_recipients"] == 0.5
    assert table.loc["overall", "alert_rate"] == 0.5 and "false_positive_rate_upper" in table
    # group M's stayer is always alerted: its false negative rate is 0 in every replicate
    assert m["false_negative_rate_lower"] == m["false_negative_rate_upper"] == 0.0
    inside = (table["alert_rate_lower"] <= table["alert_rate"]) & (
        table["alert_rate"] <= table["alert_rate_upper"]
    )
    assert inside.all() and (table["alert_rate_upper"] > table["alert_rate_lower"]).any()
    # resampling whole persons: a person holding every row of group H gives H no variation
    one = fairness_audit(data.assign(person_key=["a"] * 4 + list("bcde")), "still", "p", "sex", 0.5, 20, 1)
    assert one.loc["H", "alert_rate_lower"] == one.loc["H", "alert_rate_upper"] == 0.5


def test_fairness_audit_intersections_count_empty_groups_as_zero():
    data = pd.DataFrame(
        {
            "still": [1, 0, 1, 0, 1, 0],
            "p": [0.9, 0.2, 0.7, 0.6, 0.4, 0.1],
            "sex": ["H", "H", "M", "M", "M", "M"],
            "nat": ["ES", "ES", "ES", "ES", "MAGHREB", "MAGHREB"],
        }
    )
    table = fairness_audit(data, "still", "p", ["sex", "nat"], n_boot=0)
    assert table.loc[("H", "ES"), "n"] == 2 and table.loc[("M", "MAGHREB"), "n"] == 2
    if ("H", "MAGHREB") in table.index:
        assert table.loc[("H", "MAGHREB"), "n"] == 0
    assert table.iloc[-1]["n"] == 6 and table.iloc[-1]["share_of_alerts"] == 1.0


def test_small_groups_and_curves_are_suppressed():
    table = pd.DataFrame({"n": [5, 50], "rate": [0.2, 0.3]}, index=["small", "big"])
    masked = mask_small_groups(table, "n", 10)
    assert np.isnan(masked.loc["small", "rate"]) and masked.loc["big", "rate"] == 0.3
    assert masked.loc["small", "n"] == 5  # the count itself is suppressed by the report's tables
    curves = pd.DataFrame({"group": "all", "time": [0, 1, 2], "at_risk": [30, 10, 9]})
    assert list(publishable_curves(curves, 10)["time"]) == [0, 1]
