"""The pilot's claims: shares with Wilson intervals, agreement, reliable improvement, and a verdict per claim."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from pact_analysis.disclosure import protect
from pact_analysis.pilot.data import LIVING


def wilson(successes: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval of a share (statsmodels)."""
    if n == 0:
        return (np.nan, np.nan)
    low, high = proportion_confint(successes, n, alpha=alpha, method="wilson")
    return float(low), float(high)


def share_table(flags: pd.Series, by: pd.Series, claim: float | None = None) -> pd.DataFrame:
    """Share of ``True`` per group and overall with Wilson intervals, and whether a claim is inside.

    Returns
    -------
    DataFrame
        Per group and ``TOTAL``: ``n``, ``agree`` (True), ``disagree`` (False), ``share``, ``ci_low``,
        ``ci_high`` and, with a ``claim``, ``claim_inside``. Both counts are given because a share
        publishes both (``derived`` columns of :func:`pact_analysis.disclosure.protect`).
    """
    frame = pd.DataFrame({"flag": flags.astype(bool).to_numpy(), "by": by.to_numpy()})
    parts = [g for _, g in frame.groupby("by", sort=True)] + [frame]
    names = [*sorted(frame["by"].unique()), "TOTAL"]
    rows = []
    for name, part in zip(names, parts, strict=True):
        low, high = wilson(int(part["flag"].sum()), len(part))
        rows.append(
            {
                "group": name,
                "n": len(part),
                "agree": int(part["flag"].sum()),
                "disagree": int((~part["flag"]).sum()),
                "share": part["flag"].mean(),
                "ci_low": low,
                "ci_high": high,
            }
        )
    out = pd.DataFrame(rows).set_index("group")
    if claim is not None:
        out["claim_inside"] = (out["ci_low"] <= claim) & (claim <= out["ci_high"])
    return out


def agreement(surveys: pd.DataFrame, respondent: str, claim: float) -> pd.DataFrame:
    """Agreement (``useful`` and ``relevant`` both 4+ on 1-5) of one respondent type by territory."""
    part = surveys.loc[surveys["respondent_type"] == respondent]
    agree = (part["useful"] >= 4) & (part["relevant"] >= 4)
    return share_table(agree, part["territory"], claim)


def suppressed_rows(
    table: pd.DataFrame, min_cell: int, counts: list[str], additive: bool = True
) -> pd.Series:
    """Rows of which the report suppresses at least one count (:func:`pact_analysis.disclosure.protect`).

    The same call as the report framework's ``table`` (same counts, same ``additive``), so the rows
    are exactly those published with a :data:`~pact_analysis.disclosure.SUPPRESSED` count.
    """
    return protect(table, min_cell, columns=counts, additive=additive).mask.any(axis=1)


def cronbach_alpha(items: pd.DataFrame) -> float:
    """Cronbach's alpha of the columns (internal consistency)."""
    items = items.dropna()
    k = items.shape[1]
    return float(k / (k - 1) * (1 - items.var(ddof=1).sum() / items.sum(axis=1).var(ddof=1)))


def reliable_improvement(
    change: pd.Series, baseline_sd: float, reliability: float, z: float = 1.96
) -> pd.Series:
    """Jacobson-Truax reliable change: improved when ``change / (SD sqrt(2) sqrt(1 - r)) > z``."""
    se_diff = baseline_sd * np.sqrt(2.0) * np.sqrt(1.0 - reliability)
    return change / se_diff > z


def interval_verdict(effect: dict[str, Any]) -> str:
    """Return the verdict of a claim judged on an interval: above 0, below 0, or not answerable.

    Parameters
    ----------
    effect : dict
        ``ci_low`` and ``ci_high`` of the effect (:meth:`Effect.as_dict`).

    Returns
    -------
    str
        ``"supported"`` when the interval lies above 0, ``"not_supported"`` below 0, otherwise
        ``"not_answerable"``.
    """
    if effect["ci_low"] > 0:
        return "supported"
    return "not_supported" if effect["ci_high"] < 0 else "not_answerable"


def verdicts(result: dict[str, Any], cfg: dict[str, Any]) -> pd.DataFrame:
    """A plain verdict per claim of the pilot: supported, not supported, or not answerable.

    "Above all empowerment and motivation" claims that those dimensions (:data:`EMPOWERMENT`)
    improved *more* than the others: it is judged on the difference in differences of the gap between
    their mean change and the mean change of the other five dimensions (``empowerment_gap``), with
    its interval, not on which dimension ranks first. "The most chronic benefited most" is judged on
    the interaction's interval.
    """
    did = result["did"]
    living = did.loc[list(LIVING)]
    holm = multipletests(living["p_value"], method="holm")[1]
    all_areas = bool(((living["ci_low"] > 0).all()) and (holm < 0.05).all())
    some = int((holm < 0.05).sum())
    top = did.loc[list(LIVING) + ["self_perception"], "estimate"].idxmax()
    gap = result["empowerment_gap"]
    het = result["heterogeneity"]
    users, pros = result["agree_users"].loc["TOTAL"], result["agree_professionals"].loc["TOTAL"]
    imp = result["improved"]
    pilot_share = imp.loc["PILOT"] if "PILOT" in imp.index else None
    admin = result["admin"]
    rows = [
        ("all_areas", "supported" if all_areas else "not_supported", {"k": some}),
        ("empowerment", interval_verdict(gap), {"top": top}),
        ("chronic", interval_verdict(het), {}),
        ("professionals", "supported" if pros["claim_inside"] else "not_supported", {}),
        ("users", "supported" if users["claim_inside"] else "not_supported", {}),
        (
            "improved",
            "not_supported"
            if pilot_share is None or pilot_share["ci_high"] < cfg["claim_improved"]
            else "supported",
            {},
        ),
        (
            "employment",
            "supported"
            if admin.loc["days_employed", "ci_low"] > 0 or admin.loc["exit_12m", "ci_low"] > 0
            else "not_answerable",
            {},
        ),
    ]
    return pd.DataFrame([{"claim": c, "verdict": v} | extra for c, v, extra in rows]).set_index("claim")
