"""The pandera contracts built from the codebook."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
import pytest

from pact_analysis import codebook, schemas
from tests.fixtures import EXTRACTION_DATE, dni, nie, valid_frames


def typed(source: str) -> pd.DataFrame:
    """The fixture frame of ``source`` with the codebook's columns and dtypes."""
    specs = codebook.columns(source)
    return valid_frames()[source][list(specs)].astype(
        {n: schemas.DTYPES[s["type"]] for n, s in specs.items()}
    )


def failures(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    try:
        schemas.schema_for(source, EXTRACTION_DATE).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        return err.failure_cases
    return pd.DataFrame(columns=["column", "check", "index"])


@pytest.mark.parametrize("source", list(codebook.sources()))
def test_every_source_has_a_schema_with_exactly_the_codebook_columns(source):
    schema = schemas.schema_for(source, EXTRACTION_DATE)
    assert list(schema.columns) == list(codebook.columns(source))
    assert schema.strict is True
    assert failures(typed(source), source).empty


def test_mdtse_schema_has_dimensions_and_36_factors():
    columns = schemas.schema_for("mdtse_assessments").columns
    assert {f"dim_{d}" for d in codebook.mdtse_dimensions()} <= set(columns)
    assert sum(c.startswith("f") and c[1:].isdigit() for c in columns) == 36


def test_extra_column_is_refused():
    frame = typed("ceas").assign(comment="x")
    assert "comment" in set(failures(frame, "ceas")["failure_case"])


@pytest.mark.parametrize(
    ("source", "column", "value", "check"),
    [
        ("sauss_persons", "sex", "X", "is not a code of list sex (H, M)"),
        ("sauss_persons", "disability_pct", 101, "is above the maximum 100 (plausible range 0 to 100)"),
        ("rgc_spells", "household_size", 0, "is below the minimum 1 (plausible range 1 to 30)"),
        ("rgc_spells", "household_size", 31, "is above the maximum 30 (plausible range 1 to 30)"),
        ("rgc_spells", "monthly_amount_eur", -0.01, "is below the minimum 0"),
        ("ceas", "province_code", "4", r"does not match the pattern ^\d{2}$"),
        ("sauss_persons", "ceas_code", None, "not_nullable"),
        (
            "rgc_spells",
            "start_date",
            pd.Timestamp("1989-12-31"),
            "is before 01/01/1990, the earliest plausible date",
        ),
        (
            "sauss_interventions",
            "date",
            pd.Timestamp("1907-10-31"),
            "is before 01/11/1907, the earliest plausible date (the birth date of a person aged 110 at the "
            "extraction date)",
        ),
        (
            "sauss_interventions",
            "date",
            pd.Timestamp("2018-11-01"),
            "is after the extraction date 31/10/2018",
        ),
        (
            "sauss_persons",
            "birth_date",
            pd.Timestamp("1907-10-31"),
            "is before 01/11/1907, the earliest plausible date (an age of 111 or more)",
        ),
    ],
)
def test_a_bad_value_fails_the_named_check(source, column, value, check):
    frame = typed(source)
    frame.loc[1, column] = value
    found = failures(frame, source)
    assert found[["column", "check", "index"]].values.tolist() == [[column, check, 1]]


def test_ages_run_from_0_to_110_at_the_extraction_date():
    """An age of 110 is read, 111 is refused: born on 31/10/1907 is 111 on 31/10/2018."""
    assert schemas.date_bounds("birth_date", "2018-10-31") == (
        pd.Timestamp("1907-11-01"),
        pd.Timestamp("2018-10-31"),
    )
    assert schemas.date_bounds("birth_date", "2005-06-30")[0] == pd.Timestamp("1900-01-01"), "earliest_birth"
    assert schemas.date_bounds("birth_date", "2020-02-29")[0] == pd.Timestamp("1909-03-01"), "leap day"
    assert schemas.number_bounds("birth_year", {}, "2018-10-31") == (1907, 2018)
    frame = typed("sauss_persons")
    frame.loc[0, "birth_date"] = pd.Timestamp("1907-11-01")
    assert failures(frame, "sauss_persons").empty
    frame.loc[0, "birth_date"] = pd.Timestamp("1907-10-31")
    assert failures(frame, "sauss_persons")["column"].tolist() == ["birth_date"]


@pytest.mark.parametrize(
    ("year", "check"),
    [
        (1906, "is below the minimum 1907 (an age of 111 or more at the extraction date)"),
        (2019, "is above the maximum 2018 (after the extraction year)"),
    ],
)
def test_birth_years_follow_the_ages(year, check):
    frame = typed("ngo_attention").reset_index(drop=True)
    frame.loc[1, "birth_year"] = year
    assert failures(frame, "ngo_attention")[["column", "check", "index"]].values.tolist() == [
        ["birth_year", check, 1]
    ]
    frame.loc[1, "birth_year"] = 1907  # 110 or 111 on 31/10/2018: may be 110, read
    assert failures(frame, "ngo_attention").empty


def test_unusual_bounds_come_from_the_codebook_and_the_ages():
    spells = codebook.columns("employment_episodes")["hours_week"]
    assert schemas.unusual_bounds("hours_week", spells, EXTRACTION_DATE) == (None, 40)
    # over 100: 101 or more, i.e. born on 31/10/1917 or before
    assert schemas.unusual_bounds("birth_date", {}, EXTRACTION_DATE) == (pd.Timestamp("1917-11-01"), None)
    assert schemas.unusual_bounds("birth_year", {}, EXTRACTION_DATE) == (1918, None)
    assert schemas.unusual_bounds("record_id", {"type": "string"}, EXTRACTION_DATE) == (None, None)
    registration = codebook.columns("sauss_persons")["registration_date"]
    assert schemas.unusual_bounds("registration_date", registration, EXTRACTION_DATE) == (
        pd.Timestamp("2000-01-01"),
        None,
    )
    start = codebook.columns("rgc_spells")["start_date"]
    assert schemas.unusual_bounds("start_date", start, EXTRACTION_DATE) == (
        pd.Timestamp("2000-01-01"),
        None,
    ), "files inherited from the IMI in the 1990s are read with a warning"


def test_every_number_has_a_plausible_range():
    """Every amount, count and score is bounded on both sides (birth years by the ages of `period`)."""
    for source in codebook.sources():
        for name, spec in codebook.columns(source).items():
            if spec["type"] in ("int", "float"):
                low, high = schemas.number_bounds(name, spec, EXTRACTION_DATE)
                assert low is not None and high is not None, f"{source}.{name}"


def test_old_events_are_read_back_to_the_earliest_birth_date_but_rgc_spells_start_from_1990():
    frame = typed("sauss_persons")
    frame.loc[0, "birth_date"] = pd.Timestamp("1930-05-01")
    frame.loc[0, "registration_date"] = pd.Timestamp("2004-05-01")
    assert failures(frame, "sauss_persons").empty
    frame.loc[0, "registration_date"] = pd.Timestamp("1907-10-31")
    assert failures(frame, "sauss_persons")["column"].tolist() == ["registration_date"]
    episodes = typed("employment_episodes")
    episodes.loc[1, "start_date"] = pd.Timestamp("2008-03-01")  # a contract of 2008, still running
    assert failures(episodes, "employment_episodes").empty
    spells = typed("rgc_spells")
    spells.loc[0, "start_date"] = pd.Timestamp("1990-01-01")  # a file inherited from the IMI
    assert failures(spells, "rgc_spells").empty
    spells.loc[0, "start_date"] = pd.Timestamp("1989-12-31")
    assert failures(spells, "rgc_spells")["column"].tolist() == ["start_date"]


def _amount_failures(source: str, column: str, row: int, value: float, when: str = EXTRACTION_DATE) -> list:
    frame = typed(source)
    frame.loc[row, column] = value
    try:
        schemas.schema_for(source, when).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases[["check", "index"]].drop_duplicates()  # a check across columns: per column
        return cases.values.tolist()
    return []


@pytest.mark.parametrize(
    ("row", "cap"),
    [
        (0, 692.26),  # paid 2013-2015: 130% of the IPREM of 2010-2016 (532.51)
        (1, 699.19),  # paid 2016-2017: the highest IPREM of those years is 2017's (537.84)
        (2, 699.19),  # from 2018, still paid on 31/10/2018
    ],
)
def test_the_benefit_is_refused_above_130_percent_of_the_iprem_of_its_years(row, cap):
    check = schemas.IPREM_CHECK.format(column="monthly_amount_eur")
    assert _amount_failures("rgc_spells", "monthly_amount_eur", row, cap) == []
    assert _amount_failures("rgc_spells", "monthly_amount_eur", row, cap + 0.01) == [[check, row]]
    assert _amount_failures("rgc_spells", "monthly_amount_eur", row, 780.0) == [[check, row]]


def test_an_open_spell_may_reach_the_maximum_of_the_extraction_year():
    check = schemas.IPREM_CHECK.format(column="monthly_amount_eur")
    assert _amount_failures("rgc_spells", "monthly_amount_eur", 2, 780.0, "2023-06-30") == []
    assert _amount_failures("rgc_spells", "monthly_amount_eur", 2, 780.01, "2030-06-30") == [[check, 2]]


def test_iprem_bounds_name_the_year_and_the_period():
    frame = typed("rgc_spells")
    bounds = schemas.iprem_bounds(
        frame, codebook.columns("rgc_spells")["monthly_amount_eur"], "max_iprem", EXTRACTION_DATE
    )
    assert bounds.values.tolist() == [
        [692.26, 2015, 532.51, "2013-2015"],
        [699.19, 2017, 537.84, "2016-2017"],
        [699.19, 2018, 537.84, "2018"],
    ]
    spec = codebook.columns("sauss_interventions")["amount_eur"]
    assert schemas.iprem_bounds(typed("sauss_interventions"), spec, "warn_max_iprem", EXTRACTION_DATE)[
        "bound"
    ].tolist() == [3195.06, 3195.06, 3195.06, 3227.04, 3195.06]
    assert schemas.number_bounds(
        "monthly_amount_eur", codebook.columns("rgc_spells")["monthly_amount_eur"], EXTRACTION_DATE
    ) == (0, 780.0)


def test_an_economic_provision_is_refused_above_a_year_of_the_rgc_maximum():
    check = schemas.IPREM_CHECK.format(column="amount_eur")
    # row 1 is dated 02/03/2016: 15.6 x 532.51 = 8,307.16
    assert _amount_failures("sauss_interventions", "amount_eur", 1, 8307.16) == []
    assert _amount_failures("sauss_interventions", "amount_eur", 1, 8307.17) == [[check, 1]]


def test_extraction_date_moves_the_upper_bound():
    frame = typed("sauss_interventions")
    frame.loc[0, "date"] = pd.Timestamp("2019-06-01")
    assert not failures(frame, "sauss_interventions").empty
    schemas.schema_for("sauss_interventions", "2020-01-01").validate(frame)


def test_duplicate_key_fails_on_both_rows():
    frame = typed("rgc_spells")
    frame.loc[2, "spell_id"] = frame.loc[0, "spell_id"]
    found = failures(frame, "rgc_spells")
    assert sorted(found.loc[found["check"] == "field_uniqueness", "index"]) == [0, 2]


def test_end_before_start_fails_but_open_spells_pass():
    frame = typed("rgc_spells")
    assert pd.isna(frame.loc[2, "end_date"])
    frame.loc[0, "end_date"] = frame.loc[0, "start_date"] - pd.Timedelta(days=1)
    found = failures(frame, "rgc_spells")
    assert set(found["check"]) == {"end_date is before start_date"}
    assert set(found["index"]) == {0}


def test_wrong_dtype_fails():
    frame = typed("rgc_spells")
    frame["household_size"] = frame["household_size"].astype("string")
    assert "household_size" in set(failures(frame, "rgc_spells")["column"])


def test_empty_frame_has_codebook_columns_and_dtypes():
    frame = schemas.empty_frame("rgc_spells")
    assert frame.empty
    schemas.schema_for("rgc_spells").validate(frame)
    assert str(frame["start_date"].dtype) == "datetime64[ns]"
    assert str(frame["household_size"].dtype) == "Int64"


def test_check_letter_matches_the_published_example():
    assert schemas.check_letter(12345678) == "Z"
    assert dni(12345678) == "12345678Z"


def test_document_validity():
    docs = pd.DataFrame(
        [
            ("DNI", dni(12345678), True),
            ("DNI", "12345678A", False),  # wrong letter
            ("DNI", "12345678", False),  # letter missing
            ("DNI", "1234567Z", False),  # leading zero dropped
            ("NIE", nie("X", 1234567), True),
            ("NIE", nie("Y", 7654321), True),
            ("NIE", nie("Z", 1), True),
            ("NIE", "1234567L", False),  # NIE prefix dropped
            ("DNI", nie("X", 1234567), False),  # an NIE labelled DNI
            (None, dni(71234567), True),  # type guessed from the shape
            (None, "X1234567A", False),
            ("PAS", "AB123456", None),  # passports are not checkable
            ("DNI", None, None),
        ],
        columns=["doc_type", "doc_number", "valid"],
    )
    got = schemas.document_is_valid(docs["doc_type"], schemas.normalise_document(docs["doc_number"]))
    assert got.tolist() == [pd.NA if v is None else v for v in docs["valid"]]


def test_normalise_document_keeps_typos_but_drops_separators():
    got = schemas.normalise_document(pd.Series(["12.345.678-z", " x1234567l ", "", None]))
    assert got.tolist() == ["12345678Z", "X1234567L", pd.NA, pd.NA]
