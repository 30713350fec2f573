"""One extract, then the whole delivery: read, check across files, account for it, write it.

:func:`read_extract` reads one file (structure, types, contract); :func:`read_folder` reads every
codebook source of a folder, checks the references between files and collects the problems (which
refuse the delivery) and the notices (warnings). :func:`write_clean` writes what the ``ingest`` stage
publishes in ``data/interim/clean``; :func:`read_clean`, :func:`read_delivery` and
:func:`read_warnings` read it back for the later stages and the reports.

Files are named as the user knows them: in files mode ``data/extracts/<file>`` (the extracts are
staged from there into ``data/raw``), otherwise by their file name.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pact_analysis import codebook, schemas
from pact_analysis.errors import ExtractError, StageError
from pact_analysis.ingest import parsers, reading, validation
from pact_analysis.ingest.problems import Notice, Problem, crash_text, guarded, log, summarise
from pact_analysis.io import progress, write_json
from pact_analysis.paths import Paths
from pact_analysis.workers import beside

#: Which extracts were delivered and how they were read, beside the clean tables.
DELIVERY_FILE = "delivery.json"
#: File of ``data/interim/ingest`` with each delivered extract's format, dropped columns and blank shares.
DETAILS_FILE = "details.json"
#: The warnings of the run (file, column, rows, blank share), beside the clean tables.
WARNINGS_FILE = "warnings.json"
#: One row per DNI/NIE failing its check letter (source, row, column), beside the clean tables.
DOCUMENTS_FILE = "warnings.csv"
_SPREADSHEETS = (".xlsx", ".xls", ".ods")


@dataclass
class Extract:
    """One extract read: its typed frame, its format, its warnings and its invalid documents."""

    frame: pd.DataFrame
    info: dict[str, Any]
    notices: list[Notice] = field(default_factory=list)
    documents: list[Problem] = field(default_factory=list)


#: Bytes of the largest extract from which it is read in a worker (:func:`read_folder`): at 100,000
#: persons the interventions' file is 31 MB; below, a worker's start costs about what it saves.
APART_FROM_BYTES = 16_000_000


@dataclass
class Delivery:
    """Every codebook source of a folder, read.

    ``frames`` has one typed frame per source (an empty one for an extract not delivered); ``info``
    the format of each (``delivered`` tells an absent extract from a delivered empty one);
    ``failures`` the problems by file (the delivery is refused if there is any); ``notices`` the
    warnings; ``documents`` the rows whose DNI/NIE fails its check letter (:func:`document_rows`);
    ``shown_in`` the folder the user knows the files by (``None``: file names alone).
    """

    frames: dict[str, pd.DataFrame]
    info: dict[str, dict[str, Any]]
    failures: dict[str, list[str]]
    notices: list[Notice]
    documents: list[dict[str, Any]]
    shown_in: str | None = None


def required_sources() -> list[str]:
    """Return the sources every region must deliver (codebook ``required: true``)."""
    return [name for name, spec in codebook.sources().items() if spec.get("required")]


def shown_name(source: str, shown_in: str | None = None) -> str:
    """Return a source's file as messages name it: ``data/extracts/rgc_spells.csv`` or ``rgc_spells.csv``."""
    name = codebook.sources()[source]["file"]
    return f"{shown_in}/{name}" if shown_in else name


# --- one extract ------------------------------------------------------------------------------------


