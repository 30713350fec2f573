"""SAUSS interventions, employment-service episodes and third-sector (NGO) attention records.

All three are driven by the latent profile of each person and kept consistent with the RGC spells of
:mod:`pact_analysis.synth.spells`:

- SAUSS (social services): every RGC spell is preceded by the processing of the claim in the CEAS;
  other provisions arrive as a Poisson process whose rate and mix depend on the profile
  (``synthetic.services.interventions_per_year``; the mix per profile is :data:`PROVISION_MIX`).
- Employment service (ECYL): RGC heads must be registered job-seekers while on the benefit; a
  ``JOB_INCOME`` exit usually coincides with a contract starting (``job_exit_contract``), a spell
  drawn with ``recent_employment`` has a contract that ended in the 12 months before entry, and one
  with ``work_income`` a part-time contract while on the benefit (Asturias: hours worked decide exit,
  calibration.md). Other registered persons get job-seeker spells and contracts at a rate that grows
  with employability.
- NGOs (EAPN members): RGC heads, foreigners and persons unknown to SAUSS (risk situation
  ``NGO_ONLY``) are attended more often.

Rates and mixes are *assumed* (no published figure; calibration.md) and exposed in params.yaml.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pact_analysis import codebook
from pact_analysis.synth.spells import RGC_PROFILES
from pact_analysis.synth.timeline import (
    add_months,
    age_years,
    as_day,
    logistic,
    to_column,
    to_days,
    uniform_days,
)

#: Relative weight of each provision by profile (``RGC_PROCESSING`` is added per spell instead).
PROVISION_MIX: dict[str, dict[str, float]] = {
    "leaver": {
        "INFO": 3,
        "EMERGENCY_AID": 2,
        "INCLUSION_PLAN": 2,
        "EMPLOYMENT_REFERRAL": 3,
        "ENERGY_POVERTY": 1,
    },
    "cycler": {
        "INFO": 2,
        "EMERGENCY_AID": 4,
        "INCLUSION_PLAN": 2,
        "EMPLOYMENT_REFERRAL": 2,
        "ENERGY_POVERTY": 2,
        "HOUSING": 1,
        "FAMILY_SUPPORT": 1,
    },
    "stayer": {
        "INFO": 2,
        "EMERGENCY_AID": 4,
        "INCLUSION_PLAN": 3,
        "EMPLOYMENT_REFERRAL": 1,
        "ENERGY_POVERTY": 2,
        "HOUSING": 2,
        "FAMILY_SUPPORT": 1,
        "DEPENDENCY": 1,
    },
    "family_support": {
        "INFO": 2,
        "FAMILY_SUPPORT": 5,
        "CHILD_PROTECTION": 1,
        "EMERGENCY_AID": 2,
        "HOUSING": 1,
        "ENERGY_POVERTY": 1,
    },
    "elderly_care": {"INFO": 2, "HOME_HELP": 4, "TELECARE": 3, "DEPENDENCY": 3, "ENERGY_POVERTY": 1},
    "occasional": {"INFO": 6, "EMERGENCY_AID": 1, "EMPLOYMENT_REFERRAL": 1, "DEPENDENCY": 1},
}
#: Contract started at a ``JOB_INCOME`` exit: lasts this many months plus an exponential extra.
JOB_CONTRACT_MIN_MONTHS = 1.0
#: Mean of the exponential extra length (months) of a contract started at a ``JOB_INCOME`` exit.
JOB_CONTRACT_MEAN_EXTRA_MONTHS = 12.0
#: Provisions that carry an amount when granted.
ECONOMIC = ("EMERGENCY_AID", "ENERGY_POVERTY", "HOUSING")
#: Status shares of a provision requested more than 60 days before extraction.
STATUS_SHARES = {"GRANTED": 0.70, "DENIED": 0.12, "CLOSED": 0.18}

EPISODE_COLUMNS = [
    "episode_id",
    "person_id",
    "episode_type",
    "start_date",
    "end_date",
    "contract_type",
    "workday",
    "hours_week",
]


def _window(params: dict[str, Any]) -> tuple[np.datetime64, np.datetime64]:
    return as_day(params["synthetic"]["start_date"]), as_day(params["data"]["extraction_date"])


def _serial(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i:07d}" for i in range(1, n + 1)]


def simulate_sauss_interventions(
    persons: pd.DataFrame, spells: pd.DataFrame, params: dict[str, Any], rng: np.random.Generator
) -> pd.DataFrame:
    """Simulate SAUSS interventions and provisions of the SAUSS users.

    Parameters
    ----------
    persons : DataFrame
        Truth persons (``sauss_user``, ``sauss_registration_date``, ``profile``, ``ceas_code``).
    spells : DataFrame
        RGC spells (:func:`pact_analysis.synth.spells.simulate_rgc`).
    params : dict
        Project parameters (``synthetic.services.interventions_per_year``).
    rng : numpy.random.Generator
        Random stream.

    Returns
    -------
    DataFrame
        intervention_id, person_id, ceas_code, date, provision_code, status, amount_eur; sorted by
        person and date.
    """
    start, extraction = _window(params)
    users = persons.loc[persons["sauss_user"].astype(bool)].sort_values("person_id", kind="stable")
    reg = np.maximum(to_days(users["sauss_registration_date"]), start)
    reg = np.where(np.isnat(reg), start, reg).astype("datetime64[D]")
    years = (extraction - reg).astype(float) / 365.25
    rate = users["profile"].map(params["synthetic"]["services"]["interventions_per_year"]).fillna(0.5)
    count = 1 + rng.poisson(rate.to_numpy(float) * years)
    idx = np.repeat(np.arange(len(users)), count)
    first = np.r_[0, np.cumsum(count)[:-1]]
    date = uniform_days(reg[idx], extraction, rng)
    date[first] = reg  # the registration itself is an information contact
    provision = _draw_provisions(users["profile"].to_numpy()[idx], rng)
    provision[first] = "INFO"
    out = pd.DataFrame(
        {
            "person_id": users["person_id"].to_numpy()[idx],
            "ceas_code": users["ceas_code"].to_numpy()[idx],
            "date": date,
            "provision_code": provision,
        }
    )
    out = pd.concat([out, _rgc_claims(users, spells, reg, rng)], ignore_index=True)
    out["status"] = _draw_status(
        out["date"].to_numpy("datetime64[D]"), out["provision_code"].to_numpy(), extraction, rng
    )
    out["amount_eur"] = _draw_amounts(out["provision_code"].to_numpy(), out["status"].to_numpy(), rng)
    out["date"] = to_column(out["date"].to_numpy("datetime64[D]"))
    out = out.sort_values(["person_id", "date", "provision_code"], kind="stable", ignore_index=True)
    out.insert(0, "intervention_id", _serial("INT", len(out)))
    return out


def _draw_provisions(profiles: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = np.empty(len(profiles), dtype=object)
    for profile in sorted(PROVISION_MIX):
        mask = profiles == profile
        codes = sorted(PROVISION_MIX[profile])
        w = np.array([PROVISION_MIX[profile][c] for c in codes], dtype=float)
        out[mask] = rng.choice(np.array(codes, dtype=object), size=mask.sum(), p=w / w.sum())
    out[pd.isna(out)] = "INFO"
    return out


def _rgc_claims(
    users: pd.DataFrame, spells: pd.DataFrame, reg: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """One RGC_PROCESSING provision per spell of a SAUSS user, 2-8 weeks before the first payment."""
    reg_of = pd.Series(reg, index=users["person_id"].to_numpy())
    own = spells.loc[spells["person_id"].isin(reg_of.index)]
    begin = own["start_date"].to_numpy("datetime64[D]")
    date = begin - rng.integers(14, 57, len(own)).astype("timedelta64[D]")
    date = np.maximum(date, reg_of.loc[own["person_id"]].to_numpy("datetime64[D]"))
    return pd.DataFrame(
        {
            "person_id": own["person_id"].to_numpy(),
            "ceas_code": own["ceas_code"].to_numpy(),
            "date": date,
            "provision_code": "RGC_PROCESSING",
        }
    )


def _draw_status(
    date: np.ndarray, provision: np.ndarray, extraction: np.datetime64, rng: np.random.Generator
) -> np.ndarray:
    codes = np.array(sorted(STATUS_SHARES), dtype=object)
    share = np.array([STATUS_SHARES[c] for c in codes])
    status = rng.choice(codes, size=len(date), p=share / share.sum())
    status[provision == "RGC_PROCESSING"] = "GRANTED"
    status[(extraction - date).astype(int) <= 60] = "REQUESTED"
    return status


def _draw_amounts(provision: np.ndarray, status: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    paid = np.isin(provision, ECONOMIC) & np.isin(status, ["GRANTED", "CLOSED"])
    amount = np.round(rng.lognormal(np.log(300.0), 0.6, len(provision)), 2)
    return np.where(paid, amount, np.nan)


def simulate_employment(
    persons: pd.DataFrame, spells: pd.DataFrame, params: dict[str, Any], rng: np.random.Generator
) -> dict[str, pd.DataFrame]:
    """Simulate the public employment service: registered persons, job-seeker spells and contracts.

    Parameters
    ----------
    persons : DataFrame
        Truth persons (``profile``, ``is_head``, ``employability``, ``birth_date``).
    spells : DataFrame
        RGC spells, including the ``recent_employment`` and ``work_income`` covariates.
    params : dict
        Project parameters (``synthetic.services``).
    rng : numpy.random.Generator
        Random stream.

    Returns
    -------
    dict
        ``"persons"``: person_id, first_date (first episode); ``"episodes"``: :data:`EPISODE_COLUMNS`.
    """
    cfg = params["synthetic"]["services"]
    parts = [
        _rgc_jobseeker(spells, params, rng),
        _job_exit_contracts(spells, params, rng),
        _previous_contracts(spells, rng),
        _work_income_contracts(spells, params, rng),
    ]
    others = _registered_others(persons, spells, cfg, params, rng)
    parts += [_other_jobseeker(others, params, rng), _background_contracts(others, cfg, params, rng)]
    episodes = pd.concat([p for p in parts if len(p)], ignore_index=True)
    episodes["start_date"] = to_column(episodes["start_date"].to_numpy("datetime64[D]"))
    episodes["end_date"] = to_column(episodes["end_date"].to_numpy("datetime64[D]"))
    episodes = episodes.sort_values(
        ["person_id", "start_date", "episode_type"], kind="stable", ignore_index=True
    )
    episodes.insert(0, "episode_id", _serial("EPI", len(episodes)))
    first = episodes.groupby("person_id", sort=True)["start_date"].min().rename("first_date").reset_index()
    return {"persons": first, "episodes": episodes[EPISODE_COLUMNS]}


def _episodes(
    person_id: np.ndarray,
    kind: str,
    start: np.ndarray,
    end: np.ndarray,
    extraction: np.datetime64,
    workday: np.ndarray | None = None,
    permanent: np.ndarray | None = None,
    rng: np.random.Generator | None = None,
) -> pd.DataFrame:
    """Assemble episodes; ends after the extraction date become NaT (ongoing)."""
    end = np.asarray(end, dtype="datetime64[D]").copy()
    end[end > extraction] = np.datetime64("NaT")
    frame = pd.DataFrame({"person_id": person_id, "episode_type": kind, "start_date": start, "end_date": end})
    if kind == "CONTRACT":
        frame["contract_type"] = np.where(permanent, "PERMANENT", "TEMPORARY")
        frame["workday"] = np.where(workday, "FULL", "PART")
        part_hours = rng.integers(10, 31, len(frame)).astype(float)
        frame["hours_week"] = np.where(workday, rng.choice([37.5, 40.0], len(frame)), part_hours)
    else:
        frame["contract_type"] = None
        frame["workday"] = None
        frame["hours_week"] = np.nan
    return frame.loc[start <= extraction]


def _rgc_jobseeker(spells: pd.DataFrame, params: dict[str, Any], rng: np.random.Generator) -> pd.DataFrame:
    """RGC heads are registered job-seekers from shortly before each spell until it ends."""
    _, extraction = _window(params)
    begin = spells["start_date"].to_numpy("datetime64[D]")
    start = begin - rng.integers(0, 91, len(spells)).astype("timedelta64[D]")
    end = spells["end_date"].to_numpy("datetime64[D]")
    return _episodes(spells["person_id"].to_numpy(), "JOBSEEKER", start, end, extraction)


def _job_exit_contracts(
    spells: pd.DataFrame, params: dict[str, Any], rng: np.random.Generator
) -> pd.DataFrame:
    """Most ``JOB_INCOME`` exits coincide with a contract starting (within 3 weeks of the last payment)."""
    cfg = params["synthetic"]["services"]
    _, extraction = _window(params)
    job = spells.loc[(spells["exit_reason"] == "JOB_INCOME").to_numpy()]
    job = job.loc[rng.random(len(job)) < cfg["job_exit_contract"]]
    last = job["end_date"].to_numpy("datetime64[D]")
    start = np.maximum(
        last + rng.integers(-21, 22, len(job)).astype("timedelta64[D]"),
        job["start_date"].to_numpy("datetime64[D]"),
    )
    end = add_months(
        start, JOB_CONTRACT_MIN_MONTHS + rng.exponential(JOB_CONTRACT_MEAN_EXTRA_MONTHS, len(job))
    )
    return _episodes(
        job["person_id"].to_numpy(),
        "CONTRACT",
        start,
        end,
        extraction,
        workday=rng.random(len(job)) < 0.7,
        permanent=rng.random(len(job)) < 0.25,
        rng=rng,
    )


def _previous_contracts(spells: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """A spell drawn with ``recent_employment`` has a contract that ended in the 12 months before it."""
    recent = spells.loc[spells["recent_employment"].astype(bool).to_numpy()]
    end = recent["start_date"].to_numpy("datetime64[D]") - rng.integers(15, 366, len(recent)).astype(
        "timedelta64[D]"
    )
    start = end - np.maximum(np.rint(rng.exponential(120.0, len(recent))), 7).astype("int64").astype(
        "timedelta64[D]"
    )
    start = np.maximum(start, as_day(codebook.load()["period"]["earliest_event"]))
    return _episodes(
        recent["person_id"].to_numpy(),
        "CONTRACT",
        start,
        end,
        np.datetime64("9999-12-31"),
        workday=rng.random(len(recent)) < 0.5,
        permanent=np.zeros(len(recent), bool),
        rng=rng,
    )


def _work_income_contracts(
    spells: pd.DataFrame, params: dict[str, Any], rng: np.random.Generator
) -> pd.DataFrame:
    """A spell drawn with ``work_income`` has a part-time contract while the benefit is paid."""
    _, extraction = _window(params)
    work = spells.loc[spells["work_income"].astype(bool).to_numpy()]
    begin = work["start_date"].to_numpy("datetime64[D]")
    stop = work["end_date"].to_numpy("datetime64[D]")
    stop = np.where(np.isnat(stop), extraction, stop).astype("datetime64[D]")
    start = uniform_days(
        begin, begin + np.minimum((stop - begin).astype(int) // 2, 180).astype("timedelta64[D]"), rng
    )
    end = np.minimum(add_months(start, 1.0 + rng.exponential(8.0, len(work))), stop)
    return _episodes(
        work["person_id"].to_numpy(),
        "CONTRACT",
        start,
        end,
        extraction,
        workday=np.zeros(len(work), bool),
        permanent=rng.random(len(work)) < 0.1,
        rng=rng,
    )


def _registered_others(
    persons: pd.DataFrame,
    spells: pd.DataFrame,
    cfg: dict[str, Any],
    params: dict[str, Any],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Persons other than RGC heads with spells who register (working age during the period)."""
    start, extraction = _window(params)
    rest = persons.loc[~persons["person_id"].isin(spells["person_id"])].sort_values(
        "person_id", kind="stable"
    )
    birth = to_days(rest["birth_date"])
    working = (age_years(birth, extraction) >= 18) & (age_years(birth, start) < 64)
    reg = cfg["employment_registration"]
    a, b = reg["other_logit"]
    prob = logistic(a + b * rest["employability"].to_numpy(float))
    rgc_member = rest["profile"].isin(RGC_PROFILES).to_numpy() & ~rest["is_head"].astype(bool).to_numpy()
    prob = np.where(rgc_member, reg["rgc_member"], prob)
    prob = np.where(rest["profile"].eq("elderly_care").to_numpy(), prob * 0.2, prob)
    chosen = rest.loc[working & (rng.random(len(rest)) < prob)].copy()
    low = np.maximum(start, add_months(to_days(chosen["birth_date"]), 18 * 12))
    chosen["registration"] = to_column(uniform_days(low, np.maximum(low, extraction), rng))
    return chosen


