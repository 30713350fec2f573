"""The index's appendix on the cost of the study by region size (``benchmarks/scale_appendix.json``)."""

from __future__ import annotations

import base64
import json

import pytest
import yaml
from bs4 import BeautifulSoup

from pact_analysis.paths import ROOT, Paths
from pact_analysis.report import build_index, cost
from pact_analysis.report.typography import page_problems

PARAMS = {
    "seed": 7,
    "data": {"source": "synthetic"},
    "synthetic": {"n_persons": 5},
    "disclosure": {"min_cell": 10},
}

#: A summary whose every value differs from every other, so that reading a neighbouring key shows.
SUMMARY = {
    "figure": "benchmarks/scale.png",
    "source": "benchmarks/scale.json",
    "sizes": [20000, 250000],
    "end_to_end": [
        {"n_persons": 250000, "seconds": 4321.4, "peak_gb": 7.85, "cores": 8, "other_load_present": True},
        {"n_persons": 20000, "seconds": 352.8, "peak_gb": 2.13, "cores": 8, "other_load_present": False},
    ],
    "exponents": {"link": 1.84, "end_to_end": 0.91, "key": -0.25, "reports": 0.33},
    "linkage_vs_recordlinkage": [
        {
            "n_persons": 20000, "seconds_ours": 24.94, "seconds_recordlinkage": 61.7, "time_ratio": 2.47,
            "cpu_time_ratio": 3.12, "f1_ours": 0.9928, "f1_recordlinkage": 0.9548, "recordlinkage_stopped": None,
        },
        {
            "n_persons": 250000, "seconds_ours": 380.2, "seconds_recordlinkage": 912.6, "time_ratio": 2.4,
            "cpu_time_ratio": 2.9, "f1_ours": 0.9883, "f1_recordlinkage": None,
            "recordlinkage_stopped": "stopped when its memory passed 16.0 GB",
        },
    ],
    "national": {
        "records": 10000000, "records_per_person": 2.16, "persons": 4640000, "from_sizes": [100000, 500000],
        "before_sizes": [20000, 100000],
        "stages": [
            {"stage": "link", "seconds": 192.83, "b": 1.17, "b_before": 0.66, "minutes": 43.4},
            {"stage": "reports", "seconds": 107.31, "b": 0.2, "b_before": -0.04, "minutes": 2.8},
            {"stage": "key", "seconds": 1.24, "b": 0.0, "b_before": None, "minutes": 0.0},
        ],
        "total_hours": [0.8, 4.4], "exponents_compared": 2, "exponents_grew": 2,
        "link_pairs": {"b": 1.89, "pairs": 2160000000, "minutes": 216, "time_per_pair_fell": True},
    },
}  # fmt: skip
RECORD = {
    "sizes": {
        str(n): {
            "n_persons": n, "complete": True, "commit": "abc1234+dirty", "finished": finished,
            "machine": {"cores": 8, "ram_gb": 31.4, "python": "3.11.7"},
        }
        for n, finished in ((20000, "2026-12-07T15:05:03"), (250000, "2026-12-09T02:10:00"))
    }
}  # fmt: skip


def _project(tmp_path, summary: dict | None = SUMMARY) -> tuple[Paths, bytes]:
    """A project with the benchmark's summary, record and a small figure (or none of them)."""
    import matplotlib.pyplot as plt

    paths = Paths(tmp_path)
    paths.benchmarks.mkdir()
    fig, ax = plt.subplots(figsize=(1, 1))
    ax.plot([1, 2], [3, 4])
    fig.savefig(paths.benchmarks / "scale.png", dpi=20)
    plt.close(fig)
    if summary is not None:
        (paths.benchmarks / "scale_appendix.json").write_text(json.dumps(summary))
        (paths.benchmarks / "scale.json").write_text(json.dumps(RECORD))
    build_index(paths, PARAMS)
    return paths, (paths.benchmarks / "scale.png").read_bytes()


def _page(paths: Paths, lang: str) -> str:
    return (paths.reports / lang / "index.html").read_text(encoding="utf-8")


def _cells(page: str, table: int) -> list[list[str]]:
    """The body cells of ``table-<n>`` as the reader sees them."""
    found = BeautifulSoup(page, "html.parser").find("table", id=f"table-{table}")
    return [[td.get_text(strip=True) for td in tr.find_all("td")] for tr in found.tbody.find_all("tr")]


def test_the_appendix_embeds_the_figure_and_formats_the_measurements_per_language(tmp_path):
    paths, png = _project(tmp_path)
    es, en = _page(paths, "es"), _page(paths, "en")
    for page, lang, title, alt in (
        (es, "es", "Coste del estudio según el tamaño de la región", "Gráfico de líneas"),
        (en, "en", "Cost of the study by region size", "Line chart"),
    ):
        soup = BeautifulSoup(page, "html.parser")
        assert soup.find("h2", id="appendix").get_text() == ("Anexo" if lang == "es" else "Appendix")
        assert soup.find("h3", id="index-cost").get_text() == title
        image = soup.find("figure").img
        assert image["src"] == "data:image/png;base64," + base64.b64encode(png).decode()
        assert image["alt"].startswith(alt)
        assert page_problems(page, lang) == []
        # the appendix comes before the provenance, which stays at the foot of the index
        assert page.index('id="appendix"') < page.index('class="provenance"')
    assert _cells(es, 1) == [["20.000", "352,8", "2,13", "no"], ["250.000", "4.321,4", "7,85", "sí"]]
    assert _cells(en, 1) == [["20,000", "352.8", "2.13", "no"], ["250,000", "4,321.4", "7.85", "yes"]]
    assert "con 8 núcleos" in es and "on 8 cores" in en


