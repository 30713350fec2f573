"""Statistical disclosure control and the PII scan of everything that is published.

Two guarantees, checked by ``python -m pact_analysis check`` (:func:`run`):

1. **Small cells.** Published counts below ``disclosure.min_cell`` are suppressed
   (:func:`suppress_small_cells`), with secondary suppression so that no suppressed cell can be
   recovered from row or column totals. Report notebooks save every table they publish as CSV under
   ``reports/tables/<report>/``; :func:`check_min_cell` refuses counts 1..min_cell-1 there.
2. **No direct identifier after linkage.** :func:`scan_for_pii` looks for identities taken from the
   raw person extracts in every file under ``data/processed``, ``data/warehouse``, ``reports`` and
   ``metrics``. A finding names the file, the kind of identifier and where it is -- never the value.

The matching rule, chosen to find real leaks without drowning them in false alarms:

- **names**: the full given name followed by the first surname (``MARIA JOSE MARTIN``) or the first
  surname followed by the full given name (``MARTIN, MARIA JOSE``), as whole words after removing
  accents, case and punctuation; only surnames of more than 3 letters (so ``MARIA LI`` in a sentence
  is not a hit). A lone given name or surname (``MARIA``, ``GARCIA``) is never a hit: codebook
  labels, references (``Ayala & Rodríguez``) and place names are full of them.
- **documents**: any DNI/NIE/passport number recorded in the raw extracts (typos included), with or
  without separators before the letter, and the 8 digits of a DNI without its letter; only as a whole
  token, so digits inside a pseudonym (hex) or a longer number do not count.
- **phones**: the 9 digits of a recorded phone number, optionally with ``+34`` and separators.
- **birth dates**: exact ``dd/mm/yyyy`` or ``yyyy-mm-dd`` birth dates *before*
  ``period.earliest_event``: no event of the study can carry such a date, while later birth dates
  (children) are indistinguishable from event dates.
- **identifier columns**: in a data file (parquet, DuckDB, CSV), a column named like a direct
  identifier -- a codebook ``pii`` column (``given_name``, ``surname1``, ``doc_number``,
  ``birth_date``, ``address``, ``phone``...) or a synonym (``nombre``, ``apellidos``, ``dni``,
  ``fecha_nacimiento``, ``dob``...) -- is a finding by itself, whatever its values: names split
  over two columns would escape the full-name rule, which works within one cell or one line.

What is scanned: parquet (every string, date and datetime column), DuckDB databases (every table),
CSV, JSON, HTML (tags removed, entities and ``\\uXXXX`` escapes decoded, base64 images ignored),
SVG, Markdown and plain text. Other binary files (PNG...) are listed as skipped in the metrics.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pact_analysis import codebook, ingest
from pact_analysis.config import Paths
from pact_analysis.errors import ExtractError, StageError
from pact_analysis.io import progress, write_json

#: Column names that say "count" in a published table: n, count, n_*, *_n, count_*, *_count.
COUNT_COLUMN = re.compile(r"^(n|count|counts|frequency)$|^n_|_n$|^count_|_count$", re.IGNORECASE)
#: Spanish and English names of direct-identifier columns, besides the codebook's ``pii`` columns.
IDENTIFIER_SYNONYMS = (
    r"birth_?date|date_?of_?birth|dob|fecha_?(de_?)?nac(imiento)?|first_?name|last_?name|surnames?|"
    r"nombre|apellidos?\d?|dni|nie|nif|document_?number|telefono|phone_?number|direccion|domicilio"
)
#: The kind of a finding made on values (the others are made on column names).
VALUE_KINDS = frozenset({"a DNI/NIE", "a phone number", "a birth date", "a full name"})
TEXT_SUFFIXES = frozenset({".csv", ".json", ".html", ".htm", ".svg", ".md", ".txt", ".tsv", ".yaml", ".yml"})
DB_SUFFIXES = frozenset({".duckdb", ".db"})
_DOC = re.compile(r"(?<![0-9A-Z])([XYZ]?\d{7,8})[ .\-]?([A-Z])?(?![0-9A-Z])")
_PHONE = re.compile(r"(?<![0-9A-Z])(?:\+?34[ .\-]?)?([6789]\d{2})[ .\-]?(\d{3})[ .\-]?(\d{3})(?![0-9A-Z])")
_DATE = re.compile(r"(?<!\d)(\d{2})/(\d{2})/(\d{4})(?!\d)|(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_BASE64 = re.compile(r"data:[\w/+.\-]+;base64,[A-Za-z0-9+/=\s\\]+")
_TAG = re.compile(r"<[^>]*>")
_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


# --- small cells ------------------------------------------------------------------------------------


def marker(min_cell: int) -> str:
    """Return how a suppressed cell is shown (``"<10"``)."""
    return f"<{min_cell}"


def back_solvable(mask: np.ndarray) -> list[tuple[int, int]]:
    """Return the suppressed cells that row and column totals determine exactly.

    Each row and each column of a 2-D table gives one linear equation on its suppressed cells (the
    total minus the shown cells); a line of one cell gives none (its "total" is the cell itself and is
    not published). A suppressed cell is recoverable when its unit vector lies in the row space of
    those equations.

    Parameters
    ----------
    mask : ndarray of bool, shape (rows, columns)
        True where a cell is suppressed.

    Returns
    -------
    list of (row, column)
        Positions of recoverable suppressed cells (empty when the pattern is safe).
    """
    cells = [tuple(int(i) for i in c) for c in np.argwhere(mask)]
    if not cells:
        return []
    rows, cols = mask.shape
    equations = [[1.0 if c[0] == r else 0.0 for c in cells] for r in range(rows)] if cols > 1 else []
    equations += [[1.0 if c[1] == k else 0.0 for c in cells] for k in range(cols)] if rows > 1 else []
    system = np.array(equations)
    rank = np.linalg.matrix_rank(system)
    unit = np.eye(len(cells))
    return [
        cell for i, cell in enumerate(cells) if np.linalg.matrix_rank(np.vstack([system, unit[i]])) == rank
    ]


def suppression_mask(counts: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """Return which cells of a count crosstab to suppress: primary and secondary.

    Primary: counts 1..``min_cell``-1. Secondary: while a row or column holds exactly one suppressed
    cell (recoverable from its total), suppress the smallest non-zero count left in that line (a zero
    only if nothing else is left); then, while :func:`back_solvable` finds a recoverable cell, suppress
    the smallest count left in its row. Missing cells (NaN: combinations that do not exist) are never
    chosen. Ties go to the first cell in reading order, so the result is deterministic.

    Parameters
    ----------
    counts : DataFrame
        Non-negative counts; rows and columns are the two dimensions (totals, if present as a row or
        column, take part like any other cell).
    min_cell : int
        Minimum publishable count.

    Returns
    -------
    DataFrame of bool
        Same shape and labels as ``counts``.
    """
    values = counts.to_numpy(dtype=float)
    mask = (values > 0) & (values < min_cell)
    for _ in range(values.size + 1):
        added = _protect_lines(values, mask) or _protect_solvable(values, mask)
        if not added:
            break
    return pd.DataFrame(mask, index=counts.index, columns=counts.columns)


def _smallest_free(values: np.ndarray, mask: np.ndarray, cells: Iterable[tuple[int, int]]) -> tuple | None:
    free = [(values[c] == 0, values[c], c) for c in cells if not mask[c] and not np.isnan(values[c])]
    return min(free)[2] if free else None


def _lines(shape: tuple[int, int]) -> Iterator[list[tuple[int, int]]]:
    rows, cols = shape
    yield from ([(r, c) for c in range(cols)] for r in range(rows))
    yield from ([(r, c) for r in range(rows)] for c in range(cols))


def _protect_lines(values: np.ndarray, mask: np.ndarray) -> bool:
    added = False
    for line in _lines(values.shape):
        if sum(mask[c] for c in line) == 1:
            cell = _smallest_free(values, mask, line)
            if cell is not None:
                mask[cell] = added = True
    return added


def _protect_solvable(values: np.ndarray, mask: np.ndarray) -> bool:
    for row, col in back_solvable(mask):
        line = [(row, c) for c in range(values.shape[1])] + [(r, col) for r in range(values.shape[0])]
        cell = _smallest_free(values, mask, line)
        if cell is not None:
            mask[cell] = True
            return True
    return False


def _round(values: pd.DataFrame, base: int | None) -> pd.DataFrame:
    """Round counts to the nearest multiple of ``base`` (halves to even); unchanged if no base."""
    if not base:
        return values
    return values.div(base).round().mul(base).astype("Int64")


def suppress_small_cells(
    table: pd.DataFrame,
    min_cell: int,
    columns: list[str] | None = None,
    count: str | None = None,
    by: list[str] | None = None,
    round_to: int | None = None,
) -> pd.DataFrame:
    """Suppress small counts (primary and secondary) in a crosstab or a long frame.

    Parameters
    ----------
    table : DataFrame
        A table whose rows are categories and whose count columns are ``columns`` (a crosstab when
        every column is a count), or a long frame with one row per cell and a ``count`` column.
    min_cell : int
        Minimum publishable count (``params["disclosure"]["min_cell"]``).
    columns : list of str, optional
        Wide table: the count columns; they form the crosstab (rows x these columns) whose row and
        column totals are assumed known. Other columns are left as they are. Default: every column.
    count : str, optional
        Long frame: the name of its count column (``columns`` is then ignored).
    by : list of str, optional
        Long frame only: the dimensions of the table. With two or more, the last one is the columns
        of the crosstab and the others its rows; with one, the cells form a single line whose total is
        assumed known. Defaults to every column except ``count``.
    round_to : int, optional
        Round the published (unsuppressed) counts to the nearest multiple of this base (e.g. 5).
        Suppression is decided on the exact counts.

    Returns
    -------
    DataFrame
        The same table with suppressed counts replaced by ``"<min_cell"`` (count columns become
        object dtype).
    """
    if count is not None:
        return _suppress_long(table, min_cell, count, by, round_to)
    columns = list(table.columns) if columns is None else list(columns)
    mask = suppression_mask(table[columns], min_cell)
    out = table.copy()
    out[columns] = _round(table[columns], round_to).astype(object).mask(mask, marker(min_cell))
    return out


def _suppress_long(
    table: pd.DataFrame, min_cell: int, count: str, by: list[str] | None, round_to: int | None
) -> pd.DataFrame:
    by = list(by) if by else [c for c in table.columns if c != count]
    cells = table.set_index(by)[count]
    if len(by) > 1:
        mask = suppression_mask(cells.unstack(by[-1]), min_cell).reset_index()
        hidden = mask.melt(id_vars=by[:-1], var_name=by[-1], value_name="_hidden")
    else:
        hidden = suppression_mask(cells.to_frame().T, min_cell).melt(var_name=by[0], value_name="_hidden")
    flags = table[by].merge(hidden, on=by, how="left")["_hidden"].fillna(False).to_numpy(dtype=bool)
    out = table.copy()
    out[count] = _round(table[[count]], round_to)[count].astype(object).mask(flags, marker(min_cell))
    return out


def count_columns(table: pd.DataFrame) -> list[str]:
    """Return the columns of a published table that hold counts.

    Columns named as counts (:data:`COUNT_COLUMN`: ``n``, ``count``, ``n_*``, ``*_n``...) when there
    are any; otherwise, for a pure crosstab, every column whose values are all whole numbers or
    suppression markers (the first column, the row labels, excepted).
    """
    named = [c for c in table.columns if COUNT_COLUMN.search(str(c))]
    if named:
        return named
    return [c for c in table.columns[1:] if _whole_numbers(table[c]) is not None]


def _whole_numbers(column: pd.Series) -> pd.Series | None:
    text = column.astype("string").str.strip()
    numeric = pd.to_numeric(text.where(~text.str.startswith("<").fillna(False)), errors="coerce")
    readable = numeric.notna() | text.isna() | text.str.startswith("<").fillna(False)
    if not readable.all() or (numeric.dropna() % 1 != 0).any():
        return None
    return numeric


def check_min_cell(table: pd.DataFrame, min_cell: int, columns: list[str] | None = None) -> list[str]:
    """Return one problem per count below ``min_cell`` that is not suppressed.

    Parameters
    ----------
    table : DataFrame
        A published table (as read back from its CSV: markers like ``"<10"`` are fine).
    min_cell : int
        Minimum publishable count.
    columns : list of str, optional
        The count columns; by default :func:`count_columns`.

    Returns
    -------
    list of str
        ``"row <label>, column <name>: count 3 below the minimum cell size 10"``; empty if safe.
    """
    problems = []
    for column in count_columns(table) if columns is None else columns:
        numbers = pd.to_numeric(table[column].astype("string").str.strip(), errors="coerce")
        small = numbers[(numbers > 0) & (numbers < min_cell)]
        problems += [
            f"row {row}, column {column}: count {value:g} below the minimum cell size {min_cell}"
            for row, value in small.items()
        ]
    return problems


# --- identities -------------------------------------------------------------------------------------


def normalise_text(text: str) -> str:
    """Upper-case, accents removed, every run of non-alphanumerics collapsed to one space."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().upper()
    return " ".join(re.sub(r"[^A-Z0-9]+", " ", plain).split())


