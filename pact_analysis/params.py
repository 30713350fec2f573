"""The study's parameters (``params.yaml``), typed: the only place where a parameter and its default live.

Every section of ``params.yaml`` is a pydantic model that forbids unknown keys, so a misspelt key
(``alerts.n_reasonz``), a value of the wrong type or one out of range stops a stage before any work,
with one message that names the key and what was expected (:func:`load_params`). Stages and notebooks
receive the validated parameters as a plain dict (:meth:`Params.model_dump`) in which every default is
filled in, so no module needs a default of its own.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from pact_analysis.errors import StageError

__all__ = ["Params", "load_params", "validate_params", "defaults"]


def _as_text(value: Any) -> Any:
    """An unquoted YAML date (``2018-10-31``) arrives as a date: keep it as ISO text."""
    return value.isoformat() if isinstance(value, dt.date) else value


def _iso_date(value: str) -> str:
    dt.date.fromisoformat(value)
    return value


def _iso_date_or_extraction(value: str) -> str:
    return value if value == "extraction_date" else _iso_date(value)


#: A calendar date written ``YYYY-MM-DD`` (kept as text, as the stages read it).
IsoDate = Annotated[str, BeforeValidator(_as_text), AfterValidator(_iso_date)]
Share = Annotated[float, Field(ge=0, le=1)]
Positive = Annotated[float, Field(gt=0)]
PositiveInt = Annotated[int, Field(ge=1)]
Range = Annotated[list[float], Field(min_length=2, max_length=2)]


class Section(BaseModel):
    """A section of ``params.yaml``: unknown keys are errors, values are checked on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def _ordered(values: list[float], what: str) -> list[float]:
    if values[0] > values[1]:
        raise ValueError(f"{what}: the low end must not exceed the high end")
    return values


# --------------------------------------------------------------------------------------------------
# data, synthetic
# --------------------------------------------------------------------------------------------------
class Data(Section):
    source: Literal["synthetic", "files"] = "synthetic"
    extraction_date: IsoDate = "2018-10-31"


class Noise(Section):
    typo: Share = 0.03
    accent_dropped: Share = 0.15
    surnames_swapped: Share = 0.02
    second_surname_missing: Share = 0.05
    given_name_abbreviated: Share = 0.02
    day_month_swapped: Share = 0.01
    birth_year_typo: Share = 0.005
    doc_missing: Share = 0.05
    doc_typo: Share = 0.01
    doc_letter_wrong: Share = 0.01
    nie_to_dni: Share = 1.0
    duplicate_record: Share = 0.02
    ngo_doc_missing: Share = 0.6
    ngo_birth_date_missing: Share = 0.4
    municipality_moved: Share = 0.05
    province_moved: Share = 0.006  # per person-year, not per record (synth/noise.py: province_moves)
    sex_miscoded: Share = 0.002


class Effects(Section):
    age_per_decade: float = -0.12
    lone_parent: float = -0.35
    low_education: float = -0.30
    disability: float = -0.40
    recent_employment: float = 0.45
    no_work_income: float = -0.30
    foreign: float = 0.10


Profiles3 = dict[Literal["leaver", "cycler", "stayer"], float]
Causes = Literal["JOB_INCOME", "NON_COMPLIANCE", "CARE_MOVED"]


