"""Persons of the synthetic region: households, latent profiles, attributes and true identities.

:func:`make_population` draws households first (latent profile, type, size, place), then their
members, then the true identity of every person. Everything is vectorised (no loop over persons), so
500,000 persons take seconds.

Latent profiles (``team brief``): ``leaver``, ``cycler`` and ``stayer`` are households on the minimum
income (RGC; "cyclers, stayers and leavers", Ayala & Rodríguez); ``family_support``, ``elderly_care`` and
``occasional`` are the other social-services users. Profiles drive age, household type, education,
disability, nationality and the two latent z-scores ``employability`` and ``resilience`` that the
outcome simulators use.

RGC heads are calibrated to ``shared/reference/calibration.md`` (heads of household about 2016):
58% male, 88.5% Spanish nationality, 62% urban, 29.2% under 35, 60% aged 18-45 and 26% aged 46-55
(ages at :data:`REFERENCE_DATE`), about one in five lone-parent households. Where nothing was published
the figures below are *assumed* and named as module constants.

``nationality`` is the person's nationality group of origin. A foreigner who naturalised keeps that
group, gets a ``naturalisation_date``, a DNI as ``doc_number`` and the earlier NIE as ``former_nie``;
records dated after naturalisation show the DNI and Spanish nationality (see ``records.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pact_analysis.synth import identities, names, region

#: Ages are drawn as of this date ("heads of household, about 2016", calibration.md).
REFERENCE_DATE = pd.Timestamp("2016-01-01")
#: Earliest SAUSS registration date.
SAUSS_START = pd.Timestamp("2010-01-01")

PROFILES = ("leaver", "cycler", "stayer", "family_support", "elderly_care", "occasional")
RGC_PROFILES = ("leaver", "cycler", "stayer")
HOUSEHOLD_TYPES = ("SINGLE", "LONE_PARENT", "COUPLE_NO_CHILDREN", "COUPLE_CHILDREN", "EXTENDED")
EDUCATION = ("NONE", "PRIMARY", "LOWER_SEC", "UPPER_SEC", "TERTIARY")
FOREIGN_GROUPS = ("EU", "MAGHREB", "LATAM", "SSA", "OTHER")

#: Share of households per profile (*assumed*): about 37% of persons live in an RGC household.
HOUSEHOLD_PROFILE_P = {
    "leaver": 0.159,
    "cycler": 0.106,
    "stayer": 0.088,
    "family_support": 0.121,
    "elderly_care": 0.286,
    "occasional": 0.240,
}
#: Household type by profile, in :data:`HOUSEHOLD_TYPES` order (RGC: about 1 in 5 lone parents).
HOUSEHOLD_TYPE_P = {
    "leaver": (0.35, 0.18, 0.12, 0.28, 0.07),
    "cycler": (0.38, 0.22, 0.10, 0.22, 0.08),
    "stayer": (0.45, 0.22, 0.12, 0.13, 0.08),
    "family_support": (0.05, 0.35, 0.05, 0.45, 0.10),
    "elderly_care": (0.55, 0.00, 0.40, 0.00, 0.05),
    "occasional": (0.40, 0.12, 0.18, 0.22, 0.08),
}
#: Age bands of RGC heads at 2016 and their probabilities by profile: leavers younger, stayers older.
RGC_AGE_BANDS = ((18, 24), (25, 34), (35, 45), (46, 55), (56, 64))
RGC_AGE_P = {
    "leaver": (0.08, 0.28, 0.32, 0.21, 0.11),
    "cycler": (0.09, 0.25, 0.31, 0.23, 0.12),
    "stayer": (0.03, 0.12, 0.30, 0.34, 0.21),
}
#: Probability that the head is male, by household type (lone parents are mostly mothers).
HEAD_MALE_P = {
    "SINGLE": 0.68,
    "LONE_PARENT": 0.10,
    "COUPLE_NO_CHILDREN": 0.72,
    "COUPLE_CHILDREN": 0.72,
    "EXTENDED": 0.72,
}
#: Probability that the head is foreign by origin, by profile: about 13% of RGC heads, so that about
#: 11.5% of the heads on the benefit in 2016 are foreign nationals once naturalised heads count as Spanish.
HEAD_FOREIGN_P = {
    "leaver": 0.15,
    "cycler": 0.14,
    "stayer": 0.10,
    "family_support": 0.18,
    "elderly_care": 0.02,
    "occasional": 0.25,
}
#: Mix of foreign nationality groups (*assumed*, Castilla y León's foreign residents).
FOREIGN_GROUP_P = (0.28, 0.30, 0.25, 0.12, 0.05)
#: Probability that a foreign household naturalised during the period, by group (*assumed*).
NATURALISATION_P = {"EU": 0.02, "MAGHREB": 0.12, "LATAM": 0.25, "SSA": 0.10, "OTHER": 0.08}
#: Highest education of adults by profile, in :data:`EDUCATION` order (*assumed*).
EDUCATION_P = {
    "leaver": (0.03, 0.17, 0.40, 0.28, 0.12),
    "cycler": (0.06, 0.26, 0.42, 0.20, 0.06),
    "stayer": (0.14, 0.38, 0.35, 0.10, 0.03),
    "family_support": (0.07, 0.25, 0.42, 0.19, 0.07),
    "elderly_care": (0.20, 0.55, 0.12, 0.08, 0.05),
    "occasional": (0.05, 0.22, 0.38, 0.23, 0.12),
}
#: Probability of a recognised disability (33% or more) for adults, by profile (*assumed*).
DISABILITY_P = {
    "leaver": 0.04,
    "cycler": 0.10,
    "stayer": 0.25,
    "family_support": 0.08,
    "elderly_care": 0.45,
    "occasional": 0.06,
}
#: Profile means of the latent z-scores (*assumed*).
EMPLOYABILITY_MEAN = {
    "leaver": 0.8,
    "cycler": 0.0,
    "stayer": -0.9,
    "family_support": -0.2,
    "elderly_care": -1.0,
    "occasional": 0.5,
}
RESILIENCE_MEAN = {
    "leaver": 0.5,
    "cycler": -0.3,
    "stayer": -0.5,
    "family_support": -0.2,
    "elderly_care": 0.0,
    "occasional": 0.3,
}
_EDUCATION_EFFECT = np.array([-0.6, -0.3, 0.0, 0.3, 0.5])
#: Share of households living in a city over 20,000 (urban CEAS), by profile (RGC heads: 62%).
URBAN_P = {
    "leaver": 0.62,
    "cycler": 0.62,
    "stayer": 0.62,
    "family_support": 0.62,
    "elderly_care": 0.45,
    "occasional": 0.65,
}
#: Extra sampling weight of the eight pilot CEAS for RGC households, so that each pilot CEAS has enough
#: recipients for the pilot (23 on the benefit in early 2017) at the default 20,000 persons (*assumed*).
PILOT_CEAS_WEIGHT = 3.0
#: Probability that a member other than the head is registered in SAUSS (adults, minors).
SAUSS_MEMBER_P = (0.55, 0.30)
#: Households known only to NGOs (never registered in SAUSS), occasional profile: (Spanish, foreign) head.
NGO_ONLY_P = (0.08, 0.30)

#: Columns of ``persons.parquet`` (team brief), in order.
PERSON_COLUMNS = (
    "person_id",
    "household_id",
    "is_head",
    "profile",
    "sex",
    "birth_date",
    "nationality",
    "naturalisation_date",
    "education",
    "disability_pct",
    "household_type",
    "household_size",
    "n_children",
    "municipality_code",
    "province_code",
    "urban",
    "ceas_code",
    "employability",
    "resilience",
    "given_name",
    "surname1",
    "surname2",
    "doc_type",
    "doc_number",
    "former_nie",
    "address",
    "phone",
    "sauss_user",
    "sauss_registration_date",
)

_HEAD, _PARTNER, _CHILD, _OTHER = 0, 1, 2, 3
_PHONE_PREFIX = {
    "05": 920,
    "09": 947,
    "24": 987,
    "34": 979,
    "37": 923,
    "40": 921,
    "42": 975,
    "47": 983,
    "49": 980,
}


def _categorical(rng: np.random.Generator, keys: np.ndarray, table: dict[str, tuple]) -> np.ndarray:
    """Draw one category index per row from the probability row ``table[key]`` of that row's key."""
    out = np.zeros(len(keys), dtype=np.int64)
    u = rng.random(len(keys))
    for key in sorted(table):
        mask = keys == key
        cum = np.cumsum(np.asarray(table[key], dtype=float))
        out[mask] = np.minimum(np.searchsorted(cum / cum[-1], u[mask], side="right"), len(cum) - 1)
    return out


