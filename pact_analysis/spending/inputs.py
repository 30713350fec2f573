"""What the spending analysis reads from the other stages; a missing input is an error that names it.

Required: the linked tables (``data/processed``), the alerts stage's scores
(``data/alerts/scores.parquet``) and the profiles stage's persons (``data/profiles/persons.parquet``).
The pilot stage's results (``data/pilot/results.json``) are required too, but the pilot's effect
on leaving the RGC within 12 months is optional: the pilot may legitimately be unavailable (a region
whose pilot extracts were not delivered, which that file documents); only then is the assumption
``spending.effect_default`` used, and the report says which extracts were missing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from pact_analysis import chronicity as ch
from pact_analysis.errors import StageError
from pact_analysis.paths import Paths
from pact_analysis.pilot.results import RESULTS_FILE as PILOT_RESULTS
from pact_analysis.spending.params import spending_params

#: Keys of an effect: a difference in probability and its 95% confidence interval.
EFFECT_KEYS = ("estimate", "ci_low", "ci_high")


def scores_file(paths: Paths) -> Path:
    """The alerts stage's scores of today's recipients: ``data/alerts/scores.parquet``."""
    return paths.alerts / "scores.parquet"


def alerts_summary_file(paths: Paths) -> Path:
    """The alerts stage's run summary (its ``threshold``, chosen by ``chronicity.alert_share``)."""
    return paths.alerts / "summary.json"


def _alerts_summary(paths: Paths) -> dict[str, Any]:
    """The deployed ``threshold``, whether the alerts were ``withheld`` and the ``validated_landmarks``
    (months since the spell's start at which the model passed its calibration check on the
    recalibration cohort; empty: none, the alerts are withheld for that reason) (:func:`alerts_summary_file`)."""
    summary = json.loads(alerts_summary_file(paths).read_text(encoding="utf-8"))
    return {
        "threshold": float(summary["threshold"]),
        "withheld": bool(summary.get("alerts_withheld")),
        "validated_landmarks": [float(m) for m in summary.get("validated_landmarks") or []],
    }


def profiles_file(paths: Paths) -> Path:
    """The profiles stage's profile of each person: ``data/profiles/persons.parquet``."""
    return paths.profiles / "persons.parquet"


def pilot_file(paths: Paths) -> Path:
    """The pilot stage's results: ``data/pilot/results.json``."""
    return paths.pilot / PILOT_RESULTS


def require(*files: Path) -> None:
    """Raise :class:`~pact_analysis.errors.StageError` naming every file or folder that is missing.

    Parameters
    ----------
    *files : Path
        Required inputs.

    Raises
    ------
    StageError
        When any is absent; the message names each absent path and the stage that writes it.
    """
    missing = [str(f) for f in files if not Path(f).exists()]
    if missing:
        raise StageError(
            "spending needs " + ", ".join(missing) + " (run the stages that write them first: dvc repro)"
        )


def alert_scores(paths: Paths) -> pd.DataFrame:
    """Today's scored recipients (``person_key``, ``ceas_code``, ``risk``, ``alert``) from the alerts stage.

    Parameters
    ----------
    paths : Paths
        Project paths (reads :func:`scores_file`).

    Raises
    ------
    StageError
        When the alerts stage has not written its scores.
    """
    require(scores_file(paths))
    return pd.read_parquet(scores_file(paths), columns=["person_key", "ceas_code", "risk", "alert"])


def read_profiles(paths: Paths) -> pd.DataFrame:
    """The profile of each person (``person_key``, ``profile``, ``name``) from the profiles stage.

    Parameters
    ----------
    paths : Paths
        Project paths (reads :func:`profiles_file`).

    Raises
    ------
    StageError
        When the profiles stage has not written its persons.
    """
    require(profiles_file(paths))
    return pd.read_parquet(profiles_file(paths), columns=["person_key", "profile", "name"])


