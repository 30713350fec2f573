"""Tests of the identity noise: every type changes what it should, at its configured rate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pact_analysis.params import load_params
from pact_analysis.synth import noise, population
from pact_analysis.synth.identities import is_valid_doc, make_dni, make_nie

N = 20_000
RATE = 0.1


def _within(mask: np.ndarray, eligible: np.ndarray, rate: float) -> None:
    """The share of eligible rows changed is within 4 binomial standard errors of ``rate``."""
    n = int(np.asarray(eligible).sum())
    got = np.asarray(mask)[np.asarray(eligible, dtype=bool)].mean()
    se = np.sqrt(rate * (1 - rate) / n)
    assert abs(got - rate) <= 4 * se + 1e-12, (got, rate, n)
    assert not np.asarray(mask)[~np.asarray(eligible, dtype=bool)].any()


@pytest.fixture()
def rng() -> np.random.Generator:
    return np.random.default_rng(11)


def _names(rng: np.random.Generator) -> pd.Series:
    pool = np.array(["Martín", "García", "José Luis", "Peña", "Ana", None, "Muñoz", "Li"], dtype=object)
    return pd.Series(pool[rng.integers(0, len(pool), N)], dtype=object)


def test_typo(rng):
    values = _names(rng)
    out, mask = noise.typo(values, RATE, rng)
    _within(mask, (values.notna() & (values.str.len() > 1)).to_numpy(bool), RATE)
    assert (out[mask] != values[mask]).all() and (out[~mask].fillna("") == values[~mask].fillna("")).all()


def test_accent_dropped(rng):
    frame = pd.DataFrame({"given_name": _names(rng), "surname1": _names(rng), "surname2": _names(rng)})
    out, mask = noise.accent_dropped(frame, RATE, rng)
    accented = frame.apply(lambda c: c.str.contains("[áéíóúñ]", na=False)).any(axis=1).to_numpy()
    _within(mask, accented, RATE)
    assert not out.loc[mask, "surname1"].str.contains("[áéíóúñ]", na=False).any()
    assert "Munoz" in set(out["surname1"]) or "Munoz" in set(out["given_name"])


def test_surnames_swapped_and_missing(rng):
    frame = pd.DataFrame({"surname1": _names(rng), "surname2": _names(rng)})
    out, mask = noise.surnames_swapped(frame, RATE, rng)
    eligible = (
        frame["surname1"].notna() & frame["surname2"].notna() & (frame["surname1"] != frame["surname2"])
    )
    _within(mask, eligible.to_numpy(bool), RATE)
    assert (out.loc[mask, "surname1"] == frame.loc[mask, "surname2"]).all()
    out2, mask2 = noise.second_surname_missing(frame["surname2"], RATE, rng)
    _within(mask2, frame["surname2"].notna().to_numpy(bool), RATE)
    assert out2[mask2].isna().all()


def test_given_name_abbreviated(rng):
    values = pd.Series(np.array(["María José", "José Luis", "Ana"], dtype=object)[rng.integers(0, 3, N)])
    out, mask = noise.given_name_abbreviated(values, RATE, rng)
    _within(mask, values.str.contains(" ").to_numpy(bool), RATE)
    assert set(out[mask]) <= {"Mª José", "M. José", "J. Luis"}


def test_dates(rng):
    dates = pd.Series(pd.to_datetime("1950-01-01") + pd.to_timedelta(rng.integers(0, 20_000, N), unit="D"))
    out, mask = noise.day_month_swapped(dates, RATE, rng)
    eligible = ((dates.dt.day <= 12) & (dates.dt.day != dates.dt.month)).to_numpy(bool)
    _within(mask, eligible, RATE)
    assert (out[mask].dt.month == dates[mask].dt.day).all() and (
        out[mask].dt.day == dates[mask].dt.month
    ).all()
    out, mask = noise.birth_year_typo(dates, RATE, rng)
    _within(mask, np.ones(N, bool), RATE)
    assert (out[mask].dt.year - dates[mask].dt.year).abs().isin([1, 10]).all() and out.notna().all()
    out, mask = noise.birth_date_missing(dates, RATE, rng)
    _within(mask, np.ones(N, bool), RATE)
    assert out[mask].isna().all()


def _docs(rng: np.random.Generator) -> pd.DataFrame:
    dni = make_dni(rng.integers(0, 100_000_000, N))
    nie = make_nie(rng.choice(["X", "Y"], N), rng.integers(0, 10_000_000, N))
    kind = rng.integers(0, 3, N)
    doc = np.where(kind == 0, dni, np.where(kind == 1, nie, None)).astype(object)
    doc_type = np.where(kind == 0, "DNI", np.where(kind == 1, "NIE", None)).astype(object)
    return pd.DataFrame({"doc_type": doc_type, "doc_number": doc})


def test_document_noise(rng):
    frame = _docs(rng)
    has = frame["doc_number"].notna().to_numpy(bool)
    out, mask = noise.doc_missing(frame, RATE, rng)
    _within(mask, has, RATE)
    assert out.loc[mask, ["doc_type", "doc_number"]].isna().all().all()
    for func in (noise.doc_typo, noise.doc_letter_wrong):
        out, mask = func(frame, RATE, rng)
        _within(mask, has, RATE)
        assert (out.loc[mask, "doc_number"] != frame.loc[mask, "doc_number"]).all()
        assert is_valid_doc(out.loc[has & ~mask, "doc_number"]).all()
    out, mask = noise.doc_letter_wrong(frame, 1.0, rng)
    assert not is_valid_doc(out.loc[has, "doc_number"]).any()


def test_nie_to_dni(rng):
    frame = pd.DataFrame(
        {
            "doc_type": "DNI",
            "doc_number": make_dni(np.arange(N) + 1_000_000),
            "former_nie": make_nie(np.full(N, "X"), np.arange(N)),
            "naturalisation_date": pd.Timestamp("2015-01-01"),
            "record_date": pd.Timestamp("2012-01-01") + pd.to_timedelta(rng.integers(0, 2_500, N), unit="D"),
            "nationality": "LATAM",
        }
    )
    frame.loc[: N // 10, "former_nie"] = None
    before = (frame["record_date"] < frame["naturalisation_date"]).to_numpy() & frame[
        "former_nie"
    ].notna().to_numpy()
    out, shows_nie = noise.nie_to_dni(frame, 0.8, rng)
    assert shows_nie[before].all()
    after = ~before & frame["former_nie"].notna().to_numpy()
    _within(after & ~shows_nie, after, 0.8)
    assert (out.loc[shows_nie, "doc_number"] == frame.loc[shows_nie, "former_nie"]).all()
    assert (out.loc[after & ~shows_nie, "nationality"] == "ES").all()
    assert (out.loc[before, "nationality"] == "LATAM").all()


def test_duplicate_record(rng):
    frame = pd.DataFrame({"x": np.arange(N)})
    out, is_copy = noise.duplicate_record(frame, RATE, rng)
    assert len(out) == N + is_copy.sum()
    assert abs(is_copy.sum() / N - RATE) <= 4 * np.sqrt(RATE * (1 - RATE) / N)
    assert (out["x"].to_numpy()[is_copy] == out["x"].to_numpy()[np.flatnonzero(is_copy) - 1]).all()


@pytest.fixture(scope="module")
def people() -> pd.DataFrame:
    params = {"data": {"extraction_date": "2018-10-31"}, "synthetic": {"start_date": "2011-01-01"}}
    persons = population.make_population(N, np.random.default_rng(5), params)
    return persons.assign(record_date=pd.Timestamp("2018-01-01"))


@pytest.mark.parametrize("source", sorted(noise.RECORD_PREFIX))
def test_apply_identity_noise_rates(people, source):
    rates = load_params()["synthetic"]["noise"]
    eff = noise.effective_rates(source, rates)
    out, log = noise.apply_identity_noise(people, source, rates, np.random.default_rng(3))
    assert out["record_id"].is_unique and out["record_id"].str.startswith(noise.RECORD_PREFIX[source]).all()
    assert set(log["record_id"]) <= set(out["record_id"])
    hit = {t: out["record_id"].isin(log.loc[log["noise_type"] == t, "record_id"]).to_numpy() for t in eff}
    originals = ~out["is_duplicate"].to_numpy()
    _within(out["is_duplicate"].to_numpy()[1:], originals[:-1], eff["duplicate_record"])
    everyone = np.ones(len(out), dtype=bool)
    _within(hit["typo"], everyone, eff["typo"])
    _within(hit["birth_year_typo"], everyone, eff["birth_year_typo"])
    _within(hit["sex_miscoded"], everyone, eff["sex_miscoded"])
    _within(hit["municipality_moved"], everyone, eff["municipality_moved"])  # every person has a municipality
    had_doc = out["person_id"].map(people.set_index("person_id")["doc_number"]).notna().to_numpy()
    _within(hit["doc_missing"], had_doc, eff["doc_missing"])
    if eff["ngo_doc_missing"] > 0:
        _within(hit["ngo_doc_missing"], had_doc & ~hit["doc_missing"], eff["ngo_doc_missing"])
        _within(hit["ngo_birth_date_missing"], everyone, eff["ngo_birth_date_missing"])
    naturalised = out["former_nie"].notna().to_numpy()
    after = naturalised & (out["record_date"] >= out["naturalisation_date"]).to_numpy()
    assert after.sum() > 50 and (naturalised & ~after).sum() > 5
    assert not hit["nie_to_dni"][after].any()  # rate 1.0: records after naturalisation show the DNI
    assert hit["nie_to_dni"][naturalised & ~after].all()  # records before it show the NIE
    documents = out["doc_type"].isin(["DNI", "NIE"]).to_numpy() & ~hit["doc_typo"] & ~hit["doc_letter_wrong"]
    assert is_valid_doc(out.loc[documents, "doc_number"]).all()


def test_municipality_moved_stays_in_the_province(rng):
    from pact_analysis.synth.region import make_municipalities

    towns = make_municipalities()["municipality_code"]
    values = pd.Series(np.resize(towns.to_numpy(object), N), dtype=object)
    values[::50] = None
    out, mask = noise.municipality_moved(values, RATE, rng)
    eligible = values.notna().to_numpy()
    _within(mask, eligible, RATE)
    assert (out[mask] != values[mask]).all()
    assert (out[mask].str[:2] == values[mask].str[:2]).all()
    assert out[mask].isin(set(towns)).all()
    assert (out[~mask].fillna("") == values[~mask].fillna("")).all()


def test_sex_miscoded_flips_the_code(rng):
    values = pd.Series(np.where(np.arange(N) % 3 == 0, "H", "M"), dtype=object)
    out, mask = noise.sex_miscoded(values, RATE, rng)
    _within(mask, np.ones(N, dtype=bool), RATE)
    assert (out[mask] != values[mask]).all() and out.isin(["H", "M"]).all()
    assert (out[~mask] == values[~mask]).all()


def _towns_frame(n: int = N) -> pd.DataFrame:
    from pact_analysis.synth.region import make_municipalities

    towns = make_municipalities()
    # every person in a municipality drawn in proportion to population, as the population model does
    draws = np.random.default_rng(5).choice(len(towns), n, p=towns["population"] / towns["population"].sum())
    return pd.DataFrame({"municipality_code": towns["municipality_code"].to_numpy(object)[draws]})


def test_province_moves_come_from_another_province_at_the_rate_per_person_year(rng):
    persons = _towns_frame()
    moves = noise.province_moves(persons, 0.01, "2011-01-01", "2018-12-31", rng)
    moved = moves["former_municipality_code"].notna()
    years = (pd.Timestamp("2018-12-31") - pd.Timestamp("2011-01-01")).days / 365.25
    expected = 1 - np.exp(-0.01 * years)  # the weights average 1 over persons: close to the plain rate
    assert moved.mean() == pytest.approx(expected, rel=0.15)
    assert (
        moves.loc[moved, "former_municipality_code"].str[:2]
        != persons.loc[moved, "municipality_code"].str[:2]
    ).all()
    assert moves.loc[moved, "move_date"].between("2011-01-01", "2018-12-31").all()
    assert moves.loc[~moved, "move_date"].isna().all()
    # towards Valladolid, León and Burgos: their residents moved in twice as often as the others'
    province = persons["municipality_code"].str[:2]
    big = province.isin(list(noise.DESTINATION_WEIGHT))
    assert moved[big].mean() / moved[~big].mean() == pytest.approx(2.0, rel=0.2)


def test_province_moves_are_the_same_for_the_same_seed():
    persons = _towns_frame(2000)
    a = noise.province_moves(persons, 0.02, "2011-01-01", "2018-12-31", np.random.default_rng(3))
    b = noise.province_moves(persons, 0.02, "2011-01-01", "2018-12-31", np.random.default_rng(3))
    pd.testing.assert_frame_equal(a, b)
    none = noise.province_moves(persons, 0.0, "2011-01-01", "2018-12-31", np.random.default_rng(3))
    assert none["former_municipality_code"].isna().all()


def test_province_moved_shows_the_former_municipality_only_before_the_move(rng):
    frame = pd.DataFrame(
        {
            "municipality_code": ["47186", "47186", "24089", "09059"],
            "former_municipality_code": ["49275", "49275", None, "05019"],
            "move_date": pd.to_datetime(["2015-06-01", "2015-06-01", None, "2012-01-01"]),
            "record_date": pd.to_datetime(["2014-01-01", "2016-01-01", "2013-01-01", "2012-01-01"]),
        }
    )
    out, mask = noise.province_moved(frame, 0.006, rng)
    assert mask.tolist() == [True, False, False, False]  # the day of the move is already the new address
    assert out["municipality_code"].tolist() == ["49275", "47186", "24089", "09059"]
