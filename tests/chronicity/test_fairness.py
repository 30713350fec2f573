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
    # Wilson intervals from the counts (statsmodels), never of zero width, even at a rate of 0
    from statsmodels.stats.proportion import proportion_confint

    assert (m["false_negative_rate_num"], m["false_negative_rate_den"]) == (0, 1)
    low, high = proportion_confint(0, 1, method="wilson")
    assert m["false_negative_rate_lower"] == pytest.approx(low) and m[
        "false_negative_rate_upper"
    ] == pytest.approx(high)
    assert (table["alert_rate_upper"] > table["alert_rate_lower"]).all()
    inside = (table["alert_rate_lower"] <= table["alert_rate"]) & (
        table["alert_rate"] <= table["alert_rate_upper"]
    )
    assert inside.all()
    assert h["alert_rate_num"] == 2 and h["alert_rate_den"] == 4
    assert "predicted_lower" in table and "calibration_slope" in table


def test_rates_are_suppressed_on_numerators_and_denominators():
    from pact_analysis.chronicity.fairness import mask_rates

    rng = np.random.default_rng(0)
    n = 400
    data = pd.DataFrame(
        {"still": rng.integers(0, 2, n), "p": rng.random(n), "g": np.where(np.arange(n) < 15, "s", "b")}
    )
    data.loc[:14, "p"] = np.r_[0.9, np.full(14, 0.1)]  # group s: one alert
    table = mask_rates(fairness_audit(data, "still", "p", "g", threshold=0.5, n_boot=0), 10)
    # the small group's rates reveal nothing; the big group's alert count minus the overall one would
    # give the small group's away: blanked as a complement, the overall rate (the larger count) stays
    assert table.loc["s", ["alert_rate", "false_negative_rate", "observed"]].isna().all()
    assert np.isnan(table.loc["b", "alert_rate"]) and table.loc["s", "n"] == 15
    assert table.loc["overall", "alert_rate"] == pytest.approx((data["p"] >= 0.5).mean())
    # two large groups, one with few alerts: its alert rate is blanked (numerator below the minimum
    # cell) with a complement; its observed rate (large counts) stays
    data["g"] = np.where(np.arange(n) < 200, "a", "b")
    data["p"] = np.r_[np.full(3, 0.9), np.full(197, 0.1), rng.random(n - 200)]
    few = mask_rates(fairness_audit(data, "still", "p", "g", threshold=0.5, n_boot=0), 10)
    assert np.isnan(few.loc["a", "alert_rate"]) and not np.isnan(few.loc["a", "observed"])
    assert few["alert_rate"].isna().sum() == 2 and few["observed"].notna().all()


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


def test_published_fairness_table_reveals_no_small_count_and_no_zero_width_interval():
    from pact_analysis.chronicity.fairness_disclosure import protect_audits
    from pact_analysis.chronicity.tables import fairness_table
    from pact_analysis.disclosure import SUPPRESSED

    rng = np.random.default_rng(1)
    n = 300
    data = pd.DataFrame(
        {"still": rng.integers(0, 2, n), "p": rng.random(n), "g": np.where(np.arange(n) < 12, "s", "b")}
    )
    table = fairness_audit(data, "still", "p", "g", threshold=0.7, n_boot=0)
    shown = fairness_table(
        protect_audits({"g": table}, 20)["g"], lambda x: f"{x:.3f}", lambda x: f"{x:.2f}"
    ).table
    # a share or rate of a hidden group would give its count away: shown as [c], as the count itself
    assert shown.loc["s", ["share_of_recipients", "share_of_alerts"]].eq(SUPPRESSED).all()
    # each rate is [c] for the hidden group, or left out when no group's rate can be shown
    for rate in ("alert_rate", "false_negative_rate"):
        assert rate not in shown or shown.loc["s", rate] == SUPPRESSED
    assert shown.loc["s", "persons"] == SUPPRESSED and shown.loc["overall", "persons"] == n
    rates = [c for c in ("alert_rate", "false_positive_rate", "false_negative_rate") if f"{c}_lower" in table]
    for rate in rates:
        assert (table[f"{rate}_upper"] - table[f"{rate}_lower"]).dropna().gt(0).all()


def test_wilson_bounds_at_zero_and_one_are_exact():
    from pact_analysis.chronicity.fairness import wilson

    count, nobs = pd.Series([0.0, 14.0, 5.0, 3.0]), pd.Series([7.0, 14.0, 10.0, 0.0])
    low, high = wilson(count, nobs)
    # statsmodels gives 1 - 2e-16 at a rate of 1: printed "> 99.999%" instead of 100%
    assert low[0] == 0.0 and high[1] == 1.0
    assert 0 < low[2] < 0.5 < high[2] < 1 and np.isnan(low[3]) and np.isnan(high[3])


