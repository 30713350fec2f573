"""Indicators: bands, joint items, encoding, and the features of the tiny region."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pact_analysis import profiles
from pact_analysis.profiles import features
from tests.profiles.toy import toy


def test_band_labels_and_bands():
    assert profiles.band_labels((1, 2, 4)) == ["0", "1", "2-3", "4+"]
    assert profiles.band_labels((0.01, 0.5, 1)) == ["0", "0.01-0.5", "0.5-1", "1+"]
    bands = features._count_bands(pd.Series([0, 1, 2, 3, 4, 9, None]), (1, 2, 4))
    assert bands.tolist() == ["0", "1", "2-3", "2-3", "4+", "4+", "0"]


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


def test_encode_refuses_unseen_category():
    frame, _ = toy(20)
    data = profiles.encode(frame, ["a"], [])
    with pytest.raises(ValueError, match="not seen"):
        profiles.encode(frame.assign(a="maybe"), ["a"], [], categories=data.categories)


@pytest.mark.xdist_group("tiny_region")
def test_person_features_on_tiny_region(tiny_project):
    from tests.tiny import run_stages

    if not (tiny_project.warehouse_parquet / "dim_person.parquet").exists():
        run_stages(tiny_project, ("warehouse",))
    tables = profiles.read_tables(tiny_project.warehouse_parquet)
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


def test_benefit_history_reads_the_effective_end_of_a_superseded_open_file():
    """Y's open file ends at the start of Y's next file (the warehouse's effective end): 9 months
    paid (3 + 6), not on the RGC at the extraction; an end after the extraction is still paid then."""
    from tests.warehouse.superseded import EXTRACTION, build_superseded

    con = build_superseded()
    tables = {t: con.execute(f"SELECT * FROM {t}").df() for t in ("fact_benefit_spell", "bridge_rgc_member")}
    con.close()
    history = features._benefit_history(tables, EXTRACTION)
    assert history.loc["Y", ["rgc_spells", "rgc_months", "rgc_at_extraction"]].tolist() == [2, 9, "no"]
    assert history.loc["X", ["rgc_months", "rgc_at_extraction"]].tolist() == [13 + 6, "no"]
    assert history.loc["U", ["rgc_months", "rgc_at_extraction"]].tolist() == [17 + 30, "yes"]
    assert history.loc["V", ["rgc_months", "rgc_at_extraction"]].tolist() == [22 + 0, "yes"]
