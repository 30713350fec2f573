"""The spending stage on the tiny region: computed once, spending by the head's profile adding up to the
year, profiles that cover too few heads an error."""

from __future__ import annotations

import copy
import json

import pandas as pd
import pytest

from pact_analysis import spending as sp
from pact_analysis.alerts import select_alerts
from pact_analysis.errors import StageError
from pact_analysis.params import load_params
from pact_analysis.paths import Paths
from pact_analysis.spending.analysis import banded_recipients
from pact_analysis.stages import alerts as alerts_stage
from pact_analysis.stages import spending as stage
from tests.tiny import run_stages, scoring_params

pytestmark = pytest.mark.xdist_group("tiny_region")

EFFECT = {"estimate": 0.04, "ci_low": -0.02, "ci_high": 0.1}


@pytest.fixture(scope="module")
def spent(tiny_project, tmp_path_factory):
    """The spending stage run on the tiny region's inputs, into a project of its own."""
    needed = {
        "warehouse": tiny_project.warehouse_parquet / "dim_person.parquet",
        "profiles": tiny_project.profiles / "persons.parquet",
        "alerts": tiny_project.alerts / "scores.parquet",
    }
    missing = tuple(name for name, file in needed.items() if not file.exists())
    if missing:  # as the alerts tests leave it when they ran first: scored, with alerts
        run_stages(tiny_project, tuple(m for m in missing if m != "alerts"))
    if "alerts" in missing:
        alerts_stage.run(tiny_project, scoring_params(load_params(tiny_project.params)))
    paths = Paths(tmp_path_factory.mktemp("spending"))
    for folder in ("processed", "alerts", "profiles"):
        getattr(paths, folder).parent.mkdir(parents=True, exist_ok=True)
        getattr(paths, folder).symlink_to(getattr(tiny_project, folder), target_is_directory=True)
    paths.pilot.mkdir(parents=True)
    (paths.pilot / "results.json").write_text(json.dumps({"exit_12m": EFFECT}), encoding="utf-8")
    params = copy.deepcopy(load_params(tiny_project.params))
    params["spending"] |= {"draws": 200, "model_draws": 20}  # the tiny region checks wiring, not precision
    stage.run(paths, params)
    return paths, params


def test_spending_by_profile_is_computed_on_the_tiny_region(spent):
    paths, params = spent
    tables, values = sp.load_results(paths.spending)
    by_profile = tables["by_profile"]
    min_cell = params["disclosure"]["min_cell"]
    assert len(by_profile) >= 1 and set(values["profile_names"]) >= set(by_profile.index) - {sp.OTHER}
    published = by_profile.dropna(subset=["persons"])
    assert (published["persons"] >= min_cell).all() and (published["spending_eur"] > 0).all()
    year = tables["yearly"].loc[values["last_full"]]
    assert by_profile["spending_eur"].sum() == pytest.approx(year["spending_eur"], rel=1e-12), (
        "heads without a profile are a row (or within other), not dropped"
    )
    assert by_profile["persons"].sum() == year["persons"]
    coverage = values["profile_coverage"]
    assert coverage["year"] == values["last_full"] and coverage["heads"] == year["persons"]
    assert coverage["spending_share"] >= 0.9, "most heads paid have a profile"
    assert sp.MIN_PROFILE_COVERAGE <= coverage["heads_share"] <= 1
    metrics = json.loads(paths.metric("spending").read_text(encoding="utf-8"))
    assert metrics["by_profile"] and set(metrics["by_profile"]) == set(by_profile.index)


def test_the_last_full_year_ends_before_the_extraction_and_overlaps_are_counted(spent):
    paths, params = spent
    _, values = sp.load_results(paths.spending)
    extraction = params["data"]["extraction_date"]
    assert f"{values['last_full']}-12-31" <= str(extraction)[:10] < f"{values['last_full'] + 2}-12-31"
    assert isinstance(values["overlapping_head_months"], int) and values["overlapping_head_months"] >= 0


