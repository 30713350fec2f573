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
from pact_analysis.config import Paths
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
)
_NO_TRUTH = (
    "These extracts were delivered as real data (data.source: files).\n"
    "There is no ground truth for real data: validation against truth is skipped.\n"
)


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
    persons = population.align_registration(persons, rgc["spells"])
    next(steps)
    outcomes = {
        "ceas": ceas,
        "rgc": rgc,
        "interventions": services.simulate_sauss_interventions(
            persons, rgc["spells"], params, rng["interventions"]
        ),
        "employment": services.simulate_employment(persons, rgc["spells"], params, rng["employment"]),
        "ngo": services.simulate_ngo(persons, rgc["spells"], params, rng["ngo"]),
    }
    next(steps)
    outcomes["pilot"] = pilot.simulate_pilot(persons, rgc["spells"], ceas, params, rng["pilot"])
    next(steps)
    built = records.build_records(persons, outcomes, params, rng)
    for _ in steps:
        pass
    truth = {
        "persons": persons,
        "records": built["records"],
        "noise_log": built["noise_log"],
        "rgc_spells": rgc["spells"],
        "pilot_effects": outcomes["pilot"]["effects"],
    }
    return {"raw": built["raw"], "truth": truth, "hazard": rgc["hazard"]}


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
        Where to write the row counts as JSON (``metrics/synthesize.json``).

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
    if metrics is not None:
        log = sim["truth"]["noise_log"]
        write_json(
            Path(metrics),
            {
                "n_persons": int(len(sim["truth"]["persons"])),
                "rows": counts,
                "noise": log.groupby(["source", "noise_type"]).size().unstack(fill_value=0).to_dict("index"),
            },
        )
    return counts


def stage_files(extracts: Path, raw_dir: Path, truth_dir: Path) -> list[str]:
    """Copy the delivered extracts (``*.csv``, ``*.xlsx``) into ``raw_dir`` and write a truth README.

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


def run(paths: Paths, params: dict[str, Any]) -> None:
    """The ``synthesize`` stage: generate the synthetic region or stage the delivered extracts."""
    source = params["data"]["source"]
    if source == "synthetic":
        generate(params, paths.raw, paths.truth, paths.metrics / "synthesize.json")
    elif source == "files":
        stage_files(paths.extracts, paths.raw, paths.truth)
    else:
        raise StageError(f"params.yaml data.source must be 'synthetic' or 'files', not {source!r}")
