"""Fixtures of the chronicity tests: lifelines' Rossi data and the tiny region's processed tables."""

from __future__ import annotations

import pytest
from lifelines.datasets import load_rossi

from pact_analysis.chronicity.spells import load_tables
from pact_analysis.params import load_params

#: Fewer boosting rounds and a fixed penalty: the tiny region checks wiring, not the candidates'
#: precision (the cross-validated penalty runs in the alerts tests).
LIGHT = {"boosting": {"max_iter": 20}, "logistic_C": 1.0}


@pytest.fixture(scope="module")
def rossi():
    """Lifelines' recidivism data and its covariates (published answers)."""
    data = load_rossi()
    return data, [c for c in data if c not in ("week", "arrest")]


@pytest.fixture(scope="module")
def tiny(tiny_project):
    """The tiny project's paths, parameters and processed tables."""
    params = load_params(tiny_project.params)
    tables = load_tables(tiny_project.processed)
    return tiny_project, params, tables
