"""The PACT pilot: participants, comparison group, MDTSE assessments, surveys and true effects.

Seed 004 and calibration.md: 184 RGC recipients, 46 per territory (León, Salamanca, Valladolid city,
Valladolid province), 2 CEAS per territory, 12 professionals per territory; 84% of professionals and
89% of users found the model useful and relevant; 65% of participants improved their living
conditions. The MDTSE scale, its factors and scoring were never published: everything below about
them is a documented assumption (codebook ``mdtse``).

- Eligible persons are RGC heads with a spell running on ``synthetic.pilot.start_date`` (early 2017).
  Participants are drawn in each pilot CEAS with odds growing with their *chronicity* (months on the
  RGC since 2011 over 72, capped at 1; ``selection_chronic``); the comparison group is a simple random
  sample of eligible heads of non-pilot CEAS in the same province (same urban/rural kind when
  possible). Selection is on observables only, so a naive comparison is biased and one matched on
  chronicity is not. Dropout (``dropout``) applies to both groups: a dropped person has no follow-up.
- The latent state of each MDTSE dimension depends on employability, resilience, disability,
  chronicity and profile (:data:`LOADINGS`, :data:`PROFILE_SHIFT`). Each wave observes it with
  measurement error, rounded and clipped to the codebook scale. Between the waves everybody follows
  ``trend_mean + trend_chronic * chronicity`` plus a person-level shock; pilot participants add their
  true effect ``(effect_mean + effect_chronic_extra * chronicity + u) * weight_d`` (larger for the
  more chronic, seed 004), ``u ~ N(0, effect_sd)``, dimension weights normalised to mean 1.
- Factors ``f01..f36`` (-3..3: sign = valence, magnitude = intensity) scatter around the state of
  their dimension.
- Administrative outcomes (:func:`apply_admin_effect`): from the pilot start, a participant's RGC
  spell running that day gains an extra, independent exit route to a job with cause-specific hazard
  ``(HR_i - 1) * h_job(t | x)``, so that the job-exit hazard is multiplied by
  ``HR_i = exp(admin_log_hr + admin_log_hr_chronic * chronicity)`` (larger for the more chronic;
  *assumed*, modest by default: HR 1.22 to 1.65). The spell ends early with ``JOB_INCOME`` when that
  route comes first; its later spells (re-entries) are kept. Comparison persons and the rest of the
  region are untreated. Contracts follow from job exits in :mod:`.services`, so days employed change
  too. The truth (:func:`admin_truth`) is each participant's *expected* effect given the covariates
  of the running spell: on leaving the RGC (any reason) within 12 months and by the extraction date,
  and on days under contract from the pilot start to the extraction date.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from pact_analysis import codebook
from pact_analysis.synth import services
from pact_analysis.synth import spells as rgc
from pact_analysis.synth.timeline import (
    DAYS_PER_MONTH,
    as_day,
    logistic,
    months_between,
    to_column,
    to_days,
    uniform_days,
)

log = logging.getLogger(__name__)

#: Loadings of each dimension's latent state on (employability, resilience, disability, chronicity).
LOADINGS: dict[str, tuple[float, float, float, float]] = {
    "economic": (0.6, 0.2, -0.3, -1.0),
    "housing": (0.2, 0.4, -0.2, -0.8),
    "employment": (1.0, 0.2, -0.8, -1.2),
    "health": (0.1, 0.4, -1.5, -0.5),
    "personal": (0.3, 0.9, -0.3, -0.8),
    "relational": (0.1, 0.7, -0.2, -0.6),
    "self_perception": (0.3, 0.8, -0.4, -0.7),
}
#: Shift of the latent state by profile (stayers are the most excluded).
PROFILE_SHIFT = {"leaver": 0.4, "cycler": 0.0, "stayer": -0.6}
#: Level of the latent state for a reference person (all covariates zero).
LEVEL = 5.6
#: Spread of the latent state between persons, per dimension.
STATE_SD = 0.9
#: Months of RGC receipt counted as fully chronic (6 years; Madrid: 34.8% received it 6+ years).
CHRONIC_MONTHS = 72.0
#: The six dimensions whose mean change defines "improved" (self-perception is the person's own view).
LIVING_DIMENSIONS = ("economic", "housing", "employment", "health", "personal", "relational")

#: Administrative outcomes with a true pilot effect (expected effect per participant in the truth).
ADMIN_OUTCOMES = ("exit_12m", "exit_end", "days_employed")
#: Columns of the truth frame of the administrative effect (``data/truth/pilot_admin_effects.parquet``).
ADMIN_TRUTH_COLUMNS = ["person_id", "chronicity", "log_hr_job", "months_on_spell", *ADMIN_OUTCOMES]

ASSIGNMENT_COLUMNS = [
    "person_id",
    "group",
    "territory",
    "ceas_code",
    "case_manager_id",
    "start_date",
    "end_date",
    "status",
]


def chronicity(spells: pd.DataFrame, on: Any) -> pd.Series:
    """Return each head's chronicity on a date: months on the RGC up to it over 72, capped at 1.

    Parameters
    ----------
    spells : DataFrame
        RGC spells (person_id, start_date, end_date).
    on : date-like
        Reference date.

    Returns
    -------
    Series
        Chronicity in [0, 1] indexed by ``person_id`` (sorted).
    """
    day = as_day(on)
    start = spells["start_date"].to_numpy("datetime64[D]")
    end = spells["end_date"].to_numpy("datetime64[D]")
    end = np.where(np.isnat(end) | (end > day), day, end).astype("datetime64[D]")
    months = np.clip(np.nan_to_num(months_between(start, end)), 0, None)
    total = pd.Series(months, index=spells["person_id"].to_numpy()).groupby(level=0).sum()
    return (total / CHRONIC_MONTHS).clip(upper=1.0).rename("chronicity")


def eligible_heads(spells: pd.DataFrame, on: Any) -> pd.DataFrame:
    """Return the heads with a spell running on a date: person_id, ceas_code, chronicity."""
    day = to_column(np.array([as_day(on)]))[0]
    running = (spells["start_date"] <= day) & (spells["end_date"].isna() | (spells["end_date"] > day))
    heads = spells.loc[running, ["person_id", "ceas_code"]].drop_duplicates("person_id")
    heads = heads.sort_values("person_id", kind="stable", ignore_index=True)
    return heads.assign(chronicity=chronicity(spells, on).reindex(heads["person_id"]).to_numpy())


def _sample(pool: pd.DataFrame, k: int, weight: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Weighted sample without replacement (Efraimidis-Spirakis keys), in ``person_id`` order."""
    if len(pool) == 0 or k <= 0:
        return pool.iloc[:0]
    keys = np.log(rng.random(len(pool))) / weight
    take = np.argsort(-keys, kind="stable")[: min(k, len(pool))]
    return pool.iloc[np.sort(take)]


