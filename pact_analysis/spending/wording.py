"""How the report may word the effect on exit that the scenario uses, decided from its source and interval.

The report never writes "the pilot raised" for an assumed value or for an interval that includes no
effect: :func:`effect_wording` returns the suffix of the catalogue key (``spending.effect.<suffix>``)
of the sentence that describes the effect, and the notebook only fills it in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

#: Catalogue key suffixes of :func:`effect_wording`.
WORDINGS = ("assumed", "raised", "lowered", "includes_zero")


def effect_wording(effect: Mapping[str, Any]) -> str:
    """The catalogue key suffix of the sentence that may describe ``effect``.

    Parameters
    ----------
    effect : mapping
        ``estimate``, ``ci_low``, ``ci_high`` (95% interval of a difference in probability) and
        ``source`` (:func:`pact_analysis.spending.inputs.pilot_effect`).

    Returns
    -------
    str
        ``"assumed"`` for the documented default (an assumption, not a result); for the pilot's
        estimate ``"raised"`` when the whole interval lies above zero, ``"lowered"`` when it lies below,
        and ``"includes_zero"`` otherwise (an interval reaching zero includes no effect).

    Raises
    ------
    ValueError
        For a source other than ``pilot`` or ``default``.
    """
    source = effect["source"]
    if source == "default":
        return "assumed"
    if source != "pilot":
        raise ValueError(f"unknown effect source {source!r} (pilot or default)")
    if float(effect["ci_low"]) > 0:
        return "raised"
    if float(effect["ci_high"]) < 0:
        return "lowered"
    return "includes_zero"


def effect_shown(effect: Mapping[str, Any]) -> tuple[float, float, float]:
    """The estimate and 95% interval as the sentence of :func:`effect_wording` shows them.

    "Lowered by" takes a size, so for ``"lowered"`` the estimate and the interval are both shown as
    sizes: ``-0.03 (-0.05 to -0.01)`` becomes ``0.03 (0.01 to 0.05)``, the bounds swapped so that the
    interval still runs from low to high. Every other wording shows the signed values.

    Parameters
    ----------
    effect : mapping
        ``estimate``, ``ci_low``, ``ci_high`` and ``source`` (as for :func:`effect_wording`).

    Returns
    -------
    tuple of float
        ``(estimate, low, high)`` to show, with ``low <= estimate <= high``.
    """
    estimate, low, high = (float(effect[k]) for k in ("estimate", "ci_low", "ci_high"))
    if effect_wording(effect) == "lowered":
        return -estimate, -high, -low
    return estimate, low, high


def effect_source_key(effect: Mapping[str, Any]) -> str:
    """The catalogue key suffix (``spending.effect_source.<suffix>``) of the note on the effect's source.

    Parameters
    ----------
    effect : mapping
        ``source`` and ``not_delivered`` (:func:`pact_analysis.spending.inputs.pilot_effect`).

    Returns
    -------
    str
        ``"pilot"``; ``"default"`` when the default is used and the missing extracts are listed (the
        sentence names them); ``"default_unlisted"`` when none is listed (no empty list is written).
    """
    source = str(effect["source"])
    listed: Sequence[Any] = effect.get("not_delivered") or []
    if source == "default" and not listed:
        return "default_unlisted"
    return source


#: Catalogue key suffixes of :func:`forecast_check` (``spending.findings.forecast.<suffix>``).
FORECAST_CHECKS = ("inside", "outside", "untested")


def forecast_check(
    backtest: Mapping[str, Any] | None, whole: Mapping[str, Any] | None, horizon_years: int
) -> tuple[str, Mapping[str, Any] | None]:
    """How the summary may qualify the forecast's interval: by the backtest that spans its horizon.

    The latest backtest (``backtest``, ``months`` long) spans the forecast's whole horizon when its
    months reach into the last year of it; otherwise the backtest over the whole horizon (``whole``,
    fitted earlier with less history) is the one that does, when the records allowed it. The summary
    says whether that backtest's observed spending fell inside its 95% interval, never more than the
    backtest shows.

    Parameters
    ----------
    backtest : mapping or None
        The latest backtest (``months``, ``relative_error``, ``inside``).
    whole : mapping or None
        The backtest over the whole horizon (same keys), or None.
    horizon_years : int
        The forecast's horizon in years.

    Returns
    -------
    (str, mapping or None)
        ``"inside"`` or ``"outside"`` with the backtest that spans the horizon, or ``("untested",
        None)`` when no backtest spans it.
    """
    done = [b for b in (backtest, whole) if b and b.get("relative_error") is not None]
    # the first year with no backtested month in it, as the report's backtest section counts it
    spans = [b for b in done if -(-int(b["months"]) // 12) + 1 > int(horizon_years)]
    if not spans:
        return "untested", None
    chosen = spans[0]
    return ("inside" if chosen["inside"] else "outside"), chosen


#: How far the scaled spending of a full year may lie from the published figure (as a ratio) before
#: the report names the year: 10%, the accuracy the scaling factor claims for the latest full year.
SCALED_TOLERANCE = 0.10


def scaled_years_apart(ratio: Mapping[Any, float], tolerance: float = SCALED_TOLERANCE) -> dict[Any, float]:
    """The full years whose scaled spending lies more than ``tolerance`` from the published figure.

    Parameters
    ----------
    ratio : mapping
        Year to scaled / published spending (NaN for a year without a published figure or with fewer
        than 12 months in the data, which is not compared).
    tolerance : float
        The largest relative difference left unnamed.

    Returns
    -------
    dict
        Year to ratio, in year order, for the years further apart than ``tolerance``.
    """
    # a ratio of 1.10 or 0.90 is at the tolerance either way (its float is not exactly 0.10 off)
    return {year: float(r) for year, r in sorted(ratio.items()) if r == r and abs(r - 1) > tolerance + 1e-9}
