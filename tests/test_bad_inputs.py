"""The bad-input suite: awkward and corrupted variants of the extracts, as a user delivers them.

Each case starts from the tiny valid extracts of :mod:`tests.fixtures` in ``data/extracts/`` of a project
in files mode (``data.source: files``), corrupts them, stages them into ``data/raw`` (as the
``synthesize`` stage does) and runs ``python -m pact_analysis ingest`` in-process. It either

- reads correctly: exit status 0, the same typed tables as the clean folder (except the sources in
  ``differs``), and no warning unless the case expects one -- which must then be logged and recorded in
  ``data/interim/clean/warnings.json`` naming the file and the column; or
- is refused: exit status 2, one message line naming the file as the user knows it
  (``data/extracts/<file>``), the row and the column, never a personal-data value, no traceback; and
  ``data/interim/clean`` left exactly as it was (atomic output), no ``metrics/ingest.json``, the
  reports marked stale.

Two end-to-end checks run the same through ``dvc repro ingest`` (the last tests of this module).
``python -m tests.test_bad_inputs`` prints every case with its outcome (for the README's
troubleshooting section).
"""

from __future__ import annotations

import codecs
import contextlib
import io
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pact_analysis import __main__ as cli
from pact_analysis import codebook, ingest
from pact_analysis.extracts import to_raw_frame
from pact_analysis.paths import ROOT, Paths
from tests.fixtures import EXTRACTION_DATE, valid_frames, write_valid_raw

# --- corruptions ------------------------------------------------------------------------------------


def _file(paths: Paths, source: str) -> Path:
    return paths.extracts / codebook.sources()[source]["file"]


def edit_text(source: str, edit: Callable[[str], str]) -> Callable[[Paths], None]:
    """Corruption: rewrite the UTF-8 text of one extract with ``edit``."""

    def apply(paths: Paths) -> None:
        path = _file(paths, source)
        path.write_bytes(edit(path.read_text(encoding="utf-8")).encode("utf-8"))

    return apply


def edit_lines(source: str, edit: Callable[[list[list[str]]], None]) -> Callable[[Paths], None]:
    """Corruption: edit the ``;``-split fields of every line in place (line 0 is the header)."""

    def apply_text(text: str) -> str:
        lines = [line.split(";") for line in text.rstrip("\n").split("\n")]
        edit(lines)
        return "\n".join(";".join(fields) for fields in lines) + "\n"

    return edit_text(source, apply_text)


def set_cell(source: str, row: int, column: str, value: str) -> Callable[[Paths], None]:
    """Corruption: put ``value`` in one cell (``row`` numbered as a spreadsheet: header = 1)."""

    def edit(lines: list[list[str]]) -> None:
        lines[row - 1][lines[0].index(column)] = value

    return edit_lines(source, edit)


def rename_column(source: str, old: str, new: str) -> Callable[[Paths], None]:
    """Corruption: rename a header field."""

    def edit(lines: list[list[str]]) -> None:
        lines[0][lines[0].index(old)] = new

    return edit_lines(source, edit)


def drop_column(source: str, column: str) -> Callable[[Paths], None]:
    """Corruption: remove a column from the header and every row."""

    def edit(lines: list[list[str]]) -> None:
        pos = lines[0].index(column)
        for fields in lines:
            del fields[pos]

    return edit_lines(source, edit)


def add_column(source: str, name: str, value: Callable[[int], str]) -> Callable[[Paths], None]:
    """Corruption: append a column ``name`` (empty header for ``""``) whose row ``i`` holds ``value(i)``."""
    return edit_lines(source, lambda ls: [f.append(name if i == 0 else value(i)) for i, f in enumerate(ls)])


def map_column(source: str, column: str, fn: Callable[[str], str]) -> Callable[[Paths], None]:
    """Corruption: rewrite every non-empty value of one column."""

    def edit(lines: list[list[str]]) -> None:
        pos = lines[0].index(column)
        for fields in lines[1:]:
            fields[pos] = fn(fields[pos]) if fields[pos] else fields[pos]

    return edit_lines(source, edit)


def blank_column(source: str, column: str, keep: int = 0) -> Callable[[Paths], None]:
    """Corruption: blank a column in every data row but the first ``keep``."""

    def edit(lines: list[list[str]]) -> None:
        pos = lines[0].index(column)
        for fields in lines[1 + keep :]:
            fields[pos] = ""

    return edit_lines(source, edit)


def reencode(source: str, encoding: str) -> Callable[[Paths], None]:
    """Corruption: save the extract in another encoding (``utf-8-sig`` adds a BOM)."""

    def apply(paths: Paths) -> None:
        path = _file(paths, source)
        path.write_bytes(path.read_text(encoding="utf-8").encode(encoding))

    return apply


def rewrite(
    source: str, sep: str, decimal: str, crlf: bool = False, encoding: str = "utf-8"
) -> Callable[[Paths], None]:
    """Corruption: write the clean frame again with another delimiter, decimal sign, line ending or encoding."""

    def apply(paths: Paths) -> None:
        frame = to_raw_frame(valid_frames()[source], source)
        for col, spec in codebook.columns(source).items():
            if spec["type"] == "float":
                frame[col] = frame[col].str.replace(",", decimal, regex=False)
        text = frame.to_csv(sep=sep, index=False, lineterminator="\r\n" if crlf else "\n")
        if encoding == "utf-16-be-bom":
            data = codecs.BOM_UTF16_BE + text.encode("utf-16-be")
        else:
            data = text.encode(encoding)
        _file(paths, source).write_bytes(data)

    return apply


def write_bytes(source: str, data: bytes) -> Callable[[Paths], None]:
    """Corruption: replace the extract's content with ``data``."""
    return lambda paths: _file(paths, source).write_bytes(data)


def xlsx_bytes(source: str) -> bytes:
    """Return the clean extract saved as an Excel workbook."""
    buffer = io.BytesIO()
    to_raw_frame(valid_frames()[source], source).to_excel(buffer, index=False)
    return buffer.getvalue()


