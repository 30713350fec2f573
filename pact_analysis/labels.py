"""Words of the ground floor: catalogue texts for what a stage writes in both languages.

A stage's outputs sometimes hold words (the reasons of an alert in the case managers' lists, a
predictor's name in a specification table). They come from the same gettext catalogues as the reports
(``pact_analysis/locales/<lang>/LC_MESSAGES/*.po``), read here with Babel, so that no statistics
module imports the presentation layer (:mod:`pact_analysis.report`). Placeholders are filled with
plain ``str.format``: a caller passes text, already formatted.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

#: Languages of the catalogues.
LANGUAGES = ("es", "en")
#: Folder of the catalogues.
LOCALES = Path(__file__).resolve().parent / "locales"


class MissingLabel(KeyError):
    """A catalogue key is not defined (or is empty) in a language."""


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Return every message of a language as ``{key: text}``, merged from all its ``.po`` domains.

    The one reader of the catalogues: the reports use it too (:mod:`pact_analysis.report.i18n`).

    Parameters
    ----------
    lang : str
        ``"es"`` or ``"en"``.

    Raises
    ------
    ValueError
        If the language is unknown, or a key is defined in two domains of the same language.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {LANGUAGES}")
    messages: dict[str, str] = {}
    for path in sorted((LOCALES / lang / "LC_MESSAGES").glob("*.po")):
        with open(path, "rb") as fh:
            domain = read_po(fh, locale=lang)
        for message in domain:
            if not message.id:
                continue
            if message.id in messages:
                raise ValueError(f"{path.name}: key {message.id!r} is defined twice in {lang}")
            messages[str(message.id)] = str(message.string)
    return messages


def text(key: str, lang: str, /, **values: Any) -> str:
    """Return the text of ``key`` in ``lang`` with its placeholders filled by ``str(value)``.

    Parameters
    ----------
    key : str
        Catalogue key, e.g. ``alerts.factor.disability.high``.
    lang : str
        Language.
    **values
        Placeholder values (text).

    Raises
    ------
    MissingLabel
        If the key has no text in the language.
    """
    message = catalogue(lang).get(key, "")
    if not message.strip():
        raise MissingLabel(f"no {lang} text for {key!r} (pact_analysis/locales/{lang})")
    return message.format(**{k: str(v) for k, v in values.items()}) if values else message
