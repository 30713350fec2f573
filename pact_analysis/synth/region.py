"""The synthetic region: the nine provinces of Castilla y León, their municipalities and CEAS.

Deterministic reference tables shipped as package data (``data/municipalities.csv`` and
``data/ceas.csv``), no randomness:

- municipalities: for each province the capital, the other towns over 20,000 inhabitants and a few
  smaller towns and villages, with their INE 5-digit codes and approximate 2016 populations (INE
  Padrón, rounded). Rural municipalities name the provincial-council CEAS that serves them.
- CEAS (Centros de Acción Social): urban ones run by municipalities over 20,000 inhabitants (one or
  more per city), rural ones run by the provincial council (Diputación) covering several municipalities
  (calibration.md, "Region and pilot"). ``population_served`` is the population of the area the CEAS
  serves (a rural CEAS also serves villages not listed), used as a sampling weight for households.
- The eight PACT pilot CEAS (seed 004): two each in León city, Salamanca city, Valladolid city and two
  rural ones in Valladolid province, flagged with their ``pilot_territory`` code (codebook
  ``pilot_territories``).
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import pandas as pd

from pact_analysis import codebook

_TEXT_COLUMNS = {"municipality_code": str, "province_code": str, "ceas_code": str, "pilot_territory": str}


def _read(name: str) -> pd.DataFrame:
    path = resources.files("pact_analysis.synth").joinpath("data", name)
    with path.open(encoding="utf-8") as fh:
        return pd.read_csv(
            fh, dtype=_TEXT_COLUMNS, keep_default_na=False, na_values={"pilot_territory": [""]}
        )


@cache
def _municipalities() -> pd.DataFrame:
    table = _read("municipalities.csv")
    table["ceas_code"] = table["ceas_code"].replace("", pd.NA)
    table["urban"] = table["ceas_code"].isna()
    return table


@cache
def _ceas() -> pd.DataFrame:
    table = _read("ceas.csv")
    table["urban"] = table["urban"].astype(int).astype(bool)
    table["pilot_territory"] = table["pilot_territory"].astype("string")
    return table


def make_municipalities() -> pd.DataFrame:
    """Return the municipalities of the synthetic region.

    Returns
    -------
    DataFrame
        ``municipality_code`` (INE, 5 digits), ``municipality_name``, ``province_code``,
        ``population`` (approximate, 2016), ``urban`` (over 20,000 inhabitants, served by municipal
        CEAS) and ``ceas_code`` (the provincial-council CEAS serving a rural municipality; missing for
        urban ones). Sorted by municipality code.
    """
    return _municipalities().sort_values("municipality_code", ignore_index=True).copy()


def make_ceas() -> pd.DataFrame:
    """Return the CEAS reference table (codebook source ``ceas``) plus ``population_served``.

    Returns
    -------
    DataFrame
        The codebook columns of ``ceas`` (``ceas_code``, ``ceas_name``, ``province_code``,
        ``municipality_code``, ``urban``, ``pilot_territory``) and ``population_served``, sorted by
        ``ceas_code``.
    """
    cols = [*codebook.columns("ceas"), "population_served"]
    return _ceas()[cols].sort_values("ceas_code", ignore_index=True).copy()


def ceas_municipalities() -> pd.DataFrame:
    """Return every (CEAS, municipality) pair with the municipality's share of the CEAS's area.

    An urban CEAS covers a share of its city; a rural CEAS covers the listed municipalities that name
    it. ``weight`` sums to 1 within each CEAS (population weights), so a household placed in a CEAS can
    be placed in one of its municipalities.

    Returns
    -------
    DataFrame
        ``ceas_code``, ``municipality_code``, ``weight``; sorted by both codes.
    """
    ceas = make_ceas()
    munis = make_municipalities()
    urban = ceas.loc[ceas["urban"], ["ceas_code", "municipality_code"]].assign(population=1.0)
    rural = munis.loc[~munis["urban"], ["ceas_code", "municipality_code", "population"]]
    pairs = pd.concat([urban, rural], ignore_index=True)
    pairs["weight"] = pairs["population"] / pairs.groupby("ceas_code")["population"].transform("sum")
    return pairs[["ceas_code", "municipality_code", "weight"]].sort_values(
        ["ceas_code", "municipality_code"], ignore_index=True
    )


def pilot_ceas() -> pd.DataFrame:
    """Return the eight pilot CEAS (``ceas_code``, ``pilot_territory``), sorted by code."""
    ceas = make_ceas()
    return ceas.loc[ceas["pilot_territory"].notna(), ["ceas_code", "pilot_territory"]].reset_index(drop=True)