def save_as_xlsx(source: str) -> Callable[[Paths], None]:
    """Corruption: deliver ``<name>.xlsx`` instead of ``<name>.csv``."""

    def apply(paths: Paths) -> None:
        path = _file(paths, source)
        path.with_suffix(".xlsx").write_bytes(xlsx_bytes(source))
        path.unlink()

    return apply


def remove(source: str) -> Callable[[Paths], None]:
    """Corruption: the extract is not delivered."""
    return lambda paths: _file(paths, source).unlink()


def both(*edits: Callable[[Paths], None]) -> Callable[[Paths], None]:
    """Apply several corruptions in order."""

    def apply(paths: Paths) -> None:
        for edit in edits:
            edit(paths)

    return apply


def _iso(value: str) -> str:
    day, month, year = value.split("/")
    return f"{year}-{month}-{day}"


def _month_first(value: str) -> str:
    day, month, year = value.split("/")
    return f"{month}/{day}/{year}"


def _in_words(value: str) -> str:
    day, month, year = value.split("/")
    return f"{int(day)} de {['enero', 'febrero', 'marzo', 'abril', 'mayo', 'junio', 'julio', 'agosto', 'septiembre', 'octubre', 'noviembre', 'diciembre'][int(month) - 1]} de {year}"


# --- the cases --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A corrupted delivery and what ingest must do with it.

    ``error`` is None when the delivery must read like the clean one (except the sources in
    ``differs``); otherwise ``(file, row, column, fragment)``: the message must name them all (file
    names are given without ``data/extracts/``). ``warns`` lists the warnings a read case must give:
    ``(file, column, fragment)`` each. ``hidden`` is a personal-data value that must not appear in the
    message or the log.
    """

    name: str
    corrupt: Callable[[Paths], None]
    error: tuple[str, str, str, str] | None = None
    hidden: str | None = None
    differs: dict[str, Callable[[pd.DataFrame], None]] = field(default_factory=dict)
    warns: tuple[tuple[str, str, str], ...] = ()


def _rows_empty(frame: pd.DataFrame) -> None:
    assert frame.empty


def _one_bad_document(frame: pd.DataFrame) -> None:
    assert frame["doc_number"].iloc[1] == "71234567A"


def _no_end_dates(frame: pd.DataFrame) -> None:
    assert len(frame) == 3 and frame["end_date"].isna().all()


def _birth_dates_blank(n: int) -> Callable[[pd.DataFrame], None]:
    def check(frame: pd.DataFrame) -> None:
        assert int(frame["birth_date"].isna().sum()) == n

    return check


def _cut_in_last_field(frame: pd.DataFrame) -> None:
    assert frame["intervention_id"].tolist() == ["I0001", "I0002", "I0003", "I0004"]
    assert frame["amount_eur"].iloc[3] == 300.0


def _hours(value: float) -> Callable[[pd.DataFrame], None]:
    def check(frame: pd.DataFrame) -> None:
        assert frame["hours_week"].iloc[2] == value

    return check


def _birth_date(value: str) -> Callable[[pd.DataFrame], None]:
    def check(frame: pd.DataFrame) -> None:
        assert frame["birth_date"].iloc[1] == pd.Timestamp(value)

    return check


P, IV, S, R = "sauss_persons.csv", "sauss_interventions.csv", "rgc_spells.csv", "rgc_members.csv"
EE, NGO = "employment_episodes.csv", "ngo_attention.csv"
CUT_OFF = "may have been cut off"
# A column blank too often: what its warning says is lost, then for which records.
LOST = "linkage and the analyses that need this column lose it for "
CASES = [
    Case("clean folder", lambda paths: None),
    Case("missing column", drop_column("sauss_persons", "birth_date"), (P, "row 1", "birth_date", "missing")),
    Case(
        "renamed column (Spanish name)",
        rename_column("sauss_persons", "birth_date", "fecha_nacimiento"),
        (P, "row 1", "'fecha_nacimiento'", "did you mean birth_date?"),
    ),
    Case(
        "misspelt column",
        rename_column("rgc_spells", "monthly_amount_eur", "montly_amount_eur"),
        (S, "row 1", "'montly_amount_eur'", "did you mean monthly_amount_eur?"),
    ),
    Case(
        "header in upper case",
        edit_text("rgc_spells", lambda t: t.split("\n", 1)[0].upper() + "\n" + t.split("\n", 1)[1]),
    ),
    Case(
        "extra column",
        add_column("rgc_spells", "comentario", lambda i: "x"),
        warns=((S, "'comentario'", "dropped before anything was written"),),
    ),
    Case(
        "extra column observaciones with personal data (dropped, never written)",
        add_column("sauss_persons", "observaciones", lambda i: f"vive con su madre, tel 6{i:08d}"),
        warns=((P, "'observaciones'", "dropped before anything was written"),),
        hidden="vive con su madre",
    ),
    Case(
        "the same extra column twice",
        both(add_column("rgc_spells", "obs", lambda i: "x"), add_column("rgc_spells", "obs", lambda i: "y")),
        warns=((S, "'obs'", "dropped"),),
    ),
    Case(
        "unnamed column holding values",
        add_column("rgc_spells", "", lambda i: "nota"),
        warns=((S, "#11 (no name)", "dropped before anything was written"),),
    ),
    Case(
        "columns in another order",
        edit_lines("rgc_spells", lambda ls: [f.insert(0, f.pop()) for f in ls]),
    ),
    Case(
        "repeated column",
        edit_lines("ceas", lambda ls: [f.append(f[0]) for f in ls]),
        ("ceas.csv", "row 1", "ceas_code", "more than once"),
    ),
    Case(
        "text in an int column",
        set_cell("rgc_spells", 3, "household_size", "tres"),
        (S, "row 3", "household_size", "'tres' is not a whole number"),
    ),
    Case(
        "float in an int column",
        set_cell("rgc_spells", 2, "household_size", "2,5"),
        (S, "row 2", "household_size", "'2,5' is not a whole number"),
    ),
    Case(
        "a whole number of 20 digits",
        set_cell("rgc_spells", 2, "household_size", "9" * 20),
        (S, "row 2", "household_size", "has more than 15 digits"),
    ),
    Case(
        "no value of an int column is a number",
        map_column("rgc_spells", "household_size", lambda v: "x"),
        (S, "row 2", "household_size", "'x' is not a whole number"),
    ),
    Case("int written as 3,0", set_cell("rgc_spells", 2, "household_size", "3,0")),
    Case(
        "text in a float column",
        set_cell("rgc_spells", 4, "monthly_amount_eur", "seiscientos"),
        (S, "row 4", "monthly_amount_eur", "'seiscientos' is not a number"),
    ),
    Case("thousands separator", set_cell("sauss_interventions", 3, "amount_eur", "1.234,56")),
    Case(
        "benefit of 9,999,999 EUR a month",
        set_cell("rgc_spells", 2, "monthly_amount_eur", "9999999"),
        (
            S,
            "row 2",
            "monthly_amount_eur",
            "'9999999' is above the maximum 692.26 for 2015 (130% of the monthly IPREM of 2015, 532.51; the "
            "highest of 2013-2015)",
        ),
    ),
    Case(
        "benefit of 9.999.999,00 EUR a month (thousands separators)",
        set_cell("rgc_spells", 3, "monthly_amount_eur", "9.999.999,00"),
        (S, "row 3", "monthly_amount_eur", "'9.999.999,00' is above the maximum 699.19 for 2017"),
    ),
    Case(
        "emergency aid above its legal ceiling (possible, unusual)",
        set_cell("sauss_interventions", 3, "amount_eur", "4.000,00"),
        differs={"sauss_interventions": lambda f: f["amount_eur"].iloc[1] == 4000.0},
        warns=((IV, "amount_eur", "1 value above 6 times the monthly IPREM of its year (3,195.06 in 2016)"),),
    ),
    Case(
        "45 hours a week (possible, unusual)",
        set_cell("employment_episodes", 4, "hours_week", "45,0"),
        differs={"employment_episodes": _hours(45.0)},
        warns=((EE, "hours_week", "above 40"),),
    ),
    Case(
        "70 hours a week",
        set_cell("employment_episodes", 4, "hours_week", "70"),
        (EE, "row 4", "hours_week", "'70' is above the maximum 60 (plausible range 0 to 60)"),
    ),
    Case(
        "impossible date",
        set_cell("sauss_persons", 3, "registration_date", "31/02/2015"),
        (P, "row 3", "registration_date", "'31/02/2015' is not a date"),
    ),
    Case(
        "impossible birth date (personal data not shown)",
        set_cell("sauss_persons", 4, "birth_date", "31/02/1980"),
        (P, "row 4", "birth_date", "is not a date (not shown: personal data)"),
        hidden="31/02/1980",
    ),
    Case(
        "two-digit year",
        set_cell("sauss_interventions", 2, "date", "15/01/13"),
        (IV, "row 2", "date", "two-digit"),
    ),
    Case(
        "dates in month/day order",
        map_column("sauss_persons", "registration_date", _month_first),
        (P, "rows 4 and 5", "registration_date", "2 do not as day/month (the first: '09/15/2016')"),
    ),
    Case(
        "birth dates in month/day order (personal data not shown)",
        map_column("rgc_members", "birth_date", _month_first),
        (R, "rows 2 and 4", "birth_date", "reads as month/day, and 2 do not as day/month (values not shown"),
        hidden="03/14/1975",
    ),
    Case(
        "a required date column entirely blank",
        blank_column("sauss_persons", "registration_date"),
        (P, "row 2", "registration_date", "is empty (a value is required)"),
    ),
    Case(
        "an optional date column entirely blank",
        blank_column("rgc_spells", "end_date"),
        differs={"rgc_spells": _no_end_dates},
    ),
    Case(
        "a date column in a format the reader does not know (yyyymmdd)",
        map_column("sauss_persons", "registration_date", lambda v: _iso(v).replace("-", "")),
        (P, "row 2", "registration_date", "'20120510' is not a date"),
    ),
    Case(
        "dates in words",
        map_column("rgc_spells", "start_date", _in_words),
        (S, "row 2", "start_date", "'1 de febrero de 2013' is not a date"),
    ),
    Case(
        "future date",
        set_cell("sauss_interventions", 5, "date", "03/11/2018"),
        (IV, "row 5", "date", "'03/11/2018' is after the extraction date 31/10/2018"),
    ),
    Case(
        "future birth date (personal data not shown)",
        set_cell("sauss_persons", 2, "birth_date", "14/03/2075"),
        (P, "row 2", "birth_date", "after the extraction date"),
        hidden="2075",
    ),
    Case(
        "aged over 110 (personal data not shown)",
        set_cell("sauss_persons", 3, "birth_date", "01/06/1905"),
        (
            P,
            "row 3",
            "birth_date",
            "is before 01/11/1907, the earliest plausible date (an age of 111 or more)",
        ),
        hidden="1905",
    ),
    Case(
        "aged over 100 (possible, unusual)",
        set_cell("sauss_persons", 3, "birth_date", "01/06/1915"),
        differs={"sauss_persons": _birth_date("1915-06-01")},
        warns=((P, "birth_date", "1 value gives an age over 100"),),
    ),
    Case(
        "birth year over 110 years ago",
        set_cell("ngo_attention", 3, "birth_year", "1900"),
        (
            NGO,
            "row 3",
            "birth_year",
            "is below the minimum 1907 (an age of 111 or more at the extraction date)",
        ),
    ),
    Case(
        "RGC spell before the IMI existed",
        set_cell("rgc_spells", 2, "start_date", "01/02/1985"),
        (S, "row 2", "start_date", "'01/02/1985' is before 01/01/1990, the earliest plausible date"),
    ),
    Case(
        "end before start",
        set_cell("rgc_spells", 3, "end_date", "31/03/2016"),
        (S, "row 3", "end_date", "31/03/2016 is before start_date 01/10/2016"),
    ),
    Case("ISO dates", map_column("rgc_spells", "start_date", _iso)),
    Case("dates dd-mm-yyyy", map_column("rgc_spells", "start_date", lambda v: v.replace("/", "-"))),
    Case(
        "dates with a midnight time",
        map_column("sauss_persons", "registration_date", lambda v: v + " 00:00:00"),
    ),
    Case(
        "invalid DNI check letter (read, counted)",
        set_cell("sauss_persons", 3, "doc_number", "71234567A"),
        differs={"sauss_persons": _one_bad_document},
        warns=((P, "doc_number", "1 DNI/NIE fail their format or check letter"),),
    ),
    Case("document with spaces and lower case", set_cell("sauss_persons", 3, "doc_number", "71234567-w")),
    Case(
        "birth date blank in all but one row (a linkage key mostly blank)",
        blank_column("rgc_members", "birth_date", keep=1),
        differs={"rgc_members": _birth_dates_blank(2)},
        warns=((R, "birth_date", "blank in 2 of 3 rows (66.7%, over 20%): " + LOST + "most records"),),
    ),
    Case(
        "document numbers blank in every row",
        both(blank_column("rgc_members", "doc_number"), blank_column("rgc_members", "doc_type")),
        differs={"rgc_members": lambda f: f["doc_number"].isna().all()},
        warns=((R, "doc_number", "blank in 3 of 3 rows (100%, over 20%): " + LOST + "every record"),),
    ),
    Case(
        "duplicate key",
        set_cell("sauss_interventions", 4, "intervention_id", "I0002"),
        (IV, "rows 3 and 4", "intervention_id", "duplicate value 'I0002'"),
    ),
    Case("Latin-1 file", reencode("sauss_persons", "latin-1")),
    Case("cp1252 file", reencode("ceas", "cp1252")),
    Case("UTF-8 with BOM", reencode("sauss_persons", "utf-8-sig")),
    Case(
        "Excel's Unicode text (UTF-16 with BOM, tab-separated, CRLF)",
        rewrite("sauss_persons", "\t", ",", crlf=True, encoding="utf-16"),
    ),
    Case("UTF-16 big-endian with BOM", rewrite("rgc_spells", "\t", ",", encoding="utf-16-be-bom")),
    Case(
        "UTF-16 without a byte-order mark",
        rewrite("rgc_spells", "\t", ",", encoding="utf-16-le"),
        (S, "", "", "is a binary file (or UTF-16 text without a byte-order mark)"),
    ),
    Case(
        "mixed encodings (one Latin-1 line in a UTF-8 file)",
        lambda paths: _file(paths, "sauss_persons").write_bytes(
            _file(paths, "sauss_persons").read_bytes().replace("IÑAKI".encode(), "IÑAKI".encode("latin-1"))
        ),
        (P, "row 5", "", "byte 0xd1 is not UTF-8 although the rest of the file is (mixed encodings"),
        "IÑAKI",
    ),
    Case("comma delimiter, decimal point", rewrite("rgc_spells", ",", ".")),
    Case("comma delimiter, quoted addresses with commas", rewrite("sauss_persons", ",", ".")),
    Case("semicolon delimiter, decimal point", rewrite("sauss_interventions", ";", ".")),
    Case("tab delimiter", rewrite("rgc_spells", "\t", ",")),
    Case("CRLF line endings", rewrite("sauss_interventions", ";", ",", crlf=True)),
    Case("blank lines at the end", edit_text("rgc_spells", lambda t: t + "\n\n;;;;;;;;;\n")),
    Case("trailing delimiter on every line", edit_lines("rgc_spells", lambda ls: [f.append("") for f in ls])),
    Case(
        "empty file (0 bytes)",
        write_bytes("sauss_persons", b""),
        (P, "", "", "the file is empty (0 bytes)"),
    ),
    Case(
        "header only, required extract",
        edit_text("rgc_spells", lambda t: t.split("\n")[0] + "\n"),
        (S, "row 2", "", "header only"),
    ),
    Case(
        "header only, optional extract",
        edit_text("satisfaction_surveys", lambda t: t.split("\n")[0] + "\n"),
        differs={"satisfaction_surveys": _rows_empty},
    ),
    Case(
        "truncated last line",
        edit_text("sauss_interventions", lambda t: t.rstrip("\n")[:-25]),
        (IV, "row 6", "column", "the line ends after"),
    ),
    Case(
        "no line break after the last line",
        edit_text("rgc_spells", lambda t: t.rstrip("\n")),
        warns=((S, "", f"row 4: the last line has no line break at its end: the file {CUT_OFF}"),),
    ),
    Case(
        "cut inside the last field, later rows gone (no final line break)",
        edit_text("sauss_interventions", lambda t: t[: t.index("300,5") + 3]),
        differs={"sauss_interventions": _cut_in_last_field},
        warns=((IV, "", f"row 5: the last line has no line break at its end: the file {CUT_OFF}"),),
    ),
    Case(
        "unquoted delimiter inside a value",
        set_cell("ceas", 3, "ceas_name", "CEAS El Ejido; Sur"),
        ("ceas.csv", "row 3", "column", "the line has 7 fields, the header 6"),
    ),
    Case(
        "1 MB field",
        set_cell("sauss_persons", 5, "address", "A" * 1_000_000),
        (P, "row 5", "address", "over the limit of 10,000"),
    ),
    Case(
        ".xlsx saved as .csv",
        write_bytes("sauss_persons", xlsx_bytes("sauss_persons")),
        (P, "", "", "is a spreadsheet (.xlsx); export it as CSV (semicolon-separated, UTF-8)"),
    ),
    Case(
        ".xlsx with the .xlsx extension",
        save_as_xlsx("rgc_members"),
        (R, "", "", "found rgc_members.xlsx instead: a spreadsheet; export it as CSV"),
    ),
    Case(
        "unknown code",
        set_cell("sauss_persons", 2, "sex", "X"),
        (P, "row 2", "sex", "'X' is not a code of list sex"),
    ),
    Case("codes in lower case", map_column("sauss_interventions", "status", str.lower)),
    Case(
        "number out of range",
        set_cell("sauss_persons", 3, "disability_pct", "150"),
        (P, "row 3", "disability_pct", "'150' is above the maximum 100 (plausible range 0 to 100)"),
    ),
    Case(
        "negative amount",
        set_cell("rgc_spells", 2, "monthly_amount_eur", "-536,25"),
        (S, "row 2", "monthly_amount_eur", "is below the minimum 0"),
    ),
    Case(
        "MDTSE factor out of range",
        set_cell("mdtse_assessments", 3, "f07", "5"),
        ("mdtse_assessments.csv", "row 3", "f07", "'5' is above the maximum 3"),
    ),
    Case(
        "pattern broken",
        set_cell("ceas", 2, "province_code", "4A"),
        ("ceas.csv", "row 2", "province_code", "'4A' does not match"),
    ),
    Case("municipality code without its leading zero", set_cell("ceas", 5, "municipality_code", "5019")),
    Case(
        "required value empty",
        set_cell("sauss_persons", 2, "ceas_code", ""),
        (P, "row 2", "ceas_code", "is empty"),
    ),
    Case(
        "unreadable boolean",
        set_cell("rgc_spells", 2, "prior_imi", "quizás"),
        (S, "row 2", "prior_imi", "'quizás' is not a yes/no value"),
    ),
    Case("booleans S/N", map_column("rgc_spells", "prior_imi", lambda v: "S" if v == "1" else "N")),
    Case("booleans sí/no", map_column("ceas", "urban", lambda v: "sí" if v == "1" else "no")),
    Case("booleans true/false", map_column("ceas", "urban", lambda v: "TRUE" if v == "1" else "false")),
    Case("whitespace padding", map_column("sauss_persons", "surname1", lambda v: f"  {v}   ")),
    Case(
        "whitespace padding in every field",
        edit_lines("rgc_spells", lambda ls: [f.__setitem__(slice(None), [f" {v} " for v in f]) for f in ls]),
    ),
    Case("missing required file", remove("rgc_spells"), (S, "", "", "file missing (a required extract)")),
    Case(
        "missing optional file",
        both(remove("employment_episodes"), remove("employment_persons")),
        differs={"employment_episodes": _rows_empty, "employment_persons": _rows_empty},
    ),
    Case(
        "referential break",
        set_cell("sauss_interventions", 6, "record_id", "S999999"),
        (IV, "row 6", "record_id", "'S999999' does not exist in sauss_persons.csv"),
    ),
    Case(
        "referential break (benefit file)",
        set_cell("rgc_spells", 4, "file_id", "EXP9999"),
        (S, "row 4", "file_id", "'EXP9999' does not exist in rgc_members.csv (file_id)"),
    ),
    Case(
        "two bad extracts",
        both(set_cell("sauss_persons", 2, "sex", "X"), set_cell("rgc_spells", 2, "household_size", "x")),
        (P, "row 2", "sex", "other extracts with problems (see the log): data/extracts/rgc_spells.csv"),
    ),
    # --- plausibility by the period's rules (referee: legal values read, impossible ones refused) -----
    Case(
        "benefit of 780 EUR in 2013 (the 2023 cap)",
        set_cell("rgc_spells", 2, "monthly_amount_eur", "780,00"),
        (S, "row 2", "monthly_amount_eur", "'780,00' is above the maximum 692.26 for 2015"),
    ),
    Case(
        "benefit one cent above the 2010-2016 cap",
        set_cell("rgc_spells", 2, "monthly_amount_eur", "692,27"),
        (S, "row 2", "monthly_amount_eur", "'692,27' is above the maximum 692.26 for 2015"),
    ),
    Case(
        "benefit at the cap of its last year paid (699,19 for a spell of 2016-2017)",
        set_cell("rgc_spells", 3, "monthly_amount_eur", "699,19"),
        differs={"rgc_spells": lambda f: f["monthly_amount_eur"].iloc[1] == 699.19},
    ),
    Case(
        "economic provision above a year of the RGC's maximum",
        set_cell("sauss_interventions", 3, "amount_eur", "8.400,00"),
        (
            IV,
            "row 3",
            "amount_eur",
            "'8.400,00' is above the maximum 8,307.16 for 2016 (15.6 times the monthly IPREM of 2016, 532.51)",
        ),
    ),
    Case(
        "RGC spell a day before the earliest plausible start (files inherited from the IMI)",
        set_cell("rgc_spells", 2, "start_date", "31/12/1989"),
        (S, "row 2", "start_date", "'31/12/1989' is before 01/01/1990, the earliest plausible date"),
    ),
    Case(
        "RGC spell inherited from the IMI, on the earliest plausible day",
        set_cell("rgc_spells", 2, "start_date", "01/01/1990"),
        differs={"rgc_spells": lambda f: f["start_date"].iloc[0] == pd.Timestamp("1990-01-01")},
        warns=(
            (S, "start_date", "1 value before 01/01/2000: possible but unusual"),
            (
                S,
                "start_date",
                "1 spell starts before the household head (rgc_members.csv, role HEAD) turned 18",
            ),
        ),
    ),
    Case(
        "a job-seeker registration of 2008",
        set_cell("employment_episodes", 2, "start_date", "10/01/2008"),
        differs={"employment_episodes": lambda f: f["start_date"].iloc[0] == pd.Timestamp("2008-01-10")},
    ),
    Case(
        "a SAUSS registration of 2004",
        set_cell("sauss_persons", 2, "registration_date", "10/05/2004"),
        differs={"sauss_persons": lambda f: f["registration_date"].iloc[0] == pd.Timestamp("2004-05-10")},
    ),
    Case(
        "a contract of 1995 (possible, unusual)",
        set_cell("employment_episodes", 3, "start_date", "01/08/1995"),
        differs={"employment_episodes": lambda f: f["start_date"].iloc[1] == pd.Timestamp("1995-08-01")},
        warns=((EE, "start_date", "1 value before 01/01/2000: possible but unusual"),),
    ),
    Case(
        "an event before the earliest plausible birth date",
        set_cell("sauss_interventions", 2, "date", "15/01/1900"),
        (IV, "row 2", "date", "'15/01/1900' is before 01/11/1907, the earliest plausible date"),
    ),
    Case(
        "household of 20 (possible, unusual)",
        set_cell("rgc_spells", 2, "household_size", "20"),
        differs={"rgc_spells": lambda f: f["household_size"].iloc[0] == 20},
        warns=((S, "household_size", "1 value above 10: possible but unusual"),),
    ),
    Case(
        "household of 31",
        set_cell("rgc_spells", 2, "household_size", "31"),
        (S, "row 2", "household_size", "'31' is above the maximum 30 (plausible range 1 to 30)"),
    ),
    Case(
        "aged 110 (possible, unusual; personal data not shown)",
        set_cell("sauss_persons", 3, "birth_date", "01/11/1907"),
        differs={"sauss_persons": _birth_date("1907-11-01")},
        warns=((P, "birth_date", "1 value gives an age over 100"),),
        hidden="1907",
    ),
    Case(
        "aged 111 on the extraction date (personal data not shown)",
        set_cell("sauss_persons", 3, "birth_date", "31/10/1907"),
        (P, "row 3", "birth_date", "the earliest plausible date (an age of 111 or more)"),
        hidden="31/10/1907",
    ),
    Case(
        "birth year 111 years before the extraction year (aged 110 or 111)",
        set_cell("ngo_attention", 3, "birth_year", "1907"),
        differs={"ngo_attention": lambda f: f["birth_year"].iloc[1] == 1907},
        warns=((NGO, "birth_year", "1 value may give an age over 100"),),
    ),
    Case(
        "RGC head aged 17 at the start of a spell (possible, unusual; personal data not shown)",
        set_cell("rgc_members", 4, "birth_date", "02/10/1998"),
        differs={"rgc_members": lambda f: f["birth_date"].iloc[2] == pd.Timestamp("1998-10-02")},
        warns=(
            (
                S,
                "start_date",
                "1 spell starts before the household head (rgc_members.csv, role HEAD) turned 18",
            ),
        ),
        hidden="1998",
    ),
    Case(
        "RGC member aged 5 (no head)",
        set_cell("rgc_members", 3, "birth_date", "02/10/2011"),
        differs={"rgc_members": lambda f: f["birth_date"].iloc[1] == pd.Timestamp("2011-10-02")},
    ),
    Case(
        "a linkage key blank in one row of three",
        set_cell("rgc_members", 3, "doc_number", ""),
        differs={"rgc_members": lambda f: f["doc_number"].isna().sum() == 1},
        warns=(
            (R, "doc_number", "blank in 1 of 3 rows (33.3%, over 20%): " + LOST + "33.3% of the records"),
        ),
    ),
    Case(
        "placeholders in a linkage key ('-', 'sin datos')",
        both(
            set_cell("rgc_members", 2, "given_name", "-"),
            set_cell("rgc_members", 3, "given_name", "sin datos"),
        ),
        differs={"rgc_members": lambda f: f["given_name"].tolist()[:2] == ["-", "sin datos"]},
        warns=((R, "given_name", "blank in 2 of 3 rows (66.7%, over 20%; 2 of them placeholders: "),),
    ),
    Case(
        "the DNI of the number 0 as a placeholder",
        set_cell("rgc_members", 2, "doc_number", "00000000T"),
        differs={"rgc_members": lambda f: f["doc_number"].iloc[0] == "00000000T"},
        warns=(
            (
                R,
                "doc_number",
                "blank in 1 of 3 rows (33.3%, over 20%; 1 of them a placeholder: '00000000T'): "
                + LOST
                + "33.3% of the records",
            ),
        ),
    ),
    Case(
        "NGO documents blank in half the rows (usual there)",
        set_cell("ngo_attention", 2, "doc_number", ""),
        differs={"ngo_attention": lambda f: f["doc_number"].isna().sum() == 1},
    ),
]


# --- running a case ---------------------------------------------------------------------------------


@cache
def clean_files() -> dict[str, bytes]:
    """The bytes of every clean extract (written once, copied into each case's folder)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_valid_raw(Path(tmp))
        return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@dataclass
class Outcome:
    """What one run of ``python -m pact_analysis ingest`` did: exit status, message, log."""

    paths: Paths
    status: int
    stderr: str
    log: str

    @property
    def message(self) -> str:
        """The error line without its ``pact-analysis ingest: `` prefix (empty if the run succeeded)."""
        lines = [line for line in self.stderr.split("\n") if line.startswith("pact-analysis ingest: ")]
        assert len(lines) <= 1, self.stderr
        return lines[0].removeprefix("pact-analysis ingest: ") if lines else ""


def stage_extracts(paths: Paths) -> None:
    """Copy the delivered CSV and spreadsheet files into ``data/raw`` (what ``synthesize`` does in files mode)."""
    paths.raw.mkdir(parents=True)
    for path in sorted(paths.extracts.iterdir()):
        if path.suffix.lower() in (".csv", ".xlsx"):
            shutil.copy2(path, paths.raw / path.name)


def run_case(case: Case, root: Path) -> Outcome:
    """Deliver the clean extracts under ``root``, corrupt them, stage them and run the ingest stage."""
    paths = Paths(root)
    paths.extracts.mkdir(parents=True)
    paths.params.write_text(
        f"data: {{source: files, extraction_date: '{EXTRACTION_DATE}'}}\n", encoding="utf-8"
    )
    for name, data in clean_files().items():
        (paths.extracts / name).write_bytes(data)
    case.corrupt(paths)
    stage_extracts(paths)
    paths.clean.mkdir(parents=True)
    (paths.clean / "previous.txt").write_text("output of an earlier run")
    logged = io.StringIO()
    handler = logging.StreamHandler(logged)
    logger = logging.getLogger("pact_analysis.ingest")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)  # whatever another test left on the parent loggers
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            status = cli.main(["ingest", "--root", str(root)])
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    return Outcome(paths, status, err.getvalue(), logged.getvalue())


