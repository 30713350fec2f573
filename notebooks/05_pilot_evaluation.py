# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python (pact-analysis)
#     language: python
#     name: pact-analysis
# ---

# %% [markdown]
# # Evaluation of the PACT pilot (developer notes)
#
# Did the person-centred case-management model improve people's situation, and for whom? Design and
# power first, then attrition, MDTSE change, the matched comparison, heterogeneity, the "65% improved"
# and satisfaction claims, a verdict per claim and the TREND / WWC checklist. The estimates are computed
# once by the `pilot` stage (`pact_analysis/stages/pilot.py`, statistics in `pact_analysis/pilot/`,
# results in `data/pilot`); this notebook shows them. Words come from
# `pact_analysis/locales/*/LC_MESSAGES/pilot_evaluation.po`.

# %% tags=["parameters"]
root = "."
lang = "es"
data_source = "synthetic"
disclosure_min_cell = 10
evaluation_pilot_start = "2017-02-01"
evaluation_admin_method = "ipw"
evaluation_imputations = 20
evaluation_claim_improved = 0.65
evaluation_claim_users = 0.89
evaluation_claim_professionals = 0.84
evaluation_improved_change = 0.5
chronicity_merge_gap_months = 1.0

# %%
import inspect
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import FancyArrowPatch

from pact_analysis import codebook, disclosure, pilot, report
from pact_analysis.disclosure import quantities
from pact_analysis.paths import Paths
from pact_analysis.pilot.balance import SMD_MAX

r = report.start(
    "05_pilot_evaluation",
    root,
    lang,
    disclosure_min_cell,
    data_source=data_source,
    evaluation_pilot_start=evaluation_pilot_start,
)
res = pilot.load_results(Paths(Path(root)).pilot)
ancova, did, admin, power, het = res["ancova"], res["did"], res["admin"], res["power"], res["heterogeneity"]
base = res["baseline_interaction"]
flow = res["flow"]
dims = codebook.mdtse_dimensions()
dim_names = {d: codebook.load()["mdtse"]["dimensions"][d][lang] for d in dims} | {
    "living": r.t("value.living")
}


# the power figures are computed by the stage from the design and an assumed intra-class correlation:
# that correlation is read back from its minimum detectable effects (pilot.mde: the design effect
# 1 + (n / clusters - 1) * icc is the squared ratio of the clustered to the unclustered MDE on the same
# degrees of freedom), and the power and significance level are pilot.mde's own
icc_assumed = pilot.ASSUMED_ICC  # the design's assumption (pilot.power)
MDE_DEFAULTS = inspect.signature(pilot.mde).parameters


def ci(low, high, decimals=2):
    """An interval for a sentence."""
    return r.t("ci", low=r.num(low, decimals), high=r.num(high, decimals))


def pp(share):
    """A difference of shares (0..1) in percentage points, for a sentence."""
    return r.t("pp", value=r.num(100 * share, 1))


def pp_ci(low, high):
    """An interval of a difference of shares, in percentage points."""
    return r.t("ci_pp", low=r.num(100 * low, 1), high=r.num(100 * high, 1))


def publish(table, key, counts, derived, additive, **options):
    """Publish a table whose ``derived`` columns (shares, means, intervals) come from ``counts``."""
    r.table(table, key, counts=counts, derived=derived, additive=additive, **options)


# The shares of the claims, each published at one level only (pilot.claims.PUBLISHED_ROWS: the two
# arms, or all the pilot's territories together) and suppressed or shown by one decision
# (pilot.claims.share_suppressed), the one the verdict table uses: a share hidden in a table is
# hidden in every sentence too. Each is recorded as a quantity for the check stage.
SHARE_QUANTITIES = {
    ("improved", "PILOT"): "pilot.improved_share",
    ("improved", "COMPARISON"): "pilot.improved_share_comparison",
    ("reliable_improved", "PILOT"): "pilot.reliable_improved_share",
    ("agree_users", "TOTAL"): "pilot.users_agree",
    ("agree_professionals", "TOTAL"): "pilot.professionals_agree",
}
SHARE_COUNTS = ["n", "agree", "disagree"]
SHARE_STATS = ["share", "ci_low", "ci_high"]


def hidden(key, row):
    """Whether the share of ``row`` of result ``key`` is suppressed (the stage's one decision)."""
    return pilot.claims.share_suppressed(res, key, row, disclosure_min_cell)


