"""Alerts for case managers: lists per CEAS with reasons, no identifiers, additive reasons, feedback."""

from __future__ import annotations

import copy
import json

import numpy as np
import pandas as pd
import pytest

from pact_analysis import alerts as al
from pact_analysis import chronicity as ch
from pact_analysis import disclosure
from pact_analysis.config import load_params
from pact_analysis.errors import StageError

pytestmark = pytest.mark.xdist_group("tiny_region")


@pytest.fixture(scope="module")
def alerted(tiny_project):
    """The tiny project after the alerts stage (few bootstrap refits), with invented feedback."""
    params = copy.deepcopy(load_params(tiny_project.params))
    params.setdefault("alerts", {})["bootstrap"] = 5
    folder = al.feedback_folder(tiny_project, params)
    folder.mkdir(parents=True, exist_ok=True)
    spells = ch.build_spells(tiny_project.processed, params)
    al.synthetic_feedback(spells, "2017-10-31", seed=3, size=40).to_csv(folder / "responses.csv", index=False)
    al.run(tiny_project, params)
    return tiny_project, params


def _lists(project) -> dict[str, pd.DataFrame]:
    return {
        p.stem: pd.read_csv(p, dtype={"ceas_code": str})
        for p in (project.root / "data/alerts/lists").glob("*.csv")
    }


def test_one_list_per_ceas_with_a_reason_for_every_person(alerted):
    project, params = alerted
    lists = _lists(project)
    ceas = pd.read_parquet(project.processed / "ceas.parquet")["ceas_code"]
    assert set(lists) == set(ceas)
    rows = pd.concat(lists.values(), ignore_index=True)
    metrics = json.loads((project.metrics / "alerts.json").read_text())
    assert len(rows) == metrics["alerts"] > 0
    assert rows["reason_1"].notna().all() and (rows["reasons_en"].str.len() > 0).all()
    assert rows["intervention"].notna().all() and rows["intervention_es"].notna().all()
    for code, frame in lists.items():
        assert (frame["ceas_code"] == code).all()
        assert list(frame["rank"]) == list(range(1, len(frame) + 1))
        assert frame["risk"].is_monotonic_decreasing
    assert (rows["risk"] >= al.alerts_params(params)["threshold"]).all()
    assert ((rows["risk_lower"] <= rows["risk"]) & (rows["risk"] <= rows["risk_upper"])).mean() > 0.9
    assert rows["last_feedback"].isin([*al.RESPONSES, np.nan]).all()


def test_lists_hold_no_identifier_and_no_protected_reason(alerted):
    project, _ = alerted
    lists = _lists(project)
    columns = set().union(*(frame.columns for frame in lists.values()))
    assert not [c for c in columns if disclosure.identifier_column(c)]
    assert not {"sex", "nationality", "birth_year", "disability"} & columns
    who = disclosure.collect_identities(project.raw)
    assert disclosure.scan_for_pii([project.root / "data/alerts/lists"], who)["findings"] == []
    reasons = np.concatenate(
        [frame[["reason_1", "reason_2", "reason_3"]].to_numpy().ravel() for frame in lists.values()]
    )
    assert not set(reasons) & {"foreign", "female"}


def test_contributions_add_up_to_the_logit_minus_the_reference(alerted):
    project, params = alerted
    folder = project.root / "data/alerts"
    scores = pd.read_parquet(folder / "scores.parquet")
    model = ch.LinearModel.from_table(pd.read_parquet(folder / "coefficients.parquet"))
    contrib = model.factor_contributions(scores)
    logit = np.log(scores["risk"] / (1 - scores["risk"]))
    assert np.allclose(contrib.sum(axis=1) + model.reference, logit, atol=1e-9)
    assert model.features == ch.predictors(params), "the alerts score with the chronicity model"
    assert not {"foreign", "female", "foreign" + ch.BY_MONTH} & set(model.features)
    assert {"months_on_spell", "contracts_before", "contracts_before" + ch.BY_MONTH} <= set(model.features)
    first = scores.loc[scores["reason_1"] != al.AVERAGE_PROFILE]
    top = [contrib.loc[i, f] for i, f in first["reason_1"].items()]
    assert np.allclose(top, first["reason_1_logit"]) and (np.asarray(top) > 0).all()
    second = first["reason_2_logit"].fillna(0.0)
    assert (first["reason_1_logit"] >= second).all()
    assert (scores["risk_lower"] < scores["risk_upper"]).all(), "intervals from refits on resampled persons"
    assert scores.loc[scores["alert"], "risk"].min() >= al.alerts_params(params)["threshold"]
    assert scores.loc[~scores["alert"], "risk"].max() < al.alerts_params(params)["threshold"]


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


