"""The key stage: a non-secret fingerprint of the key in metrics/key.json, so a new key re-runs link.

Issue 8: after a key rotation, the published ``person_key``s must be those of the new key (checked
by recomputing one HMAC by hand), a run never mixes keys, a missing key for real data fails even
when ``link`` would be skipped, and the key never reaches a file or a log.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pact_analysis import codebook, linkage
from pact_analysis.__main__ import main
from pact_analysis.errors import StageError
from pact_analysis.linkage import key_stage, prepare
from pact_analysis.linkage import pseudonymise as ps
from pact_analysis.params import load_params
from pact_analysis.paths import ROOT, Paths
from pact_analysis.stages import key as stages_key
from pact_analysis.stages import link as stages_link
from tests.linkage.conftest import linkable_copy

NEW_KEY = "rotated-key-2025-0123456789abcdef"
OTHER_KEY = "another-key-2026-fedcba9876543210"
SYNTHETIC = {"data": {"source": "synthetic"}}
FILES = {"data": {"source": "files"}}
#: Fingerprint of the demo key, frozen: a change of label or length would re-run every project's link.
DEMO_FINGERPRINT = "bfd15c50288f8983"


@pytest.fixture(autouse=True)
def _no_key_in_env(monkeypatch):
    monkeypatch.delenv(ps.KEY_ENV, raising=False)
    monkeypatch.delenv(ps.KEY_FILE_ENV, raising=False)


def _hmac16(key: str, message: str) -> str:
    """HMAC-SHA256 truncated to 16 hex characters, computed here independently of the package."""
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()[:16]


def _read_key_json(paths: Paths) -> dict:
    return json.loads((paths.metrics / "key.json").read_text(encoding="utf-8"))


def test_fingerprint_is_an_hmac_of_a_fixed_label_never_a_hash_of_the_key():
    fingerprint = ps.key_fingerprint(NEW_KEY.encode())
    assert re.fullmatch(r"[0-9a-f]{16}", fingerprint)
    assert fingerprint == _hmac16(NEW_KEY, "pact-analysis key fingerprint v1")
    assert fingerprint != ps.key_fingerprint(OTHER_KEY.encode())
    assert fingerprint not in hashlib.sha256(NEW_KEY.encode()).hexdigest()
    assert fingerprint not in NEW_KEY.encode().hex()


def test_key_stage_records_fingerprint_and_origin_only(tmp_path, monkeypatch, caplog):
    paths = Paths(tmp_path / "project")
    with caplog.at_level(logging.INFO):
        stages_key.run(paths, SYNTHETIC)
        assert _read_key_json(paths) == {"key_fingerprint": DEMO_FINGERPRINT, "key_origin": "demo"}

        monkeypatch.setenv(ps.KEY_ENV, NEW_KEY)
        stages_key.run(paths, FILES)
        from_env = _read_key_json(paths)
        assert from_env == {
            "key_fingerprint": ps.key_fingerprint(NEW_KEY.encode()),
            "key_origin": "environment",
        }

        key_file = tmp_path / "secret" / "pact.key"
        key_file.parent.mkdir()
        key_file.write_text(NEW_KEY + "\n")
        monkeypatch.delenv(ps.KEY_ENV)
        monkeypatch.setenv(ps.KEY_FILE_ENV, str(key_file))
        stages_key.run(paths, FILES)
        assert _read_key_json(paths) == {**from_env, "key_origin": "file"}  # same key, same fingerprint
    text = (paths.metrics / "key.json").read_text()
    assert NEW_KEY not in text and str(key_file) not in text
    assert NEW_KEY not in caplog.text and from_env["key_fingerprint"] in caplog.text


def test_missing_key_for_real_data_fails_at_the_key_stage(tmp_path, capsys):
    root = tmp_path / "project"
    root.mkdir()
    params = load_params(ROOT / "params.yaml")
    params["data"]["source"] = "files"
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    assert main(["key", "--root", str(root)]) == 2
    assert "no pseudonymisation key: set PACT_PSEUDONYM_KEY" in capsys.readouterr().err
    assert not (root / "metrics" / "key.json").exists()


def test_link_refuses_a_key_other_than_the_recorded_one(tmp_path, monkeypatch):
    paths = Paths(tmp_path / "project")
    monkeypatch.setenv(ps.KEY_ENV, NEW_KEY)
    stages_key.run(paths, FILES)
    key_stage.check_key(paths, NEW_KEY.encode())  # the recorded key passes
    monkeypatch.setenv(ps.KEY_ENV, OTHER_KEY)
    params = load_params(ROOT / "params.yaml") | {
        "data": {"source": "files", "extraction_date": "2018-10-31"}
    }
    with pytest.raises(StageError, match="key changed since the key stage ran") as err:
        stages_link.run(paths, params)  # refused before reading any data
    assert NEW_KEY not in str(err.value) and OTHER_KEY not in str(err.value)


def _single_document_record(crosswalk: pd.DataFrame, clean: Path) -> tuple[pd.Series, str]:
    """A person record whose cluster has one document shared by no other cluster, and that document.

    Its ``person_key`` must be ``HMAC(key, "DOC|" + document)`` (see ``canonical_identities``).
    """
    docs = []
    for source in codebook.person_sources():
        df = pd.read_parquet(clean / f"{source}.parquet", columns=["record_id", "doc_number"])
        norm = prepare.normalise_document(df["doc_number"])["doc_norm"]
        docs.append(pd.DataFrame({"source": source, "record_id": df["record_id"], "doc_norm": norm}))
    records = crosswalk.merge(pd.concat(docs, ignore_index=True), on=["source", "record_id"])
    per_cluster = records.groupby("cluster_id")["doc_norm"].agg(["nunique", "count", "size"])
    clean_clusters = per_cluster[
        (per_cluster["nunique"] == 1) & (per_cluster["count"] == per_cluster["size"])
    ]
    clusters_per_doc = records.groupby("doc_norm")["cluster_id"].nunique()
    candidates = records[
        records["cluster_id"].isin(clean_clusters.index)
        & records["doc_norm"].map(clusters_per_doc).eq(1)
        & (records["cluster_size"] > 1)
    ]
    record = candidates.sort_values(["source", "record_id"]).iloc[0]
    return record, record["doc_norm"]


@pytest.fixture(scope="module")
def rotated(tiny_project, tmp_path_factory):
    """The tiny region re-linked with a new key, as real data, labelled review included; and the logs."""
    paths = linkable_copy(tiny_project, tmp_path_factory.mktemp("rotated") / "project", "files")
    _label_review_from_truth(tiny_project, paths)
    log_text = io.StringIO()
    handler = logging.StreamHandler(log_text)
    logger = logging.getLogger("pact_analysis")
    level = logger.level
    logger.setLevel(logging.DEBUG)
    logging.getLogger().addHandler(handler)
    mp = pytest.MonkeyPatch()
    mp.delenv(ps.KEY_FILE_ENV, raising=False)
    mp.setenv(ps.KEY_ENV, NEW_KEY)
    try:
        params = load_params(paths.params)
        stages_key.run(paths, params)
        stages_link.run(paths, params)
    finally:
        mp.undo()
        logging.getLogger().removeHandler(handler)
        logger.setLevel(level)
    return paths, log_text.getvalue()


@pytest.mark.xdist_group("tiny_region")
class TestRotatedKey:
    """The tiny region re-linked with a new key, as real data (``data.source: files``)."""

    def test_new_key_new_fingerprint_and_new_pseudonyms(self, rotated, tiny_project):
        paths, _ = rotated
        assert _read_key_json(paths)["key_fingerprint"] == _hmac16(
            NEW_KEY, "pact-analysis key fingerprint v1"
        )
        assert _read_key_json(paths)["key_fingerprint"] != DEMO_FINGERPRINT
        before = pd.read_parquet(tiny_project.interim / "linkage" / "crosswalk.parquet")
        after = pd.read_parquet(paths.interim / "linkage" / "crosswalk.parquet")
        both = before.merge(after, on=["source", "record_id"], suffixes=("_old", "_new"))
        assert len(both) == len(before) == len(after)
        assert (both["cluster_id_old"] == both["cluster_id_new"]).all()  # same persons...
        assert not (both["person_key_old"] == both["person_key_new"]).any()  # ...under new pseudonyms

    def test_one_person_key_recomputed_by_hand_with_the_new_key(self, rotated, tiny_project):
        paths, _ = rotated
        crosswalk = pd.read_parquet(paths.interim / "linkage" / "crosswalk.parquet")
        record, document = _single_document_record(crosswalk, paths.clean)
        assert record["person_key"] == _hmac16(NEW_KEY, f"DOC|{document}")
        persons = pd.read_parquet(paths.processed / "persons.parquet")["person_key"]
        assert _hmac16(NEW_KEY, f"DOC|{document}") in set(persons)
        old = pd.read_parquet(tiny_project.processed / "persons.parquet")["person_key"]
        assert _hmac16(ps.DEMO_KEY.decode(), f"DOC|{document}") in set(old)

    def test_the_key_is_in_no_file_and_no_log(self, rotated):
        paths, log_text = rotated
        assert "fingerprint" in log_text and "linked" in log_text  # the logs were captured
        assert NEW_KEY not in log_text
        for file in sorted(p for p in paths.root.rglob("*") if p.is_file()):
            assert NEW_KEY.encode() not in file.read_bytes(), file

    def test_real_data_metrics_keep_the_baseline_and_the_clerical_review(self, rotated, tiny_project):
        paths, _ = rotated
        metrics = json.loads(paths.linkage_summary.read_text())
        synthetic = json.loads(tiny_project.linkage_summary.read_text())
        headline = json.loads((paths.metrics / "linkage.json").read_text())
        assert "quality" not in metrics and "true_persons" not in metrics
        assert "precision" not in headline and headline["n_persons"] == metrics["n_persons"]
        assert metrics["deterministic_n_persons"] == synthetic["quality"]["deterministic"]["n_persons"]
        assert synthetic["deterministic_n_persons"] == metrics["deterministic_n_persons"]
        assert metrics["deterministic_n_persons"] > metrics["n_persons"]  # exact matching splits persons
        labelled = pd.read_csv(paths.review / linkage.LABELLED_REVIEW)
        linked = labelled[labelled["match_probability"] >= metrics["threshold"]]
        review = metrics["clerical_review"]
        assert review["labelled_pairs"] == len(labelled) > 0
        assert review["linked_pairs"] == len(linked) > 0
        assert review["precision"] == pytest.approx(linked["label"].mean())
        assert review["ci_lower"] < review["precision"] <= review["ci_upper"] <= 1.0


def _label_review_from_truth(project: Paths, target: Paths) -> None:
    """Fill the clerical review's labels from the synthetic truth, as a perfect reviewer would."""
    sample = pd.read_csv(project.interim / "linkage" / "clerical_review.csv", dtype={"label": "string"})
    truth = pd.read_parquet(project.truth / "records.parquet").set_index(["source", "record_id"])["person_id"]
    left = truth.reindex(pd.MultiIndex.from_frame(sample[["source_l", "record_id_l"]])).to_numpy()
    right = truth.reindex(pd.MultiIndex.from_frame(sample[["source_r", "record_id_r"]])).to_numpy()
    sample["label"] = (left == right).astype(int)
    folder = target.root / "data" / "review"
    folder.mkdir(parents=True)
    sample.to_csv(folder / linkage.LABELLED_REVIEW, index=False)


