"""The ``profiles`` stage end to end on the tiny region, run by the command line."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from pact_analysis import profiles
from pact_analysis.paths import Paths
from pact_analysis.stages.profiles import headline_metrics
from tests.tiny import run_stages

pytestmark = pytest.mark.xdist_group("tiny_region")


@pytest.fixture(scope="module")
def stage(tiny_project, tmp_path_factory) -> Paths:
    """The tiny project after the warehouse and profiles stages (run by the rendered reports when they
    came first, else here)."""
    if not (tiny_project.profiles / "results.json").exists():
        run_stages(tiny_project, ("warehouse", "profiles"))
    return tiny_project


def test_the_truth_check_runs_on_a_sample_of_the_persons_known(stage):
    """At region scale ARI and the supervised ceiling are computed on ``validation_sample`` persons."""
    metrics = json.loads(stage.metric("profiles").read_text(encoding="utf-8"))
    _, tables, results = profiles.read_results(stage)
    assert results["n_validated"] == 1000 < metrics["n_persons"]
    assert -1 <= metrics["ari"] <= 1 and 0 < metrics["supervised_ceiling_ari"] <= 1
    crosstab = pd.read_parquet(stage.profiles / "tables" / "truth_crosstab.parquet")
    assert crosstab.equals(tables["truth_crosstab"])
    assert int(crosstab.drop(columns="profile").to_numpy().sum()) == 1000


def test_metrics_are_the_headline_figures_of_the_results(stage):
    metrics = json.loads(stage.metric("profiles").read_text(encoding="utf-8"))
    _, tables, results = profiles.read_results(stage)
    assert len(metrics) <= 11
    done_when = {"lca_starts", "best_ll_replicated", "bootstrap_replicates", "min_true_profile_jaccard"}
    assert done_when | {"true_profile_jaccard"} <= set(metrics)  # issue 19
    assert (
        metrics["lca_starts"] >= results["n_init"] and metrics["bootstrap_replicates"] == results["bootstrap"]
    )
    assert metrics["min_true_profile_jaccard"] == min(metrics["true_profile_jaccard"].values())
    assert metrics == headline_metrics(results)
    assert {k: v for k, v in metrics.items() if k != "n_stable_profiles"} == {
        k: results[k] for k in metrics if k != "n_stable_profiles"
    }
    assert results["ari_share_of_ceiling"] == pytest.approx(
        metrics["ari"] / metrics["supervised_ceiling_ari"]
    )
    assert metrics["n_stable_profiles"] == int((tables["sizes"]["stability"] == "stable").sum())
    assert len(results["stability"]) == metrics["k_chosen"] == len(tables["sizes"])


def test_persons_are_where_the_spending_stage_reads_them(stage):
    persons = pd.read_parquet(stage.profiles / "persons.parquet")
    metrics = json.loads(stage.metric("profiles").read_text(encoding="utf-8"))
    assert {"person_key", "profile", "name"} <= set(persons.columns)
    assert persons["person_key"].is_unique and len(persons) == metrics["n_persons"]
    assert set(persons["profile"]) == set(range(1, metrics["k_chosen"] + 1))


def test_old_import_paths_keep_working():
    from pact_analysis import pathways as old_pathways
    from pact_analysis import warehouse
    from pact_analysis.profiles import pathways

    assert old_pathways.STATES is pathways.STATES
    assert old_pathways.state_sequences is pathways.state_sequences
    assert profiles.draw_logical_model is warehouse.draw_logical_model
    assert profiles.schema_layout is warehouse.schema_layout
