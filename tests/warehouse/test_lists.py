"""Lists for proactive work: reasons per person and CEAS."""

from __future__ import annotations

from pact_analysis import codebook, warehouse


def test_lists_give_reasons_per_ceas(hand):
    lists = warehouse.proactive_lists(hand)
    # A: long on the benefit and a lone parent without work income; A's return of March 2016 is outside
    # RGC_REENTRY's 24-month window, so A is on the risk lists but in no community action
    a = lists[lists["person_key"] == "A"]
    assert set(a["list"]) == {"risk_situation"}
    assert set(a["reason_codes"]) == {"LONG_RGC", "LONE_PARENT_NO_INCOME"}
    situations = codebook.load()["risk_situations"]
    assert set(a["reason_es"]) == {situations[c]["es"] for c in ("LONG_RGC", "LONE_PARENT_NO_INCOME")}
    n = lists[(lists["person_key"] == "N") & (lists["list"] == "community_action")].iloc[0]
    assert (n["code"], n["reason_codes"]) == ("OUTREACH", "NGO_ONLY")
    assert set(lists.loc[lists["person_key"] == "N", "ceas_code"]) == {"47R01"}
    assert (
        len(lists[lists["list"] == "risk_situation"])
        == hand.execute("SELECT COUNT(*) FROM person_risk").fetchall()[0][0]
    )
