"""The pilot's claims: shares with intervals, agreement, reliable improvement, and a verdict per claim.

A share of persons who sit in CEAS (participants, users of the pilot) has a cluster-robust interval:
CR2 with Bell-McCaffrey degrees of freedom (:func:`pact_analysis.pilot.inference.cr2`), formed on the
logit scale, since eight CEAS hold every participant and persons of one CEAS may be alike
(:func:`share_interval`). Respondents with no CEAS (professionals) keep the Wilson interval.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from pact_analysis.disclosure import protect
from pact_analysis.pilot.data import LIVING


def wilson(successes: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval of a share (statsmodels)."""
    if n == 0:
        return (np.nan, np.nan)
    low, high = proportion_confint(successes, n, alpha=alpha, method="wilson")
    return float(low), float(high)


#: Fewest clusters for a cluster-robust interval of a share (with fewer, CR2's degrees of freedom
#: collapse and the interval can be narrower than independence: Wilson instead).
MIN_CLUSTERS = 4


def share_interval(
    flags: np.ndarray, clusters: np.ndarray | None = None, alpha: float = 0.05
) -> tuple[float, float, str]:
    """Interval of a share: cluster-robust when the persons sit in enough clusters, else Wilson.

    When the persons are known to sit in :data:`MIN_CLUSTERS` clusters or more, the share's CR2
    standard error (the constant of a
    least-squares fit, :func:`~pact_analysis.pilot.inference.cr2`) is carried to the logit scale
    (delta method), where a *t* interval on the Bell-McCaffrey degrees of freedom is formed and
    transformed back: it stays inside (0, 1) and misses on the low side of a high share about as
    often as on the high side. A person without a cluster (missing) then counts as a cluster of
    their own. Otherwise (too few known clusters, none at all, a share of 0 or 1, or a CR2 error of
    0) the Wilson interval, never of zero width.

    Returns
    -------
    (float, float, str)
        Lower and upper bound, and ``"cr2"`` or ``"wilson"``.
    """
    from scipy import stats
    from scipy.special import expit, logit

    from pact_analysis.pilot.inference import cr2

    y = np.asarray(flags, float)
    share = float(y.mean()) if len(y) else np.nan
    if clusters is not None and 0 < share < 1:
        codes = pd.factorize(pd.Series(clusters, dtype=object))[0]
        known = int(codes.max()) + 1  # the clusters the persons are known to sit in
        alone = codes < 0  # a person without a cluster: a cluster of their own
        codes[alone] = known + np.arange(int(alone.sum()))
        if known >= MIN_CLUSTERS:
            fit = cr2(y, pd.DataFrame({"const": np.ones(len(y))}), np.ones(len(y)), codes)
            se, df = float(np.sqrt(fit.cov.iloc[0, 0])), float(fit.df.iloc[0])
            if se > 0 and np.isfinite(df):
                half = float(stats.t.ppf(1 - alpha / 2, df)) * se / (share * (1 - share))
                return float(expit(logit(share) - half)), float(expit(logit(share) + half)), "cr2"
    low, high = wilson(int(y.sum()), len(y), alpha)
    return low, high, "wilson"


def share_table(
    flags: pd.Series, by: pd.Series, claim: float | None = None, cluster: pd.Series | None = None
) -> pd.DataFrame:
    """Share of ``True`` per group and overall with intervals, and whether a claim is inside.

    Parameters
    ----------
    flags : Series
        One row per person: whether they count (agree, improved).
    by : Series
        Group of each row (arm, territory).
    claim : float, optional
        A claimed share.
    cluster : Series, optional
        CEAS of each row (missing where unknown: a cluster of its own): the interval is then
        :func:`share_interval`'s, cluster-robust where the group spans enough CEAS, else Wilson.

    Returns
    -------
    DataFrame
        Per group and ``TOTAL``: ``n``, ``agree`` (True), ``disagree`` (False), ``share``, ``ci_low``,
        ``ci_high``, ``interval`` (``cr2`` or ``wilson``) and, with a ``claim``, ``claim_inside``.
        Both counts are given because a share publishes both (``derived`` columns of
        :func:`pact_analysis.disclosure.protect`).
    """
    frame = pd.DataFrame({"flag": flags.astype(bool).to_numpy(), "by": by.to_numpy()})
    frame["cluster"] = None if cluster is None else cluster.to_numpy()
    parts = [g for _, g in frame.groupby("by", sort=True)] + [frame]
    names = [*sorted(frame["by"].unique()), "TOTAL"]
    rows = []
    for name, part in zip(names, parts, strict=True):
        clusters = None if cluster is None else part["cluster"].to_numpy()
        low, high, method = share_interval(part["flag"].to_numpy(), clusters)
        rows.append(
            {
                "group": name,
                "n": len(part),
                "agree": int(part["flag"].sum()),
                "disagree": int((~part["flag"]).sum()),
                "share": part["flag"].mean(),
                "ci_low": low,
                "ci_high": high,
                "interval": method,
            }
        )
    out = pd.DataFrame(rows).set_index("group")
    if claim is not None:
        out["claim_inside"] = (out["ci_low"] <= claim) & (claim <= out["ci_high"])
    return out


