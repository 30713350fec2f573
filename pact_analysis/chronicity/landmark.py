"""The predictive model's data and candidates: landmark datasets, predictors, fitted models.

:func:`landmark_dataset` (spells still receiving at the landmark, features known then only),
:func:`landmark_stack` (every landmark of ``chronicity.landmarks`` stacked: the training rows),
:func:`predictors` (the one definition of what the model sees), :func:`fit_predictors` (Cox,
penalised logistic, gradient boosting) and :func:`logistic_specification`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pact_analysis.chronicity.params import PROVISIONS, chronicity_params
from pact_analysis.chronicity.spells import history_features
from pact_analysis.chronicity.survival import _varying
from pact_analysis.timeline import DAYS_PER_MONTH

#: Features of the predictive model, all known at the landmark.
FEATURES = [
    "age_per_decade",
    "female",
    "foreign",
    "low_education",
    "disability",
    "lone_parent",
    "household_size",
    "prior_imi",
    "prior_spells",
    "years_before",
    "recent_employment",
    "contract_since_start",
    "contracts_before",
    *[f"svc_{c.lower()}" for c in PROVISIONS],
    "svc_other",
    "ngo_before",
]
#: (The total of SAUSS provisions, ``services_before``, is not a feature: with every provision's count
#: beside it, it would be their exact sum and its contribution would double-count theirs.)


def landmark_dataset(
    spells: pd.DataFrame,
    tables: str | Path | Mapping[str, pd.DataFrame],
    params: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """The landmark dataset: spells still receiving at the landmark month with complete follow-up.

    Spells that reached the landmark (``landmark_month``) and whose horizon (``horizon_month``) falls
    before the extraction date, so the outcome (still receiving at the horizon) is known for
    everyone. Features are measured at the landmark date from records dated before it only; the
    time on the RGC before the spell comes from earlier spells.

    Parameters
    ----------
    spells : DataFrame
        Output of :func:`build_spells` (heads).
    tables : path or mapping
        The processed tables (history features).
    params : mapping, optional
        Project parameters (``chronicity``: ``landmark_month``, ``horizon_month``,
        ``history_months``, ``develop_before``).

    Returns
    -------
    DataFrame
        The spell columns, :data:`FEATURES` (missing inputs left missing: :func:`landmark_stack`
        fills them), ``landmark_date``, ``still`` (1 = still receiving at the horizon), ``time``
        (months since the landmark, administratively censored at the horizon), ``exited`` (exit
        before the horizon), ``split`` (``develop`` / ``validate``).
    """
    cfg = chronicity_params(params)
    lm, hz = float(cfg["landmark_month"]), float(cfg["horizon_month"])
    extraction = pd.Timestamp(cfg["extraction_date"])
    d = spells.loc[(spells["duration"] > lm) & (spells["entry"] <= lm)].copy()
    d["landmark_date"] = d["start_date"] + pd.to_timedelta(lm * DAYS_PER_MONTH, unit="D")
    horizon_date = d["start_date"] + pd.to_timedelta(hz * DAYS_PER_MONTH, unit="D")
    d = d.loc[horizon_date <= extraction].copy()
    hist = history_features(d, tables, at="landmark_date", window_months=float(cfg["history_months"]))
    d = pd.concat([d, hist], axis=1)
    d["years_before"] = d["months_before"] / 12.0
    d["prior_imi"] = d["prior_imi"].astype(float)
    d["household_size"] = pd.to_numeric(d["household_size"], errors="coerce").astype(float)
    outcomes = outcome_columns(d, spells, horizon_date.loc[d.index])
    d = pd.concat([d, outcomes], axis=1)
    d["still"] = d[f"outcome_{cfg['outcome']}"].astype(int)
    d["exited"] = d["duration"] <= hz  # this spell ended before the horizon (the Cox candidate's event)
    d["time"] = np.minimum(d["duration"], hz) - lm
    d["split"] = np.where(d["start_date"] < pd.Timestamp(cfg["develop_before"]), "develop", "validate")
    for f in FEATURES:
        if f not in d:
            d[f] = 0.0
        d[f] = pd.to_numeric(d[f], errors="coerce").astype(float)
    return d.reset_index(drop=True)


#: Outcome definitions (``chronicity.outcome``; the others are sensitivity analyses).
OUTCOMES = ("receiving", "same_spell", "sanction_as_chronic")


def outcome_columns(rows: pd.DataFrame, spells: pd.DataFrame, horizon_date: pd.Series) -> pd.DataFrame:
    """The outcome at the horizon under each definition of :data:`OUTCOMES`.

    - ``receiving`` (primary): the person receives the benefit on the horizon date, in this spell or
      a later one (a return after an exit counts as receiving; an exit by a sanction that has not
      been followed by a return counts as not receiving, which is what it is);
    - ``same_spell``: this spell has not ended by the horizon (the former outcome);
    - ``sanction_as_chronic``: receiving, or out of the benefit after a non-compliance exit of this
      spell before the horizon (a sanction is not a way out of need).

    Parameters
    ----------
    rows : DataFrame
        Spells at a landmark (``person_key``, ``start_date``, ``duration``, ``cause``).
    spells : DataFrame
        Every spell of :func:`build_spells` (``person_key``, ``start_date``, ``exit_date``, ``event``).
    horizon_date : Series
        The horizon date of each row (indexed like ``rows``).

    Returns
    -------
    DataFrame
        Indexed like ``rows``: ``outcome_<name>`` (0/1) for each name of :data:`OUTCOMES`.
    """
    left = pd.DataFrame({"person_key": rows["person_key"], "h": horizon_date}).reset_index(names="row")
    right = spells[["person_key", "start_date", "exit_date", "event"]]
    m = left.merge(right, on="person_key")
    covers = (m["start_date"] <= m["h"]) & ((m["exit_date"] > m["h"]) | ~m["event"].astype(bool))
    receiving = m.loc[covers].groupby("row").size().reindex(left["row"]).notna().to_numpy()
    same = (rows["duration"].to_numpy(float) > _months_between(rows["start_date"], horizon_date)).astype(bool)
    sanction = (~same) & (rows["cause"].astype(str).to_numpy() == "NON_COMPLIANCE")
    return pd.DataFrame(
        {
            "outcome_receiving": receiving.astype(int),
            "outcome_same_spell": same.astype(int),
            "outcome_sanction_as_chronic": (receiving | sanction).astype(int),
        },
        index=rows.index,
    )


def _months_between(start: pd.Series, end: pd.Series) -> np.ndarray:
    return ((end - start).dt.total_seconds() / 86400.0 / DAYS_PER_MONTH).to_numpy(float)


#: The landmark of a row of :func:`landmark_stack` (months on the spell): a predictor of the model.
SPELL_MONTH = "months_on_spell"


#: Suffix of a feature's interaction with the years on the spell since ``landmark_month``.
BY_MONTH = ":by_year_on_spell"


def predictors(params: Mapping[str, Any] | None = None) -> list[str]:
    """The predictors of the chronicity model: :data:`FEATURES` without ``exclude_predictors``, the
    month of the spell (:data:`SPELL_MONTH`) and each feature's interaction with the years on the
    spell since ``landmark_month`` (:data:`BY_MONTH`, :func:`add_interactions`).

    The one definition of what the model sees, used by the validation (report ``03_chronicity``) and
    by the alerts (stage ``alerts``). Protected characteristics (nationality, sex) are excluded and
    audited by group instead. At ``landmark_month`` the interactions are zero, so the main effects
    are the effects at month 3 and the interactions their change per year on the spell.

    Raises
    ------
    ValueError
        If ``exclude_predictors`` names a column that is not a feature.
    """
    excluded = list(chronicity_params(params)["exclude_predictors"] or [])
    unknown = sorted(set(excluded) - set(FEATURES))
    if unknown:
        raise ValueError(f"chronicity.exclude_predictors: {unknown} are not features ({FEATURES})")
    base = [f for f in FEATURES if f not in excluded]
    return [*base, SPELL_MONTH, *[f + BY_MONTH for f in base]]


def factor_of(predictor: str) -> str:
    """The factor a predictor belongs to (an interaction belongs to its feature)."""
    return predictor.split(BY_MONTH)[0]


def add_interactions(frame: pd.DataFrame, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Add every feature's interaction with the years on the spell since ``landmark_month``."""
    years = (frame[SPELL_MONTH].astype(float) - float(chronicity_params(params)["landmark_month"])) / 12.0
    terms = {f + BY_MONTH: frame[f].astype(float) * years for f in FEATURES}
    return frame.assign(**terms)


