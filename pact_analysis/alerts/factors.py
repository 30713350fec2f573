"""What a case manager is told about each predictor of the chronicity model.

Factor metadata (kind, modifiable, protected) are defined once, in :data:`FACTORS`; protected factors
are never shown as reasons (:func:`shown_factors`), and every factor of the model must have an entry
(:func:`check_factors`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pact_analysis import chronicity as ch
from pact_analysis.errors import StageError


@dataclass(frozen=True)
class Factor:
    """What a case manager is told about a predictor.

    Parameters
    ----------
    kind : str
        ``work``, ``training``, ``services`` (modifiable), ``personal``, ``household``, ``history``,
        ``spell`` or ``protected``.
    modifiable : bool
        Whether proactive work can change it.
    """

    kind: str
    modifiable: bool

    @property
    def protected(self) -> bool:
        """A protected characteristic: never a reason shown to case managers."""
        return self.kind == "protected"


_WORK, _TRAINING, _SERVICES = Factor("work", True), Factor("training", True), Factor("services", True)
#: Every predictor the alerts may use, with its kind; labels are ``alerts.factor.<name>.high|low``.
FACTORS: dict[str, Factor] = {
    "age_per_decade": Factor("personal", False),
    "disability": Factor("personal", False),
    "female": Factor("protected", False),
    "foreign": Factor("protected", False),
    "low_education": _TRAINING,
    "lone_parent": Factor("household", False),
    "household_size": Factor("household", False),
    "prior_imi": Factor("history", False),
    "prior_spells": Factor("history", False),
    "years_before": Factor("history", False),
    "months_on_spell": Factor("spell", False),
    "recent_employment": _WORK,
    "contract_since_start": _WORK,
    "contracts_before": _WORK,
    "services_before": _SERVICES,
    **{f"svc_{code.lower()}": _SERVICES for code in ch.PROVISIONS},
    "ngo_before": _SERVICES,
}


#: Reason code when no factor raises the risk above the average recipient's.
AVERAGE_PROFILE = "average_profile"


def check_factors(params: Mapping[str, Any] | None) -> list[str]:
    """The model's factors (:func:`pact_analysis.chronicity.predictors` grouped by
    :func:`~pact_analysis.chronicity.factor_of`), each with an entry in :data:`FACTORS`.

    Raises
    ------
    StageError
        If a factor has no entry in :data:`FACTORS` (it could not be explained to a case manager).
    """
    factors = list(dict.fromkeys(ch.factor_of(f) for f in ch.predictors(params)))
    unknown = [f for f in factors if f not in FACTORS]
    if unknown:
        raise StageError(f"alerts: no factor metadata for {unknown}; add them to alerts.FACTORS")
    return factors


def shown_factors(features: Sequence[str]) -> list[str]:
    """The features that may be shown as reasons (protected characteristics never are)."""
    return [f for f in features if not FACTORS[f].protected]
