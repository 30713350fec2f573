"""Public spending on the minimum income (RGC): what chronic receipt costs, and what proactive work could save.

The statistics behind notebook ``06_spending`` (issue 12). Four parts:

1. **Spending paid** (:func:`payments`, :func:`spending_by`, :func:`yearly_spending`): every benefit
   file of ``data/processed/rgc_spells`` is expanded into the calendar months it paid, from the month
   of ``start_date`` (first month paid) to the month of ``end_date`` (last month paid) or, when still
   paid, the month of the extraction date; each month pays ``monthly_amount_eur``. Totals are
   therefore exactly ``sum(amount x months paid)`` over the registry (:func:`registry_total`). Each
   month also carries its rank in the person's episode (files separated by less than
   ``chronicity.merge_gap_months`` are one episode, :func:`pact_analysis.chronicity.build_spells`),
   so the spending beyond month 24 of an episode is known.
2. **Scale** (:func:`scaling_factor`, :func:`published_comparison`): the synthetic region is smaller
   than Castilla y León; its yearly spending is multiplied by the ratio of the published number of
   household heads paid at 31-12-2015 (11,830, Consejo de Cuentas; ``calibration.md``) to the
   synthetic number paid in December 2015, and shown beside the published yearly totals.
3. **Expected future spending of today's recipients** (:func:`fit_remaining`,
   :func:`conditional_survival`, :func:`future_spending`): a Weibull accelerated failure time model of
   the episode length on the chronicity model's critical factors (:data:`pact_analysis.chronicity.
   EXIT_COVARIATES`, measured at the start of the episode), fitted on every head's episode; each open
   episode's survival is conditioned on the months already elapsed; expected remaining months within
   the horizon x the monthly amount. Intervals: parameter vectors drawn from the fit's asymptotic
   normal distribution (model uncertainty, not the chance variation of who actually leaves).
4. **The scenario** (:func:`avoided_per_leaver`, :func:`scenario_years`, :func:`break_even_effect`,
   :func:`simulate`, :func:`tornado`): intensive case management offered to every alerted recipient
   (``data/alerts``). The pilot's effect on leaving the RGC within 12 months (a difference in
   probability, with its confidence interval) turns into extra leavers; each extra leaver is assumed
   to leave ``months_to_exit`` months after the start and to be spared the months they would
   otherwise have received (from 3.), less a share who return (``reentry_share``). Net = savings -
   cost per case x cases, per year and discounted over ``horizon_years``.

What is not counted (other benefits, taxes and employment income, wellbeing, other professionals'
time) is stated in the report; nothing here is a full cost-benefit analysis.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pact_analysis import chronicity as ch

#: Default parameters of the ``spending`` section of params.yaml (documented there).
DEFAULTS: dict[str, Any] = {
    "price_year": 2018,
    "cost_per_case_eur": 1700.0,
    "cost_per_case_range": [1000.0, 3500.0],
    "discount_rate": 0.03,
    "discount_rate_range": [0.0, 0.06],
    "horizon_years": 5,
    "months_to_exit": 6,
    "reentry_share": 0.33,
    "reentry_share_range": [0.2, 0.5],
    "chronic_months": 24,
    "draws": 2000,
    "model_draws": 200,
    "effect_default": {"estimate": 0.05, "ci_low": -0.05, "ci_high": 0.15},
}
#: Published yearly RGC spending in Castilla y León, EUR (Consejo de Cuentas; calibration.md).
PUBLISHED_SPENDING_EUR = {2011: 28e6, 2015: 73e6, 2017: 77e6, 2018: 72e6}
#: Published household heads on the payroll and the day they were counted (Consejo de Cuentas).
PUBLISHED_HEADS = ("2015-12-31", 11830)
#: Published average monthly amount per recipient household, EUR (regional press, 2016).
PUBLISHED_MONTHLY_AMOUNT_EUR = 536.0
#: Total cost of the PACT project, EUR, and its pilot participants (seed 004).
PACT_COST_EUR, PACT_PARTICIPANTS = 2.78e6, 184
#: Label of the row that aggregates groups with fewer than ``min_cell`` persons.
OTHER = "other"
#: Risk bands of today's recipients, in reading order (``below_threshold``: ``low`` and ``medium``
#: merged when either is small, see :func:`merge_bands`).
BANDS = ("before_scoring", "low", "medium", "below_threshold", "high", "past_horizon", "not_scored")


def spending_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return the ``spending`` parameters with :data:`DEFAULTS` filled in.

    Parameters
    ----------
    params : mapping or None
        Project parameters (``spending`` section optional).

    Returns
    -------
    dict
        Every key of :data:`DEFAULTS`.
    """
    given = dict((params or {}).get("spending") or {})
    out = {**DEFAULTS, **given}
    out["effect_default"] = {**DEFAULTS["effect_default"], **dict(given.get("effect_default") or {})}
    return out


# --------------------------------------------------------------------------------------------------
# 1. Spending paid
# --------------------------------------------------------------------------------------------------


