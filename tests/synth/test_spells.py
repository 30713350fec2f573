"""RGC spells: structure, codes, dates, re-entries, members and recovery of the true hazard model."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pact_analysis import codebook
from pact_analysis.synth import spells
from tests.synth.outcomes_fixtures import frames, project_params

N = 3000


@pytest.fixture(scope="module")
def region():
    return frames(N)


def test_spell_columns_and_ids(region):
    s = region["spells"]
    assert list(s.columns) == spells.SPELL_COLUMNS
    assert s["spell_id"].is_unique and s["file_id"].is_unique
    assert len(s) > 200
    heads = spells.rgc_heads(region["persons"])
    assert set(s["person_id"]) <= set(heads["person_id"])


def test_codes_and_censoring(region):
    s = region["spells"]
    allowed = set(codebook.codes("rgc_exit")) - {"IMV"}
    assert set(s["exit_reason"].dropna()) == allowed
    assert (s["censored"] == s["end_date"].isna()).all()
    assert (s["censored"] == s["exit_reason"].isna()).all()
    assert set(s["household_type"]) <= set(codebook.codes("household_type"))


def test_dates_within_period(region):
    s, params = region["spells"], region["params"]
    start = pd.Timestamp(params["synthetic"]["start_date"])
    extraction = pd.Timestamp(params["data"]["extraction_date"])
    assert (s["start_date"] >= start).all() and (s["start_date"] <= extraction).all()
    ended = s.dropna(subset=["end_date"])
    assert (ended["end_date"] > ended["start_date"]).all()
    assert (ended["end_date"] <= extraction).all()


def test_spells_of_a_head_are_numbered_and_do_not_overlap(region):
    s = region["spells"].sort_values(["person_id", "start_date"])
    numbers = s.groupby("person_id")["spell_number"].apply(list)
    assert all(n == list(range(1, len(n) + 1)) for n in numbers)
    previous_end = s.groupby("person_id")["end_date"].shift()
    later = previous_end.notna()
    assert (s.loc[later, "start_date"] > previous_end[later]).all()
    assert s.loc[s["spell_number"] > 1, "prior_imi"].eq(False).all()
    imi = region["true_spells"].loc[region["true_spells"]["prior_imi"]]
    window = pd.Timestamp(region["params"]["synthetic"]["start_date"])
    assert len(imi) > 0 and (imi["start_date"] <= window).all()
    assert (imi["start_date"] < window).mean() > 0.9, "inherited files began before the RGC"
    earliest = pd.Timestamp(codebook.load()["period"]["earliest_event"])
    assert (imi["start_date"] >= earliest).all(), "no event before the study calendar (PII scan)"


def test_left_truncated_spells_outlive_the_window_start_and_record_it(region):
    s, params = region["true_spells"], region["params"]
    seen = region["spells"]  # what the other registries see: from the window's first day
    assert (seen["start_date"] >= pd.Timestamp(params["synthetic"]["start_date"])).all()
    window = pd.Timestamp(params["synthetic"]["start_date"])
    truncated = s.loc[s["truncation_months"] > 0]
    assert len(truncated) > 0 and truncated["prior_imi"].all()
    assert ((s["truncation_months"] > 0) == (s["start_date"] < window)).all()
    months = (window - truncated["start_date"]).dt.days / spells.DAYS_PER_MONTH
    assert np.allclose(truncated["truncation_months"], months)
    ended = truncated.dropna(subset=["end_date"])
    assert (ended["end_date"] > window).all(), "a spell that ended before the window is not in the registry"


def test_truncated_draw_is_the_conditional_weibull():
    from scipy import stats

    design = pd.DataFrame(0.0, index=range(20000), columns=list(spells.COVARIATES))
    model = spells.hazard_model(project_params())
    profiles = np.full(len(design), "stayer")
    rate = spells.cause_rates(design, profiles, model).sum(axis=1)[0]
    a = 10.0
    months, _ = spells.draw_exits(design, profiles, model, np.random.default_rng(3), np.full(len(design), a))
    assert (months > a).all()
    k = model["shape"]
    # given T > a, H(T) - H(a) = rate * (T**k - a**k) is standard exponential
    assert stats.kstest(rate * (months**k - a**k), "expon").pvalue > 0.01


def test_administrative_files_split_episodes_a_few_days_apart(region):
    s, params = region["true_spells"], region["params"]
    out = spells.administrative_files(s, region["persons"], params, np.random.default_rng(2))
    files, counts = out["files"], out["counts"]
    assert len(files) == len(s) + counts["interruptions"] and counts["interruptions"] > 0
    assert files["spell_id"].is_unique and files["file_id"].is_unique
    assert set(s["spell_id"]) <= set(files["spell_id"])
    split = (
        files.groupby("episode_id").filter(lambda g: len(g) == 2).sort_values(["episode_id", "start_date"])
    )
    one, two = split.iloc[::2].reset_index(), split.iloc[1::2].reset_index()
    gap = (two["start_date"] - one["end_date"]).dt.days
    low, high = spells.INTERRUPTION_DAYS
    assert gap.between(low, high).all()
    assert one["end_date"].notna().all() and one["exit_reason"].isin(spells.MAIN_CAUSES).all()
    truth = s.set_index("spell_id").loc[two["episode_id"]]
    assert (two["end_date"].to_numpy() == truth["end_date"].to_numpy()).sum() + two[
        "end_date"
    ].isna().sum() == len(two)
    assert counts["open_last_files"] == int(two["end_date"].isna().sum()) > 0
    assert set(out["members"]["file_id"]) == set(files["file_id"])


def test_reentries_follow_job_or_sanction_exits(region):
    s = region["spells"].sort_values(["person_id", "start_date"])
    before = s.groupby("person_id")["exit_reason"].shift()
    assert set(before[s["spell_number"] > 1]) <= {"JOB_INCOME", "NON_COMPLIANCE"}
    assert (s["spell_number"] > 1).sum() > 0.1 * s["person_id"].nunique()
    # a re-entry is never within the merge rule's month (it would be read as the same episode)
    gap = (s["start_date"] - s.groupby("person_id")["end_date"].shift()).dt.days
    assert gap[s["spell_number"] > 1].min() >= 31


def test_members_one_head_per_file(region):
    m, s = region["members"], region["spells"]
    assert list(m.columns) == ["file_id", "person_id", "role", "start_date"]
    assert set(m["role"]) == {"HEAD", "MEMBER"}
    heads = m.loc[m["role"] == "HEAD"]
    assert heads["file_id"].is_unique and set(heads["file_id"]) == set(s["file_id"])
    household = region["persons"].set_index("person_id")["household_id"]
    file_household = s.set_index("file_id")["household_id"]
    assert (household.loc[m["person_id"]].to_numpy() == file_household.loc[m["file_id"]].to_numpy()).all()


def test_amounts_positive_and_bounded(region):
    amount = region["spells"]["monthly_amount_eur"]
    cfg = region["params"]["synthetic"]["rgc"]
    assert (amount > 0).all() and (amount <= cfg["amount_max_eur"]).all()


def _legal_cap(start: pd.Series) -> pd.Series:
    """130% of the monthly IPREM of each start year (codebook ``iprem``)."""
    return start.dt.year.map(lambda y: round(1.3 * codebook.iprem(int(y))[1], 2))


def test_no_amount_exceeds_the_legal_maximum_of_its_start_year(region):
    s = region["spells"]
    assert (s["monthly_amount_eur"] <= _legal_cap(s["start_date"])).all()
    cfg = region["params"]["synthetic"]["rgc"]
    assert cfg["amount_max_eur"] <= 692.26, "the lowest legal maximum of the period (IPREM 532.51)"
    assert cfg["amount_base_eur"] <= round(0.8 * codebook.iprem(2011)[1], 2), "80% of the IPREM"


def test_the_legal_maximum_binds_whatever_the_parameters():
    heads = pd.DataFrame({"household_size": [1, 9, 9, 9]})
    params = project_params()
    params["synthetic"]["rgc"] = params["synthetic"]["rgc"] | {"amount_max_eur": 900}
    start = np.array(["2013-05-01", "2013-05-01", "2017-05-01", "2023-05-01"], dtype="datetime64[D]")
    got = spells.monthly_amount(heads, np.zeros(4, bool), params, np.random.default_rng(1), start)
    base = params["synthetic"]["rgc"]["amount_base_eur"]
    assert got.tolist() == [base, 692.26, 699.19, 780.0]
    assert spells.legal_maximum(start).tolist() == [692.26, 692.26, 699.19, 780.0]


def test_hazard_is_json_and_complete(region):
    hazard = region["hazard"]
    text = json.dumps(hazard, sort_keys=True)
    assert json.loads(text) == hazard
    assert set(hazard["coefficients"]) == set(spells.CAUSES)
    assert set(hazard["coefficients"]["JOB_INCOME"]) == set(spells.COVARIATES)
    assert (
        hazard["coefficients"]["JOB_INCOME"]["lone_parent"]
        == project_params()["synthetic"]["effects"]["lone_parent"]
    )
    assert set(hazard["profile_log_frailty"]["NON_COMPLIANCE"]) == set(spells.RGC_PROFILES)


def test_same_seed_same_spells():
    params = project_params()
    persons = frames(N)["persons"]
    a = spells.simulate_rgc(persons, params, np.random.default_rng(5))
    b = spells.simulate_rgc(persons, params, np.random.default_rng(5))
    pd.testing.assert_frame_equal(a["spells"], b["spells"])
    pd.testing.assert_frame_equal(a["members"], b["members"])


def _homogeneous_heads(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Heads of one profile with independent covariates (no frailty differences to confound)."""
    return pd.DataFrame(
        {
            "person_id": [f"P{i:07d}" for i in range(n)],
            "household_id": [f"H{i:07d}" for i in range(n)],
            "is_head": True,
            "profile": "leaver",
            "birth_date": pd.Timestamp("1970-01-01")
            - pd.to_timedelta(rng.integers(-8000, 8000, n), unit="D"),
            "nationality": rng.choice(["ES", "MAGHREB"], n, p=[0.8, 0.2]),
            "naturalisation_date": pd.NaT,
            "education": rng.choice(["PRIMARY", "UPPER_SEC"], n),
            "disability_pct": np.where(rng.random(n) < 0.2, 45, 0),
            "household_type": rng.choice(["SINGLE", "LONE_PARENT"], n),
            "household_size": 1,
            "ceas_code": "47U03",
            "employability": rng.normal(0, 1, n),
            "resilience": rng.normal(0, 1, n),
        }
    )


