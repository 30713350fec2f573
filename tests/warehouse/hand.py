"""A hand-built region with known answers for the warehouse's indicator SQL (persons A, B, C...)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from pact_analysis import warehouse

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
