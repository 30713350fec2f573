"""Wording the reports' sentences must keep true: what the pilot's power rests on, where multiplicity is
and is not handled, the comparison arms of the flow diagram, and Spanish that reads right for every
value (a share next to 100 %, no run left unconverged)."""

from __future__ import annotations

import re

import pytest

from pact_analysis.report import i18n


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_the_pilots_power_is_said_to_rest_on_assumptions_not_to_precede_the_results(lang):
    catalogue = i18n.catalogue(lang)
    for key in ("pilot_evaluation.power", "pilot_evaluation.findings", "pilot_evaluation.checklist"):
        assert not re.search(
            r"before (the|any) results?|antes de (los|cualquier) resultados?", catalogue[key]
        ), key
    assert "{icc_assumed}" in catalogue["pilot_evaluation.findings"]
    assert "{icc_assumed}" in catalogue["pilot_evaluation.power.text"]
    assert (
        "0.05" not in catalogue["pilot_evaluation.power.text"]
        and "0,05" not in catalogue["pilot_evaluation.power.text"]
    )


@pytest.mark.parametrize(
    ("lang", "unadjusted"),
    [("en", "not adjusted for multiplicity"), ("es", "no se ajustan por multiplicidad")],
)
def test_the_comparative_effects_and_verdicts_are_said_to_be_unadjusted(lang, unadjusted):
    catalogue = i18n.catalogue(lang)
    assert unadjusted in catalogue["pilot_evaluation.checklist"]
    assert "multipli" in catalogue["pilot_evaluation.verdict.table.caption"]


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_the_flow_diagram_names_three_arms_and_no_enrolled_comparison(lang):
    catalogue = i18n.catalogue(lang)
    for arm in ("PILOT", "COMPARISON", "REGISTRY"):
        assert catalogue[f"pilot_evaluation.flow.head.{arm}"]
    assert "{registry}" in catalogue["pilot_evaluation.flow.diagram.alt"]
    assert "{mark}" in catalogue["pilot_evaluation.flow.diagram.caption"]
    assert not re.search(r"enrol|incorpora", catalogue["pilot_evaluation.flow.baseline"], re.IGNORECASE)


def test_spanish_says_otherwise_once():
    spanish = i18n.catalogue("es")
    assert [k for k, v in spanish.items() if re.search(r"\bsi no \*?no\b", v)] == []


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_a_share_that_is_the_subject_of_a_profile_reason_is_worded_whole(lang):
    """``el {rgc}`` would read "el > 99,999 %": the subject is a phrase of its own (``{rgc_who}``)."""
    catalogue = i18n.catalogue(lang)
    for key in [k for k in catalogue if k.startswith("profiles.why.")]:
        assert not re.search(r"\bel \{", catalogue[key]), key
    for kind in ("who", "who_all", "who_none"):
        assert "{share}" in catalogue[f"profiles.share.{kind}"]
    assert i18n.t("profiles.share.who_all", "es", share="> 99,999 %").startswith("la práctica totalidad")


def test_spanish_profiles_read_right_for_any_count():
    spanish = i18n.catalogue("es")
    assert "{not_converged}" not in spanish["profiles.selection.text"]
    assert "ninguna" in spanish["profiles.selection.converged.all"]
    assert "cociente es del" in spanish["profiles.findings.truth"]
    assert spanish["profiles.trait.older"] == "65 años o más"
    assert "periodos de RGC" not in " ".join(v for k, v in spanish.items() if k.startswith("profiles."))
