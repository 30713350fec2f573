"""Names of the profiles: unique, from their traits."""

from __future__ import annotations

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
