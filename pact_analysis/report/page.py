"""What a report notebook calls to write its page: findings, headings, text, figures and tables.

A notebook starts with :func:`start` and then only calls the methods of :class:`Report`; every word
comes from the translation catalogues (:mod:`.i18n`) and every number is formatted for the language.
Figures are embedded as PNG (offline), numbered, with a caption and alt text; tables are numbered,
captioned and published through the disclosure control (:func:`pact_analysis.disclosure.protect`),
with a CSV copy in the page's language under ``reports/tables/<report>/<lang>/`` for the ``check``
stage, linked under the table.
Headings are anchored by their catalogue key; the shell builds the contents list from them. A
number shown in more than one place goes through :meth:`Report.quantity` (one value, one
suppression decision: :mod:`pact_analysis.disclosure.quantities`); :meth:`Report.ref` writes a
cross-reference to another report; :meth:`Report.footer` closes with the references section.

A notebook's key findings go to ``reports/tables/<report>/summary.<lang>.json``: the index page builds its
executive summary from these files, so a new analysis reaches the index by calling
:meth:`Report.findings`, never by editing the index.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import re
from pathlib import Path
from typing import Any

import pandas as pd

from pact_analysis.disclosure import quantities
from pact_analysis.io import atomic_file, write_json
from pact_analysis.paths import Paths
from pact_analysis.report import i18n, navigation
from pact_analysis.report.i18n import Number
from pact_analysis.report.navigation import short_name
from pact_analysis.report.shell import markdown_html, markdown_inline

#: Figure resolution (dots per inch) of the embedded PNGs: sharp on screen and in print.
FIGURE_DPI = 110
#: Tables longer than this belong in an appendix.
LONG_TABLE = 40
#: Tables with this many columns (row labels included) or more are printed on a landscape page.
WIDE_COLUMNS = 12
#: Columns whose name says they hold p-values (``p``, ``p_value``, ``p_holm``, ``p_wilcoxon``...):
#: shown as :func:`pact_analysis.report.i18n.p_value` even when a notebook does not say ``pvalues=``.
P_COLUMN = re.compile(r"^p(_value|_holm|_bonferroni|_adjusted|_wilcoxon|_[a-z]+_test)?$")


def without_float_noise(frame: pd.DataFrame) -> pd.DataFrame:
    """Round every real number of ``frame`` to 12 significant digits, in any column.

    Sums of amounts carry binary representation noise (``253.49305999999999``) that a published CSV
    should not; a suppressed column mixes numbers and marks, so a ``float_format`` would miss it.
    """

    def rounded(value: Any) -> Any:
        return float(f"{value:.12g}") if isinstance(value, float) and math.isfinite(value) else value

    return frame.map(rounded)


class Report:
    """The page a notebook writes, in one language.

    Parameters
    ----------
    name : str
        Report (notebook) name, e.g. ``"00_overview"``.
    root : str or Path
        Project root.
    lang : str
        Report language.
    min_cell : int
        Minimum publishable count (``disclosure.min_cell``).
    parameters : dict, optional
        The notebook's parameters, stated in the provenance footer.
    """

    def __init__(
        self, name: str, root: str | Path, lang: str, min_cell: int, parameters: dict | None = None
    ) -> None:
        self.name, self.lang, self.min_cell = name, lang, int(min_cell)
        self.prefix = short_name(name)
        self.paths = Paths(Path(root))
        self.parameters = parameters or {}
        self.figures = 0
        self.tables = 0
        self.drawn = 0
        self.cited: list[str] = []
        self.tables_dir = self.paths.reports / "tables" / name
        # the tables as the page shows them, in its language (labels and text cells are translated)
        self.csv_dir = self.tables_dir / lang

    # -- words ---------------------------------------------------------------------------------------

    def key(self, key: str) -> str:
        """Return the full catalogue key: ``common.*`` as is, anything else under the report's prefix."""
        return key if key.startswith("common.") else f"{self.prefix}.{key}"

    def t(self, key: str, /, **values: Any) -> str:
        """Return the report's text for ``key`` (see :meth:`key`) with values formatted."""
        return i18n.t(self.key(key), self.lang, **values)

    def n(self, value: float) -> Number:
        """A whole number for a sentence (grouped per language)."""
        return Number(value, "int")

    def pct(self, share: float, decimals: int = 1) -> Number:
        """A share (0..1) shown as a percentage."""
        return Number(share, "pct", decimals)

    def count(self, value: int) -> Number | str:
        """A count of persons (or of their records) for a sentence, under the minimum cell size.

        From 1 to ``min_cell - 1`` it is worded as "fewer than <min_cell>", which is true and
        gives nothing away; 0 and larger counts are shown as they are.
        """
        if 0 < value < self.min_cell:
            return self.t("common.fewer_than", min_cell=Number(self.min_cell, "int"))
        return Number(value, "int")

    def share(self, part: int, whole: int, decimals: int = 1) -> Number | str:
        """The share ``part / whole`` of persons for a sentence, without giving back a small count.

        When ``part`` (or ``whole - part``) is from 1 to ``min_cell - 1``, the share would give it
        back (share x whole): it is worded as a bound that holds, "under" ``min_cell / whole``
        ("over" ``1 - min_cell / whole`` for a small rest).
        """
        if whole <= 0:
            return Number(0.0, "pct", decimals)
        scale = 10.0 ** (decimals + 2)  # bounds rounded outwards, so that the rounded bound still holds
        if 0 < part < self.min_cell:
            bound = math.ceil(self.min_cell / whole * scale) / scale
            return self.t("common.under", value=Number(bound, "pct", decimals))
        if 0 < whole - part < self.min_cell:
            bound = math.floor((1 - self.min_cell / whole) * scale) / scale
            return self.t("common.over", value=Number(bound, "pct", decimals))
        return Number(part / whole, "pct", decimals)

    def num(self, value: float, decimals: int = 2) -> Number:
        """A decimal number."""
        return Number(value, "num", decimals)

    def nums_as_shown(self, values: Any, places: Any) -> list[str]:
        """Numbers as the page prints them, each at its own decimals (a table column whose rows have
        different units), for a column published with ``verbatim``."""
        return [self.num(x, d).format(self.lang) for x, d in zip(values, places, strict=True)]

    def p(self, value: float) -> Number:
        """A p-value for a sentence (``< 0,001`` rather than ``0,0000``)."""
        return Number(value, "p")

    def fmt_n(self, value: float) -> str:
        """Return a whole number formatted for the report's language (for labels inside figures)."""
        return i18n.number(value, self.lang)

    def date(self, value: Any) -> Number:
        """A date in words."""
        return Number(str(value)[:10], "date")

    def _show(self, markup: str) -> None:
        from IPython.display import HTML, display

        display(HTML(markup))

    def title(self) -> None:
        """Show the report's title (``<prefix>.title``) and, for the synthetic region, the banner."""
        self._show(f"<h1>{html.escape(self.t('title'))}</h1>")

    def banner(self, data_source: str) -> None:
        """Say plainly when the figures come from the synthetic region."""
        if data_source == "synthetic":
            self._show(
                f'<div class="banner">{markdown_html(i18n.t("common.synthetic_banner", self.lang))}</div>'
            )

    def heading(self, key: str, level: int = 2) -> None:
        """Show a section heading, anchored by its catalogue key (the same anchor in every language)."""
        anchor = navigation.anchor_of(key)
        self._show(f'<h{level} id="{anchor}">{html.escape(self.t(key))}</h{level}>')

    def cite(self, *keys: str) -> None:
        """Add works of ``pact_analysis/report/references.yaml`` to this report's references section."""
        from pact_analysis.report.references import cited_by

        cited_by(self.name, keys)  # an unknown key fails here, where the notebook cites it
        self.cited += [k for k in keys if k not in self.cited]

    def ref(self, name: str, anchor: str | None = None, text_key: str | None = None) -> str:
        """A cross-reference to another report (a Markdown link, for a placeholder of :meth:`say`).

        Parameters
        ----------
        name : str
            The report (``"03_chronicity"``), ``"index"`` or ``"methods"``.
        anchor : str, optional
            The catalogue key of a heading of that report (``"spells"``), linked by its anchor.
        text_key : str, optional
            Catalogue key of the link's words (see :meth:`key`); the report's title by default.
        """
        words = self.t(text_key) if text_key else None
        target = navigation.anchor_of(anchor) if anchor else None
        return navigation.link(name, self.lang, target, words)

    def quantity(
        self,
        key: str,
        value: float,
        kind: str = "num",
        decimals: int = 1,
        count: bool = False,
        where: str = "text",
    ) -> Number | str:
        """A number that may be published elsewhere too, recorded for the one-value check.

        Parameters
        ----------
        key : str
            The quantity's key, named after the stage that computes it (``chronicity.median_months``,
            a headline of ``metrics/<stage>.json`` as ``<stage>.<metric>``); every page that shows
            it must use the same key, value and precision
            (:func:`pact_analysis.disclosure.quantities.conflicts`).
        value : float
            The value, read from that stage's result (never recomputed in a notebook).
        kind, decimals
            As :class:`pact_analysis.report.i18n.Number`.
        count : bool
            Whether it counts persons: from 1 to ``min_cell - 1`` it is suppressed (worded as
            "fewer than", see :meth:`count`) and recorded as suppressed.
        where : str
            Where on the page (``findings``, ``text``), for the check's message.
        """
        suppressed = bool(count and 0 < value < self.min_cell)
        quantities.record(
            self.tables_dir, self.lang, key, None if suppressed else float(value),
            where=where, suppressed=suppressed, shown=f"{kind}:{decimals if kind in ('num', 'pct', 'pp') else 0}",
        )  # fmt: skip
        return self.count(int(value)) if suppressed else Number(value, kind, decimals)

    def say(self, key: str, **values: Any) -> None:
        """Show a paragraph (Markdown) of the catalogue with values filled in."""
        self._show(markdown_html(self.t(key, **values)))

    def findings(
        self, key: str = "findings", also: str | None = None, index: str = "index", **values: Any
    ) -> None:
        """Show the summary of findings at the top of the report and record it for the index.

        Parameters
        ----------
        key : str
            Catalogue key of the summary (Markdown).
        also : str, optional
            A further catalogue key shown in the same box (e.g. quality against the truth).
        index : str
            Catalogue key of the one-paragraph summary the index shows, filled with the same values.
        **values
            The figures (use :meth:`n`, :meth:`pct`, :meth:`num`); written to
            ``reports/tables/<report>/summary.<lang>.json`` for the index of that language (a value
            already worded in the language, such as an interval phrase, stays right).
        """
        box = markdown_html(self.t(key, **values)) + (markdown_html(self.t(also, **values)) if also else "")
        self._show(
            f'<section class="findings"><h2>{html.escape(self.t("common.findings"))}</h2>{box}</section>'
        )
        serial = {k: v.to_json() if isinstance(v, Number) else v for k, v in values.items()}
        write_json(
            self.tables_dir / f"summary.{self.lang}.json",
            {"report": self.name, "index": self.key(index), "values": serial},
        )

    # -- figures -------------------------------------------------------------------------------------

    def figure(self, fig: Any, key: str, **values: Any) -> None:
        """Embed a matplotlib figure as a numbered figure with caption and alt text, then close it.

        Parameters
        ----------
        fig : matplotlib Figure (or Axes, or anything with ``.figure``)
            The figure.
        key : str
            Catalogue stem: ``<key>.caption`` and ``<key>.alt`` must exist in both languages.
        **values
            Placeholder values of the caption and alt text.
        """
        import matplotlib.pyplot as plt

        fig = getattr(fig, "figure", fig)
        fig = fig if hasattr(fig, "savefig") else fig.get_figure()
        localise_ticks(fig, self.lang)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=FIGURE_DPI, bbox_inches="tight", metadata={"Software": None})
        plt.close(fig)
        self.figures += 1
        caption, alt = self.t(f"{key}.caption", **values), self.t(f"{key}.alt", **values)
        label = i18n.t("common.figure", self.lang, n=self.figures)
        data = base64.b64encode(buffer.getvalue()).decode()
        self._show(
            f'<figure id="figure-{self.figures}"><img src="data:image/png;base64,{data}" '
            f'alt="{html.escape(alt, quote=True)}"><figcaption><b>{html.escape(label)}.</b> '
            f"{markdown_inline(caption)}</figcaption></figure>"
        )

    # -- tables --------------------------------------------------------------------------------------

    def table(
        self,
        table: pd.DataFrame | Any,
        key: str,
        counts: list[str] | None = None,
        additive: bool | None = None,
        decimals: dict[str, int] | int = 2,
        percent: list[str] | None = None,
        derived: list[str] | None = None,
        behind: pd.DataFrame | None = None,
        verbatim: list[str] | None = None,
        pvalues: list[str] | None = None,
        quantity_cells: dict[str, tuple[Any, str]] | None = None,
        **values: Any,
    ) -> bool:
        """Publish a numbered, captioned table (small counts suppressed); its CSV is the published copy.

        Parameters
        ----------
        table : DataFrame or Protected
            The table; its index is shown as the row labels. A
            :class:`~pact_analysis.disclosure.Protected` table was protected together with the tables
            it shares cells with (one suppression decision per quantity): it is published as it is,
            with its suppression counts.
        key : str
            Catalogue stem: ``<key>.caption`` is the caption; the table's CSV is ``<key>.csv``
            (real numbers to 12 significant digits), in ``reports/tables/<report>/<lang>/``.
        counts : list of str, optional
            Columns that count persons or records (disclosure control applies to them). ``None``:
            the table holds no counts (a dictionary, coefficients, rates).
        additive : bool, optional
            Whether the count cells add up to published totals (rows x columns of one crosstab), so
            that secondary suppression is needed; ``False`` for tables whose rows or columns are not
            parts of one whole (alternative methods, different measures). Default True. Not to be
            given with a :class:`~pact_analysis.disclosure.Protected` table, which carries its
            relations (``ValueError``).
        decimals : int or dict
            Decimal places of float columns (one for all, or per column).
        percent : list of str, optional
            Columns holding shares (0..1) shown as percentages.
        derived : list of str, optional
            Columns computed from the row's counts (shares, means, interval limits): suppressed in
            every row with a suppressed count, since they would give it back.
        behind : DataFrame, optional
            For a table of amounts (no counts): the persons behind each of its cells, same rows and
            columns; a cell is suppressed where they are too few (and, when ``additive``, its
            complements), see :func:`pact_analysis.disclosure.protect_by`.
        verbatim : list of str, optional
            Columns (or index levels) whose text is shown as it is, never translated (file and
            column names as delivered).
        pvalues : list of str, optional
            Columns holding p-values, shown as :func:`pact_analysis.report.i18n.p_value` does
            (``< 0,001``, never ``0,0000``); columns named as :data:`P_COLUMN` are p-values anyway.
        quantity_cells : dict, optional
            ``{quantity key: (row label, column)}``: cells that publish a quantity shown elsewhere
            too, recorded with their suppression decision (see :meth:`quantity`).
        **values
            Placeholder values of the caption.

        Returns
        -------
        bool
            False when the table is withheld (most of its rows would hide a count) and a sentence
            says why instead: the page must then publish none of its figures elsewhere either.
        """
        from pact_analysis import disclosure

        protected = table if isinstance(table, disclosure.Protected) else None
        if protected is not None and additive is not None:
            raise ValueError(
                f"{key}: a Protected table carries its relations ({protected.relations}); additive= is not read"
            )
        additive = True if additive is None else additive
        if protected is None and behind is not None:
            protected = disclosure.protect_by(table, behind, self.min_cell, additive)
        elif protected is None and counts:
            protected = disclosure.protect(
                table, self.min_cell, columns=counts, additive=additive, derived=derived
            )
        published, primary, secondary, derived_cells, count_columns = table, 0, 0, 0, []
        if protected is not None:
            published, primary, secondary = protected.table, protected.primary, protected.secondary
            derived_cells, count_columns = protected.derived, list(protected.mask.columns)
        # what the check stage re-checks: the counts (amounts behind persons are not counts), and the
        # protected cells with the relations the protection assumed
        declared_counts = list(counts or []) or ([] if behind is not None else count_columns)
        relations = protected.relations if protected is not None else ("crosstab" if additive else "none")
        stem = key.replace(".", "_")
        caption = self.t(f"{key}.caption", **values)
        if _mostly_suppressed(published, count_columns):
            self._withhold(published, stem, caption, quantity_cells or {})
            return False
        with atomic_file(self.csv_dir / f"{stem}.csv") as fh:
            without_float_noise(self._words_as_shown(published, set(verbatim or []))).to_csv(fh, index=True)
        write_json(
            self.csv_dir / f"{stem}.json",
            {
                "count_columns": declared_counts,
                "protected_columns": count_columns,
                "relations": relations,
                "total": None if protected is None else protected.total,
                "additive": relations != "none",
                "primary": primary,
                "secondary": secondary,
                "derived": derived_cells,
            },
        )
        self.tables += 1
        for name, (row, column) in (quantity_cells or {}).items():
            cell = published.loc[row, column]
            hidden = isinstance(cell, str) and cell == disclosure.SUPPRESSED
            quantities.record(
                self.tables_dir, self.lang, name, None if hidden else float(cell),
                where=f"table:{stem}", suppressed=hidden,
            )  # fmt: skip
        label = i18n.t("common.table", self.lang, n=self.tables)
        # a table of many columns is printed on a landscape page of its own (the print stylesheet)
        wide = " wide" if published.shape[1] + published.index.nlevels >= WIDE_COLUMNS else ""
        named_p = {c for c in published.columns if P_COLUMN.match(str(c))}
        self._verbatim, self._pvalues = set(verbatim or []), set(pvalues or []) | named_p
        body = self._table_html(published, decimals, percent or [])
        note = ""
        if primary + secondary + derived_cells:
            note = f'<p class="table-note">{html.escape(i18n.t("common.suppressed_note", self.lang, min_cell=self.min_cell))}</p>'
        csv = (
            f'<p class="table-csv"><a href="../tables/{self.name}/{self.lang}/{stem}.csv" download>'
            f"{html.escape(i18n.t('common.table_csv', self.lang, n=self.tables))}</a></p>"
        )
        self._show(
            f'<div class="table-wrap{wide}"><table id="table-{self.tables}"><caption><b>{html.escape(label)}.</b> '
            f"{markdown_inline(caption)}</caption>{body}</table>{note}{csv}</div>"
        )
        return True

    def _words_as_shown(self, table: pd.DataFrame, verbatim: set[str]) -> pd.DataFrame:
        """The table with its row labels and text cells as the page shows them (:meth:`value`).

        Column names stay the codes the sidecar declares; numbers, :data:`~pact_analysis.disclosure.SUPPRESSED`
        and ``verbatim`` columns (or index levels) stay as they are.
        """
        from pact_analysis.disclosure import SUPPRESSED

        def words(values: Any, column: Any) -> list[Any]:
            keep = column in verbatim
            return [
                self.value(v) if isinstance(v, str) and v != SUPPRESSED and not keep else v for v in values
            ]

        out = table.copy()
        for column in out.columns:
            if not pd.api.types.is_numeric_dtype(out[column]):
                out[column] = words(out[column], column)
        if isinstance(out.index, pd.MultiIndex):
            out.index = pd.MultiIndex.from_arrays(
                [words(out.index.get_level_values(i), n) for i, n in enumerate(out.index.names)],
                names=out.index.names,
            )
        else:
            out.index = pd.Index(words(out.index, out.index.name), name=out.index.name)
        return out

    def _withhold(
        self, published: pd.DataFrame, stem: str, caption: str, cells: dict[str, tuple[Any, str]]
    ) -> None:
        """Say in one sentence why a table is not shown (most of its cells suppressed); its quantities
        are recorded as suppressed, so that they are suppressed everywhere."""
        from pact_analysis import disclosure

        for name in cells:
            quantities.record(self.tables_dir, self.lang, name, None, where=f"table:{stem}", suppressed=True)
        text = i18n.t(
            "common.table_withheld", self.lang, caption=caption.strip().rstrip("."), min_cell=self.min_cell,
            share=i18n.percent(disclosure.MAX_SUPPRESSED_SHARE, lang=self.lang, decimals=0),
        )  # fmt: skip
        self._show(f'<p class="table-withheld">{markdown_inline(text)}</p>')

    def label(self, column: Any) -> str:
        """Return the display label of a column or index name: ``<prefix>.col.X`` or ``common.col.X``."""
        for key in (f"{self.prefix}.col.{column}", f"common.col.{column}"):
            if i18n.has(key, self.lang):
                return i18n.t(key, self.lang)
        raise i18n.MissingTranslation(
            f"no {self.lang} label for column {column!r} ({self.prefix}.col.{column} or common.col.{column})"
        )

    def value(self, value: Any) -> str:
        """Return a category's display text (``<prefix>.value.X`` or ``common.value.X``), else as is."""
        for key in (f"{self.prefix}.value.{value}", f"common.value.{value}"):
            if i18n.has(key, self.lang):
                return i18n.t(key, self.lang)
        return str(value)

    def _cell(self, value: Any, column: str, decimals: dict[str, int] | int, percent: list[str]) -> str:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return "–"
        if isinstance(value, str):
            return html.escape(value if column in getattr(self, "_verbatim", ()) else self.value(value))
        if column in getattr(self, "_pvalues", ()):
            return html.escape(i18n.p_value(float(value), self.lang))
        if isinstance(value, bool):
            return html.escape(i18n.t(f"common.{'yes' if value else 'no'}", self.lang))
        if column in percent:
            return i18n.percent(float(value), self.lang)
        if float(value).is_integer() and not isinstance(value, float):
            return i18n.number(value, self.lang)
        places = decimals.get(column, 2) if isinstance(decimals, dict) else decimals
        return i18n.number(float(value), self.lang, places)

    def _table_html(self, table: pd.DataFrame, decimals: dict[str, int] | int, percent: list[str]) -> str:
        frame = table.reset_index() if any(n is not None for n in table.index.names) else table
        head = "".join(f'<th scope="col">{html.escape(self.label(c))}</th>' for c in frame.columns)
        rows = []
        for record in frame.itertuples(index=False):
            cells = [self._cell(v, c, decimals, percent) for v, c in zip(record, frame.columns, strict=True)]
            numeric = [not isinstance(v, str) or v == "[c]" for v in record]
            rows.append(
                "<tr>" + "".join(
                    f'<td class="{"num" if is_num else "txt"}">{cell}</td>'
                    for cell, is_num in zip(cells, numeric, strict=True)
                ) + "</tr>"
            )  # fmt: skip
        return f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody>"

    # -- end -----------------------------------------------------------------------------------------

    def footer(self) -> None:
        """Close the report: check every drawn figure was published, then show the provenance.

        Raises
        ------
        RuntimeError
            If the notebook drew a figure that it did not publish with :meth:`figure`.
        """
        import matplotlib.pyplot as plt

        from pact_analysis.report.provenance import provenance, provenance_html

        left = plt.get_fignums()
        if left or self.drawn != self.figures:
            raise RuntimeError(
                f"{self.name}: {self.drawn} figures drawn, {self.figures} published; publish every figure "
                "with report.figure(fig, key) (a figure left open never reaches the HTML)"
            )
        write_json(
            self.tables_dir / f"figures.{self.lang}.json",
            {"figures_drawn": self.drawn, "figures_published": self.figures, "tables": self.tables},
        )
        from pact_analysis.report.references import cited_by, references_html

        self._show(references_html(cited_by(self.name, self.cited), self.lang))
        self._show(provenance_html(provenance(self.paths, used=self.parameters), self.lang))


