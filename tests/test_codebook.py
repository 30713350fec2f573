"""The codebook's own schema: codebook.yaml is checked before every stage."""

from __future__ import annotations

import copy

import pytest
import yaml

from pact_analysis import __main__ as cli
from pact_analysis import codebook
from pact_analysis.errors import StageError


@pytest.fixture
def book() -> dict:
    """A fresh copy of codebook.yaml as written (not expanded)."""
    return copy.deepcopy(codebook.read_raw())


def test_the_project_codebook_is_valid():
    codebook.validate_codebook()
    assert codebook.codebook_problems(codebook.read_raw()) == []


def test_no_value_of_the_codebook_is_empty():
    """A stray key with no value is what an unquoted comma inside {...} leaves behind."""

    def empty(node, path):
        if isinstance(node, dict):
            for key, value in node.items():
                yield from empty(value, f"{path}.{key}")
        elif isinstance(node, list):
            for pos, value in enumerate(node):
                yield from empty(value, f"{path}[{pos}]")
        elif node is None:
            yield path

    assert list(empty(codebook.read_raw(), "")) == []


def test_descriptions_with_commas_are_whole():
    columns = codebook.columns("ceas")
    assert columns["urban"]["description"] == (
        "run by a municipality over 20,000 inhabitants (true) or by the provincial council"
    )
    assert codebook.mdtse_factors()["f05"]["en"] == "material deprivation (food, clothing)"


def test_an_unquoted_comma_is_reported_with_the_path_of_the_entry(book):
    line = "urban: {type: bool, description: run by a municipality over 20,000 inhabitants}"
    book["sources"]["ceas"]["columns"]["urban"] = yaml.safe_load(line)["urban"]
    with pytest.raises(StageError) as err:
        codebook.validate_codebook(book)
    assert str(err.value).startswith(
        "codebook.yaml: sources.ceas.columns.urban: unknown key '000 inhabitants' (an unquoted comma"
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda b: b["sources"]["ceas"]["columns"]["urban"].update(type="boolean"),
            "sources.ceas.columns.urban.type: 'boolean' is not one of string, int, float, date, bool",
        ),
        (
            lambda b: b["sources"]["rgc_spells"]["columns"]["household_size"].update(max="15"),
            "sources.rgc_spells.columns.household_size.max: expected a number, found text",
        ),
        (
            lambda b: b["sources"]["ceas"]["columns"]["urban"].update(nullable="yes"),
            "sources.ceas.columns.urban.nullable: expected true or false, found text",
        ),
        (
            lambda b: b["sources"]["ceas"]["columns"]["urban"].pop("type"),
            "sources.ceas.columns.urban: missing key 'type'",
        ),
        (
            lambda b: b["sources"]["ceas"].update(columns=[]),
            "sources.ceas.columns: expected a mapping of at least 1 entries, found a list",
        ),
        (
            lambda b: b["codes"]["sex"].update({False: "no"}),
            "codes.sex: key False is true/false, not text",
        ),
        (
            lambda b: b["codes"].update(sex=["H", "M"]),
            "codes.sex: expected a mapping of at least 1 entries, found a list",
        ),
        (
            lambda b: b["mdtse"]["factors"]["f01"].update(dimension="money"),
            "mdtse.factors.f01.dimension: 'money' is not an MDTSE dimension",
        ),
        (
            lambda b: b["mdtse"].update(score_max=10.5),
            "mdtse.score_max: expected a whole number, found a number",
        ),
        (
            lambda b: (
                b["sources"]["sauss_persons"]["columns"]["sex"].update(codes="gender")
                if "sex" in b["sources"]["sauss_persons"]["columns"]
                else b["identity_columns"]["sex"].update(codes="gender")
            ),
            "identity_columns.sex.codes: 'gender' is not a code list (codes:)",
        ),
        (
            lambda b: b["sources"]["rgc_spells"]["columns"]["file_id"].update(references="rgc.file_id"),
            "sources.rgc_spells.columns.file_id.references: 'rgc.file_id' is not a column of a source",
        ),
        (
            lambda b: b["sources"]["ceas"]["columns"]["province_code"].update(pattern="^(\\d{2}$"),
            "sources.ceas.columns.province_code.pattern: not a regular expression",
        ),
        (
            lambda b: b["sources"]["ceas"].update(key="ceas_id"),
            "sources.ceas.key: 'ceas_id' is not a column of ceas",
        ),
        (
            lambda b: b["sources"]["ceas"].update(mandatory=True),
            "sources.ceas: unknown key 'mandatory' (known keys: file, required, key",
        ),
        (
            lambda b: b["period"].update(earliest_event="sometime"),
            "period.earliest_event: expected a date (yyyy-mm-dd), found text",
        ),
        (
            lambda b: b["pilot_territories"][0].update(province="99"),
            "pilot_territories[0].province: '99' is not a code of provinces",
        ),
        (lambda b: b.pop("sources"), "top level: missing key 'sources'"),
    ],
)
def test_a_broken_entry_is_named_by_its_path(book, change, expected):
    change(book)
    problems = codebook.codebook_problems(book)
    assert any(p.startswith(expected) for p in problems), problems


def test_risk_situations_may_be_a_mapping_or_a_list_of_entries_with_known_keys(book):
    entry = {"en": "x", "es": "x", "label": {"es": "x", "en": "x"}, "sql": "age >= 65", "unit": "person"}
    book["risk_situations"] = {"OLDER": entry | {"kind": "flag", "window_months": 12}}
    assert codebook.codebook_problems(book) == []
    book["risk_situations"] = [{"id": "OLDER", "rule": "in words"} | entry]
    assert codebook.codebook_problems(book) == []
    book["risk_situations"] = [entry | {"colour": "red"}]
    problems = codebook.codebook_problems(book)
    assert any(p.startswith("risk_situations[0]: unknown key 'colour'") for p in problems)
    assert "risk_situations[0]: missing key 'id'" in problems


def test_many_problems_are_counted_after_the_first_ten(book):
    for source in ("rgc_spells", "ceas"):
        for column in book["sources"][source]["columns"].values():
            column["colour"] = "red"
    with pytest.raises(StageError, match=r"; and \d+ more problems$"):
        codebook.validate_codebook(book)


def test_every_stage_stops_on_a_broken_codebook(tmp_path, monkeypatch, capsys):
    broken = copy.deepcopy(codebook.read_raw())
    broken["sources"]["ceas"]["columns"]["urban"]["colour"] = "red"
    monkeypatch.setattr(codebook, "read_raw", lambda: broken)
    (tmp_path / "params.yaml").write_text("data: {source: synthetic}\n")
    assert cli.main(["ingest", "--root", str(tmp_path)]) == 2
    assert "codebook.yaml: sources.ceas.columns.urban: unknown key 'colour'" in capsys.readouterr().err
    assert not (tmp_path / "data").exists(), "the stage ran on a broken codebook"
    assert "stage ingest failed" in (tmp_path / "reports" / "STALE.txt").read_text()
