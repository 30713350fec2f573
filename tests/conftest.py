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


#: The xdist groups that take longest (each runs whole pipelines), in the order the workers start them.
#: ``make test`` runs ``--dist loadgroup --no-loadscope-reorder``: xdist hands out groups in
#: collection order, so the two slowest start at once on the two workers instead of one waiting for
#: the other (xdist's default order, by number of tests, let them queue on one worker: 24 to 33 min).
LONGEST_GROUPS = ("dvc", "files_mode", "tiny_region")


def _group(item: pytest.Item) -> str | None:
    mark = item.get_closest_marker("xdist_group")
    if mark is None:
        return None
    return mark.args[0] if mark.args else mark.kwargs.get("name")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Collect the longest groups first (a stable sort: the order inside each group is kept)."""
    rank = {name: i for i, name in enumerate(LONGEST_GROUPS)}
    items.sort(key=lambda item: rank.get(_group(item), len(rank)))
