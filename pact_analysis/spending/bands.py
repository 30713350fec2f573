"""Chronicity-risk bands of today's recipients, from the alerts stage's scores, and their spending."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pact_analysis.alerts.scoring import select_alerts
from pact_analysis.spending.paid import spending_by_folded

#: Risk bands of today's recipients, in reading order (``below_threshold``: ``low`` and ``medium``
#: merged when either is small, see :func:`merge_bands`).
#: The lowest risk of the ``medium`` band (below it: ``low``).
MEDIUM_RISK = 0.5
BANDS = ("before_scoring", "low", "medium", "below_threshold", "high", "past_horizon", "not_scored")

#: The order in which tables and figures list the bands: by time on the benefit (before scoring, the
#: scored bands from low to high risk, not scored further into the spell, already chronic), then those
#: no longer paid, the small bands folded together and the total.
BAND_ORDER = (
    "before_scoring",
    "low",
    "medium",
    "below_threshold",
    "high",
    "not_scored",
    "past_horizon",
    "left",
    "other",
    "total",
)


def in_band_order(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of a table indexed by band, in :data:`BAND_ORDER` (a band not listed there goes last).

    Parameters
    ----------
    table : DataFrame
        Indexed by band (``future``, ``last_year``).

    Returns
    -------
    DataFrame
        The same rows, reordered.
    """
    rank = {band: i for i, band in enumerate(BAND_ORDER)}
    return table.iloc[sorted(range(len(table)), key=lambda i: rank.get(table.index[i], len(rank)))]


def flagged(scores: pd.DataFrame, threshold: float | None = None, top_k: int | None = None) -> pd.Series:
    """Whom the model flags, by ``person_key``: the alerts stage's selection, whether or not issued.

    Parameters
    ----------
    scores : DataFrame
        The alerts stage's scores (``person_key``, ``risk``, ``alert``; ``ceas_code`` with ``top_k``).
    threshold : float, optional
        The deployed threshold; without it, the scores' ``alert`` (as issued).
    top_k : int, optional
        ``alerts.top_k``: at most this many flagged per CEAS, highest risk first
        (:func:`pact_analysis.alerts.select_alerts`); None, no cap.

    Returns
    -------
    Series of bool
        Indexed by ``person_key``.
    """
    s = scores.drop_duplicates("person_key")
    if threshold is None:
        chosen = s["alert"].astype("boolean").fillna(False).astype(bool)
    else:  # the scenario concerns whom the model flags; issuing the alerts is the alerts stage's call
        chosen = select_alerts(s, float(threshold), top_k)
    return pd.Series(chosen.to_numpy(), index=s["person_key"].to_numpy(), name="flagged")


def risk_bands(
    current: pd.DataFrame,
    scores: pd.DataFrame,
    first_landmark: float,
    horizon: float,
    threshold: float | None = None,
    top_k: int | None = None,
) -> pd.Series:
    """Chronicity-risk band of each current recipient, from the alerts stage's scores.

    Bands: ``high`` (flagged, :func:`flagged`: risk at or above the deployed ``threshold`` and, with
    ``top_k``, among the ``top_k`` highest of its CEAS, whether or not the alerts were issued;
    without a threshold, the scores' ``alert``), ``medium`` (risk at least 0.5, not flagged: with
    ``top_k`` this includes risks above the threshold beyond a CEAS's cap), ``low`` (risk below 0.5),
    ``before_scoring`` (fewer than ``first_landmark`` months on the episode), ``past_horizon``
    (``horizon`` months or more: already chronic, not scored) and ``not_scored`` (otherwise).

    Returns
    -------
    Series of str
        Indexed like ``current``.
    """
    risk = current["person_key"].map(scores.drop_duplicates("person_key").set_index("person_key")["risk"])
    alert = current["person_key"].map(flagged(scores, threshold, top_k)).astype("boolean").fillna(False)
    band = np.select(
        [
            alert.astype(bool),
            risk >= MEDIUM_RISK,
            risk < MEDIUM_RISK,
            current["elapsed"] < first_landmark,
            current["elapsed"] >= horizon,
        ],
        ["high", "medium", "low", "before_scoring", "past_horizon"],
        default="not_scored",
    )
    return pd.Series(band, index=current.index, name="band")


def merge_bands(band: pd.Series, min_cell: int) -> pd.Series:
    """Merge ``low`` and ``medium`` into ``below_threshold`` when either has fewer than ``min_cell`` persons.

    Folding a small band into its neighbour keeps the alerted band (``high``) visible, which the
    generic :func:`small_groups` (smallest first) could fold away.
    """
    counts = band.value_counts()
    if min(counts.get("low", min_cell), counts.get("medium", min_cell)) < min_cell:
        return band.replace({"low": "below_threshold", "medium": "below_threshold"})
    return band


def last_year_by_band(
    paid: pd.DataFrame, current: pd.DataFrame, min_cell: int, chronic_months: int
) -> pd.DataFrame:
    """Spending of the 12 months before the extraction by today's risk band (``left``: no longer paid).

    Bands of fewer than ``min_cell`` persons are folded into :data:`OTHER`.
    """
    last = paid.loc[paid["month"] > paid["month"].max() - pd.DateOffset(months=12)]
    band = last["person_key"].map(current.drop_duplicates("person_key").set_index("person_key")["band"])
    return spending_by_folded(last.assign(band=band.fillna("left")), "band", min_cell, chronic_months)