_NUMBER_LABEL = re.compile(r"^\$?[\u2212+\-]?[\d.,]+(?:e[+\-]?\d+)?\s*%?\$?$")
#: A tick label as matplotlib writes it before localisation: ``12000``, ``-0.5``, ``\u22122.5``, ``20%``.
_PLAIN_NUMBER = re.compile(r"^([\u2212\-]?\d+(?:\.(\d+))?)(\s*%)?$")


def _swap_separators(text: str) -> str:
    """``1,234.5`` -> ``1.234,5`` (Spanish) when the label is a number; words are left alone."""
    if not _NUMBER_LABEL.match(text.strip()):
        return text
    return text.translate(str.maketrans({".": ",", ",": "."}))


def localised_label(text: str, lang: str, group_four: bool = False) -> str:
    """A numeric tick label written as the page's sentences write numbers (:func:`.i18n.number`).

    A plain number (``12000``, ``-0.5``, ``20%``) is formatted again for ``lang``, with its decimals
    kept: five digits or more grouped (``12.000`` / ``12,000``; not a year ``2016``), four digits
    too when ``group_four`` (an axis whose other labels have five: ``2,000`` beside ``10,000``), the
    minus sign ``−``, the percent sign after a no-break space in Spanish. Any other numeric label has
    its separators exchanged in Spanish (:func:`_swap_separators`); words are left alone.
    """
    match = _PLAIN_NUMBER.match(text.strip())
    if match is None:
        return _swap_separators(text) if lang == "es" else text
    number, decimals, percent = match.groups()
    shown = i18n.number(float(number.replace("\u2212", "-")), lang, len(decimals or ""))
    if len(number.lstrip("\u2212-").split(".")[0]) <= 4 and not group_four:  # a year (2016) or 1000
        shown = shown.replace("," if lang == "en" else ".", "")
    return shown + (("\u00a0%" if lang == "es" else "%") if percent else "")


