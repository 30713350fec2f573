"""The chronicity stage's results as the reports show them.

:func:`load_results` reads what the ``chronicity`` stage wrote (``Paths.chronicity``); the other
functions turn result tables into the published ones (ratios, intervals in one cell, small groups
blanked) for reports ``03_chronicity`` and ``04_alerts``. Words come from the catalogues through the
ground floor (:mod:`pact_analysis.labels`), never from the report layer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from pact_analysis import labels
from pact_analysis.chronicity.deployed import REFERENCE_ROW
from pact_analysis.chronicity.landmark import factor_of
from pact_analysis.chronicity.results import AT_MONTHS
from pact_analysis.chronicity.spells import UNKNOWN_EXIT
from pact_analysis.disclosure import SUPPRESSED, Protected, protect, protect_relations
from pact_analysis.paths import Paths


def load_results(paths: Paths) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Read the stage's results: (tables by name, values).

    Parameters
    ----------
    paths : Paths
        Project paths; the results are in ``paths.chronicity``.
    """
    folder = paths.chronicity
    tables = {p.stem: _python_bools(pd.read_parquet(p)) for p in sorted(folder.glob("*.parquet"))}
    return tables, json.loads((folder / "values.json").read_text(encoding="utf-8"))


def _python_bools(table: pd.DataFrame) -> pd.DataFrame:
    """Hold yes/no columns as Python booleans (and None), which the report's tables show as words."""
    flags = [c for c in table.columns if pd.api.types.is_bool_dtype(table[c])]
    for c in flags:
        table[c] = pd.Series(
            [None if pd.isna(x) else bool(x) for x in table[c]], index=table.index, dtype=object
        )
    return table


def km_summary(
    tables: dict[str, pd.DataFrame], name_order: Callable[[Any], Any] | None = None
) -> pd.DataFrame:
    """Kaplan-Meier summaries of every grouping in one table indexed by (grouping, group).

    ``name_order`` is a sort key of the provinces' names (the report's dictionary order,
    :func:`pact_analysis.report.i18n.sort_key`); without it they stay in the stage's order.
    """
    names = [n for n in ("all", "province", "household_type", "profile") if f"km_{n}" in tables]
    parts = [tables[f"km_{n}"].assign(grouping=n) for n in names]
    if name_order is not None and "province" in names:
        at = names.index("province")
        parts[at] = _ordered(parts[at], parts[at]["group"], name_order)
    cols = ["n", "events", "median", "median_lower", "median_upper", *[f"still_{t}" for t in AT_MONTHS]]
    return pd.concat(parts).set_index(["grouping", "group"])[cols]


def ratio_table(table: pd.DataFrame) -> pd.DataFrame:
    """Coefficient table (``coef``, ``ci_lower``, ``ci_upper``, ``p``) as ratios: ``hr``, ``hr_lower``, ``hr_upper``, ``p``."""
    return pd.DataFrame(
        {
            "hr": np.exp(table["coef"]),
            "hr_lower": np.exp(table["ci_lower"]),
            "hr_upper": np.exp(table["ci_upper"]),
            "p": table["p"],
        },
        index=table.index,
    )


def forest_frame(table: pd.DataFrame, series: str | None = None) -> pd.DataFrame:
    """A coefficient table as the input of :func:`.figures.plot_forest`.

    Terms of a (covariate, period) index are ``covariate`` or ``covariate@period``; ``series`` names
    an index level drawn as separate series (e.g. ``cause``).
    """
    flat = table.reset_index()
    if "period" in flat:
        flat["term"] = np.where(
            flat["period"] == "all", flat["covariate"], flat["covariate"] + "@" + flat["period"]
        )
    else:
        flat["term"] = flat["covariate"]
    out = pd.DataFrame(
        {
            "term": flat["term"],
            "ratio": np.exp(flat["coef"]),
            "lower": np.exp(flat["ci_lower"]),
            "upper": np.exp(flat["ci_upper"]),
        }
    )
    if series:
        out["series"] = flat[series]
    return out


