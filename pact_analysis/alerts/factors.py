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
from pact_analysis import codebook
from pact_analysis.errors import StageError


@dataclass(frozen=True)
class Factor:
    """What a case manager is told about a predictor.

    Parameters
    ----------
    kind : str
        ``work``, ``training``, ``services``, ``personal``, ``household``, ``history``, ``spell`` or
        ``protected`` (groups the suggested intervention).
    modifiable : bool
        A lever: something a case manager can act on now (codebook ``alert_factors``, role ``lever``).
    role : str
        ``lever``, ``context`` or ``protected`` (codebook ``alert_factors``).
    """

    kind: str
    modifiable: bool
    role: str = "context"

    @property
    def protected(self) -> bool:
        """A protected characteristic: never a reason shown to case managers."""
        return self.kind == "protected" or self.role == "protected"


def _from_codebook() -> dict[str, Factor]:
    """Every factor of the codebook's code lists ``alert_factor_role`` (lever, context, protected:
    marked there once) and ``alert_factor_kind``."""
    roles, kinds = codebook.codes("alert_factor_role"), codebook.codes("alert_factor_kind")
    bad = {k: v for k, v in roles.items() if v not in ("lever", "context", "protected")}
    if bad or set(roles) != set(kinds):
        raise StageError(f"codebook alert_factor_role/kind: bad roles {bad} or factors not in both lists")
    return {k: Factor(str(kinds[k]), v == "lever", str(v)) for k, v in roles.items()}


#: Every predictor the alerts may use, with its kind and role; labels are ``alerts.factor.<name>.high|low``.
FACTORS: dict[str, Factor] = _from_codebook()


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
