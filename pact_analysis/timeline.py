"""Calendar helpers of the ground floor: the month used as the clock of every duration, and ages.

Used by the analyses (:mod:`pact_analysis.chronicity`) and by the synthetic-region generator
(:mod:`pact_analysis.synth.timeline` re-exports them), so both measure time the same way without the
analyses importing the generator.
"""

from __future__ import annotations

import numpy as np

#: Mean length of a calendar month in days (365.25 / 12).
DAYS_PER_MONTH = 30.4375
#: Mean length of a year in days.
DAYS_PER_YEAR = 365.25


def age_years(birth: np.ndarray, on: np.ndarray | np.datetime64) -> np.ndarray:
    """Return age in (fractional) years on the given date(s).

    Parameters
    ----------
    birth : array-like of datetime64
        Birth dates.
    on : array-like or scalar datetime64
        Dates at which the age is measured (broadcast against ``birth``).

    Returns
    -------
    ndarray
        Days between the two dates divided by :data:`DAYS_PER_YEAR`.
    """
    days = (np.asarray(on, dtype="datetime64[D]") - np.asarray(birth, dtype="datetime64[D]")).astype(float)
    return days / DAYS_PER_YEAR
