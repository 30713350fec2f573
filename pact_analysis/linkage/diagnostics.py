"""Tables and plots for the linkage report (``notebooks/01_record_linkage.py``).

Identifier quality per source, the trained m/u parameters and match weights, cluster sizes, and
what linkage errors do downstream (RGC spells attributed to the wrong person).
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd


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


def plot_match_weights(table: pd.DataFrame) -> plt.Axes:
    """Horizontal bar chart of the match weight of each level (static, no CDN needed)."""
    labels = table["comparison"] + ": " + table["level"]
    fig, ax = plt.subplots(figsize=(8, 0.28 * len(table) + 1))
    colours = np.where(table["match_weight"] >= 0, "tab:blue", "tab:red")
    ax.barh(labels[::-1], table["match_weight"][::-1], color=colours[::-1])
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("match weight (log2 m/u)")
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
