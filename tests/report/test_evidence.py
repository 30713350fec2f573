"""The index's sign-off slots read the stages' metrics defensively and record what they show."""

from __future__ import annotations

import json

from bs4 import BeautifulSoup

from pact_analysis.disclosure import quantities
from pact_analysis.paths import Paths
from pact_analysis.report import evidence


def _metrics(tmp_path, stage: str, data: dict) -> Paths:
    paths = Paths(tmp_path)
    paths.metrics.mkdir(parents=True, exist_ok=True)
    (paths.metrics / f"{stage}.json").write_text(json.dumps(data))
    return paths


def test_a_number_an_interval_object_a_nested_key_and_an_absence_are_read(tmp_path):
    paths = _metrics(
        tmp_path, "spending", {"net_5y_eur": {"estimate": -10.0, "ci_low": -20.0, "ci_high": 1.5}}
    )
    _metrics(tmp_path, "chronicity", {"validation": {"c_index": {"value": 0.65, "lower": 0.6, "upper": 0.7}}})
    _metrics(tmp_path, "alerts", {"ppv": 0.81, "sensitivity": "n/a"})
    _metrics(
        tmp_path, "profiles", {"ari": 0.78, "ari_ci": [0.75, 0.8], "ceiling": 0.86, "ceiling_ci": [None, 0.9]}
    )
    assert evidence.read_metric(paths.metrics, "spending", ("net_5y_eur",)) == (
        "net_5y_eur",
        -10.0,
        -20.0,
        1.5,
    )
    assert evidence.read_metric(paths.metrics, "chronicity", ("c_index", "validation.c_index")) == (
        "validation.c_index", 0.65, 0.6, 0.7,
    )  # fmt: skip
    assert evidence.read_metric(paths.metrics, "alerts", ("ppv",)) == ("ppv", 0.81, None, None)
    # a headline's interval beside it (``<key>_ci``), used only when both bounds are there
    assert evidence.read_metric(paths.metrics, "profiles", ("ari",)) == ("ari", 0.78, 0.75, 0.8)
    assert evidence.read_metric(paths.metrics, "profiles", ("ceiling",)) == ("ceiling", 0.86, None, None)
    assert evidence.read_metric(paths.metrics, "alerts", ("sensitivity",)) is None
    assert evidence.read_metric(paths.metrics, "pilot", ("effect",)) is None


def test_slots_show_interval_and_strength_and_say_when_a_figure_is_missing(tmp_path):
    paths = _metrics(
        tmp_path,
        "spending",
        {"net_cost": {"estimate": -108056.6, "ci_low": -235183.7, "ci_high": -35279.6}},
    )
    soup = BeautifulSoup(evidence.slots_html(paths, "06_spending", "es"), "html.parser")
    items = soup.select("li")
    shown = items[0].get_text().replace("\u00a0", " ")
    # a scenario's interval is a simulation interval; the minus sign comes before the amount
    assert "−108 mil € (intervalo de simulación del 95 %: −235 mil € a −35 mil €)" in shown  # as 06 says them
    english = BeautifulSoup(evidence.slots_html(paths, "06_spending", "en"), "html.parser").li.get_text()
    assert "−€108 thousand (95% simulation interval −€235 thousand to −€35 thousand)" in english.replace(
        "\u00a0", " "
    )
    assert items[0].select_one(".evidence-scenario").get_text() == "escenario"
    assert "no disponible en esta ejecución" in items[1].get_text() and "missing" in items[1]["class"]
    found = quantities.collect(paths.reports)
    assert found["spending.net_cost"][0].value == -108056.6 and found["spending.net_cost"][0].page == "index"


def test_every_report_after_the_overview_has_a_slot_and_every_evidence_kind_a_label():
    from pact_analysis.report import i18n
    from pact_analysis.report.navigation import REPORTS

    assert {s.report for s in evidence.SLOTS} == set(REPORTS[1:])
    for lang in i18n.LANGUAGES:
        for slot in evidence.SLOTS:
            assert i18n.has(f"index.evidence.{slot.evidence}", lang) and i18n.has(
                f"index.slot.{slot.label}", lang
            )
    assert evidence.keys_read()["pilot"] == [
        "exit_12m",
        "effect_exit_12m",
        "effect.exit_12m",
        "effect",
        "max_abs_smd",
    ]


def test_a_difference_of_probabilities_is_shown_in_percentage_points(tmp_path):
    paths = _metrics(tmp_path, "spending", {"break_even_effect": 0.12998})
    assert "13,0 p. p." in evidence.slots_html(paths, "06_spending", "es")
    assert "13.0 pp" in evidence.slots_html(paths, "06_spending", "en")
