"""Benchmark the linkage of a region-scale population (default 500,000 persons) on this machine.

Generates true identities with the synthetic generator's name lists and document rules
(:mod:`pact_analysis.synth.names`, :mod:`pact_analysis.synth.identities`), spreads them over the four
person sources with the generator's identity noise (:func:`pact_analysis.synth.noise.apply_identity_noise`,
rates from ``params.yaml``), links them with :func:`pact_analysis.linkage.pipeline.link_records` and
reports wall time, peak memory (resident set of this process, DuckDB included), pairs compared and
the quality against the known truth. Goal (issue 3): under 15 minutes and 12 GB on 2 cores.

Usage::

    .venv/bin/python benchmarks/linkage_500k.py [--n-persons 500000] [--out benchmarks/linkage_500k.json]
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from pact_analysis.config import ROOT, load_params
from pact_analysis.linkage import evaluate, pipeline
from pact_analysis.synth import identities, names, noise

#: Share of persons present in each source (*assumed*, the shape of the synthetic region).
SOURCE_SHARE = {"sauss_persons": 1.0, "rgc_members": 0.3, "employment_persons": 0.5, "ngo_attention": 0.15}
NATIONALITY = {"ES": 0.88, "EU": 0.03, "MAGHREB": 0.04, "LATAM": 0.03, "SSA": 0.01, "OTHER": 0.01}


def true_persons(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Draw ``n`` true identities (names by sex and nationality group, valid DNI/NIE, birth dates)."""
    sex = rng.choice(["H", "M"], size=n)
    group = rng.choice(list(NATIONALITY), size=n, p=list(NATIONALITY.values()))
    foreign = group != "ES"
    numbers = rng.choice(10_000_000, size=n, replace=False)
    docs = np.where(
        foreign,
        identities.make_nie(np.where(rng.random(n) < 0.5, "X", "Y"), numbers),
        identities.make_dni(numbers + 10_000_000 * rng.integers(1, 9, n)),
    )
    municipalities = np.array(
        [f"{p}{m:03d}" for p in ("05", "09", "24", "34", "37", "40", "42", "47", "49") for m in range(1, 41)]
    )
    surname2 = names.draw_surnames(group, rng)
    return pd.DataFrame(
        {
            "person_id": [f"P{i:08d}" for i in range(1, n + 1)],
            "given_name": names.draw_given_names(sex, group, rng),
            "surname1": names.draw_surnames(group, rng),
            "surname2": np.where(foreign & (rng.random(n) < 0.7), None, surname2),
            "doc_type": np.where(foreign, "NIE", "DNI"),
            "doc_number": docs,
            "birth_date": pd.Timestamp("1935-01-01")
            + pd.to_timedelta(rng.integers(0, 365 * 65, n), unit="D"),
            "sex": sex,
            "nationality": group,
            "municipality_code": rng.choice(municipalities, size=n),
            "former_nie": None,
            "naturalisation_date": pd.NaT,
            "record_date": pd.Timestamp("2016-01-01"),
        }
    )


def source_records(persons: pd.DataFrame, rates: dict, rng: np.random.Generator):
    """Noisy records of every person source and the truth ``source, record_id, person_id``."""
    frames, truth = {}, []
    for source, share in SOURCE_SHARE.items():
        chosen = persons[rng.random(len(persons)) < share]
        if source == "ngo_attention":  # one row per attention: 1 to 3 attentions per person
            chosen = chosen.loc[chosen.index.repeat(rng.integers(1, 4, len(chosen)))]
        noisy, _ = noise.apply_identity_noise(chosen.reset_index(drop=True), source, rates, rng)
        truth.append(
            pd.DataFrame({"source": source, "record_id": noisy["record_id"], "person_id": noisy["person_id"]})
        )
        frames[source] = noisy.drop(columns=["person_id"])
    return frames, pd.concat(truth, ignore_index=True)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print (and optionally write) its figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-persons", type=int, default=500_000)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    params = load_params(ROOT / "params.yaml")
    rng = np.random.default_rng(params["seed"])
    start = time.perf_counter()
    persons = true_persons(args.n_persons, rng)
    frames, truth = source_records(persons, params["synthetic"]["noise"], rng)
    generated = time.perf_counter() - start
    threshold = float(params["linkage"]["threshold"])
    result = pipeline.link_records(
        frames,
        threshold=threshold,
        max_pairs_em=float(params["linkage"]["max_pairs_em"]),
        seed=params["seed"],
    )
    clusters = result.clusters.rename(columns={"source_dataset": "source", "unique_id": "record_id"})
    quality = evaluate.quality_metrics(result.predictions, clusters, result.prepared, truth, threshold)
    figures = {
        "n_persons": args.n_persons,
        "records": int(len(truth)),
        "pairs_compared": result.pairs_compared,
        "generate_seconds": round(generated, 1),
        "linkage_seconds": {k: round(v, 1) for k, v in result.timings.items()},
        "peak_memory_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2, 2),
        "pairwise": quality["pairwise"],
        "bcubed": quality["bcubed"],
        "deterministic_bcubed": quality["deterministic"]["bcubed"],
    }
    text = json.dumps(figures, indent=2, sort_keys=True)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
