"""The case managers' feedback: read, checked, related to the later RGC status, counted."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pact_analysis import alerts as al
from pact_analysis import chronicity as ch
from pact_analysis.errors import StageError


def test_feedback_is_read_and_override_rates_computed(tmp_path):
    (tmp_path / "a.csv").write_text(
        "person_key,date,response\nk1,2017-01-10,agree\nk2,2017-01-10,disagree\nk3,2017-02-01,acted\n"
    )
    (tmp_path / "b.csv").write_text("person_key,date,response\nk4,2017-03-01, Disagree\n")
    feedback = al.read_feedback(tmp_path)
    rates = al.feedback_rates(feedback)
    assert rates["reviews"] == 4 and rates["disagree"] == 2
    assert rates["override_rate"] == pytest.approx(0.5) and rates["acted_rate"] == pytest.approx(0.25)
    spells = pd.DataFrame(
        {
            "person_key": ["k1", "k2", "k2", "k3"],
            "ceas_code": ["X", "X", "X", "Y"],
            "start_date": pd.to_datetime(["2016-01-01", "2015-01-01", "2016-06-01", "2016-01-01"]),
            "exit_date": pd.to_datetime(["2018-10-31", "2015-06-01", "2017-07-01", "2017-02-15"]),
            "event": [False, True, True, True],
            "cause": ["censored", "JOB_INCOME", "JOB_INCOME", "NON_COMPLIANCE"],
        }
    )
    out = al.feedback_outcomes(feedback, spells).set_index("person_key")
    assert out.loc["k1", "later_status"] == "still_receiving" and np.isnan(out.loc["k1", "months_to_exit"])
    assert (
        out.loc["k2", "later_status"] == "JOB_INCOME"
    )  # the spell open on the review day, not the earlier one
    assert out.loc["k2", "months_to_exit"] == pytest.approx(172 / ch.DAYS_PER_MONTH)
    assert out.loc["k3", "later_status"] == "NON_COMPLIANCE"
    assert out.loc["k4", "later_status"] == "no_spell_at_review"
    outcomes = al.feedback_tables(out)["outcomes"]
    assert outcomes.loc["disagree", "JOB_INCOME"] == 1 and outcomes.loc["disagree", "no_spell_at_review"] == 1


def test_bad_feedback_names_the_file_and_rows(tmp_path):
    (tmp_path / "bad.csv").write_text("person_key,date,response\nk1,2017-01-10,maybe\nk2,10/01/2017,agree\n")
    with pytest.raises(StageError, match=r"bad.csv: rows 2, 3"):
        al.read_feedback(tmp_path)
    (tmp_path / "bad.csv").write_text("person_key,response\nk1,agree\n")
    with pytest.raises(StageError, match="missing columns"):
        al.read_feedback(tmp_path)
    (tmp_path / "bad.csv").unlink()
    empty = al.read_feedback(tmp_path)
    spells = pd.DataFrame({"person_key": ["k1"], "ceas_code": ["X"], "start_date": pd.to_datetime(["2016-01-01"]),
                           "exit_date": pd.to_datetime(["2017-01-01"]), "event": [True], "cause": ["JOB_INCOME"]})  # fmt: skip
    outcomes = al.feedback_outcomes(empty, spells)
    assert outcomes.empty and {"later_status", "months_to_exit"} <= set(outcomes.columns)
    assert al.feedback_rates(outcomes)["override_rate"] is None
