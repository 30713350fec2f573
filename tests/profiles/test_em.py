"""Many starts at once (profiles.em) against StepMix; bivariate residuals; Jaccard per true profile."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency

from pact_analysis import profiles
from pact_analysis.profiles import em
from pact_analysis.profiles.diagnostics import bivariate_residuals
from pact_analysis.profiles.validation import true_profile_jaccard


def three_groups(n: int = 600, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Three groups on five categorical items (three categories each), locally independent."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 3, n)
    probs = np.array(
        [[[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]][(g + f) % 3] for f in range(5) for g in range(3)]
    ).reshape(5, 3, 3)
    items = {f"i{f}": [str(rng.choice(3, p=probs[f, g])) for g in group] for f in range(5)}
    return pd.DataFrame(items), group


def test_patterns_are_the_distinct_rows_one_hot():
    codes = np.array([[0, 1], [0, 1], [1, 0], [1, 2]])
    p = em.patterns(codes, [2, 3])
    assert p.design.shape == (3, 5)
    assert p.counts.tolist() == [2.0, 1.0, 1.0]
    assert np.asarray(p.design.sum(axis=1)).ravel().tolist() == [2, 2, 2]  # one 1 per item
    assert p.design.toarray()[p.inverse[3]].tolist() == [0, 1, 0, 0, 1]
    assert p.item_of_column.tolist() == [0, 0, 1, 1, 1]


def test_starts_reach_stepmix_maximum_and_stepmix_scores_them_the_same():
    frame, group = three_groups()
    data = profiles.encode(frame, list(frame.columns), [])
    cats = profiles.latent.n_categories(data)
    p = em.patterns(data.X.to_numpy(np.int64), cats)
    starts = em.fit_starts(p, 3, 10, seed=1)
    best = starts.best()
    assert starts.converged.all() and starts.at_best() >= 2
    model = em.to_stepmix(starts.log_weights[0, best], starts.log_pis[0, best], cats, data.descriptor)
    X = data.X.to_numpy(float)
    assert model.score(X) * len(X) == pytest.approx(starts.loglik[0, best], abs=1e-6)
    ll = em.log_likelihood(p, starts.log_weights[0, best], starts.log_pis[0, best])
    assert (p.counts * ll).sum() == pytest.approx(starts.loglik[0, best], abs=1e-6)
    stepmix = profiles.fit_lca(data, 3, n_init=10, seed=1)
    assert stepmix.score(X) * len(X) == pytest.approx(starts.loglik[0, best], abs=0.05)
    assert profiles.agreement(model.predict(X), group) > 0.6


def test_replicate_weights_fit_the_resample_and_unconverged_starts_are_reported():
    frame, _ = three_groups(300)
    data = profiles.encode(frame, list(frame.columns), [])
    cats = profiles.latent.n_categories(data)
    p = em.patterns(data.X.to_numpy(np.int64), cats)
    weights = np.stack([p.counts, np.where(np.arange(len(p.counts)) % 2 == 0, p.counts, 0.0)])
    starts = em.fit_starts(p, 2, 4, seed=3, weights=weights)
    assert starts.loglik.shape == (2, 4)
    r, best = 1, starts.best(1)
    ll = em.log_likelihood(p, starts.log_weights[r, best], starts.log_pis[r, best])
    assert (weights[1] * ll).sum() == pytest.approx(starts.loglik[1, best], abs=1e-6)
    assert starts.loglik[1].max() > starts.loglik[0].max()  # half the persons: a smaller -loglik
    short = em.fit_starts(p, 3, 4, seed=3, max_iter=2)
    assert not short.converged.any() and (short.n_iter == 2).all()


def test_the_starts_give_the_same_bytes_on_any_number_of_cores(monkeypatch):
    """Same seed, same bytes on any machine: the chunks of runs do not depend on the cores, and a
    chunk computed in another process gives the same bits; runs that converge early leave the
    others' arithmetic alone."""
    frame, _ = three_groups(300)
    data = profiles.encode(frame, list(frame.columns), [])
    p = em.patterns(data.X.to_numpy(np.int64), profiles.latent.n_categories(data))
    weights = np.random.default_rng(4).poisson(p.counts, size=(3, len(p.counts))).astype(float)
    monkeypatch.setattr(em, "WORKERS", 1)
    one = em.fit_starts(p, 3, 12, seed=5, weights=weights, chunk=5, initial_iter=5, keep=4)
    assert len(set(one.n_iter.ravel())) > 3, "runs converge at different steps"
    monkeypatch.setattr(em, "WORKERS", 2)
    monkeypatch.setattr(em, "PARALLEL_FROM", 0)
    two = em.fit_starts(p, 3, 12, seed=5, weights=weights, chunk=5, initial_iter=5, keep=4)
    for field in ("loglik", "converged", "n_iter", "log_weights", "log_pis"):
        assert np.array_equal(getattr(one, field), getattr(two, field)), field


