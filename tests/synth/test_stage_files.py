"""The synthesize stage in files mode: delivered extracts are staged and accounted for in its metrics."""

from __future__ import annotations

import json

import pytest

from pact_analysis import codebook, ingest, synth
from pact_analysis.errors import StageError
from pact_analysis.paths import Paths
from pact_analysis.stages import synthesize
from tests.fixtures import params, valid_frames, write_valid_raw


@pytest.fixture
def delivered(tmp_path) -> Paths:
    """A project in files mode with the required extracts only in data/extracts."""
    paths = Paths(tmp_path)
    write_valid_raw(paths.extracts, ingest.required_sources())
    (paths.extracts / "README.md").write_text("not an extract")
    return paths


def files_params() -> dict:
    return params() | {"data": params()["data"] | {"source": "files"}}


def test_files_mode_writes_the_synthesize_metrics(delivered):
    synthesize.run(delivered, files_params())
    metrics = json.loads((delivered.metrics / "synthesize.json").read_text())
    assert metrics["source"] == "files"
    required = {codebook.sources()[s]["file"] for s in ingest.required_sources()}
    assert set(metrics["staged"]) == required
    assert metrics["staged"]["sauss_persons.csv"]["data_lines"] == len(valid_frames()["sauss_persons"])
    assert metrics["staged"]["ceas.csv"]["bytes"] == (delivered.raw / "ceas.csv").stat().st_size
    assert metrics["not_delivered"]["ngo_attention.csv"] == {"required": False}
    assert set(metrics["not_delivered"]) | required == {s["file"] for s in codebook.sources().values()}
    assert sorted(p.name for p in delivered.raw.iterdir()) == sorted(required)
    assert (delivered.truth / "README.txt").exists()


def test_the_synthesize_metrics_hold_no_value_of_an_extract(delivered):
    synthesize.run(delivered, files_params())
    text = (delivered.metrics / "synthesize.json").read_text()
    persons = valid_frames()["sauss_persons"]
    for value in [*persons["doc_number"].dropna(), *persons["surname1"].dropna()]:
        assert str(value) not in text


def test_data_lines_ignores_blank_lines_and_spreadsheets(tmp_path):
    (tmp_path / "a.csv").write_bytes(b"h1;h2\r\n1;2\r\n\r\n3;4\r\n\r\n")
    (tmp_path / "b.xlsx").write_bytes(b"PK\x03\x04")
    assert synth.data_lines(tmp_path / "a.csv") == 2
    assert synth.data_lines(tmp_path / "b.xlsx") is None


def test_files_mode_without_extracts_says_what_to_do(tmp_path):
    with pytest.raises(StageError, match="holds no extract"):
        synthesize.run(Paths(tmp_path), files_params())
