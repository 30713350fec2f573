"""The ``check`` stage: identities planted in published outputs, small cells and suppression counts."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pact_analysis import disclosure
from pact_analysis.errors import StageError
from pact_analysis.paths import Paths
from pact_analysis.stages import check
from tests.disclosure.test_protect import exits_by_province, spells_affected
from tests.fixtures import params, valid_frames, write_valid_raw

C = disclosure.SUPPRESSED  # "[c]"


def headline(paths: Paths) -> dict:
    """``metrics/disclosure.json``: the headline figures only."""
    return json.loads(paths.metric("disclosure").read_text())


def record(paths: Paths) -> dict:
    """The check's full record (files scanned, problems, suppressions per table)."""
    return json.loads(disclosure.check_details_path(paths).read_text())


# --- the check stage --------------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path) -> Paths:
    """A project whose published outputs are clean: pseudonyms, counts, a report, metrics."""
    paths = Paths(tmp_path)
    write_valid_raw(paths.raw)
    paths.processed.mkdir(parents=True)
    persons = valid_frames()["sauss_persons"]
    pd.DataFrame(
        {
            "person_key": ["9f3a12345678b0c1e5d2", "0a1b2c3d4e5f60718293"],
            "municipality_code": ["47186", "24089"],
            "first_seen": pd.to_datetime(["2012-05-10", "2014-02-01"]),
            "birth_year": [1975, 1982],
            "sex": persons["sex"].iloc[:2].tolist(),
        }
    ).to_parquet(paths.processed / "persons.parquet")
    (paths.reports / "tables" / "02_profiles").mkdir(parents=True)
    pd.DataFrame({"profile": ["stayer", "cycler", "leaver"], "n": [120, C, 48]}).to_csv(
        paths.reports / "tables" / "02_profiles" / "sizes.csv", index=False
    )
    (paths.reports / "02_profiles.html").write_text(
        "<h1>Profiles</h1><p>María and García are common names; extraction 31/10/2018.</p>"
        '<img src="data:image/png;base64,iVBORw0KGgo12345678Z600123456=">'
    )
    paths.metrics.mkdir(parents=True)
    (paths.metrics / "linkage.json").write_text(json.dumps({"f1": 0.98, "pairs": 12345678901}))
    return paths


def test_clean_outputs_pass_and_metrics_are_written(project):
    check.run(project, params())
    metrics, details = headline(project), record(project)
    assert metrics["pii_findings"] == 0 and details["small_cells"] == 0
    assert details["files_scanned"] == 4 and metrics["tables_checked"] == 1
    assert set(metrics) == set(check.HEADLINE) and metrics.items() <= details.items()
    assert details["min_cell"] == 10 and details["files_skipped"] == []
    check.run(project, params())  # its own outputs are not scanned: a repeated run scans the same files
    assert record(project)["files_scanned"] == 4


def plant_parquet(paths: Paths) -> str:
    frame = pd.read_parquet(paths.processed / "persons.parquet")
    frame.loc[1, "person_key"] = "71234567W"
    frame.to_parquet(paths.processed / "persons.parquet")
    return "71234567W"


def plant_html(paths: Paths) -> str:
    page = paths.reports / "02_profiles.html"
    page.write_text(page.read_text() + "\n<table><tr><td>Iñaki</td><td>Núñez</td></tr></table>")
    return "Iñaki"


def plant_json(paths: Paths) -> str:
    (paths.metrics / "linkage.json").write_text(json.dumps({"example": {"born": "02/11/1982"}}, indent=2))
    return "02/11/1982"


def plant_birth_column(paths: Paths) -> str:
    frame = pd.read_parquet(paths.processed / "persons.parquet")
    frame["fecha_nacimiento"] = pd.to_datetime(["2012-01-01", "2013-01-01"])
    frame.to_parquet(paths.processed / "persons.parquet")
    return "2012-01-01"


def plant_warehouse(paths: Paths) -> str:
    paths.warehouse.mkdir(parents=True)
    with duckdb.connect(str(paths.warehouse / "pact.duckdb")) as con:
        con.execute("create table contact as select 676543210 as contact_number")
    return "676543210"