def share_or_mark(key, row, where="text", interval=False):
    """A published share (or its interval) for a sentence; the suppression mark if it is suppressed."""
    name, table = SHARE_QUANTITIES[(key, row)], res[key]
    if hidden(key, row):
        if interval:
            return disclosure.SUPPRESSED
        quantities.record(r.tables_dir, lang, name, None, where=where, suppressed=True)
        return r.t("common.suppressed_in_text", mark=disclosure.SUPPRESSED)
    if interval:
        return r.t("ci", low=r.pct(table.loc[row, "ci_low"]), high=r.pct(table.loc[row, "ci_high"]))
    return r.quantity(name, table.loc[row, "share"], "pct", 1, where=where)


def publish_shares(rows, key, columns, axis, why):
    """Publish the shares of ``rows`` that can be shown; for each other row, a sentence saying why not.

    ``rows`` are ``(result key, row, label, who)``: ``label`` is the row's label in the table and
    ``who`` the catalogue key naming its persons in the sentence. Every row already takes all the
    pilot's territories together, the coarsest level at which its share still answers the claim, so
    a row that cannot be shown there is left out of the table (no row of ``[c]``) and one paragraph
    (``why``, one ``<why>.row`` sentence per row left out) says why. No row to show: no table.
    """
    shown = [(k, row, label) for k, row, label, _ in rows if not hidden(k, row)]
    if shown:
        table = pd.concat([res[k].loc[[row], [*SHARE_COUNTS, *SHARE_STATS]] for k, row, _ in shown])
        # how each row's interval was computed (CR2 by CEAS, or Wilson without CEAS), as the stage did
        table["interval"] = [r.t(f"interval.{res[k].loc[row, 'interval']}") for k, row, _ in shown]
        table.index = pd.Index([label for *_, label in shown], name=axis)
        publish(
            table.rename(columns=columns),
            key,
            counts=[columns.get(c, c) for c in SHARE_COUNTS],
            derived=SHARE_STATS,
            additive=True,
            percent=SHARE_STATS,
            quantity_cells={SHARE_QUANTITIES[(k, row)]: (label, "share") for k, row, label in shown},
        )
    left_out = [
        r.t(
            f"{why}.row",
            who=r.t(who),
            n=r.count(int(res[k].loc[row, "n"])),
            min_cell=r.n(disclosure_min_cell),
        )
        for k, row, _, who in rows
        if hidden(k, row)
    ]
    if left_out:
        r.say(why, rows=" ".join(left_out))


users_share = share_or_mark("agree_users", "TOTAL", where="findings")
pros_share = share_or_mark("agree_professionals", "TOTAL", where="findings")


def satisfaction(kind, **values):
    """The sentence on agreement (``kind``: ``sentence`` for the summary and the index, ``detail``
    for the section): a variant per published share, so that a share that is not published is said
    in words (one of its counts, agreed or not, is below the minimum cell), never a mark in a sentence."""
    users, pros = not hidden("agree_users", "TOTAL"), not hidden("agree_professionals", "TOTAL")
    variant = {(True, True): "both", (True, False): "users", (False, True): "pros"}.get((users, pros), "none")
    return r.t(
        f"satisfaction.{kind}.{variant}",
        users=users_share,
        pros=pros_share,
        min_cell=r.n(disclosure_min_cell),
        **values,
    )


bench = res.get("coverage_benchmark") or {}
coverage_values = {
    "coverage": r.pct(bench["coverage"], 1) if bench else "–",
    "replications": r.n(bench.get("coverage_replications") or 0),
    "mc_se": r.num(100 * (bench.get("coverage_mc_se") or 0), 1),
    "region": r.n(int(res["validation"]["covered"].sum())) if "validation" in res else "–",
    "n_effects": r.n(len(res["validation"])) if "validation" in res else "–",
}


#: The verdict's quantities measured as shares: their effects in percentage points.
SHARE_EFFECTS = ("exit_12m", "exit_end", "reentry")


def verdict_unit(claim, term):
    """The unit of a verdict's numbers: a share claim's share in %, an exit effect in percentage
    points, days under contract in days, the MDTSE effects in points of the 1-10 scale."""
    if claim in pilot.claims.SHARE_TERMS:
        return "percent"
    return "days" if term == "days_employed" else "percentage_points" if term in SHARE_EFFECTS else "points"


