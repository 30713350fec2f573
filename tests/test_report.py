"""Tests of the report framework: parameters, translations, locale formats, tables, index, offline HTML."""

from __future__ import annotations

import datetime as dt
import json
import re

import numpy as np
import pandas as pd
import pytest

from pact_analysis import report
from pact_analysis.errors import StageError
from pact_analysis.paths import Paths
from pact_analysis.report import i18n, page
from pact_analysis.report.provenance import params_used
from pact_analysis.report.references import references_html


def test_flatten_and_dotted_names_are_inverse():
    params = {
        "seed": 1,
        "data": {"source": "synthetic", "extraction_date": dt.date(2018, 10, 31)},
        "a": {"b": {"c": 2}},
    }
    flat = report.flatten_params(params)
    assert flat == {"seed": 1, "data_source": "synthetic", "data_extraction_date": "2018-10-31", "a_b_c": 2}
    assert report.dotted_names(params) == {
        "seed": "seed",
        "data_source": "data.source",
        "data_extraction_date": "data.extraction_date",
        "a_b_c": "a.b.c",
    }


def test_undeclared_parameter_is_refused(tmp_path):
    nb = tmp_path / "x.py"
    nb.write_text('# %% tags=["parameters"]\nroot = "."\nnot_a_param = 3\n\n# %%\nprint(root)\n')
    declared = report.declared_parameters(nb, tmp_path)
    assert declared == ["root", "not_a_param"]
    with pytest.raises(StageError, match="not_a_param"):
        report.notebook_parameters(tmp_path / "x.ipynb", {"seed": 1}, tmp_path, "es")


def test_offline_html_drops_cdn_scripts_only():
    html = (
        '<script src="https://cdnjs.cloudflare.com/ajax/libs/require.js/2.1.10/require.min.js"></script>\n'
        '<script type="module">import m from "https://cdnjs.cloudflare.com/x.mjs"; m.run();</script>'
        "<script>var local = 1;</script><p>keep</p>"
    )
    out = report.offline_html(html)
    assert "https://" not in out
    assert "var local = 1" in out and "<p>keep</p>" in out


def test_data_fingerprint_changes_with_content_and_names(tmp_path):
    folder = tmp_path / "raw"
    folder.mkdir()
    (folder / "a.csv").write_text("x;y\n1;2\n")
    first = report.data_fingerprint(folder)
    assert first == report.data_fingerprint(folder)
    (folder / "a.csv").write_text("x;y\n1;3\n")
    second = report.data_fingerprint(folder)
    assert second != first
    (folder / "a.csv").rename(folder / "b.csv")
    assert report.data_fingerprint(folder) != second
    assert report.data_fingerprint(tmp_path / "nothing") == "missing"


# --- translations and formats ------------------------------------------------------------------------


def test_every_catalogue_key_exists_in_every_language():
    missing = i18n.missing_keys()
    assert missing == {lang: [] for lang in i18n.LANGUAGES}, f"keys missing in a language: {missing}"


def test_a_missing_key_is_an_error_not_a_fallback():
    with pytest.raises(i18n.MissingTranslation, match="no es translation"):
        i18n.t("overview.no_such_key", "es")


def test_placeholders_of_each_key_agree_between_languages():
    """A sentence that drops a number in one language would publish less in it."""
    fields = re.compile(r"\{(\w+)\}")
    es, en = i18n.catalogue("es"), i18n.catalogue("en")
    differing = [k for k in es if set(fields.findall(es[k])) != set(fields.findall(en.get(k, "")))]
    assert differing == []


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("es", ("1.234,5", "12,3\u00a0%", "31 de octubre de 2018")),
        ("en", ("1,234.5", "12.3%", "31 October 2018")),
    ],
)
def test_numbers_percentages_and_dates_follow_the_locale(lang, expected):
    assert i18n.number(1234.5, lang, 1) == expected[0]
    assert i18n.percent(0.123, lang) == expected[1]
    assert i18n.date("2018-10-31", lang) == expected[2]


