"""Tables and plots for the linkage report (``notebooks/01_record_linkage.py``).

Identifier quality per source, the trained m/u parameters and match weights, cluster sizes, and
what linkage errors do downstream (RGC spells attributed to the wrong person).
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from pact_analysis.linkage.evaluate import record_positions


def identifier_quality(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Share of person records lacking each identifier, per source.

    Parameters
    ----------
    frames : dict of str to DataFrame
        Clean person sources.

    Returns
    -------
    DataFrame
        Indexed by source: ``records`` and the missing share of document, birth date (the NGO's birth
        year counts as partial), given name, first and second surname.
    """
    rows = {}
    for source, df in sorted(frames.items()):
        row = {"records": len(df)}
        for column in ("doc_number", "birth_date", "given_name", "surname1", "surname2"):
            row[f"{column}_missing"] = float(df[column].isna().mean()) if column in df else 1.0
        rows[source] = row
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("source")


def parameter_table(model: dict[str, Any]) -> pd.DataFrame:
    """The trained m and u probabilities and the match weight of every comparison level.

    Parameters
    ----------
    model : dict
        Splink settings with trained parameters (``model.json``).

    Returns
    -------
    DataFrame
        ``comparison, level, m_probability, u_probability, match_weight`` (log2 m/u), null levels
        omitted.
    """
    rows = []
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            weight = np.log2(m / u) if m and u else np.nan
            rows.append(
                {
                    "comparison": comparison["output_column_name"],
                    "level": level.get("label_for_charts", level["sql_condition"]),
                    "m_probability": m,
                    "u_probability": u,
                    "match_weight": weight,
                }
            )
    return pd.DataFrame(rows)


def plot_match_weights(table: pd.DataFrame, xlabel: str = "match weight (log2 m/u)") -> plt.Axes:
    """Horizontal bar chart of the match weight of each level (static, no CDN needed)."""
    labels = table["comparison"] + ": " + table["level"]
    fig, ax = plt.subplots(figsize=(8, 0.28 * len(table) + 1))
    colours = np.where(table["match_weight"] >= 0, "tab:blue", "tab:red")
    ax.barh(labels[::-1], table["match_weight"][::-1], color=colours[::-1])
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel(xlabel)
    fig.tight_layout()
    return ax


def cluster_sizes(crosswalk: pd.DataFrame) -> pd.DataFrame:
    """Number of persons by number of records linked to them (``cluster_size`` -> ``persons``)."""
    sizes = crosswalk.drop_duplicates("person_key")["cluster_size"].clip(upper=10)
    out = sizes.value_counts().sort_index().rename("persons").to_frame()
    out.index = [f"{s}" if s < 10 else "10+" for s in out.index]
    return out.rename_axis("records_per_person")


def spells_with_wrong_person(
    clusters: pd.DataFrame, truth: pd.DataFrame, members: pd.DataFrame, spells: pd.DataFrame
) -> dict[str, int]:
    """How many RGC spells a clustering attributes to a wrong or incomplete person.

    A spell belongs to the household head's record. The spell's person is wrong if the head's
    cluster holds records of another true person (a false merge: someone else's services and spells
    count for this person) and incomplete if it misses records of the head's true person (a split:
    part of the person's history is lost).

    Parameters
    ----------
    clusters : DataFrame
        ``source, record_id, cluster_id``.
    truth : DataFrame
        ``source, record_id, person_id``.
    members : DataFrame
        Clean ``rgc_members`` (``record_id, file_id, role``).
    spells : DataFrame
        Clean ``rgc_spells`` (``spell_id, file_id``).

    Returns
    -------
    dict
        ``spells``, ``merged`` (head's cluster mixes persons), ``split`` (head's person spread over
        clusters).
    """
    key = ["source", "record_id"]
    rec = (
        clusters[[*key, "cluster_id"]]
        .astype("string")
        .merge(truth[[*key, "person_id"]].astype("string"), on=key)
    )
    mixed = rec.groupby("cluster_id")["person_id"].nunique() > 1  # noqa: PD101
    spread = rec.groupby("person_id")["cluster_id"].nunique() > 1  # noqa: PD101
    heads = members[members["role"] == "HEAD"].drop_duplicates("file_id")
    heads = heads.assign(source="rgc_members")[["source", "record_id", "file_id"]].astype("string")
    heads = heads.merge(rec, on=key)
    per_spell = spells[["spell_id", "file_id"]].astype("string").merge(heads, on="file_id")
    return {
        "spells": int(len(spells)),
        "merged": int(per_spell["cluster_id"].map(mixed).fillna(False).sum()),
        "split": int(per_spell["person_id"].map(spread).fillna(False).sum()),
    }


