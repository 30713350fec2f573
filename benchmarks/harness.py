"""What the benchmarks share: a scratch project, a stage run in its own process, its figures as JSON.

Every benchmark runs the project's own stages as ``dvc repro`` does, one process per stage
(``python -m pact_analysis STAGE --root PROJECT``), on a scratch project laid out by
:func:`make_project`. :func:`run_child` measures one such process:

- ``seconds``: wall time;
- ``peak_memory_gb``: the largest resident set of any single process of the stage, from the
  ``os.wait4`` of that child (Linux gives the maximum over the child and the descendants it waited
  for, so a Jupyter kernel started by a report counts, but not added to its parent);
- ``peak_tree_gb``: the largest *sum* of resident sets of the child and all its descendants, polled
  with psutil (every ``poll`` seconds, so a spike shorter than that can be missed): the figure to
  hold against a memory budget, since a report's parent and its kernel are alive together;
- ``cpu_seconds``: user + system time of the child and its waited descendants;
- ``other_load_cores``: CPU used by processes outside the stage during it (busy time of the whole
  machine from ``/proc/stat`` minus the stage's own CPU time, divided by the wall time): about 0 on
  an idle machine, about 1 when another job keeps one core busy.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil
import yaml

from pact_analysis.params import load_params
from pact_analysis.paths import ROOT, Paths

GB = 1024**3

#: Files of ``benchmarks/`` that stages read (``paths.benchmarks``): copied into every scratch project.
STAGE_BENCHMARK_INPUTS = ("chronicity_coverage.json", "pilot_coverage.json")


def save_figures(figures: dict[str, object], out: Path | None, echo: bool = False) -> None:
    """Write a benchmark's figures as sorted JSON to ``out`` (if given); print them when ``echo``."""
    text = json.dumps(figures, indent=2, sort_keys=True)
    if echo:
        print(text)
    if out:
        out.write_text(text + "\n", encoding="utf-8")


def region_params(n_persons: int) -> dict[str, Any]:
    """The repository's ``params.yaml`` with the region set to ``n_persons`` persons (nothing else changed)."""
    params = copy.deepcopy(load_params(ROOT / "params.yaml"))
    params["synthetic"]["n_persons"] = int(n_persons)
    return params


def make_project(project: Path, n_persons: int) -> Paths:
    """Lay out a scratch project: ``params.yaml`` for ``n_persons``, the notebooks, the benchmark
    files stages read and an empty ``data/extracts``. Existing data are left alone."""
    paths = Paths(project)
    paths.extracts.mkdir(parents=True, exist_ok=True)
    paths.params.write_text(yaml.safe_dump(region_params(n_persons), sort_keys=False), encoding="utf-8")
    shutil.copytree(ROOT / "notebooks", paths.notebooks, dirs_exist_ok=True)
    paths.benchmarks.mkdir(exist_ok=True)
    for name in STAGE_BENCHMARK_INPUTS:
        if (ROOT / "benchmarks" / name).exists():
            shutil.copy2(ROOT / "benchmarks" / name, paths.benchmarks / name)
    return paths


def current_analysis_params(project: Path) -> None:
    """Give the scratch project the repository's current parameters, keeping its own region.

    A project prepared by an earlier run keeps the ``synthetic`` and ``data`` sections it was
    generated with (its data depend on them); every analysis section is taken from the repository's
    ``params.yaml``, so that the stages are measured as they are configured now.
    """
    paths = Paths(project)
    params = load_params(ROOT / "params.yaml")
    generated = load_params(paths.params)
    params |= {key: generated[key] for key in ("seed", "synthetic", "data")}
    paths.params.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")


