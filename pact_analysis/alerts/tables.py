"""Tables of report ``04_alerts``: counts only, never persons, shares of small cells not shown."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pact_analysis.alerts.factors import FACTORS


def share_table(scores: pd.DataFrame, by: str, min_cell: int) -> pd.DataFrame:
    """Heads scored and alerts per category of ``by``, with shares shown only where both counts are
    publishable (a share of a suppressed count would reveal it).

    Returns
    -------
    DataFrame
        Indexed by ``by``: ``scored``, ``alerts``, ``alert_share``, ``share_of_recipients``,
        ``share_of_alerts``.
    """
    from pact_analysis import disclosure

    table = scores.groupby(by, dropna=False, observed=True).agg(
        scored=("alert", "size"), alerts=("alert", "sum")
    )
    masked = disclosure.protect(table, min_cell, ["scored", "alerts"]).mask.any(axis=1)
    shares = pd.DataFrame(
        {
            "alert_share": table["alerts"] / table["scored"],
            "share_of_recipients": table["scored"] / table["scored"].sum(),
            "share_of_alerts": table["alerts"] / max(int(table["alerts"].sum()), 1),
        }
    )
    return table.join(shares.mask(masked))


def reason_counts(scores: pd.DataFrame, n_reasons: int) -> pd.DataFrame:
    """How many alerts show each factor (with its direction) among their reasons.

    Returns
    -------
    DataFrame
        Indexed by ``reason`` (``<factor>.<high|low>`` or :data:`AVERAGE_PROFILE`), sorted by count:
        ``alerts``, ``share_of_alerts``, ``modifiable``, ``kind``.
    """
    alerted = scores.loc[scores["alert"]]
    keys = []
    for i in range(1, n_reasons + 1):
        factor, direction = alerted[f"reason_{i}"], alerted[f"reason_{i}_direction"]
        keys.append((factor + "." + direction.fillna("")).str.rstrip(".").dropna())
    counts = pd.concat(keys).value_counts().rename("alerts").rename_axis("reason").to_frame()
    factor = counts.index.str.split(".").str[0]
    counts["share_of_alerts"] = counts["alerts"] / max(len(alerted), 1)
    counts["modifiable"] = [FACTORS[f].modifiable if f in FACTORS else False for f in factor]
    counts["kind"] = [FACTORS[f].kind if f in FACTORS else "spell" for f in factor]
    return counts.sort_values(["alerts", "share_of_alerts"], ascending=False, kind="stable")


def disability_label(scores: pd.DataFrame) -> pd.DataFrame:
    """``disability`` (0/1) as the report's categories ``with_disability`` / ``no_disability``."""
    return scores.assign(disability=np.where(scores["disability"] > 0, "with_disability", "no_disability"))