def agreement(
    surveys: pd.DataFrame, respondent: str, claim: float | None = None, ceas: pd.Series | None = None
) -> pd.DataFrame:
    """Agreement (``useful`` and ``relevant`` both 4+ on 1-5) of one respondent type by territory.

    ``ceas`` (CEAS by ``person_key``) gives users their CEAS, for the cluster-robust interval
    (:func:`share_table`); respondents without a ``person_key`` in it (professionals) have none.
    """
    part = surveys.loc[surveys["respondent_type"] == respondent]
    agree = (part["useful"] >= 4) & (part["relevant"] >= 4)
    cluster = None if ceas is None else part["person_key"].map(ceas)
    return share_table(agree, part["territory"], claim, cluster)


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


def interval_verdict(effect: dict[str, Any], target: float = 0.0) -> str:
    """Return the verdict of an effect claim from its 95% interval (the rule of :class:`ClaimRule`).

    Parameters
    ----------
    effect : dict
        ``ci_low`` and ``ci_high`` of the effect (:meth:`Effect.as_dict`).
    target : float
        The claimed size, or the smallest effect of interest (> 0, in the effect's units).

    Returns
    -------
    str
        ``"contradicted"`` when the interval lies below ``target`` (it excludes the claimed size),
        ``"supported"`` when it lies above 0 and reaches ``target``, otherwise ``"inconclusive"``: an
        interval that touches 0 is no evidence against the claim.
    """
    if effect["ci_high"] < target:
        return "contradicted"
    return "supported" if effect["ci_low"] > 0 else "inconclusive"


def size_verdict(ci_low: float, ci_high: float, threshold: float) -> str:
    """Return whether an interval shows a quantity to reach ``threshold``.

    ``"supported"`` when the whole interval lies at or above it (the size is shown),
    ``"contradicted"`` when the whole interval lies below it (the size is ruled out), otherwise
    ``"inconclusive"`` (the interval is too wide to tell: the threshold merely lying inside it is not
    support).
    """
    if not (np.isfinite(ci_low) and np.isfinite(ci_high)):
        return "inconclusive"  # an interval without one of its limits shows nothing
    if ci_high < threshold:
        return "contradicted"
    return "supported" if ci_low >= threshold else "inconclusive"


def share_verdict(ci_low: float, ci_high: float, claimed: float, tolerance: float) -> str:
    """Return the verdict of a claimed share ("84% agree") from the interval of the observed one:
    :func:`size_verdict` at ``claimed - tolerance``."""
    return size_verdict(ci_low, ci_high, claimed - tolerance)


def combined_verdict(parts: list[str]) -> str:
    """A claim about several quantities: contradicted if one is, supported if all are, else inconclusive."""
    if "contradicted" in parts:
        return "contradicted"
    return "supported" if all(p == "supported" for p in parts) else "inconclusive"


def with_reservations(verdict: str, risks: list[str]) -> str:
    """``"<verdict>_with_reservations"`` for a supported claim (or an effect shown) that carries a
    risk of bias."""
    shown = ("supported", "effect_shown", "within_tolerance")
    return f"{verdict}_with_reservations" if verdict in shown and risks else verdict


def effect_reading(verdict: str, ci_low: float, ci_high: float, target: float) -> str:
    """What an effect's verdict says its interval shows, in the verdict's own words.

    ``"effect_shown"`` for a supported effect whose lower limit is below ``target`` (an effect above
    0 is shown, one as large as the threshold is not); ``"threshold_ruled_out"`` for a contradicted
    effect whose interval includes 0 (the threshold is ruled out, not an effect); otherwise
    ``verdict`` unchanged.
    """
    if verdict == "supported" and ci_low < target:
        return "effect_shown"
    if verdict == "contradicted" and ci_low <= 0 <= ci_high:
        return "threshold_ruled_out"
    return verdict


