"""Survival models against published answers (lifelines' Rossi data) and hand examples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter, KaplanMeierFitter

from pact_analysis.chronicity.survival import (
    cause_specific_cox,
    cox_with_remedy,
    cumulative_incidence,
    fit_aft,
    fit_cox,
    kaplan_meier,
    schoenfeld_check,
    split_episodes,
)


def test_fit_cox_reproduces_rossi(rossi):
    data, covs = rossi
    table = fit_cox(data, "week", "arrest", covs)
    assert list(table.columns[:5]) == ["coef", "se", "ci_lower", "ci_upper", "p"]
    assert round(table.loc["fin", "coef"], 3) == -0.379
    assert round(table.loc["age", "coef"], 3) == -0.057
    assert round(table.loc["prio", "coef"], 3) == 0.091
    assert round(table.loc["fin", "se"], 3) == 0.191
    breslow = fit_cox(data, "week", "arrest", covs, ties="breslow")
    assert np.allclose(breslow["coef"], table["coef"], atol=0.005)


def test_fit_cox_robust_entry_and_strata(rossi):
    data, covs = rossi
    plain = fit_cox(data, "week", "arrest", covs)
    clustered = fit_cox(data.assign(id=np.arange(len(data)) // 2), "week", "arrest", covs, cluster="id")
    assert np.allclose(clustered["coef"], plain["coef"], atol=1e-6)  # same point estimates
    assert not np.allclose(clustered["se"], plain["se"], atol=1e-4)  # sandwich standard errors
    entry = fit_cox(data.assign(t0=0.0), "week", "arrest", covs, entry="t0")
    assert np.allclose(entry["coef"], plain["coef"], atol=1e-6)
    late = data.assign(t0=np.where(np.arange(len(data)) % 3 == 0, 5.0, 0.0))
    late = late.loc[late["week"] > late["t0"]]
    truncated = fit_cox(late, "week", "arrest", covs, entry="t0")
    assert not np.allclose(truncated["coef"], plain["coef"], atol=1e-4)


def test_fit_cox_cluster_errors_match_lifelines_without_ties_and_ignore_row_order(rossi):
    data, covs = rossi
    data = data.assign(household=np.arange(len(data)) // 3)
    untied = data.assign(week=data["week"] + np.arange(len(data)) * 1e-4)
    ours = fit_cox(untied, "week", "arrest", covs, cluster="household")
    theirs = CoxPHFitter().fit(untied, "week", "arrest", cluster_col="household", robust=True)
    assert np.allclose(ours["coef"], theirs.params_[ours.index], atol=1e-6)
    assert np.allclose(ours["se"], theirs.standard_errors_[ours.index], rtol=1e-6)
    # with tied times the sandwich does not depend on the order of the rows
    tied = fit_cox(data, "week", "arrest", covs, cluster="household")
    shuffled = fit_cox(data.sample(frac=1.0, random_state=3), "week", "arrest", covs, cluster="household")
    assert np.allclose(tied[["coef", "se"]], shuffled[["coef", "se"]], rtol=1e-8)
    with pytest.raises(ValueError, match="penalizer"):
        fit_cox(data, "week", "arrest", covs, cluster="household", penalizer=0.1)
    strat = fit_cox(data, "week", "arrest", [c for c in covs if c != "wexp"], strata="wexp")
    assert "wexp" not in strat.index
    with pytest.raises(ValueError, match="ties"):
        fit_cox(data, "week", "arrest", covs, ties="exact")


def test_fit_aft_rossi(rossi):
    data, covs = rossi
    weibull = fit_aft(data, "week", "arrest", covs)
    assert weibull["log_likelihood"] == pytest.approx(-679.917, abs=1e-3)  # lifelines documentation
    assert weibull["table"].loc[("lambda_", "fin"), "coef"] == pytest.approx(0.272, abs=1e-3)
    # Weibull PH and AFT are the same model: beta_PH = -beta_AFT * shape (rho)
    rho = np.exp(weibull["table"].loc[("rho_", "Intercept"), "coef"])
    cox = fit_cox(data, "week", "arrest", covs)
    assert -weibull["table"].loc[("lambda_", "prio"), "coef"] * rho == pytest.approx(
        cox.loc["prio", "coef"], abs=0.01
    )
    lognormal = fit_aft(data, "week", "arrest", covs, distribution="lognormal")
    assert (
        np.isfinite(lognormal["log_likelihood"]) and lognormal["log_likelihood"] != weibull["log_likelihood"]
    )
    with pytest.raises(ValueError):
        fit_aft(data, "week", "arrest", covs, distribution="gamma")


def test_cumulative_incidence_hand_example():
    data = pd.DataFrame({"t": [1.0, 2.0, 3.0, 4.0], "cause": ["a", "b", None, "a"]})
    cif = cumulative_incidence(data, "t", "cause", times=[1, 2, 3, 4])
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
    cif = cumulative_incidence(data, "time", "cause", times=grid)
    total = cif.groupby("time")["cif"].sum().to_numpy()
    km = KaplanMeierFitter().fit(data["time"], data["cause"] > 0).survival_function_at_times(grid).to_numpy()
    assert np.allclose(total + km, 1.0, atol=1e-9)
    assert (cif["ci_lower"] <= cif["cif"] + 1e-12).all() and (cif["cif"] <= cif["ci_upper"] + 1e-12).all()


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("delayed_entry", [False, True])
def test_aalen_johansen_bounds_are_lifelines_bounds(ties, delayed_entry):
    """The cumulative-sum bounds are lifelines' loop, to the bit (ties jittered, delayed entry, three causes)."""
    import warnings

    from lifelines import AalenJohansenFitter

    from pact_analysis.chronicity.survival import aalen_johansen_fitter

    rng = np.random.default_rng(7)
    n = 3000
    t = rng.exponential(20, n)
    t = np.ceil(t) if ties else t
    cause = np.where(rng.random(n) < 0.2, 0, rng.choice([1, 2, 3], n, p=[0.5, 0.3, 0.2]))
    entry = np.minimum(rng.uniform(0, 10, n), t * 0.9) if delayed_entry else None
    for interest in (1, 2, 3):
        fits = []
        for fitter in (AalenJohansenFitter(seed=3, alpha=0.1), aalen_johansen_fitter(seed=3, alpha=0.1)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fits.append(fitter.fit(t, cause, event_of_interest=interest, entry=entry))
        theirs, ours = fits
        pd.testing.assert_frame_equal(ours.cumulative_density_, theirs.cumulative_density_)
        pd.testing.assert_frame_equal(
            ours.confidence_interval_, theirs.confidence_interval_, check_exact=True
        )
        pd.testing.assert_series_equal(ours.variance_, theirs.variance_, check_exact=True)
        assert ours.confidence_interval_.notna().sum().min() > 100  # bounds were computed, not NaN


def test_aalen_johansen_bounds_are_lifelines_bounds_past_two_to_the_53():
    """With over 208,067 at risk, n**3 passes 2**53 and numpy's array power can differ from C's pow."""
    import warnings

    from lifelines import AalenJohansenFitter

    from pact_analysis.chronicity.survival import aalen_johansen_fitter

    rng = np.random.default_rng(11)
    n = 260_000
    t = rng.integers(1, 300, n).astype(float)
    cause = rng.choice([0, 1, 2], n, p=[0.998, 0.001, 0.001])
    fits = []
    for fitter in (AalenJohansenFitter(seed=3), aalen_johansen_fitter(seed=3)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fits.append(fitter.fit(t, cause, event_of_interest=1))
    theirs, ours = fits
    pd.testing.assert_series_equal(ours.variance_, theirs.variance_, check_exact=True)
    pd.testing.assert_frame_equal(ours.confidence_interval_, theirs.confidence_interval_, check_exact=True)


def test_schoenfeld_flags_rossi_age_and_wexp(rossi):
    data, covs = rossi
    check = schoenfeld_check(data, "week", "arrest", covs)
    assert set(check.index[check["violated"]]) == {"age", "wexp"}  # lifelines' documented result
    stratified = schoenfeld_check(data, "week", "arrest", [c for c in covs if c != "wexp"], strata="wexp")
    assert "wexp" not in stratified.index


def test_kaplan_meier_by_group(rossi):
    data, _ = rossi
    km = kaplan_meier(data, "week", "arrest", by="fin", at=(12, 24, 36))
    summary = km["summary"].set_index("group")
    direct = KaplanMeierFitter().fit(data.loc[data["fin"] == 1, "week"], data.loc[data["fin"] == 1, "arrest"])
    assert summary.loc[1, "still_24"] == pytest.approx(float(direct.survival_function_at_times(24).iloc[0]))
    assert summary["n"].sum() == len(data)
    assert summary["median"].isna().all()  # fewer than half re-arrested within the year
    s = summary.loc[0]
    assert s["still_12_lower"] <= s["still_12"] <= s["still_12_upper"]
    assert set(km["curves"].columns) >= {"group", "time", "survival", "ci_lower", "ci_upper", "at_risk"}


def test_cause_specific_cox_is_cox_on_the_cause_indicator(rossi):
    data, covs = rossi
    data = data.assign(cause=np.where(data["arrest"] == 1, np.where(data["prio"] > 2, "a", "b"), "censored"))
    table = cause_specific_cox(data, "week", "cause", covs).set_index(["cause", "covariate"])
    assert set(table.index.get_level_values("cause")) == {"a", "b"}
    direct = fit_cox(data.assign(y=(data["cause"] == "a").astype(float)), "week", "y", covs)
    assert np.allclose(table.loc["a", "coef"].reindex(direct.index), direct["coef"])
    assert table.loc["a", "events"].iloc[0] == int((data["cause"] == "a").sum())


def test_split_episodes_hand_example():
    data = pd.DataFrame({"t": [5.0, 20.0, 12.0], "e": [1, 1, 0], "x": [1.0, 2.0, 3.0]})
    ep = split_episodes(data, "t", "e", cut=12.0)
    assert list(ep["_row"]) == [0, 1, 1, 2]
    assert list(ep["_start"]) == [0.0, 0.0, 12.0, 0.0] and list(ep["t"]) == [5.0, 12.0, 20.0, 12.0]
    assert list(ep["e"]) == [1.0, 0.0, 1.0, 0.0]  # the exit is on the last episode only
    assert list(ep["_period"]) == ["early", "early", "late", "early"]


def test_cox_with_remedy_gives_failing_covariates_a_time_interaction(rossi):
    data, covs = rossi
    result = cox_with_remedy(data, "week", "arrest", covs, cut=20)
    assert set(result["remedied"]) == {"age", "wexp"}  # lifelines' documented violations
    table = result["table"]
    assert {("age", "early"), ("age", "late"), ("wexp", "early"), ("fin", "all")} <= set(table.index)
    assert ("age", "all") not in table.index
    plain = fit_cox(data, "week", "arrest", covs)
    assert table.loc[("fin", "all"), "coef"] == pytest.approx(plain.loc["fin", "coef"], abs=0.03)
    # without failing covariates the model is the plain Cox model with robust errors
    kept = cox_with_remedy(data, "week", "arrest", ["fin", "prio"])
    assert kept["remedied"] == [] and set(kept["table"].index.get_level_values("period")) == {"all"}


def _left_truncated(n: int = 3000, seed: int = 4) -> tuple[pd.DataFrame, dict[str, float]]:
    """Weibull spells begun before the window: only those still running at entry ``a`` are observed."""
    rng = np.random.default_rng(seed)
    beta = {"x1": 0.5, "x2": -0.4}
    x1, x2 = rng.normal(size=n), rng.binomial(1, 0.4, n).astype(float)
    a = np.where(rng.random(n) < 0.5, rng.uniform(0, 30, n), 0.0)
    rate = 0.02 * np.exp(beta["x1"] * x1 + beta["x2"] * x2)
    t = (rng.exponential(size=n) / rate) ** (1 / 1.2)
    c = a + rng.uniform(5, 60, n)
    d = pd.DataFrame({"x1": x1, "x2": x2, "entry": a, "time": np.minimum(t, c), "event": t <= c})
    d["household"] = np.arange(n) // 2
    return d.loc[t > a].reset_index(drop=True), beta


def test_fit_cox_with_entry_reproduces_lifelines_entry_col_on_left_truncated_data():
    data, beta = _left_truncated()
    theirs = CoxPHFitter().fit(
        data[["x1", "x2", "entry", "time", "event"]],
        "time",
        "event",
        entry_col="entry",
        fit_options={"precision": 1e-12},
    )
    ours = fit_cox(data, "time", "event", ["x1", "x2"], entry="entry")
    assert np.allclose(ours["coef"], theirs.params_[ours.index], atol=1e-8)
    assert np.allclose(ours["se"], theirs.standard_errors_[ours.index], rtol=1e-5)
    # the cluster-robust fit (statsmodels PHReg with delayed entry): same estimates without ties
    robust = fit_cox(data, "time", "event", ["x1", "x2"], entry="entry", cluster="household")
    assert np.allclose(robust["coef"], theirs.params_[robust.index], atol=1e-5)
    # the truth is inside the intervals with entry and biased without it (length-biased sample)
    assert all(ours.loc[k, "ci_lower"] < b < ours.loc[k, "ci_upper"] for k, b in beta.items())
    naive = fit_cox(data, "time", "event", ["x1", "x2"])
    assert abs(naive.loc["x1", "coef"] - beta["x1"]) > abs(ours.loc["x1", "coef"] - beta["x1"])


def test_cause_specific_cox_and_aft_take_entry_times():
    data, _ = _left_truncated()
    data = data.assign(cause=np.where(data["event"], "JOB", "censored"))
    cs = cause_specific_cox(data, "time", "cause", ["x1", "x2"], entry="entry").set_index("covariate")
    cox = fit_cox(data, "time", "event", ["x1", "x2"], entry="entry")
    assert np.allclose(cs["coef"], cox["coef"], atol=1e-8)
    from lifelines import WeibullAFTFitter

    frame = data[["x1", "x2", "entry", "time", "event"]]
    theirs = WeibullAFTFitter().fit(frame, "time", "event", entry_col="entry")
    ours = fit_aft(data, "time", "event", ["x1", "x2"], entry="entry")["table"]
    assert np.allclose(ours["coef"], theirs.summary["coef"].loc[ours.index], atol=1e-6)
    # Weibull shape 1.2: log time ratio = -beta / 1.2, recovered only with the entry times
    lam = ours.loc["lambda_"]
    assert abs(lam.loc["x1", "coef"] + 0.5 / 1.2) < 0.1
    remedy = cox_with_remedy(data, "time", "event", ["x1", "x2"], entry="entry", cut=12.0)
    if not remedy["remedied"]:
        assert np.allclose(remedy["table"]["coef"].to_numpy(), cox["coef"].to_numpy(), atol=1e-4)


def test_cluster_errors_survive_a_spell_censored_before_the_first_exit(rossi):
    data, covs = rossi
    data = data.assign(household=np.arange(len(data)) // 3)
    early = data.iloc[[0]].assign(week=0.5, arrest=0, household=10_000)  # never at risk at an exit
    with_early = fit_cox(pd.concat([data, early]), "week", "arrest", covs, cluster="household")
    assert with_early["se"].notna().all() and with_early["p"].notna().all()
    without = fit_cox(data, "week", "arrest", covs, cluster="household")
    assert np.allclose(with_early[["coef", "se"]], without[["coef", "se"]], rtol=1e-6)


def _weibull_spells(persons: int, spells: int, frailty: float, seed: int) -> pd.DataFrame:
    """Weibull AFT spells, ``spells`` per person sharing a log-normal frailty of sd ``frailty``;
    a third left-truncated."""
    rng = np.random.default_rng(seed)
    n = persons * spells
    person = np.repeat(np.arange(persons), spells)
    x1 = np.repeat(rng.normal(size=persons), spells)  # a person-level covariate
    x2 = rng.binomial(1, 0.4, n).astype(float)
    lam = np.exp(2 + 0.4 * x1 - 0.3 * x2 + np.repeat(rng.normal(0, frailty, persons), spells))
    t, c = lam * rng.weibull(1.3, n), rng.uniform(0, 40, n)
    time = np.minimum(t, c)
    entry = np.where(rng.random(n) < 0.3, time * rng.uniform(0, 0.8, n), 0.0)
    return pd.DataFrame(
        {"x1": x1, "x2": x2, "T": time, "E": (t <= c).astype(float), "S": entry, "person": person}
    )


@pytest.mark.parametrize("entry", [None, "S"])
def test_weibull_cluster_covariance_with_one_row_per_cluster_is_lifelines_robust(entry):
    from lifelines import WeibullAFTFitter

    from pact_analysis.chronicity.survival import weibull_cluster_covariance

    df = _weibull_spells(600, 1, 0.0, seed=0)
    cols = ["x1", "x2", "T", "E", *([entry] if entry else [])]
    model = WeibullAFTFitter().fit(df[cols], "T", "E", entry_col=entry)
    robust = WeibullAFTFitter().fit(df[cols], "T", "E", entry_col=entry, robust=True)
    cov = weibull_cluster_covariance(model, df, "T", "E", np.arange(len(df)), entry)
    n = len(df)  # lifelines' sandwich has no G / (G - 1)
    mine = np.sqrt(np.diag(cov) * (n - 1) / n)
    assert mine == pytest.approx(robust.standard_errors_.reindex(cov.index).to_numpy(), rel=1e-6)


def test_weibull_cluster_covariance_covers_a_person_level_coefficient_when_spells_share_a_frailty():
    """Four spells per person sharing a frailty: the naive interval of the person-level covariate
    under-covers, the one clustered by person does not (200 replications)."""
    from lifelines import WeibullAFTFitter

    from pact_analysis.chronicity.survival import weibull_cluster_covariance

    naive, clustered = [], []
    for seed in range(200):
        df = _weibull_spells(150, 4, 0.6, seed)
        model = WeibullAFTFitter().fit(df[["x1", "x2", "T", "E", "S"]], "T", "E", entry_col="S")
        est = model.params_[("lambda_", "x1")]
        cov = weibull_cluster_covariance(model, df, "T", "E", df["person"], "S")
        for out, var in ((naive, model.variance_matrix_), (clustered, cov)):
            se = np.sqrt(var.loc[("lambda_", "x1"), ("lambda_", "x1")])
            out.append(abs(est - 0.4) < 1.96 * se)
    assert np.mean(naive) < 0.85 and np.mean(clustered) >= 0.9


def test_fit_cox_counts_a_row_at_risk_strictly_after_its_entry_as_lifelines():
    """Whole-month times: entries fall on other rows' exit times, and a spell split at a cut enters its
    second part at the first part's end (statsmodels' own risk sets would hold both parts there)."""
    data, _ = _left_truncated(n=2500, seed=9)
    data = data.assign(entry=np.floor(data["entry"]), time=np.ceil(data["time"]))
    data = data.loc[data["time"] > data["entry"]]
    assert data["entry"].isin(data.loc[data["event"], "time"]).sum() > 100
    theirs = CoxPHFitter().fit(
        data[["x1", "x2", "entry", "time", "event"]],
        "time",
        "event",
        entry_col="entry",
        fit_options={"precision": 1e-12},  # lifelines' default stops 1e-6 short of the maximum
    )
    ours = fit_cox(data, "time", "event", ["x1", "x2"], entry="entry")
    assert np.allclose(ours["coef"], theirs.params_[ours.index], atol=1e-8)
    assert np.allclose(ours["se"], theirs.standard_errors_[ours.index], rtol=1e-6)
    # a row that ends when it enters is at risk at no time: left out, with a warning that counts it
    empty = data.iloc[:5].assign(time=lambda d: d["entry"], event=True)
    with pytest.warns(UserWarning, match="5 row.s. with time <= entry left out .* 5 of them with an exit"):
        with_empty = fit_cox(pd.concat([data, empty]), "time", "event", ["x1", "x2"], entry="entry")
    assert np.allclose(with_empty["coef"], theirs.params_[ours.index], atol=1e-8)
    assert with_empty.attrs["events"] == int(data["event"].sum())


def test_a_spell_split_at_an_exit_time_gives_the_spell_fit_and_its_robust_errors():
    """Episodes of one spell split at a cut on which exits fall: the second enters when the first ends,
    and must not be at risk then (its spell is counted once), so the fit, clustered by spell, is the
    whole spells' fit with the same robust standard errors."""
    data, _ = _left_truncated(n=4000, seed=10)
    data = data.assign(entry=np.floor(data["entry"]), time=np.ceil(data["time"]), spell=np.arange(len(data)))
    data = data.loc[data["time"] > data["entry"]].assign(stratum=lambda d: d["spell"] % 3)
    cut = 12.0
    assert ((data["time"] == cut) & data["event"]).sum() > 20
    kwargs = {"strata": "stratum", "cluster": "spell"}
    whole = fit_cox(data, "time", "event", ["x1", "x2"], entry="entry", **kwargs)
    episodes = split_episodes(data, "time", "event", cut, "entry")
    assert len(episodes) > len(data)
    split = fit_cox(episodes, "time", "event", ["x1", "x2"], entry="_start", **kwargs)
    assert np.allclose(split["coef"], whole["coef"], atol=1e-10)
    assert np.allclose(split["se"], whole["se"], atol=1e-10)


def test_a_cox_model_that_does_not_converge_is_an_error_not_a_table_of_nan():
    rng = np.random.default_rng(2)
    data = pd.DataFrame({"x1": rng.normal(size=2000), "rare": 0.0})
    data["time"] = np.round(rng.exponential(20 * np.exp(-0.5 * data["x1"])), 2) + 1.0
    data["event"] = (rng.random(2000) < 0.7).astype(float)
    data.loc[:4, ["rare", "event"]] = [1.0, 1.0]  # five rows of a rare category exit first
    data.loc[:4, "time"] = [0.5, 0.6, 0.7, 0.8, 0.9]
    with pytest.raises(RuntimeError, match="did not converge"):
        fit_cox(data, "time", "event", ["x1", "rare"])
