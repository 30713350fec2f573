"""Disclosure control: small-cell suppression and the PII scan of published outputs."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from pact_analysis import disclosure
from pact_analysis.config import Paths
from pact_analysis.errors import StageError
from tests.fixtures import params, valid_frames, write_valid_raw
from tests.test_disclosure_protect import exits_by_province, spells_affected

C = disclosure.SUPPRESSED  # "[c]"

# --- small cells ------------------------------------------------------------------------------------


def crosstab(rows: list[list[int]]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, index=[f"r{i}" for i in range(len(rows))], columns=[f"c{j}" for j in range(len(rows[0]))]
    )


def test_primary_suppression_hides_small_counts_only():
    table = crosstab([[3, 20, 30, 0], [1, 25, 40, 12], [50, 60, 70, 80]])
    out = disclosure.suppress_small_cells(table, 10)
    assert out.loc["r0", "c0"] == C and out.loc["r1", "c0"] == C
    assert out.loc["r2", "c2"] == 70
    assert out.loc["r0", "c3"] == 0  # zeros are not disclosive counts
    assert disclosure.check_min_cell(out, 10) == []


def test_a_row_with_one_suppressed_cell_and_a_total_cannot_be_back_solved():
    table = crosstab([[3, 20, 30], [15, 25, 40]])
    mask = disclosure.suppression_mask(table, 10)
    assert mask.to_numpy().sum() > 1
    assert mask.sum(axis=1).isin([0, 2, 3]).all() and mask.sum(axis=0).isin([0, 2]).all()
    assert disclosure.back_solvable(mask.to_numpy()) == []
    # Two different tables give the same published cells and the same row and column totals:
    published = disclosure.suppress_small_cells(table, 10)
    other = table.copy()
    (r0, c0), (r1, c1) = np.argwhere(mask.to_numpy())[[0, -1]]
    assert (r0, c0) != (r1, c1)
    delta = np.zeros(table.shape, dtype=int)
    delta[r0, c0], delta[r0, c1], delta[r1, c0], delta[r1, c1] = 1, -1, -1, 1
    other += delta
    assert disclosure.suppress_small_cells(other, 10).equals(published)
    assert other.sum(axis=1).equals(table.sum(axis=1)) and other.sum(axis=0).equals(table.sum(axis=0))


def test_secondary_suppression_with_margins_in_the_table():
    table = crosstab([[3, 20, 30], [15, 25, 40], [12, 11, 60]])
    table.loc["total"] = table.sum()
    table["total"] = table.sum(axis=1)
    mask = disclosure.suppression_mask(table, 10)
    assert mask.loc["r0", "c0"]
    assert mask.loc["r0"].sum() >= 2
    assert disclosure.back_solvable(mask.to_numpy()) == []


def test_back_solvable_detects_a_lone_suppressed_cell():
    mask = np.zeros((3, 3), dtype=bool)
    mask[1, 2] = True
    assert disclosure.back_solvable(mask) == [(1, 2)]
    mask[1, 0] = mask[2, 0] = mask[2, 2] = True
    assert disclosure.back_solvable(mask) == []


@pytest.mark.parametrize("seed", range(5))
def test_random_tables_never_leave_a_recoverable_cell(seed):
    rng = np.random.default_rng(seed)
    table = crosstab(rng.choice([0, 1, 2, 5, 9, 12, 30, 80], size=(5, 4)).tolist())
    mask = disclosure.suppression_mask(table, 10)
    assert disclosure.back_solvable(mask.to_numpy()) == []
    small = (table > 0) & (table < 10)
    assert mask.to_numpy()[small.to_numpy()].all()


def test_long_frame_gives_the_same_suppression_as_its_crosstab():
    table = crosstab([[3, 20, 30], [15, 25, 40]])
    long = (
        table.rename_axis(index="province")
        .reset_index()
        .melt(id_vars="province", var_name="sex", value_name="n")
    )
    out = disclosure.suppress_small_cells(long, 10, count="n", by=["province", "sex"])
    wide = disclosure.suppress_small_cells(table, 10)
    for row in out.itertuples():
        assert row.n == wide.loc[row.province, row.sex]


def test_long_frame_with_one_dimension_suppresses_two_cells():
    long = pd.DataFrame({"ceas": ["A", "B", "C", "D"], "n": [4, 50, 20, 33]})
    out = disclosure.suppress_small_cells(long, 10, count="n")
    assert out["n"].tolist() == [C, 50, C, 33]


def test_wide_table_with_label_and_count_columns():
    table = pd.DataFrame(
        {
            "profile": ["stayer", "cycler", "leaver"],
            "H": [4, 30, 50],
            "M": [25, 35, 60],
            "share": [0.1, 0.4, 0.5],
        }
    )
    out = disclosure.suppress_small_cells(table, 10, columns=["H", "M"])
    assert out["profile"].equals(table["profile"]) and out["share"].equals(table["share"])
    assert out.loc[0, "H"] == C
    mask = out[["H", "M"]].eq(C).to_numpy()
    assert mask.sum() >= 4 and disclosure.back_solvable(mask) == []


def test_single_count_column_suppresses_a_second_cell():
    table = pd.DataFrame({"n": [4, 50, 20, 33]}, index=["A", "B", "C", "D"])
    out = disclosure.suppress_small_cells(table, 10, columns=["n"])
    assert out["n"].tolist() == [C, 50, C, 33]


def test_rounding_keeps_suppression_and_rounds_the_rest():
    table = crosstab([[3, 22, 31], [15, 27, 44]])
    out = disclosure.suppress_small_cells(table, 10, round_to=5)
    shown = [v for v in out.to_numpy().ravel() if v != C]
    assert shown and all(v % 5 == 0 for v in shown)
    assert out.loc["r0", "c0"] == C


def test_check_min_cell_finds_unsuppressed_small_counts():
    table = pd.DataFrame({"ceas": ["A", "B", "C", "D"], "n": ["3", C, "0", "25"], "mean_score": ["3.5"] * 4})
    table.index = table.index + 2
    assert disclosure.check_min_cell(table, 10) == ["row 2, column n: count 3 below the minimum cell size 10"]


def test_check_min_cell_on_a_crosstab_ignores_non_count_columns():
    table = pd.DataFrame({"province": ["León", "Soria"], "H": [12, 4], "M": [30, C], "share": [0.5, 0.25]})
    assert disclosure.count_columns(table) == ["H", "M"]
    assert disclosure.check_min_cell(table, 10) == ["row 1, column H: count 4 below the minimum cell size 10"]


# --- identities and matching ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def who(tmp_path_factory) -> disclosure.Identities:
    raw = write_valid_raw(tmp_path_factory.mktemp("raw"))
    return disclosure.collect_identities(raw)


def test_identities_come_from_every_person_source(who):
    assert "MARIA JOSE MARTIN" in who.names and "MARTIN MARIA JOSE" in who.names
    assert "12345678Z" in who.documents and "12345678" in who.documents and "X1234567L" in who.documents
    assert "600123456" in who.phones
    assert pd.Timestamp("1975-03-14") in who.birth_dates


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Atendida: María José Martín, CEAS Delicias", "a full name"),
        ("MARTIN, MARIA JOSE", "a full name"),
        ("documento 12345678-Z", "a DNI/NIE"),
        ("dni 12345678", "a DNI/NIE"),
        ("NIE x1234567l", "a DNI/NIE"),
        ("tel. +34 600 123 456", "a phone number"),
        ("nacida el 14/03/1975", "a birth date"),
        ('"birth": "1975-03-14"', "a birth date"),
    ],
)
def test_identifiers_are_found(who, text, kind):
    assert kind in disclosure.find_in_text(text, who)


@pytest.mark.parametrize(
    "text",
    [
        "MARIA: most frequent given name; GARCIA most frequent surname",  # a lone name is not a person
        "Martín (2017) and Núñez (2019) found that...",
        "pseudonym 9f3a12345678z0c1e5",  # digits inside a pseudonym
        "amount 1123456789 EUR",  # a longer number
        "extraction 2018-10-31, pilot 01/11/2015",  # event dates
        "Juan Carlos García López".replace("García", "Gómez"),  # a different person
        "",
    ],
)
def test_no_false_alarms(who, text):
    assert disclosure.find_in_text(text, who) == []


def test_short_surnames_do_not_make_name_patterns():
    found = disclosure.identities_from_frame(
        pd.DataFrame({"given_name": ["ANA", "LI"], "surname1": ["LI", "WEI"]})
    )
    assert found.names == set()


@pytest.mark.parametrize(
    ("name", "flagged"),
    [
        ("given_name", True),
        ("SURNAME1", True),
        ("surname2_l", True),
        ("doc_number", True),
        ("fecha_nacimiento", True),
        ("apellidos", True),
        ("phone", True),
        ("doc_type", False),
        ("birth_year", False),
        ("n_surnames_missing", False),
        ("person_key", False),
    ],
)
def test_identifier_columns(name, flagged):
    assert disclosure.identifier_column(name) is flagged


def test_html_markup_base64_and_escapes(who, tmp_path):
    page = tmp_path / "r.html"
    page.write_text(
        '<img src="data:image/png;base64,MTIzNDU2NzhaCg12345678Z==">\n<p>ok</p>\n'
        "<table><tr><td>MARÍA JOSÉ</td><td>MARTÍN</td></tr></table>\n"
        '<script>var d = ["JUAN CARLOS GARC\\u00cdA"];</script>\n'
    )
    assert disclosure.scan_text_file(page, who) == [("a full name", "line 3"), ("a full name", "line 4")]


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
    disclosure.run(project, params())
    metrics = json.loads((project.metrics / "disclosure.json").read_text())
    assert metrics["pii_findings"] == 0 and metrics["small_cells"] == 0
    assert metrics["files_scanned"] == 4 and metrics["tables_checked"] == 1


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
        disclosure.run(project, params())
    message = str(err.value)
    assert f"{file}: {kind}" in message
    assert value not in message
    assert json.loads((project.metrics / "disclosure.json").read_text())["pii_findings"] == 1


def test_a_published_count_of_3_fails_the_check(project):
    table = project.reports / "tables" / "02_profiles" / "sizes.csv"
    table.write_text("profile;n\nstayer;120\ncycler;3\nleaver;48\n")
    with pytest.raises(
        StageError, match=r"sizes\.csv: row 3, column n: count 3 below the minimum cell size 10"
    ):
        disclosure.run(project, params())


def test_declared_count_columns_are_the_ones_checked(project):
    folder = project.reports / "tables" / "02_profiles"
    (folder / "scores.csv").write_text("dimension,median_score,n_persons\neconomic,3,120\nhousing,4,7\n")
    with pytest.raises(StageError, match=r"scores\.csv: row 3, column n_persons: count 7"):
        disclosure.run(project, params())
    (folder / "scores.csv").write_text("dimension,median_score,persons\neconomic,3,120\nhousing,4,12\n")
    with pytest.raises(StageError, match=r"scores\.csv: row 2, column median_score: count 3"):
        disclosure.run(project, params())  # guessed: a pure crosstab of whole numbers
    (folder / "scores.json").write_text(json.dumps({"count_columns": ["persons"]}))
    disclosure.run(project, params())


def test_the_check_refuses_to_run_without_raw_identities(tmp_path):
    with pytest.raises(StageError, match="no person extract"):
        disclosure.run(Paths(tmp_path), params())


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
        disclosure.run(project, params())
    metrics = json.loads((project.metrics / "disclosure.json").read_text())
    assert metrics["small_cells"] == 0 and metrics["table_problems"] == 1


def test_suppressions_are_counted_per_table(project):
    exits = disclosure.protect(exits_by_province(), 10)
    spells = disclosure.protect(spells_affected(3, 18, 2, 1647), 10, additive=False)
    publish_like_the_report(project, "03_chronicity/en/exits", exits, additive=True)
    publish_like_the_report(project, "01_record_linkage/spells", spells, additive=False)
    disclosure.run(project, params())
    metrics = json.loads((project.metrics / "disclosure.json").read_text())
    assert metrics["tables"] == {
        "01_record_linkage/spells": {"primary": 2, "secondary": 0, "suppressed": 2},
        "02_profiles/sizes": {"primary": None, "secondary": None, "suppressed": 1},  # no sidecar
        "03_chronicity/en/exits": {"primary": 1, "secondary": 3, "suppressed": 4},
    }
    assert (metrics["suppressed_primary"], metrics["suppressed_secondary"]) == (3, 3)
    assert metrics["suppressed_cells"] == 7 and metrics["tables_checked"] == 3
    assert metrics["small_cells"] == 0 and metrics["table_problems"] == 0


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
        disclosure.run(project, params())
    assert expected in str(err.value)
    assert (
        "the sidecar declares 2 suppressed cells (2 primary, 0 secondary, 0 derived) but the table shows 1 [c]"
        in str(err.value)
    )
    metrics = json.loads((project.metrics / "disclosure.json").read_text())
    assert metrics["small_cells"] == 1 and metrics["table_problems"] == 1


def test_a_recoverable_cell_fails_the_check_only_in_an_additive_table(project):
    csv = project.reports / "tables" / "02_profiles" / "by_sex.csv"
    csv.write_text("profile,H,M\nstayer,[c],30\ncycler,40,35\n")
    sidecar = csv.with_suffix(".json")
    sidecar.write_text(json.dumps({"count_columns": ["H", "M"], "additive": True}))
    with pytest.raises(
        StageError, match=r"by_sex\.csv: row 2, column H: suppressed cell recoverable from the row and column"
    ):
        disclosure.run(project, params())
    sidecar.write_text(json.dumps({"count_columns": ["H", "M"], "additive": False}))
    disclosure.run(project, params())
