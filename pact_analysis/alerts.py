"""The ``alerts`` stage: lists for case managers of the current recipients at risk of chronicity.

Reads ``data/processed`` (persons known only by ``person_key``) and the case managers' feedback in
``data/feedback/``, and writes ``data/alerts/``:

- ``lists/<ceas_code>.csv``: one list per CEAS (a header-only file when a CEAS has no alert), for the
  case managers' system, which holds the key to re-identify. Per person: the calibrated risk of still
  receiving the minimum income (RGC) at month ``chronicity.horizon_month`` of the spell, with a
  bootstrap interval; the factors that raised it most (per-person contributions on the logit scale),
  each marked modifiable or not; the suggested kind of proactive intervention; the last feedback.
  Pseudonymous keys only: no name, document, birth date or address.
- ``scores.parquet``: every current recipient scored (with sex, nationality group and disability, for
  the report's group counts; never given to case managers);
- ``coefficients.parquet``, ``group_calibration.parquet``, ``thresholds.parquet``, ``model.json``:
  the full model specification and what it does on the later cohorts, for the report;
- ``feedback.parquet``: each review read from ``data/feedback/`` with the person's later RGC status.

(They live in ``data/alerts`` rather than ``data/processed/alerts``: ``data/processed`` is the ``link``
stage's output, and DVC cannot give one folder to two stages.)

**The model.** The chronicity model of report ``03_chronicity``, defined once in
:mod:`pact_analysis.chronicity`: the predictors of :func:`~pact_analysis.chronicity.predictors` (the
protected characteristics of ``chronicity.exclude_predictors`` excluded and audited instead), trained
on the stacked landmarks of :func:`~pact_analysis.chronicity.landmark_stack` and recalibrated on the
later cohorts (:func:`~pact_analysis.chronicity.fit_deployed_model`); the alert threshold is
``chronicity.alert_threshold``, the one the report's decision curve and fairness audit use. The
model's validation is the report's; this stage scores today's recipients, explains and lists.

**Reasons.** For a logistic model the logit is ``reference + sum_j b_j (x_j - mean_j)`` with the
development means as reference, so each term (a feature with its interaction with the time on the
spell) is the factor's contribution for that person; the factors with the largest positive
contributions are the reasons. Factor metadata (kind, modifiable,
protected) are defined once, in :data:`FACTORS`; protected factors are never shown as reasons.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pact_analysis import chronicity as ch
from pact_analysis.config import Paths
from pact_analysis.errors import StageError
from pact_analysis.io import atomic_dir, write_json

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Factor:
    """What a case manager is told about a predictor.

    Parameters
    ----------
    kind : str
        ``work``, ``training``, ``services`` (modifiable), ``personal``, ``household``, ``history``,
        ``spell`` or ``protected``.
    modifiable : bool
        Whether proactive work can change it.
    """

    kind: str
    modifiable: bool

    @property
    def protected(self) -> bool:
        """A protected characteristic: never a reason shown to case managers."""
        return self.kind == "protected"


_WORK, _TRAINING, _SERVICES = Factor("work", True), Factor("training", True), Factor("services", True)
#: Every predictor the alerts may use, with its kind; labels are ``alerts.factor.<name>.high|low``.
FACTORS: dict[str, Factor] = {
    "age_per_decade": Factor("personal", False),
    "disability": Factor("personal", False),
    "female": Factor("protected", False),
    "foreign": Factor("protected", False),
    "low_education": _TRAINING,
    "lone_parent": Factor("household", False),
    "household_size": Factor("household", False),
    "prior_imi": Factor("history", False),
    "prior_spells": Factor("history", False),
    "years_before": Factor("history", False),
    "months_on_spell": Factor("spell", False),
    "recent_employment": _WORK,
    "contract_since_start": _WORK,
    "contracts_before": _WORK,
    "services_before": _SERVICES,
    **{f"svc_{code.lower()}": _SERVICES for code in ch.PROVISIONS},
    "ngo_before": _SERVICES,
}
#: Reason code when no factor raises the risk above the average recipient's.
AVERAGE_PROFILE = "average_profile"
#: Feedback responses a case manager may record (``disagree`` is an override).
RESPONSES = ("agree", "disagree", "acted")
#: Columns of a feedback file.
FEEDBACK_COLUMNS = ("person_key", "date", "response")
#: Default parameters of the ``alerts`` section of params.yaml.
DEFAULTS: dict[str, Any] = {
    "top_k": None,
    "n_reasons": 3,
    "bootstrap": 50,
    "feedback_dir": "data/feedback",
    "interventions": {"work": "EMPLOYMENT_ITINERARY", "training": "TRAINING", "services": "INCLUSION_PLAN"},
    "default_intervention": "CASE_REVIEW",
}
#: Group columns the report compares alerts with recipients on.
GROUPS = ("sex", "nationality", "disability")


def alerts_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return the ``alerts`` parameters with :data:`DEFAULTS` filled in, plus the model's
    ``threshold``, ``landmarks`` and ``exclude_predictors`` from the ``chronicity`` section (defined
    there once: the report validates and audits the same model at the same threshold)."""
    params = dict(params or {})
    chron = ch.chronicity_params(params)
    model = {
        "threshold": float(chron["alert_threshold"]),
        "landmarks": [float(m) for m in chron["landmarks"]],
        "exclude_predictors": list(chron["exclude_predictors"]),
    }
    given = dict(params.get("alerts") or {})
    misplaced = sorted(set(given) & set(model))
    if misplaced:
        raise StageError(
            f"params.yaml: alerts.{misplaced[0]} is set in the chronicity section (alert_threshold, "
            "landmarks, exclude_predictors): one model and one threshold for the report and the alerts"
        )
    return {**DEFAULTS, **given, **model}


