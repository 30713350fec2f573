"""The ``key`` stage: record which pseudonymisation key this run uses, never the key.

Writes the key's fingerprint (an HMAC of a fixed label) and its origin to ``metrics/key.json`` on every
run (``always_changed`` in ``dvc.yaml``), so a missing key fails at once even when ``link`` is cached,
and a new key re-runs ``link``.
"""

from __future__ import annotations

import logging
from typing import Any

from pact_analysis.io import write_json
from pact_analysis.linkage import key_stage, pseudonymise
from pact_analysis.paths import Paths

log = logging.getLogger(__name__)


def run(paths: Paths, params: dict[str, Any]) -> None:
    """Run the stage (see the module docstring).

    Parameters
    ----------
    paths : Paths
        Project paths.
    params : dict
        Validated parameters; reads ``data.source``.

    Raises
    ------
    StageError
        No usable key (see :func:`pact_analysis.linkage.pseudonymise.load_key`).
    """
    key, origin = pseudonymise.load_key_and_origin(params, paths.root)
    record = key_stage.key_record(key, origin)
    write_json(key_stage.key_metrics_path(paths), record)
    log.info("pseudonymisation key: fingerprint %s (%s)", record["key_fingerprint"], origin)
