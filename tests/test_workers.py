"""Parts of a stage run in a worker process give what they give in the stage: the helper, and the
three stages that use it (ingest, chronicity, alerts) on the tiny region with the worker forced on."""

from __future__ import annotations

import importlib
import logging
import os
import time
from pathlib import Path

import pandas as pd
import pytest

from pact_analysis import alerts as al
from pact_analysis import workers
from pact_analysis.alerts import scoring
from pact_analysis.chronicity import results as chronicity_results
from pact_analysis.params import load_params
from tests.tiny import scoring_params

pytestmark = pytest.mark.xdist_group("tiny_region")

#: the module (the package exports a function of the same name)
delivery = importlib.import_module("pact_analysis.ingest.delivery")

needs_two_cores = pytest.mark.skipif(workers.WORKERS < 2, reason="one core: every part runs in the stage")


def _pid_and_logged(message: str) -> tuple[int, str, int]:
    logging.getLogger("pact_analysis.test").info(message)
    root = logging.getLogger()
    return os.getpid(), root.handlers[0].formatter._fmt, root.getEffectiveLevel()


@needs_two_cores
def test_beside_runs_in_another_process_with_the_stage_log_format():
    pending = workers.beside(_pid_and_logged, "from the worker")
    pid, fmt, level = pending.result()
    assert pid != os.getpid()
    assert fmt == workers.LOG_FORMAT and level == logging.getLogger().getEffectiveLevel()


def test_a_part_not_worth_a_worker_runs_here_and_now():
    pid, _, _ = workers.beside(_pid_and_logged, "here", apart=False).result()
    assert pid == os.getpid()


class _NeedsTwo(Exception):
    def __init__(self, file: str, row: int) -> None:
        super().__init__(f"{file}, row {row}")


def _fails(kind: str = "plain") -> None:
    if kind == "two":
        raise _NeedsTwo("x.csv", 3)
    raise ValueError("row 3, column x: broken")


def _first(values: list) -> object:
    return values[0]


@pytest.mark.parametrize("apart", [True, False])
def test_an_error_of_the_part_is_raised_by_result_not_at_the_start(apart):
    pending = workers.beside(_fails, apart=apart)  # in a worker or here: no error yet
    with pytest.raises(ValueError, match="row 3, column x"):
        pending.result()


@needs_two_cores
def test_an_error_that_cannot_be_rebuilt_keeps_its_type_and_message():
    with pytest.raises(RuntimeError, match=r"_NeedsTwo: x\.csv, row 3"):
        workers.beside(_fails, "two").result()


@needs_two_cores
def test_the_arguments_are_copied_when_the_part_starts():
    values = [1]
    with workers.beside(_first, values) as pending:
        values[0] = 2  # what the stage does next does not reach the part
        assert pending.result() == 1


def _sleep_after_saying_pid(path: str, seconds: float) -> None:
    Path(path).write_text(str(os.getpid()))
    time.sleep(seconds)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z" if Path(f"/proc/{pid}").exists() else True


@needs_two_cores
def test_a_stage_that_fails_meanwhile_stops_its_worker_at_once(tmp_path):
    said = tmp_path / "pid"
    with pytest.raises(KeyError), workers.beside(_sleep_after_saying_pid, str(said), 60):
        while not said.exists() or not said.read_text():
            time.sleep(0.05)
        pid = int(said.read_text())
        raise KeyError("the survival model failed")
    deadline = time.perf_counter() + 10
    while _alive(pid) and time.perf_counter() < deadline:
        time.sleep(0.1)
    assert not _alive(pid), "the worker outlived the stage's error"


@pytest.mark.parametrize("forced", [False, True])
def test_check_names_the_unreadable_identities_with_or_without_a_worker(tmp_path, monkeypatch, forced):
    from pact_analysis import codebook
    from pact_analysis.errors import StageError
    from pact_analysis.paths import Paths
    from pact_analysis.stages import check

    paths = Paths(tmp_path)
    paths.raw.mkdir(parents=True)
    paths.reports.mkdir(parents=True)
    source = codebook.person_sources()[0]
    (paths.raw / codebook.sources()[source]["file"]).write_bytes(b"")  # an empty person extract
    if forced:
        monkeypatch.setattr(check, "APART_FROM_BYTES", 0)
    with pytest.raises(StageError, match="cannot read the identities to look for"):
        check.run(paths, {"disclosure": {"min_cell": 10}})


def _frames_identical(a: dict, b: dict) -> None:
    assert list(a) == list(b)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True)


@needs_two_cores
def test_ingest_reads_the_largest_extract_in_a_worker_to_the_same_frames(tiny_project, monkeypatch):
    params = load_params(tiny_project.params)
    day = params["data"]["extraction_date"]
    here = delivery.read_folder(tiny_project.raw, day)
    monkeypatch.setattr(delivery, "APART_FROM_BYTES", 0)
    apart = delivery.read_folder(tiny_project.raw, day)
    _frames_identical(here.frames, apart.frames)
    assert here.info == apart.info and here.failures == apart.failures
    assert here.notices == apart.notices and here.documents == apart.documents


