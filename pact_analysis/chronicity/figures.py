"""Figures of report ``03_chronicity``: survival curves, forest plots, calibration, decision curve.

Each function draws one matplotlib figure from a result table of the ``chronicity`` stage
(:mod:`pact_analysis.chronicity.results`) and returns its Axes; every word on it comes from the caller
(``label`` translates a category or a covariate name, the other texts are passed in), so the same
figure serves both languages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

Label = Callable[[str], str]

#: One colour per exit route, the same in every figure (cumulative incidence, cause-specific hazards,
#: returns); other groups take matplotlib's cycle.
CAUSE_COLOURS = {"JOB_INCOME": "C0", "NON_COMPLIANCE": "C1", "CARE_MOVED": "C2", "UNKNOWN_EXIT": "C7"}


def plot_curves(
    curves: pd.DataFrame,
    label: Label,
    xlabel: str,
    ylabel: str,
    value: str = "survival",
    groups: Sequence[str] | None = None,
    bands: bool = True,
    ax: Axes | None = None,
) -> Axes:
    """Step curves with confidence bands, one per ``group`` (Kaplan-Meier or cumulative incidence).

    Parameters
    ----------
    curves : DataFrame
        ``group`` (or ``cause``), ``time``, ``value``, ``ci_lower``, ``ci_upper``.
    label : callable
        Display text of a group.
    xlabel, ylabel : str
        Axis labels.
    value : str
        Column drawn (``survival`` or ``cif``).
    groups : sequence of str, optional
        Groups to draw, in order (default all).
    bands : bool
        Draw the confidence bands.
    ax : Axes, optional
        Where to draw (a new figure otherwise).
    """
    key = "group" if "group" in curves else "cause"
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.2))
    for g in groups or list(dict.fromkeys(curves[key])):
        part = curves.loc[curves[key] == g]
        colour = {"color": CAUSE_COLOURS[str(g)]} if str(g) in CAUSE_COLOURS else {}
        (line,) = ax.step(
            part["time"], part[value], where="post", label=label(str(g)), linewidth=1.4, **colour
        )
        if bands:
            ax.fill_between(
                part["time"],
                part["ci_lower"],
                part["ci_upper"],
                step="post",
                alpha=0.15,
                color=line.get_color(),
            )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 1)
    ax.set_xlim(left=0)
    return ax


def plot_forest(
    table: pd.DataFrame,
    label: Label,
    xlabel: str,
    columns: Sequence[str] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Hazard ratios (or other ratios) with their intervals on a log scale, one panel row per term.

    Parameters
    ----------
    table : DataFrame
        ``term`` (display text is ``label(term)``), ``ratio``, ``lower``, ``upper`` and, optionally,
        ``series`` (several estimates per term, e.g. per exit cause, drawn side by side).
    label : callable
        Display text of a term or series.
    xlabel : str
        Axis label.
    columns : sequence of str, optional
        Order of the series.
    ax : Axes, optional
        Where to draw.
    """
    terms = list(dict.fromkeys(table["term"]))
    series = list(columns or dict.fromkeys(table.get("series", pd.Series(["_"] * len(table)))))
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.32 * len(terms) * max(1, len(series) * 0.6) + 1.2))
    step = 0.8 / max(len(series), 1)
    for i, s in enumerate(series):
        part = table if s == "_" else table.loc[table["series"] == s]
        y = np.array([terms.index(t) for t in part["term"]], dtype=float) + (i - (len(series) - 1) / 2) * step
        ax.errorbar(
            part["ratio"],
            y,
            xerr=[part["ratio"] - part["lower"], part["upper"] - part["ratio"]],
            fmt="o",
            markersize=4,
            capsize=2,
            label=None if s == "_" else label(s),
            **({"color": CAUSE_COLOURS[str(s)]} if str(s) in CAUSE_COLOURS else {}),
        )
    ax.axvline(1.0, color="grey", linewidth=0.8, linestyle=":")
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(mticker.LogLocator(base=2.0))
    ax.xaxis.set_major_formatter(mticker.FuncFormatter(lambda x, _: f"{x:g}"))
    ax.xaxis.set_minor_formatter(mticker.NullFormatter())
    ax.set_yticks(range(len(terms)), [label(t) for t in terms])
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    if len(series) > 1:
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(series), fontsize="small")
    return ax


