"""The ``key`` stage: record which pseudonymisation key the run uses, never the key itself.

``python -m pact_analysis key`` loads the key exactly as ``link`` does
(:func:`pact_analysis.linkage.pseudonymise.load_key_and_origin`, so real extracts without a key
fail here with the same message) and writes ``metrics/key.json``::

    {"key_fingerprint": "<16 hex characters>", "key_origin": "demo" | "environment" | "file"}

The stage is ``always_changed`` in ``dvc.yaml``: it runs on every ``dvc repro``, and as
``metrics/key.json`` is a dependency of ``link``, a new key (a new fingerprint) re-runs ``link`` and
re-pseudonymises everything, while the same key leaves ``link`` cached. ``link`` then refuses a key
whose fingerprint differs from the recorded one (:func:`check_key`), so one run never mixes keys.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from pact_analysis.errors import StageError
from pact_analysis.linkage import pseudonymise
from pact_analysis.paths import Paths

log = logging.getLogger(__name__)


def key_metrics_path(paths: Paths) -> Path:
    """Where the stage writes the key's fingerprint (``metrics/key.json``)."""
    return paths.metrics / "key.json"


def key_record(key: bytes, origin: str) -> dict[str, str]:
    """Return the content of ``metrics/key.json`` for ``key``: its fingerprint and origin only."""
    return {"key_fingerprint": pseudonymise.key_fingerprint(key), "key_origin": origin}


def check_key(paths: Paths, key: bytes) -> None:
    """Refuse to link with another key than the one the ``key`` stage recorded.

    Parameters
    ----------
    paths : Paths
        Project paths.
    key : bytes
        The key ``link`` loaded.

    Raises
    ------
    StageError
        If ``metrics/key.json`` holds another fingerprint (the key changed after the ``key`` stage
        ran). Without the file (``link`` run from Python, outside the pipeline) nothing is checked.
    """
    file = key_metrics_path(paths)
    if not file.exists():
        log.info("no %s (the key stage did not run): key fingerprint not checked", file.name)
        return
    recorded = json.loads(file.read_text(encoding="utf-8")).get("key_fingerprint")
    current = pseudonymise.key_fingerprint(key)
    if recorded != current:
        raise StageError(
            f"the pseudonymisation key changed since the key stage ran (fingerprint {recorded} "
            f"recorded, {current} now): run `dvc repro` again with one key, so that a run never "
            "mixes keys"
        )