def test_the_slope_within_a_group_has_the_wald_interval_of_its_own_logistic_fit():
    import statsmodels.api as sm

    rng = np.random.default_rng(3)
    n = 600
    p = rng.uniform(0.05, 0.95, n)
    g = np.where(np.arange(n) < 300, "a", "b")
    logit = np.log(p / (1 - p))
    # group a is calibrated (slope 1); in group b the risks are too extreme (true slope 0.5)
    truth = np.where(g == "a", p, 1 / (1 + np.exp(-0.5 * logit)))
    data = pd.DataFrame({"still": rng.binomial(1, truth), "p": p, "g": g})
    table = fairness_audit(data, "still", "p", "g", threshold=0.5, n_boot=0)
    at = g == "b"
    fit = sm.GLM(
        data["still"].to_numpy()[at], sm.add_constant(logit[at]), family=sm.families.Binomial()
    ).fit()
    low, high = fit.conf_int(0.05)[1]
    assert table.loc["b", "calibration_slope"] == pytest.approx(fit.params[1], rel=1e-6)
    assert (table.loc["b", "calibration_slope_lower"], table.loc["b", "calibration_slope_upper"]) == (
        pytest.approx(low, rel=1e-6),
        pytest.approx(high, rel=1e-6),
    )
    assert table.loc["b", "calibration_slope_upper"] < 1 < table.loc["a", "calibration_slope_upper"]
    # a group whose slope cannot be published loses its interval with it
    from pact_analysis.chronicity.fairness import mask_rates

    few = data.assign(still=np.where((g == "b") & (np.arange(n) > 305), 0, data["still"]))
    masked = mask_rates(fairness_audit(few, "still", "p", "g", threshold=0.5, n_boot=0), 10)
    assert (
        masked.loc["b", ["calibration_slope", "calibration_slope_lower", "calibration_slope_upper"]]
        .isna()
        .all()
    )


def test_an_error_rate_hidden_for_every_group_is_left_out_of_the_published_table():
    from pact_analysis.chronicity.fairness_disclosure import protect_audits
    from pact_analysis.chronicity.tables import fairness_table
    from pact_analysis.disclosure import SUPPRESSED

    rng = np.random.default_rng(5)
    n = 300
    # three groups of 100; everyone stays (no leaver): no false positive rate can be published
    data = pd.DataFrame({"still": np.ones(n, int), "p": rng.random(n), "g": np.repeat(["a", "b", "c"], 100)})
    data.loc[:2, "still"] = 0  # three leavers, all in group a: too few for a rate
    audit = protect_audits({"g": fairness_audit(data, "still", "p", "g", threshold=0.5, n_boot=0)}, 10)["g"]
    shown = fairness_table(audit, lambda x: f"{x:.3f}", lambda x: f"{x:.2f}").table
    assert "false_positive_rate" not in shown.columns
    assert "false_negative_rate" in shown.columns and "alert_rate" in shown.columns
    assert not (shown["false_negative_rate"] == SUPPRESSED).all()


def test_calibration_misses_name_only_published_groups_whose_interval_excludes_the_target():
    from pact_analysis.chronicity.tables import calibration_misses

    nan = float("nan")
    table = pd.DataFrame(
        {
            "calibration_slope": [1.5, 0.9, -1.0, nan, 1.3],
            "calibration_slope_lower": [1.2, 0.5, -2.5, nan, 1.1],
            "calibration_slope_upper": [1.8, 1.3, 0.6, nan, 1.6],
            "observed": [0.50, 0.60, 0.52, nan, 0.53],
            "observed_lower": [0.46, 0.50, 0.32, nan, 0.49],
            "observed_upper": [0.54, 0.70, 0.72, nan, 0.56],
            "predicted": [0.56, 0.65, 0.61, 0.57, 0.58],
        },
        index=["a", "b", "c", "hidden", "overall"],
    )
    misses = calibration_misses(table)
    assert list(misses["slope"].index) == ["a", "c"]  # b includes 1; hidden is blank; overall is not a group
    assert list(misses["level"].index) == ["a"]  # 0.56 above 0.46-0.54; c's 0.61 inside its wide interval
    # the whole cohort: slope 1.3, predicted 0.58 against 0.53 observed (a gap of 0.05): a's slope
    # interval holds 1.3 and its prediction less 0.05 (0.51) lies inside 0.46-0.54; c ranks in reverse
    assert misses["apart"] == {"c"} and misses["intervals"] == 3 + 3
