"""Tests of DNI/NIE generation and validation."""

from __future__ import annotations

import numpy as np
import pytest

from pact_analysis.synth.identities import dni_letter, is_valid_doc, make_dni, make_nie


def test_known_letters():
    assert str(dni_letter(12345678)) == "Z"
    assert make_dni([12345678, 5]).tolist() == ["12345678Z", "00000005M"]
    assert make_nie(["X"], [1234567]).tolist() == ["X1234567L"]  # Ministry of the Interior's example


def test_nie_prefix_rule():
    # Y1234567 is checked as 11234567, Z1234567 as 21234567.
    assert make_nie(["Y", "Z"], [1234567, 1234567]).tolist() == [
        "Y1234567" + str(dni_letter(11234567)),
        "Z1234567" + str(dni_letter(21234567)),
    ]
    with pytest.raises(ValueError):
        make_nie(["W"], [1])


def test_generated_documents_are_valid():
    rng = np.random.default_rng(0)
    dni = make_dni(rng.integers(0, 100_000_000, 5_000))
    nie = make_nie(rng.choice(["X", "Y", "Z"], 5_000), rng.integers(0, 10_000_000, 5_000))
    assert is_valid_doc(dni).all() and is_valid_doc(nie).all()


def test_invalid_documents():
    bad = ["12345678A", "1234567Z", "X1234567M", "W1234567L", "AB123456", "", None, "12345678"]
    assert not is_valid_doc(bad).any()
    assert is_valid_doc(["x1234567l"]).all()  # case-insensitive
