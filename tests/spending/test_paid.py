"""Spending paid: exact reconciliation with the benefit registry, disclosure of small sums, the last full
year and overlapping files."""

from __future__ import annotations

import pandas as pd
import pytest

from pact_analysis import chronicity as ch
from pact_analysis import disclosure
from pact_analysis import spending as sp
from pact_analysis.errors import StageError
from pact_analysis.params import load_params
from tests.spending.helpers import EXTRACTION, benefit_files

pytestmark = pytest.mark.xdist_group("tiny_region")


def test_months_paid_counts_first_and_last_month_and_stops_at_the_extraction():
    files = benefit_files(
        [
            ("a", "2018-01-15", "2018-03-02", 500.0),  # Jan, Feb, Mar
            ("b", "2018-10-01", None, 400.0),  # still paid: October only
            ("c", "2018-09-20", "2019-05-01", 300.0),  # ends after the extraction: Sep, Oct
        ]
    )
    assert sp.months_paid(files, EXTRACTION).tolist() == [3, 1, 2]
    assert sp.registry_total(files, EXTRACTION) == 3 * 500 + 400 + 2 * 300


def _independent_head_months(spells: pd.DataFrame, extraction: pd.Timestamp) -> dict:
    """``(head, month) -> (file start, amount, files)``, one calendar-month period range per file: the
    file begun last sets the amount (the larger on the same day)."""
    months: dict[tuple, tuple] = {}
    starts: dict = {}
    for head, start in spells[["person_key", "start_date"]].itertuples(index=False):
        if not pd.isna(head):
            starts.setdefault(head, set()).add(start)
    for file_id, head, start, end, amount in spells[
        ["file_id", "person_key", "start_date", "end_date", "monthly_amount_eur"]
    ].itertuples(index=False):
        later = (
            sorted(d for d in starts.get(head, ()) if start < d <= extraction) if not pd.isna(head) else []
        )
        if (
            pd.isna(end) or end > extraction
        ) and later:  # an open file is not paid past the start of the head's next file
            end = later[0]
        last = extraction if pd.isna(end) or end > extraction else end
        for month in pd.period_range(start.to_period("M"), last.to_period("M"), freq="M"):
            key = (file_id if pd.isna(head) else head, month)
            before = months.get(key, (pd.Timestamp.min, -1.0, 0))
            files = before[2] + 1
            months[key] = (*max(before[:2], (start, amount)), files)
    return months


def test_spending_reconciles_exactly_with_the_benefit_registry(tiny_project):
    """The same total computed independently, each head paid once a month."""
    params = load_params(tiny_project.params)
    tables = ch.load_tables(tiny_project.processed, ("rgc_spells", "rgc_members", "persons", "ceas"))
    spells = tables["rgc_spells"]
    extraction = pd.Timestamp(params["data"]["extraction_date"])
    months = _independent_head_months(spells, extraction)
    independent = sum(amount for _, amount, _ in months.values())
    paid = sp.payments(spells, extraction, tables["ceas"], ch.build_spells(tables, params))
    yearly = sp.yearly_spending(paid)
    assert independent > 0
    assert paid["amount_eur"].sum() == pytest.approx(independent, rel=1e-12)
    assert sp.registry_total(spells, extraction) == pytest.approx(independent, rel=1e-12)
    assert yearly["spending_eur"].sum() == pytest.approx(independent, rel=1e-12)
    assert sp.spending_by(paid, "province_code")["spending_eur"].sum() == pytest.approx(
        independent, rel=1e-12
    )
    assert yearly["months"].sum() == len(months)
    assert paid["spell_month"].min() == 1
    assert 0 < yearly["chronic_share"].max() < 1