@pytest.mark.parametrize(
    ("plant", "file", "kind"),
    [
        (
            plant_parquet,
            "data/processed/persons.parquet",
            "a DNI/NIE from data/raw at column person_key, row 1",
        ),
        (plant_html, "reports/02_profiles.html", "a full name from data/raw at line 2"),
        (plant_json, "metrics/linkage.json", "a birth date from data/raw at line 3"),
        (
            plant_birth_column,
            "data/processed/persons.parquet",
            "a direct-identifier column at column fecha_nacimiento",
        ),
        (plant_warehouse, "data/warehouse/pact.duckdb", "a phone number from data/raw at table main.contact"),
    ],
)
def test_a_planted_identifier_fails_the_check_without_being_echoed(project, plant, file, kind):
    value = plant(project)
    with pytest.raises(StageError) as err:
        check.run(project, params())
    message = str(err.value)
    assert f"{file}: {kind}" in message
    assert value not in message
    assert headline(project)["pii_findings"] == 1


def test_a_published_count_of_3_fails_the_check(project):
    table = project.reports / "tables" / "02_profiles" / "sizes.csv"
    table.write_text("profile;n\nstayer;120\ncycler;3\nleaver;48\n")
    with pytest.raises(
        StageError, match=r"sizes\.csv: row 3, column n: count 3 below the minimum cell size 10"
    ):
        check.run(project, params())


def test_declared_count_columns_are_the_ones_checked(project):
    folder = project.reports / "tables" / "02_profiles"
    (folder / "scores.csv").write_text("dimension,median_score,n_persons\neconomic,3,120\nhousing,4,7\n")
    with pytest.raises(StageError, match=r"scores\.csv: row 3, column n_persons: count 7"):
        check.run(project, params())
    (folder / "scores.csv").write_text("dimension,median_score,persons\neconomic,3,120\nhousing,4,12\n")
    with pytest.raises(StageError, match=r"scores\.csv: row 2, column median_score: count 3"):
        check.run(project, params())  # guessed: a pure crosstab of whole numbers
    (folder / "scores.json").write_text(json.dumps({"count_columns": ["persons"]}))
    check.run(project, params())


def test_the_check_refuses_to_run_without_raw_identities(tmp_path):
    with pytest.raises(StageError, match="no person extract"):
        check.run(Paths(tmp_path), params())


def test_every_planted_kind_is_a_different_finding(project):
    for plant in (plant_parquet, plant_html, plant_json):
        plant(project)
    who = disclosure.collect_identities(project.raw)
    scan = disclosure.scan_for_pii(
        [project.processed, project.reports, project.metrics], who, root=project.root
    )
    kinds = sorted(f.kind for f in scan["findings"])
    assert kinds == ["a DNI/NIE", "a birth date", "a full name"]
    assert list(itertools.chain(scan["scanned"])) == sorted(scan["scanned"])


# --- the check stage: suppression labels, structure and counts --------------------------------------


def publish_like_the_report(
    paths: Paths, where: str, protected: disclosure.Protected, additive: bool
) -> Path:
    """Write a protected table and its sidecar as the report layer does."""
    csv = paths.reports / "tables" / f"{where}.csv"
    csv.parent.mkdir(parents=True, exist_ok=True)
    protected.table.to_csv(csv, index=True)
    sidecar = {
        "count_columns": list(protected.mask.columns),
        "additive": additive,
        "primary": protected.primary,
        "secondary": protected.secondary,
    }
    csv.with_suffix(".json").write_text(json.dumps(sidecar))
    return csv


def test_a_below_label_fails_the_check(project):
    table = project.reports / "tables" / "02_profiles" / "sizes.csv"
    table.write_text("profile,n\nstayer,120\ncycler,<10\nleaver,48\n")
    with pytest.raises(
        StageError, match=r"sizes\.csv: row 3, column n: label '<10' is not allowed; use \[c\]"
    ):
        check.run(project, params())
    details = record(project)
    assert details["small_cells"] == 0 and details["table_problems"] == 1


