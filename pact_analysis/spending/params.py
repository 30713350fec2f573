"""Parameters of the spending analysis: the ``spending`` section of ``params.yaml``.

Defaults live in :mod:`pact_analysis.params` only; :func:`spending_params` is the one place the
spending code reads its section from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pact_analysis.params import validate_params


def spending_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return the validated ``spending`` parameters.

    Parameters
    ----------
    params : mapping or None
        Project parameters (sections left out take their defaults).

    Returns
    -------
    dict
        The ``spending`` section with every default filled in.
    """
    return validate_params(dict(params or {}), "parameters")["spending"]