def _other_jobseeker(others: pd.DataFrame, params: dict[str, Any], rng: np.random.Generator) -> pd.DataFrame:
    _, extraction = _window(params)
    start = others["registration"].to_numpy("datetime64[D]")
    end = add_months(start, 1.0 + rng.exponential(10.0, len(others)))
    return _episodes(others["person_id"].to_numpy(), "JOBSEEKER", start, end, extraction)


def _background_contracts(
    others: pd.DataFrame, cfg: dict[str, Any], params: dict[str, Any], rng: np.random.Generator
) -> pd.DataFrame:
    """Contracts of registered non-RGC persons: Poisson count growing with employability."""
    _, extraction = _window(params)
    reg = others["registration"].to_numpy("datetime64[D]")
    years = (extraction - reg).astype(float) / 365.25
    rate = cfg["contracts_per_year"] * np.exp(0.6 * others["employability"].to_numpy(float))
    count = rng.poisson(rate * years)
    idx = np.repeat(np.arange(len(others)), count)
    start = uniform_days(reg[idx], extraction, rng)
    end = add_months(start, 0.5 + rng.exponential(6.0, len(idx)))
    emp = others["employability"].to_numpy(float)[idx]
    return _episodes(
        others["person_id"].to_numpy()[idx],
        "CONTRACT",
        start,
        end,
        extraction,
        workday=rng.random(len(idx)) < logistic(0.3 + 0.5 * emp),
        permanent=rng.random(len(idx)) < logistic(-1.5 + 0.5 * emp),
        rng=rng,
    )


