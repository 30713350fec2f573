"""Standardisation of Spanish identities: accents, particles, compound given names, documents, dates."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pact_analysis.linkage import prepare


def s(*values):
    return pd.Series(list(values), dtype="string")


def test_normalise_text_strips_accents_case_and_spaces():
    out = prepare.normalise_text(s("  Martín  Núñez ", "José-Luis", "", None))
    assert out.tolist()[:2] == ["MARTIN NUNEZ", "JOSE LUIS"]
    assert out.isna().tolist()[2:] == [True, True]


def test_particles_removed_from_surnames():
    out = prepare.remove_particles(
        prepare.normalise_text(s("de la Fuente", "Del Río", "de las Heras", "García del Río", "De"))
    )
    assert out.tolist() == ["FUENTE", "RIO", "HERAS", "GARCIA RIO", "DE"]


def test_abbreviated_compound_given_names_expanded():
    out = prepare.expand_given_names(prepare.normalise_text(s("Mª José", "Fco. Javier", "M. José", "Ma")))
    # A lone initial is ambiguous (M. = María or Miguel) and left to the initial-plus-rest comparison.
    assert out.tolist() == ["MARIA JOSE", "FRANCISCO JAVIER", "M JOSE", "MA"]


def test_dni_padded_and_number_part_ignores_letter_and_prefix():
    docs = prepare.normalise_document(
        s("1234567-Z", "01.234.567 z", "01234567", "x1234567l", "1234567L", None)
    )
    assert docs["doc_norm"].tolist()[:4] == ["01234567Z", "01234567Z", "01234567", "X1234567L"]
    # A missing letter, a dropped NIE prefix or lost leading zeros keep the same number part.
    assert docs["doc_digits"].iloc[:5].eq("1234567").all()
    assert docs["doc_digits"].isna().iloc[5]


def test_birth_parts_use_birth_year_when_date_unknown():
    parts = prepare.birth_parts(pd.Series(pd.to_datetime(["1980-03-04", None])), pd.Series([None, 1975]))
    assert parts["birth_date_str"].iloc[0] == "1980-03-04"
    assert (parts["birth_month"].iloc[0], parts["birth_day"].iloc[0]) == ("03", "04")
    assert parts["birth_year"].tolist() == ["1980", "1975"]
    assert pd.isna(parts["birth_date_str"].iloc[1])


def test_standardise_moves_lone_second_surname_and_builds_keys():
    df = pd.DataFrame(
        {
            "record_id": ["a", "b"],
            "given_name": ["María del Carmen", "Ahmed"],
            "surname1": ["de la Fuente", None],
            "surname2": ["Muñoz", "El Amrani"],
            "doc_number": ["12345678Z", None],
            "birth_date": pd.to_datetime(["1970-05-06", None]),
            "municipality_code": ["47186", None],
        }
    )
    out = prepare.standardise(df)
    assert out.loc[0, "given_first"] == "MARIA"
    assert out.loc[0, "surnames_full"] == "FUENTE MUNOZ"
    assert out.loc[1, "surname1_norm"] == "EL AMRANI" and pd.isna(out.loc[1, "surname2_norm"])
    assert out.loc[0, "province_code"] == "47"
    assert list(out.columns) == ["unique_id", *prepare.LINKAGE_COLUMNS]


def test_a_document_with_no_nonzero_digit_is_missing_not_a_shared_identifier():
    """``00000000T`` passes the check letter but is a placeholder: two persons must not share it."""
    out = prepare.normalise_document(pd.Series(["00000000T", "-", "12345678Z", None]))
    assert out["doc_norm"].isna().tolist() == [True, True, False, True]
    assert out["doc_digits"].isna().tolist() == [True, True, False, True]


def test_per_distinct_value_equals_the_function_on_every_value():
    rng = np.random.default_rng(5)
    names = rng.choice(["  de la Fuente", "Mª José", "MARTÍN", "", None, "José-Luis"], size=500)
    values = pd.Series(names, index=np.arange(1000, 1500), dtype="string")

    def names_step(v):
        return prepare.remove_particles(prepare.normalise_text(v))

    pd.testing.assert_series_equal(prepare.per_distinct_value(values, names_step), names_step(values))
    dates = pd.Series(pd.to_datetime(rng.choice(["1970-01-02", "1999-12-31", None], size=300)))
    pd.testing.assert_frame_equal(
        prepare.per_distinct_value(dates, prepare._date_parts), prepare._date_parts(dates)
    )
    empty = pd.Series([None, None], dtype="string")
    pd.testing.assert_series_equal(prepare.per_distinct_value(empty, names_step), names_step(empty))