def pilot_effect(paths: Paths, params: Mapping[str, Any]) -> dict[str, Any]:
    """The pilot's effect on leaving the RGC within 12 months, with its 95% interval and its source.

    Read from the pilot stage's ``data/pilot/results.json`` (key ``exit_12m``: the weighted
    comparison of participants with non-pilot recipients). When that file says the pilot is not
    available (``{"available": false, "not_delivered": [...]}``: the pilot extracts were not
    delivered), the documented assumption ``spending.effect_default`` is used and the result says so.

    Parameters
    ----------
    paths : Paths
        Project paths (reads :func:`pilot_file`).
    params : mapping
        Project parameters (``spending.effect_default``).

    Returns
    -------
    dict
        ``estimate``, ``ci_low``, ``ci_high`` (differences in probability), ``source`` (``pilot`` or
        ``default``) and ``not_delivered`` (the missing extracts; empty unless ``default``).

    Raises
    ------
    StageError
        When the pilot stage has not written its results, or, although the pilot was evaluated, they
        hold no complete, finite effect in [-1, 1] with ``ci_low <= estimate <= ci_high``
        (:func:`checked_effect`).
    """
    path = pilot_file(paths)
    require(path)
    stored = json.loads(path.read_text(encoding="utf-8"))
    if stored.get("available") is False:
        default = spending_params(params)["effect_default"]
        return {k: float(default[k]) for k in EFFECT_KEYS} | {
            "source": "default",
            "not_delivered": list(stored.get("not_delivered") or []),
        }
    return checked_effect(stored.get("exit_12m"), path) | {"source": "pilot", "not_delivered": []}


def checked_effect(effect: Any, path: Path) -> dict[str, float]:
    """The pilot's ``exit_12m`` effect as floats, if it is a finite estimate inside its interval.

    Parameters
    ----------
    effect : any
        The ``exit_12m`` entry of the pilot stage's results.
    path : Path
        The file it was read from (named in the error).

    Returns
    -------
    dict
        ``estimate``, ``ci_low``, ``ci_high``.

    Raises
    ------
    StageError
        Naming ``path``, when a value is missing, a boolean, not a number or not finite, outside
        [-1, 1] (a difference in probability), or when ``ci_low <= estimate <= ci_high`` does not hold.
    """
    if not isinstance(effect, Mapping) or any(effect.get(k) is None for k in EFFECT_KEYS):
        raise StageError(f"{path}: no complete exit_12m effect ({', '.join(EFFECT_KEYS)})")
    if any(isinstance(effect[k], bool) for k in EFFECT_KEYS):
        raise StageError(f"{path}: the exit_12m effect is not numeric (a boolean: {dict(effect)})")
    try:
        values = {k: float(effect[k]) for k in EFFECT_KEYS}
    except (TypeError, ValueError) as err:
        raise StageError(f"{path}: the exit_12m effect is not numeric ({err})") from err
    if not all(math.isfinite(v) for v in values.values()):
        raise StageError(f"{path}: the exit_12m effect is not finite ({values})")
    if not all(-1.0 <= v <= 1.0 for v in values.values()):
        raise StageError(
            f"{path}: the exit_12m effect is a difference in probability and must lie in [-1, 1] ({values})"
        )
    if not values["ci_low"] <= values["estimate"] <= values["ci_high"]:
        raise StageError(f"{path}: the exit_12m effect needs ci_low <= estimate <= ci_high ({values})")
    return values


def read_inputs(paths: Paths, params: Mapping[str, Any]) -> dict[str, Any]:
    """Everything the spending analysis reads, checked before any work.

    Parameters
    ----------
    paths : Paths
        Project paths.
    params : mapping
        Project parameters.

    Returns
    -------
    dict
        ``tables`` (the linked tables the chronicity model scores with, incl. ``ceas``), ``scores``
        (:func:`alert_scores`), ``alerts`` (the deployed ``threshold`` and whether alerts were ``withheld``),
        ``profiles`` (:func:`read_profiles`), ``effect`` (:func:`pilot_effect`) and ``pilot_population``
        (the participants' months on the RGC, ``mean`` and ``sd``; None when the pilot was not evaluated).

    Raises
    ------
    StageError
        Naming every required input that is missing.
    """
    tables = [paths.processed / f"{name}.parquet" for name in ch.SCORING_TABLES]
    require(*tables, scores_file(paths), alerts_summary_file(paths), profiles_file(paths), pilot_file(paths))
    effect = pilot_effect(paths, params)
    stored = json.loads(pilot_file(paths).read_text(encoding="utf-8"))
    return {
        "tables": ch.load_tables(paths.processed, ch.SCORING_TABLES),
        "scores": alert_scores(paths),
        "alerts": _alerts_summary(paths),
        "profiles": read_profiles(paths),
        "effect": effect,
        "pilot_population": stored.get("participants_months"),
    }
