"""The ``alerts`` stage on the tiny region: lists per CEAS with reasons, no identifiers, headline
metrics, and the model and threshold the chronicity report validates."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pact_analysis import alerts as al
from pact_analysis import chronicity as ch
from pact_analysis import disclosure
from pact_analysis.errors import StageError
from pact_analysis.params import load_params
from pact_analysis.stages import alerts as stage
from tests.tiny import scoring_params

pytestmark = pytest.mark.xdist_group("tiny_region")


@pytest.fixture(scope="module")
def alerted(tiny_project):
    """The tiny project after the alerts stage (few bootstrap refits), with invented feedback."""
    params = scoring_params(load_params(tiny_project.params))  # exercises the path that issues alerts
    params.setdefault("alerts", {})["bootstrap"] = 20
    folder = tiny_project.feedback
    folder.mkdir(parents=True, exist_ok=True)
    spells = ch.build_spells(tiny_project.processed, params)
    al.synthetic_feedback(spells, "2017-10-31", seed=3, size=40).to_csv(folder / "responses.csv", index=False)
    stage.run(tiny_project, params)
    return tiny_project, params


def _lists(project) -> dict[str, pd.DataFrame]:
    return {
        p.stem: pd.read_csv(p, dtype={"ceas_code": str}) for p in (project.alerts / "lists").glob("*.csv")
    }


def test_one_list_per_ceas_with_a_reason_for_every_person(alerted):
    project, params = alerted
    lists = _lists(project)
    ceas = pd.read_parquet(project.processed / "ceas.parquet")["ceas_code"]
    assert set(lists) == set(ceas)
    rows = pd.concat(lists.values(), ignore_index=True)
    metrics = json.loads(project.metric("alerts").read_text())
    assert len(rows) == metrics["alerts"] > 0
    assert rows["reason_1"].notna().all() and (rows["reasons_en"].str.len() > 0).all()
    assert rows["intervention"].notna().all() and rows["intervention_es"].notna().all()
    for code, frame in lists.items():
        assert (frame["ceas_code"] == code).all()
        assert list(frame["rank"]) == list(range(1, len(frame) + 1))
        assert frame["risk"].is_monotonic_decreasing
    assert (rows["risk"] >= metrics["threshold"]).all()
    # every score says which validated landmark's model produced it (none validated: landmark_month)
    summary = json.loads((project.alerts / "summary.json").read_text())
    assert set(rows["scored_landmark"]) <= set(summary["validated_landmarks"] or [3.0])
    assert (rows["months_on_rgc"] >= rows["scored_landmark"]).all()
    assert ((rows["risk_lower"] <= rows["risk"]) & (rows["risk"] <= rows["risk_upper"])).mean() > 0.9
    assert rows["last_feedback"].isin([*al.RESPONSES, np.nan]).all()


def test_lists_hold_no_identifier_and_no_protected_reason(alerted):
    project, _ = alerted
    lists = _lists(project)
    columns = set().union(*(frame.columns for frame in lists.values()))
    assert not [c for c in columns if disclosure.identifier_column(c)]
    assert not {"sex", "nationality", "birth_year", "disability"} & columns
    who = disclosure.collect_identities(project.raw)
    assert disclosure.scan_for_pii([project.alerts / "lists"], who)["findings"] == []
    reasons = np.concatenate(
        [frame[["reason_1", "reason_2", "reason_3"]].to_numpy().ravel() for frame in lists.values()]
    )
    assert not set(reasons) & {"foreign", "female"}


def test_contributions_add_up_to_the_logit_minus_the_reference(alerted):
    project, params = alerted
    folder = project.alerts
    scores = pd.read_parquet(folder / "scores.parquet")
    model = ch.LinearModel.from_table(pd.read_parquet(folder / "coefficients.parquet"))
    contrib = model.factor_contributions(scores)
    logit = np.log(scores["risk"] / (1 - scores["risk"]))
    assert np.allclose(contrib.sum(axis=1) + model.reference, logit, atol=1e-9)
    assert set(model.features) <= set(ch.predictors(params)), "the alerts score with the chronicity model"
    assert len(model.features) >= len(ch.predictors(params)) - 2  # svc_other may not vary in the tiny region
    assert not {"foreign", "female", "foreign" + ch.BY_MONTH} & set(model.features)
    assert {"months_on_spell", "contracts_before", "contracts_before" + ch.BY_MONTH} <= set(model.features)
    first = scores.loc[scores["reason_1"] != al.AVERAGE_PROFILE]
    top = [contrib.loc[i, f] for i, f in first["reason_1"].items()]
    assert np.allclose(top, first["reason_1_logit"]) and (np.asarray(top) > 0).all()
    second = first["reason_2_logit"].fillna(0.0)
    assert (first["reason_1_logit"] >= second).all()
    assert (scores["risk_lower"] < scores["risk_upper"]).all(), "intervals from refits on resampled persons"
    threshold = json.loads(project.metric("alerts").read_text())["threshold"]
    assert scores.loc[scores["alert"], "risk"].min() >= threshold
    assert scores.loc[~scores["alert"], "risk"].max() < threshold


def test_alerts_use_the_model_and_threshold_the_report_validates(alerted):
    project, params = alerted
    with pytest.raises(
        StageError, match="unknown key alerts.threshold .the alert threshold is set by chronicity.alert_share"
    ):
        al.alerts_params({**params, "alerts": {"threshold": 0.5}})
    stack = ch.landmark_stack(ch.build_spells(project.processed, params), project.processed, params)
    refit = ch.fit_deployed_model(stack, params, int(params.get("seed", 0)))
    coefficients = pd.read_parquet(project.alerts / "coefficients.parquet")
    assert np.allclose(coefficients.loc[refit.features, "coef"], refit.coef)
    # the threshold is the one the rule chose on the recalibration cohort, not a number in params.yaml
    assert json.loads(project.metric("alerts").read_text())["threshold"] == pytest.approx(refit.threshold)
    record = pd.read_parquet(project.alerts / "intervention_record.parquet")
    assert record["alert"].sum() == json.loads(project.metric("alerts").read_text())["alerts"]
    # missing inputs are filled with the development cohorts' medians only
    develop = stack.loc[stack["split"] == "develop"]
    assert stack.attrs["medians"]["household_size"] == pytest.approx(develop["household_size"].median())


def test_metrics_hold_the_threshold_dependent_headlines_and_summary_the_rest(alerted):
    project, params = alerted
    metrics = json.loads(project.metric("alerts").read_text())
    summary = json.loads((project.alerts / "summary.json").read_text())
    assert list(metrics) == sorted(al.HEADLINES) and len(metrics) <= 6  # dvc metrics: headlines only
    assert all(summary[k] == v for k, v in metrics.items())
    assert metrics["threshold"] == summary["threshold"] and not summary["alerts_withheld"]
    thresholds = pd.read_parquet(project.alerts / "thresholds.parquet").loc[metrics["threshold"]]
    assert metrics["ppv"] == pytest.approx(thresholds["ppv"])
    assert metrics["sensitivity"] == pytest.approx(thresholds["sensitivity"])
    assert summary["feedback"]["override_rate"] > 0  # invented reviews
    assert summary["feedback"]["reviews"] == 40
    scores = pd.read_parquet(project.alerts / "scores.parquet")
    assert summary["recipients_scored"] == len(scores) and summary["alerts"] == int(scores["alert"].sum())
    assert sum(summary["alerts_by_province"].values()) == summary["alerts"]
    assert summary["ceas_lists"] == len(list((project.alerts / "lists").glob("*.csv")))
