"""Same input, same bytes: two runs of the link stage write identical files (issue 8).

Before the fix, EM on several DuckDB threads changed the last digits of the m probabilities from run
to run, so ``model.json`` (and hence ``dvc.lock``) never matched a fresh run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pact_analysis.linkage import pipeline
from pact_analysis.linkage import pseudonymise as ps
from pact_analysis.params import load_params
from pact_analysis.stages import link as stages_link
from tests.linkage.conftest import linkable_copy

pytestmark = pytest.mark.xdist_group("tiny_region")


def _tree_bytes(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_two_link_runs_in_two_folders_write_identical_bytes(tiny_project, tmp_path, monkeypatch):
    monkeypatch.delenv(ps.KEY_ENV, raising=False)
    monkeypatch.delenv(ps.KEY_FILE_ENV, raising=False)
    again = linkable_copy(tiny_project, tmp_path / "again")
    stages_link.run(again, load_params(again.params))
    for part in ("data/interim/linkage", "data/processed"):
        first, second = _tree_bytes(tiny_project.root / part), _tree_bytes(again.root / part)
        assert "model.json" in first or part != "data/interim/linkage"
        assert first.keys() == second.keys(), part
        differing = [name for name in first if first[name] != second[name]]
        assert not differing, f"{part}: {differing} differ between two runs"
    assert (again.metrics / "linkage.json").read_bytes() == (
        tiny_project.metrics / "linkage.json"
    ).read_bytes()


def test_stable_model_rounds_probabilities_and_drops_the_random_linker_uid():
    settings = {
        "linker_uid": "x1y2z3",
        "link_type": "dedupe_only",
        "probability_two_random_records_match": 0.000123456789012345,
        "comparisons": [
            {
                "output_column_name": "given_name",
                "comparison_levels": [
                    {"sql_condition": "a IS NULL", "is_null_level": True},
                    {"sql_condition": "a_l = a_r", "m_probability": 0.9696599473118, "u_probability": 0.01},
                    {"sql_condition": "ELSE", "u_probability": 0.98},  # m untrained: stays absent
                ],
            }
        ],
    }
    out = pipeline.stable_model(settings)
    assert "linker_uid" not in out and out["link_type"] == "dedupe_only"
    assert out["probability_two_random_records_match"] == 0.0001234567890
    levels = out["comparisons"][0]["comparison_levels"]
    assert levels[1]["m_probability"] == 0.9696599473 and levels[1]["u_probability"] == 0.01
    assert (
        "m_probability" not in levels[2] and levels[0] == settings["comparisons"][0]["comparison_levels"][0]
    )
    assert settings["linker_uid"] == "x1y2z3"  # the input is not modified
