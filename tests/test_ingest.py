"""Reading and parsing the raw extracts (the corrupted-input cases are in test_bad_inputs.py)."""

from __future__ import annotations

import hashlib
import json
import logging

import pandas as pd
import pytest

from pact_analysis import codebook, ingest
from pact_analysis.config import Paths
from pact_analysis.errors import ExtractError, StageError
from tests.fixtures import dni, params, valid_frames, write_valid_raw

STRING = {"type": "string"}


def series(*values: str) -> pd.Series:
    return pd.Series(list(values), index=range(2, 2 + len(values)), dtype=object)


@pytest.fixture
def project(tmp_path) -> Paths:
    paths = Paths(tmp_path)
    write_valid_raw(paths.raw)
    return paths


def test_run_writes_every_source_with_codebook_types(project):
    ingest.run(project, params())
    for source, expected in valid_frames().items():
        got = pd.read_parquet(project.clean / f"{source}.parquet")
        assert list(got.columns) == list(codebook.columns(source))
        assert len(got) == len(expected)
    persons = pd.read_parquet(project.clean / "sauss_persons.parquet")
    assert persons.loc[0, "birth_date"] == pd.Timestamp("1975-03-14")
    assert persons.loc[0, "given_name"] == "MARÍA JOSÉ"
    assert persons.loc[3, "municipality_code"] == "05019"
    spells = pd.read_parquet(project.clean / "rgc_spells.parquet")
    assert spells["monthly_amount_eur"].tolist() == [536.25, 430.0, 612.8]
    assert spells["prior_imi"].tolist() == [True, False, False]
    assert pd.isna(spells.loc[2, "end_date"])


def test_metrics_report_rows_documents_and_missingness(project):
    ingest.run(project, params())
    metrics = json.loads((project.metrics / "ingest.json").read_text())
    persons = metrics["sources"]["sauss_persons"]
    assert persons["rows"] == 4
    assert persons["invalid_documents"] == 0
    assert persons["missing_share"]["surname2"] == 0.25
    assert persons["encoding"] == "utf-8" and persons["delimiter"] == ";"
    assert metrics["sources"]["rgc_spells"]["decimal"] == ","
    assert "invalid_documents" not in metrics["sources"]["rgc_spells"]
    assert metrics["total_rows"] == sum(len(f) for f in valid_frames().values())


def test_same_input_gives_the_same_bytes(project, tmp_path):
    def digest() -> dict[str, str]:
        files = sorted(project.clean.iterdir()) + [project.metrics / "ingest.json"]
        return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}

    ingest.run(project, params())
    first = digest()
    ingest.run(project, params())
    assert digest() == first


def test_success_replaces_the_previous_output_as_a_whole(project):
    project.clean.mkdir(parents=True)
    (project.clean / "stale.parquet").write_text("old")
    ingest.run(project, params())
    assert not (project.clean / "stale.parquet").exists()
    assert (project.clean / "sauss_persons.parquet").exists()


def test_invalid_documents_are_logged_without_their_value(project, caplog):
    bad = dni(71234567)[:-1] + "A"
    frames = valid_frames()
    frames["rgc_members"].loc[1, "doc_number"] = bad
    from pact_analysis.extracts import write_extract

    write_extract(frames["rgc_members"], "rgc_members", project.raw)
    with caplog.at_level(logging.WARNING, logger="pact_analysis.ingest"):
        ingest.run(project, params())
    assert "rgc_members: 1 DNI/NIE fail their check letter (rows 3)" in caplog.text
    assert "71234567" not in caplog.text


def test_read_extract_returns_rows_numbered_like_a_spreadsheet(project):
    frame, info = ingest.read_extract(project.raw / "rgc_spells.csv", "rgc_spells", "2018-10-31")
    assert frame.index.tolist() == [2, 3, 4]
    assert info == {"encoding": "utf-8", "delimiter": ";", "decimal": ","}


