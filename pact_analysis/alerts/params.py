"""Parameters of the alerts (the ``alerts`` section of ``params.yaml``) and the model's, which are the
chronicity section's (one model and one threshold for the report and the alerts).

Defaults live in :mod:`pact_analysis.params` only (``alerts.threshold`` is an unknown key there: the
threshold is chosen on the recalibration cohort by the rule ``chronicity.alert_share``, and the stage
adds it once the model is fitted).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pact_analysis import chronicity as ch
from pact_analysis.params import validate_params


def alerts_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return the validated ``alerts`` parameters plus the model's ``landmarks`` and
    ``exclude_predictors`` from the ``chronicity`` section (defined there once: the report validates
    and audits the same model; its threshold comes from the fitted model, not from here).

    Parameters
    ----------
    params : mapping or None
        The project parameters (sections left out take their defaults).
    """
    params = dict(params or {})
    chron = ch.chronicity_params(params)
    model = {
        "landmarks": [float(m) for m in chron["landmarks"]],
        "exclude_predictors": list(chron["exclude_predictors"]),
    }
    return validate_params(params, "parameters")["alerts"] | model
