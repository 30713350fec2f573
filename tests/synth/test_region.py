"""Tests of the region reference tables."""

from __future__ import annotations

from pact_analysis import codebook
from pact_analysis.synth import region


def test_ceas_matches_codebook():
    ceas = region.make_ceas()
    assert list(ceas.columns[:-1]) == list(codebook.columns("ceas"))
    assert ceas["ceas_code"].is_unique
    assert 50 <= len(ceas) <= 60
    provinces = {p["code"] for p in codebook.load()["provinces"]}
    assert set(ceas["province_code"]) == provinces
    assert ceas["municipality_code"].str.fullmatch(r"\d{5}").all()
    assert (ceas["municipality_code"].str[:2] == ceas["province_code"]).all()
    assert ceas["urban"].any() and (~ceas["urban"]).any()


def test_pilot_ceas():
    pilot = region.pilot_ceas()
    territories = {t["code"]: t for t in codebook.load()["pilot_territories"]}
    assert len(pilot) == 8
    assert pilot["pilot_territory"].value_counts().to_dict() == dict.fromkeys(territories, 2)
    ceas = region.make_ceas().set_index("ceas_code").loc[pilot["ceas_code"]]
    for code, row in zip(pilot["pilot_territory"], ceas.itertuples(), strict=True):
        assert row.province_code == territories[code]["province"]
        assert row.urban == territories[code]["urban"]


def test_municipalities_and_coverage():
    munis = region.make_municipalities()
    assert munis["municipality_code"].is_unique
    urban = munis[munis["urban"]]
    assert (urban["population"] > 20_000).all()
    assert set(region.make_ceas().loc[lambda d: d["urban"], "municipality_code"]) == set(
        urban["municipality_code"]
    )
    pairs = region.ceas_municipalities()
    assert set(pairs["ceas_code"]) == set(region.make_ceas()["ceas_code"])
    assert (pairs.groupby("ceas_code")["weight"].sum().round(9) == 1).all()
    # rural CEAS serve municipalities of their own province only
    assert (pairs["ceas_code"].str[:2] == pairs["municipality_code"].str[:2]).all()
