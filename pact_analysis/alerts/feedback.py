"""The case managers' feedback on the alerts: reading it, what became of the reviewed, the rates.

Case managers record ``agree``, ``disagree`` (an override) or ``acted`` per person in CSV files of the
feedback folder (:func:`feedback_folder`); :func:`read_feedback` checks and reads them,
:func:`feedback_outcomes` adds each reviewed person's later RGC status, :func:`feedback_rates` and
:func:`feedback_tables` count them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pact_analysis import chronicity as ch
from pact_analysis.errors import StageError

#: Feedback responses a case manager may record (``disagree`` is an override).
RESPONSES = ("agree", "disagree", "acted")


#: Columns of a feedback file.
FEEDBACK_COLUMNS = ("person_key", "date", "response")


def read_feedback(folder: Path) -> pd.DataFrame:
    """Read every ``*.csv`` of the feedback folder (``person_key``, ``date``, ``response``).

    Raises
    ------
    StageError
        Naming the file and rows of a missing column, a date that is not a date or a response not in
        :data:`RESPONSES`.

    Returns
    -------
    DataFrame
        ``person_key``, ``date`` (Timestamp), ``response``, ``file``; one row per review.
    """
    frames = []
    for path in sorted(Path(folder).glob("*.csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        missing = [c for c in FEEDBACK_COLUMNS if c not in frame]
        if missing:
            raise StageError(
                f"feedback {path.name}: missing columns {missing} (needs {list(FEEDBACK_COLUMNS)})"
            )
        frame = frame[list(FEEDBACK_COLUMNS)].assign(file=path.name)
        frame["response"] = frame["response"].str.strip().str.lower()
        frame["date"] = pd.to_datetime(frame["date"].str.strip(), errors="coerce", format="%Y-%m-%d")
        bad = frame.index[
            ~frame["response"].isin(RESPONSES) | frame["date"].isna() | (frame["person_key"] == "")
        ]
        if len(bad):
            rows = ", ".join(str(i + 2) for i in bad[:10])
            raise StageError(
                f"feedback {path.name}: rows {rows} need a person_key, a date YYYY-MM-DD and a response "
                f"in {list(RESPONSES)}"
            )
        frames.append(frame)
    if not frames:
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in [*FEEDBACK_COLUMNS, "file"]})
        return empty.astype({"date": "datetime64[ns]"})
    return pd.concat(frames, ignore_index=True).sort_values(["date", "person_key"], ignore_index=True)


def feedback_outcomes(feedback: pd.DataFrame, spells: pd.DataFrame) -> pd.DataFrame:
    """What became of each reviewed person: the RGC status at the extraction date of the spell they
    were on when reviewed.

    Returns
    -------
    DataFrame
        The feedback rows with ``ceas_code``, ``later_status`` (``still_receiving``, an exit cause, or
        ``no_spell_at_review``) and ``months_to_exit`` (from the review; NaN when still receiving).
    """
    cols = ["person_key", "ceas_code", "start_date", "exit_date", "event", "cause"]
    m = feedback.reset_index().merge(spells[cols], on="person_key", how="left")
    m = m.loc[m["start_date"].isna() | ((m["start_date"] <= m["date"]) & (m["exit_date"] >= m["date"]))]
    m = m.sort_values("start_date").drop_duplicates("index", keep="last").set_index("index")
    out = feedback.join(m[["ceas_code", "exit_date", "event", "cause"]])
    status = np.where(out["event"].astype("boolean").fillna(False), out["cause"], "still_receiving")
    out["later_status"] = np.where(out["exit_date"].isna(), "no_spell_at_review", status)
    out["months_to_exit"] = np.where(
        out["later_status"].isin([*ch.CAUSES, *set(spells["cause"]) - {"censored"}]),
        (pd.to_datetime(out["exit_date"]) - pd.to_datetime(out["date"])).dt.days / ch.DAYS_PER_MONTH,
        np.nan,
    )
    return out.drop(columns=["exit_date", "event", "cause"])


def feedback_rates(feedback: pd.DataFrame) -> dict[str, Any]:
    """Counts of reviews per response, the override rate (share ``disagree``) and the acted rate."""
    n = int(len(feedback))
    counts = {r: int((feedback["response"] == r).sum()) for r in RESPONSES}
    return {
        "reviews": n,
        **counts,
        "override_rate": counts["disagree"] / n if n else None,
        "acted_rate": counts["acted"] / n if n else None,
    }


def synthetic_feedback(
    spells: pd.DataFrame,
    date: str,
    seed: int = 0,
    shares: Mapping[str, float] | None = None,
    size: int | None = None,
) -> pd.DataFrame:
    """Invented reviews of heads on the RGC at ``date`` (for tests and demonstrations only).

    Parameters
    ----------
    spells : DataFrame
        :func:`pact_analysis.chronicity.build_spells`.
    date : str
        Review date; the heads of spells open that day are reviewed.
    seed : int
        Random seed.
    shares : mapping, optional
        Share of each response (default 50% agree, 30% disagree, 20% acted).
    size : int, optional
        Reviews to draw (default every head on the RGC that day).
    """
    day = pd.Timestamp(date)
    on = spells.loc[
        (spells["start_date"] <= day) & (spells["exit_date"] >= day), "person_key"
    ].drop_duplicates()
    rng = np.random.default_rng(seed)
    keys = on.sample(n=min(size or len(on), len(on)), random_state=seed).sort_values()
    shares = dict(shares or {"agree": 0.5, "disagree": 0.3, "acted": 0.2})
    p = np.array(list(shares.values()), dtype=float)
    response = rng.choice(list(shares), size=len(keys), p=p / p.sum())
    return pd.DataFrame(
        {"person_key": keys.to_numpy(), "date": day.strftime("%Y-%m-%d"), "response": response}
    )


def feedback_tables(feedback: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Reviews by response, and response x later RGC status (counts)."""
    responses = feedback["response"].value_counts().reindex(list(RESPONSES), fill_value=0).rename("reviews")
    outcomes = pd.crosstab(feedback["response"], feedback["later_status"]).reindex(
        list(RESPONSES), fill_value=0
    )
    return {
        "responses": responses.rename_axis("response").to_frame(),
        "outcomes": outcomes.rename_axis("response"),
    }
