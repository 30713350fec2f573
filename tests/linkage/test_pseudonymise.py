"""Keyed pseudonyms: stable, key-dependent, refused with the demo key on real data, never written."""

from __future__ import annotations

import pandas as pd
import pytest

from pact_analysis.errors import StageError
from pact_analysis.linkage import pseudonymise as ps

RECORDS = pd.DataFrame(
    {
        "source": ["sauss_persons", "rgc_members", "sauss_persons", "ngo_attention", "rgc_members"],
        "record_id": ["S2", "R1", "S1", "N1", "R2"],
        "cluster_id": ["a", "a", "b", "c", "b"],
        "doc_norm": ["01234567Z", "01234567Z", None, None, "X1234567L"],
    }
)
SYNTHETIC = {"data": {"source": "synthetic"}}
FILES = {"data": {"source": "files"}}


@pytest.fixture(autouse=True)
def _no_key_in_env(monkeypatch):
    monkeypatch.delenv(ps.KEY_ENV, raising=False)
    monkeypatch.delenv(ps.KEY_FILE_ENV, raising=False)


def test_same_input_same_keys_and_one_key_per_cluster():
    first = ps.assign_person_keys(RECORDS, b"k" * 32)
    second = ps.assign_person_keys(RECORDS.sample(frac=1, random_state=3), b"k" * 32)
    pd.testing.assert_frame_equal(first, second)
    assert first.groupby("cluster_id")["person_key"].nunique().eq(1).all()
    assert first["person_key"].nunique() == 3
    assert first["person_key"].str.fullmatch(r"[0-9a-f]{16}").all()


def test_different_key_gives_different_pseudonyms():
    a = ps.assign_person_keys(RECORDS, b"a" * 32).set_index(["source", "record_id"])["person_key"]
    b = ps.assign_person_keys(RECORDS, b"b" * 32).set_index(["source", "record_id"])["person_key"]
    assert (a != b).all()


def test_canonical_identity_prefers_document_then_smallest_record():
    canonical = ps.canonical_identities(RECORDS)
    assert canonical["a"] == "DOC|01234567Z"
    assert canonical["b"] == "DOC|X1234567L"
    assert canonical["c"] == "REC|ngo_attention|N1"


def test_shared_document_falls_back_to_record_for_the_second_cluster():
    records = RECORDS.assign(doc_norm=["D1", "D1", "D1", None, None])
    canonical = ps.canonical_identities(records)
    assert canonical["a"] == "DOC|D1"  # holds the smallest record (rgc_members|R1)
    assert canonical["b"] == "REC|rgc_members|R2"


def test_synthetic_without_key_uses_demo_key(caplog):
    with caplog.at_level("INFO"):
        assert ps.load_key(SYNTHETIC) == ps.DEMO_KEY
    assert "using the demo key (synthetic data only)" in caplog.text


def test_files_mode_refuses_missing_and_demo_key(monkeypatch):
    with pytest.raises(StageError, match="no pseudonymisation key"):
        ps.load_key(FILES)
    monkeypatch.setenv(ps.KEY_ENV, ps.DEMO_KEY.decode())
    with pytest.raises(StageError, match="demo"):
        ps.load_key(FILES)


def test_key_file_outside_project_is_read_and_inside_refused(monkeypatch, tmp_path):
    secret = tmp_path / "secret" / "key.txt"
    secret.parent.mkdir()
    secret.write_text("a-real-secret-of-enough-length\n")
    monkeypatch.setenv(ps.KEY_FILE_ENV, str(secret))
    assert ps.load_key(FILES, root=tmp_path / "project") == b"a-real-secret-of-enough-length"
    with pytest.raises(StageError, match="inside the project") as err:
        ps.load_key(FILES, root=tmp_path)
    assert "a-real-secret" not in str(err.value)


def test_key_never_appears_in_stage_outputs(tiny_linked):
    root, secret = tiny_linked
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        assert secret.encode() not in file.read_bytes(), file