class Rgc(Section):
    prior_imi: Profiles3 = {"leaver": 0.02, "cycler": 0.05, "stayer": 0.15}
    entry_year_weights: dict[int, Annotated[float, Field(ge=0)]] = {
        2011: 0.12,
        2012: 0.16,
        2013: 0.16,
        2014: 0.14,
        2015: 0.12,
        2016: 0.11,
        2017: 0.11,
        2018: 0.07,
    }
    weibull_shape: Positive = 0.8
    baseline: dict[Causes, Positive] = {"JOB_INCOME": 0.028, "NON_COMPLIANCE": 0.029, "CARE_MOVED": 0.0053}
    profile_log_frailty: dict[Causes, Profiles3] = {
        "JOB_INCOME": {"leaver": 0.9, "cycler": 0.3, "stayer": -1.0},
        "NON_COMPLIANCE": {"leaver": 0.2, "cycler": 0.9, "stayer": -0.8},
        "CARE_MOVED": {"leaver": 0.0, "cycler": 0.3, "stayer": -0.3},
    }
    cause_effects: dict[Causes, dict[str, float]] = {
        "JOB_INCOME": {
            "employability": 0.40,
            "resilience": 0.20,
            "years_on_rgc_before": -0.10,
            "prior_imi": -0.30,
        },
        "NON_COMPLIANCE": {
            "employability": -0.10,
            "resilience": -0.35,
            "years_on_rgc_before": -0.10,
            "prior_imi": -0.30,
        },
        "CARE_MOVED": {"age_per_decade": 0.35, "disability": 0.60, "foreign": 0.50},
    }
    recent_employment_logit: Range = [-0.6, 0.9]
    work_income_logit: Range = [-1.6, 0.6]
    reentry_prob: Profiles3 = {"leaver": 0.08, "cycler": 0.60, "stayer": 0.25}
    reentry_noncompliance_extra: Share = 0.10
    reentry_mean_months: Positive = 8
    max_spells: PositiveInt = 8
    amount_base_eur: Positive = 426
    amount_per_member_eur: Annotated[float, Field(ge=0)] = 115
    amount_max_eur: Positive = 692
    work_income_cut: Share = 0.25


class EmploymentRegistration(Section):
    rgc_member: Share = 0.5
    other_logit: Range = [-1.0, 0.5]


class NgoAttendance(Section):
    rgc_head: Share = 0.30
    foreign_extra: Share = 0.25
    not_sauss: Share = 0.55
    other: Share = 0.06


class Services(Section):
    interventions_per_year: dict[str, Annotated[float, Field(ge=0)]] = {
        "leaver": 0.8,
        "cycler": 1.6,
        "stayer": 1.8,
        "family_support": 2.2,
        "elderly_care": 1.4,
        "occasional": 0.35,
    }
    employment_registration: EmploymentRegistration = EmploymentRegistration()
    contracts_per_year: Annotated[float, Field(ge=0)] = 0.3
    job_exit_contract: Share = 0.85
    ngo_attendance: NgoAttendance = NgoAttendance()
    ngo_attentions_mean: Annotated[float, Field(ge=0)] = 2.5


class SyntheticPilot(Section):
    per_territory: PositiveInt = 46
    comparison_per_territory: PositiveInt = 46
    effect_mean: float = 0.14
    effect_chronic_extra: float = 1.2
    dropout: Share = 0.10
    start_date: IsoDate = "2017-02-01"
    followup_date: IsoDate = "2018-06-01"
    selection_chronic: float = 3.0
    trend_mean: float = 0.3
    trend_chronic: float = -0.4
    effect_sd: Annotated[float, Field(ge=0)] = 0.3
    person_shock_sd: Annotated[float, Field(ge=0)] = 0.6
    measurement_sd: Annotated[float, Field(ge=0)] = 0.6
    dimension_weights: dict[str, Annotated[float, Field(ge=0)]] = {
        "economic": 0.8,
        "housing": 0.6,
        "employment": 0.9,
        "health": 0.5,
        "personal": 1.3,
        "relational": 1.2,
        "self_perception": 1.4,
    }
    improved_min_change: float = 0.5
    professionals_per_territory: PositiveInt = 12
    agree_professionals: Share = 0.84
    agree_users: Share = 0.89
    admin_log_hr: float = 0.2
    admin_log_hr_chronic: float = 0.3
    ceas_sd: Annotated[float, Field(ge=0)] = 0.3
    assessor_sd: Annotated[float, Field(ge=0)] = 0.2
    ceas_pilot_only: bool = True


class Synthetic(Section):
    n_persons: PositiveInt = 20000
    start_date: IsoDate = "2011-01-01"
    noise: Noise = Noise()
    effects: Effects = Effects()
    rgc: Rgc = Rgc()
    services: Services = Services()
    pilot: SyntheticPilot = SyntheticPilot()