def choose_groups(
    eligible: pd.DataFrame, ceas: pd.DataFrame, params: dict[str, Any], rng: np.random.Generator
) -> pd.DataFrame:
    """Choose the pilot participants and the comparison group.

    Parameters
    ----------
    eligible : DataFrame
        Output of :func:`eligible_heads`.
    ceas : DataFrame
        CEAS table (``ceas_code``, ``province_code``, ``urban``, ``pilot_territory``).
    params : dict
        Project parameters (``synthetic.pilot``).
    rng : numpy.random.Generator
        Random stream.

    Returns
    -------
    DataFrame
        person_id, group, territory, ceas_code, chronicity; fewer rows than asked (with a warning)
        when a CEAS or province has too few eligible heads.
    """
    cfg = params["synthetic"]["pilot"]
    info = ceas.set_index("ceas_code")
    pilot_ceas = info.loc[info["pilot_territory"].notna()]
    chosen = []
    for territory in codebook.load()["pilot_territories"]:
        code = territory["code"]
        centres = sorted(pilot_ceas.index[pilot_ceas["pilot_territory"] == code])
        quota = np.diff(np.linspace(0, int(cfg["per_territory"]), len(centres) + 1).round().astype(int))
        for centre, k in zip(centres, quota, strict=True):
            pool = eligible.loc[eligible["ceas_code"] == centre]
            got = _sample(pool, int(k), np.exp(cfg["selection_chronic"] * pool["chronicity"].to_numpy()), rng)
            _warn_short(f"pilot CEAS {centre}", len(got), int(k))
            chosen.append(got.assign(group="PILOT", territory=code))
    taken = set(pd.concat(chosen)["person_id"]) if chosen else set()
    for territory in codebook.load()["pilot_territories"]:
        pool = _comparison_pool(eligible, info, territory, taken, int(cfg["comparison_per_territory"]))
        got = _sample(pool, int(cfg["comparison_per_territory"]), np.ones(len(pool)), rng)
        _warn_short(f"comparison pool of {territory['code']}", len(got), int(cfg["comparison_per_territory"]))
        taken |= set(got["person_id"])
        chosen.append(got.assign(group="COMPARISON", territory=territory["code"]))
    out = pd.concat(chosen, ignore_index=True)
    return out[["person_id", "group", "territory", "ceas_code", "chronicity"]]


