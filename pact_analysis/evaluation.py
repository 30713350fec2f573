"""Evaluation of the PACT pilot: the public names of :mod:`pact_analysis.pilot`, at their old path.

The code lives in the :mod:`pact_analysis.pilot` package (one module per job); this module keeps
``pact_analysis.evaluation.matched_effect`` and every other name importable where it always was.
"""

from __future__ import annotations

from pact_analysis.pilot import *  # noqa: F403
from pact_analysis.pilot import __all__  # noqa: F401
