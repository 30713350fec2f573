"""What the ``alerts`` stage writes: the lists for case managers, the model's specification and the
run's figures, and reading them back for the report.

:func:`case_lists` ranks the alerted recipients within their CEAS with their reasons and suggested
intervention in both languages (words from the catalogues, through :mod:`pact_analysis.labels`) and
their last feedback; :func:`write_lists` writes one CSV per CEAS. Pseudonymous keys only: no name,
document, birth date or address.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from pact_analysis import chronicity as ch
from pact_analysis import labels
from pact_analysis.alerts.factors import AVERAGE_PROFILE, FACTORS
from pact_analysis.io import atomic_dir, write_json
from pact_analysis.paths import Paths

#: The headline figures of ``metrics/alerts.json``: they depend on the threshold (``chronicity.alert_share``), so
#: ``dvc metrics diff`` shows what a new threshold moves. Every figure is in ``summary.json``.
HEADLINES = (
    "threshold",
    "recipients_scored",
    "alerts",
    "alert_share",
    "ppv",
    "sensitivity",
)
#: Columns of ``scores.parquet`` besides the reasons and the model's inputs (groups for the report).
SCORE_COLUMNS = ["person_key", "ceas_code", "province_code", "sex", "nationality", "disability",
                 "months_on_spell", "months_on_spell_now", "scored_landmark", "risk", "risk_lower",
                 "risk_upper", "alert", "intervention"]  # fmt: skip
#: Columns of the lists for case managers, in order.
LIST_COLUMNS = [
    "scoring_date", "ceas_code", "province_code", "person_key", "rank", "months_on_rgc",
    "scored_landmark", "risk", "risk_lower", "risk_upper",
]  # fmt: skip


def _list_columns(n: int) -> list[str]:
    reasons = [
        f"reason_{i}{s}"
        for i in range(1, n + 1)
        for s in ("", "_direction", "_modifiable", "_role", "_logit")
    ]
    reasons += ["lever", "lever_logit"]
    tail = ["reasons_es", "reasons_en", "intervention", "intervention_es", "intervention_en"]
    return [*LIST_COLUMNS, *reasons, *tail, "last_feedback", "last_feedback_date"]


def describe_reasons(reasons: pd.DataFrame, n: int, lang: str) -> pd.Series:
    """The reasons as one readable line per person in ``lang`` (catalogue ``alerts.factor.*``).

    Parameters
    ----------
    reasons : DataFrame
        ``reason_<i>``, ``reason_<i>_direction`` and ``reason_<i>_modifiable`` for ``i`` in 1..n
        (:func:`~pact_analysis.alerts.scoring.top_reasons`).
    n : int
        Reasons per person.
    lang : str
        Language of the catalogue.

    Returns
    -------
    Series
        Indexed like ``reasons``: the reasons joined by ``"; "``, each labelled lever or context.
    """
    lever, context = labels.text("alerts.role.lever", lang), labels.text("alerts.role.context", lang)

    def line(row: pd.Series) -> str:
        parts = []
        for i in range(1, n + 1):
            factor = row[f"reason_{i}"]
            if not isinstance(factor, str):
                continue
            key = f"alerts.factor.{factor}" + (
                f".{row[f'reason_{i}_direction']}" if factor != AVERAGE_PROFILE else ""
            )
            role = {"lever": lever, "context": context}.get(row.get(f"reason_{i}_role"))
            parts.append(labels.text(key, lang) + (f" ({role})" if role else ""))
        return "; ".join(parts)

    return reasons.apply(line, axis=1)


def intervention_label(codes: pd.Series, lang: str) -> pd.Series:
    """The intervention in words (catalogue ``alerts.value.<code>``).

    Parameters
    ----------
    codes : Series
        Intervention codes.
    lang : str
        Language of the catalogue.
    """
    return codes.map(lambda c: labels.text(f"alerts.value.{c}", lang))


def case_lists(scores: pd.DataFrame, feedback: pd.DataFrame, n_reasons: int) -> pd.DataFrame:
    """The alerted recipients as the case managers' lists: rank within CEAS, reasons and
    intervention in both languages, and the person's last feedback (columns of :func:`_list_columns`).
    """
    alerts = scores.loc[scores["alert"]].sort_values(
        ["ceas_code", "risk", "person_key"], ascending=[True, False, True]
    )
    alerts = alerts.assign(
        rank=alerts.groupby("ceas_code").cumcount() + 1,
        months_on_rgc=alerts.get("months_on_spell_now", alerts["months_on_spell"]).round(1),
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


def score_table(result: Mapping[str, Any]) -> pd.DataFrame:
    """Every current recipient scored, for the report's counts (never given to case managers).

    Parameters
    ----------
    result : mapping
        :func:`~pact_analysis.alerts.scoring.score`.

    Returns
    -------
    DataFrame
        :data:`SCORE_COLUMNS`, the reasons and the model's inputs.
    """
    scores = result["scores"]
    reasons = [c for c in scores if c.startswith(("reason_", "lever"))]
    keep = [*SCORE_COLUMNS, *reasons, *result["model"].features]
    return scores[list(dict.fromkeys(keep))]


def write_outputs(
    folder: Path,
    result: Mapping[str, Any],
    lists: pd.DataFrame,
    feedback: pd.DataFrame,
    cfg: Mapping[str, Any],
    summary: Mapping[str, Any],
) -> int:
    """Write everything the stage keeps to ``folder`` atomically; return the number of lists.

    ``lists/<ceas_code>.csv`` (:func:`write_lists`), ``scores.parquet`` (:func:`score_table`),
    ``coefficients.parquet`` (:func:`coefficient_table`),
    ``thresholds.parquet``, ``feedback.parquet``, ``intervention_record.parquet``
    (:func:`intervention_record`), ``model.json`` (:func:`model_summary`) and ``summary.json``
    (:func:`run_summary`).

    Parameters
    ----------
    folder : Path
        The stage's folder (``Paths.alerts``), replaced as a whole.
    result : mapping
        :func:`~pact_analysis.alerts.scoring.score`.
    lists : DataFrame
        :func:`case_lists`.
    feedback : DataFrame
        :func:`~pact_analysis.alerts.feedback.feedback_outcomes`.
    cfg : mapping
        :func:`~pact_analysis.alerts.params.alerts_params`.
    summary : mapping
        :func:`run_summary`.
    """
    with atomic_dir(folder) as tmp:
        n_lists = write_lists(lists, result["ceas"]["ceas_code"].dropna().unique(), tmp / "lists")
        score_table(result).to_parquet(tmp / "scores.parquet", index=False)
        coefficient_table(result["model"]).to_parquet(tmp / "coefficients.parquet")
        result["thresholds"].to_parquet(tmp / "thresholds.parquet")
        feedback.to_parquet(tmp / "feedback.parquet", index=False)
        intervention_record(result["scores"], feedback).to_parquet(
            tmp / "intervention_record.parquet", index=False
        )
        (tmp / "model.json").write_text(json.dumps(model_summary(result, cfg), indent=2, default=str) + "\n")
        write_json(tmp / "summary.json", summary)
    return n_lists


def intervention_record(scores: pd.DataFrame, feedback: pd.DataFrame) -> pd.DataFrame:
    """Who was alerted and who was acted on, so that a later model can account for the intervention
    its alerts caused (an alerted person who leaves may have left because of the support).

    Parameters
    ----------
    scores : DataFrame
        Every recipient scored (``person_key``, ``scoring_date``, ``scored_landmark``, ``risk``, ``alert``).
    feedback : DataFrame
        The case managers' responses (``person_key``, ``date``, ``response``).

    Returns
    -------
    DataFrame
        One row per scored person: ``person_key``, ``scoring_date``, ``scored_landmark``, ``risk``,
        ``alert``, ``acted`` (a response ``acted`` recorded for the person), ``last_response`` and
        ``last_response_date``; pseudonymous, never published.
    """
    cols = ["person_key", "scoring_date", "scored_landmark", "risk", "alert"]
    out = scores[[c for c in cols if c in scores]].copy()
    if len(feedback):
        last = feedback.sort_values("date").drop_duplicates("person_key", keep="last").set_index("person_key")
        acted = feedback.loc[feedback["response"] == "acted", "person_key"]
        out["acted"] = out["person_key"].isin(set(acted))
        out["last_response"] = out["person_key"].map(last["response"])
        out["last_response_date"] = out["person_key"].map(last["date"])
    else:
        out["acted"], out["last_response"], out["last_response_date"] = False, None, pd.NaT
    return out.reset_index(drop=True)


def coefficient_table(model: ch.LinearModel) -> pd.DataFrame:
    """The full model specification (:meth:`pact_analysis.chronicity.LinearModel.table`) with each
    predictor's factor ``kind`` and whether it is ``modifiable``."""
    table = model.table()
    factors = [ch.factor_of(f) for f in table.index]
    table.insert(0, "kind", [FACTORS[f].kind if f in FACTORS else None for f in factors])
    table.insert(1, "modifiable", [FACTORS[f].modifiable if f in FACTORS else None for f in factors])
    return table


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