def test_a_negative_number_takes_the_minus_sign_and_a_rounded_zero_none():
    assert i18n.number(-0.36, "es", 2) == "\u22120,36" and i18n.number(-1234.5, "en", 1) == "\u22121,234.5"
    assert i18n.percent(-0.046, "es") == "\u22124,6\u00a0%" and i18n.percent(-0.046, "en") == "\u22124.6%"
    assert i18n.number(-0.001, "es", 2) == "0,00" and i18n.percent(-0.00001, "en") == "0.0%"


@pytest.mark.parametrize(
    ("label", "es", "en"),
    [
        ("12000", "12.000", "12,000"),
        ("2016", "2016", "2016"),
        ("\u22122.5", "\u22122,5", "\u22122.5"),
        ("-0.25", "\u22120,25", "\u22120.25"),
        ("20%", "20\u00a0%", "20%"),
        ("1.5e6", "1,5e6", "1.5e6"),
        ("Ávila", "Ávila", "Ávila"),
    ],
)
def test_figure_tick_labels_write_numbers_as_the_sentences_do(label, es, en):
    assert page.localised_label(label, "es") == es and page.localised_label(label, "en") == en


def test_an_axis_reaching_five_digits_groups_its_four_digit_labels_too():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    assert page.localised_label("2000", "en", group_four=True) == "2,000"
    for top, expected in (
        (12_000, ["0", "2,000", "4,000", "10,000", "12,000"]),
        (8_000, ["0", "2000", "8000"]),
    ):
        fig, ax = plt.subplots()
        ax.plot([0, top], [0, 1])
        ax.set_xticks(range(0, top + 1, 2000))
        page.localise_ticks(fig, "en")
        fig.canvas.draw()
        shown = [t.get_text() for t in ax.get_xticklabels()]
        plt.close(fig)
        assert set(expected) <= set(shown), shown


def test_names_are_listed_in_dictionary_order_accents_ignored_the_total_last():
    frame = pd.DataFrame(
        {"n": [1, 2, 3, 4, 5, 6]}, index=["Zamora", "all", "unknown", "Ávila", "burgos", "León"]
    )
    assert list(i18n.by_name(frame).index) == ["Ávila", "burgos", "León", "Zamora", "unknown", "all"]
    assert i18n.sort_key("overall") == i18n.sort_key("all")[:1] + ("overall",)
    long = pd.DataFrame({"group": ["Soria", "Ávila", "Soria", "Ávila"], "t": [0, 0, 1, 1]})
    ordered = i18n.by_name(long, "group")
    assert list(ordered["group"]) == ["Ávila", "Ávila", "Soria", "Soria"] and list(ordered["t"]) == [
        0,
        1,
        0,
        1,
    ]


def test_a_number_in_a_sentence_is_formatted_per_language():
    value = i18n.Number(12345, "int")
    assert i18n.fmt(value, "es") == "12.345" and i18n.fmt(value, "en") == "12,345"
    assert i18n.Number.from_json(value.to_json()).format("es") == "12.345"


# --- tables and figures ------------------------------------------------------------------------------


def _report(tmp_path, lang="es"):
    return page.Report("00_overview", tmp_path, lang, min_cell=10)


