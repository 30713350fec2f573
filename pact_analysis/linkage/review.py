"""Clerical review: a sample of uncertain pairs for a professional to label, and what the labels say.

The sample is written to ``data/interim/linkage/clerical_review.csv`` with the identities of both
records and an empty ``label`` column. A reviewer fills ``label`` with 1 (same person) or 0 (different
persons) and saves the file as ``data/review/clerical_review_labelled.csv`` (``data/review/README.md``;
a folder DVC never deletes and git never commits beyond its README). The folder is a dependency of
``link``, so the next ``dvc repro`` estimates precision from the labels (:func:`labelled_precision`)
into ``metrics/linkage.json``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pact_analysis.errors import StageError

#: Match probabilities considered uncertain (sampled for review).
UNCERTAIN_BAND = (0.05, 0.995)
#: Pairs sampled for review.
SAMPLE_SIZE = 200
#: Confidence level of the precision interval (Wilson score interval).
CONFIDENCE = 0.95
#: Identity columns shown to the reviewer (as recorded).
SHOWN = [
    "given_name",
    "surname1",
    "surname2",
    "doc_number",
    "birth_date",
    "birth_year",
    "sex",
    "municipality_code",
]
PAIR_KEY = ["source_l", "record_id_l", "source_r", "record_id_r"]


def identities(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Stack the identity columns of every person source (``source, record_id`` + :data:`SHOWN`)."""
    parts = []
    for source, df in sorted(frames.items()):
        part = pd.DataFrame({"source": source, "record_id": df["record_id"].astype("string")})
        for column in SHOWN:
            part[column] = df[column].astype("string") if column in df else pd.Series(pd.NA, dtype="string")
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def clerical_sample(
    pairs: pd.DataFrame, frames: dict[str, pd.DataFrame], rng: np.random.Generator, size: int = SAMPLE_SIZE
) -> pd.DataFrame:
    """Sample uncertain pairs and attach both records' identities and an empty ``label``.

    Parameters
    ----------
    pairs : DataFrame
        Scored pairs with :data:`PAIR_KEY` and ``match_probability``.
    frames : dict of str to DataFrame
        Clean person sources.
    rng : numpy.random.Generator
        Seeded generator (same seed, same sample).
    size : int
        Pairs sampled (all uncertain pairs if fewer).

    Returns
    -------
    DataFrame
        ``pair_id``, ``match_probability``, the pair keys, ``<column>_l`` / ``<column>_r`` for each
        shown identity column, and ``label`` (empty).
    """
    low, high = UNCERTAIN_BAND
    band = pairs[(pairs["match_probability"] >= low) & (pairs["match_probability"] < high)]
    band = band.sort_values(PAIR_KEY, ignore_index=True)
    chosen = np.sort(rng.choice(len(band), size=min(size, len(band)), replace=False))
    sample = band.iloc[chosen][[*PAIR_KEY, "match_probability"]].reset_index(drop=True)
    ident = identities(frames)
    for side in ("l", "r"):
        shown = ident.rename(columns={c: f"{c}_{side}" for c in ident.columns})
        sample = sample.merge(shown, on=[f"source_{side}", f"record_id_{side}"], how="left")
    sample.insert(0, "pair_id", [f"PAIR{i + 1:05d}" for i in range(len(sample))])
    sample["label"] = pd.Series(pd.NA, index=sample.index, dtype="string")
    return sample


def labelled_precision(labelled: pd.DataFrame, threshold: float) -> dict[str, Any]:
    """Estimate precision, with a Wilson interval, and missed matches from a labelled review file.

    The sample was drawn uniformly from the pairs in :data:`UNCERTAIN_BAND`, so the estimate is the
    precision of the links the model is least sure of (match probability from the threshold up to
    the band's upper end), not of all links: the links above the band are near-certain and never
    sampled.

    Parameters
    ----------
    labelled : DataFrame
        The review file with ``match_probability`` and ``label`` (1 same person, 0 different;
        empty or unreadable labels are ignored).
    threshold : float
        Match probability of the model.

    Returns
    -------
    dict
        ``labelled_pairs`` (rows with a label); ``linked_pairs`` (of those, the pairs at or above the
        threshold: the precision's denominator); ``precision`` (share of them that are the same
        person); ``ci_lower`` and ``ci_upper`` (Wilson score interval at :data:`CONFIDENCE`);
        ``confidence``; ``matches_below_threshold`` (labelled same-person pairs under the threshold,
        i.e. missed links). ``precision`` and its bounds are ``None`` when no labelled pair is linked.

    Raises
    ------
    StageError
        If a label is neither 0 nor 1.
    """
    from statsmodels.stats.proportion import proportion_confint  # slow import, needed only here

    label = pd.to_numeric(labelled["label"], errors="coerce")
    rows = labelled.assign(label=label).dropna(subset=["label"])
    wrong = rows.loc[~rows["label"].isin([0, 1]), "pair_id" if "pair_id" in rows else "label"]
    if len(wrong):
        raise StageError(
            f"clerical review: labels must be 1 (same person) or 0 (different persons); "
            f"{len(wrong)} rows have another value (first: {wrong.iloc[0]})"
        )
    above = rows[rows["match_probability"] >= threshold]
    below = rows[rows["match_probability"] < threshold]
    same, n = int(above["label"].sum()), len(above)
    lower, upper = (
        (float(b) for b in proportion_confint(same, n, alpha=1 - CONFIDENCE, method="wilson"))
        if n
        else (None, None)
    )
    return {
        "labelled_pairs": int(len(rows)),
        "linked_pairs": int(n),
        "precision": same / n if n else None,
        "ci_lower": lower,
        "ci_upper": upper,
        "confidence": CONFIDENCE,
        "matches_below_threshold": int(below["label"].sum()),
    }