def _dates(synth: dict[str, Any], extraction: Any) -> tuple[pd.Timestamp, pd.Timestamp]:
    return pd.Timestamp(synth.get("start_date", "2011-01-01")), pd.Timestamp(extraction)


# --------------------------------------------------------------------------------------------- households
def _households(n_persons: int, rng: np.random.Generator) -> pd.DataFrame:
    """Draw households (profile, type, composition) whose sizes add up to exactly ``n_persons``."""
    n_draw = int(n_persons / 1.9) + 50
    prof_names = np.array(PROFILES, dtype=object)
    p = np.array([HOUSEHOLD_PROFILE_P[k] for k in PROFILES])
    profile = prof_names[rng.choice(len(PROFILES), size=n_draw, p=p / p.sum())]
    htype = np.array(HOUSEHOLD_TYPES, dtype=object)[_categorical(rng, profile, HOUSEHOLD_TYPE_P)]
    elderly = profile == "elderly_care"
    partner = np.isin(htype, ["COUPLE_NO_CHILDREN", "COUPLE_CHILDREN"]) | (
        (htype == "EXTENDED") & (rng.random(n_draw) < 0.6)
    )
    children = np.select(
        [htype == "LONE_PARENT", htype == "COUPLE_CHILDREN", (htype == "EXTENDED") & ~elderly],
        [1 + rng.poisson(0.6, n_draw), 1 + rng.poisson(0.9, n_draw), rng.poisson(1.0, n_draw)],
        0,
    )
    other = np.where(htype == "EXTENDED", 1 + (rng.random(n_draw) < 0.25), 0)
    children = np.minimum(children, 15 - 1 - partner - other)
    size = 1 + partner + children + other
    keep = np.cumsum(size) <= n_persons
    hh = pd.DataFrame(
        {
            "profile": profile,
            "household_type": htype,
            "n_partner": partner.astype(int),
            "n_child": children,
            "n_other": other,
        }
    )[keep]
    missing = n_persons - int(size[keep].sum())
    if missing > 0:  # top up with one-person households of the occasional profile
        extra = pd.DataFrame(
            {"profile": "occasional", "household_type": "SINGLE", "n_partner": 0, "n_child": 0, "n_other": 0},
            index=range(missing),
        )
        hh = pd.concat([hh, extra], ignore_index=True)
    hh = hh.reset_index(drop=True)
    hh["household_size"] = 1 + hh["n_partner"] + hh["n_child"] + hh["n_other"]
    hh["household_id"] = [f"H{i:07d}" for i in range(1, len(hh) + 1)]
    return hh