def _comparison_pool(
    eligible: pd.DataFrame, info: pd.DataFrame, territory: dict[str, Any], taken: set[str], needed: int
) -> pd.DataFrame:
    """Eligible heads of non-pilot CEAS of the territory's province, same urban kind when enough."""
    ceas_of = info.reindex(eligible["ceas_code"])
    base = (ceas_of["province_code"].to_numpy() == territory["province"]) & ceas_of[
        "pilot_territory"
    ].isna().to_numpy()
    base &= ~eligible["person_id"].isin(taken).to_numpy()
    same_kind = base & (ceas_of["urban"].to_numpy(bool) == bool(territory["urban"]))
    return eligible.loc[same_kind if same_kind.sum() >= needed else base]


def _warn_short(what: str, got: int, wanted: int) -> None:
    if got < wanted:
        log.warning("%s: only %d eligible RGC heads for %d places", what, got, wanted)


def simulate_pilot(
    persons: pd.DataFrame,
    spells: pd.DataFrame,
    ceas: pd.DataFrame,
    params: dict[str, Any],
    rng: np.random.Generator,
) -> dict[str, pd.DataFrame]:
    """Simulate the PACT pilot: assignment, MDTSE waves, satisfaction surveys and true effects.

    Parameters
    ----------
    persons : DataFrame
        Truth persons (``employability``, ``resilience``, ``disability_pct``, ``profile``).
    spells : DataFrame
        RGC spells (:func:`pact_analysis.synth.spells.simulate_rgc`).
    ceas : DataFrame
        CEAS table with ``pilot_territory``.
    params : dict
        Project parameters (``synthetic.pilot``, ``data.extraction_date``).
    rng : numpy.random.Generator
        Random stream.

    Returns
    -------
    dict
        ``"assignment"`` (:data:`ASSIGNMENT_COLUMNS`), ``"mdtse"`` (assessment_id, person_id, wave,
        assessment_date, assessor_id, ``dim_<dimension>``, f01..f36), ``"surveys"`` (response_id,
        respondent_type, person_id, territory, useful, relevant, bond, recommend) and ``"effects"``
        (person_id, dimension, true_effect; pilot participants only).
    """
    cfg = params["synthetic"]["pilot"]
    groups = choose_groups(eligible_heads(spells, cfg["start_date"]), ceas, params, rng)
    people = groups.merge(
        persons.drop(columns=["ceas_code"]), on="person_id", how="left", validate="one_to_one"
    )
    assignment = _assignment(people, params, rng)
    effect = true_effects(people, params, rng)
    waves, change = _mdtse(people, assignment, effect, params, rng)
    completed = assignment["status"].to_numpy() == "COMPLETED"
    improved = change[list(LIVING_DIMENSIONS)].mean(axis=1).to_numpy() >= cfg["improved_min_change"]
    pilot = (people["group"] == "PILOT").to_numpy()
    effects = effect.loc[pilot].melt(ignore_index=False, var_name="dimension", value_name="true_effect")
    effects = effects.assign(person_id=people["person_id"].to_numpy()[effects.index])
    effects = effects.sort_values(["person_id", "dimension"], kind="stable", ignore_index=True)
    users = people.loc[pilot & completed, ["person_id", "territory"]].assign(
        improved=improved[pilot & completed]
    )
    return {
        "assignment": assignment,
        "mdtse": waves,
        "surveys": _surveys(users, params, rng),
        "effects": effects[["person_id", "dimension", "true_effect"]],
    }


def _assignment(people: pd.DataFrame, params: dict[str, Any], rng: np.random.Generator) -> pd.DataFrame:
    cfg = params["synthetic"]["pilot"]
    start = as_day(cfg["start_date"])
    follow = as_day(cfg["followup_date"])
    extraction = as_day(params["data"]["extraction_date"])
    n = len(people)
    baseline = uniform_days(start, start + np.timedelta64(75, "D"), rng, size=n)
    followup = np.minimum(uniform_days(follow, follow + np.timedelta64(90, "D"), rng, size=n), extraction)
    dropped = rng.random(n) < cfg["dropout"]
    left = uniform_days(baseline + np.timedelta64(30, "D"), np.full(n, follow), rng)
    pilot = (people["group"] == "PILOT").to_numpy()
    per = int(cfg["professionals_per_territory"])
    manager = [
        f"PRO-{t}-{k:02d}" for t, k in zip(people["territory"], rng.integers(1, per + 1, n), strict=True)
    ]
    return pd.DataFrame(
        {
            "person_id": people["person_id"].to_numpy(),
            "group": people["group"].to_numpy(),
            "territory": people["territory"].to_numpy(),
            "ceas_code": people["ceas_code"].to_numpy(),
            "case_manager_id": np.where(pilot, np.array(manager, dtype=object), None),
            "start_date": to_column(baseline),
            "end_date": to_column(np.where(dropped, left, followup)),
            "status": np.where(dropped, "DROPPED", "COMPLETED"),
        }
    )