def run_summary(
    result: Mapping[str, Any], rates: Mapping[str, Any], cfg: Mapping[str, Any]
) -> dict[str, Any]:
    """Every figure of a run: counts, threshold and what it does on the later cohorts, groups, feedback.

    Written to ``summary.json`` of the stage's folder; :func:`headline_metrics` picks those of
    ``metrics/alerts.json`` (the model's validation is in the chronicity stage's results).

    Parameters
    ----------
    result : mapping
        :func:`~pact_analysis.alerts.scoring.score`.
    rates : mapping
        :func:`~pact_analysis.alerts.feedback.feedback_rates`.
    cfg : mapping
        :func:`~pact_analysis.alerts.params.alerts_params`.
    """
    scores, model = result["scores"], result["model"]
    alerted = scores.loc[scores["alert"]]
    chosen = result["thresholds"].loc[float(cfg["threshold"])]
    return {
        "scoring_date": str(scores["scoring_date"].iloc[0].date()) if len(scores) else None,
        "threshold": float(cfg["threshold"]),
        "top_k": cfg["top_k"],
        "excluded_predictors": list(cfg["exclude_predictors"]),
        "recipients_scored": int(len(scores)),
        "alerts": int(len(alerted)),
        "alert_share": float(len(alerted) / len(scores)) if len(scores) else None,
        "ppv": _number(chosen["ppv"]),
        "sensitivity": _number(chosen["sensitivity"]),
        "validation_alert_rate": _number(chosen["alert_rate"]),
        "ceas_lists": int(result["ceas"]["ceas_code"].nunique()),
        "ceas_with_alerts": int(alerted["ceas_code"].nunique()),
        "alerts_by_province": {
            str(k): int(v) for k, v in alerted["province_code"].value_counts().sort_index().items()
        },
        "top_reason": {str(k): int(v) for k, v in alerted["reason_1"].value_counts().sort_index().items()},
        "interventions": {
            str(k): int(v) for k, v in alerted["intervention"].value_counts().sort_index().items()
        },
        "actionable_share": actionable_share(alerted),
        "actionable_share_flagged": actionable_share(scores.loc[scores["risk"] >= float(cfg["threshold"])]),
        "lever_share": lever_share(alerted),
        "lever_share_flagged": lever_share(scores.loc[scores["risk"] >= float(cfg["threshold"])]),
        "months_on_spell_of_alerted": {
            "median": float(alerted["months_on_spell_now"].median()) if len(alerted) else None,
        },
        "recalibration": list(model.recalibration),
        **result.get("deployment", {}),
        "override_rate": rates.get("override_rate"),
        "feedback": dict(rates),
    }


