"""Tests of the descriptive statistics shown in the overview report."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pact_analysis import codebook, describe


def test_data_dictionary_lists_every_codebook_column_once():
    dictionary = describe.data_dictionary()
    expected = sum(len(codebook.columns(s)) for s in codebook.sources())
    assert len(dictionary) == expected
    assert not dictionary.duplicated(["source", "column"]).any()
    pii = dictionary.loc[dictionary["direct_identifier"], "column"]
    assert {"given_name", "surname1", "doc_number", "birth_date"} <= set(pii)
    assert "ceas_code" not in set(pii)


def test_age_at_counts_completed_years():
    births = pd.Series(pd.to_datetime(["2000-10-31", "2000-11-01", None, "1950-02-28"]))
    ages = describe.age_at(births, "2018-10-31")
    assert ages.tolist()[:2] == [18, 17]
    assert ages.isna().tolist() == [False, False, True, False]
    assert ages.iloc[3] == 68


def test_population_pyramid_counts_by_band_and_sex():
    persons = pd.DataFrame(
        {
            "birth_date": pd.to_datetime(["2010-01-01", "1990-06-01", "1990-07-01", "1940-01-01"]),
            "sex": ["H", "M", "M", "H"],
        }
    )
    pyramid = describe.population_pyramid(persons, "2018-10-31")
    assert list(pyramid.index) == describe.AGE_LABELS
    assert pyramid.loc["0-17", "H"] == 1
    assert pyramid.loc["25-34", "M"] == 2
    assert pyramid.loc["75+", "H"] == 1
    assert pyramid.to_numpy().sum() == 4


def test_spell_months_censors_ongoing_spells_at_extraction():
    spells = pd.DataFrame(
        {
            "start_date": pd.to_datetime(["2018-01-01", "2017-10-31"]),
            "end_date": pd.to_datetime(["2018-07-01", None]),
        }
    )
    out = describe.spell_months(spells, "2018-10-31")
    assert out["ended"].tolist() == [True, False]
    assert out["months"].iloc[0] == pytest.approx(181 / 30.4375)
    assert out["months"].iloc[1] == pytest.approx(365 / 30.4375)
    later = pd.DataFrame(
        {"start_date": pd.to_datetime(["2017-10-31"]), "end_date": pd.to_datetime(["2019-03-31"])}
    )
    out = describe.spell_months(later, "2018-10-31")  # an end still to come at the extraction: ongoing
    assert out["ended"].tolist() == [False] and out["months"].iloc[0] == pytest.approx(365 / 30.4375)


def test_spells_by_province_counts_exits_and_km_median():
    rng = np.random.default_rng(1)
    n = 400
    start = pd.Timestamp("2012-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    months = rng.exponential(20, n)
    end = start + pd.to_timedelta(months * 30.4375, unit="D")
    ended = end < pd.Timestamp("2018-10-31")
    spells = pd.DataFrame(
        {
            "ceas_code": np.where(np.arange(n) % 2 == 0, "C24", "C47"),
            "start_date": start,
            "end_date": end.where(ended),
            "exit_reason": np.where(ended, "JOB_INCOME", None),
        }
    )
    ceas = pd.DataFrame({"ceas_code": ["C24", "C47"], "province_code": ["24", "47"]})
    table = describe.spells_by_province(spells, ceas, "2018-10-31")
    assert set(table.index) == {"León", "Valladolid"}
    assert table["spells"].sum() == n
    assert (table["JOB_INCOME"] + table["ongoing"] == table["spells"]).all()
    # exponential with mean 20 months: median 20 * ln 2 ~ 13.9 months
    assert table["median_months"].between(10, 18).all()


def test_missingness_reports_only_columns_with_gaps():
    tables = {"a": pd.DataFrame({"x": [1, None, 3, None], "y": [1, 2, 3, 4]})}
    out = describe.missingness(tables)
    assert out.to_dict("records") == [{"source": "a", "column": "x", "missing_share": 0.5}]


def test_noise_rates_divide_by_records_of_each_source():
    records = pd.DataFrame({"source": ["s"] * 4 + ["t"] * 2, "record_id": list("abcdef")})
    log = pd.DataFrame(
        {
            "source": ["s", "s", "t"],
            "record_id": ["a", "a", "e"],
            "column": ["given_name", "surname1", "x"],
            "noise_type": ["typo", "typo", "typo"],
        }
    )
    rates = describe.noise_rates(log, records)
    assert rates.loc["typo", "s"] == pytest.approx(0.25)
    assert rates.loc["typo", "t"] == pytest.approx(0.5)


def test_source_sizes_tells_an_absent_extract_from_an_empty_one():
    tables = {
        "ceas": pd.DataFrame({"ceas_code": ["C1", "C2"]}),
        "employment_episodes": pd.DataFrame({"episode_id": pd.Series([], dtype="string")}),
        "ngo_attention": pd.DataFrame({"record_id": pd.Series([], dtype="string")}),
    }
    sizes = describe.source_sizes(tables, {"ceas": True, "employment_episodes": True, "ngo_attention": False})
    by_source = sizes.set_index("source")
    assert by_source["delivered"].tolist() == [True, True, False]
    assert by_source.loc["ceas", "rows"] == 2
    assert by_source.loc["employment_episodes", "rows"] == 0
    assert pd.isna(by_source.loc["ngo_attention", "rows"])
    assert str(sizes["rows"].dtype) == "Int64"


def test_source_sizes_without_delivery_counts_every_table_as_delivered():
    sizes = describe.source_sizes({"ceas": pd.DataFrame({"ceas_code": []})})
    assert sizes[["delivered", "rows"]].to_dict("records") == [{"delivered": True, "rows": 0}]