# --------------------------------------------------------------------------------------------------
# linkage, evaluation, disclosure, warehouse
# --------------------------------------------------------------------------------------------------
class LinkageSpark(Section):
    """A local Spark session (``linkage.backend: spark`` without a cluster session; the warehouse on Spark)."""

    master: str = "local[2]"
    driver_memory: str = Field(default="2g", pattern=r"^\d+[kmgt]$")
    shuffle_partitions: PositiveInt = 4
    checkpoint_dir: str = ""  # Splink's intermediate tables; empty: a temporary folder (local only)


class Linkage(Section):
    threshold: Annotated[float, Field(gt=0, lt=1)] = 0.9
    max_pairs_em: PositiveInt = 2_000_000
    backend: Literal["duckdb", "spark"] = "duckdb"
    duckdb_memory_limit: str = Field(default="4GB", pattern=r"^\d+(\.\d+)?\s*[KMGT]i?B$")
    spark: LinkageSpark = LinkageSpark()


#: Risks of bias a verdict can carry ("supported with reservations" when one applies).
RiskOfBias = Literal[
    "unblinded_assessors", "late_baselines", "respondents_only", "selection", "own_programme"
]


class ClaimRule(Section):
    """The decision rule of one published claim of the pilot (written after an earlier version of the
    results had been seen: post hoc, and said so in the report).

    ``effect`` claims: supported when the 95% interval lies above 0 and reaches ``target`` (the claimed
    size or the smallest effect of interest, per quantity when a dict), contradicted when the interval
    lies below ``target``, otherwise inconclusive; a claim about several quantities holds when all do and
    is contradicted when one is. ``share`` claims: the claimed share (``claim_*``) less ``tolerance``
    is the threshold; supported when the interval lies above it, contradicted below it.
    """

    definition: str
    kind: Literal["effect", "share"]
    target: Positive | dict[str, Positive] | None = None
    tolerance: Share = 0.05
    risk_of_bias: list[RiskOfBias] = []


def _default_claims() -> dict[str, ClaimRule]:
    both: list[RiskOfBias] = ["unblinded_assessors", "late_baselines"]
    compared: list[RiskOfBias] = [
        *both,
        "selection",
    ]  # against a comparison group chosen without randomisation
    return {
        "all_areas": ClaimRule(
            definition="effect on the change of each living dimension",
            kind="effect",
            target=0.5,
            risk_of_bias=compared,
        ),
        "empowerment": ClaimRule(
            definition="effect on personal and self-perception minus effect on the other five",
            kind="effect",
            target=0.25,
            risk_of_bias=compared,
        ),
        "chronic": ClaimRule(
            definition="treated x chronicity in the ANCOVA of the follow-up score",
            kind="effect",
            target=0.5,
            risk_of_bias=compared,
        ),
        "professionals": ClaimRule(
            definition="professionals rating usefulness and relevance 4+",
            kind="share",
            risk_of_bias=["own_programme"],
        ),
        "users": ClaimRule(
            definition="users rating usefulness and relevance 4+",
            kind="share",
            risk_of_bias=["respondents_only"],
        ),
        "improved": ClaimRule(
            definition="participants whose mean living score rose by improved_change or more",
            kind="share",
            risk_of_bias=both,
        ),
        "employment": ClaimRule(
            definition="effect on leaving the benefit within 12 months and on days employed",
            kind="effect",
            target={"exit_12m": 0.05, "days_employed": 15.0},
            risk_of_bias=["selection"],
        ),
    }


class Evaluation(Section):
    pilot_start: IsoDate = "2017-02-01"
    mdtse_method: Literal["ipw", "psm"] = "ipw"
    admin_method: Literal["ipw", "psm"] = "ipw"
    imputations: PositiveInt = 20
    claim_improved: Share = 0.65
    claim_users: Share = 0.89
    claim_professionals: Share = 0.84
    improved_change: Positive = 0.5
    claims: dict[str, ClaimRule] = Field(default_factory=_default_claims)


class Disclosure(Section):
    min_cell: Annotated[int, Field(ge=1)] = 10


