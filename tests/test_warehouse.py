"""The warehouse: star schema, indicator SQL on hand-built cases with known answers, the stage end to end."""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pandas as pd
import pytest
import yaml

from pact_analysis import codebook, disclosure, warehouse
from pact_analysis.__main__ import main
from pact_analysis.config import Paths, load_params
from pact_analysis.errors import StageError

pytestmark = pytest.mark.xdist_group("tiny_region")

REFERENCE = dt.date(2018, 10, 31)
ACTIONS = {
    "ACCOMPANIMENT": {
        "situations": ["LONG_RGC", "RGC_REENTRY"],
        "min_situations": 2,
        "min_age": 18,
        "max_age": 64,
    },
    "OUTREACH": {"situations": ["NGO_ONLY"], "min_age": 18, "max_age": 120},
}


def frame(rows: list[dict]) -> pd.DataFrame:
    """A processed table from rows; columns named like dates become datetimes."""
    out = pd.DataFrame(rows)
    for column in out.columns:
        if column == "date" or column.endswith("_date"):
            out[column] = pd.to_datetime(out[column])
    return out


def person(key: str, age: int, sources: str = "sauss_persons", **extra) -> dict:
    row = {
        "person_key": key,
        "sex": "M",
        "birth_year": 2018 - age,
        "age": age,
        "nationality": "ES",
        "municipality_code": "47186",
        "province_code": "47",
        "ceas_code": "47U01" if "sauss_persons" in sources else None,
        "education": "PRIMARY",
        "disability_pct": 0,
        "household_type": None,
        "household_key": None,
        "sources": sources,
    }
    return row | extra


def spell(spell_id: str, head: str, start: str, end: str | None, **extra) -> dict:
    row = {
        "person_key": head,
        "spell_id": spell_id,
        "file_id": f"F{spell_id}",
        "ceas_code": "47U01",
        "start_date": start,
        "end_date": end,
        "exit_reason": None if end is None else "JOB_INCOME",
        "monthly_amount_eur": 500.0,
        "household_type": "SINGLE",
        "household_size": 1,
        "prior_imi": False,
    }
    return row | extra


def episode(episode_id: str, key: str, kind: str, start: str, end: str | None) -> dict:
    return {
        "person_key": key,
        "episode_id": episode_id,
        "episode_type": kind,
        "start_date": start,
        "end_date": end,
    }


def provision(intervention_id: str, key: str, date: str, code: str, status: str = "GRANTED") -> dict:
    return {
        "person_key": key,
        "intervention_id": intervention_id,
        "ceas_code": "47U01",
        "date": date,
        "provision_code": code,
        "status": status,
    }


RGC = "rgc_members,sauss_persons"
PERSONS = [
    # two spells with a 9-month gap, the second still paid; and a child member of the second file
    person("A", 45, RGC, household_key="HA"),
    person("AK", 8, "rgc_members", household_key="HA"),
    # two spells more than 12 months apart, both before the 36-month window
    person("B", 50, RGC, municipality_code="47010", ceas_code="47R01"),
    # two files back to back: no unpaid month, so no re-entry
    person("C", 30, RGC),
    # a spell whose last two months are the month before the 36-month window and its first month
    person("S", 30, RGC),
    # a lone parent on RGC with two children, no work
    person("L", 34, RGC, household_type="LONE_PARENT", household_key="HL"),
    person("L1", 5, "rgc_members", household_key="HL"),
    person("L2", 10, "rgc_members", household_key="HL"),
    # a working lone parent known only to SAUSS
    person("W", 38, "employment_persons,sauss_persons", household_type="LONE_PARENT"),
    # no contract ever, registered unemployed since June 2017
    person("P", 40, "employment_persons,sauss_persons"),
    # last contract ended 19 and 24 months before the reference month
    person("Q", 40, "employment_persons,sauss_persons"),
    person("Q2", 40, "employment_persons,sauss_persons"),
    # known only to NGOs, living where SAUSS registers people with the rural CEAS
    person("N", 60, "ngo_attention", municipality_code="47010"),
    # emergency aids
    person("E", 50),
    # older, alone, with a dependency assessment
    person("O", 80, household_type="SINGLE"),
    # recognised disability, in the employment registry without any episode
    person("D", 40, "employment_persons,sauss_persons", disability_pct=45),
]