def threshold_sensitivity(
    pairs: pd.DataFrame, records: pd.DataFrame, thresholds: list[float]
) -> pd.DataFrame:
    """The headline counts of linkage if records whose pair probability reaches a threshold are grouped.

    Persons are the connected components of the graph of records joined by the kept pairs (the same
    rule as the ``link`` stage's clustering).

    Parameters
    ----------
    pairs : DataFrame
        Scored pairs (``predictions.parquet``): ``source_l, record_id_l, source_r, record_id_r,
        match_probability``.
    records : DataFrame
        Every person record: ``source, record_id``.
    thresholds : list of float
        Match probabilities at or above which a pair is a link.

    Returns
    -------
    DataFrame
        Indexed by ``threshold``: ``links`` (pairs kept), ``persons`` and ``linked_records`` (records
        in a person of two or more records).
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(records)
    left, right = record_positions(records, pairs)  # looked up once for every threshold
    probability = pairs["match_probability"].to_numpy()
    rows = []
    for threshold in thresholds:
        kept = probability >= threshold
        valid = kept & (left >= 0) & (right >= 0)
        graph = coo_matrix((np.ones(valid.sum()), (left[valid], right[valid])), shape=(n, n))
        n_persons, labels = connected_components(graph, directed=False)
        sizes = np.bincount(labels)
        rows.append(
            {
                "threshold": threshold,
                "links": int(kept.sum()),
                "persons": int(n_persons),
                "linked_records": int((sizes[labels] > 1).sum()),
            }
        )
    return pd.DataFrame(rows).set_index("threshold")


def linked_vs_unlinked(crosswalk: pd.DataFrame, frames: dict[str, pd.DataFrame], when: str) -> pd.DataFrame:
    """Compare records linked to another record with records left alone, by age, sex, nationality, source.

    Parameters
    ----------
    crosswalk : DataFrame
        ``source, record_id, cluster_size``: every person record and the size of its person.
    frames : dict of str to DataFrame
        Clean person sources (``record_id``, ``birth_date``, ``sex``, ``nationality``).
    when : str
        Reference date for ages.

    Returns
    -------
    DataFrame
        Index ``(characteristic, category)``; columns ``linked`` and ``unlinked`` (record counts)
        and ``linked_share``/``unlinked_share`` (share within each group of records).
    """
    from pact_analysis.describe import age_at

    parts = []
    for source, df in frames.items():
        cols = [c for c in ("record_id", "birth_date", "sex", "nationality") if c in df]
        part = df[cols].assign(source=source)
        part["record_id"] = part["record_id"].astype(str)
        parts.append(part)
    records = pd.concat(parts, ignore_index=True)
    status = crosswalk[["source", "record_id", "cluster_size"]].astype({"record_id": str})
    records = records.merge(status, on=["source", "record_id"], how="left")
    records["group"] = np.where(records["cluster_size"].fillna(1) > 1, "linked", "unlinked")
    age = age_at(records["birth_date"], when).astype(float)
    records["age_band"] = pd.cut(
        age, [0, 30, 45, 65, 200], right=False, labels=["0-29", "30-44", "45-64", "65+"]
    )
    rows = []
    for characteristic in ("source", "sex", "nationality", "age_band"):
        values = records[characteristic].astype("string").fillna("unknown")
        counts = pd.crosstab(values, records["group"]).reindex(columns=["linked", "unlinked"], fill_value=0)
        counts.index = pd.MultiIndex.from_product(
            [[characteristic], counts.index], names=["characteristic", "category"]
        )
        rows.append(counts)
    table = pd.concat(rows)
    for group in ("linked", "unlinked"):
        total = table[group].groupby(level="characteristic").transform("sum")
        table[f"{group}_share"] = table[group] / total.where(total > 0)
    table.columns.name = None
    return table


def plot_flow(steps: list[tuple[str, str]]) -> plt.Figure:
    """Draw a vertical flow diagram: one box per step (label and count), arrows between them.

    Parameters
    ----------
    steps : list of (str, str)
        ``(label, formatted count)`` from top to bottom.
    """
    fig, ax = plt.subplots(figsize=(7, 1.15 * len(steps) + 0.3))
    ax.set_axis_off()
    n = len(steps)
    for i, (label, count) in enumerate(steps):
        y = n - 1 - i
        ax.text(
            0.5, y, f"{label}\n{count}", ha="center", va="center", fontsize=10, wrap=True,
            bbox={"boxstyle": "round,pad=0.5", "facecolor": "#eaf2f8", "edgecolor": "#1f618d"},
        )  # fmt: skip
        if i < n - 1:
            ax.annotate(
                "",
                xy=(0.5, y - 0.62),
                xytext=(0.5, y - 0.38),
                arrowprops={"arrowstyle": "-|>", "color": "#1f618d"},
            )
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.6, n - 0.4)
    return fig