def actionable_share(rows: pd.DataFrame) -> float | None:
    """Share of ``rows`` (alerts) with an actionable reason: a lever among the reasons shown
    (``reason_<i>_role`` of :func:`~pact_analysis.alerts.scoring.top_reasons`); ``None`` without rows."""
    roles = [c for c in rows if c.startswith("reason_") and c.endswith("_role")]
    if not len(rows) or not roles:
        return None
    return float(rows[roles].eq("lever").any(axis=1).mean())


def lever_share(rows: pd.DataFrame) -> float | None:
    """Share of ``rows`` with a lever that raises the risk at all (shown or not: column ``lever`` of
    :func:`~pact_analysis.alerts.scoring.top_lever`); ``None`` without rows."""
    if not len(rows) or "lever" not in rows:
        return None
    return float(rows["lever"].notna().mean())


def _number(value: Any) -> float | None:
    """A float for JSON: ``None`` for a missing value."""
    return None if value is None or math.isnan(float(value)) else float(value)


def headline_metrics(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The figures of ``metrics/alerts.json`` (:data:`HEADLINES`) from :func:`run_summary`.

    Parameters
    ----------
    summary : mapping
        :func:`run_summary`.
    """
    return {k: summary[k] for k in HEADLINES}


def read_outputs(paths: Paths | str | Path) -> dict[str, Any]:
    """Read what the stage wrote in ``Paths.alerts`` (for the report).

    Parameters
    ----------
    paths : Paths or path
        Project paths (or the project root).

    Returns
    -------
    dict
        ``scores``, ``coefficients``, ``thresholds``, ``feedback`` (DataFrames),
        ``model`` (:func:`model_summary`), ``summary`` (:func:`run_summary`) and ``lists`` (the CSV
        files).
    """
    folder = (paths if isinstance(paths, Paths) else Paths(paths)).alerts
    out: dict[str, Any] = {
        name: pd.read_parquet(folder / f"{name}.parquet")
        for name in ("scores", "coefficients", "thresholds", "feedback")
    }
    out["model"] = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    out["summary"] = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    out["lists"] = sorted((folder / "lists").glob("*.csv"))
    return out
