"""Descriptive statistics of the extracts, shown in the overview report.

Every function takes data frames and returns a tidy table, so that tests can check it directly and the
notebook only reads, calls and shows.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from pact_analysis import codebook

AGE_BANDS = [0, 18, 25, 35, 45, 55, 65, 75, 120]
AGE_LABELS = ["0-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+"]


def data_dictionary() -> pd.DataFrame:
    """Return the data dictionary: one row per source column, from the codebook.

    Returns
    -------
    DataFrame
        Columns ``source``, ``file``, ``column``, ``type``, ``required``, ``codes``, ``direct_identifier``
        and ``description``.
    """
    rows = []
    for source, spec in codebook.sources().items():
        for column, col in spec["columns"].items():
            rows.append(
                {
                    "source": source,
                    "file": spec["file"],
                    "column": column,
                    "type": col["type"],
                    "required": not col.get("nullable", False),
                    "codes": col.get("codes", ""),
                    "direct_identifier": bool(col.get("pii", False)),
                    "description": col.get("description", ""),
                }
            )
    return pd.DataFrame(rows)


def source_sizes(
    tables: dict[str, pd.DataFrame], delivered: Mapping[str, bool] | None = None
) -> pd.DataFrame:
    """Return whether each extract was delivered, and its number of rows and columns.

    Parameters
    ----------
    tables : dict of str to DataFrame
        Clean extracts keyed by source name.
    delivered : mapping of str to bool, optional
        Whether each source's extract was delivered (:func:`pact_analysis.ingest.delivered`); by
        default every table counts as delivered.

    Returns
    -------
    DataFrame
        ``source``, ``description``, ``delivered`` (bool), ``rows`` (Int64: missing for an extract
        that was not delivered, 0 for a delivered empty one) and ``columns``.
    """
    rows = []
    for name, df in tables.items():
        given = True if delivered is None else bool(delivered.get(name, False))
        rows.append(
            {
                "source": name,
                "description": codebook.sources()[name]["description"],
                "delivered": given,
                "rows": len(df) if given else pd.NA,
                "columns": df.shape[1],
            }
        )
    out = pd.DataFrame(rows, columns=["source", "description", "delivered", "rows", "columns"])
    return out.astype({"delivered": bool, "rows": "Int64", "columns": "int64"})


def missingness(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Return the share of missing values per column, for columns with any missing value.

    Parameters
    ----------
    tables : dict of str to DataFrame
        Clean extracts keyed by source name.

    Returns
    -------
    DataFrame
        ``source``, ``column``, ``missing_share`` (0-1), sorted by source then share descending.
    """
    rows = []
    for name, df in tables.items():
        if df.empty:
            continue
        share = df.isna().mean()
        rows += [
            {"source": name, "column": col, "missing_share": float(v)} for col, v in share.items() if v > 0
        ]
    out = pd.DataFrame(rows, columns=["source", "column", "missing_share"])
    return out.sort_values(["source", "missing_share"], ascending=[True, False], ignore_index=True)


def age_at(birth_date: pd.Series, when: pd.Timestamp | str) -> pd.Series:
    """Return completed years of age at ``when`` (missing where the birth date is missing)."""
    when = pd.Timestamp(when)
    birth = pd.to_datetime(birth_date)
    years = when.year - birth.dt.year
    before_birthday = (birth.dt.month > when.month) | (
        (birth.dt.month == when.month) & (birth.dt.day > when.day)
    )
    return (years - before_birthday.astype("Int64")).astype("Int64")


def population_pyramid(persons: pd.DataFrame, when: pd.Timestamp | str) -> pd.DataFrame:
    """Count persons by age band and sex at a date.

    Parameters
    ----------
    persons : DataFrame
        Person records with ``birth_date`` and ``sex`` (H/M).
    when : date-like
        Reference date (usually the extraction date).

    Returns
    -------
    DataFrame
        Index: age band; columns ``H`` and ``M`` (counts).
    """
    age = age_at(persons["birth_date"], when)
    band = pd.cut(age.astype(float), AGE_BANDS, right=False, labels=AGE_LABELS)
    table = pd.crosstab(band, persons["sex"]).reindex(index=AGE_LABELS, columns=["H", "M"], fill_value=0)
    table.index.name = "age_band"
    table.columns.name = None
    return table


