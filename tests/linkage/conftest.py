"""A linked tiny project built from the hand-made valid frames (no synthetic generator needed)."""

from __future__ import annotations

import copy
import logging

import pytest

from pact_analysis import linkage
from pact_analysis.config import ROOT, Paths, load_params
from pact_analysis.linkage import pseudonymise
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
        linkage.run(paths, params)
    finally:
        mp.undo()
    return root, SECRET
