"""Coverage of the pilot evaluation's primary 95% intervals over many replications of the pilot design.

The design is the default region's, as the pipeline delivers it (``data/processed``, after record
linkage): the 184 participants in 8 CEAS, the assessed comparison group, the pool of non-pilot
recipients, their covariates, baseline scores and follow-up losses. Each replication redraws the
outcomes from a known model (:func:`pact_analysis.synth.pilot.redraw_mdtse` and
:func:`~pact_analysis.synth.pilot.redraw_admin`) with the nuisances the inference must survive: a CEAS
shock (``synthetic.pilot.ceas_sd``, confined to the 8 pilot CEAS when ``ceas_pilot_only``), an
unblinded assessor leniency (``assessor_sd``) and record-linkage error at the pipeline's rate
(``1 - recall + 1 - precision`` of ``metrics/linkage.json``: that share of persons carries another
person's administrative outcomes). The estimators are the evaluation's own
(:func:`pact_analysis.pilot.matched_effect`: balancing weights refined until balance holds, ANCOVA
with completion weights for the MDTSE, CR2/Bell-McCaffrey df with the CEAS jackknife of the whole
weighting and estimation). Each replication checks 10 intervals (7 MDTSE dimensions, the living
mean, leaving the RGC within 12 months, days under contract) against the mean true effect on the
participants (followed up, for the MDTSE).

Writes ``benchmarks/pilot_coverage.json``: coverage of the primary intervals (and of CR2 with fixed
weights) with its Monte Carlo standard error (from the spread of the per-replication coverage, as
the 10 intervals of one replication are not independent), per effect, and the largest imbalance.

Run: ``nice python benchmarks/pilot_coverage.py [--replications 1000]`` (about 2 s per replication).
"""

from __future__ import annotations

import pact_analysis  # noqa: F401  (first: pins OpenBLAS's kernels and threads before NumPy loads it)

# isort: split
import argparse
import json
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from pact_analysis import codebook, pilot
from pact_analysis.params import load_params
from pact_analysis.paths import ROOT, Paths
from pact_analysis.synth.pilot import redraw_admin, redraw_mdtse

OUT = Path(__file__).with_suffix(".json")
SEED = 20261204
ADMIN = ("exit_12m", "days_employed")


def design(params: dict) -> dict:
    """The fixed pilot design of the default region, its completion weights and the linkage error."""
    paths = Paths(ROOT)
    cfg = params["evaluation"]
    frames = pilot.analysis_frames(
        pilot.read_processed(paths.processed),
        cfg["pilot_start"],
        params["data"]["extraction_date"],
        params["chronicity"]["merge_gap_months"],
    )
    people, pool = frames["people"], frames["pool"]
    covs = list(pilot.MATCH_COVARIATES)
    people["w_complete"] = pilot.completion_weights(people, [*covs, "treated", "baseline_living"])
    linkage = json.loads(paths.metric("linkage").read_text(encoding="utf-8"))
    return {
        "people": people,
        "pool": pool,
        "covariates": covs,
        "pilot_ceas": set(people.loc[people["treated"] == 1, "ceas_code"].astype(str)),
        "link_error": (1 - linkage["recall"]) + (1 - linkage["precision"]),
    }


def one_replication(fixed: dict, params: dict, rep: int) -> list[dict]:
    """Redraw the outcomes, estimate the 10 effects, return one record per interval."""
    rng = np.random.default_rng([SEED, rep])
    people, truth_mdtse = redraw_mdtse(fixed["people"], fixed["pilot_ceas"], params, rng)
    pool, truth_admin = redraw_admin(fixed["pool"], fixed["pilot_ceas"], params, rng, fixed["link_error"])
    done = people.loc[people["completed"] == 1]
    covs, rows = fixed["covariates"], []
    for dim in [*codebook.mdtse_dimensions(), "living"]:
        eff = pilot.matched_effect(
            done,
            "treated",
            f"change_{dim}",
            [*covs, f"baseline_{dim}"],
            cluster="ceas_code",
            weights="w_complete",
            method=params["evaluation"]["mdtse_method"],
        )
        rows.append(record(rep, dim, eff, truth_mdtse[dim]))
    for outcome in ADMIN:
        eff = pilot.matched_effect(
            pool, "treated", outcome, covs, cluster="ceas_code", method=params["evaluation"]["admin_method"]
        )
        rows.append(record(rep, outcome, eff, truth_admin[outcome]))
    return rows


