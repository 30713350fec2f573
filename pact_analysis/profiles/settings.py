"""The ``profiles`` parameters: the one place where this package reads ``params``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pact_analysis.profiles.latent import MIN_CLASS_SHARE


def settings(params: Mapping[str, Any]) -> dict[str, Any]:
    """The ``profiles`` parameters with defaults, and the study seed.

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
    defaults = {
        "k_max": 8,
        "min_class_share": MIN_CLASS_SHARE,
        "k_criterion": "bic",
        "n_init": 20,
        "max_starts": 40,
        "selection_sample": 6000,
        "bootstrap": 50,
        "bootstrap_sample": 3000,
        "ceiling_folds": 5,
        "validation_sample": 50000,
        "pathways_sample": 1500,
        "pathway_types": [3, 4, 5, 6, 7, 8],
    }
    return defaults | section | {"seed": int(params["seed"])}
