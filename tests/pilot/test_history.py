"""The RGC history of the pilot's heads: an open file followed by a later one ends at that file's start,
and leaving the RGC is judged on stays (files joined across short gaps), as the chronicity outcome is."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pact_analysis import pilot
from pact_analysis.timeline import DAYS_PER_MONTH, covered_time

START = pd.Timestamp("2017-01-01")
EXTRACTION = pd.Timestamp("2018-10-31")


def _files(rows: list[tuple[str, str, str, str | None]]) -> pd.DataFrame:
    files = pd.DataFrame(rows, columns=["spell_id", "person_key", "start_date", "end_date"])
    files["start_date"] = pd.to_datetime(files["start_date"])
    files["end_date"] = pd.to_datetime(files["end_date"])
    return files.assign(ceas_code="47U01", household_size=1)


def _months(start: str, end: str) -> float:
    return (pd.Timestamp(end) - pd.Timestamp(start)).days / DAYS_PER_MONTH


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    files = _files(
        [
            # open since 2014, then a file open since June 2016: one file at a time, 36 months in all
            ("A1", "a", "2014-01-01", None),
            ("A2", "a", "2016-06-01", None),
            # open since 2015, then a file paid May 2017 - March 2018: the first ends in May 2017
            ("B1", "b", "2015-01-01", None),
            ("B2", "b", "2017-05-01", "2018-03-31"),
            # the later file begins after the extraction date: it supersedes nothing
            ("C1", "c", "2016-01-01", None),
            ("C2", "c", "2019-01-01", None),
            # an end after the extraction date is still open then, and ends at the next start
            ("D1", "d", "2015-06-01", "2019-12-31"),
            ("D2", "d", "2016-02-01", None),
            # an administrative interruption of 10 days: one stay, no exit
            ("E1", "e", "2016-01-01", "2017-03-21"),
            ("E2", "e", "2017-04-01", None),
            # a real exit within 12 months, and a return five months later
            ("F1", "f", "2016-01-01", "2017-06-30"),
            ("F2", "f", "2017-12-01", "2018-05-31"),
            # closed files that overlap and nest (a renewal recorded before the old one closed, a
            # duplicate inside it): 2015-01 to 2016-06 and 2016-03 to 2016-09, then one still open
            ("G1", "g", "2015-01-01", "2016-06-30"),
            ("G2", "g", "2015-03-01", "2015-04-30"),
            ("G3", "g", "2016-03-01", "2016-09-30"),
            ("G4", "g", "2016-11-01", None),
        ]
    )
    return pilot.rgc_history(files, START, EXTRACTION, merge_gap_months=1)


def test_months_before_the_pilot_are_not_counted_twice(history):
    assert history.loc["a", "months_rgc"] == pytest.approx(_months("2014-01-01", "2017-01-01"))  # not 43
    assert history.loc["b", "months_rgc"] == pytest.approx(_months("2015-01-01", "2017-01-01"))
    assert history.loc["d", "months_rgc"] == pytest.approx(_months("2015-06-01", "2017-01-01"))  # not 30
    # overlapping and nested closed files: the union of the days paid, not their sum
    union = _months("2015-01-01", "2016-09-30") + _months("2016-11-01", "2017-01-01")
    assert history.loc["g", "months_rgc"] == pytest.approx(union)


def test_covered_time_is_the_union_of_the_intervals():
    rng = np.random.default_rng(3)
    starts = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 400, 60), unit="D")
    frame = pd.DataFrame(
        {
            "person_key": rng.choice(list("pqrs"), 60),
            "start_date": starts,
            "end_date": starts + pd.to_timedelta(rng.integers(-5, 120, 60), unit="D"),
        }
    )
    covered = covered_time(frame)
    for key, part in frame.groupby("person_key"):  # days paid, counted as a set
        days = set().union(
            *(
                pd.date_range(a, b - pd.Timedelta(days=1))  # empty when b <= a
                for a, b in zip(part["start_date"], part["end_date"], strict=True)
            )
        )
        assert covered[key].days == len(days)


def test_the_superseded_file_ends_at_the_next_start(history):
    a, b, c = history.loc["a"], history.loc["b"], history.loc["c"]
    assert (a["exit_12m"], a["exit_end"], a["reentry"]) == (0.0, 0.0, 0.0)  # the running file is A2
    # B1 ran at the pilot's start and ended when B2 began: one stay on the RGC, left in March 2018
    assert (b["exit_12m"], b["exit_end"], b["reentry"]) == (0.0, 1.0, 0.0)
    assert (c["exit_12m"], c["exit_end"], c["reentry"]) == (0.0, 0.0, 0.0)


def test_leaving_is_judged_on_stays_as_in_the_chronicity_outcome(history):
    e, f = history.loc["e"], history.loc["f"]
    assert (e["exit_12m"], e["exit_end"], e["reentry"]) == (0.0, 0.0, 0.0)  # 10 days apart: one stay
    assert (f["exit_12m"], f["exit_end"], f["reentry"]) == (1.0, 1.0, 1.0)
