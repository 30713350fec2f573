"""Local independence of a fitted latent class model: bivariate residuals of every pair of indicators.

A latent class model assumes the indicators independent within each class. The bivariate residual
(BVR) of two indicators compares their observed two-way table with the one the model implies,
``n * sum_c w_c P(a | c) P(b | c)``: Pearson's chi-square divided by its degrees of freedom
``(I - 1)(J - 1)`` (Vermunt & Magidson, Latent GOLD). Values above 3.84 (the 5% point of a chi-square
with one degree of freedom) flag a pair whose association the classes do not explain. With one class
the expected table is the independence table, so the BVR is the usual chi-square test of
independence over its degrees of freedom (tested against ``scipy.stats.chi2_contingency``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: Bivariate residuals above this flag a locally dependent pair.
BVR_THRESHOLD = 3.84


def bivariate_residuals(
    codes: np.ndarray,
    counts: np.ndarray,
    n_categories: Sequence[int],
    log_weights: np.ndarray,
    log_pis: np.ndarray,
    names: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Bivariate residual of every pair of indicators under a fitted model.

    Parameters
    ----------
    codes : ndarray of int (n_patterns, F)
        Answer patterns (category codes).
    counts : ndarray (n_patterns,)
        Persons per pattern.
    n_categories : sequence of int
        Categories of each item.
    log_weights : ndarray (k,)
        Log class weights.
    log_pis : ndarray (T, k)
        Log probability of each category in each class (items stacked in order).
    names : sequence of str, optional
        Item names (default ``0..F-1``).

    Returns
    -------
    DataFrame
        ``item_a, item_b, chi2, df, bvr``, largest BVR first.
    """
    codes = np.asarray(codes, dtype=np.int64)
    counts = np.asarray(counts, dtype=float)
    names = list(names) if names is not None else [str(f) for f in range(codes.shape[1])]
    offsets = np.concatenate([[0], np.cumsum(n_categories)[:-1]])
    w = np.exp(log_weights)
    pis = np.exp(log_pis)
    total = counts.sum()
    rows = []
    for f in range(len(n_categories)):
        pf = pis[offsets[f] : offsets[f] + n_categories[f]]
        for g in range(f + 1, len(n_categories)):
            pg = pis[offsets[g] : offsets[g] + n_categories[g]]
            expected = total * (pf * w) @ pg.T
            observed = np.zeros_like(expected)
            np.add.at(observed, (codes[:, f], codes[:, g]), counts)
            # categories nobody gives carry no information (and no degree of freedom)
            used_a, used_b = observed.sum(axis=1) > 0, observed.sum(axis=0) > 0
            o, e = observed[np.ix_(used_a, used_b)], expected[np.ix_(used_a, used_b)]
            chi2 = float(((o - e) ** 2 / np.maximum(e, 1e-300)).sum())
            df = max((used_a.sum() - 1) * (used_b.sum() - 1), 1)
            rows.append(
                {"item_a": names[f], "item_b": names[g], "chi2": chi2, "df": int(df), "bvr": chi2 / df}
            )
    out = pd.DataFrame(rows)
    return out.sort_values("bvr", ascending=False, kind="stable").reset_index(drop=True)
