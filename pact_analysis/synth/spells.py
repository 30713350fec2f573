"""RGC (Renta Garantizada de Ciudadanía) benefit spells from a known hazard model.

Every household head of an RGC profile (leaver, cycler, stayer) enters the benefit once between the
start of the scheme (``synthetic.start_date``; those inherited from the older IMI scheme, mostly
stayers, enter on that day: 8% of the heads at the end of 2015) and the extraction date, with first entries spread by calendar year (6,426 approved in 2011,
a stock of about 12,000 households afterwards; ../shared/reference/calibration.md).

Exits follow cause-specific Weibull proportional hazards with a common shape (time in months since
the spell started)::

    H_k(t | x) = b_k * t ** shape * exp(x' beta_k + frailty_k[profile])

for the causes ``JOB_INCOME``, ``NON_COMPLIANCE`` and ``CARE_MOVED`` (51/42/7% of the exits of 2013).
Covariates are the PACT "critical factors" measured at the start of each spell: employability and
resilience (latent z-scores), time already spent on the RGC, vital statistics (age, disability,
nationality), cohabitation (lone parent) and recent or current work. Log hazard ratios come from
``synthetic.effects`` (any-cause effects, applied to the job and non-compliance routes) and
``synthetic.rgc.cause_effects`` (cause-specific). Spells still running at ``data.extraction_date``
are censored. After a job or non-compliance exit a head re-enters with a profile-specific probability
(cyclers mostly do: about one third of all exits re-enter) after an exponential gap; each re-entry is
a new benefit file. The true model is returned as a JSON-able dict for ``data/truth/hazard.json``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pact_analysis import codebook
from pact_analysis.synth.timeline import (
    DAYS_PER_MONTH,
    add_months,
    age_years,
    as_day,
    logistic,
    to_column,
    to_days,
    uniform_days,
)

#: Latent profiles of RGC households (Ayala & Rodríguez: leavers, cyclers, stayers).
RGC_PROFILES = ("leaver", "cycler", "stayer")
#: Exit causes simulated (codebook ``rgc_exit``; IMV only exists after 2020).
CAUSES = ("JOB_INCOME", "NON_COMPLIANCE", "CARE_MOVED")
#: Covariates of the hazard model, in the order of the design matrix.
COVARIATES = {
    "age_per_decade": "(age at entry - 45) / 10",
    "lone_parent": "household type LONE_PARENT",
    "low_education": "education NONE or PRIMARY",
    "disability": "disability degree of 33% or more",
    "recent_employment": "a contract ended in the 12 months before entry",
    "no_work_income": "no part-time work income while on the benefit",
    "foreign": "nationality other than Spanish at entry",
    "employability": "latent employability z-score (truth only)",
    "resilience": "latent resilience z-score (truth only)",
    "years_on_rgc_before": "years on the RGC before this spell (time in care)",
    "prior_imi": "first spell inherited from the IMI scheme",
}
#: Any-cause effects of ``synthetic.effects`` are applied to these causes.
MAIN_CAUSES = ("JOB_INCOME", "NON_COMPLIANCE")
#: Files inherited from the IMI began uniformly between the study calendar's first day (codebook
#: ``period.earliest_event``: the synthetic region generates no event before it, and the PII scan treats
#: older dates as birth dates) and the RGC's (``synthetic.start_date``). *Assumed*: the IMI of Castilla y
#: León paid long before; the registry keeps the true start, so these spells are left-truncated at the
#: start of the observation window.
IMI_START = "earliest_event"
#: Share of the spells paid for more than two months that have one administrative interruption (a file
#: closed and a new one opened a few days later for the same episode). *Assumed* (real extracts have them;
#: the issue 18 review): a suspension pending documents, a change of holder's address, a renewal.
INTERRUPTION_SHARE = 0.06
#: Days between the two files of an interrupted episode (inclusive bounds), well under a month.
INTERRUPTION_DAYS = (2, 20)

SPELL_COLUMNS = [
    "spell_id",
    "file_id",
    "person_id",
    "household_id",
    "ceas_code",
    "start_date",
    "end_date",
    "exit_reason",
    "censored",
    "monthly_amount_eur",
    "household_type",
    "household_size",
    "prior_imi",
    "spell_number",
    "recent_employment",
    "work_income",
    "truncation_months",
    "exit_rate",
]
#: Truth columns of a spell (not in the raw extract): ``truncation_months`` (months from the true start to
#: ``synthetic.start_date`` for a spell begun before it, else 0) and ``exit_rate`` (``sum_k c_k`` of
#: :func:`cause_rates`: the true survival from the start is ``exp(-exit_rate * t ** shape)``).
TRUTH_COLUMNS = ("truncation_months", "exit_rate")


def hazard_model(params: dict[str, Any]) -> dict[str, Any]:
    """Return the true hazard model as a JSON-able dict (``data/truth/hazard.json``).

    Parameters
    ----------
    params : dict
        The project parameters (``synthetic.effects`` and ``synthetic.rgc``).

    Returns
    -------
    dict
        ``model``, ``time_unit``, ``shape``, ``baseline`` (cumulative hazard at one month per cause),
        ``coefficients`` (cause -> covariate -> log hazard ratio, zero where absent),
        ``profile_log_frailty`` (cause -> profile -> log hazard ratio), ``covariates`` (definitions)
        and ``reentry`` (probabilities and mean gap).
    """
    cfg = params["synthetic"]["rgc"]
    effects = params["synthetic"].get("effects", {})
    coefficients: dict[str, dict[str, float]] = {}
    for cause in CAUSES:
        row = dict.fromkeys(COVARIATES, 0.0)
        if cause in MAIN_CAUSES:
            row.update({k: float(v) for k, v in effects.items() if k in row})
        row.update({k: float(v) for k, v in cfg["cause_effects"].get(cause, {}).items()})
        unknown = sorted(set(row) - set(COVARIATES))
        if unknown:
            raise ValueError(f"synthetic.rgc.cause_effects.{cause}: unknown covariates {unknown}")
        coefficients[cause] = row
    return {
        "model": "cause-specific Weibull proportional hazards, common shape: "
        "H_k(t|x) = baseline_k * t**shape * exp(x'coefficients_k + profile_log_frailty_k[profile])",
        "time_unit": "months since the spell started",
        "shape": float(cfg["weibull_shape"]),
        "baseline": {c: float(cfg["baseline"][c]) for c in CAUSES},
        "coefficients": coefficients,
        "profile_log_frailty": {
            c: {p: float(cfg["profile_log_frailty"][c][p]) for p in RGC_PROFILES} for c in CAUSES
        },
        "covariates": dict(COVARIATES),
        "reentry": {
            "probability": {p: float(cfg["reentry_prob"][p]) for p in RGC_PROFILES},
            "noncompliance_extra": float(cfg["reentry_noncompliance_extra"]),
            "mean_gap_months": float(cfg["reentry_mean_months"]),
            "after": list(MAIN_CAUSES),
        },
    }


def rgc_heads(persons: pd.DataFrame) -> pd.DataFrame:
    """Return the heads of RGC households (RGC profile and ``is_head``), sorted by ``person_id``."""
    mask = persons["is_head"].astype(bool) & persons["profile"].isin(RGC_PROFILES)
    return persons.loc[mask].sort_values("person_id", kind="stable").reset_index(drop=True)


def first_entries(
    heads: pd.DataFrame, params: dict[str, Any], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Draw the first entry date of every head and whether it came from the IMI scheme.

    Parameters
    ----------
    heads : DataFrame
        RGC heads (``birth_date``).
    params : dict
        Project parameters.
    rng : numpy.random.Generator
        Random stream.

    Returns
    -------
    entry : ndarray of datetime64[D]
        First entry, NaT when the head only turns 18 after the extraction date. A file inherited from the
        IMI began between ``period.earliest_event`` and ``synthetic.start_date`` (:data:`IMI_START`;
        its true start, never before the head turned 18).
    prior_imi : ndarray of bool
    """
    cfg = params["synthetic"]["rgc"]
    start = as_day(params["synthetic"]["start_date"])
    extraction = as_day(params["data"]["extraction_date"])
    n = len(heads)
    by_year = {int(y): float(w) for y, w in cfg["entry_year_weights"].items()}
    years = np.array(sorted(by_year), dtype=int)
    weights = np.array([by_year[y] for y in years])
    year = rng.choice(years, size=n, p=weights / weights.sum())
    january = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    low = np.maximum(january, start)
    high = np.minimum(
        (year - 1969).astype("datetime64[Y]").astype("datetime64[D]") - np.timedelta64(1, "D"), extraction
    )
    entry = uniform_days(low, np.maximum(high, low), rng)
    prior_imi = rng.random(n) < heads["profile"].map(cfg["prior_imi"]).to_numpy(float)
    earliest = as_day(codebook.load()["period"][IMI_START])
    span = max(int((start - earliest).astype("int64")), 0)
    before = np.floor(rng.random(n) * (span + 1)).astype("int64").astype("timedelta64[D]")
    adult = add_months(to_days(heads["birth_date"]), 18 * 12)
    entry[prior_imi] = np.maximum(start - before, adult)[prior_imi]
    late = entry < adult
    entry[late] = adult[late] + rng.integers(0, 365, late.sum()).astype("timedelta64[D]")
    prior_imi &= ~late & (entry <= start)
    entry[entry > extraction] = np.datetime64("NaT")
    return entry, prior_imi