@dataclass
class Identities:
    """What a direct identifier from ``data/raw`` looks like, in normalised form."""

    names: set[str] = field(default_factory=set)
    documents: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    birth_dates: set[pd.Timestamp] = field(default_factory=set)

    def __post_init__(self) -> None:
        #: Number of words of the longest name pattern (bounds the n-grams tried per text).
        self.longest_name = max((len(n.split()) for n in self.names), default=0)

    def __or__(self, other: Identities) -> Identities:
        return Identities(
            self.names | other.names,
            self.documents | other.documents,
            self.phones | other.phones,
            self.birth_dates | other.birth_dates,
        )


def identities_from_frame(frame: pd.DataFrame) -> Identities:
    """Collect name patterns, documents, phones and early birth dates from parsed person records.

    Parameters
    ----------
    frame : DataFrame
        Columns ``given_name``, ``surname1``, ``doc_number``, ``birth_date`` and optionally ``phone``
        (missing columns are skipped).
    """
    names: set[str] = set()
    documents: set[str] = set()
    phones: set[str] = set()
    birth_dates: set[pd.Timestamp] = set()
    if {"given_name", "surname1"} <= set(frame.columns):
        pairs = frame[["given_name", "surname1"]].dropna().drop_duplicates()
        for given, surname in pairs.itertuples(index=False):
            given, surname = normalise_text(str(given)), normalise_text(str(surname))
            if given and len(surname.replace(" ", "")) > 3:
                names |= {f"{given} {surname}", f"{surname} {given}"}
    if "doc_number" in frame:
        docs = frame["doc_number"].dropna().astype(str).map(lambda d: re.sub(r"[^0-9A-Z]", "", d.upper()))
        documents |= {d for d in docs if sum(ch.isdigit() for ch in d) >= 7}
        documents |= {d[:8] for d in docs if re.fullmatch(r"\d{8}[A-Z]", d)}
    if "phone" in frame:
        digits = frame["phone"].dropna().astype(str).str.replace(r"\D", "", regex=True).str[-9:]
        phones |= {d for d in digits if len(d) == 9}
    if "birth_date" in frame:
        earliest = pd.Timestamp(codebook.load()["period"]["earliest_event"])
        dates = pd.to_datetime(frame["birth_date"], errors="coerce").dropna()
        birth_dates |= set(dates[dates < earliest].dt.normalize())
    return Identities(names, documents, phones, birth_dates)