SPELLS = [
    spell("1", "A", "2015-01-15", "2015-06-20"),
    spell("2", "A", "2016-03-01", None, household_type="LONE_PARENT", household_size=2),
    spell("3", "B", "2012-01-10", "2012-03-31", ceas_code="47R01"),
    spell("4", "B", "2014-01-05", "2014-12-31", ceas_code="47R01"),
    spell("5", "C", "2017-01-01", "2017-06-30"),
    spell("6", "C", "2017-07-01", "2018-02-28"),
    spell("8", "S", "2015-09-01", "2015-11-30"),
    spell("7", "L", "2017-05-01", None, household_type="LONE_PARENT", household_size=3),
]
MEMBERS = [
    {"person_key": key, "file_id": file_id, "role": role}
    for key, file_id, role in [
        ("A", "F1", "HEAD"),
        ("A", "F2", "HEAD"),
        ("AK", "F2", "MEMBER"),
        ("B", "F3", "HEAD"),
        ("B", "F4", "HEAD"),
        ("C", "F5", "HEAD"),
        ("C", "F6", "HEAD"),
        ("S", "F8", "HEAD"),
        ("L", "F7", "HEAD"),
        ("L1", "F7", "MEMBER"),
        ("L2", "F7", "MEMBER"),
    ]
]
EPISODES = [
    episode("E1", "W", "CONTRACT", "2018-01-01", None),
    episode("E2", "P", "JOBSEEKER", "2017-06-15", None),
    episode("E3", "Q", "CONTRACT", "2016-05-01", "2017-03-10"),
    episode("E4", "Q2", "CONTRACT", "2016-01-01", "2016-10-05"),
]
PROVISIONS = [
    provision("I1", "E", "2017-10-15", "EMERGENCY_AID"),  # reference month - 12: outside the 12 months
    provision("I2", "E", "2018-01-10", "EMERGENCY_AID"),
    provision("I3", "E", "2018-06-10", "EMERGENCY_AID"),
    provision("I4", "E", "2018-09-01", "EMERGENCY_AID", "CLOSED"),
    provision("I5", "E", "2018-10-01", "EMERGENCY_AID", "DENIED"),
    provision("I6", "E", "2015-10-20", "INFO"),  # reference month - 36: outside the 36 months
    provision("I7", "O", "2017-01-01", "DEPENDENCY"),
    provision("I8", "E", "2018-11-05", "HOUSING"),  # after the reference date
]
NGO = [
    {"person_key": "N", "ngo_code": "CARITAS", "date": "2018-02-01", "service_code": "FOOD"},
    {"person_key": "N", "ngo_code": "CRUZ_ROJA", "date": "2018-05-01", "service_code": "CLOTHING"},
    {"person_key": "N", "ngo_code": "CARITAS", "date": "2015-01-01", "service_code": "FOOD"},
]
CEAS = [
    {
        "ceas_code": "47U01",
        "ceas_name": "CEAS Centro",
        "province_code": "47",
        "municipality_code": "47186",
        "urban": True,
    },
    {
        "ceas_code": "47R01",
        "ceas_name": "CEAS Rural",
        "province_code": "47",
        "municipality_code": "47010",
        "urban": False,
    },
]