def cif_at(cif: pd.DataFrame, at: tuple[int, ...] = AT_MONTHS) -> pd.DataFrame:
    """Cumulative incidence of each exit cause at the months ``at``, indexed by (cause, month)."""
    picked = cif.loc[cif["time"].isin([float(t) for t in at])].assign(month=lambda d: d["time"].astype(int))
    return picked.set_index(["cause", "month"])[["cif", "ci_lower", "ci_upper"]]


def aft_beside_cox(aft: pd.DataFrame, cox: pd.DataFrame) -> pd.DataFrame:
    """Time ratios of the AFT model beside the Cox hazard ratios; ``agree``: opposite directions.

    A hazard ratio below 1 (slower exit) should come with a time ratio above 1 (longer on the
    benefit); for a covariate with a time interaction the early-period hazard ratio is compared.
    """
    hr = cox["coef"].groupby(level="covariate").first()
    terms = [c for c in aft.index if c in hr.index]
    out = pd.DataFrame(
        {
            "hr": np.exp(hr.reindex(terms)),
            "time_ratio": np.exp(aft.loc[terms, "coef"]),
            "tr_lower": np.exp(aft.loc[terms, "ci_lower"]),
            "tr_upper": np.exp(aft.loc[terms, "ci_upper"]),
        }
    )
    out["agree"] = np.sign(np.log(out["hr"])) == -np.sign(np.log(out["time_ratio"]))
    return out.rename_axis("covariate")


def interval_text(low: float, high: float, fmt: Any) -> str:
    """Two interval limits as one text: ``0.21–0.48``, but ``-0.36; -0.08`` when a limit is negative
    (a dash between two minus signs reads as a subtraction).

    Parameters
    ----------
    low, high : float
        The limits.
    fmt : callable
        Number formatter (language-aware).
    """
    return f"{fmt(low)}; {fmt(high)}" if min(low, high) < 0 else f"{fmt(low)}–{fmt(high)}"


def with_intervals(
    table: pd.DataFrame, columns: list[str], fmt: Any, lower: str = "_lower", upper: str = "_upper"
) -> pd.DataFrame:
    """Replace ``<c>``, ``<c>_lower``, ``<c>_upper`` by one text cell ``est (low–high)`` per column.

    Parameters
    ----------
    table : DataFrame
        The table.
    columns : list of str
        Estimate columns with interval columns beside them.
    fmt : callable
        Number formatter (language-aware), e.g. a percentage.
    lower, upper : str
        Suffixes of the interval columns.
    """
    out = table.copy()
    for c in columns:
        est, lo, hi = out[c], out[f"{c}{lower}"], out[f"{c}{upper}"]
        text = [
            "–"
            if pd.isna(e)
            else f"{fmt(e)} ({interval_text(a, b, fmt)})"
            if pd.notna(a) and pd.notna(b)
            else fmt(e)
            for e, a, b in zip(est, lo, hi, strict=True)
        ]
        out[c] = pd.Series(text, index=out.index, dtype=object)
        out = out.drop(columns=[f"{c}{lower}", f"{c}{upper}"])
    return out


def metrics_wide(metrics: pd.DataFrame, fmt: Any) -> pd.DataFrame:
    """Validation metrics (model, metric) as one row per model with ``est (low–high)`` cells."""
    wide = metrics.unstack("metric")
    wide.columns = [f"{m}{'' if s == 'estimate' else s.removeprefix('ci')}" for s, m in wide.columns]
    names = list(dict.fromkeys(m for _, m in metrics.index))
    return with_intervals(wide, names, fmt)[names]