@pytest.fixture(scope="module")
def clean_frames(tmp_path_factory) -> dict[str, pd.DataFrame]:
    outcome = run_case(CASES[0], tmp_path_factory.mktemp("clean"))
    assert outcome.status == 0, outcome.stderr
    return {s: pd.read_parquet(outcome.paths.clean / f"{s}.parquet") for s in codebook.sources()}


def test_there_are_enough_cases():
    assert len(CASES) >= 90 + 21
    assert len({c.name for c in CASES}) == len(CASES)


def _check_read(case: Case, outcome: Outcome, clean_frames: dict[str, pd.DataFrame]) -> None:
    assert outcome.status == 0, f"should read, got: {outcome.stderr}"
    for source, expected in clean_frames.items():
        got = pd.read_parquet(outcome.paths.clean / f"{source}.parquet")
        if source in case.differs:
            result = case.differs[source](got)
            assert result is None or bool(result), source
        else:
            pd.testing.assert_frame_equal(got, expected)
    recorded = json.loads((outcome.paths.clean / ingest.WARNINGS_FILE).read_text(encoding="utf-8"))[
        "warnings"
    ]
    assert len(recorded) == len(case.warns), recorded
    for (file, column, fragment), entry in zip(case.warns, recorded, strict=True):
        assert entry["file"] == f"data/extracts/{file}" and (entry["column"] or "") == column
        assert fragment in entry["message"]
        logged = [line for line in outcome.log.splitlines() if line.startswith(f"data/extracts/{file}: ")]
        assert any(fragment in line and column in line for line in logged), outcome.log
    assert json.loads(outcome.paths.metric("ingest").read_text())["warnings"] == len(case.warns)
    assert not (outcome.paths.reports / "STALE.txt").exists()


