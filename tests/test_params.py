"""Typed parameters: params.yaml validated before any work, defaults defined once."""

from __future__ import annotations

import ast
import re
import shutil

import pytest
import yaml

from pact_analysis import params as pm
from pact_analysis.__main__ import main
from pact_analysis.errors import StageError
from pact_analysis.paths import ROOT, Paths
from pact_analysis.report.render import flatten_params


def write_params(tmp_path, change) -> Paths:
    """A project root whose params.yaml is the committed one changed by ``change(dict)``."""
    raw = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    change(raw)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    return Paths(tmp_path)


def test_the_committed_params_validate_and_every_default_is_filled():
    loaded = pm.load_params(ROOT / "params.yaml")
    assert loaded["alerts"]["n_reasons"] == 3
    assert pm.validate_params({})["chronicity"]["alert_share"] == loaded["chronicity"]["alert_share"]
    partial = pm.validate_params({"alerts": {"n_reasons": 5}})
    assert partial["alerts"]["n_reasons"] == 5 and partial["alerts"]["bootstrap"] == 50


@pytest.mark.parametrize(
    ("change", "key", "expected"),
    [
        (lambda p: p["alerts"].update(n_reasonz=5), "alerts.n_reasonz", "unknown key"),
        (lambda p: p["alerts"].update(n_reasons="three"), "alerts.n_reasons", "valid integer"),
        (lambda p: p["chronicity"].update(alert_share=1.5), "chronicity.alert_share", "less than 1"),
        (
            lambda p: p["chronicity"].update(alert_threshold=0.6),
            "chronicity.alert_threshold",
            "chronicity.alert_share",
        ),
        (lambda p: p["linkage"].update(backend="sparc"), "linkage.backend", "'duckdb' or 'spark'"),
        (lambda p: p["data"].update(extraction_date="31/10/2018"), "data.extraction_date", "isoformat"),
        (
            lambda p: p["synthetic"]["noise"].update(typo=1.3),
            "synthetic.noise.typo",
            "less than or equal to 1",
        ),
        (lambda p: p.update(sed=1), "sed", "unknown key"),
    ],
)
def test_a_bad_parameter_stops_the_stage_naming_the_key(tmp_path, capsys, change, key, expected):
    paths = write_params(tmp_path, change)
    with pytest.raises(StageError, match=re.escape(key)) as err:
        pm.load_params(paths.params)
    assert expected in str(err.value)
    # the command line stops before any work (nothing written), with one message naming the key
    assert main(["synthesize", "--root", str(tmp_path)]) == 2
    message = capsys.readouterr().err
    assert key in message and "Traceback" not in message
    assert not (tmp_path / "data").exists() and not (tmp_path / "metrics").exists()


def test_cross_field_rules_are_checked():
    with pytest.raises(StageError, match="chosen_model"):
        pm.validate_params({"chronicity": {"models": ["cox"], "chosen_model": "logistic"}})
    with pytest.raises(StageError, match="ci_low <= estimate"):
        pm.validate_params({"spending": {"effect_default": {"estimate": 0.5, "ci_low": 0.0, "ci_high": 0.1}}})


def _parameter_cell(path) -> dict:
    """The assignments of a notebook's papermill ``parameters`` cell."""
    text = path.read_text(encoding="utf-8")
    cell = text.split('# %% tags=["parameters"]', 1)[1].split("# %%", 1)[0]
    return {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in ast.parse(cell).body
        if isinstance(node, ast.Assign)
    }


@pytest.mark.parametrize("notebook", sorted(p.name for p in (ROOT / "notebooks").glob("*.py")))
def test_notebook_parameter_cells_agree_with_the_typed_defaults(notebook):
    """A notebook's parameters cell holds placeholders for papermill: they must not be other defaults."""
    flat = flatten_params(pm.defaults())
    declared = _parameter_cell(ROOT / "notebooks" / notebook)
    differing = {
        name: (value, flat[name]) for name, value in declared.items() if name in flat and flat[name] != value
    }
    assert not differing, f"{notebook}: parameters cell disagrees with pact_analysis/params.py: {differing}"
    unknown = set(declared) - set(flat) - {"root", "lang"}
    assert not unknown, f"{notebook}: parameters not in params.py: {unknown}"


def test_no_module_keeps_defaults_of_its_own():
    """Defaults live in params.py only: no ``DEFAULTS`` table, no ``.get("key", default)`` on a section."""
    offenders = []
    for path in (ROOT / "pact_analysis").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if re.search(r"^DEFAULTS\s*[:=]", text, flags=re.M):
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, offenders


def test_the_cli_refuses_a_misspelt_key_in_a_copy_of_the_project(tmp_path, capsys):
    """The documented failure: ``n_reasonz: 5`` under ``alerts:`` names ``alerts.n_reasonz``."""
    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")
    text = (tmp_path / "params.yaml").read_text(encoding="utf-8")
    text = text.replace("alerts:", "alerts:\n  n_reasonz: 5", 1)
    (tmp_path / "params.yaml").write_text(text, encoding="utf-8")
    assert main(["key", "--root", str(tmp_path)]) == 2
    assert "unknown key alerts.n_reasonz" in capsys.readouterr().err
