"""The pilot's data: analysis frames from the de-identified tables, and the synthetic region's truth.

:func:`analysis_frames` builds, from ``data/processed`` (:func:`read_processed`), one row per assigned
person (pilot and assessed comparison: covariates, MDTSE baseline and change, attrition, administrative
outcomes) and the pool of non-pilot RGC recipients for the matched comparison. :func:`true_effects`
reads what the synthetic region's generator put in (``data/truth``). :func:`missing_extracts` says
which of the pilot's optional extracts were not delivered.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pact_analysis import codebook, ingest
from pact_analysis.chronicity.spells import superseded_ends
from pact_analysis.paths import Paths
from pact_analysis.timeline import covered_time

#: Covariates of the matched comparison (profile is latent: not in the data).
MATCH_COVARIATES = [
    "age",
    "female",
    "foreign",
    "lone_parent",
    "household_size",
    "months_rgc",
    "prior_employment",
]
#: Administrative outcomes (from the pilot start).
ADMIN_OUTCOMES = ("exit_12m", "exit_end", "days_employed", "reentry")
#: Dimensions that describe living conditions (self-perception is the person's own view).
LIVING = ("economic", "housing", "employment", "health", "personal", "relational")
#: The dimensions of the claim "above all empowerment and motivation" (tested against the other five).
EMPOWERMENT = ("personal", "self_perception")
#: Months on the RGC counted as fully chronic (6 years): the scale of the heterogeneity interaction.
CHRONIC_MONTHS = 72.0
#: The optional extracts without which there is no pilot to evaluate (codebook sources).
REQUIRED_EXTRACTS = ("pilot_assignment", "mdtse_assessments")

PROCESSED = (
    "pilot_assignment",
    "mdtse_assessments",
    "satisfaction_surveys",
    "rgc_spells",
    "employment_episodes",
    "persons",
    "ceas",
)


def read_processed(processed: Path) -> dict[str, pd.DataFrame]:
    """Read the de-identified tables the evaluation uses from ``data/processed``."""
    return {name: pd.read_parquet(Path(processed) / f"{name}.parquet") for name in PROCESSED}


def _months(days: pd.Series) -> pd.Series:
    return days.dt.days / 30.4375


def rgc_history(
    spells: pd.DataFrame, start: pd.Timestamp, extraction: pd.Timestamp, merge_gap_months: float = 1.0
) -> pd.DataFrame:
    """Per head on the RGC at ``start``: CEAS, months on the RGC before, and the outcomes after ``start``.

    A file still open at the extraction date (no end, or an end after it) that is followed by a later
    file of the same head ends at that file's start: a missing end date, not two files paid at once
    (:func:`pact_analysis.chronicity.spells.superseded_ends`, the rule of the spells and the
    payments). So it neither adds the months of the later file again nor keeps the head on the RGC
    after it, and the running file at ``start`` is the one then in force. Leaving the RGC is judged
    on episodes, as the chronicity stage's outcome (receiving in this or a later spell) is: files
    separated by less than ``merge_gap_months`` (an administrative interruption) or by an imputed end
    (the next file starts that day) are one stay, and the head leaves when the stay ends.

    Parameters
    ----------
    spells : DataFrame
        ``rgc_spells`` of ``data/processed`` (``person_key`` the head, ``start_date``, ``end_date``
        empty while still paid, ``ceas_code``, ``household_size``).
    start : Timestamp
        The pilot's start.
    extraction : Timestamp
        The extraction date (open files are paid up to it; files begun after it are not counted).
    merge_gap_months : float
        Files of a head separated by a shorter gap are one stay (``chronicity.merge_gap_months``).

    Returns
    -------
    DataFrame
        Indexed by ``person_key``: ``ceas_code``, ``household_size``, ``months_rgc`` (months on the RGC
        before ``start``, overlapping files counted once), ``chronicity`` (``months_rgc`` over :data:`CHRONIC_MONTHS`, at most 1) and
        the outcomes ``exit_12m`` (the stay running at ``start`` ended within 12 months),
        ``exit_end`` (ended by the extraction date), ``reentry`` (a later stay began by the
        extraction date).
    """
    s = spells.copy()
    s["start_date"] = pd.to_datetime(s["start_date"])
    s["end_date"] = pd.to_datetime(s["end_date"])
    imputed = superseded_ends(s, extraction)
    s["end_date"] = s["end_date"].mask(imputed.notna(), imputed)
    s = s.loc[s["start_date"] <= extraction]
    s["end_date"] = s["end_date"].mask(s["end_date"] > extraction)  # still paid at the extraction
    end = s["end_date"].fillna(extraction)
    # files that overlap or nest (a duplicate, a renewal recorded before the old one closed) are
    # counted once: the months of the union of the head's files before ``start``
    before = pd.DataFrame(
        {
            "person_key": s["person_key"],
            "start_date": s["start_date"].clip(upper=start),
            "end_date": end.clip(upper=start),
        }
    )
    months = _months(covered_time(before)).rename("months_rgc")
    s = s.assign(stay=_stays(s, extraction, merge_gap_months))
    stay_end = s.groupby("stay")["end_date"].agg(lambda e: pd.NaT if e.isna().any() else e.max())
    stay_start = s.groupby("stay")["start_date"].min()
    running = s.loc[(s["start_date"] <= start) & (s["end_date"].isna() | (s["end_date"] > start))]
    running = (
        running.sort_values("start_date").drop_duplicates("person_key", keep="last").set_index("person_key")
    )
    out = pd.DataFrame(index=running.index)
    out["ceas_code"] = running["ceas_code"]
    out["household_size"] = running["household_size"].astype(float)
    out["months_rgc"] = months.reindex(out.index)
    out["chronicity"] = (out["months_rgc"] / CHRONIC_MONTHS).clip(upper=1.0)
    ended = stay_end.reindex(running["stay"]).set_axis(running.index)
    out["exit_12m"] = (ended.notna() & (ended <= start + pd.DateOffset(months=12))).astype(float)
    out["exit_end"] = ended.notna().astype(float)
    later = s.loc[stay_start.reindex(s["stay"]).to_numpy() > start].groupby("person_key")["stay"].max()
    out["reentry"] = (later.reindex(out.index) > running["stay"]).astype(float)
    return out


def _stays(files: pd.DataFrame, extraction: pd.Timestamp, merge_gap_months: float) -> pd.Series:
    """Number the stays on the RGC: a file starts a new stay when it begins ``merge_gap_months`` or
    more after the latest end of the head's earlier files (an open earlier file: never)."""
    order = files.sort_values(["person_key", "start_date"], kind="stable")
    reach = order["end_date"].fillna(pd.Timestamp(extraction) + pd.DateOffset(years=100))
    prev_end = reach.groupby(order["person_key"]).cummax().groupby(order["person_key"]).shift()
    new = prev_end.isna() | (_months(order["start_date"] - prev_end) >= float(merge_gap_months))
    return new.cumsum().reindex(files.index)


