"""Benchmark: generate a 500,000-person synthetic region into a temporary folder.

Prints the wall time, the peak resident memory (``resource.getrusage``) and the rows per extract.
Target (issue): within 10 minutes and 8 GB on 2 cores. Not a test; run by hand::

    .venv/bin/python benchmarks/synth_500k.py [n_persons]
"""

from __future__ import annotations

import copy
import resource
import sys
import tempfile
import time
from pathlib import Path

from pact_analysis.params import load_params
from pact_analysis.synth import generate


def main(n_persons: int = 500_000) -> None:
    """Generate ``n_persons`` persons and report time and peak memory."""
    params = copy.deepcopy(load_params())
    params["synthetic"]["n_persons"] = n_persons
    with tempfile.TemporaryDirectory(prefix="synth_bench_") as tmp:
        start = time.perf_counter()
        counts = generate(params, Path(tmp) / "raw", Path(tmp) / "truth")
        seconds = time.perf_counter() - start
        size = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file())
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # ru_maxrss is in KiB on Linux
    print(
        f"n_persons={n_persons:,} wall={seconds:.1f}s peak_rss={peak_gb:.2f}GB output={size / 1024**2:.0f}MB"
    )
    for source, rows in counts.items():
        print(f"  {source:<22} {rows:>10,}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500_000)