def returns_table(back: pd.DataFrame, unknown: int, min_cell: int) -> Protected:
    """The returns to the RGC after each exit route as published (report 03's re-entry table).

    The exits per route add up to the exits published beside them: small ones are suppressed with a
    complement in that column (:func:`~pact_analysis.disclosure.protect`). The returns are counts of
    persons too: a number of returns, or of exits without a return, from 1 to ``min_cell - 1`` is
    suppressed (primary), and so is a number of returns above 0 of a route whose exits are hidden (it
    would bound them: secondary). The returns add up to a total the report publishes (spells less
    heads) and each route's returns and exits without a return to its exits: more cells are hidden
    until the intruder's programme on all those relations bounds no small count below
    ``min_cell`` (:func:`_protect_returns`; secondary). The shares back within 12 and 24 months go
    where the returns are hidden (derived): with 0 returns published, a share of 0 tells nothing more.

    Parameters
    ----------
    back : DataFrame
        The stage's ``reentry_km`` indexed by exit route: ``n`` (exits), ``events`` (returns),
        ``still_12`` and ``still_24`` (Kaplan-Meier share not back).
    unknown : int
        Exits whose route is not recorded (a row of its own, not followed after the exit); 0 for none.
    min_cell : int
        Minimum publishable count.

    Returns
    -------
    Protected
        Columns ``n``, ``events``, ``back_12``, ``back_24`` indexed by ``exit_cause``.
    """
    returns = pd.DataFrame(
        {
            "n": back["n"],
            "events": back["events"],
            "back_12": 1 - back["still_12"],
            "back_24": 1 - back["still_24"],
        }
    ).rename_axis("exit_cause")
    if unknown:
        returns.loc[UNKNOWN_EXIT] = [unknown, np.nan, np.nan, np.nan]
    exits = protect(returns[["n"]].astype(int), min_cell, columns=["n"], additive=True)
    events, rest = returns["events"], returns["n"] - returns["events"]
    followed = events.notna()  # exits of unknown route are not followed
    few = (events.between(1, min_cell - 1) | rest.between(1, min_cell - 1)) & followed
    bound = exits.mask["n"] & (events > 0).fillna(False) & ~few  # n >= returns: a bound on n
    n_hidden, hidden = _protect_returns(returns["n"], events, exits.mask["n"], few | bound, min_cell)
    small_n = returns["n"].between(1, min_cell - 1)
    out = returns.astype({"n": object, "events": object})
    out["n"] = returns["n"].astype(int).astype(object).mask(n_hidden, SUPPRESSED)
    out["events"] = events.astype("Int64").astype(object).mask(hidden, SUPPRESSED)
    derived = 0
    for column in ("back_12", "back_24"):
        hit = hidden & returns[column].notna()
        derived += int(hit.sum())
        out[column] = returns[column].astype(object).mask(hit, SUPPRESSED)
    mask = pd.DataFrame({"n": n_hidden, "events": hidden})
    primary = int((n_hidden & small_n).sum() + (hidden & few).sum())
    secondary = int(mask.to_numpy().sum()) - primary
    # exits add up to the exits published, returns to the returns: each column on its own (the
    # check stage's re-check); the bounds through returns <= exits are the protection's
    return Protected(out, mask, primary, secondary, derived, relations="columns")


def _protect_returns(
    exits: pd.Series, events: pd.Series, exits_hidden: pd.Series, forced: pd.Series, min_cell: int
) -> tuple[pd.Series, pd.Series]:
    """Which exits and which returns to hide so that no small count can be bounded below ``min_cell``.

    A reader knows every shown cell, the total exits and the total returns (spells less heads, less
    the returns after an exit of unknown route), that each route's returns and exits without a return
    add up to its exits (shown or not) and that counts are non-negative integers: the intruder's
    programme of :func:`~pact_analysis.disclosure.protect_relations` runs on those relations, every
    small count checked (a hidden small exit count bounds nothing by itself). A route's exits without a
    return are known when its exits and its returns are shown: its returns are hidden when the
    programme hides either while its exits are shown.

    Returns
    -------
    (Series, Series)
        Exits hidden, returns hidden (by route; returns of an unknown route are never published).
    """
    followed = events.notna().to_numpy()
    n, e = exits.to_numpy(float), events.to_numpy(float)
    rows, m = np.flatnonzero(followed), len(exits)
    # cells: returns and exits without a return of each followed route, the exits of every route,
    # then the two totals a reader knows
    size = 2 * len(rows) + m + 2
    values = np.concatenate(
        [np.column_stack([e[rows], n[rows] - e[rows]]).ravel(), n, [np.nansum(e), n.sum()]]
    )
    equations = []
    for k, i in enumerate(rows):
        equations.append(_relation(size, {2 * k: 1, 2 * k + 1: 1, 2 * len(rows) + i: -1}))
    equations.append(_relation(size, {**{2 * k: 1 for k in range(len(rows))}, size - 2: -1}))
    equations.append(_relation(size, {**{2 * len(rows) + i: 1 for i in range(m)}, size - 1: -1}))
    mask = np.zeros(size, bool)
    mask[: 2 * len(rows)] = np.repeat(forced.to_numpy()[rows], 2)
    mask[1 : 2 * len(rows) : 2] |= exits_hidden.to_numpy()[rows]  # exits hidden: so is n - returns
    mask[2 * len(rows) : 2 * len(rows) + m] = exits_hidden.to_numpy()
    fixed = np.zeros(size, bool)
    fixed[-2:] = True
    try:
        out = protect_relations(values, np.array(equations), mask, min_cell, fixed=fixed)
    except ValueError:  # no free cell left around a small count: hide every route's returns
        out = mask.copy()
        out[: 2 * len(rows)] = True
    exits_out = out[2 * len(rows) : 2 * len(rows) + m]
    parts = out[: 2 * len(rows)].reshape(-1, 2)
    returns_hidden = np.zeros(m, bool)
    # a route's returns are hidden, or its exits without a return with its exits shown (n - returns)
    returns_hidden[rows] = parts[:, 0] | (parts[:, 1] & ~exits_out[rows])
    return pd.Series(exits_out, index=exits.index), pd.Series(returns_hidden, index=exits.index)


