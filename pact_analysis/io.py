"""Atomic file output and progress reporting shared by every stage.

A stage never leaves a half-written output: it writes into a temporary sibling and renames it into
place only when complete (:func:`atomic_dir`, :func:`atomic_file`). Anything long shows a progress bar
(:func:`progress`).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from tqdm import tqdm

T = TypeVar("T")


@contextlib.contextmanager
def atomic_dir(target: Path) -> Iterator[Path]:
    """Yield a temporary directory that replaces ``target`` only if the block succeeds.

    Parameters
    ----------
    target : Path
        Final directory. Any previous content is replaced as a whole.

    Yields
    ------
    Path
        An empty temporary directory next to ``target`` (same filesystem, so the rename is atomic).
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    tmp.chmod(0o755)
    tmp.rename(target)
    shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def atomic_file(target: Path, mode: str = "w", **kwargs: Any) -> Iterator[Any]:
    """Open a temporary file that is renamed to ``target`` only if the block succeeds.

    Parameters
    ----------
    target : Path
        Final file path.
    mode : str
        ``"w"`` (text, UTF-8 unless ``encoding`` is given) or ``"wb"``.
    **kwargs
        Passed to :func:`open`.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    if "b" not in mode:
        kwargs.setdefault("encoding", "utf-8")
    try:
        with open(name, mode, **kwargs) as fh:
            yield fh
        os.chmod(name, 0o644)
        os.replace(name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)
        raise


def remove_stale_temporaries(target: Path) -> None:
    """Delete temporaries of ``target`` left by a run that was killed (``.<name>.*`` siblings).

    A stage is the only writer of its outputs, so a temporary that exists when the stage starts can
    only come from an interrupted run.
    """
    for stale in Path(target).parent.glob(f".{Path(target).name}.*"):
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)


def write_json(target: Path, data: Any) -> None:
    """Write ``data`` as sorted, indented JSON atomically (stable bytes for DVC metrics)."""
    with atomic_file(target) as fh:
        json.dump(data, fh, indent=2, sort_keys=True, ensure_ascii=False, default=str)
        fh.write("\n")


def progress(iterable: Iterable[T], desc: str, total: int | None = None) -> Iterable[T]:
    """Wrap an iterable in a progress bar written to stderr.

    Parameters
    ----------
    iterable : iterable
        Items to iterate over.
    desc : str
        Short label shown before the bar.
    total : int, optional
        Number of items when ``iterable`` has no length.
    """
    return tqdm(iterable, desc=desc, total=total, file=sys.stderr, mininterval=1.0, leave=False)
