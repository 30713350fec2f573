"""The pilot evaluation and the ``pilot`` stage on the tiny region, and the recorded coverage benchmark."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from pact_analysis import disclosure, pilot
from pact_analysis.errors import StageError
from pact_analysis.params import load_params
from pact_analysis.paths import Paths
from tests.tiny import run_stages

pytestmark = pytest.mark.xdist_group("tiny_region")


@pytest.fixture(scope="session")  # session: xdist may interleave other modules; built once
def tiny_result(tiny_project):
    params = load_params(tiny_project.params)
    assert params["evaluation"]["imputations"] == 2  # tiny_params: two imputations check the wiring
    tables = pilot.read_processed(tiny_project.processed)
    return pilot.evaluate(tables, params, pilot.true_effects(tiny_project.truth))


def test_pilot_evaluation_on_the_tiny_region(tiny_result):
    flow = tiny_result["flow"]
    assert (flow["enrolled"] == flow["followed_up"] + flow["lost"]).all()
    verdicts = tiny_result["verdicts"]
    outcomes = {"supported", "supported_with_reservations", "effect_shown", "effect_shown_with_reservations",
                "within_tolerance", "within_tolerance_with_reservations",
                "inconclusive", "contradicted", "threshold_ruled_out", "suppressed"}  # fmt: skip
    assert set(verdicts["verdict"]) <= outcomes
    assert len(verdicts) == 7
    assert {"estimate", "ci_low", "ci_high", "rule", "risk_of_bias"} <= set(verdicts.columns)
    balance = tiny_result["balance"]
    assert balance["smd_after"].abs().max() < balance["smd_before"].abs().max()
    gap = pilot.interval_verdict(tiny_result["empowerment_gap"], 0.25)
    assert verdicts.loc["empowerment", "verdict"] == pilot.claims.with_reservations(
        gap, ["unblinded_assessors", "late_baselines"]
    )
    # no verdict on a share the report suppresses (one decision, at the level it is published)
    for claim, (key, row, _) in pilot.claims.SHARE_TERMS.items():
        hidden = pilot.claims.share_suppressed(tiny_result, key, row, 10)
        alone = tiny_result[key].loc[row, ["n", "agree", "disagree"]]
        assert hidden == bool(((alone > 0) & (alone < 10)).any())
        assert (verdicts.loc[claim, "verdict"] == "suppressed") == hidden
    check = tiny_result["validation"]
    assert {"personal", "exit_12m", "days_employed"} <= set(check.index)
    assert (check["ci_low"] <= check["estimate"]).all() and (check["estimate"] <= check["ci_high"]).all()


def test_recorded_benchmark_meets_the_done_criteria():
    """benchmarks/pilot_coverage.json: 1,000 replications with a CEAS effect confined to the pilot CEAS."""
    path = Paths().benchmarks / "pilot_coverage.json"
    if not path.exists():
        pytest.skip("run benchmarks/pilot_coverage.py first")
    bench = json.loads(path.read_text())
    assert bench["complete"] and bench["coverage_replications"] >= 1000
    assert bench["nuisances"]["ceas_sd"] > 0 and bench["nuisances"]["assessor_sd"] > 0
    assert bench["nuisances"]["ceas_pilot_only"]
    assert bench["coverage"] >= 0.92 and bench["coverage_mc_se"] < 0.01
    assert bench["balanced_share"] == 1.0 and bench["max_abs_smd"] < 0.1


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
@pytest.mark.xdist_group("dvc")  # the rendered reports of the tiny DVC run
def test_published_pilot_tables_show_no_number_beside_a_suppressed_count(rendered_reports):
    """Every table of the rendered report: a row with a suppressed count shows no statistic either."""
    tables = rendered_reports.report_tables
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


# --- the pilot stage --------------------------------------------------------------------------------


@pytest.fixture(scope="session")  # session: xdist may interleave other modules; built once
def stage_project(tiny_project, tmp_path_factory):
    """The tiny project after the pilot stage (run by the rendered reports when they came first)."""
    if not (tiny_project.pilot / "results.json").exists():
        run_stages(tiny_project, ("pilot",))
    return tiny_project


def assert_same(stored, computed, name):
    if isinstance(computed, pd.DataFrame):
        pd.testing.assert_frame_equal(stored, computed, check_exact=True, obj=name)
    elif isinstance(computed, dict) and computed and all(isinstance(v, dict) for v in computed.values()):
        # a dict per row (``mixed``): compared as a table, so a failed fit's NaN equals its stored NaN
        assert isinstance(stored, dict) and list(stored) == list(computed), name
        pd.testing.assert_frame_equal(
            pd.DataFrame.from_dict(stored, orient="index"),
            pd.DataFrame.from_dict(computed, orient="index"),
            check_exact=True,
            obj=name,
        )
    else:
        assert stored == computed, name


def test_the_stage_stores_exactly_what_the_evaluation_computes(stage_project, tiny_result):
    stored = pilot.load_results(stage_project.pilot)
    for name, computed in tiny_result.items():
        if name == "people":
            completers = computed.loc[computed["completed"] == 1, ["group", "chronicity", "change_living"]]
            assert_same(stored["completers"], completers.reset_index(drop=True), name)
        else:
            assert_same(stored[name], computed, name)
    assert list(stored["mixed"]) == list(tiny_result["mixed"])  # dimensions in order
    assert pilot.not_evaluated(stage_project.pilot) == []


def test_the_stage_writes_headline_metrics_and_the_effect_for_spending(stage_project, tiny_result):
    metrics = json.loads(stage_project.metric("pilot").read_text())
    flat = pd.json_normalize(metrics).columns
    # 9 headlines, the effect on exit within 12 months with its interval (the index's figure: 3), 4
    # figures per claim (issue 20) and each claim's verdict at the claimed size itself (1 each)
    assert len(flat) <= 12 + 5 * len(tiny_result["verdicts"])
    for claim, row in tiny_result["verdicts"].iterrows():
        entry = metrics["verdicts"][claim]
        assert set(entry) == {"estimate", "ci", "rule", "verdict", "verdict_strict"}
        assert entry["verdict"] == row["verdict"]
        assert entry["verdict_strict"] == row["verdict_strict"]
        assert entry["estimate"] == (None if pd.isna(row["estimate"]) else row["estimate"])
    validation, het = tiny_result["validation"], tiny_result["heterogeneity"]
    bench = stage_project.benchmarks / "pilot_coverage.json"
    expected = json.loads(bench.read_text())["coverage"] if bench.exists() else None
    assert metrics["coverage"] == expected  # the benchmark's, never one region's 10 intervals
    assert len(validation) == 10 and "coverage_intervals" not in metrics
    assert metrics["max_abs_smd"] == tiny_result["max_abs_smd"]
    assert metrics["max_variance_ratio_deviation"] == tiny_result["max_variance_ratio_deviation"]
    assert metrics["heterogeneity"] == {"estimate": het["estimate"], "truth": het["truth"]}
    assert metrics["heterogeneity_detected"] is bool(het["ci_low"] > 0)
    values = json.loads((stage_project.pilot / "results.json").read_text())
    admin = tiny_result["admin"]
    assert values["available"] is True
    assert values["exit_12m"] == {k: admin.loc["exit_12m", k] for k in ("estimate", "ci_low", "ci_high")}
    assert metrics["exit_12m"] == values["exit_12m"], "one value for the index and the report"


def test_without_the_pilot_extracts_the_stage_says_which_are_missing(tmp_path, monkeypatch):
    from pact_analysis import ingest
    from pact_analysis.stages import pilot as stage

    paths = Paths(tmp_path)
    monkeypatch.setattr(ingest, "delivered", lambda _: {"pilot_assignment": False, "mdtse_assessments": True})
    stage.run(paths, load_params(pilot_params_file()))
    expected = {"available": False, "not_delivered": ["pilot_assignment.csv"]}
    assert json.loads(paths.metric("pilot").read_text()) == expected
    assert json.loads((paths.pilot / "results.json").read_text()) == expected
    assert pilot.not_evaluated(paths.pilot) == ["pilot_assignment.csv"]
    with pytest.raises(ValueError, match="pilot_assignment.csv"):
        pilot.load_results(paths.pilot)


def test_the_stage_needs_to_know_what_was_delivered(tmp_path):
    from pact_analysis.stages import pilot as stage

    with pytest.raises(StageError, match="delivery.json"):
        stage.run(Paths(tmp_path), load_params(pilot_params_file()))


def pilot_params_file():
    """The project's params.yaml (the stage reads no parameter before it knows what was delivered)."""
    return Paths().params
