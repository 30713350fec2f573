"""Former home of the pathways, kept so that old imports keep working: see :mod:`pact_analysis.profiles.pathways`."""

from pact_analysis.profiles.pathways import (
    STATES,
    hamming_typology,
    members_spells,
    month_index,
    sequences_from_tables,
    state_distribution,
    state_sequences,
    transition_rates,
    type_profiles,
)

__all__ = [
    "STATES",
    "hamming_typology",
    "members_spells",
    "month_index",
    "sequences_from_tables",
    "state_distribution",
    "state_sequences",
    "transition_rates",
    "type_profiles",
]