def test_a_nested_file_does_not_pay_its_head_twice():
    """The referee's case: S2 nested in S1, both at 500 a month: 500 (not 1,000) from March to June."""
    files = benefit_files(
        [("a", "2013-01-01", "2016-01-01", 500.0), ("a", "2013-03-01", "2013-06-01", 500.0)]
    )
    episodes = pd.DataFrame({"person_key": ["a"], "start_date": pd.to_datetime(["2013-01-01"])})
    paid = sp.payments(files, EXTRACTION, episodes=episodes)
    by_month = paid.groupby("month")["amount_eur"].sum()
    assert (by_month == 500.0).all() and len(by_month) == 37
    assert sp.overlapping_head_months(paid) == 4
    assert paid["spell_month"].tolist() == list(range(1, 38)), "one row per month of the episode"
    assert sp.registry_total(files, EXTRACTION) == 37 * 500.0


def test_an_open_file_superseded_by_a_later_file_is_paid_until_that_file_starts():
    """The rule of the spells: an open file ends where the head's next later file starts, so it is not
    paid to the extraction alongside (and after) the later file."""
    files = benefit_files(
        [
            ("a", "2014-01-01", None, 400.0),
            ("a", "2015-03-10", "2015-08-31", 600.0),
            ("b", "2018-01-01", None, 300.0),
        ]
    )
    assert sp.months_paid(files, EXTRACTION).tolist() == [15, 6, 10]
    paid = sp.payments(files, EXTRACTION).set_index(["person_key", "month"])["amount_eur"]
    assert paid.loc[("a", pd.Timestamp("2015-03-01"))] == 600.0  # the month both pay: paid once
    assert paid.loc["a"].index.max() == pd.Timestamp("2015-08-01")
    assert sp.registry_total(files, EXTRACTION) == 14 * 400.0 + 6 * 600.0 + 10 * 300.0


def test_concurrent_files_pay_the_amount_of_the_file_begun_last():
    files = benefit_files(
        [("a", "2016-01-01", "2016-12-31", 400.0), ("a", "2016-06-10", "2016-08-31", 600.0)]
    )
    paid = sp.payments(files, EXTRACTION).set_index("month")
    assert paid.loc["2016-05-01", "amount_eur"] == 400.0 and paid.loc["2016-06-01", "amount_eur"] == 600.0
    assert paid.loc["2016-09-01", "amount_eur"] == 400.0, "the outer file resumes once the later one ends"
    assert paid.loc["2016-07-01", "file_id"] == "F1" and paid.loc["2016-07-01", "files"] == 2
    assert paid["amount_eur"].sum() == 9 * 400.0 + 3 * 600.0


def test_spell_month_counts_from_the_start_of_the_merged_episode():
    files = benefit_files(
        [("a", "2015-01-10", "2015-06-20", 500.0), ("a", "2015-07-05", "2015-08-10", 500.0)]
    )
    episodes = pd.DataFrame({"person_key": ["a"], "start_date": pd.to_datetime(["2015-01-10"])})
    paid = sp.payments(files, EXTRACTION, episodes=episodes)
    assert paid.loc[paid["file_id"] == "F1", "spell_month"].tolist() == [7, 8]
    alone = sp.payments(files, EXTRACTION)
    assert alone.loc[alone["file_id"] == "F1", "spell_month"].tolist() == [1, 2]


def test_small_groups_fold_until_the_folded_row_is_publishable():
    persons = pd.Series({"a": 3, "b": 4, "c": 20, "d": 50})
    assert sp.small_groups(persons, 10) == ["a", "b", "c"]
    assert sp.small_groups(pd.Series({"a": 6, "b": 5, "c": 40}), 10) == ["b", "a"]
    assert sp.small_groups(pd.Series({"a": 12, "b": 30}), 10) == []


def test_no_published_spending_sum_covers_fewer_than_min_cell_persons():
    rows = [(f"p{i}", "2016-01-01", "2016-12-31", 500.0) for i in range(30)]
    files = benefit_files(rows)
    files.loc[:2, "ceas_code"] = "SMALL"  # 3 persons
    table = sp.spending_by_folded(sp.payments(files, EXTRACTION), "ceas_code", 10)
    assert "SMALL" not in table.index and (table["persons"] >= 10).all()
    assert table["spending_eur"].sum() == pytest.approx(30 * 12 * 500.0)


