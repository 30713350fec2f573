"""Reading, parsing and accounting for the raw extracts (the corrupted-input cases are in test_bad_inputs.py)."""

from __future__ import annotations

import hashlib
import json
import logging

import pandas as pd
import pytest

from pact_analysis import codebook, ingest
from pact_analysis.errors import ExtractError, StageError
from pact_analysis.ingest import parsers, validation
from pact_analysis.paths import Paths
from pact_analysis.stages import ingest as stage
from tests.fixtures import EXTRACTION_DATE, dni, params, valid_frames, write_valid_raw

STRING = {"type": "string"}


def series(*values: str) -> pd.Series:
    return pd.Series(list(values), index=range(2, 2 + len(values)), dtype=object)


@pytest.fixture
def project(tmp_path) -> Paths:
    paths = Paths(tmp_path)
    write_valid_raw(paths.raw)
    return paths


def test_run_writes_every_source_with_codebook_types(project):
    stage.run(project, params())
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


def test_metrics_hold_the_headline_figures_and_the_delivery_the_detail(project):
    stage.run(project, params())
    metrics = json.loads(project.metric("ingest").read_text())
    assert metrics == {
        "sources_delivered": len(codebook.sources()),
        "total_rows": sum(len(f) for f in valid_frames().values()),
        "invalid_documents": 0,
        "warnings": 0,
    }
    sources = ingest.read_delivery(project)
    persons = sources["sauss_persons"]
    assert persons["rows"] == 4
    assert persons["invalid_documents"] == 0
    assert persons["missing_share"]["surname2"] == 0.25
    assert persons["encoding"] == "utf-8" and persons["delimiter"] == ";"
    assert persons["dropped_columns"] == []
    assert sources["rgc_spells"]["decimal"] == ","
    assert "invalid_documents" not in sources["rgc_spells"]
    delivery = json.loads((project.clean / ingest.DELIVERY_FILE).read_text())
    assert delivery["extraction_date"] == EXTRACTION_DATE
    assert ingest.read_warnings(project).empty


def test_same_input_gives_the_same_bytes(project, tmp_path):
    def digest() -> dict[str, str]:
        files = sorted(project.clean.iterdir()) + [project.metric("ingest")]
        return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}

    stage.run(project, params())
    first = digest()
    stage.run(project, params())
    assert digest() == first


def test_success_replaces_the_previous_output_as_a_whole(project):
    project.clean.mkdir(parents=True)
    (project.clean / "stale.parquet").write_text("old")
    stage.run(project, params())
    assert not (project.clean / "stale.parquet").exists()
    assert (project.clean / "sauss_persons.parquet").exists()


def test_invalid_documents_are_logged_without_their_value(project, caplog):
    bad = dni(71234567)[:-1] + "A"
    frames = valid_frames()
    frames["rgc_members"].loc[1, "doc_number"] = bad
    from pact_analysis.extracts import write_extract

    write_extract(frames["rgc_members"], "rgc_members", project.raw)
    with caplog.at_level(logging.WARNING, logger="pact_analysis.ingest"):
        stage.run(project, params())
    assert (
        "rgc_members.csv: row 3, column doc_number: 1 DNI/NIE fail their format or check letter"
        in caplog.text
    )
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
        ("Núñez\tMartín\r\n".encode("utf-16"), "utf-16", "Núñez\tMartín\r\n"),
        (b"\xfe\xff" + "Núñez".encode("utf-16-be"), "utf-16", "Núñez"),
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
        ("a;b".encode("utf-16-le"), "binary file (or UTF-16 text without a byte-order mark)"),
        (b"\xff\xfe" + "a;b".encode("utf-16-le") + b"\x00\xd8", "row 1: not valid UTF-16"),
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
        ((5,), "is not a date (expected dd/mm/yyyy or yyyy-mm-dd)"),
        ((3,), "has a two-digit year (write it in full)"),
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
        stage.run(partial_delivery, params())
    sources = ingest.read_delivery(partial_delivery)
    assert sources["ngo_attention"] == {"file": "ngo_attention.csv", "delivered": False, "rows": None}
    assert sources["employment_episodes"]["delivered"] is True
    assert sources["employment_episodes"]["rows"] == 0
    assert sources["sauss_persons"]["rows"] == 4
    n_given, n_all = len(ingest.required_sources()) + 1, len(codebook.sources())
    assert f"{n_given} of {n_all} sources delivered; not delivered: employment_persons.csv" in caplog.text
    assert "employment_episodes.csv" not in caplog.text.split("not delivered:")[1]


