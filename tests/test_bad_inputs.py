"""The bad-input suite: corrupted variants of the raw extracts (issue 4).

Each case starts from the tiny valid raw folder of :mod:`tests.fixtures`, corrupts it, and runs the
``ingest`` stage. It either reads correctly (the same typed frames as the clean folder) or raises one
:class:`~pact_analysis.errors.ExtractError` naming the file, the row and the column -- and then
``data/interim/clean`` is left exactly as it was (atomic output).

``python -m tests.test_bad_inputs`` prints every case with its message (for the README's
troubleshooting section).
"""

from __future__ import annotations

import io
import json
import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from pact_analysis import codebook, ingest
from pact_analysis.config import Paths
from pact_analysis.errors import ExtractError
from pact_analysis.extracts import to_raw_frame
from tests.fixtures import params, valid_frames, write_valid_raw

# --- corruptions ------------------------------------------------------------------------------------


def _file(paths: Paths, source: str) -> Path:
    return paths.raw / codebook.sources()[source]["file"]


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


def map_column(source: str, column: str, fn: Callable[[str], str]) -> Callable[[Paths], None]:
    """Corruption: rewrite every non-empty value of one column."""

    def edit(lines: list[list[str]]) -> None:
        pos = lines[0].index(column)
        for fields in lines[1:]:
            fields[pos] = fn(fields[pos]) if fields[pos] else fields[pos]

    return edit_lines(source, edit)


def reencode(source: str, encoding: str) -> Callable[[Paths], None]:
    """Corruption: save the extract in another encoding (``utf-8-sig`` adds a BOM)."""

    def apply(paths: Paths) -> None:
        path = _file(paths, source)
        path.write_bytes(path.read_text(encoding="utf-8").encode(encoding))

    return apply


def rewrite(source: str, sep: str, decimal: str, crlf: bool = False) -> Callable[[Paths], None]:
    """Corruption: write the clean frame again with another delimiter, decimal sign or line ending."""

    def apply(paths: Paths) -> None:
        frame = to_raw_frame(valid_frames()[source], source)
        for col, spec in codebook.columns(source).items():
            if spec["type"] == "float":
                frame[col] = frame[col].str.replace(",", decimal, regex=False)
        _file(paths, source).write_text(
            frame.to_csv(sep=sep, index=False, lineterminator="\r\n" if crlf else "\n"), encoding="utf-8"
        )

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


