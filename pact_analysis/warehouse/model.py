"""The warehouse's logical model: every table, its columns, primary and foreign keys.

:func:`tables` is the model in build order; :func:`logical_model` is the same as plain data (for the
diagram, :mod:`~.diagram`) and :func:`create_table_sql` its portable ``CREATE TABLE`` statements.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pact_analysis import codebook

#: Code dimensions: table -> codebook code list.
CODE_DIMENSIONS = {
    "dim_sex": "sex",
    "dim_education": "education",
    "dim_nationality_group": "nationality_group",
    "dim_household_type": "household_type",
    "dim_benefit_exit": "rgc_exit",
    "dim_rgc_role": "rgc_role",
    "dim_provision": "provision",
    "dim_provision_status": "provision_status",
    "dim_employment_episode": "employment_episode",
    "dim_contract_type": "contract_type",
    "dim_workday": "workday",
    "dim_ngo": "ngo",
    "dim_ngo_service": "ngo_service",
    "dim_mdtse_wave": "wave",
}


@dataclass(frozen=True)
class Column:
    """One column: ``name``, SQL ``type``, part of the primary key, referenced table (foreign key)."""

    name: str
    type: str
    pk: bool = False
    references: str | None = None


@dataclass(frozen=True)
class Table:
    """One table of the model: ``kind`` is dimension, fact, bridge, derived, aggregate or metadata."""

    name: str
    kind: str
    description: str
    columns: tuple[Column, ...] = field(default_factory=tuple)

    @property
    def primary_key(self) -> list[str]:
        """Columns of the primary key (empty if none)."""
        return [c.name for c in self.columns if c.pk]

    @property
    def column_names(self) -> list[str]:
        """Column names in order."""
        return [c.name for c in self.columns]


def _cols(*specs: str) -> tuple[Column, ...]:
    """Parse ``"name TYPE [PK] [-> table]"`` column specifications."""
    out = []
    for spec in specs:
        head, _, ref = spec.partition("->")
        name, sql_type, *flags = head.split()
        out.append(Column(name, sql_type, pk="PK" in flags, references=ref.strip() or None))
    return tuple(out)


def mdtse_columns() -> tuple[Column, ...]:
    """Return the score and factor columns of the MDTSE assessments (from the codebook)."""
    scores = [f"dim_{d} INTEGER" for d in codebook.mdtse_dimensions()]
    return _cols(*scores, *(f"{f} INTEGER" for f in codebook.mdtse_factors()))


@cache
def tables() -> tuple[Table, ...]:
    """Return the warehouse tables in build order (a table only references tables before it)."""
    code_dims = [
        Table(name, "dimension", f"codebook code list `{codes}`", _cols("code VARCHAR PK", "label VARCHAR"))
        for name, codes in CODE_DIMENSIONS.items()
    ]
    return (
        Table(
            "warehouse_params",
            "metadata",
            "the reference date of the indicators and the extraction date",
            _cols("reference_date DATE", "extraction_date DATE"),
        ),
        Table(
            "dim_date",
            "dimension",
            "one row per day from the earliest event to the later of the extraction and reference dates",
            _cols(
                "calendar_date DATE PK",
                "year INTEGER",
                "quarter INTEGER",
                "month INTEGER",
                "day INTEGER",
                "month_index INTEGER",
                "iso_weekday INTEGER",
            ),
        ),
        *code_dims,
        Table(
            "dim_risk_situation",
            "dimension",
            "risk situations of the codebook, with their SQL rule over `indicators`",
            _cols("code VARCHAR PK", "label_en VARCHAR", "label_es VARCHAR", "rule_sql VARCHAR"),
        ),
        Table(
            "dim_community_action",
            "dimension",
            "community actions and their criteria (params: warehouse.community_actions)",
            _cols(
                "code VARCHAR PK",
                "description VARCHAR",
                "situations VARCHAR",
                "min_situations INTEGER",
                "min_age INTEGER",
                "max_age INTEGER",
            ),
        ),
        Table(
            "dim_territory",
            "dimension",
            "CEAS with their province and urban/rural area",
            _cols(
                "ceas_code VARCHAR PK",
                "ceas_name VARCHAR",
                "municipality_code VARCHAR",
                "province_code VARCHAR",
                "province_name VARCHAR",
                "area VARCHAR",
                "urban BOOLEAN",
                "pilot_territory VARCHAR",
            ),
        ),
        Table(
            "dim_household",
            "dimension",
            "RGC households (persons sharing benefit files), pseudonymous",
            _cols(
                "household_key VARCHAR PK",
                "household_type VARCHAR -> dim_household_type",
                "household_size INTEGER",
                "n_persons INTEGER",
                "n_rgc_files INTEGER",
                "first_rgc_start DATE -> dim_date",
            ),
        ),
        Table(
            "dim_person",
            "dimension",
            "linked persons, pseudonymous: no name, document, birth date or address",
            _cols(
                "person_key VARCHAR PK",
                "household_key VARCHAR -> dim_household",
                "sex VARCHAR -> dim_sex",
                "birth_year INTEGER",
                "age_at_extraction INTEGER",
                "age_band VARCHAR",
                "nationality_group VARCHAR -> dim_nationality_group",
                "education VARCHAR -> dim_education",
                "disability_pct INTEGER",
                "disability BOOLEAN",
                "household_type VARCHAR -> dim_household_type",
                "ceas_code VARCHAR -> dim_territory",
                "ceas_source VARCHAR",
                "province_code VARCHAR",
                "sauss_registration_date DATE -> dim_date",
                "in_sauss BOOLEAN",
                "in_rgc BOOLEAN",
                "in_employment BOOLEAN",
                "in_ngo BOOLEAN",
            ),
        ),
        Table(
            "bridge_rgc_member",
            "bridge",
            "persons of each RGC benefit file (head or member)",
            _cols(
                "file_id VARCHAR PK", "person_key VARCHAR PK -> dim_person", "role VARCHAR -> dim_rgc_role"
            ),
        ),
        Table(
            "fact_benefit_spell",
            "fact",
            "RGC benefit spells (one per benefit file), keyed to the head; end_date is the effective end "
            "(an open file followed by a later file of the head ends at its start: end_imputed)",
            _cols(
                "spell_id VARCHAR PK",
                "file_id VARCHAR",
                "person_key VARCHAR -> dim_person",
                "household_key VARCHAR -> dim_household",
                "ceas_code VARCHAR -> dim_territory",
                "start_date DATE -> dim_date",
                "end_date DATE -> dim_date",
                "end_imputed BOOLEAN",
                "exit_reason VARCHAR -> dim_benefit_exit",
                "monthly_amount_eur DOUBLE",
                "household_type VARCHAR -> dim_household_type",
                "household_size INTEGER",
                "prior_imi BOOLEAN",
                "months_paid INTEGER",
            ),
        ),
        Table(
            "fact_provision",
            "fact",
            "SAUSS interventions and provisions",
            _cols(
                "intervention_id VARCHAR PK",
                "person_key VARCHAR -> dim_person",
                "ceas_code VARCHAR -> dim_territory",
                "date DATE -> dim_date",
                "provision_code VARCHAR -> dim_provision",
                "status VARCHAR -> dim_provision_status",
                "amount_eur DOUBLE",
            ),
        ),
        Table(
            "fact_employment_episode",
            "fact",
            "employment-service episodes: job-seeker registrations and contracts",
            _cols(
                "episode_id VARCHAR PK",
                "person_key VARCHAR -> dim_person",
                "episode_type VARCHAR -> dim_employment_episode",
                "start_date DATE -> dim_date",
                "end_date DATE -> dim_date",
                "contract_type VARCHAR -> dim_contract_type",
                "workday VARCHAR -> dim_workday",
                "hours_week DOUBLE",
            ),
        ),
        Table(
            "fact_ngo_attention",
            "fact",
            "third-sector (NGO) attentions",
            _cols(
                "attention_id INTEGER PK",
                "person_key VARCHAR -> dim_person",
                "ngo_code VARCHAR -> dim_ngo",
                "service_code VARCHAR -> dim_ngo_service",
                "date DATE -> dim_date",
            ),
        ),
        Table(
            "fact_mdtse_assessment",
            "fact",
            "MDTSE assessments (dimension scores 1-10, factors -3..3), with the pilot group",
            _cols(
                "assessment_id VARCHAR PK",
                "person_key VARCHAR -> dim_person",
                "wave VARCHAR -> dim_mdtse_wave",
                "assessment_date DATE -> dim_date",
                "assessor_id VARCHAR",
                "pilot_group VARCHAR",
            )
            + mdtse_columns(),
        ),
        Table(
            "indicators", "derived", "risk indicators per person at the reference date", _indicator_columns()
        ),
        Table(
            "person_risk",
            "derived",
            "persons in each risk situation at the reference date",
            _cols("person_key VARCHAR PK -> dim_person", "situation_code VARCHAR PK -> dim_risk_situation"),
        ),
        Table(
            "community_candidate",
            "derived",
            "candidates for community actions, one row per qualifying risk situation (the reasons)",
            _cols(
                "person_key VARCHAR PK -> dim_person",
                "action_code VARCHAR PK -> dim_community_action",
                "situation_code VARCHAR PK -> dim_risk_situation",
            ),
        ),
        Table(
            "risk_by_ceas",
            "aggregate",
            "persons in each risk situation per CEAS (n_known: persons known at the reference date)",
            _cols(
                "ceas_code VARCHAR PK -> dim_territory",
                "situation_code VARCHAR PK -> dim_risk_situation",
                "province_code VARCHAR",
                "n_persons INTEGER",
                "n_known INTEGER",
            ),
        ),
        Table(
            "risk_by_province",
            "aggregate",
            "persons in each risk situation per province (persons without a CEAS included)",
            _cols(
                "province_code VARCHAR PK",
                "situation_code VARCHAR PK -> dim_risk_situation",
                "n_persons INTEGER",
                "n_known INTEGER",
            ),
        ),
    )


def _indicator_columns() -> tuple[Column, ...]:
    return _cols(
        "person_key VARCHAR PK -> dim_person",
        "ceas_code VARCHAR -> dim_territory",
        "province_code VARCHAR",
        "age INTEGER",
        "known_at_reference BOOLEAN",
        "known_sauss BOOLEAN",
        "known_rgc BOOLEAN",
        "known_employment BOOLEAN",
        "known_ngo BOOLEAN",
        "n_systems INTEGER",
        "on_rgc_at_reference BOOLEAN",
        "months_on_rgc_36m INTEGER",
        "current_rgc_spell_months INTEGER",
        "rgc_spells INTEGER",
        "rgc_reentries INTEGER",
        "rgc_reentries_12m INTEGER",
        "employed_at_reference BOOLEAN",
        "months_since_last_contract INTEGER",
        "registered_unemployed BOOLEAN",
        "unemployment_months INTEGER",
        "household_type VARCHAR -> dim_household_type",
        "household_size INTEGER",
        "n_minors INTEGER",
        "n_dependants INTEGER",
        "lone_parent_minors BOOLEAN",
        "disability BOOLEAN",
        "disability_pct INTEGER",
        "n_services_36m INTEGER",
        "n_ngos_36m INTEGER",
        "ngo_attentions_12m INTEGER",
        "emergency_aids_12m INTEGER",
        "dependency_assessed BOOLEAN",
        "months_known_to_social_services INTEGER",
    )


def table(name: str) -> Table:
    """Return one table of the model by name.

    Parameters
    ----------
    name : str
        Table name.

    Returns
    -------
    Table
    """
    return next(t for t in tables() if t.name == name)


def _target(table_def: Table, column: Column) -> tuple[str, str]:
    ref = column.references or ""
    name, _, ref_column = ref.partition(".")
    return name, ref_column or table(name).primary_key[0]


def logical_model() -> dict[str, Any]:
    """Return the logical model as data, for drawing the diagram offline.

    Returns
    -------
    dict
        ``tables``: list of ``{name, kind, description, columns: [{name, type, pk, references}],
        primary_key}``; ``relationships``: list of ``{from_table, from_column, to_table, to_column}``
        (many-to-one, from the referencing table to the referenced one).
    """
    out_tables, relationships = [], []
    for t in tables():
        cols = []
        for c in t.columns:
            ref = _target(t, c) if c.references else None
            cols.append(
                {"name": c.name, "type": c.type, "pk": c.pk, "references": ".".join(ref) if ref else None}
            )
            if ref:
                relationships.append(
                    {"from_table": t.name, "from_column": c.name, "to_table": ref[0], "to_column": ref[1]}
                )
        out_tables.append(
            {
                "name": t.name,
                "kind": t.kind,
                "description": t.description,
                "columns": cols,
                "primary_key": t.primary_key,
            }
        )
    return {"tables": out_tables, "relationships": relationships}


def create_table_sql(table_def: Table) -> str:
    """Return the portable ``CREATE TABLE`` statement of a model table (primary and foreign keys).

    Parameters
    ----------
    table_def : Table
        A table of :func:`tables`.

    Returns
    -------
    str
    """
    lines = [f'    "{c.name}" {c.type}' for c in table_def.columns]
    if table_def.primary_key:
        lines.append("    PRIMARY KEY (" + ", ".join(f'"{c}"' for c in table_def.primary_key) + ")")
    for c in table_def.columns:
        if c.references:
            target, column = _target(table_def, c)
            lines.append(f'    FOREIGN KEY ("{c.name}") REFERENCES {target} ("{column}")')
    return f"CREATE TABLE {table_def.name} (\n" + ",\n".join(lines) + "\n)"