def rule_text(rule: dict[str, Any], target: float) -> str:
    """The decision rule as a sentence (English, for ``metrics/pilot.json`` and the stored table)."""
    if rule["kind"] == "share":
        return (
            f"supported if the 95% interval (CR2 by CEAS; Wilson without CEAS) lies at or above "
            f"{target:.2f}; contradicted if it lies below; otherwise inconclusive"
        )
    return (
        f"supported if the 95% interval lies above 0 and reaches {target:g}; "
        f"contradicted if it lies below {target:g}; otherwise inconclusive"
    )


#: The estimates each effect claim is judged on: (result key, row or None for a dict result).
EFFECT_TERMS = {
    "all_areas": [("ancova", d) for d in LIVING],
    "empowerment": [("empowerment_gap", None)],
    "chronic": [("heterogeneity", None)],
    "employment": [("admin", "exit_12m"), ("admin", "days_employed")],
}
#: The share table and row each share claim is judged on, and its claimed share parameter.
SHARE_TERMS = {
    "professionals": ("agree_professionals", "TOTAL", "claim_professionals"),
    "users": ("agree_users", "TOTAL", "claim_users"),
    "improved": ("improved", "PILOT", "claim_improved"),
}
#: The counts published with a share (a row with one of them suppressed is not judged).
SHARE_COUNTS = ["n", "agree", "disagree"]
#: The rows of each share table that the report publishes: the two arms, each with all the pilot's
#: territories together, and the respondents of all territories together. By territory most counts
#: fall below the minimum cell (a dozen professionals and a few dissenting users per territory), so
#: a share is published, suppressed and judged at this level only: one decision per quantity.
PUBLISHED_ROWS = {
    "improved": ["COMPARISON", "PILOT"],
    "reliable_improved": ["COMPARISON", "PILOT"],
    "agree_users": ["TOTAL"],
    "agree_professionals": ["TOTAL"],
}


def published_shares(result: dict[str, Any], key: str) -> pd.DataFrame:
    """The rows of share table ``key`` that are published (:data:`PUBLISHED_ROWS`), in that order."""
    return result[key].loc[PUBLISHED_ROWS[key]]


def share_suppressed(result: dict[str, Any], key: str, row: str, min_cell: int) -> bool:
    """Whether the share of ``row`` of table ``key`` is suppressed: the one decision for that quantity.

    A row is decided on its own (:func:`suppressed_rows` of that row alone): it is suppressed exactly
    when one of its counts lies between 1 and ``min_cell - 1``, whichever other rows are published
    beside it. The report's table, its sentences and the verdict (:func:`share_claim`) all ask here.
    """
    if row not in PUBLISHED_ROWS[key]:
        raise KeyError(f"{key}: row {row!r} is not published (see PUBLISHED_ROWS)")
    return bool(suppressed_rows(result[key].loc[[row]], min_cell, SHARE_COUNTS).iloc[0])


def _term(result: dict[str, Any], key: str, row: str | None) -> dict[str, Any]:
    value = result[key]
    return dict(value) if row is None else value.loc[row].to_dict()


def effect_claim(result: dict[str, Any], claim: str, rule: dict[str, Any]) -> dict[str, Any]:
    """Judge one effect claim on each of its quantities; report the one that decides the verdict."""
    rows = []
    for key, row in EFFECT_TERMS[claim]:
        target = rule["target"][row] if isinstance(rule["target"], dict) else rule["target"]
        effect = _term(result, key, row)
        rows.append((row or key, effect, target, interval_verdict(effect, target)))
    verdict = combined_verdict([r[3] for r in rows])
    # the stricter reading: each quantity's whole interval at or above its threshold, not only reaching it
    at_size = combined_verdict([size_verdict(e["ci_low"], e["ci_high"], t) for _, e, t, _ in rows])
    order = {"contradicted": 0, "inconclusive": 1, "supported": 2}
    # the deciding quantity: a contradicted one, else an inconclusive one, else the weakest support
    term, effect, target, _ = min(rows, key=lambda r: (order[r[3]], r[1]["ci_low"] - r[2]))
    low, high = effect["ci_low"], effect["ci_high"]
    # "threshold ruled out, effect not" only when no contradicted quantity rules an effect out (an
    # interval below the threshold that excludes 0 shows the effect is not there, or is a harm)
    zero_kept = all(e["ci_low"] <= 0 <= e["ci_high"] for _, e, t, _ in rows if e["ci_high"] < t)
    readings = [effect_reading(v, low, high, target) for v in (verdict, at_size)]
    readings = [r if r != "threshold_ruled_out" or zero_kept else "contradicted" for r in readings]
    return {
        "term": term,
        "estimate": effect["estimate"],
        "ci_low": low,
        "ci_high": high,
        "target": target,
        "verdict": readings[0],
        "verdict_strict": readings[1],
    }


