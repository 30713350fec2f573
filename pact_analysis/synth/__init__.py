"""The synthetic Castilla y León region: writes ``data/raw`` (the extracts) and ``data/truth``.

:func:`generate` runs region -> population -> outcomes (RGC spells, SAUSS interventions, employment,
NGO attention, pilot) -> person records with identity noise, and writes every raw extract in the
codebook's ``raw_format`` plus the ground truth as Parquet. Every component draws from its own child of
``numpy.random.SeedSequence(params["seed"])`` (:data:`STREAMS`), so the same seed gives byte-identical
files and adding a component at the end does not change the others.

:func:`run` is the ``synthesize`` stage: with ``data.source: files`` it stages the delivered extracts
from ``data/extracts`` instead.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pact_analysis import codebook
from pact_analysis.errors import StageError
from pact_analysis.extracts import write_extract
from pact_analysis.io import atomic_dir, progress, write_json

#: Named random streams, in spawn order (append only: inserting shifts every later stream).
STREAMS = (
    "population",
    "rgc",
    "interventions",
    "employment",
    "ngo",
    "pilot",
    "sauss_persons",
    "rgc_members",
    "employment_persons",
    "ngo_attention",
    "pilot_admin",
    "rgc_files",
)
_NO_TRUTH = (
    "These extracts were delivered as real data (data.source: files).\n"
    "There is no ground truth for real data: validation against truth is skipped.\n"
)


#: File of the truth folder with the rows per extract and the identity errors per source and kind.
COUNTS_FILE = "counts.json"


def streams(seed: int) -> dict[str, np.random.Generator]:
    """Return one independent generator per component name of :data:`STREAMS`."""
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    return {name: np.random.default_rng(child) for name, child in zip(STREAMS, children, strict=True)}


def simulate(params: dict[str, Any]) -> dict[str, Any]:
    """Simulate the region in memory.

    Parameters
    ----------
    params : dict
        Project parameters (``seed``, ``data``, ``synthetic``).

    Returns
    -------
    dict
        ``"raw"`` (DataFrame per codebook source), ``"truth"`` (DataFrame per truth Parquet file) and
        ``"hazard"`` (the true hazard model).
    """
    from pact_analysis.synth import pilot, population, records, region, services, spells

    rng = streams(int(params["seed"]))
    ceas = region.make_ceas()
    steps = iter(progress(range(8), desc="synthesize"))
    next(steps)
    persons = population.make_population(int(params["synthetic"]["n_persons"]), rng["population"], params)
    next(steps)
    rgc = spells.simulate_rgc(persons, params, rng["rgc"])
    true_start = rgc["spells"].set_index("spell_id")["start_date"]
    # the other registries (and the pilot's chronicity score) see the RGC's years only: a file
    # inherited from the IMI is seen from synthetic.start_date; the RGC registry keeps its true start
    seen = spells.within_window(rgc["spells"], params)
    persons = population.align_registration(persons, seen)
    next(steps)
    # the pilot is chosen on the spells running at its start; its effect then changes the spells
    # of the participants after that day, before the services that follow from the spells
    pilot_outcomes = pilot.simulate_pilot(persons, seen, ceas, params, rng["pilot"])
    admin = pilot.apply_admin_effect(persons, seen, pilot_outcomes["assignment"], params, rng["pilot_admin"])
    seen = admin["spells"]
    rgc = rgc | {"spells": seen.assign(start_date=seen["spell_id"].map(true_start))}
    outcomes = {
        "ceas": ceas,
        "rgc": rgc,
        "interventions": services.simulate_sauss_interventions(persons, seen, params, rng["interventions"]),
        "employment": services.simulate_employment(persons, seen, params, rng["employment"]),
        "ngo": services.simulate_ngo(persons, seen, params, rng["ngo"]),
    }
    next(steps)
    outcomes["pilot"] = pilot_outcomes
    # the registry's files: some episodes interrupted for a few days (two files, one episode)
    files = spells.administrative_files(rgc["spells"], persons, params, rng["rgc_files"])
    outcomes["rgc"] = rgc | {"spells": files["files"], "members": files["members"]}
    next(steps)
    built = records.build_records(persons, outcomes, params, rng)
    for _ in steps:
        pass
    truth = {
        "persons": persons,
        "records": built["records"],
        "noise_log": built["noise_log"],
        "rgc_spells": rgc["spells"],
        "rgc_files": files["files"],
        "pilot_effects": outcomes["pilot"]["effects"],
        "pilot_admin_effects": admin["truth"],
    }
    spell_counts = files["counts"] | {
        "left_truncated": int((rgc["spells"]["truncation_months"] > 0).sum()),
    }
    return {"raw": built["raw"], "truth": truth, "hazard": rgc["hazard"], "spell_counts": spell_counts}


def _write_parquet(df: pd.DataFrame, path: Path) -> None:
    """Write Parquet deterministically: no index, no pandas timestamps, fixed compression."""
    df.reset_index(drop=True).to_parquet(path, engine="pyarrow", index=False, compression="zstd")


def generate(
    params: dict[str, Any], raw_dir: Path, truth_dir: Path, metrics: Path | None = None
) -> dict[str, int]:
    """Generate the synthetic region and write it atomically.

    Parameters
    ----------
    params : dict
        Project parameters.
    raw_dir : Path
        Destination of the raw extracts (one CSV per codebook source; replaced as a whole).
    truth_dir : Path
        Destination of the truth files (replaced as a whole).
    metrics : Path, optional
        Where to write the headline counts as JSON (``metrics/synthesize.json``: persons, rows of every
        extract, identity errors introduced); the rows per extract and the errors per source and kind
        go to ``truth_dir/counts.json``.

    Returns
    -------
    dict
        Rows per raw source.
    """
    sim = simulate(params)
    with atomic_dir(Path(raw_dir)) as tmp:
        for source in progress(sorted(codebook.sources()), desc="raw extracts"):
            write_extract(sim["raw"][source], source, tmp)
    with atomic_dir(Path(truth_dir)) as tmp:
        for name in progress(sorted(sim["truth"]), desc="truth"):
            _write_parquet(sim["truth"][name], tmp / f"{name}.parquet")
        write_json(tmp / "hazard.json", sim["hazard"])
    counts = {source: int(len(sim["raw"][source])) for source in sorted(sim["raw"])}
    noise = sim["truth"]["noise_log"].groupby(["source", "noise_type"]).size().unstack(fill_value=0)
    detail = {
        "n_persons": int(len(sim["truth"]["persons"])),
        "rows": counts,
        "noise": noise.to_dict("index"),
        "spells": sim["spell_counts"],
    }
    write_json(Path(truth_dir) / COUNTS_FILE, detail)
    if metrics is not None:
        write_json(
            Path(metrics),
            {
                "n_persons": detail["n_persons"],
                "rows": int(sum(counts.values())),
                "identity_errors": int(noise.to_numpy().sum()),
                # records written before their person moved to another province (issue 22)
                "moved_between_provinces": int(noise["province_moved"].sum())
                if "province_moved" in noise
                else 0,
                **sim["spell_counts"],
            },
        )
    return counts


def stage_files(extracts: Path, raw_dir: Path, truth_dir: Path) -> list[str]:
    """Copy the delivered extracts (``*.csv``, ``*.xlsx``) into ``raw_dir`` and write a truth README.

    Parameters
    ----------
    extracts : Path
        The delivered extracts (``data/extracts``).
    raw_dir : Path
        Destination (``data/raw``; replaced as a whole).
    truth_dir : Path
        Destination of the truth README (``data/truth``; replaced as a whole).

    Returns
    -------
    list of str
        The file names staged, sorted.

    Raises
    ------
    StageError
        If ``extracts`` holds no extract.
    """
    files = sorted(
        p for p in Path(extracts).glob("*") if p.suffix.lower() in (".csv", ".xlsx") and p.is_file()
    )
    if not files:
        raise StageError(
            f"data.source is 'files' but {extracts} holds no extract (*.csv or *.xlsx): put the delivered "
            "extracts there or set data.source: synthetic in params.yaml"
        )
    with atomic_dir(Path(raw_dir)) as tmp:
        for path in progress(files, desc="stage extracts"):
            shutil.copy2(path, tmp / path.name)
    with atomic_dir(Path(truth_dir)) as tmp:
        (tmp / "README.txt").write_text(_NO_TRUTH, encoding="utf-8")
    return [p.name for p in files]


def data_lines(path: Path) -> int | None:
    """Return the non-blank lines after the header of a CSV file (``None`` for a spreadsheet).

    A cheap count that needs no decoding (every accepted encoding ends lines with a line feed); the
    ``ingest`` stage counts the parsed records. Nothing of the content is returned.
    """
    if Path(path).suffix.lower() != ".csv":
        return None
    lines = [line for line in Path(path).read_bytes().splitlines() if line.strip()]
    return max(len(lines) - 1, 0)


def staged_metrics(raw_dir: Path, staged: list[str]) -> dict[str, Any]:
    """Return the ``synthesize`` metrics of a files-mode run: what was staged, what was not delivered.

    Parameters
    ----------
    raw_dir : Path
        Where the extracts were staged.
    staged : list of str
        The staged file names (:func:`stage_files`).

    Returns
    -------
    dict
        ``source`` (``"files"``), ``staged`` (file name -> ``bytes`` and ``data_lines``) and
        ``not_delivered`` (codebook files absent, with ``required`` telling whether the run can go on).
        File names and counts only: never a value from an extract.
    """
    files = {spec["file"]: spec for spec in codebook.sources().values()}
    return {
        "source": "files",
        "staged": {
            name: {
                "bytes": (Path(raw_dir) / name).stat().st_size,
                "data_lines": data_lines(Path(raw_dir) / name),
            }
            for name in staged
        },
        "not_delivered": {
            name: {"required": bool(spec.get("required"))}
            for name, spec in files.items()
            if name not in staged
        },
    }