def test_spending_crosstab_published_behind_its_persons_hides_small_cells_and_complements():
    rows = [(f"p{i}", "2016-01-01", "2017-12-31", 100.0) for i in range(40)]
    files = benefit_files(rows)
    files["ceas_code"] = ["A"] * 20 + ["B"] * 17 + ["C"] * 3
    money, persons = sp.spending_crosstab(sp.payments(files, EXTRACTION), "ceas_code", "year")
    assert persons.loc["C"].tolist() == [3, 3] and money.loc["A", 2016] == pytest.approx(20 * 12 * 100.0)
    protected = disclosure.protect_by(money, persons, 10)
    hidden = protected.table == disclosure.SUPPRESSED
    assert hidden.loc["C"].all(), "3 persons: suppressed"
    assert hidden.sum().sum() >= 4, "a lone suppressed cell per column would be recoverable from the total"
    assert not hidden.loc["A"].all()
    assert (protected.primary, protected.primary + protected.secondary) == (2, int(hidden.sum().sum()))


@pytest.mark.parametrize(
    ("extraction", "expected"),
    [("2018-12-15", 2017), ("2018-12-31", 2018), ("2019-01-01", 2018), ("2018-10-31", 2017)],
)
def test_a_year_is_full_only_once_the_extraction_reaches_its_31_december(extraction, expected):
    """A file still paid at a mid-December extraction pays December: 12 months, but not a full year."""
    paid = sp.payments(benefit_files([("a", "2016-01-01", None, 500.0)]), extraction)
    yearly = sp.yearly_spending(paid)
    assert yearly.loc[2018, "months_covered"] == (12 if extraction >= "2018-12" else 10)
    assert sp.last_full_year(yearly, extraction) == expected


def test_a_year_begun_late_in_the_data_is_not_full():
    paid = sp.payments(benefit_files([("a", "2015-03-01", None, 500.0)]), "2016-12-31")
    assert sp.last_full_year(sp.yearly_spending(paid), "2016-12-31") == 2016
    with pytest.raises(StageError, match="no full calendar year"):
        sp.last_full_year(sp.yearly_spending(paid), "2016-06-30")


def test_no_full_year_is_a_stage_error_not_a_nan():
    paid = sp.payments(benefit_files([("a", "2018-01-01", None, 500.0)]), EXTRACTION)
    with pytest.raises(StageError, match="no full calendar year.*2018-10-31"):
        sp.last_full_year(sp.yearly_spending(paid), EXTRACTION)


def test_overlapping_files_of_one_head_are_counted_per_head_month():
    files = benefit_files(
        [
            ("a", "2016-01-01", "2016-03-31", 500.0),
            ("a", "2016-03-01", "2016-05-31", 500.0),  # March twice: 1 head-month
            ("a", "2016-03-15", "2016-03-20", 100.0),  # a third file in March: still 1 head-month
            ("b", "2016-01-01", "2016-02-29", 500.0),
            ("b", "2016-03-01", "2016-04-30", 500.0),  # back to back: none
            ("c", "2016-01-10", "2016-01-20", 500.0),
            ("c", "2016-01-25", "2016-02-10", 500.0),  # both pay January: 1 head-month
            ("d", "2016-01-01", "2016-05-31", 500.0),  # another head in the same months: none
            (None, "2016-01-01", "2016-05-31", 500.0),
            (None, "2016-01-01", "2016-05-31", 500.0),  # unlinked files are heads of their own
        ]
    )
    paid = sp.payments(files, EXTRACTION)
    assert sp.overlapping_head_months(paid) == 2
    # a: Jan, Feb, Apr, May at 500 and March at 100 (begun last); c: January once; b, d, unlinked: all
    assert paid["amount_eur"].sum() == 4 * 500 + 100 + 4 * 500 + 2 * 500 + 5 * 500 + 2 * 5 * 500
    assert paid["amount_eur"].sum() == sp.registry_total(files, EXTRACTION), "one total, one computation"


