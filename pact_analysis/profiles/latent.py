"""Latent class analysis of the indicators: fitting, model selection, the baseline and the BCH correction.

- **Latent class analysis** (:func:`fit_table`): one model per number of classes ``k`` from 1 up,
  random starts in batches of ``n_init`` (up to ``max_starts``; optionally in two stages, the best
  of each batch run on to convergence) until the best log-likelihood is reached by two starts and a
  batch no longer improves it (:func:`more_starts_needed`), run together by :mod:`~.em` and handed to
  StepMix; best log-likelihood, starts within 0.01 of it, starts that converged, AIC, BIC,
  sample-size adjusted BIC, relative entropy, smallest class and bivariate residuals above 3.84. ``k``
  is the BIC minimum among the models whose smallest class is not too small (:func:`choose_k`). Model selection
  may run on a sample of one person per household (:func:`one_per_household`); everyone is then
  classified.
- **k-prototypes** (``kmodes``) as a baseline (:func:`kprototypes_labels`).
- **Covariates and outcomes by profile** with the BCH correction for classification error
  (:func:`bch_distal`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from pact_analysis.errors import StageError
from pact_analysis.profiles import em
from pact_analysis.profiles.diagnostics import BVR_THRESHOLD, bivariate_residuals
from pact_analysis.profiles.features import Encoded, category_order

log = logging.getLogger(__name__)


def fit_lca(data: Encoded, k: int, n_init: int, seed: int, max_iter: int = 500) -> Any:
    """Fit a latent class model with StepMix itself (``n_init`` random starts, one after another).

    The stage fits with :func:`fit_starts` (the same model, many starts at once); this is StepMix's
    own fit, kept for comparison. StepMix's ``ConvergenceWarning`` is not silenced.

    Parameters
    ----------
    data : Encoded
        Indicators (:func:`encode`).
    k : int
        Number of classes.
    n_init : int
        Random starts; the best log-likelihood is kept and every start's is in ``lower_bound_buffer_``.
    seed : int
        Random state.
    max_iter : int
        EM iterations per start.

    Returns
    -------
    stepmix.StepMix
        The fitted model.
    """
    from stepmix.stepmix import StepMix

    model = StepMix(
        n_components=k,
        measurement=data.descriptor,
        n_init=n_init,
        max_iter=max_iter,
        abs_tol=1e-7,
        random_state=seed,
        progress_bar=0,
        verbose=0,
    )
    model.fit(data.X.to_numpy(float))
    return model


def n_categories(data: Encoded) -> list[int]:
    """Categories of each categorical indicator of ``data`` (its columns' order)."""
    if data.continuous:
        raise ValueError("the latent class fit takes categorical indicators only")
    return [len(data.categories[c]) for c in data.X.columns]


def fit_starts(
    data: Encoded,
    k: int,
    n_init: int,
    seed: int,
    max_starts: int | None = None,
    two_stage: tuple[int, int] | None = None,
) -> tuple[em.Patterns, em.Starts, int]:
    """Fit random starts in batches of ``n_init`` until :func:`more_starts_needed` says enough.

    Parameters
    ----------
    data : Encoded
        Categorical indicators.
    k : int
        Number of classes.
    n_init : int
        Random starts in each batch.
    seed : int
        Random seed (batch ``b`` uses ``seed + 7919 * b``).
    max_starts : int, optional
        Random starts at most (default ``n_init``: one batch).
    two_stage : (int, int), optional
        ``(initial_iter, keep)``: each batch's starts run ``initial_iter`` EM steps and its ``keep``
        best run on to convergence (:func:`~.em.fit_starts`); None, every start to convergence.

    Returns
    -------
    patterns : em.Patterns
    starts : em.Starts
        Every start run to convergence (one replicate).
    batches : int
        Batches of ``n_init`` random starts run.
    """
    patterns = em.patterns(data.X.to_numpy(np.int64), n_categories(data))
    stage = dict(zip(("initial_iter", "keep"), two_stage or (None, None), strict=True))
    batches = [em.fit_starts(patterns, k, n_init, seed, **stage)]
    while more_starts_needed(batches, n_init, max_starts or n_init):
        batches.append(em.fit_starts(patterns, k, n_init, seed + 7919 * len(batches), **stage))
    return patterns, em_total(batches), len(batches)


def _fit_each_k(
    data: Encoded,
    ks: Sequence[int],
    n_init: int,
    seed: int,
    max_starts: int | None,
    two_stage: tuple[int, int] | None,
) -> Iterator[tuple[int, tuple[em.Patterns, em.Starts, int]]]:
    """``(k, fit_starts(...))`` for every ``k``, largest first, the models run at once on the cores there are.

    Each model's starts depend on its seed only: the results are those of one ``k`` after another.
    The largest ``k`` take longest and are handed out first; each is yielded as it is done (progress).
    """
    from joblib import Parallel, delayed

    largest_first = sorted(ks, reverse=True)
    workers = min(em.WORKERS, len(largest_first))
    done = Parallel(n_jobs=workers, return_as="generator")(
        delayed(fit_starts)(data, k, n_init, seed, max_starts, two_stage) for k in largest_first
    )
    yield from zip(largest_first, done, strict=True)


def more_starts_needed(batches: Sequence[em.Starts], n_init: int, max_starts: int, tol: float = 0.01) -> bool:
    """The stopping rule of the random starts of one model (one replicate), written before looking.

    Another batch of ``n_init`` random starts is run, while it fits within ``max_starts``, until the best
    log-likelihood has been reached by two starts or more **and** the last batch did not improve it
    by more than ``tol``: a maximum found once, or found only in the last batch, may not be the
    maximum.

    Parameters
    ----------
    batches : sequence of em.Starts
        The batches run so far (one replicate each; their starts run to convergence).
    n_init : int
        Random starts per batch.
    max_starts : int
        Random starts at most.
    tol : float
        Tolerance on the total log-likelihood.
    """
    total = em_total(batches)
    if (len(batches) + 1) * n_init > max_starts:
        return False
    if total.at_best(tol=tol) < 2 or len(batches) < 2:
        return True
    before = np.nanmax(em_total(batches[:-1]).loglik[0])
    return bool(np.nanmax(batches[-1].loglik[0]) > before + tol)


def em_total(batches: Sequence[em.Starts]) -> em.Starts:
    """The starts of several batches of one replicate as one :class:`~.em.Starts`."""
    fields = ("loglik", "converged", "n_iter", "log_weights", "log_pis")
    return em.Starts(*(np.concatenate([getattr(b, f) for b in batches], axis=1) for f in fields))


def replicated(start_logliks: Sequence[float], n: int, tol: float = 0.01) -> int:
    """Number of random starts whose log-likelihood is within ``tol`` of the best one.

    Parameters
    ----------
    start_logliks : sequence of float
        Average (per person) log-likelihood of each start.
    n : int
        Number of persons (the total log-likelihood is ``n`` times the average).
    tol : float
        Tolerance on the total log-likelihood.
    """
    total = np.asarray(start_logliks, dtype=float) * n
    return int((total >= np.nanmax(total) - tol).sum())


def sample_size_adjusted_bic(loglik: float, n_parameters: int, n: int) -> float:
    """Sclove's (1987) sample-size adjusted BIC: ``-2 loglik + p log((n + 2) / 24)``.

    Computed here because ``StepMix.sabic`` (3.0.0) uses ``log(n (n + 2) / 24)``, a penalty larger than
    BIC's instead of smaller, which would make the adjusted criterion choose fewer classes than BIC.

    Parameters
    ----------
    loglik : float
        Maximised log-likelihood of the model.
    n_parameters : int
        Free parameters.
    n : int
        Persons the model was fitted on.
    """
    return -2.0 * loglik + n_parameters * float(np.log((n + 2) / 24))


def fit_row(model: Any, data: Encoded, starts: em.Starts | None = None) -> dict[str, Any]:
    """Fit statistics of one model: log-likelihood, AIC, BIC, SABIC, entropy, smallest class, starts.

    Parameters
    ----------
    model : stepmix.StepMix
        A fitted model (:func:`fit_lca`, or :func:`~.em.to_stepmix` of the best start).
    data : Encoded
        The indicators it was fitted on.
    starts : em.Starts, optional
        Its random starts (default: StepMix's ``lower_bound_buffer_``).

    Returns
    -------
    dict
        ``k, loglik, n_parameters, aic, bic, sabic, entropy, smallest_n, smallest_share, starts,
        starts_at_best, converged_starts``.
    """
    X = data.X.to_numpy(float)
    n = len(X)
    labels = model.predict(X)
    sizes = np.bincount(labels, minlength=model.n_components)
    loglik = float(model.score(X) * n)
    if starts is None:
        n_starts, at_best, converged = (
            len(model.lower_bound_buffer_),
            replicated(model.lower_bound_buffer_, n),
            int(model.converged_),
        )
    else:
        n_starts, at_best, converged = starts.loglik.shape[1], starts.at_best(), int(starts.converged.sum())
    return {
        "k": model.n_components,
        "loglik": loglik,
        "n_parameters": int(model.n_parameters),
        "aic": float(model.aic(X)),
        "bic": float(model.bic(X)),
        "sabic": sample_size_adjusted_bic(loglik, int(model.n_parameters), n),
        "entropy": float(model.relative_entropy(X)) if model.n_components > 1 else np.nan,
        "smallest_n": int(sizes.min()),
        "smallest_share": float(sizes.min() / n),
        "starts": n_starts,
        "starts_at_best": at_best,
        "converged_starts": converged,
    }


def fit_table(
    data: Encoded,
    ks: Sequence[int],
    n_init: int,
    seed: int,
    max_starts: int | None = None,
    two_stage: tuple[int, int] | None = None,
) -> tuple[pd.DataFrame, dict[int, Any], dict[int, pd.DataFrame]]:
    """Fit one latent class model per ``k`` from many random starts and tabulate the fit statistics.

    Parameters
    ----------
    data : Encoded
        Categorical indicators.
    ks : sequence of int
        Numbers of classes, e.g. ``range(1, 9)``.
    n_init : int
        Random starts per batch (:func:`fit_starts`).
    seed : int
        Random state (the same for every ``k``).
    max_starts : int, optional
        Random starts at most per ``k`` (default ``n_init``).
    two_stage : (int, int), optional
        ``(initial_iter, keep)`` of :func:`fit_starts`.

    Returns
    -------
    table : DataFrame
        Indexed by ``k``: ``loglik, n_parameters, aic, bic, sabic, entropy, smallest_n,
        smallest_share, starts, starts_at_best, converged_starts, replicated`` (best log-likelihood
        reached by at least two starts), ``bvr_over`` (pairs of indicators with a bivariate
        residual above 3.84) and ``bvr_max``.
    models : dict of int to StepMix
        The best start of each ``k``.
    residuals : dict of int to DataFrame
        :func:`~.diagnostics.bivariate_residuals` of each ``k``.
    """
    rows, models, residuals = [], {}, {}
    cats = n_categories(data)
    for k, (patterns, starts, n_batches) in _fit_each_k(data, ks, n_init, seed, max_starts, two_stage):
        best = starts.best()
        weights, pis = starts.log_weights[0, best], starts.log_pis[0, best]
        models[k] = em.to_stepmix(weights, pis, cats, data.descriptor)
        unique = data.X.to_numpy(np.int64)[np.unique(patterns.inverse, return_index=True)[1]]
        residuals[k] = bivariate_residuals(unique, patterns.counts, cats, weights, pis, list(data.X.columns))
        row = fit_row(models[k], data, starts)
        row["random_starts"] = n_batches * n_init
        row["bvr_over"] = int((residuals[k]["bvr"] > BVR_THRESHOLD).sum())
        row["bvr_max"] = float(residuals[k]["bvr"].max()) if len(residuals[k]) else np.nan
        if row["converged_starts"] < row["starts"]:
            log.warning(
                "profiles: k=%d, %d of %d starts did not converge",
                k,
                row["starts"] - row["converged_starts"],
                row["starts"],
            )
        rows.append(row)
        log.info(
            "profiles: k=%d of %d fitted: %d random starts, %d to convergence, best log-likelihood %.1f reached by %d",
            k, max(ks), row["random_starts"], row["starts"], row["loglik"], row["starts_at_best"],
        )  # fmt: skip
    models, residuals = {k: models[k] for k in sorted(models)}, {k: residuals[k] for k in sorted(residuals)}
    table = pd.DataFrame(rows).set_index("k").sort_index()
    table["replicated"] = table["starts_at_best"] >= 2
    return table, models, residuals


#: Smallest class a chosen model may have, as a share of the persons it was fitted on.
MIN_CLASS_SHARE = 0.05


def choose_k(table: pd.DataFrame, criterion: str = "bic", min_share: float = MIN_CLASS_SHARE) -> int:
    """Return the ``k`` that minimises ``criterion`` among models whose every class is large enough.

    The rule, stated before any comparison with the truth: the lowest ``criterion`` (``bic`` or
    ``sabic``) among the models whose smallest class (modal assignment) holds at least ``min_share``
    of the persons; a class smaller than that is too small to plan services for and is often a split
    of another class that fits the indicators' shape rather than a new situation.

    Parameters
    ----------
    table : DataFrame
        :func:`fit_table`.
    criterion : str
        ``bic`` or ``sabic``.
    min_share : float
        Smallest class share allowed (``1`` class always qualifies).
    """
    allowed = table[(table["smallest_share"] >= min_share) | (table.index == table.index.min())]
    return int(allowed[criterion].idxmin())


def size_order(posterior: np.ndarray) -> np.ndarray:
    """Column order that puts the largest class (modal assignment) first, ties in their order.

    Parameters
    ----------
    posterior : ndarray of shape (n, k)
        Posterior class probabilities.

    Returns
    -------
    ndarray of int
        ``posterior[:, order]`` has the largest class first.
    """
    sizes = np.bincount(posterior.argmax(axis=1), minlength=posterior.shape[1])
    return np.argsort(-sizes, kind="stable")


def relabel_by_size(posterior: np.ndarray) -> np.ndarray:
    """Reorder posterior columns so that class 0 is the largest (modal assignment) and so on.

    Parameters
    ----------
    posterior : ndarray of shape (n, k)
        Posterior class probabilities.

    Returns
    -------
    ndarray of shape (n, k)
        The same columns, largest class first (ties keep their order).
    """
    return posterior[:, size_order(posterior)]


def one_per_household(units: pd.Series, size: int, seed: int) -> np.ndarray:
    """Sorted positions of a random sample of ``size`` persons, at most one per household.

    Members of one RGC household share its household-level indicators (household type, benefit
    history, and the services, employment and NGO indicators of :data:`HOUSEHOLD_SHARED`), so a
    sample of persons would enter each household's records once per member. The likelihood, and the
    BIC, assume independent observations: counted several times, the records of large households
    earn extra classes that fit them. Models are therefore fitted on one person drawn at random per
    household (all households when there are fewer than ``size``), then everyone is classified.

    Parameters
    ----------
    units : Series
        Each person's household (:func:`household_units`), in the order of the positions.
    size : int
        Persons wanted.
    seed : int
        Random seed.
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(units))
    codes = pd.factorize(units.to_numpy())[0][order]
    _, first = np.unique(codes, return_index=True)
    chosen = order[first]
    if size < len(chosen):
        chosen = rng.choice(chosen, size, replace=False)
    return np.sort(chosen)


def kprototypes_labels(data: Encoded, k: int, seed: int, n_init: int = 2) -> np.ndarray:
    """k-prototypes clustering (``kmodes``) of the same indicators: the baseline.

    Continuous indicators are standardised; categorical codes are matched by simple dissimilarity.
    With categorical indicators only, k-prototypes is k-modes, which is used. When Cao's
    initialisation fails (too few distinct rows), Huang's is used instead.

    Parameters
    ----------
    data : Encoded
        Indicators (:func:`~.features.encode`).
    k : int
        Number of clusters.
    seed : int
        Random state.
    n_init : int
        Initialisations.

    Returns
    -------
    ndarray
        Cluster of each row (0..k-1).

    Raises
    ------
    StageError
        Neither initialisation worked.
    """
    from kmodes.kmodes import KModes
    from kmodes.kprototypes import KPrototypes

    X = data.X.copy()
    for c in data.continuous:
        X[c] = (X[c] - X[c].mean()) / (X[c].std() or 1.0)
    cat_idx = [i for i, c in enumerate(X.columns) if c in data.categories]
    last: ValueError | None = None
    for init in ("Cao", "Huang"):
        try:
            if not data.continuous:
                model = KModes(n_clusters=k, init=init, n_init=n_init, random_state=seed, n_jobs=1)
                return model.fit_predict(X.to_numpy(int))
            model = KPrototypes(n_clusters=k, init=init, n_init=n_init, random_state=seed, n_jobs=1)
            return model.fit_predict(X.to_numpy(object), categorical=cat_idx)
        except ValueError as error:  # kmodes: "could not initialize"
            last = error
    raise StageError(f"profiles: k-prototypes baseline failed with k={k}: {last}")


def bch_distal(posterior: np.ndarray, distal: pd.DataFrame) -> pd.DataFrame:
    """Distribution of categorical covariates or outcomes per class, corrected for classification error.

    The BCH correction (Bolck, Croon & Hagenaars 2004; Vermunt 2010), as StepMix computes it
    (``stepmix.corrections.compute_bch_matrix``): each person's modal class is weighted by the inverse
    of the classification-error matrix, so the class distributions are not those of modal assignments
    treated as known. StepMix's ``n_steps=3, correction="BCH"`` fit would refit the measurement model;
    here the fitted model's posterior is used so that classes keep their labels.

    Parameters
    ----------
    posterior : ndarray of shape (n, k)
        Posterior class probabilities.
    distal : DataFrame
        Categorical covariates or outcomes (strings), same rows.

    Returns
    -------
    DataFrame
        Long table ``variable, value, class, share, negative`` (shares of each class add up to one per
        variable). BCH weights are negative for some persons; they are kept, as the correction
        prescribes (clipping them would bias the shares towards the modal assignment), so a cell's
        corrected mass can fall below zero: ``negative`` marks those cells (the report counts them).
    """
    from stepmix import utils
    from stepmix.corrections import compute_bch_matrix

    _, d_inv = compute_bch_matrix(posterior, "modal")
    weights = utils.modal(posterior, clip=True) @ d_inv
    rows = []
    for variable in distal.columns:
        values = distal[variable].astype(str).to_numpy()
        for value in category_order(pd.Series(values)):
            mass = weights[values == value].sum(axis=0)
            rows += [
                {"variable": variable, "value": value, "class": c, "mass": m} for c, m in enumerate(mass)
            ]
    out = pd.DataFrame(rows)
    out["share"] = out["mass"] / out.groupby(["variable", "class"])["mass"].transform("sum")
    out["negative"] = out["mass"] < 0
    return out.drop(columns="mass")