def collect_identities(raw: Path) -> Identities:
    """Read the identities of every person source present in ``raw`` (the raw extracts).

    Raises
    ------
    StageError
        If no person extract is found (the scan would then find nothing, proving nothing).
    """
    found = Identities()
    seen = 0
    for source in codebook.person_sources():
        path = Path(raw) / codebook.sources()[source]["file"]
        if not path.exists():
            continue
        text, _ = ingest.read_text(path, source)
        spec = codebook.columns(source)["birth_date"]
        parsed = text.assign(birth_date=ingest.parse_date(text["birth_date"], "birth_date", spec)[0])
        found = found | identities_from_frame(parsed.replace("", None))
        seen += 1
    if not seen:
        raise StageError(f"no person extract in {raw}: the PII scan needs data/raw to know what to look for")
    return found


# --- scanning ---------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Finding:
    """A direct identifier found where none may be: file, kind and place -- never the value."""

    file: str
    kind: str
    location: str

    def __str__(self) -> str:
        origin = " from data/raw" if self.kind in VALUE_KINDS else ""
        return f"{self.file}: {self.kind}{origin} at {self.location}"


def find_in_text(text: str, who: Identities) -> list[str]:
    """Return the kinds of identifiers found in one piece of text (one string cell or one line)."""
    kinds = []
    upper = text.upper()
    if any(_doc_hit(m, who) for m in _DOC.finditer(upper)):
        kinds.append("a DNI/NIE")
    if any("".join(m.groups()) in who.phones for m in _PHONE.finditer(upper)):
        kinds.append("a phone number")
    if who.birth_dates and any(_date_of(m) in who.birth_dates for m in _DATE.finditer(text)):
        kinds.append("a birth date")
    if who.names and _name_hit(normalise_text(text).split(), who):
        kinds.append("a full name")
    return kinds


