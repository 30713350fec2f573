"""pact-analysis: the reproducible study behind PACT's segmentation strategy.

Link persons across the social-services sources of Castilla y León, pseudonymise them, segment the
population, model chronicity on minimum income and evaluate the PACT pilot. The embedded default data
is a synthetic region with known truth (:mod:`pact_analysis.synth`).

Importing the package pins OpenBLAS's kernels and threads (:func:`pact_analysis.blas.pin_blas`), so
that the same seed gives the same bytes on another x86-64 machine, not only on the one that ran it.
"""

from pact_analysis.blas import BLAS_KERNELS, BLAS_THREADS, pin_blas

__version__ = "0.6.3"
__all__ = ["BLAS_KERNELS", "BLAS_THREADS", "pin_blas"]

pin_blas()
