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
# # Profiles and pathways of the persons known to social services (developer notes)
#
# Reads what the `profiles` stage computed (`data/profiles/`: latent class analysis with StepMix,
# bootstrap stability, BCH-corrected covariates and outcomes, pathways, validation against the
# truth) and shows it. Every word comes from `pact_analysis/locales/*/LC_MESSAGES/profiles.po`.

# %% tags=["parameters"]
root = "."
lang = "es"
data_source = "synthetic"
data_extraction_date = "2018-10-31"
disclosure_min_cell = 10

# %%
import inspect
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from pact_analysis import profiles, report, warehouse
from pact_analysis.paths import Paths
from pact_analysis.profiles import em, pathways
from pact_analysis.report import i18n

r = report.start(
    "02_profiles",
    root,
    lang,
    disclosure_min_cell,
    data_source=data_source,
    data_extraction_date=data_extraction_date,
)
persons, tables, results = profiles.read_results(Paths(Path(root)))
sizes = tables["sizes"].set_index("profile")
validated = "ari" in results


def name_of(code: str) -> str:
    """Display name of a profile name code (``rgc_long_2`` -> the name of ``rgc_long`` and 2)."""
    base, _, number = code.rpartition("_")
    if number.isdigit():
        return f"{r.t('name.' + base)} ({number})"
    return r.t(f"name.{code}")


labels = {p: f"{p}. {name_of(n)}" for p, n in sizes["name"].items()}
items = tables["item_response"]
traits = profiles.trait_shares(items)  # posterior-weighted shares of the traits that name the profiles


def who(share: float) -> str:
    """A share as the subject of a sentence: "el 95,5 %", or words when it reads as a bound of all or none
    (``> 99,999 %``: "la práctica totalidad (> 99,999 %)", never "el > 99,999 %")."""
    shown = i18n.percent(share, lang)
    kind = "who_all" if shown.startswith(">") else "who_none" if shown.startswith("<") else "who"
    return r.t(f"share.{kind}", share=r.pct(share))


def why(p: int) -> str:
    """The reason for profile ``p``'s name, with the shares of the traits it rests on."""
    code = sizes.loc[p, "name"].rstrip("_0123456789")
    shares = traits.loc[p - 1]
    return r.t(
        f"why.{code}",
        **{t: r.pct(v) for t, v in shares.items()},
        **{f"{t}_who": who(v) for t, v in shares.items()},
    )


#: EM steps a start may take before it counts as not converged (the selection runs em.fit_starts' own)
EM_STEPS = inspect.signature(em.fit_starts).parameters["max_iter"].default
largest = sizes["persons"].idxmax()
stable = int((sizes["stability"] == "stable").sum())
fit = tables["fit"].set_index("k")

# %%
r.title()
r.banner(data_source)
r.findings(
    also="findings.truth" if validated else "findings.no_truth",
    persons=r.count(results["n_persons"]),
    k=r.n(results["k_chosen"]),
    largest=labels[largest],
    largest_share=r.pct(sizes.loc[largest, "share"]),
    stable=r.n(stable),
    pathways_ari=r.num(results["pathways_profile_ari"]),
    ari=r.num(results.get("ari", np.nan), 3),
    ceiling=r.num(results.get("supervised_ceiling_ari", np.nan), 3),
    share_of_ceiling=r.pct(results.get("ari_share_of_ceiling", np.nan), 0),
)
if validated:
    recovery = tables["true_profile_jaccard"].set_index("true_profile")
    recovered = [r.t(f"true.{t}") for t in recovery.index[recovery["recovered"]]]
    missed = [r.t(f"true.{t}") for t in recovery.index[~recovery["recovered"]]]
    r.say(
        "findings.recovered",
        recovered=", ".join(recovered) or r.t("none"),
        missed=", ".join(missed) or r.t("none"),
    )

# %%
r.heading("about")
r.say("about.text", persons=r.count(results["n_persons"]), date=r.date(data_extraction_date))
indicators = pd.DataFrame(
    [
        (name, group, "bands" if cuts else "categorical")
        for name, (group, cuts) in profiles.CATEGORICAL.items()
    ]
    + [(name, group, "continuous") for name, group in profiles.CONTINUOUS.items()],
    columns=["indicator", "group", "kind"],
).set_index("indicator")
r.table(indicators, "about.indicators")