def verdict_number(claim, term, value):
    """A verdict's number in its unit, at the precision every table and sentence of this report uses
    for it (days and percentages to one decimal, MDTSE points to two)."""
    unit = verdict_unit(claim, term)
    scaled = 100 * value if unit in ("percent", "percentage_points") else value
    return r.num(scaled, 2 if unit == "points" else 1)


def with_unit(claim, term, value):
    """A verdict's number with its unit, for a sentence."""
    unit, number = verdict_unit(claim, term), verdict_number(claim, term, value)
    return {"days": lambda: r.t("days", value=number), "percentage_points": lambda: r.t("pp", value=number),
            "percent": lambda: r.pct(value, 1), "points": lambda: number}[unit]()  # fmt: skip


def interval_with_unit(claim, row):
    """A verdict's 95% interval in its unit, for a sentence."""
    low, high = (verdict_number(claim, row["term"], row[c]) for c in ("ci_low", "ci_high"))
    return r.t("ci", low=low, high=high)


def target_text(claim, row):
    """A verdict's threshold with its unit."""
    return with_unit(claim, row["term"], row["target"])


def employment_verdict():
    """The verdict on the claim of better pathways out of the minimum income, for the summary."""
    row = res["verdicts"].loc["employment"]
    term = dim_names.get(row["term"], r.t(f"value.{row['term']}"))
    if row["verdict"] == "threshold_ruled_out":  # a plain "contradicted" takes the general sentence
        return r.t(
            "findings.employment.contradicted",
            term=term,
            estimate=with_unit("employment", row["term"], row["estimate"]),
            interval=interval_with_unit("employment", row),
            target=target_text("employment", row),
        )
    return r.t("findings.employment.other", term=term, verdict=r.value(row["verdict"]))


# %%
r.title()
r.banner(data_source)
r.findings(
    also="findings.validation" if "validation" in res else None,
    n=r.n(power["n"]),
    clusters=r.n(power["clusters"]),
    mde=r.num(power["mde_two_groups_icc05"], 2),
    icc_assumed=r.num(icc_assumed, 2),
    living=r.num(ancova.loc["living", "estimate"], 2),
    living_ci=ci(ancova.loc["living", "ci_low"], ancova.loc["living", "ci_high"]),
    exit12=pp(admin.loc["exit_12m", "estimate"]),
    exit12_ci=pp_ci(admin.loc["exit_12m", "ci_low"], admin.loc["exit_12m", "ci_high"]),
    employment_verdict=employment_verdict(),
    het=r.num(het["estimate"], 2),
    het_ci=ci(het["ci_low"], het["ci_high"]),
    base=r.num(base["estimate"], 2),
    base_ci=ci(base["ci_low"], base["ci_high"]),
    threshold=r.num(evaluation_improved_change, 1),
    improved=share_or_mark("improved", "PILOT", where="findings"),
    improved_comparison=share_or_mark("improved", "COMPARISON", where="findings"),
    without=r.pct(res["improved_effect"]["without_pilot"]),
    satisfaction=satisfaction("sentence"),
    **coverage_values,
)

# %%
r.heading("design")
r.say(
    "design.text", n=r.n(power["n"]), clusters=r.n(power["clusters"]), start=r.date(evaluation_pilot_start),
    gap=r.t("design.gap_one")
    if float(chronicity_merge_gap_months) == 1
    else r.t("design.gap_months", n=r.num(chronicity_merge_gap_months, 0 if float(chronicity_merge_gap_months).is_integer() else 1)),
)  # fmt: skip
r.heading("power", level=3)
r.say(
    "power.text",
    n=r.n(power["n"]),
    clusters=r.n(power["clusters"]),
    power_level=r.pct(MDE_DEFAULTS["power"].default, 0),
    alpha=r.pct(MDE_DEFAULTS["alpha"].default, 0),
    icc_assumed=r.num(icc_assumed, 2),
    mde0=r.num(power["mde_unclustered"], 2),
    mde05=r.num(power["mde_icc05"], 2),
    mde2=r.num(power["mde_two_groups_icc05"], 2),
    icc=r.num(res["icc"], 3),
    mde_icc=r.num(power["mde_icc_estimated"], 2),
)

# %%
r.heading("methods")
r.say("methods.text", imputations=r.n(evaluation_imputations))

