"""The identity scan: no direct identifier from the raw extracts in anything published after linkage.

:func:`scan_for_pii` looks for identities taken from the raw person extracts
(:func:`collect_identities`) in every file under ``data/processed``, ``data/warehouse``,
``data/alerts``, ``reports`` and ``metrics``. A finding names the file, the kind of identifier and
where it is -- never the value.

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
SVG, Markdown and plain text. Other binary files (PNG...) are listed as skipped.
"""

from __future__ import annotations

import html
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
from pact_analysis.disclosure.tables import check_details_path, read_published_csv
from pact_analysis.errors import StageError
from pact_analysis.io import progress
from pact_analysis.paths import Paths

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
_ASCII_WORD = re.compile(r"[A-Za-z0-9]*")
_BASE64 = re.compile(r"data:[\w/+.\-]+;base64,[A-Za-z0-9+/=\s\\]+")
_TAG = re.compile(r"<[^>]*>")
_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


# --- identities -------------------------------------------------------------------------------------


@cache
def _separators() -> dict[int, str]:
    """A space for every character outside ASCII that separates words, up to plane 2: spaces,
    punctuation, symbols and control characters (Unicode categories Z, P, S and Cc), used by
    :func:`normalise_text`. Letters, digits, marks (accents NFKD split off) and invisible format
    characters (a soft hyphen or a zero-width joiner inside a word) are not separators."""
    return {
        cp: " "
        for cp in range(0x80, 0x30000)
        if unicodedata.category(chr(cp))[0] in "ZPS" or unicodedata.category(chr(cp)) == "Cc"
    }


def normalise_text(text: str) -> str:
    """Upper-case, accents removed, every run of non-alphanumerics collapsed to one space.

    A separator outside ASCII (a middle dot, a no-break or ideographic space) separates words too:
    ``María·José·Martín`` is three words, not one; a soft hyphen or a zero-width character inside a
    word does not split it (:func:`_separators`).
    """
    decomposed = unicodedata.normalize("NFKD", text)
    if not decomposed.isascii():
        decomposed = decomposed.translate(_separators())
    plain = decomposed.encode("ascii", "ignore").decode().upper()
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
        # distinct by Python's dict: pandas' hashing of strings stops at a NUL (pandas-dev/pandas#53720)
        written = pd.Series(list(dict.fromkeys(frame["doc_number"].dropna().astype(str))), dtype=object)
        docs = dict.fromkeys(written.map(lambda d: re.sub(r"[^0-9A-Z]", "", d.upper())))
        documents |= {d for d in docs if sum(ch.isdigit() for ch in d) >= 7}
        documents |= {d[:8] for d in docs if re.fullmatch(r"\d{8}[A-Z]", d)}
    if "phone" in frame:
        digits = frame["phone"].dropna().astype(str).str.replace(r"\D", "", regex=True).str[-9:]
        phones |= {d for d in digits if len(d) == 9}
    if "birth_date" in frame:
        earliest = pd.Timestamp(codebook.load()["period"]["earliest_event"])
        dates = pd.to_datetime(frame["birth_date"], errors="coerce").dropna()
        birth_dates |= set(dates[dates < earliest].dt.normalize().drop_duplicates())
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
        birth = ingest.parse_distinct(ingest.parse_date, text["birth_date"], "birth_date", spec)[0]
        parsed = text.assign(birth_date=birth)
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


