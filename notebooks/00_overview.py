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
# # Overview of the data (developer notes)
#
# Sources, dictionary, completeness, who is in social services, minimum-income spells, identity
# quality and calibration of the synthetic region. Every word the reader sees comes from the
# catalogues (`pact_analysis/locales/*/LC_MESSAGES/overview.po`); this notebook computes and calls
# `report` to show. Rendered once per language by `python -m pact_analysis report 00_overview`.

# %% tags=["parameters"]
root = "."
lang = "es"
data_source = "synthetic"
data_extraction_date = "2018-10-31"
disclosure_min_cell = 10

# %%
import unicodedata
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from pact_analysis import describe, disclosure, ingest, report
from pact_analysis.paths import Paths

r = report.start(
    "00_overview",
    root,
    lang,
    disclosure_min_cell,
    data_source=data_source,
    data_extraction_date=data_extraction_date,
)
paths = Paths(Path(root))
tables = ingest.read_clean(paths)
synthetic = data_source == "synthetic" and (paths.truth / "records.parquet").exists()

sizes = describe.source_sizes(tables, ingest.delivered(paths))
spells = describe.spell_months(tables["rgc_spells"], data_extraction_date)
by_province = describe.spells_by_province(tables["rgc_spells"], tables["ceas"], data_extraction_date)
exits = spells.loc[spells["ended"], "exit_reason"].value_counts(normalize=True)
calibration_table = None
if synthetic:
    from pact_analysis.synth import calibration

    measured = calibration.measure(paths.truth).set_index("name")
    # the pilot's figures are the pilot report's to publish (one quantity, one suppression decision)
    calibration_table = measured[~measured.index.str.startswith("pilot_")]


def alphabetical(name: str) -> str:
    """Sort key of a place name as a reader sorts it (accents ignored: Ávila before Burgos)."""
    return unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode().casefold()


# %%
r.title()
r.banner(data_source)
r.findings(
    persons=r.quantity(
        "ingest.sauss_persons", len(tables["sauss_persons"]), "int", count=True, where="findings"
    ),
    spells=r.quantity("ingest.rgc_spells", len(spells), "int", count=True, where="findings"),
    job_exits=r.quantity(
        "overview.exit_share.JOB_INCOME", exits.get("JOB_INCOME", 0.0), "pct", where="findings"
    ),
    sanction_exits=r.quantity(
        "overview.exit_share.NON_COMPLIANCE", exits.get("NON_COMPLIANCE", 0.0), "pct", where="findings"
    ),
    chronicity=r.ref("03_chronicity"),
)
if calibration_table is not None:
    # the tolerance of a published share (unit "%..."), in percentage points either way, as the table
    # of the calibration section gives it
    share_tolerance = calibration_table.loc[calibration_table["unit"].str.startswith("%"), "tolerance"]
    low, high = share_tolerance.min(), share_tolerance.max()
    places = 0 if float(low).is_integer() and float(high).is_integer() else 1
    regional = calibration_table.loc[~calibration_table["external"]]
    external = calibration_table.loc[calibration_table["external"]]
    r.say(
        "calibration.summary",
        ok=r.n(int(regional["ok"].sum())),
        total=r.n(len(regional)),
        external=r.t("calibration.external", ok=r.n(int(external["ok"].sum())), total=r.n(len(external)))
        if len(external)
        else "",
        share_tolerance=r.t("calibration.share_tolerance.one", value=r.num(low, places))
        if low == high
        else r.t("calibration.share_tolerance.range", low=r.num(low, places), high=r.num(high, places)),
    )

# %%
r.heading("about")
r.say("about.text", extraction_date=r.date(data_extraction_date))

# %%
r.heading("sources")
r.say("sources.text")
r.table(
    sizes.drop(columns=["description"]).set_index("source"), "sources.table", counts=["rows"], additive=False
)

# %%
r.heading("selection")
r.say("selection.text")

# %%
r.heading("missing")
r.say("missing.text")
missing = describe.missingness(tables)
r.table(missing.set_index(["source", "column"]), "missing.table", percent=["missing_share"])