def design_matrix(
    heads: pd.DataFrame,
    entry: np.ndarray,
    years_before: np.ndarray,
    prior_imi: np.ndarray,
    params: dict[str, Any],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Return the covariates (columns of :data:`COVARIATES`) of one spell per row of ``heads``.

    ``recent_employment`` and ``no_work_income`` are drawn here from employability (parameters
    ``recent_employment_logit`` and ``work_income_logit``); the employment simulator honours them.
    """
    cfg = params["synthetic"]["rgc"]
    emp = heads["employability"].to_numpy(float)
    a, b = cfg["recent_employment_logit"]
    recent = rng.random(len(heads)) < logistic(a + b * emp)
    a, b = cfg["work_income_logit"]
    work = rng.random(len(heads)) < logistic(a + b * emp)
    naturalised = to_days(heads["naturalisation_date"]) <= entry
    return pd.DataFrame(
        {
            "age_per_decade": (age_years(to_days(heads["birth_date"]), entry) - 45.0) / 10.0,
            "lone_parent": (heads["household_type"] == "LONE_PARENT").to_numpy(float),
            "low_education": heads["education"].isin(["NONE", "PRIMARY"]).to_numpy(float),
            "disability": (heads["disability_pct"].fillna(0).to_numpy(float) >= 33).astype(float),
            "recent_employment": recent.astype(float),
            "no_work_income": (~work).astype(float),
            "foreign": ((heads["nationality"] != "ES").to_numpy() & ~naturalised).astype(float),
            "employability": emp,
            "resilience": heads["resilience"].to_numpy(float),
            "years_on_rgc_before": years_before,
            "prior_imi": prior_imi.astype(float),
        }
    )


def cause_rates(design: pd.DataFrame, profiles: np.ndarray, model: dict[str, Any]) -> np.ndarray:
    """Return ``c_k = b_k exp(x' beta_k + frailty_k)`` per spell (rows) and cause (columns, :data:`CAUSES`).

    The cumulative hazard of cause ``k`` at ``t`` months since the spell started is ``c_k * t ** shape``.
    """
    x = design[list(COVARIATES)].to_numpy(float)
    return np.column_stack(
        [
            model["baseline"][c]
            * np.exp(
                x @ np.array([model["coefficients"][c][v] for v in COVARIATES])
                + pd.Series(profiles).map(model["profile_log_frailty"][c]).to_numpy(float)
            )
            for c in CAUSES
        ]
    )


def draw_exits(
    design: pd.DataFrame,
    profiles: np.ndarray,
    model: dict[str, Any],
    rng: np.random.Generator,
    truncation: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw each spell's latent duration (months) and exit cause from the competing Weibull hazards.

    With a common shape the total cumulative hazard is ``t**shape * sum_k c_k``, so the duration is
    ``(E / sum_k c_k) ** (1 / shape)`` with ``E ~ Exp(1)`` and the cause is ``k`` with probability
    ``c_k / sum_k c_k``, where ``c_k = b_k exp(x' beta_k + frailty_k)``. Given ``truncation`` (months
    ``a`` the spell had already lasted when observation began) the duration is drawn given ``T > a``:
    ``(a ** shape + E / sum_k c_k) ** (1 / shape)`` (a spell that ended earlier is never in the registry).

    Returns
    -------
    months : ndarray of float
    cause : ndarray of str
    """
    rates = cause_rates(design, profiles, model)
    total = rates.sum(axis=1)
    base = 0.0 if truncation is None else np.asarray(truncation, float) ** model["shape"]
    months = (base + rng.exponential(size=len(total)) / total) ** (1.0 / model["shape"])
    cum = np.cumsum(rates / total[:, None], axis=1)
    pick = (rng.random(len(total))[:, None] > cum).sum(axis=1)
    return months, np.array(CAUSES, dtype=object)[np.minimum(pick, len(CAUSES) - 1)]


def legal_maximum(start: np.ndarray) -> np.ndarray:
    """Return the RGC's legal monthly maximum (EUR) in each spell's start year: 130% of that year's IPREM.

    The IPREM table and its sources are in the codebook (``iprem``; Ley 7/2010, Decreto Legislativo
    1/2019 de Castilla y León): 692.26 EUR in 2010-2016, 699.19 EUR in 2017-2020.
    """
    years = pd.DatetimeIndex(start).year
    table = {int(y): round(1.3 * codebook.iprem(int(y))[1], 2) for y in pd.unique(years.dropna())}
    return np.array([table.get(int(y), np.nan) if pd.notna(y) else np.nan for y in years], dtype=float)


def monthly_amount(
    heads: pd.DataFrame,
    work_income: np.ndarray,
    params: dict[str, Any],
    rng: np.random.Generator,
    start: np.ndarray | None = None,
) -> np.ndarray:
    """Return the average monthly amount (EUR): base plus a complement per member, capped; part-time
    work income reduces it (calibration.md: about 536 EUR on average).

    The cap is ``amount_max_eur`` and, given the spells' ``start`` dates, never more than the legal
    maximum of the start year (:func:`legal_maximum`), whatever the parameters say.
    """
    cfg = params["synthetic"]["rgc"]
    size = heads["household_size"].to_numpy(float)
    full = np.minimum(
        cfg["amount_base_eur"] + cfg["amount_per_member_eur"] * (size - 1), cfg["amount_max_eur"]
    )
    if start is not None:
        full = np.fmin(full, legal_maximum(start))
    cut = np.where(work_income, rng.beta(2.0, 2.0 / cfg["work_income_cut"] - 2.0, len(size)), 0.0)
    return np.round(full * (1.0 - cut), 2)


def simulate_rgc(persons: pd.DataFrame, params: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """Simulate the RGC benefit spells of every RGC household head.

    Parameters
    ----------
    persons : DataFrame
        The truth persons frame (``data/truth/persons.parquet`` columns).
    params : dict
        Project parameters (``data.extraction_date``, ``synthetic.start_date``, ``synthetic.effects``,
        ``synthetic.rgc``).
    rng : numpy.random.Generator
        Random stream.

    Returns
    -------
    dict
        ``"spells"``: one row per spell (:data:`SPELL_COLUMNS`; ``recent_employment`` and
        ``work_income`` are the drawn covariates the employment simulator honours);
        ``"members"``: file_id, person_id, role (HEAD/MEMBER), start_date;
        ``"hazard"``: the true model (:func:`hazard_model`).
    """
    model = hazard_model(params)
    cfg = params["synthetic"]["rgc"]
    extraction = as_day(params["data"]["extraction_date"])
    heads = rgc_heads(persons)
    entry, imi = first_entries(heads, params, rng)
    window = as_day(params["synthetic"]["start_date"])
    years_before = np.zeros(len(heads))
    frames = []
    at_risk = np.flatnonzero(~np.isnat(entry))
    for number in range(1, int(cfg["max_spells"]) + 1):
        if at_risk.size == 0:
            break
        sub = heads.iloc[at_risk].reset_index(drop=True)
        start = entry[at_risk]
        design = design_matrix(sub, start, years_before[at_risk], imi[at_risk] & (number == 1), params, rng)
        truncation = np.maximum((window - start).astype(float), 0.0) / DAYS_PER_MONTH
        months, cause = draw_exits(design, sub["profile"].to_numpy(), model, rng, truncation)
        end = start + np.maximum(np.ceil(months * DAYS_PER_MONTH), 1).astype("int64").astype("timedelta64[D]")
        censored = end > extraction
        frame = _spell_frame(sub, start, end, cause, censored, design, number, params, rng)
        frame["truncation_months"] = truncation
        frame["exit_rate"] = cause_rates(design, sub["profile"].to_numpy(), model).sum(axis=1)
        frames.append(frame)
        years_before[at_risk] += (
            np.minimum(months, (extraction - start).astype(float) / DAYS_PER_MONTH) / 12.0
        )
        entry[at_risk] = _reentry(sub["profile"].to_numpy(), cause, censored, end, cfg, rng)
        at_risk = at_risk[~np.isnat(entry[at_risk]) & (entry[at_risk] <= extraction)]
    spells = _number_spells(pd.concat(frames, ignore_index=True) if frames else _empty_spells())
    return {"spells": spells, "members": household_members(spells, persons), "hazard": model}


def _reentry(
    profiles: np.ndarray,
    cause: np.ndarray,
    censored: np.ndarray,
    end: np.ndarray,
    cfg: dict[str, Any],
    rng: np.random.Generator,
) -> np.ndarray:
    prob = pd.Series(profiles).map(cfg["reentry_prob"]).to_numpy(float)
    prob = prob + np.where(cause == "NON_COMPLIANCE", cfg["reentry_noncompliance_extra"], 0.0)
    again = ~censored & np.isin(cause, MAIN_CAUSES) & (rng.random(len(prob)) < prob)
    gap = 1.0 + rng.exponential(max(cfg["reentry_mean_months"] - 1.0, 0.0), len(prob))
    # at least 31 whole days after the exit: a month rounded down to 30 days would fall under the
    # merge rule (files less than a month, 30.44 days, apart are one episode) and be no re-entry
    nxt = add_months(end, gap)
    floor = end.astype("datetime64[D]") + np.timedelta64(31, "D")
    nxt = np.where(nxt < floor, floor.astype(nxt.dtype), nxt)
    nxt[~again] = np.datetime64("NaT")
    return nxt


def _spell_frame(
    sub: pd.DataFrame,
    start: np.ndarray,
    end: np.ndarray,
    cause: np.ndarray,
    censored: np.ndarray,
    design: pd.DataFrame,
    number: int,
    params: dict[str, Any],
    rng: np.random.Generator,
) -> pd.DataFrame:
    end = end.copy()
    end[censored] = np.datetime64("NaT")
    work = design["no_work_income"].to_numpy() == 0
    return pd.DataFrame(
        {
            "person_id": sub["person_id"].to_numpy(),
            "household_id": sub["household_id"].to_numpy(),
            "ceas_code": sub["ceas_code"].to_numpy(),
            "start_date": to_column(start),
            "end_date": to_column(end),
            "exit_reason": np.where(censored, None, cause).astype(object),
            "censored": censored,
            "monthly_amount_eur": monthly_amount(sub, work, params, rng, start),
            "household_type": sub["household_type"].to_numpy(),
            "household_size": sub["household_size"].to_numpy("int64"),
            "prior_imi": design["prior_imi"].to_numpy() == 1,
            "spell_number": np.full(len(sub), number, dtype="int64"),
            "recent_employment": design["recent_employment"].to_numpy() == 1,
            "work_income": work,
        }
    )


def _empty_spells() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype=object) for c in SPELL_COLUMNS if c not in ("spell_id", "file_id")}
    )


