"""Figures drawn the same way in every report, with words from the catalogues.

Statistics modules return tables; how they are drawn for a reader (labels in the page's language,
grouping, sizes readable in print) lives here, beside the page framework.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

#: Height in inches of one bar of a horizontal bar chart (readable in print at the report's DPI).
BAR_HEIGHT = 0.32


def match_weights_figure(
    table: pd.DataFrame,
    comparison_label: Callable[[str], str],
    level_label: Callable[[str, str], str],
    xlabel: str,
) -> Any:
    """The linkage model's match weights, one panel per comparison, levels labelled for readers.

    Parameters
    ----------
    table : DataFrame
        ``comparison, level, match_weight`` in the model's order
        (:func:`pact_analysis.linkage.diagnostics.parameter_table`); levels without a weight (never
        observed in training) are left out.
    comparison_label : callable
        ``comparison -> words`` (a catalogue text).
    level_label : callable
        ``(comparison, level) -> words`` (a catalogue text).
    xlabel : str
        Label of the shared horizontal axis.

    Returns
    -------
    matplotlib Figure
    """
    import matplotlib.pyplot as plt

    shown = table.dropna(subset=["match_weight"])
    groups = list(dict.fromkeys(shown["comparison"]))
    sizes = [int((shown["comparison"] == g).sum()) for g in groups]
    fig, axes = plt.subplots(
        len(groups), 1, sharex=True, figsize=(8, BAR_HEIGHT * sum(sizes) + 0.55 * len(groups) + 0.8),
        gridspec_kw={"height_ratios": sizes},
    )  # fmt: skip
    axes = np.atleast_1d(axes)
    for ax, group in zip(axes, groups, strict=True):
        rows = shown[shown["comparison"] == group]
        labels = [level_label(group, level) for level in rows["level"]]
        weights = rows["match_weight"].to_numpy()
        colours = np.where(weights >= 0, "#1f618d", "#c0392b")
        ax.barh(labels[::-1], weights[::-1], color=colours[::-1], height=0.7)
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_title(comparison_label(group), loc="left", fontsize="medium", fontweight="bold")
        ax.tick_params(axis="y", labelsize="small")
    axes[-1].set_xlabel(xlabel)
    fig.tight_layout()
    return fig
