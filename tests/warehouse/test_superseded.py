"""An open benefit file followed by a later file of the head ends at that file's start in the warehouse.

One rule, two implementations: ``fact_benefit_spell``'s effective ends (SQL) are checked against
:func:`pact_analysis.chronicity.spells.superseded_ends` (pandas), and its ``months_paid`` against
:func:`pact_analysis.spending.paid.months_paid`, on the rule's edge cases.
"""

from __future__ import annotations

import pandas as pd
import pytest

from pact_analysis.chronicity.spells import superseded_ends
from pact_analysis.spending.paid import months_paid
from tests.warehouse.superseded import EXTRACTION, build_superseded, superseded_frames


@pytest.fixture(scope="module")
def superseded():
    con = build_superseded()
    yield con
    con.close()


@pytest.fixture(scope="module")
def fact(superseded) -> pd.DataFrame:
    return superseded.execute("SELECT * FROM fact_benefit_spell").df().set_index("spell_id")


def test_an_open_file_ends_at_the_next_start_and_is_paid_to_it(fact):
    y1, y2 = fact.loc["Y1"], fact.loc["Y2"]
    assert pd.Timestamp(y1["end_date"]) == pd.Timestamp("2016-03-01") and bool(y1["end_imputed"])
    assert y1["months_paid"] == 3  # January-March 2016, not January 2016 to the extraction (34)
    assert pd.isna(y1["exit_reason"])  # the recorded reason (none) is kept
    assert pd.Timestamp(y2["end_date"]) == pd.Timestamp("2016-08-31") and not y2["end_imputed"]
    assert y2["months_paid"] == 6
    # files begun the same day both end at the next later start; an end after the extraction date is
    # still open then; a nested later file ends the open one too
    assert fact.loc[["T1", "T2", "U1", "X1"], "end_imputed"].all()
    assert pd.to_datetime(fact.loc[["T1", "T2"], "end_date"]).eq(pd.Timestamp("2017-06-01")).all()
    assert pd.Timestamp(fact.loc["U1", "end_date"]) == pd.Timestamp("2016-05-01")
    assert fact.loc["U1", "months_paid"] == 17  # January 2015 - May 2016, not to June 2019
    # a later file begun after the extraction date supersedes nothing, and is paid no month
    assert not fact.loc["V1", "end_imputed"] and pd.isna(fact.loc["V1", "end_date"])
    assert (fact.loc["V1", "months_paid"], fact.loc["V2", "months_paid"]) == (22, 0)
    # without a head there is nobody to compare with; the hand-built region's files are unchanged
    assert not fact.loc[["N1", "N2", "1", "2", "5", "6"], "end_imputed"].any()
    assert fact.loc["2", "months_paid"] == 32 and pd.isna(fact.loc["2", "end_date"])


def test_the_warehouse_ends_are_the_rule_of_the_spells_and_the_payments(fact):
    files = superseded_frames()["rgc_spells"].set_index("spell_id", drop=False)
    later = superseded_ends(files, EXTRACTION)
    assert later.notna().sum() == 5
    expected = pd.to_datetime(files["end_date"]).mask(later.notna(), later)
    ours = fact.reindex(files.index)
    pd.testing.assert_series_equal(
        ours["end_imputed"].astype(bool), later.notna(), check_names=False, check_index=False
    )
    pd.testing.assert_series_equal(
        pd.to_datetime(ours["end_date"]).astype("datetime64[ns]"),
        expected.astype("datetime64[ns]"),
        check_names=False,
        check_index=False,
    )
    pd.testing.assert_series_equal(
        ours["months_paid"].astype(int),
        months_paid(files, EXTRACTION),
        check_names=False,
        check_index=False,
    )


def test_indicators_do_not_run_a_superseded_file_to_the_reference_date(superseded):
    rows = superseded.execute("SELECT * FROM indicators WHERE person_key IN ('Y', 'U', 'X')").df()
    y = rows.set_index("person_key").loc["Y"]
    # January-August 2016 on the RGC, then off it: not 34 months and still paid at the reference date
    assert not bool(y["on_rgc_at_reference"])
    assert (y["months_on_rgc_36m"], y["current_rgc_spell_months"]) == (8, 0)
    assert (y["rgc_spells"], y["rgc_reentries"]) == (2, 0)  # the next file starts the month it ends
    risks = {
        r[0]
        for r in superseded.execute(
            "SELECT situation_code FROM person_risk WHERE person_key = 'Y'"
        ).fetchall()
    }
    assert "LONG_RGC" not in risks
    x = rows.set_index("person_key").loc["X"]
    assert not bool(x["on_rgc_at_reference"]) and x["months_on_rgc_36m"] == 8  # November 2015 - June 2016
    u = rows.set_index("person_key").loc["U"]
    assert (
        bool(u["on_rgc_at_reference"]) and u["current_rgc_spell_months"] == 30
    )  # the later file, May 2016 on