def _number_spells(spells: pd.DataFrame) -> pd.DataFrame:
    spells = spells.sort_values(["start_date", "person_id"], kind="stable").reset_index(drop=True)
    serial = np.arange(1, len(spells) + 1)
    spells.insert(0, "file_id", [f"EXP{i:07d}" for i in serial])
    spells.insert(0, "spell_id", [f"SP{i:07d}" for i in serial])
    return spells[SPELL_COLUMNS]


def household_members(spells: pd.DataFrame, persons: pd.DataFrame) -> pd.DataFrame:
    """Return the persons in each benefit file: the head, then the household members born by its start.

    Parameters
    ----------
    spells : DataFrame
        Output ``"spells"`` of :func:`simulate_rgc`.
    persons : DataFrame
        Truth persons (``household_id``, ``is_head``, ``birth_date``).

    Returns
    -------
    DataFrame
        file_id, person_id, role (HEAD/MEMBER), start_date; sorted by file, role and person.
    """
    head = spells[["file_id", "person_id", "start_date"]].assign(role="HEAD")
    others = persons.loc[~persons["is_head"].astype(bool), ["person_id", "household_id", "birth_date"]]
    members = spells[["file_id", "household_id", "start_date"]].merge(others, on="household_id")
    members = members.loc[members["birth_date"] <= members["start_date"]].assign(role="MEMBER")
    out = pd.concat([head, members[["file_id", "person_id", "start_date", "role"]]], ignore_index=True)
    out = out.sort_values(["file_id", "role", "person_id"], kind="stable").reset_index(drop=True)
    return out[["file_id", "person_id", "role", "start_date"]]