def test_fit_table_adds_starts_until_the_best_is_replicated():
    frame, _ = three_groups()
    data = profiles.encode(frame, list(frame.columns), [])
    table, models, residuals = profiles.fit_table(data, [1, 2, 3], n_init=3, seed=1, max_starts=12)
    assert (table["starts"] >= 3).all() and (table["starts"] <= 12).all()
    assert table["replicated"].all()
    assert profiles.choose_k(table) == 3
    assert table.loc[1, "bvr_over"] > table.loc[3, "bvr_over"]  # three classes explain the associations
    assert set(residuals) == {1, 2, 3} and len(residuals[3]) == 10  # 5 items: 10 pairs


def test_bivariate_residual_with_one_class_is_the_independence_chi_square():
    rng = np.random.default_rng(0)
    codes = np.column_stack([rng.integers(0, 3, 400), rng.integers(0, 2, 400)])
    codes[:100, 1] = codes[:100, 0] % 2  # some dependence
    p = em.patterns(codes, [3, 2])
    start = em.fit_starts(p, 1, 1, seed=0)
    out = bivariate_residuals(
        codes, np.ones(len(codes)), [3, 2], start.log_weights[0, 0], start.log_pis[0, 0]
    )
    table = pd.crosstab(codes[:, 0], codes[:, 1]).to_numpy()
    chi2, _, dof, _ = chi2_contingency(table, correction=False)
    assert out.loc[0, "chi2"] == pytest.approx(chi2) and out.loc[0, "df"] == dof
    assert out.loc[0, "bvr"] == pytest.approx(chi2 / dof)


def test_bivariate_residual_hand_case_two_classes():
    # two classes of weight 1/2; item a: P(a=1) 0.9 / 0.1, item b: P(b=1) 0.8 / 0.2
    log_w = np.log([0.5, 0.5])
    log_pis = np.log(np.array([[0.1, 0.9], [0.9, 0.1], [0.2, 0.8], [0.8, 0.2]]))
    codes = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    counts = np.array([40.0, 10.0, 10.0, 40.0])
    out = bivariate_residuals(codes, counts, [2, 2], log_w, log_pis)
    # expected counts: n * (0.5 p1 q1 + 0.5 p2 q2): (0,0) 100 * (0.5*0.1*0.2 + 0.5*0.9*0.8) = 37
    expected = np.array([37.0, 13.0, 13.0, 37.0])
    assert out.loc[0, "chi2"] == pytest.approx(((counts - expected) ** 2 / expected).sum())


def test_true_profile_jaccard_best_match_and_small_profiles_left_out():
    truth = np.array(["a"] * 6 + ["b"] * 4 + ["c"] * 1)
    labels = np.array([0] * 5 + [1] * 1 + [1] * 4 + [0])
    out = true_profile_jaccard(labels, truth, min_share=0.1)
    assert out.index.tolist() == ["a", "b"]  # c holds 1 of 11 persons
    assert out["a"] == pytest.approx(5 / 7)  # 5 shared, 6 + 6 - 5 in the union
    assert out["b"] == pytest.approx(4 / 5)


def test_two_stage_starts_reach_the_one_stage_maximum_and_continue_their_initial_runs():
    frame, _ = three_groups(n=900, seed=5)
    data = profiles.encode(frame, list(frame.columns), [])
    p = em.patterns(data.X.to_numpy(np.int64), profiles.latent.n_categories(data))
    one = em.fit_starts(p, 3, 30, seed=2)
    two = em.fit_starts(p, 3, 30, seed=2, initial_iter=5, keep=6)
    assert two.loglik.shape == (1, 6) and two.converged.all()
    assert two.loglik.max() == pytest.approx(one.loglik.max(), abs=0.01)
    # the final stage continues the initial stage's best runs: none ends below where it stood after 5 steps
    first = em.fit_starts(p, 3, 30, seed=2, max_iter=5, dtype=em.SCREENING_DTYPE)  # as the initial stage
    kept = np.sort(first.loglik[0])[::-1][:6]
    assert (np.sort(two.loglik[0])[::-1] >= kept - 1e-3).all()  # single-precision values: 1e-4 apart
    # bootstrap replicates: each keeps its own best
    W = np.stack([p.counts, p.counts * 2])
    both = em.fit_starts(p, 3, 10, seed=2, weights=W, initial_iter=5, keep=3)
    assert both.loglik.shape == (2, 3) and both.loglik[1].max() == pytest.approx(
        2 * both.loglik[0].max(), rel=1e-4
    )


