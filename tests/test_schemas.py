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
        ("sauss_persons", "disability_pct", 101, "is above the maximum 100"),
        ("rgc_spells", "household_size", 0, "is below the minimum 1"),
        ("ceas", "province_code", "4", r"does not match the pattern ^\d{2}$"),
        ("sauss_persons", "ceas_code", None, "not_nullable"),
        (
            "sauss_interventions",
            "date",
            pd.Timestamp("2009-12-31"),
            "is before 01/01/2010, the earliest plausible date",
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
            pd.Timestamp("1899-12-31"),
            "is before 01/01/1900, the earliest plausible date",
        ),
    ],
)
def test_a_bad_value_fails_the_named_check(source, column, value, check):
    frame = typed(source)
    frame.loc[1, column] = value
    found = failures(frame, source)
    assert found[["column", "check", "index"]].values.tolist() == [[column, check, 1]]


def test_old_birth_dates_are_fine_but_old_events_are_not():
    frame = typed("sauss_persons")
    frame.loc[0, "birth_date"] = pd.Timestamp("1930-05-01")
    assert failures(frame, "sauss_persons").empty
    frame.loc[0, "registration_date"] = pd.Timestamp("1930-05-01")
    assert failures(frame, "sauss_persons")["column"].tolist() == ["registration_date"]


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