def _at_landmark(params: Mapping[str, Any] | None, month: float) -> dict[str, Any]:
    """Parameters of the landmark dataset at ``month``: the same prediction window at every landmark."""
    params = dict(params or {})
    cfg = chronicity_params(params)
    window = float(cfg["horizon_month"]) - float(cfg["landmark_month"])
    chron = {**dict(params.get("chronicity") or {}), "landmark_month": month, "horizon_month": month + window}
    return {**params, "chronicity": chron}


def landmark_stack(
    spells: pd.DataFrame,
    tables: str | Path | Mapping[str, pd.DataFrame],
    params: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """The landmark datasets at every month of ``landmarks``, stacked: the model's training rows.

    A spell contributes one row per landmark it reached (with complete follow-up), with the landmark
    as :data:`SPELL_MONTH`. The prediction window is the same at every landmark
    (``horizon_month - landmark_month``: at month 3, still receiving at month 24; at month 11, still
    receiving at month 32), so a risk means the same thing whatever the month a recipient is scored
    at, with features measured then. Missing inputs
    are filled with the medians of the development cohorts (:func:`fill_missing`): nothing of the
    validation cohorts enters the model.

    Returns
    -------
    DataFrame
        The columns of :func:`landmark_dataset` plus :data:`SPELL_MONTH`; ``attrs["medians"]`` holds
        the fill values (a dict), ``attrs["missing_inputs"]`` the number of rows each input was missing
        or unknown in (:func:`missing_inputs`; inputs never missing left out) and
        ``attrs["rows_with_missing"]`` the rows with any.

    Raises
    ------
    ValueError
        If ``landmark_month`` (where the model is validated) is not one of ``landmarks``.
    """
    cfg = chronicity_params(params)
    months = sorted(float(m) for m in cfg["landmarks"])
    if float(cfg["landmark_month"]) not in months:
        raise ValueError(f"chronicity.landmark_month {cfg['landmark_month']} is not in landmarks {months}")
    parts = [
        landmark_dataset(spells, tables, _at_landmark(params, m)).assign(**{SPELL_MONTH: m}) for m in months
    ]
    stack = pd.concat(parts, ignore_index=True)
    medians = stack.loc[stack["split"] == "develop", FEATURES].median()
    missing = missing_inputs(stack, cfg["exclude_predictors"])
    stack = add_interactions(fill_missing(stack, medians), params)
    stack.attrs["medians"] = {k: float(v) for k, v in medians.fillna(0.0).items()}
    # what was missing, for the report (TRIPOD+AI: missing data, how many and how handled)
    stack.attrs["missing_inputs"] = {k: int(n) for k, n in missing.sum().items() if n}
    stack.attrs["rows_with_missing"] = int(missing.any(axis=1).sum())
    return stack


#: Inputs whose unknown value is coded before the median fill, and the raw column that says it is
#: unknown: education unknown counts as not low, a disability degree unknown as none recognised.
CODED_UNKNOWN = {"low_education": "education", "disability": "disability_pct"}


def missing_inputs(stack: pd.DataFrame, excluded: Sequence[str] = ()) -> pd.DataFrame:
    """Which model inputs each row lacks, before any fill: missing (NaN, filled with the development
    median) or unknown at the source and coded (:data:`CODED_UNKNOWN`). Inputs excluded from the model
    are left out.

    Returns
    -------
    DataFrame
        One boolean column per input of :data:`FEATURES` that is a predictor, on ``stack``'s index.
    """
    inputs = [f for f in FEATURES if f not in set(excluded)]
    out = stack[inputs].isna()
    for feature, raw in CODED_UNKNOWN.items():
        if feature in out and raw in stack:
            out[feature] |= (
                pd.to_numeric(stack[raw], errors="coerce").isna()
                if raw == "disability_pct"
                else stack[raw].isna()
            )
    return out


def fill_missing(frame: pd.DataFrame, medians: Mapping[str, float] | pd.Series) -> pd.DataFrame:
    """Fill missing inputs of :data:`FEATURES` with the development medians (0 where none).

    Parameters
    ----------
    frame : DataFrame
        Rows to score or fit.
    medians : mapping or Series
        Feature -> development median (``landmark_stack(...).attrs["medians"]``).
    """
    out = frame.copy()
    fill = pd.Series(dict(medians), dtype=float).reindex(FEATURES).fillna(0.0)
    out[FEATURES] = out[FEATURES].astype(float).fillna(fill)
    return out


def fit_predictors(
    develop: pd.DataFrame,
    features: Sequence[str] | None = None,
    params: Mapping[str, Any] | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Fit the candidate models on the development spells.

    Parameters
    ----------
    develop : DataFrame
        Development part of :func:`landmark_dataset`.
    features : sequence of str, optional
        Feature columns (known at the landmark; default :func:`predictors`).
    params : mapping, optional
        Project parameters (``chronicity``: ``models``, ``logistic_C``, ``cox_penalizer``,
        ``boosting``, ``horizon_month``, ``landmark_month``).
    seed : int
        Random state of the gradient boosting.

    Returns
    -------
    dict
        Model name -> fitted object exposing ``predict_still(frame) -> ndarray`` (probability of
        still receiving at the horizon): ``cox`` (lifelines CoxPHFitter on time since the landmark),
        ``logistic`` (scikit-learn L2 logistic regression on standardised features), ``boosting``
        (scikit-learn HistGradientBoostingClassifier).
    """
    cfg = chronicity_params(params)
    features = _varying(develop, list(predictors(params) if features is None else features))
    window = float(cfg["horizon_month"]) - float(cfg["landmark_month"])
    models: dict[str, Any] = {}
    for name in cfg["models"]:
        if name == "cox":
            models[name] = _CoxPredictor(develop, features, window, float(cfg["cox_penalizer"]))
        elif name == "logistic":
            c = cfg["logistic_C"]
            models[name] = _LogisticPredictor(develop, features, c if c == "cv" else float(c), seed)
        elif name == "boosting":
            models[name] = _BoostingPredictor(develop, features, cfg["boosting"], seed)
        else:
            raise ValueError(f"unknown model {name!r} (cox, logistic, boosting)")
    return models


class _CoxPredictor:
    """Cox model of exit on the time since the landmark, predicting survival over the window."""

    def __init__(self, develop: pd.DataFrame, features: list[str], window: float, penalizer: float) -> None:
        from lifelines import CoxPHFitter

        self.features, self.window = features, window
        frame = develop[[*features, "time", "exited"]].astype(float)
        self.model = CoxPHFitter(penalizer=penalizer).fit(frame, duration_col="time", event_col="exited")

    def predict_still(self, frame: pd.DataFrame) -> np.ndarray:
        sf = self.model.predict_survival_function(frame[self.features], times=[self.window])
        return sf.to_numpy(float).ravel()


def person_folds(
    develop: pd.DataFrame, seed: int = 0, n_splits: int = 5
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Cross-validation folds of the stacked landmark rows, grouped by person and stratified by outcome.

    One person's rows (several landmarks, several spells) are never split between fitting and
    scoring; otherwise the penalty is tuned on leaked rows (issue 18).

    Parameters
    ----------
    develop : DataFrame
        Rows with ``still`` and ``person_key`` (without it every row is its own group).
    seed : int
        Shuffling seed (scikit-learn ``StratifiedGroupKFold``).
    n_splits : int
        Number of folds.

    Returns
    -------
    list of (ndarray, ndarray)
        Positional indices of the fitting and scoring rows of each fold.
    """
    from sklearn.model_selection import StratifiedGroupKFold

    y = develop["still"].to_numpy(int)
    groups = develop["person_key"].astype(str).to_numpy() if "person_key" in develop else np.arange(len(y))
    splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(y)), y, groups=groups))


