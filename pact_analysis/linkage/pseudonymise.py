"""Keyed pseudonyms for linked persons (GDPR Art. 4(5)).

``person_key = HMAC-SHA256(key, canonical identity of the cluster)``, truncated to 16 hex characters.
A plain hash of a DNI could be reversed by enumerating the DNI space; the key, held apart from the
data, is what makes the pseudonym non-derivable (``shared/reference/identities.md``).

The key comes from the environment variable ``PACT_PSEUDONYM_KEY`` or from a file named by
``PACT_PSEUDONYM_KEY_FILE`` (outside the repository). With neither, synthetic runs use
:data:`DEMO_KEY`, a public constant that protects nothing and is refused for real data
(``data.source: files``). The key is never logged, printed or written.

What is written is its fingerprint (:func:`key_fingerprint`): an HMAC of a fixed label under the
key, which identifies the key generation without revealing anything about the key. The ``key``
stage (:mod:`pact_analysis.linkage.key_stage`) writes it to ``metrics/key.json`` on every run, so
a new key re-runs ``link`` and the provenance says which key produced the pseudonyms.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from pathlib import Path
from typing import Any

import pandas as pd

from pact_analysis.errors import StageError

log = logging.getLogger(__name__)

#: Public demonstration key for the synthetic region only. It is in the source code, so it protects
#: nothing: real extracts (``data.source: files``) refuse it.
DEMO_KEY = b"pact-analysis DEMO pseudonymisation key - synthetic data only"

KEY_ENV = "PACT_PSEUDONYM_KEY"
KEY_FILE_ENV = "PACT_PSEUDONYM_KEY_FILE"
#: Shortest key accepted for real data (bytes).
MIN_KEY_BYTES = 16
#: Hex characters kept from the HMAC (64 bits: collisions negligible below billions of persons).
KEY_LENGTH = 16
#: Message whose HMAC under the key is the key's fingerprint (never a person's identity).
FINGERPRINT_LABEL = b"pact-analysis key fingerprint v1"
#: Where the key came from: the public demo key, ``PACT_PSEUDONYM_KEY`` or ``PACT_PSEUDONYM_KEY_FILE``.
KEY_ORIGINS = ("demo", "environment", "file")


def load_key(params: dict[str, Any], root: Path | None = None) -> bytes:
    """Return the pseudonymisation key for this run.

    Parameters
    ----------
    params : dict
        Parameters; reads ``data.source``.
    root : Path, optional
        Project root: a key file inside it is refused (the key never lives in the repository).

    Returns
    -------
    bytes
        The secret key (or :data:`DEMO_KEY` for synthetic data without a configured key).

    Raises
    ------
    StageError
        Real data without a key, with the demo key, with a too short key, or with a key file
        inside the project.
    """
    return load_key_and_origin(params, root)[0]


def load_key_and_origin(params: dict[str, Any], root: Path | None = None) -> tuple[bytes, str]:
    """Return the pseudonymisation key and where it came from (see :func:`load_key`).

    Parameters
    ----------
    params : dict
        Parameters; reads ``data.source``.
    root : Path, optional
        Project root (a key file inside it is refused).

    Returns
    -------
    key : bytes
        The secret key.
    origin : str
        One of :data:`KEY_ORIGINS`: ``"demo"``, ``"environment"`` (``PACT_PSEUDONYM_KEY``) or
        ``"file"`` (``PACT_PSEUDONYM_KEY_FILE``).

    Raises
    ------
    StageError
        As :func:`load_key`.
    """
    source = params.get("data", {}).get("source", "synthetic")
    configured = _configured_key(root)
    if configured is None:
        if source == "synthetic":
            log.info("using the demo key (synthetic data only)")
            return DEMO_KEY, "demo"
        raise StageError(
            f"no pseudonymisation key: set {KEY_ENV} or {KEY_FILE_ENV} (a file outside the project) "
            "before linking real extracts"
        )
    key, origin = configured
    if source != "synthetic" and key == DEMO_KEY:
        raise StageError(
            "the demo pseudonymisation key is public and cannot protect real extracts; set your own key"
        )
    if source != "synthetic" and len(key) < MIN_KEY_BYTES:
        raise StageError(f"the pseudonymisation key is too short (at least {MIN_KEY_BYTES} bytes are needed)")
    return key, origin


def _configured_key(root: Path | None) -> tuple[bytes, str] | None:
    text = os.environ.get(KEY_ENV)
    if text:
        return text.encode("utf-8"), "environment"
    file = os.environ.get(KEY_FILE_ENV)
    if not file:
        return None
    path = Path(file).expanduser().resolve()
    if root is not None and path.is_relative_to(Path(root).resolve()):
        raise StageError(
            f"{KEY_FILE_ENV} points inside the project; keep the key file outside the repository"
        )
    if not path.is_file():
        raise StageError(f"{KEY_FILE_ENV}: no key file at {path}")
    key = path.read_bytes().strip()
    if not key:
        raise StageError(f"{KEY_FILE_ENV}: the key file {path} is empty")
    return key, "file"


def key_fingerprint(key: bytes) -> str:
    """Return a non-secret fingerprint of ``key``: HMAC-SHA256(key, :data:`FINGERPRINT_LABEL`).

    Two runs with the same key have the same fingerprint; two keys almost surely differ (64 bits).
    Without the key it is as unpredictable as any pseudonym, and recovering the key from it is as
    hard as recovering it from a pseudonym. It is not a plain hash of the key: the fixed label
    makes it a value that is used for nothing else (no pseudonym is derived from that message).

    Parameters
    ----------
    key : bytes
        The secret key (:func:`load_key`).

    Returns
    -------
    str
        :data:`KEY_LENGTH` lower-case hex characters.
    """
    return hmac.new(key, FINGERPRINT_LABEL, hashlib.sha256).hexdigest()[:KEY_LENGTH]


def pseudonym(key: bytes, message: str) -> str:
    """Return the keyed pseudonym of ``message``: HMAC-SHA256 truncated to :data:`KEY_LENGTH` hex chars."""
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()[:KEY_LENGTH]


def canonical_identities(records: pd.DataFrame) -> pd.Series:
    """Return the canonical identity of every cluster, the message its pseudonym is derived from.

    The canonical identity is the cluster's most frequent normalised document (ties: the smallest),
    which survives new extracts and new record ids; a cluster without a document, or whose document
    is already the canonical identity of a cluster holding a smaller record, falls back to its
    smallest ``source|record_id``.

    Parameters
    ----------
    records : DataFrame
        ``source``, ``record_id``, ``cluster_id``, ``doc_norm`` for every record.

    Returns
    -------
    Series
        Indexed by ``cluster_id``: ``"DOC|<document>"`` or ``"REC|<source>|<record_id>"``.
    """
    rec = records.assign(rec_key=records["source"] + "|" + records["record_id"])
    # the smallest key of each cluster: sorting once is linear in pandas, a string min per group is not
    first_record = rec.sort_values("rec_key").drop_duplicates("cluster_id").set_index("cluster_id")["rec_key"]
    first_record = first_record.sort_index()
    docs = (
        rec.dropna(subset=["doc_norm"]).groupby(["cluster_id", "doc_norm"]).size().rename("n").reset_index()
    )
    docs = docs.sort_values(["cluster_id", "n", "doc_norm"], ascending=[True, False, True])
    best = docs.drop_duplicates("cluster_id").set_index("cluster_id")["doc_norm"]
    frame = pd.DataFrame({"first_record": first_record, "doc": best.reindex(first_record.index)})
    frame = frame.sort_values("first_record")
    taken = frame["doc"].notna() & ~frame["doc"].duplicated(keep="first")
    return ("DOC|" + frame["doc"]).where(taken, "REC|" + frame["first_record"]).sort_index()


def assign_person_keys(records: pd.DataFrame, key: bytes) -> pd.DataFrame:
    """Add ``person_key`` to every record from its cluster's canonical identity.

    Parameters
    ----------
    records : DataFrame
        ``source``, ``record_id``, ``cluster_id``, ``doc_norm``.
    key : bytes
        Secret key (:func:`load_key`).

    Returns
    -------
    DataFrame
        ``source, record_id, cluster_id, person_key, cluster_size``, sorted by source and record.

    Raises
    ------
    StageError
        If two clusters received the same pseudonym (a truncation collision; practically impossible).
    """
    canonical = canonical_identities(records)
    keys = canonical.map(lambda message: pseudonym(key, message))
    if keys.duplicated().any():
        raise StageError("two persons received the same pseudonym; report this (truncation collision)")
    out = records[["source", "record_id", "cluster_id"]].copy()
    out["person_key"] = out["cluster_id"].map(keys)
    out["cluster_size"] = out.groupby("cluster_id")["record_id"].transform("size").astype("int64")
    return out.sort_values(["source", "record_id"], ignore_index=True)
