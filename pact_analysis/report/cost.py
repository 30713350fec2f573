"""The index's appendix: what one run of the study costs by region size, as ``make bench`` measured it.

``benchmarks/scale.py`` (``make bench``) runs every stage of ``dvc.yaml`` on synthetic regions of
several sizes and writes the full record ``benchmarks/scale.json`` (with the commit, machine and
date of each size), the figure ``benchmarks/scale.png`` and the few figures shown here,
``benchmarks/scale_appendix.json``. It takes hours at the largest sizes and runs outside ``dvc
repro``, so the appendix shows the last measurement committed to the repository; without the
summary (a fresh project, a deployment on real extracts) it says in one sentence how to measure it.

The numbers are seconds, gigabytes, exponents and region sizes (a parameter of the synthetic
region), not counts of persons with some attribute: no disclosure control applies to them and none
is recorded as a quantity of the study (:mod:`pact_analysis.disclosure.quantities`).
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

from pact_analysis.paths import Paths
from pact_analysis.report import i18n
from pact_analysis.report.i18n import Number
from pact_analysis.report.navigation import anchor_of
from pact_analysis.report.shell import markdown_html, markdown_inline

#: The benchmark's files, in :attr:`Paths.benchmarks` (the summary names the other two itself).
SUMMARY, RECORD, FIGURE = "scale_appendix.json", "scale.json", "scale.png"
#: Rows of the exponents table shown first, in this order; the other stages follow by exponent.
FIRST = ("end_to_end", "reports")
#: A dash for a value the benchmark did not record.
NONE = "–"


def read_json(path: Path) -> dict[str, Any] | None:
    """Return the JSON object in ``path``, or None if there is no such file."""
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def beside(paths: Paths, named: str | None, default: str) -> Path:
    """A file the summary names (relative to the project root), else ``default`` in the benchmarks folder."""
    return paths.root / named if named else paths.benchmarks / default


def cost_html(paths: Paths, lang: str) -> str:
    """Return the appendix of ``reports/<lang>/index.html``: the cost of the study by region size.

    Parameters
    ----------
    paths : Paths
        Project paths (reads ``benchmarks/scale_appendix.json``, the figure and the record it names).
    lang : str
        Page language.
    """
    heading = (
        f'<h2 id="{anchor_of("common.appendix")}">{html.escape(i18n.t("common.appendix", lang))}</h2>'
        f'<h3 id="{anchor_of("index.cost")}">{html.escape(i18n.t("index.cost", lang))}</h3>'
    )
    summary = read_json(paths.benchmarks / SUMMARY)
    if summary is None:
        return f'<section class="appendix">{heading}{markdown_html(i18n.t("index.cost.missing", lang))}</section>'
    record = read_json(beside(paths, summary.get("source"), RECORD))
    body = (
        markdown_html(i18n.t("index.cost.intro", lang))
        + figure_html(beside(paths, summary.get("figure"), FIGURE), lang)
        + sizes_table(summary, lang)
        + exponents_table(summary, lang)
        + baseline_table(summary, lang)
        + national_table(summary, lang)
        + markdown_html(source_text(record, lang))
    )
    return f'<section class="appendix">{heading}{body}</section>'


def fmt(value: Any, lang: str, kind: str = "num", decimals: int = 1) -> str:
    """A number formatted for ``lang`` (:class:`~pact_analysis.report.i18n.Number`); a dash for None."""
    return NONE if value is None else Number(value, kind, decimals).format(lang)


def figure_html(path: Path, lang: str) -> str:
    """The benchmark's figure embedded as a data URI, with alt text and caption (nothing if absent)."""
    if not path.exists():
        return ""
    data = base64.b64encode(path.read_bytes()).decode()
    alt = html.escape(i18n.t("index.cost.figure.alt", lang), quote=True)
    label = html.escape(i18n.t("common.figure", lang, n=1))
    return (
        f'<figure id="figure-1"><img src="data:image/png;base64,{data}" alt="{alt}">'
        f"<figcaption><b>{label}.</b> {markdown_inline(i18n.t('index.cost.figure.caption', lang))}"
        "</figcaption></figure>"
    )


