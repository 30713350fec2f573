"""Typography and terms of a rendered page, checked as a reader would meet them.

:func:`page_problems` reads a page's visible text, its figures' alt texts and its tables' headers
(BeautifulSoup, ``html.parser``) and returns what a careful reader of that language would correct:

- Spanish: a digit directly followed by ``%`` (the norm writes ``95 %``); "anonimizado" where the
  data are pseudonymised ("seudonimizado"); "apéndice" where every heading says "Anexo";
- both: a literal Markdown asterisk that leaked into the text; a p-value printed as ``0,0000`` or
  ``0.0000`` (it is ``< 0,001``); a negative number written with a hyphen (``-0,36``: the minus
  sign is ``−``, as in the figures);
- alt texts and table headers in the other language: words that exist only in the other language
  (:data:`FOREIGN`), matched as whole words.
"""

from __future__ import annotations

import re

#: Words that mark a label as written in the other language (whole words, case-insensitive). Only
#: function words and frequent terms that are not also words (or names) of the page's language.
FOREIGN = {
    "es": ("the", "and", "of", "with", "without", "share", "months", "persons", "people", "probability",
           "weight", "level", "other", "comparisons", "distance", "exact", "match", "year", "years"),
    "en": ("los", "las", "del", "con", "sin", "personas", "meses", "años", "proporción", "según",
           "prestación", "perfil", "perfiles", "umbral", "tiempo", "salida", "salidas"),
}  # fmt: skip
#: A digit glued to a percent sign (``95%``); ``95 %`` and ``95\u00a0%`` pass.
GLUED_PERCENT = re.compile(r"\d%")
#: A p-value (or any figure) printed as zero to four or more places.
ZERO_P = re.compile(r"(?<![\d.,])0[.,]0000+(?!\d)")
#: A hyphen used as a minus sign: ``-`` before a digit, not inside a word, range or date (``2015-2018``).
HYPHEN_MINUS = re.compile(r"(?<![\w\-–/.,])-(?=\d)")
#: An asterisk between word characters or around a word: Markdown emphasis that did not render.
ASTERISK = re.compile(r"\*")
ANONYMISED = re.compile(r"\banonimizad[oa]s?\b", re.IGNORECASE)
#: The appendix of a Spanish page is headed "Anexo" (``common.appendix``): one word for it everywhere.
APPENDIX_ES = re.compile(r"\bapéndices?\b", re.IGNORECASE)
#: A generated label "<feminine noun>: <masculine adjective>" ("Estabilidad: dudoso"): the adjective
#: must agree with the noun ("dudosa"). Nouns the reports use as labels, adjectives their values take.
FEMININE_LABEL = re.compile(
    r"\b(estabilidad|calidad|precisión|calibración|concordancia|evidencia|solidez|discriminación|"
    r"fiabilidad|validez|cobertura)\s*:\s*(dudoso|bueno|malo|alto|bajo|moderado|limitado|robusto|"
    r"adecuado|correcto|validado|escaso)\b",
    re.IGNORECASE,
)


def _visible_text(soup) -> str:
    for tag in soup(["script", "style", "code", "pre"]):
        tag.decompose()
    return soup.get_text(" ")


def _labels(soup) -> list[tuple[str, str]]:
    labels = [("alt", img.get("alt", "")) for img in soup.find_all("img")]
    labels += [("header", th.get_text(" ", strip=True)) for th in soup.find_all("th")]
    return labels


def foreign_words(text: str, lang: str) -> list[str]:
    """Return the words of ``text`` that belong to the other language (:data:`FOREIGN`)."""
    words = set(re.findall(r"\w+", text.lower()))
    return sorted(words & set(FOREIGN[lang]))


def text_problems(text: str, lang: str) -> list[str]:
    """Problems of a page's visible text (see the module docstring)."""
    problems = []
    for pattern, what in (
        (ZERO_P, "p-value or figure printed as zero"),
        (ASTERISK, "Markdown asterisk"),
        (HYPHEN_MINUS, "hyphen as a minus sign"),
    ):
        problems += [f"{what}: …{_around(text, m)}…" for m in pattern.finditer(text)]
    if lang == "es":
        problems += [f"no space before %: …{_around(text, m)}…" for m in GLUED_PERCENT.finditer(text)]
        problems += [
            f"'anonimizado' (the data are pseudonymised): …{_around(text, m)}…"
            for m in ANONYMISED.finditer(text)
        ]
        problems += [f"gender agreement: …{_around(text, m)}…" for m in FEMININE_LABEL.finditer(text)]
        problems += [
            f"'apéndice' (the appendix is headed 'Anexo'): …{_around(text, m)}…"
            for m in APPENDIX_ES.finditer(text)
        ]
    return problems


def _around(text: str, match: re.Match, width: int = 30) -> str:
    return " ".join(text[max(0, match.start() - width) : match.end() + width].split())


def page_problems(markup: str, lang: str) -> list[str]:
    """Return what a reader of ``lang`` would correct in a rendered page (empty when none).

    Parameters
    ----------
    markup : str
        The page's HTML.
    lang : str
        The page's language (``"es"`` or ``"en"``).
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    problems = [
        f"{kind} in the other language ({', '.join(found)}): {label[:80]}"
        for kind, label in _labels(soup)
        if (found := foreign_words(label, lang))
    ]
    return problems + text_problems(_visible_text(soup), lang)
