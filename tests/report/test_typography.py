"""Spanish typography and terms, and labels in the page's language, on small pages."""

from __future__ import annotations

import pytest

from pact_analysis.report import i18n
from pact_analysis.report.typography import page_problems


def _page(body: str) -> str:
    return f"<html><body><main>{body}</main></body></html>"


def test_a_clean_spanish_page_passes():
    body = (
        "<p>Estabilidad: dudosa. Calidad: alta. El 95\u00a0% de los episodios (IC 95 % 0,64 a 1,03; p < 0,001) se han seudonimizado.</p>"
        "<p>De 2015-2018, el 31-10-2018, k-1 y un efecto de \u22120,36 (\u22120,50; \u22120,08).</p>"
        '<img alt="Barras por provincia con la proporción de salidas"><table><tr><th>Provincia</th></tr></table>'
        "<script>var x = 2*3; // 5%</script><pre>a*b 10%</pre>"
    )
    assert page_problems(_page(body), "es") == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("<p>IC 95% de 0,6 a 1,0</p>", "no space before %"),
        ("<p>intervalo *bootstrap* del 95 %</p>", "Markdown asterisk"),
        ("<td>0,0000</td>", "printed as zero"),
        ("<p>datos anonimizados</p>", "'anonimizado'"),
        ("<p>la tabla está en el apéndice</p>", "'apéndice'"),
        ("<td>(-0,36; -0,08)</td>", "hyphen as a minus sign"),
        ("<p>Rasgos: paro. Estabilidad: dudoso.</p>", "gender agreement"),
        ('<img alt="Share of persons by months">', "alt in the other language (months, of, persons, share)"),
        ("<table><tr><th>Match weight</th></tr></table>", "header in the other language (match, weight)"),
    ],
)
def test_each_spanish_fault_is_found(body, expected):
    problems = page_problems(_page(body), "es")
    assert any(expected in p for p in problems), problems


def test_english_pages_allow_a_glued_percent_but_not_spanish_labels_or_zero_p_values():
    assert page_problems(_page("<p>95% CI; p < 0.001</p>"), "en") == []
    problems = page_problems(_page('<img alt="Proporción de personas según meses"><td>0.00000</td>'), "en")
    assert any("alt in the other language" in p for p in problems)
    assert any("printed as zero" in p for p in problems)


@pytest.mark.parametrize(("p", "es", "en"), [(0.0, "< 0,001", "< 0.001"), (0.0004, "< 0,001", "< 0.001"),
                                              (0.001, "0,001", "0.001"), (0.0234, "0,023", "0.023"), (1.0, "1,000", "1.000")])  # fmt: skip
def test_p_values_are_never_printed_as_zero(p, es, en):
    assert i18n.p_value(p, "es") == es and i18n.p_value(p, "en") == en
    assert i18n.Number(p, "p").format("es") == es
    assert page_problems(_page(f"<td>{i18n.p_value(p, 'es')}</td>"), "es") == []


def test_a_p_value_outside_zero_one_is_an_error():
    with pytest.raises(ValueError, match="p-value"):
        i18n.p_value(1.5, "es")


def test_every_spanish_catalogue_text_keeps_a_space_before_percent_and_says_seudonimizado():
    """The catalogues are where the words come from: fix a fault there, not in each page."""
    from pact_analysis.report.typography import ANONYMISED, GLUED_PERCENT

    own = ("common.", "index.", "methods.", "overview.", "record_linkage.")
    texts = {k: v for k, v in i18n.catalogue("es").items() if k.startswith(own)}
    assert [k for k, v in texts.items() if GLUED_PERCENT.search(v.replace("{", " {"))] == []
    assert [k for k, v in texts.items() if ANONYMISED.search(v)] == []
