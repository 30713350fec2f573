"""End to end: `dvc repro` on a tiny copy of the project, re-runs, and what a parameter change re-runs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pact_analysis.paths import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dvc")]


def _run(cmd: list[str], cwd: Path) -> str:
    env = os.environ | {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "DVC_NO_ANALYTICS": "1",
    }
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    assert result.returncode == 0, (
        f"{' '.join(cmd)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result.stdout + result.stderr


def _project_files() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return [f for f in out.stdout.splitlines() if (ROOT / f).is_file()]


def _write_params(project: Path, params: dict) -> None:
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")


#: Stages that run on every `dvc repro` by design (the key check and the index with the run's time).
ALWAYS_RUN = {"key", "index"}


def _changed_stages(project: Path) -> set[str]:
    lines = _run(["dvc", "status", "--json"], project).strip().splitlines()  # and DVC's warnings
    status = json.loads(next((line for line in reversed(lines) if line.startswith("{")), "{}"))
    return {name.split(":")[-1] for name, why in status.items() if why != ["always changed"]}


def test_repro_writes_the_index_and_reports_in_both_languages(repro_project):
    from pact_analysis.report import REPORTS

    assert "url=es/index.html" in (repro_project / "reports" / "index.html").read_text()
    for lang in ("es", "en"):
        index = (repro_project / "reports" / lang / "index.html").read_text()
        for name in REPORTS:
            assert f'href="{name}.html"' in index
            assert (repro_project / "reports" / lang / f"{name}.html").stat().st_size > 10_000
    assert (repro_project / "dvc.lock").exists()


def test_second_repro_reruns_nothing_but_the_always_run_stages(repro_project):
    assert _changed_stages(repro_project) == set()
    out = _run(["dvc", "repro"], repro_project)
    ran = {line.split("'")[1] for line in out.splitlines() if line.startswith("Running stage")}
    assert ran <= ALWAYS_RUN


def test_a_fresh_clone_reproduces_the_committed_lock(repro_project, tmp_path):
    """Issue 8: after a fresh clone's `dvc repro`, `git status` shows no change (dvc.lock, metrics)."""
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    _run([*git, "add", "-A"], repro_project)
    _run([*git, "commit", "-qm", "reference run"], repro_project)
    clone = tmp_path / "clone"
    _run(["git", "clone", "-q", str(repro_project), str(clone)], tmp_path)
    _run(["dvc", "repro"], clone)
    status = _run(["git", "status", "--porcelain", "--untracked-files=no"], clone).strip()
    assert status == "", f"a fresh repro changed committed files:\n{status}"


def test_a_parameter_change_reruns_only_what_depends_on_it(repro_project):
    original = yaml.safe_load((repro_project / "params.yaml").read_text())
    try:
        changed = yaml.safe_load((repro_project / "params.yaml").read_text())
        changed["linkage"]["threshold"] = 0.8
        _write_params(repro_project, changed)
        after_linkage = _changed_stages(repro_project)
        assert "link" in after_linkage
        assert not after_linkage & {"synthesize", "ingest", "report_overview"}

        changed = yaml.safe_load((repro_project / "params.yaml").read_text())
        changed["linkage"]["threshold"] = original["linkage"]["threshold"]
        changed["synthetic"]["noise"]["typo"] = 0.05
        _write_params(repro_project, changed)
        # downstream follows once its deps change; the index states every parameter in its provenance
        assert _changed_stages(repro_project) == {"synthesize", "index"}
    finally:
        _write_params(repro_project, original)
    assert _changed_stages(repro_project) == set()


