"""The deployed model: the chosen logistic model, recalibrated, in explainable form.

:class:`LinearModel` (``logit = reference + sum coef * (x - mean)``: each term a factor's
contribution, the alerts' reasons), :func:`linear_model` and :func:`recalibrate` (recalibration on the
later cohorts), :func:`fit_deployed_model` (the same fit as the report's validation) and
:func:`current_recipients` (today's recipients with the model's inputs at the extraction date).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pact_analysis.chronicity.deployment import choose_deployment, cohort_split, recalibrate
from pact_analysis.chronicity.landmark import (
    FEATURES,
    SPELL_MONTH,
    add_interactions,
    factor_of,
    fill_missing,
    fit_predictors,
)
from pact_analysis.chronicity.params import chronicity_params
from pact_analysis.chronicity.spells import history_features

__all__ = ["LinearModel", "current_recipients", "fit_deployed_model", "linear_model", "recalibrate"]

#: Row of :meth:`LinearModel.table` holding the reference logit.
REFERENCE_ROW = "(reference)"


@dataclass
class LinearModel:
    """The chronicity model as deployed: ``logit = reference + sum coef * (x - mean)``.

    The chosen (logistic) model fitted on the development cohorts, with its linear predictor
    recalibrated (intercept and slope) on the later cohorts, the closest to the present. Each term of
    the sum is a factor's contribution for a person (the alerts' reasons).

    Attributes
    ----------
    features : list of str
        Predictors (:func:`predictors`).
    coef : Series
        Coefficients per unit of each feature (calibrated logit scale).
    mean : Series
        Reference values (development means).
    reference : float
        Calibrated logit of a person at the reference values.
    C : float
        Inverse L2 penalty chosen.
    recalibration : tuple of float
        Intercept and slope applied to the development model's linear predictor ((0, 1): none).
    threshold : float
        The alert threshold chosen on the recalibration cohort (NaN when not chosen).
    validated_landmarks : tuple of float
        The landmark months at which the model may score (:func:`choose_deployment`).
    choice : dict
        Everything :func:`choose_deployment` decided (empty when not chosen that way).
    """

    features: list[str]
    coef: pd.Series
    mean: pd.Series
    reference: float
    C: float
    recalibration: tuple[float, float]
    threshold: float = float("nan")
    validated_landmarks: tuple[float, ...] = ()
    choice: dict = field(default_factory=dict)

    def contributions(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Per-person contributions ``coef_j * (x_j - mean_j)`` to the calibrated logit."""
        x = frame[self.features].to_numpy(float)
        values = (x - self.mean.to_numpy()) * self.coef.to_numpy()
        return pd.DataFrame(values, index=frame.index, columns=self.features)

    def factor_contributions(self, frame: pd.DataFrame) -> pd.DataFrame:
        """:meth:`contributions` summed per factor (a feature with its interaction, :func:`factor_of`)."""
        contrib = self.contributions(frame)
        return contrib.T.groupby([factor_of(f) for f in self.features], sort=False).sum().T

    def logit(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated logit of still receiving at the horizon."""
        return self.reference + self.contributions(frame).sum(axis=1).to_numpy()

    def risk(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of still receiving at the horizon."""
        return 1.0 / (1.0 + np.exp(-self.logit(frame)))

    def table(self) -> pd.DataFrame:
        """The full specification (publishable: weights, no data), indexed by ``feature``:
        ``reference`` (development mean), ``coef`` (calibrated logit per unit) and ``odds_ratio``,
        with the reference logit as the row ``(reference)``."""
        body = pd.DataFrame({"reference": self.mean, "coef": self.coef}, index=self.features)
        top = pd.DataFrame({"reference": [np.nan], "coef": [self.reference]}, index=[REFERENCE_ROW])
        table = pd.concat([top, body]).rename_axis("feature")
        return table.assign(odds_ratio=np.exp(table["coef"]).where(table.index != REFERENCE_ROW))

    @classmethod
    def from_table(cls, table: pd.DataFrame) -> LinearModel:
        """Rebuild the model from its specification (:meth:`table`)."""
        body = table.drop(index=REFERENCE_ROW)
        return cls(
            features=list(body.index),
            coef=body["coef"].astype(float),
            mean=body["reference"].astype(float),
            reference=float(table.loc[REFERENCE_ROW, "coef"]),
            C=np.nan,
            recalibration=(np.nan, np.nan),
        )


def raw_logit(predictor: Any, frame: pd.DataFrame) -> np.ndarray:
    """The development model's linear predictor (before any recalibration) on ``frame``."""
    scaler, learner = predictor.model[0], predictor.model[-1]
    intercept = float(np.ravel(learner.intercept_)[0])
    coef, mean = np.ravel(learner.coef_) / scaler.scale_, scaler.mean_
    return intercept + (frame[predictor.features].to_numpy(float) - mean) @ coef


def linear_model(
    predictor: Any, stack: pd.DataFrame, recalibration: tuple[float, float] | None = None
) -> LinearModel:
    """The deployed form of a fitted logistic predictor, recalibrated.

    Parameters
    ----------
    predictor : object
        The ``logistic`` model of :func:`fit_predictors` (scaler + logistic regression).
    stack : DataFrame
        :func:`landmark_stack`; without ``recalibration`` its ``validate`` rows (every landmark)
        recalibrate the model (the former behaviour; :func:`fit_deployed_model` passes the
        recalibration chosen on the recalibration cohort instead).
    recalibration : (float, float), optional
        Intercept and slope to apply to the linear predictor.
    """
    scaler, learner = predictor.model[0], predictor.model[-1]
    intercept = float(np.ravel(learner.intercept_)[0])
    coef, mean = np.ravel(learner.coef_) / scaler.scale_, scaler.mean_
    if recalibration is None:
        val = stack.loc[stack["split"] == "validate"]
        recalibration = recalibrate(val["still"].to_numpy(), raw_logit(predictor, val))
    a, b = (float(v) for v in recalibration)
    return LinearModel(
        features=list(predictor.features),
        coef=pd.Series(b * coef, index=predictor.features),
        mean=pd.Series(mean, index=predictor.features),
        reference=a + b * intercept,
        C=float(predictor.C),
        recalibration=(a, b),
    )


def _require_logistic(cfg: Mapping[str, Any]) -> str:
    """``chosen_model``, which must be ``logistic``: per-person reasons need an additive model."""
    if cfg["chosen_model"] != "logistic":
        raise ValueError(
            f"chronicity.chosen_model is {cfg['chosen_model']!r}; the deployed model with per-person "
            "reasons needs the logistic model (additive on the logit scale)"
        )
    return "logistic"


def fit_deployed_model(
    stack: pd.DataFrame,
    params: Mapping[str, Any] | None = None,
    seed: int = 0,
    c: float | str | None = None,
) -> LinearModel:
    """Fit the chosen model on the development cohorts and deploy it as the recalibration cohort decides.

    Development: spells begun before ``develop_before`` (penalty by folds grouped by person).
    Recalibration, validated landmarks and threshold: :func:`choose_deployment` on the spells begun
    before ``recalibrate_before``. The test cohort (later spells) is not touched. The same fit as
    :func:`predictive_validation`, so the alerts score with the model the report validates.

    Parameters
    ----------
    stack : DataFrame
        :func:`landmark_stack`.
    params : mapping, optional
        Project parameters (``chronicity``).
    seed : int
        Seed of the cross-validation folds.
    c : float or "cv", optional
        Inverse penalty (default ``chronicity.logistic_C``; the bootstrap refits hold it fixed).

    Raises
    ------
    ValueError
        If ``chosen_model`` is not ``logistic`` (per-person reasons need an additive model).
    """
    cfg = chronicity_params(params)
    _require_logistic(cfg)
    chron = {**dict((params or {}).get("chronicity") or {}), "models": ["logistic"]}
    chron["logistic_C"] = cfg["logistic_C"] if c is None else c
    cohort = cohort_split(stack, params)
    dev = stack.loc[cohort == "develop"]
    predictor = fit_predictors(dev, params={**dict(params or {}), "chronicity": chron}, seed=seed)["logistic"]
    recal_rows = stack.loc[cohort == "recalibrate"]
    choice = choose_deployment(recal_rows, raw_logit(predictor, recal_rows), params, seed)
    model = linear_model(predictor, stack, recalibration=choice["recalibration"])
    model.threshold = float(choice["threshold"])
    model.validated_landmarks = tuple(choice["validated_landmarks"])
    model.choice = choice
    return model


def current_recipients(
    spells: pd.DataFrame,
    tables: str | Path | Mapping[str, pd.DataFrame],
    params: Mapping[str, Any] | None,
    medians: Mapping[str, float],
) -> pd.DataFrame:
    """The spells open at the extraction date between the first landmark and the horizon, with the
    model's inputs measured at the extraction date (records dated before it only).

    Parameters
    ----------
    spells : DataFrame
        :func:`build_spells` (heads).
    tables : path or mapping
        Processed tables (history features).
    params : mapping
        Project parameters (``chronicity``).
    medians : mapping
        Fill values of missing inputs (``landmark_stack(...).attrs["medians"]``: development cohorts).

    Returns
    -------
    DataFrame
        The spell columns, :data:`FEATURES`, :data:`SPELL_MONTH` (months on the spell so far) and
        ``scoring_date``.
    """
    cfg = chronicity_params(params)
    first, horizon = min(float(m) for m in cfg["landmarks"]), float(cfg["horizon_month"])
    d = spells.loc[~spells["event"] & (spells["duration"] >= first) & (spells["duration"] < horizon)].copy()
    d["scoring_date"] = pd.Timestamp(cfg["extraction_date"])
    hist = history_features(d, tables, at="scoring_date", window_months=float(cfg["history_months"]))
    d = pd.concat([d, hist], axis=1)
    d["years_before"] = d["months_before"] / 12.0
    d[SPELL_MONTH] = d["duration"]
    for f in FEATURES:
        d[f] = pd.to_numeric(d[f], errors="coerce").astype(float) if f in d else np.nan
    return add_interactions(fill_missing(d, medians), params).reset_index(drop=True)
