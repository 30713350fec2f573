"""Pathways: monthly state sequences on hand-built cases, transitions and the typology."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pact_analysis.profiles import pathways

CODE = {s: i for i, s in enumerate(pathways.STATES)}


def _sequences() -> pd.DataFrame:
    rgc = pd.DataFrame(
        {
            "person_key": ["a", "b"],
            "start_date": ["2015-02-10", "2015-01-01"],
            "end_date": ["2015-03-05", None],
        }
    )
    employment = pd.DataFrame(
        {
            "person_key": ["a", "c", "c"],
            "episode_type": ["CONTRACT", "JOBSEEKER", "CONTRACT"],
            "start_date": ["2015-03-20", "2015-01-15", "2015-04-01"],
            "end_date": ["2015-04-30", "2015-03-31", None],
        }
    )
    ngo = pd.DataFrame({"person_key": ["d", "x"], "date": ["2015-02-14", "2015-02-01"]})
    return pathways.state_sequences(["a", "b", "c", "d"], rgc, employment, ngo, "2015-01-01", "2015-05-31")


def test_state_sequences_hand_built():
    seq = _sequences()
    assert seq.columns.tolist() == ["2015-01", "2015-02", "2015-03", "2015-04", "2015-05"]
    as_names = seq.apply(lambda row: [pathways.STATES[c] for c in row], axis=1, result_type="expand")
    # a: none, RGC Feb-Mar (RGC wins over the contract starting in March), employed April, none
    assert as_names.loc["a"].tolist() == ["none", "rgc", "rgc", "employed", "none"]
    # b: a spell still paid runs to the end
    assert as_names.loc["b"].tolist() == ["rgc"] * 5
    # c: registered unemployed Jan-Mar, then an open contract
    assert as_names.loc["c"].tolist() == ["unemployed"] * 3 + ["employed"] * 2
    # d: one NGO attention in February; x is not a wanted person
    assert as_names.loc["d"].tolist() == ["none", "ngo", "none", "none", "none"]


def test_transition_rates_rows_add_up():
    rates = pathways.transition_rates(_sequences())
    shares = rates[list(pathways.STATES)]
    filled = shares.dropna()
    assert np.allclose(filled.sum(axis=1), 1.0)
    assert rates.loc["rgc", "person_months"] == 2 + 4  # a: Feb->Mar, Mar->Apr; b: four transitions
    assert rates.loc["rgc", "employed"] == pytest.approx(1 / 6)


def test_state_distribution_shares():
    dist = pathways.state_distribution(_sequences())
    jan = dist[dist["month"] == "2015-01"].set_index("state")["share"]
    assert jan["rgc"] == pytest.approx(0.25) and jan["none"] == pytest.approx(0.5)
    assert dist.groupby("month")["share"].sum().round(9).eq(1).all()


def test_hamming_typology_separates_two_kinds():
    on = np.full((20, 12), CODE["rgc"])
    off = np.full((20, 12), CODE["none"])
    seq = pd.DataFrame(np.vstack([on, off]), index=[f"p{i}" for i in range(40)])
    types, sil = pathways.hamming_typology(seq, [2, 3], sample=40, seed=0)
    assert types.nunique() == 2
    assert len(set(types.iloc[:20])) == 1 and len(set(types.iloc[20:])) == 1
    assert set(sil["n_types"]) == {2, 3}
    summary = pathways.type_profiles(seq, types)
    assert sorted(summary["persons"]) == [20, 20]


def test_onehot_distance_is_euclidean_on_the_one_hot_states():
    from scipy.spatial.distance import pdist

    rng = np.random.default_rng(0)
    states = rng.integers(0, len(pathways.STATES), (15, 10))
    onehot = np.eye(len(pathways.STATES))[states].reshape(15, -1)
    assert np.allclose(pathways.onehot_distance(states), pdist(onehot, metric="euclidean"))
    # hand case: two months differ -> sqrt(4) = 2
    assert pathways.onehot_distance(np.array([[0, 1, 2], [0, 2, 1]])).tolist() == [2.0]


def test_a_superseded_open_file_covers_the_months_to_the_next_start_only():
    """Y's open file of January 2016 ends when Y's next file (March-August 2016) starts: no RGC after."""
    from tests.warehouse.superseded import build_superseded

    con = build_superseded()
    names = ("bridge_rgc_member", "fact_benefit_spell", "fact_employment_episode", "fact_ngo_attention")
    tables = {t: con.execute(f"SELECT * FROM {t}").df() for t in names}
    con.close()
    seq = pathways.sequences_from_tables(tables, ["Y", "V"], "2015-12-01", "2018-10-31")
    rgc = seq.eq(CODE["rgc"])
    assert rgc.loc["Y"][rgc.loc["Y"]].index.tolist() == [f"2016-{m:02d}" for m in range(1, 9)]
    assert rgc.loc["V", "2017-01":].all()  # a file begun after the extraction supersedes nothing
