"""Independent parts of a stage run side by side, each in a process of its own, on the cores there are.

A stage is a process; most of its statistics run on one core. Where a stage has parts that do not
depend on each other (the survival models and the predictive model of the chronicity stage), one part
can run in a worker process (joblib's loky, which the profiles' EM uses too) while the stage goes on
with the others: :func:`beside`. The worker imports the study afresh, so its BLAS is pinned as the
stage's (:mod:`pact_analysis.blas`, through the environment it inherits), and it computes from the
arguments alone: a part that gives the same bytes in the stage gives them in the worker (the stages'
``test_same_bytes`` tests check it). Its log lines go to the stage's standard error, in the stage's
format. On a machine with one core the part runs in the stage itself, before it goes on.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

#: Cores this process may use (its CPU affinity), hence the processes that can run at once.
WORKERS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1

#: The format of every log line, the stage's and its workers'.
LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"


class Pending:
    """A part of a stage that runs (or ran) while the stage goes on: :meth:`result` waits for it."""

    def __init__(self, executor: Any = None, future: Any = None, value: Any = None) -> None:
        self._executor, self._future, self._value = executor, future, value

    def result(self) -> Any:
        """The part's return value once it is done; an exception it raised is raised here."""
        if self._future is None:
            return self._value
        try:
            return self._future.result()
        finally:
            self._executor.shutdown(wait=True)


def _logged(level: int, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``function`` in a worker whose log lines look like the stage's (:data:`LOG_FORMAT`)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=level, format=LOG_FORMAT)
    return function(*args, **kwargs)


def beside(function: Callable[..., Any], *args: Any, apart: bool = True, **kwargs: Any) -> Pending:
    """Start ``function(*args, **kwargs)`` in a worker process and return at once.

    Parameters
    ----------
    function : callable
        A module-level function (the worker imports it); it must not depend on anything the stage
        does meanwhile, nor on a global random state.
    *args, **kwargs
        Its arguments, copied to the worker (pickled).
    apart : bool
        Whether the part is long enough to be worth a worker (starting one and copying the
        arguments takes a few seconds); if not, it runs here and now.

    Returns
    -------
    Pending
        ``.result()`` is the function's return value. With one core (:data:`WORKERS`), or not
        ``apart``, the function has already run in this process.
    """
    if WORKERS < 2 or not apart:
        return Pending(value=function(*args, **kwargs))
    from joblib.externals.loky import ProcessPoolExecutor

    executor = ProcessPoolExecutor(max_workers=1)  # its own: joblib's reusable one may be resized
    level = logging.getLogger().getEffectiveLevel()
    return Pending(executor, executor.submit(_logged, level, function, *args, **kwargs))
