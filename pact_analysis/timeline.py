"""Calendar helpers of the ground floor: the month used as the clock of every duration, ages, and the
time covered by overlapping intervals.

Used by the analyses (:mod:`pact_analysis.chronicity`) and by the synthetic-region generator
(:mod:`pact_analysis.synth.timeline` re-exports them), so both measure time the same way without the
analyses importing the generator.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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


def covered_time(
    frame: pd.DataFrame, key: str = "person_key", start: str = "start_date", end: str = "end_date"
) -> pd.Series:
    """Length of the union of each key's intervals: overlapping or nested ones counted once.

    Parameters
    ----------
    frame : DataFrame
        One row per interval ``[start, end)``: ``key``, ``start`` and ``end`` (dates or numbers such
        as month numbers; no missing value); an interval that does not end after it starts covers
        nothing.
    key : str
        The column grouping the intervals.
    start, end : str
        The columns of the limits.

    Returns
    -------
    Series
        Indexed by ``key`` (every key of ``frame``): Timedelta for dates, a number for numbers.
    """
    keys = frame[key].drop_duplicates()
    order = frame.loc[frame[end] > frame[start]].sort_values([key, start], kind="stable")
    reach = order[end].groupby(order[key]).cummax().groupby(order[key]).shift()
    begin = order[start].where(reach.isna() | (order[start] > reach), reach)
    length = order[end] - begin
    length = length.where(length > length * 0, length * 0)  # zero of the type: Timedelta or number
    total = length.groupby(order[key]).sum()
    return total.reindex(keys, fill_value=(frame[end] - frame[end]).sum()).rename_axis(key)