def test_read_delivery_tells_the_report_which_extracts_were_delivered(partial_delivery):
    stage.run(partial_delivery, params())
    delivery = ingest.read_delivery(partial_delivery)
    assert list(delivery) == list(codebook.sources())
    assert delivery["pilot_assignment"]["rows"] is None
    assert delivery["employment_episodes"]["rows"] == 0
    given = ingest.delivered(partial_delivery)
    assert {s for s, d in given.items() if d} == set(ingest.required_sources()) | {"employment_episodes"}


def test_read_delivery_without_an_ingest_run_says_what_to_do(tmp_path):
    with pytest.raises(StageError, match="run the ingest stage first"):
        ingest.read_delivery(Paths(tmp_path))
    with pytest.raises(StageError, match="warnings.json: missing; run the ingest stage first"):
        ingest.read_warnings(Paths(tmp_path))


# --- no input crashes a parser ----------------------------------------------------------------------

FLOAT = {"type": "float"}
PARSE = {
    "string": lambda raw: ingest.parse_string(raw, "s", STRING),
    "int": lambda raw: ingest.parse_int(raw, "n", STRING),
    "float": lambda raw: ingest.parse_float(raw, "x", FLOAT, ","),
    "date": lambda raw: ingest.parse_date(raw, "d", STRING),
    "bool": lambda raw: ingest.parse_bool(raw, "b", STRING),
    "code": lambda raw: ingest.parse_string(raw, "sex", {"type": "string", "codes": "sex"}),
}
UNPARSABLE = {"int": "tres", "float": "mucho", "date": "ayer", "bool": "quizás"}


@pytest.mark.parametrize("kind", list(PARSE))
def test_every_parser_reads_an_all_empty_column(kind):
    for raw in (series("", "", ""), series(), pd.Series([None, float("nan")], index=[2, 3], dtype=object)):
        values, problems = PARSE[kind](raw)
        assert len(values) == len(raw) and values.isna().all() and problems == [], kind
        assert values.index.equals(raw.index)


@pytest.mark.parametrize("kind", list(UNPARSABLE))
def test_every_parser_reports_an_all_unparsable_column_row_by_row(kind):
    values, problems = PARSE[kind](series(*[UNPARSABLE[kind]] * 3))
    assert values.isna().all()
    assert [p.rows for p in problems] == [(2,), (3,), (4,)]


def test_numbers_with_too_many_digits_are_problems_not_crashes():
    values, problems = ingest.parse_int(series("9" * 40, "12"), "n", STRING)
    assert values.tolist() == [pd.NA, 12] and [p.kind for p in problems] == ["has more than 15 digits"]
    values, problems = ingest.parse_float(series("9" * 400 + ",5", "1,5"), "x", FLOAT, ",")
    assert values.tolist() == [pd.NA, 1.5] and [p.rows for p in problems] == [(2,)]


def test_dates_in_month_day_order_are_refused_with_a_hint():
    values, problems = ingest.parse_date(series("03/14/2015", "12/25/2016", "01/02/2017"), "d", STRING)
    assert [(p.rows, p.kind) for p in problems] == [((2, 3), "month/day")]
    assert str(problems[0]) == (
        "rows 2 and 3, column d: every date of this column reads as month/day, and 2 do not as day/month "
        "(the first: '03/14/2015'): day and month swapped? (export dates as dd/mm/yyyy)"
    )
    assert values.iloc[2] == pd.Timestamp("2017-02-01"), "an ambiguous date still reads day first"