class CommunityAction(Section):
    description: str
    situations: Annotated[list[str], Field(min_length=1)]
    min_situations: PositiveInt = 1
    min_age: Annotated[int, Field(ge=0, le=120)] = 18
    max_age: Annotated[int, Field(ge=0, le=120)] = 120

    @model_validator(mode="after")
    def _consistent(self) -> CommunityAction:
        if self.min_age > self.max_age:
            raise ValueError("min_age must not exceed max_age")
        if self.min_situations > len(self.situations):
            raise ValueError("min_situations exceeds the number of listed situations")
        return self


def _default_actions() -> dict[str, CommunityAction]:
    return {
        "EMPLOYMENT_WORKSHOP": CommunityAction(
            description="group employment-orientation and training workshops",
            situations=["NO_WORK_24M", "LONG_UNEMPLOYMENT", "DISABILITY_NO_WORK"],
            min_age=18,
            max_age=64,
        ),
        "FAMILY_SUPPORT_GROUP": CommunityAction(
            description="support groups and childcare for lone parents and large families on minimum income",
            situations=["LONE_PARENT_NO_INCOME", "LARGE_FAMILY_RGC"],
        ),
        "COMMUNITY_NETWORK": CommunityAction(
            description="neighbourhood and volunteer networks against isolation, outreach to persons unknown to CEAS",
            situations=["OLDER_ALONE", "NGO_ONLY"],
        ),
        "INTENSIVE_ACCOMPANIMENT": CommunityAction(
            description="group sessions of the person-centred model for persons long on minimum income with "
            "repeated needs",
            situations=["LONG_RGC", "RGC_REENTRY", "REPEATED_EMERGENCY_AID", "HIGH_SERVICE_USE"],
            min_situations=2,
            max_age=64,
        ),
    }


class Warehouse(Section):
    reference_date: Annotated[str, BeforeValidator(_as_text), AfterValidator(_iso_date_or_extraction)] = (
        "extraction_date"
    )
    duckdb_memory_limit: str = Field(default="4GB", pattern=r"^\d+(\.\d+)?\s*[KMGT]i?B$")
    community_actions: dict[str, CommunityAction] = Field(default_factory=_default_actions)


# --------------------------------------------------------------------------------------------------
# profiles, chronicity, alerts, spending
# --------------------------------------------------------------------------------------------------
class Profiles(Section):
    k_max: Annotated[int, Field(ge=2, le=20)] = 8
    min_class_share: Annotated[float, Field(ge=0, lt=0.5)] = 0.05
    k_criterion: Literal["bic", "sabic"] = "bic"
    n_init: PositiveInt = 200
    initial_iter: Annotated[int, Field(ge=0)] = 20
    final_starts: PositiveInt = 20
    max_starts: PositiveInt = 2000
    selection_sample: PositiveInt = 6000
    bootstrap: Annotated[int, Field(ge=0)] = 50
    bootstrap_sample: PositiveInt = 3000
    ceiling_folds: Annotated[int, Field(ge=2)] = 5
    validation_sample: PositiveInt = 50000
    pathways_sample: PositiveInt = 1500
    pathway_types: Annotated[list[Annotated[int, Field(ge=2)]], Field(min_length=1)] = [3, 4, 5, 6, 7, 8]

    @model_validator(mode="after")
    def _two_stages(self) -> Profiles:
        if self.initial_iter and self.final_starts >= self.n_init:
            raise ValueError("final_starts must be fewer than n_init (or initial_iter 0: one stage)")
        if self.max_starts < self.n_init:
            raise ValueError("max_starts must be at least n_init")
        return self


class Boosting(Section):
    max_iter: PositiveInt = 200
    learning_rate: Annotated[float, Field(gt=0, le=1)] = 0.05
    max_depth: PositiveInt = 3
    min_samples_leaf: PositiveInt = 40