def simulate_ngo(
    persons: pd.DataFrame, spells: pd.DataFrame, params: dict[str, Any], rng: np.random.Generator
) -> pd.DataFrame:
    """Simulate third-sector (NGO) attention records.

    RGC heads, foreigners and persons unknown to SAUSS are attended more often
    (``synthetic.services.ngo_attendance``); each user has a main NGO (Cáritas for most Spaniards,
    Cruz Roja and ACCEM for many foreigners) and a Poisson number of further attentions.

    Parameters
    ----------
    persons : DataFrame
        Truth persons (``nationality``, ``sauss_user``, ``birth_date``).
    spells : DataFrame
        RGC spells (``person_id`` of heads).
    params : dict
        Project parameters.
    rng : numpy.random.Generator
        Random stream.

    Returns
    -------
    DataFrame
        attention_id, person_id, ngo_code, date, service_code; sorted by person and date.
    """
    cfg = params["synthetic"]["services"]
    att = cfg["ngo_attendance"]
    start, extraction = _window(params)
    people = persons.sort_values("person_id", kind="stable")
    adult = age_years(to_days(people["birth_date"]), extraction) >= 18
    foreign = (people["nationality"] != "ES").to_numpy()
    head = people["person_id"].isin(spells["person_id"]).to_numpy()
    unknown = ~people["sauss_user"].astype(bool).to_numpy()
    prob = np.where(head, att["rgc_head"], np.where(unknown, att["not_sauss"], att["other"]))
    prob = np.minimum(prob + foreign * att["foreign_extra"], 0.95)
    users = people.loc[adult & (rng.random(len(people)) < prob)]
    count = 1 + rng.poisson(cfg["ngo_attentions_mean"], len(users))
    idx = np.repeat(np.arange(len(users)), count)
    is_foreign = (users["nationality"] != "ES").to_numpy()
    main = np.where(is_foreign, _pick(NGO_FOREIGN, len(users), rng), _pick(NGO_SPANISH, len(users), rng))
    ngo = np.where(rng.random(len(idx)) < 0.8, main[idx], _pick(NGO_SPANISH, len(idx), rng))
    service = np.where(
        is_foreign[idx], _pick(SERVICE_FOREIGN, len(idx), rng), _pick(SERVICE_SPANISH, len(idx), rng)
    )
    out = pd.DataFrame(
        {
            "person_id": users["person_id"].to_numpy()[idx],
            "ngo_code": ngo,
            "date": to_column(uniform_days(start, extraction, rng, size=len(idx))),
            "service_code": service,
        }
    )
    out = out.sort_values(["person_id", "date", "ngo_code"], kind="stable", ignore_index=True)
    out.insert(0, "attention_id", _serial("ATT", len(out)))
    return out


NGO_SPANISH = {"CARITAS": 0.55, "CRUZ_ROJA": 0.25, "SECRETARIADO_GITANO": 0.08, "OTHER_NGO": 0.12}
NGO_FOREIGN = {"CRUZ_ROJA": 0.35, "ACCEM": 0.30, "CARITAS": 0.25, "OTHER_NGO": 0.10}
SERVICE_SPANISH = {
    "FOOD": 0.48,
    "CLOTHING": 0.12,
    "HOUSING": 0.10,
    "LEGAL": 0.03,
    "EMPLOYMENT": 0.15,
    "PSYCHOSOCIAL": 0.12,
}
SERVICE_FOREIGN = {
    "FOOD": 0.38,
    "CLOTHING": 0.12,
    "HOUSING": 0.10,
    "LEGAL": 0.18,
    "EMPLOYMENT": 0.15,
    "PSYCHOSOCIAL": 0.07,
}


def _pick(shares: dict[str, float], n: int, rng: np.random.Generator) -> np.ndarray:
    codes = np.array(sorted(shares), dtype=object)
    p = np.array([shares[c] for c in codes])
    return rng.choice(codes, size=n, p=p / p.sum())
