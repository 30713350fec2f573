"""Selection of the alerts, additive reasons and the intervention rules."""

from __future__ import annotations

import pandas as pd

from pact_analysis import alerts as al
from pact_analysis import chronicity as ch


def test_threshold_and_top_k_do_what_they_say():
    scores = pd.DataFrame(
        {
            "person_key": list("abcdefg"),
            "ceas_code": ["X", "X", "X", "X", "Y", "Y", "Y"],
            "risk": [0.9, 0.8, 0.8, 0.4, 0.95, 0.3, 0.7],
        }
    )
    assert list(al.select_alerts(scores, 0.75)) == [True, True, True, False, True, False, False]
    assert list(al.select_alerts(scores, 0.75, top_k=2)) == [True, True, False, False, True, False, False]
    assert list(al.select_alerts(scores, None, top_k=1)) == [True, False, False, False, True, False, False]
    assert al.select_alerts(scores, 0.99).sum() == 0


def test_reasons_and_intervention_rules():
    model = ch.LinearModel(
        features=["contracts_before", "age_per_decade", "foreign", "svc_housing"],
        coef=pd.Series(
            [-0.5, 0.3, 2.0, 0.2], index=["contracts_before", "age_per_decade", "foreign", "svc_housing"]
        ),
        mean=pd.Series(
            [1.0, 0.0, 0.1, 0.5], index=["contracts_before", "age_per_decade", "foreign", "svc_housing"]
        ),
        reference=0.0,
        C=1.0,
        recalibration=(0.0, 1.0),
    )
    frame = pd.DataFrame(
        {
            "contracts_before": [0.0, 3.0],
            "age_per_decade": [2.0, -1.0],
            "foreign": [1.0, 1.0],
            "svc_housing": [0, 0.0],
        }
    )
    contrib = model.factor_contributions(frame)
    reasons = al.top_reasons(contrib, frame, model, 2)
    # person 0: age +0.6 then fewer contracts +0.5; nationality (+1.8) is never a reason
    assert list(reasons.loc[0, ["reason_1", "reason_2"]]) == ["age_per_decade", "contracts_before"]
    assert reasons.loc[0, "reason_2_direction"] == "low" and reasons.loc[0, "reason_2_modifiable"]
    assert reasons.loc[1, "reason_1"] == al.AVERAGE_PROFILE and pd.isna(reasons.loc[1, "reason_2"])
    rules = {"work": "EMPLOYMENT_ITINERARY", "svc_housing": "HOUSING_SUPPORT"}
    assert list(al.interventions(contrib, model, rules, "CASE_REVIEW")) == [
        "EMPLOYMENT_ITINERARY",
        "CASE_REVIEW",
    ]
    frame.loc[1, "svc_housing"] = 3.0
    contrib = model.factor_contributions(frame)
    assert al.interventions(contrib, model, rules, "CASE_REVIEW")[1] == "HOUSING_SUPPORT"