def _tree_bytes(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_same_seed_gives_byte_identical_outputs(repro_project, tiny_project):
    """Two runs in different folders (one by DVC, one by the Python API) write the same bytes."""
    for part in ["data/raw", "data/truth", "data/interim/clean", "data/processed"]:
        first, second = _tree_bytes(repro_project / part), _tree_bytes(tiny_project.root / part)
        assert first.keys() == second.keys(), part
        differing = [name for name in first if first[name] != second[name]]
        assert not differing, f"{part}: {differing} differ between two runs with the same seed"
    for metric in ["synthesize.json", "ingest.json", "linkage.json"]:
        assert (repro_project / "metrics" / metric).read_bytes() == (
            tiny_project.metrics / metric
        ).read_bytes(), metric


def test_an_interrupted_repro_recovers(repro_project):
    """Kill `dvc repro` in the middle of the longest stage (link); the next `dvc repro` finishes.

    The stage is forced to run again with the same parameters, so the recovered run writes the same
    bytes and the stages after it stay cached: the test pays for one link, not for the whole chain.
    """
    import signal
    import time

    env = os.environ | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.Popen(
        ["dvc", "repro", "--force", "--single-item", "link"], cwd=repro_project, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 300
    for line in proc.stdout:
        if "Running stage 'link'" in line or time.monotonic() > deadline:
            break
    time.sleep(3)  # inside the stage: Splink is training or predicting
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode != 0, "the stage finished before it could be interrupted"
    assert "link" in _changed_stages(repro_project), "the killed stage's outputs should be out of date"
    out = _run(["dvc", "repro"], repro_project)
    # the stage runs again, or DVC restores its outputs from the run cache (same dependencies)
    assert "Running stage 'link'" in out or "Stage 'link' is cached - skipping run" in out
    assert _changed_stages(repro_project) == set()
    assert list((repro_project / "data" / "processed").glob("*.parquet"))
    leftovers = [p.name for p in (repro_project / "data").rglob(".*") if p.name not in {".gitignore"}]
    assert not leftovers, f"temporary files left behind: {leftovers}"


def test_no_identity_from_the_raw_extracts_reaches_a_published_output(repro_project):
    """Issue 3: every name, DNI/NIE, phone and birth date of data/raw is absent from what is published."""
    from pact_analysis import disclosure

    identities = disclosure.collect_identities(repro_project / "data" / "raw")
    assert (
        len(identities.names) > 1000
        and len(identities.documents) > 1000
        and len(identities.birth_dates) > 500
    )
    published = [repro_project / d for d in ("data/processed", "data/warehouse", "reports", "metrics")]
    result = disclosure.scan_for_pii([p for p in published if p.exists()], identities, root=repro_project)
    assert result["findings"] == []
    scanned = set(result["scanned"])
    reports = {
        f"reports/{lang}/{name}.html"
        for lang in ("es", "en")
        for name in ("00_overview", "01_record_linkage")
    }
    assert reports | {"reports/index.html", "metrics/linkage.json"} <= scanned
    assert any(name.startswith("data/processed/") for name in scanned)
    assert not result["skipped"]


def test_metrics_diff_shows_what_a_new_alert_threshold_moves_and_a_bad_key_stops_repro(
    repro_project, tmp_path
):
    """Issue 17: `dvc metrics diff` after a threshold change shows the alert figures that moved; a
    misspelt key in params.yaml stops `dvc repro` within a minute, naming it."""
    import time

    project = Path(shutil.copytree(repro_project, tmp_path / "project", symlinks=True))
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    _run([*git, "add", "-A"], project)
    _run([*git, "commit", "-qm", "reference run", "--allow-empty"], project)
    params = yaml.safe_load((project / "params.yaml").read_text())
    params["chronicity"]["alert_share"] = 0.10
    _write_params(project, params)
    _run(["dvc", "repro", "alerts"], project)
    lines = _run(["dvc", "metrics", "diff", "--json"], project).strip().splitlines()
    diff = json.loads(next(line for line in reversed(lines) if line.startswith("{")))
    moved = set(diff.get("metrics/alerts.json", {}))
    assert "threshold" in moved, diff
    summary = json.loads((project / "data" / "alerts" / "summary.json").read_text(encoding="utf-8"))
    if not summary.get("alerts_withheld"):  # withheld alerts (the tiny region's model fails its check) stay 0
        assert {"alerts", "alert_share"} <= moved, diff
    text = (project / "params.yaml").read_text().replace("alerts:\n", "alerts:\n  n_reasonz: 5\n", 1)
    (project / "params.yaml").write_text(text, encoding="utf-8")
    env = os.environ | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    start = time.monotonic()
    failed = subprocess.run(["dvc", "repro"], cwd=project, env=env, capture_output=True, text=True)
    assert failed.returncode != 0 and time.monotonic() - start < 60
    assert "unknown key alerts.n_reasonz" in failed.stdout + failed.stderr
