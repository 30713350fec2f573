"""Profiles of the persons known to social services: latent class analysis, stability and validation.

The ``profiles`` stage (:mod:`pact_analysis.stages.profiles`) segments the persons known to public
social services (SAUSS users and members of minimum-income, RGC, households) on the de-identified
warehouse (``data/warehouse/parquet``). One module per job:

- :mod:`~.features`: the **indicators** (:func:`person_features`): demographics, household, benefit
  history, services used, employment and NGO contact over the whole study period, coded into ordered
  categories (:data:`CATEGORICAL`); missing values are a category of their own ("unknown"), so no
  person is dropped; their encoding (:func:`encode`).
- :mod:`~.latent`: **latent class analysis** with StepMix (:func:`fit_table`, :func:`choose_k`: the
  BIC minimum among the models whose smallest class is not too small), fitted on one person per
  household (:func:`one_per_household`); **k-prototypes** as a baseline (:func:`kprototypes_labels`);
  **covariates and outcomes by profile** with the BCH correction (:func:`bch_distal`).
- :mod:`~.covariates`: **covariates of profile membership** (sex, age band, area): a multinomial
  logistic model estimated by StepMix's bias-adjusted three-step method (ML correction, BCH as a
  check), the measurement model fixed, with robust standard errors clustered by household
  (:func:`covariate_effects`).
- :mod:`~.em`: many random starts (and bootstrap replicates) of the categorical latent class model
  at once, handed to StepMix; :mod:`~.diagnostics`: **bivariate residuals** (local independence).
- :mod:`~.validation`: **stability** (Hennig's bootstrap Jaccard, :func:`bootstrap_stability`) and
  **validation against the truth** (synthetic region only): adjusted Rand index with the true latent
  profiles beside the supervised ceiling (:func:`supervised_ceiling`).
- :mod:`~.names`: **names** (:func:`profile_names`), descriptive, non-stigmatising name codes from
  each profile's traits (words in the ``profiles`` catalogues), and what the profile cards show.
- :mod:`~.pathways`: monthly state sequences and their typology.
- :mod:`~.settings`: the ``profiles`` parameters; :mod:`~.analysis`: the whole computation
  (:func:`analyse`) and the files of ``data/profiles`` (:func:`write_results`, :func:`read_results`).

Outputs: ``data/profiles/persons.parquet`` (``person_key``, ``profile``, ``name``, posterior
probabilities; pseudonymous, never published), ``data/profiles/tables/*.parquet`` and
``data/profiles/results.json`` (what the report shows) and ``metrics/profiles.json`` (headline
figures). (Not under ``data/processed``: that folder is the ``link`` stage's output, and DVC gives a
folder to one stage.)

The warehouse's diagram (:func:`draw_logical_model`, :func:`schema_layout`) lives in
:mod:`pact_analysis.warehouse.diagram`; it is re-exported here so that old imports keep working.
"""

from pact_analysis.profiles import covariates, em, pathways
from pact_analysis.profiles.analysis import (
    PERSONS_FILE,
    RESULTS_FILE,
    TABLES_FOLDER,
    analyse,
    read_results,
    write_results,
)
from pact_analysis.profiles.covariates import COVARIATES, covariate_effects, strongest_effects, three_step
from pact_analysis.profiles.diagnostics import BVR_THRESHOLD, bivariate_residuals
from pact_analysis.profiles.features import (
    AGE_BANDS,
    CATEGORICAL,
    CONTINUOUS,
    DESCRIPTIVE,
    DISTAL_COVARIATES,
    DISTAL_OUTCOMES,
    GROUPS,
    HOUSEHOLD_SHARED,
    PROVISIONS,
    SEPARATE_PROVISIONS,
    TABLES,
    Encoded,
    band_labels,
    distal_variables,
    encode,
    exit_route,
    household_units,
    person_features,
    read_tables,
)
from pact_analysis.profiles.latent import (
    MIN_CLASS_SHARE,
    bch_distal,
    choose_k,
    fit_lca,
    fit_row,
    fit_starts,
    fit_table,
    kprototypes_labels,
    one_per_household,
    replicated,
    sample_size_adjusted_bic,
)
from pact_analysis.profiles.names import (
    FIT_SHARE,
    NAME_SCORES,
    TRAITS,
    UNIVERSAL_SHARE,
    card_traits,
    item_response,
    km_by_profile,
    most_frequent_traits,
    profile_names,
    time_on_rgc,
    trait_shares,
)
from pact_analysis.profiles.settings import settings
from pact_analysis.profiles.validation import (
    agreement,
    bootstrap_stability,
    jaccard_stability,
    stability_verdict,
    supervised_ceiling,
    true_profile_jaccard,
    true_profiles,
)
from pact_analysis.warehouse.diagram import CONFORMED, KIND_COLOURS, draw_logical_model, schema_layout

__all__ = [
    "AGE_BANDS",
    "COVARIATES",
    "covariate_effects",
    "covariates",
    "strongest_effects",
    "three_step",
    "BVR_THRESHOLD",
    "bivariate_residuals",
    "em",
    "fit_starts",
    "true_profile_jaccard",
    "CATEGORICAL",
    "CONFORMED",
    "CONTINUOUS",
    "DESCRIPTIVE",
    "DISTAL_COVARIATES",
    "DISTAL_OUTCOMES",
    "FIT_SHARE",
    "GROUPS",
    "HOUSEHOLD_SHARED",
    "KIND_COLOURS",
    "MIN_CLASS_SHARE",
    "NAME_SCORES",
    "PERSONS_FILE",
    "PROVISIONS",
    "RESULTS_FILE",
    "SEPARATE_PROVISIONS",
    "TABLES",
    "TABLES_FOLDER",
    "TRAITS",
    "UNIVERSAL_SHARE",
    "Encoded",
    "agreement",
    "analyse",
    "band_labels",
    "bch_distal",
    "bootstrap_stability",
    "choose_k",
    "distal_variables",
    "draw_logical_model",
    "encode",
    "exit_route",
    "fit_lca",
    "card_traits",
    "fit_row",
    "fit_table",
    "household_units",
    "item_response",
    "jaccard_stability",
    "km_by_profile",
    "kprototypes_labels",
    "most_frequent_traits",
    "one_per_household",
    "pathways",
    "person_features",
    "profile_names",
    "read_results",
    "read_tables",
    "replicated",
    "sample_size_adjusted_bic",
    "schema_layout",
    "settings",
    "stability_verdict",
    "supervised_ceiling",
    "time_on_rgc",
    "trait_shares",
    "true_profiles",
    "write_results",
]
