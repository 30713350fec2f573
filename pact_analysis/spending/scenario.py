"""The scenario: intensive case management offered to every alerted recipient.

The alerted recipients are those of the alerts stage (``data/alerts``). The pilot's effect on
leaving the RGC within 12 months (a difference in probability, with its confidence interval) turns
into extra leavers; each extra leaver is assumed to leave ``months_to_exit`` months after the start
and to be spared the months they would otherwise have received (:func:`avoided_per_leaver`, from
the expected future spending), less a share who return (``reentry_share``). Net = savings - cost
per case x cases, per year and discounted over ``horizon_years`` (:func:`scenario_years`,
:func:`break_even_effect`); every uncertain input drawn together (:func:`simulate`) and one at a
time (:func:`tornado`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.special import logsumexp

#: Total cost of the PACT project, EUR, and its pilot participants (seed 004).
PACT_COST_EUR, PACT_PARTICIPANTS = 2.78e6, 184


def avoided_per_leaver(
    curves: np.ndarray,
    amounts: np.ndarray,
    months_to_exit: int,
    years: int,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Benefit paid, per year, that one extra leaver would otherwise have received (EUR, mean person).

    An extra leaver leaves at month ``months_to_exit``; without the intervention they would have been
    paid in a later month ``m`` with probability ``S(m) / S(months_to_exit)``.

    Parameters
    ----------
    curves : ndarray, shape (persons, months)
        Probability of still receiving 1..months months from now (:func:`conditional_survival`).
    amounts : ndarray
        Monthly amount per person (EUR).
    months_to_exit : int
        Month of the induced exit.
    years : int
        Horizon (years); ``curves`` must cover ``12 * years`` months.
    weights : ndarray, optional
        Weights of the persons (e.g. :func:`tilt_weights`: a population like the pilot's).

    Returns
    -------
    ndarray, shape (years,)
        (Weighted) mean over persons of the amount they would have been paid in each year.
    """
    horizon = 12 * int(years)
    s = np.asarray(curves, dtype=float)[:, :horizon]
    at_exit = s[:, months_to_exit - 1 : months_to_exit] if months_to_exit > 0 else np.ones((len(s), 1))
    after = np.where(np.arange(1, horizon + 1)[None, :] > months_to_exit, s / np.maximum(at_exit, 1e-12), 0.0)
    paid = after * np.asarray(amounts, dtype=float)[:, None]
    return np.average(paid.reshape(len(s), int(years), 12).sum(axis=2), axis=0, weights=weights)


def tilt_weights(values: np.ndarray, mean: float, sd: float) -> np.ndarray:
    """Weights closest to uniform (exponential tilting) giving ``values`` the target mean and SD.

    The entropy-balancing dual (Hainmueller 2012) on the first two moments: ``w ~ exp(a z + b z^2)``
    with ``z`` the standardised values. Used to describe recipients *like the pilot's participants*
    (by months on the RGC) from today's recipients.

    Raises
    ------
    ValueError
        When the moments cannot be matched (the target lies outside the values' range).
    """
    x = np.asarray(values, dtype=float)
    centre, scale = x.mean(), x.std() or 1.0
    z = np.column_stack([(x - centre) / scale, ((x - centre) / scale) ** 2])
    target = np.array([(mean - centre) / scale, ((mean - centre) ** 2 + sd**2) / scale**2])

    def dual(lam: np.ndarray) -> tuple[float, np.ndarray]:
        u = z @ lam
        p = np.exp(u - logsumexp(u))
        return float(logsumexp(u) - lam @ target), z.T @ p - target

    fit = optimize.minimize(dual, np.zeros(2), jac=True, method="BFGS", options={"gtol": 1e-10})
    u = z @ fit.x
    w = np.exp(u - logsumexp(u))
    if np.abs(z.T @ w - target).max() > 1e-4:
        raise ValueError(f"cannot give the values mean {mean} and SD {sd}")
    return w * len(x)


