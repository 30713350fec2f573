"""Parameters of the chronicity analyses (the ``chronicity`` section of ``params.yaml``) and the
codes they share.

Defaults live in :mod:`pact_analysis.params` only; :func:`chronicity_params` is the one place the
chronicity code reads its section from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pact_analysis.params import validate_params

#: Exit causes of the RGC (codebook ``rgc_exit``) in the order of their integer codes (0 = censored).
CAUSES = ("JOB_INCOME", "NON_COMPLIANCE", "CARE_MOVED")


#: SAUSS provisions counted as history features (``RGC_PROCESSING`` is the claim itself).
PROVISIONS = (
    "EMERGENCY_AID",
    "INCLUSION_PLAN",
    "EMPLOYMENT_REFERRAL",
    "ENERGY_POVERTY",
    "HOUSING",
    "FAMILY_SUPPORT",
    "DEPENDENCY",
    "INFO",
)


def chronicity_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return the ``chronicity`` parameters, validated, with the dates they are read with.

    Parameters
    ----------
    params : mapping or None
        The project parameters (any section may be left out: :mod:`pact_analysis.params` fills in
        its defaults) or ``None``.

    Returns
    -------
    dict
        The ``chronicity`` section, plus ``extraction_date`` (``data.extraction_date``) and
        ``observation_start`` filled from ``synthetic.start_date`` when not set.

    Raises
    ------
    StageError
        If the parameters do not validate (:func:`pact_analysis.params.validate_params`).
    """
    full = validate_params(dict(params or {}), "parameters")
    out = full["chronicity"] | {"extraction_date": full["data"]["extraction_date"]}
    if out["observation_start"] is None:
        out["observation_start"] = full["synthetic"]["start_date"]
    return out