def test_a_lone_month_day_date_among_day_month_ones_is_just_not_a_date():
    _, problems = ingest.parse_date(series("25/12/2016", "03/14/2015"), "d", STRING)
    assert [(p.rows, p.kind) for p in problems] == [((3,), "is not a date")]


def test_month_day_birth_dates_are_not_quoted():
    spec = {"type": "date", "pii": True}
    _, problems = ingest.parse_date(series("03/14/1975", "07/30/1990"), "birth_date", spec)
    assert len(problems) == 1 and "1975" not in str(problems[0]) and "swapped?" in str(problems[0])


def test_many_month_day_dates_are_one_problem_listing_the_first_rows():
    _, problems = ingest.parse_date(series(*[f"01/{d}/2015" for d in range(13, 29)]), "d", STRING)
    assert len(problems) == 1 and problems[0].rows == (2, 3, 4, 5, 6)
    assert "and 16 do not as day/month (the first: '01/13/2015')" in str(problems[0])


def test_a_crashing_parser_is_a_problem_naming_its_column(monkeypatch):
    def crash(raw, name, spec):
        raise KeyError("12345678Z")

    monkeypatch.setitem(parsers.PARSERS, "int", crash)
    text = pd.DataFrame({c: series("1") for c in codebook.columns("satisfaction_surveys")})
    _, _, problems = ingest.parse_columns(text, "satisfaction_surveys")
    crashed = [p for p in problems if p.kind == "crash"]
    assert [p.column for p in crashed] == ["useful", "relevant", "bond", "recommend"]
    assert "could not be parsed: unexpected KeyError" in str(crashed[0]) and "12345678Z" not in str(
        crashed[0]
    )


def test_a_crashing_check_is_a_problem_naming_its_column(project, monkeypatch):
    import pandera.pandas as pa

    from pact_analysis import schemas

    real = schemas.schema_for

    def broken(source, extraction_date=None):
        schema = real(source, extraction_date)
        if source == "rgc_spells":
            bad = pa.Check(lambda s: 1 / 0, name="divides_by_zero")
            schema = schema.update_column("household_size", checks=[bad])
        return schema

    monkeypatch.setattr(schemas, "schema_for", broken)
    with pytest.raises(ExtractError) as err:
        ingest.read_extract(project.raw / "rgc_spells.csv", "rgc_spells", EXTRACTION_DATE)
    assert "column household_size: could not be validated: the check 'divides_by_zero'" in str(err.value)


def test_an_unexpected_error_anywhere_in_a_file_is_one_message(project, monkeypatch):
    def crash(*_args):
        raise MemoryError

    monkeypatch.setattr(validation, "notices", crash)
    with pytest.raises(ExtractError, match=r"^ceas\.csv: could not be read: unexpected MemoryError"):
        ingest.read_one(project.raw / "ceas.csv", "ceas", EXTRACTION_DATE)


# --- structure and header ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "cut_off"),
    [
        ("a;b\n1;2\n3;4", 3),
        ("a;b\r\n1;2\r\n3;4", 3),
        ("a;b\n1;2\n3;4\n", None),
        ("a;b\n1;2\n;", None),
        ("a;b\n", None),
        ('a;b\n1;"two\nlines"', 2),
    ],
)
def test_a_last_line_without_its_line_break_is_noticed(text, cut_off):
    assert ingest.split_records(text, "x.csv").cut_off == cut_off


def test_an_unexpected_column_is_dropped_when_nothing_is_missing():
    header = [*codebook.columns("ceas"), "Observaciones", ""]
    rows = [["x"] * (len(header) - 2) + ["nota", "otra"]]
    names, problems = ingest.match_header(header, "ceas", rows)
    assert problems == [] and names[-2:] == ["", ""]
    assert ingest.dropped_columns(header, names, rows) == ["'Observaciones'", "#8 (no name)"]
    assert ingest.dropped_columns(header, names, [r[:-1] + [""] for r in rows]) == ["'Observaciones'"]


