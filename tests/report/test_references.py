"""The one bibliography and each report's references section."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

from pact_analysis.report import i18n, references
from pact_analysis.report.navigation import REPORTS


def test_every_report_cites_known_works_and_every_work_is_cited():
    bib = references.bibliography()
    assert set(bib["cited"]) == set(REPORTS)
    cited = {k for keys in bib["cited"].values() for k in keys}
    assert cited == set(bib["works"]), f"works never cited: {set(bib['works']) - cited}"


def test_the_economic_report_cites_a_reporting_standard_and_every_report_a_standard_and_a_source():
    cited, works = references.bibliography()["cited"], references.bibliography()["works"]
    assert {"cheers_2022", "sullivan_2014"} <= set(cited["06_spending"])
    for name in REPORTS:
        kinds = {works[k]["kind"] for k in cited[name]}
        assert {"data", "standard"} <= kinds, name


def test_every_work_has_a_resolvable_address_or_a_venue():
    for key, work in references.bibliography()["works"].items():
        assert work.get("doi") or work.get("url") or work.get("venue"), key
        if work.get("doi"):
            assert re.fullmatch(r"10\.\d{4,9}/\S+", work["doi"]), key


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_references_section_groups_by_kind_with_anchors(lang):
    keys = references.cited_by("06_spending", ["cox_1972"])
    assert keys[-1] == "cox_1972" and keys.count("record_2015") == 1
    soup = BeautifulSoup(references.references_html(keys, lang), "html.parser")
    assert soup.h2["id"] == "references" and soup.h2.get_text() == i18n.t("common.references", lang)
    assert [h.get_text() for h in soup.select("h3")] == [
        i18n.t(f"common.references.{k}", lang) for k in ("data", "standard", "method")
    ]
    assert {li["id"] for li in soup.select("li")} == {f"ref-{k}" for k in keys}
    assert soup.find("a", href="https://doi.org/10.1136/bmj-2021-067975") is not None


def test_an_unknown_key_fails_where_it_is_cited():
    with pytest.raises(KeyError, match="no_such_work"):
        references.cited_by("00_overview", ["no_such_work"])
