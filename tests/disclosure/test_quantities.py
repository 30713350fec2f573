"""One quantity, one value, one suppression decision: the record pages keep and the check on it."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from pact_analysis.disclosure import quantities
from pact_analysis.errors import StageError
from pact_analysis.paths import Paths
from pact_analysis.report import page
from pact_analysis.stages import check
from tests.disclosure.test_check_stage import project  # noqa: F401  (the clean project fixture)
from tests.fixtures import params


def _tables(paths: Paths, name: str):
    return paths.reports / "tables" / name


def test_the_same_value_in_two_reports_agrees(tmp_path):
    paths = Paths(tmp_path)
    for name in ("00_overview", "03_chronicity"):
        quantities.record(
            _tables(paths, name), "es", "chronicity.median_months", 13.3388, where="text", shown="num:1"
        )
    assert quantities.check_quantities(paths.reports) == {"quantities": 1, "problems": []}


def test_two_values_two_precisions_and_published_vs_suppressed_are_caught(tmp_path):
    paths = Paths(tmp_path)
    record = quantities.record
    record(
        _tables(paths, "00_overview"), "es", "chronicity.median_months", 13.0, where="findings", shown="num:0"
    )
    record(
        _tables(paths, "03_chronicity"),
        "es",
        "chronicity.median_months",
        13.34,
        where="findings",
        shown="num:1",
    )
    record(_tables(paths, "00_overview"), "en", "pilot.professionals_agree", 40, where="table:calibration")
    record(
        _tables(paths, "05_pilot_evaluation"),
        "en",
        "pilot.professionals_agree",
        None,
        where="table:x",
        suppressed=True,
    )
    problems = quantities.check_quantities(paths.reports)["problems"]
    assert len(problems) == 3, problems
    assert any("13 in 00_overview (es, findings) but 13.34 in 03_chronicity" in p for p in problems)
    assert any("different precisions ['num:0', 'num:1']" in p for p in problems)
    assert any(
        p.startswith(
            "pilot.professionals_agree: suppressed in 05_pilot_evaluation (en, table:x) but published in 00_overview"
        )
        for p in problems
    )


def test_check_stage_fails_on_a_planted_published_and_suppressed_quantity(project):  # noqa: F811
    check.run(project, params())  # clean
    quantities.record(_tables(project, "02_profiles"), "es", "profiles.smallest", 48, where="text")
    check.run(project, params())  # one place only: nothing to disagree with
    quantities.record(
        _tables(project, "index"), "es", "profiles.smallest", None, where="index", suppressed=True
    )
    check.run(project, params())  # the index's record is of the previous run: the index stage checks it
    quantities.record(
        _tables(project, "04_alerts"), "en", "profiles.smallest", None, where="text", suppressed=True
    )
    with pytest.raises(
        StageError, match="profiles.smallest: suppressed in 04_alerts .* but published in 02_profiles"
    ):
        check.run(project, params())
    details = json.loads((project.reports / "tables" / "disclosure.json").read_text())
    assert details["quantities_checked"] == 1 and len(details["quantity_conflicts"]) == 1


def test_a_report_records_quantities_of_sentences_and_table_cells_with_their_suppression(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(page.Report, "_show", lambda self, markup: None)
    r = page.Report("00_overview", tmp_path, "es", min_cell=10)
    assert r.quantity("pilot.professionals_disagree", 8, "int", count=True) == "menos de 10"
    shown = r.quantity("pilot.professionals_agree_share", 0.8333, "pct", 1)
    assert i18n_fmt(shown) == "83,3\u00a0%"
    table = pd.DataFrame({"spells": [40, 8]}, index=pd.Index(["yes", "no"], name="province"))
    r.table(
        table,
        "spells.by_province",
        counts=["spells"],
        additive=False,
        quantity_cells={"pilot.agree_yes": ("yes", "spells"), "pilot.agree_no": ("no", "spells")},
    )
    found = quantities.collect(tmp_path / "reports")
    assert (
        found["pilot.professionals_disagree"][0].suppressed
        and found["pilot.professionals_disagree"][0].value is None
    )
    assert found["pilot.agree_no"][0].suppressed and found["pilot.agree_yes"][0].value == 40
    assert found["pilot.professionals_agree_share"][0].shown == "pct:1"


def i18n_fmt(value) -> str:
    from pact_analysis.report import i18n

    return i18n.fmt(value, "es")


def test_the_index_stage_fails_when_a_figure_it_shows_differs_from_a_report(tmp_path, monkeypatch):
    """The index records the metrics it shows (linkage.precision) and checks them against the reports."""
    from pact_analysis import disclosure
    from pact_analysis.stages import index

    paths = Paths(tmp_path)
    paths.metrics.mkdir(parents=True)
    (paths.metrics / "linkage.json").write_text(json.dumps({"precision": 0.999, "recall": 0.98}))
    monkeypatch.setattr(disclosure, "collect_identities", lambda raw: {})
    monkeypatch.setattr(
        disclosure, "scan_for_pii", lambda pages, who, root: {"findings": [], "scanned": pages}
    )
    params_ = {"data": {"source": "synthetic"}, "disclosure": {"min_cell": 10}, "seed": 1}
    quantities.record(
        _tables(paths, "01_record_linkage"), "es", "linkage.precision", 0.999, where="findings", shown="pct:2"
    )
    index.run(paths, params_)
    quantities.record(
        _tables(paths, "01_record_linkage"), "en", "linkage.precision", 0.95, where="findings", shown="pct:2"
    )
    with pytest.raises(
        StageError, match=r"linkage.precision: 0.95 in 01_record_linkage \(en, findings\) but 0.999 in"
    ):
        index.run(paths, params_)