def _relation(size: int, coefficients: dict[int, float]) -> np.ndarray:
    """One relation among ``size`` cells: the cells' coefficients, 0 elsewhere."""
    row = np.zeros(size)
    for cell, value in coefficients.items():
        row[cell] = value
    return row


def protected_audits(tables: dict[str, pd.DataFrame], values: dict[str, Any]) -> dict[str, Protected]:
    """The fairness audit's tables as the ``chronicity`` stage protected them (one decision).

    Parameters
    ----------
    tables, values : dict
        The stage's results (:func:`load_results`): ``fairness_<grouping>`` and
        ``fairness_<grouping>_blanked`` tables, ``fairness_suppressed`` counts.

    Returns
    -------
    dict of Protected
        By grouping, in the order of ``fairness_suppressed``, for :func:`fairness_table`.
    """
    out = {}
    for name, counts in values["fairness_suppressed"].items():
        table = tables[f"fairness_{name}"]
        blanked = tables[f"fairness_{name}_blanked"].astype(bool)
        out[name] = Protected(
            table,
            table["n"].isna().to_frame(),
            counts["primary"],
            counts["secondary"],
            counts["derived"],
            blanked,
        )
    return out


def _ordered(frame: pd.DataFrame, names: Any, key: Callable[[Any], Any]) -> pd.DataFrame:
    """The rows of ``frame`` ordered by ``key`` of their ``names`` (rows of one name keep their order)."""
    keys = [key(v) for v in names]
    return frame.iloc[sorted(range(len(keys)), key=keys.__getitem__)]


