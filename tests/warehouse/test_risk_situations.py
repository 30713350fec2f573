"""Each risk situation as its codebook label says, on crafted persons added to the hand-built region.

Edge cases of issue 19: a child in a large RGC household is flagged (the members are counted as the
label says, the person included); information contacts, RGC claim processing and denied or pending
requests are not provisions received; a return to RGC counts only inside the 24-month window.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from pact_analysis import codebook, warehouse
from tests.warehouse.hand import ACTIONS, REFERENCE, RGC, frame, hand_frames, person, provision, spell

# a couple with three children on RGC; a lone parent with two; a child of a closed large-family file
EXTRA_PERSONS = [
    person("FH", 40, RGC, household_type="COUPLE_CHILDREN", household_key="HF"),
    person("FP", 38, "rgc_members", household_key="HF"),
    person("FK1", 3, "rgc_members", household_key="HF"),
    person("FK2", 9, "rgc_members", household_key="HF"),
    person("FK3", 16, "rgc_members", household_key="HF"),
    person("GH", 35, RGC, household_type="LONE_PARENT", household_key="HG"),
    person("GK1", 4, "rgc_members", household_key="HG"),
    person("GK2", 7, "rgc_members", household_key="HG"),
    person("XH", 45, RGC, household_key="HX"),
    person("XK1", 2, "rgc_members", household_key="HX"),
    person("XK2", 5, "rgc_members", household_key="HX"),
    person("XK3", 12, "rgc_members", household_key="HX"),
    # provisions: information and claims only; three received among denied and pending; four received
    person("I", 30),
    person("V3", 30),
    person("V4", 30),
    # re-entries: inside the 24-month window; 12-month gap but the return 30 months back; 13-month gap
    person("R", 40, RGC),
    person("R_OLD", 40, RGC),
    person("R_GAP", 40, RGC),
]
EXTRA_SPELLS = [
    spell("F1", "FH", "2017-02-01", None, household_type="COUPLE_CHILDREN", household_size=5),
    spell("G1", "GH", "2017-02-01", None, household_type="LONE_PARENT", household_size=3),
    spell("X1", "XH", "2016-01-01", "2017-12-31", household_type="COUPLE_CHILDREN", household_size=4),
    spell("R1", "R", "2016-01-01", "2016-09-30"),
    spell("R2", "R", "2017-03-01", None),  # 6 unpaid months, 19 months before the reference month
    spell("O1", "R_OLD", "2015-01-01", "2015-09-30"),
    spell("O2", "R_OLD", "2016-04-01", None),  # 6 unpaid months, but 30 months before the reference
    spell("P1", "R_GAP", "2016-01-01", "2016-12-31"),
    spell("P2", "R_GAP", "2018-01-01", None),  # 13 months after the last month paid
]
EXTRA_MEMBERS = [
    {"person_key": k, "file_id": f, "role": "HEAD" if k.endswith("H") or k.startswith("R") else "MEMBER"}
    for k, f in [
        *[(k, "FF1") for k in ("FH", "FP", "FK1", "FK2", "FK3")],
        *[(k, "FG1") for k in ("GH", "GK1", "GK2")],
        *[(k, "FX1") for k in ("XH", "XK1", "XK2", "XK3")],
        ("R", "FR1"),
        ("R", "FR2"),
        ("R_OLD", "FO1"),
        ("R_OLD", "FO2"),
        ("R_GAP", "FP1"),
        ("R_GAP", "FP2"),
    ]
]
EXTRA_PROVISIONS = [
    provision("J1", "I", "2018-03-01", "INFO"),
    provision("J2", "I", "2018-04-01", "RGC_PROCESSING"),
    provision("J3", "I", "2018-05-01", "INFO"),
    provision("J4", "I", "2018-06-01", "EMPLOYMENT_REFERRAL", "DENIED"),
    provision("K1", "V3", "2017-01-01", "HOUSING"),
    provision("K2", "V3", "2017-06-01", "FAMILY_SUPPORT", "CLOSED"),
    provision("K3", "V3", "2018-01-01", "ENERGY_POVERTY"),
    provision("K4", "V3", "2018-02-01", "EMERGENCY_AID", "DENIED"),
    provision("K5", "V3", "2018-03-01", "INCLUSION_PLAN", "REQUESTED"),
    provision("K6", "V3", "2018-04-01", "INFO"),
    provision("K7", "V3", "2018-05-01", "RGC_PROCESSING"),
    provision("K8", "V3", "2015-06-01", "HOME_HELP"),  # more than 36 months back
    provision("M1", "V4", "2016-01-01", "HOUSING"),
    provision("M2", "V4", "2017-06-01", "FAMILY_SUPPORT", "CLOSED"),
    provision("M3", "V4", "2018-01-01", "ENERGY_POVERTY"),
    provision("M4", "V4", "2018-02-01", "EMERGENCY_AID"),
    provision("M5", "V4", "2018-03-01", "EMERGENCY_AID"),  # the same provision twice counts once
]


def _add(frames: dict[str, pd.DataFrame], name: str, rows: list[dict]) -> None:
    frames[name] = pd.concat([frames[name], frame(rows)], ignore_index=True)


@pytest.fixture(scope="module")
def crafted():
    frames = hand_frames()
    _add(frames, "persons", EXTRA_PERSONS)
    _add(frames, "rgc_members", EXTRA_MEMBERS)
    _add(frames, "rgc_spells", [s | {"file_id": f"F{s['spell_id']}"} for s in EXTRA_SPELLS])
    _add(frames, "sauss_interventions", EXTRA_PROVISIONS)
    sauss = [
        {"person_key": p["person_key"], "ceas_code": "47U01", "registration_date": "2014-04-02"}
        | {"household_type": p["household_type"]}
        for p in EXTRA_PERSONS
        if "sauss_persons" in p["sources"]
    ]
    _add(frames, "sauss_persons", sauss)
    con = duckdb.connect()
    warehouse.load_frames(con, frames)
    warehouse.build(con, warehouse.BuildSettings(REFERENCE, REFERENCE, ACTIONS))
    yield con
    con.close()


@pytest.fixture(scope="module")
def ind(crafted) -> pd.DataFrame:
    return crafted.execute("SELECT * FROM indicators").df().set_index("person_key")


@pytest.fixture(scope="module")
def flagged(crafted) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for key, code in crafted.execute("SELECT person_key, situation_code FROM person_risk").fetchall():
        out.setdefault(key, set()).add(code)
    return out


def test_large_family_counts_every_minor_of_the_file_the_person_included(ind, flagged):
    assert ind.loc[["FH", "FP", "FK1", "FK2", "FK3"], "n_minors"].tolist() == [3, 3, 3, 3, 3]
    # dependants stay the OTHER members: a child's two siblings, a parent's three children
    assert ind.loc["FK1", "n_dependants"] == 2 and ind.loc["FH", "n_dependants"] == 3
    for key in ("FH", "FP", "FK1", "FK2", "FK3"):
        assert "LARGE_FAMILY_RGC" in flagged[key], key
    # two children: not large; three children but the file closed before the reference date: not on RGC
    for key in ("GH", "GK1", "GK2", "XH", "XK1", "XK2", "XK3"):
        assert "LARGE_FAMILY_RGC" not in flagged.get(key, set()), key
    assert ind.loc["XK1", "n_minors"] == 3 and not ind.loc["XK1", "on_rgc_at_reference"]
    # the lone parent is still one; her children are not
    assert (
        bool(ind.loc["GH", "lone_parent_minors"]) and not ind.loc[["GK1", "GK2"], "lone_parent_minors"].any()
    )


def test_high_service_use_counts_provisions_received_only(ind, flagged):
    assert ind.loc["I", "n_services_36m"] == 0  # information, claim processing, a denied request
    assert "HIGH_SERVICE_USE" not in flagged.get("I", set())
    assert bool(ind.loc["I", "known_sauss"])  # a contact still makes the person known
    assert ind.loc["V3", "n_services_36m"] == 3  # not denied, pending, INFO, RGC_PROCESSING, >36 months
    assert "HIGH_SERVICE_USE" not in flagged.get("V3", set())
    assert ind.loc["V4", "n_services_36m"] == 4
    assert "HIGH_SERVICE_USE" in flagged["V4"]


def test_reentry_counts_only_inside_the_recency_window(ind, flagged):
    assert (ind.loc["R", "rgc_reentries"], ind.loc["R", "rgc_reentries_12m"]) == (1, 1)
    assert "RGC_REENTRY" in flagged["R"]
    assert (ind.loc["R_OLD", "rgc_reentries"], ind.loc["R_OLD", "rgc_reentries_12m"]) == (1, 0)
    assert "RGC_REENTRY" not in flagged.get("R_OLD", set())
    assert (ind.loc["R_GAP", "rgc_reentries"], ind.loc["R_GAP", "rgc_reentries_12m"]) == (1, 0)
    assert "RGC_REENTRY" not in flagged.get("R_GAP", set())


def test_reentry_and_long_rgc_make_an_accompaniment_candidate(crafted):
    rows = crafted.execute(
        "SELECT situation_code FROM community_candidate WHERE person_key = 'R' AND action_code = 'ACCOMPANIMENT'"
    ).fetchall()
    assert sorted(r[0] for r in rows) == ["LONG_RGC", "RGC_REENTRY"]


def test_codebook_labels_state_the_rules():
    situations = codebook.load()["risk_situations"]
    assert "24 months" in situations["RGC_REENTRY"]["en"] and "24 meses" in situations["RGC_REENTRY"]["es"]
    assert "received" in situations["HIGH_SERVICE_USE"]["en"]
    assert "person included" in situations["LARGE_FAMILY_RGC"]["en"]


def test_lists_give_both_reasons_of_the_accompaniment_candidate(crafted):
    # replaces test_lists.py's check on hand person A, whose return is now outside the window
    lists = warehouse.proactive_lists(crafted)
    r = lists[(lists["person_key"] == "R") & (lists["list"] == "community_action")].iloc[0]
    assert r["reason_codes"] == "LONG_RGC;RGC_REENTRY"
    assert r["reason_es"] == "; ".join(
        codebook.load()["risk_situations"][c]["es"] for c in ("LONG_RGC", "RGC_REENTRY")
    )