def plot_calibration(bins: pd.DataFrame, label: Label, xlabel: str, ylabel: str) -> Axes:
    """Observed against predicted probability per bin with Wilson intervals, one series per model.

    Parameters
    ----------
    bins : DataFrame
        ``model``, ``predicted``, ``observed``, ``ci_lower``, ``ci_upper`` (:func:`.chronicity.calibration`).
    label : callable
        Display text of a model.
    xlabel, ylabel : str
        Axis labels.
    """
    _, ax = plt.subplots(figsize=(5.6, 5))
    ax.plot([0, 1], [0, 1], color="grey", linewidth=0.8, linestyle=":")
    for model, part in bins.groupby("model", sort=False):
        ax.errorbar(
            part["predicted"],
            part["observed"],
            yerr=[part["observed"] - part["ci_lower"], part["ci_upper"] - part["observed"]],
            fmt="o-",
            markersize=4,
            capsize=2,
            label=label(str(model)),
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    # top left: risks far underestimated at the low end, where no curve of these models runs (lower
    # right, below the diagonal, held the lowest tenths of a model that overestimates them)
    ax.legend(loc="upper left")
    return ax


def plot_decision_curve(curve: pd.DataFrame, threshold: float, texts: dict[str, str]) -> Axes:
    """Net benefit of the model, of alerting everyone and of alerting no one, by threshold.

    Parameters
    ----------
    curve : DataFrame
        :func:`.chronicity.decision_curve` output, with ``published`` (the rows that may be shown).
    threshold : float
        The alert threshold (marked).
    texts : dict
        ``model``, ``all``, ``none``, ``threshold``, ``xlabel``, ``ylabel``.
    """
    _, ax = plt.subplots(figsize=(7, 4.2))
    # the model's points only where its row may be published (``published``): the same decision as
    # the table, so the figure gives no count away either; alerting everyone depends on the
    # prevalence alone
    shown = curve.loc[curve["published"]] if "published" in curve else curve
    ax.plot(shown["threshold"], shown["net_benefit"], marker="o", markersize=3, label=texts["model"])
    ax.plot(curve["threshold"], curve["treat_all"], linestyle="--", label=texts["all"])
    ax.plot(curve["threshold"], curve["treat_none"], color="black", linewidth=0.8, label=texts["none"])
    ax.axvline(threshold, color="grey", linestyle=":", label=texts["threshold"])
    top = float(max(shown["net_benefit"].max(), curve["treat_all"].max()))
    ax.set_ylim(-0.05, top + 0.05)
    ax.set_xlabel(texts["xlabel"])
    ax.set_ylabel(texts["ylabel"])
    ax.legend(
        loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, fontsize="small", frameon=False
    )  # covers nothing
    return ax


def plot_group_rates(table: pd.DataFrame, label: Label, metrics: dict[str, str], xlabel: str) -> Axes:
    """Error rates at the threshold per group with their bootstrap intervals (fairness audit).

    Parameters
    ----------
    table : DataFrame
        :func:`.chronicity.fairness_audit` output, indexed by group (``overall`` last), with
        ``<metric>``, ``<metric>_lower`` and ``<metric>_upper``; groups whose rates are blank are
        left out.
    label : callable
        Display text of a group.
    metrics : dict
        Metric column -> legend text.
    xlabel : str
        Axis label.
    """
    rows = table.dropna(subset=list(metrics))
    names = [
        " × ".join(dict.fromkeys(label(str(v)) for v in (i if isinstance(i, tuple) else (i,))))
        for i in rows.index
    ]
    _, ax = plt.subplots(figsize=(7, 0.38 * len(rows) + 1.3))
    y = np.arange(len(rows), dtype=float)
    for k, (metric, text) in enumerate(metrics.items()):
        est = rows[metric].to_numpy(float)
        low = rows.get(f"{metric}_lower", rows[metric]).to_numpy(float)
        high = rows.get(f"{metric}_upper", rows[metric]).to_numpy(float)
        # a percentile interval of a small group may leave out its own estimate: draw the interval
        # and the point separately rather than as error bars around the point
        at = y + (k - 0.5) * 0.3
        (point,) = ax.plot(est, at, "o", label=text)
        ax.hlines(at, low, high, color=point.get_color(), linewidth=1.2)
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel(xlabel)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(metrics), fontsize="small")
    return ax


def plot_truth(table: pd.DataFrame, texts: dict[str, str]) -> Axes:
    """Estimated against true log hazard ratios: true-covariate and observable-covariate fits.

    Parameters
    ----------
    table : DataFrame
        :func:`.chronicity.observable_versus_truth` output.
    texts : dict
        ``true_covariates``, ``observable``, ``xlabel``, ``ylabel``.
    """
    _, ax = plt.subplots(figsize=(5.8, 5.2))
    lims = [
        float(np.nanmin(table[["true", "ci_lower"]].to_numpy())) - 0.1,
        float(np.nanmax(table[["true", "ci_upper"]].to_numpy())) + 0.1,
    ]
    ax.plot(lims, lims, color="grey", linewidth=0.8, linestyle=":")
    ax.errorbar(
        table["true"], table["coef"], yerr=[table["coef"] - table["ci_lower"], table["ci_upper"] - table["coef"]],
        fmt="o", markersize=4, capsize=2, label=texts["true_covariates"],
    )  # fmt: skip
    obs = table.dropna(subset=["coef_observable"])
    ax.plot(obs["true"] + 0.02, obs["coef_observable"], "s", markersize=4, label=texts["observable"])
    ax.set_xlabel(texts["xlabel"])
    ax.set_ylabel(texts["ylabel"])
    ax.legend(loc="lower right", fontsize="small")  # away from the diagonal
    return ax


def plot_small_multiples(
    curves: pd.DataFrame, overall: pd.DataFrame, label: Label, xlabel: str, ylabel: str, ncols: int = 3
) -> plt.Figure:
    """One Kaplan-Meier panel per group with its band, the overall curve in grey in each.

    Parameters
    ----------
    curves : DataFrame
        Curves by group (:func:`.chronicity.kaplan_meier` ``curves``).
    overall : DataFrame
        The overall curve (same columns).
    label : callable
        Display text of a group (the panel title).
    xlabel, ylabel : str
        Axis labels (outer panels only).
    ncols : int
        Panels per row.
    """
    groups = list(dict.fromkeys(curves["group"]))
    nrows = int(np.ceil(len(groups) / ncols))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(7.5, 2.3 * nrows + 0.4), sharex=True, sharey=True, squeeze=False
    )
    for ax, g in zip(axes.ravel(), groups, strict=False):
        ax.step(overall["time"], overall["survival"], where="post", color="grey", linewidth=0.9)
        plot_curves(curves, label, "", "", groups=[g], ax=ax)
        ax.set_title(label(str(g)), fontsize="medium")
    for ax in axes.ravel()[len(groups) :]:
        ax.set_visible(False)
    fig.supxlabel(xlabel)
    fig.supylabel(ylabel)
    fig.tight_layout()
    return fig