def test_cox_model_recovers_true_job_exit_coefficients():
    lifelines = pytest.importorskip("lifelines")
    params = project_params()
    rng = np.random.default_rng(3)
    heads = _homogeneous_heads(12000, rng)
    out = spells.simulate_rgc(heads, params, rng)
    first = out["spells"].loc[lambda d: d["spell_number"] == 1].merge(heads, on="person_id")
    extraction = pd.Timestamp(params["data"]["extraction_date"])
    data = pd.DataFrame(
        {
            "months": ((first["end_date"].fillna(extraction) - first["start_date"]).dt.days / 30.4375),
            "event": (first["exit_reason"] == "JOB_INCOME").astype(int),
            "employability": first["employability"],
            "resilience": first["resilience"],
            "lone_parent": (first["household_type_x"] == "LONE_PARENT").astype(float),
            "disability": (first["disability_pct"] >= 33).astype(float),
            "recent_employment": first["recent_employment"].astype(float),
            "no_work_income": (~first["work_income"]).astype(float),
            "age_per_decade": (first["start_date"] - first["birth_date"]).dt.days / 3652.5,
        }
    )
    fit = lifelines.CoxPHFitter().fit(data, "months", "event")
    truth = out["hazard"]["coefficients"]["JOB_INCOME"]
    for name in [
        "employability",
        "resilience",
        "lone_parent",
        "disability",
        "recent_employment",
        "no_work_income",
        "age_per_decade",
    ]:
        assert fit.params_[name] == pytest.approx(truth[name], abs=0.12), name
