"""Raw person records of each source and the event tables keyed by record id.

Every person source (codebook ``person_source: true``) gets its own records of the true persons, each
with its own identity noise (:func:`pact_analysis.synth.noise.apply_identity_noise`):

- ``sauss_persons``: one record per SAUSS user (plus duplicates), dated at registration;
- ``rgc_members``: one record per (benefit file, person): a re-entry is a new file, so a new,
  independently noisy record;
- ``employment_persons``: one record per registered person (plus duplicates), dated at the first episode;
- ``ngo_attention``: one record per attention, each with its own noisy identity.

Event tables are then mapped from ``person_id`` to the person's *primary* record (the first,
non-duplicate one): SAUSS interventions, pilot assignment, MDTSE assessments and satisfaction surveys
use the SAUSS record, employment episodes the employment record. The truth table ``records`` says which
person every raw person record belongs to.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pact_analysis import codebook
from pact_analysis.errors import StageError
from pact_analysis.synth.noise import apply_identity_noise, province_moves

IDENTITY = tuple(codebook.load()["identity_columns"])
#: Truth columns every person-record input needs besides the identity columns.
_TRUTH = (
    "person_id",
    "former_nie",
    "naturalisation_date",
    "address",
    "phone",
    "ceas_code",
    "education",
    "disability_pct",
    "household_type",
    "former_municipality_code",
    "move_date",
)
_MOVES = ("former_municipality_code", "move_date")


def _identities(persons: pd.DataFrame, events: pd.DataFrame, date_col: str) -> pd.DataFrame:
    """Join the true identity of each event's person and set ``record_date``."""
    # moves between provinces are added by build_records; a caller that skips them has none
    cols = [c for c in dict.fromkeys([*IDENTITY, *_TRUTH]) if c in persons or c not in _MOVES]
    ident = persons[cols]
    out = events.merge(ident, on="person_id", how="left", validate="many_to_one", suffixes=("_event", ""))
    out["record_date"] = pd.to_datetime(out[date_col])
    return out


def _noisy(source: str, frame: pd.DataFrame, params: dict[str, Any], rng: np.random.Generator):
    noisy, log = apply_identity_noise(frame.reset_index(drop=True), source, params["synthetic"]["noise"], rng)
    truth = noisy[["record_id", "person_id"]].assign(source=source)[["source", "record_id", "person_id"]]
    return noisy, truth, log


def sauss_records(persons: pd.DataFrame, params: dict[str, Any], rng: np.random.Generator):
    """SAUSS person records of every SAUSS user, in registration order (noisy, truth, log)."""
    users = persons.loc[persons["sauss_user"].astype(bool), ["person_id", "sauss_registration_date"]]
    users = users.sort_values(["sauss_registration_date", "person_id"], kind="stable")
    frame = _identities(persons, users, "sauss_registration_date")
    frame["registration_date"] = frame["record_date"]
    noisy, truth, log = _noisy("sauss_persons", frame, params, rng)
    extraction = pd.Timestamp(params["data"]["extraction_date"])
    later = noisy["registration_date"] + pd.to_timedelta(rng.integers(30, 900, len(noisy)), unit="D")
    noisy["registration_date"] = noisy["registration_date"].where(
        ~noisy["is_duplicate"], later.clip(upper=extraction)
    )
    return noisy, truth, log


def rgc_records(
    persons: pd.DataFrame, members: pd.DataFrame, params: dict[str, Any], rng: np.random.Generator
):
    """RGC registry records, one per (file, person), in file order (noisy, truth, log)."""
    order = members.assign(_head=members["role"] != "HEAD").sort_values(["file_id", "_head", "person_id"])
    frame = _identities(persons, order.drop(columns="_head"), "start_date")
    return _noisy("rgc_members", frame, params, rng)


def employment_records(
    persons: pd.DataFrame, registered: pd.DataFrame, params: dict[str, Any], rng: np.random.Generator
):
    """Employment-service person records, in order of first episode (noisy, truth, log)."""
    order = registered.sort_values(["first_date", "person_id"], kind="stable")
    frame = _identities(persons, order, "first_date")
    return _noisy("employment_persons", frame, params, rng)


def ngo_records(
    persons: pd.DataFrame, attention: pd.DataFrame, params: dict[str, Any], rng: np.random.Generator
):
    """NGO attention records, one per attention, in date order (noisy, truth, log).

    Where the birth date is missing the NGO kept the year of birth (``birth_year``).
    """
    order = attention.sort_values(["date", "attention_id"], kind="stable")
    frame = _identities(persons, order, "date")
    frame["birth_year"] = frame["birth_date"].dt.year
    noisy, truth, log = _noisy("ngo_attention", frame, params, rng)
    noisy["birth_year"] = noisy["birth_year"].where(noisy["birth_date"].isna()).astype("Int64")
    return noisy, truth, log