class _LogisticPredictor:
    def __init__(self, develop: pd.DataFrame, features: list[str], c: float | str, seed: int = 0) -> None:
        from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        self.features = features
        if c == "cv":  # penalty chosen by 5-fold cross-validated log-loss inside the development cohorts
            folds = person_folds(develop, seed)
            learner = LogisticRegressionCV(
                Cs=np.logspace(-3, 1, 13),
                l1_ratios=(0.0,),
                cv=folds,
                scoring="neg_log_loss",
                max_iter=2000,
                use_legacy_attributes=False,
            )
        else:
            learner = LogisticRegression(C=float(c), max_iter=2000)
        self.model = make_pipeline(StandardScaler(), learner)
        self.model.fit(develop[features].to_numpy(float), develop["still"].to_numpy(int))
        last = self.model[-1]
        self.C = float(np.ravel(last.C_ if hasattr(last, "C_") else last.C)[0])

    def predict_still(self, frame: pd.DataFrame) -> np.ndarray:
        return self.model.predict_proba(frame[self.features].to_numpy(float))[:, 1]


class _BoostingPredictor:
    def __init__(self, develop: pd.DataFrame, features: list[str], cfg: Mapping[str, Any], seed: int) -> None:
        from sklearn.ensemble import HistGradientBoostingClassifier

        self.features = features
        self.model = HistGradientBoostingClassifier(
            max_iter=int(cfg["max_iter"]),
            learning_rate=float(cfg["learning_rate"]),
            max_depth=int(cfg["max_depth"]),
            min_samples_leaf=int(cfg["min_samples_leaf"]),
            early_stopping=False,
            random_state=seed,
        )
        with _one_openmp_thread():
            self.model.fit(develop[features].to_numpy(float), develop["still"].to_numpy(int))

    def predict_still(self, frame: pd.DataFrame) -> np.ndarray:
        with _one_openmp_thread():
            return self.model.predict_proba(frame[self.features].to_numpy(float))[:, 1]