def discount_factors(rate: float, years: int) -> np.ndarray:
    """Discount factor of each year (year 1 undiscounted: costs and savings valued at its start)."""
    return (1.0 + rate) ** -np.arange(int(years))


def scenario_years(
    cases: int, effect: float, cost_per_case: float, avoided: np.ndarray, reentry: float, rate: float
) -> pd.DataFrame:
    """Yearly cost, saving and net of offering intensive case management to ``cases`` recipients once.

    Parameters
    ----------
    cases : int
        Recipients offered the intervention (all alerted recipients), all in year 1.
    effect : float
        Extra probability of leaving the benefit within 12 months (the pilot's effect).
    cost_per_case : float
        Cost of the intervention per case (EUR), paid in year 1.
    avoided : ndarray
        :func:`avoided_per_leaver` (EUR per extra leaver and year).
    reentry : float
        Share of extra leavers who come back (their saving is not counted).
    rate : float
        Annual discount rate.

    Returns
    -------
    DataFrame
        Indexed by year (1..): ``cost_eur``, ``saving_eur``, ``net_eur`` (saving - cost; negative is
        a net cost), ``discounted_net_eur``.
    """
    avoided = np.asarray(avoided, dtype=float)
    years = np.arange(1, len(avoided) + 1)
    saving = cases * effect * (1.0 - reentry) * avoided
    cost = np.where(years == 1, cases * cost_per_case, 0.0)
    out = pd.DataFrame({"cost_eur": cost, "saving_eur": saving}, index=pd.Index(years, name="year"))
    out["net_eur"] = out["saving_eur"] - out["cost_eur"]
    out["discounted_net_eur"] = out["net_eur"] * discount_factors(rate, len(years))
    return out


def break_even_effect(cost_per_case: float, avoided: np.ndarray, reentry: float, rate: float) -> float:
    """The effect on exit at which the discounted saving equals the cost (net zero).

    ``cost_per_case / ((1 - reentry) * sum_y avoided_y * discount_y)``: independent of the number of
    cases. Above 1, no effect could pay for the intervention.
    """
    value = (1.0 - reentry) * float(np.sum(np.asarray(avoided) * discount_factors(rate, len(avoided))))
    return float(cost_per_case / value) if value > 0 else float("inf")


def effect_se(effect: Mapping[str, float]) -> float:
    """Standard error implied by a 95% confidence interval (``(high - low) / (2 x 1.96)``)."""
    return float((effect["ci_high"] - effect["ci_low"]) / (2 * 1.959964))


def _net(cases: int, effect: Any, cost: Any, avoided: np.ndarray, reentry: Any, rate: float) -> Any:
    """Discounted net over the horizon, vectorised over draws (``avoided``: draws x years)."""
    value = np.atleast_2d(avoided) @ discount_factors(rate, np.atleast_2d(avoided).shape[1])
    return cases * (effect * (1.0 - reentry) * value - cost)


def simulate(
    cases: int,
    effect: Mapping[str, float],
    avoided_draws: np.ndarray,
    cfg: Mapping[str, Any],
    seed: int = 0,
) -> np.ndarray:
    """Discounted net over the horizon for ``cfg["draws"]`` draws of every uncertain input.

    Effect ~ normal (the pilot's estimate and the standard error of its confidence interval: the
    whole interval is propagated); cost per case ~ triangular over its range with the default as
    mode; re-entry share ~ uniform over its range; the benefit a leaver would otherwise receive ~
    the chronicity model's parameter draws (rows of ``avoided_draws``). The discount rate is a
    policy choice: fixed (it is in the tornado).

    Returns
    -------
    ndarray
        One discounted net (EUR) per draw.
    """
    rng = np.random.default_rng(seed)
    n = int(cfg["draws"])
    eff = rng.normal(effect["estimate"], effect_se(effect), n)
    lo, hi = (float(v) for v in cfg["cost_per_case_range"])
    mode = min(max(float(cfg["cost_per_case_eur"]), lo), hi)
    cost = rng.triangular(lo, mode, hi, n) if hi > lo else np.full(n, mode)
    reentry = rng.uniform(*cfg["reentry_share_range"], n)
    avoided = np.asarray(avoided_draws)[rng.integers(0, len(avoided_draws), n)]
    value = avoided @ discount_factors(float(cfg["discount_rate"]), avoided.shape[1])
    return cases * (eff * (1.0 - reentry) * value - cost)