def localise_ticks(fig: Any, lang: str) -> None:
    """Write the numeric tick labels of every axis as the page's language writes numbers.

    Each axis keeps its own formatter (scalar, log, percent, a notebook's own function); only its
    output is rewritten (:func:`localised_label`: ``0,5`` and ``12.000`` in Spanish, ``12,000`` in
    English), and only where that output is a number: category labels are words and are left alone.
    """
    from matplotlib.ticker import Formatter

    class Localised(Formatter):
        def __init__(self, inner: Formatter) -> None:
            self.inner = inner

        def set_axis(self, axis: Any) -> None:
            super().set_axis(axis)
            self.inner.set_axis(axis)

        def set_locs(self, locs: Any) -> None:
            self.inner.set_locs(locs)
            # an axis reaching five digits groups its four-digit labels too, so they read alike
            self.group_four = bool(len(locs)) and max(abs(float(x)) for x in locs) >= 10_000

        def __call__(self, x: float, pos: int | None = None) -> str:
            return localised_label(self.inner(x, pos), lang, getattr(self, "group_four", False))

        def get_offset(self) -> str:
            return localised_label(self.inner.get_offset(), lang)

    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            inner = axis.get_major_formatter()
            if not isinstance(inner, Localised):
                axis.set_major_formatter(Localised(inner))


