"""Rules of the house, read from the code: short modules, layers, no import cycle, stages alike."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
import yaml

from pact_analysis.__main__ import STAGES
from pact_analysis.paths import ROOT

PACKAGE = ROOT / "pact_analysis"
MAX_LINES = 800
#: Modules allowed to import the presentation layer (``pact_analysis.report``).
PRESENTATION = ("pact_analysis.report", "pact_analysis.stages.report", "pact_analysis.stages.index",
                "pact_analysis.stages.pdf", "pact_analysis.stages.check", "pact_analysis.__main__")  # fmt: skip
#: Modules allowed to import the synthetic-region generator.
GENERATOR = ("pact_analysis.synth", "pact_analysis.stages.synthesize")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(name: str, level: int, current: str, is_package: bool) -> str:
    if not level:
        return name
    base = current.split(".") if is_package else current.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, name] if name else base)


def imports_of(path: Path, current: str, known: set[str]) -> set[str]:
    """Project modules imported anywhere in ``path`` (top level or inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node.module or "", node.level, current, path.name == "__init__.py")
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != current and target != "pact_analysis":
                found.add(target)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports_of(path, name, set(mods)) for name, path in mods.items()}


def _inside(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_no_module_is_over_800_lines():
    long = {name: n for name, p in modules().items() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"split these modules by job: {long}"


def test_statistics_never_import_the_report_layer(graph):
    bad = {
        m: sorted(t for t in targets if _inside(t, ("pact_analysis.report",)))
        for m, targets in graph.items()
        if not _inside(m, PRESENTATION)
    }
    assert not {m: t for m, t in bad.items() if t}


def test_only_the_synthesize_stage_imports_the_generator(graph):
    bad = {
        m: sorted(t for t in targets if _inside(t, ("pact_analysis.synth",)))
        for m, targets in graph.items()
        if not _inside(m, GENERATOR)
    }
    assert not {m: t for m, t in bad.items() if t}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_there_is_no_import_cycle(graph):
    assert not _cycles(graph)


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_every_stage_is_a_module_of_the_stages_folder_with_run():
    for stage in (*STAGES, "report"):
        module = importlib.import_module(f"pact_analysis.stages.{stage}")
        assert callable(getattr(module, "run", None)), stage


def test_every_dvc_stage_runs_a_stage_of_the_command_line():
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    for name, stage in stages.items():
        words = stage["cmd"].split()
        assert words[:3] == ["python", "-m", "pact_analysis"], name
        assert words[3] in (*STAGES, "report"), name


def test_no_module_builds_a_pipeline_path_by_hand():
    """Pipeline folders are named once, in pact_analysis/paths.py."""
    offenders = []
    for name, path in modules().items():
        if name == "pact_analysis.paths":
            continue
        text = path.read_text(encoding="utf-8")
        if '/ "data"' in text or '"data/' in text.replace('"data/feedback"', ""):
            offenders.append(name)
    assert not offenders, offenders
