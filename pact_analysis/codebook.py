"""Access to the codebook (``codebook.yaml``), the project's shared vocabulary.

The codebook names every source, column, code list, MDTSE dimension and factor and risk situation.
Everything else (the generator, the schemas, the reports) reads column definitions from here, so a
column is defined once.

:func:`validate_codebook` checks the codebook's own shape (:data:`SCHEMA`): every entry has only known
keys with values of the right type, and every name it refers to (code lists, referenced columns,
MDTSE dimensions) exists. ``python -m pact_analysis`` runs it before every stage, so a broken codebook
(an unquoted comma inside ``{...}`` that splits a description into a stray key, a code list key
``NO`` that YAML reads as false) stops the pipeline with the path of the bad entry.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from functools import cache
from importlib import resources
from typing import Any

import yaml

from pact_analysis.errors import StageError

#: File name used in messages.
CODEBOOK_FILE = "codebook.yaml"
#: Column types known to the parsers and schemas.
COLUMN_TYPES = ("string", "int", "float", "date", "bool")
#: Problems shown in one :class:`StageError` before the rest are counted.
PROBLEMS_SHOWN = 10


def read_raw() -> dict[str, Any]:
    """Return the codebook as written (identity columns not expanded, nothing validated).

    Raises
    ------
    StageError
        If the file is not valid YAML.
    """
    text = resources.files("pact_analysis").joinpath(CODEBOOK_FILE).read_text(encoding="utf-8")
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise StageError(f"{CODEBOOK_FILE}: not valid YAML: {err}") from None


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
    book = read_raw()
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


# --- the codebook's own schema ----------------------------------------------------------------------

#: A check yields one ``"path: what is wrong"`` line per problem of a value found at ``path``.
Check = Callable[[Any, str], Iterator[str]]


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (an empty value)"
    names = {bool: "true/false", int: "a whole number", float: "a number", str: "text", list: "a list"}
    names |= {dict: "a mapping", dt.date: "a date"}
    return names.get(type(value), type(value).__name__)


def _is(what: str, *types: type) -> Check:
    """Check that a value is an instance of ``types`` (``True`` is not a number here)."""

    def check(value: Any, path: str) -> Iterator[str]:
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            yield f"{path}: expected {what}, found {_kind(value)}"

    return check


TEXT = _is("text", str)
FLAG = _is("true or false", bool)
WHOLE = _is("a whole number", int)
NUMBER = _is("a number", int, float)
DATE = _is("a date (yyyy-mm-dd)", dt.date)


def _one_of(*values: str) -> Check:
    def check(value: Any, path: str) -> Iterator[str]:
        if value not in values:
            yield f"{path}: {value!r} is not one of {', '.join(values)}"

    return check


def _either(first: Check, second: Check) -> Check:
    """Accept a value that passes ``first`` or ``second``; report ``second``'s problems otherwise."""

    def check(value: Any, path: str) -> Iterator[str]:
        if any(True for _ in first(value, path)):
            yield from second(value, path)

    return check


def _record(fields: dict[str, Check], required: tuple[str, ...] = ()) -> Check:
    """Check a mapping with a fixed set of known keys, each with its own check."""

    def check(value: Any, path: str) -> Iterator[str]:
        if not isinstance(value, dict):
            yield f"{path}: expected a mapping with keys {', '.join(fields)}, found {_kind(value)}"
            return
        for key, item in value.items():
            if key in fields:
                yield from fields[key](item, f"{path}.{key}")
            else:
                yield f"{path}: unknown key {key!r}{_stray_hint(item)} (known keys: {', '.join(fields)})"
        for key in required:
            if key not in value:
                yield f"{path}: missing key {key!r}"

    return check


def _stray_hint(item: Any) -> str:
    if item is None:
        return " (an unquoted comma inside {...} splits a value into a stray key: quote the value)"
    return ""


def _mapping_of(item: Check, min_items: int = 1) -> Check:
    """Check a mapping whose keys are free text (names, codes) and whose values all pass ``item``."""

    def check(value: Any, path: str) -> Iterator[str]:
        if not isinstance(value, dict) or len(value) < min_items:
            yield f"{path}: expected a mapping of at least {min_items} entries, found {_kind(value)}"
            return
        for key, entry in value.items():
            if not isinstance(key, str):
                yield f'{path}: key {key!r} is {_kind(key)}, not text (quote it, e.g. "NO")'
            yield from item(entry, f"{path}.{key}")

    return check