class Chronicity(Section):
    merge_gap_months: Annotated[float, Field(ge=0)] = 1
    observation_start: IsoDate | None = None
    landmark_month: Annotated[int, Field(ge=0)] = 3
    horizon_month: PositiveInt = 24
    history_months: PositiveInt = 24
    develop_before: IsoDate = "2014-01-01"
    outcome: Literal["receiving", "same_spell", "sanction_as_chronic"] = "receiving"
    recalibrate_before: IsoDate = "2015-01-01"
    alert_share: Annotated[float, Field(gt=0, lt=1)] = 0.15
    validated_slope: Annotated[list[Positive], Field(min_length=2, max_length=2)] = [0.8, 1.2]
    validated_min_events: Annotated[int, Field(ge=1)] = 100
    validated_level: Annotated[float, Field(gt=0, lt=1)] = 0.95
    models: Annotated[list[Literal["cox", "logistic", "boosting"]], Field(min_length=1)] = [
        "cox",
        "logistic",
        "boosting",
    ]
    chosen_model: Literal["cox", "logistic", "boosting"] = "logistic"
    logistic_C: Literal["cv"] | Positive = "cv"  # noqa: N815 (the key as written in params.yaml)
    cox_penalizer: Annotated[float, Field(ge=0)] = 0.01
    boosting: Boosting = Boosting()
    bootstrap: Annotated[int, Field(ge=0)] = 200
    landmarks: Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=1)] = [3, 6, 9, 12, 15, 18, 21]
    exclude_predictors: list[str] = ["foreign", "female"]
    ph_cut_months: Positive = 12

    @model_validator(mode="after")
    def _consistent(self) -> Chronicity:
        if self.chosen_model not in self.models:
            raise ValueError(f"chosen_model {self.chosen_model!r} is not among models {self.models}")
        if self.landmark_month >= self.horizon_month:
            raise ValueError("landmark_month must be before horizon_month")
        if max(self.landmarks) >= self.horizon_month:
            raise ValueError("every landmark must be before horizon_month")
        if self.recalibrate_before <= self.develop_before:
            raise ValueError("recalibrate_before must be after develop_before")
        return self


class Interventions(Section):
    work: str = "EMPLOYMENT_ITINERARY"
    training: str = "TRAINING"
    services: str = "INCLUSION_PLAN"


class Alerts(Section):
    top_k: PositiveInt | None = None
    n_reasons: Annotated[int, Field(ge=1, le=10)] = 3
    bootstrap: Annotated[int, Field(ge=0)] = 50
    interventions: Interventions = Interventions()
    default_intervention: str = "CASE_REVIEW"


class EffectDefault(Section):
    estimate: Annotated[float, Field(ge=-1, le=1)] = 0.05
    ci_low: Annotated[float, Field(ge=-1, le=1)] = -0.05
    ci_high: Annotated[float, Field(ge=-1, le=1)] = 0.15

    @model_validator(mode="after")
    def _ordered(self) -> EffectDefault:
        if not self.ci_low <= self.estimate <= self.ci_high:
            raise ValueError("expected ci_low <= estimate <= ci_high")
        return self


class Spending(Section):
    price_year: Annotated[int, Field(ge=2000, le=2100)] = 2018
    cost_per_case_eur: Positive = 1700
    cost_per_case_range: Range = [1000, 3500]
    discount_rate: Annotated[float, Field(ge=0, lt=1)] = 0.03
    discount_rate_range: Range = [0.0, 0.06]
    horizon_years: Annotated[int, Field(ge=1, le=30)] = 5
    months_to_exit: Annotated[float, Field(ge=0)] = 6
    months_to_exit_range: Range = [3, 12]
    reentry_share: Share = 0.33
    reentry_share_range: Range = [0.2, 0.5]
    chronic_months: PositiveInt = 24
    draws: PositiveInt = 2000
    model_draws: PositiveInt = 200
    backtest_months: Annotated[int, Field(ge=1, le=120)] = 24
    backtest_origins: Annotated[int, Field(ge=1, le=12)] = 4
    backtest_step_months: Annotated[int, Field(ge=1, le=24)] = 6
    backtest_min_history_months: Annotated[int, Field(ge=6, le=120)] = 24
    effect_default: EffectDefault = EffectDefault()

    @model_validator(mode="after")
    def _ranges(self) -> Spending:
        for key in (
            "cost_per_case_range",
            "discount_rate_range",
            "reentry_share_range",
            "months_to_exit_range",
        ):
            _ordered(getattr(self, key), key)
        return self