def test_patterns_no_run_weighs_are_left_out_with_the_same_parameters(monkeypatch):
    """A bootstrap leaves about a third of the patterns out; dropping them from a chunk changes no
    parameter's bits and the log-likelihood by rounding only, with runs ending at different steps
    (down to one active run, where numpy sums the log-likelihood in pairs)."""
    frame, _ = three_groups(400, seed=7)
    data = profiles.encode(frame, list(frame.columns), [])
    p = em.patterns(data.X.to_numpy(np.int64), profiles.latent.n_categories(data))
    rng = np.random.default_rng(8)
    W = np.stack(
        [np.bincount(p.inverse[rng.integers(0, 400, 400)], minlength=len(p.counts)) for _ in range(2)]
    )
    W = W.astype(float).T  # (patterns, runs), as a chunk holds them
    W[: len(W) // 2, 1] = 0.0  # some patterns weighed by one run only, some by none
    resp = rng.uniform(size=(len(W), 2, 3))
    assert (W == 0).all(axis=1).sum() > 10
    for dtype in (np.float64, em.SCREENING_DTYPE):
        dropped = em._em(p, W, resp, 300, 1e-5, dtype)
        with monkeypatch.context() as m:
            m.setattr(em, "_weighed", lambda design, W, resp: (design, W, resp))  # every pattern kept
            kept = em._em(p, W, resp, 300, 1e-5, dtype)
        ll, converged, n_iter, log_w, log_pis = dropped
        assert len(set(n_iter)) > 1, "runs end at different steps: the last one runs alone"
        assert np.array_equal(converged, kept[1]) and np.array_equal(n_iter, kept[2])
        assert np.array_equal(log_w, kept[3]) and np.array_equal(log_pis, kept[4])
        assert np.allclose(ll, kept[0], rtol=1e-12, atol=0)


def test_single_precision_screening_keeps_the_double_precision_maximum(monkeypatch):
    """The initial stage only ranks the starts: in single precision it keeps starts that reach the
    same maxima, and the same classes, as double precision does, main model and bootstrap replicates."""
    frame, _ = three_groups(900, seed=11)
    data = profiles.encode(frame, list(frame.columns), [])
    p = em.patterns(data.X.to_numpy(np.int64), profiles.latent.n_categories(data))
    rng = np.random.default_rng(12)
    W = np.stack([p.counts, *(np.bincount(p.inverse[rng.integers(0, 900, 900)], minlength=len(p.counts))
                             for _ in range(3))]).astype(float)  # fmt: skip
    single = em.fit_starts(p, 4, 40, seed=3, weights=W, initial_iter=10, keep=5)
    monkeypatch.setattr(em, "SCREENING_DTYPE", np.float64)
    double = em.fit_starts(p, 4, 40, seed=3, weights=W, initial_iter=10, keep=5)
    assert single.log_pis.dtype == np.float64 and single.converged.all()
    for r in range(len(W)):
        assert single.loglik[r].max() == pytest.approx(double.loglik[r].max(), abs=1e-4)
        assert single.at_best(r) == double.at_best(r)
        classes = [
            (np.asarray(p.design @ s.log_pis[r, s.best(r)]) + s.log_weights[r, s.best(r)]).argmax(axis=1)
            for s in (single, double)
        ]
        assert profiles.agreement(*classes) == 1.0


def test_uniform_starts_drawn_by_chunk_are_the_arrays_drawn_one_after_another():
    """Each chunk draws its runs' starting responsibilities from the generator's state advanced past
    the runs before it: the same numbers as drawing every run's array in turn (as ``fit_starts``
    did before the draws moved to the chunks), for chunks of any size and a last chunk cut short."""
    n_patterns, k, runs = 37, 4, 23
    rng = np.random.default_rng(11)
    starts = em.UniformStarts(rng.bit_generator.state, n_patterns, k)
    in_turn = [rng.uniform(size=(n_patterns, k)) for _ in range(runs)]
    for size in (1, 5, 23):
        for first in range(0, runs, size):
            drawn = em._starting(starts, first, size, runs)()  # drawn where the chunk runs
            expected = np.stack(in_turn[first : first + size], axis=1)
            assert drawn.shape == expected.shape and np.array_equal(drawn, expected)
    listed = em._starting(in_turn, 20, 5, runs)  # arrays given (the final stage's): stacked as they are
    assert np.array_equal(listed, np.stack(in_turn[20:], axis=1))


def test_fit_starts_draws_each_runs_start_from_the_seed_in_turn(monkeypatch):
    """The random starts are those of ``default_rng(seed)`` drawn run after run (what the outputs
    depend on): EM from those arrays, given explicitly, gives the same bytes."""
    frame, _ = three_groups(200)
    data = profiles.encode(frame, list(frame.columns), [])
    p = em.patterns(data.X.to_numpy(np.int64), profiles.latent.n_categories(data))
    monkeypatch.setattr(em, "WORKERS", 1)
    fitted = em.fit_starts(p, 3, 7, seed=9, chunk=3, max_iter=50)
    rng = np.random.default_rng(9)
    given = [rng.uniform(size=(len(p.counts), 3)) for _ in range(7)]
    expected = em._run(p, p.counts[None, :], np.zeros(7, dtype=int), given, 3, 50, 1e-5, 3)
    for field in ("loglik", "converged", "n_iter", "log_weights", "log_pis"):
        assert np.array_equal(getattr(fitted, field), getattr(expected, field)), field