def _ceas_weights(profile: str) -> tuple[np.ndarray, np.ndarray]:
    """Return CEAS codes and the probability of placing a household of ``profile`` in each."""
    ceas = region.make_ceas()
    w = ceas["population_served"].to_numpy(float)
    if profile in RGC_PROFILES:
        w = w * np.where(ceas["pilot_territory"].notna(), PILOT_CEAS_WEIGHT, 1.0)
    urban = ceas["urban"].to_numpy(bool)
    w = np.where(urban, w / w[urban].sum() * URBAN_P[profile], w / w[~urban].sum() * (1 - URBAN_P[profile]))
    return ceas["ceas_code"].to_numpy(object), w / w.sum()


def _place(hh: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Place each household in a CEAS (by profile weights) and one of its municipalities."""
    ceas_idx = np.zeros(len(hh), dtype=np.int64)
    profile = hh["profile"].to_numpy(object)
    for prof in PROFILES:
        mask = profile == prof
        codes, w = _ceas_weights(prof)
        ceas_idx[mask] = rng.choice(len(codes), size=int(mask.sum()), p=w)
    pairs = region.ceas_municipalities()
    pair_ceas = pd.Index(codes).get_indexer(pairs["ceas_code"])
    key = pair_ceas + pairs.groupby("ceas_code")["weight"].cumsum().to_numpy() - 1e-12
    pick = np.searchsorted(key, ceas_idx + rng.random(len(hh)), side="left")
    pick = np.minimum(pick, len(pairs) - 1)
    munis = region.make_municipalities().set_index("municipality_code")
    hh["ceas_code"] = codes[ceas_idx]
    hh["municipality_code"] = pairs["municipality_code"].to_numpy(object)[pick]
    hh["province_code"] = hh["municipality_code"].str[:2]
    hh["urban"] = munis.loc[hh["municipality_code"], "urban"].to_numpy(bool)
    return hh


def _bounded(age: np.ndarray, lo: float, hi: float, rng: np.random.Generator) -> np.ndarray:
    """Keep ages within ``[lo, hi]`` without heaping them on the bounds.

    An age outside the range is drawn uniformly within the year next to the bound it crossed, so
    that no birth date is shared by every clipped person (a clip to exactly 18 years gave one birth
    date to 0.8% of the records, and every date blocking rule of the linkage compared them all).

    Parameters
    ----------
    age : ndarray
        Ages in years.
    lo, hi : float
        Bounds (``hi - lo >= 1``).
    rng : Generator
        A stream of its own, spawned from the caller's (which must come from a seed: see
        ``numpy.random.Generator.spawn``), drawing one uniform number per age whether it is used or
        not. The caller's stream is not advanced, yet the rest of the region still changes with the
        birth dates of the persons concerned: documents are drawn around the birth year, and a new
        collision between them shifts every later draw.

    Returns
    -------
    ndarray
        Ages within ``[lo, hi]``.
    """
    spread = rng.random(len(age))
    return np.where(age < lo, lo + spread, np.where(age > hi, hi - spread, age))


def _head_age(hh: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Age of the head at :data:`REFERENCE_DATE` (years, float) by profile."""
    profile = hh["profile"].to_numpy(object)
    n = len(hh)
    band = _categorical(rng, profile, RGC_AGE_P)
    lo = np.array([b[0] for b in RGC_AGE_BANDS])[band]
    hi = np.array([b[1] for b in RGC_AGE_BANDS])[band]
    rgc_age = lo + rng.random(n) * (hi - lo + 1)
    spread = rng.spawn(1)[0]
    age = np.select(
        [np.isin(profile, RGC_PROFILES), profile == "family_support", profile == "elderly_care"],
        [
            rgc_age,
            _bounded(rng.normal(38, 8, n), 20, 62, spread),
            _bounded(65 + rng.gamma(2.0, 6.0, n), 65, 90, spread),
        ],
        _bounded(rng.normal(42, 14, n), 18, 85, spread),
    )
    return age


