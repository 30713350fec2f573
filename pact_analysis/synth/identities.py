"""Spanish identity documents: DNI and NIE numbers with their check letters.

The rules are those of the Ministry of the Interior (Real Decreto 1553/2005), summarised in
``shared/reference/identities.md``:

- DNI: 8 digits and a check letter ``"TRWAGMYFPDXBNJZSQVHLCKE"[number % 23]`` (12345678 -> Z).
- NIE: a leading X, Y or Z, 7 digits and a check letter computed like a DNI's on the 8-digit number
  obtained by replacing X -> 0, Y -> 1, Z -> 2. X was issued until July 2008, Y afterwards.

Everything is vectorised over numpy arrays or pandas Series.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

#: Check letters indexed by ``number % 23``.
CHECK_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
_LETTERS = np.array(list(CHECK_LETTERS))
_NIE_PREFIX = {"X": 0, "Y": 1, "Z": 2}
_DOC_RE = re.compile(r"^(?:(\d{8})|([XYZ])(\d{7}))([A-Z])$")


def dni_letter(number: np.ndarray | pd.Series | int) -> np.ndarray:
    """Return the check letter of each DNI number (or NIE number with its prefix replaced).

    Parameters
    ----------
    number : int or array-like of int
        Numbers between 0 and 99,999,999.

    Returns
    -------
    ndarray of str
        One letter per number.

    Examples
    --------
    >>> str(dni_letter(12345678))
    'Z'
    """
    return _LETTERS[np.asarray(number, dtype=np.int64) % 23]


def make_dni(number: np.ndarray | pd.Series) -> np.ndarray:
    """Format DNI numbers as 8 zero-padded digits followed by their check letter.

    Parameters
    ----------
    number : array-like of int
        Numbers between 0 and 99,999,999.

    Returns
    -------
    ndarray of str
        Documents such as ``"12345678Z"``.
    """
    number = np.asarray(number, dtype=np.int64)
    digits = np.char.zfill(number.astype(str), 8)
    return np.char.add(digits, dni_letter(number))


def make_nie(prefix: np.ndarray | pd.Series, number: np.ndarray | pd.Series) -> np.ndarray:
    """Format NIE documents: prefix, 7 zero-padded digits and the check letter.

    Parameters
    ----------
    prefix : array-like of str
        ``"X"``, ``"Y"`` or ``"Z"`` per document.
    number : array-like of int
        Numbers between 0 and 9,999,999.

    Returns
    -------
    ndarray of str
        Documents such as ``"X1234567L"``.
    """
    prefix = np.asarray(prefix, dtype=str)
    number = np.asarray(number, dtype=np.int64)
    if not np.isin(prefix, list(_NIE_PREFIX)).all():
        raise ValueError("NIE prefixes must be X, Y or Z")
    lead = np.select([prefix == "X", prefix == "Y"], [0, 1], 2).astype(np.int64)
    letters = dni_letter(lead * 10_000_000 + number)
    return np.char.add(np.char.add(prefix, np.char.zfill(number.astype(str), 7)), letters)


def is_valid_doc(doc: pd.Series | np.ndarray | list) -> np.ndarray:
    """Tell which strings are well-formed DNI or NIE numbers with the right check letter.

    Parameters
    ----------
    doc : array-like of str
        Documents as recorded; missing values and any other format (passports) are not valid.

    Returns
    -------
    ndarray of bool
        True where the document is a DNI (8 digits + letter) or NIE (X/Y/Z + 7 digits + letter)
        whose letter matches.
    """
    text = pd.Series(doc, dtype="string").str.upper()
    parts = text.str.extract(_DOC_RE)
    dni_digits, prefix, nie_digits, letter = (parts[i] for i in range(4))
    lead = prefix.map(_NIE_PREFIX).astype("Int64").astype("string")
    number = dni_digits.fillna(lead + nie_digits)
    ok = number.notna()
    expected = pd.Series(pd.NA, index=text.index, dtype="string")
    expected[ok] = dni_letter(number[ok].astype(np.int64).to_numpy())
    return (ok & (expected == letter)).fillna(False).to_numpy(dtype=bool)