def _with_profiles_of(spent, root, share: float) -> Paths:
    """A project with the tiny region's inputs but only the first ``share`` of its profiled persons."""
    paths, _ = spent
    other = Paths(root)
    for folder in ("processed", "alerts", "pilot"):
        getattr(other, folder).parent.mkdir(parents=True, exist_ok=True)
        getattr(other, folder).symlink_to(getattr(paths, folder).resolve(), target_is_directory=True)
    persons = pd.read_parquet(paths.profiles / "persons.parquet")
    other.profiles.mkdir(parents=True)
    persons.iloc[: int(share * len(persons))].to_parquet(other.profiles / "persons.parquet")
    return other


def test_profiles_that_cover_too_few_heads_stop_the_stage_naming_them(spent, tmp_path):
    other = _with_profiles_of(spent, tmp_path, 0.1)
    with pytest.raises(StageError) as err:
        stage.run(other, spent[1])
    assert "data/profiles/persons.parquet" in str(err.value) and "below the floor" in str(err.value)
    assert not other.spending.exists() and not other.metric("spending").exists()


def test_heads_left_out_of_the_profiles_are_a_row_and_the_rows_still_add_up(spent, tmp_path):
    other = _with_profiles_of(spent, tmp_path, 0.7)
    stage.run(other, spent[1])
    tables, values = sp.load_results(other.spending)
    by_profile, year = tables["by_profile"], tables["yearly"].loc[values["last_full"]]
    coverage = values["profile_coverage"]
    assert sp.MIN_PROFILE_COVERAGE <= coverage["heads_share"] < 1 and coverage["spending_share"] < 1
    assert by_profile.loc[sp.NO_PROFILE, "persons"] == coverage["heads"] - coverage["heads_with_profile"]
    assert by_profile["spending_eur"].sum() == pytest.approx(year["spending_eur"], rel=1e-12)
    assert by_profile.loc[sp.NO_PROFILE, "spending_eur"] == pytest.approx(
        (1 - coverage["spending_share"]) * year["spending_eur"], rel=1e-9
    )


def test_metrics_hold_only_the_headline_figures_and_the_effect_used(spent):
    paths, _ = spent
    metrics = json.loads(paths.metric("spending").read_text(encoding="utf-8"))
    assert len(metrics) <= 10
    assert metrics["effect"] == {"estimate": EFFECT["estimate"], "source": "pilot"}
    assert metrics["cases"] > 0 and metrics["registry_total_eur"] > 0
    cost = metrics["net_cost"]  # one sign convention: positive is a cost, the interval in the same sign
    assert cost["ci_low"] <= cost["ci_high"]
    _, values = sp.load_results(paths.spending)
    assert {k: values["net_cost_5y_eur"][k] for k in cost} == cost  # the value file in the same sign


def test_every_stored_net_is_a_net_cost_in_the_sign_of_the_metrics(spent):
    """Tables, draws and the value file state the net cost as ``metrics/spending.json``: positive = cost."""
    paths, _ = spent
    metrics = json.loads(paths.metric("spending").read_text(encoding="utf-8"))
    tables, values = sp.load_results(paths.spending)
    cost = metrics["net_cost"]["estimate"]
    assert cost != 0
    years = tables["years"]
    assert "net_eur" not in years and "discounted_net_eur" not in years
    assert years["discounted_net_cost_eur"].sum() == pytest.approx(cost, rel=1e-9)
    assert (years["net_cost_eur"] == years["cost_eur"] - years["saving_eur"]).all()
    assert values["net_cost_5y_eur"]["estimate"] == pytest.approx(cost, rel=1e-12)
    scaled = values["net_cost_5y_eur_regional_scale"]["estimate"]
    assert scaled == pytest.approx(cost * values["scale"]["factor"], rel=1e-12)
    draws = tables["simulated"]["net_cost_eur"]
    assert (draws < 0).mean() == pytest.approx(metrics["net_cost"]["probability_saving"])
    line = tables["breakeven_line"]  # the net cost falls as the effect grows
    assert line["net_cost_eur"].iloc[0] > line["net_cost_eur"].iloc[-1]
    effect = tables["tornado"].loc["effect"]  # a larger effect, a smaller net cost
    assert effect["net_cost_high_eur"] < effect["net_cost_low_eur"]


