"""Spells from the processed tables of the tiny region, history without look-ahead, returns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pact_analysis.chronicity.spells import UNKNOWN_EXIT, build_spells, history_features, reentry_dataset
from pact_analysis.timeline import DAYS_PER_MONTH

pytestmark = pytest.mark.xdist_group("tiny_region")


def test_build_spells(tiny):
    paths, params, tables = tiny
    raw = tables["rgc_spells"]
    spells = build_spells(tables, params)
    # files a few days apart are one episode; re-entries are at least a month apart
    assert spells["n_files"].sum() == len(raw) and spells["spell_id"].is_unique
    assert (spells["n_files"] > 1).any() and len(spells) < len(raw)
    window = pd.Timestamp(params["synthetic"]["start_date"])
    assert (spells["duration"] > 0).all() and ((spells["entry"] > 0) == (spells["start_date"] < window)).all()
    assert (spells["entry"] > 0).any() and (spells["entry"] < spells["duration"]).all()
    single = spells.loc[spells["n_files"] == 1]
    assert (
        single["event"] == raw.set_index("spell_id").loc[single["spell_id"], "end_date"].notna().to_numpy()
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
    assert len(window) < len(spells)
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


def _files(rows):
    d = pd.Timestamp
    frame = pd.DataFrame(
        rows, columns=["spell_id", "person_key", "start_date", "end_date", "exit_reason", "prior_imi"]
    )
    frame["start_date"], frame["end_date"] = frame["start_date"].map(d), frame["end_date"].map(d)
    return frame.assign(file_id=frame["spell_id"], ceas_code="C1", household_type="SINGLE", household_size=1)


PARAMS = {"data": {"extraction_date": "2018-10-31"}, "synthetic": {"start_date": "2011-01-01"}}


def test_episode_whose_last_file_is_open_is_censored():
    # two files 9 days apart, the second still paid: one episode, censored at the extraction date
    files = _files(
        [
            ("S1", "a", "2013-01-01", "2014-01-01", "NON_COMPLIANCE", False),
            ("S2", "a", "2014-01-10", None, None, False),
            ("S3", "b", "2013-01-01", "2014-01-01", "NON_COMPLIANCE", False),
            ("S4", "b", "2014-01-10", "2015-06-30", "JOB_INCOME", False),
        ]
    )
    spells = build_spells({"rgc_spells": files, "rgc_members": files[[]]}, PARAMS).set_index("person_key")
    assert spells["n_files"].tolist() == [2, 2]
    assert not spells.loc["a", "event"] and spells.loc["a", "cause"] == "censored"
    assert spells.loc["a", "exit_date"] == pd.Timestamp("2018-10-31")
    assert spells.loc["a", "duration"] == pytest.approx(
        (pd.Timestamp("2018-10-31") - pd.Timestamp("2013-01-01")).days / DAYS_PER_MONTH
    )
    assert spells.loc["b", "event"] and spells.loc["b", "cause"] == "JOB_INCOME"
    assert spells.loc["b", "exit_date"] == pd.Timestamp("2015-06-30")


def test_nested_file_does_not_end_the_episode_and_an_end_without_reason_is_an_exit():
    # a: a long file with a short file nested in it, then a file 9 days after the long one, still
    # paid: one censored episode from 2013 (the nested file's exit is no exit of the episode)
    # c: a file that ended without a recorded reason: an exit (UNKNOWN_EXIT), not censored in 2018
    files = _files(
        [
            ("S1", "a", "2013-01-01", "2016-01-01", "JOB_INCOME", False),
            ("S2", "a", "2013-03-01", "2013-06-01", "CARE_MOVED", False),
            ("S3", "a", "2016-01-10", None, None, False),
            ("S4", "c", "2013-01-01", "2014-01-01", None, False),
        ]
    )
    spells = build_spells({"rgc_spells": files, "rgc_members": files[[]]}, PARAMS).set_index("person_key")
    assert spells.loc["a", "n_files"] == 3 and not spells.loc["a", "event"]
    assert spells.loc["a", "start_date"] == pd.Timestamp("2013-01-01")
    assert spells.loc["a", "exit_date"] == pd.Timestamp("2018-10-31")
    assert spells.loc["c", "event"] and spells.loc["c", "cause"] == UNKNOWN_EXIT
    assert spells.loc["c", "exit_date"] == pd.Timestamp("2014-01-01")
    assert spells.loc["c", "duration"] == pytest.approx(365 / DAYS_PER_MONTH)


def test_an_open_file_followed_by_a_later_file_ends_where_that_file_starts():
    # a: a file never closed, then (after a same-day duplicate) a file opened two years later that
    # ended with a job: the open file is a missing end date; it ends at the next later start with an
    # unknown cause, and the later file is an episode of its own (before, one censored spell of 70
    # months deleted the job exit; merged, it would have claimed unbroken receipt for 36 months)
    # b: two files with the same end date and different reasons: the cause is not known
    # c: the same reason twice, or one reason and one missing, is no conflict, whatever the file order
    files = _files(
        [
            ("S1", "a", "2013-01-01", None, None, False),
            ("S1b", "a", "2013-01-01", "2013-06-01", "CARE_MOVED", False),
            ("S2", "a", "2015-01-01", "2016-01-01", "JOB_INCOME", False),
            ("S3", "b", "2013-01-01", "2014-01-01", "NON_COMPLIANCE", False),
            ("S4", "b", "2013-01-01", "2014-01-01", "JOB_INCOME", False),
            ("S5", "c", "2013-01-01", "2014-01-01", "JOB_INCOME", False),
            ("S6", "c", "2013-05-01", "2014-01-01", "JOB_INCOME", False),
            ("S7", "d", "2013-01-01", "2014-01-01", "JOB_INCOME", False),
            ("S8", "d", "2013-05-01", "2014-01-01", None, False),
        ]
    )
    spells = build_spells({"rgc_spells": files, "rgc_members": files[[]]}, PARAMS)
    assert spells.attrs["open_superseded_files"] == 1 and spells.attrs["conflicting_exits"] == 1
    a = spells.loc[spells["person_key"] == "a"].reset_index(drop=True)
    assert len(a) == 2 and a["event"].all()
    assert a.loc[0, "cause"] == UNKNOWN_EXIT and a.loc[0, "exit_date"] == pd.Timestamp("2015-01-01")
    assert a.loc[1, "cause"] == "JOB_INCOME" and a.loc[1, "start_date"] == pd.Timestamp("2015-01-01")
    assert a["end_imputed"].tolist() == [True, False]
    # the imputed exit is not a time out of the benefit: no return "after 0 months" in the re-entry data
    back = reentry_dataset(spells, "2018-10-31")
    assert "a" in set(back["person_key"]) and (back["time_out"] > 1).all()
    assert len(back.loc[back["person_key"] == "a"]) == 1  # the job exit of 2016 only
    spells = spells.set_index("person_key")
    assert spells.loc["b", "event"] and spells.loc["b", "cause"] == UNKNOWN_EXIT
    assert spells.loc["c", "cause"] == "JOB_INCOME" and spells.loc["d", "cause"] == "JOB_INCOME"
    # swapping the file ids changes nothing
    swap = {"S3": "S4", "S4": "S3", "S7": "S8", "S8": "S7"}
    swapped = files.assign(spell_id=files["spell_id"].map(swap).fillna(files["spell_id"]))
    again = build_spells({"rgc_spells": swapped, "rgc_members": swapped[[]]}, PARAMS).set_index("person_key")
    assert again.loc["b", "cause"] == UNKNOWN_EXIT and again.loc["d", "cause"] == "JOB_INCOME"


def test_files_starting_the_day_an_open_file_is_superseded_are_one_episode_and_later_files_wait():
    # a: a file never closed, superseded in 2015 by two files starting the same day (a duplicate and
    # a file nested in it): one episode from 2015, not two spells beginning the same day
    # b: a file opened after the extraction date is not paid yet: no spell, and it ends nothing
    files = _files(
        [
            ("S1", "a", "2013-01-01", None, None, False),
            ("S2", "a", "2015-01-01", "2016-01-01", "JOB_INCOME", False),
            ("S2b", "a", "2015-01-01", "2015-06-01", None, False),
            ("S3", "b", "2016-01-01", None, None, False),
            ("S4", "b", "2019-02-01", None, None, False),
            # c: a closed file still running when the open one is superseded: one episode throughout
            ("S5", "c", "2013-01-01", "2017-01-01", "JOB_INCOME", False),
            ("S6", "c", "2014-01-01", None, None, False),
            ("S7", "c", "2015-01-01", "2016-01-01", None, False),
        ]
    )
    spells = build_spells({"rgc_spells": files, "rgc_members": files[[]]}, PARAMS)
    a = spells.loc[spells["person_key"] == "a"].reset_index(drop=True)
    assert len(a) == 2 and a["start_date"].is_unique
    assert a.loc[1, "n_files"] == 2 and a.loc[1, "cause"] == "JOB_INCOME"
    assert a.loc[1, "exit_date"] == pd.Timestamp("2016-01-01")
    b = spells.loc[spells["person_key"] == "b"].reset_index(drop=True)
    assert len(b) == 1 and not b.loc[0, "event"] and b.loc[0, "exit_date"] == pd.Timestamp("2018-10-31")
    assert b.loc[0, "n_files"] == 1
    c = spells.loc[spells["person_key"] == "c"].reset_index(drop=True)
    assert len(c) == 1 and c.loc[0, "n_files"] == 3 and c.loc[0, "cause"] == "JOB_INCOME"
    assert c.loc[0, "exit_date"] == pd.Timestamp("2017-01-01")


def test_spell_begun_before_the_window_is_left_truncated_with_its_true_start():
    files = _files(
        [
            ("S1", "a", "2008-01-01", "2012-01-01", "JOB_INCOME", True),
            ("S2", "b", "2009-01-01", "2010-06-01", "JOB_INCOME", True),  # ended before: not observed
        ]
    )
    spells = build_spells({"rgc_spells": files, "rgc_members": files[[]]}, PARAMS)
    assert spells["person_key"].tolist() == ["a"]
    assert spells["entry"].iloc[0] == pytest.approx(
        (pd.Timestamp("2011-01-01") - pd.Timestamp("2008-01-01")).days / DAYS_PER_MONTH
    )
    assert spells["duration"].iloc[0] == pytest.approx(
        (pd.Timestamp("2012-01-01") - pd.Timestamp("2008-01-01")).days / DAYS_PER_MONTH
    )


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


def _count_by_join(spells, events, at, window_months):
    """The join :func:`_count_before` replaced: every spell with every event of its person."""
    left = spells[["person_key", at]].reset_index()
    m = left.merge(events[["person_key", "date"]].dropna(), on="person_key")
    keep = m["date"] < m[at]
    if window_months is not None:
        keep &= m["date"] >= m[at] - pd.to_timedelta(window_months * 30.4375, unit="D")
    return m.loc[keep].groupby("index").size().reindex(spells.index, fill_value=0).astype(float)


@pytest.mark.parametrize("window_months", [None, 24, 0.5])
def test_counts_before_a_date_are_the_join_counts(window_months):
    """Binary searches count what the join counted: window edges, missing dates and persons, ties."""
    from pact_analysis.chronicity.spells import _count_before, _dated_events

    rng = np.random.default_rng(5)
    persons = [f"p{i}" for i in range(300)]
    day = pd.Timestamp("2015-01-01")
    events = pd.DataFrame(
        {
            "person_key": rng.choice(persons + [None], 5000),
            "date": day + pd.to_timedelta(rng.integers(0, 1500, 5000), unit="D"),
        }
    )
    events.loc[rng.random(5000) < 0.05, "date"] = pd.NaT
    at = day + pd.to_timedelta(rng.integers(0, 1500, 2000) + rng.choice([0, 0.5], 2000), unit="D")
    spells = pd.DataFrame({"person_key": rng.choice(persons + ["nobody"], 2000), "at": at})
    spells.loc[rng.random(2000) < 0.05, "at"] = pd.NaT
    # an event exactly at the window's lower edge counts, one exactly at the date does not
    spells.loc[0, ["person_key", "at"]] = ["p1", day + pd.Timedelta(days=800)]
    edge = day + pd.Timedelta(days=800) - pd.to_timedelta((window_months or 0) * 30.4375, unit="D")
    events.loc[len(events)] = ["p1", edge]
    events.loc[len(events)] = ["p1", day + pd.Timedelta(days=800)]
    spells.index = spells.index * 3 + 7  # not a range index
    known = pd.Index(pd.unique(spells["person_key"].dropna()))
    person, when, _ = _dated_events(events, "date", known)
    at_ns = spells["at"].to_numpy("datetime64[ns]")
    counts = _count_before(known.get_indexer(spells["person_key"]), at_ns, person, when, window_months)
    ours = pd.Series(counts, index=spells.index)
    pd.testing.assert_series_equal(ours, _count_by_join(spells, events, "at", window_months))
    assert ours.gt(0).sum() > 100 and ours.eq(0).sum() > 100 and ours.gt(1).any()