def _one_openmp_thread() -> Any:
    """One OpenMP thread for the boosting model: the same predictions, and no spinning thread.

    On a small development cohort a second OpenMP thread gains nothing, and while another process
    holds a core it waits for it: a 200-tree fit took 35 s instead of 0.14 s beside another job.
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1, user_api="openmp")


def logistic_specification(predictor: Any, features: Sequence[str] | None = None) -> pd.DataFrame:
    """The full specification of the penalised logistic model (publishable: no data, only weights).

    Parameters
    ----------
    predictor : object
        The ``logistic`` model of :func:`fit_predictors` (a scaler + logistic regression pipeline).
    features : sequence of str, optional
        Feature names (default the predictor's).

    Returns
    -------
    DataFrame
        Indexed by ``feature`` (``intercept`` first): ``mean`` and ``sd`` of the feature in the
        development cohorts, ``coef_standardised`` (log odds of still receiving per standard
        deviation), ``coef`` (per unit) and ``odds_ratio`` (per unit).
    """
    pipe = predictor.model
    scaler, model = pipe[0], pipe[-1]
    names = list(features or predictor.features)
    beta_std = np.ravel(model.coef_)
    beta = beta_std / scaler.scale_
    intercept = float(np.ravel(model.intercept_)[0]) - float(np.sum(beta * scaler.mean_))
    table = pd.DataFrame(
        {"mean": scaler.mean_, "sd": scaler.scale_, "coef_standardised": beta_std, "coef": beta}, index=names
    )
    top = pd.DataFrame({"coef": [intercept]}, index=["intercept"])
    table = pd.concat([top, table])
    table["odds_ratio"] = np.exp(table["coef"])
    return table.rename_axis("feature")
