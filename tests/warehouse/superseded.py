"""The hand-built region plus heads whose open benefit file is followed by a later file of theirs.

Such an open file is a missing end date, not two files paid at once: it ends at the next later start
of the head (:func:`pact_analysis.chronicity.spells.superseded_ends`). ``Y`` is the plain case; the
others are the rule's edges (files begun the same day, an end after the extraction date, a later file
begun only after the extraction date, a nested file, files without a head).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from pact_analysis import warehouse
from tests.warehouse.hand import ACTIONS, REFERENCE, RGC, frame, hand_frames, person, spell

#: The extraction (and reference) date of the hand-built region.
EXTRACTION = pd.Timestamp(REFERENCE)

PERSONS = [
    # an open file from January 2016 followed by a file paid March-August 2016: off the RGC since
    person("Y", 40, RGC),
    # two open files begun the same day, then a later file: both end at its start
    person("T", 40, RGC),
    # an end after the extraction date is still open then: it ends at the next start
    person("U", 40, RGC),
    # the later file begins after the extraction date: it supersedes nothing
    person("V", 40, RGC),
    # a file begun later and ended inside the open one still ends it
    person("X", 40, RGC),
]
SPELLS = [
    spell("Y1", "Y", "2016-01-01", None),
    spell("Y2", "Y", "2016-03-01", "2016-08-31"),
    spell("T1", "T", "2016-01-01", None),
    spell("T2", "T", "2016-01-01", None),
    spell("T3", "T", "2017-06-01", "2017-12-31"),
    spell("U1", "U", "2015-01-01", "2019-06-30"),
    spell("U2", "U", "2016-05-01", None),
    spell("V1", "V", "2017-01-01", None),
    spell("V2", "V", "2018-12-01", None),
    spell("X1", "X", "2015-01-01", None),
    spell("X2", "X", "2016-01-01", "2016-06-30"),
    # files of no known head are never superseded
    spell("N1", None, "2016-01-01", None),
    spell("N2", None, "2017-01-01", None),
]
MEMBERS = [
    {"person_key": s["person_key"], "file_id": s["file_id"], "role": "HEAD"}
    for s in SPELLS
    if s["person_key"] is not None
]


def _add(frames: dict[str, pd.DataFrame], name: str, rows: list[dict]) -> None:
    frames[name] = pd.concat([frames[name], frame(rows)], ignore_index=True)


def superseded_frames() -> dict[str, pd.DataFrame]:
    """The hand-built region's processed tables with :data:`PERSONS` and :data:`SPELLS` added."""
    frames = hand_frames()
    _add(frames, "persons", PERSONS)
    _add(frames, "rgc_members", MEMBERS)
    _add(frames, "rgc_spells", SPELLS)
    sauss = [
        {
            "person_key": p["person_key"],
            "ceas_code": "47U01",
            "registration_date": "2014-04-02",
            "household_type": None,
        }
        for p in PERSONS
    ]
    _add(frames, "sauss_persons", sauss)
    return frames


def build_superseded() -> duckdb.DuckDBPyConnection:
    """The warehouse of :func:`superseded_frames` on DuckDB (reference and extraction: ``REFERENCE``)."""
    con = duckdb.connect()
    warehouse.load_frames(con, superseded_frames())
    warehouse.build(con, warehouse.BuildSettings(REFERENCE, REFERENCE, ACTIONS))
    return con
