"""Scale: the synthetic region's spending beside the published figures for Castilla y León.

The synthetic region is smaller than Castilla y León; its yearly spending is multiplied by the ratio
of the published number of household heads paid at 31-12-2015 (11,830, Consejo de Cuentas;
``calibration.md``) to the synthetic number paid in December 2015 (:func:`scaling_factor`), and
shown beside the published yearly totals (:func:`published_comparison`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

#: Published yearly RGC spending in Castilla y León, EUR (Consejo de Cuentas; calibration.md).
PUBLISHED_SPENDING_EUR = {2011: 28e6, 2015: 73e6, 2017: 77e6, 2018: 72e6}
#: Published household heads on the payroll and the day they were counted (Consejo de Cuentas).
PUBLISHED_HEADS = ("2015-12-31", 11830)
#: Published average monthly amount per recipient household, EUR (regional press, 2016).
PUBLISHED_MONTHLY_AMOUNT_EUR = 536.0
#: The year of :data:`PUBLISHED_MONTHLY_AMOUNT_EUR`: the report compares it with the mean amount paid
#: in that year (spending / months paid, the yearly table), not over every year.
PUBLISHED_MONTHLY_AMOUNT_YEAR = 2016


def scaling_factor(paid: pd.DataFrame) -> dict[str, Any]:
    """Ratio of the published heads paid at :data:`PUBLISHED_HEADS` to the heads paid that month here.

    Returns
    -------
    dict
        ``factor``, ``heads`` (synthetic heads paid that month), ``published_heads``, ``date``;
        ``factor`` is NaN when nobody was paid that month.
    """
    day, published = PUBLISHED_HEADS
    month = pd.Timestamp(day).to_period("M").to_timestamp()
    heads = int(paid.loc[paid["month"] == month, "person_key"].nunique())
    return {
        "factor": published / heads if heads else float("nan"),
        "heads": heads,
        "published_heads": published,
        "date": day,
    }


def published_comparison(yearly: pd.DataFrame, factor: float) -> pd.DataFrame:
    """Yearly spending of the synthetic region, scaled by ``factor``, beside the published totals.

    Returns
    -------
    DataFrame
        Indexed by year: ``spending_eur``, ``scaled_eur``, ``published_eur`` (NaN where none was
        published), ``ratio`` (scaled / published; NaN for a year with fewer than 12 months in the
        data, whose payments cover part of the year and the published figure all of it),
        ``months_covered``.
    """
    out = yearly[["spending_eur"]].copy()
    out["scaled_eur"] = out["spending_eur"] * factor
    out["published_eur"] = pd.Series(PUBLISHED_SPENDING_EUR, dtype=float).reindex(out.index)
    out["ratio"] = (out["scaled_eur"] / out["published_eur"]).where(yearly["months_covered"] == 12)
    out["months_covered"] = yearly["months_covered"]
    return out
