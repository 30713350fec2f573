"""The ``profiles`` stage: latent class profiles, their stability, pathways and validation.

Reads ``data/warehouse/parquet`` (and, on the synthetic region, ``data/truth`` and the linkage
crosswalk in ``data/interim/linkage`` for the validation); writes ``data/profiles``
(:mod:`pact_analysis.profiles`): ``persons.parquet`` (``person_key``, ``profile``, ``name``,
posterior probabilities; pseudonymous, never published; the spending stage reads it),
``tables/<name>.parquet`` and ``results.json`` (every scalar), and ``metrics/profiles.json`` (the
headline figures).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pandas as pd

from pact_analysis.io import atomic_dir, write_json
from pact_analysis.paths import Paths
from pact_analysis.profiles import analyse, read_tables, stability_verdict, true_profiles, write_results

log = logging.getLogger(__name__)

#: Figures of ``results.json`` that are also the stage's metrics (when computed: the truth ones are
#: on the synthetic region only); ``n_stable_profiles`` is added from the stability.
HEADLINE = (
    "k_chosen",
    "k_true",
    "ari",
    "supervised_ceiling_ari",
    "n_persons",
    "lca_starts",
    "best_ll_replicated",
    "bootstrap_replicates",
    "true_profile_jaccard",
    "min_true_profile_jaccard",
)


def run(paths: Paths, params: dict[str, Any]) -> None:
    """Run the stage (see the module docstring).

    Parameters
    ----------
    paths : Paths
        Project paths.
    params : dict
        Validated parameters; reads ``seed``, ``data.source``, ``data.extraction_date``,
        ``synthetic.start_date`` and ``profiles.*``.
    """
    tables = read_tables(paths.warehouse_parquet)
    indicators = pd.read_parquet(paths.warehouse_parquet / "indicators.parquet")
    persons, out, results = analyse(tables, indicators, _truth(paths, params), params)
    with atomic_dir(paths.profiles) as tmp:
        write_results(tmp, persons, out, results)
    write_json(paths.metric("profiles"), headline_metrics(results))
    log.info(
        "profiles: k=%d, %s",
        results["k_chosen"],
        {k: results.get(k) for k in ("ari", "supervised_ceiling_ari", "min_true_profile_jaccard")},
    )


def headline_metrics(results: Mapping[str, Any]) -> dict[str, Any]:
    """Return the figures the profiles stage is judged by (``metrics/profiles.json``).

    Parameters
    ----------
    results : mapping
        The scalars of :func:`pact_analysis.profiles.analyse`.

    Returns
    -------
    dict
        :data:`HEADLINE` (those computed) and ``n_stable_profiles``: profiles whose bootstrap
        Jaccard is 0.75 or more (:func:`~pact_analysis.profiles.stability_verdict`).
    """
    stable = sum(stability_verdict(v) == "stable" for v in results["stability"].values())
    return {k: results[k] for k in HEADLINE if k in results} | {"n_stable_profiles": int(stable)}


def _truth(paths: Paths, params: Mapping[str, Any]) -> pd.Series | None:
    """True profile by ``person_key`` on the synthetic region, else None."""
    files = [
        paths.linkage / "crosswalk.parquet",
        paths.truth / "records.parquet",
        paths.truth / "persons.parquet",
    ]
    if params["data"].get("source", "synthetic") != "synthetic" or not all(f.exists() for f in files):
        return None
    crosswalk, records, persons = (pd.read_parquet(f) for f in files)
    return true_profiles(crosswalk, records, persons[["person_id", "profile"]])