def dimension_weights(params: dict[str, Any]) -> pd.Series:
    """Return the pilot-effect weight of each MDTSE dimension, normalised to mean 1."""
    raw = params["synthetic"]["pilot"]["dimension_weights"]
    weights = pd.Series({d: float(raw[d]) for d in codebook.mdtse_dimensions()})
    return weights / weights.mean()


def true_effects(people: pd.DataFrame, params: dict[str, Any], rng: np.random.Generator) -> pd.DataFrame:
    """Return each person's true pilot effect per dimension (rows of ``people``; zero outside the pilot).

    ``(effect_mean + effect_chronic_extra * chronicity + u) * weight_d`` with ``u ~ N(0, effect_sd)``.
    """
    cfg = params["synthetic"]["pilot"]
    u = rng.normal(0.0, cfg["effect_sd"], len(people))
    size = cfg["effect_mean"] + cfg["effect_chronic_extra"] * people["chronicity"].to_numpy(float) + u
    size = np.where(people["group"].to_numpy() == "PILOT", size, 0.0)
    weights = dimension_weights(params)
    return pd.DataFrame(np.outer(size, weights.to_numpy()), columns=weights.index, index=people.index)


def latent_state(people: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Return the latent MDTSE state at baseline (one column per dimension, continuous 1-10 scale)."""
    disabled = (people["disability_pct"].fillna(0).to_numpy(float) >= 33).astype(float)
    traits = np.column_stack(
        [
            people["employability"].to_numpy(float),
            people["resilience"].to_numpy(float),
            disabled,
            people["chronicity"].to_numpy(float),
        ]
    )
    shift = people["profile"].map(PROFILE_SHIFT).fillna(0.0).to_numpy(float)
    dims = codebook.mdtse_dimensions()
    load = np.array([LOADINGS[d] for d in dims])
    state = LEVEL + traits @ load.T + shift[:, None] + rng.normal(0.0, STATE_SD, (len(people), len(dims)))
    return pd.DataFrame(state, columns=dims, index=people.index)


def _mdtse(
    people: pd.DataFrame,
    assignment: pd.DataFrame,
    effect: pd.DataFrame,
    params: dict[str, Any],
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the MDTSE assessments (both waves) and the observed change per person and dimension."""
    cfg = params["synthetic"]["pilot"]
    book = codebook.load()["mdtse"]
    state = latent_state(people, rng)
    n, k = state.shape
    trend = cfg["trend_mean"] + cfg["trend_chronic"] * people["chronicity"].to_numpy(float)
    shock = rng.normal(0.0, cfg["person_shock_sd"], n)
    later = state + (trend + shock)[:, None] + effect.to_numpy() + rng.normal(0.0, 0.4, (n, k))
    base_obs = _observe(state, cfg["measurement_sd"], book, rng)
    follow_obs = _observe(later, cfg["measurement_sd"], book, rng)
    assessor = _assessors(people, assignment, rng)
    completed = (assignment["status"] == "COMPLETED").to_numpy()
    base = _wave_frame(people, assignment["start_date"].to_numpy(), "BASELINE", assessor, base_obs, rng)
    follow = _wave_frame(people, assignment["end_date"].to_numpy(), "FOLLOWUP", assessor, follow_obs, rng)
    waves = pd.concat([base, follow.loc[completed]], ignore_index=True)
    waves = waves.sort_values(["person_id", "wave"], kind="stable", ignore_index=True)
    waves.insert(0, "assessment_id", [f"MDT{i:06d}" for i in range(1, len(waves) + 1)])
    change = pd.DataFrame(follow_obs.to_numpy(float) - base_obs.to_numpy(float), columns=state.columns)
    return waves, change


def _observe(state: pd.DataFrame, sd: float, book: dict[str, Any], rng: np.random.Generator) -> pd.DataFrame:
    noisy = state + rng.normal(0.0, sd, state.shape)
    return noisy.round().clip(book["score_min"], book["score_max"]).astype("int64")


def _assessors(people: pd.DataFrame, assignment: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Pilot participants are assessed by their case manager; comparison persons by a CEAS worker."""
    worker = np.array(
        [f"ASR-{c}-{k}" for c, k in zip(people["ceas_code"], rng.integers(1, 4, len(people)), strict=True)],
        dtype=object,
    )
    manager = assignment["case_manager_id"].to_numpy()
    return np.where(pd.isna(manager), worker, manager)


def _wave_frame(
    people: pd.DataFrame,
    dates: np.ndarray,
    wave: str,
    assessor: np.ndarray,
    scores: pd.DataFrame,
    rng: np.random.Generator,
) -> pd.DataFrame:
    book = codebook.load()["mdtse"]
    frame = pd.DataFrame(
        {
            "person_id": people["person_id"].to_numpy(),
            "wave": wave,
            "assessment_date": to_column(to_days(dates)),
            "assessor_id": assessor,
        }
    )
    for dim in scores.columns:
        frame[f"dim_{dim}"] = scores[dim].to_numpy()
    for factor, spec in codebook.mdtse_factors().items():
        z = (scores[spec["dimension"]].to_numpy(float) - 5.5) / 1.5 + rng.normal(0.0, 1.0, len(frame))
        frame[factor] = np.clip(np.rint(z), book["factor_min"], book["factor_max"]).astype("int64")
    return frame


def _surveys(users: pd.DataFrame, params: dict[str, Any], rng: np.random.Generator) -> pd.DataFrame:
    """Professionals (a fixed count agrees: the published share) and users who completed the pilot.

    "Agrees" means rating both ``useful`` and ``relevant`` 4 or 5 on the 1-5 scale. Users who improved
    agree more often; the average stays at ``agree_users``.
    """
    cfg = params["synthetic"]["pilot"]
    per = int(cfg["professionals_per_territory"])
    territories = [t["code"] for t in codebook.load()["pilot_territories"]]
    n_pro = per * len(territories)
    pro_agree = np.zeros(n_pro, dtype=bool)
    pro_agree[rng.permutation(n_pro)[: int(round(cfg["agree_professionals"] * n_pro))]] = True
    tilt = 1.0 * (users["improved"].to_numpy(float) - users["improved"].mean()) if len(users) else 0.0
    p = np.log(cfg["agree_users"] / (1 - cfg["agree_users"]))
    user_agree = rng.random(len(users)) < logistic(p + tilt)
    frame = pd.DataFrame(
        {
            "respondent_type": ["PROFESSIONAL"] * n_pro + ["USER"] * len(users),
            "person_id": [None] * n_pro + list(users["person_id"]),
            "territory": list(np.repeat(territories, per)) + list(users["territory"]),
        }
    )
    agree = np.r_[pro_agree, user_agree]
    frame = pd.concat([frame, _likert(agree, rng)], axis=1)
    frame.insert(0, "response_id", [f"RSP{i:05d}" for i in range(1, len(frame) + 1)])
    return frame


def _likert(agree: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    n = len(agree)

    def pick(values: list[int], p: list[float]) -> np.ndarray:
        return rng.choice(np.array(values, dtype="int64"), size=n, p=p)

    return pd.DataFrame(
        {
            "useful": np.where(agree, pick([4, 5], [0.55, 0.45]), pick([2, 3, 4], [0.3, 0.5, 0.2])),
            "relevant": np.where(agree, pick([4, 5], [0.5, 0.5]), pick([1, 2, 3], [0.1, 0.4, 0.5])),
            "bond": np.where(agree, pick([3, 4, 5], [0.15, 0.45, 0.4]), pick([2, 3, 4], [0.3, 0.5, 0.2])),
            "recommend": np.where(agree, pick([4, 5], [0.5, 0.5]), pick([2, 3, 4], [0.3, 0.4, 0.3])),
        }
    )


# -- administrative outcomes -------------------------------------------------------------------------


def admin_log_hr(chronicity_: np.ndarray, params: dict[str, Any]) -> np.ndarray:
    """Return the true log hazard ratio of leaving the RGC for a job for participants of this chronicity.

    ``admin_log_hr + admin_log_hr_chronic * chronicity``; must not be negative (the effect is an added
    exit route).
    """
    cfg = params["synthetic"]["pilot"]
    out = cfg["admin_log_hr"] + cfg["admin_log_hr_chronic"] * np.asarray(chronicity_, float)
    if (out < 0).any():
        raise ValueError("synthetic.pilot.admin_log_hr(+_chronic) must give a log hazard ratio >= 0")
    return out


def running_spells(spells: pd.DataFrame, person_ids: pd.Series, on: Any) -> pd.DataFrame:
    """Return the spell of each person running on a date, in the order of ``person_ids``."""
    day = to_column(np.array([as_day(on)]))[0]
    running = (spells["start_date"] <= day) & (spells["end_date"].isna() | (spells["end_date"] > day))
    rows = spells.loc[running & spells["person_id"].isin(set(person_ids))]
    rows = rows.drop_duplicates("person_id")
    return rows.set_index("person_id", drop=False).loc[list(person_ids)].reset_index(drop=True)


def spell_rates(
    rows: pd.DataFrame, spells: pd.DataFrame, persons: pd.DataFrame, params: dict[str, Any]
) -> np.ndarray:
    """Return the true cause rates ``c_k`` (:func:`pact_analysis.synth.spells.cause_rates`) of spells.

    The design is rebuilt from the persons and the spell's own drawn covariates (recent employment,
    work income, prior IMI); years on the RGC before the spell come from the person's earlier spells.
    """
    heads = persons.set_index("person_id").loc[rows["person_id"]].reset_index()
    entry = to_days(rows["start_date"])
    earlier = spells.merge(rows[["person_id", "start_date"]], on="person_id", suffixes=("", "_now"))
    earlier = earlier.loc[earlier["start_date"] < earlier["start_date_now"]]
    months = months_between(to_days(earlier["start_date"]), to_days(earlier["end_date"]))
    before = pd.Series(months / 12.0, index=earlier["person_id"].to_numpy()).groupby(level=0).sum()
    design = rgc.design_matrix(
        heads,
        entry,
        before.reindex(rows["person_id"]).fillna(0.0).to_numpy(),
        rows["prior_imi"].to_numpy(bool),
        params,
        np.random.default_rng(0),
    )
    design["recent_employment"] = rows["recent_employment"].to_numpy(float)
    design["no_work_income"] = 1.0 - rows["work_income"].to_numpy(float)
    return rgc.cause_rates(design, heads["profile"].to_numpy(), rgc.hazard_model(params))


def apply_admin_effect(
    persons: pd.DataFrame,
    spells: pd.DataFrame,
    assignment: pd.DataFrame,
    params: dict[str, Any],
    rng: np.random.Generator,
) -> dict[str, pd.DataFrame]:
    """Give pilot participants their true effect on leaving the RGC for a job (see the module notes).

    Parameters
    ----------
    persons : DataFrame
        Truth persons.
    spells : DataFrame
        RGC spells before the effect (:func:`pact_analysis.synth.spells.simulate_rgc`).
    assignment : DataFrame
        Pilot assignment (:func:`simulate_pilot`).
    params : dict
        Project parameters (``synthetic.pilot``, ``synthetic.rgc``, ``data.extraction_date``).
    rng : numpy.random.Generator
        Random stream of the effect.

    Returns
    -------
    dict
        ``"spells"``: the spells with the participants' running spells shortened where the added job
        route came first (same rows, ids and order); ``"truth"``: :data:`ADMIN_TRUTH_COLUMNS`, one row
        per participant with a running spell.
    """
    cfg = params["synthetic"]["pilot"]
    start = as_day(cfg["start_date"])
    extraction = as_day(params["data"]["extraction_date"])
    ids = assignment.loc[assignment["group"] == "PILOT", "person_id"]
    rows = running_spells(spells, ids, start)
    chron = chronicity(spells, start).reindex(rows["person_id"]).to_numpy(float)
    log_hr = admin_log_hr(chron, params)
    rates = spell_rates(rows, spells, persons, params)
    job = rates[:, rgc.CAUSES.index("JOB_INCOME")]
    shape = float(params["synthetic"]["rgc"]["weibull_shape"])
    a = months_between(to_days(rows["start_date"]), np.full(len(rows), start))
    extra = (np.exp(log_hr) - 1.0) * job
    with np.errstate(divide="ignore"):
        tau = (rng.exponential(size=len(rows)) / extra + a**shape) ** (1.0 / shape) - a
    end_new = start + np.ceil(tau * DAYS_PER_MONTH).astype("int64").astype("timedelta64[D]")
    end_old = to_days(rows["end_date"])
    earlier = (end_new <= extraction) & (np.isnat(end_old) | (end_new < end_old))
    out = spells.copy()
    index = rows.loc[earlier, "spell_id"]
    at = out["spell_id"].isin(set(index))
    changed = pd.Series(to_column(end_new[earlier]), index=index.to_numpy())
    out.loc[at, "end_date"] = changed.reindex(out.loc[at, "spell_id"]).to_numpy()
    out.loc[at, "exit_reason"] = "JOB_INCOME"
    out.loc[at, "censored"] = False
    truth = admin_truth(rates, job, extra, a, params)
    truth.insert(0, "person_id", rows["person_id"].to_numpy())
    truth.insert(1, "chronicity", chron)
    truth.insert(2, "log_hr_job", log_hr)
    truth.insert(3, "months_on_spell", a)
    return {"spells": out, "truth": truth[ADMIN_TRUTH_COLUMNS]}


def admin_truth(
    rates: np.ndarray, job: np.ndarray, extra: np.ndarray, a: np.ndarray, params: dict[str, Any]
) -> pd.DataFrame:
    """Return each participant's expected effect on :data:`ADMIN_OUTCOMES` given the running spell.

    With a common Weibull shape ``k`` and the spell ``a`` months old at the pilot start, the chance of
    leaving within ``h`` months is ``1 - exp(-C ((a + h) ** k - a ** k))``, ``C`` the sum of the cause
    rates (plus the added job route when treated). Days employed: each job exit starts a contract with
    probability ``synthetic.services.job_exit_contract`` lasting
    :data:`~pact_analysis.synth.services.JOB_CONTRACT_MIN_MONTHS` plus an exponential extra
    (:data:`~pact_analysis.synth.services.JOB_CONTRACT_MEAN_EXTRA_MONTHS`); the expected days under
    that contract up to the extraction date are integrated over the density of the job exit. Contracts
    of later spells are the same in both worlds and cancel.
    """
    cfg = params["synthetic"]["pilot"]
    start = as_day(cfg["start_date"])
    horizon = float(
        months_between(np.array([start]), np.array([as_day(params["data"]["extraction_date"])]))[0]
    )
    shape = float(params["synthetic"]["rgc"]["weibull_shape"])
    total = rates.sum(axis=1)

    def left_by(h: float, c: np.ndarray) -> np.ndarray:
        return 1.0 - np.exp(-c * ((a + h) ** shape - a**shape))

    def days(c: np.ndarray, c_job: np.ndarray) -> np.ndarray:
        u = np.linspace(0.0, horizon, 801)
        # months on the benefit; kept off 0, where the Weibull density is infinite when shape < 1
        # (an integrable singularity: the first trapezoid then takes a finite value)
        t = np.maximum(a[:, None] + u[None, :], 1e-6)
        density = (
            c_job[:, None] * shape * t ** (shape - 1) * np.exp(-c[:, None] * (t**shape - a[:, None] ** shape))
        )
        rest = horizon - u
        low, mean = services.JOB_CONTRACT_MIN_MONTHS, services.JOB_CONTRACT_MEAN_EXTRA_MONTHS
        length = np.where(rest <= low, rest, low + mean * (1.0 - np.exp(-(rest - low) / mean)))
        share = params["synthetic"]["services"]["job_exit_contract"]
        return share * DAYS_PER_MONTH * np.trapezoid(density * length[None, :], u, axis=1)

    return pd.DataFrame(
        {
            "exit_12m": left_by(12.0, total + extra) - left_by(12.0, total),
            "exit_end": left_by(horizon, total + extra) - left_by(horizon, total),
            "days_employed": days(total + extra, job + extra) - days(total, job),
        }
    )


# -- outcomes redrawn on a fixed pilot design (benchmarks/pilot_coverage.py) ---------------------------


def cluster_shocks(
    people: pd.DataFrame, pilot_ceas: set[str], sd: float, pilot_only: bool, rng: np.random.Generator
) -> np.ndarray:
    """One normal shock per CEAS (SD ``sd``), zero outside the pilot CEAS when ``pilot_only``; per row."""
    codes = people["ceas_code"].astype(str)
    levels = sorted(codes.unique())
    draws = pd.Series(rng.normal(0.0, sd, len(levels)), index=levels)
    if pilot_only:
        draws[~draws.index.isin(sorted(pilot_ceas))] = 0.0
    return codes.map(draws).to_numpy(float)


def assessor_shocks(people: pd.DataFrame, sd: float, per_ceas: int, rng: np.random.Generator) -> np.ndarray:
    """A follow-up leniency per assessor (``per_ceas`` assessors in each CEAS, drawn at random); per row.

    The participants' assessors are their own case managers, the comparison group's are others: the
    leniency is not blinded to the group and does not cancel in the change (it is a follow-up drift).
    """
    codes = people["ceas_code"].astype(str).to_numpy()
    who = np.char.add(codes.astype(str), rng.integers(0, per_ceas, len(people)).astype(str))
    levels = sorted(set(who))
    draws = dict(zip(levels, rng.normal(0.0, sd, len(levels)), strict=True))
    return np.array([draws[w] for w in who])


def redraw_mdtse(
    people: pd.DataFrame, pilot_ceas: set[str], params: dict[str, Any], rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.Series]:
    """New MDTSE changes for a fixed design (persons, CEAS, group, baseline scores), with their truth.

    ``change_d = trend_mean + trend_chronic * chronicity + effect_d (participants) + person shock
    + CEAS shock (``ceas_sd``; only in the pilot CEAS when ``ceas_pilot_only``) + assessor leniency
    (``assessor_sd``) + measurement error of two waves``; ``effect_d`` as in :func:`true_effects`.

    Parameters
    ----------
    people : DataFrame
        The analysis frame of :func:`pact_analysis.pilot.analysis_frames` (``chronicity``,
        ``ceas_code``, ``treated``, ``completed``, ``baseline_<d>``).
    pilot_ceas : set of str
        The CEAS that hold the participants.
    params : dict
        Parameters (``synthetic.pilot``).
    rng : Generator
        Random numbers.

    Returns
    -------
    people : DataFrame
        A copy with new ``change_<d>`` and ``change_living``.
    truth : Series
        Mean true effect over the participants followed up, per dimension and ``living``.
    """
    cfg = params["synthetic"]["pilot"]
    out = people.copy()
    n, chron = len(out), out["chronicity"].to_numpy(float)
    treated = out["treated"].to_numpy(bool)
    frame = out.assign(group=np.where(treated, "PILOT", "COMPARISON"))
    effect = true_effects(frame, params, rng)
    person = rng.normal(0.0, cfg["person_shock_sd"], n)
    trend = cfg["trend_mean"] + cfg["trend_chronic"] * chron + person
    done = treated & (out["completed"].to_numpy() == 1)
    truth = {}
    for dim in codebook.mdtse_dimensions():
        ceas = cluster_shocks(out, pilot_ceas, cfg["ceas_sd"], cfg["ceas_pilot_only"], rng)
        assessor = assessor_shocks(out, cfg["assessor_sd"], 3, rng)
        noise = rng.normal(0.0, cfg["measurement_sd"] * np.sqrt(2.0), n)
        out[f"change_{dim}"] = trend + effect[dim].to_numpy() + ceas + assessor + noise
        truth[dim] = float(effect.loc[done, dim].mean())
    out["change_living"] = out[[f"change_{d}" for d in LIVING_DIMENSIONS]].mean(axis=1)
    truth["living"] = float(np.mean([truth[d] for d in LIVING_DIMENSIONS]))
    return out, pd.Series(truth)


def redraw_admin(
    pool: pd.DataFrame,
    pilot_ceas: set[str],
    params: dict[str, Any],
    rng: np.random.Generator,
    link_error: float = 0.0,
) -> tuple[pd.DataFrame, pd.Series]:
    """New administrative outcomes for the fixed comparison pool, with the effect on the participants.

    ``exit_12m``: Bernoulli with log-odds ``-1.1 - 0.8 chronicity + 0.8 prior_employment`` plus a CEAS
    shock (``ceas_sd``, on the log-odds scale) and, for participants, ``admin_log_hr + admin_log_hr_chronic
    * chronicity``. ``days_employed``: ``40 - 30 chronicity + 60 prior_employment`` plus 60 days per
    unit of the CEAS shock, normal noise (SD 60), plus ``40 (1 + chronicity)`` days for participants, floored
    at 0. Potential outcomes share their noise; the truth is the mean of ``y1 - y0`` over the
    participants. A share ``link_error`` of persons (record-linkage error: 1 - recall plus 1 -
    precision of the pipeline) carry the outcomes of another, random person of the pool.
    """
    cfg = params["synthetic"]["pilot"]
    out = pool.copy()
    n, chron = len(out), out["chronicity"].to_numpy(float)
    prior = out["prior_employment"].to_numpy(float)
    treated = out["treated"].to_numpy(bool)
    shock = cluster_shocks(out, pilot_ceas, cfg["ceas_sd"], cfg["ceas_pilot_only"], rng)
    base = -1.1 - 0.8 * chron + 0.8 * prior + shock
    lift = cfg["admin_log_hr"] + cfg["admin_log_hr_chronic"] * chron
    u = rng.random(n)
    exit0, exit1 = u < logistic(base), u < logistic(base + lift)
    noise = rng.normal(0.0, 60.0, n)
    days0 = np.maximum(40 - 30 * chron + 60 * prior + 60 * shock + noise, 0)
    days1 = np.maximum(days0 + 40 * (1 + chron), 0)
    out["exit_12m"] = np.where(treated, exit1, exit0).astype(float)
    out["days_employed"] = np.where(treated, days1, days0)
    truth = pd.Series(
        {
            "exit_12m": float((exit1.astype(float) - exit0)[treated].mean()),
            "days_employed": float((days1 - days0)[treated].mean()),
        }
    )
    wrong = rng.random(n) < link_error
    donors = rng.integers(0, n, int(wrong.sum()))
    for column in ("exit_12m", "days_employed"):
        values = out[column].to_numpy(float).copy()
        values[wrong] = values[donors]
        out[column] = values
    return out, truth