# %%
r.heading("flow")
FLOW_COUNTS = ["enrolled", "followed_up", "lost"]
# the diagram shows the counts exactly as the flow table publishes them (small ones suppressed); the
# registry comparators (every recipient of the other CEAS of the pilot's provinces on the benefit at
# its start) are counted by the stage (pool_sizes) and suppressed the same way under the minimum cell
flow_shown = disclosure.protect(flow, disclosure_min_cell, columns=FLOW_COUNTS, additive=True).table
registry_n = int(res["pool_sizes"][1])
shown_n = {
    group: {
        c: flow_shown.loc[group, c] if isinstance(flow_shown.loc[group, c], str) else r.fmt_n(flow_shown.loc[group, c])
        for c in FLOW_COUNTS
    }
    for group in ("PILOT", "COMPARISON")
}  # fmt: skip
shown_registry = disclosure.SUPPRESSED if 0 < registry_n < disclosure_min_cell else r.fmt_n(registry_n)
start_date = r.date(evaluation_pilot_start)
# the recipients the pilot's teams chose from and the others, counted by the stage (large counts)
recipients = {
    "total": r.count(res["recipients"]["pilot_ceas"] + res["recipients"]["other_ceas"]),
    "pilot": r.count(res["recipients"]["pilot_ceas"]),
    "other": r.count(res["recipients"]["other_ceas"]),
}


def wrapped(text, width=32):
    """A box's words on lines of at most ``width`` characters (each line of the catalogue kept)."""
    return "\n".join(textwrap.fill(line, width, break_on_hyphens=False) for line in text.split("\n"))


fig, ax = plt.subplots(figsize=(9, 5.0))
ax.set(xlim=(0, 1), ylim=(0, 1))
ax.axis("off")
BOX = {"boxstyle": "square,pad=0.5", "fc": "white", "ec": "#333333", "lw": 1.0}
HEAD = {**BOX, "fc": "#eef3f8"}  # the box that names a group, shaded


def draw(x, y, text, style=BOX, **options):
    """A bordered box of text centred at ``(x, y)`` (axes coordinates)."""
    options = {
        "ha": "center",
        "va": "center",
        "bbox": style,
        "fontsize": 9,
        "transform": ax.transAxes,
    } | options
    return ax.text(x, y, text, **options)


COLUMNS = {"PILOT": 0.15, "COMPARISON": 0.5, "REGISTRY": 0.85}
eligible = draw(0.5, 0.95, wrapped(r.t("flow.eligible", start=start_date, **recipients), 80))
heads = {
    "PILOT": draw(COLUMNS["PILOT"], 0.70, wrapped(r.t("flow.head.PILOT", clusters=r.n(power["clusters"])) + "\n" + r.t("flow.enrolled", n=shown_n["PILOT"]["enrolled"])), HEAD),
    "COMPARISON": draw(COLUMNS["COMPARISON"], 0.70, wrapped(r.t("flow.head.COMPARISON") + "\n" + r.t("flow.baseline", n=shown_n["COMPARISON"]["enrolled"])), HEAD),
    "REGISTRY": draw(COLUMNS["REGISTRY"], 0.70, wrapped(r.t("flow.head.REGISTRY") + "\n" + r.t("flow.registry", n=shown_registry) + "\n" + r.t("flow.registry_assessed", n=r.count(res["recipients"]["assessed_among_other"]))), HEAD),
}  # fmt: skip
ends = {
    group: draw(COLUMNS[group], 0.10, wrapped(r.t("flow.followed", n=shown_n[group]["followed_up"])))
    for group in ("PILOT", "COMPARISON")
} | {"REGISTRY": draw(COLUMNS["REGISTRY"], 0.10, wrapped(r.t("flow.registry_followed"), 24))}
lost = {
    group: draw(
        COLUMNS[group] + 0.05, 0.40, wrapped(r.t("flow.lost", n=shown_n[group]["lost"]), 24), ha="left"
    )
    for group in ("PILOT", "COMPARISON")
}
fig.canvas.draw()  # the boxes' extents, in axes coordinates, for the arrows between them
to_axes = ax.transAxes.inverted()


def extent(text):
    """``(left, bottom, right, top)`` of a box in axes coordinates."""
    (left, bottom), (right, top) = to_axes.transform(text.get_bbox_patch().get_window_extent())
    return left, bottom, right, top


def arrow(start, end, connection="arc3"):
    """An arrow between two points (axes coordinates), touching both (no gap)."""
    ax.add_patch(
        FancyArrowPatch(
            start, end, transform=ax.transAxes, connectionstyle=connection, arrowstyle="-|>",
            mutation_scale=12, shrinkA=0, shrinkB=0, color="#333333",
        )
    )  # fmt: skip