def table_html(
    n: int, caption: str, columns: list[str], rows: list[list[str]], lang: str, text: tuple[int, ...] = ()
) -> str:
    """A numbered table; numbers right-aligned, the columns ``text`` as text.

    Parameters
    ----------
    n : int
        The table's number on the page.
    caption : str
        Catalogue Markdown of the caption (rendered inline).
    columns : list of str
        Column headers (plain text).
    rows : list of list of str
        Cells, already formatted and escaped.
    lang : str
        Page language.
    text : tuple of int
        Positions of the columns that hold words, not numbers.
    """
    label = html.escape(i18n.t("common.table", lang, n=n))
    head = "".join(f'<th scope="col">{html.escape(c)}</th>' for c in columns)
    body = "".join(
        "<tr>"
        + "".join(f'<td class="{"txt" if i in text else "num"}">{c}</td>' for i, c in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return (
        f'<div class="table-wrap"><table id="table-{n}"><caption><b>{label}.</b> {markdown_inline(caption)}'
        f"</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def headers(prefix: str, names: tuple[str, ...], lang: str) -> list[str]:
    """Column headers ``index.cost.<prefix>.<name>`` in ``lang``."""
    return [i18n.t(f"index.cost.{prefix}.{name}", lang) for name in names]


def sizes_table(summary: dict[str, Any], lang: str) -> str:
    """Table 1: per region size, persons, end-to-end seconds, peak memory and whether other load ran."""
    rows = [
        [
            fmt(e.get("n_persons"), lang, "int"),
            fmt(e.get("seconds"), lang, "num", 1),
            fmt(e.get("peak_gb"), lang, "num", 2),
            html.escape(i18n.t("common.yes" if e.get("other_load_present") else "common.no", lang)),
        ]
        for e in sorted(summary.get("end_to_end", []), key=lambda e: e.get("n_persons", 0))
    ]
    names = ("persons", "seconds", "peak_gb", "other_load")
    caption = i18n.t("index.cost.sizes.caption", lang, cores=cores(summary, lang))
    return table_html(1, caption, headers("sizes", names, lang), rows, lang, text=(3,))


def cores(summary: dict[str, Any], lang: str) -> str:
    """The cores of the machine of every size measured (``2``, or ``2 / 4`` if they differ)."""
    found = sorted({e["cores"] for e in summary.get("end_to_end", []) if e.get("cores") is not None})
    return " / ".join(fmt(c, lang, "int") for c in found) or NONE


def stage_label(stage: str, lang: str) -> str:
    """A stage of ``dvc.yaml`` by its name (code); the whole run and the reports summed, in words."""
    key = f"index.cost.stage.{stage}"
    return html.escape(i18n.t(key, lang)) if i18n.has(key, lang) else f"<code>{html.escape(stage)}</code>"


def exponent_order(exponents: dict[str, float | None]) -> list[str]:
    """The stages of the exponents table: :data:`FIRST`, then the others by exponent, largest first."""
    first = [s for s in FIRST if s in exponents]
    rest = sorted(
        (s for s in exponents if s not in FIRST),
        key=lambda s: (exponents[s] is None, -(exponents[s] or 0), s),
    )
    return first + rest


def exponents_table(summary: dict[str, Any], lang: str) -> str:
    """Table 2: the fitted exponent ``b`` of ``seconds ~ a * n**b`` per stage, and between which sizes."""
    exponents = summary.get("exponents") or {}
    sizes = sorted(summary.get("sizes", []))
    if len(sizes) < 2 or all(b is None for b in exponents.values()):
        return markdown_html(i18n.t("index.cost.exponents.none", lang))
    rows = [[stage_label(s, lang), fmt(exponents[s], lang, "num", 2)] for s in exponent_order(exponents)]
    caption = i18n.t(
        "index.cost.exponents.caption", lang, smallest=Number(sizes[0], "int"),
        largest=Number(sizes[-1], "int"), count=Number(len(sizes), "int"),
    )  # fmt: skip
    table = table_html(2, caption, headers("exponents", ("stage", "b"), lang), rows, lang, text=(0,))
    return table + markdown_html(i18n.t("index.cost.exponents.reading", lang))


def baseline_table(summary: dict[str, Any], lang: str) -> str:
    """Table 3: our ``link`` stage beside the recordlinkage toolkit on the same records, per size."""
    found = sorted(summary.get("linkage_vs_recordlinkage", []), key=lambda e: e.get("n_persons", 0))
    if not found:
        return markdown_html(i18n.t("index.cost.baseline.none", lang))
    rows = [
        [
            fmt(e.get("n_persons"), lang, "int"),
            fmt(e.get("seconds_ours"), lang, "num", 1),
            fmt(e.get("seconds_recordlinkage"), lang, "num", 1),
            fmt(e.get("f1_ours"), lang, "num", 3),
            fmt(e.get("f1_recordlinkage"), lang, "num", 3),
        ]
        for e in found
    ]
    names = ("persons", "seconds_ours", "seconds_recordlinkage", "f1_ours", "f1_recordlinkage")
    table = table_html(
        3, i18n.t("index.cost.baseline.caption", lang), headers("baseline", names, lang), rows, lang
    )
    stopped = [Number(e["n_persons"], "int") for e in found if e.get("recordlinkage_stopped")]
    if stopped:
        sizes = ", ".join(n.format(lang) for n in stopped)
        table += markdown_html(i18n.t("index.cost.baseline.stopped", lang, sizes=sizes))
    return table


def national_table(summary: dict[str, Any], lang: str) -> str:
    """Table 4: each stage extrapolated to a national deployment's records, with its assumptions.

    From ``national`` of the summary (``benchmarks/scale.py``'s ``national``); nothing without it.
    """
    found = summary.get("national")
    if not found:
        return ""
    rows = [
        [stage_label(r["stage"], lang), fmt(r["seconds"], lang, "num", 0), fmt(r.get("b_before"), lang, "num", 2),
         fmt(r["b"], lang, "num", 2), fmt(r["minutes"], lang, "num", 0)]
        for r in found["stages"]
    ]  # fmt: skip
    smaller, larger = (Number(n, "int") for n in found["from_sizes"])
    smallest = Number(found["before_sizes"][0], "int") if found.get("before_sizes") else NONE
    caption = i18n.t(
        "index.cost.national.caption", lang, records=Number(found["records"], "int"),
        persons=Number(found["persons"], "int"), ratio=Number(found["records_per_person"], "num", 2),
        smallest=smallest, smaller=smaller, larger=larger,
    )  # fmt: skip
    names = ("stage", "seconds", "b_before", "b", "minutes")
    table = table_html(4, caption, headers("national", names, lang), rows, lang, text=(0,))
    low, high = found["total_hours"]
    text = [i18n.t("index.cost.national.total", lang, low=Number(low, "num", 1))]
    if 2 * found.get("exponents_grew", 0) > found.get("exponents_compared", 0):
        text.append(i18n.t("index.cost.national.floor", lang))
    pairs = found.get("link_pairs")
    if pairs:
        text.append(
            i18n.t(
                "index.cost.national.pairs", lang, b=Number(pairs["b"], "num", 2), pairs=Number(pairs["pairs"], "int"),
                minutes=Number(pairs["minutes"], "num", 0), high=Number(high, "num", 1),
            )
        )  # fmt: skip
        if pairs.get("time_per_pair_fell"):
            text.append(i18n.t("index.cost.national.ceiling", lang))
    text.append(i18n.t("index.cost.national.beyond", lang))
    return table + markdown_html(" ".join(text))


def measured(record: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The complete sizes of ``benchmarks/scale.json`` (none without the record)."""
    return [e for e in (record or {}).get("sizes", {}).values() if e.get("complete")]


def commits(entries: list[dict[str, Any]], lang: str) -> str:
    """The git commits the sizes were measured at, as code; a ``+dirty`` one said in words."""
    found = sorted({e["commit"] for e in entries if e.get("commit")})
    dirty = i18n.t("index.cost.dirty", lang)
    return ", ".join(
        f"`{c.removesuffix('+dirty')}`" + (f" ({dirty})" if c.endswith("+dirty") else "") for c in found
    )


def source_text(record: dict[str, Any] | None, lang: str) -> str:
    """Where the measurements come from: the benchmark, then (from the record) the machine, the last
    date measured and the commit."""
    entries = measured(record)
    machines = {(e["machine"].get("cores"), e["machine"].get("ram_gb")) for e in entries if e.get("machine")}
    finished = sorted(e["finished"] for e in entries if e.get("finished"))
    text = [i18n.t("index.cost.source", lang)]
    if len(machines) == 1 and None not in (machine := machines.pop()) and finished:
        text.append(
            i18n.t(
                "index.cost.machine",
                lang,
                cores=Number(machine[0], "int"),
                ram=Number(machine[1], "num", 1),
                date=Number(finished[-1], "date"),
            )
        )
    if commit := commits(entries, lang):
        text.append(i18n.t("index.cost.commit", lang, commit=commit))
    return " ".join(text)
