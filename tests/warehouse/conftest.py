"""Fixtures of the warehouse tests: the hand-built region, built once per test module."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.warehouse.hand import build_hand


@pytest.fixture(scope="module")
def hand():
    con = build_hand()
    yield con
    con.close()


@pytest.fixture(scope="module")
def indicators(hand) -> pd.DataFrame:
    return hand.execute("SELECT * FROM indicators").df().set_index("person_key")


@pytest.fixture(scope="module")
def risks(hand) -> dict[str, set[str]]:
    rows = hand.execute("SELECT person_key, situation_code FROM person_risk").fetchall()
    out: dict[str, set[str]] = {}
    for key, code in rows:
        out.setdefault(key, set()).add(code)
    return out