def _doc_hit(match: re.Match, who: Identities) -> bool:
    number, letter = match.group(1), match.group(2) or ""
    return number + letter in who.documents or (not letter and number in who.documents)


def _date_of(match: re.Match) -> pd.Timestamp | None:
    day, month, year = match.group(1, 2, 3) if match.group(1) else match.group(6, 5, 4)
    try:
        return pd.Timestamp(int(year), int(month), int(day))
    except ValueError:
        return None


def _name_hit(words: list[str], who: Identities) -> bool:
    longest = who.longest_name
    return any(
        " ".join(words[i : i + n]) in who.names for i in range(len(words)) for n in range(2, longest + 1)
    )


def clean_markup(text: str) -> str:
    """Return the text of HTML/SVG/JSON: base64 payloads dropped, tags removed, escapes decoded.

    Line breaks are kept so that findings can name a line.
    """
    text = _BASE64.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    text = _TAG.sub(lambda m: " " + "\n" * m.group(0).count("\n"), text)
    text = _UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    return html.unescape(text)


def scan_text_file(path: Path, who: Identities) -> list[tuple[str, str]]:
    """Return ``(kind, "line N")`` for every line of a text file holding an identifier."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix.lower() in {".html", ".htm", ".svg", ".json"}:
        text = clean_markup(text)
    return [
        (kind, f"line {n}") for n, line in enumerate(text.splitlines(), 1) for kind in find_in_text(line, who)
    ]


@cache
def _identifier_column_pattern() -> re.Pattern:
    pii = {c for s in codebook.person_sources() for c in codebook.pii_columns(s)}
    names = "|".join(sorted(map(re.escape, pii))) + "|" + IDENTIFIER_SYNONYMS
    return re.compile(rf"^({names})(_[lr]|_\d)?$", re.IGNORECASE)


def identifier_column(name: str) -> bool:
    """Return whether a column name is a direct identifier's: a codebook ``pii`` column or a synonym.

    Splink's pair suffixes (``given_name_l``) count too; ``doc_type`` or ``birth_year`` do not.
    """
    return bool(_identifier_column_pattern().match(name.strip()))


def scan_frame(frame: pd.DataFrame, who: Identities) -> list[tuple[str, str]]:
    """Return ``(kind, "column C, row R")`` per column and kind of identifier found in a table."""
    hits = []
    for column in frame.columns:
        if identifier_column(str(column)):
            hits.append(("a direct-identifier column", f"column {column}"))
        values = frame[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            dates = values.dt.normalize()
            rows = dates.index[dates.isin(who.birth_dates)]
            hits += [("a birth date", f"column {column}, row {rows[0]}")] if len(rows) else []
        elif not (pd.api.types.is_float_dtype(values) or pd.api.types.is_bool_dtype(values)):
            hits += _scan_strings(values, column, who)  # strings, dates as objects, integers (DNI, phone)
    return hits


def _scan_strings(values: pd.Series, column: Any, who: Identities) -> list[tuple[str, str]]:
    text = values.dropna().astype(str)
    kinds: dict[str, Any] = {}
    for value in text.unique():
        for kind in find_in_text(value, who):
            kinds.setdefault(kind, value)
    hits = []
    for kind, value in sorted(kinds.items()):
        row = text.index[text == value][0]
        hits.append((kind, f"column {column}, row {row}"))
    return hits


def read_published_csv(path: Path) -> pd.DataFrame:
    """Read a CSV as text (delimiter sniffed from the header), rows numbered as a spreadsheet shows them."""
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        delimiter = ingest.sniff_delimiter(fh.readline())
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, sep=delimiter, encoding="utf-8-sig")
    frame.index = frame.index + 2
    return frame


def read_table(path: Path) -> Iterator[tuple[str, pd.DataFrame]]:
    """Yield ``(table name, frame)`` for a parquet file (one table) or a DuckDB database (each table)."""
    if path.suffix.lower() == ".parquet":
        yield "", pd.read_parquet(path)
        return
    import duckdb

    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables order by 1, 2"
        ).fetchall()
        for schema, name in tables:
            yield f"table {schema}.{name}, ", con.execute(f'select * from "{schema}"."{name}"').df()


def scan_file(path: Path, who: Identities) -> list[tuple[str, str]] | None:
    """Return the identifiers found in one file as ``(kind, location)``; None if the type is not scanned."""
    suffix = path.suffix.lower()
    if suffix == ".parquet" or suffix in DB_SUFFIXES:
        return [
            (kind, prefix + where)
            for prefix, frame in read_table(path)
            for kind, where in scan_frame(frame, who)
        ]
    if suffix == ".csv":
        try:
            frame = read_published_csv(path)
        except (ValueError, pd.errors.ParserError):
            return scan_text_file(path, who)
        return scan_frame(frame, who) + [
            (kind, f"column {col}") for col in frame.columns for kind in find_in_text(str(col), who)
        ]
    if suffix in TEXT_SUFFIXES:
        return scan_text_file(path, who)
    return None


def files_under(folders: Iterable[Path]) -> list[Path]:
    """Return every file under the folders, sorted (hidden temporary files of atomic writes skipped)."""
    found = []
    for folder in folders:
        if Path(folder).exists():
            found += [p for p in Path(folder).rglob("*") if p.is_file() and not p.name.startswith(".")]
    return sorted(found)


def scan_for_pii(
    paths_to_scan: Iterable[Path], identities: Identities, root: Path | None = None
) -> dict[str, Any]:
    """Scan every file under ``paths_to_scan`` for identities from the raw extracts.

    Parameters
    ----------
    paths_to_scan : iterable of Path
        Folders (or files) to scan recursively.
    identities : Identities
        From :func:`collect_identities`.
    root : Path, optional
        Findings name files relative to this folder.

    Returns
    -------
    dict
        ``findings`` (list of :class:`Finding`), ``scanned`` and ``skipped`` (relative file names).
    """
    targets = [Path(p) for p in paths_to_scan]
    files = [p for p in targets if p.is_file()] + files_under(p for p in targets if p.is_dir())
    findings: list[Finding] = []
    scanned, skipped = [], []
    for path in progress(files, desc="PII scan"):
        name = str(path.relative_to(root)) if root and path.is_relative_to(root) else str(path)
        hits = scan_file(path, identities)
        (skipped if hits is None else scanned).append(name)
        findings += [Finding(name, kind, where) for kind, where in hits or []]
    return {"findings": sorted(set(findings)), "scanned": scanned, "skipped": skipped}


# --- the stage --------------------------------------------------------------------------------------


def published_tables(reports: Path) -> list[Path]:
    """Return the CSV tables the report notebooks publish (``reports/tables/<report>/*.csv``)."""
    return sorted((Path(reports) / "tables").rglob("*.csv"))


def declared_count_columns(table_path: Path) -> list[str] | None:
    """Return the count columns declared next to a published table, if any.

    A table ``x.csv`` may come with ``x.json`` holding ``{"count_columns": [...]}`` (written by whoever
    publishes it); without one, :func:`count_columns` guesses from the column names and values.
    """
    sidecar = table_path.with_suffix(".json")
    if not sidecar.exists():
        return None
    return list(json.loads(sidecar.read_text(encoding="utf-8")).get("count_columns", []))


def small_cell_problems(reports: Path, min_cell: int, root: Path) -> list[str]:
    """Return the unsuppressed small counts of every published table, naming file, row and column."""
    problems = []
    for path in published_tables(reports):
        found = check_min_cell(read_published_csv(path), min_cell, declared_count_columns(path))
        problems += [f"{path.relative_to(root)}: {p}" for p in found]
    return problems


def run(paths: Paths, params: dict[str, Any]) -> None:
    """The ``check`` stage: PII scan and small-cell check of everything published.

    Writes ``metrics/disclosure.json`` (files scanned, findings) and raises :class:`StageError` with a
    summary if any identifier or unsuppressed small count is found.

    Parameters
    ----------
    paths : Paths
        Project paths.
    params : dict
        Parameters; reads ``disclosure.min_cell``.
    """
    min_cell = int(params["disclosure"]["min_cell"])
    try:
        who = collect_identities(paths.raw)
    except ExtractError as err:
        raise StageError(f"cannot read the identities to look for: {err}") from None
    # The check's own metrics and the index (written after the check, from the checked reports) are
    # left out, so that what is scanned does not depend on whether an earlier run left them behind.
    later = {paths.metrics / "disclosure.json", paths.reports / "index.html"}
    outputs = [
        p
        for p in files_under([paths.processed, paths.warehouse, paths.reports, paths.metrics])
        if p not in later
    ]
    scan = scan_for_pii(outputs, who, root=paths.root)
    small = small_cell_problems(paths.reports, min_cell, paths.root)
    problems = [str(f) for f in scan["findings"]] + small
    write_json(
        paths.metrics / "disclosure.json",
        {
            "files_scanned": len(scan["scanned"]),
            "files_skipped": scan["skipped"],
            "tables_checked": len(published_tables(paths.reports)),
            "pii_findings": len(scan["findings"]),
            "small_cells": len(small),
            "min_cell": min_cell,
        },
    )
    if problems:
        shown = "; ".join(problems[:20]) + (f"; and {len(problems) - 20} more" if len(problems) > 20 else "")
        raise StageError(f"{len(problems)} data-protection problems in published outputs: {shown}")