def test_the_report_finds_every_table_it_shows(spent):
    paths, _ = spent
    tables, values = sp.load_results(paths.spending)
    assert set(tables) == {*sp.results.TABLES, "avoided", "simulated"}
    assert len(tables["simulated"]) == 200 and len(tables["avoided"]) == 21
    future = tables["future"]
    assert future.index[-1] == "total" and future["persons"].iloc[-1] == future["persons"].iloc[:-1].sum()
    assert values["effect"]["source"] == "pilot" and values["cfg"]["draws"] == 200
    assert list(tables["by_province"].columns) == [str(y) for y in tables["yearly"].index]


def test_the_flagged_band_is_the_alerts_selection_capped_at_alerts_top_k(spent, monkeypatch):
    """``alerts.top_k`` reaches the band: at most top_k flagged per CEAS, as the alerts stage selects."""
    paths, params = spent
    params = copy.deepcopy(params)
    params["alerts"] = dict(params.get("alerts") or {}) | {"top_k": 1}
    inputs = sp.read_inputs(paths, params)
    seen = {}

    def stop_after_bands(*args, **kwargs):
        seen["current"] = banded_recipients(*args, **kwargs)
        raise InterruptedError  # the rest of the analysis is tested above

    monkeypatch.setattr(sp.analysis, "banded_recipients", stop_after_bands)
    with pytest.raises(InterruptedError):
        sp.analyse(**inputs, params=params, min_cell=int(params["disclosure"]["min_cell"]))
    current, scores = seen["current"], inputs["scores"]
    high = current.loc[current["band"] == "high", "person_key"]
    assert len(high) and scores.set_index("person_key").loc[high, "ceas_code"].value_counts().max() == 1
    chosen = scores.loc[select_alerts(scores, inputs["alerts"]["threshold"], 1), "person_key"]
    assert set(high) == set(chosen) & set(current["person_key"])


def test_the_backtest_compares_the_prediction_made_earlier_with_what_was_paid(spent):
    """``backtest_error`` is the relative error of the prediction made ``backtest_months`` earlier."""
    paths, params = spent
    metrics = json.loads(paths.metric("spending").read_text(encoding="utf-8"))
    back = sp.load_results(paths.spending)[1]["backtest"]
    months = params["spending"].get("backtest_months", 24)
    assert back["months"] == months and back["persons"] > 0 and back["observed_eur"] > 0
    cutoff = pd.Timestamp(params["data"]["extraction_date"]) - pd.DateOffset(months=months)
    assert back["cutoff"] == str(cutoff.date())
    assert metrics["backtest_error"] == pytest.approx(back["predicted_eur"] / back["observed_eur"] - 1)
    assert back["lower_eur"] <= back["predicted_eur"] <= back["upper_eur"]
    assert back["inside"] == (back["lower_eur"] <= back["observed_eur"] <= back["upper_eur"])
    _, values = sp.load_results(paths.spending)
    # rolling origins: the latest first (the one above), each step months earlier, same horizon
    rolling = values["backtests"]
    step = int(params["spending"].get("backtest_step_months", 6))
    assert rolling[0] == back and len(rolling) == int(params["spending"].get("backtest_origins", 4))
    for k, earlier in enumerate(rolling):
        assert earlier["cutoff"] == str((cutoff - pd.DateOffset(months=k * step)).date())
        assert earlier["months"] == months
    exits_only, total = values["future_exits_only"], sp.load_results(paths.spending)[0]["future"].loc["total"]
    assert total["upper_eur"] - total["lower_eur"] > exits_only["upper_eur"] - exits_only["lower_eur"]