def days_employed(episodes: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Days with at least one contract between ``start`` and ``end``, per person (contracts merged)."""
    c = episodes.loc[episodes["episode_type"] == "CONTRACT", ["person_key", "start_date", "end_date"]].copy()
    c["start_date"] = c["start_date"].clip(lower=start)
    c["end_date"] = c["end_date"].fillna(end).clip(upper=end)
    c = c.loc[c["end_date"] > c["start_date"]]
    return covered_time(c).dt.days.astype(float).rename("days_employed").rename_axis(None)


def analysis_frames(
    tables: dict[str, pd.DataFrame], start: Any, extraction: Any, merge_gap_months: float = 1.0
) -> dict[str, Any]:
    """Build the evaluation frames from the de-identified tables.

    Parameters
    ----------
    tables : dict of DataFrame
        :func:`read_processed`.
    start, extraction : date-like
        The pilot's start and the extraction date.
    merge_gap_months : float
        Files separated by a shorter gap are one stay on the RGC (:func:`rgc_history`).

    Returns
    -------
    dict
        ``"people"``: one row per assigned person (pilot and assessed comparison) with covariates,
        ``baseline_<dim>``, ``change_<dim>`` (NaN when lost), ``completed`` and the administrative
        outcomes; ``"pool"``: every RGC head on the benefit at ``start`` in a non-pilot CEAS of the
        pilot provinces plus the participants (``treated``), with covariates and administrative
        outcomes; ``"recipients"``: the RGC heads on the benefit at ``start`` in the pilot's CEAS
        (``pilot_ceas``), in the other CEAS of the pilot provinces (``other_ceas``) and the assessed comparison
        group among the latter (``assessed_among_other``).
    """
    start, extraction = pd.Timestamp(start), pd.Timestamp(extraction)
    history = rgc_history(tables["rgc_spells"], start, extraction, merge_gap_months)
    persons = tables["persons"].set_index("person_key")
    cov = pd.DataFrame(index=history.index)
    cov["age"] = (start.year - persons["birth_year"]).reindex(cov.index).astype(float)
    cov["female"] = (persons["sex"] == "M").reindex(cov.index).astype(float)
    cov["foreign"] = (persons["nationality"] != "ES").reindex(cov.index).astype(float)
    cov["lone_parent"] = (persons["household_type"] == "LONE_PARENT").reindex(cov.index).astype(float)
    before = days_employed(tables["employment_episodes"], start - pd.DateOffset(months=24), start)
    cov["prior_employment"] = (before.reindex(cov.index).fillna(0) > 0).astype(float)
    cov["days_employed"] = (
        days_employed(tables["employment_episodes"], start, extraction).reindex(cov.index).fillna(0.0)
    )
    base = history.join(cov)
    assignment = tables["pilot_assignment"].set_index("person_key")
    ceas = tables["ceas"].set_index("ceas_code")
    pilot_provinces = set(ceas.loc[ceas["pilot_territory"].notna(), "province_code"])
    centre = ceas.reindex(base["ceas_code"])
    eligible = (
        centre["province_code"].isin(pilot_provinces).to_numpy() & centre["pilot_territory"].isna().to_numpy()
    )
    participants = assignment.index[assignment["group"] == "PILOT"]
    pool = base.loc[eligible | base.index.isin(participants)].copy()
    pool["treated"] = pool.index.isin(participants).astype(int)
    # the flow diagram's first box: the recipients the pilot's teams chose from, and the others
    in_pilot_ceas = centre["pilot_territory"].notna().to_numpy()
    compared = assignment.index[assignment["group"] == "COMPARISON"]
    recipients = {
        "pilot_ceas": int(in_pilot_ceas.sum()),
        "other_ceas": int(eligible.sum()),
        # the assessed comparison group drawn from those other CEAS' recipients
        "assessed_among_other": int(base.index[eligible].isin(compared).sum()),
    }
    people = assignment[["group", "territory", "ceas_code", "status"]].join(
        base.drop(columns="ceas_code"), how="left"
    )
    people["treated"] = (people["group"] == "PILOT").astype(int)
    people["completed"] = (people["status"] == "COMPLETED").astype(int)
    people = people.join(mdtse_wide(tables["mdtse_assessments"]), how="left")
    return {"people": people.reset_index(), "pool": pool.reset_index(), "recipients": recipients}


def mdtse_wide(assessments: pd.DataFrame) -> pd.DataFrame:
    """Baseline score, change, and positive/negative factor counts and intensity per person (wide)."""
    dims = codebook.mdtse_dimensions()
    factors = list(codebook.mdtse_factors())
    a = assessments.set_index(["person_key", "wave"])[[f"dim_{d}" for d in dims] + factors].astype(float)
    f = a[factors]
    summary = pd.DataFrame(
        {
            "n_positive": (f > 0).sum(axis=1),
            "n_negative": (f < 0).sum(axis=1),
            "intensity_positive": f.clip(lower=0).sum(axis=1),
            "intensity_negative": (-f).clip(lower=0).sum(axis=1),
        }
    )
    scores = pd.concat([a[[f"dim_{d}" for d in dims]].rename(columns=lambda c: c[4:]), summary], axis=1)
    scores["living"] = scores[list(LIVING)].mean(axis=1)
    others = [d for d in dims if d not in EMPOWERMENT]
    scores["empowerment_gap"] = scores[list(EMPOWERMENT)].mean(axis=1) - scores[others].mean(axis=1)
    base = scores.xs("BASELINE", level="wave")
    follow = scores.xs("FOLLOWUP", level="wave").reindex(base.index)
    return pd.concat([base.add_prefix("baseline_"), (follow - base).add_prefix("change_")], axis=1)


def true_effects(truth: Path) -> pd.Series | None:
    """The true effects of ``data/truth`` (:func:`true_effects_from`); None for real data."""
    truth = Path(truth)
    if not (truth / "pilot_admin_effects.parquet").exists():
        return None
    names = ("pilot_effects", "pilot_admin_effects")
    return true_effects_from({n: pd.read_parquet(truth / f"{n}.parquet") for n in names})


def true_effects_from(truth: dict[str, pd.DataFrame]) -> pd.Series:
    """The average true effect on the participants (ATT) per MDTSE dimension and administrative outcome.

    Parameters
    ----------
    truth : dict
        ``pilot_effects`` (per person and dimension, points) and ``pilot_admin_effects`` (expected
        effect per participant, :data:`pact_analysis.synth.pilot.ADMIN_TRUTH_COLUMNS`).

    Returns
    -------
    Series
        Per dimension, ``living`` (mean of the six living dimensions), the administrative outcomes and
        ``heterogeneity``: the slope of the true living effect on chronicity (the interaction that
        :func:`evaluate` estimates).
    """
    per_person = truth["pilot_effects"].pivot(index="person_id", columns="dimension", values="true_effect")
    admin = truth["pilot_admin_effects"]
    living = per_person[list(LIVING)].mean(axis=1)
    chron = admin.set_index("person_id")["chronicity"].reindex(living.index)
    extra = pd.Series({"living": living.mean(), "heterogeneity": float(np.polyfit(chron, living, 1)[0])})
    return pd.concat([per_person.mean(), extra, admin[["exit_12m", "exit_end", "days_employed"]].mean()])


def missing_extracts(paths: Paths) -> list[str]:
    """Return the files of the pilot's extracts (:data:`REQUIRED_EXTRACTS`) that were not delivered.

    Parameters
    ----------
    paths : Paths
        Project paths; reads ``data/interim/clean/delivery.json`` (:func:`pact_analysis.ingest.delivered`).

    Returns
    -------
    list of str
        File names (``pilot_assignment.csv``...) in the order of :data:`REQUIRED_EXTRACTS`; empty when
        the pilot can be evaluated.

    Raises
    ------
    StageError
        If the ``ingest`` stage has not recorded what was delivered.
    """
    delivered = ingest.delivered(paths)
    return [codebook.sources()[s]["file"] for s in REQUIRED_EXTRACTS if not delivered.get(s, False)]
