"""Calibration: the generated marginals of a 20,000-person region match the published facts."""

from __future__ import annotations

import pandas as pd
import pytest

from pact_analysis import synth
from pact_analysis.extracts import write_extract
from pact_analysis.synth import calibration
from tests.synth.outcomes_fixtures import frames, project_params

N = 20000


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    """The calibration table of the real generator (``synth.simulate``) on the default 20,000 persons."""
    params = project_params()
    params["synthetic"]["n_persons"] = N
    sim = synth.simulate(params)
    return calibration.measure(calibration.simulation_frames(sim), params).set_index("name")


def test_table_shape(table):
    assert list(table.index) == [t.name for t in calibration.CALIBRATION]
    assert {"target", "measured", "tolerance", "unit", "ok", "source"} <= set(table.columns)
    assert table["measured"].notna().all()


@pytest.mark.parametrize("name", [t.name for t in calibration.CALIBRATION])
def test_target_met(table, name):
    row = table.loc[name]
    assert row["ok"], (
        f"{name}: measured {row['measured']} vs {row['target']} +/- {row['tolerance']} {row['unit']}"
    )


def test_measure_flags_a_miss():
    region = frames(3000)
    region["spells"]["monthly_amount_eur"] *= 2
    result = calibration.measure(region, region["params"]).set_index("name")
    assert not result.loc["mean_monthly_amount_eur", "ok"]


def test_measure_reads_truth_and_raw_folders(tmp_path):
    region = frames(3000)
    truth, raw = tmp_path / "truth", tmp_path / "raw"
    truth.mkdir()
    raw.mkdir()
    region["persons"].to_parquet(truth / "persons.parquet")
    region["spells"].to_parquet(truth / "rgc_spells.parquet")
    for key, source in [
        ("assignment", "pilot_assignment"),
        ("mdtse", "mdtse_assessments"),
        ("surveys", "satisfaction_surveys"),
    ]:
        write_extract(region[key].rename(columns={"person_id": "record_id"}), source, raw)
    from_files = calibration.measure(truth, region["params"])
    from_frames = calibration.measure(region, region["params"])
    pd.testing.assert_frame_equal(from_files, from_frames)
