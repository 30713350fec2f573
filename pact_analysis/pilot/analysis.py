"""The whole pilot evaluation (:func:`evaluate`): every table and number the report shows.

Design (TREND; What Works Clearinghouse v5): 184 recipients in 8 CEAS, not randomised; the estimand is
the average effect on the treated (ATT) for all enrolled participants (intention to treat), attrition
handled by inverse-probability-of-completion weights and, as a sensitivity analysis, multiple
imputation (Barnard-Rubin degrees of freedom). Balancing weights are refined until the covariates
balance (:mod:`.balance`); intervals use CR2 errors with Bell-McCaffrey degrees of freedom and the
delete-one-CEAS jackknife of the whole weighting and estimation (:mod:`.inference`: 8 CEAS hold every
participant). The MDTSE change is estimated by ANCOVA and by difference in differences; each claim is
judged by the rule written for it in ``evaluation.claims`` (:func:`.claims.verdicts`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from pact_analysis import codebook
from pact_analysis.pilot.balance import max_log_variance_ratio
from pact_analysis.pilot.claims import agreement, cronbach_alpha, reliable_improvement, share_table, verdicts
from pact_analysis.pilot.data import LIVING, MATCH_COVARIATES, analysis_frames
from pact_analysis.pilot.effects import (
    admin_effects,
    coverage,
    e_value,
    imputation_seeds,
    imputed_estimates,
    mdtse_effects,
    mixed_change,
    paired_changes,
    pooled_imputations,
)
from pact_analysis.pilot.heterogeneity import interaction, slope
from pact_analysis.pilot.power import detectable_effects, flow
from pact_analysis.pilot.weighting import completion_weights, matched_effect
from pact_analysis.workers import beside

#: Persons times imputations from which half the imputations run in a worker (:func:`evaluate`): one
#: imputation and its analysis take about 1.3 ms per person (0.47 s for the 368 persons of the
#: 20,000-person region), starting a worker about 2.5 s; from here half the imputations take longer.
APART_FROM_IMPUTED_ROWS = 4_000

#: The counts and intensities of positive and negative MDTSE factors, compared before and after.
FACTOR_MEASURES = ["n_positive", "n_negative", "intensity_positive", "intensity_negative"]


def baseline_delay_days(assessments: pd.DataFrame, pilot_start: Any) -> int | None:
    """The longest time, in days, from the pilot's start (the date the outcomes are measured from)
    to a baseline assessment: a late baseline already holds some of the change, a risk of bias the
    verdicts name. ``None`` when no baseline is dated."""
    dates = pd.to_datetime(assessments.loc[assessments["wave"] == "BASELINE", "assessment_date"]).dropna()
    return int((dates - pd.Timestamp(pilot_start)).dt.days.max()) if len(dates) else None


def evaluate(
    tables: dict[str, pd.DataFrame], params: dict[str, Any], truth: pd.Series | None = None
) -> dict[str, Any]:
    """Run the whole pilot evaluation on the de-identified tables.

    Parameters
    ----------
    tables : dict
        :func:`pact_analysis.pilot.data.read_processed` output.
    params : dict
        Project parameters (``seed``, ``data.extraction_date``, ``evaluation``).
    truth : Series, optional
        True effects of a synthetic region (:func:`pact_analysis.pilot.data.true_effects`): adds
        ``validation``.

    Returns
    -------
    dict
        Every table and number the report shows and the ``pilot`` stage records.
    """
    cfg = params["evaluation"]
    frames = analysis_frames(
        tables,
        cfg["pilot_start"],
        params["data"]["extraction_date"],
        params["chronicity"]["merge_gap_months"],
    )
    people, pool = frames["people"], frames["pool"]
    covs = list(MATCH_COVARIATES)
    people["w_complete"] = completion_weights(people, [*covs, "treated", "baseline_living"])
    pilot = people.loc[people["treated"] == 1]
    done = pilot.loc[pilot["completed"] == 1]
    result: dict[str, Any] = {
        "flow": flow(people),
        "people": people,
        "pool_sizes": pool["treated"].value_counts().reindex([1, 0]).fillna(0).astype(int).to_list(),
        "recipients": frames["recipients"],
    }
    # the multiple imputations (the longest part; independent of the rest): half in a worker
    imputation = (
        people.copy(),
        "treated",
        "change_living",
        [*covs, "baseline_living"],
        ["baseline_living"],
        "ceas_code",
    )
    seeds = imputation_seeds(cfg["imputations"], int(params["seed"]))
    half = len(seeds) // 2
    apart = len(people) * len(seeds) >= APART_FROM_IMPUTED_ROWS
    with beside(imputed_estimates, *imputation, seeds[half:], apart=apart) as later:
        result |= change_results(done)
        result["power"] = detectable_effects(pilot, result["icc"])
        result |= comparison_results(people, pool, covs, cfg)
        result |= heterogeneity_results(people, done, covs)
        result |= claim_results(people, tables["satisfaction_surveys"], cfg)
        result["improved_effect"] = improved_effect(people, covs, cfg["improved_change"])
        analyses = imputed_estimates(*imputation, seeds[:half]) + later.result()
    result["imputed"] = pooled_imputations(analyses)
    result["sd_baseline"] = people["baseline_living"].std()
    result["baseline_delay_days"] = baseline_delay_days(tables["mdtse_assessments"], cfg["pilot_start"])
    months = pilot["months_rgc"].astype(float)
    result["participants_months"] = {
        "mean": float(months.mean()),
        "sd": float(months.std()),
        "n": len(months),
    }
    result["verdicts"] = verdicts(result, cfg, int(params["disclosure"]["min_cell"]))
    if truth is not None:
        result["validation"] = validation(result, truth)
        result["heterogeneity"]["truth"] = float(truth["heterogeneity"])
    return result


def change_results(done: pd.DataFrame) -> dict[str, Any]:
    """Change of the participants followed up: paired per dimension and factor, and the mixed model.

    Parameters
    ----------
    done : DataFrame
        Participants assessed at follow-up (the wide frame of :func:`analysis_frames`).

    Returns
    -------
    dict
        ``paired`` and ``factors`` (:func:`paired_changes`), ``mixed`` (per dimension and ``living``,
        :func:`mixed_change` with CEAS random intercepts) and ``icc`` (of ``living``).
    """
    dims = [*codebook.mdtse_dimensions()]
    mixed = {d: mixed_change(done, f"change_{d}", "ceas_code") for d in [*dims, "living"]}
    return {
        "paired": paired_changes(*_waves(done, dims)),
        "factors": paired_changes(*_waves(done, FACTOR_MEASURES)),
        "mixed": mixed,
        "icc": mixed["living"]["icc"],
    }


def comparison_results(
    people: pd.DataFrame, pool: pd.DataFrame, covs: list[str], cfg: dict[str, Any]
) -> dict[str, Any]:
    """Weighted comparisons: MDTSE difference in differences and administrative outcomes, with balance.

    Parameters
    ----------
    people : DataFrame
        The assigned persons, with completion weights ``w_complete``.
    pool : DataFrame
        Participants and the pool of non-pilot recipients.
    covs : list of str
        Covariates of the propensity models.
    cfg : dict
        The ``evaluation`` parameters (``mdtse_method``, ``admin_method``).

    Returns
    -------
    dict
        ``ancova`` and ``did`` (:func:`mdtse_effects`, the two estimators), ``admin`` and
        ``admin_check`` (weighting only, without the outcome regression), ``balance``, ``max_abs_smd`` and ``max_variance_ratio_deviation`` (largest
        ``|log variance ratio|``) of the administrative comparison, ``balanced`` (every weighted
        comparison met the balance thresholds), ``mdtse_balance``,
        ``empowerment_gap`` and ``e_values``.
    """
    completers = people.loc[people["completed"] == 1]
    ancova = mdtse_effects(people, covs, method=cfg["mdtse_method"])
    did = mdtse_effects(people, covs, method=cfg["mdtse_method"], estimator="did")
    admin, balance = admin_effects(pool, covs, method=cfg["admin_method"])
    admin_check, _ = admin_effects(pool, covs, method=cfg["admin_method"], adjust=False)
    mdtse_balance = matched_effect(
        completers,
        "treated",
        "change_living",
        [*covs, "baseline_living"],
        method=cfg["mdtse_method"],
        weights="w_complete",
    ).balance
    gap = matched_effect(
        completers,
        "treated",
        "change_empowerment_gap",
        [*covs, "baseline_empowerment_gap"],
        method=cfg["mdtse_method"],
        cluster="ceas_code",
        weights="w_complete",
    )
    ev = {
        d: e_value(r["estimate"], r["ci_low"], r["ci_high"], ancova.loc[d, "sd_outcome"])
        for d, r in ancova.iterrows()
    }
    return {
        "ancova": ancova,
        "did": did,
        "mdtse_balance": mdtse_balance,
        "admin": admin,
        "admin_check": admin_check,
        "balance": balance,
        "max_abs_smd": float(balance["smd_after"].abs().max()),
        "max_variance_ratio_deviation": max_log_variance_ratio(balance),
        "balanced": bool(admin["balanced"].all() and ancova["balanced"].all() and did["balanced"].all()),
        "e_values": pd.DataFrame.from_dict(ev, orient="index"),
        "empowerment_gap": gap.as_dict(),
    }


def heterogeneity_results(people: pd.DataFrame, done: pd.DataFrame, covs: list[str]) -> dict[str, Any]:
    """Effect modification by chronicity, and regression to the mean in each group.

    Parameters
    ----------
    people : DataFrame
        The assigned persons, with completion weights ``w_complete``.
    done : DataFrame
        Participants assessed at follow-up.
    covs : list of str
        Covariates of the ANCOVA.

    Returns
    -------
    dict
        ``heterogeneity`` (the ``treated x chronicity`` interaction, :func:`interaction`),
        ``rtm_comparison`` and ``rtm_pilot`` (slope of the change on the baseline score, :func:`slope`).
    """
    completers = people.loc[people["completed"] == 1].assign(
        followup_living=lambda f: f["baseline_living"] + f["change_living"]
    )
    het = interaction(
        completers,
        "followup_living",
        "treated",
        "chronicity",
        [*covs, "baseline_living"],
        weights="w_complete",
        cluster="ceas_code",
    )
    comparison_done = people.loc[(people["treated"] == 0) & (people["completed"] == 1)]
    baseline = interaction(
        completers,
        "followup_living",
        "treated",
        "baseline_living",
        [*covs, "chronicity"],
        weights="w_complete",
        cluster="ceas_code",
    )
    return {
        "heterogeneity": het.as_dict(),
        "baseline_interaction": baseline.as_dict(),
        # CR2 by CEAS, as every other effect: eight CEAS hold the participants
        "rtm_comparison": slope(comparison_done, "change_living", "baseline_living", "ceas_code").as_dict(),
        "rtm_pilot": slope(done, "change_living", "baseline_living", "ceas_code").as_dict(),
    }


def improved_effect(people: pd.DataFrame, covs: list[str], threshold: float) -> dict[str, Any]:
    """How much of the participants' "improved" share would have happened without the pilot.

    The flag of the claim's own definition (mean living score up by ``threshold`` or more) of the
    completers is compared with the weighted comparison group (:func:`matched_effect`, completion
    weights, adjusted for the baseline score): the effect in percentage points with its interval, and
    the share expected without the pilot (participants' share minus the effect).

    Parameters
    ----------
    people : DataFrame
        The assigned persons, with completion weights ``w_complete``.
    covs : list of str
        Covariates of the propensity model.
    threshold : float
        ``evaluation.improved_change``.
    """
    done = people.loc[people["completed"] == 1].assign(
        improved_flag=lambda f: (f["change_living"] >= threshold).astype(float)
    )
    eff = matched_effect(
        done,
        "treated",
        "improved_flag",
        [*covs, "baseline_living"],
        method="ipw",
        cluster="ceas_code",
        weights="w_complete",
    ).as_dict()
    pilot_share = float(done.loc[done["treated"] == 1, "improved_flag"].mean())
    return eff | {"pilot_share": pilot_share, "without_pilot": pilot_share - eff["estimate"]}


def claim_results(people: pd.DataFrame, surveys: pd.DataFrame, cfg: dict[str, Any]) -> dict[str, Any]:
    """The "65% improved" claim (by its own definition) and the satisfaction claims.

    Parameters
    ----------
    people : DataFrame
        The assigned persons.
    surveys : DataFrame
        The satisfaction surveys.
    cfg : dict
        The ``evaluation`` parameters (``improved_change``).

    Returns
    -------
    dict
        ``reliability`` (Cronbach's alpha of the living dimensions at baseline), ``improved`` (the
        claim's own definition: mean living score up by ``improved_change`` or more),
        ``reliable_improved`` (Jacobson-Truax reliable change, a stricter reading shown beside it),
        ``agree_users`` and ``agree_professionals`` (:func:`share_table`).
    """
    reliability = cronbach_alpha(people[[f"baseline_{d}" for d in LIVING]])
    reliable = reliable_improvement(people["change_living"], people["baseline_living"].std(), reliability)
    own = people["change_living"] >= cfg["improved_change"]
    completed = people["completed"] == 1
    groups = people.loc[completed, "group"]
    ceas = people.loc[completed, "ceas_code"]  # the shares' intervals are cluster-robust by CEAS
    by_person = people.set_index("person_key")["ceas_code"] if "person_key" in people else people["ceas_code"]
    return {
        "reliability": reliability,
        "improved": share_table(own[completed], groups, cluster=ceas),
        "reliable_improved": share_table(reliable[completed], groups, cluster=ceas),
        "agree_users": agreement(surveys, "USER", ceas=by_person),
        "agree_professionals": agreement(surveys, "PROFESSIONAL", ceas=by_person),
    }


def validation(result: dict[str, Any], truth: pd.Series) -> pd.DataFrame:
    """Whether each true effect lies inside its interval (MDTSE dimensions and administrative outcomes).

    Parameters
    ----------
    result : dict
        The evaluation (``ancova`` and ``admin``).
    truth : Series
        True effects (:func:`pact_analysis.pilot.data.true_effects`).
    """
    cols = ["estimate", "ci_low", "ci_high"]
    estimates = pd.concat(
        [
            result["ancova"].loc[codebook.mdtse_dimensions(), cols],
            result["admin"].loc[["exit_12m", "exit_end", "days_employed"], cols],
        ]
    )
    return coverage(estimates, truth)


def _waves(people: pd.DataFrame, measures: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Baseline and follow-up of ``measures`` (columns named by measure) from the wide frame."""
    base = people[[f"baseline_{m}" for m in measures]].set_axis(measures, axis=1)
    return base, base + people[[f"change_{m}" for m in measures]].set_axis(measures, axis=1).to_numpy()
