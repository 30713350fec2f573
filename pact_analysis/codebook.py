"""Access to the codebook (``codebook.yaml``), the project's shared vocabulary.

The codebook names every source, column, code list, MDTSE dimension and factor and risk situation.
Everything else (the generator, the schemas, the reports) reads column definitions from here, so a
column is defined once.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml


@cache
def load() -> dict[str, Any]:
    """Return the parsed codebook with identity columns expanded in place.

    Returns
    -------
    dict
        The codebook. ``codebook["sources"][name]["columns"]`` is an ordered mapping from column
        name to its definition, with the shared identity columns expanded and, for the MDTSE source,
        one ``dim_<dimension>`` and one ``fNN`` column per dimension and factor.
    """
    text = resources.files("pact_analysis").joinpath("codebook.yaml").read_text(encoding="utf-8")
    book = yaml.safe_load(text)
    for source in book["sources"].values():
        source["columns"] = _expand_columns(book, source)
    return book


def _expand_columns(book: dict[str, Any], source: dict[str, Any]) -> dict[str, dict[str, Any]]:
    columns: dict[str, dict[str, Any]] = {}
    for name, spec in source["columns"].items():
        if isinstance(spec, dict) and "include" in spec:
            columns.update({k: dict(v) for k, v in book[spec["include"]].items()})
        else:
            columns[name] = dict(spec)
    if source.get("mdtse_columns"):
        mdtse = book["mdtse"]
        for dim, label in mdtse["dimensions"].items():
            columns[f"dim_{dim}"] = {
                "type": "int",
                "nullable": True,
                "min": mdtse["score_min"],
                "max": mdtse["score_max"],
                "description": f"MDTSE score, {label['en']} dimension",
            }
        for factor, spec in mdtse["factors"].items():
            columns[factor] = {
                "type": "int",
                "min": mdtse["factor_min"],
                "max": mdtse["factor_max"],
                "description": f"MDTSE factor ({spec['dimension']}): {spec['en']}",
            }
    return columns


def sources() -> dict[str, dict[str, Any]]:
    """Return the raw-extract definitions, keyed by source name."""
    return load()["sources"]


def columns(source: str) -> dict[str, dict[str, Any]]:
    """Return the ordered column definitions of one source.

    Parameters
    ----------
    source : str
        Source name, for example ``"sauss_persons"``.
    """
    return sources()[source]["columns"]


def codes(name: str) -> dict[str, str]:
    """Return a code list (code -> label), for example ``codes("rgc_exit")``."""
    return load()["codes"][name]


def person_sources() -> list[str]:
    """Return the sources whose rows are person records carrying identity columns (linkage inputs)."""
    return [name for name, spec in sources().items() if spec.get("person_source")]


def pii_columns(source: str) -> list[str]:
    """Return the direct-identifier columns of a source (never published after ``link``)."""
    return [col for col, spec in columns(source).items() if spec.get("pii")]


def mdtse_dimensions() -> list[str]:
    """Return the MDTSE dimension keys in codebook order (six dimensions, then self-perception)."""
    return list(load()["mdtse"]["dimensions"])


def mdtse_factors() -> dict[str, dict[str, str]]:
    """Return the 36 MDTSE factors, keyed ``f01`` .. ``f36``."""
    return load()["mdtse"]["factors"]
