"""The page shell's navigation: anchored headings, contents list, previous/next, cross-references."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from pact_analysis.report import i18n, navigation
from pact_analysis.report.shell import page

BODY = (
    '<h1>Informe</h1><p>intro</p><h2 id="sources">Fuentes</h2><p>a</p>'
    "<h3>Cómo se leyó</h3><h2>Calidad del enlace</h2><h3>Cómo se leyó</h3><h2>Límites</h2>"
)


def _soup(markup: str) -> BeautifulSoup:
    return BeautifulSoup(markup, "html.parser")


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_heading_is_anchored_once_and_listed_in_the_contents(lang):
    soup = _soup(page(BODY, lang, "t", "03_chronicity.html"))
    ids = [h["id"] for h in soup.select("main h2[id], main h3[id]") if not h.find_parent("nav")]
    assert ids == ["sources", "como-se-leyo", "calidad-del-enlace", "como-se-leyo-2", "limites"]
    toc = soup.select_one("nav.toc")
    targets = [a["href"] for a in toc.select("a")]
    assert targets == [f"#{i}" for i in ids]
    assert all(soup.find(id=t[1:]) is not None for t in targets)
    assert toc.find_previous_sibling("h1") is not None, "the contents list follows the title"
    assert toc.select("ol > li > ol > li a")[0]["href"] == "#como-se-leyo", "h3 nested under its h2"
    assert toc.h2.get_text() == i18n.t("common.contents", lang)


def test_a_kept_id_is_not_renamed_and_a_clash_is_numbered():
    soup = _soup(
        navigation.navigate('<h1>x</h1><h2 id="a">A</h2><h2>a</h2><h2 id="a">B</h2>', "es", "x.html")
    )
    assert [h["id"] for h in soup.select("h2[id]") if not h.find_parent("nav")] == ["a", "a-2", "a-3"]


@pytest.mark.parametrize(
    ("name", "prev", "next_"),
    [("00_overview", None, "01_record_linkage"), ("03_chronicity", "02_profiles", "04_alerts"),
     ("06_spending", "05_pilot_evaluation", None)],
)  # fmt: skip
def test_report_pages_link_previous_next_and_index_at_top_and_bottom(name, prev, next_):
    soup = _soup(page("<h1>t</h1><h2>a</h2><h2>b</h2>", "en", "t", f"{name}.html"))
    pagers = soup.select("nav.pager")
    assert len(pagers) == 2
    for pager in pagers:
        hrefs = {a["class"][0]: a["href"] for a in pager.select("a")}
        assert hrefs.get("prev") == (f"{prev}.html" if prev else None)
        assert hrefs.get("next") == (f"{next_}.html" if next_ else None)
        assert hrefs["up"] == "index.html"


def test_pages_outside_the_series_have_no_pager_and_one_heading_no_contents():
    soup = _soup(page("<h1>t</h1><h2>only</h2>", "es", "t", "index.html"))
    assert soup.select("nav.pager") == [] and soup.select("nav.toc") == []


def test_a_cross_reference_is_a_markdown_link_to_the_report_in_the_same_language():
    assert navigation.link("03_chronicity", "es", "spells") == (
        f"[{i18n.t('chronicity.title', 'es')}](03_chronicity.html#spells)"
    )
    assert navigation.link("index", "en", text="the index") == "[the index](index.html)"
    with pytest.raises(ValueError, match="no report"):
        navigation.link("07_nothing", "es")


def test_anchor_of_a_catalogue_key_is_the_same_in_every_language():
    assert navigation.anchor_of("common.checklist") == "checklist"
    assert navigation.anchor_of("spells.by_province") == "spells-by-province"
    assert navigation.slug("Évaluación: ¿quién?") == "evaluacion-quien"


def test_print_stylesheet_keeps_the_contents_list():
    from pact_analysis.report.shell import STYLE

    printed = STYLE[STYLE.index("@media print") :]
    assert "nav.toc { display: block" in printed and "nav.pager, .table-csv { display: none; }" in printed


@pytest.mark.parametrize(
    ("lang", "text", "target"),
    [
        ("en", "as the chronicity report says", "03_chronicity"),
        ("en", "see the record-linkage report", "01_record_linkage"),
        ("en", "in the Pilot Evaluation Report", "05_pilot_evaluation"),
        ("es", "según el informe de cronicidad", "03_chronicity"),
        ("es", "del informe de enlace de registros", "01_record_linkage"),
        ("es", "la página de métodos", "methods"),
    ],
)
def test_a_report_named_in_the_text_of_another_is_a_link_to_it(lang, text, target):
    body = f"<h1>x</h1><p>{text}, twice: {text}.</p><h2>{text}</h2><p><a href='y.html'>{text}</a></p>"
    soup = _soup(navigation.navigate(body, lang, "04_alerts.html"))
    xrefs = soup.select("a.xref")
    assert [a["href"] for a in xrefs] == [f"{target}.html"] * 2, "both mentions in the text, no other"
    assert xrefs[0].get_text().lower() in text.lower()
    assert soup.h2.find("a") is None and soup.select_one("p a[href='y.html']").get_text() == text
    # the whole phrase is linked, not a shorter one inside it, and the page does not link itself
    assert navigation.link_mentions(_soup(f"<p>{text}</p>"), lang, f"{target}.html") == 0


def test_a_phrase_inside_a_longer_word_or_an_unrelated_report_is_not_linked():
    soup = _soup("<p>the chronicity reports of other regions; an Audit report; informe de fiscalización</p>")
    assert navigation.link_mentions(soup, "en", "00_overview.html") == 0
