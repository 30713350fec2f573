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
# # Record linkage (developer notes)
#
# How persons were linked across SAUSS, RGC, the employment service and the NGOs, against the
# GUILD/RECORD items of `shared/design/REPORTING.md`. Words come from
# `pact_analysis/locales/*/LC_MESSAGES/record_linkage.po`.

# %% tags=["parameters"]
root = "."
lang = "es"
data_source = "synthetic"
data_extraction_date = "2018-10-31"
linkage_threshold = 0.9
disclosure_min_cell = 10

# %%
import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from pact_analysis import codebook, ingest, report
from pact_analysis.linkage import diagnostics
from pact_analysis.paths import Paths
from pact_analysis.report.figures import match_weights_figure
from pact_analysis.report.navigation import slug

r = report.start(
    "01_record_linkage",
    root,
    lang,
    disclosure_min_cell,
    data_source=data_source,
    linkage_threshold=linkage_threshold,
)
paths = Paths(Path(root))
folder = paths.linkage
persons_frames = ingest.read_clean(paths, codebook.person_sources())
metrics = json.loads(paths.linkage_summary.read_text())  # the link stage computed every figure
pairs = pd.read_parquet(folder / "predictions.parquet")
crosswalk = pd.read_parquet(folder / "crosswalk.parquet")
sensitivity = pd.DataFrame(metrics["threshold_sensitivity"]).set_index("threshold")[
    ["links", "persons", "linked_records"]
]
exact_persons = metrics["deterministic_n_persons"]
quality = metrics.get("quality")
review = metrics.get("clerical_review")
if review is not None and review.get("precision") is None:
    review = None  # labels delivered, but no labelled pair at or above the threshold: no precision to show

# %%
r.title()
r.banner(data_source)
# figures the index also shows are recorded under metrics/linkage.json's keys (one value everywhere)
values = {
    "records": r.quantity("linkage.records", metrics["records"], "int", count=True, where="findings"),
    "persons": r.quantity("linkage.n_persons", metrics["n_persons"], "int", count=True, where="findings"),
    "exact_persons": r.quantity(
        "linkage.deterministic_n_persons", exact_persons, "int", count=True, where="findings"
    ),
    "threshold": r.num(linkage_threshold, 2),
}
if quality is not None:
    pairwise = quality["pairwise"]
    values |= {
        "precision": r.quantity("linkage.precision", pairwise["precision"], "pct", 2, where="findings"),
        "recall": r.quantity("linkage.recall", pairwise["recall"], "pct", 2, where="findings"),
        "f1": r.quantity("linkage.bcubed_f1", quality["bcubed"]["f1"], "num", 3, where="findings"),
        "exact_f1": r.num(quality["deterministic"]["bcubed"]["f1"], 3),
        "true_persons": r.quantity(
            "linkage.true_persons", metrics["true_persons"], "int", count=True, where="findings"
        ),
    }
    r.findings(also="findings.truth", index="index.truth", **values)
elif review is not None:
    values |= {
        "review_precision": r.pct(review["precision"], 1),
        "lower": r.pct(review["ci_lower"], 1),
        "upper": r.pct(review["ci_upper"], 1),
        "pairs": r.n(review["linked_pairs"]),
    }
    r.findings(also="findings.review", index="index.review", **values)
else:
    r.findings(also="findings.no_quality", **values)

# %%
r.heading("method")
r.say("method.text", threshold=r.num(linkage_threshold, 2))

# %%
r.heading("flow")
r.say("flow.text")
steps = [
    (
        r.t("flow.records"),
        " · ".join(f"{r.value(s)}: {r.fmt_n(n)}" for s, n in metrics["records_by_source"].items()),
    ),
    (r.t("flow.pairs"), r.fmt_n(metrics["pairs_compared"])),
    (r.t("flow.links", threshold=r.num(linkage_threshold, 2)), r.fmt_n(metrics["links_at_threshold"])),
    (r.t("flow.persons"), r.fmt_n(metrics["n_persons"])),
]
r.figure(diagnostics.plot_flow(steps), "flow.figure")

# %%
r.heading("identifiers")
r.say("identifiers.text")
identifier_table = diagnostics.identifier_quality(persons_frames)
shares = [c for c in identifier_table.columns if c != "records"]
r.table(identifier_table, "identifiers.table", counts=["records"], additive=False, percent=shares)

# %%
r.heading("ingest_warnings")
warnings = ingest.read_warnings(paths)
if warnings.empty:
    r.say("ingest_warnings.none")
else:
    r.say("ingest_warnings.text", n=r.n(len(warnings)))
    if (warnings["kind"] == "mostly_blank").any():
        r.say("ingest_warnings.blank")
    shown = warnings.assign(kind=warnings["kind"].map(lambda k: r.t(f"ingest_warnings.kind.{k}")))
    shown = shown[["file", "column", "kind", "n_rows", "share"]].set_index("file")
    with_share = bool(shown["share"].notna().any())  # a blank share only for an often blank column
    r.table(
        shown if with_share else shown.drop(columns="share"),
        "ingest_warnings.table",
        counts=["n_rows"],
        additive=False,
        percent=["share"] if with_share else [],
        share=r.t("ingest_warnings.share_note") if with_share else "",
    )