def test_many_bad_rows_are_summarised(project):
    path = project.raw / "ngo_attention.csv"
    lines = path.read_text().splitlines()
    header, row = lines[0], lines[1]
    body = [row.replace("N000001", f"N{i:06d}").replace("CARITAS", "UNKNOWN") for i in range(12)]
    path.write_text("\n".join([header, *body]) + "\n")
    with pytest.raises(ExtractError) as err:
        ingest.read_extract(path, "ngo_attention", "2018-10-31")
    assert len(err.value.problems) == ingest.ROWS_SHOWN + 1
    assert err.value.problems[0].startswith("row 2, column ngo_code: 'UNKNOWN' is not a code of list ngo")
    assert err.value.problems[-1].startswith("column ngo_code: 7 more rows with the same problem")


# --- the pieces -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "encoding", "text"),
    [
        ("Núñez".encode(), "utf-8", "Núñez"),
        ("\ufeffNúñez".encode(), "utf-8-sig", "Núñez"),
        ("Núñez".encode("latin-1"), "cp1252", "Núñez"),
        ("5 €".encode("cp1252"), "cp1252", "5 €"),
    ],
)
def test_decode(data, encoding, text):
    assert ingest.decode(data, "x.csv") == (text, encoding)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "empty (0 bytes)"),
        (b"PK\x03\x04rest", "is a spreadsheet (.xlsx)"),
        (b"\xd0\xcf\x11\xe0rest", "is a spreadsheet (.xls)"),
        ("a;b".encode("utf-16"), "binary file (or UTF-16"),
        ("Núñez\nMartín".encode()[:-3] + "ín".encode("latin-1"), "row 2: byte 0xed is not UTF-8"),
    ],
)
def test_decode_refuses(data, fragment):
    with pytest.raises(ExtractError, match=r"^x\.csv: .*" + fragment.replace("(", r"\(").replace(")", r"\)")):
        ingest.decode(data, "x.csv")


@pytest.mark.parametrize(
    ("line", "sep"), [("a;b;c", ";"), ("a,b,c", ","), ("a\tb\tc", "\t"), ("a;b,c", ";"), ("a", ";")]
)
def test_sniff_delimiter(line, sep):
    assert ingest.sniff_delimiter(line) == sep


def test_parse_int():
    values, problems = ingest.parse_int(
        series("3", "+4", "5,0", "6.00", "", "2,5", "1.000", "x"), "n", STRING
    )
    assert values.tolist()[:5] == [3, 4, 5, 6, pd.NA]
    assert [p.rows for p in problems] == [(7,), (8,), (9,)]


@pytest.mark.parametrize(
    ("values", "decimal"),
    [(("536,25", "430,0"), ","), (("536.25", "1.234,5"), ","), (("536.25", "12"), "."), (("12",), ",")],
)
def test_detect_decimal(values, decimal):
    assert ingest.detect_decimal([series(*values)]) == decimal


def test_parse_float_both_conventions():
    comma, bad = ingest.parse_float(series("1.234,56", "-0,5", "7", "", "1,2,3"), "x", STRING, ",")
    assert comma.tolist()[:4] == [1234.56, -0.5, 7.0, pd.NA]
    assert [p.rows for p in bad] == [(6,)]
    point, bad = ingest.parse_float(series("1,234.56", "0.5", "12,34"), "x", STRING, ".")
    assert point.tolist()[:2] == [1234.56, 0.5]
    assert [p.rows for p in bad] == [(4,)]


def test_parse_date_formats_and_failures():
    raw = series(
        "14/03/1975", "1975-03-14", "14-03-1975", "14.03.1975", "1975-03-14 00:00:00", "4/3/1975", ""
    )
    values, problems = ingest.parse_date(raw, "d", STRING)
    assert values.tolist()[:5] == [pd.Timestamp("1975-03-14")] * 5
    assert values.iloc[5] == pd.Timestamp("1975-03-04")
    assert pd.isna(values.iloc[6]) and not problems
    values, problems = ingest.parse_date(series("31/02/1980", "14/03/75", "03/14/1975", "ayer"), "d", STRING)
    assert values.isna().all()
    assert [(p.rows, p.kind) for p in problems] == [
        ((3,), "has a two-digit or missing year"),
        ((5,), "has a two-digit or missing year"),
        ((2,), "is not a date"),
        ((4,), "is not a date"),
    ]


def test_parse_date_never_quotes_personal_data():
    _, problems = ingest.parse_date(series("31/02/1980"), "birth_date", {"type": "date", "pii": True})
    assert "1980" not in str(problems[0]) and "personal data" in str(problems[0])