def record(rep: int, name: str, eff: pilot.Effect, truth: float) -> dict:
    """Whether the primary and the fixed-weight CR2 intervals cover ``truth``."""
    half_cr2 = stats.t.ppf(0.975, eff.df) * eff.se_cr2
    return {
        "replication": rep,
        "effect": name,
        "truth": truth,
        "estimate": eff.estimate,
        "covered": bool(eff.ci_low <= truth <= eff.ci_high),
        "covered_cr2": bool(abs(eff.estimate - truth) <= half_cr2),
        "df": eff.df,
        "balanced": bool(eff.balanced),
        "max_abs_smd": float(eff.balance["smd_after"].abs().max()),
    }


def summary(rows: pd.DataFrame, params: dict, seconds: float) -> dict:
    """Coverage with its Monte Carlo SE (over replications), per effect, and the design's nuisances."""
    per_rep = rows.groupby("replication")[["covered", "covered_cr2"]].mean()
    n = len(per_rep)
    cfg = params["synthetic"]["pilot"]
    return {
        "coverage": float(rows["covered"].mean()),
        "coverage_replications": int(n),
        "coverage_mc_se": float(per_rep["covered"].std(ddof=1) / np.sqrt(n)),
        "coverage_cr2_fixed_weights": float(rows["covered_cr2"].mean()),
        "coverage_cr2_mc_se": float(per_rep["covered_cr2"].std(ddof=1) / np.sqrt(n)),
        "intervals": int(len(rows)),
        "coverage_per_effect": rows.groupby("effect")["covered"].mean().round(4).to_dict(),
        "bias_per_effect": (rows["estimate"] - rows["truth"])
        .groupby(rows["effect"])
        .mean()
        .round(4)
        .to_dict(),
        "median_df": float(rows["df"].median()),
        "balanced_share": float(rows["balanced"].mean()),
        "max_abs_smd": float(rows["max_abs_smd"].max()),
        "nuisances": {k: cfg[k] for k in ("ceas_sd", "assessor_sd", "ceas_pilot_only")},
        "seed": SEED,
        "seconds": round(seconds, 1),
    }


_WORKER: dict = {}


def _start(params: dict) -> None:
    """Per process: the fixed design, built once; warnings of single replications silenced."""
    warnings.simplefilter("ignore")
    _WORKER.update(params=params, fixed=design(params))


def _replicate(rep: int) -> list[dict]:
    return one_replication(_WORKER["fixed"], _WORKER["params"], rep)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--workers", type=int, default=1, help="processes (each replication has its own seed)"
    )
    args = parser.parse_args()
    params = load_params(ROOT / "params.yaml")
    began = time.time()
    rows = []
    with ProcessPoolExecutor(args.workers, initializer=_start, initargs=(params,)) as pool:
        for rep, done in enumerate(pool.map(_replicate, range(args.replications), chunksize=5)):
            rows.extend(done)
            if (rep + 1) % 50 == 0 and rep + 1 < args.replications:  # a checkpoint that says it is one
                partial = summary(pd.DataFrame(rows), params, time.time() - began) | {"complete": False}
                args.out.write_text(json.dumps(partial, indent=2) + "\n", encoding="utf-8")
                print(f"{rep + 1} replications, {time.time() - began:.0f} s", flush=True)
    report = summary(pd.DataFrame(rows), params, time.time() - began) | {"complete": True}
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
