"""Calibration of the synthetic region: published targets and their measurement on generated data.

:data:`CALIBRATION` lists the facts of ``shared/reference/calibration.md`` the generator reproduces,
each with a tolerance that is stated honestly: the sampling error of a 20,000-person region (about
1,400 RGC heads on the benefit at a time, about 450 exits in 2013, 184 pilot participants, 48
professionals) plus a modelling margin. :func:`measure` computes every figure from the truth frames
(or from ``data/truth`` and ``data/raw``) and returns the table the overview report prints.

Definitions (where the sources are vague, the choice is written here):

- heads "about 2016": household heads paid the RGC at some time during 2016 (holders "a lo largo del
  año", the convention of the Ministry's minimum-income reports), household type of their latest
  spell; ages on 1 January 2016; Spanish = nationality group ES or naturalised by then;
- exit routes: spells that ended in 2013 (2,150 benefits ended in 2013);
- re-entry: exits before the extraction date minus 24 months followed by a new spell of the same head
  within 24 months;
- long stayers: heads on the benefit on 31 December 2015 whose running spell started in 2011, i.e.
  who received it in each of the five years since the start; IMI share on the same day;
- first-year entries to stock: spells starting in 2011 over heads on the benefit on 31 December 2015
  (6,426 approved in 2011, 11,830 heads at the end of 2015);
- amount: mean ``monthly_amount_eur`` of the spells running on 30 June 2016;
- pilot: participants (PILOT rows); agreement = ``useful`` and ``relevant`` both 4 or 5; improved =
  completed participants whose mean change over the six dimension scores is at least
  ``synthetic.pilot.improved_min_change``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pact_analysis import codebook
from pact_analysis.synth.timeline import DAYS_PER_MONTH

HEADS_YEAR = 2016
HEADS_DATE = pd.Timestamp("2016-01-01")
END_2015 = pd.Timestamp("2015-12-31")
AMOUNT_DATE = pd.Timestamp("2016-06-30")
EXIT_YEAR = 2013
REENTRY_MONTHS = 24
LIVING_DIMENSIONS = ("economic", "housing", "employment", "health", "personal", "relational")


@dataclass(frozen=True)
class Target:
    """One calibration fact: ``measured`` must lie within ``target +/- tolerance``.

    ``external`` marks a benchmark published for another region or country (a comparable scheme),
    not a figure of Castilla y León: the overview counts the two kinds apart.
    """

    name: str
    target: float
    tolerance: float
    unit: str
    source: str
    external: bool = False


_HEADS = "regional press, heads of household about 2016 (calibration.md)"
_EXITS = "regional press, Mar 2014: 2,150 benefits ended in 2013 (calibration.md)"
_AUDIT = "Consejo de Cuentas de Castilla y León audit, 2020 (calibration.md)"
_SEED4 = "seed 004: PACT pilot (calibration.md)"

#: The calibration targets. Percentages are in percent points.
CALIBRATION: list[Target] = [
    Target("rgc_heads_male_pct", 58.0, 4.0, "%", _HEADS),
    Target("rgc_heads_spanish_pct", 88.5, 3.0, "%", _HEADS),
    Target("rgc_heads_urban_pct", 62.0, 4.0, "%", _HEADS),
    Target("rgc_heads_under_35_pct", 29.2, 4.0, "%", _HEADS),
    Target("rgc_heads_18_45_pct", 60.0, 4.0, "%", _HEADS),
    Target("rgc_heads_46_55_pct", 26.0, 4.0, "%", _HEADS),
    Target(
        "rgc_lone_parent_pct", 20.0, 4.0, "%", "Navarra regional reports: about 1 in 5 (calibration.md)", True
    ),
    Target("exit_job_income_pct", 51.0, 6.0, "% of 2013 exits", _EXITS),
    Target("exit_non_compliance_pct", 42.0, 6.0, "% of 2013 exits", _EXITS),
    Target("exit_care_moved_pct", 7.0, 3.0, "% of 2013 exits", _EXITS),
    Target(
        "reentry_within_24m_pct", 33.0, 5.0, "% of exits", "Cantó 2002; Belgian study: about one third", True
    ),
    Target("mean_monthly_amount_eur", 536.0, 25.0, "EUR", "regional press, 2016: about 536 EUR"),
    Target("long_stayers_end_2015_pct", 14.0, 3.0, "% of heads", _AUDIT),
    Target("prior_imi_end_2015_pct", 8.0, 3.0, "% of heads", _AUDIT),
    Target(
        "entries_2011_to_stock_2015",
        0.543,
        0.08,
        "ratio",
        "6,426 approved in 2011 (press) / 11,830 heads at 31-12-2015 (Consejo de Cuentas)",
    ),
    Target("pilot_participants", 184.0, 0.0, "persons", _SEED4),
    Target("pilot_professionals_agree_pct", 84.0, 5.0, "%", _SEED4),
    Target("pilot_users_agree_pct", 89.0, 6.0, "%", _SEED4),
    Target(
        "pilot_improved_pct", 65.0, 8.0, "% of completers", "regional press (Ical), Oct 2018: 65% improved"
    ),
]


def running_on(spells: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """Return the spells being paid on ``day`` (started by then, not ended before)."""
    return spells.loc[
        (spells["start_date"] <= day) & (spells["end_date"].isna() | (spells["end_date"] >= day))
    ]


def _pct(mask: pd.Series | np.ndarray) -> float:
    values = np.asarray(mask, dtype=float)
    return float(100.0 * values.mean()) if values.size else float("nan")


def paid_during(spells: pd.DataFrame, year: int) -> pd.DataFrame:
    """Return the spells paid at some time during a calendar year."""
    first, last = pd.Timestamp(year=year, month=1, day=1), pd.Timestamp(year=year, month=12, day=31)
    return spells.loc[
        (spells["start_date"] <= last) & (spells["end_date"].isna() | (spells["end_date"] >= first))
    ]


def heads_figures(persons: pd.DataFrame, spells: pd.DataFrame) -> dict[str, float]:
    """Return the demographic figures of the heads paid during :data:`HEADS_YEAR` (ages on 1 January)."""
    paid = (
        paid_during(spells, HEADS_YEAR)
        .sort_values("start_date", kind="stable")
        .drop_duplicates("person_id", keep="last")
    )
    heads = paid[["person_id", "household_type"]].merge(
        persons.drop(columns="household_type"), on="person_id"
    )
    age = (HEADS_DATE - heads["birth_date"]).dt.days / 365.25
    spanish = heads["nationality"].eq("ES") | (heads["naturalisation_date"] <= HEADS_DATE)
    return {
        "rgc_heads_male_pct": _pct(heads["sex"] == "H"),
        "rgc_heads_spanish_pct": _pct(spanish),
        "rgc_heads_urban_pct": _pct(heads["urban"].astype(bool)),
        "rgc_heads_under_35_pct": _pct(age < 35),
        "rgc_heads_18_45_pct": _pct((age >= 18) & (age < 46)),
        "rgc_heads_46_55_pct": _pct((age >= 46) & (age < 56)),
        "rgc_lone_parent_pct": _pct(heads["household_type"] == "LONE_PARENT"),
    }


def spell_figures(spells: pd.DataFrame, extraction: pd.Timestamp) -> dict[str, float]:
    """Return the exit-route, re-entry, amount and stock figures of the RGC spells.

    The RGC's own years are counted: a file inherited from the IMI (begun before the RGC, with
    ``truncation_months``) counts as an RGC file from the RGC's first day, as the published figures
    (2011 approvals, heads on the RGC since 2011) count it.
    """
    if "truncation_months" in spells:
        days = np.round(spells["truncation_months"].astype(float) * DAYS_PER_MONTH).astype("int64")
        spells = spells.assign(start_date=spells["start_date"] + pd.to_timedelta(days, unit="D"))
    ended = spells.loc[spells["end_date"].dt.year == EXIT_YEAR, "exit_reason"]
    stock = running_on(spells, END_2015)
    return {
        "exit_job_income_pct": _pct(ended == "JOB_INCOME"),
        "exit_non_compliance_pct": _pct(ended == "NON_COMPLIANCE"),
        "exit_care_moved_pct": _pct(ended == "CARE_MOVED"),
        "reentry_within_24m_pct": reentry_share(spells, extraction, REENTRY_MONTHS),
        "mean_monthly_amount_eur": float(running_on(spells, AMOUNT_DATE)["monthly_amount_eur"].mean()),
        "long_stayers_end_2015_pct": _pct(stock["start_date"].dt.year == 2011),
        "prior_imi_end_2015_pct": _pct(stock["prior_imi"].astype(bool)),
        "entries_2011_to_stock_2015": float(
            (spells["start_date"].dt.year == 2011).sum() / max(len(stock), 1)
        ),
    }


def reentry_share(spells: pd.DataFrame, extraction: pd.Timestamp, months: int) -> float:
    """Percent of exits (observable for ``months`` before extraction) followed by a new spell in time."""
    ordered = spells.sort_values(["person_id", "start_date"], kind="stable")
    next_start = ordered.groupby("person_id")["start_date"].shift(-1)
    window = pd.DateOffset(months=months)
    exits = ordered["end_date"].notna() & (ordered["end_date"] <= extraction - window)
    back = next_start.notna() & (next_start <= ordered["end_date"] + window)
    return _pct(back[exits])


def pilot_figures(
    assignment: pd.DataFrame, mdtse: pd.DataFrame, surveys: pd.DataFrame, improved_min_change: float
) -> dict[str, float]:
    """Return the pilot size, survey agreement and share improved (keys: ``person_id`` or ``record_id``)."""
    key = "person_id" if "person_id" in assignment else "record_id"
    agree = (surveys["useful"].astype(int) >= 4) & (surveys["relevant"].astype(int) >= 4)
    pilot = assignment.loc[assignment["group"] == "PILOT"]
    done = pilot.loc[pilot["status"] == "COMPLETED", key]
    dims = [f"dim_{d}" for d in LIVING_DIMENSIONS]
    scores = mdtse.loc[mdtse[key].isin(done)].set_index([key, "wave"])[dims].astype(float)
    change = (scores.xs("FOLLOWUP", level="wave") - scores.xs("BASELINE", level="wave")).mean(axis=1)
    return {
        "pilot_participants": float(len(pilot)),
        "pilot_professionals_agree_pct": _pct(agree[surveys["respondent_type"] == "PROFESSIONAL"]),
        "pilot_users_agree_pct": _pct(agree[surveys["respondent_type"] == "USER"]),
        "pilot_improved_pct": _pct(change.dropna() >= improved_min_change),
    }


def measure(
    data: Path | Mapping[str, pd.DataFrame], params: dict[str, Any] | None = None, raw_dir: Path | None = None
) -> pd.DataFrame:
    """Measure every calibration target on a generated region.

    Parameters
    ----------
    data : Path or mapping of DataFrame
        Either the truth folder (``persons.parquet``, ``rgc_spells.parquet``; the pilot extracts are
        read from ``raw_dir``) or frames keyed ``persons``, ``spells``, ``assignment``, ``mdtse``,
        ``surveys`` (as returned by the simulators).
    params : dict, optional
        Project parameters (``data.extraction_date``, ``synthetic.pilot.improved_min_change``);
        defaults to the values of ``params.yaml`` at the time of writing (2018-10-31, 0.5).
    raw_dir : Path, optional
        Raw extracts folder when ``data`` is a folder; defaults to ``data/../raw``.

    Returns
    -------
    DataFrame
        name, target, measured, tolerance, unit, ok, source, external; one row per :data:`CALIBRATION` target.
    """
    frames = data if isinstance(data, Mapping) else load_frames(Path(data), raw_dir)
    params = params or {}
    extraction = pd.Timestamp(params.get("data", {}).get("extraction_date", "2018-10-31"))
    threshold = params.get("synthetic", {}).get("pilot", {}).get("improved_min_change", 0.5)
    spells = frames["spells"]
    figures = {
        **heads_figures(frames["persons"], spells),
        **spell_figures(spells, extraction),
        **pilot_figures(frames["assignment"], frames["mdtse"], frames["surveys"], threshold),
    }
    rows = [
        {
            "name": t.name,
            "target": t.target,
            "measured": round(figures[t.name], 3),
            "tolerance": t.tolerance,
            "unit": t.unit,
            "ok": bool(abs(figures[t.name] - t.target) <= t.tolerance),
            "source": t.source,
            "external": t.external,
        }
        for t in CALIBRATION
    ]
    return pd.DataFrame(rows)


def simulation_frames(sim: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    """Return the frames :func:`measure` needs from :func:`pact_analysis.synth.simulate`'s output."""
    raw, truth = sim["raw"], sim["truth"]
    return {
        "persons": truth["persons"],
        "spells": truth["rgc_spells"],
        "assignment": raw["pilot_assignment"],
        "mdtse": raw["mdtse_assessments"],
        "surveys": raw["satisfaction_surveys"],
    }