def hand_frames() -> dict[str, pd.DataFrame]:
    sauss = [
        {
            "person_key": p["person_key"],
            "ceas_code": p["ceas_code"],
            "registration_date": "2014-04-02",
            "household_type": p["household_type"],
        }
        for p in PERSONS
        if "sauss_persons" in p["sources"]
    ]
    employment = [{"person_key": p["person_key"]} for p in PERSONS if "employment_persons" in p["sources"]]
    return {
        "persons": frame(PERSONS),
        "ceas": frame(CEAS),
        "sauss_persons": frame(sauss),
        "sauss_interventions": frame(PROVISIONS),
        "rgc_members": frame(MEMBERS),
        "rgc_spells": frame(SPELLS),
        "employment_persons": frame(employment),
        "employment_episodes": frame(EPISODES),
        "ngo_attention": frame(NGO),
    }


def build_hand(reference: dt.date = REFERENCE) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    warehouse.load_frames(con, hand_frames())
    warehouse.build(con, warehouse.BuildSettings(reference, REFERENCE, ACTIONS))
    return con


@pytest.fixture(scope="module")
def hand():
    con = build_hand()
    yield con
    con.close()


@pytest.fixture(scope="module")
def indicators(hand) -> pd.DataFrame:
    return hand.execute("SELECT * FROM indicators").df().set_index("person_key")


@pytest.fixture(scope="module")
def risks(hand) -> dict[str, set[str]]:
    rows = hand.execute("SELECT person_key, situation_code FROM person_risk").fetchall()
    out: dict[str, set[str]] = {}
    for key, code in rows:
        out.setdefault(key, set()).add(code)
    return out


# --- hand-built cases -------------------------------------------------------------------------------


def test_two_spells_with_a_gap(indicators, risks):
    a = indicators.loc["A"]
    assert a["rgc_spells"] == 2
    assert a["rgc_reentries"] == 1
    assert a["rgc_reentries_12m"] == 1  # June 2015 -> March 2016
    assert a["months_on_rgc_36m"] == 32  # March 2016 .. October 2018; the 2015 spell is before the window
    assert a["current_rgc_spell_months"] == 32
    assert bool(a["on_rgc_at_reference"])
    assert {"LONG_RGC", "RGC_REENTRY"} <= risks["A"]
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
    assert e["n_services_36m"] == 1  # INFO is 36 months back, HOUSING after the reference date
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
    assert rows.fetchall() == [
        ("A", "ACCOMPANIMENT", "LONG_RGC"),
        ("A", "ACCOMPANIMENT", "RGC_REENTRY"),
        ("N", "OUTREACH", "NGO_ONLY"),
    ]


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


def test_risk_statistics_count_and_suppress(hand):
    raw = warehouse.risk_statistics(hand, "ceas")
    assert raw.loc["47R01", "NGO_ONLY"] == 1
    assert raw.loc["47U01", "n_known"] == 14  # every hand-built person but B and N
    suppressed = warehouse.risk_statistics(hand, "ceas", min_cell=10)
    assert suppressed.loc["47R01", "NGO_ONLY"] == disclosure.marker(10)
    by_province = warehouse.risk_statistics(hand, "province")
    assert by_province.loc["47", "LONG_RGC"] == raw["LONG_RGC"].sum()


# --- the logical model ------------------------------------------------------------------------------


def test_logical_model_relationships_point_at_primary_keys():
    model = warehouse.logical_model()
    keys = {t["name"]: t["primary_key"] for t in model["tables"]}
    assert {"dim_person", "dim_household", "dim_territory", "dim_date", "fact_benefit_spell"} <= set(keys)
    for rel in model["relationships"]:
        assert keys[rel["to_table"]] == [rel["to_column"]], rel
    kinds = {t["name"]: t["kind"] for t in model["tables"]}
    assert {k for n, k in kinds.items() if n.startswith("fact_")} == {"fact"}


def test_every_risk_rule_reads_indicator_columns_only():
    columns = set(warehouse.table("indicators").column_names)
    for code, situation in codebook.load()["risk_situations"].items():
        words = set(situation["sql"].replace("(", " ").replace(")", " ").split())
        names = {w for w in words if w.islower() and w.replace("_", "").isalnum() and not w.isdigit()}
        assert names <= columns, (code, names - columns)