# ------------------------------------------------------------------------------------------------ members
def _members(hh: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Expand households into members with role, sex and age."""
    idx = np.arange(len(hh))
    hh_idx = np.concatenate(
        [idx, np.repeat(idx, hh["n_partner"]), np.repeat(idx, hh["n_child"]), np.repeat(idx, hh["n_other"])]
    )
    role = np.concatenate(
        [
            np.full(len(hh), _HEAD),
            np.full(hh["n_partner"].sum(), _PARTNER),
            np.full(hh["n_child"].sum(), _CHILD),
            np.full(hh["n_other"].sum(), _OTHER),
        ]
    )
    order = np.lexsort((role, hh_idx))
    hh_idx, role = hh_idx[order], role[order]
    n = len(role)
    head_age = hh["head_age"].to_numpy()[hh_idx]
    head_male = hh["head_male"].to_numpy()[hh_idx]
    elderly = hh["profile"].to_numpy(object)[hh_idx] == "elderly_care"
    partner_age = head_age + rng.normal(0, 4, n) + np.where(head_male, -2.0, 2.0)
    child_age = rng.random(n) * np.clip(np.minimum(24.0, head_age - 18.0), 0.5, None)
    parent_age = head_age + 20 + rng.random(n) * 12
    sibling_age = head_age + rng.normal(0, 6, n)
    adult_child_age = head_age - 25 - rng.random(n) * 15
    other_age = np.where(elderly, adult_child_age, np.where(rng.random(n) < 0.5, parent_age, sibling_age))
    age = np.select(
        [role == _HEAD, role == _PARTNER, role == _CHILD], [head_age, partner_age, child_age], other_age
    )
    age = np.where(role == _CHILD, age, _bounded(age, 18, 90, rng.spawn(1)[0]))
    male = np.select(
        [role == _HEAD, role == _PARTNER, role == _CHILD],
        [head_male, ~head_male ^ (rng.random(n) < 0.03), rng.random(n) < 0.51],
        rng.random(n) < 0.45,
    )
    return pd.DataFrame({"hh": hh_idx, "role": role, "age": age, "male": male})


def _birth_dates(age: np.ndarray) -> pd.Series:
    days = np.ceil(age * 365.25).astype(np.int64)
    return pd.Series(REFERENCE_DATE - pd.to_timedelta(days, unit="D")).dt.normalize()


def _attributes(m: pd.DataFrame, hh: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Profile-driven attributes: education, disability, latent scores."""
    n = len(m)
    profile = hh["profile"].to_numpy(object)[m["hh"]]
    age = m["age"].to_numpy()
    adult = age >= 18
    edu_adult = _categorical(rng, profile, EDUCATION_P)
    edu_young = np.select([age < 12, age < 16], [0, 1], 2)
    edu = np.where(adult, edu_adult, edu_young)
    p_dis = np.where(adult, pd.Series(profile).map(DISABILITY_P).to_numpy(float), 0.03)
    has_dis = rng.random(n) < p_dis
    disability = np.where(has_dis, 33 + np.floor(rng.beta(1.2, 3.0, n) * 68), 0).astype(np.int64)
    emp = (
        pd.Series(profile).map(EMPLOYABILITY_MEAN).to_numpy(float)
        + _EDUCATION_EFFECT[edu]
        - 0.5 * has_dis
        - 0.02 * np.clip(age - 40, 0, None)
        + rng.normal(0, 0.7, n)
    )
    res = pd.Series(profile).map(RESILIENCE_MEAN).to_numpy(float) + rng.normal(0, 0.8, n)
    return pd.DataFrame(
        {
            "profile": profile,
            "education": np.array(EDUCATION, dtype=object)[edu],
            "disability_pct": disability,
            "employability": emp.round(4),
            "resilience": res.round(4),
        }
    )


def _nationality(m: pd.DataFrame, hh: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Nationality group of origin: household group, with some mixed couples."""
    n_hh = len(hh)
    foreign = rng.random(n_hh) < hh["profile"].map(HEAD_FOREIGN_P).to_numpy(float)
    group = np.array(FOREIGN_GROUPS, dtype=object)[rng.choice(len(FOREIGN_GROUPS), n_hh, p=FOREIGN_GROUP_P)]
    hh_group = np.where(foreign, group, "ES")
    nat = hh_group[m["hh"]]
    partner = m["role"].to_numpy() == _PARTNER
    mixed = partner & (rng.random(len(m)) < np.where(nat == "ES", 0.04, 0.15))
    other_group = np.array(FOREIGN_GROUPS, dtype=object)[
        rng.choice(len(FOREIGN_GROUPS), len(m), p=FOREIGN_GROUP_P)
    ]
    return np.where(mixed, np.where(nat == "ES", other_group, "ES"), nat)


# ------------------------------------------------------------------------------------------------ identity
def _unique_ints(rng: np.random.Generator, draws: np.ndarray, low: int, high: int) -> np.ndarray:
    """Replace repeated values of ``draws`` by fresh uniform draws in [low, high) until all are unique."""
    values = np.asarray(draws, dtype=np.int64).copy()
    while True:
        _, first = np.unique(values, return_index=True)
        dup = np.ones(len(values), dtype=bool)
        dup[first] = False
        if not dup.any():
            return values
        values[dup] = rng.integers(low, high, int(dup.sum()))


def _surnames(m: pd.DataFrame, nat: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two surnames per person, inherited within the household (father's first, mother's first)."""
    n = len(m)
    s1 = names.draw_surnames(nat, rng)
    s2 = names.draw_surnames(nat, rng)
    role, hh_idx, male = m["role"].to_numpy(), m["hh"].to_numpy(), m["male"].to_numpy()
    n_hh = hh_idx.max() + 1 if n else 0
    head_s1, head_s2 = np.empty(n_hh, dtype=object), np.empty(n_hh, dtype=object)
    head_pos = np.flatnonzero(role == _HEAD)
    head_s1[hh_idx[head_pos]], head_s2[hh_idx[head_pos]] = s1[head_pos], s2[head_pos]
    father = np.full(n_hh, None, dtype=object)
    mother = np.full(n_hh, None, dtype=object)
    for r in (_PARTNER, _HEAD):  # the head wins when both are of the same sex
        pos = np.flatnonzero((role == r) & male)
        father[hh_idx[pos]] = s1[pos]
        pos = np.flatnonzero((role == r) & ~male)
        mother[hh_idx[pos]] = s1[pos]
    child = role == _CHILD
    f, mo = father[hh_idx], mother[hh_idx]
    s1 = np.where(child, np.where(f != None, f, mo), s1)  # noqa: E711 (object arrays)
    s2 = np.where(child & (f != None) & (mo != None), mo, np.where(child & (f == None), head_s2[hh_idx], s2))  # noqa: E711
    other = role == _OTHER
    sibling = other & (rng.random(n) < 0.5)
    parent = other & ~sibling
    s1 = np.where(sibling, head_s1[hh_idx], np.where(parent & male, head_s1[hh_idx], s1))
    s1 = np.where(parent & ~male, head_s2[hh_idx], s1)
    s2 = np.where(sibling, head_s2[hh_idx], s2)
    one_surname = ~np.isin(nat, ["ES", "LATAM"]) & (rng.random(n) < 0.85)
    s2 = np.where(one_surname | (s2 == None), None, s2)  # noqa: E711
    s1 = np.where(s1 == None, names.draw_surnames(nat, rng), s1)  # noqa: E711
    return s1, s2


def _documents(
    people: pd.DataFrame, start: pd.Timestamp, extraction: pd.Timestamp, rng: np.random.Generator
) -> pd.DataFrame:
    """DNI for Spaniards and naturalised persons, NIE (or passport) for foreigners."""
    n = len(people)
    nat = people["nationality"].to_numpy(object)
    foreign = nat != "ES"
    naturalised = people["naturalisation_date"].notna().to_numpy()
    age_x = ((extraction - people["birth_date"]).dt.days / 365.25).to_numpy()
    birth_year = people["birth_date"].dt.year.to_numpy()
    centre = 1_000_000 + (birth_year - 1920) / 95 * 75_000_000 + rng.normal(0, 6_000_000, n)
    centre = np.where(naturalised, rng.integers(70_000_000, 80_000_000, n), centre)
    dni_no = _unique_ints(rng, np.clip(centre, 100_000, 99_999_999).astype(np.int64), 100_000, 99_999_999)
    nie_no = _unique_ints(rng, rng.integers(0, 10_000_000, n), 0, 10_000_000)
    prefix = np.where(rng.random(n) < 0.55, "X", "Y")
    dni = identities.make_dni(dni_no).astype(object)
    nie = identities.make_nie(prefix, nie_no).astype(object)
    passport = np.char.add(
        np.array(["P", "A", "B", "C"])[rng.integers(0, 4, n)],
        np.char.zfill(rng.integers(0, 10_000_000, n).astype(str), 8),
    ).astype(object)
    use_passport = foreign & ~naturalised & (age_x >= 18) & (rng.random(n) < 0.06)
    no_doc = (~foreign | naturalised) & (age_x < 14) & (rng.random(n) < 0.4)
    doc_type = np.select([no_doc, ~foreign | naturalised, use_passport], ["", "DNI", "PAS"], "NIE").astype(
        object
    )
    doc_number = np.select([no_doc, ~foreign | naturalised, use_passport], ["", dni, passport], nie).astype(
        object
    )
    doc_type[no_doc], doc_number[no_doc] = None, None
    former = np.where(naturalised, nie, None)
    return pd.DataFrame(
        {"doc_type": doc_type, "doc_number": doc_number, "former_nie": former}, index=people.index
    )


def _contacts(
    people: pd.DataFrame,
    hh: pd.DataFrame,
    m: pd.DataFrame,
    extraction: pd.Timestamp,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Household address and a phone for most adults."""
    n_hh, n = len(hh), len(people)
    number = 1 + np.minimum(rng.geometric(0.05, n_hh), 150)
    floor = rng.integers(1, 9, n_hh).astype(str)
    door = np.array(list("ABCDI"))[rng.integers(0, 5, n_hh)]
    street = names.draw_streets(n_hh, rng)
    base = np.char.add(np.char.add(street.astype(str), " "), number.astype(str))
    flat = np.char.add(np.char.add(np.char.add(", ", floor), "º "), door)
    address = np.where(hh["urban"].to_numpy(bool), np.char.add(base, flat), base).astype(object)
    age_x = ((extraction - people["birth_date"]).dt.days / 365.25).to_numpy()
    mobile = rng.random(n) < 0.8
    landline = pd.Series(people["province_code"]).map(_PHONE_PREFIX).to_numpy(np.int64) * 1_000_000
    phone_no = np.where(
        mobile, 600_000_000 + rng.integers(0, 150_000_000, n), landline + rng.integers(0, 1_000_000, n)
    )
    has_phone = (age_x >= 16) & (rng.random(n) < 0.92)
    phone = np.where(has_phone, phone_no.astype(str), None).astype(object)
    return pd.DataFrame({"address": address[m["hh"]], "phone": phone}, index=people.index)


def _sauss(
    people: pd.DataFrame,
    m: pd.DataFrame,
    hh: pd.DataFrame,
    extraction: pd.Timestamp,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Who is registered in SAUSS and since when."""
    n = len(people)
    foreign_head = np.zeros(len(hh), dtype=bool)
    head = m["role"].to_numpy() == _HEAD
    foreign_head[m["hh"].to_numpy()[head]] = people["nationality"].to_numpy(object)[head] != "ES"
    ngo_only_hh = (hh["profile"].to_numpy(object) == "occasional") & (
        rng.random(len(hh)) < np.where(foreign_head, NGO_ONLY_P[1], NGO_ONLY_P[0])
    )
    adult = m["age"].to_numpy() >= 18
    p_member = np.where(adult, SAUSS_MEMBER_P[0], SAUSS_MEMBER_P[1])
    user = (head | (rng.random(n) < p_member)) & ~ngo_only_hh[m["hh"].to_numpy()]
    span = (extraction - pd.Timedelta(days=60) - SAUSS_START).days
    rgc = np.isin(people["profile"].to_numpy(object), RGC_PROFILES)
    frac = np.where(rgc, rng.beta(1.0, 2.5, n), rng.random(n))
    reg = SAUSS_START + pd.to_timedelta(np.floor(frac * span).astype(np.int64), unit="D")
    birth = people["birth_date"].to_numpy()
    reg = np.maximum(reg.to_numpy(), birth)
    return pd.DataFrame(
        {"sauss_user": user, "sauss_registration_date": pd.Series(reg).where(user)}, index=people.index
    )


# ------------------------------------------------------------------------------------------------- public
def make_population(n_persons: int, rng: np.random.Generator, params: dict[str, Any]) -> pd.DataFrame:
    """Draw the persons of the synthetic region with their households and true identities.

    Parameters
    ----------
    n_persons : int
        Number of persons (social-services users and their household members), at least 1.
    rng : numpy.random.Generator
        Random stream (a child of ``SeedSequence(params["seed"])``).
    params : dict
        The project parameters; reads ``synthetic.start_date`` (earliest naturalisation) and
        ``data.extraction_date``.

    Returns
    -------
    DataFrame
        One row per person, columns :data:`PERSON_COLUMNS`, sorted by ``person_id``. Dates are
        ``datetime64[ns]``; optional strings are ``None`` when missing.
    """
    if n_persons < 1:
        raise ValueError("n_persons must be at least 1")
    start, extraction = _dates(params.get("synthetic", {}), params["data"]["extraction_date"])
    hh = _place(_households(n_persons, rng), rng)
    hh["head_male"] = rng.random(len(hh)) < hh["household_type"].map(HEAD_MALE_P).to_numpy(float)
    hh.loc[(hh["profile"] == "elderly_care") & (hh["household_type"] == "SINGLE"), "head_male"] = (
        rng.random(int(((hh["profile"] == "elderly_care") & (hh["household_type"] == "SINGLE")).sum())) < 0.3
    )
    hh["head_age"] = _head_age(hh, rng)
    m = _members(hh, rng)
    people = _attributes(m, hh, rng)
    people.insert(0, "person_id", [f"P{i:07d}" for i in range(1, len(m) + 1)])
    people.insert(1, "household_id", hh["household_id"].to_numpy(object)[m["hh"]])
    people["is_head"] = m["role"].to_numpy() == _HEAD
    people["sex"] = np.where(m["male"], "H", "M").astype(object)
    people["birth_date"] = _birth_dates(m["age"].to_numpy())
    people["nationality"] = _nationality(m, hh, rng)
    for col in (
        "household_type",
        "household_size",
        "municipality_code",
        "province_code",
        "urban",
        "ceas_code",
    ):
        people[col] = hh[col].to_numpy()[m["hh"]]
    people["n_children"] = pd.Series(m["age"] < 18).groupby(m["hh"]).transform("sum").to_numpy(np.int64)
    groups = people["nationality"].to_numpy(object)
    p_nat = pd.Series(groups).map(NATURALISATION_P).fillna(0.0).to_numpy(float)
    hh_u = rng.random(len(hh))[m["hh"]]
    nat_day = start + pd.to_timedelta(np.floor(rng.random(len(hh)) * (extraction - start).days), unit="D")
    naturalised = hh_u < p_nat
    people["naturalisation_date"] = pd.Series(nat_day.to_numpy()[m["hh"]]).where(naturalised)
    people["given_name"] = names.draw_given_names(people["sex"].to_numpy(object), groups, rng)
    people["surname1"], people["surname2"] = _surnames(m, groups, rng)
    people = people.join(_documents(people, start, extraction, rng))
    people = people.join(_contacts(people, hh, m, extraction, rng))
    people = people.join(_sauss(people, m, hh, extraction, rng))
    people["birth_date"] = people["birth_date"].astype("datetime64[ns]")
    return people[list(PERSON_COLUMNS)].sort_values("person_id", ignore_index=True)


def align_registration(persons: pd.DataFrame, spells: pd.DataFrame) -> pd.DataFrame:
    """Move the SAUSS registration of RGC heads to before their first benefit spell.

    The claim is filed at the CEAS, so a head is registered in SAUSS at least 60 days before the first
    payment (never before :data:`SAUSS_START`).

    Parameters
    ----------
    persons : DataFrame
        Output of :func:`make_population`.
    spells : DataFrame
        RGC spells with ``person_id`` (head) and ``start_date``.

    Returns
    -------
    DataFrame
        A copy of ``persons`` with ``sauss_registration_date`` adjusted.
    """
    first = pd.to_datetime(spells.groupby("person_id")["start_date"].min()) - pd.Timedelta(days=60)
    latest = persons["person_id"].map(first).clip(lower=SAUSS_START)
    out = persons.copy()
    reg = out["sauss_registration_date"]
    out["sauss_registration_date"] = reg.where(latest.isna() | (reg <= latest) | reg.isna(), latest)
    return out