def administrative_files(
    spells: pd.DataFrame, persons: pd.DataFrame, params: dict[str, Any], rng: np.random.Generator
) -> dict[str, Any]:
    """Split some episodes into two benefit files a few days apart, as real registries record them.

    A share :data:`INTERRUPTION_SHARE` of the episodes paid for more than two months (to their end or
    the extraction date) is closed on a day drawn uniformly between their first and last month, with a
    job or non-compliance reason (the suspension that was lifted), and reopened
    :data:`INTERRUPTION_DAYS` days later as a new file carrying the episode's end, exit reason or
    open end (an *open last file* when the episode is still paid). The first file keeps the episode's
    ids; the new files get ids after the last one.

    Parameters
    ----------
    spells : DataFrame
        The true episodes (:func:`simulate_rgc`, after any pilot effect), :data:`SPELL_COLUMNS`.
    persons : DataFrame
        Truth persons (for the members of the new files).
    params : dict
        Project parameters (``data.extraction_date``).
    rng : numpy.random.Generator
        Random stream.

    Returns
    -------
    dict
        ``"files"``: the benefit files (:data:`SPELL_COLUMNS` plus ``episode_id``, the true episode's
        ``spell_id``), ``"members"``: persons per file (:func:`household_members`), ``"counts"``:
        ``interruptions`` (episodes split) and ``open_last_files`` (split episodes still paid).
    """
    extraction = as_day(params["data"]["extraction_date"])
    start = to_days(spells["start_date"])
    end = to_days(spells["end_date"])
    last = np.where(np.isnat(end), extraction, end)
    days = (last - start).astype("int64")
    eligible = days > 2 * DAYS_PER_MONTH
    split = eligible & (rng.random(len(spells)) < INTERRUPTION_SHARE)
    low, high = INTERRUPTION_DAYS
    gap = rng.integers(low, high + 1, len(spells))
    close = start + np.floor(DAYS_PER_MONTH + rng.random(len(spells)) * (days - 2 * DAYS_PER_MONTH)).astype(
        "int64"
    ).astype("timedelta64[D]")
    reason = np.array(MAIN_CAUSES, dtype=object)[rng.integers(0, len(MAIN_CAUSES), len(spells))]
    first = spells.assign(episode_id=spells["spell_id"])
    second = first.loc[split].copy()
    first.loc[split, "end_date"] = to_column(close[split])
    first.loc[split, "exit_reason"] = reason[split]
    first.loc[split, "censored"] = False
    second["start_date"] = to_column(close[split] + gap[split].astype("timedelta64[D]"))
    second["prior_imi"] = False
    second["truncation_months"] = 0.0
    serial = np.arange(len(spells) + 1, len(spells) + 1 + len(second))
    second["spell_id"] = [f"SP{i:07d}" for i in serial]
    second["file_id"] = [f"EXP{i:07d}" for i in serial]
    files = pd.concat([first, second], ignore_index=True)
    files = files.sort_values(["start_date", "person_id", "spell_id"], kind="stable").reset_index(drop=True)
    counts = {
        "interruptions": int(split.sum()),
        "open_last_files": int(second["end_date"].isna().sum()),
    }
    return {"files": files, "members": household_members(files, persons), "counts": counts}


def within_window(spells: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
    """The spells as the other registries see them: a start before ``synthetic.start_date`` moved to it.

    The employment, SAUSS and NGO registries, and the pilot's chronicity score, cover the RGC's years
    only (from ``synthetic.start_date``); a file inherited from the IMI is seen from that day.

    Parameters
    ----------
    spells : DataFrame
        Spells with ``start_date``.
    params : dict
        Project parameters (``synthetic.start_date``).
    """
    window = pd.Timestamp(params["synthetic"]["start_date"])
    return spells.assign(start_date=spells["start_date"].clip(lower=window))
