"""The OpenBLAS kernels and threads every computation uses, pinned so that the same seed gives the
same bytes on another machine.

OpenBLAS picks its kernels by the processor and splits a product between its threads, and both
change the last bits of a result: before the pin, an AVX-512 machine (SkylakeX kernels) and an AVX2
one wrote different ``data/truth`` bytes and model fits from the same seed, and one and two threads
give different fits too: the study computes with one thread (:data:`BLAS_THREADS`). Importing
:mod:`pact_analysis` asks for :data:`BLAS_KERNELS` and :data:`BLAS_THREADS` (:func:`pin_blas`) unless the caller chose (``OPENBLAS_CORETYPE``,
``OPENBLAS_NUM_THREADS``). OpenBLAS reads both when NumPy first loads it: a process that imported
NumPy before :mod:`pact_analysis` is warned that its results may differ in the last digits.
"""

from __future__ import annotations

import os
import platform
import sys
import warnings
from pathlib import Path

#: Haswell's kernels need AVX2 and FMA (every x86-64 processor since 2013).
BLAS_KERNELS = "Haswell"
#: One thread: the same bytes on a machine of any number of cores, and no BLAS thread spinning for a
#: core another process holds. The study's products are small (a few hundred columns at most) and
#: its parallel work runs in processes (joblib) and in DuckDB; beside one other busy process, the
#: pilot stage took 61 s with two threads and 29 s with one (its imputer's SVDs wait for the core).
BLAS_THREADS = "1"


def avx2(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether this is an x86-64 processor with AVX2 and FMA (Linux: read from ``cpuinfo``)."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    try:
        lines = cpuinfo.read_text().splitlines()
    except OSError:
        return False
    flags = next((line.split(":", 1)[1].split() for line in lines if line.startswith("flags")), [])
    return {"avx2", "fma"} <= set(flags)


def pin_blas(cpuinfo: Path = Path("/proc/cpuinfo")) -> dict[str, str]:
    """Ask OpenBLAS for :data:`BLAS_KERNELS` (on an x86-64 processor with AVX2 and FMA) and
    :data:`BLAS_THREADS`, leaving alone what the caller set.

    Returns
    -------
    dict
        The variables in force (``OPENBLAS_CORETYPE`` absent when the kernels are OpenBLAS's choice).
    """
    chosen = {}
    if avx2(cpuinfo):
        chosen["OPENBLAS_CORETYPE"] = BLAS_KERNELS
    chosen["OPENBLAS_NUM_THREADS"] = BLAS_THREADS
    unset = {k: v for k, v in chosen.items() if k not in os.environ}
    if unset and "numpy" in sys.modules:
        warnings.warn(
            "NumPy was imported before pact_analysis, so its BLAS kernels and threads are not pinned "
            f"({', '.join(f'{k}={v}' for k, v in unset.items())}): results may differ in the last "
            "digits from the reference run; import pact_analysis first or set these variables",
            stacklevel=3,
        )
    os.environ.update(unset)
    return {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS") if k in os.environ}