# --- warnings ---------------------------------------------------------------------------------------


def test_blank_shares_are_warned_about_per_source_threshold():
    frame = valid_frames()["ngo_attention"].set_index(pd.Index([2, 3], name="row"))
    frame["doc_number"] = [None, "X"]  # 50% blank: under the NGO's 75%
    frame["surname1"] = [None, None]  # 100% blank: over the keys' 20%
    found = validation.blank_notices(frame, "ngo_attention", "data/extracts/ngo_attention.csv")
    assert [(n.column, n.share) for n in found] == [("surname1", 1.0)]
    assert str(found[0]).startswith(
        "data/extracts/ngo_attention.csv: column surname1: blank in 2 of 2 rows (100%, over 20%)"
    )
    assert str(found[0]).endswith("lose it for every record")


def test_a_key_blank_in_one_row_of_four_is_warned_about():
    frame = valid_frames()["sauss_persons"].set_index(pd.Index([2, 3, 4, 5], name="row"))
    frame["doc_number"] = [None, frame["doc_number"].iloc[1], frame["doc_number"].iloc[2], None]
    found = validation.blank_notices(frame, "sauss_persons", "p.csv")
    assert [(n.column, n.share) for n in found] == [("doc_number", 0.5)]
    frame["doc_number"] = [None, *frame["doc_number"].iloc[1:4].fillna("12345678Z")]
    notice = validation.blank_notices(frame, "sauss_persons", "p.csv")[0]
    assert notice.share == 0.25, "25% > 20%"
    assert str(notice).endswith("this column lose it for 25.0% of the records") and "most" not in str(notice)


@pytest.mark.parametrize(
    ("count", "total", "lost"),
    [
        (1, 4, "25.0% of the records"),
        (1, 2, "50.0% of the records"),
        (2, 3, "most records"),
        (9752, 9753, "most records"),
        (3, 3, "every record"),
    ],
)
def test_the_records_lost_say_most_only_over_half(count, total, lost):
    assert validation._records_lost(count, total) == lost


@pytest.mark.parametrize("placeholder", ["-", "0", "00000000T", "N/A", "sin datos", " Desconocido ", "S/D"])
def test_placeholders_count_as_blank(placeholder):
    frame = valid_frames()["rgc_members"].set_index(pd.Index([2, 3, 4], name="row"))
    frame["given_name"] = pd.array([placeholder, placeholder, "ANA"], dtype="string")
    found = validation.blank_notices(frame, "rgc_members", "m.csv")
    assert [(n.column, n.share) for n in found] == [("given_name", 0.6667)]
    shown = placeholder.strip()
    assert f"blank in 2 of 3 rows (66.7%, over 20%; 2 of them placeholders: '{shown}')" in str(found[0])


def test_the_placeholders_found_are_named_most_frequent_first():
    frame = pd.DataFrame(
        {"surname1": pd.array(["-", "N/A", "-", "?", "0", "GARCÍA"], dtype="string")},
        index=pd.RangeIndex(2, 8, name="row"),
    )
    frame = frame.reindex(columns=list(codebook.columns("rgc_members"))).assign(surname1=frame["surname1"])
    notice = next(
        n for n in validation.blank_notices(frame, "rgc_members", "m.csv") if n.column == "surname1"
    )
    assert "blank in 5 of 6 rows (83.3%, over 20%; 5 of them placeholders: '-', " in str(notice)
    assert "and 1 more)" in str(notice) and "GARC" not in str(notice)


def test_a_number_zero_is_not_a_placeholder():
    frame = valid_frames()["sauss_persons"].set_index(pd.Index([2, 3, 4, 5], name="row"))
    frame["disability_pct"] = pd.array([0, 0, 0, 0], dtype="Int64")  # no disability: a value
    assert validation.blank_notices(frame, "sauss_persons", "p.csv") == []


