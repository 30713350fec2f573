"""Train, predict and cluster: one unsupervised Splink run over the person sources.

:func:`link_records` is the single entry point used by the ``link`` stage, the FEBRL tests, the
notebook and the 500k benchmark. Several sources are linked and deduplicated together (Splink's
``link_and_dedupe``); a single source is deduplicated (``dedupe_only``), and its outputs carry the
same ``source_dataset`` columns as a multi-source run. No label is used for training: u
probabilities come from random sampling, m probabilities from expectation maximisation on the
blocking rules of :func:`pact_analysis.linkage.model.training_blocking_rules`.

Same input, same bytes: on DuckDB, training runs on one thread (a parallel sum adds in a varying
order, which changed the last digits of the m probabilities from run to run), and the trained
probabilities are rounded to :data:`PARAMETER_DIGITS` significant digits before they are saved and
before prediction, so the model, the scores and everything downstream are identical between runs
on the same machine.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from splink import Linker

from pact_analysis.errors import StageError
from pact_analysis.linkage import model, prepare

log = logging.getLogger(__name__)

#: Recall assumed for the deterministic rules when estimating the prior probability of a match.
DETERMINISTIC_RECALL = 0.7
#: Significant digits kept of every trained probability (m, u and the prior match probability).
PARAMETER_DIGITS = 10
#: The pair, its weight and probability: the scored pairs' columns kept besides each comparison's
#: level (``gamma_``) and weight (``mw_``).
PAIR_COLUMNS = (
    "source_dataset_l",
    "unique_id_l",
    "source_dataset_r",
    "unique_id_r",
    "match_weight",
    "match_probability",
)
#: The clusters' columns kept (a single source's deduplication has no ``source_dataset``).
CLUSTER_COLUMNS = ["source_dataset", "unique_id", "cluster_id"]


@dataclass
class LinkageResult:
    """What one linkage run produced.

    Attributes
    ----------
    prepared : DataFrame
        Standardised records: ``source_dataset``, ``unique_id`` and the linkage columns.
    predictions : DataFrame
        Scored pairs with ``match_probability`` at or above ``min_probability_kept``, sorted by the
        pair keys:
        ``source_dataset_l/_r``, ``unique_id_l/_r``, ``match_weight``, ``match_probability`` and the
        comparison levels (``gamma_*``).
    clusters : DataFrame
        ``source_dataset``, ``unique_id``, ``cluster_id`` for every record (singletons included).
    pairs_compared : int
        Pairs scored by the prediction blocking rules.
    model : dict
        The Splink settings with trained parameters rounded to :data:`PARAMETER_DIGITS` significant
        digits (JSON-serialisable); ``link_type`` is ``dedupe_only`` for a single source.
    timings : dict
        Seconds spent in each step.
    linker : Linker
        The linker that scored the pairs, holding the rounded parameters (for charts); its database
        lives as long as this object, without the scored pairs and clusters (on DuckDB their tables
        are dropped once read, to free their memory; they are in ``predictions`` and ``clusters``).
    """

    prepared: pd.DataFrame
    predictions: pd.DataFrame
    clusters: pd.DataFrame
    pairs_compared: int
    model: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)
    linker: Linker | None = None


def backend_api(
    name: str = "duckdb", memory_limit: str | None = None, spark: Mapping[str, Any] | None = None
) -> Any:
    """Return the Splink database API for ``linkage.backend``.

    Parameters
    ----------
    name : {"duckdb", "spark"}
        Backend; Spark needs ``pyspark`` and uses the active SparkSession, or starts a local one
        (:func:`pact_analysis.linkage.spark.session`).
    memory_limit : str, optional
        DuckDB memory limit (``linkage.duckdb_memory_limit``, e.g. ``"4GB"``); past it DuckDB spills to
        disk. Default: DuckDB's own (80% of the machine's memory).
    spark : mapping, optional
        ``linkage.spark`` (Spark only). Default: the defaults of :class:`pact_analysis.params.LinkageSpark`.
    """
    if name == "duckdb":
        import duckdb
        from splink import DuckDBAPI

        # Spill to the system's temporary folder, not to ./.tmp inside the checkout.
        config = {"temp_directory": str(Path(tempfile.gettempdir()) / "pact-analysis-duckdb")}
        if memory_limit:
            config["memory_limit"] = str(memory_limit)
        return DuckDBAPI(duckdb.connect(config=config))
    if name == "spark":
        return spark_api(spark)
    raise StageError(f"params.yaml linkage.backend: unknown backend {name!r} (use duckdb or spark)")


def spark_api(settings: Mapping[str, Any] | None = None) -> Any:
    """Return Splink's Spark API on the active or a new local session (see :func:`backend_api`).

    Splink breaks the lineage of its intermediate tables by writing them as Parquet to the session's
    checkpoint folder (``linkage.spark.checkpoint_dir`` on a cluster); a session without one keeps them
    in Spark's cache instead (``persist``).
    """
    from pact_analysis.linkage import spark as spark_session
    from pact_analysis.params import LinkageSpark

    session = spark_session.session(LinkageSpark().model_dump() if settings is None else settings)
    try:
        from splink import SparkAPI
    except ImportError as err:  # pragma: no cover - the session above needed pyspark already
        raise StageError("linkage.backend is 'spark' but pyspark is not installed") from err
    method = "parquet" if spark_session.checkpoint_dir(session) else "persist"
    return SparkAPI(spark_session=session, break_lineage_method=method)


def prepare_sources(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Standardise each person source (see :func:`pact_analysis.linkage.prepare.standardise`)."""
    return {source: prepare.standardise(df) for source, df in sorted(frames.items())}


