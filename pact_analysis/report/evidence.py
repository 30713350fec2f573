"""The index's sign-off slots: each report's main figures, with intervals and the strength of evidence.

Figures are read from the headline metrics (``metrics/<stage>.json``) that the stages write, never
recomputed. The keys of some stages are changing, so each slot names the keys it accepts, in order
(:data:`SLOTS`), and a value may be a number or an object with an estimate and its interval
(``estimate``/``value`` with ``ci_low``/``ci_lower``/``lower`` and ``ci_high``/``ci_upper``/``upper``).
A slot whose metric is absent says so ("not available on this run") rather than disappearing. Each
shown figure is recorded as the quantity ``<stage>.<key>``
(:mod:`pact_analysis.disclosure.quantities`), so a report that shows it with another value fails the
check.

Strength of evidence, from strongest: ``truth`` (validated against the synthetic region's known
truth), ``out_of_sample`` (measured on later cohorts not used to fit), ``quasi`` (a
quasi-experimental comparison, with its risk of bias), ``scenario`` (a projection under stated
assumptions, not an observation).
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pact_analysis.disclosure import quantities
from pact_analysis.paths import Paths
from pact_analysis.report import i18n
from pact_analysis.report.i18n import Number

ESTIMATE = ("estimate", "value", "point")
LOW = ("ci_low", "ci_lower", "lower", "low")
HIGH = ("ci_high", "ci_upper", "upper", "high")


@dataclass(frozen=True)
class Slot:
    """One figure of the index: stage, accepted metric keys (dotted for nested), format, evidence.

    ``kind`` is a :class:`pact_analysis.report.i18n.Number` kind, ``"eur"`` (euros, shown in whole thousands as the spending report says them) or ``"pp"``
    (a difference of probabilities shown in percentage points).
    """

    report: str
    stage: str
    keys: tuple[str, ...]
    label: str
    kind: str
    decimals: int
    evidence: str


#: The figures the index shows per report (label keys are ``index.slot.<label>``).
SLOTS = (
    Slot("01_record_linkage", "linkage", ("precision",), "link_precision", "pct", 2, "truth"),
    Slot("01_record_linkage", "linkage", ("recall",), "link_recall", "pct", 2, "truth"),
    Slot("02_profiles", "profiles", ("ari",), "profiles_ari", "num", 3, "truth"),
    Slot("02_profiles", "profiles", ("supervised_ceiling_ari",), "profiles_ceiling", "num", 3, "truth"),
    Slot("03_chronicity", "chronicity", ("c_index", "validation.c_index"), "c_index", "num", 3, "out_of_sample"),
    Slot("03_chronicity", "chronicity", ("deployed_auc",), "deployed_auc", "num", 3, "out_of_sample"),
    Slot(
        "03_chronicity", "chronicity", ("deployed_calibration_slope",), "deployed_slope", "num", 2,
        "out_of_sample",
    ),
    # the test cohort's figures at the threshold, with their intervals (the chronicity stage's)
    Slot("04_alerts", "chronicity", ("ppv",), "alerts_ppv", "pct", 1, "out_of_sample"),
    Slot("04_alerts", "chronicity", ("sensitivity",), "alerts_sensitivity", "pct", 1, "out_of_sample"),
    Slot(
        "05_pilot_evaluation", "pilot", ("exit_12m", "effect_exit_12m", "effect.exit_12m", "effect"),
        "pilot_effect", "pp", 1, "quasi",
    ),
    Slot("05_pilot_evaluation", "pilot", ("max_abs_smd",), "pilot_smd", "num", 3, "quasi"),
    Slot("06_spending", "spending", ("net_cost",), "net_cost", "eur", 0, "scenario"),
    Slot("06_spending", "spending", ("break_even_effect",), "break_even", "pp", 1, "scenario"),
)  # fmt: skip


def _dig(data: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def _first(data: dict[str, Any], names: tuple[str, ...]) -> float | None:
    for name in names:
        value = data.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None


def read_metric(
    metrics: Path, stage: str, keys: tuple[str, ...]
) -> tuple[str, float, float | None, float | None] | None:
    """Return ``(key, estimate, low, high)`` of the first of ``keys`` found in ``metrics/<stage>.json``.

    A number is an estimate, with the interval ``<key>_ci`` ([low, high]) when the file has one beside
    it; an object gives its estimate and, when present, its interval. Anything else (absent file, absent key, text) is ``None``: the slot says "not available".
    """
    path = Path(metrics) / f"{stage}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    for key in keys:
        value = _dig(data, key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            interval = _dig(data, f"{key}_ci")  # a headline's interval beside it: ``<key>_ci`` [low, high]
            if isinstance(interval, list) and len(interval) == 2 and None not in interval:
                return key, float(value), float(interval[0]), float(interval[1])
            return key, float(value), None, None
        if isinstance(value, dict):
            estimate = _first(value, ESTIMATE)
            if estimate is not None:
                return key, estimate, _first(value, LOW), _first(value, HIGH)
    return None


def _shown(value: float, slot: Slot, lang: str) -> str:
    if slot.kind == "eur":  # thousands, as the report says them; the sign first: −€8 thousand
        amount = i18n.t("common.euros_thousands", lang, amount=Number(abs(value) / 1e3, "num", 0))
        return f"−{amount}" if round(value / 1e3) < 0 else amount
    return Number(value, slot.kind, slot.decimals).format(lang)


def slot_html(paths: Paths, slot: Slot, lang: str) -> str:
    """One figure as a list item: label, estimate (interval), strength of evidence; recorded as a quantity."""
    label = html.escape(i18n.t(f"index.slot.{slot.label}", lang))
    strength = i18n.t(f"index.evidence.{slot.evidence}", lang)
    badge = f'<span class="evidence evidence-{slot.evidence}">{html.escape(strength)}</span>'
    found = read_metric(paths.metrics, slot.stage, slot.keys)
    if found is None:
        missing = html.escape(i18n.t("index.slot.missing", lang))
        return f'<li class="slot missing">{label}: {missing} {badge}</li>'
    key, estimate, low, high = found
    folder = paths.reports / "tables" / "index"
    shown = "keur:0" if slot.kind == "eur" else f"{slot.kind}:{slot.decimals}"  # as Report.quantity
    quantities.record(folder, lang, f"{slot.stage}.{key}", estimate, where="index", shown=shown)
    text = _shown(estimate, slot, lang)
    if low is not None and high is not None:
        text = i18n.t(
            "common.estimate_interval_scenario"
            if slot.evidence == "scenario"
            else "common.estimate_interval",
            lang,
            estimate=text,
            low=_shown(low, slot, lang),
            high=_shown(high, slot, lang),
        )
    return f'<li class="slot">{label}: <strong>{html.escape(text)}</strong> {badge}</li>'


def slots_html(paths: Paths, report: str, lang: str) -> str:
    """The figures of one report (``""`` when the index shows none for it)."""
    items = [slot_html(paths, s, lang) for s in SLOTS if s.report == report]
    return f'<ul class="slots">{"".join(items)}</ul>' if items else ""


def keys_read() -> dict[str, list[str]]:
    """Per stage, the metric keys the index accepts (for the lead and for the README)."""
    read: dict[str, list[str]] = {}
    for slot in SLOTS:
        read.setdefault(slot.stage, []).extend(slot.keys)
    return read
