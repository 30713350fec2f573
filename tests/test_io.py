"""Tests of atomic outputs: a failed or killed write never leaves a half-written output."""

from __future__ import annotations

import json

import pytest

from pact_analysis.io import atomic_dir, atomic_file, write_json


def test_atomic_dir_replaces_the_target_only_on_success(tmp_path):
    target = tmp_path / "out"
    with atomic_dir(target) as tmp:
        (tmp / "a.txt").write_text("first")
    assert (target / "a.txt").read_text() == "first"
    with pytest.raises(RuntimeError), atomic_dir(target) as tmp:
        (tmp / "a.txt").write_text("second, half written")
        raise RuntimeError("boom")
    assert (target / "a.txt").read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_atomic_file_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "m.json"
    write_json(target, {"b": 1, "a": 2})
    assert target.read_text() == '{\n  "a": 2,\n  "b": 1\n}\n'
    with pytest.raises(ValueError), atomic_file(target) as fh:
        fh.write("{ broken")
        raise ValueError("boom")
    assert json.loads(target.read_text()) == {"a": 2, "b": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json"]


def test_temporaries_of_a_killed_run_are_swept(tmp_path):
    target = tmp_path / "out"
    (tmp_path / ".out.abc123").mkdir()  # what a SIGKILL during atomic_dir leaves behind
    (tmp_path / ".out.abc123" / "partial").write_text("x")
    (tmp_path / ".out.old").mkdir()
    with atomic_dir(target) as tmp:
        (tmp / "a").write_text("ok")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
