"""How far the profiles can be trusted: agreement with the truth, the supervised ceiling, stability.

- **Validation against the truth** (synthetic region only): adjusted Rand index with the true latent
  profiles (:func:`true_profiles`, :func:`agreement`) beside the supervised ceiling, a cross-validated
  gradient-boosting classifier trained on the true labels with the same indicators
  (:func:`supervised_ceiling`).
- **Stability**: Hennig's bootstrap Jaccard per profile (:func:`bootstrap_stability`,
  :func:`jaccard_stability`, :func:`stability_verdict`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from pact_analysis.profiles import em
from pact_analysis.profiles.features import Encoded
from pact_analysis.profiles.latent import em_total, more_starts_needed, n_categories

log = logging.getLogger(__name__)


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
    data: Encoded, labels: pd.Series, seed: int, folds: int = 5, groups: Sequence[Any] | None = None
) -> tuple[float, np.ndarray]:
    """The supervised ceiling: cross-validated gradient boosting trained on the true labels.

    The true profile is drawn per household and members share household indicators, so the folds are
    grouped by household when ``groups`` is given (``StratifiedGroupKFold``): no household is in the
    training and the test fold at once.

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
    groups : sequence, optional
        Household of each row (folds grouped by it).

    Returns
    -------
    ari : float
        Adjusted Rand index between the out-of-fold predictions and the true labels.
    predicted : ndarray
        The out-of-fold predictions.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import adjusted_rand_score
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, cross_val_predict
    from threadpoolctl import threadpool_limits

    is_cat = [c in data.categories for c in data.X.columns]
    clf = HistGradientBoostingClassifier(categorical_features=is_cat, random_state=seed, max_iter=200)
    if groups is None:
        cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    else:
        cv = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    # one OpenMP thread: on a shared, busy machine the classifier's threads spin and the ceiling took
    # 30 times longer (266 s instead of 8 s on the default region); the predictions are the same
    with threadpool_limits(1, user_api="openmp"):
        predicted = cross_val_predict(
            clf,
            data.X.to_numpy(float),
            np.asarray(labels),
            cv=cv,
            groups=None if groups is None else np.asarray(groups),
            n_jobs=min(folds, em.WORKERS),  # a fold per process: the same predictions
        )
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
    data: Encoded,
    labels: np.ndarray,
    k: int,
    n_boot: int,
    n_init: int,
    seed: int,
    max_starts: int | None = None,
    two_stage: tuple[int, int] | None = None,
) -> tuple[pd.Series, dict[str, Any]]:
    """Refit the model on ``n_boot`` bootstrap resamples with the main model's start strategy.

    Each resample is a set of frequency weights on the persons' answer patterns; it gets ``n_init``
    random starts, and more in batches of ``n_init`` up to ``max_starts`` by the stopping rule of the
    main model (:func:`~.latent.more_starts_needed`): what :func:`~.latent.fit_starts` does for the
    main model (no warm start from the main model's parameters). The best start classifies the
    persons drawn, and :func:`jaccard_stability` compares them with their original class.

    Parameters
    ----------
    data : Encoded
        Categorical indicators of the persons.
    labels : ndarray
        Their original class.
    k : int
        Number of classes.
    n_boot : int
        Bootstrap resamples.
    n_init : int
        Random starts per batch.
    seed : int
        Random state of the resamples and of the starts.
    max_starts : int, optional
        Random starts at most per resample (default ``n_init``).
    two_stage : (int, int), optional
        ``(initial_iter, keep)``, as for the main model (:func:`~.latent.fit_starts`).

    Returns
    -------
    jaccard : Series
        Mean Jaccard by original class.
    summary : dict
        ``replicates``, ``starts_min`` and ``starts_max`` (starts per resample), ``replicated``
        (resamples whose best was reached by two starts or more), ``converged_share`` (of all starts).
    """
    patterns = em.patterns(data.X.to_numpy(np.int64), n_categories(data))
    rng = np.random.default_rng(seed)
    n, P = len(data.X), len(patterns.counts)
    draws = [rng.integers(0, n, n) for _ in range(n_boot)]
    W = np.stack([np.bincount(patterns.inverse[d], minlength=P) for d in draws]).astype(float)
    stage = dict(zip(("initial_iter", "keep"), two_stage or (None, None), strict=True))
    runs = [em.fit_starts(patterns, k, n_init, seed + 1, weights=W, **stage)]
    per = [[_replicate(runs[0], r)] for r in range(n_boot)]
    batch = 1
    while True:
        todo = [r for r in range(n_boot) if more_starts_needed(per[r], n_init, max_starts or n_init)]
        log.info(
            "profiles: bootstrap batch %d done; %d of %d refits need more starts", batch, len(todo), n_boot
        )
        if not todo:
            break
        extra = em.fit_starts(patterns, k, n_init, seed + 1 + 7919 * batch, weights=W[todo], **stage)
        for i, r in enumerate(todo):
            per[r].append(_replicate(extra, i))
        batch += 1
    found, starts = [], []
    for r in range(n_boot):
        total = em_total(per[r])
        best = total.best()
        score = np.asarray(patterns.design @ total.log_pis[0, best]) + total.log_weights[0, best][None]
        found.append(score.argmax(axis=1)[patterns.inverse[draws[r]]])
        starts.append(total)
    summary = {
        "replicates": n_boot,
        "starts_min": int(min(len(p) for p in per) * n_init),  # random starts, as for the main model
        "starts_max": int(max(len(p) for p in per) * n_init),
        "replicated": int(sum(s.at_best() >= 2 for s in starts)),
        "converged_share": float(np.mean(np.concatenate([s.converged.ravel() for s in starts]))),
    }
    return jaccard_stability(labels, draws, found), summary


def _replicate(starts: em.Starts, r: int) -> em.Starts:
    """The starts of replicate ``r`` as a one-replicate :class:`~.em.Starts`."""
    fields = ("loglik", "converged", "n_iter", "log_weights", "log_pis")
    return em.Starts(*(getattr(starts, f)[r : r + 1] for f in fields))


def true_profile_jaccard(labels: Sequence[Any], truth: Sequence[Any], min_share: float = 0.05) -> pd.Series:
    """Best Jaccard of a fitted profile against each true profile holding at least ``min_share`` of persons.

    A true profile is recovered when some fitted profile holds mostly the same persons: the largest
    ``|T ∩ F| / |T ∪ F|`` over the fitted profiles ``F``.

    Parameters
    ----------
    labels : sequence
        Fitted profile of each person.
    truth : sequence
        True profile of each person, same order.
    min_share : float
        True profiles smaller than this share of the persons are left out.

    Returns
    -------
    Series
        Best Jaccard by true profile (sorted by name).
    """
    labels, truth = np.asarray(labels), np.asarray(truth)
    table = pd.crosstab(truth, labels)
    inter = table.to_numpy(float)
    union = table.sum(axis=1).to_numpy()[:, None] + table.sum(axis=0).to_numpy()[None, :] - inter
    best = pd.Series((inter / union).max(axis=1), index=table.index.astype(str), name="jaccard")
    keep = table.sum(axis=1).to_numpy() >= min_share * len(truth)
    return best[keep].sort_index()