def test_suppressions_are_counted_per_table(project):
    exits = disclosure.protect(exits_by_province(), 10)
    spells = disclosure.protect(spells_affected(3, 18, 2, 1647), 10, additive=False)
    for lang in ("es", "en"):  # one table in two languages counts once
        publish_like_the_report(project, f"03_chronicity/{lang}/exits", exits, additive=True)
    publish_like_the_report(project, "01_record_linkage/spells", spells, additive=False)
    check.run(project, params())
    metrics, details = headline(project), record(project)
    assert details["tables"] == {
        "01_record_linkage/spells": {"primary": 2, "secondary": 0, "suppressed": 2},
        "02_profiles/sizes": {"primary": None, "secondary": None, "suppressed": 1},  # no sidecar
        "03_chronicity/exits": {"primary": 1, "secondary": 3, "suppressed": 4},
    }
    assert (metrics["suppressed_primary"], metrics["suppressed_secondary"]) == (3, 3)
    assert details["suppressed_cells"] == 7 and metrics["tables_checked"] == 3
    assert details["table_files_checked"] == 4
    assert details["small_cells"] == 0 and details["table_problems"] == 0
    assert (details["suppressed_primary"], details["suppressed_secondary"]) == (3, 3)


def test_copies_of_a_table_in_two_languages_must_hide_the_same_cells(project):
    exits = disclosure.protect(exits_by_province(), 10)
    publish_like_the_report(project, "03_chronicity/es/exits", exits, additive=True)
    english = publish_like_the_report(project, "03_chronicity/en/exits", exits, additive=True)
    check.run(project, params())  # the same decision in both languages
    shown = exits.table.copy()
    hidden = shown.eq(disclosure.SUPPRESSED)
    row, column = next((r, c) for r in shown.index for c in shown.columns if hidden.loc[r, c])
    shown.loc[row, column] = exits_by_province().loc[row, column]  # a count the Spanish copy hides
    shown.to_csv(english, index=True)
    with pytest.raises(StageError, match=r"03_chronicity/exits: the en and es copies hide different cells"):
        check.run(project, params())


def test_a_planted_small_cell_in_a_language_folder_is_caught(project):
    spells = disclosure.protect(spells_affected(3, 18, 2, 1647), 10, additive=False)
    csv = publish_like_the_report(project, "01_record_linkage/es/spells", spells, additive=False)
    leaked = spells.table.copy()
    leaked.loc["probabilistic (Splink)", "merged"] = 3
    leaked.to_csv(csv, index=True)
    expected = "reports/tables/01_record_linkage/es/spells.csv: row 2, column merged: count 3 below"
    assert [
        p[: len(expected)] for p in disclosure.small_cell_problems(project.reports, 10, project.root)
    ] == [expected]
    with pytest.raises(StageError) as err:
        check.run(project, params())
    assert expected in str(err.value)
    assert (
        "the sidecar declares 2 suppressed cells (2 primary, 0 secondary, 0 derived) but the table shows 1 [c]"
        in str(err.value)
    )
    details = record(project)
    assert details["small_cells"] == 1 and details["table_problems"] == 1


def test_a_recoverable_cell_fails_the_check_only_in_an_additive_table(project):
    csv = project.reports / "tables" / "02_profiles" / "by_sex.csv"
    csv.write_text("profile,H,M\nstayer,[c],30\ncycler,40,35\n")
    sidecar = csv.with_suffix(".json")
    sidecar.write_text(json.dumps({"count_columns": ["H", "M"], "additive": True}))
    with pytest.raises(
        StageError, match=r"by_sex\.csv: row 2, column H: suppressed cell recoverable from the row and column"
    ):
        check.run(project, params())
    sidecar.write_text(json.dumps({"count_columns": ["H", "M"], "additive": False}))
    check.run(project, params())