def _count_new_figures(report: Report) -> None:
    """Count every figure matplotlib creates (pyplot, pandas, seaborn, lifelines all go through it)."""
    import matplotlib.pyplot as plt

    original = plt.new_figure_manager

    def counting(*args: Any, **kwargs: Any) -> Any:
        report.drawn += 1
        return original(*args, **kwargs)

    plt.new_figure_manager = counting


def start(name: str, root: str | Path, lang: str, min_cell: int, **parameters: Any) -> Report:
    """Set up a report notebook: plot theme, figure counting, language; return its :class:`Report`.

    Parameters
    ----------
    name : str
        Notebook name (``"00_overview"``).
    root : str or Path
        Project root.
    lang : str
        Report language (``"es"`` or ``"en"``).
    min_cell : int
        Minimum publishable count.
    **parameters
        The notebook's other parameters, stated in its provenance footer.
    """
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook", palette="colorblind")
    mpl.rcParams.update(
        {"figure.dpi": 96, "figure.figsize": (7.5, 4.2), "savefig.bbox": "tight", "svg.hashsalt": "pact"}
    )
    mpl.rcParams["axes.formatter.use_locale"] = False
    report = Report(name, root, lang, min_cell, {"lang": lang, "disclosure_min_cell": min_cell} | parameters)
    stale = report.tables_dir / quantities.FILE.format(lang=lang)
    stale.unlink(missing_ok=True)  # the quantities of an earlier run are recorded anew
    _count_new_figures(report)
    return report


def read_summary(reports: Path, name: str, lang: str) -> dict[str, Any] | None:
    """Return a report's recorded findings in ``lang`` (``summary.<lang>.json``) or None if it has none."""
    path = Path(reports) / "tables" / name / f"summary.{lang}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _mostly_suppressed(published: pd.DataFrame, counts: list[str]) -> bool:
    """Whether more than :data:`~pact_analysis.disclosure.MAX_SUPPRESSED_SHARE` of a table is hidden.

    Counted both ways, and either is enough: the share of its cells (row labels not counted) shown as
    ``[c]`` (suppressed counts, and values that would give one away), and the share of its rows with
    a suppressed count (one of the ``counts`` columns: such a row says little, its rates and shares
    go with it).
    """
    from pact_analysis import disclosure

    cells = published.astype(str).to_numpy() == disclosure.SUPPRESSED
    if not cells.size:
        return False
    hidden_cells = int(cells.sum()) / cells.size
    in_counts = [published.columns.get_loc(c) for c in counts if c in published.columns]
    rows = float(cells[:, in_counts].any(axis=1).mean()) if in_counts else 0.0
    return max(hidden_cells, rows) > disclosure.MAX_SUPPRESSED_SHARE
