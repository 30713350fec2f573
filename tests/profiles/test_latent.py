"""Latent class analysis: the fit table, the choice of k, the household sample and the baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pact_analysis import profiles
from pact_analysis.profiles import em
from tests.profiles.toy import toy


def test_fit_table_has_every_k_and_finds_two_groups():
    frame, group = toy()
    frame["d"] = np.where(frame["x"] > 1.5, "high", "low")  # the fit takes categorical indicators only
    data = profiles.encode(frame, ["a", "b", "c", "d"], [])
    table, models, _ = profiles.fit_table(data, range(1, 4), n_init=3, seed=1)
    assert table.index.tolist() == [1, 2, 3]
    expected = {"loglik", "aic", "bic", "sabic", "entropy", "smallest_n", "smallest_share", "replicated"}
    expected |= {"starts", "starts_at_best", "converged_starts", "bvr_over", "bvr_max"}
    assert expected <= set(table.columns)
    assert table["loglik"].is_monotonic_increasing
    assert profiles.choose_k(table) == 2
    assert table.loc[2, "replicated"]
    # Sclove's adjusted BIC penalises each parameter by log((n + 2) / 24) < log(n): below BIC
    n = len(frame)
    penalty = (table["bic"] - table["sabic"]) / table["n_parameters"]
    assert np.allclose(penalty, np.log(n) - np.log((n + 2) / 24))
    assert (table["sabic"] < table["bic"]).all()
    labels = models[2].predict(data.X.to_numpy(float))
    assert profiles.agreement(labels, group) > 0.8


def test_choose_k_skips_models_with_a_tiny_class():
    table = pd.DataFrame(
        {"bic": [100.0, 80.0, 70.0, 65.0], "sabic": [99.0, 79.0, 69.0, 60.0]},
        index=pd.Index([1, 2, 3, 4], name="k"),
    ).assign(smallest_share=[1.0, 0.4, 0.2, 0.01])
    assert profiles.choose_k(table) == 3  # k = 4 has the lowest BIC but a class of 1%
    assert profiles.choose_k(table, min_share=0.0) == 4
    assert profiles.choose_k(table.assign(smallest_share=0.0), "sabic") == 1


def test_one_per_household_draws_independent_units():
    persons = pd.DataFrame(
        {"household_key": ["h1", "h1", "h1", None, "h2", "h2", None, "h3"]},
        index=pd.Index([f"p{i}" for i in range(8)], name="person_key"),
    )
    units = profiles.household_units(persons)
    assert units.tolist() == ["h1", "h1", "h1", "p3", "h2", "h2", "p6", "h3"]  # alone: own unit
    every = profiles.one_per_household(units, 100, seed=1)
    assert len(every) == 5 and units.iloc[every].is_unique  # one person of each of the 5 units
    some = profiles.one_per_household(units, 3, seed=1)
    assert len(some) == 3 and units.iloc[some].is_unique and (np.diff(some) > 0).all()
    assert np.array_equal(some, profiles.one_per_household(units, 3, seed=1))  # same seed, same sample
    drawn = {tuple(profiles.one_per_household(units, 5, seed=s)) for s in range(20)}
    assert len(drawn) > 1  # the member drawn from each household varies with the seed


def test_replicated_counts_starts_at_the_best_loglik():
    assert profiles.replicated([-1.0, -1.0, -1.2], n=100) == 2
    assert profiles.replicated([-1.0, -1.1, -1.2], n=100) == 1


def test_kprototypes_baseline_with_and_without_continuous_indicators():
    frame, group = toy(200)
    mixed = profiles.kprototypes_labels(profiles.encode(frame, ["a", "b", "c"], ["x"]), 2, seed=1)
    categorical = profiles.kprototypes_labels(profiles.encode(frame, ["a", "b", "c"], []), 2, seed=1)
    assert profiles.agreement(mixed, group) > 0.6
    assert profiles.agreement(categorical, group) > 0.3
    assert set(np.unique(categorical)) == {0, 1}


def _batch(logliks):
    """A batch of starts of one replicate with these final log-likelihoods (parameters unused)."""
    ll = np.asarray([logliks], dtype=float)
    n = ll.shape[1]
    return em.Starts(
        ll, np.ones_like(ll, bool), np.ones_like(ll, int), np.zeros((1, n, 2)), np.zeros((1, n, 3, 2))
    )


def test_starts_stop_only_when_the_best_is_replicated_and_a_batch_brings_nothing_better():
    from pact_analysis.profiles.latent import more_starts_needed

    twice = _batch([-100.0, -100.0, -120.0])
    assert more_starts_needed([twice], 3, 30)  # one batch: no batch has yet failed to improve
    assert not more_starts_needed([twice, _batch([-101.0, -130.0, -100.005])], 3, 30)
    # the last batch found a better maximum: run another, even though it is reached twice there
    assert more_starts_needed([twice, _batch([-90.0, -90.0, -100.0])], 3, 30)
    # the best reached once: run another
    assert more_starts_needed([_batch([-100.0, -110.0, -120.0]), _batch([-101.0, -130.0, -105.0])], 3, 30)
    # never past max_starts
    assert not more_starts_needed([_batch([-100.0, -110.0, -120.0])], 3, 5)
