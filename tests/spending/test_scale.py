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
