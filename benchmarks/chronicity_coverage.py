"""Benchmark: validation of the chronicity statistics against the truth, pooled over several seeds.

For each seed (the project's seed, then seed + 1, ...), generates a synthetic region of
``n_persons`` into a temporary folder, runs synthesize, ingest and link, and measures

- the coverage of the true cause-specific log hazard ratios (``data/truth/hazard.json``) by the 95%
  intervals of the cause-specific Cox models fitted with the true covariates
  (:func:`pact_analysis.chronicity.validate_against_truth`);
- the predictive model on the later cohorts: C-index, AUC and calibration of the chosen model next
  to the oracle (:func:`pact_analysis.chronicity.predictive_validation`; bootstrap intervals for the
  first seed only).

Writes a JSON (default ``benchmarks/chronicity_coverage.json``) with the pooled coverage, the
coverage per cause and covariate, and the per-seed results. Not a test; run by hand::

    .venv/bin/python benchmarks/chronicity_coverage.py [n_persons] [n_seeds] [out.json]
"""

from __future__ import annotations

import pact_analysis  # noqa: F401  (first: pins OpenBLAS's kernels and threads before NumPy loads it)

# isort: split
import copy
import json
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from pact_analysis import chronicity
from pact_analysis.params import load_params
from pact_analysis.paths import ROOT

sys.path.insert(0, str(ROOT))
from tests.tiny import make_project, run_stages  # noqa: E402


def one_seed(params: dict, seed: int, n_boot: int) -> tuple[pd.DataFrame, dict]:
    """Run one region and return (truth validation table, predictive summary)."""
    params = copy.deepcopy(params)
    params["seed"] = seed
    with tempfile.TemporaryDirectory(prefix="chronicity_bench_") as tmp:
        paths = run_stages(make_project(Path(tmp) / "project", params))
        table = chronicity.validate_against_truth(paths.truth, params)
        result = chronicity.predictive_validation(paths.processed, params, truth=paths.truth, n_boot=n_boot)
    summary = dict(result["summary"])
    summary["sizes"] = result["sizes"].reset_index().to_dict("records")
    if n_boot:
        m = result["metrics"]
        summary["intervals"] = {
            f"{r.model}.{r.metric}": [round(r.ci_lower, 4), round(r.ci_upper, 4)] for r in m.itertuples()
        }
    return table.assign(seed=seed), summary


def main(n_persons: int = 20_000, n_seeds: int = 5, out: Path | None = None) -> dict:
    """Pool coverage over ``n_seeds`` regions of ``n_persons`` and write the JSON."""
    params = copy.deepcopy(load_params(ROOT / "params.yaml"))
    params["synthetic"]["n_persons"] = n_persons
    start = time.perf_counter()
    tables, summaries = [], []
    for i in range(n_seeds):
        seed = int(params["seed"]) + i
        table, summary = one_seed(
            params, seed, n_boot=int(chronicity.chronicity_params(params)["bootstrap"]) if i == 0 else 0
        )
        tables.append(table)
        summaries.append({"seed": seed, "coverage": float(table["covered"].mean()), **summary})
        print(
            f"seed {seed}: coverage {table['covered'].mean():.3f}  c_index {summary['c_index']:.3f}  "
            f"oracle {summary['oracle_c_index']:.3f}  slope {summary['calibration_slope']:.3f}",
            flush=True,
        )
    pooled = pd.concat(tables, ignore_index=True)
    by_coef = pooled.groupby(["cause", "covariate"])["covered"].mean()
    first = summaries[0]
    result = {
        "n_persons": n_persons,
        "seeds": [s["seed"] for s in summaries],
        "coverage": float(pooled["covered"].mean()),
        "coverage_n_intervals": int(len(pooled)),
        "coverage_by_cause": pooled.groupby("cause")["covered"].mean().round(4).to_dict(),
        "coverage_by_coefficient": {f"{c}.{v}": round(float(x), 4) for (c, v), x in by_coef.items()},
        "c_index": first["c_index"],
        "oracle_c_index": first["oracle_c_index"],
        "calibration_slope": first["calibration_slope"],
        "mean_over_seeds": {
            k: float(pd.Series([s[k] for s in summaries]).mean())
            for k in (
                "c_index",
                "oracle_c_index",
                "auc",
                "oracle_auc",
                "calibration_slope",
                "share_of_achievable_gain",
            )
        },
        "per_seed": summaries,
        "wall_seconds": round(time.perf_counter() - start, 1),
    }
    out = Path(out or ROOT / "benchmarks" / "chronicity_coverage.json")
    out.write_text(json.dumps(result, indent=2, default=float) + "\n", encoding="utf-8")
    print(f"pooled coverage {result['coverage']:.3f} over {len(pooled)} intervals; wrote {out}")
    return result


if __name__ == "__main__":
    args = sys.argv[1:]
    main(
        int(args[0]) if len(args) > 0 else 20_000,
        int(args[1]) if len(args) > 1 else 5,
        Path(args[2]) if len(args) > 2 else None,
    )
