"""Names and street names of the synthetic region, drawn from hand-written frequency lists.

Package data (``data/``), written by hand, no download:

- ``given_names.csv``: given names by sex and nationality group. Spanish weights follow the INE
  "nombres más frecuentes" counts of residents (thousands, rounded, about 2016), including compound
  names (María del Carmen, José Luis, Juan Carlos, María José...). Foreign lists (Maghreb with the
  Mohamed / Mohammed / Muhammad variants, Romanian and Bulgarian, Latin American, sub-Saharan,
  other) carry relative weights.
- ``surnames.csv``: Spanish surnames with INE-like counts of first surnames (García 1,450 thousand,
  Rodríguez, González, Fernández, López, Martínez...) down to a long tail with particles (de la Fuente,
  del Río, de las Heras); foreign surnames per group with Zipf-like weights.
- ``streets.csv``: street names typical of Castilla y León towns.

See ``shared/reference/identities.md``: Latin Americans carry two surnames, most other foreigners one.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

#: Share of Latin American persons whose names come from the Spanish lists (common Spanish names).
LATAM_SPANISH_NAME_SHARE = 0.4


def _read(name: str) -> pd.DataFrame:
    with resources.files("pact_analysis.synth").joinpath("data", name).open(encoding="utf-8") as fh:
        return pd.read_csv(fh, keep_default_na=False)


@cache
def given_names() -> pd.DataFrame:
    """Return the given-name list (``name``, ``sex``, ``group``, ``weight``)."""
    return _read("given_names.csv")


@cache
def surnames() -> pd.DataFrame:
    """Return the surname list (``surname``, ``group``, ``weight``)."""
    return _read("surnames.csv")


@cache
def streets() -> np.ndarray:
    """Return the street names as an array of str."""
    return _read("streets.csv")["street"].to_numpy(dtype=object)


def _draw(values: np.ndarray, weights: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    p = weights / weights.sum()
    return values[rng.choice(len(values), size=size, p=p)]


def _name_group(group: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Return the list each person's names come from (some Latin Americans use the Spanish lists)."""
    group = np.asarray(group, dtype=object)
    spanish = (group == "LATAM") & (rng.random(len(group)) < LATAM_SPANISH_NAME_SHARE)
    return np.where(spanish, "ES", group)


def draw_given_names(sex: np.ndarray, group: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw one given name per person from the list of their sex and nationality group.

    Parameters
    ----------
    sex : array-like of str
        ``"H"`` or ``"M"`` per person.
    group : array-like of str
        Nationality group code per person (codebook ``nationality_group``).
    rng : numpy.random.Generator
        Random stream.

    Returns
    -------
    ndarray of object
        Given names.
    """
    sex = np.asarray(sex, dtype=object)
    src = _name_group(group, rng)
    table = given_names()
    out = np.empty(len(sex), dtype=object)
    for (grp, sx), rows in table.groupby(["group", "sex"], sort=True):
        mask = (src == grp) & (sex == sx)
        if mask.any():
            out[mask] = _draw(rows["name"].to_numpy(object), rows["weight"].to_numpy(float), mask.sum(), rng)
    return out


def draw_surnames(group: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw one surname per person from the list of their nationality group.

    Parameters
    ----------
    group : array-like of str
        Nationality group code per person.
    rng : numpy.random.Generator
        Random stream.

    Returns
    -------
    ndarray of object
        Surnames.
    """
    src = _name_group(group, rng)
    table = surnames()
    out = np.empty(len(src), dtype=object)
    for grp, rows in table.groupby("group", sort=True):
        mask = src == grp
        if mask.any():
            out[mask] = _draw(
                rows["surname"].to_numpy(object), rows["weight"].to_numpy(float), mask.sum(), rng
            )
    return out


def draw_streets(size: int, rng: np.random.Generator) -> np.ndarray:
    """Draw ``size`` street names uniformly."""
    names = streets()
    return names[rng.integers(0, len(names), size=size)]
