"""Selection of the alerts, additive reasons and the intervention rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

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
        features=["contract_since_start", "age_per_decade", "foreign", "svc_family_support"],
        coef=pd.Series(
            [-0.5, 0.3, 2.0, 0.2],
            index=["contract_since_start", "age_per_decade", "foreign", "svc_family_support"],
        ),
        mean=pd.Series(
            [1.0, 0.0, 0.1, 0.5],
            index=["contract_since_start", "age_per_decade", "foreign", "svc_family_support"],
        ),
        reference=0.0,
        C=1.0,
        recalibration=(0.0, 1.0),
    )
    frame = pd.DataFrame(
        {
            "contract_since_start": [0.0, 3.0],
            "age_per_decade": [2.0, -1.0],
            "foreign": [1.0, 1.0],
            "svc_family_support": [0, 0.0],
        }
    )
    contrib = model.factor_contributions(frame)
    reasons = al.top_reasons(contrib, frame, model, 2)
    # person 0: age +0.6 then fewer contracts +0.5; nationality (+1.8) is never a reason
    assert list(reasons.loc[0, ["reason_1", "reason_2"]]) == ["age_per_decade", "contract_since_start"]
    assert reasons.loc[0, "reason_2_direction"] == "low" and reasons.loc[0, "reason_2_modifiable"]
    # both kinds shown, labelled: age is context, work while on the benefit is a lever
    assert list(reasons.loc[0, ["reason_1_role", "reason_2_role"]]) == ["context", "lever"]
    assert reasons.loc[0, "lever"] == "contract_since_start" and pd.isna(reasons.loc[1, "lever"])
    assert reasons.loc[1, "reason_1"] == al.AVERAGE_PROFILE and pd.isna(reasons.loc[1, "reason_2"])
    rules = {"work": "EMPLOYMENT_ITINERARY", "svc_family_support": "FAMILY_SUPPORT"}
    assert list(al.interventions(contrib, model, rules, "CASE_REVIEW")) == [
        "EMPLOYMENT_ITINERARY",
        "CASE_REVIEW",
    ]
    frame.loc[1, "svc_family_support"] = 3.0
    contrib = model.factor_contributions(frame)
    assert al.interventions(contrib, model, rules, "CASE_REVIEW")[1] == "FAMILY_SUPPORT"
    assert al.top_reasons(contrib, frame, model, 1).loc[1, "lever"] == "svc_family_support"


def test_codebook_marks_levers_once_and_no_factor_is_a_sum_of_others():
    from pact_analysis.alerts.factors import FACTORS

    levers = {f for f, v in FACTORS.items() if v.modifiable}
    assert "contract_since_start" in levers and "svc_inclusion_plan" in levers
    # context: schooling, past contracts, care-dependency provisions (issue 18)
    assert not levers & {
        "low_education",
        "contracts_before",
        "svc_dependency",
        "age_per_decade",
        "disability",
    }
    assert all(FACTORS[f].protected for f in ("foreign", "female"))
    assert "services_before" not in ch.FEATURES  # the total of the svc_* counts would be their sum
    assert {ch.factor_of(p) for p in ch.predictors()} <= set(FACTORS)


def test_intervention_record_keeps_alerted_and_acted_on_persons():
    from pact_analysis.alerts.lists import intervention_record

    scores = pd.DataFrame(
        {
            "person_key": ["a", "b", "c"],
            "scoring_date": pd.Timestamp("2018-10-31"),
            "scored_landmark": [6.0, 9.0, 6.0],
            "risk": [0.9, 0.2, 0.8],
            "alert": [True, False, True],
        }
    )
    feedback = pd.DataFrame(
        {
            "person_key": ["a", "a", "c"],
            "date": pd.to_datetime(["2018-01-01", "2018-03-01", "2018-02-01"]),
            "response": ["agree", "acted", "disagree"],
        }
    )
    record = intervention_record(scores, feedback).set_index("person_key")
    assert record["acted"].tolist() == [True, False, False]
    assert record.loc["a", "last_response"] == "acted" and pd.isna(record.loc["b", "last_response"])
    assert record["alert"].tolist() == [True, False, True] and record.loc["b", "scored_landmark"] == 9.0
    assert not intervention_record(scores, feedback.iloc[:0])["acted"].any()


def test_actionable_share_counts_levers_among_the_reasons_shown():
    from pact_analysis.alerts.lists import actionable_share, lever_share

    rows = pd.DataFrame(
        {
            "reason_1_role": ["context", "lever", "context"],
            "reason_2_role": ["context", "context", None],
            "lever": ["contract_since_start", "svc_inclusion_plan", None],
        }
    )
    assert actionable_share(rows) == pytest.approx(1 / 3)
    assert lever_share(rows) == pytest.approx(2 / 3)
    assert actionable_share(rows.iloc[:0]) is None


def test_threshold_rows_follow_the_chronicity_decision_and_hide_small_head_differences():
    rng = np.random.default_rng(3)
    risk = pd.Series(rng.beta(2, 2, 771))
    still = pd.Series(rng.random(771) < risk)
    threshold = 0.7352
    candidates = sorted({0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, threshold})
    table = pd.DataFrame(
        {"current_alerts": [63, 42, 23, 16, 14, 6, 1, 0]}, index=pd.Index(candidates, name="threshold")
    )
    out = al.publishable_rows(table, (still, risk), 83, threshold, 10)
    # the test-cohort columns: exactly the rows report 03's decision curve publishes
    assert set(out.index[out["published"]]) == set(ch.published_thresholds(still, risk, threshold, 10)) & set(
        candidates
    )
    heads = out.loc[out["current_published"], "current_alerts"].to_numpy()
    assert threshold in set(out.index[out["current_published"]])
    assert not ((heads > 0) & (heads < 10)).any()
    gaps = np.abs(np.subtract.outer(heads, heads))
    assert not ((gaps > 0) & (gaps < 10)).any()  # 23 - 16 and 16 - 14 are not derivable
    assert not out.loc[out["current_published"], "published"].eq(False).any()


def test_population_counts_place_every_open_spell_once():
    """Open spells only; before the first landmark, at the horizon or past it; the rest are in between."""
    spells = pd.DataFrame(
        {
            "event": [False, False, False, False, False, True],
            "duration": [1.0, 2.99, 3.0, 23.9, 24.0, 10.0],
        }
    )
    params = {"chronicity": {"landmarks": [3, 6, 9], "horizon_month": 24}}
    counts = al.population_counts(spells, params)
    assert counts == {"on_benefit": 5, "before_first_landmark": 2, "past_horizon": 1}