def read_one(path: Path, source: str, extraction_date: Any, file: str | None = None) -> Extract:
    """Read, parse and validate one extract; never raise anything but :class:`ExtractError`.

    Parameters
    ----------
    path : Path
        The CSV file.
    source : str
        Its source name in the codebook.
    extraction_date : date-like
        Latest acceptable date (``params["data"]["extraction_date"]``).
    file : str, optional
        The file as messages name it (default: its file name).

    Returns
    -------
    Extract
        The typed frame (codebook columns and dtypes, indexed by spreadsheet row number, index name
        ``row``), its format (encoding, delimiter, decimal; ``dropped`` columns) and its warnings.

    Raises
    ------
    ExtractError
        Naming the file, rows and columns of every problem found; an unexpected failure is worded as
        one problem naming the file (and the column where it happened).
    """
    file = file or Path(path).name
    try:
        return _read_one(path, source, extraction_date, file)
    except ExtractError:
        raise
    except Exception as err:  # noqa: BLE001 - the user gets a message, never a traceback
        log.debug("%s: unexpected %s", file, type(err).__name__)
        raise ExtractError(file, [crash_text(err, "read")]) from None


def _read_one(path: Path, source: str, extraction_date: Any, file: str) -> Extract:
    text, info = reading.read_text(path, source, file)
    if text.empty and codebook.sources()[source].get("required"):
        raise ExtractError(file, ["row 2: no data rows (header only); this extract is required"])
    frame, decimal, problems = parsers.parse_columns(text, source)
    if not any(p.kind == "crash" for p in problems):
        problems += validation.validate(frame, text, source, extraction_date)
    if problems:
        raise ExtractError(file, summarise(problems))
    documents = validation.document_warnings(frame, source)
    notices = _format_notices(info, source, file) + validation.notices(frame, source, file, extraction_date)
    notices += validation.document_notice(documents, source, file)
    info = {"encoding": info["encoding"], "delimiter": info["delimiter"], "decimal": decimal}
    return Extract(frame, info, notices, documents)


def _format_notices(info: dict[str, Any], source: str, file: str) -> list[Notice]:
    out = [
        Notice(
            file, source, name, "dropped_column", "not a codebook column: dropped before anything was written"
        )
        for name in info.get("dropped", [])
    ]
    if info.get("cut_off") is not None:
        text = (
            "the last line has no line break at its end: the file may have been cut off (compare its last "
            "rows and its row count with the source system)"
        )
        out.append(Notice(file, source, None, "cut_off", text, (int(info["cut_off"]),)))
    return out


