"""Latent class analysis: the fit table, the choice of k, the household sample and the baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pact_analysis import profiles
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
