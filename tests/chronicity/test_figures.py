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


def test_an_exit_route_keeps_its_colour_in_every_figure():
    import matplotlib.colors as mcolors

    from pact_analysis.chronicity import figures as fig

    cif = pd.DataFrame(
        {
            "cause": ["JOB_INCOME"] * 2 + ["NON_COMPLIANCE"] * 2 + ["CARE_MOVED"] * 2,
            "time": [0, 1] * 3,
            "cif": [0, 0.1, 0, 0.2, 0, 0.05],
            "ci_lower": [0, 0.05, 0, 0.1, 0, 0.01],
            "ci_upper": [0, 0.2, 0, 0.3, 0, 0.1],
        }
    )
    # the returns figure lists the routes in another order: the colours must not follow the order
    a = fig.plot_curves(cif, str, "x", "y", value="cif")
    b = fig.plot_curves(
        cif.rename(columns={"cause": "group"}),
        str,
        "x",
        "y",
        value="cif",
        groups=["CARE_MOVED", "JOB_INCOME"],
    )
    first = {line.get_label(): mcolors.to_hex(line.get_color()) for line in a.get_lines()}
    second = {line.get_label(): mcolors.to_hex(line.get_color()) for line in b.get_lines()}
    assert all(first[k] == c for k, c in second.items()) and len(set(first.values())) == 3
    forest = pd.DataFrame(
        {"term": ["age"] * 2, "series": ["NON_COMPLIANCE", "JOB_INCOME"], "ratio": [1.0, 1.2], "lower": [0.9, 1.0],
         "upper": [1.1, 1.4]}
    )  # fmt: skip
    ax = fig.plot_forest(forest, str, "x")
    drawn = {h.get_label(): mcolors.to_hex(h.lines[0].get_color()) for h in ax.containers}
    assert drawn["NON_COMPLIANCE"] == first["NON_COMPLIANCE"] and drawn["JOB_INCOME"] == first["JOB_INCOME"]