def fairness_table(
    audit: Protected, fmt: Any, slope_fmt: Any, name_order: Callable[[Any], Any] | None = None
) -> Protected:
    """One table of the fairness audit as published: rates with Wilson intervals, persons shown or
    :data:`~pact_analysis.disclosure.SUPPRESSED`, and so is every value blanked because it would give
    a suppressed count away (``audit.blanked``).

    The suppression is decided on every table of the audit together by the ``chronicity`` stage
    (:func:`.fairness_disclosure.protect_audits`, read with :func:`protected_audits`): ``audit`` already has blank (NaN) rates, shares
    and means where they would give a suppressed count away, and ``n`` NaN where it is suppressed.
    Empty intersections are dropped, and so is an error-rate column hidden for every group.

    Parameters
    ----------
    audit : Protected
        One grouping's entry of :func:`protected_audits`.
    fmt : callable
        Formatter of a rate.
    slope_fmt : callable
        Formatter of the within-group calibration slope (shown with its interval).
    name_order : callable, optional
        Sort key of the groups' names (the report's dictionary order,
        :func:`pact_analysis.report.i18n.sort_key`); without it they stay in the audit's order.

    Returns
    -------
    Protected
        The published table (``persons`` the count column) with the audit's suppression counts, for
        :meth:`pact_analysis.report.page.Report.table`.
    """
    rates = ["alert_rate", "false_positive_rate", "false_negative_rate"]
    table = audit.table
    shown_rows = table.loc[table["n"].isna() | (table["n"] > 0)]  # empty intersections dropped
    if name_order is not None:
        shown_rows = _ordered(shown_rows, shown_rows.index, name_order)
    columns = [
        "n",
        "share_of_recipients",
        "share_of_alerts",
        *rates,
        *[f"{r}_{s}" for r in rates for s in ("lower", "upper")],
        "observed",
        "predicted",
        "calibration_slope",
        "calibration_slope_lower",
        "calibration_slope_upper",
    ]
    shown = with_intervals(shown_rows[columns], rates, fmt)
    shown = with_intervals(shown, ["calibration_slope"], slope_fmt).rename(columns={"n": "persons"})
    hidden = shown["persons"].isna()
    shown["persons"] = shown["persons"].astype("Int64").astype(object).mask(hidden, SUPPRESSED)
    if audit.blanked is not None:  # a value that would give a suppressed count away is marked too
        blanked = audit.blanked.reindex(shown.index, fill_value=False)
        for column in blanked.columns.intersection(shown.columns):
            shown[column] = shown[column].astype(object).mask(blanked[column], SUPPRESSED)
    # an error rate hidden for every group says nothing: the column is left out (and its hidden cells
    # are no longer published); the report's caption names the rates a table leaves out
    groups = ~pd.Index(shown.index).map(
        lambda g: "overall" in (g if isinstance(g, tuple) else (g,))
    ).to_numpy(bool)
    derived = audit.derived
    for rate in rates:
        values = shown.loc[groups, rate]
        if groups.any() and values.map(lambda v: v == SUPPRESSED or v == "–" or pd.isna(v)).all():
            if audit.blanked is not None and rate in audit.blanked:
                derived -= int(audit.blanked.reindex(shown.index, fill_value=False)[rate].sum())
            shown = shown.drop(columns=rate)
    # a grouping's groups share out the persons scored: each column adds up to that total
    return Protected(shown, hidden.to_frame(), audit.primary, audit.secondary, derived, relations="columns")


def gap_values(table: pd.DataFrame, min_cell: int, label: Any, fmt: Any) -> dict[str, Any] | None:
    """The groups with the highest and lowest error rates, for a sentence stating the gaps.

    Parameters
    ----------
    table : DataFrame
        :func:`.fairness.fairness_audit` output (``overall`` last).
    min_cell : int
        Groups smaller than this are left out.
    label : callable
        Display text of a group value (intersections are joined with " × ").
    fmt : callable
        Formatter of a rate (e.g. ``Report.pct``).

    Returns
    -------
    dict or None
        ``fpr_high``, ``fpr_high_value``, ``fpr_low``, ``fpr_low_value`` and the same for ``fnr``;
        ``None`` when fewer than two groups are large enough.
    """
    rows = table.iloc[:-1]
    rows = rows.loc[rows["n"] >= min_cell]
    out: dict[str, Any] = {}
    for short, metric in (("fpr", "false_positive_rate"), ("fnr", "false_negative_rate")):
        values = rows[metric].dropna()
        if len(values) < 2:
            return None
        for end, key in (("high", values.idxmax()), ("low", values.idxmin())):
            out[f"{short}_{end}"] = " × ".join(
                label(str(k)) for k in (key if isinstance(key, tuple) else (key,))
            )
            out[f"{short}_{end}_value"] = fmt(float(values[key]))
    return out