def pipeline_stages(dvc_yaml: Path | None = None) -> list[tuple[str, list[str]]]:
    """The stages of ``dvc.yaml`` in an order that respects their dependencies, with their arguments.

    Returns ``(stage, args)`` where ``args`` follow ``python -m pact_analysis`` in the stage's
    ``cmd`` (``["report", "00_overview"]``). A stage comes after every stage one of whose outputs
    (``outs`` or ``metrics``) it depends on; ties keep the file's order.
    """
    spec = yaml.safe_load((dvc_yaml or ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]

    def names(entries: list[Any] | None) -> list[str]:
        return [next(iter(e)) if isinstance(e, dict) else str(e) for e in entries or []]

    def related(a: str, b: str) -> bool:
        return a == b or a.startswith(b.rstrip("/") + "/") or b.startswith(a.rstrip("/") + "/")

    produced = {name: names(s.get("outs")) + names(s.get("metrics")) for name, s in spec.items()}
    needs = {
        name: {
            other
            for other in spec
            if other != name and any(related(d, o) for d in names(s.get("deps")) for o in produced[other])
        }
        for name, s in spec.items()
    }
    order: list[str] = []
    while len(order) < len(spec):
        ready = [n for n in spec if n not in order and needs[n] <= set(order)]
        if not ready:
            raise ValueError(f"dvc.yaml has a dependency cycle among {sorted(set(spec) - set(order))}")
        order.append(ready[0])
    stages = []
    for name in order:
        words = shlex.split(spec[name]["cmd"])
        if "pact_analysis" not in words:
            raise ValueError(f"stage {name} does not run `python -m pact_analysis`: {spec[name]['cmd']}")
        stages.append((name, words[words.index("pact_analysis") + 1 :]))
    return stages


def _busy_seconds() -> float:
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def child_env() -> dict[str, str]:
    """The environment of a stage process: this Python's ``bin`` first on the PATH (the report
    kernel and tools), no plotting window, no DVC analytics."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("MPLBACKEND", "Agg")
    env.setdefault("DVC_NO_ANALYTICS", "1")
    return env


def run_child(
    cmd: list[str], *, poll: float = 0.25, memory_limit_gb: float | None = None, log: Path | None = None
) -> dict[str, Any]:
    """Run ``cmd`` in its own process group and measure it (see the module docstring).

    Parameters
    ----------
    cmd : list of str
        The command.
    poll : float
        Seconds between two samples of the process tree's resident memory.
    memory_limit_gb : float, optional
        Stop the process group when the tree's resident memory exceeds this; the result then says
        ``stopped_at_memory_limit`` and holds the peak measured until then.
    log : Path, optional
        File that receives the child's standard output and error (default: this process's).

    Returns
    -------
    dict
        ``seconds``, ``peak_memory_gb``, ``peak_tree_gb``, ``cpu_seconds``, ``other_load_cores``,
        ``exit_code`` and ``stopped_at_memory_limit``.
    """
    out = open(log, "ab") if log else None  # noqa: SIM115 (closed below)
    busy0, start = _busy_seconds(), time.perf_counter()
    child = subprocess.Popen(cmd, env=child_env(), stdout=out, stderr=out, start_new_session=True)
    peak_tree = 0
    stopped = threading.Event()
    done = threading.Event()

    def watch() -> None:
        nonlocal peak_tree
        try:
            root = psutil.Process(child.pid)
        except psutil.NoSuchProcess:
            return
        while not done.is_set():
            total = 0
            try:
                for proc in [root, *root.children(recursive=True)]:
                    with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                        total += proc.memory_info().rss
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                return
            peak_tree = max(peak_tree, total)
            if memory_limit_gb and total > memory_limit_gb * GB and not stopped.is_set():
                stopped.set()
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGKILL)
            done.wait(poll)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    busy = _busy_seconds() - busy0
    done.set()
    watcher.join()
    if out:
        out.close()
    child.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    peak = usage.ru_maxrss * 1024  # KiB on Linux
    return {
        "seconds": round(seconds, 2),
        "peak_memory_gb": round(peak / GB, 3),
        "peak_tree_gb": round(max(peak_tree, peak) / GB, 3),
        "cpu_seconds": round(cpu, 1),
        "other_load_cores": round(max(0.0, busy - cpu) / seconds, 2) if seconds > 0 else 0.0,
        "exit_code": child.returncode,
        "stopped_at_memory_limit": stopped.is_set(),
    }


def stage_command(project: Path, args: list[str]) -> list[str]:
    """``python -m pact_analysis ARGS --root PROJECT`` with this Python."""
    return [sys.executable, "-m", "pact_analysis", *args, "--root", str(project)]


def run_stage(project: Path, stage: str | list[str], **kwargs: Any) -> dict[str, Any]:
    """Run one stage (``"link"`` or ``["report", "00_overview"]``) in a child process and measure it
    (:func:`run_child`); stop the benchmark if it fails."""
    args = [stage] if isinstance(stage, str) else list(stage)
    figures = run_child(stage_command(project, args), **kwargs)
    if figures["exit_code"]:
        raise SystemExit(f"stage {' '.join(args)} failed with exit code {figures['exit_code']}")
    return figures


def loadavg() -> list[float]:
    """The 1, 5 and 15-minute load averages (``/proc/loadavg``)."""
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def machine() -> dict[str, Any]:
    """Cores, memory and Python of this machine."""
    return {
        "cores": os.cpu_count(),
        "ram_gb": round(psutil.virtual_memory().total / GB, 1),
        "python": sys.version.split()[0],
    }


def host_speed(repeats: int = 3) -> float:
    """Seconds of a fixed one-core workload (pure Python, then a NumPy SVD), the best of ``repeats``.

    The same code measured on this virtual machine an hour apart took 285 s and 348 s end to end at
    20,000 persons, with no other process busy and more CPU seconds for the same work (the host's
    speed varies). Recorded before and after each size as a first check; this short workload read
    0.11-0.19 s in those runs and did not separate the slow phase, so the CPU seconds of a stage whose
    code did not change remain the surer comparison.
    """
    import numpy as np

    matrix = np.random.default_rng(0).normal(size=(300, 300))
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        sum(i * i for i in range(2_000_000))
        np.linalg.svd(matrix)
        best = min(best, time.perf_counter() - start)
    return round(best, 4)


def git_commit() -> str | None:
    """The checkout's commit, with ``+dirty`` when the working tree has changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True)
        return head + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return None
