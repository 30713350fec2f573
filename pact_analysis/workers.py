"""Independent parts of a stage run side by side, each in a process of its own, on the cores there are.

A stage is a process; most of its statistics run on one core. Where a stage has parts that do not
depend on each other (the survival models and the predictive model of the chronicity stage), one part
can run in a worker process (joblib's loky, which the profiles' EM uses too) while the stage goes on
with the others: :func:`beside`. The part's function and arguments are pickled when it is started,
so what the stage does next cannot reach the part; the worker imports the study afresh, so its BLAS
is pinned as the stage's (:mod:`pact_analysis.blas`, through the environment it inherits). A part
that gives the same bytes in the stage gives them in the worker (``tests/test_workers.py`` runs each
part both ways). Its log lines go to the stage's standard error, in the stage's format.

Whether the part ran in a worker or in the stage (one core, or a part too small to be worth a worker),
an error it raised is raised by :meth:`Pending.result`, and leaving the ``with`` block of a part not
yet done (the stage failed meanwhile, or was interrupted) stops its worker at once. A stage killed
by a signal cannot stop it: the worker may outlive it. The pickled call is held in the stage and in
the worker while the part runs (at 500,000 persons the chronicity stage's process tree peaked at
6.53 GB with it, 6.52 GB without).
"""

from __future__ import annotations

import logging
import os
import pickle
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Any

#: Cores this process may use (its CPU affinity), hence the processes that can run at once.
WORKERS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1

#: The format of every log line, the stage's and its workers'.
LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"


class Pending:
    """A part of a stage that runs (or ran) while the stage goes on (:func:`beside`).

    Use it as a context manager: :meth:`result` waits for the part; leaving the block before the
    part is done stops its worker.
    """

    def __init__(
        self, executor: Any = None, future: Any = None, value: Any = None, error: Any = None
    ) -> None:
        self._executor, self._future, self._value, self._error = executor, future, value, error

    def result(self) -> Any:
        """The part's return value once it is done; an exception it raised is raised here."""
        if self._future is None:
            if self._error is not None:
                raise self._error
            return self._value
        try:
            return self._future.result()
        finally:  # interrupted while waiting (Ctrl-C), the part is stopped, not waited for
            self._stop(wait=self._future.done())

    def _stop(self, wait: bool) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=wait, kill_workers=not wait)
            self._executor = None

    def __enter__(self) -> Pending:
        return self

    def __exit__(self, kind: type | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self._stop(wait=False)  # a part whose result was not taken (the stage failed) is stopped


def _run_pickled(level: int, call: bytes) -> Any:
    """Run a pickled ``(function, args, kwargs)`` in a worker whose log lines look like the stage's
    (:data:`LOG_FORMAT`). An exception that could not be rebuilt in the stage (one whose constructor
    needs more than its message) comes back as a ``RuntimeError`` carrying its type, message and
    traceback, rather than as a broken worker pool."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=level, format=LOG_FORMAT)
    function, args, kwargs = pickle.loads(call)
    try:
        return function(*args, **kwargs)
    except Exception as err:
        try:
            pickle.loads(pickle.dumps(err))
        except Exception:
            raise RuntimeError(f"{type(err).__name__}: {err}\n{traceback.format_exc()}") from None
        raise


def beside(function: Callable[..., Any], *args: Any, apart: bool = True, **kwargs: Any) -> Pending:
    """Start ``function(*args, **kwargs)`` in a worker process and return at once.

    Parameters
    ----------
    function : callable
        A module-level function (the worker imports it); it must not depend on anything the stage
        does meanwhile, nor on a global random state.
    *args, **kwargs
        Its arguments, copied (pickled) before this returns.
    apart : bool
        Whether the part is long enough to be worth a worker (starting one and copying the
        arguments takes a few seconds); if not, it runs here and now.

    Returns
    -------
    Pending
        ``.result()`` is the function's return value (or raises its error). With one core
        (:data:`WORKERS`), or not ``apart``, the function has already run in this process.
    """
    if WORKERS < 2 or not apart:
        try:
            return Pending(value=function(*args, **kwargs))
        except Exception as err:  # raised by .result(), as from a worker
            return Pending(error=err)
    from joblib.externals.loky import ProcessPoolExecutor

    call = pickle.dumps((function, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
    executor = ProcessPoolExecutor(max_workers=1)  # its own: joblib's reusable one may be resized
    level = logging.getLogger().getEffectiveLevel()
    return Pending(executor, executor.submit(_run_pickled, level, call))