# --------------------------------------------------------------------------------------------------
# The whole file
# --------------------------------------------------------------------------------------------------
class Params(Section):
    """Every parameter of the study, as ``params.yaml`` writes it (see the comments there)."""

    seed: Annotated[int, Field(ge=0)] = 20151101
    data: Data = Data()
    synthetic: Synthetic = Synthetic()
    linkage: Linkage = Linkage()
    evaluation: Evaluation = Evaluation()
    disclosure: Disclosure = Disclosure()
    warehouse: Warehouse = Warehouse()
    profiles: Profiles = Profiles()
    chronicity: Chronicity = Chronicity()
    alerts: Alerts = Alerts()
    spending: Spending = Spending()


#: Keys that live elsewhere, with where: said when one is found in the wrong place.
MOVED = {
    "alerts.threshold": "the alert threshold is set by chronicity.alert_share (one model and one threshold "
    "for the report and the alerts)",
    "chronicity.alert_threshold": "the threshold is no longer written by hand: chronicity.alert_share sets it "
    "on the recalibration cohort",
    "alerts.landmarks": "the landmarks are chronicity.landmarks",
    "alerts.exclude_predictors": "excluded predictors are chronicity.exclude_predictors",
    "alerts.feedback_dir": "case managers' responses are read from data/feedback (no longer a parameter)",
}


def _key(loc: tuple[Any, ...]) -> str:
    """``('alerts', 'n_reasonz')`` -> ``alerts.n_reasonz`` (pydantic's type tags left out)."""
    parts = [str(p) for p in loc if not (isinstance(p, str) and ("[" in p or p in {"function-after"}))]
    return ".".join(parts) or "(top level)"


def _message(error: dict[str, Any]) -> str:
    key = _key(tuple(error.get("loc", ())))
    if error.get("type") == "extra_forbidden":
        section = key.rsplit(".", 1)[0] if "." in key else "the top level"
        return f"unknown key {key} ({MOVED.get(key) or f'not a parameter of {section}: misspelt?'})"
    given = error.get("input")
    shown = "" if isinstance(given, dict | list) else f" (got {given!r})"
    return f"{key}: {error.get('msg', 'invalid value')}{shown}"


def validate_params(raw: Any, source: str = "params.yaml") -> dict[str, Any]:
    """Validate parameters and return them as a plain dict with every default filled in.

    Parameters
    ----------
    raw : mapping or None
        The parameters as read from YAML (``None`` or ``{}``: every default).
    source : str
        Where they came from, for the message.

    Returns
    -------
    dict
        :meth:`Params.model_dump` of the validated parameters.

    Raises
    ------
    StageError
        On an unknown key, a wrong type or an out-of-range value, naming every offending key.
    """
    if raw is not None and not isinstance(raw, dict):
        raise StageError(f"{source}: expected a mapping of sections, found {type(raw).__name__}")
    try:
        model = Params.model_validate(raw or {})
    except ValidationError as err:
        lines = [_message(e) for e in err.errors()]
        raise StageError(f"{source}: {'; '.join(lines)}") from None
    return model.model_dump()


def load_params(path: str | Path | None = None) -> dict[str, Any]:
    """Read and validate ``params.yaml`` (:func:`validate_params`).

    Parameters
    ----------
    path : path, optional
        Parameters file; defaults to the project's ``params.yaml``.

    Returns
    -------
    dict
        The validated parameters with every default filled in.
    """
    from pact_analysis.paths import Paths

    path = Path(path or Paths().params)
    try:
        with open(path, encoding="utf-8") as fh:
            raw = yaml.safe_load(fh)
    except FileNotFoundError:
        raise StageError(f"{path}: no parameters file") from None
    except yaml.YAMLError as err:
        raise StageError(f"{path}: not valid YAML ({err})") from None
    return validate_params(raw, path.name)


def defaults() -> dict[str, Any]:
    """Every parameter at its default (the values of a ``params.yaml`` with nothing in it)."""
    return Params().model_dump()
