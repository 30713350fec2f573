"""The cost curve: every stage of ``dvc.yaml`` at several region sizes, and the recordlinkage baseline.

For each size (persons in the synthetic region, ``synthetic.n_persons``; default 20,000, 100,000 and
500,000, with ``--million`` 1,000,000 too) a scratch project is laid out under ``--workdir`` with the
repository's ``params.yaml`` (only the region size changed), and every stage of ``dvc.yaml`` runs in
its own process, in dependency order, as ``python -m pact_analysis STAGE --root PROJECT`` (the
seven reports, the check and the index included). Per stage: wall seconds, peak memory (one process,
and the whole process tree: see :mod:`harness`), CPU seconds, the load other processes put on the
machine meanwhile, and the stage's main work counts read from its metrics (records ingested, pairs
compared by the linkage, warehouse fact rows, models fitted...). Per size: ``end_to_end_seconds``
(the sum of the stages' wall times, set-up excluded) and ``end_to_end_peak_gb`` (the largest
process-tree peak of any stage; stages run one after another), the machine, and ``/proc/loadavg``
before and after.

After the pipeline, the recordlinkage toolkit links the same records
(:mod:`recordlinkage_baseline`, in its own process, stopped if its memory passes
``--baseline-memory-gb``: its peak until then is recorded) and is stored beside our ``link`` stage's
figures with the time ratio.

Per stage, the scaling exponent ``b`` of ``seconds ~ a * n**b`` is fitted by least squares on
log-log over every size measured (``exponents`` in the JSON), and a figure of the cost curves
(``benchmarks/scale.png``) and a small summary for the index's appendix
(``benchmarks/scale_appendix.json``) are written.

Resumable: a size already complete in ``--out`` is skipped unless ``--force``; an interrupted size
resumes at its first stage not measured (its scratch project is kept under ``--workdir``).

Usage (``make bench`` runs the defaults)::

    nice .venv/bin/python benchmarks/scale.py [--sizes 20000 100000 500000] [--million] [--force]
        [--out benchmarks/scale.json] [--workdir build/scale] [--no-baseline] [--redraw]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml
from harness import (
    git_commit,
    host_speed,
    loadavg,
    machine,
    make_project,
    pipeline_stages,
    run_child,
    run_stage,
    save_figures,
)

from pact_analysis.paths import ROOT, Paths

DEFAULT_SIZES = [20_000, 100_000, 500_000]
MILLION = 1_000_000
BENCH = ROOT / "benchmarks"

#: Work counts per stage: (file relative to the project, {label: key in that JSON}); the first label
#: is the stage's main work count. A key missing from the file is recorded as null.
WORK: dict[str, tuple[str, dict[str, str]]] = {
    "synthesize": ("metrics/synthesize.json", {"rows_written": "rows", "n_persons": "n_persons"}),
    "ingest": ("metrics/ingest.json", {"rows_ingested": "total_rows"}),
    "link": (
        "data/interim/linkage/summary.json",
        {"pairs_compared": "pairs_compared", "records": "records", "persons_linked": "n_persons"},
    ),
    "warehouse": ("metrics/warehouse.json", {"fact_rows": "fact_rows", "persons": "persons"}),
    "profiles": (
        "metrics/profiles.json",
        {"lca_starts": "lca_starts", "bootstrap_replicates": "bootstrap_replicates", "persons": "n_persons"},
    ),
    "chronicity": ("metrics/chronicity.json", {"spells": "spells"}),
    "alerts": ("metrics/alerts.json", {"recipients_scored": "recipients_scored", "alerts": "alerts"}),
    "spending": ("metrics/spending.json", {"cases": "cases"}),
    "check": ("metrics/disclosure.json", {"tables_checked": "tables_checked"}),
}

#: Person records of a national deployment (Spain's minimum income, IMV: about 2.4 million persons in
#: December 2025, 3.4 million since 2020, in 3-4 sources), for :func:`national`.
NATIONAL_RECORDS = 10_000_000

#: Stages drawn together in the figure and fitted together as well as one by one.
GROUPS = {"reports": "report_"}


def work_counts(project: Path, stage: str, args: list[str]) -> dict[str, Any]:
    """The work counts of a stage after it ran (see :data:`WORK`); for a report, its tables and pages."""
    paths = Paths(project)
    if args[0] == "report":
        tables = paths.tables(args[1])
        pages = list(paths.reports.glob(f"*/{args[1]}.html"))
        return {
            # the tables are written once per language, in a folder each
            "tables_written": len(list(tables.rglob("*.csv"))) if tables.exists() else 0,
            "html_mb": round(sum(p.stat().st_size for p in pages) / 1024**2, 2),
        }
    if stage not in WORK:
        return {}
    name, keys = WORK[stage]
    file = project / name
    data = json.loads(file.read_text(encoding="utf-8")) if file.exists() else {}
    return {label: data.get(key) for label, key in keys.items()}


def fit_exponent(sizes: list[float], seconds: list[float]) -> dict[str, Any] | None:
    """Least-squares fit of ``log t = log a + b log n``; None with fewer than two distinct sizes."""
    pairs = [(n, t) for n, t in zip(sizes, seconds, strict=True) if n > 0 and t and t > 0]
    if len({n for n, _ in pairs}) < 2:
        return None
    xs = [math.log(n) for n, _ in pairs]
    ys = [math.log(t) for _, t in pairs]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
    return {"b": round(b, 3), "a": math.exp(my - b * mx), "sizes": sorted(n for n, _ in pairs)}


def series(results: dict[str, Any]) -> dict[str, dict[int, float]]:
    """Seconds per stage (and per group of :data:`GROUPS`, and end to end) per size, complete sizes only."""
    out: dict[str, dict[int, float]] = {}
    for entry in results.get("sizes", {}).values():
        if not entry.get("complete"):
            continue
        n = int(entry["n_persons"])
        for stage, figures in entry["stages"].items():
            out.setdefault(stage, {})[n] = figures["seconds"]
        for group, prefix in GROUPS.items():
            out.setdefault(group, {})[n] = sum(
                f["seconds"] for s, f in entry["stages"].items() if s.startswith(prefix)
            )
        out.setdefault("end_to_end", {})[n] = entry["end_to_end_seconds"]
    return out


def exponents(results: dict[str, Any]) -> dict[str, Any]:
    """The fitted exponent of every stage, group and the end to end time (None with one size)."""
    fitted = {}
    for stage, points in series(results).items():
        ns = sorted(points)
        fitted[stage] = fit_exponent(ns, [points[n] for n in ns])
    return fitted


def end_to_end(stages: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Sum of the stages' wall times and the largest peak of any stage (they run one after another)."""
    return {
        "end_to_end_seconds": round(sum(f["seconds"] for f in stages.values()), 1),
        "end_to_end_peak_gb": round(max(f["peak_tree_gb"] for f in stages.values()), 2),
        "end_to_end_peak_gb_one_process": round(max(f["peak_memory_gb"] for f in stages.values()), 2),
        "end_to_end_cpu_seconds": round(sum(f["cpu_seconds"] for f in stages.values()), 1),
    }


