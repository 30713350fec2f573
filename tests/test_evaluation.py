"""Pilot evaluation: the generic estimators on data with a known answer, and the pilot on the tiny region.

No copy of LaLonde's NSW data ships with an installed package (statsmodels, scikit-learn, lifelines,
scikit-survival were searched), so :func:`matched_effect` is checked on a simulated observational study
with a known effect and selection on observables.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pact_analysis import disclosure, evaluation
from pact_analysis.config import ROOT, load_params

pytestmark = pytest.mark.xdist_group("tiny_region")

EFFECT = 2.0


@pytest.fixture(scope="module")
def observational() -> pd.DataFrame:
    """Selection on x1, x2 (older, more chronic more often treated); true effect 2 on y; 20 clusters."""
    rng = np.random.default_rng(3)
    n = 3000
    x1, x2 = rng.normal(size=n), rng.binomial(1, 0.4, n)
    treated = rng.random(n) < 1 / (1 + np.exp(-(-1.5 + 0.9 * x1 + 0.8 * x2)))
    y = 1.0 + 1.5 * x1 + 1.0 * x2 + EFFECT * treated + rng.normal(size=n)
    return pd.DataFrame({"x1": x1, "x2": x2, "t": treated.astype(int), "y": y, "g": rng.integers(0, 20, n)})


@pytest.mark.parametrize("method", ["psm", "ipw"])
def test_matched_effect_recovers_a_known_effect(observational, method):
    naive = observational.groupby("t")["y"].mean().diff().iloc[-1]
    assert naive > EFFECT + 0.5  # the confounding is real
    eff = evaluation.matched_effect(observational, "t", "y", ["x1", "x2"], method=method, cluster="g")
    assert eff.ci_low < EFFECT < eff.ci_high and eff.ci_high - eff.ci_low < 0.5
    assert eff.clusters == 20 and eff.n_treated > 500
    assert (eff.balance["smd_before"].abs() > 0.2).any()
    assert eff.balance["smd_after"].abs().max() < 0.1


def test_matched_effect_without_adjustment_still_balances(observational):
    eff = evaluation.matched_effect(observational, "t", "y", ["x1", "x2"], method="psm", adjust=False)
    assert abs(eff.estimate - EFFECT) < 0.3
    with pytest.raises(ValueError, match="psm"):
        evaluation.matched_effect(observational, "t", "y", ["x1"], method="ols")


def test_interaction_finds_effect_modification():
    rng = np.random.default_rng(4)
    n = 2000
    frame = pd.DataFrame({"t": rng.integers(0, 2, n), "m": rng.random(n), "base": rng.normal(size=n)})
    frame["y"] = frame["base"] + frame["t"] * (0.5 + 1.0 * frame["m"]) + rng.normal(size=n)
    eff = evaluation.interaction(frame, "y", "t", "m", ["base"])
    assert eff.ci_low < 1.0 < eff.ci_high and eff.ci_low > 0.5


def test_mde_matches_the_design_figures():
    assert evaluation.mde(184, 8, 0.0) == pytest.approx(0.21, abs=0.01)
    assert evaluation.mde(184, 8, 0.05) == pytest.approx(0.30, abs=0.01)
    assert evaluation.mde(184, 8, 0.05, groups=2) > evaluation.mde(184, 8, 0.05)


def test_paired_changes_holm_and_wilcoxon():
    rng = np.random.default_rng(5)
    base = pd.DataFrame(rng.normal(5, 1, (80, 3)), columns=["a", "b", "c"])
    follow = base + np.array([0.6, 0.0, 0.3]) + rng.normal(0, 1, (80, 3))
    out = evaluation.paired_changes(base, follow)
    assert (out["p_holm"] >= out["p_t"]).all()
    assert out.loc["a", "ci_low"] > 0 and out.loc["b", "ci_low"] < 0 < out.loc["b", "ci_high"]
    assert out.loc["a", "p_wilcoxon"] < 0.01 and out.loc["a", "d_z"] > 0.3


def test_mixed_change_reports_a_zero_ceas_variance():
    rng = np.random.default_rng(6)
    frame = pd.DataFrame({"y": rng.normal(1, 1, 160), "ceas": np.repeat(list("abcdefgh"), 20)})
    no_var = evaluation.mixed_change(frame, "y", "ceas")
    assert no_var["ci_low"] < 1 < no_var["ci_high"]
    frame["y"] += np.repeat(rng.normal(0, 2, 8), 20)
    with_var = evaluation.mixed_change(frame, "y", "ceas")
    assert with_var["icc"] > 0.3 and not with_var["boundary"]
    assert no_var["icc"] < with_var["icc"]


def test_e_value_and_wilson():
    assert evaluation.e_value(0.0, -1.0, 1.0, 1.0) == {"estimate": 1.0, "ci": 1.0}
    ev = evaluation.e_value(0.5, 0.2, 0.8, 1.0)
    assert ev["estimate"] > ev["ci"] > 1.0
    low, high = evaluation.wilson(84, 100)
    assert low < 0.84 < high and 0 < low < high < 1


def test_agreement_and_claims():
    surveys = pd.DataFrame(
        {
            "respondent_type": ["USER"] * 40,
            "territory": ["A"] * 20 + ["B"] * 20,
            "useful": [5] * 36 + [2] * 4,
            "relevant": [4] * 40,
        }
    )
    table = evaluation.agreement(surveys, "USER", 0.89)
    assert table.loc["TOTAL", "share"] == pytest.approx(0.9) and table.loc["TOTAL", "claim_inside"]
    assert table.loc["B", "share"] == pytest.approx(0.8)


def test_reliable_improvement_is_the_same_rule_for_everybody():
    change = pd.Series([0.0, 0.5, 1.0, 2.0])
    flags = evaluation.reliable_improvement(change, baseline_sd=1.0, reliability=0.8)
    assert flags.tolist() == [False, False, False, True]


def test_derived_cells_of_a_suppressed_count_are_suppressed():
    """A share or interval next to a suppressed count gives the count back: it must be hidden too."""
    flags = pd.Series([True] * 37 + [False] * 3 + [True] * 5 + [False] * 35 + [True] * 30 + [False] * 30)
    by = pd.Series(["A"] * 40 + ["B"] * 40 + ["C"] * 60)
    table = evaluation.share_table(flags, by, claim=0.5)
    assert table.loc["A", ["agree", "disagree"]].tolist() == [37, 3]
    protected = disclosure.protect(
        table, 10, columns=["n", "agree", "disagree"], derived=["share", "ci_low", "ci_high", "claim_inside"]
    )
    shown, cells = protected.table, protected.derived
    hidden = evaluation.suppressed_rows(table, 10, ["n", "agree", "disagree"])
    # A: 3 disagree (share 92.5% = 37/40 gives it away); B: 5 agree
    assert hidden["A"] and hidden["B"]
    for row in hidden.index[hidden]:
        assert (shown.loc[row, ["share", "ci_low", "ci_high", "claim_inside"]] == disclosure.SUPPRESSED).all()
    assert cells == 4 * int(hidden.sum())
    for row in hidden.index[~hidden]:
        assert shown.loc[row, "share"] == pytest.approx(table.loc[row, "share"])
    # the table as published (one protect call, as Report.table does): no hidden count comes back
    assert shown.loc["A", "disagree"] == disclosure.SUPPRESSED
    assert shown.loc["B", "agree"] == disclosure.SUPPRESSED
    assert not disclosure.check_recoverable(shown, ["n", "agree", "disagree"])


def test_binned_change_draws_only_bands_without_small_groups():
    rng = np.random.default_rng(7)
    people = pd.DataFrame(
        {
            "chronicity": np.r_[rng.uniform(0, 0.3, 30), rng.uniform(0.4, 0.6, 30), rng.uniform(0.4, 0.6, 4)],
            "group": ["PILOT"] * 15 + ["COMPARISON"] * 15 + ["PILOT"] * 30 + ["COMPARISON"] * 4,
            "y": rng.normal(size=64),
        }
    )
    bands = evaluation.binned_change(people, "y", "chronicity", [0.0, 1 / 3, 2 / 3, 1.01], 10)
    assert set(bands.index.get_level_values("group")) == {"PILOT", "COMPARISON"}
    assert (bands["n"] >= 10).all() and len(bands) == 2  # the middle band (4 comparison) is not drawn
    assert (bands["ci_low"] < bands["mean"]).all()


@pytest.fixture(scope="module")
def tiny_result(tiny_project):
    params = load_params(tiny_project.params)
    params["evaluation"]["imputations"] = 2  # a sensitivity analysis: its pooling is tested above
    tables = evaluation.read_processed(tiny_project.processed)
    return evaluation.evaluate(tables, params, evaluation.true_effects(tiny_project.truth))


def test_pilot_evaluation_on_the_tiny_region(tiny_result):
    flow = tiny_result["flow"]
    assert (flow["enrolled"] == flow["followed_up"] + flow["lost"]).all()
    assert set(tiny_result["verdicts"]["verdict"]) <= {"supported", "not_supported", "not_answerable"}
    assert len(tiny_result["verdicts"]) == 7
    balance = tiny_result["balance"]
    assert balance["smd_after"].abs().max() < balance["smd_before"].abs().max()
    assert tiny_result["verdicts"].loc["empowerment", "verdict"] == evaluation._interval_verdict(
        tiny_result["empowerment_gap"]
    )
    check = tiny_result["validation"]
    assert {"personal", "exit_12m", "days_employed"} <= set(check.index)
    assert (check["ci_low"] <= check["estimate"]).all() and (check["estimate"] <= check["ci_high"]).all()


def test_recorded_benchmark_meets_the_done_criteria():
    """benchmarks/pilot_coverage.json (5 seeds of the default region): coverage, balance, heterogeneity."""
    path = ROOT / "benchmarks" / "pilot_coverage.json"
    if not path.exists():
        pytest.skip("run benchmarks/pilot_coverage.py first")
    bench = json.loads(path.read_text())
    assert len(bench["seeds"]) == 5
    assert bench["coverage"] >= 0.9
    assert bench["max_abs_smd"] < 0.1


def test_share_tables_of_the_tiny_region_hide_what_small_counts_give_away(tiny_result):
    """The leak of issue 11: a share or interval published next to a suppressed count."""
    improved = tiny_result["improved"].drop(index="TOTAL")
    for table in (improved, tiny_result["agree_users"], tiny_result["agree_professionals"]):
        assert (table["agree"] + table["disagree"] == table["n"]).all()
        shown = disclosure.protect(
            table, 10, columns=["n", "agree", "disagree"], derived=["share", "ci_low", "ci_high"]
        ).table
        small = ((table[["agree", "disagree"]] > 0) & (table[["agree", "disagree"]] < 10)).any(axis=1)
        assert (shown.loc[small, ["share", "ci_low", "ci_high"]] == disclosure.SUPPRESSED).all().all()


@pytest.mark.slow
def test_published_pilot_tables_show_no_number_beside_a_suppressed_count(rendered_reports):
    """Every table of the rendered report: a row with a suppressed count shows no statistic either."""
    tables = rendered_reports.reports / "tables"
    checks = [c for c in disclosure.check_tables(rendered_reports.reports, 10) if "05_pilot" in c.name]
    assert checks and not [p for c in checks for p in c.small + c.other]
    for path in sorted((tables / "05_pilot_evaluation").rglob("*.csv")):
        table = disclosure.read_published_csv(path)
        counts = disclosure.read_sidecar(path).count_columns or []
        if not counts:
            continue
        hidden = table[counts].astype(str).eq(disclosure.SUPPRESSED).any(axis=1)
        others = table.drop(columns=[*counts, table.columns[0]])
        numbers = others.apply(pd.to_numeric, errors="coerce").notna()
        assert not numbers[hidden].any().any(), f"{path.name}: a statistic of a suppressed count is shown"