def _month_index(dates: pd.Series) -> pd.Series:
    """Months since year 0 of each date (``year * 12 + month - 1``), NaN for missing dates."""
    d = pd.to_datetime(dates)
    return d.dt.year * 12 + d.dt.month - 1


def months_paid(spells: pd.DataFrame, extraction_date: Any) -> pd.Series:
    """Calendar months paid by each benefit file, first and last month included.

    Parameters
    ----------
    spells : DataFrame
        ``rgc_spells`` (``start_date``, ``end_date``; ``end_date`` empty while still paid).
    extraction_date : date-like
        Files still paid (or ending after it) are paid up to its month.

    Returns
    -------
    Series of int
        Indexed like ``spells``.
    """
    extraction = pd.Timestamp(extraction_date)
    end = pd.to_datetime(spells["end_date"]).fillna(extraction).clip(upper=extraction)
    n = _month_index(end) - _month_index(spells["start_date"]) + 1
    return n.clip(lower=0).astype(int)


def registry_total(spells: pd.DataFrame, extraction_date: Any) -> float:
    """Total paid by the benefit registry: ``sum(monthly_amount_eur x months paid)``, EUR."""
    return float((spells["monthly_amount_eur"].astype(float) * months_paid(spells, extraction_date)).sum())


def episode_start(spells: pd.DataFrame, episodes: pd.DataFrame) -> pd.Series:
    """Start of the episode each benefit file belongs to (its own start when it has no episode).

    Parameters
    ----------
    spells : DataFrame
        ``rgc_spells`` (``person_key``, ``start_date``).
    episodes : DataFrame
        :func:`pact_analysis.chronicity.build_spells` (heads): merged files of one person.

    Returns
    -------
    Series of datetime
        Indexed like ``spells``.
    """
    files = spells[["person_key", "start_date"]].assign(
        person_key=spells["person_key"].astype(object),
        start_date=pd.to_datetime(spells["start_date"]),
        _row=np.arange(len(spells)),
    )
    known = files.dropna(subset=["person_key"]).sort_values("start_date")
    eps = episodes[["person_key", "start_date"]].rename(columns={"start_date": "episode_start"})
    eps = eps.assign(
        person_key=eps["person_key"].astype(object), episode_start=pd.to_datetime(eps["episode_start"])
    ).sort_values("episode_start")
    matched = pd.merge_asof(
        known,
        eps.assign(start_date=eps["episode_start"]),
        on="start_date",
        by="person_key",
        direction="backward",
    ).set_index("_row")["episode_start"]
    out = pd.Series(files["start_date"].to_numpy(), index=spells.index)
    found = matched.reindex(np.arange(len(spells))).to_numpy()
    return out.where(pd.isna(found), pd.Series(found, index=spells.index))