def local_exponent(t1: float, t2: float, n1: float, n2: float) -> float:
    """The exponent ``b`` of ``t ~ n**b`` through two points: ``log(t2 / t1) / log(n2 / n1)``."""
    return math.log(t2 / t1) / math.log(n2 / n1)


def national(results: dict[str, Any], records: float = NATIONAL_RECORDS) -> dict[str, Any] | None:
    """Each stage extrapolated from the two largest sizes measured to ``records`` person records.

    Assumptions (named in the appendix and ``benchmarks/README.md``): the region's records per
    person (the ``link`` stage's records at the largest size) hold, so ``records`` are
    ``records / ratio`` persons; each stage keeps its local exponent ``b`` between the two largest
    sizes (:func:`local_exponent`, at least 0: a stage does not get faster) on one machine like this
    one; the seven reports are one row. The link stage gets a second figure: its time proportional
    to the pairs its blocking compares, which grow with the records at their own local exponent
    (``pairs_compared`` of the link's work counts). Memory is not extrapolated. The local exponent
    between the next two sizes down (``b_before``) shows whether the curves still bend: where the
    exponents grow with the size, the low total is more a floor than a central figure; the link's time
    per pair fell as the region grew, so the high total is more a ceiling.

    Returns
    -------
    dict or None
        ``records``, ``records_per_person``, ``persons``, ``from_sizes``, ``stages`` (per stage:
        ``stage``, ``seconds`` at the largest size, ``b``, ``b_before`` (None with two sizes),
        whole ``minutes`` at ``records``), ``link_pairs`` (``b`` in the records, ``pairs``, whole
        ``minutes``, ``time_per_pair_fell``), ``total_hours`` (low: every stage at its exponent;
        high: the link by its pairs, if slower), and ``exponents_grew`` of ``exponents_compared``
        (stages whose ``b`` exceeds ``b_before``); None without two complete sizes or the link's
        records.
    """
    points = series(results)
    entries = {int(e["n_persons"]): e for e in results.get("sizes", {}).values() if e.get("complete")}
    sizes = sorted(entries)
    if len(sizes) < 2:
        return None
    n0, n1, n2 = ([None, *sizes])[-3:]
    work = [entries[n]["stages"].get("link", {}).get("work") or {} for n in (n1, n2)]
    if not all(w.get("records") for w in work):
        return None
    ratio = work[1]["records"] / n2
    persons = records / ratio
    rows = []
    for stage in sorted(points):
        if stage == "end_to_end" or stage.startswith(GROUPS["reports"]):
            continue
        t0, t1, t2 = (points[stage].get(n) if n else None for n in (n0, n1, n2))
        if not t1 or not t2:
            continue
        b = max(0.0, local_exponent(t1, t2, n1, n2))
        before = round(local_exponent(t0, t1, n0, n1), 2) if t0 else None
        minutes = t2 * (persons / n2) ** b / 60
        rows.append({"stage": stage, "seconds": t2, "b": round(b, 2), "b_before": before, "minutes": minutes})
    rows.sort(key=lambda r: -r["minutes"])
    low = sum(r["minutes"] for r in rows) / 60
    out: dict[str, Any] = {
        "records": records,
        "records_per_person": round(ratio, 2),
        "persons": int(round(persons, -4)),  # no more digits than the assumption carries
        "from_sizes": [n1, n2],
        "before_sizes": [n0, n1] if n0 else None,
        "stages": [r | {"seconds": round(r["seconds"], 1), "minutes": round(r["minutes"])} for r in rows],
        "total_hours": [round(low, 1), round(low, 1)],
        # whether the curves still bend upwards: the low total is then more a floor
        "exponents_compared": sum(r["b_before"] is not None for r in rows),
        "exponents_grew": sum(r["b_before"] is not None and r["b"] > r["b_before"] for r in rows),
    }
    pairs = [w.get("pairs_compared") for w in work]
    link = next((r for r in rows if r["stage"] == "link"), None)
    if link and all(pairs):
        b = local_exponent(pairs[0], pairs[1], work[0]["records"], work[1]["records"])
        scale_up = (records / work[1]["records"]) ** b
        minutes = link["seconds"] * scale_up / 60
        out["link_pairs"] = {
            "b": round(b, 2),
            "pairs": int(round(pairs[1] * scale_up, -6)),
            "minutes": round(minutes),
            # the stage's time per pair fell as the region grew: the high total is then more a ceiling
            "time_per_pair_fell": points["link"][n2] / pairs[1] < points["link"][n1] / pairs[0],
        }
        out["total_hours"][1] = round(low + max(0.0, minutes - link["minutes"]) / 60, 1)
    return out