def _available_columns(prepared: dict[str, pd.DataFrame]) -> list[str]:
    return [c for c in prepare.LINKAGE_COLUMNS if any(df[c].notna().any() for df in prepared.values())]


@contextlib.contextmanager
def single_threaded(db: Any) -> Iterator[None]:
    """Run the block on one DuckDB thread, then restore the connection's thread count.

    A parallel aggregate adds its partial sums in an order that varies between runs, so EM on
    several threads gives m probabilities that differ in their last digits. Other backends are
    left as they are (their parameters are still rounded by :func:`stable_model`).

    Parameters
    ----------
    db : DatabaseAPI
        The Splink database API of the run.
    """
    con = getattr(db, "duckdb_con", None)
    if con is None:
        yield
        return
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    con.execute("SET threads = 1")
    try:
        yield
    finally:
        con.execute(f"SET threads = {int(threads)}")


def stable_model(settings: dict[str, Any], digits: int = PARAMETER_DIGITS) -> dict[str, Any]:
    """Return trained Splink settings that are the same between runs of the same training.

    Parameters
    ----------
    settings : dict
        Splink settings as saved by ``linker.misc.save_model_to_json()``.
    digits : int
        Significant digits kept (default :data:`PARAMETER_DIGITS`; a match weight then moves by
        less than 1e-9 bits).

    Returns
    -------
    dict
        A copy with ``probability_two_random_records_match`` and every level's ``m_probability`` and
        ``u_probability`` rounded (untrained, absent values stay absent), and without Splink's
        ``linker_uid`` (a random name given to each linker's cached tables).
    """

    def rounded(value: Any) -> Any:
        return float(f"{value:.{digits}g}") if isinstance(value, float) else value

    out = {k: v for k, v in settings.items() if k != "linker_uid"}
    out["probability_two_random_records_match"] = rounded(settings["probability_two_random_records_match"])
    out["comparisons"] = [
        {
            **comparison,
            "comparison_levels": [
                {k: rounded(v) if k in ("m_probability", "u_probability") else v for k, v in level.items()}
                for level in comparison["comparison_levels"]
            ],
        }
        for comparison in settings["comparisons"]
    ]
    return out


def train(linker: Linker, max_pairs: float, seed: int) -> None:
    """Estimate the model's parameters without labels.

    Run it inside :func:`single_threaded` for parameters that are identical between runs.

    Parameters
    ----------
    linker : Linker
        A linker built from :func:`pact_analysis.linkage.model.linkage_settings`.
    max_pairs : float
        Pairs sampled for u estimation and, at most, for each EM run.
    seed : int
        Seed of the u sampling (same seed, same parameters).
    """
    linker.training.estimate_probability_two_random_records_match(
        model.deterministic_rules(), recall=DETERMINISTIC_RECALL
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
    for rule in model.training_blocking_rules():
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, max_pairs=max_pairs, estimate_without_term_frequencies=True
        )


def train_model(db: Any, tables: list[Any], settings: Any, max_pairs: float, seed: int) -> dict[str, Any]:
    """Train a model on ``tables`` (see :func:`train`) and return its rounded settings.

    Parameters
    ----------
    db : DatabaseAPI
        The Splink database API the tables are registered with.
    tables : list
        The registered input tables.
    settings : SettingsCreator
        Untrained settings (:func:`pact_analysis.linkage.model.linkage_settings`).
    max_pairs : float
        Pairs sampled for u estimation and EM.
    seed : int
        Seed of the u sampling.

    Returns
    -------
    dict
        Trained settings, single-threaded on DuckDB and rounded by :func:`stable_model`.
    """
    linker = Linker(tables, settings, log_level=logging.WARNING)
    with single_threaded(db):
        train(linker, max_pairs, seed)
    return stable_model(linker.misc.save_model_to_json())


