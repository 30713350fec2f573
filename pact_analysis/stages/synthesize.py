"""The ``synthesize`` stage: generate the synthetic region, or stage the delivered extracts.

Reads ``seed``, ``data`` and ``synthetic``; writes ``data/raw``, ``data/truth`` and
``metrics/synthesize.json`` (row counts and noise of the synthetic region, or the extracts staged and
those not delivered).
"""

from __future__ import annotations

from typing import Any

from pact_analysis import synth
from pact_analysis.io import write_json
from pact_analysis.paths import Paths


def run(paths: Paths, params: dict[str, Any]) -> None:
    """Run the stage (see the module docstring).

    Parameters
    ----------
    paths : Paths
        Project paths.
    params : dict
        Validated parameters (:func:`pact_analysis.params.load_params`).
    """
    if params["data"]["source"] == "synthetic":
        synth.generate(params, paths.raw, paths.truth, paths.metric("synthesize"))
    else:
        staged = synth.stage_files(paths.extracts, paths.raw, paths.truth)
        write_json(paths.metric("synthesize"), synth.staged_metrics(paths.raw, staged))
