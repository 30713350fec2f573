"""Profiles: indicators, latent class fit table, stability, ceiling and names on toy and tiny data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pact_analysis import profiles

pytestmark = pytest.mark.xdist_group("tiny_region")


def _toy(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Two well-separated groups on three categorical indicators and one continuous one."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 2, n)
    flip = lambda p: np.where(rng.random(n) < p, "yes", "no")  # noqa: E731
    frame = pd.DataFrame(
        {
            "a": np.where(group == 1, flip(0.9), flip(0.1)),
            "b": np.where(group == 1, flip(0.85), flip(0.1)),
            "c": np.where(group == 1, flip(0.2), flip(0.8)),
            "x": rng.normal(group * 3.0, 1.0),
        }
    )
    return frame, group


def test_band_labels_and_bands():
    assert profiles.band_labels((1, 2, 4)) == ["0", "1", "2-3", "4+"]
    assert profiles.band_labels((0.01, 0.5, 1)) == ["0", "0.01-0.5", "0.5-1", "1+"]
    bands = profiles._count_bands(pd.Series([0, 1, 2, 3, 4, 9, None]), (1, 2, 4))
    assert bands.tolist() == ["0", "1", "2-3", "2-3", "4+", "4+", "0"]


def test_fit_table_has_every_k_and_finds_two_groups():
    frame, group = _toy()
    data = profiles.encode(frame, ["a", "b", "c"], ["x"])
    table, models = profiles.fit_table(data, range(1, 4), n_init=3, seed=1)
    assert table.index.tolist() == [1, 2, 3]
    expected = {"loglik", "aic", "bic", "sabic", "entropy", "smallest_n", "smallest_share", "replicated"}
    assert expected <= set(table.columns)
    assert table["loglik"].is_monotonic_increasing
    assert profiles.choose_k(table) == 2
    assert table.loc[2, "replicated"]
    # Sclove's adjusted BIC penalises each parameter by log((n + 2) / 24) < log(n): below BIC
    n = len(frame)
    penalty = (table["bic"] - table["sabic"]) / table["n_parameters"]
    assert np.allclose(penalty, np.log(n) - np.log((n + 2) / 24))
    assert (table["sabic"] < table["bic"]).all()
    labels = models[2].predict(data.X.to_numpy(float))
    assert profiles.agreement(labels, group) > 0.8


def test_choose_k_skips_models_with_a_tiny_class():
    table = pd.DataFrame(
        {"bic": [100.0, 80.0, 70.0, 65.0], "sabic": [99.0, 79.0, 69.0, 60.0]},
        index=pd.Index([1, 2, 3, 4], name="k"),
    ).assign(smallest_share=[1.0, 0.4, 0.2, 0.01])
    assert profiles.choose_k(table) == 3  # k = 4 has the lowest BIC but a class of 1%
    assert profiles.choose_k(table, min_share=0.0) == 4
    assert profiles.choose_k(table.assign(smallest_share=0.0), "sabic") == 1


def test_one_per_household_draws_independent_units():
    persons = pd.DataFrame(
        {"household_key": ["h1", "h1", "h1", None, "h2", "h2", None, "h3"]},
        index=pd.Index([f"p{i}" for i in range(8)], name="person_key"),
    )
    units = profiles.household_units(persons)
    assert units.tolist() == ["h1", "h1", "h1", "p3", "h2", "h2", "p6", "h3"]  # alone: own unit
    every = profiles.one_per_household(units, 100, seed=1)
    assert len(every) == 5 and units.iloc[every].is_unique  # one person of each of the 5 units
    some = profiles.one_per_household(units, 3, seed=1)
    assert len(some) == 3 and units.iloc[some].is_unique and (np.diff(some) > 0).all()
    assert np.array_equal(some, profiles.one_per_household(units, 3, seed=1))  # same seed, same sample
    drawn = {tuple(profiles.one_per_household(units, 5, seed=s)) for s in range(20)}
    assert len(drawn) > 1  # the member drawn from each household varies with the seed


def test_exit_route_joins_exits_and_current_receipt():
    history = pd.DataFrame(
        {
            "rgc_spells": [np.nan, 1, 2, 3, 1, 2],
            "rgc_job_exits": [np.nan, 1, 1, 0, 0, 0],
            "rgc_sanction_exits": [np.nan, 0, 1, 2, 0, 0],
            "rgc_at_extraction": ["no", "no", "yes", "yes", "yes", "no"],
        }
    )
    assert profiles.exit_route(history).tolist() == [
        "none",
        "job",
        "job+sanction+receiving",
        "sanction+receiving",
        "receiving",
        "other",
    ]


def test_replicated_counts_starts_at_the_best_loglik():
    assert profiles.replicated([-1.0, -1.0, -1.2], n=100) == 2
    assert profiles.replicated([-1.0, -1.1, -1.2], n=100) == 1


def test_encode_refuses_unseen_category():
    frame, _ = _toy(20)
    data = profiles.encode(frame, ["a"], [])
    with pytest.raises(ValueError, match="not seen"):
        profiles.encode(frame.assign(a="maybe"), ["a"], [], categories=data.categories)


def test_jaccard_stability_known_answer():
    labels = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    same = [np.arange(8)], [labels]
    assert profiles.jaccard_stability(labels, *same).tolist() == [1.0, 1.0]
    # second resample: one member of cluster 1 goes to cluster 0 -> J(0) = 4/5, J(1) = 3/4
    moved = np.array([0, 0, 0, 0, 0, 1, 1, 1])
    score = profiles.jaccard_stability(labels, [np.arange(8)] * 2, [labels, moved])
    assert score[0] == pytest.approx((1 + 4 / 5) / 2)
    assert score[1] == pytest.approx((1 + 3 / 4) / 2)
    assert profiles.stability_verdict(0.8) == "stable"
    assert profiles.stability_verdict(0.7) == "doubtful"
    assert profiles.stability_verdict(0.5) == "unstable"


def test_agreement_and_supervised_ceiling_on_toy():
    assert profiles.agreement([0, 0, 1, 1], ["a", "a", "b", "b"]) == 1.0
    assert profiles.agreement([1, 1, 0, 0], ["a", "a", "b", "b"]) == 1.0
    frame, group = _toy(400)
    data = profiles.encode(frame, ["a", "b", "c"], ["x"])
    ceiling, predicted = profiles.supervised_ceiling(data, pd.Series(group), seed=1, folds=3)
    assert len(predicted) == 400
    assert 0.6 < ceiling <= 1.0
    noise = pd.Series(np.random.default_rng(2).integers(0, 2, 400))
    assert profiles.supervised_ceiling(data, noise, seed=1, folds=3)[0] < 0.1


def test_true_profiles_majority_of_records():
    crosswalk = pd.DataFrame(
        {
            "source": ["s", "s", "s", "r"],
            "record_id": ["1", "2", "3", "1"],
            "person_key": ["k1", "k1", "k1", "k2"],
        }
    )
    records = pd.DataFrame(
        {"source": ["s", "s", "s", "r"], "record_id": ["1", "2", "3", "1"], "person_id": ["A", "A", "B", "B"]}
    )
    persons = pd.DataFrame({"person_id": ["A", "B"], "profile": ["leaver", "stayer"]})
    assert profiles.true_profiles(crosswalk, records, persons).to_dict() == {"k1": "leaver", "k2": "stayer"}


def test_profile_names_are_unique_and_follow_traits():
    traits = pd.DataFrame(0.0, index=range(3), columns=list(profiles.TRAITS))
    traits.loc[0, ["older", "home_care", "telecare"]] = 0.9
    traits.loc[1, ["rgc", "rgc_long"]] = 1.0
    traits.loc[2, ["family"]] = 0.9
    names = profiles.profile_names(traits)
    assert names.tolist() == ["older_home_care", "rgc_long", "family_support"]
    twice = profiles.profile_names(pd.concat([traits, traits.iloc[[1]]], ignore_index=True))
    assert sorted(twice) == ["family_support", "older_home_care", "rgc_long", "rgc_long_2"]


def test_person_features_on_tiny_region(tiny_project):
    from tests.tiny import run_stages

    if not (tiny_project.warehouse / "parquet" / "dim_person.parquet").exists():
        run_stages(tiny_project, ("warehouse",))
    tables = profiles.read_tables(tiny_project.warehouse / "parquet")
    features = profiles.person_features(tables, "2018-10-31")
    known = tables["dim_person"]
    assert len(features) == int((known["in_sauss"] | known["in_rgc"]).sum())
    assert features.index.is_unique
    for name in profiles.CATEGORICAL:
        assert features[name].notna().all(), name
    on_rgc = features["rgc_spells"] != "0"
    assert on_rgc.any() and (features.loc[~on_rgc, "rgc_months"] == "0").all()
    data = profiles.encode(features)
    assert list(data.X.columns) == [*profiles.CATEGORICAL, *profiles.CONTINUOUS]


def test_schema_layout_places_every_related_table_once_per_slot():
    from pact_analysis import warehouse

    model = warehouse.logical_model()
    place = profiles.schema_layout(model)
    kinds = {t["name"]: t["kind"] for t in model["tables"]}
    related = {r[side] for r in model["relationships"] for side in ("from_table", "to_table")}
    assert set(place) == related  # the parameters table (no keys) is left out
    assert len(set(place.values())) == len(place)  # no two boxes in one slot
    assert {n for n, (c, _) in place.items() if c == 2} == {
        n for n in related if kinds[n] in ("fact", "bridge", "derived", "aggregate")
    }
    assert place["dim_person"][0] == 1 and place["dim_sex"][0] == 0
    assert place["dim_provision"][0] == 3  # a code list of facts only goes right


def test_schema_layout_orders_code_lists_by_their_referrers():
    model = {
        "tables": [
            {"name": "fact_a", "kind": "fact", "primary_key": ["id"]},
            {"name": "fact_b", "kind": "fact", "primary_key": ["id"]},
            {"name": "dim_x", "kind": "dimension", "primary_key": ["code"]},
            {"name": "dim_y", "kind": "dimension", "primary_key": ["code"]},
        ],
        "relationships": [
            {"from_table": "fact_b", "from_column": "x", "to_table": "dim_x", "to_column": "code"},
            {"from_table": "fact_a", "from_column": "y", "to_table": "dim_y", "to_column": "code"},
        ],
    }
    place = profiles.schema_layout(model)
    assert place["dim_y"] == (3, 0.0) and place["dim_x"] == (3, 1.0)
    fig = profiles.draw_logical_model(model, {"fact": "hecho"})
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"fact_a", "dim_x", "PK: code"} <= texts
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["dimension", "hecho"]


def test_kprototypes_baseline_with_and_without_continuous_indicators():
    frame, group = _toy(200)
    mixed = profiles.kprototypes_labels(profiles.encode(frame, ["a", "b", "c"], ["x"]), 2, seed=1)
    categorical = profiles.kprototypes_labels(profiles.encode(frame, ["a", "b", "c"], []), 2, seed=1)
    assert profiles.agreement(mixed, group) > 0.6
    assert profiles.agreement(categorical, group) > 0.3
    assert set(np.unique(categorical)) == {0, 1}


def test_the_truth_check_runs_on_a_sample_of_the_persons_known(rendered_reports):
    """At region scale ARI and the supervised ceiling are computed on ``validation_sample`` persons."""
    import json

    metrics = json.loads((rendered_reports.metrics / "profiles.json").read_text(encoding="utf-8"))
    assert metrics["n_validated"] == 1000 < metrics["n_persons"]
    assert -1 <= metrics["ari"] <= 1 and 0 < metrics["supervised_ceiling_ari"] <= 1
    crosstab = pd.read_parquet(
        rendered_reports.root / "data" / "profiles" / "tables" / "truth_crosstab.parquet"
    )
    assert int(crosstab.drop(columns="profile").to_numpy().sum()) == 1000
