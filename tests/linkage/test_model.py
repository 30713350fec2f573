"""The comparisons on hand-made pairs: each variant lands in its intended level and outscores strangers."""

from __future__ import annotations

import logging

import pandas as pd
import pytest
from splink import DuckDBAPI, Linker

from pact_analysis.linkage import model, prepare

BASE = {
    "given_name": "María José",
    "surname1": "García",
    "surname2": "de la Fuente",
    "doc_number": "12345678Z",
    "birth_date": "1980-03-04",
    "sex": "M",
    "municipality_code": "47186",
}
VARIANTS = {
    "same": {},
    "surnames_swapped": {"surname1": "de la Fuente", "surname2": "García"},
    "second_surname_missing": {"surname2": None},
    "abbreviated_no_accent": {"given_name": "Mª Jose", "surname1": "Garcia"},
    "initial_only": {"given_name": "M. José"},
    "day_month_swapped": {"birth_date": "1980-04-03"},
    "year_typo": {"birth_date": "1981-03-04"},
    "doc_letter_missing": {"doc_number": "12345678"},
    "doc_digit_transposed": {"doc_number": "12345687Z"},
    "unrelated": {
        "given_name": "Ahmed",
        "surname1": "El Amrani",
        "surname2": None,
        "doc_number": "X7654321L",
        "birth_date": "1991-11-23",
        "sex": "H",
        "municipality_code": "24089",
    },
}


def _records() -> pd.DataFrame:
    rows = [{"record_id": "base", **BASE}]
    rows += [{"record_id": name, **(BASE | change)} for name, change in VARIANTS.items()]
    df = pd.DataFrame(rows)
    df["birth_date"] = pd.to_datetime(df["birth_date"])
    return prepare.standardise(df)


@pytest.fixture(scope="module")
def scored() -> pd.DataFrame:
    records = _records()
    db = DuckDBAPI()
    table = db.register(records, dataset_display_name="people")
    settings = model.linkage_settings()
    settings.link_type = "dedupe_only"
    linker = Linker(table, settings, log_level=logging.ERROR)
    base = records[records["unique_id"] == "base"]
    others = records[records["unique_id"] != "base"]
    left = db.register(base, dataset_display_name="probe_base")
    right = db.register(others, dataset_display_name="probe_variants")
    out = linker.inference.score_pairs(left, right).as_pandas_dataframe()
    return out.set_index("unique_id_r")


def _level(scored: pd.DataFrame, variant: str, comparison: str) -> str:
    """Label of the level a pair fell in (gamma counts down from the most specific level)."""
    comp = next(
        c
        for c in model.linkage_settings().get_settings("duckdb").comparisons
        if c.output_column_name == comparison
    )
    gamma = int(scored.loc[variant, f"gamma_{comparison}"])
    return next(
        lvl.label_for_charts for lvl in comp.comparison_levels if lvl.comparison_vector_value == gamma
    )


@pytest.mark.parametrize(
    ("variant", "comparison", "label"),
    [
        ("surnames_swapped", "surnames", "Surnames swapped"),
        ("second_surname_missing", "surnames", "First surname equal, second missing on one side"),
        ("abbreviated_no_accent", "given_name", "Exact match on given_norm"),
        ("abbreviated_no_accent", "surnames", "Both surnames equal"),
        ("initial_only", "given_name", "Same initial and same further given names (F. Javier)"),
        ("day_month_swapped", "birth_date", "Day and month swapped"),
        ("year_typo", "birth_date", "Year differs by one typo"),
        ("doc_letter_missing", "document", "Exact match on doc_digits"),
        ("doc_digit_transposed", "document", "Damerau-Levenshtein distance of doc_digits <= 1"),
        ("unrelated", "surnames", "All other comparisons"),
    ],
)
def test_variant_lands_in_its_level(scored, variant, comparison, label):
    assert _level(scored, variant, comparison) == label


@pytest.mark.parametrize("variant", [v for v in VARIANTS if v != "unrelated"])
def test_variants_score_higher_than_an_unrelated_person(scored, variant):
    assert scored.loc[variant, "match_weight"] > scored.loc["unrelated", "match_weight"]


def test_settings_drop_comparisons_without_data():
    names = {
        c.output_column_name
        for c in model.linkage_settings(["given_norm", "birth_year"]).get_settings("duckdb").comparisons
    }
    assert names == {"given_name", "birth_date"}
