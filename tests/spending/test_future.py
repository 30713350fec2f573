"""Expected future spending: the conditional survival of the remaining-time model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pact_analysis import spending as sp


def test_conditional_survival_of_an_exponential_is_memoryless():
    index = pd.MultiIndex.from_tuples([("lambda_", "Intercept"), ("rho_", "Intercept")])
    params = pd.Series([np.log(10.0), 0.0], index=index)  # scale 10 months, shape 1
    curves = sp.conditional_survival(params, pd.DataFrame(index=range(2)), np.array([0.0, 30.0]), 3)
    expected = np.exp(-np.arange(1, 4) / 10.0)
    np.testing.assert_allclose(curves, np.vstack([expected, expected]))


def test_the_remaining_time_model_takes_entry_times():
    """Left-truncated spells: the fit conditions on the months already elapsed (lifelines' entry_col)."""
    from lifelines import WeibullAFTFitter

    rng = np.random.default_rng(12)
    n = 3000
    x = rng.normal(size=n)
    duration = rng.weibull(1.2, n) * 30 * np.exp(0.3 * x)
    entry = rng.uniform(0, 24, n)
    seen = duration > entry  # spells that ended before the window are never observed
    data = pd.DataFrame({"duration": duration, "event": True, "entry": entry, "x": x}).loc[seen]
    data["event"] = data["duration"] <= data["entry"] + 60  # censored 60 months into the window
    data["duration"] = np.minimum(data["duration"], data["entry"] + 60)
    model = sp.fit_remaining(data, ["x"])
    reference = WeibullAFTFitter().fit(
        data[["duration", "event", "entry", "x"]], "duration", "event", entry_col="entry"
    )
    np.testing.assert_allclose(model.params_.to_numpy(), reference.params_.to_numpy(), rtol=1e-4)
    naive = WeibullAFTFitter().fit(data[["duration", "event", "x"]], "duration", "event")
    assert model.params_.loc[("lambda_", "Intercept")] < naive.params_.loc[("lambda_", "Intercept")]


def _exponential(scale: float) -> pd.Series:
    """Parameters of a Weibull AFT model with shape 1 (an exponential with mean ``scale`` months)."""
    index = pd.MultiIndex.from_tuples([("lambda_", "Intercept"), ("rho_", "Intercept")])
    return pd.Series([np.log(scale), 0.0], index=index)


def test_expected_months_count_the_calendar_months_paid_and_are_the_mean_of_simulated_ones():
    """The month of the last payment is paid: the first month for sure, month m while still receiving."""
    params, frame, elapsed = _exponential(10.0), pd.DataFrame(index=range(4000)), np.full(4000, 7.0)
    expected = sp.expected_months(params, frame, elapsed, 12)
    np.testing.assert_allclose(expected, 1 + np.exp(-np.arange(1, 12) / 10.0).sum())
    simulated = sp.simulated_months(params, frame, elapsed, 12, np.random.default_rng(3))
    assert simulated.min() >= 1 and simulated.max() <= 12
    assert simulated.mean() == pytest.approx(expected[0], abs=4 * simulated.std() / np.sqrt(4000))


def test_without_model_uncertainty_every_draw_is_the_estimate():
    from lifelines import WeibullAFTFitter

    rng = np.random.default_rng(0)
    data = pd.DataFrame({"duration": rng.exponential(12, 300), "event": True, "x": rng.normal(size=300)})
    model = WeibullAFTFitter().fit(data, "duration", "event")
    fixed = sp.parameter_draws(model, 5, model_uncertainty=False)
    assert len(fixed) == 6 and np.allclose(fixed.to_numpy(), fixed.iloc[0].to_numpy())
    drawn = sp.parameter_draws(model, 5).to_numpy()
    assert (drawn[1:].std(axis=0) > 0).all()


def _replication(rng: np.random.Generator, train: int, current: int, months: int) -> tuple:
    """One world with a known Weibull exit model: fit on ``train`` spells, predict ``current`` persons'
    next ``months`` calendar months, and the months they were then actually paid."""
    from lifelines import WeibullAFTFitter

    beta, scale, rho = 0.5, 20.0, 1.2

    def exits(x, elapsed):  # exit times given the months already elapsed, by inversion
        lam = scale * np.exp(beta * x)
        return lam * ((elapsed / lam) ** rho - np.log(rng.uniform(size=len(x)))) ** (1 / rho)

    x = rng.normal(size=train)
    follow = rng.uniform(6, 48, train)
    duration = exits(x, np.zeros(train))
    data = pd.DataFrame({"duration": np.minimum(duration, follow), "event": duration <= follow, "x": x})
    model = WeibullAFTFitter().fit(data, "duration", "event")
    people = pd.DataFrame({"x": rng.normal(size=current), "elapsed": rng.uniform(0, 36, current)})
    people = people.assign(amount_eur=1.0, group="all")
    paid = np.minimum(
        months, np.ceil(exits(people["x"].to_numpy(), people["elapsed"].to_numpy()) - people["elapsed"])
    )
    intervals = [
        sp.future_spending(
            people, sp.parameter_draws(model, 200, seed, uncertain), months, "group", seed=seed
        )
        for seed, uncertain in ((1, True), (2, False))
    ]
    return float(paid.sum()), [tuple(i.loc["total", ["lower_eur", "upper_eur"]]) for i in intervals]


@pytest.mark.slow
def test_the_interval_with_the_model_uncertainty_is_wider_and_covers_the_truth():
    """A small simulation with a known model: few spells to fit it, many recipients to predict.

    The chance of who exits alone (the model's estimate taken as true) gives too narrow an interval;
    with the coefficients drawn from their sampling distribution it covers the months actually paid.
    """
    rng = np.random.default_rng(2024)
    runs = [_replication(rng, train=150, current=600, months=24) for _ in range(40)]
    covered = np.array([[low <= truth <= high for low, high in pair] for truth, pair in runs])
    width = np.array([[high - low for low, high in pair] for _, pair in runs])
    assert (width[:, 0] > width[:, 1]).all()
    assert covered[:, 0].mean() >= 0.85, covered.mean(axis=0)  # nominal 0.95; 40 runs: Monte Carlo SE ~0.035
    assert covered[:, 1].mean() < covered[:, 0].mean() - 0.2, covered.mean(axis=0)


def test_the_coefficients_and_the_exits_draw_from_separate_streams():
    """One seed, two independent children: the exits' uniforms are not the coefficients' stream."""
    coefficients, exits = sp.future.streams(3)
    first, second = coefficients.random(1000), exits.random(1000)
    assert not np.allclose(first, second)
    assert not np.allclose(second, np.random.default_rng(3).random(1000))  # as both were before
    assert abs(np.corrcoef(first, second)[0, 1]) < 0.1
    again = sp.future.streams(3)[1].random(1000)
    assert np.array_equal(second, again)  # same seed, same bytes


def test_the_draws_use_the_head_clustered_covariance_and_the_exits_the_second_stream():
    from types import SimpleNamespace

    index = pd.MultiIndex.from_tuples([("lambda_", "Intercept"), ("rho_", "Intercept")])
    naive = pd.DataFrame(np.diag([1e-6, 1e-6]), index=index, columns=index)
    model = SimpleNamespace(params_=pd.Series([3.0, 0.0], index=index), variance_matrix_=naive)
    tight = sp.future.parameter_draws(model, 2000, seed=1)
    model.cluster_variance_matrix_ = naive * 100  # clustered: ten times the standard error
    wide = sp.future.parameter_draws(model, 2000, seed=1)
    assert wide.iloc[1:].std().to_numpy() == pytest.approx(10 * tight.iloc[1:].std().to_numpy(), rel=1e-9)
    # the exits: uniforms of the second stream, so a person's simulated months follow from them
    current = pd.DataFrame({"amount_eur": [1.0] * 500, "elapsed": [0.0] * 500, "g": ["a"] * 500})
    draws = pd.concat([model.params_.to_frame().T] * 2, ignore_index=True)
    months = 12
    got = sp.future_spending(current, draws, months, "g", seed=5).loc["total", "lower_eur"]
    u = sp.future.streams(5)[1].uniform(size=(500, 1))
    curves = sp.future.conditional_survival(draws.iloc[1], current, current["elapsed"].to_numpy(), months - 1)
    assert got == pytest.approx(float((1 + (curves > u).sum(axis=1)).sum()))


def test_a_recorded_end_after_the_extraction_date_is_still_paid():
    """Head a's file ends (as recorded) after the extraction: it is the open file, with its amount."""
    episodes = pd.DataFrame(
        {
            "person_key": ["a", "b"],
            "event": [False, False],
            "exit_date": pd.to_datetime(["2018-10-31", "2018-10-31"]),
            "duration": [30.0, 12.0],
        }
    )
    spells = pd.DataFrame(
        {
            "person_key": ["a", "a", "b"],
            "start_date": pd.to_datetime(["2014-01-01", "2016-05-01", "2017-11-01"]),
            "end_date": pd.to_datetime(["2016-04-30", "2019-06-30", None]),
            "monthly_amount_eur": [400.0, 900.0, 300.0],
        }
    )
    out = sp.current_recipients(episodes, spells).set_index("person_key")
    assert out["amount_eur"].to_dict() == {"a": 900.0, "b": 300.0}
