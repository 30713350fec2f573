"""The codebook's own schema: codebook.yaml is checked before every stage."""

from __future__ import annotations

import copy
import re
from importlib import resources

import pytest
import yaml

from pact_analysis import __main__ as cli
from pact_analysis import codebook
from pact_analysis.errors import StageError
from pact_analysis.paths import ROOT


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
            "sources.rgc_spells.columns.household_size.max: expected a number or a date (yyyy-mm-dd), found text",
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
        (
            lambda b: b["sources"]["rgc_spells"]["columns"]["household_size"].update(warn_max=40),
            "sources.rgc_spells.columns.household_size: warn_max 40 is above max 30",
        ),
        (
            lambda b: b["sources"]["employment_episodes"]["columns"]["hours_week"].update(warn_max="40"),
            "sources.employment_episodes.columns.hours_week.warn_max: expected a number or a date",
        ),
        (
            lambda b: b["sources"]["rgc_spells"]["columns"]["start_date"].update(min=2010),
            "sources.rgc_spells.columns.start_date.min: a date column takes a date",
        ),
        (
            lambda b: b["sources"]["rgc_spells"]["columns"]["household_size"].update(
                min=yaml.safe_load("2010-12-21")
            ),
            "sources.rgc_spells.columns.household_size.min: a number column takes a number",
        ),
        (
            lambda b: b["sources"]["rgc_spells"]["columns"]["start_date"].update(
                min=yaml.safe_load("2019-01-01"), warn_min=yaml.safe_load("2011-01-01")
            ),
            "sources.rgc_spells.columns.start_date: min 2019-01-01 is above warn_min 2011-01-01",
        ),
        (
            lambda b: b["sources"]["rgc_spells"]["columns"]["monthly_amount_eur"].pop("iprem_period"),
            "sources.rgc_spells.columns.monthly_amount_eur: max_iprem/warn_max_iprem need iprem_period",
        ),
        (
            lambda b: b["sources"]["rgc_spells"]["columns"]["monthly_amount_eur"].update(
                iprem_period=["start_date", "exit_reason"]
            ),
            "sources.rgc_spells.columns.monthly_amount_eur.iprem_period: 'exit_reason' is not a date column",
        ),
        (
            lambda b: b["sources"]["sauss_interventions"]["columns"]["amount_eur"].update(warn_max_iprem=20),
            "sources.sauss_interventions.columns.amount_eur: warn_max_iprem 20 is above max_iprem 15.6",
        ),
        (
            lambda b: b.pop("iprem"),
            "sources.rgc_spells.columns.monthly_amount_eur: max_iprem/warn_max_iprem need",
        ),
        (lambda b: b["iprem"].update({"2026": 610.0}), "iprem: key '2026' is text, not a year"),
        (lambda b: b["iprem"].update({2026: 0}), "iprem.2026: 0 is not above 0"),
        (
            lambda b: b["period"].update(usual_from="2000"),
            "period.usual_from: expected a date (yyyy-mm-dd), found text",
        ),
        (lambda b: b["period"].pop("max_age"), "period: missing key 'max_age'"),
        (
            lambda b: b["period"].update(unusual_age=120),
            "period: unusual_age 120 must be above 0 and at most",
        ),
        (
            lambda b: b["blank_warning"]["columns"].update(birthdate=0.2),
            "blank_warning.columns.birthdate: not a column of any source",
        ),
        (
            lambda b: b["blank_warning"].update(placeholders="-"),
            "blank_warning.placeholders: expected a non-empty list, found text",
        ),
        (
            lambda b: b["blank_warning"]["sources"]["ngo_attention"].update(address=0.9),
            "blank_warning.sources.ngo_attention.address: not a column of ngo_attention",
        ),
        (
            lambda b: b["blank_warning"]["sources"].update(ngo={"doc_number": 0.8}),
            "blank_warning.sources.ngo: not a source",
        ),
        (
            lambda b: b["blank_warning"]["columns"].update(doc_number=20),
            "blank_warning.columns.doc_number: 20 is not a share between 0 and 1",
        ),
        (lambda b: b["blank_warning"].update(share=0.5), "blank_warning: unknown key 'share'"),
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


