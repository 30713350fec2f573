"""How far the profiles can be trusted: agreement with the truth, the supervised ceiling, stability.

- **Validation against the truth** (synthetic region only): adjusted Rand index with the true latent
  profiles (:func:`true_profiles`, :func:`agreement`) beside the supervised ceiling, a cross-validated
  gradient-boosting classifier trained on the true labels with the same indicators
  (:func:`supervised_ceiling`).
- **Stability**: Hennig's bootstrap Jaccard per profile (:func:`bootstrap_stability`,
  :func:`jaccard_stability`, :func:`stability_verdict`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from pact_analysis.profiles.features import Encoded
from pact_analysis.profiles.latent import fit_lca


def true_profiles(
    crosswalk: pd.DataFrame, truth_records: pd.DataFrame, truth_persons: pd.DataFrame
) -> pd.Series:
    """Return the true latent profile of each linked person (synthetic region only).

    Parameters
    ----------
    crosswalk : DataFrame
        ``source, record_id, person_key`` (``data/interim/linkage/crosswalk.parquet``).
    truth_records : DataFrame
        ``source, record_id, person_id`` (``data/truth/records.parquet``).
    truth_persons : DataFrame
        ``person_id, profile`` (``data/truth/persons.parquet``).

    Returns
    -------
    Series
        ``profile`` by ``person_key``: the profile of the true person most of the linked records
        belong to (a false merge takes the majority's).
    """
    key = ["source", "record_id"]
    rec = (
        crosswalk[[*key, "person_key"]]
        .astype("string")
        .merge(truth_records[[*key, "person_id"]].astype("string"), on=key)
    )
    counts = rec.groupby(["person_key", "person_id"]).size().rename("n").reset_index()
    best = counts.sort_values(["person_key", "n", "person_id"], ascending=[True, False, True])
    best = best.drop_duplicates("person_key").set_index("person_key")["person_id"]
    profile = truth_persons.astype({"person_id": "string"}).set_index("person_id")["profile"]
    return best.map(profile).rename("true_profile")


def supervised_ceiling(
    data: Encoded, labels: pd.Series, seed: int, folds: int = 5
) -> tuple[float, np.ndarray]:
    """The supervised ceiling: cross-validated gradient boosting trained on the true labels.

    Parameters
    ----------
    data : Encoded
        The indicators the unsupervised model uses (categorical codes are declared categorical).
    labels : Series
        True label of each row of ``data.X``.
    seed : int
        Random state of the folds and the classifier.
    folds : int
        Stratified cross-validation folds.

    Returns
    -------
    ari : float
        Adjusted Rand index between the out-of-fold predictions and the true labels.
    predicted : ndarray
        The out-of-fold predictions.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import adjusted_rand_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    is_cat = [c in data.categories for c in data.X.columns]
    clf = HistGradientBoostingClassifier(categorical_features=is_cat, random_state=seed, max_iter=200)
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    predicted = cross_val_predict(clf, data.X.to_numpy(float), np.asarray(labels), cv=cv)
    return float(adjusted_rand_score(labels, predicted)), predicted


def agreement(labels: Sequence[Any], truth: Sequence[Any]) -> float:
    """Adjusted Rand index between a clustering and the true labels (1: identical, about 0: chance).

    Parameters
    ----------
    labels : sequence
        Cluster of each person.
    truth : sequence
        True label of each person, same order.

    Returns
    -------
    float
    """
    from sklearn.metrics import adjusted_rand_score

    return float(adjusted_rand_score(truth, labels))


def sample_positions(n: int, size: int, seed: int) -> np.ndarray:
    """Sorted positions of a random sample of ``size`` out of ``n`` (all when ``size >= n``).

    Parameters
    ----------
    n : int
        Number of positions.
    size : int
        Sample size.
    seed : int
        Random seed.

    Returns
    -------
    ndarray of int
    """
    if size >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False))


def jaccard_stability(
    labels: np.ndarray, samples: Sequence[np.ndarray], sample_labels: Sequence[np.ndarray]
) -> pd.Series:
    """Hennig's bootstrap stability: mean best Jaccard of each original cluster over resamples.

    For each resample, each original cluster (restricted to the persons drawn) is compared with every
    cluster found on the resample; its similarity is the largest Jaccard coefficient. The mean over
    resamples is the cluster's stability: 0.75 or more stable, 0.6 to 0.75 doubtful, below 0.6 not
    stable (Hennig 2007).

    Parameters
    ----------
    labels : ndarray
        Original cluster of every person (positions ``0..n-1``).
    samples : sequence of ndarray
        Positions drawn in each resample (repeats allowed; only distinct persons count).
    sample_labels : sequence of ndarray
        Cluster found for each drawn position, aligned with ``samples``.

    Returns
    -------
    Series
        Mean Jaccard by original cluster label.
    """
    labels = np.asarray(labels)
    clusters = np.unique(labels)
    scores = {c: [] for c in clusters}
    for drawn, found in zip(samples, sample_labels, strict=True):
        drawn, first = np.unique(np.asarray(drawn), return_index=True)
        found = np.asarray(found)[first]
        original = labels[drawn]
        for c in clusters:
            members = original == c
            if not members.any():
                continue
            best = max(
                (members & (found == f)).sum() / (members | (found == f)).sum() for f in np.unique(found)
            )
            scores[c].append(best)
    return pd.Series({c: float(np.mean(v)) if v else np.nan for c, v in scores.items()}, name="jaccard")


def stability_verdict(jaccard: float) -> str:
    """``stable`` (0.75 or more), ``doubtful`` (0.6 to 0.75) or ``unstable``.

    Parameters
    ----------
    jaccard : float
        Mean bootstrap Jaccard of a cluster (:func:`jaccard_stability`).

    Returns
    -------
    str
    """
    return "stable" if jaccard >= 0.75 else "doubtful" if jaccard >= 0.6 else "unstable"


def bootstrap_stability(
    data: Encoded, labels: np.ndarray, k: int, n_boot: int, n_init: int, seed: int
) -> pd.Series:
    """Refit the latent class model on ``n_boot`` bootstrap resamples and return :func:`jaccard_stability`.

    Parameters
    ----------
    data : Encoded
        Indicators of the persons.
    labels : ndarray
        Their original class.
    k : int
        Number of classes.
    n_boot : int
        Bootstrap resamples.
    n_init : int
        Random starts per refit.
    seed : int
        Random state (resample ``b`` is refitted with ``seed + b + 1``).

    Returns
    -------
    Series
        Mean Jaccard by original class.
    """
    rng = np.random.default_rng(seed)
    samples, found = [], []
    for b in range(n_boot):
        drawn = rng.integers(0, len(data.X), len(data.X))
        model = fit_lca(data.take(drawn), k, n_init, seed + b + 1)
        samples.append(drawn)
        found.append(model.predict(data.X.iloc[drawn].to_numpy(float)))
    return jaccard_stability(labels, samples, found)
