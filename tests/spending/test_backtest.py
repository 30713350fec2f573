"""Backtest of the future-spending prediction: the data as known at an earlier date, what was then paid
on the episodes open at it, and a constructed registry with a known exit rate whose prediction made 24
months before the extraction matches both the exit rate and what was paid."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pact_analysis import chronicity as ch
from pact_analysis import spending as sp
from tests.spending.helpers import EXTRACTION, benefit_files

CUTOFF = "2016-10-31"
MEAN_MONTHS = 18.0  # known exit rate of the constructed registry: 1 / 18 a month, without memory
AMOUNT = 500.0
DAYS = 30.4375


def test_the_data_known_at_the_cutoff_drop_later_records_and_reopen_later_exits():
    files = benefit_files(
        [
            ("a", "2015-01-10", "2016-05-31", 400.0),  # ended before: kept as it is
            ("b", "2016-03-01", "2017-02-28", 450.0),  # ended after: open at the cut-off
            ("c", "2017-01-05", None, 500.0),  # began after: not known then
        ]
    ).assign(exit_reason=["JOB_INCOME", "JOB_INCOME", None])
    services = pd.DataFrame({"person_key": ["a", "b"], "date": pd.to_datetime(["2016-01-01", "2017-03-01"])})
    members = pd.DataFrame({"file_id": ["F0", "F1", "F2"], "person_key": ["a", "b", "c"], "role": "HEAD"})
    known = sp.known_at(
        {"rgc_spells": files, "sauss_interventions": services, "rgc_members": members}, CUTOFF
    )
    spells = known["rgc_spells"].set_index("person_key")
    assert list(spells.index) == ["a", "b"] and list(known["rgc_members"]["file_id"]) == ["F0", "F1"]
    assert (
        spells.loc["a", "end_date"] == pd.Timestamp("2016-05-31")
        and spells.loc["a", "exit_reason"] == "JOB_INCOME"
    )
    assert pd.isna(spells.loc["b", "end_date"]) and pd.isna(spells.loc["b", "exit_reason"])
    assert list(known["sauss_interventions"]["person_key"]) == ["a"]
    assert len(files) == 3 and files["end_date"].notna().sum() == 2, "the whole data are left as they were"


def test_the_observed_spending_is_paid_on_the_episode_open_at_the_cutoff_in_the_window():
    files = benefit_files(
        [
            ("a", "2016-01-01", "2017-03-15", 400.0),  # Nov 2016 .. Mar 2017 in the window: 5 months
            ("a", "2018-01-01", None, 999.0),  # a later episode of the same head: not predicted, not counted
            ("b", "2016-10-01", None, 300.0),  # Nov 2016 .. Oct 2018: 24 months
            ("c", "2017-02-01", None, 700.0),  # not a recipient at the cut-off
        ]
    )
    registry = files.assign(
        exit_reason=None,
        spell_id=files["file_id"],
        prior_imi=False,
        household_type="SINGLE",
        household_size=1,
    )
    episodes = ch.build_spells({"rgc_spells": registry}, {"data": {"extraction_date": EXTRACTION}})
    paid = sp.payments(files, EXTRACTION, None, episodes)
    current = pd.DataFrame(
        {"person_key": ["a", "b"], "start_date": pd.to_datetime(["2016-01-01", "2016-10-01"])}
    )
    assert sp.observed_spending(paid, current, CUTOFF, 24) == 5 * 400 + 24 * 300
    assert sp.observed_spending(paid, current, CUTOFF, 3) == 3 * 400 + 3 * 300


def _registry(n: int, seed: int) -> dict[str, pd.DataFrame]:
    """Heads entering uniformly from 2008 to the extraction, one file each, exits without memory."""
    rng = np.random.default_rng(seed)
    keys = [f"p{i}" for i in range(n)]
    start = pd.Timestamp("2008-01-01") + pd.to_timedelta(rng.uniform(0, 3900, n), unit="D")
    start = start.normalize()
    end = (start + pd.to_timedelta(rng.exponential(MEAN_MONTHS, n) * DAYS, unit="D")).normalize()
    spells = pd.DataFrame(
        {
            "person_key": keys,
            "spell_id": keys,
            "file_id": keys,
            "ceas_code": "C1",
            "start_date": start,
            "end_date": pd.Series(end).where(end <= pd.Timestamp(EXTRACTION)).to_numpy(),
            "exit_reason": np.where(end <= pd.Timestamp(EXTRACTION), "JOB_INCOME", None),
            "monthly_amount_eur": AMOUNT,
            "household_type": "SINGLE",
            "household_size": 1,
            "prior_imi": False,
        }
    )
    persons = pd.DataFrame(
        {
            "person_key": keys,
            "household_key": keys,
            "sex": rng.choice(["H", "M"], n),  # covariates that do not matter: the model must find ~0
            "birth_year": rng.integers(1950, 1995, n),
            "nationality": "ES",
            "province_code": "47",
            "education": "SECONDARY",
            "disability_pct": 0,
        }
    )
    empty = {  # no history of contracts, services or NGO contact
        "employment_episodes": pd.DataFrame(columns=["person_key", "episode_type", "start_date", "end_date"]),
        "sauss_interventions": pd.DataFrame(columns=["person_key", "date", "provision_code"]),
        "ngo_attention": pd.DataFrame(columns=["person_key", "date"]),
    }
    return {"rgc_spells": spells, "persons": persons} | {
        name: table.astype({"date" if "date" in table else "start_date": "datetime64[ns]"})
        for name, table in empty.items()
    }


@pytest.mark.parametrize("seed", [1, 2])
def test_the_backtest_on_a_registry_with_a_known_exit_rate_recovers_it_and_what_was_paid(seed):
    tables = _registry(4000, seed)
    params = {"data": {"extraction_date": EXTRACTION}, "synthetic": {"start_date": "2008-01-01"}}
    paid = sp.payments(tables["rgc_spells"], EXTRACTION, None, ch.build_spells(tables, params))
    result = sp.backtest(tables, paid, params, months=24, draws=200, seed=seed)
    assert result["cutoff"] == CUTOFF and result["months"] == 24
    # the known exit rate: every month paid while still receiving at its start (the first for sure)
    months = 1 + np.exp(-np.arange(1, 24) / MEAN_MONTHS).sum()
    assert result["predicted_eur"] == pytest.approx(result["persons"] * AMOUNT * months, rel=0.05)
    assert abs(result["relative_error"]) < 0.05
    assert result["relative_error"] == pytest.approx(result["predicted_eur"] / result["observed_eur"] - 1)
    assert result["inside"] and result["lower_eur"] < result["predicted_eur"] < result["upper_eur"]


def test_origins_need_their_history_and_the_whole_horizon_is_backtested_only_with_it():
    from pact_analysis.errors import StageError

    tables = _registry(600, 3)
    params = {"data": {"extraction_date": EXTRACTION}, "synthetic": {"start_date": "2008-01-01"}}
    paid = sp.payments(tables["rgc_spells"], EXTRACTION, None, ch.build_spells(tables, params))
    history = sp.history_months(tables, CUTOFF)
    first = pd.to_datetime(tables["rgc_spells"]["start_date"]).min()
    assert history == pytest.approx((pd.Timestamp(CUTOFF) - first).days / DAYS)
    # twelve origins a year apart reach back before the records: one message naming the parameter
    with pytest.raises(
        StageError,
        match=r"spending\.backtest_origins = 12 .*records begin on 2008-01-0.*backtest_min_history_months",
    ):
        sp.rolling_backtests(tables, paid, params, 24, 10, origins=12, step=12, least=24)
    whole = sp.horizon_backtest(tables, paid, params, 60, 10, least=24)
    assert whole["cutoff"] == "2013-10-31" and whole["months"] == 60
    assert whole["history_months"] == pytest.approx(sp.history_months(tables, "2013-10-31"))
    assert sp.horizon_backtest(tables, paid, params, 60, 10, least=int(whole["history_months"]) + 1) is None
