"""Project hygiene: pins, environment, notebooks without outputs, DVC stages consistent with params."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
import yaml

from pact_analysis.paths import ROOT
from tools.environment_yml import environment_yml, lock_pins

PIN = re.compile(r"^[A-Za-z0-9_.\-\[\]]+==[A-Za-z0-9_.+\-]+$")


def tracked_files(pattern: str) -> list[str]:
    """Files git tracks in the project matching a pathspec."""
    out = subprocess.run(["git", "ls-files", pattern], cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_every_dependency_is_pinned_exactly():
    pins = lock_pins()
    assert len(pins) > 100, "requirements.lock should hold the full transitive set"
    assert all(PIN.match(p) for p in pins), [p for p in pins if not PIN.match(p)]


def test_direct_dependencies_are_in_the_lock_at_the_same_version():
    lock = {p.split("==")[0].lower(): p.split("==")[1] for p in lock_pins()}
    for line in (ROOT / "requirements.in").read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        name, version = line.split("==")
        assert lock.get(name.lower()) == version, f"{name} {version} is not pinned in requirements.lock"


def test_environment_yml_agrees_with_the_pins():
    assert (ROOT / "environment.yml").read_text() == environment_yml(lock_pins()), (
        "environment.yml is out of date: run `make lock` (or python tools/environment_yml.py > environment.yml)"
    )
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert [p for p in pip_section if "==" in p] == lock_pins()


def test_notebooks_are_committed_as_text_without_outputs():
    for path in tracked_files("*.ipynb"):
        nb = json.loads((ROOT / path).read_text())
        with_outputs = [c for c in nb["cells"] if c.get("cell_type") == "code" and c.get("outputs")]
        assert not with_outputs, f"{path} is committed with outputs"
    notebooks = tracked_files("notebooks/*.py")
    assert notebooks, "the analysis notebooks (jupytext py:percent) should be tracked"
    for path in notebooks:
        text = (ROOT / path).read_text()
        assert '# %% tags=["parameters"]' in text, f"{path} has no papermill parameters cell"


@pytest.fixture(scope="module")
def dvc_stages():
    return yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


def _has_param(params: dict, dotted: str) -> bool:
    node = params
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def test_every_stage_param_exists_in_params_yaml(dvc_stages):
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    for name, stage in dvc_stages.items():
        for key in stage.get("params", []):
            assert _has_param(params, key), f"stage {name} lists {key}, which params.yaml lacks"


def test_every_stage_dependency_is_committed_or_produced(dvc_stages):
    produced = set()
    for stage in dvc_stages.values():
        for out in stage.get("outs", []) + stage.get("metrics", []):
            produced.add(next(iter(out)) if isinstance(out, dict) else out)
    for name, stage in dvc_stages.items():
        for dep in stage.get("deps", []):
            assert dep in produced or (ROOT / dep).exists(), f"stage {name}: dependency {dep} does not exist"


def test_a_stage_whose_code_reads_the_minimum_cell_lists_it_and_the_disclosure_code(dvc_stages):
    """A stage that takes a suppression decision re-runs when the minimum cell or the rule changes."""
    for name, stage in dvc_stages.items():
        code = [
            ROOT / d for d in stage.get("deps", []) if d.startswith("pact_analysis/") and d.endswith(".py")
        ]
        code += [p for d in stage.get("deps", []) if (ROOT / d).is_dir() and d.startswith("pact_analysis/")
                 for p in (ROOT / d).rglob("*.py")]  # fmt: skip
        if name.startswith("report_"):
            continue
        texts = [p.read_text() for p in code if "disclosure" not in p.relative_to(ROOT).parts]  # its users
        uses = (
            "from pact_analysis.disclosure",
            "from pact_analysis import disclosure",
            "pact_analysis.disclosure.",
        )
        if any(u in t for t in texts for u in uses):
            assert "pact_analysis/disclosure" in stage["deps"], f"{name} imports the disclosure code"
        if any(r in t for t in texts for r in ('get("disclosure"', 'params["disclosure"]')):
            params = stage.get("params", [])
            assert "disclosure.min_cell" in params or "disclosure" in params, f"{name} reads the minimum cell"
            assert "pact_analysis/disclosure" in stage["deps"], name


def test_report_stages_list_the_params_their_notebook_declares(dvc_stages, tmp_path):
    """DVC re-runs a report when a parameter it reads changes only if the stage lists that parameter."""
    from pact_analysis.report import declared_parameters, dotted_names

    dotted = dotted_names(yaml.safe_load((ROOT / "params.yaml").read_text()))
    report_stages = 0
    for name, stage in dvc_stages.items():
        match = re.fullmatch(r"python -m pact_analysis report (\S+)", stage["cmd"])
        if not match:
            continue
        report_stages += 1
        listed = stage.get("params", [])
        for parameter in declared_parameters(ROOT / "notebooks" / f"{match.group(1)}.py", tmp_path):
            if parameter in {"root", "lang"}:  # the project root and the language are set by the renderer
                continue
            key = dotted[parameter]
            assert any(key == p or key.startswith(p + ".") for p in listed), f"stage {name} should list {key}"
        assert f"notebooks/{match.group(1)}.py" in stage["deps"]
    assert report_stages >= 1


def test_every_report_is_a_stage_with_both_languages_and_a_catalogue(dvc_stages):
    from pact_analysis.report import REPORTS, i18n
    from pact_analysis.report.page import short_name

    rendered = {
        m.group(1): stage
        for stage in dvc_stages.values()
        if (m := re.fullmatch(r"python -m pact_analysis report (\S+)", stage["cmd"]))
    }
    assert set(rendered) == set(REPORTS), "report.REPORTS and the report stages of dvc.yaml must agree"
    for name, stage in rendered.items():
        for lang in i18n.LANGUAGES:
            assert f"reports/{lang}/{name}.html" in stage["outs"]
            assert (
                ROOT / "pact_analysis" / "locales" / lang / "LC_MESSAGES" / f"{short_name(name)}.po"
            ).exists()
        assert f"reports/tables/{name}" in dvc_stages["check"]["deps"]
        assert f"reports/tables/{name}" in dvc_stages["index"]["deps"]


def _leaves(value) -> int:
    if isinstance(value, dict):
        return sum(_leaves(v) for v in value.values())
    return 1


#: The figures issue 18 requires in metrics/chronicity.json (counted apart from the ~60 headlines).
ISSUE_18_KEYS = {
    *(f"{k}{s}" for k in ("deployed_auc", "deployed_calibration_slope", "deployed_calibration_intercept",
                          "sensitivity", "ppv") for s in ("", "_ci")),
    "validated_landmarks", "max_scored_landmark", "median_months_ci", "true_median_months",
}  # fmt: skip


#: The figures issue 19 requires in metrics/profiles.json (counted apart from the ~60 headlines).
ISSUE_19_KEYS = {
    "lca_starts", "best_ll_replicated", "bootstrap_replicates", "true_profile_jaccard", "min_true_profile_jaccard",
}  # fmt: skip


def test_dvc_metrics_show_stays_readable():
    """Issue 17: the committed reference run's metrics are the headline figures, about 60 in all (the
    detail lives in the stages' outputs), so `dvc metrics diff` shows what a change moved."""
    files = sorted((ROOT / "metrics").glob("*.json"))
    assert len(files) >= 10
    counts = {f.name: _leaves(json.loads(f.read_text(encoding="utf-8"))) for f in files}
    # issue 20: metrics/pilot.json adds one entry per claim (estimate, ci, rule, verdict: 4 leaves each)
    pilot = json.loads((ROOT / "metrics" / "pilot.json").read_text(encoding="utf-8"))
    # and each claim's verdict at the claimed size itself (1 more each)
    verdicts = 5 * len(pilot.get("verdicts", {}))
    # issue 18: metrics/chronicity.json adds the deployed model's test-cohort figures with their
    # intervals, its landmarks and the median's interval and truth (the issue's "Done when" keys)
    chronicity = json.loads((ROOT / "metrics" / "chronicity.json").read_text(encoding="utf-8"))
    deployed = _leaves({k: v for k, v in chronicity.items() if k in ISSUE_18_KEYS})
    # issue 19: metrics/profiles.json adds its "Done when" keys (starts, replication, bootstrap
    # replicates, one Jaccard per true profile and the worst of them)
    profiles = json.loads((ROOT / "metrics" / "profiles.json").read_text(encoding="utf-8"))
    done_19 = _leaves({k: v for k, v in profiles.items() if k in ISSUE_19_KEYS})
    extra = {"pilot.json": verdicts, "chronicity.json": deployed, "profiles.json": done_19}
    # issue 20 also: pilot.json's coverage_replications, coverage_mc_se, max_variance_ratio_deviation
    # (less the pooled coverage), spending.json's net_cost.probability_saving and the pilot-like
    # scenario (net_cost, break_even_effect): 5 more headlines, 3 of them in spending.json
    extra["spending.json"] = 4  # and backtest_error (issue 20's "Done when": 1 more)
    # issue 22: synthesize.json counts the records written before a move between provinces (1 more);
    # issue 21: pilot.json's exit_12m with its interval, the figure the index shows (3 more), and
    # chronicity.json's c_index_ci, the interval the index shows beside the C-index (2 more)
    assert sum(counts.values()) <= 74 + verdicts + deployed + done_19, counts
    assert max(n - extra.get(f, 0) for f, n in counts.items()) <= 12, counts