def _list_of(item: Check) -> Check:
    def check(value: Any, path: str) -> Iterator[str]:
        if not isinstance(value, list) or not value:
            yield f"{path}: expected a non-empty list, found {_kind(value)}"
            return
        for pos, entry in enumerate(value):
            yield from item(entry, f"{path}[{pos}]")

    return check


#: Keys of a column definition (see the header of ``codebook.yaml``).
COLUMN_KEYS: dict[str, Check] = {
    "type": _one_of(*COLUMN_TYPES),
    "description": TEXT,
    "required": FLAG,
    "nullable": FLAG,
    "unique": FLAG,
    "codes": TEXT,
    "pii": FLAG,
    "min": NUMBER,
    "max": NUMBER,
    "pattern": TEXT,
    "references": TEXT,
}
_COLUMN = _record(COLUMN_KEYS, required=("type", "description"))
_INCLUDE = _record({"include": TEXT}, required=("include",))


def _column(value: Any, path: str) -> Iterator[str]:
    """A column definition, or ``{include: <section>}`` standing for a shared block of columns."""
    yield from (_INCLUDE if isinstance(value, dict) and "include" in value else _COLUMN)(value, path)


_TEXTS = _either(TEXT, _list_of(TEXT))
#: Keys a risk situation may carry (entries are ``ID: {...}`` or a list of ``{id: ID, ...}``): ``en``,
#: ``es`` and ``label`` (text, or ``{es, en}``) name it; ``description``, ``rule`` (in words) and ``sql``
#: define it; ``unit`` (person, household, spell...) and ``kind`` (indicator, flag...) classify it;
#: ``sources`` and ``columns`` (text or list) say what it reads; ``window_months``, ``threshold``,
#: ``min`` and ``max`` parametrise it; ``reference`` and ``notes`` are free text.
RISK_KEYS: dict[str, Check] = {
    "id": TEXT,
    "en": TEXT,
    "es": TEXT,
    "label": _either(TEXT, _record({"es": TEXT, "en": TEXT})),
    "description": TEXT,
    "rule": TEXT,
    "sql": TEXT,
    "unit": TEXT,
    "kind": TEXT,
    "sources": _TEXTS,
    "columns": _TEXTS,
    "window_months": NUMBER,
    "threshold": NUMBER,
    "min": NUMBER,
    "max": NUMBER,
    "reference": TEXT,
    "notes": TEXT,
}
_RISK = _record(RISK_KEYS)
_NAMED = _record({"code": TEXT, "name": TEXT}, required=("code", "name"))
_TERRITORY = _record(
    {"code": TEXT, "name": TEXT, "province": TEXT, "urban": FLAG}, required=("code", "name", "province")
)
_SOURCE = _record(
    {
        "file": TEXT,
        "required": FLAG,
        "key": TEXT,
        "person_source": FLAG,
        "description": TEXT,
        "columns": _mapping_of(_column),
        "mdtse_columns": FLAG,
    },
    required=("file", "key", "description", "columns"),
)
_LABELS = _record({"es": TEXT, "en": TEXT}, required=("es", "en"))
_MDTSE = _record(
    {
        "score_min": WHOLE,
        "score_max": WHOLE,
        "factor_min": WHOLE,
        "factor_max": WHOLE,
        "dimensions": _mapping_of(_LABELS),
        "factors": _mapping_of(_record({"dimension": TEXT, "en": TEXT, "es": TEXT}, ("dimension", "en"))),
    },
    required=("score_min", "score_max", "factor_min", "factor_max", "dimensions", "factors"),
)
#: The shape of ``codebook.yaml``: top-level sections and, recursively, every entry.
SCHEMA: Check = _record(
    {
        "version": WHOLE,
        "raw_format": _record(
            dict.fromkeys(
                ["delimiter", "decimal", "date_format", "encoding", "true_value", "false_value"], TEXT
            ),
            required=("delimiter", "decimal", "date_format", "encoding", "true_value", "false_value"),
        ),
        "period": _record(
            {"earliest_event": DATE, "earliest_birth": DATE}, ("earliest_event", "earliest_birth")
        ),
        "provinces": _list_of(_NAMED),
        "pilot_territories": _list_of(_TERRITORY),
        "codes": _mapping_of(_mapping_of(TEXT)),
        "mdtse": _MDTSE,
        "risk_situations": _either(_mapping_of(_RISK), _list_of(_record(RISK_KEYS, required=("id",)))),
        "identity_columns": _mapping_of(_column),
        "sources": _mapping_of(_SOURCE),
    },
    required=("version", "raw_format", "period", "provinces", "codes", "mdtse", "sources"),
)