def test_each_declared_structure_is_rechecked_as_the_protection_assumed_it(project):
    """A table whose columns add up on their own, a nested table of heads above thresholds, and
    amounts protected by their persons are re-checked with their own relations, not as a crosstab."""
    folder = project.reports / "tables" / "03_chronicity"
    folder.mkdir(parents=True)
    csv = folder / "reentry.csv"
    # n and returns: two hidden exits hide each other in their column; as a crosstab, the row of the
    # shown 0 returns would give its exits away (and the check would fail what is safe)
    csv.write_text("route,n,events\ncare,[c],0\njob,1427,298\nsanction,1340,656\nunknown,[c],\n")
    sidecar = csv.with_suffix(".json")
    declared = {"count_columns": ["n", "events"], "additive": True, "primary": 1, "secondary": 1}
    sidecar.write_text(json.dumps(declared | {"relations": "columns"}))
    check.run(project, params())
    sidecar.write_text(json.dumps(declared | {"relations": "crosstab"}))
    with pytest.raises(StageError, match=r"reentry\.csv: row 2, column n: suppressed cell recoverable"):
        check.run(project, params())
    csv.write_text("route,n,events\ncare,[c],0\njob,1427,298\nsanction,1340,656\nunknown,20,\n")
    sidecar.write_text(json.dumps(declared | {"relations": "columns", "secondary": 0}))
    with pytest.raises(StageError, match=r"row 2, column n: suppressed cell recoverable"):
        check.run(project, params())  # one hidden cell in a column with a known total
    csv.unlink()
    sidecar.unlink()

    csv = folder / "thresholds.csv"
    sidecar = csv.with_suffix(".json")
    nested = {"count_columns": ["flagged"], "relations": "nested", "primary": 1, "secondary": 0}
    sidecar.write_text(json.dumps(nested))
    csv.write_text("threshold,flagged\n0.5,63\n0.6,42\n0.7,[c]\n0.74,16\n0.9,0\n")
    check.run(project, params())
    csv.write_text("threshold,flagged\n0.5,63\n0.6,42\n0.7,[c]\n0.74,16\n0.8,12\n")
    with pytest.raises(StageError, match=r"rows 5 and 6, column flagged: differ by 4, fewer than 10"):
        check.run(project, params())  # 4 persons between 0.74 and 0.8
    csv.write_text("threshold,flagged\n0.5,63\n0.6,16\n0.7,[c]\n0.74,16\n0.9,0\n")
    with pytest.raises(StageError, match=r"rows 3 and 5, column flagged: equal, so the suppressed"):
        check.run(project, params())
    csv.write_text("threshold,flagged\n0.5,63\n0.6,42\n0.7,[c]\n0.74,56\n0.9,0\n")
    with pytest.raises(StageError, match=r"declared nested but its counts go up and down"):
        check.run(project, params())
    # the persons scored are known too (a share beside a count gives them): 3 of 66 not flagged
    csv.write_text("threshold,flagged\n0.5,63\n0.6,42\n0.7,[c]\n0.74,16\n0.9,0\n")
    sidecar.write_text(json.dumps(nested | {"total": 66}))
    with pytest.raises(StageError, match=r"rows the total and 2, column flagged: differ by 3"):
        check.run(project, params())
    sidecar.write_text(json.dumps(nested | {"total": 166}))
    check.run(project, params())
    csv.write_text("threshold,flagged\n0.5,[c]\n0.6,166\n0.74,16\n0.9,0\n")
    with pytest.raises(StageError, match=r"rows the total and 3, column flagged: equal, so the suppressed"):
        check.run(project, params())  # all 166 above 0.6: all 166 above 0.5 too
    csv.write_text("threshold,flagged\n0.5,63\n0.6,42\n0.74,16\n0.8,0\n0.9,[c]\n")
    with pytest.raises(StageError, match=r"rows 5 and none, column flagged: equal, so the suppressed"):
        check.run(project, params())  # none above 0.8: none above 0.9
    csv.unlink()
    sidecar.unlink()

    csv = folder / "amounts.csv"
    csv.write_text("province,2016,2017\nÁvila,[c],[c]\nBurgos,[c],[c]\nLeón,120.5,130.1\n")
    amounts = {"count_columns": [], "protected_columns": ["2016", "2017"], "relations": "crosstab"}
    csv.with_suffix(".json").write_text(json.dumps(amounts | {"primary": 1, "secondary": 3}))
    check.run(project, params())  # amounts are not counts: 120.5 is no small cell
    csv.write_text("province,2016,2017\nÁvila,[c],80.0\nBurgos,90.0,130.0\nLeón,120.5,130.1\n")
    csv.with_suffix(".json").write_text(json.dumps(amounts | {"primary": 1, "secondary": 0}))
    with pytest.raises(StageError, match=r"amounts\.csv: row 2, column 2016: suppressed cell recoverable"):
        check.run(project, params())


def test_what_the_index_writes_after_the_check_is_not_scanned(tmp_path):
    """A fresh and a repeated run scan the same files: the index's pages and its record of quantities
    (left by an earlier run) are written after the check, so the check never reads them."""
    from pact_analysis.disclosure.identity import published_outputs

    paths = Paths(tmp_path)
    later = [
        paths.reports / "index.html",
        paths.reports / "es" / "methods.html",
        paths.reports / "tables" / "index" / "quantities.es.json",
    ]
    page = paths.reports / "es" / "04_alerts.html"
    for path in [*later, page]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}", encoding="utf-8")
    assert published_outputs(paths) == [page]
