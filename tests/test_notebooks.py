"""Every report notebook executes with papermill on the tiny region, in both languages, and every
figure it draws reaches the HTML."""

from __future__ import annotations

import json
import re

import pytest

from pact_analysis import report
from pact_analysis.report import i18n

pytestmark = pytest.mark.xdist_group("dvc")  # the rendered reports of the tiny DVC run

#: Figures each report must at least show (by their alt text's catalogue key).
REQUIRED_FIGURES = {
    "00_overview": ["overview.population.figure.alt"],
    "01_record_linkage": ["record_linkage.decisions.histogram.alt", "record_linkage.accuracy.curve.alt"],
    "02_profiles": [
        "profiles.selection.figure.alt",
        "profiles.items.figure.alt",
        "profiles.cards.km.alt",
        "profiles.pathways.distribution.alt",
    ],
    "03_chronicity": [
        "chronicity.km.overall.alt",
        "chronicity.cox.forest.alt",
        "chronicity.competing.cif.alt",
        "chronicity.validation.calibration.alt",
        "chronicity.threshold.curve.alt",
    ],
    # the deployed model's calibration on the test cohort, drawn whether alerts are issued or withheld;
    # the province and reason figures only when they are (test_alert_figures_are_drawn_or_said_absent)
    "04_alerts": ["alerts.model.calibration.alt"],
    "05_pilot_evaluation": [
        "pilot_evaluation.flow.diagram.alt",
        "pilot_evaluation.comparison.love.alt",
        "pilot_evaluation.effects.forest.alt",
        "pilot_evaluation.heterogeneity.figure.alt",
    ],
    "06_spending": [
        "spending.yearly.figure.alt",
        "spending.future.figure.alt",
        "spending.breakeven.figure.alt",
        "spending.tornado.figure.alt",
    ],
}


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
@pytest.mark.parametrize("name", report.REPORTS)
def test_report_renders_with_every_figure_it_draws(rendered_reports, name, lang):
    html_path = rendered_reports.reports / lang / f"{name}.html"
    page = html_path.read_text(encoding="utf-8")
    assert f'<html lang="{lang}">' in page and "<h1>" in page
    assert i18n.t("common.provenance", lang) in page and i18n.t("common.findings", lang) in page
    assert "Traceback" not in page and "report.start(" not in page, (
        "code and errors must not reach the reader"
    )
    assert 'src="http' not in page and "cdnjs" not in page, "reports must not load anything from the internet"
    counts = json.loads((rendered_reports.reports / "tables" / name / f"figures.{lang}.json").read_text())
    images = re.findall(r'<img [^>]*src="data:image/png;base64,', page)
    assert counts["figures_drawn"] >= len(REQUIRED_FIGURES[name])
    assert len(images) == counts["figures_drawn"], "every figure the notebook drew must be in the HTML"
    assert page.count("<figcaption>") == len(images)
    for key in REQUIRED_FIGURES[name]:
        template = i18n.catalogue(lang)[key]  # an alt text may hold placeholders: match the text before them
        alt = template.split("{")[0].replace('"', "&quot;")
        assert f'alt="{alt}' in page, f"{name} ({lang}) lacks the figure {key}"


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_alert_figures_are_drawn_or_said_absent(rendered_reports, lang):
    page = (rendered_reports.reports / lang / "04_alerts.html").read_text(encoding="utf-8")
    none = i18n.catalogue(lang)["alerts.province.no_alerts"].split("{")[0]
    for key in ("alerts.province.figure.alt", "alerts.reasons.figure.alt"):
        alt = i18n.catalogue(lang)[key].split("{")[0].replace('"', "&quot;")
        assert (f'alt="{alt}' in page) != (none in page), key


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_error_rates_by_group_are_drawn_or_said_not_publishable(rendered_reports, lang):
    page = (rendered_reports.reports / lang / "03_chronicity.html").read_text(encoding="utf-8")
    alt = i18n.catalogue(lang)["chronicity.fairness.rates.alt"].split("{")[0].replace('"', "&quot;")
    none = i18n.catalogue(lang)["chronicity.fairness.rates_none"].split("{")[0]
    assert (f'alt="{alt}' in page) != (none in page)


@pytest.mark.parametrize("name", report.REPORTS)
def test_report_publishes_its_tables_and_findings(rendered_reports, name):
    tables = rendered_reports.reports / "tables" / name
    for lang in i18n.LANGUAGES:  # a copy in each page's language
        assert any((tables / lang).glob("*.csv")), "published tables are kept for the disclosure check"
    for lang in i18n.LANGUAGES:
        summary = json.loads((tables / f"summary.{lang}.json").read_text())
        assert summary["report"] == name and summary["values"]


def test_no_published_cell_claims_a_size(rendered_reports):
    """A suppressed cell is marked [c], never '<10' (which would state its size)."""
    for page in rendered_reports.reports.glob("*/*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"class=\"num\">\s*&lt;\s*\d+\s*<", text), f"{page.name}: a cell labelled <N"


def test_index_summarises_every_report_in_both_languages(rendered_reports):
    for lang in i18n.LANGUAGES:
        index = (rendered_reports.reports / lang / "index.html").read_text(encoding="utf-8")
        for name in report.REPORTS:
            assert f'href="{name}.html"' in index
        assert i18n.t("index.protection", lang) in index
        assert 'href="methods.html"' in index