# %%
r.heading("selection")
r.say(
    "selection.text",
    k=r.n(results["k_chosen"]),
    k_bic_min=r.n(results["k_bic_minimum"]),
    k_sabic_min=r.n(results["k_sabic_minimum"]),
    criterion=r.label(results["k_criterion"]),
    k_max=r.n(results["k_max"]),
    n_init=r.n(results["n_init"]),
    max_starts=r.n(results["max_starts"]),
    convergence=r.t(
        "selection.converged." + {0: "all", 1: "one"}.get(int(results["starts_not_converged"]), "some"),
        n=r.n(results["starts_not_converged"]),
        steps=r.n(EM_STEPS),
    ),
    sample=r.n(results["n_selection"]),
    min_share=r.pct(results.get("min_class_share", profiles.MIN_CLASS_SHARE), 0),
    at_best=r.n(results["best_ll_replicated"]),
    share_at_best=r.pct(results["best_ll_share"]),
    random_starts=r.n(int(fit.loc[results["k_chosen"], "random_starts"])),
    starts_min=r.n(results["lca_starts"]),
    starts_max=r.n(results["lca_starts_max"]),
    two_stage=(
        r.t(
            "selection.two_stage",
            initial_iter=r.n(results["initial_iter"]),
            final_starts=r.n(results["final_starts"]),
        )
        if results.get("initial_iter")
        else ""
    ),
    starts=r.n(int(fit.loc[results["k_chosen"], "starts"])),
    replicated=r.n(int(fit["replicated"].sum())),
    models=r.n(len(fit)),
)
if results["k_chosen"] == results["k_max"] == results.get("k_bic_minimum", results["k_max"]):
    r.say("selection.at_max", k_max=r.n(results["k_max"]))
fig, ax = plt.subplots(figsize=(7, 3.8))
for column in ("aic", "bic", "sabic"):
    ax.plot(fit.index, fit[column], marker="o", label=r.label(column))
ax.axvline(results["k_chosen"], color="grey", linestyle=":")
ax.set_xlabel(r.label("k"))
ax.set_ylabel(r.t("selection.ylabel"))
ax.legend()
r.figure(fig, "selection.figure", k=r.n(results["k_chosen"]))
shown = fit[
    [
        "loglik",
        "random_starts",
        "starts",
        "starts_at_best",
        "converged_starts",
        "n_parameters",
        "aic",
        "bic",
        "sabic",
        "entropy",
        "smallest_n",
        "smallest_share",
        "bvr_over",
    ]
]
r.table(
    shown,
    "selection.table",
    counts=["smallest_n"],
    additive=False,
    percent=["smallest_share"],
    decimals={"entropy": 3, "loglik": 1, "aic": 1, "bic": 1, "sabic": 1},
)
r.say("selection.neighbours")
neighbours = tables["neighbours"].set_index("k")
# the classes of a model have no order of their own: list the profiles they fall into in profile order
neighbours["classes_into_profiles"] = neighbours["classes_into_profiles"].map(
    lambda text: ", ".join(sorted(text.split(", "), key=int))
)
r.table(
    neighbours,
    "selection.neighbours",
    additive=False,
    percent=["smallest_share"],
    decimals=3,
    verbatim=["classes_into_profiles"],
)
if validated:
    r.say("selection.neighbours_truth", persons=r.count(results["n_validated"]))

# %%
r.heading("sizes")
r.say(
    "sizes.text",
    bootstrap=r.n(results["bootstrap_replicates"]),
    sample=r.n(results["n_bootstrap_persons"]),
    starts_min=r.n(results["bootstrap_starts_min"]),
    starts_max=r.n(results["bootstrap_starts_max"]),
    replicated=r.n(results["bootstrap_replicated"]),
    max_starts=r.n(results["max_starts"]),
)
size_table = sizes.assign(name=[labels[p] for p in sizes.index])[
    ["name", "persons", "share", "mean_posterior", "jaccard", "stability"]
]
r.table(size_table, "sizes.table", counts=["persons"], additive=False, percent=["share"])
for p in sizes.index:
    r.say("sizes.why", name=labels[p], why=why(p))