def load_frames(truth_dir: Path, raw_dir: Path | None = None) -> dict[str, pd.DataFrame]:
    """Read the frames :func:`measure` needs from ``data/truth`` and the pilot extracts in ``data/raw``."""
    raw_dir = Path(raw_dir) if raw_dir else truth_dir.parent / "raw"
    return {
        "persons": pd.read_parquet(truth_dir / "persons.parquet"),
        "spells": pd.read_parquet(truth_dir / "rgc_spells.parquet"),
        "assignment": read_raw(raw_dir, "pilot_assignment"),
        "mdtse": read_raw(raw_dir, "mdtse_assessments"),
        "surveys": read_raw(raw_dir, "satisfaction_surveys"),
    }


def read_raw(raw_dir: Path, source: str) -> pd.DataFrame:
    """Read one raw extract as written by :func:`pact_analysis.extracts.write_extract` (text columns;
    numeric codebook columns converted). Validation proper is the ingest stage's job."""
    fmt = codebook.load()["raw_format"]
    path = Path(raw_dir) / codebook.sources()[source]["file"]
    frame = pd.read_csv(
        path, sep=fmt["delimiter"], dtype=str, encoding=fmt["encoding"], keep_default_na=False
    )
    for col, spec in codebook.columns(source).items():
        if col in frame and spec["type"] in ("int", "float"):
            text = frame[col].str.replace(fmt["decimal"], ".", regex=False).replace("", None)
            frame[col] = pd.to_numeric(text)
    return frame
