"""Many random starts of a categorical latent class model at once, and their hand-over to StepMix.

StepMix (3.0.0) runs its starts one after another, recomputes a dense one-hot encoding in every EM
step and records one convergence flag for all starts together. With 20 starts for every ``k`` and a
bootstrap that refits with the same 20 starts, that is several times the stage's budget. Here the EM
of StepMix's categorical ("multinoulli") measurement model is run on a sparse one-hot design of the
distinct answer patterns, weighted by how many persons give each, for many starts (and bootstrap
replicates, as frequency weights) in one matrix product per step:

- each start begins as StepMix's ``init_params="random"`` does: uniform random responsibilities,
  normalised per person, then an M-step;
- M-step and E-step are StepMix's (class weights and item probabilities clipped to
  ``[1e-15, 1 - 1e-15]``), so a StepMix model given the parameters (:func:`to_stepmix`) scores the
  same log-likelihood (tested in ``tests/profiles/test_em.py``, also against StepMix's own fits);
- a start has converged when one EM step changes its log-likelihood by less than ``tol``; every start's
  log-likelihood, convergence and iterations are returned (:class:`Starts`), none is silenced.
- in two stages (as Mplus and Latent GOLD), the initial stage only ranks the random starts and runs
  in single precision; the starts it keeps run on to convergence in double precision (tested to keep
  the same maxima); patterns that no run of a chunk weighs (a bootstrap replicate's) are left out of
  its arithmetic, which changes no parameter's bits (the log-likelihood's at most in its last bits).

The best start's parameters are handed to a StepMix model (:func:`to_stepmix`), which then classifies
and computes BIC, AIC and entropy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from scipy import sparse
from scipy.special import logsumexp

from pact_analysis import workers

#: StepMix's clip of probabilities (class weights and item probabilities).
CLIP = 1e-15

#: Chunks of starts run at once, in processes: the cores this process may use (:data:`~pact_analysis.workers.WORKERS`).
WORKERS = workers.WORKERS

#: Patterns times runs times EM steps (counted up to :data:`STEPS_COUNTED`) from which the chunks run
#: in processes (below, starting them costs more than it saves). The steps count: a final stage of
#: a thousand runs to convergence is as much work as a hundred thousand runs of twenty initial steps.
PARALLEL_FROM = 40_000_000

#: EM steps counted per run in :data:`PARALLEL_FROM` (runs to convergence take about a hundred).
STEPS_COUNTED = 100

#: Precision of the initial stage of two-stage fitting (:func:`fit_starts`), which only ranks the
#: random starts: half the memory traffic and twice the speed of ``exp``; the starts it keeps run on to
#: convergence in double precision from its parameters.
SCREENING_DTYPE = np.float32


@dataclass(frozen=True)
class Patterns:
    """Distinct answer patterns of integer-coded categorical indicators, as a sparse one-hot design.

    Attributes
    ----------
    design : scipy.sparse.csr_matrix
        ``(n_patterns, total_outcomes)``, one 1 per item in each row.
    counts : ndarray
        Persons per pattern.
    inverse : ndarray
        Pattern of each person.
    n_categories : tuple of int
        Categories of each item.
    """

    design: sparse.csr_matrix
    counts: np.ndarray
    inverse: np.ndarray
    n_categories: tuple[int, ...]

    @property
    def item_of_column(self) -> np.ndarray:
        """Item (0..F-1) of each column of the design."""
        return np.repeat(np.arange(len(self.n_categories)), self.n_categories)


def patterns(codes: np.ndarray, n_categories: Sequence[int]) -> Patterns:
    """Return the distinct rows of ``codes`` and their one-hot design.

    Parameters
    ----------
    codes : ndarray of int, shape (n, F)
        Category code of each person (row) on each item (column), ``0..n_categories[f] - 1``.
    n_categories : sequence of int
        Categories of each item.

    Returns
    -------
    Patterns
    """
    codes = np.asarray(codes, dtype=np.int64)
    unique, inverse, counts = np.unique(codes, axis=0, return_inverse=True, return_counts=True)
    offsets = np.concatenate([[0], np.cumsum(n_categories)[:-1]])
    n, F = unique.shape
    design = sparse.csr_matrix(
        (np.ones(n * F), (np.repeat(np.arange(n), F), (unique + offsets).ravel())),
        shape=(n, int(np.sum(n_categories))),
    )
    return Patterns(design, counts.astype(float), inverse.ravel(), tuple(int(c) for c in n_categories))


@dataclass(frozen=True)
class Starts:
    """Every start of every replicate: log-likelihood, convergence, iterations and parameters.

    Attributes
    ----------
    loglik : ndarray (R, S)
        Final log-likelihood (weighted by the replicate's counts) of each start.
    converged : ndarray of bool (R, S)
        Whether the start met the tolerance before ``max_iter``.
    n_iter : ndarray of int (R, S)
    log_weights : ndarray (R, S, k)
        Log class weights.
    log_pis : ndarray (R, S, T, k)
        Log probability of each category (column of the design) in each class.
    """

    loglik: np.ndarray
    converged: np.ndarray
    n_iter: np.ndarray
    log_weights: np.ndarray
    log_pis: np.ndarray

    def best(self, replicate: int = 0) -> int:
        """The start with the highest log-likelihood of a replicate."""
        return int(np.nanargmax(self.loglik[replicate]))

    def at_best(self, replicate: int = 0, tol: float = 0.01) -> int:
        """Starts whose log-likelihood is within ``tol`` of the replicate's best."""
        ll = self.loglik[replicate]
        return int((ll >= np.nanmax(ll) - tol).sum())


def fit_starts(
    data: Patterns,
    k: int,
    n_starts: int,
    seed: int,
    weights: np.ndarray | None = None,
    max_iter: int = 2000,
    tol: float = 1e-5,
    chunk: int = 120,
    initial_iter: int | None = None,
    keep: int | None = None,
    dtype: type = np.float64,
) -> Starts:
    """Fit ``n_starts`` random starts of a ``k``-class model for each replicate of ``weights``.

    With ``initial_iter`` and ``keep``, in two stages as Mplus and Latent GOLD do: every random start
    runs ``initial_iter`` EM steps, and the ``keep`` best of each replicate (highest log-likelihood
    then) are run on to convergence; the result holds those ``keep`` final-stage runs.

    Parameters
    ----------
    data : Patterns
        The answer patterns (:func:`patterns`).
    k : int
        Number of classes.
    n_starts : int
        Random starts per replicate (the same strategy for every replicate).
    seed : int
        Random seed of the starting responsibilities.
    weights : ndarray (R, n_patterns), optional
        Persons per pattern in each replicate (bootstrap frequency weights); default one replicate
        with ``data.counts``.
    max_iter : int
        EM steps per start at most.
    tol : float
        Convergence: change of the log-likelihood (total, not per person) in one step.
    chunk : int
        Starts computed together (memory: ``n_patterns * chunk * k`` floats a few times).
    initial_iter : int, optional
        EM steps of the initial stage (None: one stage, every start to convergence).
    keep : int, optional
        Starts of each replicate run on to convergence after the initial stage.
    dtype : numpy float type
        Precision of the EM's working arrays (the initial stage uses :data:`SCREENING_DTYPE`; the
        returned parameters and log-likelihoods are double precision either way).

    Returns
    -------
    Starts
    """
    W = data.counts[None, :] if weights is None else np.atleast_2d(np.asarray(weights, dtype=float))
    R, n = W.shape
    rng = np.random.default_rng(seed)
    if initial_iter and keep and keep < n_starts:
        first = fit_starts(
            data,
            k,
            n_starts,
            seed,
            weights=W,
            max_iter=initial_iter,
            tol=tol,
            chunk=chunk,
            dtype=SCREENING_DTYPE,
        )
        best = np.argsort(-first.loglik, axis=1, kind="stable")[:, :keep]
        init = [
            _responsibilities(data, first.log_weights[r, s], first.log_pis[r, s]) for r, s in _pairs(best)
        ]
        return _run(data, W, np.repeat(np.arange(R), keep), init, k, max_iter, tol, chunk)
    init = UniformStarts(rng.bit_generator.state, n, k)
    return _run(data, W, np.repeat(np.arange(R), n_starts), init, k, max_iter, tol, chunk, dtype)


@dataclass(frozen=True)
class UniformStarts:
    """Uniform random starting responsibilities of consecutive runs, drawn where a chunk runs.

    Run ``i`` gets the ``i``-th of the arrays ``rng.uniform(size=(n_patterns, k))`` a generator in
    ``state`` would draw one after another: the same numbers, without drawing every run's array
    first in one process and sending each chunk's to the process that runs it (tested).

    Attributes
    ----------
    state : dict
        State of the bit generator (``numpy.random.PCG64`` for ``default_rng``) before the first
        run's draws.
    n_patterns, k : int
        Shape of one run's array.
    """

    state: dict[str, Any]
    n_patterns: int
    k: int

    def chunk(self, first: int, count: int) -> np.ndarray:
        """The arrays of runs ``first .. first + count - 1``, stacked as ``(n_patterns, count, k)``."""
        bits = getattr(np.random, self.state["bit_generator"])()  # the generator's own kind (PCG64)
        bits.state = self.state
        bits.advance(first * self.n_patterns * self.k)  # one 64-bit draw per uniform number
        draws = np.random.Generator(bits).uniform(size=(count, self.n_patterns, self.k))
        return np.moveaxis(draws, 0, 1)


def _pairs(best: np.ndarray) -> list[tuple[int, int]]:
    """(replicate, start) of every kept start, replicate by replicate."""
    return [(r, int(s)) for r in range(best.shape[0]) for s in best[r]]


def _responsibilities(data: Patterns, log_weights: np.ndarray, log_pis: np.ndarray) -> np.ndarray:
    """Posterior class probabilities of each pattern under one model's parameters (an E-step)."""
    joint = np.asarray(data.design @ log_pis) + log_weights[None]
    return np.exp(joint - logsumexp(joint, axis=1, keepdims=True))


def _run(
    data: Patterns,
    W: np.ndarray,
    runs: np.ndarray,
    init: list[np.ndarray] | UniformStarts,
    k: int,
    max_iter: int,
    tol: float,
    chunk: int,
    dtype: type = np.float64,
) -> Starts:
    """EM from the starting responsibilities ``init`` of each run (replicate ``runs[i]``), in chunks.

    ``init`` holds one ``(n_patterns, k)`` array per run, or draws them (:class:`UniformStarts`) in
    the process that runs the chunk.
    """
    R = W.shape[0]
    work = data.design.shape[0] * len(runs) * min(max_iter, STEPS_COUNTED)
    workers = WORKERS if work >= PARALLEL_FROM and len(runs) > chunk else 1
    pieces = (
        (data, W[runs[i : i + chunk]].T, _starting(init, i, chunk, len(runs)), max_iter, tol, dtype)
        for i in range(0, len(runs), chunk)
    )
    if workers > 1:  # the chunks do not depend on the workers: the same bytes on any machine (tested)
        from joblib import Parallel, delayed

        parts = Parallel(n_jobs=workers)(delayed(_em)(*piece) for piece in pieces)
    else:
        parts = [_em(*piece) for piece in pieces]
    ll, conv, iters, lw, lp = (np.concatenate([p[j] for p in parts]) for j in range(5))
    T, S = data.design.shape[1], len(runs) // R
    return Starts(
        ll.reshape(R, S), conv.reshape(R, S), iters.reshape(R, S), lw.reshape(R, S, k), lp.reshape(R, S, T, k)
    )


def _starting(
    init: list[np.ndarray] | UniformStarts, first: int, size: int, total: int
) -> np.ndarray | Callable[[], np.ndarray]:
    """The starting responsibilities of the chunk of runs from ``first`` (``size`` at most of ``total``):
    stacked ``(n, runs, k)``, or the call that draws them in the chunk's process."""
    count = min(size, total - first)
    if isinstance(init, UniformStarts):
        return partial(init.chunk, first, count)
    return np.stack(init[first : first + count], axis=1)


def _em(
    data: Patterns,
    W: np.ndarray,
    resp: np.ndarray | Callable[[], np.ndarray],
    max_iter: int,
    tol: float,
    dtype: type = np.float64,
) -> tuple[np.ndarray, ...]:
    """EM for the runs of one chunk: ``W`` (n, M) weights, ``resp`` (n, M, k) starting responsibilities
    (or the call that draws them here, :func:`_starting`).

    Arrays are laid out (patterns, classes, runs) so that sums over classes are sums of slabs. The
    working arrays hold the runs still active only (``run``: their position in the chunk): a run
    that converges is dropped from them, so no step copies the columns of the active runs out.
    """
    if callable(resp):
        resp = resp()
    T = data.design.shape[1]
    D, W, resp = _weighed(data.design, np.asarray(W), resp)
    n, M, k = resp.shape
    resp = np.ascontiguousarray(np.moveaxis(resp, 2, 1), dtype=dtype)
    resp /= resp.sum(axis=1, keepdims=True)
    D = D.astype(dtype, copy=False)
    floor = max(1e-300, float(np.finfo(dtype).tiny))  # of a class's total weight (no division by 0)
    DT = D.T.tocsr()
    log_pis = np.zeros((T, k, M))
    log_w = np.zeros((k, M))
    ll = np.full(M, -np.inf)
    converged = np.zeros(M, dtype=bool)
    n_iter = np.zeros(M, dtype=int)
    run, Wa, previous = np.arange(M), np.asarray(W, dtype=dtype), np.full(M, -np.inf)
    for step in range(1, max_iter + 1):
        A = len(run)
        wr = Wa[:, None, :] * resp
        totals = wr.sum(axis=0)
        counts = (DT @ wr.reshape(n, -1)).reshape(T, k, A)
        lp = np.log(np.clip(counts / np.maximum(totals, floor)[None], CLIP, 1 - CLIP))
        lw = np.log(np.clip(totals / Wa.sum(axis=0)[None], CLIP, 1 - CLIP))
        log_pis[:, :, run], log_w[:, run] = lp, lw
        joint = (D @ lp.reshape(T, -1)).reshape(n, k, A) + lw[None]
        top = joint.max(axis=1, keepdims=True)
        np.subtract(joint, top, out=joint)
        np.exp(joint, out=joint)
        total = joint.sum(axis=1, keepdims=True)
        resp = joint / total
        new = (Wa * (np.log(total[:, 0]) + top[:, 0])).sum(axis=0, dtype=np.float64)
        done = np.abs(new - previous) < tol
        ll[run], n_iter[run] = new, step
        converged[run[done]] = True
        if done.all():
            break
        if done.any():
            keep = ~done
            run, Wa, resp, new = run[keep], Wa[:, keep], np.ascontiguousarray(resp[:, :, keep]), new[keep]
        previous = new
    return ll, converged, n_iter, log_w.T, np.moveaxis(log_pis, 2, 0)


def _weighed(
    design: sparse.csr_matrix, W: np.ndarray, resp: np.ndarray
) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
    """The rows of the patterns that some run of the chunk weighs (a bootstrap replicate leaves about
    a third out): the others add exact zeros to the parameters' sums, so these are the same bits; the
    log-likelihood's sum over patterns may differ in its last bits (about 1e-11) where numpy adds in
    pairs (a chunk down to one active run)."""
    live = np.flatnonzero((W > 0).any(axis=1))
    if len(live) == W.shape[0]:
        return design, W, resp
    return design[live], W[live], resp[live]


def log_likelihood(data: Patterns, log_weights: np.ndarray, log_pis: np.ndarray) -> np.ndarray:
    """Log-likelihood of each pattern under one model's parameters.

    Parameters
    ----------
    data : Patterns
    log_weights : ndarray (k,)
    log_pis : ndarray (T, k)

    Returns
    -------
    ndarray (n_patterns,)
    """
    return logsumexp(np.asarray(data.design @ log_pis) + log_weights[None], axis=1)


def to_stepmix(
    log_weights: np.ndarray, log_pis: np.ndarray, n_categories: Sequence[int], descriptor: dict[str, Any]
) -> Any:
    """A StepMix model carrying these parameters, for integer-coded indicators (``Encoded.descriptor``).

    Parameters
    ----------
    log_weights : ndarray (k,)
    log_pis : ndarray (T, k)
        As :class:`Starts` holds them.
    n_categories : sequence of int
        Categories of each item.
    descriptor : dict
        StepMix measurement descriptor with one ``categorical`` block (``max_n_outcomes`` given).

    Returns
    -------
    stepmix.StepMix
        Ready to ``predict``, ``predict_proba``, ``score``, ``bic``, ``aic``, ``relative_entropy``.
    """
    from stepmix.stepmix import StepMix

    k = len(log_weights)
    L = int(descriptor["categorical"]["max_n_outcomes"])
    F = len(n_categories)
    pis = np.full((k, F * L), CLIP)
    offsets = np.concatenate([[0], np.cumsum(n_categories)[:-1]])
    for f, (start, size) in enumerate(zip(offsets, n_categories, strict=True)):
        pis[:, f * L : f * L + size] = np.exp(log_pis[start : start + size]).T
    model = StepMix(n_components=k, measurement=descriptor, progress_bar=0, verbose=0)
    model._check_initial_parameters(None)  # StepMix's own checks, which also set its input flags
    model.set_parameters(
        {
            "weights": np.exp(log_weights),
            "measurement": {
                "categorical": {
                    "pis": pis,
                    "max_n_outcomes": L,
                    "total_outcomes": int(np.sum(n_categories)),
                }
            },
            "measurement_in": F,
        }
    )
    model.n_components = k
    return model