verdicts = [
    r.t(
        "sizes.verdict", name=labels[p], verdict=r.t(f"stability.{v}"), jaccard=r.num(sizes.loc[p, "jaccard"])
    )
    for p, v in sizes["stability"].items()
]
r.say("sizes.verdicts", verdicts="; ".join(verdicts))

# %%
r.heading("bvr")
bvr = tables["bvr"]
r.say(
    "bvr.text",
    over=r.n(results["bvr_over"]),
    pairs=r.n(results["bvr_pairs"]),
    over_one=r.n(int(fit.loc[fit.index.min(), "bvr_over"])),
)
over = bvr[bvr["bvr"] > 3.84].set_index(["item_a", "item_b"])
r.table(over, "bvr.table", additive=False, decimals={"chi2": 1, "df": 0, "bvr": 1})

# %%
r.heading("items")
r.say("items.text")
fig, ax = plt.subplots(figsize=(8, 0.5 + 0.45 * len(traits.columns)))
sns.heatmap(
    traits.T.rename(index=lambda t: r.t(f"trait.{t}"), columns=lambda c: labels[c + 1]),
    annot=traits.T.map(lambda v: i18n.number(100 * v, lang, 0) + (" %" if lang == "es" else "%")).to_numpy(),
    fmt="",
    cmap="Blues",
    vmin=0,
    vmax=1,
    cbar=False,
    ax=ax,
)
ax.set_xlabel("")
ax.set_ylabel("")
ax.tick_params(axis="x", rotation=30)
plt.setp(ax.get_xticklabels(), ha="right")
r.figure(fig, "items.figure")

# %%
r.heading("cards")
card_traits = profiles.card_traits(items)
universal = card_traits.columns[(card_traits >= profiles.UNIVERSAL_SHARE).all(axis=0)]


def trait_label(trait: str) -> str:
    """A trait's words: a naming trait (``trait.X``) or a service as in the table of services."""
    return r.t(f"trait.{trait}") if trait in profiles.TRAITS else r.value(trait)


r.say(
    "cards.text",
    universal_share=r.pct(profiles.UNIVERSAL_SHARE, 0),
    left_out=", ".join(trait_label(t) for t in universal) or r.t("none"),
)
top_traits = profiles.most_frequent_traits(card_traits)
# each curve stops where fewer than the minimum cell are still followed: a step there is a person
at_risk = tables["km_at_risk"].set_index("month")
curves = tables["km_curves"].set_index("month").where(at_risk >= disclosure_min_cell)
medians = tables["km_medians"].set_index("profile")["median_months"]
exits = tables["exits"].set_index("profile")
services = items[items["variable"].str.startswith("used_") & (items["value"] == "yes")]
services = services.pivot(index="class", columns="variable", values="share")
for p in sizes.index:
    r.say("card.heading", name=labels[p])
    median = medians.get(str(p), np.nan)
    r.say(
        "card.text",
        persons=r.count(sizes.loc[p, "persons"]),
        share=r.pct(sizes.loc[p, "share"]),
        why=why(p),
        top=", ".join(f"{trait_label(t)} ({i18n.percent(v, lang)})" for t, v in top_traits[p - 1]),
        stability=r.t(f"stability.{sizes.loc[p, 'stability']}"),
    )
    if np.isfinite(median):
        r.say("card.rgc", median=r.num(median, 0))
fig, ax = plt.subplots(figsize=(7, 4))
for column in curves.columns:
    ax.step(curves.index, curves[column], where="post", label=labels[int(column)])
ax.set_xlabel(r.t("common.months_on_rgc"))
ax.set_ylabel(r.t("common.share_still_receiving"))
# the legend below the axes, where it hides no curve
ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=1, frameon=False)
r.figure(fig, "cards.km", chronicity=r.ref("03_chronicity"))
r.cite("kaplan_meier_1958")
exit_table = exits.rename(index=lambda p: labels[int(p)]).rename_axis("profile")
r.table(exit_table, "cards.exits", counts=list(exit_table.columns))
service_table = services.T.rename(index=lambda v: r.value(v), columns=lambda c: f"p{c + 1}").rename_axis(
    "service"
)
r.table(service_table, "cards.services", percent=list(service_table.columns))