# %%
r.heading("population")
r.say("population.text")
pyramid = describe.population_pyramid(tables["sauss_persons"], data_extraction_date)
fig, ax = plt.subplots(figsize=(7, 4.5))
ax.barh(pyramid.index.astype(str), -pyramid["H"], label=r.t("common.men"))
ax.barh(pyramid.index.astype(str), pyramid["M"], label=r.t("common.women"))
ax.set_xlabel(r.t("population.xlabel"))
ax.set_ylabel(r.t("common.col.age_band"))
ax.xaxis.set_major_formatter(lambda x, _: f"{abs(x):.0f}")
ax.legend()
r.figure(fig, "population.figure", date=r.date(data_extraction_date))
r.table(pyramid, "population.table", counts=["H", "M"])

# %%
r.heading("spells")
r.say("spells.text", chronicity=r.ref("03_chronicity"))

# %%
exit_columns = [c for c in by_province.columns if c not in {"spells", "ongoing", "median_months"}]
never = [c for c in exit_columns if by_province[c].sum() == 0]  # e.g. IMV: it began in 2020
by_province = by_province.drop(columns=never + ["median_months"])  # the time on the RGC is 03's
by_province = by_province.sort_index(key=lambda names: names.map(alphabetical))  # Ávila first
exit_columns = [c for c in exit_columns if c not in never]
# one suppression decision for the table and the figure: a province is drawn only if none of its
# counts is suppressed in the table (shares of a row with a hidden cell would give the cell back)
# ended files by route only: the files and the open ones per province are not shown, since report 03
# publishes spells and exits per province (censored spells = open files), and with a row total
# they would give back a hidden route (one suppression decision across the reports)
by_province = by_province[exit_columns]
protected = disclosure.protect(by_province, disclosure_min_cell, columns=exit_columns)
shown = ~protected.mask.any(axis=1)
omitted = [str(p) for p in by_province.index[~shown]]
omitted_text = " " + r.t("spells.exits.omitted", provinces=", ".join(omitted)) if omitted else ""
shares = by_province.loc[shown, exit_columns].div(by_province.loc[shown, exit_columns].sum(axis=1), axis=0)
if len(shares):
    ax = (
        shares.iloc[::-1]  # the first province at the top, as in the table
        .rename(columns=r.value)
        .plot.barh(stacked=True, figsize=(7, 1.2 + 0.35 * len(shares)))
    )
    ax.set_xlabel(r.t("spells.exit_share"))
    ax.set_ylabel("")
    ax.legend(title=None, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, fontsize="small")
    r.figure(ax, "spells.exits", omitted=omitted_text)
else:
    r.say("spells.exits.none")
r.table(protected, "spells.by_province", counts=exit_columns)
if never:
    r.say("spells.never", routes=", ".join(r.value(c) for c in never))

# %%
r.heading("identity")
if synthetic:
    r.say("identity.text")
    rates = describe.noise_rates(
        pd.read_parquet(paths.truth / "noise_log.parquet"), pd.read_parquet(paths.truth / "records.parquet")
    )
    r.table(rates.rename_axis("noise_type"), "identity.table", percent=list(rates.columns))
else:
    r.say("identity.no_truth")

# %%
r.heading("calibration")
if calibration_table is not None:
    r.say("calibration.text", pilot=r.ref("05_pilot_evaluation"))
    shown = calibration_table[["target", "measured", "tolerance", "unit", "ok"]].assign(
        scope=calibration_table["external"].map({True: r.t("calibration.scope.external"), False: r.t("calibration.scope.regional")})
    )  # fmt: skip
    # each row at its own precision: a share in % at one decimal, euros whole, a ratio (0.54) at two
    places = [1 if str(unit).startswith("%") else 0 if unit == "EUR" else 2 for unit in shown["unit"]]
    for column in ("target", "measured", "tolerance"):
        shown[column] = r.nums_as_shown(shown[column], places)
    r.table(shown, "calibration.table", verbatim=["target", "measured", "tolerance"])
else:
    r.say("calibration.no_truth")

# %%
r.heading("limitations")
r.say("limitations.text")

# %%
r.heading("common.checklist")
r.say("checklist")

# %%
r.heading("common.appendix")
r.say("dictionary.text")
dictionary = describe.data_dictionary()
dictionary["description"] = [
    r.t(f"dictionary.{s}.{c}") for s, c in zip(dictionary["source"], dictionary["column"], strict=True)
]
columns = ["description", "type", "required", "codes", "direct_identifier"]  # the words first
r.table(
    dictionary.set_index(["file", "column"])[columns],
    "dictionary.table",
    verbatim=["file", "column", "codes", "description"],
)

# %%
r.footer()
