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
# # Record linkage: who is the same person across sources
#
# SAUSS, the RGC registry, the employment service and the NGOs each record persons their own way,
# with typing errors, missing documents and duplicates. The `link` stage standardises the identities,
# scores candidate pairs with a Fellegi-Sunter model (Splink, trained without labels), groups records
# whose match probability reaches the threshold into persons, and replaces every identity by a keyed
# pseudonym (`person_key`). This report shows how good the identities are, what the model learned,
# how sure its decisions are and, on the synthetic region, how many it gets right.
#
# No table in this report holds a name, a document number or a birth date; counts below the minimum
# cell size are suppressed.

# %% tags=["parameters"]
root = "."
data_source = "synthetic"
linkage_threshold = 0.9
disclosure_min_cell = 10

# %%
import json
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from pact_analysis import codebook, ingest, report
from pact_analysis.config import Paths
from pact_analysis.linkage import diagnostics, evaluate, linkage_dir

report.setup_notebook()
paths = Paths(Path(root))
folder = linkage_dir(paths)
frames = ingest.read_clean(paths)
persons_frames = {s: frames[s] for s in codebook.person_sources()}
metrics = json.loads((paths.metrics / "linkage.json").read_text())
truth_file = paths.truth / "records.parquet"
truth = pd.read_parquet(truth_file) if data_source == "synthetic" and truth_file.exists() else None


def publish(table, name, counts=None):
    """Publish a table of this report (small cells suppressed, kept for the disclosure check) and show it."""
    report.publish(table, name, "01_record_linkage", root, disclosure_min_cell, counts)


# %% [markdown]
# ## Sources and the quality of their identifiers
#
# Share of person records lacking each identifier. Where documents are missing (NGO records above
# all) linkage has to rely on names, birth dates and places.

# %%
quality = diagnostics.identifier_quality(persons_frames)
publish(quality.round(3), "identifier_quality", counts=["records"])

# %% [markdown]
# ## What the model learned
#
# For each comparison level, *m* is the probability of that level among true matches and *u* among
# non-matches, both estimated without labels (u by random sampling, m by expectation maximisation).
# The match weight log2(m/u) is the evidence the level adds: agreeing on a document is strong evidence,
# a different birth date strong evidence against.

# %%
model = json.loads((folder / "model.json").read_text())
parameters = diagnostics.parameter_table(model)
diagnostics.plot_match_weights(parameters)
plt.show()
publish(parameters.round(4).set_index(["comparison", "level"]), "trained_parameters")

# %% [markdown]
# ## How sure are the decisions?
#
# Scored pairs by match probability (pairs under 0.001 are not kept). A good model leaves few pairs in
# the middle; those are the ones sampled for clerical review (`clerical_review.csv`).

# %%
pairs = pd.read_parquet(folder / "predictions.parquet")
ax = pairs["match_probability"].plot.hist(bins=50, log=True)
ax.axvline(linkage_threshold, color="black", linestyle="--", label=f"threshold {linkage_threshold}")
ax.set_xlabel("match probability")
ax.set_ylabel("pairs (log scale)")
ax.legend()
plt.show()

# %% [markdown]
# ## Precision and recall by threshold (synthetic truth)
#
# Pairwise precision (share of linked pairs that are the same true person) and recall (share of true
# pairs linked) at several thresholds. Only the synthetic region has a truth to measure against.

# %%
if truth is not None:
    curve = evaluate.threshold_curve(pairs, truth, [0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999])
    ax = curve.plot(x="threshold", y=["precision", "recall"], marker="o", logx=False)
    ax.set_ylabel("pairwise score")
    plt.show()
    publish(curve.round(4).set_index("threshold"), "threshold_curve")
else:
    display(Markdown("No truth for real extracts: see the clerical review for an estimate of precision."))

# %% [markdown]
# ## Persons and their records
#
# Persons by number of records linked to them (across all sources, duplicates included).

# %%
crosswalk = pd.read_parquet(folder / "crosswalk.parquet")
publish(diagnostics.cluster_sizes(crosswalk), "records_per_person", counts=["persons"])

# %% [markdown]
# ## Probabilistic linkage against exact document matching
#
# The baseline links two records only when their normalised DNI/NIE is identical. It never links
# records without a document or with a mistyped one, so it finds fewer true links and more "persons".

# %%
rows = {"probabilistic (Splink)": {"persons": metrics["n_persons"]}}
if "quality" in metrics:
    q = metrics["quality"]
    rows["probabilistic (Splink)"] |= {k: q["bcubed"][k] for k in ("precision", "recall", "f1")}
    det = q["deterministic"]
    rows["exact DNI/NIE only"] = {"persons": det["n_persons"]} | {
        k: det["bcubed"][k] for k in ("precision", "recall", "f1")
    }
    rows["truth"] = {"persons": metrics["true_persons"]}
comparison = pd.DataFrame.from_dict(rows, orient="index").rename_axis("method")
publish(comparison.round(4), "deterministic_vs_probabilistic", counts=["persons"])

# %% [markdown]
# ## What linkage errors do downstream
#
# A minimum-income spell belongs to the household head. If the head's records are wrongly merged with
# another person's, that person's history is mixed in; if they are split, part of the history is lost
# and a re-entry may look like a first entry. Counts of RGC spells affected, for each method.

# %%
if truth is not None:
    clusterings = {
        "probabilistic (Splink)": crosswalk[["source", "record_id", "cluster_id"]],
        "exact DNI/NIE only": evaluate.deterministic_from_sources(persons_frames),
    }
    affected = {
        method: diagnostics.spells_with_wrong_person(
            clusters, truth, frames["rgc_members"], frames["rgc_spells"]
        )
        for method, clusters in clusterings.items()
    }
    publish(
        pd.DataFrame.from_dict(affected, orient="index"),
        "spells_affected",
        counts=["spells", "merged", "split"],
    )

# %%
report.footer(root)