def primary_record(records: pd.DataFrame) -> pd.Series:
    """Return the primary (first non-duplicate) record id of each person, indexed by ``person_id``."""
    first = records.loc[~records["is_duplicate"]].drop_duplicates("person_id")
    return first.set_index("person_id")["record_id"]


def map_to_record(events: pd.DataFrame, primary: pd.Series, table: str) -> pd.DataFrame:
    """Replace ``person_id`` by the person's primary ``record_id`` in an event table.

    Parameters
    ----------
    events : DataFrame
        Event rows with ``person_id``.
    primary : Series
        Record id by person id (:func:`primary_record`).
    table : str
        Table name, for the error message. A missing ``person_id`` (a professional's survey response)
        stays a missing ``record_id``.

    Raises
    ------
    StageError
        If an event's person has no record in the source (the simulators broke their contract).
    """
    record = events["person_id"].map(primary)
    lost = record.isna() & events["person_id"].notna()
    if lost.any():
        first = events.loc[lost, "person_id"].iloc[0]
        raise StageError(f"{table}: {int(lost.sum())} rows belong to persons without a record (e.g. {first})")
    out = events.drop(columns="person_id")
    out.insert(1, "record_id", record.astype(object).where(record.notna(), None))
    return out


def build_records(
    persons: pd.DataFrame,
    outcomes: dict[str, Any],
    params: dict[str, Any],
    rngs: dict[str, np.random.Generator],
) -> dict[str, Any]:
    """Build every raw extract, the truth record table and the noise log.

    Parameters
    ----------
    persons : DataFrame
        Truth persons (:func:`pact_analysis.synth.population.make_population`).
    outcomes : dict
        ``rgc`` (output of ``spells.simulate_rgc``), ``interventions``, ``employment``, ``ngo`` and
        ``pilot`` (outputs of the services and pilot simulators), and ``ceas`` (the CEAS table).
    params : dict
        Project parameters (``synthetic.noise``, ``data.extraction_date``).
    rngs : dict
        One random stream per person source.

    Returns
    -------
    dict
        ``"raw"``: DataFrame per codebook source; ``"records"``: source, record_id, person_id;
        ``"noise_log"``: source, record_id, column, noise_type.
    """
    noise = params["synthetic"]["noise"]
    # moves between provinces: a stream of their own, spawned so that no other stream's draws change
    moves = province_moves(
        persons,
        float(noise.get("province_moved", 0.0)),
        params["synthetic"]["start_date"],
        params["data"]["extraction_date"],
        rngs["sauss_persons"].spawn(1)[0],
    )
    persons = persons.drop(columns=list(moves.columns), errors="ignore").join(moves)
    sauss, t1, l1 = sauss_records(persons, params, rngs["sauss_persons"])
    rgc, t2, l2 = rgc_records(persons, outcomes["rgc"]["members"], params, rngs["rgc_members"])
    emp, t3, l3 = employment_records(
        persons, outcomes["employment"]["persons"], params, rngs["employment_persons"]
    )
    ngo, t4, l4 = ngo_records(persons, outcomes["ngo"], params, rngs["ngo_attention"])
    s_primary, e_primary = primary_record(sauss), primary_record(emp)
    pilot = outcomes["pilot"]
    raw = {
        "ceas": outcomes["ceas"],
        "sauss_persons": sauss,
        "sauss_interventions": map_to_record(outcomes["interventions"], s_primary, "sauss_interventions"),
        "rgc_members": rgc,
        "rgc_spells": outcomes["rgc"]["spells"],
        "employment_persons": emp,
        "employment_episodes": map_to_record(
            outcomes["employment"]["episodes"], e_primary, "employment_episodes"
        ),
        "ngo_attention": ngo,
        "pilot_assignment": map_to_record(pilot["assignment"], s_primary, "pilot_assignment"),
        "mdtse_assessments": map_to_record(pilot["mdtse"], s_primary, "mdtse_assessments"),
        "satisfaction_surveys": map_to_record(pilot["surveys"], s_primary, "satisfaction_surveys"),
    }
    records = pd.concat([t1, t2, t3, t4], ignore_index=True)
    log = pd.concat([l1, l2, l3, l4], ignore_index=True)
    return {"raw": raw, "records": records, "noise_log": log}
