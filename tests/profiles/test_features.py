"""Indicators: bands, joint items, encoding, and the features of the tiny region."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pact_analysis import profiles
from pact_analysis.profiles import features
from pact_analysis.timeline import DAYS_PER_MONTH
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
    """Y's open file ends at the start of Y's next file (the warehouse's effective end): 8 months
    paid (January to August; March, the month of both files, once), not on the RGC at the extraction;
    an end after the extraction is still paid then."""
    from tests.warehouse.superseded import EXTRACTION, build_superseded

    con = build_superseded()
    tables = {t: con.execute(f"SELECT * FROM {t}").df() for t in ("fact_benefit_spell", "bridge_rgc_member")}
    con.close()
    history = features._benefit_history(tables, EXTRACTION)
    assert history.loc["Y", ["rgc_spells", "rgc_months", "rgc_at_extraction"]].tolist() == [2, 8, "no"]
    assert history.loc["X", ["rgc_months", "rgc_at_extraction"]].tolist() == [13 + 6 - 1, "no"]
    assert history.loc["U", ["rgc_months", "rgc_at_extraction"]].tolist() == [17 + 30 - 1, "yes"]
    assert history.loc["V", ["rgc_months", "rgc_at_extraction"]].tolist() == [22 + 0, "yes"]


def test_overlapping_contracts_and_files_are_counted_once():
    """Two contracts at once are months employed once; a member in two overlapping files is paid once."""
    extraction = pd.Timestamp("2018-10-31")
    episodes = pd.DataFrame(
        {
            "person_key": ["A", "A", "A", "B"],
            "episode_type": ["CONTRACT", "CONTRACT", "JOBSEEKER", "CONTRACT"],
            "start_date": ["2016-01-01", "2016-03-01", "2015-01-01", "2016-01-01"],
            "end_date": ["2016-07-01", "2016-05-01", None, None],
        }
    )
    employment = features._employment({"fact_employment_episode": episodes}, extraction)
    six = (pd.Timestamp("2016-07-01") - pd.Timestamp("2016-01-01")).days / DAYS_PER_MONTH
    assert employment.loc["A", "months_employed"] == pytest.approx(six)  # not six plus two
    assert employment.loc["A", "contracts"] == 2 and employment.loc["A", "jobseeker"] == "yes"
    files = pd.DataFrame(
        {
            "file_id": ["F1", "F2"],
            "spell_id": ["F1", "F2"],
            "person_key": ["H", "H2"],
            "start_date": ["2016-01-01", "2016-04-01"],
            "end_date": ["2016-06-30", "2016-09-30"],
            "exit_reason": ["JOB_INCOME", "JOB_INCOME"],
            "prior_imi": [False, False],
        }
    )
    members = pd.DataFrame({"file_id": ["F1", "F2"], "person_key": ["M", "M"], "role": ["MEMBER", "MEMBER"]})
    history = features._benefit_history(
        {"fact_benefit_spell": files, "bridge_rgc_member": members}, extraction
    )
    assert history.loc["M", "rgc_months"] == 9  # January to September, not 6 + 6


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_household_maximum_and_text_extremes_equal_pandas_group_reductions(seed):
    """The compiled reductions give what pandas' (Python) reductions of text give: text compared as
    text, missing values skipped, a group with none missing."""
    rng = np.random.default_rng(seed)
    n = 300
    unit = pd.Series(rng.integers(0, 60, n).astype(str), index=pd.RangeIndex(n))
    values = pd.DataFrame(
        {
            "used": rng.choice(np.array(["yes", "no"], dtype=object), n),
            "jobseeker": rng.choice(np.array(["yes", None], dtype=object), n),
            "role": rng.choice(np.array(["HEAD", "MEMBER", None], dtype=object), n),
            "contracts": rng.poisson(1.0, n).astype(float),
        }
    )
    values.loc[unit == "7", "jobseeker"] = None  # a unit with no value

    def reference(column: pd.Series, how) -> pd.Series:  # by hand, group by group
        kept = column.groupby(unit).agg(lambda s: how(s.dropna()) if s.notna().any() else np.nan)
        return kept.astype(object).where(kept.notna(), np.nan)

    shown = features._household_max(values, unit)
    pd.testing.assert_series_equal(shown["contracts"], values.groupby(unit)["contracts"].transform("max"))
    for column in ("used", "jobseeker", "role"):
        by_unit = reference(values[column], max)
        assert shown[column].equals(pd.Series(by_unit.reindex(unit).to_numpy(), name=column)), column
    for name, how in (("min", min), ("max", max)):
        found = features.group_extreme(values["role"], unit, name)
        assert found.equals(reference(values["role"], how)), name
