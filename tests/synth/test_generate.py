"""End-to-end tests of the synthetic region on a tiny region: contract, determinism, staging real files."""

from __future__ import annotations

import copy
import logging
from pathlib import Path

import pandas as pd
import pytest

from pact_analysis import codebook
from pact_analysis.errors import StageError
from pact_analysis.params import load_params, validate_params
from pact_analysis.paths import Paths
from pact_analysis.stages.synthesize import run
from pact_analysis.synth import generate
from pact_analysis.synth.identities import is_valid_doc

N = 1_500


def _params() -> dict:
    params = copy.deepcopy(load_params())
    params["synthetic"]["n_persons"] = N
    return params


@pytest.fixture(scope="module")
def region(tmp_path_factory) -> Path:
    logger = logging.getLogger("pact_analysis")
    level = logger.level
    logger.setLevel(logging.ERROR)  # tiny region: pilot shortfall warnings
    try:
        out = tmp_path_factory.mktemp("region")
        generate(_params(), out / "raw", out / "truth", out / "synthesize.json")
    finally:
        logger.setLevel(level)  # other tests read warnings from the pact_analysis loggers
    return out


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)


def test_every_extract_follows_the_codebook(region):
    for source, spec in codebook.sources().items():
        frame = _read(region / "raw" / spec["file"])
        assert list(frame.columns) == list(codebook.columns(source)), source
        assert len(frame) > 0, source
        key = spec.get("key")
        assert frame[key].is_unique, source


def test_same_seed_same_bytes(region, tmp_path):
    generate(_params(), tmp_path / "raw", tmp_path / "truth")
    for folder in ("raw", "truth"):
        names = sorted(p.name for p in (region / folder).iterdir())
        assert names == sorted(p.name for p in (tmp_path / folder).iterdir())
        for name in names:
            assert (region / folder / name).read_bytes() == (tmp_path / folder / name).read_bytes(), name


def test_other_seed_other_data(region, tmp_path):
    params = _params()
    params["seed"] += 1
    generate(params, tmp_path / "raw", tmp_path / "truth")
    file = "sauss_persons.csv"
    assert (region / "raw" / file).read_bytes() != (tmp_path / "raw" / file).read_bytes()


def test_documents_valid_unless_noised(region):
    log = pd.read_parquet(region / "truth" / "noise_log.parquet")
    broken = set(log.loc[log["noise_type"].isin(["doc_typo", "doc_letter_wrong"]), "record_id"])
    checked = 0
    for source in codebook.person_sources():
        frame = _read(region / "raw" / codebook.sources()[source]["file"])
        ids = frame["doc_type"].isin(["DNI", "NIE"]) & ~frame["record_id"].isin(broken)
        assert is_valid_doc(frame.loc[ids, "doc_number"]).all(), source
        checked += int(ids.sum())
    assert checked > 1_000


def test_truth_records_cover_every_person_record(region):
    records = pd.read_parquet(region / "truth" / "records.parquet")
    persons = pd.read_parquet(region / "truth" / "persons.parquet")
    assert len(persons) == N and records["record_id"].is_unique
    assert set(records["person_id"]) <= set(persons["person_id"])
    for source in codebook.person_sources():
        raw = _read(region / "raw" / codebook.sources()[source]["file"])
        assert set(raw["record_id"]) == set(records.loc[records["source"] == source, "record_id"]), source
    sauss = set(records.loc[records["source"] == "sauss_persons", "record_id"])
    interventions = _read(region / "raw" / "sauss_interventions.csv")
    assert set(interventions["record_id"]) <= sauss
    employment = set(records.loc[records["source"] == "employment_persons", "record_id"])
    assert set(_read(region / "raw" / "employment_episodes.csv")["record_id"]) <= employment


def test_truth_files_and_metrics(region):
    names = {p.name for p in (region / "truth").iterdir()}
    assert names >= {
        "persons.parquet",
        "records.parquet",
        "noise_log.parquet",
        "rgc_spells.parquet",
        "hazard.json",
        "pilot_effects.parquet",
    }
    metrics = pd.read_json(region / "synthesize.json", typ="series")
    counts = pd.read_json(region / "truth" / "counts.json", typ="series")
    assert metrics["n_persons"] == counts["n_persons"] == N
    assert counts["rows"]["sauss_persons"] == len(_read(region / "raw" / "sauss_persons.csv"))
    assert metrics["rows"] == sum(counts["rows"].values())
    noise_log = pd.read_parquet(region / "truth" / "noise_log.parquet")
    assert (
        metrics["identity_errors"] == len(noise_log) == sum(sum(n.values()) for n in counts["noise"].values())
    )


def test_files_mode_stages_extracts(tmp_path):
    paths = Paths(tmp_path)
    params = _params()
    params["data"]["source"] = "files"
    with pytest.raises(StageError, match="holds no extract"):
        run(paths, params)
    paths.extracts.mkdir(parents=True)
    (paths.extracts / "sauss_persons.csv").write_text("record_id\nS1\n", encoding="utf-8")
    (paths.extracts / "notes.txt").write_text("not an extract", encoding="utf-8")
    run(paths, params)
    assert sorted(p.name for p in paths.raw.iterdir()) == ["sauss_persons.csv"]
    assert (paths.truth / "README.txt").read_text(encoding="utf-8").startswith("These extracts")
    params["data"]["source"] = "nonsense"
    with pytest.raises(StageError, match="data.source.*'synthetic' or 'files'"):
        validate_params(params)  # refused before any stage runs