e_left, e_bottom, e_right, e_top = extent(eligible)
# the participants come from the pilot CEAS' recipients, the registry comparators from the other
# CEAS': an elbow from each side of the box down to each; the assessed comparison group is drawn
# from the registry comparators (an arrow from their box to its)
for group, side, angle in (("PILOT", e_left, 180), ("REGISTRY", e_right, 0)):
    arrow(
        (side, (e_bottom + e_top) / 2),
        (COLUMNS[group], extent(heads[group])[3]),
        f"angle,angleA={angle},angleB=90,rad=0",
    )
if res["recipients"]["assessed_among_other"]:  # the assessed comparison group: among the comparators
    r_left, r_bottom, _, r_top = extent(heads["REGISTRY"])
    _, c_bottom, c_right, c_top = extent(heads["COMPARISON"])
    level = (max(r_bottom, c_bottom) + min(r_top, c_top)) / 2
    arrow((r_left, level), (c_right, level))
for group in COLUMNS:
    x = COLUMNS[group]
    arrow((x, extent(heads[group])[1]), (x, extent(ends[group])[3]))
for group, box in lost.items():
    arrow((COLUMNS[group], 0.40), (extent(box)[0], 0.40))  # the losses branch off the way down
r.figure(
    fig,
    "flow.diagram",
    min_cell=r.n(disclosure_min_cell),
    mark=disclosure.SUPPRESSED,
    start=start_date,
    pilot_start=shown_n["PILOT"]["enrolled"],
    pilot_lost=shown_n["PILOT"]["lost"],
    pilot_followed=shown_n["PILOT"]["followed_up"],
    comparison_start=shown_n["COMPARISON"]["enrolled"],
    comparison_lost=shown_n["COMPARISON"]["lost"],
    comparison_followed=shown_n["COMPARISON"]["followed_up"],
    registry=shown_registry,
    assessed=r.count(res["recipients"]["assessed_among_other"]),
    **recipients,
)
if (flow_shown.to_numpy() == disclosure.SUPPRESSED).mean() > 0.5:
    # small losses: both groups together are the coarsest level, and a sentence replaces the table
    r.say("flow.not_shown", min_cell=r.n(disclosure_min_cell), lost=r.count(int(flow["lost"].sum())))
else:
    r.table(flow, "flow.table", counts=FLOW_COUNTS)
r.say(
    "flow.attrition",
    mi=r.num(res["imputed"]["estimate"], 2),
    mi_ci=ci(res["imputed"]["ci_low"], res["imputed"]["ci_high"]),
    ipw=r.num(ancova.loc["living", "estimate"], 2),
)

# %%
r.heading("change")
r.say("change.text")
paired = res["paired"].rename(index=dim_names).rename_axis("dimension")
CHANGE_STATS = ["baseline", "followup", "change", "ci_low", "ci_high", "d_z", "p_holm", "p_wilcoxon"]
publish(
    paired[["n", *CHANGE_STATS]],
    "change.table",
    counts=["n"],
    derived=CHANGE_STATS,
    additive=False,
)
mixed = res["mixed"]
# a failed fit (singular: no usable estimate) is said to have failed, never shown as the ordinary mean
failed = [dim_names[d] for d, m in mixed.items() if m.get("failed")]
boundary = [dim_names[d] for d, m in mixed.items() if m["boundary"] and not m.get("failed")]
if not mixed["living"].get("failed"):
    r.say(
        "change.mixed",
        estimate=r.num(mixed["living"]["estimate"], 2),
        interval=ci(mixed["living"]["ci_low"], mixed["living"]["ci_high"]),
        icc=r.num(mixed["living"]["icc"], 3),
        boundary=", ".join(boundary) if boundary else r.t("none"),
    )
if failed:
    r.say("change.mixed_failed", failed=", ".join(failed))
factors = res["factors"].rename(index=lambda c: r.t(f"value.{c}")).rename_axis("measure")
publish(
    factors[["n", *CHANGE_STATS[:5], "p_holm"]],
    "change.factors",
    counts=["n"],
    derived=[*CHANGE_STATS[:5], "p_holm"],
    additive=False,
)