def _check_refused(case: Case, outcome: Outcome) -> None:
    assert outcome.status == 2, f"should be refused, got status {outcome.status}: {outcome.stderr}"
    message = outcome.message
    file, row, column, fragment = case.error
    assert message.startswith(f"data/extracts/{file}: "), message
    for part in (row, column, fragment):
        assert part in message
    if row and column:
        assert re.search(rf"{row}\b[^;]*column", message), "row and column should be named together"
    assert "Traceback" not in outcome.stderr
    paths = outcome.paths
    assert sorted(p.name for p in paths.clean.iterdir()) == ["previous.txt"], "clean output was touched"
    assert sorted(p.name for p in paths.interim.iterdir()) == ["clean"], "temporary output left behind"
    assert not paths.metric("ingest").exists()
    assert "stage ingest failed" in (paths.reports / "STALE.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Case, tmp_path: Path, clean_frames: dict[str, pd.DataFrame]):
    outcome = run_case(case, tmp_path)
    assert "Traceback" not in outcome.stderr + outcome.log
    if case.error is None:
        _check_read(case, outcome, clean_frames)
    else:
        _check_refused(case, outcome)
    if case.hidden:
        assert case.hidden not in outcome.stderr + outcome.log
        written = [p for p in outcome.paths.clean.rglob("*") if p.is_file()]
        assert all(case.hidden.encode() not in p.read_bytes() for p in written), "a hidden value was written"


def test_the_error_line_starts_on_its_own_line(tmp_path: Path):
    case = next(c for c in CASES if c.name == "text in an int column")
    outcome = run_case(case, tmp_path)
    line = next(line for line in outcome.stderr.split("\n") if "pact-analysis ingest:" in line)
    assert line.startswith("pact-analysis ingest: data/extracts/rgc_spells.csv: row 3, column household_size")


def test_invalid_document_is_counted_in_metrics_and_warnings(tmp_path: Path):
    case = next(c for c in CASES if c.name.startswith("invalid DNI"))
    outcome = run_case(case, tmp_path)
    assert outcome.status == 0
    paths = outcome.paths
    assert json.loads(paths.metric("ingest").read_text())["invalid_documents"] == 1
    sources = ingest.read_delivery(paths)
    assert sources["sauss_persons"]["invalid_documents"] == 1
    assert sources["rgc_members"]["invalid_documents"] == 0
    warnings = pd.read_csv(paths.clean / "warnings.csv")
    assert warnings[["source", "row", "column"]].values.tolist() == [["sauss_persons", 3, "doc_number"]]
    assert "71234567" not in (paths.clean / "warnings.csv").read_text()
    assert "71234567" not in (paths.clean / ingest.WARNINGS_FILE).read_text() + outcome.log


def test_missing_optional_file_is_noted_in_the_delivery(tmp_path: Path):
    case = next(c for c in CASES if c.name == "missing optional file")
    outcome = run_case(case, tmp_path)
    assert outcome.status == 0
    sources = ingest.read_delivery(outcome.paths)
    assert sources["employment_episodes"] == {
        "file": "employment_episodes.csv",
        "delivered": False,
        "rows": None,
    }
    assert sources["sauss_persons"]["delivered"] is True
    metrics = json.loads(outcome.paths.metric("ingest").read_text())
    assert metrics["sources_delivered"] == len(list(outcome.paths.raw.glob("*.csv")))


def test_a_mostly_blank_key_is_recorded_for_the_linkage_report(tmp_path: Path):
    case = next(c for c in CASES if c.name.startswith("birth date blank in all but one row"))
    outcome = run_case(case, tmp_path)
    warnings = ingest.read_warnings(outcome.paths)
    row = warnings.set_index(["source", "column"]).loc[("rgc_members", "birth_date")]
    assert row["kind"] == "mostly_blank" and row["share"] == pytest.approx(2 / 3, abs=1e-4)
    assert row["file"] == "data/extracts/rgc_members.csv"
    assert ingest.read_delivery(outcome.paths)["rgc_members"]["missing_share"]["birth_date"] == 0.6667


def test_a_dropped_column_is_listed_in_the_delivery(tmp_path: Path):
    case = next(c for c in CASES if c.name.startswith("extra column observaciones"))
    outcome = run_case(case, tmp_path)
    assert ingest.read_delivery(outcome.paths)["sauss_persons"]["dropped_columns"] == ["'observaciones'"]
    assert "observaciones" not in pd.read_parquet(outcome.paths.clean / "sauss_persons.parquet").columns


def test_synthetic_mode_names_files_alone(tmp_path: Path):
    """Without data.source: files the user never saw data/extracts: the message names the file alone."""
    paths = Paths(tmp_path)
    write_valid_raw(paths.raw)
    (paths.raw / "rgc_spells.csv").unlink()
    from pact_analysis.errors import ExtractError
    from pact_analysis.stages import ingest as stage

    with pytest.raises(ExtractError, match=r"^rgc_spells\.csv: file missing \(a required extract\)$"):
        stage.run(paths, {"data": {"extraction_date": EXTRACTION_DATE, "source": "synthetic"}})


def test_an_unexpected_crash_names_file_and_column_without_the_value(tmp_path: Path, monkeypatch):
    def crash(raw, name, spec):
        raise ValueError("value 12345678Z in row 2")

    monkeypatch.setitem(ingest.PARSERS, "bool", crash)
    outcome = run_case(CASES[0], tmp_path)
    assert outcome.status == 2 and "Traceback" not in outcome.stderr
    assert outcome.message.startswith(
        "data/extracts/ceas.csv: column urban: could not be parsed: unexpected ValueError"
    )
    assert "12345678Z" not in outcome.stderr + outcome.log


# --- through DVC ------------------------------------------------------------------------------------


def _dvc_project(folder: Path, corrupt: Callable[[Paths], None]) -> Paths:
    """A git + DVC copy of the project in files mode, with the corrupted tiny extracts in data/extracts."""
    from tests.test_pipeline import _project_files

    for name in _project_files():
        if name == "dvc.lock" or name.startswith(("metrics/", "data/")):
            continue
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, folder / name)
    paths = Paths(folder)
    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    params["data"] = {"source": "files", "extraction_date": EXTRACTION_DATE}
    paths.params.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "clone"]):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=folder, check=True)
    paths.extracts.mkdir(parents=True, exist_ok=True)
    for name, data in clean_files().items():
        (paths.extracts / name).write_bytes(data)
    corrupt(paths)
    return paths


