"""Clerical review: a sample of uncertain pairs for a professional to label, and what the labels say.

The sample is written to ``data/interim/linkage/clerical_review.csv`` with the identities of both
records and an empty ``label`` column. A reviewer fills ``label`` with 1 (same person) or 0 (different
persons) and saves the file as ``data/interim/clerical_review_labelled.csv`` (outside the stage's
output folder, so a re-run does not erase it); the next run estimates precision from it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Match probabilities considered uncertain (sampled for review).
UNCERTAIN_BAND = (0.05, 0.995)
#: Pairs sampled for review.
SAMPLE_SIZE = 200
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


def labelled_precision(labelled: pd.DataFrame, threshold: float) -> dict[str, float]:
    """Estimate precision and the share of missed matches from a labelled review file.

    Parameters
    ----------
    labelled : DataFrame
        The review file with ``match_probability`` and ``label`` (1 same person, 0 different;
        empty rows are ignored).
    threshold : float
        Match probability of the model.

    Returns
    -------
    dict
        ``n_labelled``; ``precision_above_threshold`` (share of labelled pairs at or above the
        threshold that are true matches) and ``matches_below_threshold`` (labelled true matches under
        the threshold), both within the uncertain band the sample was drawn from.
    """
    label = pd.to_numeric(labelled["label"], errors="coerce")
    rows = labelled.assign(label=label).dropna(subset=["label"])
    above = rows[rows["match_probability"] >= threshold]
    below = rows[rows["match_probability"] < threshold]
    return {
        "n_labelled": int(len(rows)),
        "n_above_threshold": int(len(above)),
        "precision_above_threshold": float(above["label"].mean()) if len(above) else float("nan"),
        "matches_below_threshold": int(below["label"].sum()),
    }