def test_table_suppresses_small_counts_with_a_true_footnote(tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(page.Report, "_show", lambda self, markup: shown.append(markup))
    r = _report(tmp_path)
    table = pd.DataFrame(
        {
            "spells": [120, 4, 80, 90, 100],
            "ongoing": [30, 40, 15, 25, 35],
            "median_months": [50, 12, 60, 40, 45],
        },
        index=pd.Index(["León", "Soria", "Burgos", "Ávila", "Zamora"], name="province"),
    )
    r.table(table, "spells.by_province", counts=["spells", "ongoing", "median_months"])
    html = shown[-1]
    assert "[c]" in html and "&lt;10" not in html and "<10" not in html
    assert "120" in html and "Tabla 1." in html and "Provincia" in html
    sidecar = json.loads((tmp_path / "reports/tables/00_overview/es/spells_by_province.json").read_text())
    assert sidecar["primary"] == 1 and sidecar["additive"] is True
    assert "confidencial" in html


def test_a_table_mostly_suppressed_is_replaced_by_a_sentence(tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(page.Report, "_show", lambda self, markup: shown.append(markup))
    r = _report(tmp_path, "en")
    table = pd.DataFrame(
        {"spells": [120, 4, 3], "ongoing": [30, 2, 1]},
        index=pd.Index(["León", "Soria", "Burgos"], name="province"),
    )
    r.table(table, "spells.by_province", counts=["spells", "ongoing"])
    assert "Table not shown" in shown[-1] and "<table" not in shown[-1] and r.tables == 0
    assert not (tmp_path / "reports/tables/00_overview/es/spells_by_province.csv").exists()
    # one row in two holds a hidden count: still shown (more than half of the rows must be)
    r.table(
        table.iloc[[0, 1]].assign(spells=[120, 40], ongoing=[30, 20]), "spells.by_province", counts=["spells"]
    )
    assert "<table" in shown[-1] and r.tables == 1


def test_a_table_whose_cells_are_mostly_blanked_is_replaced_by_a_sentence(tmp_path, monkeypatch):
    """One row in two has a hidden count (not more than half of the rows), but with the values that
    would give it away marked too, 7 of its 10 cells are hidden: not shown."""
    from pact_analysis import disclosure

    C = disclosure.SUPPRESSED
    shown = []
    monkeypatch.setattr(page.Report, "_show", lambda self, markup: shown.append(markup))
    r = _report(tmp_path, "en")
    published = pd.DataFrame(
        {"spells": [120, disclosure.SUPPRESSED], "ongoing": [30.0, np.nan]},
        index=pd.Index(["León", "Soria"], name="province"),
    )
    mask = pd.DataFrame({"spells": [False, True]}, index=published.index)
    r.table(disclosure.Protected(published, mask, 1, 0, derived=0), "spells.by_province")
    assert "<table" in shown[-1]  # 1 of 4 cells, 1 of 2 rows
    wide = published.assign(a=[1.0, C], b=[2.0, C], c=[3.0, C], ongoing=[30.0, C])
    wide.loc["León", ["a", "b"]] = C
    r.table(disclosure.Protected(wide, mask, 1, 0, derived=6), "spells.by_province")
    with pytest.raises(ValueError, match="carries its relations"):
        r.table(disclosure.Protected(wide, mask, 1, 0, derived=6), "spells.by_province", additive=False)
    assert "Table not shown" in shown[-1]  # 1 + 6 of 10 cells hidden
    # a value blanked in a row whose counts are all shown does not make the row hidden
    rates = published.assign(spells=[120, 90], a=[C, 0.5], b=[0.1, 0.2], c=[0.3, 0.4], d=[0.5, 0.6])
    assert not page._mostly_suppressed(rates, ["spells"])  # 1 of 12 cells, no row with a hidden count
    assert page._mostly_suppressed(rates.assign(spells=[C, C]), ["spells"])  # every row's count hidden
    assert not page._mostly_suppressed(rates.assign(a=[C, C]), ["spells"])  # 2 of 12 cells, counts shown


def test_table_formats_numbers_for_the_language(tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(page.Report, "_show", lambda self, markup: shown.append(markup))
    table = pd.DataFrame({"rows": [12345], "missing_share": [0.25]}, index=pd.Index(["ceas"], name="source"))
    _report(tmp_path, "es").table(
        table, "sources.table", counts=["rows"], additive=False, percent=["missing_share"]
    )
    _report(tmp_path, "en").table(
        table, "sources.table", counts=["rows"], additive=False, percent=["missing_share"]
    )
    assert "12.345" in shown[0] and "25,0\u00a0%" in shown[0]
    assert "12,345" in shown[1] and "25.0%" in shown[1]


def test_a_column_without_a_label_fails(tmp_path, monkeypatch):
    monkeypatch.setattr(page.Report, "_show", lambda self, markup: None)
    with pytest.raises(i18n.MissingTranslation, match="no_label_for_this"):
        _report(tmp_path).table(pd.DataFrame({"no_label_for_this": [1.5]}), "sources.table")


def test_figure_is_embedded_numbered_with_caption_and_alt(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    shown = []
    monkeypatch.setattr(page.Report, "_show", lambda self, markup: shown.append(markup))
    r = _report(tmp_path, "en")
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    r.figure(fig, "population.figure", date=r.date("2018-10-31"))
    assert shown[-1].startswith('<figure id="figure-1"><img src="data:image/png;base64,')
    assert 'alt="Population pyramid' in shown[-1] and "<b>Figure 1.</b>" in shown[-1]
    assert not plt.fignum_exists(fig.number), "a published figure is closed"


def test_footer_refuses_a_figure_that_was_drawn_but_not_published(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    monkeypatch.setattr(page.Report, "_show", lambda self, markup: None)
    r = page.start("00_overview", tmp_path, "es", 10)
    plt.subplots()
    with pytest.raises(RuntimeError, match="1 figures drawn, 0 published"):
        r.footer()
    plt.close("all")


# --- index -------------------------------------------------------------------------------------------


def test_index_summarises_each_report_in_both_languages(tmp_path):
    paths = Paths(tmp_path)
    for lang in i18n.LANGUAGES:
        (paths.reports / lang).mkdir(parents=True)
        (paths.reports / lang / "00_overview.html").write_text("<html></html>")
    summary = {
        "report": "00_overview",
        "index": "overview.index",
        "values": {
            "persons": {"value": 12345, "kind": "int", "decimals": 1},
            "spells": {"value": 657, "kind": "int", "decimals": 1},
            "job_exits": {"value": 0.359, "kind": "pct", "decimals": 1},
            "sanction_exits": {"value": 0.4, "kind": "pct", "decimals": 1},
            "chronicity": "[x](03_chronicity.html)",
        },
    }
    (paths.reports / "tables" / "00_overview").mkdir(parents=True)
    for lang in i18n.LANGUAGES:
        (paths.reports / "tables" / "00_overview" / f"summary.{lang}.json").write_text(json.dumps(summary))
    params = {
        "seed": 7,
        "data": {"source": "synthetic"},
        "synthetic": {"n_persons": 5},
        "disclosure": {"min_cell": 10},
    }
    report.build_index(paths, params)
    es = (paths.reports / "es" / "index.html").read_text()
    en = (paths.reports / "en" / "index.html").read_text()
    assert '<html lang="es">' in es and "12.345 fichas" in es and "35,9\u00a0%" in es
    assert '<html lang="en">' in en and "12,345 SAUSS person records" in en and "35.9%" in en
    assert 'href="00_overview.html"' in es and "no generado en esta ejecución" in es  # linkage not rendered
    assert 'href="03_chronicity.html"' in es, "a cross-reference in a summary stays a link in the index"
    assert "que se van añadiendo" not in es and "cuando existan" not in es and "once they exist" not in en
    assert (
        "segmentación de la población" not in es and "cronicidad en la renta mínima" in es.split("</h1>")[0]
    )
    assert '<nav aria-label="Contenido" class="toc">' in es and "#referencias" not in es
    assert 'href="../en/index.html"' in es and 'href="../es/index.html"' in en
    assert "Región sintética" in es and "HMAC-SHA256" in es and '"seed": 7' in es
    assert "url=es/index.html" in (paths.reports / "index.html").read_text()
    assert (paths.reports / "es" / "methods.html").exists()


def test_provenance_states_only_the_parameters_the_run_used():
    real = {
        "seed": 1,
        "data": {"source": "files"},
        "synthetic": {"n_persons": 5},
        "linkage": {"threshold": 0.9},
    }
    assert "synthetic" not in params_used(real)
    assert "synthetic" in params_used(real | {"data": {"source": "synthetic"}})


def test_amounts_published_behind_their_persons_declare_their_suppressions(tmp_path, monkeypatch):
    """A spending table holds no counts: the persons behind its cells decide, and the sidecar says so."""
    from pact_analysis import disclosure

    shown = []
    monkeypatch.setattr(page.Report, "_show", lambda self, markup: shown.append(markup))
    r = _report(tmp_path)
    rows = pd.Index(["León", "Soria", "Burgos", "Ávila", "Zamora"], name="province")
    amounts = pd.DataFrame(
        {"spells": [1200.0, 90.0, 800.0, 1500.0, 2000.0], "ongoing": [1300.0, 80.0, 700.0, 1600.0, 2100.0]},
        index=rows,
    )
    persons = pd.DataFrame({"spells": [120, 4, 80, 150, 200], "ongoing": [130, 3, 70, 160, 210]}, index=rows)
    r.table(amounts, "spells.by_province", behind=persons)
    csv = tmp_path / "reports/tables/00_overview/es/spells_by_province.csv"
    published = pd.read_csv(csv, index_col=0, dtype=str)
    assert (published.loc["Soria"] == disclosure.SUPPRESSED).all()
    assert (published == disclosure.SUPPRESSED).sum().sum() == 4  # Soria and the complements in its columns
    sidecar = json.loads(csv.with_suffix(".json").read_text())
    assert (sidecar["primary"], sidecar["secondary"]) == (2, 2)
    check = disclosure.check_table(csv, 10, tmp_path / "reports/tables")
    assert not check.small and not check.other, (check.small, check.other)
    assert check.suppressed == 4
    assert "confidencial" in shown[-1]


@pytest.mark.parametrize(("lang", "words"), [("es", ["Hombre", "Mujer"]), ("en", ["Man", "Woman"])])
def test_the_csv_of_a_page_names_its_rows_and_text_cells_in_the_page_language(
    tmp_path, monkeypatch, lang, words
):
    monkeypatch.setattr(page.Report, "_show", lambda self, markup: None)
    table = pd.DataFrame(
        {"description": ["H", "M"], "source": ["H", "M"]}, index=pd.Index(["H", "M"], name="province")
    )
    _report(tmp_path, lang).table(table, "dictionary.table", verbatim=["source"])
    csv = tmp_path / f"reports/tables/00_overview/{lang}/dictionary_table.csv"
    published = pd.read_csv(csv, index_col=0, dtype=str)
    assert list(published.index) == words and list(published["description"]) == words
    assert list(published["source"]) == ["H", "M"], "a verbatim column is written as delivered"
    assert list(published.columns) == ["description", "source"], "the column codes the sidecar declares"


def test_published_csv_has_no_float_noise_even_beside_suppression_marks(tmp_path, monkeypatch):
    monkeypatch.setattr(page.Report, "_show", lambda self, markup: None)
    r = _report(tmp_path)
    rows = pd.Index(["León", "Soria", "Burgos"], name="province")
    noisy = [253.49305999999999, 90.0, 0.1 + 0.2]
    amounts = pd.DataFrame({"spells": noisy, "ongoing": [1105.1348799999998, 80.0, 7.0]}, index=rows)
    csv = tmp_path / "reports/tables/00_overview/es/spells_by_province.csv"
    r.table(amounts, "spells.by_province")  # real-number columns
    assert csv.read_text(encoding="utf-8").splitlines()[1:] == [
        "León,253.49306,1105.13488",
        "Soria,90.0,80.0",
        "Burgos,0.3,7.0",
    ]
    persons = pd.DataFrame({"spells": [120, 4, 80], "ongoing": [130, 3, 70]}, index=rows)
    r.table(amounts, "spells.by_province", behind=persons)  # Soria suppressed: numbers and marks
    assert csv.read_text(encoding="utf-8").splitlines()[1] == "León,253.49306,1105.13488"


def test_a_report_whose_extracts_were_not_delivered_says_so(tmp_path, monkeypatch):
    """A region without a pilot: 05 is not executed; its page and index summary say why (the pilot stage
    recorded which extracts were missing)."""
    from pact_analysis import ingest
    from pact_analysis.paths import Paths
    from pact_analysis.report import index, render
    from pact_analysis.stages import pilot as pilot_stage

    paths = Paths(tmp_path)
    delivered = {"pilot_assignment": False, "mdtse_assessments": True}
    monkeypatch.setattr(ingest, "delivered", lambda _: delivered)
    pilot_stage.run(paths, {})
    stale = paths.reports / "tables" / "05_pilot_evaluation" / "did.csv"
    stale.parent.mkdir(parents=True)
    stale.write_text("an earlier run's table\n")
    assert render.not_delivered("05_pilot_evaluation", paths) == ["pilot_assignment.csv"]
    assert render.not_delivered("00_overview", paths) == []
    written = render.render_notebook("05_pilot_evaluation", paths, {})
    assert [p.parent.name for p in written] == ["es", "en"]
    spanish = written[0].read_text(encoding="utf-8")
    assert "pilot_assignment.csv" in spanish and "no se entregaron" in spanish
    assert not stale.exists()
    entry = index._finding(paths, "05_pilot_evaluation", "en")
    assert "were not delivered (pilot_assignment.csv)" in entry and 'href="05_pilot_evaluation.html"' in entry


def test_counts_and_shares_in_sentences_never_give_back_a_small_count(tmp_path):
    from pact_analysis.report import i18n

    es, en = _report(tmp_path, "es"), _report(tmp_path, "en")
    assert es.count(2) == "menos de 10" and en.count(9) == "fewer than 10"
    assert i18n.fmt(es.count(0), "es") == "0" and i18n.fmt(es.count(12345), "es") == "12.345"
    # 2 of 63: 3.2% would give back 2; "under 15.9%" holds and gives nothing away
    assert en.share(2, 63) == "under 15.9%" and es.share(2, 63) == "menos del 15,9\xa0%"
    assert en.share(60, 63) == "over 84.1%"  # the rest, 3, is small
    assert en.share(9, 3000) == "under 0.4%"  # 10/3000 = 0.33%: rounded outwards, so the bound holds
    assert i18n.fmt(en.share(30, 63), "en") == "47.6%"
    assert i18n.fmt(en.share(0, 63), "en") == "0.0%" and i18n.fmt(en.share(0, 0), "en") == "0.0%"


def test_a_share_between_0_and_1_never_reads_as_0_or_100_percent():
    assert i18n.percent(0.9999, "en") == "99.99%" and i18n.percent(0.9999, "es") == "99,99\u00a0%"
    assert i18n.percent(0.99999999, "en") == "> 99.999%"
    assert i18n.percent(1e-8, "en") == "< 0.001%"
    assert i18n.percent(1.0, "en") == "100.0%" and i18n.percent(0.0, "en") == "0.0%"
    assert i18n.percent(0.123, "en") == "12.3%"


@pytest.mark.parametrize("share", [0.0005, 0.00005, 0.000005, 0.999995, 0.99995, 0.9995, 1e-9, 1 - 1e-9])
@pytest.mark.parametrize("lang", ["en", "es"])
def test_half_way_shares_never_round_to_0_or_100_percent(share, lang):
    text = i18n.percent(share, lang).replace("\u00a0", " ")
    assert not re.fullmatch(r"(0|100)([.,]0+)? ?%", text), text


# --- navigation, CSV links, verbatim columns, p-values, captions -----------------------------------


def test_a_table_links_its_published_csv_and_keeps_delivered_names_verbatim(tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(page.Report, "_show", lambda self, markup: shown.append(markup))
    table = pd.DataFrame(
        {"description": ["sex"], "source": ["sauss_persons"]}, index=pd.Index(["sex"], name="column")
    )
    _report(tmp_path, "es").table(table, "dictionary.table", verbatim=["column", "source"])
    html = shown[-1]
    assert (
        '<a href="../tables/00_overview/es/dictionary_table.csv" download>Descargar la tabla 1 (CSV)</a>'
        in html
    )
    assert (tmp_path / "reports/tables/00_overview/es/dictionary_table.csv").exists()
    assert '<td class="txt">sauss_persons</td>' in html, "a file or column name is shown as delivered"
    assert '<td class="txt">sex</td><td class="txt">Sexo</td>' in html, "only the description is translated"


def test_p_values_in_tables_are_bounded_and_captions_render_emphasis(tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(page.Report, "_show", lambda self, markup: shown.append(markup))
    monkeypatch.setitem(
        i18n.catalogue("es"), "overview.sources.table.caption", "Intervalo *bootstrap* del 95 %"
    )
    table = pd.DataFrame({"threshold": [0.00001, 0.0432]}, index=pd.Index(["a", "b"], name="source"))
    _report(tmp_path, "es").table(table, "sources.table", pvalues=["threshold"])
    assert "< 0,001" in shown[-1].replace("&lt;", "<") and "0,043" in shown[-1] and "0,0000" not in shown[-1]
    assert "<em>bootstrap</em>" in shown[-1] and "*" not in shown[-1]
    monkeypatch.setitem(i18n.catalogue("en"), "overview.col.p_holm", "p (Holm)")
    named = pd.DataFrame({"p_holm": [0.00002], "rows": [0.00002]}, index=pd.Index(["a"], name="source"))
    _report(tmp_path, "en").table(named, "sources.table", decimals=4)
    assert "&lt; 0.001" in shown[-1] and "0.0000" in shown[-1], "a p_ column by its name; another as asked"


def test_headings_are_anchored_by_their_key_and_the_footer_lists_the_references(tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(page.Report, "_show", lambda self, markup: shown.append(markup))
    r = page.start("00_overview", tmp_path, "en", 10)
    r.heading("common.checklist")
    assert shown[-1].startswith('<h2 id="checklist">')
    r.cite("cox_1972")
    with pytest.raises(KeyError):
        r.cite("not_a_work")
    r.footer()
    references = shown[-2]
    assert '<h2 id="references">References</h2>' in references
    assert 'id="ref-cox_1972"' in references and 'id="ref-record_2015"' in references
    assert (
        r.ref("03_chronicity", "spells") == f"[{i18n.t('chronicity.title', 'en')}](03_chronicity.html#spells)"
    )
    spanish = references_html(["pact_project"], "es")
    assert "Comisión Europea" in spanish and "European Commission" not in spanish
    assert "European Commission" in references_html(["pact_project"], "en")
    assert "Fiscalización de la Renta" in references_html(["consejo_cuentas_2020"], "es")
    assert "Audit of the Renta" in references_html(["consejo_cuentas_2020"], "en")


def test_the_data_dictionary_translates_descriptions_only_and_english_is_the_codebook():
    """Column names stay as delivered (the notebook shows them verbatim); each description has a text
    in every language, the English one being the codebook's own."""
    from pact_analysis import describe

    dictionary = describe.data_dictionary()
    for row in dictionary.itertuples():
        key = f"overview.dictionary.{row.source}.{row.column}"
        assert i18n.t(key, "en") == row.description, key
        assert i18n.has(key, "es"), key
    assert i18n.t("common.col.description", "es") == "Descripción", "the descriptions are in Spanish now"
    spanish = [i18n.t(f"overview.dictionary.{r.source}.{r.column}", "es") for r in dictionary.itertuples()]
    assert sum(s != d for s, d in zip(spanish, dictionary["description"], strict=True)) > 0.9 * len(spanish)


def test_a_report_without_its_extracts_leaves_no_table_of_an_earlier_run_in_any_language(tmp_path):
    from pact_analysis.report.render import write_unavailable

    paths = Paths(tmp_path)
    for lang in i18n.LANGUAGES:
        (paths.tables("05_pilot_evaluation") / lang).mkdir(parents=True)
        (paths.tables("05_pilot_evaluation") / lang / "claims.csv").write_text("claim,n\na,12\n")
    (paths.tables("05_pilot_evaluation") / "old.csv").write_text("claim,n\na,12\n")
    written = write_unavailable("05_pilot_evaluation", paths, ["pilot_assignment.csv"])
    left = sorted(p.name for p in paths.tables("05_pilot_evaluation").rglob("*"))
    assert left == [f"summary.{lang}.json" for lang in sorted(i18n.LANGUAGES)]
    assert all("pilot_assignment.csv" in p.read_text(encoding="utf-8") for p in written)


def test_a_cells_last_value_and_stderr_are_not_published():
    """Only what the report displays reaches the page: not the ``True`` a call returns, not warnings."""
    import nbformat

    from pact_analysis.report.render import report_cells

    shown = nbformat.v4.new_output("display_data", data={"text/html": "<p>shown</p>"})
    stray = nbformat.v4.new_output("execute_result", data={"text/plain": "True"}, execution_count=1)
    warning = nbformat.v4.new_output("stream", name="stderr", text="UserWarning: noise")
    cells = [nbformat.v4.new_code_cell("r.table(t)", outputs=[shown, stray]),
             nbformat.v4.new_code_cell("x", outputs=[stray, warning]),
             nbformat.v4.new_markdown_cell("developer note")]  # fmt: skip
    kept = report_cells(nbformat.v4.new_notebook(cells=cells)).cells
    assert [c.id for c in kept] == ["cell-0"]
    assert [o["output_type"] for o in kept[0].outputs] == ["display_data"]


def test_the_preload_is_the_notebooks_top_level_imports_only(tmp_path):
    from pact_analysis.report import render

    source = tmp_path / "nb.py"
    source.write_text(
        "# %% [markdown]\n# import not_code\n\n# %%\nimport numpy as np\nfrom pathlib import Path\n"
        "x = 1\n\n\ndef f():\n    import json\n    return json\n",
        encoding="utf-8",
    )
    assert render.notebook_imports(source) == "import numpy as np\nfrom pathlib import Path"
    source.write_text("# %%\n%matplotlib inline\nimport numpy\n", encoding="utf-8")
    assert render.notebook_imports(source) == ""  # a magic: no preload, the notebook runs as it is


def test_a_preloaded_kernel_starts_each_language_from_a_clean_namespace(tmp_path):
    """The preload's modules stay imported; the names it bound are gone after the reset every
    language begins with; a preload still running when the reset connects delays it but does not
    take its replies (a preload client sharing the manager's session did: "Kernel didn't respond");
    a preload that fails leaves the kernel usable, one that outlasts the timeout is a stage error."""
    from pact_analysis.report import render

    def answer(km, expression):
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=60)
            reply = kc.execute_interactive(
                "", user_expressions={"answer": expression}, timeout=60, output_hook=lambda _msg: None
            )
            return reply["content"]["user_expressions"]["answer"]["data"]["text/plain"]
        finally:
            kc.stop_channels()

    slow = "import fractions as preloaded_name\nimport time\ntime.sleep(3)"
    with render.report_kernel(tmp_path, preload=slow) as km:
        render.reset_kernel(km, timeout=60)
        assert answer(km, "'preloaded_name' in dir()") == "False"
        assert answer(km, "__import__('sys').modules['fractions'].__name__") == "'fractions'"
    with render.report_kernel(tmp_path, preload="import a_module_that_does_not_exist") as km:
        render.reset_kernel(km)
        assert answer(km, "1 + 1") == "2"
    with (
        render.report_kernel(tmp_path, preload="import time\ntime.sleep(30)") as km,
        pytest.raises(StageError, match="did not answer within 2 s"),
    ):
        render.reset_kernel(km, timeout=2)
