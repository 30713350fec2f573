"""De-identification: no direct identifier survives in data/processed; keys replace record ids."""

from __future__ import annotations

import pandas as pd
import pytest

from pact_analysis import codebook
from pact_analysis.linkage import deidentify
from pact_analysis.linkage.pseudonymise import pseudonym
from pact_analysis.paths import Paths
from tests.fixtures import valid_frames


@pytest.fixture(scope="module")
def processed(tiny_linked):
    root, _ = tiny_linked
    paths = Paths(root)
    return {p.stem: pd.read_parquet(p) for p in sorted(paths.processed.glob("*.parquet"))}


def test_no_pii_column_survives(processed):
    pii = {c for s in codebook.sources() for c in codebook.pii_columns(s)} | {"record_id"}
    for name, table in processed.items():
        assert not pii & set(table.columns), name


def test_no_identity_value_survives(processed):
    frames = valid_frames()
    values = set()
    for source in codebook.person_sources():
        for column in ("given_name", "surname1", "doc_number", "address", "phone"):
            if column in frames[source]:
                values |= set(frames[source][column].dropna().astype(str))
    text = "\n".join(t.astype(str).to_csv(index=False) for t in processed.values())
    assert not [v for v in values if v in text]


def test_person_references_become_person_keys(processed):
    persons = set(processed["persons"]["person_key"])
    assert processed["persons"]["person_key"].is_unique
    for name in (
        "sauss_interventions",
        "employment_episodes",
        "pilot_assignment",
        "rgc_members",
        "ngo_attention",
    ):
        assert processed[name]["person_key"].notna().all(), name
        assert set(processed[name]["person_key"]) <= persons, name
    assert list(processed["rgc_members"].columns) == ["person_key", "file_id", "role"]
    assert list(processed["ngo_attention"].columns) == ["person_key", "ngo_code", "date", "service_code"]


def test_tiny_identities_link_into_four_persons(processed):
    assert len(processed["persons"]) == 4
    assert processed["persons"]["province_code"].tolist().count("47") == 1


def test_spells_carry_the_head_and_households_follow_files(processed):
    members = processed["rgc_members"]
    heads = members[members["role"] == "HEAD"].set_index("file_id")["person_key"]
    spells = processed["rgc_spells"]
    assert (spells["person_key"] == spells["file_id"].map(heads)).all()
    persons = processed["persons"].set_index("person_key")
    file1 = members.loc[members["file_id"] == "EXP0001", "person_key"]
    assert persons.loc[file1, "household_key"].eq(persons.loc[file1, "household_key"].iloc[0]).all()
    assert persons["household_key"].nunique() == 2  # two RGC files, one person outside RGC
    assert persons["household_key"].isna().sum() == 1


def test_household_components_join_files_sharing_a_person():
    members = pd.DataFrame({"file_id": ["F1", "F1", "F2", "F3"], "person_key": ["a", "b", "b", "c"]})
    keys = deidentify.household_keys(members, b"k" * 32)
    assert keys["a"] == keys["b"] != keys["c"]


def test_household_key_is_the_pseudonym_of_the_smallest_person_of_the_component():
    members = pd.DataFrame({"file_id": ["F2", "F1", "F1", "F3"], "person_key": ["b", "c", "b", "a"]})
    keys = deidentify.household_keys(members, b"k" * 32)
    assert keys["b"] == keys["c"] == pseudonym(b"k" * 32, "HOUSEHOLD|b")
    assert keys["a"] == pseudonym(b"k" * 32, "HOUSEHOLD|a")


def test_sources_of_a_person_are_sorted_and_listed_once():
    records = pd.DataFrame(
        {
            "person_key": ["p1", "p1", "p1", "p2", "p3", "p3"],
            "source": [
                "sauss_persons",
                "ngo_attention",
                "sauss_persons",
                "rgc_members",
                "rgc_members",
                "ngo_attention",
            ],
        }
    )
    out = deidentify._sources_of(records)
    assert out.to_dict() == {
        "p1": "ngo_attention,sauss_persons",
        "p2": "rgc_members",
        "p3": "ngo_attention,rgc_members",
    }


def test_age_from_birth_date_or_birth_year():
    frames = {
        "sauss_persons": pd.DataFrame(
            {"record_id": ["S1"], "birth_date": pd.to_datetime(["1980-11-01"]), "sex": ["M"]}
        ),
        "ngo_attention": pd.DataFrame(
            {"record_id": ["N1"], "birth_date": pd.to_datetime([None]), "birth_year": [1990]}
        ),
    }
    crosswalk = pd.DataFrame(
        {"source": ["sauss_persons", "ngo_attention"], "record_id": ["S1", "N1"], "person_key": ["p1", "p2"]}
    )
    out = deidentify.persons_table(frames, crosswalk, pd.Series(dtype="string"), "2018-10-31").set_index(
        "person_key"
    )
    assert out.loc["p1", "age"] == 37  # birthday on 1 November not reached on 31 October
    assert out.loc["p2", "age"] == 28 and out.loc["p2", "birth_year"] == 1990