# %%
r.heading("comparison")
r.say(
    "comparison.text",
    treated=r.count(res["pool_sizes"][0]),
    pool=r.count(res["pool_sizes"][1]),
    max_smd=r.num(res["max_abs_smd"], 3),
    vr_low=r.num(res["balance"]["vr_after"].min(), 2),
    vr_high=r.num(res["balance"]["vr_after"].max(), 2),
    balanced=r.t("comparison.balanced" if res["balanced"] else "comparison.not_balanced"),
)
balance = res["balance"]
fig, ax = plt.subplots(figsize=(7, 3.8))
labels = [r.label(c) for c in balance.index]
ax.scatter(balance["smd_before"], labels, marker="o", label=r.t("comparison.before"))
ax.scatter(balance["smd_after"], labels, marker="s", label=r.t(f"comparison.after_{evaluation_admin_method}"))
# the cut-off the weighting refines to (dotted) and the WWC limit above which the comparison fails (dashed)
for limit, style in ((SMD_MAX, ":"), (pilot.WWC_FAIL, "--")):
    for side in (-limit, limit):
        ax.axvline(side, color="grey", linestyle=style, linewidth=0.8)
ax.axvline(0, color="black", linewidth=0.6)
ax.grid(False, axis="x")  # no vertical grid lines to mistake for the reference lines
ax.set_xlabel(r.t("comparison.smd"))
ax.legend()
adjusted = r.t(f"comparison.method_{evaluation_admin_method}")
r.figure(
    fig, "comparison.love", method=adjusted, smd_max=r.num(SMD_MAX, 2), wwc_fail=r.num(pilot.WWC_FAIL, 2)
)
r.table(
    balance.rename(index=r.label).rename_axis("covariate"),
    "comparison.balance",
    decimals=3,
    method=adjusted,
)
r.say("comparison.mdtse_balance", max_smd=r.num(res["mdtse_balance"]["smd_after"].abs().max(), 3))

# %%
r.heading("effects")
r.say("effects.text")
shown = (
    ancova[["estimate", "ci_low", "ci_high", "df", "p_value"]]
    .join(res["e_values"].rename(columns={"estimate": "e_value", "ci": "e_value_ci"}))
    .join(did[["estimate", "ci_low", "ci_high"]].add_prefix("did_"))
)
fig, ax = plt.subplots(figsize=(7, 3.8))
names = [dim_names[d] for d in ancova.index]
for table, marker, shift in ((ancova, "o", -0.12), (did, "s", 0.12)):
    ax.errorbar(
        table["estimate"],
        np.arange(len(names)) + shift,
        xerr=[table["estimate"] - table["ci_low"], table["ci_high"] - table["estimate"]],
        fmt=marker,
        capsize=3,
        label=r.t(f"effects.{'ancova' if table is ancova else 'did'}"),
    )
ax.set_yticks(range(len(names)), names)
# the legend above the axes, where it covers no interval
ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
ax.axvline(0, color="black", linewidth=0.6)
ax.set_xlabel(r.t("effects.xlabel"))
ax.invert_yaxis()
r.figure(fig, "effects.forest")
r.table(shown.rename(index=dim_names).rename_axis("dimension"), "effects.mdtse", decimals={"df": 1})
gap = res["empowerment_gap"]
r.say("effects.empowerment", gap=r.num(gap["estimate"], 2), gap_ci=ci(gap["ci_low"], gap["ci_high"]))
# shares as percentages and their effects in percentage points; days as days
admin_shown = admin[["control_mean", "estimate", "ci_low", "ci_high", "p_value"]].join(
    res["admin_check"][["estimate"]].rename(columns={"estimate": "check"})
)
shares = [o for o in admin_shown.index if o != "days_employed"]
scaled = ["control_mean", "estimate", "ci_low", "ci_high", "check"]
admin_shown.loc[shares, scaled] *= 100
admin_shown.insert(
    0, "unit", [r.t("unit.days" if o == "days_employed" else "unit.pp") for o in admin_shown.index]
)
r.table(
    admin_shown.rename(index=lambda c: r.t(f"value.{c}")).rename_axis("outcome"),
    "effects.admin",
    decimals={"control_mean": 1, "estimate": 1, "ci_low": 1, "ci_high": 1, "check": 1},
)
r.say(
    "effects.admin_text",
    exit12=pp(admin.loc["exit_12m", "estimate"]),
    exit12_ci=pp_ci(admin.loc["exit_12m", "ci_low"], admin.loc["exit_12m", "ci_high"]),
    days=r.num(admin.loc["days_employed", "estimate"], 1),
    days_ci=ci(admin.loc["days_employed", "ci_low"], admin.loc["days_employed", "ci_high"], 1),
    clusters=r.n(int(admin.loc["exit_12m", "clusters"])),
    # every participant is in this analysis, so its clusters are the pilot's CEAS and the comparison's
    pilot_clusters=r.n(power["clusters"]),
    comparison_clusters=r.n(int(admin.loc["exit_12m", "clusters"]) - power["clusters"]),
)

