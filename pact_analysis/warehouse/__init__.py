"""The warehouse: a DuckDB star schema, the risk indicators and the lists for proactive work.

The ``warehouse`` stage (:mod:`pact_analysis.stages.warehouse`) reads the de-identified tables of
``data/processed`` (persons known only by ``person_key``) and writes ``data/warehouse/``:

- ``pact.duckdb``: the star schema of :func:`logical_model` -- dimensions for persons, households,
  territory (CEAS, province, urban/rural), dates and the codebook's code lists; facts for RGC benefit
  spells, SAUSS provisions, employment episodes, NGO attentions and MDTSE assessments -- plus the
  per-person ``indicators`` at the reference date (``warehouse.reference_date``), the risk situations
  of the codebook (``person_risk``), the candidates for community actions (``community_candidate``,
  criteria ``warehouse.community_actions``) and counts per CEAS and province (``risk_by_ceas``,
  ``risk_by_province``; unsuppressed, see :func:`risk_statistics` for publishing);
- ``parquet/<table>.parquet``: every table of the model, and ``parquet/summary.json``: the region
  totals (rows per table, persons per risk situation, candidates per action...);
- ``lists/<ceas_code>.csv``: per CEAS, the persons in each risk situation and the candidates for
  community actions, with reason codes and reasons in Spanish and English. Pseudonymous and never
  published. (They live here rather than in ``data/processed/lists``: ``data/processed`` is the
  ``link`` stage's output, and DVC cannot give one folder to two stages.)

One module per job: :mod:`~.model` (the logical model), :mod:`~.build` (building the DuckDB star
schema and exporting it), :mod:`~.indicators` (the risk indicator SQL), :mod:`~.lists` (lists per
CEAS and community actions), :mod:`~.summary` (region totals and headline metrics),
:mod:`~.diagram` (the schema diagram) and :mod:`~.settings` (the
``warehouse`` parameters). The SQL is in ``pact_analysis/warehouse/sql/`` (``star.sql``,
``indicators.sql``) and is standard SQL; what is DuckDB-only stays in :mod:`~.build` and is marked.
"""

from pact_analysis.warehouse.build import (
    PERSON_TYPES,
    SOURCES,
    SQL_TYPES,
    build,
    connect,
    create_sources,
    date_dimension,
    export_parquet,
    fillers,
    insert_frame,
    load_frames,
    load_processed,
    processed_columns,
    remove_spill,
)
from pact_analysis.warehouse.diagram import CONFORMED, KIND_COLOURS, draw_logical_model, schema_layout
from pact_analysis.warehouse.indicators import (
    community_sql,
    mdtse_sql,
    person_risk_sql,
    risk_count_sql,
    risk_situations,
    risk_statistics,
    sql_blocks,
)
from pact_analysis.warehouse.lists import list_file_name, proactive_lists, write_lists
from pact_analysis.warehouse.model import (
    CODE_DIMENSIONS,
    Column,
    Table,
    create_table_sql,
    logical_model,
    table,
    tables,
)
from pact_analysis.warehouse.settings import EXTRACTION, BuildSettings, reference_date, settings_from
from pact_analysis.warehouse.summary import SUMMARY_FILE, headline_metrics, region_summary, stage_metrics

__all__ = [
    "CODE_DIMENSIONS",
    "CONFORMED",
    "EXTRACTION",
    "KIND_COLOURS",
    "PERSON_TYPES",
    "SOURCES",
    "SQL_TYPES",
    "SUMMARY_FILE",
    "BuildSettings",
    "Column",
    "Table",
    "build",
    "community_sql",
    "connect",
    "create_sources",
    "create_table_sql",
    "date_dimension",
    "draw_logical_model",
    "export_parquet",
    "fillers",
    "headline_metrics",
    "insert_frame",
    "list_file_name",
    "load_frames",
    "load_processed",
    "logical_model",
    "mdtse_sql",
    "person_risk_sql",
    "proactive_lists",
    "processed_columns",
    "reference_date",
    "region_summary",
    "remove_spill",
    "risk_count_sql",
    "risk_situations",
    "risk_statistics",
    "schema_layout",
    "settings_from",
    "sql_blocks",
    "stage_metrics",
    "table",
    "tables",
    "write_lists",
]
