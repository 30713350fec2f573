"""Spending on households by the head's profile, on hand-made payments: heads without a profile are a
group of their own (folded like any other), the rows add up to the year, and too little coverage stops."""

from __future__ import annotations

import pandas as pd
import pytest

from pact_analysis import spending as sp
from pact_analysis.errors import StageError
from tests.spending.helpers import EXTRACTION, benefit_files


def _files(n: int) -> pd.DataFrame:
    """``n`` heads ``p0``.. paid EUR 500 a month through 2016, with 100 more in 2017 for head 0."""
    rows = [(f"p{i}", "2016-01-01", "2016-12-31", 500.0) for i in range(n)]
    return benefit_files([*rows, ("p0", "2017-01-01", "2017-02-28", 100.0)])


def _paid(n: int = 45) -> pd.DataFrame:
    return sp.payments(_files(n), EXTRACTION)


def _profiles(profiles: list[int], first: int = 0) -> pd.DataFrame:
    keys = [f"p{first + i}" for i in range(len(profiles))]
    return pd.DataFrame({"person_key": keys, "profile": profiles})


def _year_total(paid: pd.DataFrame, year: int = 2016) -> float:
    return float(sp.yearly_spending(paid).loc[year, "spending_eur"])


def test_spending_by_profile_folds_small_profiles_and_adds_up():
    profiles = _profiles([1] * 30 + [2] * 12 + [3] * 3)
    table = sp.spending_by_profile(_paid(), profiles, 2016, min_cell=10)
    assert list(table.index) == ["1", sp.OTHER], "3 persons fold, then the next smallest to reach 10"
    assert table["persons"].tolist() == [30, 15]
    assert table["spending_eur"].sum() == pytest.approx(45 * 12 * 500.0)


def test_heads_without_a_profile_are_a_group_and_the_rows_add_up_to_the_years_total():
    """12 heads not profiled and 3 files without a linked head (counted under their file id)."""
    files = _files(57)
    files.loc[54:56, "person_key"] = None
    paid = sp.payments(files, EXTRACTION)
    profiles = _profiles([1] * 30 + [2] * 15)  # p0..p44; p45..p53 and the 3 unlinked files have none
    profiles.loc[len(profiles)] = ["p45", None]  # in persons.parquet, but without a profile
    table = sp.spending_by_profile(paid, profiles, 2016, min_cell=10)
    assert list(table.index) == ["1", "2", sp.NO_PROFILE]
    assert table.loc[sp.NO_PROFILE, "persons"] == 12
    assert table["spending_eur"].sum() == pytest.approx(_year_total(paid), rel=1e-12)
    assert table["persons"].sum() == sp.yearly_spending(paid).loc[2016, "persons"]
    coverage = sp.profile_coverage(paid, profiles, 2016)
    assert (coverage["heads"], coverage["heads_with_profile"]) == (57, 45)
    assert coverage["heads_share"] == pytest.approx(45 / 57)
    assert coverage["spending_share"] == pytest.approx(45 / 57)  # everybody is paid the same that year


def test_a_few_heads_without_a_profile_are_folded_like_any_small_group():
    paid = _paid(48)
    table = sp.spending_by_profile(paid, _profiles([1] * 30 + [2] * 15), 2016, min_cell=10)
    assert list(table.index) == ["1", sp.OTHER], "3 heads without a profile fold, then profile 2"
    assert table.loc[sp.OTHER, "persons"] == 18
    assert table["spending_eur"].sum() == pytest.approx(_year_total(paid), rel=1e-12)


def test_a_year_whose_every_group_is_small_is_blanked_not_published():
    paid = _paid(8)
    table = sp.spending_by_profile(paid, _profiles([1] * 5 + [2] * 3), 2016, min_cell=10)
    assert table["spending_eur"].isna().all()


@pytest.mark.parametrize(("profiled", "fails"), [(22, True), (23, False)])
def test_fewer_than_half_the_heads_with_a_profile_stops_naming_the_profiles(profiled, fails):
    paid = _paid(45)  # 45 heads in 2016: 22 is under half, 23 over
    profiles = _profiles([1] * profiled)
    if not fails:
        table = sp.spending_by_profile(paid, profiles, 2016, min_cell=10)
        assert table.loc[sp.NO_PROFILE, "persons"] == 45 - profiled
        return
    with pytest.raises(StageError) as err:
        sp.spending_by_profile(paid, profiles, 2016, min_cell=10)
    assert "data/profiles/persons.parquet" in str(err.value) and "49%" in str(err.value)
    assert sp.MIN_PROFILE_COVERAGE == 0.5


def test_the_floor_is_on_the_heads_of_the_year_not_of_other_years():
    """Head 0 is the only one paid in 2017: 2017 is fully covered when p0 has a profile, not otherwise."""
    paid = _paid(45)
    assert sp.profile_coverage(paid, _profiles([1]), 2017)["heads_share"] == 1.0
    with pytest.raises(StageError, match="2017"):
        sp.spending_by_profile(paid, _profiles([1], first=1), 2017, min_cell=1)


def test_spending_by_profile_without_any_profiled_head_is_an_error():
    profiles = pd.DataFrame({"person_key": ["somebody_else"], "profile": [1]})
    with pytest.raises(StageError, match="has a profile"):
        sp.spending_by_profile(_paid(), profiles, 2016, min_cell=10)


def test_the_sentence_follows_the_rows_not_the_number_of_heads_without_a_profile():
    """10 heads without a profile reach min_cell but fold with a profile of 3: no share of theirs."""
    paid = _paid(43)
    profiles = _profiles([1] * 30 + [3] * 3)  # p33..p42 have no profile
    table = sp.spending_by_profile(paid, profiles, 2016, min_cell=10)
    coverage = sp.profile_coverage(paid, profiles, 2016)
    assert list(table.index) == ["1", sp.OTHER] and coverage["heads"] - coverage["heads_with_profile"] == 10
    assert sp.profile_text(table.index, coverage) == ".few"


def test_the_shares_without_a_profile_are_worded_only_when_no_profile_is_a_row():
    paid = _paid(57)
    profiles = _profiles([1] * 30 + [2] * 15)
    table = sp.spending_by_profile(paid, profiles, 2016, min_cell=10)
    assert sp.NO_PROFILE in table.index
    assert sp.profile_text(table.index, sp.profile_coverage(paid, profiles, 2016)) == ""
    everyone = _profiles([1] * 30 + [2] * 27)
    table = sp.spending_by_profile(paid, everyone, 2016, min_cell=10)
    assert sp.profile_text(table.index, sp.profile_coverage(paid, everyone, 2016)) == ".all"
    assert set(sp.PROFILE_TEXTS) == {"", ".few", ".all"}