def test_unknown_situation_in_community_criteria_is_refused():
    with pytest.raises(StageError, match="unknown risk situations"):
        warehouse.community_sql({"X": {"situations": ["NOT_A_SITUATION"], "min_age": 0, "max_age": 99}})


# --- the stage on the tiny region -------------------------------------------------------------------


@pytest.fixture(scope="module")
def stage(tiny_project, tmp_path_factory) -> Paths:
    """The warehouse stage run by the command line on a copy of the tiny project's processed data."""
    root = tmp_path_factory.mktemp("warehouse") / "project"
    paths = Paths(root)
    shutil.copytree(tiny_project.processed, paths.processed)
    params = load_params(tiny_project.params)
    params["warehouse"] = load_params()["warehouse"]
    paths.params.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    assert main(["warehouse", "--root", str(root)]) == 0
    return paths


def test_stage_row_counts_match_processed(stage):
    processed = {
        "dim_person": "persons",
        "indicators": "persons",
        "fact_benefit_spell": "rgc_spells",
        "fact_provision": "sauss_interventions",
        "fact_employment_episode": "employment_episodes",
        "fact_ngo_attention": "ngo_attention",
        "fact_mdtse_assessment": "mdtse_assessments",
        "dim_territory": "ceas",
    }
    with duckdb.connect(str(stage.warehouse / "pact.duckdb"), read_only=True) as con:
        for table_name, source in processed.items():
            n = con.execute(f"SELECT COUNT(*) FROM {table_name}").fetchall()[0][0]
            assert n == len(pd.read_parquet(stage.processed / f"{source}.parquet")), table_name
            assert len(pd.read_parquet(stage.warehouse / "parquet" / f"{table_name}.parquet")) == n
        by_situation = dict(
            con.execute("SELECT situation_code, COUNT(*) FROM person_risk GROUP BY 1").fetchall()
        )
        with_ceas = dict(
            con.execute(
                "SELECT situation_code, COUNT(*) FROM person_risk r JOIN indicators i USING (person_key) "
                "WHERE i.ceas_code IS NOT NULL GROUP BY 1"
            ).fetchall()
        )
        per_ceas = dict(
            con.execute("SELECT situation_code, SUM(n_persons) FROM risk_by_ceas GROUP BY 1").fetchall()
        )
    assert all(by_situation.get(code, 0) > 0 for code in ("LONG_RGC", "NO_WORK_24M", "NGO_ONLY"))
    assert {k: v for k, v in per_ceas.items() if v} == with_ceas


def test_stage_writes_no_direct_identifier(stage, tiny_project):
    with duckdb.connect(str(stage.warehouse / "pact.duckdb"), read_only=True) as con:
        names = con.execute("SELECT table_name, column_name FROM information_schema.columns").fetchall()
    assert len(names) > 100
    assert not [n for n in names if disclosure.identifier_column(n[1])]
    found = disclosure.scan_for_pii([stage.warehouse], disclosure.collect_identities(tiny_project.raw))
    assert found["findings"] == []
    assert any(name.endswith("pact.duckdb") for name in found["scanned"])


def test_stage_writes_a_list_per_ceas(stage):
    files = sorted((stage.warehouse / "lists").glob("*.csv"))
    lists = pd.concat([pd.read_csv(f, dtype=str) for f in files], ignore_index=True)
    persons = set(pd.read_parquet(stage.processed / "persons.parquet")["person_key"])
    assert set(lists["person_key"]) <= persons
    assert set(lists["list"]) == {"risk_situation", "community_action"}
    assert lists["reason_es"].notna().all()
    named = lists["ceas_code"].dropna().unique()
    assert {f"{c}.csv" for c in named} <= {f.name for f in files}
