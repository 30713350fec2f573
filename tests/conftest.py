"""Shared fixtures: a tiny synthetic project run through the data-preparation stages once per worker."""

from __future__ import annotations

import os

import pytest

from tests.tiny import make_project, run_stages

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def tiny_project(tmp_path_factory):
    """Paths of a tiny synthetic project after synthesize, ingest and link."""
    paths = make_project(tmp_path_factory.mktemp("tiny") / "project")
    return run_stages(paths)


#: Stages between linkage and the reports, in pipeline order (those that exist are run).
ANALYSIS_STAGES = ("warehouse", "profiles", "chronicity", "alerts")


@pytest.fixture(scope="session")
def rendered_reports(tiny_project):
    """The tiny project with every report rendered in every language and the index written."""
    from pact_analysis import report
    from pact_analysis.__main__ import STAGES
    from pact_analysis.config import load_params

    params = load_params(tiny_project.params)
    run_stages(tiny_project, tuple(s for s in ANALYSIS_STAGES if s in STAGES))
    for name in report.REPORTS:
        report.render_notebook(name, tiny_project, params)
    report.build_index(tiny_project, params)
    return tiny_project
