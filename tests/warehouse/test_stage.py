"""The ``warehouse`` stage end to end on the tiny region, run by the command line."""

from __future__ import annotations

import json
import shutil

import duckdb
import pandas as pd
import pytest
import yaml

from pact_analysis import disclosure, warehouse
from pact_analysis.__main__ import main
from pact_analysis.params import load_params
from pact_analysis.paths import Paths

pytestmark = pytest.mark.xdist_group("tiny_region")


@pytest.fixture(scope="module")
def stage(tiny_project, tmp_path_factory) -> Paths:
    """The warehouse stage run by the command line on a copy of the tiny project's processed data."""
    root = tmp_path_factory.mktemp("warehouse") / "project"
    paths = Paths(root)
    shutil.copytree(tiny_project.processed, paths.processed)
    params = load_params(tiny_project.params)
    params["warehouse"] = load_params()["warehouse"]
    paths.params.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    assert main(["warehouse", "--root", str(root)]) == 0
    return paths


def test_stage_row_counts_match_processed(stage):
    processed = {
        "dim_person": "persons",
        "indicators": "persons",
        "fact_benefit_spell": "rgc_spells",
        "fact_provision": "sauss_interventions",
        "fact_employment_episode": "employment_episodes",
        "fact_ngo_attention": "ngo_attention",
        "fact_mdtse_assessment": "mdtse_assessments",
        "dim_territory": "ceas",
    }
    with duckdb.connect(str(stage.warehouse_db), read_only=True) as con:
        for table_name, source in processed.items():
            n = con.execute(f"SELECT COUNT(*) FROM {table_name}").fetchall()[0][0]
            assert n == len(pd.read_parquet(stage.processed / f"{source}.parquet")), table_name
            assert len(pd.read_parquet(stage.warehouse_parquet / f"{table_name}.parquet")) == n
        by_situation = dict(
            con.execute("SELECT situation_code, COUNT(*) FROM person_risk GROUP BY 1").fetchall()
        )
        with_ceas = dict(
            con.execute(
                "SELECT situation_code, COUNT(*) FROM person_risk r JOIN indicators i USING (person_key) "
                "WHERE i.ceas_code IS NOT NULL GROUP BY 1"
            ).fetchall()
        )
        per_ceas = dict(
            con.execute("SELECT situation_code, SUM(n_persons) FROM risk_by_ceas GROUP BY 1").fetchall()
        )
    assert all(by_situation.get(code, 0) > 0 for code in ("LONG_RGC", "NO_WORK_24M", "NGO_ONLY"))
    assert {k: v for k, v in per_ceas.items() if v} == with_ceas


def test_stage_writes_no_direct_identifier(stage, tiny_project):
    with duckdb.connect(str(stage.warehouse_db), read_only=True) as con:
        names = con.execute("SELECT table_name, column_name FROM information_schema.columns").fetchall()
    assert len(names) > 100
    assert not [n for n in names if disclosure.identifier_column(n[1])]
    found = disclosure.scan_for_pii([stage.warehouse], disclosure.collect_identities(tiny_project.raw))
    assert found["findings"] == []
    assert any(name.endswith("pact.duckdb") for name in found["scanned"])


def test_stage_writes_a_list_per_ceas(stage):
    files = sorted((stage.warehouse_lists).glob("*.csv"))
    lists = pd.concat([pd.read_csv(f, dtype=str) for f in files], ignore_index=True)
    persons = set(pd.read_parquet(stage.processed / "persons.parquet")["person_key"])
    assert set(lists["person_key"]) <= persons
    assert set(lists["list"]) == {"risk_situation", "community_action"}
    assert lists["reason_es"].notna().all()
    named = lists["ceas_code"].dropna().unique()
    assert {f"{c}.csv" for c in named} <= {f.name for f in files}


def test_stage_metrics_are_the_headline_and_the_summary_holds_the_detail(stage):
    metrics = json.loads(stage.metric("warehouse").read_text(encoding="utf-8"))
    summary = json.loads((stage.warehouse_parquet / warehouse.SUMMARY_FILE).read_text(encoding="utf-8"))
    assert len(metrics) <= 6
    assert metrics == warehouse.headline_metrics(summary)
    persons = pd.read_parquet(stage.processed / "persons.parquet")
    assert metrics["persons"] == summary["rows"]["dim_person"] == len(persons)
    assert metrics["risk_situations_flagged"] == summary["rows"]["person_risk"] > 0
    facts = [t.name for t in warehouse.tables() if t.kind == "fact"]
    assert metrics["fact_rows"] == sum(summary["rows"][name] for name in facts) > 0
    files = sorted(stage.warehouse_lists.glob("*.csv"))
    lists = pd.concat([pd.read_csv(f, dtype=str) for f in files], ignore_index=True)
    assert summary["list_files"] == len(files) and "list_files" not in metrics
    assert metrics["persons_on_lists"] == summary["persons_on_lists"] == lists["person_key"].nunique()
    assert set(summary["persons_by_risk_situation"]) == set(warehouse.risk_situations())
    assert summary["reference_date"] == "2018-10-31"
