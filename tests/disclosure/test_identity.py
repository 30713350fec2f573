"""The identity scan: what a direct identifier from the raw extracts looks like, and where it is found."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pact_analysis import disclosure
from tests.fixtures import write_valid_raw

# --- identities and matching ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def who(tmp_path_factory) -> disclosure.Identities:
    raw = write_valid_raw(tmp_path_factory.mktemp("raw"))
    return disclosure.collect_identities(raw)


def test_identities_come_from_every_person_source(who):
    assert "MARIA JOSE MARTIN" in who.names and "MARTIN MARIA JOSE" in who.names
    assert "12345678Z" in who.documents and "12345678" in who.documents and "X1234567L" in who.documents
    assert "600123456" in who.phones
    assert pd.Timestamp("1975-03-14") in who.birth_dates


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Atendida: María José Martín, CEAS Delicias", "a full name"),
        ("MARTIN, MARIA JOSE", "a full name"),
        ("documento 12345678-Z", "a DNI/NIE"),
        ("dni 12345678", "a DNI/NIE"),
        ("NIE x1234567l", "a DNI/NIE"),
        ("tel. +34 600 123 456", "a phone number"),
        ("nacida el 14/03/1975", "a birth date"),
        ('"birth": "1975-03-14"', "a birth date"),
    ],
)
def test_identifiers_are_found(who, text, kind):
    assert kind in disclosure.find_in_text(text, who)


@pytest.mark.parametrize(
    "text",
    [
        "MARIA: most frequent given name; GARCIA most frequent surname",  # a lone name is not a person
        "Martín (2017) and Núñez (2019) found that...",
        "pseudonym 9f3a12345678z0c1e5",  # digits inside a pseudonym
        "amount 1123456789 EUR",  # a longer number
        "extraction 2018-10-31, pilot 01/11/2015",  # event dates
        "Juan Carlos García López".replace("García", "Gómez"),  # a different person
        "",
    ],
)
def test_no_false_alarms(who, text):
    assert disclosure.find_in_text(text, who) == []


def test_the_column_prefilter_passes_every_string_holding_an_identifier(who):
    """:func:`may_hold_identifier` may pass strings without one, never drop one with one."""
    import numpy as np

    rng = np.random.default_rng(3)
    pieces = [
        "María",
        "JOSÉ",
        "martín",
        "Ñ",
        "Ó",
        "™",
        "12345678",
        "Z",
        "X1234567L",
        "600",
        "123",
        "456",
        "+34",
        "14/03/1975",
        "1975-03-14",
        "3fa9c2",
        "-",
        ".",
        " ",
        ",",
        "_",
        "ﬁ",
        "①",
        "CEAS",
    ]
    texts = ["".join(rng.choice(pieces, rng.integers(1, 7))) for _ in range(4000)]
    texts += ["MARIA JOSE MARTIN", "martín,maría josé", "12345678Z", "600123456", "a1b2c3d4e5f6"]
    # a full name however its words are joined or written: punctuation, no-break, ideographic and
    # zero-width spaces, full-width letters, combining accents
    joins = ["-", ",", "/", "\u00a0", "\u3000", "\u2009", "_", "·"]
    words = [
        ["María", "José", "Martín"],
        ["Martin", "Maria", "Jose"],
        ["ＭＡＲＩＡ", "ＪＯＳＥ", "ＭＡＲＴＩＮ"],
        ["Mari\u0301a", "Jose\u0301", "Marti\u0301n"],
    ]
    names = [j.join(w) for j in joins for w in words]
    names += [f"María José Mar{c}tín" for c in ("\u00ad", "\u200b", "\u200d", "\u2060", "\ufeff", "\u034f")]
    texts += names
    values = pd.Series(texts, dtype=object)
    passed = disclosure.identity.may_hold_identifier(values, who)
    hits = np.array([bool(disclosure.identity.find_in_text(t, who)) for t in texts])
    assert not (hits & ~passed).any()
    assert all(disclosure.identity.find_in_text(name, who) == ["a full name"] for name in names)
    assert hits.sum() > 100 and (~passed).sum() > 200  # both kinds were drawn
    keys = pd.Series(["3fa9c2e81b", "A1B2C3", "2015", "123456"], dtype=object)  # keys, codes, numbers
    assert not disclosure.identity.may_hold_identifier(keys, who).any()


def test_plain_strings_are_cleared_only_when_no_document_or_phone_can_start_them(who):
    """The vectorised clearance of letters-and-digits strings keeps those a pattern could match."""
    plain = {
        "INT0000001": False,  # a record identifier: its digits follow a letter
        "00003142db52a53d": False,  # a pseudonymous key starting with digits: tested, no match
        "3fa9c2e81b": False,
        "": False,
        "12345678z": True,  # a DNI in lower case
        "x1234567l": True,  # a NIE
        "34600123456": True,  # a phone with the country code
        "600123456": True,
    }
    got = disclosure.identity.may_hold_identifier(list(plain), who)
    assert dict(zip(plain, got.tolist(), strict=True)) == plain
    cleared = disclosure.identity._plain_without_number(np.array(list(plain), dtype=object))
    assert cleared.tolist() == [True, False, True, True, False, False, False, False]


def test_documents_and_published_values_behind_a_nul_are_all_kept(who):
    """pandas hashes a string only up to a NUL: two documents behind one must stay two."""
    found = disclosure.identities_from_frame(pd.DataFrame({"doc_number": ["\x0012345678Z", "\x0087654321X"]}))
    assert {"12345678Z", "87654321X"} <= found.documents
    published = pd.DataFrame({"note": ["\x00" + "A" * 8, "\x00 12345678Z"]})
    assert disclosure.scan_frame(published, who) == [("a DNI/NIE", "column note, row 1")]


def test_short_surnames_do_not_make_name_patterns():
    found = disclosure.identities_from_frame(
        pd.DataFrame({"given_name": ["ANA", "LI"], "surname1": ["LI", "WEI"]})
    )
    assert found.names == set()


@pytest.mark.parametrize(
    ("name", "flagged"),
    [
        ("given_name", True),
        ("SURNAME1", True),
        ("surname2_l", True),
        ("doc_number", True),
        ("fecha_nacimiento", True),
        ("apellidos", True),
        ("phone", True),
        ("doc_type", False),
        ("birth_year", False),
        ("n_surnames_missing", False),
        ("person_key", False),
    ],
)
def test_identifier_columns(name, flagged):
    assert disclosure.identifier_column(name) is flagged


def test_html_markup_base64_and_escapes(who, tmp_path):
    page = tmp_path / "r.html"
    page.write_text(
        '<img src="data:image/png;base64,MTIzNDU2NzhaCg12345678Z==">\n<p>ok</p>\n'
        "<table><tr><td>MARÍA JOSÉ</td><td>MARTÍN</td></tr></table>\n"
        '<script>var d = ["JUAN CARLOS GARC\\u00cdA"];</script>\n'
    )
    assert disclosure.scan_text_file(page, who) == [("a full name", "line 3"), ("a full name", "line 4")]