# --- through DVC -----------------------------------------------------------------------------------


def _dvc_project(root: Path, project: Paths) -> Path:
    """A git + DVC project whose pipeline is the real ``key`` and ``link`` stages of ``dvc.yaml``,
    on the clean tables and truth of ``project`` (plain files here: upstream stages are not re-run)."""
    from tests.test_pipeline import _project_files, _run

    wanted = (".dvc/", ".dvcignore", "pact_analysis/", "data/review/")
    for name in (f for f in _project_files() if f.startswith(wanted)):
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((ROOT / name).read_bytes())
    pipeline = yaml.safe_load((ROOT / "dvc.yaml").read_text())
    stages = {name: pipeline["stages"][name] for name in ("key", "link")}
    (root / "dvc.yaml").write_text(yaml.safe_dump({"stages": stages}, sort_keys=False))
    linkable_copy(project, root)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    _run(["git", "init", "-q"], root)
    _run([*git, "add", "-A"], root)
    _run([*git, "commit", "-qm", "tiny"], root)
    return root


def _dvc(args: list[str], project: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PACT_ROOT"} | {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "DVC_NO_ANALYTICS": "1",
    }
    return subprocess.run(["dvc", *args], cwd=project, env=env, capture_output=True, text=True)


@pytest.mark.slow
@pytest.mark.xdist_group("dvc")
def test_dvc_reruns_link_with_a_new_key_and_fails_without_one(tiny_project, tmp_path, monkeypatch):
    project = _dvc_project(tmp_path / "project", tiny_project)
    paths = Paths(project)
    monkeypatch.setenv(ps.KEY_ENV, NEW_KEY)
    first = _dvc(["repro", "link"], project)
    assert first.returncode == 0, first.stderr[-3000:]

    same_key = _dvc(["repro", "link"], project)
    assert "Running stage 'key'" in same_key.stdout  # always runs...
    assert "Running stage 'link'" not in same_key.stdout  # ...but the same key leaves link cached

    monkeypatch.setenv(ps.KEY_ENV, OTHER_KEY)
    rotated = _dvc(["repro", "link"], project)
    assert rotated.returncode == 0, rotated.stderr[-3000:]
    assert "Running stage 'link'" in rotated.stdout
    assert _read_key_json(paths)["key_fingerprint"] == _hmac16(OTHER_KEY, "pact-analysis key fingerprint v1")
    crosswalk = pd.read_parquet(paths.interim / "linkage" / "crosswalk.parquet")
    record, document = _single_document_record(crosswalk, paths.clean)
    assert record["person_key"] == _hmac16(OTHER_KEY, f"DOC|{document}")
    lock = yaml.safe_load((project / "dvc.lock").read_text())
    assert "metrics/key.json" in {dep["path"] for dep in lock["stages"]["link"]["deps"]}

    monkeypatch.delenv(ps.KEY_ENV)
    monkeypatch.setenv(ps.KEY_FILE_ENV, str(tmp_path / "lost" / "pact.key"))
    missing = _dvc(["repro", "link"], project)
    assert missing.returncode != 0
    assert "no key file at" in missing.stderr + missing.stdout
    assert "Running stage 'link'" not in missing.stdout
    for output in (first, same_key, rotated, missing):
        assert NEW_KEY not in output.stdout + output.stderr
        assert OTHER_KEY not in output.stdout + output.stderr