def test_each_column_reads_its_own_key_of_the_summary(tmp_path):
    """Every value of the fixture differs from its neighbours: a column reading another key fails."""
    paths, _ = _project(tmp_path)
    en = _page(paths, "en")
    assert _cells(en, 3) == [
        ["20,000", "24.9", "61.7", "0.993", "0.955"],
        ["250,000", "380.2", "912.6", "0.988", "–"],
    ]
    assert "At 250,000 persons the recordlinkage toolkit was stopped" in en
    # the whole run and the reports summed first, then the stages by exponent, largest first
    assert [row[1] for row in _cells(en, 2)] == ["0.91", "0.33", "1.84", "\u22120.25"]
    assert "between 20,000 and 250,000 persons (2 sizes)" in en
    assert "<code>link</code>" in en and "<code>key</code>" in en


def test_the_appendix_names_the_machine_the_date_and_the_commit_of_the_record(tmp_path):
    paths, _ = _project(tmp_path)
    es, en = _page(paths, "es"), _page(paths, "en")
    assert "el 9 de diciembre de 2026, en una máquina con 8 núcleos y 31,4 GB de memoria" in es
    assert "on 9 December 2026, on a machine with 8 cores and 31.4 GB of memory" in en
    assert "<code>abc1234</code> (with changes not yet committed)" in en
    assert "<code>make bench</code>" in en and "<code>dvc repro</code>" in en and "benchmarks/README.md" in en


def test_without_the_summary_the_appendix_says_how_to_measure_and_shows_no_figure(tmp_path):
    paths, _ = _project(tmp_path, summary=None)
    for lang, words in (
        ("es", "no se ha medido en este proyecto"),
        ("en", "has not been measured in this project"),
    ):
        page = _page(paths, lang)
        assert words in page and "<code>make bench</code>" in page
        assert 'id="appendix"' in page
        assert "<figure" not in page and 'id="table-1"' not in page and "data:image/png" not in page


@pytest.mark.parametrize("lang", ["es", "en"])
def test_one_size_measured_fits_no_exponent_and_says_so(lang):
    one = SUMMARY | {"sizes": [20000], "exponents": {"link": None, "end_to_end": None}}
    text = cost.exponents_table(one, lang)
    assert "<table" not in text and "make bench" in text


def test_the_index_stage_depends_on_the_benchmark_files_it_reads():
    deps = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]["index"]["deps"]
    for name in (cost.SUMMARY, cost.RECORD, cost.FIGURE):
        assert (Paths(ROOT).benchmarks / name).relative_to(ROOT).as_posix() in deps


def test_the_national_scale_table_reads_its_rows_and_totals_per_language(tmp_path):
    paths, _ = _project(tmp_path)
    es, en = _page(paths, "es"), _page(paths, "en")
    assert _cells(en, 4) == [
        ["link", "193", "0.66", "1.17", "43"],
        ["All reports together", "107", "\u22120.04", "0.20", "3"],
        ["key", "1", "–", "0.00", "0"],
    ]
    assert _cells(es, 4)[0] == ["link", "193", "0,66", "1,17", "43"]
    assert "10,000,000 person records" in en and "scaled to 4,640,000 of its persons" in en
    assert "between 100,000 and 500,000 persons" in en and "2.16 records per person" in en
    assert "between 20,000 and 100,000 persons" in en and "entre 20.000 y 100.000 personas" in es
    assert "about 0.8 hours if every stage keeps its exponent" in en and "more a floor" in en
    assert "exponent of 1.89, which would make 2,160,000,000 pairs" in en
    assert "216 minutes for the link alone and about 4.4 hours together" in en
    assert "unas 0,8 horas" in es and "2.160.000.000 pares" in es and "unas 4,4 horas en total" in es
    for page, lang in ((es, "es"), (en, "en")):
        assert page_problems(page, lang) == []


def test_without_a_national_extrapolation_there_is_no_fourth_table(tmp_path):
    summary = {k: v for k, v in SUMMARY.items() if k != "national"}
    paths, _ = _project(tmp_path, summary)
    assert 'id="table-4"' not in _page(paths, "en")


def test_the_floor_and_ceiling_are_said_only_when_the_curves_show_them(tmp_path):
    """The words "a floor" and "a ceiling" are statements about the run: said when most exponents
    grew with the size, and when the link's time per pair fell; not otherwise."""
    national = SUMMARY["national"] | {"exponents_grew": 1}
    national["link_pairs"] = national["link_pairs"] | {"time_per_pair_fell": False}
    paths, _ = _project(tmp_path, SUMMARY | {"national": national})
    en = _page(paths, "en")
    assert "about 0.8 hours if every stage keeps its exponent." in en and "about 4.4 hours together." in en
    assert "more a floor" not in en and "more a ceiling" not in en