def ours(project: Path, stages: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Our ``link`` stage's figures for the side-by-side: time, memory, pairs and quality."""
    summary = json.loads(Paths(project).linkage_summary.read_text(encoding="utf-8"))
    link = stages["link"]
    return {
        "method": "Splink (DuckDB), link stage process (load, link, cluster, pseudonymise, write)",
        "seconds": link["seconds"],
        "cpu_seconds": link["cpu_seconds"],
        "other_load_cores": link["other_load_cores"],
        "peak_tree_gb": link["peak_tree_gb"],
        "records": summary.get("records"),
        "pairs_compared": summary.get("pairs_compared"),
        "pairwise": summary.get("quality", {}).get("pairwise"),
        "bcubed": summary.get("quality", {}).get("bcubed"),
        "n_persons": summary.get("n_persons"),
    }


def baseline(project: Path, stages: dict[str, dict[str, Any]], memory_gb: float, log: Path) -> dict[str, Any]:
    """Run :mod:`recordlinkage_baseline` on the project in its own process; put it beside ours."""
    out = project / "build" / "recordlinkage_baseline.json"
    out.unlink(missing_ok=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        str(BENCH / "recordlinkage_baseline.py"),
        "--project",
        str(project),
        "--out",
        str(out),
    ]
    run = run_child(cmd, memory_limit_gb=memory_gb, log=log)
    kept = ("seconds", "peak_memory_gb", "peak_tree_gb", "cpu_seconds", "other_load_cores")
    theirs: dict[str, Any] = {k: run[k] for k in kept}
    theirs["memory_limit_gb"] = memory_gb
    if run["stopped_at_memory_limit"]:
        theirs["stopped"] = f"stopped when its memory passed {memory_gb} GB"
    elif run["exit_code"]:
        theirs["stopped"] = f"failed with exit code {run['exit_code']} (see {log.name})"
    else:
        theirs |= json.loads(out.read_text(encoding="utf-8"))
    mine = ours(project, stages)
    side: dict[str, Any] = {"ours": mine, "recordlinkage": theirs}
    if "stopped" not in theirs:
        side["time_ratio"] = round(theirs["seconds"] / mine["seconds"], 2)
        # CPU seconds are less sensitive than wall time to other jobs sharing the cores.
        side["cpu_time_ratio"] = round(theirs["cpu_seconds"] / mine["cpu_seconds"], 2)
        side["f1_ours"] = round(mine["pairwise"]["f1"], 4) if mine["pairwise"] else None
        side["f1_recordlinkage"] = round(theirs["pairwise"]["f1"], 4)
    return side


def baseline_due(entry: dict[str, Any], args: argparse.Namespace) -> bool:
    """Whether the recordlinkage baseline is still to run at this entry's size (never run, or failed
    otherwise than by reaching its memory limit)."""
    if not args.baseline or entry.get("n_persons", 0) > args.baseline_max_persons:
        return False
    done = entry.get("linkage_baseline", {}).get("recordlinkage")
    return done is None or str(done.get("stopped", "")).startswith("failed")


def run_size(n: int, entry: dict[str, Any], args: argparse.Namespace, save: Any) -> dict[str, Any]:
    """Measure every stage at ``n`` persons (resuming ``entry``), then the baseline; return the entry."""
    project = args.workdir / f"n{n}"
    fresh = not entry.get("stages") or not project.exists()
    if fresh:
        if project.exists():
            shutil.rmtree(project)
        entry = {
            "n_persons": n,
            "complete": False,
            "started": dt.datetime.now().isoformat(timespec="seconds"),
            "commit": git_commit(),
            "machine": machine(),
            "loadavg_before": loadavg(),
            "host_speed_before_s": host_speed(),
            "stages": {},
        }
        make_project(project, n)
    params = yaml.safe_load(Paths(project).params.read_text(encoding="utf-8"))
    if params["synthetic"]["n_persons"] != n:
        raise SystemExit(f"{project} holds a region of {params['synthetic']['n_persons']} persons, not {n}")
    log = project / "build" / "bench.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    stages = pipeline_stages()
    for i, (stage, stage_args) in enumerate(stages, 1):
        if stage in entry["stages"]:
            continue
        before = loadavg()
        print(f">> {n:,} persons [{i}/{len(stages)}] {stage} ...", end=" ", file=sys.stderr, flush=True)
        figures = run_stage(project, stage_args, log=log)
        figures |= {"loadavg_before": before, "work": work_counts(project, stage, stage_args)}
        entry["stages"][stage] = figures
        print(
            f"{figures['seconds']:.1f} s, peak {figures['peak_tree_gb']:.2f} GB"
            f" (other load {figures['other_load_cores']:.2f} cores) {figures['work'] or ''}",
            file=sys.stderr,
            flush=True,
        )
        save(entry)
    entry |= end_to_end(entry["stages"])
    others = [f["other_load_cores"] * f["seconds"] for f in entry["stages"].values()]
    entry["other_load_cores"] = round(sum(others) / entry["end_to_end_seconds"], 2)
    # the CPU other processes used while the stages ran; the load average before a size is not a
    # measure of it (it still counts the benchmark's own previous stages)
    entry["other_load_present"] = entry["other_load_cores"] > 0.25
    entry.setdefault("loadavg_after", loadavg())
    entry.setdefault("host_speed_after_s", host_speed())
    if baseline_due(entry, args):
        print(f">> {n:,} persons: recordlinkage baseline ...", end=" ", file=sys.stderr, flush=True)
        entry["linkage_baseline"] = baseline(project, entry["stages"], args.baseline_memory_gb, log)
        rl = entry["linkage_baseline"]["recordlinkage"]
        print(
            f"{rl['seconds']:.1f} s, peak {rl['peak_tree_gb']:.2f} GB, {rl.get('stopped', 'done')}",
            file=sys.stderr,
            flush=True,
        )
    entry["complete"] = True
    entry["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    if args.clean:
        shutil.rmtree(project)
    return entry


def draw(results: dict[str, Any], out: Path) -> None:
    """Log-log figure of seconds against persons per stage (reports summed), with the fitted exponents."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = series(results)
    fitted = results.get("exponents", {})
    fig, ax = plt.subplots(figsize=(10, 5.5))
    ax.set_prop_cycle(color=plt.get_cmap("tab20").colors)  # one colour per stage (more than ten)
    for stage, values in points.items():
        if stage.startswith(GROUPS["reports"]) or stage == "key":
            continue
        ns = sorted(values)
        b = (fitted.get(stage) or {}).get("b")
        label = f"{stage.replace('_', ' ')}" + (f" (b = {b:.2f})" if b is not None else "")
        style = {"color": "black", "linewidth": 2.5} if stage == "end_to_end" else {}
        ax.plot(ns, [values[n] for n in ns], marker="o", label=label, **style)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("persons in the synthetic region")
    ax.set_ylabel("wall seconds (one process per stage)")
    ax.set_title("Cost of each stage against region size (2 cores)")
    ax.grid(True, which="both", alpha=0.3)
    # beside the axes: inside them it hid the end-to-end point of the smallest region
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    fig.tight_layout()
    fig.savefig(out, dpi=130)
    plt.close(fig)


def appendix(results: dict[str, Any], figure: Path) -> dict[str, Any]:
    """The few figures the index's appendix shows (``benchmarks/scale_appendix.json``)."""
    sizes = sorted(
        (e for e in results.get("sizes", {}).values() if e.get("complete")), key=lambda e: e["n_persons"]
    )
    exps = results.get("exponents", {})
    return {
        "figure": str(figure.relative_to(ROOT)) if figure.is_relative_to(ROOT) else str(figure),
        "source": "benchmarks/scale.json",
        "sizes": [e["n_persons"] for e in sizes],
        "end_to_end": [
            {
                "n_persons": e["n_persons"],
                "seconds": e["end_to_end_seconds"],
                "peak_gb": e["end_to_end_peak_gb"],
                "cores": e["machine"]["cores"],
                "other_load_present": e["other_load_present"],
            }
            for e in sizes
        ],
        "exponents": {stage: (fit or {}).get("b") for stage, fit in exps.items()},
        "linkage_vs_recordlinkage": [
            {
                "n_persons": e["n_persons"],
                "seconds_ours": e["linkage_baseline"]["ours"]["seconds"],
                "seconds_recordlinkage": e["linkage_baseline"]["recordlinkage"]["seconds"],
                "time_ratio": e["linkage_baseline"].get("time_ratio"),
                "cpu_time_ratio": e["linkage_baseline"].get("cpu_time_ratio"),
                "f1_ours": e["linkage_baseline"].get("f1_ours"),
                "f1_recordlinkage": e["linkage_baseline"].get("f1_recordlinkage"),
                "recordlinkage_stopped": e["linkage_baseline"]["recordlinkage"].get("stopped"),
            }
            for e in sizes
            if "linkage_baseline" in e
        ],
        "national": national(results),
    }


def finish(results: dict[str, Any], out: Path) -> None:
    """Fit the exponents, write the JSON, the figure and the appendix summary."""
    results["exponents"] = exponents(results)
    save_figures(results, out)
    figure = out.with_suffix(".png")
    if any(e.get("complete") for e in results.get("sizes", {}).values()):
        draw(results, figure)
        save_figures(appendix(results, figure), out.with_name(out.stem + "_appendix.json"))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=DEFAULT_SIZES)
    parser.add_argument("--million", action="store_true", help=f"add {MILLION:,} persons to the sizes")
    parser.add_argument("--force", action="store_true", help="measure again the sizes already in --out")
    parser.add_argument("--out", type=Path, default=BENCH / "scale.json")
    parser.add_argument("--workdir", type=Path, default=ROOT / "build" / "scale")
    parser.add_argument("--no-baseline", dest="baseline", action="store_false")
    parser.add_argument("--baseline-max-persons", type=int, default=500_000)
    parser.add_argument("--baseline-memory-gb", type=float, default=16.0)
    parser.add_argument("--clean", action="store_true", help="delete each scratch project once measured")
    parser.add_argument("--redraw", action="store_true", help="only refit, redraw and rewrite from --out")
    args = parser.parse_args(argv)
    args.workdir = args.workdir.resolve()
    results: dict[str, Any] = {"sizes": {}}
    if args.out.exists():
        results = json.loads(args.out.read_text(encoding="utf-8"))
    results["benchmark"] = "scale: every dvc.yaml stage in its own process at several region sizes"
    if not args.redraw:
        sizes = sorted(set(args.sizes) | ({MILLION} if args.million else set()))
        for n in sizes:
            key = str(n)
            previous = results["sizes"].get(key, {})
            if previous.get("complete") and not args.force and not baseline_due(previous, args):
                print(f">> {n:,} persons already measured (--force to measure again)", file=sys.stderr)
                continue

            def save(entry: dict[str, Any], key: str = key) -> None:
                results["sizes"][key] = entry
                save_figures(results, args.out)

            entry = {} if args.force else previous
            results["sizes"][key] = run_size(n, entry, args, save)
            finish(results, args.out)
            e = results["sizes"][key]
            print(
                f">> {n:,} persons end to end: {e['end_to_end_seconds']:.0f} s, "
                f"peak {e['end_to_end_peak_gb']:.2f} GB",
                file=sys.stderr,
            )
    finish(results, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