def spell_months(spells: pd.DataFrame, extraction_date: pd.Timestamp | str) -> pd.DataFrame:
    """Return each spell's duration in months and whether it ended (observed) or is censored.

    Parameters
    ----------
    spells : DataFrame
        RGC spells with ``start_date``, ``end_date`` (missing if ongoing).
    extraction_date : date-like
        Censoring date for ongoing spells; a recorded end after it was still to come then, so such a
        spell is ongoing too.

    Returns
    -------
    DataFrame
        The spells with added ``months`` (float, at least 1 month paid) and ``ended`` (bool).
    """
    end = pd.to_datetime(spells["end_date"])
    end = end.mask(end > pd.Timestamp(extraction_date))
    ended = end.notna()
    stop = end.fillna(pd.Timestamp(extraction_date))
    days = (stop - pd.to_datetime(spells["start_date"])).dt.days
    out = spells.copy()
    out["months"] = np.maximum(days / 30.4375, 1.0)
    out["ended"] = ended
    return out


def kaplan_meier(spells: pd.DataFrame, label: str = "all RGC spells"):
    """Fit a Kaplan-Meier curve of time on RGC, censoring ongoing spells.

    Parameters
    ----------
    spells : DataFrame
        Output of :func:`spell_months` (``months``, ``ended``).
    label : str
        Curve label.

    Returns
    -------
    lifelines.KaplanMeierFitter
        The fitted estimator (``plot_survival_function()``, ``median_survival_time_``).
    """
    from lifelines import KaplanMeierFitter

    return KaplanMeierFitter().fit(spells["months"], event_observed=spells["ended"], label=label)


def spells_by_province(
    spells: pd.DataFrame, ceas: pd.DataFrame, extraction_date: pd.Timestamp | str
) -> pd.DataFrame:
    """Summarise RGC spells by province: counts, exit routes and Kaplan-Meier median duration.

    Parameters
    ----------
    spells : DataFrame
        RGC spells (``ceas_code``, ``start_date``, ``end_date``, ``exit_reason``).
    ceas : DataFrame
        CEAS reference table (``ceas_code``, ``province_code``).
    extraction_date : date-like
        Censoring date.

    Returns
    -------
    DataFrame
        One row per province: ``spells``, ``ongoing``, one count column per exit route and
        ``median_months`` (Kaplan-Meier, censoring-aware; missing if the curve never reaches 0.5).
    """
    provinces = {p["code"]: p["name"] for p in codebook.load()["provinces"]}
    data = spell_months(spells, extraction_date).merge(
        ceas[["ceas_code", "province_code"]], on="ceas_code", how="left"
    )
    data["province"] = data["province_code"].map(provinces)
    rows = []
    for province, group in data.groupby("province", sort=True):
        median = kaplan_meier(group, province).median_survival_time_
        row = {"province": province, "spells": len(group), "ongoing": int((~group["ended"]).sum())}
        for code in codebook.codes("rgc_exit"):
            row[code] = int((group["exit_reason"] == code).sum())
        row["median_months"] = float(median) if np.isfinite(median) else np.nan
        rows.append(row)
    return pd.DataFrame(rows).set_index("province")


def noise_rates(noise_log: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    """Return the observed rate of each identity-noise type per source (synthetic truth only).

    Parameters
    ----------
    noise_log : DataFrame
        ``source``, ``record_id``, ``column``, ``noise_type``: every error injected.
    records : DataFrame
        ``source``, ``record_id``: every person record (the denominators).

    Returns
    -------
    DataFrame
        Index: noise type; columns: sources; values: share of records affected.
    """
    affected = noise_log.drop_duplicates(["source", "record_id", "noise_type"])
    counts = affected.groupby(["noise_type", "source"]).size().unstack(fill_value=0)
    totals = records.groupby("source").size()
    return counts.div(totals.reindex(counts.columns), axis=1).fillna(0.0)
