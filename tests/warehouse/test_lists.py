"""Lists for proactive work: reasons per person and CEAS."""

from __future__ import annotations

from pact_analysis import codebook, warehouse


def test_lists_give_reasons_per_ceas(hand):
    lists = warehouse.proactive_lists(hand)
    a = lists[(lists["person_key"] == "A") & (lists["list"] == "community_action")].iloc[0]
    assert a["reason_codes"] == "LONG_RGC;RGC_REENTRY"
    assert a["reason_es"] == "; ".join(
        codebook.load()["risk_situations"][c]["es"] for c in ("LONG_RGC", "RGC_REENTRY")
    )
    assert set(lists.loc[lists["person_key"] == "N", "ceas_code"]) == {"47R01"}
    assert (
        len(lists[lists["list"] == "risk_situation"])
        == hand.execute("SELECT COUNT(*) FROM person_risk").fetchall()[0][0]
    )