def read_extract(path: Path, source: str, extraction_date: Any) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read, parse and validate one raw extract.

    Parameters
    ----------
    path : Path
        The CSV file.
    source : str
        Its source name in the codebook.
    extraction_date : date-like
        Latest acceptable date (``params["data"]["extraction_date"]``).

    Returns
    -------
    tuple
        The typed frame (codebook columns and dtypes, indexed by spreadsheet row number, index name
        ``row``) and a dict describing the file's format (encoding, delimiter, decimal).

    Raises
    ------
    ExtractError
        Naming the file, rows and columns of every problem found.
    """
    extract = read_one(path, source, extraction_date)
    return extract.frame, extract.info


# --- the whole delivery -----------------------------------------------------------------------------


def read_folder(
    raw: Path, extraction_date: Any, shown_in: str | None = None, originals: Path | None = None
) -> Delivery:
    """Read every codebook source from ``raw`` and check the references between them.

    Parameters
    ----------
    raw : Path
        The folder of the extracts (``data/raw``).
    extraction_date : date-like
        Latest acceptable date.
    shown_in : str, optional
        The folder messages name the files in (``data/extracts`` in files mode).
    originals : Path, optional
        Where the user put the files (``data/extracts``), searched for a spreadsheet delivered instead
        of a missing CSV; defaults to ``raw``.

    Returns
    -------
    Delivery
        Frames, formats, problems by file and warnings. The progress bar is closed (and its line
        ended) before this returns, so that what is logged next starts on its own line.
    """
    out = Delivery({}, {}, {}, [], [], shown_in)
    raw, originals = Path(raw), Path(originals or raw)
    sources = list(codebook.sources())
    # the largest extract (the interventions: half the bytes) is read in a worker meanwhile
    sizes = {s: _size(raw / codebook.sources()[s]["file"]) for s in sources}
    largest = max(sources, key=sizes.__getitem__)
    apart = sizes[largest] >= APART_FROM_BYTES
    with beside(_read_apart, raw, largest, extraction_date, shown_in, originals, apart=apart) as pending:
        parts = {}
        for source in progress([*(s for s in sources if s != largest), largest], desc="ingest"):
            if source == largest:
                parts[source] = pending.result()
            else:
                parts[source] = _read_apart(raw, source, extraction_date, shown_in, originals)
    _end_progress_line()
    for source in sources:  # in the codebook's order, as if read one after another
        part = parts[source]
        out.frames |= part.frames
        out.info |= part.info
        out.failures |= part.failures
        out.notices += part.notices
        out.documents += part.documents
    good = {s: f for s, f in out.frames.items() if shown_name(s, shown_in) not in out.failures}
    for source in out.frames:
        if out.info[source]["delivered"] and source in good:
            broken = validation.reference_problems(good, source)
            if broken:
                out.failures.setdefault(shown_name(source, shown_in), []).extend(summarise(broken))
    if "rgc_spells" in good and "rgc_members" in good:
        _cross_notices(out, good, shown_name("rgc_spells", shown_in))
    return out


def _cross_notices(out: Delivery, good: dict[str, pd.DataFrame], file: str) -> None:
    """Add the warnings that need two files (an RGC head under age); a crash is a warning too."""
    crashed: list[Problem] = []
    with guarded(crashed, "start_date", "checked against the heads' birth dates"):
        out.notices += validation.head_age_notices(good, file)
    out.notices += [Notice(file, "rgc_spells", p.column, "crash", p.text) for p in crashed]


def _size(path: Path) -> int:
    """Bytes of a file (0 when it is absent)."""
    return path.stat().st_size if path.is_file() else 0


def _read_apart(
    raw: Path, source: str, extraction_date: Any, shown_in: str | None, originals: Path
) -> Delivery:
    """One source read into a delivery of its own (:func:`read_folder` merges them in order)."""
    out = Delivery({}, {}, {}, [], [], shown_in)
    _read_source(out, raw, source, extraction_date, originals)
    return out


def _read_source(out: Delivery, raw: Path, source: str, extraction_date: Any, originals: Path) -> None:
    spec = codebook.sources()[source]
    path, file = raw / spec["file"], shown_name(source, out.shown_in)
    if not path.exists():
        other = _spreadsheet_instead(originals / spec["file"]) or _spreadsheet_instead(path)
        if spec.get("required") or other:
            out.failures[file] = [_missing_text(bool(spec.get("required")), other)]
        out.frames[source], out.info[source] = _absent(source)
        return
    try:
        extract = read_one(path, source, extraction_date, file)
    except ExtractError as err:
        out.failures[err.file] = err.problems
        out.frames[source], out.info[source] = _absent(source)
        return
    out.frames[source], out.info[source] = extract.frame, extract.info | {"delivered": True}
    out.notices += extract.notices
    out.documents += _document_records(extract.documents, source)


def _end_progress_line() -> None:
    """End the progress bar's line in a captured log (a terminal's bar is already cleared)."""
    if not sys.stderr.isatty():
        sys.stderr.write("\n")
        sys.stderr.flush()


def read_all(
    raw: Path, extraction_date: Any
) -> tuple[dict[str, pd.DataFrame], dict[str, Any], dict[str, list[str]]]:
    """Read every codebook source from ``raw`` (:func:`read_folder` without its warnings).

    Returns
    -------
    tuple
        Typed frames by source (an empty typed frame for an absent optional extract), the format
        information by source (``delivered`` tells an absent extract from a delivered empty one) and
        the problems by file name (empty if everything is valid).
    """
    found = read_folder(raw, extraction_date)
    return found.frames, found.info, found.failures


def _spreadsheet_instead(path: Path) -> Path | None:
    found = [path.with_suffix(ext) for ext in _SPREADSHEETS if path.with_suffix(ext).exists()]
    return found[0] if found else None


def _missing_text(required: bool, other: Path | None) -> str:
    text = "file missing" + (" (a required extract)" if required else "")
    if other:
        text += f"; found {other.name} instead: a spreadsheet; export it as CSV (semicolon-separated, UTF-8)"
    return text


def _absent(source: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    frame = schemas.empty_frame(source)
    frame.index = pd.Index([], dtype="int64", name="row")
    return frame, {"delivered": False}


def refuse(delivered: Delivery) -> None:
    """Raise one :class:`ExtractError` for the first file with problems; log the others.

    Parameters
    ----------
    delivered : Delivery
        The delivery read (:func:`read_folder`); nothing happens if it has no problem.

    Raises
    ------
    ExtractError
        Naming the first failing file in codebook order, and listing the other failing files.
    """
    if not delivered.failures:
        return
    order = [shown_name(s, delivered.shown_in) for s in codebook.sources()]
    files = sorted(delivered.failures, key=lambda f: order.index(f) if f in order else len(order))
    for other in files[1:]:
        log.error("%s", ExtractError(other, delivered.failures[other]))
    problems = list(delivered.failures[files[0]])
    if len(files) > 1:
        problems.append(f"other extracts with problems (see the log): {', '.join(files[1:])}")
    raise ExtractError(files[0], problems)


def warn(delivered: Delivery) -> None:
    """Log every warning of the delivery (each on its own line, after the progress bar)."""
    for notice in delivered.notices:
        log.warning("%s", notice)


def account(delivered: Delivery) -> None:
    """Log the warnings, refuse the delivery if any extract failed, else log what was delivered.

    Parameters
    ----------
    delivered : Delivery
        The delivery read (:func:`read_folder`).

    Raises
    ------
    ExtractError
        If any extract has a problem (:func:`refuse`); its warnings are logged first, so that one
        run shows everything there is to fix.
    """
    warn(delivered)
    refuse(delivered)
    log.info("%s", delivery_summary(delivery(delivered.frames, delivered.info)))


# --- accounting -------------------------------------------------------------------------------------


def delivery(frames: dict[str, pd.DataFrame], info: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return, per source, its file, whether it was delivered and its rows (``None`` if not delivered).

    A delivered extract with a header and no data row has 0 rows; an extract that was not delivered
    has no row count at all, so that no report shows it as an empty delivery.

    Parameters
    ----------
    frames : dict of str to DataFrame
        Typed frames by source (:func:`read_folder`).
    info : dict
        Format information by source, with ``delivered``.
    """
    return {
        source: {
            "file": codebook.sources()[source]["file"],
            "delivered": bool(info[source]["delivered"]),
            "rows": len(frame) if info[source]["delivered"] else None,
        }
        for source, frame in frames.items()
    }


