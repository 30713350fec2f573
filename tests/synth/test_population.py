"""Tests of the synthetic population (households, profiles, identities)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pact_analysis.synth import population
from pact_analysis.synth.identities import is_valid_doc
from pact_analysis.synth.region import make_ceas

PARAMS = {"seed": 1, "data": {"extraction_date": "2018-10-31"}, "synthetic": {"start_date": "2011-01-01"}}


@pytest.fixture(scope="module")
def persons() -> pd.DataFrame:
    return population.make_population(20_000, np.random.default_rng(7), PARAMS)


def _rgc_heads(persons: pd.DataFrame) -> pd.DataFrame:
    return persons[persons["is_head"] & persons["profile"].isin(population.RGC_PROFILES)]


def test_columns_and_order(persons):
    assert list(persons.columns) == list(population.PERSON_COLUMNS)
    assert len(persons) == 20_000
    assert persons["person_id"].is_unique and persons["person_id"].is_monotonic_increasing


def test_household_structure(persons):
    by_hh = persons.groupby("household_id")
    assert (by_hh["is_head"].sum() == 1).all()
    assert (by_hh.size() == by_hh["household_size"].first()).all()
    assert by_hh["profile"].nunique().eq(1).all()
    assert by_hh["ceas_code"].nunique().eq(1).all() and by_hh["address"].nunique().eq(1).all()
    single = persons[persons["household_type"] == "SINGLE"]
    assert (single["household_size"] == 1).all()
    lone = persons[persons["household_type"] == "LONE_PARENT"]
    assert (lone["household_size"] >= 2).all()
    assert persons["household_size"].between(1, 15).all()
    age = (pd.Timestamp("2016-01-01") - persons["birth_date"]).dt.days / 365.25
    assert (age[persons["is_head"]] >= 18).all() and (age <= 91).all() and (age >= 0).all()
    minors = (age < 18).groupby(persons["household_id"]).transform("sum")
    assert (minors == persons["n_children"]).all()


def test_no_birth_date_heaped_on_an_age_bound(persons):
    # ages clipped to exactly 18 or 90 years gave one birth date to 0.8% of the records, so every
    # date blocking rule of the linkage compared them all with each other
    largest = persons["birth_date"].value_counts().iloc[0]
    assert largest <= 0.001 * len(persons)


def test_bounded_spreads_over_the_year_next_to_the_bound():
    rng = np.random.default_rng(3)
    age = np.array([10.0, 17.99, 18.0, 40.0, 90.0, 95.0, 120.0] * 200)
    out = population._bounded(age, 18, 90, rng)
    assert ((out >= 18) & (out <= 90)).all()
    inside = (age >= 18) & (age <= 90)
    np.testing.assert_array_equal(out[inside], age[inside])
    assert out[age < 18].min() >= 18 and out[age < 18].max() < 19 and len(np.unique(out[age < 18])) > 300
    assert out[age > 90].min() > 89 and len(np.unique(out[age > 90])) > 300


def test_rgc_heads_calibration(persons):
    heads = _rgc_heads(persons)
    assert 2_500 <= len(heads) <= 3_600
    share_rgc = persons["profile"].isin(population.RGC_PROFILES).mean()
    assert 0.33 <= share_rgc <= 0.42
    age = (pd.Timestamp("2016-01-01") - heads["birth_date"]).dt.days / 365.25
    checks = {
        "male": ((heads["sex"] == "H").mean(), 0.58),
        "spanish": ((heads["nationality"] == "ES").mean(), 0.885),
        "urban": (heads["urban"].mean(), 0.62),
        "under_35": ((age < 35).mean(), 0.292),
        "aged_18_45": ((age < 46).mean(), 0.60),
        "aged_46_55": (((age >= 46) & (age < 56)).mean(), 0.26),
        "lone_parent": ((heads["household_type"] == "LONE_PARENT").mean(), 0.20),
    }
    for name, (got, want) in checks.items():
        assert abs(got - want) < 0.04, (name, got, want)


def test_profiles_drive_attributes(persons):
    heads = _rgc_heads(persons)
    age = (pd.Timestamp("2016-01-01") - heads["birth_date"]).dt.days / 365.25
    by = heads.assign(
        age=age, low_edu=heads["education"].isin(["NONE", "PRIMARY"]), dis=heads["disability_pct"] > 0
    ).groupby("profile")
    assert by["age"].mean()["stayer"] > by["age"].mean()["leaver"] + 3
    assert by["low_edu"].mean()["stayer"] > by["low_edu"].mean()["leaver"]
    assert by["dis"].mean()["stayer"] > by["dis"].mean()["leaver"]
    assert by["employability"].mean()["leaver"] > by["employability"].mean()["stayer"] + 1


def test_pilot_ceas_hold_many_rgc_households(persons):
    heads = _rgc_heads(persons)
    pilot = make_ceas().dropna(subset=["pilot_territory"])["ceas_code"]
    counts = heads["ceas_code"].value_counts().reindex(pilot, fill_value=0)
    assert (counts >= 80).all(), counts


def test_documents(persons):
    has_doc = persons["doc_type"].isin(["DNI", "NIE"])
    assert is_valid_doc(persons.loc[has_doc, "doc_number"]).all()
    assert persons.loc[has_doc, "doc_number"].is_unique
    assert (persons.loc[persons["nationality"] == "ES", "doc_type"].fillna("DNI") == "DNI").all()
    nat = persons[persons["naturalisation_date"].notna()]
    assert len(nat) > 0 and (nat["nationality"] != "ES").all()
    assert (nat["doc_type"].fillna("DNI") == "DNI").all()
    assert is_valid_doc(nat["former_nie"]).all() and nat["former_nie"].str[0].isin(["X", "Y"]).all()
    assert persons.loc[persons["naturalisation_date"].isna(), "former_nie"].isna().all()
    start, end = pd.Timestamp("2011-01-01"), pd.Timestamp("2018-10-31")
    assert nat["naturalisation_date"].between(start, end).all()


def test_names(persons):
    assert persons["given_name"].notna().all() and persons["surname1"].notna().all()
    assert persons["given_name"].str.contains(" ").mean() > 0.1  # compound given names
    spanish = persons[persons["nationality"] == "ES"]
    assert spanish["surname2"].notna().mean() > 0.99
    one_surname = persons[persons["nationality"].isin(["MAGHREB", "SSA", "EU"])]
    assert one_surname["surname2"].isna().mean() > 0.7
    assert spanish["surname1"].value_counts().index[0] == "García"


def test_children_inherit_surnames(persons):
    heads = persons[persons["is_head"]].set_index("household_id")
    kids = persons[~persons["is_head"] & (persons["household_type"] == "LONE_PARENT")]
    kids = kids[(pd.Timestamp("2016-01-01") - kids["birth_date"]).dt.days < 18 * 365]
    mother_head = heads.loc[kids["household_id"], "sex"].to_numpy() == "M"
    got = kids["surname1"].to_numpy()[mother_head]
    want = heads.loc[kids["household_id"], "surname1"].to_numpy()[mother_head]
    assert len(got) > 50 and (got == want).all()


def test_sauss(persons):
    heads = _rgc_heads(persons)
    assert heads["sauss_user"].all()
    users = persons[persons["sauss_user"]]
    assert users["sauss_registration_date"].notna().all()
    assert persons.loc[~persons["sauss_user"], "sauss_registration_date"].isna().all()
    assert 0.5 < persons["sauss_user"].mean() < 0.9


def test_deterministic_and_small():
    a = population.make_population(300, np.random.default_rng(3), PARAMS)
    b = population.make_population(300, np.random.default_rng(3), PARAMS)
    pd.testing.assert_frame_equal(a, b)
    assert len(population.make_population(1, np.random.default_rng(3), PARAMS)) == 1
