"""A non-editable install (the wheel ``pip install .`` builds) carries everything a report needs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from pact_analysis.paths import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("tiny_region")]


@pytest.fixture(scope="session")  # session: xdist may interleave other modules; built once
def installed(tmp_path_factory):
    """The project installed from its wheel into a folder of its own (no editable link to the checkout)."""
    work = tmp_path_factory.mktemp("install")
    wheels = work / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("pact_analysis-*.whl")
    target = work / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    return wheel, target


def test_the_wheel_holds_the_package_data(installed):
    wheel, _ = installed
    names = zipfile.ZipFile(wheel).namelist()
    for needed in (
        "pact_analysis/codebook.yaml",
        "pact_analysis/report/style.css",
        "pact_analysis/locales/es/LC_MESSAGES/common.po",
        "pact_analysis/locales/en/LC_MESSAGES/common.po",
        "pact_analysis/synth/data/surnames.csv",
    ):
        assert needed in names, needed
    assert any(n.startswith("pact_analysis/warehouse/sql/") and n.endswith(".sql") for n in names)


def test_the_installed_package_renders_a_report_in_both_languages(installed, tiny_project, tmp_path):
    _, target = installed
    project = tmp_path / "project"
    shutil.copytree(tiny_project.root, project, ignore=shutil.ignore_patterns("reports", "build"))
    env = os.environ | {"PYTHONPATH": str(target), "PACT_ROOT": str(project)}
    where = subprocess.run(
        [sys.executable, "-c", "import pact_analysis; print(pact_analysis.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(target)), f"the checkout was imported, not the installed wheel: {where}"
    done = subprocess.run(
        [sys.executable, "-m", "pact_analysis", "report", "00_overview", "--root", str(project)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for lang in ("es", "en"):
        page = (project / "reports" / lang / "00_overview.html").read_text(encoding="utf-8")
        assert f'<html lang="{lang}"' in page and "<img" in page