def tornado(
    cases: int,
    effect: Mapping[str, float],
    avoided: np.ndarray,
    avoided_range: np.ndarray,
    cfg: Mapping[str, Any],
    at_effect: float | None = None,
    avoided_by_exit_month: tuple[np.ndarray, np.ndarray] | None = None,
) -> pd.DataFrame:
    """How far the discounted net moves when one input goes to each end of its range, others at default.

    Drawn where the decision is made: with ``at_effect`` (the break-even effect) every other input
    is varied around a net of zero, so the bars show which assumptions could turn the sign; at an
    effect near zero the inputs that scale the savings would look irrelevant.

    Parameters
    ----------
    cases : int
        Recipients offered the intervention.
    effect : mapping
        ``estimate``, ``ci_low``, ``ci_high`` of the pilot's effect.
    avoided : ndarray
        :func:`avoided_per_leaver` at the model's estimate.
    avoided_range : ndarray, shape (2, years)
        Its lower and upper bounds (model uncertainty).
    cfg : mapping
        :func:`spending_params`.
    at_effect : float, optional
        The effect at which the other inputs are varied (default: the pilot's estimate).
    avoided_by_exit_month : tuple of ndarray, optional
        :func:`avoided_per_leaver` with ``months_to_exit`` at the low and high end of
        ``months_to_exit_range``: adds the row ``months_to_exit``.

    Returns
    -------
    DataFrame
        Indexed by input (largest swing first): ``low_value``, ``high_value``, ``net_low_eur``,
        ``net_high_eur``, ``swing_eur``; ``attrs["base"]`` is the net at the defaults and
        ``attrs["at_effect"]`` the effect they were drawn at.
    """
    base = {
        "effect": effect["estimate"] if at_effect is None else float(at_effect),
        "cost": float(cfg["cost_per_case_eur"]),
        "avoided": np.asarray(avoided, dtype=float),
        "reentry": float(cfg["reentry_share"]),
        "rate": float(cfg["discount_rate"]),
    }
    ranges = {
        "effect": (effect["ci_low"], effect["ci_high"]),
        "cost": tuple(cfg["cost_per_case_range"]),
        "avoided": (np.asarray(avoided_range[0]), np.asarray(avoided_range[1])),
        "reentry": tuple(cfg["reentry_share_range"]),
        "rate": tuple(cfg["discount_rate_range"]),
    }

    def net(**change: Any) -> float:
        v = base | change
        return float(_net(cases, v["effect"], v["cost"], v["avoided"], v["reentry"], v["rate"])[0])

    rows = {}
    for name, (low, high) in ranges.items():
        shown = (float(np.sum(low)), float(np.sum(high))) if name == "avoided" else (low, high)
        rows[name] = {
            "low_value": shown[0],
            "high_value": shown[1],
            "net_low_eur": net(**{name: low}),
            "net_high_eur": net(**{name: high}),
        }
    if avoided_by_exit_month is not None:
        low_month, high_month = cfg["months_to_exit_range"]
        rows["months_to_exit"] = {
            "low_value": float(low_month),
            "high_value": float(high_month),
            "net_low_eur": net(avoided=np.asarray(avoided_by_exit_month[0], dtype=float)),
            "net_high_eur": net(avoided=np.asarray(avoided_by_exit_month[1], dtype=float)),
        }
    out = pd.DataFrame.from_dict(rows, orient="index").rename_axis("input")
    out["swing_eur"] = (out["net_high_eur"] - out["net_low_eur"]).abs()
    out = out.sort_values("swing_eur", ascending=False)
    out.attrs["base"] = net()
    out.attrs["at_effect"] = base["effect"]
    return out