# %%
r.heading("model")
r.say("model.text")
model = json.loads((folder / "model.json").read_text())
parameters = diagnostics.parameter_table(model)
fig = match_weights_figure(
    parameters,
    comparison_label=lambda c: r.t(f"comparison.{c}"),
    level_label=lambda c, level: r.t(f"level.{c}.{slug(level).replace('-', '_')}"),
    xlabel=r.t("model.xlabel"),
)
r.figure(fig, "model.weights")

# %%
r.heading("decisions")
r.say("decisions.text")
fig, ax = plt.subplots(figsize=(7, 4))
# a bar of 1 to min_cell - 1 pairs is a small count: not drawn, and said in the caption
counts, edges = np.histogram(pairs["match_probability"], bins=50, range=(0, 1))
small = (counts > 0) & (counts < disclosure_min_cell)
ax.bar(edges[:-1], np.where(small, 0, counts), width=np.diff(edges), align="edge", log=True, color="#1f618d")
ax.axvline(
    linkage_threshold,
    color="black",
    linestyle="--",
    label=r.t("decisions.threshold", threshold=r.num(linkage_threshold, 2)),
)
ax.set_xlabel(r.t("common.col.match_probability"))
ax.set_ylabel(r.t("decisions.ylabel"))
ax.legend()
r.figure(
    fig,
    "decisions.histogram",
    hidden=r.n(int(small.sum())),
    bins=r.n(len(counts)),
    min_cell=r.n(disclosure_min_cell),
)

# %%
r.heading("accuracy")
if quality is not None:
    r.say("accuracy.text")
    curve = pd.DataFrame(metrics["threshold_curve"])
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(curve["threshold"], curve["precision"], marker="o", label=r.t("common.col.precision"))
    ax.plot(curve["threshold"], curve["recall"], marker="s", label=r.t("common.col.recall"))
    ax.axvline(linkage_threshold, color="grey", linestyle=":")
    ax.set_xlabel(r.t("common.col.threshold"))
    ax.set_ylabel(r.t("accuracy.ylabel"))
    ax.legend()
    r.figure(fig, "accuracy.curve")
    # each threshold as the text gives it (0.50, 0.999: two places or its own), accuracies at four
    places = [max(2, len(f"{x:.4g}".partition(".")[2])) for x in curve["threshold"]]
    thresholds = pd.Index(
        r.nums_as_shown(curve["threshold"], places),
        name="threshold",
    )
    accuracy = curve[["precision", "recall", "f1"]].set_axis(thresholds)
    r.table(accuracy, "accuracy.table", decimals=4, verbatim=["threshold"])
else:
    r.say("accuracy.no_truth")
if review is not None:
    r.say(
        "accuracy.review",
        precision=r.pct(review["precision"], 1),
        lower=r.pct(review["ci_lower"], 1),
        upper=r.pct(review["ci_upper"], 1),
        pairs=r.n(review["linked_pairs"]),
    )
else:
    r.say("accuracy.no_review")

# %%
r.heading("who")
r.say("who.text")
compared = diagnostics.linked_vs_unlinked(crosswalk, persons_frames, data_extraction_date)
r.table(
    compared,
    "who.table",
    counts=["linked", "unlinked"],
    additive=False,
    percent=["linked_share", "unlinked_share"],
)

# %%
r.heading("persons")
r.say("persons.text")
r.table(diagnostics.cluster_sizes(crosswalk), "persons.table", counts=["persons"])

# %%
r.heading("baseline")
r.say("baseline.text")
rows = {"probabilistic": {"persons": metrics["n_persons"]}, "exact_document": {"persons": exact_persons}}
if quality is not None:
    rows["probabilistic"] |= {k: quality["bcubed"][k] for k in ("precision", "recall", "f1")}
    rows["exact_document"] |= {
        k: quality["deterministic"]["bcubed"][k] for k in ("precision", "recall", "f1")
    }
    rows["truth"] = {"persons": metrics["true_persons"]}
comparison = pd.DataFrame.from_dict(rows, orient="index").rename_axis("method")
r.table(comparison, "baseline.table", counts=["persons"], additive=False, decimals=4)

# %%
r.heading("sensitivity")
r.say("sensitivity.text", threshold=r.num(linkage_threshold, 2))
r.table(sensitivity, "sensitivity.table", counts=["links", "persons", "linked_records"], additive=False)

# %%
r.heading("downstream")
if quality is not None:
    r.say("downstream.text")
    r.table(
        pd.DataFrame.from_dict(metrics["downstream"], orient="index")
        .loc[["probabilistic", "exact_document"], ["spells", "merged", "split"]]
        .rename_axis("method")
        .rename(columns={"spells": "files"}),
        "downstream.table",
        counts=["files", "merged", "split"],
        additive=False,
    )
else:
    r.say("downstream.no_truth")

# %%
r.heading("limitations")
municipality = parameters[parameters["comparison"] == "municipality"]
r.say(
    "limitations.text",
    overview=r.ref("00_overview", anchor="identity"),
    province_weight=r.num(municipality["match_weight"].min(), 1) if len(municipality) else "–",
)

# %%
r.heading("common.checklist")
r.say("checklist", review=r.t("checklist.review" if review is not None else "checklist.no_review"))

# %%
r.footer()
