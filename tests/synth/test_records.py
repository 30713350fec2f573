"""Tests of the person records and the mapping of events to record ids."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pact_analysis.errors import StageError
from pact_analysis.params import load_params
from pact_analysis.synth import population, records

PARAMS = load_params()


@pytest.fixture(scope="module")
def persons() -> pd.DataFrame:
    return population.make_population(3_000, np.random.default_rng(2), PARAMS)


def test_sauss_records(persons):
    noisy, truth, log = records.sauss_records(persons, PARAMS, np.random.default_rng(1))
    users = persons.loc[persons["sauss_user"], "person_id"]
    assert set(noisy["person_id"]) == set(users)
    assert (~noisy["is_duplicate"]).sum() == len(users)
    assert noisy["record_id"].str.fullmatch(r"S\d{8}").all() and noisy["record_id"].is_monotonic_increasing
    assert (truth["record_id"] == noisy["record_id"]).all() and (truth["source"] == "sauss_persons").all()
    first = noisy.loc[~noisy["is_duplicate"], "registration_date"]
    assert first.is_monotonic_increasing  # ids are given in registration order
    dup = noisy["is_duplicate"].to_numpy()
    assert (
        noisy["registration_date"].to_numpy()[dup]
        >= noisy["registration_date"].to_numpy()[np.flatnonzero(dup) - 1]
    ).all()
    assert set(log["record_id"]) <= set(noisy["record_id"])


def test_rgc_records_one_per_file_and_person(persons):
    heads = persons[persons["is_head"] & persons["profile"].isin(population.RGC_PROFILES)].head(50)
    members = pd.concat(
        [
            pd.DataFrame(
                {
                    "file_id": "EXP1",
                    "person_id": heads["person_id"].iloc[0],
                    "role": "HEAD",
                    "start_date": pd.Timestamp("2012-01-01"),
                },
                index=[0],
            ),
            pd.DataFrame(
                {
                    "file_id": "EXP2",
                    "person_id": heads["person_id"].iloc[0],
                    "role": "HEAD",
                    "start_date": pd.Timestamp("2014-01-01"),
                },
                index=[0],
            ),
        ]
    )
    params = {
        **PARAMS,
        "synthetic": {
            **PARAMS["synthetic"],
            "noise": {**PARAMS["synthetic"]["noise"], "duplicate_record": 0.0},
        },
    }
    noisy, truth, _ = records.rgc_records(persons, members, params, np.random.default_rng(1))
    assert list(noisy["file_id"]) == ["EXP1", "EXP2"] and noisy["record_id"].tolist() == [
        "R00000001",
        "R00000002",
    ]
    assert truth["person_id"].unique().size == 1


def test_ngo_keeps_birth_year_when_date_missing(persons):
    attention = pd.DataFrame(
        {
            "attention_id": [f"A{i}" for i in range(2_000)],
            "person_id": persons["person_id"].iloc[:2_000].to_numpy(),
            "ngo_code": "CARITAS",
            "date": pd.Timestamp("2016-05-01"),
            "service_code": "FOOD",
        }
    )
    noisy, _, _ = records.ngo_records(persons, attention, PARAMS, np.random.default_rng(4))
    missing = noisy["birth_date"].isna()
    assert 0.3 < missing.mean() < 0.5
    assert noisy.loc[missing, "birth_year"].notna().all() and noisy.loc[~missing, "birth_year"].isna().all()
    assert noisy["doc_number"].isna().mean() > 0.55


def test_map_to_record():
    recs = pd.DataFrame(
        {
            "record_id": ["S1", "S2", "S3"],
            "person_id": ["P1", "P1", "P2"],
            "is_duplicate": [False, True, False],
        }
    )
    primary = records.primary_record(recs)
    assert primary.to_dict() == {"P1": "S1", "P2": "S3"}
    events = pd.DataFrame({"event_id": ["e1", "e2", "e3"], "person_id": ["P2", "P1", None]})
    out = records.map_to_record(events, primary, "surveys")
    assert out.columns.tolist() == ["event_id", "record_id"]
    assert out["record_id"].tolist() == ["S3", "S1", None]
    with pytest.raises(StageError, match="surveys: 1 rows"):
        records.map_to_record(pd.DataFrame({"event_id": ["x"], "person_id": ["P9"]}), primary, "surveys")