def share_claim(
    result: dict[str, Any], claim: str, rule: dict[str, Any], cfg: dict[str, Any], min_cell: int
) -> dict[str, Any]:
    """Judge one share claim on its own definition; not judged when its share is suppressed.

    The decision is :func:`share_suppressed`'s, the same as the report's for that share.
    """
    key, row, param = SHARE_TERMS[claim]
    target = cfg[param] - rule["tolerance"]
    out = {"term": row, "target": target}
    if share_suppressed(result, key, row, min_cell):
        hidden = {"estimate": None, "ci_low": None, "ci_high": None, "interval": None}
        return out | hidden | {"verdict": "suppressed", "verdict_strict": "suppressed"}
    share = result[key].loc[row]
    verdict = share_verdict(share["ci_low"], share["ci_high"], cfg[param], rule["tolerance"])
    if verdict == "supported" and share["ci_low"] < cfg[param]:
        verdict = "within_tolerance"  # supported only by the tolerance written after looking
    return out | {
        "estimate": share["share"],
        "ci_low": share["ci_low"],
        "ci_high": share["ci_high"],
        "verdict": verdict,
        # the tolerance was written after the estimates were seen: the verdict without it, beside
        "verdict_strict": size_verdict(share["ci_low"], share["ci_high"], cfg[param]),
        "interval": share["interval"],
    }


def verdicts(result: dict[str, Any], cfg: dict[str, Any], min_cell: int) -> pd.DataFrame:
    """A verdict per claim of the pilot by the rule written for it in ``evaluation.claims``.

    Parameters
    ----------
    result : dict
        The evaluation (``ancova``, ``empowerment_gap``, ``heterogeneity``, ``admin`` and the share
        tables ``improved``, ``agree_users``, ``agree_professionals``).
    cfg : dict
        The ``evaluation`` parameters: ``claims`` (one :class:`~pact_analysis.params.ClaimRule` each)
        and the claimed shares ``claim_*``.
    min_cell : int
        Minimum published count: a share claim whose row has a suppressed count is ``"suppressed"``
        (no verdict rests on a table the reader cannot see).

    Returns
    -------
    DataFrame
        Per claim: ``term`` (the quantity that decides), ``estimate``, ``ci_low``, ``ci_high``,
        ``target``, ``rule`` (sentence), ``risk_of_bias`` (comma-separated), ``verdict`` (supported,
        supported_with_reservations, for an effect shown below its threshold effect_shown or
        effect_shown_with_reservations (:func:`effect_reading`), inconclusive, contradicted, for a
        threshold ruled out by an interval that includes 0 threshold_ruled_out, for a share
        supported only by the tolerance (its lower limit below the claimed share) within_tolerance
        or within_tolerance_with_reservations, or suppressed),
        ``verdict_strict`` (:func:`size_verdict`: the whole interval at or above the claimed share
        itself, without the tolerance written after the estimates were seen, or, for an effect, at
        or above its threshold, this study's post-hoc threshold of importance rather than a size the
        pilot claimed) and, for a share claim, ``interval`` (``cr2`` or ``wilson``).
    """
    rows = []
    for claim, rule in cfg["claims"].items():
        if rule["kind"] == "share":
            row = share_claim(result, claim, rule, cfg, min_cell)
        else:
            row = effect_claim(result, claim, rule)
        risks = list(rule["risk_of_bias"])
        row["verdict"] = with_reservations(row["verdict"], risks)
        row["verdict_strict"] = with_reservations(row["verdict_strict"], risks)
        rows.append(
            {"claim": claim, **row, "rule": rule_text(rule, row["target"]), "risk_of_bias": ", ".join(risks)}
        )
    out = pd.DataFrame(rows).set_index("claim")
    for column in ("estimate", "ci_low", "ci_high", "target"):
        out[column] = out[column].astype(float)
    return out
