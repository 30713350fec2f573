"""A tiny synthetic project (a few thousand persons) that end-to-end tests run the pipeline on."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import yaml

from pact_analysis.params import load_params
from pact_analysis.paths import ROOT, Paths

TINY_PERSONS = 3000


def tiny_params(n_persons: int = TINY_PERSONS) -> dict[str, Any]:
    """Return the project's params.yaml scaled down to a tiny region (same seed and rates)."""
    params = copy.deepcopy(load_params(ROOT / "params.yaml"))
    params["synthetic"]["n_persons"] = n_persons
    params["synthetic"]["pilot"]["per_territory"] = 12
    params["synthetic"]["pilot"]["comparison_per_territory"] = 12
    params["evaluation"]["imputations"] = 2  # a sensitivity analysis: two imputations check its wiring
    for section in (
        "alerts",
        "chronicity",
        "profiles",
    ):  # fewer refits: the tiny region checks wiring, not precision
        if isinstance(params.get(section), dict) and "bootstrap" in params[section]:
            params[section]["bootstrap"] = 5
    if isinstance(params.get("profiles"), dict):
        params["profiles"] |= {
            "k_max": min(params["profiles"].get("k_max", 4), 4),
            "n_init": 2,
            "initial_iter": 0,  # two starts a batch: each run to convergence
            "max_starts": 4,
            "validation_sample": 1000,  # fewer than the persons known: the sampled validation runs
        }
    return params


def make_project(root: Path, params: dict[str, Any] | None = None) -> Paths:
    """Lay out a project folder at ``root``: params.yaml, notebooks and an empty data/extracts.

    Parameters
    ----------
    root : Path
        Empty folder to use as the project root.
    params : dict, optional
        Parameters to write; defaults to :func:`tiny_params`.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "params.yaml", "w", encoding="utf-8") as fh:
        yaml.safe_dump(params or tiny_params(), fh, sort_keys=False)
    shutil.copytree(ROOT / "notebooks", root / "notebooks", dirs_exist_ok=True)
    (root / "data" / "extracts").mkdir(parents=True, exist_ok=True)
    return Paths(root)


def scoring_params(params: dict[str, Any]) -> dict[str, Any]:
    """``params`` with a calibration rule loose enough for the tiny region's landmarks to be validated.

    The tiny region is too small for the deployed model's calibration check to pass; without this no
    one is scored and the alerts (and the spending scenario built on them) are empty. Withholding is
    tested on its own (tests/chronicity/test_deployment.py).
    """
    params = copy.deepcopy(params)
    chron = params.setdefault("chronicity", {})
    chron["validated_slope"], chron["validated_min_events"] = [0.01, 100.0], 1
    chron["validated_level"] = 0.01  # an interval as narrow as the point: the tiny region cannot show more
    return params


def run_stages(paths: Paths, stages: tuple[str, ...] = ("synthesize", "ingest", "key", "link")) -> Paths:
    """Run the data-preparation stages in order on a project (as ``dvc repro`` would)."""
    import importlib

    params = load_params(paths.params)
    for stage in stages:
        importlib.import_module(f"pact_analysis.stages.{stage}").run(paths, params)
    return paths
