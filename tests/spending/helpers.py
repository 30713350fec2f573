"""Helpers shared by the spending tests: hand-made benefit files."""

from __future__ import annotations

import pandas as pd

EXTRACTION = "2018-10-31"


def benefit_files(rows: list[tuple[str, str, str | None, float]]) -> pd.DataFrame:
    """Benefit files ``(person_key, start, end, monthly amount)`` in CEAS ``C1``."""
    return pd.DataFrame(
        {
            "file_id": [f"F{i}" for i in range(len(rows))],
            "person_key": [r[0] for r in rows],
            "ceas_code": ["C1"] * len(rows),
            "start_date": pd.to_datetime([r[1] for r in rows]),
            "end_date": pd.to_datetime([r[2] for r in rows]),
            "monthly_amount_eur": [r[3] for r in rows],
        }
    )
