"""Scale: the synthetic region beside the published figures."""

from __future__ import annotations

import pytest

from pact_analysis import spending as sp
from tests.spending.helpers import EXTRACTION, benefit_files


def test_scaling_factor_is_published_heads_over_heads_paid_that_month():
    files = benefit_files([("a", "2015-06-01", None, 500.0), ("b", "2015-12-01", "2016-01-31", 500.0)])
    scale = sp.scaling_factor(sp.payments(files, EXTRACTION))
    assert scale["heads"] == 2
    assert scale["factor"] == pytest.approx(sp.PUBLISHED_HEADS[1] / 2)


def test_a_partial_year_gets_no_ratio_to_a_full_year_published_figure():
    files = benefit_files([("a", "2017-01-01", None, 500.0)])  # 2018 paid up to October only
    yearly = sp.yearly_spending(sp.payments(files, EXTRACTION))
    comparison = sp.published_comparison(yearly, 10.0)
    assert comparison.loc[2017, "ratio"] == pytest.approx(10 * 12 * 500.0 / sp.PUBLISHED_SPENDING_EUR[2017])
    assert comparison.loc[2018, "months_covered"] == 10 and comparison["ratio"].isna()[2018]
    assert comparison.loc[2018, "published_eur"] == sp.PUBLISHED_SPENDING_EUR[2018]