def calibration_misses(table: pd.DataFrame) -> dict[str, Any]:
    """Where the audit's target, calibration within groups, is missed for the groups of one table,
    and which of those misses differ from the whole cohort's own.

    Only published values count (a blanked one is NaN and left out), and not the ``overall`` row.

    Parameters
    ----------
    table : DataFrame
        One grouping's audit as :func:`protected_audits` publishes it (``overall`` last).

    Returns
    -------
    dict
        ``"slope"``: the groups whose within-group calibration slope has a 95% interval that excludes
        1; ``"level"``: the groups whose mean predicted share lies outside the 95% interval of the
        observed share; ``"apart"``: the groups among them whose miss is not the whole cohort's (a
        slope interval that also excludes the overall slope, or an observed interval that also
        excludes the prediction less the overall gap between predicted and observed);
        ``"intervals"``: how many intervals were read (published slopes and observed shares).
    """
    rows, overall = table.iloc[:-1], table.iloc[-1]
    slope = rows[["calibration_slope", "calibration_slope_lower", "calibration_slope_upper"]].dropna()
    level = rows[["observed", "observed_lower", "observed_upper", "predicted"]].dropna()
    slope_miss = slope.loc[(slope["calibration_slope_lower"] > 1) | (slope["calibration_slope_upper"] < 1)]
    level_miss = level.loc[
        (level["predicted"] < level["observed_lower"]) | (level["predicted"] > level["observed_upper"])
    ]
    whole, gap = overall["calibration_slope"], overall["predicted"] - overall["observed"]
    shifted = level_miss["predicted"] - gap  # the prediction with the whole cohort's miss taken out
    apart = {
        *slope_miss.index[(slope_miss["calibration_slope_lower"] > whole) | (slope_miss["calibration_slope_upper"] < whole)],
        *level_miss.index[(shifted < level_miss["observed_lower"]) | (shifted > level_miss["observed_upper"])],
    }  # fmt: skip
    return {"slope": slope_miss, "level": level_miss, "apart": apart, "intervals": len(slope) + len(level)}


def predictor_label(name: str, lang: str) -> str:
    """Display text of a predictor of the deployed model (catalogue ``chronicity.value.*``), for the
    specification tables of both reports.

    Parameters
    ----------
    name : str
        A predictor (:func:`~pact_analysis.chronicity.landmark.predictors`), an interaction with the
        years on the spell, or :data:`~pact_analysis.chronicity.deployed.REFERENCE_ROW`.
    lang : str
        Language of the catalogue.
    """
    if name == REFERENCE_ROW:
        return labels.text("chronicity.value.reference", lang)
    factor = factor_of(name)
    text = labels.text(f"chronicity.value.{factor}", lang)
    return text if name == factor else labels.text("chronicity.value.by_year_on_spell", lang, feature=text)


def deployed_values(values: dict[str, Any], num: Any, pct: Any) -> dict[str, str]:
    """The deployed model's test-cohort figures as report text: each estimate and its interval.

    Parameters
    ----------
    values : dict
        ``values.json`` of the chronicity stage.
    num : callable
        Formatter of a number with a number of decimals (``Report.num``).
    pct : callable
        Formatter of a share (``Report.pct``).

    Returns
    -------
    dict
        ``deployed_auc``, ``dslope``, ``dint``, ``sensitivity``, ``fnr``, ``ppv``, ``net_benefit``,
        each with ``<short>_lower`` and ``<short>_upper`` ("–" where not computed), and ``threshold``.
    """
    spec = {  # text key: (value key, short name of the bounds, formatter)
        "deployed_auc": ("deployed_auc", "auc", lambda x: num(x, 3)),
        "dslope": ("deployed_calibration_slope", "slope", lambda x: num(x, 2)),
        "dint": ("deployed_calibration_intercept", "int", lambda x: num(x, 2)),
        "sensitivity": ("sensitivity", "sens", pct),
        "fnr": ("false_negative_rate", "fnr", pct),
        "ppv": ("ppv", "ppv", pct),
        "net_benefit": ("net_benefit", "nb", lambda x: num(x, 3)),
    }
    out: dict[str, str] = {"threshold": num(values["alert_threshold"], 3)}
    for text, (key, short, fmt) in spec.items():
        est, ci = values.get(key), values.get(f"{key}_ci") or [None, None]
        out[text] = "–" if est is None else fmt(est)
        out[f"{short}_lower"], out[f"{short}_upper"] = ("–" if b is None else fmt(b) for b in ci)
        # between the limits a dash, or "; " when one is negative ("-0.36; -0.08", as interval_text)
        out[f"{short}_sep"] = "; " if None not in ci and min(ci) < 0 else "–"
    return out


