"""Parts of a stage run in a worker process give what they give in the stage: the helper, and the
three stages that use it (ingest, chronicity, alerts) on the tiny region with the worker forced on."""

from __future__ import annotations

import importlib
import logging
import os

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


def _fails() -> None:
    raise ValueError("row 3, column x: broken")


@needs_two_cores
def test_beside_runs_in_another_process_with_the_stage_log_format():
    pending = workers.beside(_pid_and_logged, "from the worker")
    pid, fmt, level = pending.result()
    assert pid != os.getpid()
    assert fmt == workers.LOG_FORMAT and level == logging.getLogger().getEffectiveLevel()


def test_a_part_not_worth_a_worker_runs_here_and_now():
    pid, _, _ = workers.beside(_pid_and_logged, "here", apart=False).result()
    assert pid == os.getpid()


@needs_two_cores
def test_an_error_in_the_worker_is_raised_by_result():
    pending = workers.beside(_fails)
    with pytest.raises(ValueError, match="row 3, column x"):
        pending.result()


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
