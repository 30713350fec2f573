"""Coverage of the pilot evaluation's 95% intervals over seeds of the default synthetic region.

For each seed the region is simulated in memory (``pact_analysis.synth.simulate``) and the evaluation
(:func:`pact_analysis.evaluation.evaluate`) runs on tables keyed by the true person (no linkage
error: the estimators are checked where they are correctly specified, ARCHITECTURE.md "Validation
against the truth"). Writes ``benchmarks/pilot_coverage.json``: per seed and pooled, the share of the
true effects (per MDTSE dimension and administrative outcome) inside their intervals, the largest
standardised difference after matching and the heterogeneity interaction against its truth (and,
per seed, whether its interval excludes 0: the built-in heterogeneity is detected).

Run: ``python benchmarks/pilot_coverage.py [--seeds 5]`` (about a minute per seed).
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from pathlib import Path

import pandas as pd

from pact_analysis import evaluation, synth
from pact_analysis.params import load_params
from pact_analysis.paths import ROOT

OUT = Path(__file__).with_suffix(".json")


def tables_from_simulation(sim: dict) -> dict[str, pd.DataFrame]:
    """The tables :func:`evaluation.read_processed` returns, keyed by the true person (``person_key``)."""
    raw, truth = sim["raw"], sim["truth"]
    to_person = truth["records"].set_index("record_id")["person_id"]

    def keyed(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(person_key=frame["record_id"].map(to_person)).drop(columns="record_id")

    persons = truth["persons"].assign(birth_year=lambda f: pd.to_datetime(f["birth_date"]).dt.year)
    return {
        "pilot_assignment": keyed(raw["pilot_assignment"]),
        "mdtse_assessments": keyed(raw["mdtse_assessments"]),
        "satisfaction_surveys": keyed(raw["satisfaction_surveys"]),
        "employment_episodes": keyed(raw["employment_episodes"]),
        "rgc_spells": truth["rgc_spells"].rename(columns={"person_id": "person_key"}),
        "persons": persons.rename(columns={"person_id": "person_key"}),
        "ceas": raw["ceas"],
    }


def one_seed(seed: int) -> dict:
    """Evaluate the default region simulated with ``seed``; return its coverage record."""
    params = copy.deepcopy(load_params(ROOT / "params.yaml"))
    params["seed"] = seed
    sim = synth.simulate(params)
    result = evaluation.evaluate(
        tables_from_simulation(sim), params, evaluation.true_effects_from(sim["truth"])
    )
    check, het = result["validation"], result["heterogeneity"]
    return {
        "seed": seed,
        "covered": check["covered"].astype(bool).to_dict(),
        "coverage": float(check["covered"].mean()),
        "max_abs_smd": result["max_abs_smd"],
        "heterogeneity": het
        | {"covered": het["ci_low"] <= het["truth"] <= het["ci_high"], "detected": het["ci_low"] > 0},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    began = time.time()
    runs = [one_seed(20151101 + i) for i in range(args.seeds)]
    covered = [v for run in runs for v in run["covered"].values()]
    per_effect = pd.DataFrame([run["covered"] for run in runs]).mean().to_dict()
    report = {
        "seeds": [r["seed"] for r in runs],
        "coverage": sum(covered) / len(covered),
        "intervals": len(covered),
        "coverage_per_effect": per_effect,
        "max_abs_smd": max(r["max_abs_smd"] for r in runs),
        "heterogeneity_detected": sum(r["heterogeneity"]["ci_low"] > 0 for r in runs),
        "heterogeneity_covered": sum(bool(r["heterogeneity"]["covered"]) for r in runs),
        "heterogeneity_detected_per_seed": {r["seed"]: bool(r["heterogeneity"]["detected"]) for r in runs},
        "parameters": {
            k: load_params(ROOT / "params.yaml")["synthetic"]["pilot"][k]
            for k in ("effect_mean", "effect_chronic_extra", "person_shock_sd", "effect_sd")
        },
        "runs": runs,
        "seconds": round(time.time() - began, 1),
    }
    OUT.write_text(json.dumps(report, indent=2, default=float) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in report.items() if k != "runs"}, indent=2, default=float))


if __name__ == "__main__":
    main()