def test_plausible_ranges_and_blank_thresholds_are_read_from_the_codebook():
    spells = codebook.columns("rgc_spells")
    amount = spells["monthly_amount_eur"]
    assert (amount["min"], amount["max_iprem"], amount["iprem_period"]) == (
        0,
        1.3,
        ["start_date", "end_date"],
    )
    assert "max" not in amount, "the cap depends on the year: 130% of its IPREM"
    assert (spells["household_size"]["warn_max"], spells["household_size"]["max"]) == (10, 30)
    assert str(spells["start_date"]["min"]) == "1990-01-01", "files inherited from the IMI keep their start"
    assert codebook.age_limits() == (110, 100)
    assert codebook.load()["period"]["rgc_head_age"] == 18
    ngo = codebook.blank_thresholds("ngo_attention")
    assert ngo["doc_number"] == 0.75 and ngo["birth_date"] == 0.55 and ngo["given_name"] == 0.2
    members = codebook.blank_thresholds("rgc_members")
    assert members["doc_number"] == 0.2 and members["birth_date"] == 0.2 and members["nationality"] == 0.5
    assert {"-", "0", "00000000T", "N/A", "SIN DATOS", "DESCONOCIDO"} <= codebook.blank_placeholders()
    assert set(codebook.blank_thresholds("rgc_members")) == {
        "given_name",
        "surname1",
        "doc_number",
        "birth_date",
        "sex",
        "municipality_code",
        "nationality",
    }
    assert codebook.blank_thresholds("ceas") == {"municipality_code": 0.2}  # required there: never blank


def test_the_ngo_thresholds_sit_above_the_synthetic_blank_rates():
    """The default region's NGO records lack a document and a birth date at these rates: no false warning."""
    noise = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))["synthetic"]["noise"]
    ngo = codebook.blank_thresholds("ngo_attention")
    assert ngo["doc_number"] >= noise["ngo_doc_missing"] + noise["doc_missing"] + 0.1
    assert ngo["birth_date"] >= noise["ngo_birth_date_missing"] + 0.1


@pytest.mark.parametrize(
    ("year", "used", "iprem"),
    [
        (2009, 2010, 532.51),
        (2013, 2013, 532.51),
        (2017, 2017, 537.84),
        (2021, 2021, 564.90),
        (2022, 2022, 579.02),
        (2023, 2023, 600.0),
        (2031, 2025, 600.0),
    ],
)
def test_the_iprem_of_a_year(year, used, iprem):
    assert codebook.iprem(year) == (used, iprem)


def test_every_iprem_change_cites_its_law():
    lines = (
        resources.files("pact_analysis").joinpath("codebook.yaml").read_text(encoding="utf-8").splitlines()
    )
    start = lines.index("iprem:")
    table = [line for line in lines[start + 1 :] if re.match(r"^  \d{4}: ", line)]
    previous = None
    for line in table:
        value = line.split(":")[1].split("#")[0].strip()
        if value != previous:
            assert re.search(r"# .*(Ley|PGE)", line), line
        previous = value


def test_every_range_cites_its_source():
    """A min/max/warn bound in codebook.yaml has a comment above its column or block (its source)."""
    lines = (
        resources.files("pact_analysis").joinpath("codebook.yaml").read_text(encoding="utf-8").splitlines()
    )
    keys = r"min|max|warn_max|warn_min|max_iprem|warn_max_iprem"
    bounded = [i for i, line in enumerate(lines) if re.search(rf"\b({keys}): -?\d", line)]
    uncited = []
    for i in bounded:
        if " mdtse_columns" in lines[i] or lines[i].startswith(("  score_", "  factor_")):
            continue
        above = i - 1
        while above >= 0 and lines[above].lstrip().startswith(("useful", "relevant", "bond", "recommend")):
            above -= 1
        if not lines[above].lstrip().startswith("#"):
            uncited.append(lines[i].strip()[:60])
    assert uncited == []