def _dvc_repro_ingest(paths: Paths) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PACT_ROOT"}
    env |= {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", "DVC_NO_ANALYTICS": "1"}
    return subprocess.run(
        ["dvc", "repro", "ingest"], cwd=paths.root, env=env, capture_output=True, text=True, check=False
    )


@pytest.mark.slow
@pytest.mark.xdist_group("bad_inputs_dvc")
def test_dvc_repro_ingest_refuses_month_day_dates_on_a_line_of_its_own(tmp_path: Path):
    case = next(c for c in CASES if c.name == "dates in month/day order")
    paths = _dvc_project(tmp_path / "project", case.corrupt)
    run = _dvc_repro_ingest(paths)
    output = run.stdout + run.stderr
    assert run.returncode != 0, output
    lines = [line for line in output.split("\n") if "pact-analysis ingest:" in line]
    assert len(lines) == 1 and lines[0].startswith(
        "pact-analysis ingest: data/extracts/sauss_persons.csv: rows 4 and 5, column registration_date: "
        "every date of this column reads as month/day, and 2 do not as day/month (the first: '09/15/2016')"
    ), output
    assert "day and month swapped?" in lines[0]
    assert "Traceback" not in output
    assert not paths.clean.exists() or not any(paths.clean.iterdir())
    assert "stage ingest failed" in (paths.reports / "STALE.txt").read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.xdist_group("bad_inputs_dvc")
def test_dvc_repro_ingest_reads_excel_unicode_text_and_shows_its_warnings(tmp_path: Path):
    corrupt = both(
        rewrite("sauss_persons", "\t", ",", crlf=True, encoding="utf-16"),
        add_column("rgc_spells", "observaciones", lambda i: "x"),
        blank_column("rgc_members", "birth_date", keep=1),
        edit_text("ceas", lambda t: t.rstrip("\n")),
    )
    paths = _dvc_project(tmp_path / "project", corrupt)
    run = _dvc_repro_ingest(paths)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    warnings = [line for line in output.split("\n") if line.startswith("WARNING pact_analysis.ingest: ")]
    expected = [
        "data/extracts/ceas.csv: row 5: the last line has no line break",
        "data/extracts/rgc_members.csv: column birth_date: blank in 2 of 3 rows",
        "data/extracts/rgc_spells.csv: column 'observaciones': not a codebook column: dropped",
    ]
    assert [any(w.startswith(f"WARNING pact_analysis.ingest: {e}") for w in warnings) for e in expected] == [
        True
    ] * 3, output
    assert ingest.read_delivery(paths)["sauss_persons"]["encoding"] == "utf-16"
    assert json.loads(paths.metric("ingest").read_text())["warnings"] == 3


def messages() -> list[tuple[str, str]]:
    """Return ``(case, outcome)`` for every case: the message, or ``reads correctly`` and its warnings."""
    out = []
    for case in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            outcome = run_case(case, Path(tmp))
            if outcome.status:
                text = outcome.message
            else:
                recorded = json.loads((outcome.paths.clean / ingest.WARNINGS_FILE).read_text())["warnings"]
                text = "; ".join(["reads correctly", *(f"warning: {w['message']}" for w in recorded)])
        out.append((case.name, text))
    return out


def main() -> None:
    """Print each case and its outcome as a Markdown list (``python -m tests.test_bad_inputs``)."""
    for name, outcome in messages():
        print(f"- **{name}**: `{outcome}`")


if __name__ == "__main__":
    logging.disable(logging.WARNING)
    sys.exit(main())


def test_raw_frames_write_a_date_column_with_no_date_as_blanks():
    """A date column without any date (every assignment still open, or the column absent) is blank."""
    frame = valid_frames()["pilot_assignment"].assign(end_date=pd.NaT)
    assert to_raw_frame(frame, "pilot_assignment")["end_date"].eq("").all()
    assert to_raw_frame(frame.drop(columns="end_date"), "pilot_assignment")["end_date"].eq("").all()
    dates = pd.Series(pd.to_datetime(["2017-01-16", None, "2016-02-29", "2017-01-16"]))
    mixed = pd.concat([frame] * 2, ignore_index=True).assign(end_date=dates)
    written = to_raw_frame(mixed, "pilot_assignment")["end_date"]
    assert written.tolist() == ["16/01/2017", "", "29/02/2016", "16/01/2017"]
