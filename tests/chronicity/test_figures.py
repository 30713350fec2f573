"""Figures of report ``03_chronicity``."""

from __future__ import annotations

import pandas as pd


def test_group_rates_figure_draws_an_interval_that_leaves_out_its_estimate():
    """A percentile bootstrap interval of a small group can miss its own estimate; the figure says so."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pact_analysis.chronicity import figures

    table = pd.DataFrame(
        {
            "false_positive_rate": [0.10, 0.20],
            "false_positive_rate_lower": [0.12, 0.15],  # interval above the estimate
            "false_positive_rate_upper": [0.30, 0.25],
        },
        index=pd.Index(["small group", "overall"]),
    )
    ax = figures.plot_group_rates(table, str, {"false_positive_rate": "FPR"}, "rate")
    segments = ax.collections[0].get_segments()
    assert [tuple(s[:, 0]) for s in segments] == [(0.12, 0.30), (0.15, 0.25)]
    assert list(ax.lines[0].get_xdata()) == [0.10, 0.20]
    plt.close("all")
