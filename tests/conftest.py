"""Shared fixtures: a tiny synthetic project run through the data-preparation stages once per worker."""

from __future__ import annotations

import os
import shutil

import pytest

from pact_analysis.paths import ROOT, Paths
from tests.tiny import make_project, run_stages, tiny_params

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def tiny_project(tmp_path_factory):
    """Paths of a tiny synthetic project after synthesize, ingest and link."""
    paths = make_project(tmp_path_factory.mktemp("tiny") / "project")
    return run_stages(paths)


#: Stages between linkage and the reports, in pipeline order.
ANALYSIS_STAGES = ("warehouse", "profiles", "chronicity", "alerts", "pilot", "spending")


@pytest.fixture(scope="session")
def repro_project(tmp_path_factory):
    """A git + DVC copy of the project with tiny params after one full `dvc repro` (group ``dvc``)."""
    from tests.test_pipeline import _project_files, _run, _write_params

    project = tmp_path_factory.mktemp("dvc") / "project"
    for name in _project_files():
        if name == "dvc.lock" or name.startswith("metrics/"):
            continue
        target = project / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    _write_params(project, tiny_params())
    _run(["git", "init", "-q"], project)
    _run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "add", "-A"], project)
    _run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "tiny"], project)
    _run(["dvc", "repro"], project)
    return project


@pytest.fixture(scope="session")
def rendered_reports(repro_project):
    """Every report rendered in every language and the index written: the tiny DVC run's project.

    The tests of the rendered pages share the ``dvc`` group's pipeline instead of running another:
    they are marked ``xdist_group("dvc")``.
    """
    return Paths(repro_project)


@pytest.fixture(autouse=True)
def no_figure_left_open():
    """Close the figures a test left open: the report footer refuses pyplot figures it did not publish,
    so one test's open figure would fail whichever report test the worker runs next."""
    yield
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


#: The xdist groups that take longest (each runs whole pipelines), in the order the workers start them.
#: ``make test`` runs ``--dist loadgroup --no-loadscope-reorder``: xdist hands out groups in
#: collection order, so the two slowest start at once on the two workers instead of one waiting for
#: the other (xdist's default order, by number of tests, let them queue on one worker: 24 to 33 min).
LONGEST_GROUPS = ("dvc", "files_mode", "tiny_region", "spark")


def _group(item: pytest.Item) -> str | None:
    mark = item.get_closest_marker("xdist_group")
    if mark is None:
        return None
    return mark.args[0] if mark.args else mark.kwargs.get("name")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Collect the longest groups first and, inside a group, the tests of the rendered reports first.

    The rendered reports run every analysis stage on the tiny project once; stage tests that come
    after them find the outputs in place instead of running the stages again. The sort is stable:
    the order is otherwise kept.
    """
    rank = {name: i for i, name in enumerate(LONGEST_GROUPS)}
    items.sort(
        key=lambda item: (
            rank.get(_group(item), len(rank)),
            "rendered_reports" not in getattr(item, "fixturenames", ()),
        )
    )


class _GroupSuffix:
    """A plugin whose hook runs after every other ``pytest_collection_modifyitems`` (trylast)."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        _suffix_groups(config, items)


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_GroupSuffix(), "pact-group-suffix")


def _suffix_groups(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Make ``--dist loadgroup`` group tests again under pytest 9.

    pytest-xdist 3.8 marks a test's group by setting ``item._nodeid``; pytest 9 computes ``nodeid``
    from ``item._id``, so the suffix is lost and every group is spread over the workers (each then
    builds the group's expensive fixtures again). This sets the same ``nodeid@group`` through ``_id``.
    """
    from _pytest.nodeid import coerce_node_id

    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        group = _group(item)  # the closest mark: a test's own group wins over its module's
        if group is None and "tiny_project" in getattr(item, "fixturenames", ()):
            group = "tiny_region"  # one worker builds the session's tiny project, not both
        if group and "@" not in item.nodeid:
            item._id = coerce_node_id(f"{item.nodeid}@{group}")