def test_a_duplicated_spell_of_one_file_counts_as_overlapping_head_months():
    files = benefit_files(
        [("a", "2016-01-01", "2016-03-31", 500.0), ("b", "2016-01-01", "2016-02-29", 500.0)]
    )
    files = pd.concat([files, files.iloc[[0]]], ignore_index=True)  # file F0 paid twice, same spell
    paid = sp.payments(files, EXTRACTION)
    assert (paid["file_id"] == "F0").sum() == 3, "paid once a month"
    assert sp.overlapping_head_months(paid) == 3, "January to March of head a, each held twice"


def test_overlapping_head_months_on_the_tiny_region_match_an_independent_count(tiny_project):
    params = load_params(tiny_project.params)
    spells = ch.load_tables(tiny_project.processed, ("rgc_spells",))["rgc_spells"]
    extraction = pd.Timestamp(params["data"]["extraction_date"])
    independent = sum(files > 1 for *_, files in _independent_head_months(spells, extraction).values())
    assert sp.overlapping_head_months(sp.payments(spells, extraction)) == independent


def test_spells_and_payments_share_the_end_rule_around_the_extraction_date():
    """A file ending after the extraction was open then: superseded by a later file like any open
    file. A file begun after the extraction supersedes nothing."""
    files = benefit_files(
        [
            ("a", "2016-01-01", "2019-06-30", 400.0),
            ("a", "2017-05-01", "2017-12-31", 600.0),
            ("b", "2017-01-01", None, 300.0),
            ("b", "2018-12-01", None, 500.0),
        ]
    ).assign(
        exit_reason=[None, "JOB_INCOME", None, None],
        spell_id=lambda d: d["file_id"],
        prior_imi=False,
        household_type="SINGLE",
        household_size=1,
    )
    params = {"data": {"extraction_date": EXTRACTION}, "synthetic": {"start_date": "2011-01-01"}}
    spells = ch.build_spells({"rgc_spells": files, "rgc_members": files[[]]}, params)
    paid = sp.payments(files, EXTRACTION).groupby("person_key")["month"].max()
    a = spells.loc[spells["person_key"] == "a"]
    assert a["exit_date"].max() == pd.Timestamp("2017-12-31")  # the job exit ends a's receipt
    assert paid["a"] == pd.Timestamp("2017-12-01")  # and its payments, in the same month
    b = spells.loc[spells["person_key"] == "b"]
    assert len(b) == 1 and not b["event"].any()  # still paid at the extraction
    assert paid["b"] == pd.Timestamp("2018-10-01")


def _two_provinces() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Paid months of 2017 in two provinces: P1 holds A (30 heads), B (20) and C (5); P2 holds D (30),
    E (6) and F (5). The small CEAS C, E and F fold into "other" together (16 heads), and P2's total
    minus D covers E and F (11 heads), but P1's total minus A and B is C alone."""
    sizes = {"A": 30, "B": 20, "C": 5, "D": 30, "E": 6, "F": 5}
    rows, codes = [], []
    for code, n in sizes.items():
        rows += [(f"{code}{i}", "2017-01-01", "2017-12-31", 400.0 + 7 * i) for i in range(n)]
        codes += [code] * n
    files = benefit_files(rows)
    files["ceas_code"] = codes
    ceas = pd.DataFrame({"ceas_code": list(sizes), "province_code": ["P1"] * 3 + ["P2"] * 3})
    return sp.payments(files, EXTRACTION, ceas), ceas


