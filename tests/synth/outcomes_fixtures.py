"""A small region with outcomes, shared by the outcome simulators' tests (spells, services, pilot)."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from pact_analysis.params import load_params
from pact_analysis.paths import ROOT
from pact_analysis.synth import pilot, spells
from pact_analysis.synth.population import make_population
from pact_analysis.synth.region import make_ceas


def project_params() -> dict[str, Any]:
    """Return a fresh copy of the project's params.yaml."""
    return copy.deepcopy(load_params(ROOT / "params.yaml"))


@cache
def region(n_persons: int, seed: int = 11) -> dict[str, Any]:
    """Persons, RGC output and pilot output of a region of ``n_persons`` (cached per size and seed).

    Child random streams follow the orchestrator's convention (``SeedSequence(seed).spawn``).
    """
    params = project_params()
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3)]
    persons = make_population(n_persons, streams[0], params)
    rgc = spells.simulate_rgc(persons, params, streams[1])
    # as the orchestrator does: the other simulators see the RGC's years only (an inherited IMI file
    # from synthetic.start_date); "true_spells" keep the true starts
    seen = spells.within_window(rgc["spells"], params)
    pilots = pilot.simulate_pilot(persons, seen, make_ceas(), params, streams[2])
    return {"params": params, "persons": persons, "ceas": make_ceas(), **rgc, "spells": seen,
            "true_spells": rgc["spells"], **pilots}  # fmt: skip


def frames(n_persons: int, seed: int = 11) -> dict[str, pd.DataFrame]:
    """Return copies of the cached region's frames (tests may modify them)."""
    return {
        k: (v.copy() if isinstance(v, pd.DataFrame) else copy.deepcopy(v))
        for k, v in region(n_persons, seed).items()
    }
