"""A linked tiny project built from the hand-made valid frames, and copies of a project to re-link."""

from __future__ import annotations

import copy
import logging
import shutil

import pytest
import yaml

from pact_analysis.linkage import pseudonymise
from pact_analysis.params import load_params
from pact_analysis.paths import ROOT, Paths
from pact_analysis.stages import link as stages_link
from tests.fixtures import valid_frames

SECRET = "test-secret-key-0123456789abcdef"


@pytest.fixture(scope="module")
def tiny_linked(tmp_path_factory):
    """Run the link stage on the valid frames with a secret key; return ``(root, secret)``."""
    root = tmp_path_factory.mktemp("linked")
    paths = Paths(root)
    paths.clean.mkdir(parents=True)
    for source, df in valid_frames().items():
        df.to_parquet(paths.clean / f"{source}.parquet", index=False)
    params = copy.deepcopy(load_params(ROOT / "params.yaml"))
    mp = pytest.MonkeyPatch()
    mp.setenv(pseudonymise.KEY_ENV, SECRET)
    try:
        logging.getLogger("splink").setLevel(logging.ERROR)
        stages_link.run(paths, params)
    finally:
        mp.undo()
    return root, SECRET


def linkable_copy(project: Paths, root, data_source: str = "synthetic") -> Paths:
    """Copy what the link stage reads from ``project`` (params, clean tables, truth) to ``root``.

    Parameters
    ----------
    project : Paths
        A project after synthesize and ingest.
    root : Path
        New, empty project root.
    data_source : str
        ``data.source`` written to the copy's params.yaml.
    """
    paths = Paths(root)
    shutil.copytree(project.clean, paths.clean)
    shutil.copytree(project.truth, paths.truth)
    params = load_params(project.params)
    params["data"]["source"] = data_source
    paths.params.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    return paths