def may_hold_identifier(values: Iterable[str], who: Identities) -> np.ndarray:
    """Whether each string could hold an identifier: :func:`find_in_text` finds none in the others.

    A document, phone or date needs its pattern to match, and a full name needs two words once
    normalised (:func:`normalise_text`, the same function), which a string of ASCII letters and
    digits alone never has. This costs a few pattern searches per string where :func:`find_in_text`
    tries every run of words against every name: pseudonymous keys, codes and most numbers never
    reach it. A string of ASCII letters and digits can only hold a document or a phone number, which
    there must start it (the patterns need no letter or digit before them): such a string that does
    not start with seven digits (after an optional X, Y or Z) is cleared without a Python call, by
    one vectorised pattern match over the column (``pyarrow.compute``, RE2).

    Parameters
    ----------
    values : iterable of str
        Strings to test.
    who : Identities
        The identities looked for (no names: no name test).

    Returns
    -------
    ndarray of bool
    """

    def may(text: str) -> bool:
        upper = text.upper()
        if _DOC.search(upper) or _PHONE.search(upper) or _DATE.search(text):
            return True
        if not who.names or _ASCII_WORD.fullmatch(text):
            return False
        return " " in normalise_text(text)

    texts = np.asarray(list(values), dtype=object)
    result = np.zeros(len(texts), dtype=bool)
    undecided = ~_plain_without_number(texts)
    result[undecided] = np.fromiter((may(text) for text in texts[undecided]), dtype=bool)
    return result


def _plain_without_number(texts: np.ndarray) -> np.ndarray:
    """Whether each string is ASCII letters and digits only and does not start with a document's digits."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        array = pa.array(texts, type=pa.string())
    except (pa.ArrowException, UnicodeError):  # not text pyarrow can hold: every string is tested
        return np.zeros(len(texts), dtype=bool)
    plain = pc.match_substring_regex(array, r"^[A-Za-z0-9]*$")
    number = pc.match_substring_regex(array, r"^[XYZxyz]?[0-9]{7}")
    return pc.and_(plain, pc.invert(number)).to_numpy(zero_copy_only=False).astype(bool)


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
    # distinct by Python's dict: pandas' hashing of strings stops at a NUL (pandas-dev/pandas#53720)
    unique = np.array(list(dict.fromkeys(text)), dtype=object)
    kinds: dict[str, Any] = {}
    for value in unique[may_hold_identifier(unique, who)]:
        for kind in find_in_text(value, who):
            kinds.setdefault(kind, value)
    hits = []
    for kind, value in sorted(kinds.items()):
        row = text.index[text == value][0]
        hits.append((kind, f"column {column}, row {row}"))
    return hits


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


def written_after_check(path: Path, paths: Paths) -> bool:
    """Return whether a file is written after the check (so a fresh and a repeated run scan the same files).

    These are the check's own metrics and record (:func:`~pact_analysis.disclosure.tables.check_details_path`),
    the index and methods pages and the index's record of the quantities it shows
    (``reports/tables/index/``; the ``index`` stage scans and checks them itself,
    :mod:`pact_analysis.stages.index`), the PDFs and screenshots of the checked pages, and the
    stale-run marker.

    Parameters
    ----------
    path : Path
        A file under ``paths.root``.
    paths : Paths
        Project paths.
    """
    relative = Path(path).relative_to(paths.root).as_posix()
    own = {
        Path(p).relative_to(paths.root).as_posix()
        for p in (paths.metric("disclosure"), check_details_path(paths))
    }
    return (
        relative in own | {"reports/index.html", "reports/STALE.txt"}
        or relative.startswith(("reports/pdf/", "reports/screenshots/", "reports/tables/index/"))
        or (relative.startswith("reports/") and Path(relative).name in {"index.html", "methods.html"})
    )


def published_outputs(paths: Paths) -> list[Path]:
    """Return every file the ``check`` stage scans for identities, sorted.

    Everything under ``data/processed``, ``data/warehouse``, ``data/alerts``, ``reports`` and
    ``metrics``, except the files written after the check (:func:`written_after_check`), so that what
    is scanned does not depend on whether an earlier run left them behind.

    Parameters
    ----------
    paths : Paths
        Project paths.
    """
    folders = [paths.processed, paths.warehouse, paths.alerts, paths.reports, paths.metrics]
    return [p for p in files_under(folders) if not written_after_check(p, paths)]
