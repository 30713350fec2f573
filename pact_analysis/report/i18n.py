"""Translations and locale-aware formatting of the reports (Spanish and English).

Every heading, sentence, label, caption and alt text of a report comes from the gettext catalogues
under ``pact_analysis/locales/<lang>/LC_MESSAGES/*.po``, read with Babel. A message id is a symbolic
key (``overview.pyramid.caption``); its text may hold named placeholders (``{n_persons}``) filled
with values formatted for the language by :func:`number`, :func:`percent` and :func:`date`.

A key missing in a language is an error (:class:`MissingTranslation`), never a silent fallback: the
tests render every report in both languages, so a missing key fails them.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

import pandas as pd
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from pact_analysis.labels import LANGUAGES, catalogue

#: Report languages (:data:`pact_analysis.labels.LANGUAGES`); the first is the default the index opens with.
DEFAULT_LANGUAGE = LANGUAGES[0]


class MissingTranslation(KeyError):
    """A catalogue key that a report uses is not defined in one of the languages."""


def missing_keys() -> dict[str, list[str]]:
    """Return, per language, the keys that another language defines but it lacks (or leaves empty)."""
    every = set().union(*(catalogue(lang) for lang in LANGUAGES))
    return {lang: sorted(k for k in every if not catalogue(lang).get(k, "").strip()) for lang in LANGUAGES}


def t(key: str, lang: str, /, **values: Any) -> str:
    """Return the text of ``key`` in ``lang`` with its placeholders filled.

    Parameters
    ----------
    key : str
        Catalogue key.
    lang : str
        Report language.
    **values
        Placeholder values; numbers should already be formatted (see :func:`fmt`), other values are
        inserted with ``str``.

    Raises
    ------
    MissingTranslation
        If the key is not in the language's catalogue.
    """
    text = catalogue(lang).get(key, "")
    if not text.strip():
        raise MissingTranslation(f"no {lang} translation for {key!r} (pact_analysis/locales/{lang})")
    return text.format(**{name: fmt(value, lang) for name, value in values.items()}) if values else text


def has(key: str, lang: str) -> bool:
    """Return whether ``key`` has a text in ``lang``."""
    return bool(catalogue(lang).get(key, "").strip())


#: The minus sign of typeset numbers (a hyphen is a word joiner, not a sign), as matplotlib draws it.
MINUS = "\u2212"


def number(value: float, lang: str, decimals: int = 0) -> str:
    """Format a number for ``lang``: ``1.234,5`` in Spanish, ``1,234.5`` in English, ``−0,36``.

    A negative number takes the minus sign (:data:`MINUS`); one that rounds to zero takes none.
    """
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return _signed(format_decimal(value, format=pattern, locale=lang))


def _signed(text: str) -> str:
    """Babel's ``-`` as :data:`MINUS`, and no sign on a zero (``-0,0`` is ``0,0``)."""
    if not text.startswith("-"):
        return text
    if not any(ch in "123456789" for ch in text):
        return text[1:]
    return MINUS + text[1:]


def percent(share: float, lang: str, decimals: int = 1) -> str:
    """Format a share (0.123) as a percentage for ``lang``: ``12,3 %`` or ``12.3%``.

    A share strictly between 0 and 1 never reads as 0 or 100 %: up to two more decimals are shown
    (0.9999 is ``99.99%``), then the bound (``> 99.999%``, ``< 0.001%``). The test is made on Babel's
    own formatted text, so its rounding decides.
    """
    if 0 < share < 1:
        for extra in (0, 1, 2):
            text = _percent(share, lang, decimals + extra)
            if text not in (_percent(0, lang, decimals + extra), _percent(1, lang, decimals + extra)):
                return text
        step = 10.0 ** -(decimals + 2) / 100
        bound = step if share < 0.5 else 1 - step
        return ("< " if share < 0.5 else "> ") + _percent(bound, lang, decimals + 2)
    return _percent(share, lang, decimals)


