"""The indicator and risk-situation SQL on hand-built cases with known answers; counts per unit."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pact_analysis import codebook, disclosure, warehouse
from pact_analysis.errors import StageError
from tests.warehouse.hand import build_hand

# --- hand-built cases -------------------------------------------------------------------------------


def test_two_spells_with_a_gap(indicators, risks):
    a = indicators.loc["A"]
    assert a["rgc_spells"] == 2
    assert a["rgc_reentries"] == 1
    assert a["rgc_reentries_12m"] == 0  # June 2015 -> March 2016: within 12 months, but 31 months back
    assert a["months_on_rgc_36m"] == 32  # March 2016 .. October 2018; the 2015 spell is before the window
    assert a["current_rgc_spell_months"] == 32
    assert bool(a["on_rgc_at_reference"])
    assert "LONG_RGC" in risks["A"] and "RGC_REENTRY" not in risks["A"]  # outside the 24-month window
    assert indicators.loc["AK", "months_on_rgc_36m"] == 32  # members share the household's benefit


def test_reentry_after_more_than_12_months_and_back_to_back_files(indicators, risks):
    b, c = indicators.loc["B"], indicators.loc["C"]
    assert (b["rgc_reentries"], b["rgc_reentries_12m"], b["months_on_rgc_36m"]) == (1, 0, 0)
    assert (c["rgc_spells"], c["rgc_reentries"], c["months_on_rgc_36m"]) == (2, 0, 14)
    assert not bool(c["on_rgc_at_reference"])
    assert indicators.loc["S", "months_on_rgc_36m"] == 1  # November 2015 is the first month of the 36
    assert "RGC_REENTRY" not in risks.get("B", set()) | risks.get("C", set())


def test_lone_parent_with_minors(indicators, risks):
    lone = indicators.loc["L"]
    assert bool(lone["lone_parent_minors"])
    assert (lone["n_minors"], lone["n_dependants"], lone["household_size"]) == (2, 2, 3)
    assert "LONE_PARENT_NO_INCOME" in risks["L"]
    assert not indicators.loc[["L1", "L2"], "lone_parent_minors"].any()  # the children are not lone parents
    assert bool(indicators.loc["W", "lone_parent_minors"]) and bool(
        indicators.loc["W", "employed_at_reference"]
    )
    assert "LONE_PARENT_NO_INCOME" not in risks.get("W", set())


def test_person_with_no_contract(indicators, risks):
    p = indicators.loc["P"]
    assert pd.isna(p["months_since_last_contract"])
    assert bool(p["registered_unemployed"]) and p["unemployment_months"] == 16  # June 2017 -> October 2018
    assert {"NO_WORK_24M", "LONG_UNEMPLOYMENT"} <= risks["P"]
    assert indicators.loc["Q", "months_since_last_contract"] == 19
    assert indicators.loc["Q2", "months_since_last_contract"] == 24
    assert "NO_WORK_24M" not in risks.get("Q", set())
    assert "NO_WORK_24M" in risks["Q2"]
    assert bool(indicators.loc["D", "known_employment"])  # in the registry, no episode at all
    assert {"NO_WORK_24M", "DISABILITY_NO_WORK"} <= risks["D"]


def test_person_known_only_to_an_ngo(hand, indicators, risks):
    n = indicators.loc["N"]
    assert bool(n["known_ngo"]) and not n["known_sauss"] and not n["known_rgc"]
    assert (n["n_systems"], n["n_ngos_36m"], n["ngo_attentions_12m"]) == (1, 2, 2)
    assert pd.isna(n["months_known_to_social_services"])
    assert risks["N"] == {"NGO_ONLY"}
    ceas, source = hand.execute(
        "SELECT ceas_code, ceas_source FROM dim_person WHERE person_key = 'N'"
    ).fetchall()[0]
    assert (ceas, source) == ("47R01", "MUNICIPALITY")


def test_emergency_aids_and_services_count_only_their_window(indicators, risks):
    e = indicators.loc["E"]
    assert e["emergency_aids_12m"] == 3  # not the one 12 months back, not the denied one
    assert e["n_services_36m"] == 1  # emergency aids; HOUSING is after the reference date
    assert e["months_known_to_social_services"] == 54  # registered April 2014
    assert "REPEATED_EMERGENCY_AID" in risks["E"]
    assert risks["O"] == {"OLDER_ALONE"}


def test_earlier_reference_date_sees_only_earlier_events():
    con = build_hand(dt.date(2016, 1, 31))
    a = con.execute("SELECT * FROM indicators WHERE person_key = 'A'").df().iloc[0]
    con.close()
    assert (a["rgc_spells"], a["rgc_reentries"], a["months_on_rgc_36m"]) == (1, 0, 6)
    assert not a["on_rgc_at_reference"]


def test_community_candidates_need_every_criterion(hand):
    rows = hand.execute(
        "SELECT person_key, action_code, situation_code FROM community_candidate ORDER BY 1, 2, 3"
    )
    # A's return is outside RGC_REENTRY's window, so A has one of ACCOMPANIMENT's two situations
    # (a candidate with both: tests/warehouse/test_risk_situations.py)
    assert rows.fetchall() == [("N", "OUTREACH", "NGO_ONLY")]


def test_risk_statistics_count_and_suppress(hand):
    raw = warehouse.risk_statistics(hand, "ceas")
    assert raw.loc["47R01", "NGO_ONLY"] == 1
    assert raw.loc["47U01", "n_known"] == 14  # every hand-built person but B and N
    suppressed = warehouse.risk_statistics(hand, "ceas", min_cell=10)
    assert suppressed.loc["47R01", "NGO_ONLY"] == disclosure.marker(10)
    by_province = warehouse.risk_statistics(hand, "province")
    assert by_province.loc["47", "LONG_RGC"] == raw["LONG_RGC"].sum()


def test_every_risk_rule_reads_indicator_columns_only():
    columns = set(warehouse.table("indicators").column_names)
    for code, situation in codebook.load()["risk_situations"].items():
        words = set(situation["sql"].replace("(", " ").replace(")", " ").split())
        names = {w for w in words if w.islower() and w.replace("_", "").isalnum() and not w.isdigit()}
        assert names <= columns, (code, names - columns)


def test_unknown_situation_in_community_criteria_is_refused():
    with pytest.raises(StageError, match="unknown risk situations"):
        warehouse.community_sql({"X": {"situations": ["NOT_A_SITUATION"], "min_age": 0, "max_age": 99}})