#: Label of each source of the pilot's effect in the table of inputs (``spending.value.*``).
EFFECT_SOURCE_LABELS = {
    "pilot": "source_evaluation",
    "default": "source_default",
}


def inputs_table(
    effect: Mapping[str, Any], cfg: Mapping[str, Any], avoided: np.ndarray, swings: pd.DataFrame
) -> pd.DataFrame:
    """The scenario's inputs: default, low and high value, unit and source of each.

    Parameters
    ----------
    effect : mapping
        ``estimate``, ``ci_low``, ``ci_high`` and ``source`` of the pilot's effect.
    cfg : mapping
        :func:`~pact_analysis.spending.params.spending_params`.
    avoided : ndarray
        :func:`avoided_per_leaver` at the model's estimate.
    swings : DataFrame
        :func:`tornado` (its ``avoided`` row gives the model's bounds).

    Returns
    -------
    DataFrame
        Indexed by ``input`` (``effect``, ``cost``, ``reentry``, ``avoided``, ``rate``): ``default``,
        ``low``, ``high`` (percentages for shares and the effect), ``unit`` and ``source`` (value
        keys of the catalogue).
    """
    out = pd.DataFrame(
        {
            "default": [effect["estimate"] * 100, cfg["cost_per_case_eur"], cfg["reentry_share"] * 100,
                        float(np.sum(avoided)), cfg["discount_rate"] * 100],
            "low": [effect["ci_low"] * 100, cfg["cost_per_case_range"][0], cfg["reentry_share_range"][0] * 100,
                    swings.loc["avoided", "low_value"], cfg["discount_rate_range"][0] * 100],
            "high": [effect["ci_high"] * 100, cfg["cost_per_case_range"][1], cfg["reentry_share_range"][1] * 100,
                     swings.loc["avoided", "high_value"], cfg["discount_rate_range"][1] * 100],
        },
        index=pd.Index(["effect", "cost", "reentry", "avoided", "rate"], name="input"),
    )  # fmt: skip
    out["unit"] = ["unit_pp", "unit_eur_case", "unit_pct", "unit_eur_leaver", "unit_pct"]
    source = EFFECT_SOURCE_LABELS[effect["source"]]
    out["source"] = [source, "source_assumed", "source_assumed", "source_model", "source_policy"]
    low_month, high_month = cfg["months_to_exit_range"]
    out.loc["months_to_exit"] = [float(cfg["months_to_exit"]), float(low_month), float(high_month),
                                 "unit_months", "source_assumed"]  # fmt: skip
    return out


def breakeven_line(
    cases: int, effect: Mapping[str, Any], break_even: float, avoided: np.ndarray, cfg: Mapping[str, Any]
) -> pd.DataFrame:
    """The discounted net over the horizon as a function of the effect on exit (60 points).

    The grid runs from a little below the lower end of the effect's interval (or zero) to a little
    beyond its upper end or the break-even effect, whichever is larger.

    Returns
    -------
    DataFrame
        ``effect`` (difference in probability) and ``net_eur``.
    """
    grid = np.linspace(min(effect["ci_low"], 0.0) - 0.02, max(effect["ci_high"], break_even) + 0.05, 60)
    cost, reentry, rate = cfg["cost_per_case_eur"], cfg["reentry_share"], cfg["discount_rate"]
    net = [scenario_years(cases, e, cost, avoided, reentry, rate)["discounted_net_eur"].sum() for e in grid]
    return pd.DataFrame({"effect": grid, "net_eur": np.asarray(net, dtype=float)})