def calibration_reading(values: dict[str, Any]) -> list[str]:
    """What the deployed model's calibration on the test cohort shows, as sentence keys
    (``common.calibration.<key>``): ``flat`` or ``extreme`` when the slope's 95% interval lies above
    or below 1, ``over`` or ``under`` when the intercept's lies below or above 0 (risk over- or
    underestimated on average); ``consistent`` when neither interval excludes its ideal value;
    empty when the test cohort gave no interval."""
    slope = values.get("deployed_calibration_slope_ci") or [None, None]
    intercept = values.get("deployed_calibration_intercept_ci") or [None, None]
    if not all(isinstance(x, (int, float)) and np.isfinite(x) for x in (*slope, *intercept)):
        return []
    keys = ["flat"] if slope[0] > 1 else ["extreme"] if slope[1] < 1 else []
    keys += ["over"] if intercept[1] < 0 else ["under"] if intercept[0] > 0 else []
    return keys or ["consistent"]


def slope_verdict(values: dict[str, Any]) -> str:
    """Which sentence states the deployed calibration: ``ok``, ``withheld_landmark`` (the pooled
    interval inside the band, but at no validated landmark on the test cohort), ``withheld_flat``,
    ``withheld_steep``, ``withheld_uncertain`` (the estimate inside the band, its interval not) or
    ``none`` (no validated landmark)."""
    if not values.get("validated_landmarks"):
        return "none"
    if not values.get("alerts_withheld"):
        return "ok"
    if values.get("pooled_calibration_ok") and not values.get("confirmed_landmarks"):
        return "withheld_landmark"
    low, high = values["validated_slope"]
    slope = values["deployed_calibration_slope"]
    return "withheld_flat" if slope > high else "withheld_steep" if slope < low else "withheld_uncertain"


def ranges_text(ranges: list[list[float]], fmt: Any) -> str:
    """Contiguous useful ranges of the decision curve as text (``0.10–0.30, 0.45``); never joined.

    ``fmt`` formats a threshold as text (e.g. ``partial(i18n.number, lang=lang, decimals=2)``)."""
    return ", ".join(fmt(a) if a == b else f"{fmt(a)}–{fmt(b)}" for a, b in ranges)


def outcome_table(values: dict[str, Any]) -> pd.DataFrame:
    """The outcome sensitivity analysis (``values["outcome_sensitivity"]``) as a table by outcome."""
    rows = values.get("outcome_sensitivity") or {}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("outcome")


def landmark_slopes_text(values: dict[str, Any], fmt: Any, word: Any, cohort: str = "recalibration") -> str:
    """``3: 1.29 (0.87–1.70), not established; 6: ...`` from one cohort's out-of-sample slopes at
    the landmarks, their intervals and verdicts (:func:`.deployment.landmark_verdict`).

    ``fmt`` formats a slope as text; ``word`` gives the words of a verdict key; ``cohort`` is
    ``recalibration`` (every landmark) or ``test`` (the validated landmarks,
    :func:`.deployment.test_verdicts`)."""
    slopes = values.get(f"landmark_slopes_{cohort}") or {}
    cis = values.get(f"landmark_slope_ci_{cohort}") or {}
    verdicts = (
        values.get("landmark_verdicts" if cohort == "recalibration" else "landmark_verdicts_test") or {}
    )
    parts = []
    for m, s in sorted(slopes.items(), key=lambda kv: float(kv[0])):
        low, high = cis.get(m, (None, None))
        known = s is not None and np.isfinite(s)
        ci = "" if low is None or not np.isfinite(low) else f" ({interval_text(low, high, fmt)})"
        said = f", {word(verdicts[m])}" if m in verdicts else ""
        parts.append(f"{int(float(m))}: {fmt(s) if known else '–'}{ci}{said}")
    return "; ".join(parts)


def median_halfwidth(values: dict[str, Any]) -> float | None:
    """Median half-width of the recalibration cohort's slope intervals over the landmarks (None: none)."""
    cis = values.get("landmark_slope_ci_recalibration") or {}
    widths = [(high - low) / 2 for low, high in cis.values()]
    return float(np.median(widths)) if widths else None