def test_feedback_is_read_and_override_rates_computed(tmp_path):
    (tmp_path / "a.csv").write_text(
        "person_key,date,response\nk1,2017-01-10,agree\nk2,2017-01-10,disagree\nk3,2017-02-01,acted\n"
    )
    (tmp_path / "b.csv").write_text("person_key,date,response\nk4,2017-03-01, Disagree\n")
    feedback = al.read_feedback(tmp_path)
    rates = al.feedback_rates(feedback)
    assert rates["reviews"] == 4 and rates["disagree"] == 2
    assert rates["override_rate"] == pytest.approx(0.5) and rates["acted_rate"] == pytest.approx(0.25)
    spells = pd.DataFrame(
        {
            "person_key": ["k1", "k2", "k2", "k3"],
            "ceas_code": ["X", "X", "X", "Y"],
            "start_date": pd.to_datetime(["2016-01-01", "2015-01-01", "2016-06-01", "2016-01-01"]),
            "exit_date": pd.to_datetime(["2018-10-31", "2015-06-01", "2017-07-01", "2017-02-15"]),
            "event": [False, True, True, True],
            "cause": ["censored", "JOB_INCOME", "JOB_INCOME", "NON_COMPLIANCE"],
        }
    )
    out = al.feedback_outcomes(feedback, spells).set_index("person_key")
    assert out.loc["k1", "later_status"] == "still_receiving" and np.isnan(out.loc["k1", "months_to_exit"])
    assert (
        out.loc["k2", "later_status"] == "JOB_INCOME"
    )  # the spell open on the review day, not the earlier one
    assert out.loc["k2", "months_to_exit"] == pytest.approx(172 / ch.DAYS_PER_MONTH)
    assert out.loc["k3", "later_status"] == "NON_COMPLIANCE"
    assert out.loc["k4", "later_status"] == "no_spell_at_review"
    outcomes = al.feedback_tables(out)["outcomes"]
    assert outcomes.loc["disagree", "JOB_INCOME"] == 1 and outcomes.loc["disagree", "no_spell_at_review"] == 1


def test_bad_feedback_names_the_file_and_rows(tmp_path):
    (tmp_path / "bad.csv").write_text("person_key,date,response\nk1,2017-01-10,maybe\nk2,10/01/2017,agree\n")
    with pytest.raises(StageError, match=r"bad.csv: rows 2, 3"):
        al.read_feedback(tmp_path)
    (tmp_path / "bad.csv").write_text("person_key,response\nk1,agree\n")
    with pytest.raises(StageError, match="missing columns"):
        al.read_feedback(tmp_path)
    (tmp_path / "bad.csv").unlink()
    empty = al.read_feedback(tmp_path)
    spells = pd.DataFrame({"person_key": ["k1"], "ceas_code": ["X"], "start_date": pd.to_datetime(["2016-01-01"]),
                           "exit_date": pd.to_datetime(["2017-01-01"]), "event": [True], "cause": ["JOB_INCOME"]})  # fmt: skip
    outcomes = al.feedback_outcomes(empty, spells)
    assert outcomes.empty and {"later_status", "months_to_exit"} <= set(outcomes.columns)
    assert al.feedback_rates(outcomes)["override_rate"] is None


def test_shares_of_small_cells_are_not_published():
    groups = ["a"] * 30 + ["c"] * 40 + ["b"] * 4
    alert = [True] * 12 + [False] * 18 + [True] * 20 + [False] * 20 + [True] * 3 + [False]
    table = al.share_table(pd.DataFrame({"g": groups, "alert": alert}), "g", min_cell=10)
    shares = ["alert_share", "share_of_alerts", "share_of_recipients"]
    assert table.loc["b", shares].isna().all()
    assert table[shares].notna().any(axis=None), "shares of publishable cells are shown"
    shown = table.dropna(subset=["alert_share"])
    assert np.allclose(shown["alert_share"], shown["alerts"] / shown["scored"])
    assert (shown[["scored", "alerts"]] >= 10).all(axis=None)


def test_alerts_use_the_model_and_threshold_the_report_validates(alerted):
    project, params = alerted
    cfg = ch.chronicity_params(params)
    assert al.alerts_params(params)["threshold"] == cfg["alert_threshold"]
    with pytest.raises(StageError, match="is set in the chronicity section"):
        al.alerts_params({**params, "alerts": {"threshold": cfg["alert_threshold"] / 2}})
    stack = ch.landmark_stack(ch.build_spells(project.processed, params), project.processed, params)
    refit = ch.fit_deployed_model(stack, params, int(params.get("seed", 0)))
    coefficients = pd.read_parquet(project.root / "data/alerts/coefficients.parquet")
    assert np.allclose(coefficients.loc[refit.features, "coef"], refit.coef)
    # missing inputs are filled with the development cohorts' medians only
    develop = stack.loc[stack["split"] == "develop"]
    assert stack.attrs["medians"]["household_size"] == pytest.approx(develop["household_size"].median())
