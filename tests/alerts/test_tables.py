"""Tables of report ``04_alerts``: shares of small cells are not published."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pact_analysis import alerts as al


def test_shares_of_small_cells_are_not_published():
    groups = ["a"] * 30 + ["c"] * 40 + ["b"] * 4
    alert = [True] * 12 + [False] * 18 + [True] * 20 + [False] * 20 + [True] * 3 + [False]
    table = al.share_table(pd.DataFrame({"g": groups, "alert": alert}), "g", min_cell=10)
    shares = ["alert_share", "share_of_alerts", "share_of_recipients"]
    assert table.loc["b", shares].isna().all()
    assert table[shares].notna().any(axis=None), "shares of publishable cells are shown"
    shown = table.dropna(subset=["alert_share"])
    assert np.allclose(shown["alert_share"], shown["alerts"] / shown["scored"])
    assert (shown[["scored", "alerts"]] >= 10).all(axis=None)