@needs_two_cores
def test_chronicity_fits_the_predictive_model_in_a_worker_to_the_same_results(tiny_project, monkeypatch):
    from pact_analysis import chronicity as ch

    params = load_params(tiny_project.params)
    tables = ch.load_tables(tiny_project.processed)
    monkeypatch.setattr(chronicity_results, "APART_FROM_SPELLS", 10**9)
    here_tables, here_values = ch.analyse(tables, params, truth=tiny_project.truth)
    monkeypatch.setattr(chronicity_results, "APART_FROM_SPELLS", 0)
    apart_tables, apart_values = ch.analyse(tables, params, truth=tiny_project.truth)
    _frames_identical(here_tables, apart_tables)
    assert list(here_values) == list(apart_values)
    assert pd.Series(here_values, dtype=object).to_json() == pd.Series(apart_values, dtype=object).to_json()


@needs_two_cores
def test_alerts_bootstrap_half_in_a_worker_gives_the_same_intervals(tiny_project, monkeypatch):
    params = scoring_params(load_params(tiny_project.params))
    params.setdefault("alerts", {})["bootstrap"] = 6
    monkeypatch.setattr(scoring, "APART_FROM_ROWS", 10**9)
    here = al.score(tiny_project.processed, params)["scores"]
    monkeypatch.setattr(scoring, "APART_FROM_ROWS", 0)
    apart = al.score(tiny_project.processed, params)["scores"]
    assert here["risk_lower"].notna().all()
    pd.testing.assert_frame_equal(here, apart, check_exact=True)


def test_an_extract_error_reaches_the_stage_whole_from_a_worker():
    import pickle

    from pact_analysis.errors import ExtractError

    err = pickle.loads(pickle.dumps(ExtractError("rgc_spells.csv", ["row 3, column start_date: blank"])))
    assert err.file == "rgc_spells.csv" and err.problems == ["row 3, column start_date: blank"]
    assert str(err) == "rgc_spells.csv: row 3, column start_date: blank"


@needs_two_cores
def test_check_reads_the_same_identities_in_a_worker(tiny_project):
    from pact_analysis.disclosure import collect_identities

    here = collect_identities(tiny_project.raw)
    apart = workers.beside(collect_identities, tiny_project.raw).result()
    assert here.documents and here == apart


def test_check_says_the_identities_cannot_be_read_before_a_broken_table(tmp_path, monkeypatch):
    from pact_analysis import codebook
    from pact_analysis.errors import StageError
    from pact_analysis.paths import Paths
    from pact_analysis.stages import check

    paths = Paths(tmp_path)
    paths.raw.mkdir(parents=True)
    paths.reports.mkdir(parents=True)
    (paths.raw / codebook.sources()[codebook.person_sources()[0]]["file"]).write_bytes(b"")

    def broken(*_args, **_kwargs):
        raise ValueError("a table's sidecar is not JSON")

    monkeypatch.setattr(check, "check_tables", broken)
    with pytest.raises(StageError, match="cannot read the identities to look for"):
        check.run(paths, {"disclosure": {"min_cell": 10}})


@needs_two_cores
def test_pilot_imputations_half_in_a_worker_give_the_same_evaluation(tiny_project, monkeypatch):
    """The imputations split between the stage and a worker are the analyses of one imputed_estimates
    call over every seed, in the seeds' order, and the whole evaluation is the same either way."""
    from pact_analysis import pilot
    from pact_analysis.pilot import analysis as pilot_analysis
    from pact_analysis.pilot import effects

    params = load_params(tiny_project.params)
    params["evaluation"]["imputations"] = 5
    tables = pilot.read_processed(tiny_project.processed)
    pooled = []
    monkeypatch.setattr(
        pilot_analysis,
        "pooled_imputations",
        lambda analyses: pooled.append(analyses) or effects.pooled_imputations(analyses),
    )
    monkeypatch.setattr(pilot_analysis, "APART_FROM_IMPUTED_ROWS", 10**9)
    here = pilot_analysis.evaluate(tables, params)
    monkeypatch.setattr(pilot_analysis, "APART_FROM_IMPUTED_ROWS", 0)
    apart = pilot_analysis.evaluate(tables, params)
    covs = list(pilot.data.MATCH_COVARIATES)
    args = (
        here["people"],
        "treated",
        "change_living",
        [*covs, "baseline_living"],
        ["baseline_living"],
        "ceas_code",
    )
    seeds = effects.imputation_seeds(5, int(params["seed"]))
    whole = effects.imputed_estimates(*args, seeds)
    assert len({a[0] for a in whole}) == 5, "the imputations differ, so their order shows"
    assert pd.Series(pooled[0]).to_json() == pd.Series(whole).to_json() == pd.Series(pooled[1]).to_json()
    assert (
        here["imputed"]
        == apart["imputed"]
        == pilot.imputed_effect(*args[:5], cluster="ceas_code", m=5, seed=int(params["seed"]))
    )
    assert (
        pd.Series(here, dtype=object).drop("people").to_json()
        == pd.Series(apart, dtype=object).drop("people").to_json()
    )
