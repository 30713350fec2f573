"""PACT pilot: group sizes, selection, dropout, MDTSE waves, surveys and heterogeneous true effects."""

from __future__ import annotations

import copy
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


@pytest.fixture(scope="module")
def admin(region):
    return pilot.apply_admin_effect(
        region["persons"], region["spells"], region["assignment"], region["params"], np.random.default_rng(3)
    )


def test_admin_effect_only_shortens_participants_running_spells(region, admin):
    before, after = region["spells"], admin["spells"]
    assert after["spell_id"].tolist() == before["spell_id"].tolist()
    moved = before["end_date"].ne(after["end_date"]) & ~(before["end_date"].isna() & after["end_date"].isna())
    assert moved.any()
    participants = set(region["assignment"].query("group == 'PILOT'")["person_id"])
    assert set(after.loc[moved, "person_id"]) <= participants
    assert (after.loc[moved, "exit_reason"] == "JOB_INCOME").all()
    old_end = before.loc[moved, "end_date"]
    assert (old_end.isna() | (after.loc[moved, "end_date"] < old_end)).all()
    start = pd.Timestamp(region["params"]["synthetic"]["pilot"]["start_date"])
    assert (after.loc[moved, "end_date"] > start).all()


def test_admin_truth_is_positive_and_grows_with_chronicity(region, admin):
    truth = admin["truth"]
    assert list(truth.columns) == pilot.ADMIN_TRUTH_COLUMNS
    assert set(truth["person_id"]) == set(region["assignment"].query("group == 'PILOT'")["person_id"])
    assert (truth[list(pilot.ADMIN_OUTCOMES)] > 0).all().all()
    assert np.polyfit(truth["chronicity"], truth["log_hr_job"], 1)[0] == pytest.approx(
        region["params"]["synthetic"]["pilot"]["admin_log_hr_chronic"]
    )


def test_admin_truth_matches_a_monte_carlo_of_the_added_route(region):
    """The expected effect on leaving within 12 months equals the share the added route makes leave."""
    params = copy.deepcopy(region["params"])
    params["synthetic"]["pilot"]["admin_log_hr"] = 1.0
    rows = []
    for seed in range(40):
        out = pilot.apply_admin_effect(
            region["persons"], region["spells"], region["assignment"], params, np.random.default_rng(seed)
        )
        start = pd.Timestamp(params["synthetic"]["pilot"]["start_date"])
        horizon = start + pd.DateOffset(months=12)
        old, new = region["spells"]["end_date"], out["spells"]["end_date"]
        # the added route makes the person leave within 12 months who would not have left by then
        gained = (new <= horizon) & (old.isna() | (old > horizon))
        rows.append(gained.sum() / len(out["truth"]))
        truth = out["truth"]["exit_12m"].mean()
    assert np.mean(rows) == pytest.approx(truth, rel=0.15)


def test_admin_effect_rejects_a_negative_hazard_ratio(region):
    params = copy.deepcopy(region["params"])
    params["synthetic"]["pilot"]["admin_log_hr"] = -0.5
    with pytest.raises(ValueError, match="admin_log_hr"):
        pilot.admin_log_hr(np.array([0.0]), params)


# -- outcomes redrawn on a fixed design (the coverage benchmark) ---------------------------------------


def _design(n: int = 600, seed: int = 0) -> tuple[pd.DataFrame, set[str]]:
    rng = np.random.default_rng(seed)
    ceas = np.array([f"C{i:02d}" for i in rng.integers(0, 20, n)])
    pilot_ceas = {f"C{i:02d}" for i in range(8)}
    treated = np.isin(ceas, sorted(pilot_ceas)) & (rng.random(n) < 0.5)
    frame = pd.DataFrame(
        {
            "ceas_code": ceas,
            "treated": treated.astype(int),
            "completed": (rng.random(n) < 0.9).astype(int),
            "chronicity": rng.random(n),
            "prior_employment": rng.integers(0, 2, n).astype(float),
        }
    )
    for dim in codebook.mdtse_dimensions():
        frame[f"baseline_{dim}"] = rng.normal(5, 1, n)
    return frame, pilot_ceas


def _params(**pilot_cfg):
    from pact_analysis.params import defaults

    params = defaults()
    params["synthetic"]["pilot"] |= pilot_cfg
    return params


def test_ceas_shocks_can_be_confined_to_the_pilot_ceas():
    frame, pilot_ceas = _design()
    rng = np.random.default_rng(1)
    shocks = pilot.cluster_shocks(frame, pilot_ceas, 0.5, True, rng)
    inside = frame["ceas_code"].isin(sorted(pilot_ceas)).to_numpy()
    assert (shocks[~inside] == 0).all() and (shocks[inside] != 0).all()
    assert frame.assign(s=shocks).groupby("ceas_code")["s"].nunique().max() == 1  # one shock per CEAS
    everywhere = pilot.cluster_shocks(frame, pilot_ceas, 0.5, False, rng)
    assert (everywhere[~inside] != 0).all()


def test_redrawn_mdtse_truth_is_the_participants_mean_effect():
    frame, pilot_ceas = _design()
    params = _params(effect_sd=0.0, ceas_sd=0.4, assessor_sd=0.3)
    out, truth = pilot.redraw_mdtse(frame, pilot_ceas, params, np.random.default_rng(2))
    cfg, weights = params["synthetic"]["pilot"], pilot.dimension_weights(params)
    done = (frame["treated"] == 1) & (frame["completed"] == 1)
    size = cfg["effect_mean"] + cfg["effect_chronic_extra"] * frame.loc[done, "chronicity"].mean()
    for dim in codebook.mdtse_dimensions():
        assert truth[dim] == pytest.approx(size * weights[dim])
    assert truth["living"] == pytest.approx(np.mean([truth[d] for d in pilot.LIVING_DIMENSIONS]))
    living = out[[f"change_{d}" for d in pilot.LIVING_DIMENSIONS]].mean(axis=1)
    np.testing.assert_allclose(out["change_living"], living)
    # the CEAS shock moves whole CEAS: the pilot CEAS' mean changes spread more than the others'
    means = out.groupby("ceas_code")["change_economic"].mean()
    assert means[sorted(pilot_ceas)].std() > 0


def test_redrawn_admin_truth_and_linkage_error():
    frame, pilot_ceas = _design()
    params = _params()
    out, truth = pilot.redraw_admin(frame, pilot_ceas, params, np.random.default_rng(3))
    treated = frame["treated"] == 1
    assert truth["days_employed"] == pytest.approx((40 * (1 + frame.loc[treated, "chronicity"])).mean())
    assert 0 < truth["exit_12m"] < 0.2 and set(out["exit_12m"].unique()) <= {0.0, 1.0}
    same = pilot.redraw_admin(frame, pilot_ceas, params, np.random.default_rng(3))[0]
    assert same["days_employed"].equals(out["days_employed"])  # same seed, same outcomes
    linked = pilot.redraw_admin(frame, pilot_ceas, params, np.random.default_rng(3), link_error=0.5)[0]
    moved = (linked["days_employed"] != out["days_employed"]).mean()
    assert 0.3 < moved < 0.55  # about half the persons carry somebody else's outcomes
