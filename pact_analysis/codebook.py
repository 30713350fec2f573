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


def blank_thresholds(source: str) -> dict[str, float]:
    """Return the blank share above which each needed column of ``source`` gets a warning.

    Parameters
    ----------
    source : str
        Source name, for example ``"rgc_members"``.

    Returns
    -------
    dict of str to float
        Column -> share (0-1), for the columns of ``blank_warning.columns`` that ``source`` has, with
        the source's own exceptions (``blank_warning.sources``); empty if the codebook has no
        ``blank_warning`` section.
    """
    spec = load().get("blank_warning")
    if not spec:
        return {}
    own = spec.get("sources", {}).get(source, {})
    return {c: float(own.get(c, share)) for c, share in spec["columns"].items() if c in columns(source)}


def blank_placeholders() -> frozenset[str]:
    """Return the values counted as blank by the mostly-blank check, upper-cased (``"SIN DATOS"``)."""
    spec = load().get("blank_warning") or {}
    return frozenset(str(value).strip().upper() for value in spec.get("placeholders", []))


def age_limits() -> tuple[int, int]:
    """Return ``(max_age, unusual_age)``: ages over the first are refused, over the second warned about."""
    period = load()["period"]
    return int(period["max_age"]), int(period["unusual_age"])


def iprem_table() -> dict[int, float]:
    """Return the monthly IPREM (EUR) by year, in year order (codebook ``iprem``; empty if absent)."""
    return {int(year): float(value) for year, value in sorted((load().get("iprem") or {}).items())}


def iprem(year: int) -> tuple[int, float]:
    """Return ``(year of the table used, monthly IPREM)`` for ``year``.

    A year after the table's last takes the last figure, a year before its first the first figure.

    Parameters
    ----------
    year : int
        Calendar year.

    Raises
    ------
    KeyError
        If the codebook has no ``iprem`` table.
    """
    table = iprem_table()
    if not table:
        raise KeyError("codebook.yaml has no iprem table")
    used = min(max(int(year), min(table)), max(table))
    return used, table[used]


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


def _year_mapping(value: Any, path: str) -> Iterator[str]:
    """A mapping of calendar years (whole numbers) to positive numbers, with at least one entry."""
    if not isinstance(value, dict) or not value:
        yield f"{path}: expected a mapping of years to numbers, found {_kind(value)}"
        return
    for year, number in value.items():
        if not isinstance(year, int) or isinstance(year, bool):
            yield f"{path}: key {year!r} is {_kind(year)}, not a year"
        yield from NUMBER(number, f"{path}.{year}")
        if isinstance(number, int | float) and not isinstance(number, bool) and number <= 0:
            yield f"{path}.{year}: {number} is not above 0"


#: A bound: a number, or a date for a date column (checked by :func:`_bounds_problems`).
BOUND = _is("a number or a date (yyyy-mm-dd)", int, float, dt.date)
#: Keys of a column definition (see the header of ``codebook.yaml``).
COLUMN_KEYS: dict[str, Check] = {
    "type": _one_of(*COLUMN_TYPES),
    "description": TEXT,
    "required": FLAG,
    "nullable": FLAG,
    "unique": FLAG,
    "codes": TEXT,
    "pii": FLAG,
    "min": BOUND,
    "max": BOUND,
    "warn_min": BOUND,
    "warn_max": BOUND,
    "max_iprem": NUMBER,
    "warn_max_iprem": NUMBER,
    "iprem_period": _either(TEXT, _list_of(TEXT)),
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
_BLANK_WARNING = _record(
    {
        "placeholders": _list_of(TEXT),
        "columns": _mapping_of(NUMBER),
        "sources": _mapping_of(_mapping_of(NUMBER)),
    },
    required=("columns",),
)
_PERIOD_KEYS = ("earliest_event", "earliest_birth", "usual_from", "max_age", "unusual_age", "rgc_head_age")
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
            dict(zip(_PERIOD_KEYS, [DATE, DATE, DATE, WHOLE, WHOLE, WHOLE], strict=True)),
            ("earliest_event", "earliest_birth", "max_age", "unusual_age"),
        ),
        "iprem": _year_mapping,
        "provinces": _list_of(_NAMED),
        "pilot_territories": _list_of(_TERRITORY),
        "codes": _mapping_of(_mapping_of(TEXT)),
        "mdtse": _MDTSE,
        "risk_situations": _either(_mapping_of(_RISK), _list_of(_record(RISK_KEYS, required=("id",)))),
        "identity_columns": _mapping_of(_column),
        "sources": _mapping_of(_SOURCE),
        "blank_warning": _BLANK_WARNING,
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
    yield from _blank_warning_references(book)
    period = book["period"]
    if not 0 < period["unusual_age"] <= period["max_age"]:
        yield f"period: unusual_age {period['unusual_age']} must be above 0 and at most max_age {period['max_age']}"
    for source, spec in book["sources"].items():
        columns = _source_column_names(book, spec)
        if spec["key"] not in columns:
            yield f"sources.{source}.key: {spec['key']!r} is not a column of {source}"
        for name, column in spec["columns"].items():
            path = f"sources.{source}.columns.{name}"
            yield from _column_references(book, column, path)
            yield from _iprem_references(book, spec, column, path)


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
    yield from _bounds_problems(column, path)
    if column.get("references") is not None:
        yield from _reference_target(book, column["references"], f"{path}.references")


