"""The decision rules of the pilot's claims (written in params.yaml before looking)."""

from __future__ import annotations

import pandas as pd
import pytest

from pact_analysis import pilot
from pact_analysis.params import defaults
from pact_analysis.pilot import claims


def test_effect_rule_has_three_outcomes_and_an_interval_touching_zero_is_no_evidence_against():
    assert claims.interval_verdict({"ci_low": 0.1, "ci_high": 0.9}, 0.5) == "supported"
    assert claims.interval_verdict({"ci_low": -0.1, "ci_high": 0.9}, 0.5) == "inconclusive"
    # positive but excludes the claimed size: the claim of 0.5 is contradicted
    assert claims.interval_verdict({"ci_low": 0.05, "ci_high": 0.3}, 0.5) == "contradicted"
    assert claims.interval_verdict({"ci_low": -0.6, "ci_high": -0.1}, 0.5) == "contradicted"


def test_share_rule_is_not_the_claim_inside_a_wide_interval():
    # 40 of 48 professionals: Wilson 70.4%-91.3% contains 84%, but cannot rule out 75%
    low, high = pilot.wilson(40, 48)
    assert low < 0.84 < high
    assert claims.share_verdict(low, high, 0.84, 0.05) == "inconclusive"
    low, high = pilot.wilson(880, 1000)
    assert claims.share_verdict(low, high, 0.84, 0.05) == "supported"
    low, high = pilot.wilson(600, 1000)
    assert claims.share_verdict(low, high, 0.84, 0.05) == "contradicted"


def test_a_claim_on_several_quantities_and_reservations():
    assert claims.combined_verdict(["supported", "supported"]) == "supported"
    assert claims.combined_verdict(["supported", "inconclusive"]) == "inconclusive"
    assert claims.combined_verdict(["inconclusive", "contradicted"]) == "contradicted"
    assert claims.with_reservations("supported", ["unblinded_assessors"]) == "supported_with_reservations"
    assert claims.with_reservations("inconclusive", ["unblinded_assessors"]) == "inconclusive"
    assert claims.with_reservations("supported", []) == "supported"


def _effect(estimate, low, high):
    return {"estimate": estimate, "ci_low": low, "ci_high": high}


def _result(professionals_agree: int) -> dict:
    living = pd.DataFrame({d: _effect(0.8, 0.6, 1.0) for d in pilot.LIVING}).T
    living.loc["health"] = [0.3, -0.1, 0.7]  # one dimension's interval touches 0
    admin = pd.DataFrame(
        {"exit_12m": _effect(0.1, 0.06, 0.14), "days_employed": _effect(5.0, 1.0, 9.0)}
    ).T  # days employed excludes the smallest effect of interest (15)
    flags = pd.Series([True] * 120 + [False] * 44 + [True] * 60 + [False] * 100)
    improved = pilot.share_table(flags, pd.Series(["PILOT"] * 164 + ["COMPARISON"] * 160))
    pros = pd.Series([True] * professionals_agree + [False] * (60 - professionals_agree))
    return {
        "ancova": living,
        "admin": admin,
        "empowerment_gap": _effect(0.5, 0.3, 0.7),
        "heterogeneity": _effect(0.7, 0.1, 1.3),
        "improved": improved,
        "agree_users": pilot.share_table(pd.Series([True] * 880 + [False] * 120), pd.Series(["A"] * 1000)),
        "agree_professionals": pilot.share_table(pros, pd.Series(["A"] * 60)),
    }


def test_verdicts_follow_the_written_rules():
    cfg = defaults()["evaluation"]
    table = pilot.verdicts(_result(50), cfg, min_cell=10)
    assert set(table.index) == set(cfg["claims"])
    assert table.loc["all_areas", "verdict"] == "inconclusive" and table.loc["all_areas", "term"] == "health"
    assert table.loc["empowerment", "verdict"] == "supported_with_reservations"
    assert table.loc["employment", "verdict"] == "contradicted"
    assert table.loc["employment", "term"] == "days_employed"
    assert table.loc["improved", "estimate"] == pytest.approx(120 / 164)
    assert table.loc["improved", "verdict"] == "supported_with_reservations"  # 73%: interval above 60%
    assert table.loc["users", "verdict"] == "supported_with_reservations"  # respondents only
    assert table.loc["professionals", "verdict"] == "inconclusive"  # 50 of 60: 72%-91%
    assert table["rule"].str.contains("supported if").all()


def test_no_verdict_rests_on_a_suppressed_row():
    cfg = defaults()["evaluation"]
    table = pilot.verdicts(_result(52), cfg, min_cell=10)  # 8 disagree: the row is suppressed
    row = table.loc["professionals"]
    assert row["verdict"] == "suppressed" and pd.isna(row["estimate"]) and pd.isna(row["ci_low"])


def test_a_share_is_decided_once_at_the_level_it_is_published():
    """By territory a few dissenters are below the minimum cell; all territories together they are not.

    The verdict, the report's sentences and its table ask one question (issue 21): is the published
    row (all territories together) suppressed? A territory's small count does not hide the total.
    """
    result = _result(50)
    users = pd.Series([True] * 95 + [False] * 5 + [True] * 96 + [False] * 4 + [True] * 90 + [False] * 10)
    result["agree_users"] = pilot.share_table(users, pd.Series(["A"] * 100 + ["B"] * 100 + ["C"] * 100))
    assert pilot.suppressed_rows(result["agree_users"], 10, claims.SHARE_COUNTS)[["A", "B"]].all()
    assert not claims.share_suppressed(result, "agree_users", "TOTAL", 10)
    assert list(claims.published_shares(result, "agree_users").index) == ["TOTAL"]
    table = pilot.verdicts(result, defaults()["evaluation"], min_cell=10)
    assert table.loc["users", "estimate"] == pytest.approx(281 / 300)
    with pytest.raises(KeyError):
        claims.share_suppressed(result, "agree_users", "A", 10)  # a territory is never published
    result = _result(52)  # 8 of 60 professionals disagree: hidden even with every territory together
    assert claims.share_suppressed(result, "agree_professionals", "TOTAL", 10)
    assert pilot.verdicts(result, defaults()["evaluation"], min_cell=10).loc["professionals", "verdict"] == (
        "suppressed"
    )
