"""The ``profiles`` parameters: the one place where this package reads ``params``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pact_analysis.params import Profiles


def settings(params: Mapping[str, Any]) -> dict[str, Any]:
    """The ``profiles`` parameters with their defaults (:class:`pact_analysis.params.Profiles`), and the
    study seed.

    Parameters
    ----------
    params : mapping
        The study parameters (reads ``seed`` and ``profiles``).

    Returns
    -------
    dict
        ``k_max, min_class_share, k_criterion, n_init, max_starts, selection_sample, bootstrap, bootstrap_sample,
        ceiling_folds, validation_sample, pathways_sample, pathway_types`` and ``seed``.
    """
    section = dict(params.get("profiles", {}) or {})
    return Profiles().model_dump() | section | {"seed": int(params["seed"])}