def payments(
    spells: pd.DataFrame,
    extraction_date: Any,
    ceas: pd.DataFrame | None = None,
    episodes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per benefit file and calendar month paid.

    Parameters
    ----------
    spells : DataFrame
        ``rgc_spells`` of ``data/processed``.
    extraction_date : date-like
        End of the data (open files are paid up to its month).
    ceas : DataFrame, optional
        ``ceas`` table (``ceas_code``, ``province_code``): adds ``province_code``.
    episodes : DataFrame, optional
        :func:`pact_analysis.chronicity.build_spells` output: ``spell_month`` counts from the start of
        the episode (merged files) instead of the file.

    Returns
    -------
    DataFrame
        ``file_id``, ``person_key`` (the head; the file id when unlinked), ``ceas_code``,
        ``province_code``, ``month`` (first day), ``year``, ``amount_eur``, ``spell_month`` (1 = the
        episode's first month).
    """
    n = months_paid(spells, extraction_date)
    first = _month_index(spells["start_date"])
    origin = first if episodes is None else _month_index(episode_start(spells, episodes))
    rows = np.repeat(np.arange(len(spells)), n.to_numpy())
    offset = np.arange(len(rows)) - np.repeat(np.cumsum(n.to_numpy()) - n.to_numpy(), n.to_numpy())
    month_index = first.to_numpy()[rows] + offset
    base = spells.iloc[rows]
    out = pd.DataFrame(
        {
            "file_id": base["file_id"].to_numpy(),
            "person_key": base["person_key"].astype(object).fillna(base["file_id"]).to_numpy(),
            "ceas_code": base["ceas_code"].to_numpy(),
            "year": (month_index // 12).astype(int),
            "amount_eur": base["monthly_amount_eur"].astype(float).to_numpy(),
            "spell_month": (month_index - origin.to_numpy()[rows] + 1).astype(int),
        }
    )
    out.insert(3, "month", pd.to_datetime({"year": out["year"], "month": month_index % 12 + 1, "day": 1}))
    if ceas is not None:
        out.insert(3, "province_code", out["ceas_code"].map(ceas.set_index("ceas_code")["province_code"]))
    return out


def spending_by(paid: pd.DataFrame, by: str | Sequence[str], chronic_months: int = 24) -> pd.DataFrame:
    """Spending, persons, months paid and the share beyond ``chronic_months`` per group.

    Parameters
    ----------
    paid : DataFrame
        :func:`payments`.
    by : str or sequence of str
        Grouping columns.
    chronic_months : int
        Months of an episode after which its payments count as chronic receipt.

    Returns
    -------
    DataFrame
        Indexed by ``by``: ``spending_eur``, ``persons`` (distinct heads paid), ``months``,
        ``mean_amount_eur`` (per month paid), ``chronic_share`` (share of spending paid beyond month
        ``chronic_months`` of an episode).
    """
    chronic = paid["amount_eur"].where(paid["spell_month"] > chronic_months, 0.0)
    g = paid.assign(_chronic=chronic).groupby(by, sort=True)
    out = pd.DataFrame(
        {
            "spending_eur": g["amount_eur"].sum(),
            "persons": g["person_key"].nunique(),
            "months": g.size(),
        }
    )
    out["mean_amount_eur"] = out["spending_eur"] / out["months"]
    out["chronic_share"] = g["_chronic"].sum() / out["spending_eur"]
    return out


def yearly_spending(paid: pd.DataFrame, chronic_months: int = 24) -> pd.DataFrame:
    """:func:`spending_by` calendar year, with ``months_covered`` (months of the year in the data)."""
    out = spending_by(paid, "year", chronic_months)
    covered = paid.groupby("year")["month"].agg(lambda m: m.dt.month.nunique())
    out["months_covered"] = covered.astype(int)
    return out


def small_groups(persons: pd.Series, min_cell: int) -> list[Any]:
    """Groups to fold into one row: those with fewer than ``min_cell`` persons, and then the next
    smallest while the folded ones hold fewer than ``min_cell`` persons together.

    A spending sum over a few persons discloses their amounts as surely as a count does; folding
    leaves every published row with at least ``min_cell`` persons (unless the whole table has fewer).

    Parameters
    ----------
    persons : Series
        Distinct persons per group (indexed by group).
    min_cell : int
        Minimum publishable number of persons.

    Returns
    -------
    list
        Labels of the groups to fold (empty when none is small).
    """
    order = persons.sort_values(kind="stable")
    small = (order < min_cell).to_numpy()
    while small.any() and not small.all() and order[small].sum() < min_cell:
        small[int(np.argmin(small))] = True
    return list(order.index[small])


def fold(values: pd.Series, folded: Sequence[Any], other: str = OTHER) -> pd.Series:
    """Replace the labels in ``folded`` by ``other`` (see :func:`small_groups`)."""
    return values.astype(object).where(~values.isin(list(folded)), other)


def spending_by_folded(
    paid: pd.DataFrame, by: str, min_cell: int, chronic_months: int = 24, other: str = OTHER
) -> pd.DataFrame:
    """:func:`spending_by` one column, groups of fewer than ``min_cell`` persons folded into ``other``.

    Returns
    -------
    DataFrame
        Largest spending first, ``other`` last; rows still under ``min_cell`` persons (a table whose
        every group is small) have their figures blanked.
    """
    persons = paid.groupby(by)["person_key"].nunique()
    table = spending_by(
        paid.assign(**{by: fold(paid[by], small_groups(persons, min_cell), other)}), by, chronic_months
    )
    table = table.sort_values("spending_eur", ascending=False)
    table = pd.concat([table.drop(index=[other], errors="ignore"), table.loc[table.index == other]])
    return ch.mask_small_groups(table, "persons", min_cell)


def spending_crosstab(paid: pd.DataFrame, rows: str, columns: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Spending (EUR) by ``rows`` x ``columns`` and the persons paid behind each cell.

    Publish the first with the second as ``behind`` (:meth:`pact_analysis.report.page.Report.table`,
    :func:`pact_analysis.disclosure.protect_by`): cells of fewer than the minimum persons and their
    complements are suppressed, so no hidden cell is recoverable from the totals.

    Returns
    -------
    (DataFrame, DataFrame)
        Spending in EUR and distinct persons paid, same rows and columns.
    """
    money = paid.pivot_table(index=rows, columns=columns, values="amount_eur", aggfunc="sum", fill_value=0.0)
    persons = paid.pivot_table(
        index=rows, columns=columns, values="person_key", aggfunc="nunique", fill_value=0
    )
    return money, persons.reindex(index=money.index, columns=money.columns, fill_value=0)


# --------------------------------------------------------------------------------------------------
# 2. Scale: the synthetic region beside the published figures
# --------------------------------------------------------------------------------------------------


def scaling_factor(paid: pd.DataFrame) -> dict[str, Any]:
    """Ratio of the published heads paid at :data:`PUBLISHED_HEADS` to the heads paid that month here.

    Returns
    -------
    dict
        ``factor``, ``heads`` (synthetic heads paid that month), ``published_heads``, ``date``;
        ``factor`` is NaN when nobody was paid that month.
    """
    day, published = PUBLISHED_HEADS
    month = pd.Timestamp(day).to_period("M").to_timestamp()
    heads = int(paid.loc[paid["month"] == month, "person_key"].nunique())
    return {
        "factor": published / heads if heads else float("nan"),
        "heads": heads,
        "published_heads": published,
        "date": day,
    }


def published_comparison(yearly: pd.DataFrame, factor: float) -> pd.DataFrame:
    """Yearly spending of the synthetic region, scaled by ``factor``, beside the published totals.

    Returns
    -------
    DataFrame
        Indexed by year: ``spending_eur``, ``scaled_eur``, ``published_eur`` (NaN where none was
        published), ``ratio`` (scaled / published), ``months_covered``.
    """
    out = yearly[["spending_eur"]].copy()
    out["scaled_eur"] = out["spending_eur"] * factor
    out["published_eur"] = pd.Series(PUBLISHED_SPENDING_EUR, dtype=float).reindex(out.index)
    out["ratio"] = out["scaled_eur"] / out["published_eur"]
    out["months_covered"] = yearly["months_covered"]
    return out


# --------------------------------------------------------------------------------------------------
# 3. Expected future spending of today's recipients
# --------------------------------------------------------------------------------------------------


def current_recipients(episodes: pd.DataFrame, spells: pd.DataFrame) -> pd.DataFrame:
    """Episodes still paid at the extraction date with the monthly amount of their open file.

    Parameters
    ----------
    episodes : DataFrame
        :func:`pact_analysis.chronicity.exit_dataset` (or ``build_spells``) of the heads.
    spells : DataFrame
        ``rgc_spells`` (the open file's ``monthly_amount_eur``).

    Returns
    -------
    DataFrame
        The open episodes with ``amount_eur`` and ``elapsed`` (months on the episode so far).
    """
    open_files = spells.loc[spells["end_date"].isna()].sort_values("start_date")
    amount = open_files.drop_duplicates("person_key", keep="last").set_index("person_key")[
        "monthly_amount_eur"
    ]
    out = episodes.loc[~episodes["event"].astype(bool)].copy()
    out["amount_eur"] = out["person_key"].map(amount).astype(float)
    out["amount_eur"] = out["amount_eur"].fillna(out["amount_eur"].mean())
    out["elapsed"] = out["duration"].astype(float)
    return out.reset_index(drop=True)


def fit_remaining(exit_data: pd.DataFrame, covariates: Sequence[str] = tuple(ch.EXIT_COVARIATES)) -> Any:
    """Weibull AFT model of the episode length (months) on the critical factors at its start.

    Parameters
    ----------
    exit_data : DataFrame
        :func:`pact_analysis.chronicity.exit_dataset` (``duration``, ``event``, covariates).
    covariates : sequence of str
        Numeric covariates.

    Returns
    -------
    lifelines.WeibullAFTFitter
        The fitted model (via :func:`pact_analysis.chronicity.fit_aft`).
    """
    return ch.fit_aft(exit_data, "duration", "event", list(covariates))["model"]


def parameter_draws(model: Any, n: int, seed: int = 0) -> pd.DataFrame:
    """Parameter vectors of a lifelines parametric model: the estimate first, then ``n`` draws.

    Draws come from the asymptotic normal distribution of the estimates (``variance_matrix_``).

    Returns
    -------
    DataFrame
        ``n + 1`` rows, columns as ``model.params_``.
    """
    mean = model.params_.to_numpy(float)
    cov = np.asarray(model.variance_matrix_, dtype=float)
    rng = np.random.default_rng(seed)
    draws = rng.multivariate_normal(mean, cov, size=int(n), method="eigh") if n else np.empty((0, len(mean)))
    return pd.DataFrame(np.vstack([mean, draws]), columns=model.params_.index)


def conditional_survival(
    params: pd.Series, frame: pd.DataFrame, elapsed: np.ndarray, months: int
) -> np.ndarray:
    """Probability of still receiving 1..``months`` months from now, given ``elapsed`` months so far.

    Weibull AFT (lifelines parametrisation): ``S(t) = exp(-(t / lambda)^rho)`` with
    ``log lambda = x . beta_lambda`` and ``log rho = beta_rho`` (intercept only). The probability is
    ``S(elapsed + m) / S(elapsed)``.

    Parameters
    ----------
    params : Series
        One parameter vector (MultiIndex ``(parameter, covariate)``, e.g. a row of
        :func:`parameter_draws`).
    frame : DataFrame
        Covariates of the persons.
    elapsed : ndarray
        Months already on the benefit.
    months : int
        Months ahead.

    Returns
    -------
    ndarray, shape (persons, months)
    """
    lam = params.xs("lambda_")
    x = frame.reindex(columns=[c for c in lam.index if c != "Intercept"]).to_numpy(float)
    log_lambda = lam.get("Intercept", 0.0) + x @ lam.drop("Intercept", errors="ignore").to_numpy(float)
    rho = float(np.exp(params.xs("rho_").get("Intercept", 0.0)))
    t0 = np.asarray(elapsed, dtype=float)[:, None]
    t = t0 + np.arange(1, int(months) + 1)[None, :]
    scale = np.exp(log_lambda)[:, None]
    return np.exp(-((t / scale) ** rho) + (t0 / scale) ** rho)


def future_spending(
    current: pd.DataFrame, draws: pd.DataFrame, months: int, by: str, alpha: float = 0.05
) -> pd.DataFrame:
    """Expected spending on today's recipients over the next ``months`` months, by group.

    Parameters
    ----------
    current : DataFrame
        :func:`current_recipients` with the model's covariates and the grouping column ``by``.
    draws : DataFrame
        :func:`parameter_draws` (row 0 the estimate).
    months : int
        Months ahead.
    by : str
        Grouping column (e.g. ``band``).
    alpha : float
        One minus the level of the intervals.

    Returns
    -------
    DataFrame
        Indexed by group plus ``total``: ``persons``, ``expected_months`` (mean per person),
        ``expected_eur``, ``lower_eur``, ``upper_eur``.
    """
    groups = current[by].astype(str).to_numpy()
    labels = [*pd.unique(groups), "total"]
    amount = current["amount_eur"].to_numpy(float)
    sims = []
    months_point = None
    for i in range(len(draws)):
        remaining = conditional_survival(draws.iloc[i], current, current["elapsed"].to_numpy(), months).sum(
            axis=1
        )
        sims.append([float((amount * remaining)[groups == g].sum()) for g in labels[:-1]])
        if i == 0:
            months_point = remaining
    sims_arr = np.array(sims)
    sims_arr = np.column_stack([sims_arr, sims_arr.sum(axis=1)])
    persons = [int((groups == g).sum()) for g in labels[:-1]] + [len(groups)]
    mean_months = [float(months_point[groups == g].mean()) for g in labels[:-1]] + [
        float(months_point.mean())
    ]
    rest = sims_arr[1:] if len(sims_arr) > 1 else sims_arr
    out = pd.DataFrame(
        {
            "persons": persons,
            "expected_months": mean_months,
            "expected_eur": sims_arr[0],
            "lower_eur": np.quantile(rest, alpha / 2, axis=0),
            "upper_eur": np.quantile(rest, 1 - alpha / 2, axis=0),
        },
        index=pd.Index(labels, name=by),
    )
    return out


def risk_bands(
    current: pd.DataFrame, scores: pd.DataFrame, first_landmark: float, horizon: float
) -> pd.Series:
    """Chronicity-risk band of each current recipient, from the alerts stage's scores.

    Bands: ``high`` (alerted), ``medium`` (risk at least 0.5, not alerted), ``low`` (risk below 0.5),
    ``before_scoring`` (fewer than ``first_landmark`` months on the episode), ``past_horizon``
    (``horizon`` months or more: already chronic, not scored) and ``not_scored`` (otherwise).

    Returns
    -------
    Series of str
        Indexed like ``current``.
    """
    s = scores.drop_duplicates("person_key").set_index("person_key")
    risk = current["person_key"].map(s["risk"])
    alert = current["person_key"].map(s["alert"]).astype("boolean").fillna(False).astype(bool)
    band = np.select(
        [alert, risk >= 0.5, risk < 0.5, current["elapsed"] < first_landmark, current["elapsed"] >= horizon],
        ["high", "medium", "low", "before_scoring", "past_horizon"],
        default="not_scored",
    )
    return pd.Series(band, index=current.index, name="band")


def merge_bands(band: pd.Series, min_cell: int) -> pd.Series:
    """Merge ``low`` and ``medium`` into ``below_threshold`` when either has fewer than ``min_cell`` persons.

    Folding a small band into its neighbour keeps the alerted band (``high``) visible, which the
    generic :func:`small_groups` (smallest first) could fold away.
    """
    counts = band.value_counts()
    if min(counts.get("low", min_cell), counts.get("medium", min_cell)) < min_cell:
        return band.replace({"low": "below_threshold", "medium": "below_threshold"})
    return band


# --------------------------------------------------------------------------------------------------
# 4. The scenario: intensive case management for every alerted recipient
# --------------------------------------------------------------------------------------------------


def avoided_per_leaver(
    curves: np.ndarray, amounts: np.ndarray, months_to_exit: int, years: int
) -> np.ndarray:
    """Benefit paid, per year, that one extra leaver would otherwise have received (EUR, mean person).

    An extra leaver leaves at month ``months_to_exit``; without the intervention they would have been
    paid in a later month ``m`` with probability ``S(m) / S(months_to_exit)``.

    Parameters
    ----------
    curves : ndarray, shape (persons, months)
        Probability of still receiving 1..months months from now (:func:`conditional_survival`).
    amounts : ndarray
        Monthly amount per person (EUR).
    months_to_exit : int
        Month of the induced exit.
    years : int
        Horizon (years); ``curves`` must cover ``12 * years`` months.

    Returns
    -------
    ndarray, shape (years,)
        Mean over persons of the amount they would have been paid in each year.
    """
    horizon = 12 * int(years)
    s = np.asarray(curves, dtype=float)[:, :horizon]
    at_exit = s[:, months_to_exit - 1 : months_to_exit] if months_to_exit > 0 else np.ones((len(s), 1))
    after = np.where(np.arange(1, horizon + 1)[None, :] > months_to_exit, s / np.maximum(at_exit, 1e-12), 0.0)
    paid = after * np.asarray(amounts, dtype=float)[:, None]
    return paid.reshape(len(s), int(years), 12).sum(axis=2).mean(axis=0)


def discount_factors(rate: float, years: int) -> np.ndarray:
    """Discount factor of each year (year 1 undiscounted: costs and savings valued at its start)."""
    return (1.0 + rate) ** -np.arange(int(years))


def scenario_years(
    cases: int, effect: float, cost_per_case: float, avoided: np.ndarray, reentry: float, rate: float
) -> pd.DataFrame:
    """Yearly cost, saving and net of offering intensive case management to ``cases`` recipients once.

    Parameters
    ----------
    cases : int
        Recipients offered the intervention (all alerted recipients), all in year 1.
    effect : float
        Extra probability of leaving the benefit within 12 months (the pilot's effect).
    cost_per_case : float
        Cost of the intervention per case (EUR), paid in year 1.
    avoided : ndarray
        :func:`avoided_per_leaver` (EUR per extra leaver and year).
    reentry : float
        Share of extra leavers who come back (their saving is not counted).
    rate : float
        Annual discount rate.

    Returns
    -------
    DataFrame
        Indexed by year (1..): ``cost_eur``, ``saving_eur``, ``net_eur`` (saving - cost; negative is
        a net cost), ``discounted_net_eur``.
    """
    avoided = np.asarray(avoided, dtype=float)
    years = np.arange(1, len(avoided) + 1)
    saving = cases * effect * (1.0 - reentry) * avoided
    cost = np.where(years == 1, cases * cost_per_case, 0.0)
    out = pd.DataFrame({"cost_eur": cost, "saving_eur": saving}, index=pd.Index(years, name="year"))
    out["net_eur"] = out["saving_eur"] - out["cost_eur"]
    out["discounted_net_eur"] = out["net_eur"] * discount_factors(rate, len(years))
    return out


def break_even_effect(cost_per_case: float, avoided: np.ndarray, reentry: float, rate: float) -> float:
    """The effect on exit at which the discounted saving equals the cost (net zero).

    ``cost_per_case / ((1 - reentry) * sum_y avoided_y * discount_y)``: independent of the number of
    cases. Above 1, no effect could pay for the intervention.
    """
    value = (1.0 - reentry) * float(np.sum(np.asarray(avoided) * discount_factors(rate, len(avoided))))
    return float(cost_per_case / value) if value > 0 else float("inf")


def effect_se(effect: Mapping[str, float]) -> float:
    """Standard error implied by a 95% confidence interval (``(high - low) / (2 x 1.96)``)."""
    return float((effect["ci_high"] - effect["ci_low"]) / (2 * 1.959964))


def _net(cases: int, effect: Any, cost: Any, avoided: np.ndarray, reentry: Any, rate: float) -> Any:
    """Discounted net over the horizon, vectorised over draws (``avoided``: draws x years)."""
    value = np.atleast_2d(avoided) @ discount_factors(rate, np.atleast_2d(avoided).shape[1])
    return cases * (effect * (1.0 - reentry) * value - cost)


def simulate(
    cases: int,
    effect: Mapping[str, float],
    avoided_draws: np.ndarray,
    cfg: Mapping[str, Any],
    seed: int = 0,
) -> np.ndarray:
    """Discounted net over the horizon for ``cfg["draws"]`` draws of every uncertain input.

    Effect ~ normal (the pilot's estimate and the standard error of its confidence interval: the
    whole interval is propagated); cost per case ~ triangular over its range with the default as
    mode; re-entry share ~ uniform over its range; the benefit a leaver would otherwise receive ~
    the chronicity model's parameter draws (rows of ``avoided_draws``). The discount rate is a
    policy choice: fixed (it is in the tornado).

    Returns
    -------
    ndarray
        One discounted net (EUR) per draw.
    """
    rng = np.random.default_rng(seed)
    n = int(cfg["draws"])
    eff = rng.normal(effect["estimate"], effect_se(effect), n)
    lo, hi = (float(v) for v in cfg["cost_per_case_range"])
    mode = min(max(float(cfg["cost_per_case_eur"]), lo), hi)
    cost = rng.triangular(lo, mode, hi, n) if hi > lo else np.full(n, mode)
    reentry = rng.uniform(*cfg["reentry_share_range"], n)
    avoided = np.asarray(avoided_draws)[rng.integers(0, len(avoided_draws), n)]
    value = avoided @ discount_factors(float(cfg["discount_rate"]), avoided.shape[1])
    return cases * (eff * (1.0 - reentry) * value - cost)


def tornado(
    cases: int,
    effect: Mapping[str, float],
    avoided: np.ndarray,
    avoided_range: np.ndarray,
    cfg: Mapping[str, Any],
) -> pd.DataFrame:
    """How far the discounted net moves when one input goes to each end of its range, others at default.

    Parameters
    ----------
    cases : int
        Recipients offered the intervention.
    effect : mapping
        ``estimate``, ``ci_low``, ``ci_high`` of the pilot's effect.
    avoided : ndarray
        :func:`avoided_per_leaver` at the model's estimate.
    avoided_range : ndarray, shape (2, years)
        Its lower and upper bounds (model uncertainty).
    cfg : mapping
        :func:`spending_params`.

    Returns
    -------
    DataFrame
        Indexed by input (largest swing first): ``low_value``, ``high_value``, ``net_low_eur``,
        ``net_high_eur``, ``swing_eur``; ``attrs["base"]`` is the net at the defaults.
    """
    base = {
        "effect": effect["estimate"],
        "cost": float(cfg["cost_per_case_eur"]),
        "avoided": np.asarray(avoided, dtype=float),
        "reentry": float(cfg["reentry_share"]),
        "rate": float(cfg["discount_rate"]),
    }
    ranges = {
        "effect": (effect["ci_low"], effect["ci_high"]),
        "cost": tuple(cfg["cost_per_case_range"]),
        "avoided": (np.asarray(avoided_range[0]), np.asarray(avoided_range[1])),
        "reentry": tuple(cfg["reentry_share_range"]),
        "rate": tuple(cfg["discount_rate_range"]),
    }

    def net(**change: Any) -> float:
        v = base | change
        return float(_net(cases, v["effect"], v["cost"], v["avoided"], v["reentry"], v["rate"])[0])

    rows = {}
    for name, (low, high) in ranges.items():
        shown = (float(np.sum(low)), float(np.sum(high))) if name == "avoided" else (low, high)
        rows[name] = {
            "low_value": shown[0],
            "high_value": shown[1],
            "net_low_eur": net(**{name: low}),
            "net_high_eur": net(**{name: high}),
        }
    out = pd.DataFrame.from_dict(rows, orient="index").rename_axis("input")
    out["swing_eur"] = (out["net_high_eur"] - out["net_low_eur"]).abs()
    out = out.sort_values("swing_eur", ascending=False)
    out.attrs["base"] = net()
    return out


# --------------------------------------------------------------------------------------------------
# Inputs from the other stages
# --------------------------------------------------------------------------------------------------


def pilot_effect(root: str | Path, params: Mapping[str, Any]) -> dict[str, Any]:
    """The pilot's effect on leaving the RGC within 12 months, with its 95% interval and its source.

    The pilot evaluation publishes it in ``metrics/pilot.json`` (``exit_12m``: the weighted comparison
    of participants with non-pilot recipients); without that file (a region with no pilot) the
    documented assumption ``spending.effect_default`` is used, and the report says so.

    Returns
    -------
    dict
        ``estimate``, ``ci_low``, ``ci_high`` (differences in probability) and ``source``
        (``metrics`` or ``default``).
    """
    keys = ("estimate", "ci_low", "ci_high")
    path = Path(root) / "metrics" / "pilot.json"
    stored = json.loads(path.read_text(encoding="utf-8")).get("exit_12m") if path.exists() else None
    if isinstance(stored, Mapping) and all(stored.get(k) is not None for k in keys):
        return {k: float(stored[k]) for k in keys} | {"source": "metrics"}
    return {k: float(spending_params(params)["effect_default"][k]) for k in keys} | {"source": "default"}


def alert_scores(root: str | Path, params: Mapping[str, Any]) -> pd.DataFrame:
    """Today's scored recipients (``person_key``, ``risk``, ``alert``) from ``data/alerts``.

    When the alerts stage has not run, the same model is scored in memory
    (:func:`pact_analysis.alerts.score`, without the bootstrap intervals).
    """
    path = Path(root) / "data" / "alerts" / "scores.parquet"
    if path.exists():
        return pd.read_parquet(path, columns=["person_key", "risk", "alert"])
    from pact_analysis import alerts

    return alerts.score(Path(root) / "data" / "processed", dict(params), n_boot=0)["scores"][
        ["person_key", "risk", "alert"]
    ]


def read_profiles(root: str | Path) -> pd.DataFrame | None:
    """The profile of each person (``person_key``, ``profile``) if the profiles stage wrote it, else None."""
    path = Path(root) / "data" / "processed" / "profiles" / "profiles.parquet"
    return pd.read_parquet(path, columns=["person_key", "profile"]) if path.exists() else None


def last_year_by_band(
    paid: pd.DataFrame, current: pd.DataFrame, min_cell: int, chronic_months: int
) -> pd.DataFrame:
    """Spending of the 12 months before the extraction by today's risk band (``left``: no longer paid).

    Bands of fewer than ``min_cell`` persons are folded into :data:`OTHER`.
    """
    last = paid.loc[paid["month"] > paid["month"].max() - pd.DateOffset(months=12)]
    band = last["person_key"].map(current.drop_duplicates("person_key").set_index("person_key")["band"])
    return spending_by_folded(last.assign(band=band.fillna("left")), "band", min_cell, chronic_months)


def analyse(root: str | Path, params: Mapping[str, Any], min_cell: int = 10) -> dict[str, Any]:
    """Everything the report shows, in memory.

    Parameters
    ----------
    root : path
        Project root (``data/processed``, ``data/alerts``, ``metrics``).
    params : mapping
        Project parameters (``seed``, ``data``, ``synthetic.start_date``, ``chronicity``, ``alerts``,
        ``evaluation``, ``spending``).
    min_cell : int
        Minimum publishable number of persons (groups below it are folded into :data:`OTHER`).

    Returns
    -------
    dict
        ``cfg``, ``paid`` (:func:`payments`), ``registry_total``, ``yearly``, ``scale``,
        ``comparison``, ``current`` (today's recipients with ``band``), ``future`` (by band, small
        bands folded), ``last_year`` (:func:`last_year_by_band`),
        ``effect``, ``cases``, ``avoided`` (draws x years; row 0 the estimate), ``years``
        (:func:`scenario_years` at the defaults), ``break_even``, ``simulated``, ``tornado``,
        ``profiles`` (None when absent).
    """
    cfg = spending_params(params)
    seed = int(params.get("seed", 0))
    chron = ch.chronicity_params(params)
    extraction = params["data"]["extraction_date"]
    tables = ch.load_tables(Path(root) / "data" / "processed", ch.SCORING_TABLES)
    spells = tables["rgc_spells"]
    episodes = ch.exit_dataset(ch.build_spells(tables, params), tables, params)
    paid = payments(spells, extraction, tables["ceas"], episodes)
    scale = scaling_factor(paid)
    yearly = yearly_spending(paid, int(cfg["chronic_months"]))
    current = current_recipients(episodes, spells)
    landmarks = chron.get("landmarks") or [chron["landmark_month"]]
    current["band"] = merge_bands(
        risk_bands(current, alert_scores(root, params), float(min(landmarks)), float(chron["horizon_month"])),
        min_cell,
    )
    model = fit_remaining(episodes)
    draws = parameter_draws(model, int(cfg["model_draws"]), seed)
    months = 12 * int(cfg["horizon_years"])
    alerted = current.loc[current["band"] == "high"]
    avoided = np.array(
        [
            avoided_per_leaver(
                conditional_survival(draws.iloc[i], alerted, alerted["elapsed"].to_numpy(), months),
                alerted["amount_eur"].to_numpy(),
                int(cfg["months_to_exit"]),
                int(cfg["horizon_years"]),
            )
            for i in range(len(draws))
        ]
    ) if len(alerted) else np.zeros((len(draws), int(cfg["horizon_years"])))  # fmt: skip
    effect = pilot_effect(root, params)
    cases = int(len(alerted))
    rate, reentry = float(cfg["discount_rate"]), float(cfg["reentry_share"])
    bounds = np.quantile(avoided[1:] if len(avoided) > 1 else avoided, [0.025, 0.975], axis=0)
    return {
        "cfg": cfg,
        "paid": paid,
        "registry_total": registry_total(spells, extraction),
        "yearly": yearly,
        "scale": scale,
        "comparison": published_comparison(yearly, scale["factor"]),
        "current": current,
        "future": future_spending(
            current.assign(
                band=fold(current["band"], small_groups(current["band"].value_counts(), min_cell))
            ),
            draws,
            months,
            "band",
        ),
        "last_year": last_year_by_band(paid, current, min_cell, int(cfg["chronic_months"])),
        "effect": effect,
        "cases": cases,
        "avoided": avoided,
        "years": scenario_years(
            cases, effect["estimate"], cfg["cost_per_case_eur"], avoided[0], reentry, rate
        ),
        "break_even": break_even_effect(cfg["cost_per_case_eur"], avoided[0], reentry, rate),
        "simulated": simulate(cases, effect, avoided[1:] if len(avoided) > 1 else avoided, cfg, seed),
        "tornado": tornado(cases, effect, avoided[0], bounds, cfg),
        "profiles": read_profiles(root),
    }


def metrics(result: Mapping[str, Any]) -> dict[str, Any]:
    """``metrics/spending.json``: the scenario's discounted net as an interval and the break-even effect."""
    sims = np.asarray(result["simulated"], dtype=float)
    cfg = result["cfg"]
    return {
        "price_year": int(cfg["price_year"]),
        "horizon_years": int(cfg["horizon_years"]),
        "discount_rate": float(cfg["discount_rate"]),
        "cases": int(result["cases"]),
        "cost_per_case_eur": float(cfg["cost_per_case_eur"]),
        "effect": {k: result["effect"][k] for k in ("estimate", "ci_low", "ci_high", "source")},
        "net_5y_eur": {
            "estimate": float(result["years"]["discounted_net_eur"].sum()),
            "median": float(np.median(sims)) if sims.size else None,
            "ci_low": float(np.quantile(sims, 0.025)) if sims.size else None,
            "ci_high": float(np.quantile(sims, 0.975)) if sims.size else None,
            "probability_saving": float((sims > 0).mean()) if sims.size else None,
        },
        "net_5y_eur_regional_scale": {
            "estimate": float(result["years"]["discounted_net_eur"].sum() * result["scale"]["factor"]),
            "ci_low": float(np.quantile(sims, 0.025) * result["scale"]["factor"]) if sims.size else None,
            "ci_high": float(np.quantile(sims, 0.975) * result["scale"]["factor"]) if sims.size else None,
        },
        "break_even_effect": float(result["break_even"]),
        "registry_total_eur": float(result["registry_total"]),
        "scaling_factor": float(result["scale"]["factor"]),
    }
