"""Real extracts end to end: the README's "Running on real extracts" steps through `dvc repro`.

A tiny synthetic region is generated, its CSVs are copied into ``data/extracts/`` of a git + DVC copy of
the project with ``data.source: files``, and the key lives in a file outside the project
(``PACT_PSEUDONYM_KEY_FILE``). One full run is shared (module fixture); each variant works on a copy of
it, so DVC re-runs only what the variant changes: a Spanish-Excel export, the required extracts only, a
bad row, no key, a new key.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pact_analysis import codebook, ingest, synth
from pact_analysis.linkage import prepare, pseudonymise
from pact_analysis.paths import ROOT, Paths
from tests.test_pipeline import _project_files, _write_params
from tests.tiny import tiny_params

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("files_mode")]

KEY = "files-mode test key: not a secret, only for this test"
NEW_KEY = "a second key, as after a key rotation"
REQUIRED = {codebook.sources()[s]["file"] for s in ingest.required_sources()}
ALL_FILES = {spec["file"] for spec in codebook.sources().values()}
HAS_KEY_STAGE = "key" in yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
needs_key_stage = pytest.mark.xfail(
    not HAS_KEY_STAGE,
    reason="needs the `key` DVC stage (metrics/key.json fingerprint as a dependency of link)",
    strict=False,
)


@dataclass
class Run:
    """One `dvc repro` of a project: its exit code and everything it printed."""

    project: Path
    returncode: int
    output: str

    def ran(self, stage: str) -> bool:
        """Whether DVC ran ``stage`` (rather than skipping it as cached)."""
        return f"Running stage '{stage}'" in self.output


def dvc_repro(project: Path, key_file: Path | None, *targets: str) -> Run:
    """Run `dvc repro [targets]` in ``project`` with only ``key_file`` as the pseudonymisation key (or none)."""
    unset = {"PACT_ROOT", pseudonymise.KEY_ENV, pseudonymise.KEY_FILE_ENV}
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env |= {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", "DVC_NO_ANALYTICS": "1"}
    if key_file is not None:
        env[pseudonymise.KEY_FILE_ENV] = str(key_file)
    result = subprocess.run(["dvc", "repro", *targets], cwd=project, env=env, capture_output=True, text=True)
    return Run(project, result.returncode, result.stdout + result.stderr)


def succeeded(run: Run) -> Run:
    assert run.returncode == 0, f"dvc repro failed:\n{run.output[-4000:]}"
    return run


def git(project: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=project, check=True)


def new_project(folder: Path, extracts: Path, files: set[str]) -> Path:
    """A git copy of the project (as `git clone` would give) with ``files`` in data/extracts."""
    project = folder / "project"
    for name in _project_files():
        if name == "dvc.lock" or name.startswith("metrics/"):
            continue
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, project / name)
    params = tiny_params()
    params["data"]["source"] = "files"
    _write_params(project, params)
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "clone")
    for name in files:
        shutil.copy2(extracts / name, project / "data" / "extracts" / name)
    return project


def copy_of(run: Run, folder: Path) -> Path:
    """A copy of a project after its run (outputs, dvc.lock and DVC cache included)."""
    return Path(shutil.copytree(run.project, folder / "project", symlinks=True))


def reports(project: Path, name: str) -> list[Path]:
    return sorted((project / "reports").glob(f"**/{name}"))


def metrics(project: Path, name: str) -> dict:
    return json.loads((project / "metrics" / name).read_text(encoding="utf-8"))


def clean_bytes(project: Path) -> dict[str, bytes]:
    return {
        p.name: p.read_bytes() for p in sorted((project / "data" / "interim" / "clean").glob("*.parquet"))
    }


@pytest.fixture(scope="session")  # session: xdist may interleave other modules; built once
def extracts(tmp_path_factory) -> Path:
    """The tiny region's extracts, as the generator writes them (the embedded SAUSS export format)."""
    folder = tmp_path_factory.mktemp("region")
    synth.generate(tiny_params(), folder / "raw", folder / "truth")
    return folder / "raw"


