"""Calendar helpers shared by the outcome simulators (spells, services, pilot).

Dates are handled as ``numpy.datetime64[D]`` arrays inside the simulators (vectorised, no Python
loop over persons) and returned to callers as ``datetime64[ns]`` pandas columns. Durations are in
months of :data:`DAYS_PER_MONTH` days. The month and :func:`age_years` live on the ground floor
(:mod:`pact_analysis.timeline`), shared with the analyses.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pact_analysis.timeline import DAYS_PER_MONTH, age_years

__all__ = [
    "DAYS_PER_MONTH",
    "add_months",
    "age_years",
    "as_day",
    "logistic",
    "months_between",
    "to_column",
    "to_days",
    "uniform_days",
]


def as_day(value: Any) -> np.datetime64:
    """Return a date-like value (``datetime.date``, string, Timestamp) as ``datetime64[D]``."""
    return np.datetime64(pd.Timestamp(value).date(), "D")


def to_days(values: pd.Series | np.ndarray) -> np.ndarray:
    """Return a date column as a ``datetime64[D]`` array (missing values become NaT)."""
    return pd.to_datetime(pd.Series(values)).to_numpy().astype("datetime64[D]")


def to_column(days: np.ndarray) -> np.ndarray:
    """Return ``datetime64[D]`` values as ``datetime64[ns]`` (the dtype every output frame uses)."""
    return np.asarray(days).astype("datetime64[ns]")


def add_months(days: np.ndarray, months: np.ndarray | float) -> np.ndarray:
    """Shift dates by a (fractional) number of months, rounded to whole days."""
    shift = np.rint(np.asarray(months, dtype=float) * DAYS_PER_MONTH).astype("int64")
    return np.asarray(days).astype("datetime64[D]") + shift.astype("timedelta64[D]")


def months_between(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Return ``end - start`` in months (float; NaN where either date is NaT)."""
    delta = (np.asarray(end, dtype="datetime64[D]") - np.asarray(start, dtype="datetime64[D]")).astype(float)
    delta[
        np.isnat(np.asarray(end, dtype="datetime64[D]")) | np.isnat(np.asarray(start, dtype="datetime64[D]"))
    ] = np.nan
    return delta / DAYS_PER_MONTH


def uniform_days(
    low: np.ndarray | np.datetime64,
    high: np.ndarray | np.datetime64,
    rng: np.random.Generator,
    size: int | None = None,
) -> np.ndarray:
    """Draw dates uniformly between ``low`` and ``high`` inclusive (element-wise, ``high >= low``).

    Parameters
    ----------
    low, high : datetime64[D] scalar or array
        Bounds; arrays are broadcast together.
    rng : numpy.random.Generator
        Random stream.
    size : int, optional
        Number of draws when both bounds are scalars.
    """
    low = np.asarray(low, dtype="datetime64[D]")
    high = np.asarray(high, dtype="datetime64[D]")
    span = (high - low).astype("int64") + 1
    shape = np.broadcast(low, high).shape if size is None else (size,)
    offset = np.floor(rng.random(shape) * np.maximum(span, 1)).astype("int64")
    return low + offset.astype("timedelta64[D]")


def logistic(x: np.ndarray | float) -> np.ndarray:
    """Return the logistic function ``1 / (1 + exp(-x))``."""
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))