@pytest.mark.parametrize(
    ("count", "total", "text", "share"),
    [
        (9752, 9753, "99.99%", 0.9999),
        (999_999, 1_000_000, "99.9999%", 0.9999),
        (3, 3, "100%", 1.0),
        (2, 3, "66.7%", 0.6667),
        (1, 100_000, "0.001%", 0.0001),
        (0, 5, "0%", 0.0),
    ],
)
def test_a_share_never_rounds_to_all_or_nothing(count, total, text, share):
    assert validation.share_text(count, total) == text
    assert validation.share_value(count, total) == share


def test_a_nearly_blank_key_never_shows_100_percent():
    n = 9753
    frame = pd.DataFrame(
        {"birth_date": pd.to_datetime(["1980-01-01"] + [None] * (n - 1))},
        index=pd.RangeIndex(2, n + 2, name="row"),
    )
    frame = frame.reindex(columns=list(codebook.columns("rgc_members"))).assign(
        birth_date=frame["birth_date"]
    )
    notice = next(
        n for n in validation.blank_notices(frame, "rgc_members", "m.csv") if n.column == "birth_date"
    )
    assert "blank in 9,752 of 9,753 rows (99.99%, over 20%)" in str(notice) and notice.share == 0.9999


def test_unusual_values_are_read_with_a_warning():
    frame = valid_frames()["employment_episodes"].set_index(pd.Index([2, 3, 4], name="row"))
    frame["hours_week"] = pd.array([None, 41.0, 50.0], dtype="Float64")
    found = validation.notices(frame, "employment_episodes", "e.csv", EXTRACTION_DATE)
    assert [(n.column, n.rows, n.kind) for n in found] == [("hours_week", (3, 4), "unusual")]
    assert str(found[0]) == (
        "e.csv: rows 3 and 4, column hours_week: 2 values above 40: possible but unusual; read "
        "(check them in the source system)"
    )


def test_an_emergency_aid_above_half_the_yearly_iprem_of_its_year_is_read_with_a_warning():
    frame = valid_frames()["sauss_interventions"].set_index(pd.Index([2, 3, 4, 5, 6], name="row"))
    frame["amount_eur"] = pd.array([None, 3195.06, 3195.07, 3227.04, None], dtype="Float64")
    found = validation.notices(frame, "sauss_interventions", "i.csv", EXTRACTION_DATE)
    assert [(n.column, n.rows) for n in found] == [("amount_eur", (4,))], "2017's 3,227.04 is within"
    assert str(found[0]) == (
        "i.csv: row 4, column amount_eur: 1 value above 6 times the monthly IPREM of its year (3,195.06 in "
        "2015): possible but unusual; read (check them in the source system)"
    )


def test_dates_before_2000_are_read_with_a_warning():
    frame = valid_frames()["employment_episodes"].set_index(pd.Index([2, 3, 4], name="row"))
    frame["start_date"] = pd.to_datetime(["1998-09-01", "2000-01-01", "2017-04-03"])
    found = validation.notices(frame, "employment_episodes", "e.csv", EXTRACTION_DATE)
    assert [(n.column, n.rows) for n in found] == [("start_date", (2,))]
    assert "1 value before 01/01/2000: possible but unusual" in str(found[0])


def _rgc(head_birth: str) -> dict[str, pd.DataFrame]:
    frames = valid_frames()
    members = frames["rgc_members"].set_index(pd.Index([2, 3, 4], name="row"))
    members["birth_date"] = pd.to_datetime(["1980-05-01", "2001-01-01", head_birth])  # row 3 is a member
    spells = frames["rgc_spells"].set_index(pd.Index([2, 3, 4], name="row"))
    return {"rgc_members": members, "rgc_spells": spells}