def delivery_summary(delivered: dict[str, dict[str, Any]]) -> str:
    """Return one line for logs: ``"5 of 10 sources delivered; not delivered: a.csv, b.csv"``.

    Parameters
    ----------
    delivered : dict
        Output of :func:`delivery` (or :func:`read_delivery`).
    """
    absent = [entry["file"] for entry in delivered.values() if not entry["delivered"]]
    text = f"{len(delivered) - len(absent)} of {len(delivered)} sources delivered"
    return text + (f"; not delivered: {', '.join(absent)}" if absent else "")


def document_rows(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Return one row per DNI/NIE failing its check letter: ``source``, ``row``, ``column``, ``warning``.

    Parameters
    ----------
    frames : dict of str to DataFrame
        Typed frames by source.
    """
    return _document_frame(
        [row for s, f in frames.items() for row in _document_records(validation.document_warnings(f, s), s)]
    )


def _document_records(documents: list[Problem], source: str) -> list[dict[str, Any]]:
    return [{"source": source, "row": p.rows[0], "column": p.column, "warning": p.text} for p in documents]


def _document_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(records, columns=["source", "row", "column", "warning"])


def details(delivered: Delivery, extraction_date: Any) -> dict[str, Any]:
    """Return what ``delivery.json`` holds: per source its delivery, format and blank shares.

    An extract that was not delivered has ``delivered: false`` and ``rows: null`` and nothing else; a
    delivered one adds ``encoding``, ``delimiter``, ``decimal``, ``dropped_columns``,
    ``invalid_documents`` (person sources) and ``missing_share`` per column.
    """
    documents = _document_frame(delivered.documents)
    dropped = {(n.source, n.column) for n in delivered.notices if n.kind == "dropped_column"}
    out: dict[str, Any] = {}
    for source, entry in delivery(delivered.frames, delivered.info).items():
        out[source] = entry
        if not entry["delivered"]:
            continue
        frame = delivered.frames[source]
        entry |= {k: v for k, v in delivered.info[source].items() if k != "delivered"}
        entry["dropped_columns"] = sorted(c for s, c in dropped if s == source)
        if "doc_number" in frame:
            entry["invalid_documents"] = int((documents["source"] == source).sum())
        blanks = frame.isna().sum()
        entry["missing_share"] = {
            col: validation.share_value(int(n), len(frame)) for col, n in blanks.items()
        }
    return {"extraction_date": str(extraction_date), "sources": out}


def metrics(delivered: Delivery) -> dict[str, Any]:
    """Return the headline figures of ``metrics/ingest.json`` (the detail is in ``delivery.json``).

    Returns
    -------
    dict
        ``sources_delivered``, ``total_rows`` (rows read), ``invalid_documents`` (DNI/NIE failing
        their check letter, kept) and ``warnings`` (entries of ``warnings.json``).
    """
    entries = delivery(delivered.frames, delivered.info).values()
    return {
        "sources_delivered": sum(entry["delivered"] for entry in entries),
        "total_rows": int(sum(len(f) for f in delivered.frames.values())),
        "invalid_documents": len(delivered.documents),
        "warnings": len(delivered.notices),
    }


def write_clean(folder: Path, delivered: Delivery, extraction_date: Any) -> None:
    """Write the clean tables, ``delivery.json``, ``warnings.json`` and ``warnings.csv`` into ``folder``.

    ``delivery.json`` says only which extracts were delivered and their rows: how they were encoded
    (:func:`write_details`) is kept apart, so that the same data exported another way (Latin-1, CRLF,
    decimal comma) leaves ``data/interim/clean`` byte-identical and ``link`` cached.

    Parameters
    ----------
    folder : Path
        An empty folder (the stage's temporary output, renamed into ``data/interim/clean`` at the end).
    delivered : Delivery
        A delivery without problems (:func:`read_folder`).
    extraction_date : date-like
        Recorded in ``delivery.json``.
    """
    folder = Path(folder)
    for source, frame in delivered.frames.items():
        frame.reset_index(drop=True).to_parquet(folder / f"{source}.parquet", index=False)
    _document_frame(delivered.documents).to_csv(folder / DOCUMENTS_FILE, index=False)
    minimal = delivery(delivered.frames, delivered.info)
    write_json(folder / DELIVERY_FILE, {"extraction_date": str(extraction_date), "sources": minimal})
    write_json(folder / WARNINGS_FILE, {"warnings": [n.record() for n in delivered.notices]})


def write_details(folder: Path, delivered: Delivery, extraction_date: Any) -> None:
    """Write :func:`details` (format, dropped columns, blank shares per extract) to ``folder/details.json``.

    Parameters
    ----------
    folder : Path
        An empty folder (renamed into ``data/interim/ingest`` at the end).
    delivered : Delivery
        A delivery without problems (:func:`read_folder`).
    extraction_date : date-like
        Recorded beside the details.
    """
    write_json(Path(folder) / DETAILS_FILE, details(delivered, extraction_date))


# --- reading it back --------------------------------------------------------------------------------


def _stage_file(paths: Paths, name: str) -> Path:
    path = paths.clean / name
    if not path.exists():
        raise StageError(f"{path}: missing; run the ingest stage first (dvc repro ingest)")
    return path


def read_delivery(paths: Paths) -> dict[str, dict[str, Any]]:
    """Read what was delivered, with each extract's format (``data/interim/ingest/details.json``).

    Parameters
    ----------
    paths : Paths
        Project paths.

    Returns
    -------
    dict
        Per source in codebook order: ``file``, ``delivered`` (bool) and ``rows`` (``None`` when the
        extract was not delivered, 0 for a delivered empty one); for a delivered one also its format,
        dropped columns, invalid documents and missing shares (:func:`details`).

    Raises
    ------
    StageError
        If the ``ingest`` stage has not written it.
    """
    path = paths.ingest_details / DETAILS_FILE
    if not path.exists():
        raise StageError(f"{path}: missing; run the ingest stage first (dvc repro ingest)")
    sources = json.loads(path.read_text(encoding="utf-8"))["sources"]
    return {source: sources[source] for source in codebook.sources() if source in sources}


def delivered(paths: Paths) -> dict[str, bool]:
    """Return whether each source's extract was delivered (``data/interim/clean/delivery.json``).

    Parameters
    ----------
    paths : Paths
        Project paths.
    """
    sources = json.loads(_stage_file(paths, DELIVERY_FILE).read_text(encoding="utf-8"))["sources"]
    return {source: sources[source]["delivered"] for source in codebook.sources() if source in sources}


def read_warnings(paths: Paths) -> pd.DataFrame:
    """Read the warnings of the last ``ingest`` run (``data/interim/clean/warnings.json``) for a report.

    Parameters
    ----------
    paths : Paths
        Project paths.

    Returns
    -------
    DataFrame
        One row per warning: ``file`` (as the user knows it), ``source``, ``column``, ``kind``
        (``mostly_blank``, ``dropped_column``, ``cut_off``, ``unusual``, ``document``), ``message``,
        ``n_rows``, ``rows`` (the first few) and ``share`` (the blank share of a mostly blank column).
        Never a value from an extract.

    Raises
    ------
    StageError
        If the ``ingest`` stage has not written it.
    """
    entries = json.loads(_stage_file(paths, WARNINGS_FILE).read_text(encoding="utf-8"))["warnings"]
    columns = ["file", "source", "column", "kind", "message", "n_rows", "rows", "share"]
    return pd.DataFrame(entries, columns=columns)


def clean_files(paths: Paths, sources: Iterable[str] | None = None) -> dict[str, Path]:
    """The validated extracts written by the ``ingest`` stage, checked to exist.

    Parameters
    ----------
    paths : Paths
        Project paths.
    sources : iterable of str, optional
        Only these sources (default: every source of the codebook).

    Returns
    -------
    dict of str to Path
        The Parquet file of each source, in codebook order.

    Raises
    ------
    StageError
        If the ``ingest`` stage has not been run.
    """
    chosen = None if sources is None else set(sources)
    files = {s: paths.clean / f"{s}.parquet" for s in codebook.sources() if chosen is None or s in chosen}
    missing = [s for s, file in files.items() if not file.exists()]
    if missing:
        raise StageError(
            f"{paths.clean}: no clean table for {', '.join(missing)}; run the ingest stage first (dvc repro ingest)"
        )
    return files


def read_clean(paths: Paths, sources: Iterable[str] | None = None) -> dict[str, pd.DataFrame]:
    """Read the validated extracts written by the ``ingest`` stage (see :func:`clean_files`).

    Parameters
    ----------
    paths : Paths
        Project paths.
    sources : iterable of str, optional
        Read only these sources (default: every source of the codebook).

    Returns
    -------
    dict of str to DataFrame
        Typed extracts keyed by source name, in codebook order.

    Raises
    ------
    StageError
        If the ``ingest`` stage has not been run.
    """
    return {source: pd.read_parquet(file) for source, file in clean_files(paths, sources).items()}