def check_factors(params: Mapping[str, Any] | None) -> list[str]:
    """The model's factors (:func:`pact_analysis.chronicity.predictors` grouped by
    :func:`~pact_analysis.chronicity.factor_of`), each with an entry in :data:`FACTORS`.

    Raises
    ------
    StageError
        If a factor has no entry in :data:`FACTORS` (it could not be explained to a case manager).
    """
    factors = list(dict.fromkeys(ch.factor_of(f) for f in ch.predictors(params)))
    unknown = [f for f in factors if f not in FACTORS]
    if unknown:
        raise StageError(f"alerts: no factor metadata for {unknown}; add them to alerts.FACTORS")
    return factors


# --------------------------------------------------------------------------------------------------
# The model's uncertainty and what it does on the later cohorts
# --------------------------------------------------------------------------------------------------


def bootstrap_risk(
    stack: pd.DataFrame,
    current: pd.DataFrame,
    model: ch.LinearModel,
    params: Mapping[str, Any] | None,
    n_boot: int,
    seed: int = 0,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Percentile interval of each current recipient's risk: refit and recalibrate on resampled persons.

    Persons (all their spells and landmarks) are resampled; the penalty is held at ``model.C``.

    Returns
    -------
    DataFrame
        Indexed like ``current``: ``risk_lower``, ``risk_upper`` (NaN when ``n_boot`` is 0).
    """
    if not n_boot or current.empty:
        return pd.DataFrame({"risk_lower": np.nan, "risk_upper": np.nan}, index=current.index)
    rng = np.random.default_rng(seed)
    codes, persons = pd.factorize(stack["person_key"])
    members = pd.Series(np.arange(len(stack))).groupby(codes).apply(np.asarray).to_list()
    draws = []
    for _ in range(int(n_boot)):
        idx = np.concatenate([members[i] for i in rng.integers(0, len(persons), len(persons))])
        sample = stack.iloc[idx]
        if sample.loc[sample["split"] == "develop", "still"].nunique() < 2:
            continue
        draws.append(ch.fit_deployed_model(sample, params, seed, c=model.C).risk(current))
    low, high = np.quantile(np.vstack(draws), [alpha / 2, 1 - alpha / 2], axis=0)
    return pd.DataFrame({"risk_lower": low, "risk_upper": high}, index=current.index)


def group_calibration(
    stack: pd.DataFrame, model: ch.LinearModel, threshold: float, groups: Sequence[str] = GROUPS
) -> pd.DataFrame:
    """Observed and predicted shares still receiving, and alert rates, by group on the later cohorts.

    Returns
    -------
    DataFrame
        ``group``, ``value``, ``n``, ``observed``, ``predicted``, ``alert_rate``.
    """
    val = stack.loc[stack["split"] == "validate"].assign(p=lambda d: model.risk(d))
    rows = []
    for group in groups:
        table = ch.fairness_audit(val, "still", "p", group, threshold=threshold, n_boot=0)
        table = table.reset_index(names="value").assign(group=group)
        rows.append(table[["group", "value", "n", "observed", "predicted", "alert_rate"]])
    return pd.concat(rows, ignore_index=True)


def threshold_table(stack: pd.DataFrame, model: ch.LinearModel, thresholds: Sequence[float]) -> pd.DataFrame:
    """What each candidate threshold would have done on the later cohorts (all landmarks).

    Returns
    -------
    DataFrame
        Indexed by ``threshold``: ``alert_rate`` (share flagged), ``ppv`` (share of the flagged still
        receiving at the horizon) and ``sensitivity`` (share of those still receiving who were flagged).
    """
    val = stack.loc[stack["split"] == "validate"]
    risk, still = model.risk(val), val["still"].to_numpy(bool)
    rows = []
    for t in thresholds:
        flag = risk >= t
        rows.append(
            {
                "threshold": float(t),
                "alert_rate": flag.mean() if len(flag) else np.nan,
                "ppv": still[flag].mean() if flag.any() else np.nan,
                "sensitivity": flag[still].mean() if still.any() else np.nan,
            }
        )
    return pd.DataFrame(rows).set_index("threshold")


# --------------------------------------------------------------------------------------------------
# Alerts: selection, reasons, interventions
# --------------------------------------------------------------------------------------------------


def select_alerts(
    scores: pd.DataFrame, threshold: float | None, top_k: int | None = None, by: str = "ceas_code"
) -> pd.Series:
    """Which recipients get an alert: risk at or above ``threshold``, at most ``top_k`` per ``by``.

    Parameters
    ----------
    scores : DataFrame
        ``risk``, ``person_key`` and ``by``.
    threshold : float or None
        Minimum risk (``None``: no minimum, pure top-k).
    top_k : int or None
        The most a CEAS can attend (highest risk first, ties by ``person_key``); ``None``: no cap.

    Returns
    -------
    Series of bool
        Indexed like ``scores``.
    """
    chosen = pd.Series(True, index=scores.index) if threshold is None else scores["risk"] >= float(threshold)
    if top_k is not None:
        order = scores.loc[chosen].sort_values(["risk", "person_key"], ascending=[False, True])
        rank = order.groupby(by, dropna=False).cumcount()
        chosen = pd.Series(scores.index.isin(rank.index[rank < int(top_k)]), index=scores.index)
    return chosen


def shown_factors(features: Sequence[str]) -> list[str]:
    """The features that may be shown as reasons (protected characteristics never are)."""
    return [f for f in features if not FACTORS[f].protected]


def top_reasons(contrib: pd.DataFrame, frame: pd.DataFrame, model: ch.LinearModel, n: int) -> pd.DataFrame:
    """The ``n`` shown factors with the largest positive contributions per person.

    ``contrib`` holds one column per factor (:meth:`pact_analysis.chronicity.LinearModel.factor_contributions`).

    Returns
    -------
    DataFrame
        Indexed like ``contrib``: per ``i`` in 1..n ``reason_i`` (factor, or
        :data:`AVERAGE_PROFILE` for the first when no factor raises the risk), ``reason_i_direction``
        (``high``/``low``: the person's value against the reference), ``reason_i_modifiable``,
        ``reason_i_logit`` (contribution).
    """
    shown = shown_factors(contrib.columns)
    values = contrib[shown].to_numpy(float)
    order = np.argsort(-values, axis=1, kind="stable")[:, :n]
    above = frame[shown].to_numpy(float) > model.mean[shown].to_numpy()
    out = pd.DataFrame(index=contrib.index)
    rows = np.arange(len(contrib))
    for i in range(n):
        col, value = order[:, i], values[rows, order[:, i]]
        positive = value > 0
        names = np.where(positive, np.asarray(shown, dtype=object)[col], None)
        if i == 0:
            names = np.where(positive, names, AVERAGE_PROFILE)
        out[f"reason_{i + 1}"] = names
        out[f"reason_{i + 1}_direction"] = np.where(positive, np.where(above[rows, col], "high", "low"), None)
        out[f"reason_{i + 1}_modifiable"] = pd.array(
            [FACTORS[f].modifiable if f in FACTORS else None for f in names], dtype="boolean"
        )
        out[f"reason_{i + 1}_logit"] = np.where(positive, value, np.nan)
    return out


def interventions(
    contrib: pd.DataFrame, model: ch.LinearModel, rules: Mapping[str, str], default: str
) -> pd.Series:
    """The suggested proactive intervention: the rule for the top modifiable factor that raised the
    risk (by factor name, else by its kind), else ``default``.

    Returns
    -------
    Series
        The intervention code per person (``alerts.interventions`` of params.yaml).
    """
    modifiable = [f for f in shown_factors(contrib.columns) if FACTORS[f].modifiable]
    values = contrib[modifiable]
    raised = (values > 0).any(axis=1)
    top = values.idxmax(axis=1).where(raised) if len(modifiable) else pd.Series(np.nan, index=contrib.index)
    return top.map(
        lambda f: rules.get(f, rules.get(FACTORS[f].kind, default)) if isinstance(f, str) else default
    )


def describe_reasons(reasons: pd.DataFrame, n: int, lang: str) -> pd.Series:
    """The reasons as one readable line per person in ``lang`` (catalogue ``alerts.factor.*``)."""
    from pact_analysis.report import i18n

    modifiable = i18n.t("alerts.modifiable", lang)

    def line(row: pd.Series) -> str:
        parts = []
        for i in range(1, n + 1):
            factor = row[f"reason_{i}"]
            if not isinstance(factor, str):
                continue
            key = f"alerts.factor.{factor}" + (
                f".{row[f'reason_{i}_direction']}" if factor != AVERAGE_PROFILE else ""
            )
            parts.append(
                i18n.t(key, lang) + (f" ({modifiable})" if row[f"reason_{i}_modifiable"] is True else "")
            )
        return "; ".join(parts)

    return reasons.apply(line, axis=1)


def intervention_label(codes: pd.Series, lang: str) -> pd.Series:
    """The intervention in words (``alerts.value.<code>``)."""
    from pact_analysis.report import i18n

    return codes.map(lambda c: i18n.t(f"alerts.value.{c}", lang))


# --------------------------------------------------------------------------------------------------
# Feedback
# --------------------------------------------------------------------------------------------------


def read_feedback(folder: Path) -> pd.DataFrame:
    """Read every ``*.csv`` of the feedback folder (``person_key``, ``date``, ``response``).

    Raises
    ------
    StageError
        Naming the file and rows of a missing column, a date that is not a date or a response not in
        :data:`RESPONSES`.

    Returns
    -------
    DataFrame
        ``person_key``, ``date`` (Timestamp), ``response``, ``file``; one row per review.
    """
    frames = []
    for path in sorted(Path(folder).glob("*.csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        missing = [c for c in FEEDBACK_COLUMNS if c not in frame]
        if missing:
            raise StageError(
                f"feedback {path.name}: missing columns {missing} (needs {list(FEEDBACK_COLUMNS)})"
            )
        frame = frame[list(FEEDBACK_COLUMNS)].assign(file=path.name)
        frame["response"] = frame["response"].str.strip().str.lower()
        frame["date"] = pd.to_datetime(frame["date"].str.strip(), errors="coerce", format="%Y-%m-%d")
        bad = frame.index[
            ~frame["response"].isin(RESPONSES) | frame["date"].isna() | (frame["person_key"] == "")
        ]
        if len(bad):
            rows = ", ".join(str(i + 2) for i in bad[:10])
            raise StageError(
                f"feedback {path.name}: rows {rows} need a person_key, a date YYYY-MM-DD and a response "
                f"in {list(RESPONSES)}"
            )
        frames.append(frame)
    if not frames:
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in [*FEEDBACK_COLUMNS, "file"]})
        return empty.astype({"date": "datetime64[ns]"})
    return pd.concat(frames, ignore_index=True).sort_values(["date", "person_key"], ignore_index=True)


def feedback_outcomes(feedback: pd.DataFrame, spells: pd.DataFrame) -> pd.DataFrame:
    """What became of each reviewed person: the RGC status at the extraction date of the spell they
    were on when reviewed.

    Returns
    -------
    DataFrame
        The feedback rows with ``ceas_code``, ``later_status`` (``still_receiving``, an exit cause, or
        ``no_spell_at_review``) and ``months_to_exit`` (from the review; NaN when still receiving).
    """
    cols = ["person_key", "ceas_code", "start_date", "exit_date", "event", "cause"]
    m = feedback.reset_index().merge(spells[cols], on="person_key", how="left")
    m = m.loc[m["start_date"].isna() | ((m["start_date"] <= m["date"]) & (m["exit_date"] >= m["date"]))]
    m = m.sort_values("start_date").drop_duplicates("index", keep="last").set_index("index")
    out = feedback.join(m[["ceas_code", "exit_date", "event", "cause"]])
    status = np.where(out["event"].astype("boolean").fillna(False), out["cause"], "still_receiving")
    out["later_status"] = np.where(out["exit_date"].isna(), "no_spell_at_review", status)
    out["months_to_exit"] = np.where(
        out["later_status"].isin([*ch.CAUSES, *set(spells["cause"]) - {"censored"}]),
        (pd.to_datetime(out["exit_date"]) - pd.to_datetime(out["date"])).dt.days / ch.DAYS_PER_MONTH,
        np.nan,
    )
    return out.drop(columns=["exit_date", "event", "cause"])


def feedback_rates(feedback: pd.DataFrame) -> dict[str, Any]:
    """Counts of reviews per response, the override rate (share ``disagree``) and the acted rate."""
    n = int(len(feedback))
    counts = {r: int((feedback["response"] == r).sum()) for r in RESPONSES}
    return {
        "reviews": n,
        **counts,
        "override_rate": counts["disagree"] / n if n else None,
        "acted_rate": counts["acted"] / n if n else None,
    }


def synthetic_feedback(
    spells: pd.DataFrame,
    date: str,
    seed: int = 0,
    shares: Mapping[str, float] | None = None,
    size: int | None = None,
) -> pd.DataFrame:
    """Invented reviews of heads on the RGC at ``date`` (for tests and demonstrations only).

    Parameters
    ----------
    spells : DataFrame
        :func:`pact_analysis.chronicity.build_spells`.
    date : str
        Review date; the heads of spells open that day are reviewed.
    seed : int
        Random seed.
    shares : mapping, optional
        Share of each response (default 50% agree, 30% disagree, 20% acted).
    size : int, optional
        Reviews to draw (default every head on the RGC that day).
    """
    day = pd.Timestamp(date)
    on = spells.loc[
        (spells["start_date"] <= day) & (spells["exit_date"] >= day), "person_key"
    ].drop_duplicates()
    rng = np.random.default_rng(seed)
    keys = on.sample(n=min(size or len(on), len(on)), random_state=seed).sort_values()
    shares = dict(shares or {"agree": 0.5, "disagree": 0.3, "acted": 0.2})
    p = np.array(list(shares.values()), dtype=float)
    response = rng.choice(list(shares), size=len(keys), p=p / p.sum())
    return pd.DataFrame(
        {"person_key": keys.to_numpy(), "date": day.strftime("%Y-%m-%d"), "response": response}
    )


# --------------------------------------------------------------------------------------------------
# The stage
# --------------------------------------------------------------------------------------------------

#: Columns of the lists for case managers, in order.
LIST_COLUMNS = [
    "scoring_date", "ceas_code", "province_code", "person_key", "rank", "months_on_rgc",
    "risk", "risk_lower", "risk_upper",
]  # fmt: skip


def _list_columns(n: int) -> list[str]:
    reasons = [f"reason_{i}{s}" for i in range(1, n + 1) for s in ("", "_direction", "_modifiable", "_logit")]
    tail = ["reasons_es", "reasons_en", "intervention", "intervention_es", "intervention_en"]
    return [*LIST_COLUMNS, *reasons, *tail, "last_feedback", "last_feedback_date"]


def score(
    processed: str | Path | Mapping[str, pd.DataFrame], params: Mapping[str, Any], n_boot: int | None = None
) -> dict[str, Any]:
    """Fit, validate and score: everything the stage writes, in memory.

    Parameters
    ----------
    processed : path or mapping
        ``data/processed`` or its tables (``ceas`` included).
    params : mapping
        Project parameters.
    n_boot : int, optional
        Bootstrap refits of the risk intervals (default ``alerts.bootstrap``).

    Returns
    -------
    dict
        ``scores`` (every current recipient: risk, interval, alert, reasons, intervention, groups),
        ``model`` (:class:`pact_analysis.chronicity.LinearModel`), ``group_calibration``,
        ``thresholds``, ``stack_sizes``, ``spells``, ``ceas``.
    """
    cfg = alerts_params(params)
    check_factors(params)
    seed = int(params.get("seed", 0))
    n_boot = int(cfg["bootstrap"] if n_boot is None else n_boot)
    tables = ch.load_tables(processed, ch.SCORING_TABLES)
    spells = ch.build_spells(tables, params)
    stack = ch.landmark_stack(spells, tables, params)
    model = ch.fit_deployed_model(stack, params, seed)
    current = ch.current_recipients(spells, tables, params, stack.attrs["medians"])
    current["risk"] = model.risk(current)
    current = current.join(bootstrap_risk(stack, current, model, params, n_boot, seed))
    ceas = tables["ceas"].set_index("ceas_code")
    current["province_code"] = (
        current["ceas_code"].map(ceas["province_code"]).fillna(current["province_code"])
    )
    current["alert"] = select_alerts(current, cfg["threshold"], cfg["top_k"])
    contrib = model.factor_contributions(current)
    current = current.join(top_reasons(contrib, current, model, int(cfg["n_reasons"])))
    current["intervention"] = interventions(contrib, model, cfg["interventions"], cfg["default_intervention"])
    candidates = sorted({0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, float(cfg["threshold"])})
    return {
        "scores": current,
        "model": model,
        "group_calibration": group_calibration(stack, model, float(cfg["threshold"])),
        "thresholds": threshold_table(stack, model, candidates).join(current_share(current, candidates)),
        "stack_sizes": stack.groupby("split").agg(
            rows=("still", "size"), still=("still", "sum"), persons=("person_key", "nunique")
        ),
        "spells": spells,
        "ceas": tables["ceas"],
    }


def current_share(current: pd.DataFrame, thresholds: Sequence[float]) -> pd.DataFrame:
    """Today's recipients each candidate threshold would alert: ``current_alerts`` and their share."""
    counts = [int((current["risk"] >= t).sum()) for t in thresholds]
    return pd.DataFrame(
        {"current_alerts": counts, "current_share": np.divide(counts, max(len(current), 1))},
        index=pd.Index([float(t) for t in thresholds], name="threshold"),
    )


def case_lists(scores: pd.DataFrame, feedback: pd.DataFrame, n_reasons: int) -> pd.DataFrame:
    """The alerted recipients as the case managers' lists: rank within CEAS, reasons and
    intervention in both languages, and the person's last feedback (columns of :func:`_list_columns`).
    """
    alerts = scores.loc[scores["alert"]].sort_values(
        ["ceas_code", "risk", "person_key"], ascending=[True, False, True]
    )
    alerts = alerts.assign(
        rank=alerts.groupby("ceas_code").cumcount() + 1,
        months_on_rgc=alerts["months_on_spell"].round(1),
        scoring_date=alerts["scoring_date"].dt.strftime("%Y-%m-%d"),
    )
    reasons = alerts[[c for c in alerts if c.startswith("reason_")]]
    for lang in ("es", "en"):
        alerts[f"reasons_{lang}"] = describe_reasons(reasons, n_reasons, lang) if len(alerts) else []
        alerts[f"intervention_{lang}"] = intervention_label(alerts["intervention"], lang)
    last = feedback.sort_values("date").drop_duplicates("person_key", keep="last").set_index("person_key")
    alerts["last_feedback"] = alerts["person_key"].map(last["response"]) if len(last) else None
    dates = last["date"].dt.strftime("%Y-%m-%d") if len(last) else pd.Series(dtype=object)
    alerts["last_feedback_date"] = alerts["person_key"].map(dates)
    out = alerts[_list_columns(n_reasons)].reset_index(drop=True)
    decimals = [c for c in out if c.startswith("risk") or c.endswith("_logit")]
    out[decimals] = out[decimals].round(3)
    return out


def write_lists(lists: pd.DataFrame, ceas_codes: Sequence[str], folder: Path) -> int:
    """Write ``<ceas_code>.csv`` for every CEAS (header only when it has no alert); return the count."""
    folder.mkdir(parents=True, exist_ok=True)
    for code in sorted(ceas_codes):
        lists.loc[lists["ceas_code"] == code].to_csv(folder / f"{code}.csv", index=False)
    return len(ceas_codes)


def coefficient_table(model: ch.LinearModel) -> pd.DataFrame:
    """The full model specification (:meth:`pact_analysis.chronicity.LinearModel.table`) with each
    predictor's factor ``kind`` and whether it is ``modifiable``."""
    table = model.table()
    factors = [ch.factor_of(f) for f in table.index]
    table.insert(0, "kind", [FACTORS[f].kind if f in FACTORS else None for f in factors])
    table.insert(1, "modifiable", [FACTORS[f].modifiable if f in FACTORS else None for f in factors])
    return table


def stage_metrics(
    result: Mapping[str, Any], rates: Mapping[str, Any], cfg: Mapping[str, Any]
) -> dict[str, Any]:
    """Counts and threshold of a run (``metrics/alerts.json``; the validation is in ``chronicity.json``)."""
    scores, model = result["scores"], result["model"]
    alerted = scores.loc[scores["alert"]]
    return {
        "scoring_date": str(scores["scoring_date"].iloc[0].date()) if len(scores) else None,
        "threshold": float(cfg["threshold"]),
        "top_k": cfg["top_k"],
        "excluded_predictors": list(cfg["exclude_predictors"]),
        "recipients_scored": int(len(scores)),
        "alerts": int(len(alerted)),
        "alert_share": float(len(alerted) / len(scores)) if len(scores) else None,
        "ceas_lists": int(result["ceas"]["ceas_code"].nunique()),
        "ceas_with_alerts": int(alerted["ceas_code"].nunique()),
        "alerts_by_province": {
            str(k): int(v) for k, v in alerted["province_code"].value_counts().sort_index().items()
        },
        "top_reason": {str(k): int(v) for k, v in alerted["reason_1"].value_counts().sort_index().items()},
        "interventions": {
            str(k): int(v) for k, v in alerted["intervention"].value_counts().sort_index().items()
        },
        "months_on_spell_of_alerted": {
            "median": float(alerted["months_on_spell"].median()) if len(alerted) else None,
        },
        "recalibration": list(model.recalibration),
        "feedback": dict(rates),
    }


def model_summary(result: Mapping[str, Any], cfg: Mapping[str, Any]) -> dict[str, Any]:
    """What the report needs besides the tables: parameters, penalty and sizes."""
    model = result["model"]
    return {
        "threshold": float(cfg["threshold"]),
        "top_k": cfg["top_k"],
        "landmarks": list(cfg["landmarks"]),
        "excluded_predictors": list(cfg["exclude_predictors"]),
        "n_reasons": int(cfg["n_reasons"]),
        "bootstrap": int(cfg["bootstrap"]),
        "C": model.C,
        "recalibration": list(model.recalibration),
        "sizes": result["stack_sizes"].reset_index().to_dict(orient="records"),
    }


def feedback_folder(paths: Paths, params: Mapping[str, Any]) -> Path:
    """The folder case managers put their feedback files in (``alerts.feedback_dir``)."""
    return paths.root / alerts_params(params)["feedback_dir"]


def run(paths: Paths, params: dict[str, Any]) -> None:
    """The ``alerts`` stage (see the module docstring).

    Parameters
    ----------
    paths : Paths
        Project paths.
    params : dict
        Reads ``seed``, ``data.extraction_date``, ``synthetic.start_date``, ``chronicity`` and ``alerts``.
    """
    cfg = alerts_params(params)
    result = score(paths.processed, params)
    feedback = feedback_outcomes(read_feedback(feedback_folder(paths, params)), result["spells"])
    lists = case_lists(result["scores"], feedback, int(cfg["n_reasons"]))
    keep = ["person_key", "ceas_code", "province_code", "sex", "nationality", "disability", "months_on_spell",
            "risk", "risk_lower", "risk_upper", "alert", "intervention"]  # fmt: skip
    keep += [c for c in result["scores"] if c.startswith("reason_")] + result["model"].features
    with atomic_dir(paths.root / "data" / "alerts") as tmp:
        n_lists = write_lists(lists, result["ceas"]["ceas_code"].dropna().unique(), tmp / "lists")
        result["scores"][list(dict.fromkeys(keep))].to_parquet(tmp / "scores.parquet", index=False)
        coefficient_table(result["model"]).to_parquet(tmp / "coefficients.parquet")
        result["group_calibration"].to_parquet(tmp / "group_calibration.parquet", index=False)
        result["thresholds"].to_parquet(tmp / "thresholds.parquet")
        feedback.to_parquet(tmp / "feedback.parquet", index=False)
        (tmp / "model.json").write_text(json.dumps(model_summary(result, cfg), indent=2, default=str) + "\n")
    metrics = stage_metrics(result, feedback_rates(feedback), cfg)
    write_json(paths.metrics / "alerts.json", metrics)
    log.info(
        "alerts: %d recipients scored, %d alerts in %d lists",
        metrics["recipients_scored"],
        metrics["alerts"],
        n_lists,
    )


# --------------------------------------------------------------------------------------------------
# Tables for the report (counts only, never persons)
# --------------------------------------------------------------------------------------------------


def share_table(scores: pd.DataFrame, by: str, min_cell: int) -> pd.DataFrame:
    """Heads scored and alerts per category of ``by``, with shares shown only where both counts are
    publishable (a share of a suppressed count would reveal it).

    Returns
    -------
    DataFrame
        Indexed by ``by``: ``scored``, ``alerts``, ``alert_share``, ``share_of_recipients``,
        ``share_of_alerts``.
    """
    from pact_analysis import disclosure

    table = scores.groupby(by, dropna=False, observed=True).agg(
        scored=("alert", "size"), alerts=("alert", "sum")
    )
    masked = disclosure.protect(table, min_cell, ["scored", "alerts"]).mask.any(axis=1)
    shares = pd.DataFrame(
        {
            "alert_share": table["alerts"] / table["scored"],
            "share_of_recipients": table["scored"] / table["scored"].sum(),
            "share_of_alerts": table["alerts"] / max(int(table["alerts"].sum()), 1),
        }
    )
    return table.join(shares.mask(masked))


def reason_counts(scores: pd.DataFrame, n_reasons: int) -> pd.DataFrame:
    """How many alerts show each factor (with its direction) among their reasons.

    Returns
    -------
    DataFrame
        Indexed by ``reason`` (``<factor>.<high|low>`` or :data:`AVERAGE_PROFILE`), sorted by count:
        ``alerts``, ``share_of_alerts``, ``modifiable``, ``kind``.
    """
    alerted = scores.loc[scores["alert"]]
    keys = []
    for i in range(1, n_reasons + 1):
        factor, direction = alerted[f"reason_{i}"], alerted[f"reason_{i}_direction"]
        keys.append((factor + "." + direction.fillna("")).str.rstrip(".").dropna())
    counts = pd.concat(keys).value_counts().rename("alerts").rename_axis("reason").to_frame()
    factor = counts.index.str.split(".").str[0]
    counts["share_of_alerts"] = counts["alerts"] / max(len(alerted), 1)
    counts["modifiable"] = [FACTORS[f].modifiable if f in FACTORS else False for f in factor]
    counts["kind"] = [FACTORS[f].kind if f in FACTORS else "spell" for f in factor]
    return counts.sort_values(["alerts", "share_of_alerts"], ascending=False, kind="stable")


def feedback_tables(feedback: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Reviews by response, and response x later RGC status (counts)."""
    responses = feedback["response"].value_counts().reindex(list(RESPONSES), fill_value=0).rename("reviews")
    outcomes = pd.crosstab(feedback["response"], feedback["later_status"]).reindex(
        list(RESPONSES), fill_value=0
    )
    return {
        "responses": responses.rename_axis("response").to_frame(),
        "outcomes": outcomes.rename_axis("response"),
    }


def disability_label(scores: pd.DataFrame) -> pd.DataFrame:
    """``disability`` (0/1) as the report's categories ``with_disability`` / ``no_disability``."""
    return scores.assign(disability=np.where(scores["disability"] > 0, "with_disability", "no_disability"))


def read_outputs(root: Path) -> dict[str, Any]:
    """Read what the stage wrote in ``data/alerts`` (for the report)."""
    folder = Path(root) / "data" / "alerts"
    out: dict[str, Any] = {
        name: pd.read_parquet(folder / f"{name}.parquet")
        for name in ("scores", "coefficients", "group_calibration", "thresholds", "feedback")
    }
    out["model"] = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    out["lists"] = sorted((folder / "lists").glob("*.csv"))
    return out