def test_an_rgc_head_under_18_at_the_start_is_read_with_a_warning():
    found = validation.head_age_notices(_rgc("2000-06-01"), "s.csv")  # EXP0002: 01/10/2016 and 01/01/2018
    assert [(n.column, n.rows, n.kind) for n in found] == [("start_date", (3, 4), "unusual")]
    assert str(found[0]).startswith(
        "s.csv: rows 3 and 4, column start_date: 2 spells start before the household head (rgc_members.csv, "
        "role HEAD) turned 18: possible (the RGC requires 25 to 64, with exceptions) but unusual"
    )
    assert "2000" not in str(found[0])
    assert validation.head_age_notices(_rgc("1998-10-01"), "s.csv") == [], "18 on the day it starts"
    assert validation.head_age_notices(_rgc("1998-10-02"), "s.csv")[0].rows == (3,), "17 on 01/10/2016"


def test_a_member_under_18_is_no_head():
    frames = _rgc("1970-01-01")
    assert frames["rgc_members"].loc[3, "role"] == "MEMBER"
    assert validation.head_age_notices(frames, "s.csv") == []


@pytest.mark.xdist_group("tiny_region")
def test_the_codebook_thresholds_pass_the_synthetic_default(tiny_project):
    """The tiny synthetic region (same rates as the default) reads with no warning but invalid documents."""
    kinds = set(ingest.read_warnings(tiny_project)["kind"])
    assert kinds <= {"document"}, kinds


@pytest.mark.parametrize(
    ("parser", "spec", "cells"),
    [
        (ingest.parse_date, STRING, ["14/03/1975", "1975-03-14", "", "4/3/1975", "31/12/2018"]),
        (ingest.parse_date, STRING, ["14/03/1975", "31/02/1980", "", "14/03/75"]),  # problems
        (ingest.parse_date, STRING, ["03/14/1975", "12/25/1980", "01/02/1990"]),  # month first
        (ingest.parse_int, STRING, ["3", "+3", "3,0", "", "12"]),
        (ingest.parse_int, STRING, ["3", "2,5", "x", "1234567890123456"]),
        (ingest.parse_bool, STRING, ["S", "n", "Sí", "", "1"]),
        (ingest.parse_string, {"type": "string", "codes": "sex"}, ["h", "M", "x", ""]),
        (ingest.parse_string, {"type": "string", "pattern": r"^\d{5}$"}, ["5019", "47186", "A1", ""]),
    ],
)
def test_parsing_distinct_values_is_parsing_every_row(parser, spec, cells):
    """Each distinct text parsed once gives the column (and the messages) parsing every row gives."""
    import numpy as np

    rng = np.random.default_rng(len(cells))
    raw = series(*rng.choice(cells, 400).tolist())
    values, problems = parsers.parse_distinct(parser, raw, "c", spec)
    expected, expected_problems = parser(raw, "c", spec)
    pd.testing.assert_series_equal(values, expected, check_names=False)
    assert [str(p) for p in problems] == [str(p) for p in expected_problems]


def test_parsing_distinct_floats_keeps_the_decimal_sign():
    import functools

    raw = series("1.234,56", "-0,5", "7", "", "1.234,56", "7")
    comma = functools.partial(ingest.parse_float, decimal=",")
    values, problems = parsers.parse_distinct(comma, raw, "x", STRING)
    pd.testing.assert_series_equal(values, comma(raw, "x", STRING)[0], check_names=False)
    assert values.tolist()[:3] == [1234.56, -0.5, 7.0] and not problems


def test_parsing_distinct_values_sees_past_a_nul():
    """pandas hashes a string only up to a NUL; such a column is parsed row by row."""
    raw = series("\x00ANA", "\x00LUIS", "\x00ANA")
    values, _ = parsers.parse_distinct(ingest.parse_string, raw, "given_name", STRING)
    assert values.tolist() == ["\x00ANA", "\x00LUIS", "\x00ANA"]