def test_a_province_total_minus_its_published_ceas_would_give_away_one_small_ceas():
    paid, _ = _two_provinces()
    folded = sp.small_groups(paid.groupby("ceas_code")["person_key"].nunique(), 10)
    assert sorted(folded) == ["C", "E", "F"]
    assert sp.exposed_remainders(paid, "ceas_code", "province_code", folded, 10) == ["P1"]
    assert sp.exposed_remainders(paid, "ceas_code", "province_code", ["C", "B", "E", "F"], 10) == []


def test_no_province_total_minus_the_published_ceas_discloses_a_ceas_or_few_heads():
    paid, ceas = _two_provinces()
    where = sp.where_paid(paid, 2017, 10, 24, {"P1": "P1", "P2": "P2"})
    shown = where["by_ceas"].drop(index=sp.OTHER, errors="ignore")
    for province, total in where["by_province"][2017].items():
        members = ceas.loc[ceas["province_code"] == province, "ceas_code"]
        hidden = members[~members.isin(shown.index)]
        remainder = total - shown["spending_eur"].reindex(members).sum()
        if hidden.empty:
            assert remainder == pytest.approx(0.0)
            continue
        heads = paid.loc[paid["ceas_code"].isin(hidden), "person_key"].nunique()
        assert len(hidden) >= 2 or len(hidden) == len(members), f"{province}: one CEAS recoverable"
        assert heads >= 10 or len(hidden) == len(members), f"{province}: {heads} heads"
    assert "C" not in shown.index and "B" not in shown.index, "P1's smallest shown CEAS folded with C"
    assert where["by_ceas"]["spending_eur"].sum() == pytest.approx(paid["amount_eur"].sum())


def _heads(band: str, chronic: int, other: int, first: int) -> list[dict]:
    """Heads of a band paid one month each, ``chronic`` of them beyond month 24."""
    return [
        {
            "person_key": f"h{first + k}",
            "band": band,
            "amount_eur": 500.0 + k,
            "spell_month": 30 if k < chronic else 2,
        }
        for k in range(chronic + other)
    ]


def test_a_chronic_share_paid_to_fewer_than_the_minimum_is_not_published():
    """Share x spending gives the sum paid to the chronic (or the other) heads: a part of 1-9 heads
    is hidden, so is a group whose persons are hidden, and the hidden groups together hold at least
    10 heads in each part (the groups add up to the year)."""
    from pact_analysis.disclosure import SUPPRESSED

    rows = (
        _heads("b", 1, 29, 0) + _heads("c", 25, 5, 100) + _heads("a", 15, 15, 200) + _heads("d", 20, 20, 300)
    )
    rows += _heads("f", 2, 3, 400)
    table = sp.spending_by(pd.DataFrame(rows), "band")
    assert table.loc["b", ["chronic_persons", "other_persons"]].tolist() == [1, 29]
    published = sp.protect_spending(table[["spending_eur", "persons", "chronic_share", *BEHIND]], 10)
    shares = published.table["chronic_share"]
    assert (shares[["b", "c", "f"]] == SUPPRESSED).all()  # 1 chronic; 5 other; 5 persons in all
    assert shares["a"] == pytest.approx(0.5, abs=0.02) and shares["d"] == pytest.approx(0.5, abs=0.02)
    assert published.derived == 3 and published.table.loc["f", "persons"] == SUPPRESSED
    assert not set(BEHIND) & set(published.table.columns)  # the heads behind are not published
    # alone, the hidden group would come back as the year's chronic spending minus the others
    alone = sp.spending_by(
        pd.DataFrame(_heads("b", 1, 29, 0) + _heads("a", 15, 15, 200) + _heads("d", 20, 25, 300)), "band"
    )
    shares = sp.protect_spending(alone[["spending_eur", "persons", "chronic_share", *BEHIND]], 10).table[
        "chronic_share"
    ]
    assert (shares == SUPPRESSED).sum() == 2 and shares["b"] == SUPPRESSED and shares["a"] == SUPPRESSED


BEHIND = ["chronic_persons", "other_persons"]