# --- the cases --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A corrupted raw folder and what ingest must do with it.

    ``error`` is None when the folder must read like the clean one (except the sources in ``differs``);
    otherwise ``(file, row, column, fragment)``: the message must name them all. ``hidden`` is a
    personal-data value that must not appear in the message.
    """

    name: str
    corrupt: Callable[[Paths], None]
    error: tuple[str, str, str, str] | None = None
    hidden: str | None = None
    differs: dict[str, Callable[[pd.DataFrame], None]] = field(default_factory=dict)


def _rows_empty(frame: pd.DataFrame) -> None:
    assert frame.empty


def _one_bad_document(frame: pd.DataFrame) -> None:
    assert frame["doc_number"].iloc[1] == "71234567A"


P, IV, S = "sauss_persons.csv", "sauss_interventions.csv", "rgc_spells.csv"
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
        edit_lines(
            "rgc_spells", lambda ls: [f.append("comentario" if i == 0 else "x") for i, f in enumerate(ls)]
        ),
        (S, "row 1", "'comentario'", "not expected"),
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
    Case("int written as 3,0", set_cell("rgc_spells", 2, "household_size", "3,0")),
    Case(
        "text in a float column",
        set_cell("rgc_spells", 4, "monthly_amount_eur", "seiscientos"),
        (S, "row 4", "monthly_amount_eur", "'seiscientos' is not a number"),
    ),
    Case("thousands separator", set_cell("sauss_interventions", 3, "amount_eur", "1.234,56")),
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
        "date before the study period",
        set_cell("rgc_spells", 2, "start_date", "01/02/2003"),
        (S, "row 2", "start_date", "is before 01/01/2010"),
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
    ),
    Case("document with spaces and lower case", set_cell("sauss_persons", 3, "doc_number", "71234567-w")),
    Case(
        "duplicate key",
        set_cell("sauss_interventions", 4, "intervention_id", "I0002"),
        (IV, "rows 3 and 4", "intervention_id", "duplicate value 'I0002'"),
    ),
    Case("Latin-1 file", reencode("sauss_persons", "latin-1")),
    Case("cp1252 file", reencode("ceas", "cp1252")),
    Case("UTF-8 with BOM", reencode("sauss_persons", "utf-8-sig")),
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
        ("rgc_members.csv", "", "", "found rgc_members.xlsx instead: a spreadsheet; export it as CSV"),
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
        (P, "row 3", "disability_pct", "'150' is above the maximum 100"),
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
    Case("missing required file", remove("rgc_spells"), (S, "", "", "file missing")),
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
        (P, "row 2", "sex", "other extracts with problems (see the log): rgc_spells.csv"),
    ),
]


# --- running a case ---------------------------------------------------------------------------------


@cache
def clean_raw_files() -> dict[str, bytes]:
    """The bytes of every clean extract (written once, copied into each case's folder)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_valid_raw(Path(tmp))
        return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def run_case(case: Case, root: Path) -> tuple[Paths, ExtractError | None]:
    """Write the clean folder under ``root``, corrupt it, run ingest; return paths and the error if any."""
    paths = Paths(root)
    paths.raw.mkdir(parents=True)
    for name, data in clean_raw_files().items():
        (paths.raw / name).write_bytes(data)
    paths.clean.mkdir(parents=True)
    (paths.clean / "previous.txt").write_text("output of an earlier run")
    case.corrupt(paths)
    try:
        ingest.run(paths, params())
    except ExtractError as err:
        return paths, err
    return paths, None


@pytest.fixture(scope="module")
def clean_frames(tmp_path_factory) -> dict[str, pd.DataFrame]:
    paths, err = run_case(CASES[0], tmp_path_factory.mktemp("clean"))
    assert err is None
    return {s: pd.read_parquet(paths.clean / f"{s}.parquet") for s in codebook.sources()}


def test_there_are_enough_cases():
    assert len(CASES) >= 30
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Case, tmp_path: Path, clean_frames: dict[str, pd.DataFrame]):
    paths, err = run_case(case, tmp_path)
    if case.error is None:
        assert err is None, f"should read, got: {err}"
        for source, expected in clean_frames.items():
            got = pd.read_parquet(paths.clean / f"{source}.parquet")
            if source in case.differs:
                case.differs[source](got)
            else:
                pd.testing.assert_frame_equal(got, expected)
        return
    assert err is not None, "should fail with ExtractError"
    message = str(err)
    file, row, column, fragment = case.error
    assert message.startswith(f"{file}: ")
    for part in (row, column, fragment):
        assert part in message
    if row and column:
        assert re.search(rf"{row}\b[^;]*column", message), "row and column should be named together"
    if case.hidden:
        assert case.hidden not in message
    assert sorted(p.name for p in paths.clean.iterdir()) == ["previous.txt"], "clean output was touched"
    assert sorted(p.name for p in paths.interim.iterdir()) == ["clean"], "temporary output left behind"
    assert not (paths.metrics / "ingest.json").exists()


def test_invalid_document_is_counted_in_metrics_and_warnings(tmp_path: Path):
    case = next(c for c in CASES if c.name.startswith("invalid DNI"))
    paths, err = run_case(case, tmp_path)
    assert err is None
    metrics = json.loads((paths.metrics / "ingest.json").read_text())
    assert metrics["sources"]["sauss_persons"]["invalid_documents"] == 1
    assert metrics["sources"]["rgc_members"]["invalid_documents"] == 0
    warnings = pd.read_csv(paths.clean / "warnings.csv")
    assert warnings[["source", "row", "column"]].values.tolist() == [["sauss_persons", 3, "doc_number"]]
    assert "71234567" not in (paths.clean / "warnings.csv").read_text()


def test_missing_optional_file_is_noted_in_metrics(tmp_path: Path):
    case = next(c for c in CASES if c.name == "missing optional file")
    paths, err = run_case(case, tmp_path)
    assert err is None
    metrics = json.loads((paths.metrics / "ingest.json").read_text())
    assert metrics["sources"]["employment_episodes"] == {
        "file": "employment_episodes.csv",
        "delivered": False,
        "rows": None,
    }
    assert metrics["sources"]["sauss_persons"]["delivered"] is True
    assert metrics["sources_delivered"] == len(list(paths.raw.glob("*.csv")))


def messages() -> list[tuple[str, str]]:
    """Return ``(case, outcome)`` for every case: the ExtractError message or ``reads correctly``."""
    out = []
    for case in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            _, err = run_case(case, Path(tmp))
            text = str(err).replace(f"{tmp}/", "") if err else "reads correctly"
        out.append((case.name, text))
    return out


def main() -> None:
    """Print each case and its message as a Markdown list (``python -m tests.test_bad_inputs``)."""
    for name, outcome in messages():
        print(f"- **{name}**: `{outcome}`")


if __name__ == "__main__":
    import logging

    logging.disable(logging.WARNING)
    sys.exit(main())