# %%
r.heading("distal")
r.say("distal.text", negative=r.n(results["bch_negative_cells"]))
distal = tables["distal"]
distal = distal[~distal["value"].isin(["no", "unknown"])]
distal_table = distal.pivot_table(index=["variable", "value"], columns="class", values="share")
distal_table.columns = [f"p{c + 1}" for c in distal_table.columns]
r.table(distal_table, "distal.table", percent=list(distal_table.columns))

# %%
r.heading("covariates")
effects = tables["covariate_effects"]
correction = results["covariate_correction"]
shown_effects = effects[effects["correction"] == correction]
r.say(
    "covariates.text",
    reference=labels[1],
    references="; ".join(
        f"{r.value(c)}: {r.value(level)}" for c, level in results["covariate_reference"].items()
    ),
    households=r.count(results["covariate_households"]),
    persons=r.count(results["covariate_persons"]),
    left_out=r.count(results["covariate_left_out"]),
    significant=r.n(results["covariate_significant"]),
    effects=r.n(results["covariate_effects_n"]),
    not_estimable=r.n(results["covariate_not_estimable"]),
)
if results["covariate_ml_bch_compared"]:
    r.say(
        "covariates.bch",
        bch=r.num(results["covariate_ml_bch_max_se"], 1),
        compared=r.n(results["covariate_ml_bch_compared"]),
        effects=r.n(results["covariate_effects_n"]),
    )
else:
    r.say("covariates.bch_none")
strongest = profiles.covariates.strongest_effects(effects, correction)
without = [r.value(c) for c in results["covariates"] if c not in set(strongest["covariate"])]
if len(strongest):
    r.say(
        "covariates.strongest",
        effects="; ".join(
            r.t(
                "covariates.effect",
                covariate=r.value(e.covariate),
                level=r.value(e.level),
                reference_level=r.value(e.reference_level),
                profile=labels[int(e.profile)],
                reference=labels[int(e.reference_profile)],
                coef=r.num(e.coef),
                lower=r.num(e.ci_lower),
                upper=r.num(e.ci_upper),
            )
            for e in strongest.itertuples()
        ),
        others=r.t("covariates.others", covariates=", ".join(without)) if without else "",
    )
else:
    r.say("covariates.none")
effect_table = shown_effects.assign(profile=[labels[int(p)] for p in shown_effects["profile"]]).set_index(
    ["profile", "covariate", "level"]
)[["coef", "se", "ci_lower", "ci_upper", "p_value"]]
r.table(effect_table, "covariates.table", additive=False, decimals=2, reference=labels[1])

# %%
r.heading("baseline")
r.say(
    "baseline.text",
    lca_ari=r.num(results["kprototypes_lca_ari"]),
    sample=r.n(results["n_selection"]),
)
if validated:
    r.say(  # both on the same persons (the k-prototypes selection)
        "baseline.truth",
        kproto=r.num(results["kprototypes_ari"]),
        ari=r.num(results["lca_ari_kprototypes_persons"]),
        persons=r.count(results["n_kprototypes_validated"]),
    )

# %%
r.heading("pathways")
r.say("pathways.text", months=r.n(results["study_months"]))
dist = tables["state_distribution"]
state_names = [r.t(f"state.{s}") for s in pathways.STATES]
colours = sns.color_palette("colorblind", len(pathways.STATES))
groups = sorted(dist["group"].unique())
fig, axes = plt.subplots(len(groups), 1, figsize=(8, 1.3 * len(groups) + 0.8), sharex=True)
for ax, group in zip(np.atleast_1d(axes), groups, strict=True):
    wide = dist[dist["group"] == group].pivot(index="month", columns="state", values="share")
    wide = wide[list(pathways.STATES)]
    ax.stackplot(np.arange(len(wide)), wide.T.to_numpy(), colors=colours, labels=state_names)
    ax.set_ylim(0, 1)
    ax.set_yticks([0, 0.5, 1], [i18n.percent(v, lang, 0) for v in (0, 0.5, 1)], fontsize="small")
    ax.text(1.01, 0.5, f"P{group}", transform=ax.transAxes, va="center")
