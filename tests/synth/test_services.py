"""SAUSS interventions, employment-service episodes and NGO records: codes, dates, consistency with RGC."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pact_analysis import codebook
from pact_analysis.synth import services
from tests.synth.outcomes_fixtures import frames

N = 3000


@pytest.fixture(scope="module")
def region():
    data = frames(N)
    params = data["params"]
    data["interventions"] = services.simulate_sauss_interventions(
        data["persons"], data["spells"], params, np.random.default_rng(1)
    )
    data["employment"] = services.simulate_employment(
        data["persons"], data["spells"], params, np.random.default_rng(2)
    )
    data["ngo"] = services.simulate_ngo(data["persons"], data["spells"], params, np.random.default_rng(3))
    data["extraction"] = pd.Timestamp(params["data"]["extraction_date"])
    data["earliest"] = pd.Timestamp(codebook.load()["period"]["earliest_event"])
    return data


def test_interventions_codes_and_dates(region):
    iv = region["interventions"]
    assert list(iv.columns) == [
        "intervention_id",
        "person_id",
        "ceas_code",
        "date",
        "provision_code",
        "status",
        "amount_eur",
    ]
    assert iv["intervention_id"].is_unique
    assert set(iv["provision_code"]) <= set(codebook.codes("provision"))
    assert set(iv["status"]) == set(codebook.codes("provision_status"))
    users = region["persons"].set_index("person_id")
    assert users.loc[iv["person_id"], "sauss_user"].all()
    registered = users.loc[iv["person_id"], "sauss_registration_date"].to_numpy()
    assert (iv["date"].to_numpy() >= np.minimum(registered, np.datetime64("2011-01-01"))).all()
    assert (iv["date"] <= region["extraction"]).all()


def test_amounts_only_for_paid_economic_provisions(region):
    iv = region["interventions"]
    paid = iv["amount_eur"].notna()
    assert paid.any() and (iv.loc[paid, "amount_eur"] > 0).all()
    assert iv.loc[paid, "provision_code"].isin(services.ECONOMIC).all()
    assert iv.loc[paid, "status"].isin(["GRANTED", "CLOSED"]).all()


def test_every_spell_of_a_sauss_user_has_its_claim(region):
    iv, s = region["interventions"], region["spells"]
    users = set(region["persons"].loc[region["persons"]["sauss_user"], "person_id"])
    claims = iv.loc[iv["provision_code"] == "RGC_PROCESSING"]
    own = s.loc[s["person_id"].isin(users)]
    assert len(claims) == len(own)
    assert (
        claims.groupby("person_id").size().sort_index() == own.groupby("person_id").size().sort_index()
    ).all()


def test_employment_codes_and_fields(region):
    ep = region["employment"]["episodes"]
    assert list(ep.columns) == services.EPISODE_COLUMNS
    assert ep["episode_id"].is_unique
    assert set(ep["episode_type"]) == set(codebook.codes("employment_episode"))
    contract = ep["episode_type"] == "CONTRACT"
    assert set(ep.loc[contract, "contract_type"]) == set(codebook.codes("contract_type"))
    assert set(ep.loc[contract, "workday"]) == set(codebook.codes("workday"))
    assert ep.loc[~contract, ["contract_type", "workday", "hours_week"]].isna().all().all()
    hours = ep.loc[contract, "hours_week"]
    assert hours.between(1, 60).all()
    assert (ep.loc[contract & (ep["workday"] == "PART"), "hours_week"] < 35).all()


def test_employment_dates(region):
    ep = region["employment"]["episodes"]
    assert (ep["start_date"] >= region["earliest"]).all() and (ep["start_date"] <= region["extraction"]).all()
    ended = ep.dropna(subset=["end_date"])
    assert (ended["end_date"] >= ended["start_date"]).all() and (
        ended["end_date"] <= region["extraction"]
    ).all()
    first = ep.groupby("person_id")["start_date"].min()
    people = region["employment"]["persons"].set_index("person_id")["first_date"]
    pd.testing.assert_series_equal(people.sort_index(), first.sort_index(), check_names=False)


def test_rgc_heads_registered_and_job_exits_have_contracts(region):
    ep, s = region["employment"]["episodes"], region["spells"]
    assert set(s["person_id"]) <= set(region["employment"]["persons"]["person_id"])
    job = s.loc[s["exit_reason"] == "JOB_INCOME", ["person_id", "end_date"]]
    contracts = ep.loc[ep["episode_type"] == "CONTRACT", ["person_id", "start_date"]]
    pairs = job.reset_index().merge(contracts, on="person_id")
    near = (pairs["start_date"] - pairs["end_date"]).dt.days.abs() <= 30
    matched = pairs.loc[near, "index"].nunique() / len(job)
    rate = region["params"]["synthetic"]["services"]["job_exit_contract"]
    assert matched == pytest.approx(rate, abs=4 * np.sqrt(rate * (1 - rate) / len(job)) + 0.02)


def test_recent_employment_means_a_contract_before_entry(region):
    ep, s = region["employment"]["episodes"], region["spells"]
    recent = s.loc[s["recent_employment"], ["person_id", "start_date"]].reset_index()
    contracts = ep.loc[ep["episode_type"] == "CONTRACT", ["person_id", "end_date"]]
    pairs = recent.merge(contracts, on="person_id")
    gap = (pairs["start_date"] - pairs["end_date"]).dt.days
    assert pairs.loc[gap.between(0, 366), "index"].nunique() == len(recent)


def test_ngo_records(region):
    ngo, persons = region["ngo"], region["persons"]
    assert list(ngo.columns) == ["attention_id", "person_id", "ngo_code", "date", "service_code"]
    assert ngo["attention_id"].is_unique
    assert set(ngo["ngo_code"]) <= set(codebook.codes("ngo"))
    assert set(ngo["service_code"]) <= set(codebook.codes("ngo_service"))
    assert (ngo["date"] <= region["extraction"]).all()
    attended = persons["person_id"].isin(ngo["person_id"])
    ngo_only = attended & ~persons["sauss_user"]
    assert ngo_only.sum() > 0
    heads = persons["person_id"].isin(region["spells"]["person_id"])
    others = persons["sauss_user"] & ~heads & (persons["nationality"] == "ES")
    assert attended[heads].mean() > 2 * attended[others].mean()


def test_same_seed_same_records(region):
    params = region["params"]
    a = services.simulate_ngo(region["persons"], region["spells"], params, np.random.default_rng(3))
    pd.testing.assert_frame_equal(a, region["ngo"])
