"""Spells from the processed tables of the tiny region, history without look-ahead, returns."""

from __future__ import annotations

import pandas as pd
import pytest

from pact_analysis.chronicity.spells import build_spells, history_features, reentry_dataset
from pact_analysis.timeline import DAYS_PER_MONTH

pytestmark = pytest.mark.xdist_group("tiny_region")


def test_build_spells(tiny):
    paths, params, tables = tiny
    raw = tables["rgc_spells"]
    spells = build_spells(tables, params)
    assert len(spells) == len(raw) and spells["spell_id"].is_unique  # re-entries are at least a month apart
    assert (spells["duration"] > 0).all() and (spells["entry"] == 0).all()
    assert (
        spells["event"] == raw.set_index("spell_id").loc[spells["spell_id"], "end_date"].notna().to_numpy()
    ).all()
    assert set(spells.loc[~spells["event"], "cause"]) == {"censored"}
    assert (
        spells.loc[~spells["event"], "exit_date"] == pd.Timestamp(params["data"]["extraction_date"])
    ).all()
    second = spells.loc[spells["spell_number"] == 2].iloc[0]
    first = spells.loc[(spells["person_key"] == second["person_key"]) & (spells["spell_number"] == 1)].iloc[0]
    assert second["months_before"] == pytest.approx(first["duration"])
    assert second["prior_spells"] == 1 and second["months_since_last_exit"] > 0
    merged = build_spells(tables, {**params, "chronicity": {"merge_gap_months": 10_000}})
    assert len(merged) == spells["person_key"].nunique() and merged["n_files"].sum() == len(raw)
    window = build_spells(tables, {**params, "chronicity": {"observation_start": "2013-01-01"}})
    truncated = window.loc[window["entry"] > 0]
    assert len(truncated) and (truncated["entry"] < truncated["duration"]).all()
    assert (window["exit_date"] > pd.Timestamp("2013-01-01")).all()
    persons = build_spells(tables, params, unit="person")
    assert len(persons) > len(spells) and set(persons["role"]) == {"HEAD", "MEMBER"}


def test_history_features_have_no_look_ahead(tiny):
    _, params, tables = tiny
    spells = build_spells(tables, params)
    spells["landmark_date"] = spells["start_date"] + pd.Timedelta(days=91)
    before = history_features(spells, tables, at="landmark_date")
    # add records of every kind on the person's last landmark day and after it: nothing may change
    last = spells.groupby("person_key", as_index=False)["landmark_date"].max()
    later = {k: v.copy() for k, v in tables.items()}
    for name, date_col, extra in (
        ("sauss_interventions", "date", {"provision_code": "EMERGENCY_AID"}),
        ("ngo_attention", "date", {}),
        ("employment_episodes", "start_date", {"episode_type": "CONTRACT", "end_date": pd.NaT}),
    ):
        fake = pd.DataFrame({"person_key": last["person_key"], date_col: last["landmark_date"], **extra})
        fake2 = fake.assign(**{date_col: fake[date_col] + pd.Timedelta(days=200)})
        later[name] = pd.concat([later[name], fake, fake2], ignore_index=True)
    after = history_features(spells, later, at="landmark_date")
    pd.testing.assert_frame_equal(before, after)
    assert before["services_before"].sum() > 0 and before["recent_employment"].sum() > 0


def test_reentry_dataset_hand_example():
    d = pd.Timestamp
    spells = pd.DataFrame(
        {
            "person_key": ["a", "a", "b"],
            "start_date": [d("2012-01-01"), d("2013-01-01"), d("2012-01-01")],
            "exit_date": [d("2012-07-01"), d("2018-10-31"), d("2012-07-01")],
            "event": [True, False, True],
            "cause": ["JOB_INCOME", "censored", "NON_COMPLIANCE"],
            "duration": [6.0, 70.0, 6.0],
        }
    )
    back = reentry_dataset(spells, "2018-10-31").set_index("person_key")
    assert list(back.index) == ["a", "b"]  # ended spells only
    assert bool(back.loc["a", "returned"]) and not bool(back.loc["b", "returned"])
    assert back.loc["a", "time_out"] == pytest.approx(184 / DAYS_PER_MONTH)
    assert back.loc["b", "time_out"] == pytest.approx(
        (d("2018-10-31") - d("2012-07-01")).days / DAYS_PER_MONTH
    )
