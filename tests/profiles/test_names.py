"""Names of the profiles: unique, from their traits."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pact_analysis import profiles


def test_profile_names_are_unique_and_follow_traits():
    traits = pd.DataFrame(0.0, index=range(3), columns=list(profiles.TRAITS))
    traits.loc[0, ["older", "home_care", "telecare"]] = 0.9
    traits.loc[1, ["rgc", "rgc_long"]] = 1.0
    traits.loc[2, ["family"]] = 0.9
    names = profiles.profile_names(traits)
    assert names.tolist() == ["older_home_care", "rgc_long", "family_support"]
    twice = profiles.profile_names(pd.concat([traits, traits.iloc[[1]]], ignore_index=True))
    assert sorted(twice) == ["family_support", "older_home_care", "rgc_long", "rgc_long_2"]


def _responses(rows):
    return pd.DataFrame(rows, columns=["variable", "value", "class", "share"])


def test_card_traits_add_services_not_already_traits():
    rows = []
    for cls, (aid, help_, info) in enumerate([(0.9, 0.1, 1.0), (0.2, 0.8, 0.97)]):
        rows += [
            ("used_emergency_aid", "yes", cls, aid),
            ("used_emergency_aid", "no", cls, 1 - aid),
            ("used_home_help", "yes", cls, help_),
            ("used_info", "yes", cls, info),
            ("age_band", "65+", cls, 0.5),
        ]
    traits = profiles.card_traits(_responses(rows))
    assert "used_emergency_aid" in traits.columns and "used_info" in traits.columns
    assert "used_home_help" not in traits.columns  # it is the trait home_care already
    assert traits.loc[0, "used_emergency_aid"] == 0.9 and traits.loc[1, "home_care"] == 0.8
    assert traits.loc[0, "older"] == 0.5


def test_most_frequent_traits_are_the_largest_shares_but_not_universal_ones():
    traits = pd.DataFrame(
        {"info": [1.0, 0.96], "family": [0.003, 0.9], "aid": [0.153, 0.2], "contract": [0.152, 0.1]}
    )
    top = profiles.most_frequent_traits(traits, n=2)
    assert top[0] == [("aid", 0.153), ("contract", 0.152)]  # not "info": every class has it
    assert top[1] == [("family", 0.9), ("aid", 0.2)]
    # a trait that one class lacks is kept
    assert profiles.most_frequent_traits(traits, n=1, universal=0.97)[0] == [("info", 1.0)]


def test_time_on_rgc_ends_a_superseded_open_file_at_the_next_start():
    """An open file followed by a later file of the head ends at that file's start (the warehouse's
    effective end): an exit of unknown reason, not a spell paid to the extraction date."""
    from pact_analysis.chronicity.spells import UNKNOWN_EXIT
    from tests.warehouse.superseded import EXTRACTION, build_superseded

    con = build_superseded()
    spells = con.execute("SELECT * FROM fact_benefit_spell ORDER BY spell_id").df()
    con.close()
    profile = pd.Series(1, index=["Y", "U", "V"])
    out = profiles.time_on_rgc(spells, profile, EXTRACTION)
    out.index = spells.loc[out.index, "spell_id"]
    # Y: January-March 2016 and its next file March-August 2016, not January 2016 to October 2018
    assert out.loc["Y1"].tolist() == [1, 3.0, True, UNKNOWN_EXIT]
    assert out.loc["Y2"].tolist() == [1, 6.0, True, "JOB_INCOME"]
    # U1's recorded end is after the extraction date: it ends at U2's start, its recorded reason not yet
    assert out.loc["U1"].tolist() == [1, 17.0, True, UNKNOWN_EXIT]
    assert out.loc["U2"].tolist() == [1, 30.0, False, "ONGOING"]
    # V2 begins after the extraction date: V1 is still paid
    assert out.loc["V1"].tolist() == [1, 22.0, False, "ONGOING"]


def test_the_number_at_risk_of_each_profile_curve_is_lifelines_one():
    from lifelines import KaplanMeierFitter

    from pact_analysis.profiles import km_by_profile

    rng = np.random.default_rng(5)
    spells = pd.DataFrame(
        {
            "profile": rng.integers(1, 3, 80),
            "months": rng.integers(0, 30, 80).astype(float),
            "ended": rng.random(80) < 0.7,
        }
    )
    curves, _, at_risk = km_by_profile(spells, horizon=40)
    assert curves.shape == at_risk.shape and (at_risk.diff().dropna() <= 0).all().all()
    for profile, part in spells.groupby("profile"):
        table = KaplanMeierFitter().fit(part["months"], part["ended"]).event_table
        for month in table.index[table.index > 0]:  # lifelines: at risk at the start of that time
            assert at_risk.loc[int(month), profile] == table.loc[month, "at_risk"]
        assert at_risk.loc[40, profile] == 0 and at_risk.loc[0, profile] == len(part)