# %%
r.heading("heterogeneity")
rtm, rtm_pilot = res["rtm_comparison"], res["rtm_pilot"]


def direction(effect, negative, positive):
    """The reading of an interval: ``negative`` below 0, ``positive`` above 0, else ``null``."""
    return negative if effect["ci_high"] < 0 else positive if effect["ci_low"] > 0 else "null"


r.say(
    "heterogeneity.text",
    het=r.num(het["estimate"], 2),
    het_ci=ci(het["ci_low"], het["ci_high"]),
    base=r.num(base["estimate"], 2),
    base_ci=ci(base["ci_low"], base["ci_high"]),
    base_reading=r.t("heterogeneity.base." + direction(base, "lower", "higher")),
    rtm=r.num(rtm["estimate"], 2),
    rtm_ci=ci(rtm["ci_low"], rtm["ci_high"]),
    rtm_reading=r.t("heterogeneity.rtm." + direction(rtm, "negative", "positive")),
    rtm_pilot=r.num(rtm_pilot["estimate"], 2),
    rtm_pilot_ci=ci(rtm_pilot["ci_low"], rtm_pilot["ci_high"]),
)
# mean change per band of years on the RGC and group; only bands where both groups reach min_cell
# persons are drawn (a scatter of persons would publish microdata)
bands = pilot.binned_change(
    res["completers"], "change_living", "chronicity", [0.0, 1 / 3, 2 / 3, 1.0, 1.01], disclosure_min_cell
)
band_names = [r.t(f"heterogeneity.band{i}") for i in range(4)]
fig, ax = plt.subplots(figsize=(7, 4))
for (group, marker), shift in zip((("COMPARISON", "o"), ("PILOT", "s")), (-0.08, 0.08), strict=True):
    part = bands.xs(group, level="group") if len(bands) else bands
    if len(part):
        ax.errorbar(
            part.index.codes + shift,
            part["mean"],
            yerr=[part["mean"] - part["ci_low"], part["ci_high"] - part["mean"]],
            fmt=marker + "-",
            capsize=3,
            label=r.value(group),
        )
ax.axhline(0, color="black", linewidth=0.6)
ax.set_xticks(range(4), band_names)
ax.set_xlim(-0.5, 3.5)
ax.set_xlabel(r.t("heterogeneity.xlabel"))
ax.set_ylabel(textwrap.fill(r.t("heterogeneity.ylabel"), 30))  # on lines no taller than the axes
ax.legend()
r.figure(fig, "heterogeneity.figure", min_cell=r.n(disclosure_min_cell))

# %%
r.heading("improved")
r.say(
    "improved.text",
    reliability=r.num(res["reliability"], 2),
    pilot=share_or_mark("improved", "PILOT"),
    pilot_ci=share_or_mark("improved", "PILOT", interval=True),
    comparison=share_or_mark("improved", "COMPARISON"),
    claim=r.pct(evaluation_claim_improved, 0),
    threshold=r.num(evaluation_improved_change, 1),
    effect=pp(res["improved_effect"]["estimate"]),
    effect_ci=pp_ci(res["improved_effect"]["ci_low"], res["improved_effect"]["ci_high"]),
    without=r.pct(res["improved_effect"]["without_pilot"]),
    reliable=share_or_mark("reliable_improved", "PILOT"),
)
publish_shares(
    [(g, row, r.value(row), f"who.{row}") for g, row in (("improved", "COMPARISON"), ("improved", "PILOT"))],
    "improved.table",
    columns={"agree": "improved", "disagree": "not_improved"},
    axis="group",
    why="improved.not_shown",
)

# %%
r.heading("satisfaction")
r.say(
    "satisfaction.text",
    agreement=satisfaction(
        "detail",
        claim_users=r.pct(evaluation_claim_users, 0),
        claim_pros=r.pct(evaluation_claim_professionals, 0),
    ),
)
publish_shares(
    [
        ("agree_users", "TOTAL", r.value("USER"), "who.USER"),
        ("agree_professionals", "TOTAL", r.value("PROFESSIONAL"), "who.PROFESSIONAL"),
    ],
    "satisfaction.table",
    columns={},
    axis="respondent",
    why="satisfaction.not_shown",
)

