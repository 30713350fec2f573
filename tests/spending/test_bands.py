"""Risk bands of today's recipients: the flagged band is the alerts stage's selection, capped per CEAS."""

from __future__ import annotations

import pandas as pd

from pact_analysis import spending as sp
from pact_analysis.alerts import select_alerts

RISKS = {
    "A": [0.9, 0.85, 0.8, 0.75, 0.4, 0.3],
    "B": [0.95, 0.7, 0.6, 0.2],
    "C": [0.65, 0.55],
}


def _scores() -> pd.DataFrame:
    rows = [(ceas, risk) for ceas, risks in RISKS.items() for risk in risks]
    return pd.DataFrame(
        {
            "person_key": [f"p{i:02d}" for i in range(len(rows))],
            "ceas_code": [c for c, _ in rows],
            "risk": [r for _, r in rows],
            "alert": False,  # as if withheld: the band is whom the model flags
        }
    )


def _current(scores: pd.DataFrame) -> pd.DataFrame:
    keys = [*scores["person_key"], "new", "old"]
    return pd.DataFrame({"person_key": keys, "elapsed": [12.0] * len(scores) + [2.0, 40.0]})


def test_the_flagged_band_holds_at_most_top_k_per_ceas_and_is_the_alerts_selection():
    scores = _scores()
    current = _current(scores)
    band = sp.risk_bands(current, scores, 6, 36, threshold=0.6, top_k=2)
    high = current.loc[band == "high", "person_key"]
    per_ceas = scores.set_index("person_key").loc[high, "ceas_code"].value_counts()
    assert per_ceas.max() <= 2 and per_ceas.to_dict() == {"A": 2, "B": 2, "C": 1}
    selected = scores.loc[select_alerts(scores, 0.6, 2), "person_key"]
    assert set(high) == set(selected)
    above_cap = current["person_key"].isin(["p02", "p03"])  # risks 0.8 and 0.75 in A, beyond its 2
    assert (band[above_cap] == "medium").all()
    assert band.iloc[-2:].tolist() == ["before_scoring", "past_horizon"]


def test_without_top_k_every_risk_at_the_threshold_is_flagged():
    scores = _scores()
    band = sp.risk_bands(_current(scores), scores, 6, 36, threshold=0.6)
    assert (band == "high").sum() == int((scores["risk"] >= 0.6).sum()) == 8


def test_without_a_threshold_the_band_is_the_scores_alert():
    scores = _scores().assign(alert=lambda d: d["person_key"].isin(["p04", "p10"]))
    band = sp.risk_bands(_current(scores), scores, 6, 36, top_k=1)
    assert _current(scores).loc[band == "high", "person_key"].tolist() == ["p04", "p10"]


def test_bands_are_listed_by_time_on_the_benefit_then_left_other_and_total():
    """Tables and figures list the bands in one order, whatever order the stage stored them in."""
    codes = ["total", "left", "high", "past_horizon", "below_threshold", "not_scored", "before_scoring", "x"]
    table = pd.DataFrame({"persons": range(len(codes))}, index=pd.Index(codes, name="band"))
    ordered = sp.in_band_order(table)
    assert list(ordered.index) == [
        "before_scoring", "below_threshold", "high", "not_scored", "past_horizon", "left", "total", "x"
    ]  # fmt: skip
    assert ordered.loc["high", "persons"] == 2  # rows moved whole
