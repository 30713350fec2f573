"""Writing raw extracts in the format SAUSS exports use (``raw_format`` in the codebook).

The synthetic generator writes through :func:`write_extract`, so the embedded default looks like the
real thing: semicolon-delimited, decimal comma, day/month/year dates. Reading, validating and the
tolerance for other conventions live in :mod:`pact_analysis.ingest`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pact_analysis import codebook
from pact_analysis.io import atomic_file


def to_raw_frame(df: pd.DataFrame, source: str) -> pd.DataFrame:
    """Return ``df`` with the codebook's columns of ``source``, in order, formatted as text.

    Parameters
    ----------
    df : DataFrame
        Data with at least the required columns of the source; extra columns are dropped.
    source : str
        Source name in the codebook.

    Returns
    -------
    DataFrame
        String columns (empty string for missing values) ready to write.
    """
    fmt = codebook.load()["raw_format"]
    out = {}
    for col, spec in codebook.columns(source).items():
        values = df[col] if col in df else pd.Series(pd.NA, index=df.index)
        kind = spec["type"]
        if kind == "date":  # each distinct date formatted once: a million rows hold a few thousand
            codes, dates = pd.factorize(pd.to_datetime(values))
            formatted = np.append(np.asarray(dates.strftime(fmt["date_format"]), dtype=object), np.nan)
            text = pd.Series(formatted[codes], index=df.index, dtype=object)  # code -1: the NaN appended
        elif kind == "bool":
            text = values.map({True: fmt["true_value"], False: fmt["false_value"]})
        elif kind == "int":
            text = values.astype("Int64").astype("string")
        elif kind == "float":
            text = (
                values.astype("Float64")
                .round(2)
                .astype("string")
                .str.replace(".", fmt["decimal"], regex=False)
            )
        else:
            text = values.astype("string")
        out[col] = text.fillna("")
    return pd.DataFrame(out, index=df.index)


def write_extract(df: pd.DataFrame, source: str, folder: Path) -> Path:
    """Write one raw extract atomically as ``folder/<file>`` (file name from the codebook).

    Parameters
    ----------
    df : DataFrame
        The extract's rows.
    source : str
        Source name in the codebook.
    folder : Path
        Destination folder.

    Returns
    -------
    Path
        The written file.
    """
    fmt = codebook.load()["raw_format"]
    target = Path(folder) / codebook.sources()[source]["file"]
    frame = to_raw_frame(df, source)
    with atomic_file(target, "w", encoding=fmt["encoding"], newline="") as fh:
        frame.to_csv(fh, sep=fmt["delimiter"], index=False, lineterminator="\n")
    return target