# %%
r.heading("verdict")
verdicts = res["verdicts"].copy()
verdicts["claim_text"] = [r.t(f"claim.{c}") for c in verdicts.index]
# share claims are judged on a share (not an effect): named as such, not by the row of their table
verdicts["term"] = [
    r.t(f"verdict.term.{claim}") if claim in pilot.claims.SHARE_TERMS else dim_names.get(t, r.value(t))
    for claim, t in verdicts["term"].items()
]
verdicts["risk_of_bias"] = [
    ", ".join(r.value(x) for x in v.split(", ") if x) for v in verdicts["risk_of_bias"]
]
# each verdict in the words of the rule (pilot.claims.effect_reading: an effect shown, not its
# size; a threshold ruled out, not an effect)
stored = res["verdicts"]
for column in ("verdict", "verdict_strict"):
    verdicts[column] = stored[column].map(r.value)
# each row's numbers in its own unit (named in a column), as the sentences print them
verdicts.insert(1, "unit", [r.t(f"unit.{verdict_unit(c, t)}") for c, t in res["verdicts"]["term"].items()])
for column in ("estimate", "ci_low", "ci_high", "target"):
    verdicts[column] = [
        None if pd.isna(row[column]) else verdict_number(c, row["term"], row[column]).format(r.lang)
        for c, row in res["verdicts"].iterrows()
    ]
verdicts = verdicts.rename(columns={"estimate": "verdict_estimate"})
# every claim by the stricter rule too: whole interval at or above the claimed share or the threshold
columns = ["claim_text", "term", "unit", "verdict_estimate", "ci_low", "ci_high", "target", "risk_of_bias",
           "verdict", "verdict_strict"]  # fmt: skip
numbers = ["verdict_estimate", "ci_low", "ci_high", "target"]
r.table(verdicts[columns].set_index("claim_text"), "verdict.table", verbatim=numbers)
claimed = {"improved": evaluation_claim_improved, "users": evaluation_claim_users, "professionals": evaluation_claim_professionals}  # fmt: skip
tolerances = {
    round(claimed[c] - res["verdicts"].loc[c, "target"], 6) for c in claimed if c in res["verdicts"].index
}
assert len(tolerances) == 1, f"the share claims have different tolerances: {tolerances}"
delay = res["baseline_delay_days"]
r.say(
    "verdict.text",
    tolerance=r.num(100 * tolerances.pop(), 0),
    late=r.t("verdict.late", days=r.n(delay)) if delay is not None else r.t("verdict.late_unknown"),
)
# what each verdict does not say, from the same table: supported below the claimed size, and
# contradicted with an interval that includes no effect
below = [
    r.t(
        "verdict.claim_below",
        claim=verdicts.loc[c, "claim_text"],
        term=verdicts.loc[c, "term"],
        low=with_unit(c, row["term"], row["ci_low"]),
        target=target_text(c, row),
    )
    for c, row in stored.iterrows()
    if row["verdict"].startswith("effect_shown")
]
if below:
    r.say("verdict.below_size", claims="; ".join(below))
zero = [
    r.t(
        "verdict.claim_contradicted",
        claim=verdicts.loc[c, "claim_text"],
        term=verdicts.loc[c, "term"],
        interval=interval_with_unit(c, row),
        target=target_text(c, row),
    )
    for c, row in stored.iterrows()
    if row["verdict"] == "threshold_ruled_out"
]
if zero:
    r.say("verdict.contradicted_zero", claims="; ".join(zero))

# %%
r.heading("validation")
if "validation" in res:
    check = res["validation"].rename(
        index=lambda c: dim_names.get(c, r.t(f"value.{c}") if c in admin.index else c)
    )
    r.say(
        "validation.text",
        **coverage_values,
        het_truth=r.num(het["truth"], 2),
        het=r.num(het["estimate"], 2),
        het_ci=ci(het["ci_low"], het["ci_high"]),
    )
    r.table(check.rename_axis("quantity"), "validation.table", decimals=3)
else:
    r.say("validation.no_truth")

# %%
r.heading("limitations")
r.say("limitations.text")

# %%
r.heading("common.checklist")
r.say("checklist")

# %%
r.footer()