def _bounds_problems(column: dict[str, Any], path: str) -> Iterator[str]:
    """Yield bounds of the wrong kind (a date column takes dates) and out of order (min <= ... <= max)."""
    order = [key for key in ("min", "warn_min", "warn_max", "max") if key in column]
    dates = column.get("type") == "date"
    wrong = [key for key in order if isinstance(column[key], dt.date) != dates]
    for key in wrong:
        yield f"{path}.{key}: a {'date' if dates else 'number'} column takes a {'date' if dates else 'number'}"
    if wrong:
        return
    for low, high in zip(order, order[1:], strict=False):
        if column[low] > column[high]:
            yield f"{path}: {low} {column[low]} is above {high} {column[high]}"
    if (
        "warn_max_iprem" in column
        and "max_iprem" in column
        and column["warn_max_iprem"] > column["max_iprem"]
    ):
        yield f"{path}: warn_max_iprem {column['warn_max_iprem']} is above max_iprem {column['max_iprem']}"


def _iprem_references(
    book: dict[str, Any], source: dict[str, Any], column: dict[str, Any], path: str
) -> Iterator[str]:
    """Yield the problems of a column bounded in IPREMs: no ``iprem`` table, a period not of dates."""
    capped = "max_iprem" in column or "warn_max_iprem" in column
    period = column.get("iprem_period")
    if capped and period is None:
        yield f"{path}: max_iprem/warn_max_iprem need iprem_period (the date column giving the year)"
    if capped and not book.get("iprem"):
        yield f"{path}: max_iprem/warn_max_iprem need the iprem table (iprem: {{year: EUR}})"
    names = [period] if isinstance(period, str) else list(period or [])
    if len(names) > 2:
        yield f"{path}.iprem_period: expected a column or [start, end], found {len(names)} columns"
    dates = {n for n, c in source["columns"].items() if isinstance(c, dict) and c.get("type") == "date"}
    for name in names:
        if name not in dates:
            yield f"{path}.iprem_period: {name!r} is not a date column of the source"


def _blank_warning_references(book: dict[str, Any]) -> Iterator[str]:
    """Yield the names of ``blank_warning`` that are not columns, and shares outside 0-1."""
    spec = book.get("blank_warning")
    if not spec:
        return
    known = set(book.get("identity_columns", {}))
    for source in book["sources"].values():
        known |= _source_column_names(book, source)
    shares = {f"blank_warning.columns.{name}": share for name, share in spec["columns"].items()}
    for name in spec["columns"]:
        if name not in known:
            yield f"blank_warning.columns.{name}: not a column of any source"
    for source, own in spec.get("sources", {}).items():
        if source not in book["sources"]:
            yield f"blank_warning.sources.{source}: not a source"
            continue
        for name, share in own.items():
            shares[f"blank_warning.sources.{source}.{name}"] = share
            if name not in _source_column_names(book, book["sources"][source]):
                yield f"blank_warning.sources.{source}.{name}: not a column of {source}"
    for path, share in shares.items():
        if not 0 <= share <= 1:
            yield f"{path}: {share} is not a share between 0 and 1"


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
