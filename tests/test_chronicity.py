"""Chronicity statistics: the generic API against published answers, spells, truth and prediction."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.datasets import load_rossi
from lifelines.utils import concordance_index

from pact_analysis import chronicity as ch
from pact_analysis.config import load_params

pytestmark = pytest.mark.xdist_group("tiny_region")


#: Fewer boosting rounds and a fixed penalty: the tiny region checks wiring, not the candidates'
#: precision (the cross-validated penalty runs in the alerts tests).
LIGHT = {"boosting": {"max_iter": 20}, "logistic_C": 1.0}


@pytest.fixture(scope="module")
def rossi():
    data = load_rossi()
    return data, [c for c in data if c not in ("week", "arrest")]


@pytest.fixture(scope="module")
def tiny(tiny_project):
    params = load_params(tiny_project.params)
    tables = ch.load_tables(tiny_project.processed)
    return tiny_project, params, tables


# --- generic API on public data ------------------------------------------------------------------


def test_fit_cox_reproduces_rossi(rossi):
    data, covs = rossi
    table = ch.fit_cox(data, "week", "arrest", covs)
    assert list(table.columns[:5]) == ["coef", "se", "ci_lower", "ci_upper", "p"]
    assert round(table.loc["fin", "coef"], 3) == -0.379
    assert round(table.loc["age", "coef"], 3) == -0.057
    assert round(table.loc["prio", "coef"], 3) == 0.091
    assert round(table.loc["fin", "se"], 3) == 0.191
    breslow = ch.fit_cox(data, "week", "arrest", covs, ties="breslow")
    assert np.allclose(breslow["coef"], table["coef"], atol=0.005)


def test_fit_cox_robust_entry_and_strata(rossi):
    data, covs = rossi
    plain = ch.fit_cox(data, "week", "arrest", covs)
    clustered = ch.fit_cox(data.assign(id=np.arange(len(data)) // 2), "week", "arrest", covs, cluster="id")
    assert np.allclose(clustered["coef"], plain["coef"], atol=1e-6)  # same point estimates
    assert not np.allclose(clustered["se"], plain["se"], atol=1e-4)  # sandwich standard errors
    entry = ch.fit_cox(data.assign(t0=0.0), "week", "arrest", covs, entry="t0")
    assert np.allclose(entry["coef"], plain["coef"], atol=1e-6)
    late = data.assign(t0=np.where(np.arange(len(data)) % 3 == 0, 5.0, 0.0))
    late = late.loc[late["week"] > late["t0"]]
    truncated = ch.fit_cox(late, "week", "arrest", covs, entry="t0")
    assert not np.allclose(truncated["coef"], plain["coef"], atol=1e-4)


def test_fit_cox_cluster_errors_match_lifelines_without_ties_and_ignore_row_order(rossi):
    data, covs = rossi
    data = data.assign(household=np.arange(len(data)) // 3)
    untied = data.assign(week=data["week"] + np.arange(len(data)) * 1e-4)
    ours = ch.fit_cox(untied, "week", "arrest", covs, cluster="household")
    theirs = CoxPHFitter().fit(untied, "week", "arrest", cluster_col="household", robust=True)
    assert np.allclose(ours["coef"], theirs.params_[ours.index], atol=1e-6)
    assert np.allclose(ours["se"], theirs.standard_errors_[ours.index], rtol=1e-6)
    # with tied times the sandwich does not depend on the order of the rows
    tied = ch.fit_cox(data, "week", "arrest", covs, cluster="household")
    shuffled = ch.fit_cox(data.sample(frac=1.0, random_state=3), "week", "arrest", covs, cluster="household")
    assert np.allclose(tied[["coef", "se"]], shuffled[["coef", "se"]], rtol=1e-8)
    with pytest.raises(ValueError, match="penalizer"):
        ch.fit_cox(data, "week", "arrest", covs, cluster="household", penalizer=0.1)
    strat = ch.fit_cox(data, "week", "arrest", [c for c in covs if c != "wexp"], strata="wexp")
    assert "wexp" not in strat.index
    with pytest.raises(ValueError, match="ties"):
        ch.fit_cox(data, "week", "arrest", covs, ties="exact")


def test_fit_aft_rossi(rossi):
    data, covs = rossi
    weibull = ch.fit_aft(data, "week", "arrest", covs)
    assert weibull["log_likelihood"] == pytest.approx(-679.917, abs=1e-3)  # lifelines documentation
    assert weibull["table"].loc[("lambda_", "fin"), "coef"] == pytest.approx(0.272, abs=1e-3)
    # Weibull PH and AFT are the same model: beta_PH = -beta_AFT * shape (rho)
    rho = np.exp(weibull["table"].loc[("rho_", "Intercept"), "coef"])
    cox = ch.fit_cox(data, "week", "arrest", covs)
    assert -weibull["table"].loc[("lambda_", "prio"), "coef"] * rho == pytest.approx(
        cox.loc["prio", "coef"], abs=0.01
    )
    lognormal = ch.fit_aft(data, "week", "arrest", covs, distribution="lognormal")
    assert (
        np.isfinite(lognormal["log_likelihood"]) and lognormal["log_likelihood"] != weibull["log_likelihood"]
    )
    with pytest.raises(ValueError):
        ch.fit_aft(data, "week", "arrest", covs, distribution="gamma")


def test_cumulative_incidence_hand_example():
    data = pd.DataFrame({"t": [1.0, 2.0, 3.0, 4.0], "cause": ["a", "b", None, "a"]})
    cif = ch.cumulative_incidence(data, "t", "cause", times=[1, 2, 3, 4])
    a = cif.loc[cif["cause"] == "a", "cif"].to_numpy()
    b = cif.loc[cif["cause"] == "b", "cif"].to_numpy()
    # S: 3/4 after t=1, 1/2 after t=2; the last at-risk spell exits at 4 with S(4-) = 1/2
    assert np.allclose(a, [0.25, 0.25, 0.25, 0.75])
    assert np.allclose(b, [0.0, 0.25, 0.25, 0.25])


def test_cumulative_incidence_sums_with_km_to_one():
    rng = np.random.default_rng(1)
    n = 400
    t = rng.exponential(10, n)
    c = rng.exponential(25, n)
    cause = rng.choice([1, 2, 3], n, p=[0.5, 0.4, 0.1])
    data = pd.DataFrame({"time": np.minimum(t, c), "cause": np.where(t <= c, cause, 0)})
    grid = np.linspace(0.5, 30, 40)
    cif = ch.cumulative_incidence(data, "time", "cause", times=grid)
    total = cif.groupby("time")["cif"].sum().to_numpy()
    km = KaplanMeierFitter().fit(data["time"], data["cause"] > 0).survival_function_at_times(grid).to_numpy()
    assert np.allclose(total + km, 1.0, atol=1e-9)
    assert (cif["ci_lower"] <= cif["cif"] + 1e-12).all() and (cif["cif"] <= cif["ci_upper"] + 1e-12).all()


def test_concordance_matches_lifelines(rossi):
    data, _ = rossi
    risk = data["prio"] + 0.01 * data["age"]
    ours = ch.concordance(data["week"], data["arrest"], risk)
    assert ours == pytest.approx(concordance_index(data["week"], -risk, data["arrest"]), abs=1e-9)
    assert ch.concordance([1, 2, 3], [1, 1, 1], [3, 2, 1]) == 1.0
    assert ch.concordance([1, 2, 3], [1, 1, 1], [1, 2, 3]) == 0.0


def test_concordance_counts_ties_and_weights_as_lifelines():
    rng = np.random.default_rng(11)
    for _ in range(100):
        n = int(rng.integers(5, 80))
        time = rng.integers(0, 8, n).astype(float)  # many tied times, exits and censorings among them
        event = rng.random(n) < 0.6
        risk = rng.integers(0, 5, n).astype(float)  # many tied risks
        if event.any() and len(np.unique(time)) > 1:
            ours = ch.concordance(time, event, risk)
            assert ours == pytest.approx(concordance_index(time, -risk, event), abs=1e-12)
        weights = rng.integers(0, 4, n)
        rows = np.repeat(np.arange(n), weights)
        if event[rows].any() and len(np.unique(time[rows])) > 1:
            ours = ch.concordance(time, event, risk, weights=weights)
            expected = concordance_index(time[rows], -risk[rows], event[rows])
            assert ours == pytest.approx(expected, abs=1e-12)


def _validation_frame(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    time = np.minimum(rng.exponential(np.exp(1.0 + 0.8 * x) * 10), 21.0)
    censored = rng.random(n) < 0.2
    time = np.where(censored, rng.uniform(0, 21, n), time).round(1)
    frame = pd.DataFrame(
        {
            "time": time,
            "exited": (time < 21) & ~censored,
            "person_key": rng.integers(0, n // 2, n).astype(str),
        }
    )
    frame["still"] = (frame["time"] >= 21).astype(int)
    p = 1 / (1 + np.exp(-(x - 0.5 + rng.normal(0, 0.5, n))))
    return frame, p


def test_time_dependent_auc_matches_scikit_survival():
    from sksurv.metrics import cumulative_dynamic_auc
    from sksurv.util import Surv

    frame, p = _validation_frame(600, 4)
    train, _ = _validation_frame(800, 5)
    ours = ch.evaluate_predictions(frame, p, train=train, td_times=(5, 12), n_boot=0)["estimate"]
    expected, _ = cumulative_dynamic_auc(
        Surv.from_arrays(train["exited"], train["time"]),
        Surv.from_arrays(frame["exited"], frame["time"]),
        1 - p,
        [5, 12],
    )
    assert ours[["td_auc_5", "td_auc_12"]].to_numpy() == pytest.approx(expected, abs=1e-9)


def test_bootstrap_weights_equal_repeated_rows():
    frame, p = _validation_frame(500, 6)
    train, _ = _validation_frame(500, 7)
    weights = np.random.default_rng(8).integers(0, 3, len(frame))
    rows = np.repeat(np.arange(len(frame)), weights)
    weighted = ch._ValidationMetrics(frame, p, train, (5, 12))(weights)
    repeated = ch._ValidationMetrics(frame.iloc[rows], p[rows], train, (5, 12))()
    assert weighted == pytest.approx(repeated, abs=1e-6)


def test_calibration_recovers_slope():
    rng = np.random.default_rng(7)
    lp = rng.normal(0, 1.2, 20000)
    p = 1 / (1 + np.exp(-lp))
    y = rng.random(len(p)) < p
    good = ch.calibration(y, p)
    assert good["slope"] == pytest.approx(1.0, abs=0.06) and good["citl"] == pytest.approx(0.0, abs=0.05)
    extreme = ch.calibration(y, 1 / (1 + np.exp(-2 * lp)))
    assert extreme["slope"] == pytest.approx(0.5, abs=0.04)
    shifted = ch.calibration(y, 1 / (1 + np.exp(-(lp - 0.5))))
    assert shifted["citl"] == pytest.approx(0.5, abs=0.06)  # risk underestimated: positive intercept
    assert len(good["table"]) == 10 and good["table"]["n"].sum() == len(y)


def test_schoenfeld_flags_rossi_age_and_wexp(rossi):
    data, covs = rossi
    check = ch.schoenfeld_check(data, "week", "arrest", covs)
    assert set(check.index[check["violated"]]) == {"age", "wexp"}  # lifelines' documented result
    stratified = ch.schoenfeld_check(data, "week", "arrest", [c for c in covs if c != "wexp"], strata="wexp")
    assert "wexp" not in stratified.index


def test_kaplan_meier_by_group(rossi):
    data, _ = rossi
    km = ch.kaplan_meier(data, "week", "arrest", by="fin", at=(12, 24, 36))
    summary = km["summary"].set_index("group")
    direct = KaplanMeierFitter().fit(data.loc[data["fin"] == 1, "week"], data.loc[data["fin"] == 1, "arrest"])
    assert summary.loc[1, "still_24"] == pytest.approx(float(direct.survival_function_at_times(24).iloc[0]))
    assert summary["n"].sum() == len(data)
    assert summary["median"].isna().all()  # fewer than half re-arrested within the year
    s = summary.loc[0]
    assert s["still_12_lower"] <= s["still_12"] <= s["still_12_upper"]
    assert set(km["curves"].columns) >= {"group", "time", "survival", "ci_lower", "ci_upper", "at_risk"}


# --- spells from the processed tables -----------------------------------------------------------


def test_build_spells(tiny):
    paths, params, tables = tiny
    raw = tables["rgc_spells"]
    spells = ch.build_spells(tables, params)
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
    merged = ch.build_spells(tables, {**params, "chronicity": {"merge_gap_months": 10_000}})
    assert len(merged) == spells["person_key"].nunique() and merged["n_files"].sum() == len(raw)
    window = ch.build_spells(tables, {**params, "chronicity": {"observation_start": "2013-01-01"}})
    truncated = window.loc[window["entry"] > 0]
    assert len(truncated) and (truncated["entry"] < truncated["duration"]).all()
    assert (window["exit_date"] > pd.Timestamp("2013-01-01")).all()
    persons = ch.build_spells(tables, params, unit="person")
    assert len(persons) > len(spells) and set(persons["role"]) == {"HEAD", "MEMBER"}


def test_history_features_have_no_look_ahead(tiny):
    _, params, tables = tiny
    spells = ch.build_spells(tables, params)
    spells["landmark_date"] = spells["start_date"] + pd.Timedelta(days=91)
    before = ch.history_features(spells, tables, at="landmark_date")
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
    after = ch.history_features(spells, later, at="landmark_date")
    pd.testing.assert_frame_equal(before, after)
    assert before["services_before"].sum() > 0 and before["recent_employment"].sum() > 0


# --- validation against the truth ----------------------------------------------------------------


def test_true_covariate_cox_covers_truth(tiny):
    paths, params, _ = tiny
    table = ch.validate_against_truth(paths.truth, params)
    hazard = json.loads((paths.truth / "hazard.json").read_text())
    assert len(table) == 3 * (len(hazard["covariates"]) + 2)
    row = table.set_index(["cause", "covariate"]).loc[("JOB_INCOME", "employability")]
    assert row["true"] == hazard["coefficients"]["JOB_INCOME"]["employability"]
    # tiny region (about 650 spells, 30 care/moved exits): measured 38 of 39 intervals cover
    assert table.attrs["coverage"] >= 0.8


def test_oracle_formula():
    hazard = {
        "shape": 0.8,
        "baseline": {"A": 0.03, "B": 0.01},
        "coefficients": {"A": {"x": 0.5}, "B": {"x": 0.0}},
        "profile_log_frailty": {"A": {"p": 0.2}, "B": {"p": -0.1}},
        "covariates": {"x": "a covariate"},
    }
    design = pd.DataFrame({"x": [0.0, 1.0], "profile": ["p", "p"]})
    got = ch.oracle_still_receiving(design, hazard, landmark=3, horizon=24)
    rate = 0.03 * np.exp(np.array([0.0, 0.5]) + 0.2) + 0.01 * np.exp(-0.1)
    assert np.allclose(got, np.exp(-(24**0.8 - 3**0.8) * rate))


# --- the predictive model ------------------------------------------------------------------------


def test_predictive_validation_tiny(tiny):
    paths, params, _ = tiny
    light = {**params, "chronicity": {**params.get("chronicity", {}), **LIGHT}}
    result = ch.predictive_validation(paths.processed, light, truth=paths.truth, n_boot=5)
    lm, stack = result["landmark"], result["stack"]
    assert (lm["duration"] > 3).all() and set(lm["split"]) == {"develop", "validate"}
    assert (lm["months_on_spell"] == 3).all() and set(stack["months_on_spell"]) == {3, 6, 9, 12, 15, 18, 21}
    # the same window at every landmark: at month 12, still receiving at month 33
    at12 = stack.loc[stack["months_on_spell"] == 12]
    assert (at12["still"] == (at12["duration"] > 33)).all()
    assert result["deployed"].features == ch.predictors(params) and "foreign" not in ch.predictors(params)
    assert lm["p_deployed"].between(0, 1).all() and result["deployed"].recalibration[1] > 0
    assert (lm.loc[lm["split"] == "develop", "start_date"] < pd.Timestamp("2014-01-01")).all()
    assert lm["p_oracle"].notna().all()  # every processed spell maps to its true spell
    s = result["summary"]
    assert {
        "c_index",
        "oracle_c_index",
        "calibration_slope",
        "auc",
        "oracle_auc",
        "c_index_with_protected",
    } <= set(s)
    assert 0.5 < s["oracle_c_index"] < 0.9 and 0.5 < s["c_index"] < 0.9
    m = result["metrics"]
    assert set(m["model"]) == {"cox", "logistic", "boosting", "oracle"}
    # percentile intervals of 5 replicates need not contain the estimate; they must be ordered and finite
    assert (m["ci_lower"] <= m["ci_upper"] + 1e-12).all() and np.isfinite(
        m[["ci_lower", "ci_upper"]]
    ).all().all()


def test_bootstrap_is_seeded():
    rng = np.random.default_rng(3)
    n = 300
    frame = pd.DataFrame({"still": rng.integers(0, 2, n), "person_key": rng.integers(0, 200, n).astype(str)})
    frame["exited"] = frame["still"] == 0
    frame["time"] = np.where(frame["exited"], rng.uniform(0, 21, n), 21.0)
    p = np.clip(0.3 + 0.4 * frame["still"] + rng.normal(0, 0.2, n), 0.01, 0.99)
    a = ch.evaluate_predictions(frame, p, train=frame, n_boot=20, seed=5)
    b = ch.evaluate_predictions(frame, p, train=frame, n_boot=20, seed=5)
    pd.testing.assert_frame_equal(a, b)


def test_fairness_audit_rates_and_shares():
    data = pd.DataFrame(
        {
            "still": [1, 1, 0, 0, 1, 0, 0, 0],
            "p": [0.9, 0.2, 0.8, 0.1, 0.7, 0.6, 0.3, 0.2],
            "sex": ["H", "H", "H", "H", "M", "M", "M", "M"],
        }
    )
    table = ch.fairness_audit(data, "still", "p", "sex", threshold=0.5, n_boot=20, seed=1)
    h, m = table.loc["H"], table.loc["M"]
    assert h["false_negative_rate"] == 0.5 and h["false_positive_rate"] == 0.5
    assert m["false_negative_rate"] == 0.0 and m["false_positive_rate"] == pytest.approx(1 / 3)
    assert h["share_of_alerts"] == 0.5 and h["share_of_recipients"] == 0.5
    assert table.loc["overall", "alert_rate"] == 0.5 and "false_positive_rate_upper" in table
    # group M's stayer is always alerted: its false negative rate is 0 in every replicate
    assert m["false_negative_rate_lower"] == m["false_negative_rate_upper"] == 0.0
    inside = (table["alert_rate_lower"] <= table["alert_rate"]) & (
        table["alert_rate"] <= table["alert_rate_upper"]
    )
    assert inside.all() and (table["alert_rate_upper"] > table["alert_rate_lower"]).any()
    # resampling whole persons: a person holding every row of group H gives H no variation
    one = ch.fairness_audit(data.assign(person_key=["a"] * 4 + list("bcde")), "still", "p", "sex", 0.5, 20, 1)
    assert one.loc["H", "alert_rate_lower"] == one.loc["H", "alert_rate_upper"] == 0.5


# --- the report's survival sections ---------------------------------------------------------------


def test_cause_specific_cox_is_cox_on_the_cause_indicator(rossi):
    data, covs = rossi
    data = data.assign(cause=np.where(data["arrest"] == 1, np.where(data["prio"] > 2, "a", "b"), "censored"))
    table = ch.cause_specific_cox(data, "week", "cause", covs).set_index(["cause", "covariate"])
    assert set(table.index.get_level_values("cause")) == {"a", "b"}
    direct = ch.fit_cox(data.assign(y=(data["cause"] == "a").astype(float)), "week", "y", covs)
    assert np.allclose(table.loc["a", "coef"].reindex(direct.index), direct["coef"])
    assert table.loc["a", "events"].iloc[0] == int((data["cause"] == "a").sum())


def test_split_episodes_hand_example():
    data = pd.DataFrame({"t": [5.0, 20.0, 12.0], "e": [1, 1, 0], "x": [1.0, 2.0, 3.0]})
    ep = ch.split_episodes(data, "t", "e", cut=12.0)
    assert list(ep["_row"]) == [0, 1, 1, 2]
    assert list(ep["_start"]) == [0.0, 0.0, 12.0, 0.0] and list(ep["t"]) == [5.0, 12.0, 20.0, 12.0]
    assert list(ep["e"]) == [1.0, 0.0, 1.0, 0.0]  # the exit is on the last episode only
    assert list(ep["_period"]) == ["early", "early", "late", "early"]


def test_cox_with_remedy_gives_failing_covariates_a_time_interaction(rossi):
    data, covs = rossi
    result = ch.cox_with_remedy(data, "week", "arrest", covs, cut=20)
    assert set(result["remedied"]) == {"age", "wexp"}  # lifelines' documented violations
    table = result["table"]
    assert {("age", "early"), ("age", "late"), ("wexp", "early"), ("fin", "all")} <= set(table.index)
    assert ("age", "all") not in table.index
    plain = ch.fit_cox(data, "week", "arrest", covs)
    assert table.loc[("fin", "all"), "coef"] == pytest.approx(plain.loc["fin", "coef"], abs=0.03)
    # without failing covariates the model is the plain Cox model with robust errors
    kept = ch.cox_with_remedy(data, "week", "arrest", ["fin", "prio"])
    assert kept["remedied"] == [] and set(kept["table"].index.get_level_values("period")) == {"all"}


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
    back = ch.reentry_dataset(spells, "2018-10-31").set_index("person_key")
    assert list(back.index) == ["a", "b"]  # ended spells only
    assert bool(back.loc["a", "returned"]) and not bool(back.loc["b", "returned"])
    assert back.loc["a", "time_out"] == pytest.approx(184 / ch.DAYS_PER_MONTH)
    assert back.loc["b", "time_out"] == pytest.approx(
        (d("2018-10-31") - d("2012-07-01")).days / ch.DAYS_PER_MONTH
    )


def test_decision_curve_hand_example():
    y = np.array([1, 1, 0, 0])
    p = np.array([0.9, 0.4, 0.6, 0.1])
    curve = ch.decision_curve(y, p, [0.5]).iloc[0]
    # at 0.5: one true and one needless alert among 4, weight 1
    assert curve["net_benefit"] == pytest.approx(1 / 4 - 1 / 4)
    assert curve["treat_all"] == pytest.approx(0.5 - 0.5) and curve["alert_rate"] == 0.5
    assert not curve["useful"]
    better = ch.decision_curve(y, np.array([0.9, 0.8, 0.2, 0.1]), [0.5]).iloc[0]
    assert better["net_benefit"] == pytest.approx(0.5) and better["useful"]


def test_small_groups_and_curves_are_suppressed():
    table = pd.DataFrame({"n": [5, 50], "rate": [0.2, 0.3]}, index=["small", "big"])
    masked = ch.mask_small_groups(table, "n", 10)
    assert np.isnan(masked.loc["small", "rate"]) and masked.loc["big", "rate"] == 0.3
    assert masked.loc["small", "n"] == 5  # the count itself is suppressed by the report's tables
    curves = pd.DataFrame({"group": "all", "time": [0, 1, 2], "at_risk": [30, 10, 9]})
    assert list(ch.publishable_curves(curves, 10)["time"]) == [0, 1]


def test_fairness_audit_intersections_count_empty_groups_as_zero():
    data = pd.DataFrame(
        {
            "still": [1, 0, 1, 0, 1, 0],
            "p": [0.9, 0.2, 0.7, 0.6, 0.4, 0.1],
            "sex": ["H", "H", "M", "M", "M", "M"],
            "nat": ["ES", "ES", "ES", "ES", "MAGHREB", "MAGHREB"],
        }
    )
    table = ch.fairness_audit(data, "still", "p", ["sex", "nat"], n_boot=0)
    assert table.loc[("H", "ES"), "n"] == 2 and table.loc[("M", "MAGHREB"), "n"] == 2
    if ("H", "MAGHREB") in table.index:
        assert table.loc[("H", "MAGHREB"), "n"] == 0
    assert table.iloc[-1]["n"] == 6 and table.iloc[-1]["share_of_alerts"] == 1.0


def test_logistic_specification_reproduces_the_predictions(tiny):
    _, params, tables = tiny
    lm = ch.landmark_stack(ch.build_spells(tables, params), tables, params)
    features = ch.predictors(params)
    model = ch.fit_predictors(
        lm, params={**params, "chronicity": {"models": ["logistic"], "logistic_C": 1.0}}
    )
    spec = ch.logistic_specification(model["logistic"])
    lp = spec.loc["intercept", "coef"] + lm[features].to_numpy(float) @ spec.loc[features, "coef"].to_numpy()
    assert np.allclose(1 / (1 + np.exp(-lp)), model["logistic"].predict_still(lm))
    assert spec.loc["age_per_decade", "odds_ratio"] == pytest.approx(
        np.exp(spec.loc["age_per_decade", "coef"])
    )
    deployed = ch.linear_model(model["logistic"], lm)
    a, b = deployed.recalibration
    assert np.allclose(deployed.logit(lm), a + b * lp)  # the deployed model: recalibrated, same ranking
    again = ch.LinearModel.from_table(deployed.table())
    assert np.allclose(again.risk(lm), deployed.risk(lm))
    assert np.allclose(deployed.factor_contributions(lm).sum(axis=1) + deployed.reference, deployed.logit(lm))


def test_observable_model_beside_the_truth(tiny):
    paths, params, _ = tiny
    table = ch.observable_versus_truth(paths.truth, params)
    latent = table["covariate"].isin([*ch.LATENT, "cycler", "stayer"])
    assert table.loc[latent, "coef_observable"].isna().all()
    assert table.loc[~latent, "coef_observable"].notna().all()
    assert 0 <= table.attrs["coverage_observable"] <= 1 and np.isfinite(table.attrs["attenuation"])
    assert table.attrs["coverage"] == ch.validate_against_truth(paths.truth, params).attrs["coverage"]


def test_chronicity_stage_on_tiny(tiny, tmp_path):
    import shutil

    from pact_analysis import chronicity_stage as cs
    from pact_analysis.config import Paths

    paths, params, _ = tiny
    root = tmp_path / "project"
    for sub in ("data/processed", "data/truth"):
        shutil.copytree(paths.root / sub, root / sub)
    local = Paths(root)
    cs.run(local, {**params, "chronicity": {**params.get("chronicity", {}), **LIGHT, "bootstrap": 3}})
    metrics = json.loads((local.metrics / "chronicity.json").read_text())
    assert {"coverage", "c_index", "oracle_c_index", "calibration_slope"} <= set(metrics)
    assert metrics["coverage_seeds"] == 1 and metrics["coverage"] == metrics["coverage_this_region"]
    tables, values = cs.load_results(local)
    assert {"km_all", "cox", "cif", "cause_cox", "reentry_cox", "metrics", "decision_curve", "truth"} <= set(
        tables
    )
    assert {f"fairness_{g}" for g in cs.FAIRNESS_GROUPS} <= set(tables)
    assert values["spells"] == int(tables["km_all"]["n"].iloc[0])
    assert "person_key" not in tables["cox"].reset_index()  # estimates, never persons


def test_group_rates_figure_draws_an_interval_that_leaves_out_its_estimate():
    """A percentile bootstrap interval of a small group can miss its own estimate; the figure says so."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pact_analysis import chronicity_figures

    table = pd.DataFrame(
        {
            "false_positive_rate": [0.10, 0.20],
            "false_positive_rate_lower": [0.12, 0.15],  # interval above the estimate
            "false_positive_rate_upper": [0.30, 0.25],
        },
        index=pd.Index(["small group", "overall"]),
    )
    ax = chronicity_figures.plot_group_rates(table, str, {"false_positive_rate": "FPR"}, "rate")
    segments = ax.collections[0].get_segments()
    assert [tuple(s[:, 0]) for s in segments] == [(0.12, 0.30), (0.15, 0.25)]
    assert list(ax.lines[0].get_xdata()) == [0.10, 0.20]
    plt.close("all")
