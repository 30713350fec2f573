"""Validation and plausibility of a typed extract: what is refused and what is warned about.

Refused (:func:`validate`, :func:`reference_problems`): a value outside the pandera contract of
:mod:`pact_analysis.schemas` -- codes, patterns, required values, unique keys, the plausible range of
every amount, count, age and date (each range cites its source in ``codebook.yaml``), an end before
its start -- and a reference to a row that does not exist in another extract.

Read with a warning (:func:`notices`, :func:`head_age_notices`): a possible but unusual value
(``warn_min``/``warn_max``, ``warn_max_iprem``, dates before ``period.usual_from``, ages over
``period.unusual_age``, an RGC household head under ``period.rgc_head_age`` at the start of a spell),
a column that linkage or an analysis needs and that is mostly blank or placeholders (``blank_warning``
in the codebook), and DNI/NIE failing their check letter (linkage absorbs typos).
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import pandera.pandas as pa

from pact_analysis import codebook, schemas
from pact_analysis.ingest.problems import Notice, Problem, guarded, shown

_BUG = (
    "could not be validated: the check '{check}' failed as a whole (a bug in pact-analysis, not in the "
    "file: please report this message)"
)
#: Text of the warning for each DNI/NIE that fails its format or check letter.
DOCUMENT_TEXT = "DNI/NIE fails its format or check letter (kept: linkage tolerates typos)"


def validate(frame: pd.DataFrame, text: pd.DataFrame, source: str, extraction_date: Any) -> list[Problem]:
    """Validate a typed extract against :func:`pact_analysis.schemas.schema_for` and word the failures.

    Parameters
    ----------
    frame : DataFrame
        Typed extract indexed by spreadsheet row number.
    text : DataFrame
        The same extract as text: values are quoted as written in the file, and cells the parser could
        not read (missing now) are not reported a second time.
    source : str
        Source name.
    extraction_date : date-like
        Latest acceptable date.

    Returns
    -------
    list of Problem
        One per failing cell (or pair of cells); an unexpected failure of the validation itself is
        one problem naming its column.
    """
    schema = schemas.schema_for(source, extraction_date)
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        problems: list[Problem] = []
        with guarded(problems, None, "validated"):
            problems += _word_failures(err.failure_cases, frame, text, source, extraction_date)
        return problems
    except Exception:  # noqa: BLE001 - find the column that makes the validation fail
        return _validate_by_column(schema, frame, text, source, extraction_date)
    return []


def _validate_by_column(
    schema: pa.DataFrameSchema, frame: pd.DataFrame, text: pd.DataFrame, source: str, extraction_date: Any
) -> list[Problem]:
    problems: list[Problem] = []
    for name, column in schema.columns.items():
        with guarded(problems, name, "validated"):
            try:
                pa.DataFrameSchema({name: column}).validate(frame[[name]], lazy=True)
            except pa.errors.SchemaErrors as err:
                problems += _word_failures(err.failure_cases, frame, text, source, extraction_date)
    with guarded(problems, None, "validated (checks across columns)"):
        try:
            pa.DataFrameSchema(checks=schema.checks).validate(frame, lazy=True)
        except pa.errors.SchemaErrors as err:
            problems += _word_failures(err.failure_cases, frame, text, source, extraction_date)
    return problems


def _word_failures(
    cases: pd.DataFrame, frame: pd.DataFrame, text: pd.DataFrame, source: str, extraction_date: Any
) -> list[Problem]:
    specs = codebook.columns(source)
    problems = _whole_column_failures(cases)
    table_checks = cases[(cases["schema_context"] == "DataFrameSchema") & cases["index"].notna()]
    for check, group in table_checks.groupby("check", sort=True):
        rows = sorted(set(group["index"].astype(int)))
        capped = [n for n in specs if str(check) == schemas.IPREM_CHECK.format(column=n)]
        if capped:
            problems += _iprem_problems(capped[0], rows, frame, text, specs[capped[0]], extraction_date)
        else:
            problems += _pair_problems(str(check), rows, frame)
    column_cases = cases[(cases["schema_context"] == "Column") & cases["index"].notna()]
    dups = column_cases[column_cases["check"] == "field_uniqueness"]
    for (column, _), group in dups.groupby(["column", dups["failure_case"].astype(str)], sort=True):
        value = "" if specs[column].get("pii") else f" '{text.loc[int(group['index'].iloc[0]), column]}'"
        problems.append(
            Problem(tuple(sorted(group["index"].astype(int))), column, f"duplicate value{value}", "dup")
        )
    for case in column_cases[column_cases["check"] != "field_uniqueness"].itertuples():
        row, column = int(case.index), str(case.column)
        written = text.loc[row, column]
        if case.check == "not_nullable" and written == "":
            problems.append(Problem((row,), column, "is empty (a value is required)", "not_nullable"))
        elif case.check != "not_nullable":
            problems.append(
                Problem((row,), column, shown(written, specs[column], str(case.check)), str(case.check))
            )
    return problems


def _whole_column_failures(cases: pd.DataFrame) -> list[Problem]:
    """Word the failures of no particular row (a check that crashed, a wrong dtype): a bug, not the file's.

    The failure case itself is not quoted: a crashed check's exception text could hold a value.
    """
    whole = cases[cases["index"].isna()]
    return [
        Problem(
            (), None if pd.isna(case.column) else str(case.column), _BUG.format(check=case.check), "crash"
        )
        for case in whole.itertuples()
    ]


def _iprem_problems(
    column: str, rows: list[int], frame: pd.DataFrame, text: pd.DataFrame, spec: dict[str, Any], when: Any
) -> list[Problem]:
    """One problem per row above its bound in IPREMs, naming the bound, the IPREM and its year."""
    bounds = schemas.iprem_bounds(frame.loc[rows], spec, "max_iprem", when)
    return [
        Problem(
            (row,), column, shown(text.loc[row, column], spec, _iprem_text(spec, bounds.loc[row])), "iprem"
        )
        for row in rows
    ]


def _iprem_text(spec: dict[str, Any], bound: pd.Series) -> str:
    share = spec["max_iprem"]
    times = f"{share:.0%} of" if share < 3 else f"{schemas.fmt_number(share)} times"
    paid = f"; the highest of {bound['years']}" if bound["years"] != str(bound["year"]) else ""
    return (
        f"is above the maximum {schemas.fmt_number(bound['bound'])} for {bound['year']} ({times} the "
        f"monthly IPREM of {bound['year']}, {schemas.fmt_number(bound['iprem'])}{paid})"
    )


def _pair_problems(check: str, rows: list[int], frame: pd.DataFrame) -> list[Problem]:
    match = re.fullmatch(r"(\w+) is before (\w+)", check)
    if not match:
        return [Problem(tuple(rows), None, check)]
    end, start = match.groups()
    return [
        Problem(
            (row,),
            end,
            f"{schemas.fmt_date(frame.loc[row, end])} is before {start} {schemas.fmt_date(frame.loc[row, start])}",
            "pair",
        )
        for row in rows
    ]


def reference_problems(frames: dict[str, pd.DataFrame], source: str) -> list[Problem]:
    """Return rows of ``source`` whose ``references:`` columns point to nothing in the referenced extract.

    Parameters
    ----------
    frames : dict of str to DataFrame
        Typed frames by source (those that were read without problems).
    source : str
        The source whose references are checked.
    """
    problems: list[Problem] = []
    for column, spec in codebook.columns(source).items():
        if not spec.get("references"):
            continue
        target, target_column = spec["references"].split(".")
        if target not in frames:
            continue
        with guarded(problems, column, "checked against " + codebook.sources()[target]["file"]):
            problems += _broken_references(frames, source, column, spec, target, target_column)
    return problems


def _broken_references(
    frames: dict[str, pd.DataFrame],
    source: str,
    column: str,
    spec: dict[str, Any],
    target: str,
    target_column: str,
) -> list[Problem]:
    values = frames[source][column]
    broken = values.notna() & ~values.isin(set(frames[target][target_column].dropna()))
    file = codebook.sources()[target]["file"]
    what = f"does not exist in {file} ({target_column})"
    return [
        Problem((int(row),), column, shown(str(value), spec, what), "ref")
        for row, value in values[broken].items()
    ]


# --- warnings ---------------------------------------------------------------------------------------


def document_warnings(frame: pd.DataFrame, source: str) -> list[Problem]:
    """Return one warning per row whose DNI/NIE fails its format or check letter (value not shown)."""
    if "doc_number" not in frame:
        return []
    valid = schemas.document_is_valid(frame["doc_type"], frame["doc_number"])
    rows = valid.index[valid.eq(False).fillna(False).astype(bool)]
    return [Problem((int(row),), "doc_number", DOCUMENT_TEXT, "document") for row in rows]


def notices(frame: pd.DataFrame, source: str, file: str, extraction_date: Any) -> list[Notice]:
    """Return the warnings of a valid typed extract: unusual values and mostly blank columns.

    Parameters
    ----------
    frame : DataFrame
        Typed extract indexed by spreadsheet row number (valid: :func:`validate` found nothing).
    source : str
        Source name.
    file : str
        The file as messages name it.
    extraction_date : date-like
        The day the extracts were taken (ages are counted at it).

    Returns
    -------
    list of Notice
        In column order; an unexpected failure of a check is itself a notice naming the column.
    """
    out: list[Notice] = []
    for name, spec in codebook.columns(source).items():
        crashed: list[Problem] = []
        with guarded(crashed, name, "checked for unusual values"):
            out += _unusual(frame, name, spec, source, file, extraction_date)
        out += [Notice(file, source, name, "crash", p.text) for p in crashed]
    return out + blank_notices(frame, source, file)


def document_notice(documents: list[Problem], source: str, file: str) -> list[Notice]:
    """Return one warning summing up the DNI/NIE that fail their check letter (:func:`document_warnings`)."""
    if not documents:
        return []
    text = f"{len(documents):,} DNI/NIE fail their format or check letter; kept (linkage tolerates typos)"
    return [Notice(file, source, "doc_number", "document", text, tuple(p.rows[0] for p in documents))]


def _unusual(
    frame: pd.DataFrame, name: str, spec: dict[str, Any], source: str, file: str, extraction_date: Any
) -> list[Notice]:
    if spec["type"] not in ("int", "float", "date"):
        return []
    values = frame[name]
    low, high = schemas.unusual_bounds(name, spec, extraction_date)
    out = []
    for bound, word in ((low, "below"), (high, "above")):
        if bound is None:
            continue
        outside = values.lt(bound) if word == "below" else values.gt(bound)
        rows = tuple(int(r) for r in values.index[outside.fillna(False).astype(bool)])
        if rows:
            text = _unusual_text(name, spec, len(rows), bound, word)
            out.append(Notice(file, source, name, "unusual", text, rows))
    if spec.get("warn_max_iprem") is not None:
        out += _unusual_iprem(frame, name, spec, source, file, extraction_date)
    return out


def _unusual_iprem(
    frame: pd.DataFrame, name: str, spec: dict[str, Any], source: str, file: str, extraction_date: Any
) -> list[Notice]:
    bounds = schemas.iprem_bounds(frame, spec, "warn_max_iprem", extraction_date)
    above = frame[name].astype("Float64") > bounds["bound"].astype("Float64")
    rows = tuple(int(r) for r in frame.index[above.fillna(False).astype(bool)])
    if not rows:
        return []
    first = bounds.loc[rows[0]]
    values = "value" if len(rows) == 1 else "values"
    text = (
        f"{len(rows):,} {values} above {schemas.fmt_number(spec['warn_max_iprem'])} times the monthly IPREM "
        f"of {'its' if len(rows) == 1 else 'their'} year ({schemas.fmt_number(first['bound'])} in "
        f"{first['years']}): possible but unusual; read (check them in the source system)"
    )
    return [Notice(file, source, name, "unusual", text, rows)]


def _unusual_text(name: str, spec: dict[str, Any], n: int, bound: Any, word: str) -> str:
    values = "value" if n == 1 else "values"
    give = "gives" if n == 1 else "give"
    if name in schemas.BIRTH_COLUMNS:
        what = f"{n:,} {values} {give} an age over {codebook.age_limits()[1]} at the extraction date"
    elif name in schemas.BIRTH_YEAR_COLUMNS:
        what = f"{n:,} {values} may {give.removesuffix('s')} an age over {codebook.age_limits()[1]} at the extraction date"
    elif spec["type"] == "date":
        what = f"{n:,} {values} before {schemas.fmt_date(bound)}"
    else:
        what = f"{n:,} {values} {word} {schemas.fmt_number(bound)}"
    return f"{what}: possible but unusual; read (check them in the source system)"


def share_text(count: int, total: int) -> str:
    """Return ``count / total`` as a percentage that never rounds to 100% or 0% unless it is.

    ``9,752`` of ``9,753`` is ``99.99%``, not ``100.0%``; ``3`` of ``3`` is ``100%``.
    """
    if count in (0, total):
        return "0%" if count == 0 else "100%"
    share = 100 * count / total
    for digits in range(1, 8):
        text = f"{share:.{digits}f}"
        if 0 < float(text) < 100:
            return f"{text}%"
    return f"{share}%"


def share_value(count: int, total: int) -> float:
    """Return ``count / total`` rounded to 4 decimals, but never to 1 or 0 unless it is."""
    if total == 0:
        return 0.0
    share = round(count / total, 4)
    if count < total and share == 1.0:
        return 0.9999
    return 0.0001 if count > 0 and share == 0.0 else share


def blank_or_placeholder(values: pd.Series) -> pd.Series:
    """Return which values are blank or a placeholder of the codebook (``-``, ``sin datos``...; text only)."""
    blank = values.isna()
    if not (pd.api.types.is_string_dtype(values) or values.dtype == object):
        return blank
    placeholders = codebook.blank_placeholders()
    text = values.astype("string").str.strip().str.upper()
    return (blank | text.isin(placeholders).fillna(False)).astype(bool)


def _quoted(placeholders: pd.Series, shown: int = 3) -> str:
    """Return the most frequent placeholders quoted (codebook values, never personal data): ``'-', 'N/A'``."""
    counts = placeholders.value_counts()
    text = ", ".join(f"'{value}'" for value in counts.index[:shown])
    return text + (f" and {len(counts) - shown} more" if len(counts) > shown else "")


def _records_lost(count: int, total: int) -> str:
    """Return the records a blank column is lost for: ``every record``, ``most records`` (over half), else the share.

    ``1`` of ``4`` is ``25.0% of the records``: "most" only when more than half are blank.
    """
    if count == total:
        return "every record"
    return "most records" if 2 * count > total else f"{share_text(count, total)} of the records"


def blank_notices(frame: pd.DataFrame, source: str, file: str) -> list[Notice]:
    """Return a warning per needed column blank in more than its share of rows (codebook ``blank_warning``).

    A placeholder (``-``, ``N/A``, ``sin datos``, ``00000000T``: ``blank_warning.placeholders``) counts
    as blank in a text column.

    Parameters
    ----------
    frame : DataFrame
        Typed extract.
    source : str
        Source name.
    file : str
        The file as messages name it.
    """
    if frame.empty:
        return []
    out = []
    for name, threshold in codebook.blank_thresholds(source).items():
        blank = blank_or_placeholder(frame[name])
        n, total = int(blank.sum()), len(frame)
        if n / total > threshold:
            found = frame[name][blank & frame[name].notna()].astype(str).str.strip()
            noun = "a placeholder" if len(found) == 1 else "placeholders"
            what = f"; {len(found):,} of them {noun}: {_quoted(found)}" if len(found) else ""
            text = (
                f"blank in {n:,} of {total:,} rows ({share_text(n, total)}, over {threshold:.0%}{what}): "
                f"linkage and the analyses that need this column lose it for {_records_lost(n, total)}"
            )
            out.append(Notice(file, source, name, "mostly_blank", text, (), share_value(n, total)))
    return out


def head_age_notices(frames: dict[str, pd.DataFrame], file: str) -> list[Notice]:
    """Return a warning for the RGC spells whose household head is under ``period.rgc_head_age`` at the start.

    The RGC's holder must be 25 to 64, with exceptions (Ley 7/2010): a minor holder is possible but more
    likely a wrong birth date (``rgc_members.csv``) or start date.

    Parameters
    ----------
    frames : dict of str to DataFrame
        Typed frames by source, with ``rgc_spells`` and ``rgc_members`` (read without problems).
    file : str
        ``rgc_spells`` as messages name it.

    Returns
    -------
    list of Notice
        At most one, on ``start_date``, listing the spells' rows; no birth date is quoted.
    """
    age = codebook.load()["period"].get("rgc_head_age")
    spells, members = frames.get("rgc_spells"), frames.get("rgc_members")
    if age is None or spells is None or members is None or spells.empty or members.empty:
        return []
    heads = members.loc[members["role"].eq("HEAD").fillna(False).astype(bool), ["file_id", "birth_date"]]
    born = heads.dropna().groupby("file_id")["birth_date"].max()
    adult = spells["file_id"].map(born) + pd.DateOffset(years=int(age))
    young = (spells["start_date"] < adult).fillna(False).astype(bool)
    rows = tuple(int(r) for r in spells.index[young])
    if not rows:
        return []
    spell = "spell starts" if len(rows) == 1 else "spells start"
    text = (
        f"{len(rows):,} {spell} before the household head (rgc_members.csv, role HEAD) turned {age}: "
        "possible (the RGC requires 25 to 64, with exceptions) but unusual; read (check the head's birth "
        "date and the start date in the source system)"
    )
    return [Notice(file, "rgc_spells", "start_date", "unusual", text, rows)]
