"""What the spending stage reads: a missing required input is an error naming it; the pilot's effect is
optional only when the pilot is documented unavailable."""

from __future__ import annotations

import json

import pytest

from pact_analysis import chronicity as ch
from pact_analysis import spending as sp
from pact_analysis.errors import StageError
from pact_analysis.params import defaults
from pact_analysis.paths import Paths
from pact_analysis.stages import spending as stage

EFFECT = {"estimate": 0.07, "ci_low": 0.01, "ci_high": 0.13}


def _write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


def test_the_effect_comes_from_the_pilot_stage_and_its_source_is_said(tmp_path):
    paths = Paths(tmp_path)
    _write(
        paths.pilot / "results.json", {"available": True, "not_delivered": [], "exit_12m": EFFECT, "icc": 1}
    )
    effect = sp.pilot_effect(paths, {})
    assert effect == EFFECT | {"source": "pilot", "not_delivered": []}


def test_the_documented_default_only_when_the_pilot_is_documented_unavailable(tmp_path):
    paths = Paths(tmp_path)
    missing = ["pilot_assignment.csv", "mdtse_assessments.csv"]
    _write(paths.pilot / "results.json", {"available": False, "not_delivered": missing})
    effect = sp.pilot_effect(paths, {"spending": {"effect_default": {"estimate": 0.02}}})
    assert effect["source"] == "default" and effect["not_delivered"] == missing
    assert effect["estimate"] == 0.02
    assert effect["ci_low"] == defaults()["spending"]["effect_default"]["ci_low"]


def test_no_pilot_results_is_an_error_naming_them_even_beside_old_pilot_metrics(tmp_path):
    paths = Paths(tmp_path)
    _write(paths.metric("pilot"), {"exit_12m": EFFECT})  # written by the pilot report before the stage
    with pytest.raises(StageError) as err:
        sp.pilot_effect(paths, {})
    assert str(paths.pilot / "results.json") in str(err.value)


def test_an_incomplete_pilot_effect_is_an_error_not_the_default(tmp_path):
    paths = Paths(tmp_path)
    _write(paths.pilot / "results.json", {"exit_12m": {"estimate": 0.07, "ci_low": None, "ci_high": 0.1}})
    with pytest.raises(StageError, match="exit_12m"):
        sp.pilot_effect(paths, {})


@pytest.mark.parametrize(
    ("effect", "problem"),
    [
        ({"estimate": float("nan"), "ci_low": 0.01, "ci_high": 0.13}, "not finite"),
        ({"estimate": 0.07, "ci_low": float("-inf"), "ci_high": 0.13}, "not finite"),
        ({"estimate": 0.07, "ci_low": 0.13, "ci_high": 0.01}, "ci_low <= estimate <= ci_high"),
        ({"estimate": 0.2, "ci_low": 0.01, "ci_high": 0.13}, "ci_low <= estimate <= ci_high"),
        ({"estimate": "seven", "ci_low": 0.01, "ci_high": 0.13}, "not numeric"),
        ({"estimate": True, "ci_low": 0.01, "ci_high": 0.13}, "not numeric"),
        ({"estimate": 0.07, "ci_low": False, "ci_high": 0.13}, "not numeric"),
        ({"estimate": 7.0, "ci_low": 1.0, "ci_high": 13.0}, "[-1, 1]"),
        ({"estimate": -0.5, "ci_low": -1.5, "ci_high": 0.1}, "[-1, 1]"),
    ],
)
def test_a_pilot_effect_that_is_not_finite_or_outside_its_interval_is_an_error_naming_the_file(
    tmp_path, effect, problem
):
    paths = Paths(tmp_path)
    _write(paths.pilot / "results.json", {"available": True, "not_delivered": [], "exit_12m": effect})
    with pytest.raises(StageError) as err:
        sp.pilot_effect(paths, {})
    assert "data/pilot/results.json" in str(err.value) and problem in str(err.value)


def test_a_pilot_effect_on_the_edge_of_its_interval_is_accepted(tmp_path):
    paths = Paths(tmp_path)
    edge = {"estimate": 0.0, "ci_low": 0.0, "ci_high": 0.0}
    _write(paths.pilot / "results.json", {"exit_12m": edge})
    assert sp.pilot_effect(paths, {}) == edge | {"source": "pilot", "not_delivered": []}


def _inputs(paths: Paths, without: str) -> None:
    """Every input of the stage as an (empty) file, except ``without``."""
    files = {
        "processed": [paths.processed / f"{name}.parquet" for name in ch.SCORING_TABLES],
        "scores": [paths.alerts / "scores.parquet"],
        "profiles": [paths.profiles / "persons.parquet"],
    }
    for name, group in files.items():
        for path in group if name != without else []:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
    if without != "pilot":
        _write(paths.pilot / "results.json", {"exit_12m": EFFECT})


@pytest.mark.parametrize(
    ("without", "named", "not_named"),
    [
        ("profiles", "data/profiles/persons.parquet", "scores.parquet"),
        ("scores", "data/alerts/scores.parquet", "persons.parquet"),
        ("processed", "data/processed/rgc_spells.parquet", "scores.parquet"),
        ("pilot", "data/pilot/results.json", "persons.parquet"),
    ],
)
def test_the_stage_fails_naming_a_missing_required_input(tmp_path, without, named, not_named):
    paths = Paths(tmp_path)
    _inputs(paths, without)
    with pytest.raises(StageError) as err:
        stage.run(paths, {})
    assert named in str(err.value) and not_named not in str(err.value)
    assert not paths.spending.exists() and not paths.metric("spending").exists()


@pytest.mark.parametrize(
    ("reader", "name"), [(sp.read_profiles, "persons.parquet"), (sp.alert_scores, "scores.parquet")]
)
def test_the_readers_have_no_silent_fallback(tmp_path, reader, name):
    with pytest.raises(StageError, match=name):
        reader(Paths(tmp_path))