@pytest.fixture(scope="session")  # session: xdist may interleave other modules; built once
def key_file(tmp_path_factory) -> Path:
    """The key, in a file outside every project folder."""
    path = tmp_path_factory.mktemp("secure") / "pact.key"
    path.write_text(KEY + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")  # session: xdist may interleave other modules; built once
def files_run(tmp_path_factory, extracts, key_file) -> Run:
    """The README's steps: every extract in data/extracts, data.source: files, `dvc repro`."""
    project = new_project(tmp_path_factory.mktemp("files"), extracts, ALL_FILES)
    return succeeded(dvc_repro(project, key_file))


def test_the_readme_steps_end_with_reports(files_run):
    for name in ("00_overview.html", "01_record_linkage.html"):
        found = reports(files_run.project, name)
        assert found and all(p.stat().st_size > 10_000 for p in found), name
    assert reports(files_run.project, "index.html")
    assert not (files_run.project / "reports" / "STALE.txt").exists()


def test_synthesize_metrics_list_the_staged_extracts(files_run, extracts):
    staged = metrics(files_run.project, "synthesize.json")
    assert staged["source"] == "files"
    assert set(staged["staged"]) == ALL_FILES and staged["not_delivered"] == {}
    persons = pd.read_csv(extracts / "sauss_persons.csv", sep=";", dtype=str)
    assert staged["staged"]["sauss_persons.csv"]["data_lines"] == len(persons)
    assert persons["doc_number"].dropna().iloc[0] not in json.dumps(staged)


def test_processed_data_carry_person_keys_and_no_identity(files_run):
    processed = files_run.project / "data" / "processed"
    persons = pd.read_parquet(processed / "persons.parquet")
    assert persons["person_key"].str.fullmatch(r"[0-9a-f]{16}").all()
    for source in codebook.person_sources():
        table = pd.read_parquet(processed / f"{source}.parquet")
        assert "person_key" in table and table["person_key"].isin(persons["person_key"]).all(), source
        assert not set(codebook.pii_columns(source)) & set(table.columns), source
    assert metrics(files_run.project, "ingest.json")["sources_delivered"] == len(ALL_FILES)
    assert metrics(files_run.project, "linkage.json")["n_persons"] == len(persons)
    summary = json.loads(Paths(files_run.project).linkage_summary.read_text())
    assert "quality" not in summary and "precision" not in metrics(files_run.project, "linkage.json"), (
        "real data have no truth"
    )


def expected_person_keys(project: Path, key: bytes) -> pd.Series:
    """Recompute every record's person_key from the linked clusters and the clean documents."""
    crosswalk = pd.read_parquet(project / "data" / "interim" / "linkage" / "crosswalk.parquet")
    clean = project / "data" / "interim" / "clean"
    docs = pd.concat(
        [
            pd.read_parquet(clean / f"{s}.parquet", columns=["record_id", "doc_number"]).assign(source=s)
            for s in codebook.person_sources()
        ]
    )
    docs["doc_norm"] = prepare.normalise_document(docs["doc_number"])["doc_norm"]
    records = crosswalk.merge(docs, on=["source", "record_id"], how="left")
    canonical = pseudonymise.canonical_identities(records)
    keys = canonical.map(lambda message: pseudonymise.pseudonym(key, message))
    return crosswalk.set_index(["source", "record_id"])["cluster_id"].map(keys)


def test_person_keys_are_the_hmac_of_the_configured_key(files_run):
    crosswalk = pd.read_parquet(files_run.project / "data" / "interim" / "linkage" / "crosswalk.parquet")
    expected = expected_person_keys(files_run.project, KEY.encode())
    assert crosswalk.set_index(["source", "record_id"])["person_key"].equals(expected.rename("person_key"))


def test_a_spanish_excel_export_reads_the_same(files_run, tmp_path, key_file):
    """`;`, decimal comma, dd/mm/yyyy, Latin-1 and CRLF: the same clean data, so link stays cached."""
    project = copy_of(files_run, tmp_path)
    for path in (project / "data" / "extracts").glob("*.csv"):
        text = path.read_text(encoding="utf-8")
        path.write_bytes(text.replace("\n", "\r\n").encode("latin-1"))
    spells = (project / "data" / "extracts" / "rgc_spells.csv").read_bytes()
    assert re.search(rb"^spell_id;file_id;", spells) and re.search(rb";\d{2}/\d{2}/\d{4};", spells)
    assert re.search(rb";\d+,\d{1,2};", spells), "no decimal comma in the amounts"
    with pytest.raises(UnicodeDecodeError):
        (project / "data" / "extracts" / "sauss_persons.csv").read_bytes().decode("utf-8")
    run = succeeded(dvc_repro(project, key_file))
    assert run.ran("ingest") and not run.ran("link")
    assert ingest.read_delivery(Paths(project))["sauss_persons"]["encoding"] == "cp1252"
    assert clean_bytes(project) == clean_bytes(files_run.project)


def test_required_extracts_only(files_run, tmp_path, key_file):
    project = copy_of(files_run, tmp_path)
    for name in ALL_FILES - REQUIRED:
        (project / "data" / "extracts" / name).unlink()
    # the reports whose content depends on which extracts came (sizes, linkage, the pilot's page and
    # the spending scenario's assumed effect), and every stage they need; the full README run with
    # every extract renders all reports (files_run)
    targets = ("report_overview", "report_linkage", "report_pilot_evaluation", "report_spending")
    run = succeeded(dvc_repro(project, key_file, *targets))
    assert run.ran("link") and run.ran("report_overview") and run.ran("spending")
    n = len(REQUIRED)
    assert f"{n} of {len(ALL_FILES)} sources delivered; not delivered: " in run.output
    ingested = metrics(project, "ingest.json")
    assert ingested["sources_delivered"] == n
    assert ingest.read_delivery(Paths(project))["ngo_attention"] == {
        "file": "ngo_attention.csv",
        "delivered": False,
        "rows": None,
    }
    assert set(metrics(project, "synthesize.json")["not_delivered"]) == ALL_FILES - REQUIRED
    assert not ingest.delivered(Paths(project))["pilot_assignment"]
    for name in ("00_overview.html", "01_record_linkage.html"):
        assert reports(project, name), name
    assert pd.read_parquet(project / "data" / "processed" / "ngo_attention.parquet").empty
    # no pilot extracts: the pilot report says which are missing, the spending scenario says it assumed
    missing = ["pilot_assignment.csv", "mdtse_assessments.csv"]  # in the order of pilot.REQUIRED_EXTRACTS
    assert metrics(project, "pilot.json") == {"available": False, "not_delivered": missing}
    assert all(
        missing[0] in page.read_text(encoding="utf-8")
        for page in reports(project, "05_pilot_evaluation.html")
    )
    assert metrics(project, "spending.json")["effect"]["source"] == "default"


def test_one_bad_row_stops_ingest_with_one_message_and_marks_the_reports_stale(files_run, tmp_path, key_file):
    project = copy_of(files_run, tmp_path)
    path = project / "data" / "extracts" / "rgc_spells.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    column = lines[0].split(";").index("household_size")
    fields = lines[2].split(";")  # spreadsheet row 3
    fields[column] = "tres"
    lines[2] = ";".join(fields)
    path.write_text("\n".join(lines), encoding="utf-8")
    run = dvc_repro(project, key_file)
    assert run.returncode != 0
    message = (
        "pact-analysis ingest: data/extracts/rgc_spells.csv: row 3, column household_size: "
        "'tres' is not a whole number"
    )
    assert [line for line in run.output.splitlines() if line.startswith("pact-analysis ")] == [message]
    assert not run.ran("link")
    clean = project / "data" / "interim" / "clean"
    assert not clean.exists() or not any(clean.iterdir()), "ingest wrote clean output for a bad extract"
    stale = (project / "reports" / "STALE.txt").read_text(encoding="utf-8")
    assert stale.startswith("The reports in this folder are from an earlier run; stage ingest failed at ")
    assert "rgc_spells.csv: row 3, column household_size" in stale
    assert reports(project, "00_overview.html"), "the previous reports should stay, marked stale"
    assert all(
        'class="stale-banner"' in p.read_text(encoding="utf-8") for p in reports(project, "index.html")
    )


def test_no_key_fails_with_the_clear_message(tmp_path, extracts):
    project = new_project(tmp_path, extracts, REQUIRED)
    run = dvc_repro(project, key_file=None)
    assert run.returncode != 0
    assert f"no pseudonymisation key: set {pseudonymise.KEY_ENV} or {pseudonymise.KEY_FILE_ENV}" in run.output
    assert not (project / "data" / "processed").exists()
    assert re.search(r"stage (key|link) failed", (project / "reports" / "STALE.txt").read_text())


@needs_key_stage
def test_no_key_fails_even_when_link_is_cached(files_run, tmp_path):
    project = copy_of(files_run, tmp_path)
    run = dvc_repro(project, key_file=None)
    assert run.returncode != 0
    assert f"no pseudonymisation key: set {pseudonymise.KEY_ENV}" in run.output


@needs_key_stage
def test_a_changed_key_re_pseudonymises(files_run, tmp_path):
    project = copy_of(files_run, tmp_path / "copy")
    new_key = tmp_path / "secure" / "pact.key"
    new_key.parent.mkdir()
    new_key.write_text(NEW_KEY + "\n", encoding="utf-8")
    run = succeeded(dvc_repro(project, new_key, "link"))  # the reports follow link (test_pipeline.py)
    assert run.ran("link")
    crosswalk = pd.read_parquet(project / "data" / "interim" / "linkage" / "crosswalk.parquet")
    expected = expected_person_keys(project, NEW_KEY.encode())
    assert crosswalk.set_index(["source", "record_id"])["person_key"].equals(expected.rename("person_key"))
    old = pd.read_parquet(files_run.project / "data" / "processed" / "persons.parquet")["person_key"]
    new = pd.read_parquet(project / "data" / "processed" / "persons.parquet")["person_key"]
    assert len(new) == len(old) and not set(new) & set(old)