def link_records(
    frames: dict[str, pd.DataFrame],
    *,
    threshold: float,
    max_pairs_em: float,
    seed: int,
    backend: str = "duckdb",
    memory_limit: str | None = None,
    min_probability_kept: float = 0.001,
    spark: Mapping[str, Any] | None = None,
) -> LinkageResult:
    """Link and deduplicate person records across sources, or deduplicate a single source.

    Parameters
    ----------
    frames : dict of str to DataFrame
        Person sources keyed by source name; each has ``record_id`` (unique within its source) and
        identity columns. With one source, the run is a deduplication (Splink ``dedupe_only``).
    threshold : float
        Match probability at or above which two records are the same person (clustering).
    max_pairs_em : float
        Pairs sampled for u estimation and EM (``linkage.max_pairs_em``).
    seed : int
        Seed for the u sampling.
    backend : str
        ``linkage.backend``.
    memory_limit : str, optional
        ``linkage.duckdb_memory_limit`` (DuckDB only).
    min_probability_kept : float
        Scored pairs below this probability are counted but not returned.
    spark : mapping, optional
        ``linkage.spark`` (Spark only; see :func:`backend_api`).

    Returns
    -------
    LinkageResult
        The same columns whatever the number of sources (``source_dataset`` included).

    Raises
    ------
    ValueError
        If ``frames`` is empty.
    """
    if not frames:
        raise ValueError("link_records needs at least one person source")
    timings: dict[str, float] = {}
    start = time.perf_counter()
    prepared = prepare_sources(frames)
    timings["prepare"] = time.perf_counter() - start

    db = backend_api(backend, memory_limit, spark)
    tables = [db.register(df, dataset_display_name=source) for source, df in prepared.items()]
    link_type = "link_and_dedupe" if len(prepared) > 1 else "dedupe_only"
    settings = model.linkage_settings(_available_columns(prepared), link_type=link_type)

    step = time.perf_counter()
    trained = train_model(db, tables, settings, max_pairs_em, seed)
    linker = Linker(tables, trained, log_level=logging.WARNING)
    timings["train"] = time.perf_counter() - step

    step = time.perf_counter()
    scored = linker.inference.predict()
    pairs_compared = int(_query(linker, f"SELECT count(*) AS n FROM {scored.physical_name}")["n"].iloc[0])
    predictions = _query(
        linker,
        f"SELECT {', '.join(_prediction_columns(_columns(linker, scored)))} FROM {scored.physical_name} "
        f"WHERE match_probability >= {float(min_probability_kept)}",
    )
    timings["predict"] = time.perf_counter() - step

    step = time.perf_counter()
    clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
        scored, threshold_match_probability=threshold
    )
    kept = [c for c in CLUSTER_COLUMNS if c in _columns(linker, clustered)]
    clusters = _query(linker, f"SELECT {', '.join(kept)} FROM {clustered.physical_name}")
    for table in (clustered, scored):  # give their memory back before the stage goes on in pandas
        table.drop_table_from_database_and_remove_from_cache()
    timings["cluster"] = time.perf_counter() - step
    timings["total"] = time.perf_counter() - start

    if link_type == "dedupe_only":
        (source,) = prepared
        predictions = predictions.assign(source_dataset_l=source, source_dataset_r=source)
        clusters = clusters.assign(source_dataset=source)
    all_prepared = pd.concat(
        [df.assign(source_dataset=source) for source, df in prepared.items()], ignore_index=True
    )
    return LinkageResult(
        prepared=all_prepared,
        predictions=_tidy_predictions(predictions),
        clusters=clusters[CLUSTER_COLUMNS].sort_values(["source_dataset", "unique_id"], ignore_index=True),
        pairs_compared=pairs_compared,
        model=trained,
        timings=timings,
        linker=linker,
    )


def _query(linker: Linker, sql: str) -> pd.DataFrame:
    return linker.misc.query_sql(sql, output_type="pandas")


def _columns(linker: Linker, table: Any) -> list[str]:
    """The column names of a Splink table, read without its rows."""
    return list(_query(linker, f"SELECT * FROM {table.physical_name} LIMIT 0").columns)


def _prediction_columns(columns: list[str]) -> list[str]:
    """The columns of Splink's scored pairs that the study keeps: the pair, its weight and
    probability, and each comparison's level and weight (not the records' identities and term
    frequencies, which the study does not use). A single source has no ``source_dataset``."""
    pair = [c for c in PAIR_COLUMNS if c in columns]
    return pair + sorted(c for c in columns if c.startswith(("gamma_", "mw_")))


def _tidy_predictions(predictions: pd.DataFrame) -> pd.DataFrame:
    gammas = sorted(c for c in predictions.columns if c.startswith(("gamma_", "mw_")))
    return predictions[list(PAIR_COLUMNS) + gammas].sort_values(list(PAIR_COLUMNS[:4]), ignore_index=True)