def test_parse_bool():
    values, problems = ingest.parse_bool(
        series("1", "0", "S", "n", "Sí", "NO", "true", "False", "", "2"), "b", STRING
    )
    assert values.tolist()[:9] == [True, False, True, False, True, False, True, False, pd.NA]
    assert [p.rows for p in problems] == [(11,)]


def test_parse_string_normalises_codes_zeros_and_documents():
    spec = {"type": "string", "codes": "sex"}
    assert ingest.parse_string(series("h", "M", "x", ""), "sex", spec)[0].tolist() == ["H", "M", "x", pd.NA]
    spec = {"type": "string", "pattern": r"^\d{5}$"}
    assert ingest.parse_string(series("5019", "47186", "A1"), "m", spec)[0].tolist() == [
        "05019",
        "47186",
        "A1",
    ]
    decomposed = "Nu\u0301n\u0303ez"
    assert ingest.parse_string(series(decomposed), "surname1", STRING)[0].iloc[0] == "Núñez"
    assert ingest.parse_string(series("12345678-z"), "doc_number", STRING)[0].iloc[0] == "12345678Z"


def test_match_header_suggests_the_closest_missing_column():
    header = list(codebook.columns("ceas"))
    header[header.index("ceas_name")] = "ceas_nombre"
    names, problems = ingest.match_header(header, "ceas", [])
    texts = [str(p) for p in problems]
    assert "row 1, column 'ceas_nombre': not expected; did you mean ceas_name?" in texts
    assert "row 1, column ceas_name: missing from the header" in texts


def test_optional_column_may_be_absent():
    specs = codebook.columns("ceas")
    spec = dict(specs["pilot_territory"])
    try:
        specs["pilot_territory"]["required"] = False
        names, problems = ingest.match_header([c for c in specs if c != "pilot_territory"], "ceas", [])
        assert problems == []
    finally:
        specs["pilot_territory"].clear()
        specs["pilot_territory"].update(spec)


def test_required_sources_are_those_of_the_codebook():
    assert ingest.required_sources() == [
        "ceas",
        "sauss_persons",
        "sauss_interventions",
        "rgc_members",
        "rgc_spells",
    ]


# --- missing versus empty ---------------------------------------------------------------------------


@pytest.fixture
def partial_delivery(tmp_path) -> Paths:
    """Required extracts, one optional extract delivered with a header only, the others not delivered."""
    paths = Paths(tmp_path)
    write_valid_raw(paths.raw, ingest.required_sources() + ["employment_episodes"])
    path = paths.raw / "employment_episodes.csv"
    path.write_text(path.read_text().splitlines()[0] + "\n")
    return paths


def test_an_absent_extract_is_not_delivered_and_an_empty_one_has_zero_rows(partial_delivery, caplog):
    with caplog.at_level(logging.INFO, logger="pact_analysis.ingest"):
        ingest.run(partial_delivery, params())
    sources = json.loads((partial_delivery.metrics / "ingest.json").read_text())["sources"]
    assert sources["ngo_attention"] == {"file": "ngo_attention.csv", "delivered": False, "rows": None}
    assert sources["employment_episodes"]["delivered"] is True
    assert sources["employment_episodes"]["rows"] == 0
    assert sources["sauss_persons"]["rows"] == 4
    n_given, n_all = len(ingest.required_sources()) + 1, len(codebook.sources())
    assert f"{n_given} of {n_all} sources delivered; not delivered: employment_persons.csv" in caplog.text
    assert "employment_episodes.csv" not in caplog.text.split("not delivered:")[1]


def test_read_delivery_tells_the_report_which_extracts_were_delivered(partial_delivery):
    ingest.run(partial_delivery, params())
    delivery = ingest.read_delivery(partial_delivery)
    assert list(delivery) == list(codebook.sources())
    assert delivery["pilot_assignment"]["rows"] is None
    assert delivery["employment_episodes"]["rows"] == 0
    given = ingest.delivered(partial_delivery)
    assert {s for s, d in given.items() if d} == set(ingest.required_sources()) | {"employment_episodes"}


def test_read_delivery_without_an_ingest_run_says_what_to_do(tmp_path):
    with pytest.raises(StageError, match="run the ingest stage first"):
        ingest.read_delivery(Paths(tmp_path))