def _percent(share: float, lang: str, decimals: int) -> str:
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "") + ("\u00a0%" if lang == "es" else "%")
    return _signed(format_percent(share, format=pattern, locale=lang))


#: p-values below this are printed as a bound (``< 0,001``): more digits are noise, not evidence.
P_FLOOR = 0.001


def p_value(p: float, lang: str) -> str:
    """Format a p-value for ``lang``: ``< 0,001`` / ``< 0.001`` below :data:`P_FLOOR`, else 3 decimals.

    A p-value is never printed as ``0,0000``: that reads as "impossible", which no test shows.
    """
    if not 0 <= p <= 1:
        raise ValueError(f"a p-value lies in [0, 1], not {p}")
    if p < P_FLOOR:
        return "< " + number(P_FLOOR, lang, 3)
    return number(p, lang, 3)


def date(value: dt.date | str, lang: str) -> str:
    """Format a date in words for ``lang``: ``31 de octubre de 2018`` / ``31 October 2018``."""
    day = dt.date.fromisoformat(str(value)[:10]) if not isinstance(value, dt.date) else value
    return format_date(day, format="d MMMM y" if lang == "en" else "long", locale=lang)


class Number:
    """A value with its display format, formatted only when the language is known.

    Parameters
    ----------
    value : float
        The value.
    kind : str
        ``"int"`` (grouped whole number), ``"num"`` (``decimals`` places), ``"pct"`` (a share shown as
        a percentage with ``decimals`` places), ``"pp"`` (a difference of shares in percentage
        points), ``"p"`` (a p-value, :func:`p_value`) or ``"date"``.
    decimals : int
        Decimal places.
    """

    def __init__(self, value: Any, kind: str = "num", decimals: int = 1) -> None:
        self.value, self.kind, self.decimals = value, kind, decimals

    def format(self, lang: str) -> str:
        """Return the value formatted for ``lang``."""
        if self.kind == "date":
            return date(self.value, lang)
        if self.kind == "pct":
            return percent(float(self.value), lang, self.decimals)
        if self.kind == "p":
            return p_value(float(self.value), lang)
        if self.kind == "pp":  # a difference of probabilities, in percentage points
            return t("common.pp", lang, value=number(100 * float(self.value), lang, self.decimals))
        decimals = 0 if self.kind == "int" else self.decimals
        return number(float(self.value), lang, decimals)

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-able description (the index re-formats it in each language)."""
        value = self.value if self.kind == "date" else float(self.value)
        return {
            "value": str(value) if self.kind == "date" else value,
            "kind": self.kind,
            "decimals": self.decimals,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Number:
        """Inverse of :meth:`to_json`."""
        return cls(data["value"], data["kind"], data["decimals"])


def sort_key(text: Any) -> tuple[int, str]:
    """Key that orders names as a dictionary does in both languages: accents ignored (Ávila before
    Burgos, not after Zamora), case ignored; ``unknown`` after the names, the total (``all`` or
    ``overall``) last."""
    plain = unicodedata.normalize("NFKD", str(text))
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    return {"unknown": 1, "all": 2, "overall": 2}.get(plain, 0), plain


def by_name(frame: pd.DataFrame, column: str | None = None) -> pd.DataFrame:
    """The rows of ``frame`` with their names (``column``, or the index) in dictionary order
    (:func:`sort_key`); rows of one name keep their order."""
    names = frame.index if column is None else frame[column]
    keys = [sort_key(v) for v in names]
    return frame.iloc[sorted(range(len(keys)), key=keys.__getitem__)]


def fmt(value: Any, lang: str) -> str:
    """Format a placeholder value: :class:`Number` by its kind, ints grouped, floats with 2 decimals."""
    if isinstance(value, Number):
        return value.format(lang)
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return number(value, lang)
    if isinstance(value, float):
        return number(value, lang, 2)
    return str(value)