def _cross_references(book: dict[str, Any]) -> Iterator[str]:
    """Yield every name the codebook uses but does not define (run on a codebook of the right shape)."""
    provinces = {p["code"] for p in book["provinces"]}
    for pos, territory in enumerate(book.get("pilot_territories", [])):
        if territory["province"] not in provinces:
            yield f"pilot_territories[{pos}].province: {territory['province']!r} is not a code of provinces"
    for factor, spec in book["mdtse"]["factors"].items():
        if spec["dimension"] not in book["mdtse"]["dimensions"]:
            yield f"mdtse.factors.{factor}.dimension: {spec['dimension']!r} is not an MDTSE dimension"
    for name, spec in book.get("identity_columns", {}).items():
        yield from _column_references(book, spec, f"identity_columns.{name}")
    for source, spec in book["sources"].items():
        columns = _source_column_names(book, spec)
        if spec["key"] not in columns:
            yield f"sources.{source}.key: {spec['key']!r} is not a column of {source}"
        for name, column in spec["columns"].items():
            yield from _column_references(book, column, f"sources.{source}.columns.{name}")


def _source_column_names(book: dict[str, Any], spec: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for name, column in spec["columns"].items():
        include = column.get("include")
        names |= set(book.get(include) or {}) if include else {name}
    return names


def _column_references(book: dict[str, Any], column: dict[str, Any], path: str) -> Iterator[str]:
    if "include" in column:
        if not isinstance(book.get(column["include"]), dict):
            yield f"{path}.include: {column['include']!r} is not a section of column definitions"
        return
    if column.get("codes") is not None and column["codes"] not in book["codes"]:
        yield f"{path}.codes: {column['codes']!r} is not a code list (codes:)"
    if column.get("pattern") is not None:
        try:
            re.compile(column["pattern"])
        except re.error as err:
            yield f"{path}.pattern: not a regular expression ({err})"
    if "min" in column and "max" in column and column["min"] > column["max"]:
        yield f"{path}: min {column['min']} is above max {column['max']}"
    if column.get("references") is not None:
        yield from _reference_target(book, column["references"], f"{path}.references")


def _reference_target(book: dict[str, Any], target: str, path: str) -> Iterator[str]:
    source, _, name = target.partition(".")
    spec = book["sources"].get(source)
    if spec is None or name not in _source_column_names(book, spec):
        yield f"{path}: {target!r} is not a column of a source (write <source>.<column>)"


def codebook_problems(book: Any) -> list[str]:
    """Return every problem of a parsed codebook, each as ``"path: what is wrong"``.

    Parameters
    ----------
    book : Any
        The parsed ``codebook.yaml`` (:func:`read_raw`), not expanded.

    Returns
    -------
    list of str
        Shape problems (:data:`SCHEMA`); when the shape is right, undefined names (code lists,
        referenced columns, source keys, MDTSE dimensions, provinces of pilot territories).
    """
    problems = [_from_root(problem) for problem in SCHEMA(book, "$")]
    return problems or list(_cross_references(book))


def _from_root(problem: str) -> str:
    """Drop the root marker ``$`` of a path (``$.sources.x`` -> ``sources.x``; ``$:`` -> ``top level:``)."""
    return "top level" + problem[1:] if problem.startswith("$:") else problem.removeprefix("$.")


def validate_codebook(book: Any = None) -> None:
    """Check the codebook's own shape and names; raise on the first problems found.

    Parameters
    ----------
    book : Any, optional
        A parsed codebook; by default ``codebook.yaml`` as written (:func:`read_raw`).

    Raises
    ------
    StageError
        ``codebook.yaml: <path>: <problem>`` for up to :data:`PROBLEMS_SHOWN` problems, for example
        ``codebook.yaml: sources.ceas.columns.urban: unknown key '000 inhabitants ...'``.
    """
    problems = codebook_problems(read_raw() if book is None else book)
    if problems:
        shown = problems[:PROBLEMS_SHOWN]
        more = len(problems) - len(shown)
        raise StageError(
            f"{CODEBOOK_FILE}: " + "; ".join(shown) + (f"; and {more} more problems" if more > 0 else "")
        )
