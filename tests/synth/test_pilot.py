"""PACT pilot: group sizes, selection, dropout, MDTSE waves, surveys and heterogeneous true effects."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from pact_analysis import codebook
from pact_analysis.synth import pilot
from tests.synth.outcomes_fixtures import frames

N = 20000  # the pilot needs 23 eligible heads per pilot CEAS: the default region size


@pytest.fixture(scope="module")
def region():
    return frames(N)


def test_group_sizes(region):
    a, cfg = region["assignment"], region["params"]["synthetic"]["pilot"]
    assert list(a.columns) == pilot.ASSIGNMENT_COLUMNS
    assert a["person_id"].is_unique
    sizes = a.groupby(["group", "territory"]).size()
    assert (sizes["PILOT"] == cfg["per_territory"]).all()
    assert (sizes["COMPARISON"] == cfg["comparison_per_territory"]).all()
    per_ceas = a.loc[a["group"] == "PILOT"].groupby("ceas_code").size()
    assert len(per_ceas) == 8 and (per_ceas == cfg["per_territory"] // 2).all()


def test_groups_come_from_the_right_ceas(region):
    a, ceas = region["assignment"], region["ceas"].set_index("ceas_code")
    info = ceas.loc[a["ceas_code"]]
    is_pilot = (a["group"] == "PILOT").to_numpy()
    assert (info["pilot_territory"].to_numpy()[is_pilot] == a["territory"].to_numpy()[is_pilot]).all()
    assert info["pilot_territory"].isna().to_numpy()[~is_pilot].all()
    province = {t["code"]: t["province"] for t in codebook.load()["pilot_territories"]}
    assert (info["province_code"].to_numpy() == a["territory"].map(province).to_numpy()).all()


def test_participants_were_on_the_benefit_at_start(region):
    start = pd.Timestamp(region["params"]["synthetic"]["pilot"]["start_date"])
    eligible = pilot.eligible_heads(region["spells"], start)
    assert set(region["assignment"]["person_id"]) <= set(eligible["person_id"])


def test_selection_on_chronicity(region):
    a = region["assignment"]
    chron = pilot.chronicity(region["spells"], region["params"]["synthetic"]["pilot"]["start_date"])
    by_group = chron.reindex(a["person_id"]).groupby(a["group"].to_numpy()).mean()
    assert by_group["PILOT"] > by_group["COMPARISON"] + 0.05


def test_dropout_rate(region):
    a, rate = region["assignment"], region["params"]["synthetic"]["pilot"]["dropout"]
    dropped = (a["status"] == "DROPPED").mean()
    assert set(a["status"]) <= set(codebook.codes("pilot_status"))
    assert abs(dropped - rate) <= 4 * np.sqrt(rate * (1 - rate) / len(a))
    assert (a["end_date"] > a["start_date"]).all()


def test_mdtse_waves_and_scales(region):
    m, a = region["mdtse"], region["assignment"].set_index("person_id")
    book = codebook.load()["mdtse"]
    dims = [f"dim_{d}" for d in codebook.mdtse_dimensions()]
    factors = list(codebook.mdtse_factors())
    assert set(dims + factors) <= set(m.columns) and m["assessment_id"].is_unique
    scores, marks = m[dims].to_numpy(), m[factors].to_numpy()
    assert ((scores >= book["score_min"]) & (scores <= book["score_max"])).all()
    assert ((marks >= book["factor_min"]) & (marks <= book["factor_max"])).all()
    assert len(np.unique(marks)) == 7
    waves = m.groupby("person_id")["wave"].apply(frozenset)
    completed = a.loc[waves.index, "status"] == "COMPLETED"
    assert (waves[completed] == {"BASELINE", "FOLLOWUP"}).all()
    assert (waves[~completed] == {"BASELINE"}).all()
    follow = m.loc[m["wave"] == "FOLLOWUP"]
    assert (follow["assessment_date"].to_numpy() == a.loc[follow["person_id"], "end_date"].to_numpy()).all()
    assert (m["assessment_date"] <= pd.Timestamp(region["params"]["data"]["extraction_date"])).all()


def test_mdtse_columns_match_codebook(region):
    expected = [
        "assessment_id",
        "person_id",
        *[c for c in codebook.columns("mdtse_assessments") if c not in ("assessment_id", "record_id")],
    ]
    assert list(region["mdtse"].columns) == expected


def test_surveys(region):
    sv, cfg = region["surveys"], region["params"]["synthetic"]["pilot"]
    pro = sv.loc[sv["respondent_type"] == "PROFESSIONAL"]
    assert len(pro) == 4 * cfg["professionals_per_territory"] and pro["person_id"].isna().all()
    assert (pro.groupby("territory").size() == cfg["professionals_per_territory"]).all()
    users = sv.loc[sv["respondent_type"] == "USER"]
    done = region["assignment"].query("group == 'PILOT' and status == 'COMPLETED'")["person_id"]
    assert set(users["person_id"]) == set(done)
    likert = sv[["useful", "relevant", "bond", "recommend"]].to_numpy()
    assert ((likert >= 1) & (likert <= 5)).all()


def test_effects_frame(region):
    e, a = region["effects"], region["assignment"]
    assert list(e.columns) == ["person_id", "dimension", "true_effect"]
    assert set(e["person_id"]) == set(a.loc[a["group"] == "PILOT", "person_id"])
    assert (e.groupby("person_id").size() == len(codebook.mdtse_dimensions())).all()
    mean = region["params"]["synthetic"]["pilot"]["effect_mean"]
    assert e["true_effect"].mean() > mean


def _mean_change(out: dict[str, pd.DataFrame]) -> pd.Series:
    dims = [f"dim_{d}" for d in pilot.LIVING_DIMENSIONS]
    scores = out["mdtse"].set_index(["person_id", "wave"])[dims]
    return (scores.xs("FOLLOWUP", level="wave") - scores.xs("BASELINE", level="wave")).mean(axis=1).dropna()


def test_effect_larger_for_the_more_chronic(region):
    """Regressing the change on group x chronicity recovers a positive interaction (effect_chronic_extra)."""
    params = region["params"]
    params["synthetic"]["pilot"].update(
        effect_chronic_extra=1.5, per_territory=46, comparison_per_territory=46
    )
    out = pilot.simulate_pilot(
        region["persons"], region["spells"], region["ceas"], params, np.random.default_rng(9)
    )
    change = _mean_change(out)
    a = out["assignment"].set_index("person_id").loc[change.index]
    chron = pilot.chronicity(region["spells"], params["synthetic"]["pilot"]["start_date"]).loc[change.index]
    treated = (a["group"] == "PILOT").to_numpy(float)
    x = np.column_stack([np.ones(len(change)), treated, chron, treated * chron])
    coef = np.linalg.lstsq(x, change.to_numpy(), rcond=None)[0]
    assert coef[3] > 0.4
    pilot_only = treated == 1
    slope = np.polyfit(chron[pilot_only], change.to_numpy()[pilot_only], 1)[0]
    assert slope > 0


def test_tiny_region_warns_and_does_not_crash(caplog):
    small = frames(1500)
    with caplog.at_level(logging.WARNING, logger="pact_analysis.synth.pilot"):
        out = pilot.simulate_pilot(
            small["persons"], small["spells"], small["ceas"], small["params"], np.random.default_rng(1)
        )
    assert len(out["assignment"]) < 8 * 46
    assert "eligible RGC heads" in caplog.text
    assert set(out["effects"]["person_id"]) == set(out["assignment"].query("group == 'PILOT'")["person_id"])