ticks = np.arange(0, len(wide), 12)
ax.set_xticks(ticks, [wide.index[i][:4] for i in ticks])
ax.set_xlabel(r.t("pathways.xlabel"))
fig.supylabel(r.t("pathways.distribution.ylabel"))
fig.tight_layout(rect=(0, 0, 1, 1 - 0.5 / fig.get_figheight()))
fig.legend(
    state_names, loc="upper center", ncol=len(state_names), bbox_to_anchor=(0.5, 1.0), fontsize="small"
)
r.figure(fig, "pathways.distribution")

# no sequence-index plot: one line per person is a person's record, not a count (the state
# distribution above gives the picture as shares of each profile)

transitions = tables["transitions"].set_index("from")
transitions.index = [r.t(f"state.{s}") for s in transitions.index]
transitions = transitions.rename_axis("from")
rates = transitions[list(pathways.STATES)].rename(columns=lambda s: f"to_{s}")
r.table(
    rates.assign(person_months=transitions["person_months"]),
    "pathways.transitions",
    counts=["person_months"],
    additive=False,
    percent=list(rates.columns),
)
r.say(
    "pathways.typology",
    sample=r.n(results["pathway_sample"]),
    types=r.n(results["pathway_types"]),
    ari=r.num(results["pathways_profile_ari"]),
)
types = tables["pathway_types"].set_index("pathway_type")
r.table(types, "pathways.types", counts=["persons"], additive=False, percent=list(pathways.STATES))
cross = tables["pathways_by_profile"].set_index("pathway_type")
cross.columns = [f"p{c}" for c in cross.columns]
r.table(cross, "pathways.crosstab", counts=list(cross.columns))

# %%
r.heading("validation")
if validated:
    r.say(
        "validation.text",
        ari=r.num(results["ari"], 3),
        ceiling=r.num(results["supervised_ceiling_ari"], 3),
        share=r.pct(results["ari_share_of_ceiling"], 0),
        k=r.n(results["k_chosen"]),
        k_true=r.n(results["k_true"]),
        persons=r.count(results["n_validated"]),
    )
    truth = tables["truth_crosstab"].set_index("profile")
    truth.index = [labels[int(p)] for p in truth.index]
    truth = truth.rename_axis("profile").rename(columns=lambda c: f"true_{c}")
    r.table(truth, "validation.crosstab", counts=list(truth.columns))
    recovery = tables["true_profile_jaccard"].set_index("true_profile")
    worst = recovery["jaccard"].idxmin()
    others = tables["neighbours"].set_index("k").drop(index=results["k_chosen"])
    r.say(
        "validation.recovered",
        recovered=", ".join(r.t(f"true.{t}") for t in recovery.index[recovery["recovered"]]) or r.t("none"),
        missed=", ".join(r.t(f"true.{t}") for t in recovery.index[~recovery["recovered"]]) or r.t("none"),
        worst=r.t(f"true.{worst}"),
        worst_jaccard=r.num(recovery.loc[worst, "jaccard"]),
        neighbour_worst="; ".join(
            r.t("validation.neighbour", k=r.n(k), jaccard=r.num(v))
            for k, v in others["min_true_profile_jaccard"].items()
        ),
    )
    r.table(
        recovery.rename(index=lambda t: r.t(f"true.{t}"), columns={"jaccard": "best_jaccard"}),
        "validation.jaccard",
        additive=False,
        decimals=3,
    )
else:
    r.say("validation.no_truth")

# %%
r.heading("warehouse")
model = warehouse.logical_model()
r.say("warehouse.text", tables=r.n(len(model["tables"])), links=r.n(len(model["relationships"])))
kinds = ("dimension", "fact", "bridge", "derived", "aggregate")
fig = warehouse.draw_logical_model(model, {k: r.t(f"warehouse.kind.{k}") for k in kinds})
r.figure(fig, "warehouse.figure")

# %%
r.heading("limitations")
r.say("limitations.text")

# %%
r.heading("common.checklist")
r.say("checklist")

# %%
r.footer()
