"""The warehouse's logical model as a diagram: one box per table, one line per foreign key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

#: Dimensions shared by the facts (conformed dimensions), in drawing order; the other dimensions are
#: code lists.
CONFORMED = ("dim_household", "dim_person", "dim_territory", "dim_date")


def schema_layout(model: Mapping[str, Any]) -> dict[str, tuple[int, float]]:
    """Place the tables of the warehouse's logical model in four columns for drawing.

    Columns, left to right: code dimensions that describe persons or households (referenced by a
    dimension), the conformed dimensions (:data:`CONFORMED`), facts and the bridge with the derived
    tables and aggregates below them, and the code dimensions referenced only by those.
    Within the two code-list columns, tables are ordered by the mean row of the tables that
    reference them, which keeps lines short and few of them crossed. Tables without relationships
    (parameters) are left out.

    Parameters
    ----------
    model : mapping
        :func:`pact_analysis.warehouse.logical_model`.

    Returns
    -------
    dict of str to (int, float)
        Column (0-3) and row (0 at the top) of each table drawn.
    """
    kinds = {t["name"]: t["kind"] for t in model["tables"]}
    rels = model["relationships"]
    related = {r["from_table"] for r in rels} | {r["to_table"] for r in rels}
    referrers: dict[str, list[str]] = {}
    for r in rels:
        referrers.setdefault(r["to_table"], []).append(r["from_table"])
    place: dict[str, tuple[int, float]] = {}
    for i, name in enumerate(n for n in CONFORMED if n in kinds):
        place[name] = (1, 1.0 + 2.0 * i)
    middle = [n for n, k in kinds.items() if k in ("fact", "bridge") and n in related]
    derived = [n for n, k in kinds.items() if k in ("derived", "aggregate") and n in related]
    for i, name in enumerate(middle):
        place[name] = (2, float(i))
    for i, name in enumerate(derived):
        place[name] = (2, len(middle) + 0.5 + i)
    codes = [n for n, k in kinds.items() if k == "dimension" and n not in place and n in related]
    left = [n for n in codes if any(kinds.get(f) == "dimension" for f in referrers.get(n, []))]
    for column, names in ((0, left), (3, [n for n in codes if n not in left])):

        def mean_row(name: str) -> float:
            rows = [place[f][1] for f in referrers.get(name, []) if f in place]
            return float(np.mean(rows)) if rows else np.inf

        for i, name in enumerate(sorted(names, key=mean_row)):
            place[name] = (column, float(i))
    return place


#: Box colours by table kind (colour-blind safe).
KIND_COLOURS = {
    "dimension": "#cfe2f3",
    "fact": "#f9cb9c",
    "bridge": "#fff2cc",
    "derived": "#d9ead3",
    "aggregate": "#d9d2e9",
}


def draw_logical_model(model: Mapping[str, Any], kind_labels: Mapping[str, str] | None = None) -> Any:
    """Draw the warehouse's logical model: one box per table (name and primary key), one line per key.

    Parameters
    ----------
    model : mapping
        :func:`pact_analysis.warehouse.logical_model`.
    kind_labels : mapping of str to str, optional
        Legend text of each table kind (``dimension``, ``fact``...), e.g. translated.

    Returns
    -------
    matplotlib.figure.Figure
        The diagram; lines run from the referencing table (many) to the referenced one (one), with a
        dot at the referenced end.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch, Patch

    place = schema_layout(model)
    keys = {t["name"]: t["primary_key"] for t in model["tables"]}
    kinds = {t["name"]: t["kind"] for t in model["tables"]}
    n_rows = max(row for _, row in place.values()) + 1
    width, height, gap = 3.0, 0.72, 4.0
    fig, ax = plt.subplots(figsize=(11, 0.5 * n_rows + 1.0))

    def centre(name: str) -> tuple[float, float]:
        column, row = place[name]
        return column * gap, -row

    for r in model["relationships"]:
        if r["from_table"] not in place or r["to_table"] not in place:
            continue
        (x0, y0), (x1, y1) = centre(r["from_table"]), centre(r["to_table"])
        if x0 == x1:  # same column: a bracket on the left of the boxes
            xs = [x0 - width / 2, x0 - width / 2 - 0.25, x1 - width / 2 - 0.25, x1 - width / 2]
            ys = [y0, y0, y1, y1]
        else:
            side = np.sign(x1 - x0)
            xs, ys = [x0 + side * width / 2, x1 - side * width / 2], [y0, y1]
        ax.plot(xs, ys, color="#7f7f7f", linewidth=0.6, alpha=0.7, zorder=1)
        ax.plot(xs[-1], ys[-1], "o", color="#404040", markersize=2.5, zorder=3)
    for name, (column, row) in place.items():
        x, y = column * gap, -row
        box = FancyBboxPatch(
            (x - width / 2, y - height / 2),
            width,
            height,
            boxstyle="round,pad=0.02,rounding_size=0.08",
            facecolor=KIND_COLOURS.get(kinds[name], "white"),
            edgecolor="#404040",
            linewidth=0.8,
            zorder=2,
        )
        ax.add_patch(box)
        ax.text(x, y + 0.13, name, ha="center", va="center", fontsize=8, weight="bold", zorder=4)
        key = ", ".join(keys[name])
        small = 6.5 if len(key) < 32 else 5.5
        ax.text(x, y - 0.17, f"PK: {key}", ha="center", va="center", fontsize=small, zorder=4)
    labels = dict(kind_labels or {})
    shown = [k for k in KIND_COLOURS if k in {kinds[n] for n in place}]
    ax.legend(
        handles=[
            Patch(facecolor=KIND_COLOURS[k], edgecolor="#404040", label=labels.get(k, k)) for k in shown
        ],
        loc="upper center",
        bbox_to_anchor=(0.5, 1.0),
        ncol=len(shown),
        fontsize=8,
        frameon=False,
    )
    ax.set_xlim(-width / 2 - 0.1, 3 * gap + width / 2 + 0.1)
    ax.set_ylim(-(n_rows - 1) - height, 1.2)
    ax.axis("off")
    return fig
