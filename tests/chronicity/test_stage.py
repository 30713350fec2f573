"""The ``chronicity`` stage on the tiny region: results once, headline metrics, detail in values.json."""

from __future__ import annotations

import json
import shutil

import pytest

from pact_analysis import chronicity
from pact_analysis.paths import Paths
from pact_analysis.stages import chronicity as stage
from tests.chronicity.conftest import LIGHT

pytestmark = pytest.mark.xdist_group("tiny_region")


def test_chronicity_stage_on_tiny(tiny, tmp_path):
    paths, params, _ = tiny
    local = Paths(tmp_path / "project")
    for source, target in ((paths.processed, local.processed), (paths.truth, local.truth)):
        shutil.copytree(source, target)
    stage.run(local, {**params, "chronicity": {**params.get("chronicity", {}), **LIGHT, "bootstrap": 3}})
    metrics = json.loads(local.metric("chronicity").read_text())
    assert {"coverage", "c_index", "median_months", "median_months_ci", "true_median_months"} <= set(metrics)
    lo, hi = metrics["median_months_ci"]
    assert lo <= metrics["median_months"] <= hi
    assert values_have_oracle(local)
    assert set(metrics) <= set(chronicity.HEADLINES)  # dvc metrics: headlines only
    # the deployed model on the test cohort (issue 18), each figure with its interval when computed
    deployed = [k for k in chronicity.DEPLOYED_METRICS if k in metrics]
    assert all(f"{k}_ci" in metrics for k in deployed)
    assert metrics.get("max_scored_landmark") in [*metrics.get("validated_landmarks", []), None]
    tables, values = chronicity.load_results(local)
    assert values["coverage_seeds"] == 1 and values["coverage"] == values["coverage_this_region"]
    assert all(values[k] == v for k, v in metrics.items())  # every headline is also in values.json
    assert (local.chronicity / "values.json").exists()
    assert {"km_all", "cox", "cif", "cause_cox", "reentry_cox", "metrics", "decision_curve", "truth"} <= set(
        tables
    )
    assert {f"fairness_{g}" for g in chronicity.FAIRNESS_GROUPS} <= set(tables)
    # the fairness audit protected once, here: no small count and no count behind a rate kept
    protected = chronicity.protected_audits(tables, values)
    assert set(protected) == set(chronicity.FAIRNESS_GROUPS)
    min_cell = params.get("disclosure", {}).get("min_cell", 10)
    for audit in protected.values():
        assert not audit.table["n"].between(1, min_cell - 1).any()
        assert not [c for c in audit.table if c.endswith(("_num", "_den"))]
        assert audit.derived == int(audit.blanked.sum().sum())
    assert values["spells"] == int(tables["km_all"]["n"].iloc[0])
    assert values["median_months"] == pytest.approx(float(tables["km_all"]["median"].iloc[0]))
    assert "person_key" not in tables["cox"].reset_index()  # estimates, never persons


def values_have_oracle(paths) -> bool:
    """The oracle's C-index (synthetic region) stays in values.json though not a headline metric."""
    values = json.loads((paths.chronicity / "values.json").read_text())
    return values.get("oracle_c_index") is not None
