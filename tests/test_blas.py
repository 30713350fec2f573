"""The same seed, the same bytes on another x86-64 machine: OpenBLAS's kernels and threads are pinned
on import."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

import pact_analysis
from pact_analysis import blas

AVX2 = "flags\t\t: fpu sse2 avx avx2 fma bmi2\n"
CODE = (
    "import pact_analysis, numpy, scipy.linalg, threadpoolctl;"
    "print(*sorted({(i.get('architecture'), i['num_threads']) for i in threadpoolctl.threadpool_info()"
    " if i['internal_api'] == 'openblas'}))"
)


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS")}


@pytest.mark.skipif(not blas.avx2(), reason="the kernels are pinned on x86-64 processors with AVX2")
def test_a_fresh_process_that_imports_the_package_first_computes_with_the_pinned_kernels_and_threads():
    out = subprocess.run(
        [sys.executable, "-c", CODE], env=_clean_env(), capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == [
        f"('{blas.BLAS_KERNELS}',",
        f"{blas.BLAS_THREADS})",
    ]  # numpy's and scipy's alike


def test_a_process_that_imported_numpy_first_is_warned():
    code = "import warnings; warnings.simplefilter('error'); import numpy, pact_analysis"
    out = subprocess.run([sys.executable, "-c", code], env=_clean_env(), capture_output=True, text=True)
    assert out.returncode != 0 and "NumPy was imported before pact_analysis" in out.stderr
    # with the variables set by the caller there is nothing to pin and nothing to warn about
    env = _clean_env() | {"OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_NUM_THREADS": "2"}
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True).returncode == 0


def test_the_pin_needs_avx2_and_fma_and_yields_to_the_caller(monkeypatch, tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    monkeypatch.setattr(platform, "machine", lambda: "x86_64")
    monkeypatch.setitem(sys.modules, "numpy", None)  # as if NumPy were not loaded: no warning
    monkeypatch.delitem(sys.modules, "numpy")
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    cpuinfo.write_text(AVX2.replace(" avx2", ""))
    assert (
        blas.pin_blas(cpuinfo) == {"OPENBLAS_NUM_THREADS": blas.BLAS_THREADS}
        and "OPENBLAS_CORETYPE" not in os.environ
    )
    cpuinfo.write_text(AVX2)
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "8")
    assert blas.pin_blas(cpuinfo) == {"OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_NUM_THREADS": "8"}
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Zen")
    assert blas.pin_blas(cpuinfo)["OPENBLAS_CORETYPE"] == "Zen"
    monkeypatch.setattr(platform, "machine", lambda: "aarch64")
    assert not blas.avx2(cpuinfo)
    assert pact_analysis.BLAS_KERNELS == blas.BLAS_KERNELS
