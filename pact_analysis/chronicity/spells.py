"""RGC spells from the processed (pseudonymised) tables, their history, exits and returns.

:func:`build_spells` (episodes per head or person, merged across short gaps, left-truncated and
censored), :func:`history_features` (employment, services and NGO contact known at a date, no
look-ahead), :func:`exit_dataset` (spells with the critical factors at their start) and
:func:`reentry_dataset` (ended spells followed to a return). Durations are in months of
:data:`~pact_analysis.timeline.DAYS_PER_MONTH` days since the spell started.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pact_analysis.chronicity.params import CAUSES, PROVISIONS, chronicity_params
from pact_analysis.timeline import DAYS_PER_MONTH

#: Processed tables the chronicity model reads (spells, members and the history of each person).
PROCESSED_TABLES = (
    "rgc_spells",
    "rgc_members",
    "persons",
    "employment_episodes",
    "sauss_interventions",
    "ngo_attention",
)


#: The same with the CEAS directory, for those that score today's recipients by CEAS (alerts, spending).
SCORING_TABLES = (*PROCESSED_TABLES, "ceas")


#: Stands for the end of a file still paid when files are compared (later than any real date).
OPEN_END = pd.Timestamp("2200-01-01")
#: The cause of an exit whose file has an end date but no exit reason.
UNKNOWN_EXIT = "UNKNOWN_EXIT"


def load_tables(
    processed: str | Path | Mapping[str, pd.DataFrame], names: Sequence[str] | None = None
) -> dict[str, pd.DataFrame]:
    """Return the processed tables as DataFrames (read ``<name>.parquet`` when given a folder).

    Parameters
    ----------
    processed : path or mapping
        ``data/processed`` or a dict of already loaded tables.
    names : sequence of str, optional
        Tables wanted (default :data:`PROCESSED_TABLES`; :data:`SCORING_TABLES` adds the CEAS).
    """
    names = names or PROCESSED_TABLES
    if isinstance(processed, Mapping):
        return {n: processed[n] for n in names if n in processed}
    folder = Path(processed)
    return {n: pd.read_parquet(folder / f"{n}.parquet") for n in names if (folder / f"{n}.parquet").exists()}


def _months(delta: pd.Series) -> pd.Series:
    return delta.dt.total_seconds() / 86400.0 / DAYS_PER_MONTH


def build_spells(
    tables: str | Path | Mapping[str, pd.DataFrame],
    params: Mapping[str, Any] | None = None,
    unit: str = "head",
) -> pd.DataFrame:
    """RGC episodes per household head (or per person) from the processed tables.

    Benefit files of the same person separated by a gap shorter than ``merge_gap_months`` are merged
    into one episode (an administrative interruption, not an exit); a spell that began before the
    observation window (``observation_start``) is left-truncated (``entry`` > 0) and one still paid at
    the extraction date is censored there. A re-entry is its own spell, with the months already
    spent on the RGC (``months_before``) and the number of earlier spells as covariates.

    Parameters
    ----------
    tables : path or mapping
        ``data/processed`` or its tables (``rgc_spells``, ``rgc_members``, ``persons``).
    params : mapping, optional
        Project parameters (``data.extraction_date``; ``chronicity.merge_gap_months`` and
        ``chronicity.observation_start``, default ``synthetic.start_date``).
    unit : {"head", "person"}
        One row per head's spell, or per spell of every person in the file (members included).

    Returns
    -------
    DataFrame
        One row per spell: ``person_key``, ``household_key``, ``spell_id`` (first file's),
        ``n_files``, ``role``, ``ceas_code``, ``province_code``, ``start_date``, ``end_date`` (last
        payment, NaT if censored), ``end_imputed`` (the end is the start of the person's next file,
        :func:`superseded_ends`), ``exit_date`` (end or extraction date), ``duration`` (months),
        ``entry`` (months already elapsed at the start of observation), ``event`` (bool),
        ``cause`` (exit reason or ``"censored"``), ``cause_code`` (0 censored, 1.. in
        :data:`CAUSES` order, further reasons after), ``spell_number``, ``prior_spells``,
        ``months_before``, ``months_since_last_exit``, ``cohort`` (start year), ``prior_imi``,
        ``household_type``, ``household_size``, ``sex``, ``birth_year``, ``age``, ``age_per_decade``,
        ``nationality``, ``foreign``, ``education``, ``low_education``, ``disability``,
        ``lone_parent``.
    """
    cfg = chronicity_params(params)
    t = load_tables(tables, ("rgc_spells", "rgc_members", "persons"))
    spells = t["rgc_spells"].copy()
    if unit == "person":
        members = t["rgc_members"][["file_id", "person_key", "role"]].dropna(subset=["person_key"])
        spells = spells.drop(columns=["person_key"]).merge(
            members.drop_duplicates(["file_id", "person_key"]), on="file_id"
        )
    elif unit == "head":
        spells = spells.assign(role="HEAD")
    else:
        raise ValueError(f"unit must be 'head' or 'person', not {unit!r}")
    spells = spells.dropna(subset=["person_key", "start_date"])
    extraction = pd.Timestamp(cfg["extraction_date"])
    obs_start = pd.Timestamp(cfg["observation_start"]) if cfg.get("observation_start") else None
    spells["start_date"] = pd.to_datetime(spells["start_date"])
    spells["end_date"] = pd.to_datetime(spells["end_date"])
    spells = spells.loc[spells["start_date"] <= extraction]  # a file begun after it is not yet paid
    spells.loc[spells["end_date"] > extraction, ["end_date", "exit_reason"]] = [pd.NaT, None]
    spells = spells.sort_values(["person_key", "start_date", "spell_id"], kind="stable").reset_index(
        drop=True
    )
    spells, superseded = _supersede_open_files(spells, extraction)
    # merge files separated by a short gap, measured from the latest end of every earlier file of the
    # person (a nested or overlapping file does not end the episode; an open file never ends)
    ends = spells["end_date"].fillna(OPEN_END)
    prev_end = ends.groupby(spells["person_key"]).cummax().groupby(spells["person_key"]).shift()
    gap = _months(spells["start_date"] - prev_end)
    new = gap.isna() | (gap >= float(cfg["merge_gap_months"]))
    new |= spells["person_key"] != spells["person_key"].shift()
    # the file after a superseded open file starts an episode, unless another earlier file of the
    # person still runs then (the person is still paid: one episode, never two at once)
    new |= spells.pop("_break_before") & (prev_end <= spells["start_date"]).fillna(True)
    spells["episode"] = new.cumsum()
    g = spells.groupby("episode", sort=False)
    first = g.head(1).set_index("episode")
    # the episode ends as the file that ends last does, an open file winning (groupby "last" would
    # skip the missing end date of a file still paid and take an earlier file's exit: a false exit;
    # the last-started file may be nested in a longer one)
    latest = spells.assign(_end=ends).sort_values(["episode", "_end", "start_date"], kind="stable")
    last = latest.groupby("episode", sort=False).tail(1).set_index("episode").reindex(first.index)
    ties, agreed = _exits_at_the_end(latest)
    last.loc[agreed.index, "exit_reason"] = agreed
    last.loc[ties, "exit_reason"] = UNKNOWN_EXIT
    out = pd.DataFrame(
        {
            "person_key": first["person_key"],
            "spell_id": first["spell_id"],
            "n_files": g.size(),
            "role": first["role"],
            "ceas_code": first["ceas_code"],
            "start_date": first["start_date"],
            "end_date": last["end_date"],
            "exit_reason": last["exit_reason"],
            "end_imputed": last["_end_imputed"].fillna(False).astype(bool),
            "prior_imi": first["prior_imi"],
            "household_type": first["household_type"],
            "household_size": first["household_size"],
        }
    ).reset_index(drop=True)
    # a file that ended is an exit even without a recorded reason (cause UNKNOWN_EXIT), never a
    # spell censored at the extraction date
    out["event"] = out["end_date"].notna()
    out["exit_reason"] = out["exit_reason"].where(out["exit_reason"].notna() | ~out["event"], UNKNOWN_EXIT)
    out["exit_date"] = out["end_date"].where(out["event"], extraction)
    out["duration"] = _months(out["exit_date"] - out["start_date"]).clip(lower=1.0 / DAYS_PER_MONTH)
    out["cause"] = out["exit_reason"].where(out["event"], "censored").astype(str)
    extra = sorted(set(out.loc[out["event"], "cause"]) - set(CAUSES))
    order = {c: i + 1 for i, c in enumerate([*CAUSES, *extra])}
    out["cause_code"] = out["cause"].map(order).fillna(0).astype(int)
    # history of earlier spells of the same person (observed part only)
    g = out.groupby("person_key", sort=False)
    out["spell_number"] = g.cumcount() + 1
    out["prior_spells"] = out["spell_number"] - 1
    out["months_before"] = g["duration"].cumsum() - out["duration"]
    last_exit = g["exit_date"].shift()
    out["months_since_last_exit"] = _months(out["start_date"] - last_exit)
    # observation window: left truncation
    out["entry"] = 0.0
    if obs_start is not None:
        out = out.loc[out["exit_date"] > obs_start].copy()
        out["entry"] = _months(obs_start - out["start_date"]).clip(lower=0.0)
    out["cohort"] = out["start_date"].dt.year
    out = _add_person_attributes(out, t.get("persons"))
    out["prior_imi"] = out["prior_imi"].fillna(False).astype(bool)
    out["lone_parent"] = (out["household_type"] == "LONE_PARENT").astype(float)
    out = out.reset_index(drop=True)
    out.attrs["open_superseded_files"] = superseded
    out.attrs["conflicting_exits"] = int(len(ties))
    return out


def superseded_ends(files: pd.DataFrame, extraction: Any = None) -> pd.Series:
    """The end date an open file takes when a later file of the same person starts: that start.

    A household does not hold two minimum-income files at once: a file still "open" when a later one
    starts is far more likely a missing end date than a payment still running. Left open it would
    swallow every later file of the person into one censored episode and delete their exits, and be
    paid twice until the extraction; merged into the next file it would assert unbroken receipt across
    the gap. So it ends at the latest date it can have ended, the next later start of the person (its
    duration is an upper bound). The one rule for the spells (:func:`build_spells`) and the payments
    (:func:`pact_analysis.spending.paid.months_paid`).

    Parameters
    ----------
    files : DataFrame
        Benefit files with ``person_key``, ``start_date`` and ``end_date`` (empty while still paid),
        in any order; files without a person are left as they are.
    extraction : date-like, optional
        The extraction date: a file ending after it was still open then, and only a file begun by
        then can supersede one.

    Returns
    -------
    Series of datetime
        Indexed like ``files``: the next later start of the person for an open file that has one,
        NaT for every other file.
    """
    rows = pd.DataFrame(
        {
            "person_key": files["person_key"].astype(object),
            "start_date": pd.to_datetime(files["start_date"]),
            "end_date": pd.to_datetime(files["end_date"]),
        },
        index=files.index,
    ).dropna(subset=["person_key", "start_date"])
    if extraction is not None:
        cut = pd.Timestamp(extraction)
        rows.loc[rows["end_date"] > cut, "end_date"] = pd.NaT
        rows = rows.loc[rows["start_date"] <= cut]
    rows = rows.sort_values(["person_key", "start_date"], kind="stable")
    same = rows.groupby("person_key", sort=False)["start_date"].shift(-1)
    later = same.where(same != rows["start_date"])
    # the next *later* start: rows that start the same day take the later start of the rows after them
    later = later.groupby(rows["person_key"], sort=False).bfill().where(same.notna() | later.notna())
    out = later.where(rows["end_date"].isna())
    return out.reindex(files.index)


def _supersede_open_files(spells: pd.DataFrame, extraction: Any) -> tuple[pd.DataFrame, int]:
    """End each open file superseded by a later one (:func:`superseded_ends`) as an exit of unknown
    cause (:data:`UNKNOWN_EXIT`); the next file starts a new episode whatever the gap, unless another
    earlier file of the person still runs then (:func:`build_spells`).

    Parameters
    ----------
    spells : DataFrame
        Files sorted by person and start date.
    extraction : date-like
        The extraction date (:func:`superseded_ends`).

    Returns
    -------
    (DataFrame, int)
        The files with ``_break_before`` (the file starts an episode) and ``_end_imputed`` (its end is
        the next start), and how many open files were ended so.
    """
    later = superseded_ends(spells, extraction)
    superseded = later.notna()
    spells = spells.copy()
    spells.loc[superseded, "end_date"] = later[superseded]
    spells.loc[superseded, "exit_reason"] = UNKNOWN_EXIT
    spells["_end_imputed"] = superseded
    ends = pd.DataFrame({"person_key": spells["person_key"], "start_date": later})[superseded]
    marks = set(zip(ends["person_key"], ends["start_date"], strict=True))
    keys = zip(spells["person_key"], spells["start_date"], strict=True)
    spells["_break_before"] = [k in marks for k in keys]
    return spells, int(superseded.sum())


def _exits_at_the_end(latest: pd.DataFrame) -> tuple[pd.Index, pd.Series]:
    """The exit reason of each episode from the files that end on its last end date.

    One reason among them (files without one left aside) is the episode's, whatever the order of
    the files; different reasons cannot be told apart from the records (the order of file ids is no
    evidence), so the cause is :data:`UNKNOWN_EXIT`.

    Parameters
    ----------
    latest : DataFrame
        Files with ``episode``, ``_end`` (end date, open files late) and ``exit_reason``.

    Returns
    -------
    (Index, Series)
        Episodes with conflicting reasons, and the one reason of the others that have one.
    """
    last_end = latest.groupby("episode", sort=False)["_end"].transform("max")
    at_end = latest.loc[(latest["_end"] == last_end) & (latest["_end"] < OPEN_END)]
    reasons = at_end.dropna(subset=["exit_reason"]).groupby("episode", sort=False)["exit_reason"]
    count = reasons.nunique()
    return count.index[count > 1], reasons.first()[count == 1]


def _add_person_attributes(spells: pd.DataFrame, persons: pd.DataFrame | None) -> pd.DataFrame:
    if persons is None:
        return spells
    cols = [
        "person_key",
        "household_key",
        "sex",
        "birth_year",
        "nationality",
        "province_code",
        "education",
        "disability_pct",
        "profile",  # only when the profiles stage has added it
    ]
    p = persons[[c for c in cols if c in persons]].drop_duplicates("person_key")
    out = spells.merge(p, on="person_key", how="left")
    by = pd.to_numeric(out["birth_year"], errors="coerce")
    out["age"] = out["start_date"].dt.year - by + 0.5 - out["start_date"].dt.dayofyear / 365.25
    out["age_per_decade"] = (out["age"] - 45.0) / 10.0
    out["foreign"] = (out["nationality"].astype("string") != "ES").astype(float)
    out["low_education"] = out["education"].isin(["NONE", "PRIMARY"]).astype(float)
    out["disability"] = (pd.to_numeric(out["disability_pct"], errors="coerce").fillna(0) >= 33).astype(float)
    out["female"] = (out["sex"].astype("string") == "M").astype(float)
    return out


def _dated_events(
    events: pd.DataFrame, date_col: str, persons: pd.Index
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Person codes (positions in ``persons``) and times (int64 ns) of the dated events of those persons.

    Returns
    -------
    tuple of ndarray
        The codes and times of the events kept, and which rows of ``events`` were kept.
    """
    person = persons.get_indexer(events["person_key"].to_numpy(object))
    when = events[date_col].to_numpy("datetime64[ns]")
    keep = (person >= 0) & ~np.isnat(when)
    return person[keep], when[keep].view("int64"), keep


def _count_before(
    spell_person: np.ndarray,
    spell_at: np.ndarray,
    event_person: np.ndarray,
    event_time: np.ndarray,
    window_months: float | None,
) -> np.ndarray:
    """Count the events of each spell's person dated in [at - window, at) (no window: before ``at``).

    The events are sorted once by person and time; each spell's count is the difference of two
    binary searches (no join of every spell with every event of its person). A spell without a
    date, or whose person is unknown (code -1), counts 0.

    Parameters
    ----------
    spell_person, spell_at : ndarray
        Each spell's person code and date (``datetime64[ns]``, NaT allowed).
    event_person, event_time : ndarray
        The events' person codes and times (int64 ns), from :func:`_dated_events`.
    window_months : float, optional
        Look-back window.

    Returns
    -------
    ndarray of float
    """
    counts = np.zeros(len(spell_person))
    usable = (spell_person >= 0) & ~np.isnat(spell_at)
    if not usable.any() or not len(event_person):
        return counts
    upper = spell_at[usable].view("int64")
    bounds = [upper]
    if window_months is not None:
        bounds.append(upper - pd.to_timedelta(window_months * DAYS_PER_MONTH, unit="D").value)
    # ranks of every time involved, so that (person, time) orders as one integer without overflow
    times = np.unique(np.concatenate([event_time, *bounds]))
    step = len(times) + 1
    events_sorted = np.sort(event_person.astype(np.int64) * step + np.searchsorted(times, event_time))
    base = spell_person[usable].astype(np.int64) * step
    below_upper = np.searchsorted(events_sorted, base + np.searchsorted(times, upper), side="left")
    start = base if len(bounds) == 1 else base + np.searchsorted(times, bounds[1])
    counts[usable] = below_upper - np.searchsorted(events_sorted, start, side="left")
    return counts


def history_features(
    spells: pd.DataFrame,
    tables: str | Path | Mapping[str, pd.DataFrame],
    at: str = "start_date",
    window_months: float = 24,
) -> pd.DataFrame:
    """The person's history of employment, services and NGO contact known at a date.

    Only records dated strictly before ``spells[at]`` are used (no look-ahead).

    Parameters
    ----------
    spells : DataFrame
        Spells with ``person_key``, ``start_date`` and the column ``at``.
    tables : path or mapping
        ``employment_episodes``, ``sauss_interventions``, ``ngo_attention`` (processed).
    at : str
        Date column at which the features are measured (``start_date`` or a landmark date).
    window_months : float
        Look-back window for the counts of services, contracts and NGO attentions.

    Returns
    -------
    DataFrame
        Indexed like ``spells``: ``recent_employment`` (a contract ended in the 12 months before the
        spell started), ``contract_since_start`` (a contract started between the spell's start and
        ``at``: work income while on the benefit), ``contracts_before`` (contracts started in the
        window), ``services_before`` (SAUSS provisions in the window, the RGC claim excluded),
        ``svc_<provision>`` per provision of :data:`PROVISIONS`, ``svc_other`` (the other provisions), ``ngo_before`` (NGO attentions in
        the window).
    """
    t = load_tables(tables, ("employment_episodes", "sauss_interventions", "ngo_attention"))
    out = pd.DataFrame(index=spells.index)
    keys = spells["person_key"].to_numpy(object)
    persons = pd.Index(pd.unique(spells["person_key"].dropna().to_numpy(object)))
    spell_person, spell_at = persons.get_indexer(keys), spells[at].to_numpy("datetime64[ns]")

    def count(events: pd.DataFrame, date_col: str) -> np.ndarray:
        person, when, _ = _dated_events(events, date_col, persons)
        return _count_before(spell_person, spell_at, person, when, window_months)

    emp = t.get("employment_episodes")
    if emp is not None:
        contracts = emp.loc[emp["episode_type"] == "CONTRACT", ["person_key", "start_date", "end_date"]]
        left = spells[list(dict.fromkeys(["person_key", "start_date", at]))].reset_index()
        m = left.merge(
            contracts.rename(columns={"start_date": "c_start", "end_date": "c_end"}), on="person_key"
        )
        c_end = m["c_end"].fillna(pd.Timestamp.max)
        year_before = m["start_date"] - pd.to_timedelta(365, unit="D")
        recent = (c_end < m["start_date"]) & (c_end >= year_before) & (c_end < m[at])
        since = (m["c_start"] >= m["start_date"]) & (m["c_start"] < m[at])
        out["recent_employment"] = (
            m.loc[recent].groupby("index").size().reindex(spells.index).notna().astype(float)
        )
        out["contract_since_start"] = (
            m.loc[since].groupby("index").size().reindex(spells.index).notna().astype(float)
        )
        out["contracts_before"] = count(contracts, "start_date")
    sauss = t.get("sauss_interventions")
    if sauss is not None:
        svc = sauss.loc[sauss["provision_code"] != "RGC_PROCESSING"]
        person, when, kept = _dated_events(svc, "date", persons)
        out["services_before"] = _count_before(spell_person, spell_at, person, when, window_months)
        provision = svc["provision_code"].to_numpy(object)[kept]
        for code in PROVISIONS:
            mine = provision == code
            out[f"svc_{code.lower()}"] = _count_before(
                spell_person, spell_at, person[mine], when[mine], window_months
            )
        other = ~pd.Series(provision).isin(PROVISIONS).to_numpy()
        out["svc_other"] = _count_before(spell_person, spell_at, person[other], when[other], window_months)
    ngo = t.get("ngo_attention")
    if ngo is not None:
        out["ngo_before"] = count(ngo, "date")
    return out


#: Critical factors of the exit models, all measured at the start of the spell.
EXIT_COVARIATES = [
    "age_per_decade",
    "female",
    "foreign",
    "low_education",
    "disability",
    "lone_parent",
    "household_size",
    "prior_imi",
    "years_before",
    "recent_employment",
    "services_before",
    "ngo_before",
]


def exit_dataset(
    spells: pd.DataFrame,
    tables: str | Path | Mapping[str, pd.DataFrame],
    params: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Spells with the critical factors of :data:`EXIT_COVARIATES` measured at their start.

    Parameters
    ----------
    spells : DataFrame
        Output of :func:`build_spells`.
    tables : path or mapping
        The processed tables (history of services, contracts and NGO contact).
    params : mapping, optional
        Project parameters (``chronicity.history_months``).

    Returns
    -------
    DataFrame
        ``spells`` with the history features at ``start_date`` and ``years_before`` (years on the
        RGC before the spell); missing numeric covariates filled with the median.
    """
    cfg = chronicity_params(params)
    hist = history_features(spells, tables, at="start_date", window_months=float(cfg["history_months"]))
    out = pd.concat([spells, hist.drop(columns=[c for c in hist if c in spells])], axis=1)
    out["years_before"] = out["months_before"] / 12.0
    out["prior_imi"] = out["prior_imi"].astype(float)
    out["household_size"] = pd.to_numeric(out["household_size"], errors="coerce").astype(float)
    for col in EXIT_COVARIATES:
        out[col] = pd.to_numeric(out.get(col, 0.0), errors="coerce").astype(float)
        out[col] = out[col].fillna(out[col].median()).fillna(0.0)
    return out


def reentry_dataset(spells: pd.DataFrame, extraction_date: Any) -> pd.DataFrame:
    """Ended spells followed from their exit to the person's next RGC spell (a return) or censoring.

    Parameters
    ----------
    spells : DataFrame
        Output of :func:`build_spells` (or :func:`exit_dataset`); one person's spells are ordered by
        ``start_date``.
    extraction_date : date-like
        End of follow-up (censoring of those who have not returned).

    Returns
    -------
    DataFrame
        One row per ended spell (but those whose end is the start of the next file,
        ``end_imputed``) with ``time_out`` (months from the exit to the return or the
        extraction date), ``returned`` (bool), ``exit_cause`` and ``spell_years`` (length of the
        spell that ended, years).
    """
    s = spells.sort_values(["person_key", "start_date"], kind="stable")
    following = s.groupby("person_key", sort=False)["start_date"].shift(-1)
    # an exit dated by a later file's start (:func:`superseded_ends`) is not a time out of the benefit:
    # the return would be at once, by construction, and the real gap is unknown
    imputed = s["end_imputed"].astype(bool) if "end_imputed" in s else False
    ended = s.loc[s["event"].astype(bool) & ~imputed].copy()
    nxt = following.loc[ended.index]
    ended["returned"] = nxt.notna()
    until = nxt.fillna(pd.Timestamp(extraction_date))
    ended["time_out"] = _months(until - ended["exit_date"]).clip(lower=1.0 / DAYS_PER_MONTH)
    ended["exit_cause"] = ended["cause"].astype(str)
    ended["spell_years"] = ended["duration"] / 12.0
    return ended.reset_index(drop=True)
