"""Which sentence may describe the effect: assumed for the default, raised or lowered only when the
95% interval excludes zero in that direction, otherwise an estimate whose interval includes no effect."""

from __future__ import annotations

import re

import pytest

from pact_analysis import spending as sp
from pact_analysis.report import i18n


@pytest.mark.parametrize(
    ("effect", "wording"),
    [
        ({"estimate": 0.07, "ci_low": 0.01, "ci_high": 0.13, "source": "pilot"}, "raised"),
        ({"estimate": -0.05, "ci_low": -0.09, "ci_high": -0.01, "source": "pilot"}, "lowered"),
        ({"estimate": 0.04, "ci_low": -0.02, "ci_high": 0.10, "source": "pilot"}, "includes_zero"),
        ({"estimate": -0.04, "ci_low": -0.10, "ci_high": 0.02, "source": "pilot"}, "includes_zero"),
        ({"estimate": 0.04, "ci_low": 0.0, "ci_high": 0.08, "source": "pilot"}, "includes_zero"),
        ({"estimate": -0.04, "ci_low": -0.08, "ci_high": 0.0, "source": "pilot"}, "includes_zero"),
        ({"estimate": 0.05, "ci_low": 0.01, "ci_high": 0.09, "source": "default"}, "assumed"),
        ({"estimate": 0.05, "ci_low": -0.05, "ci_high": 0.15, "source": "default"}, "assumed"),
    ],
)
def test_the_wording_follows_the_source_and_the_interval(effect, wording):
    assert sp.effect_wording(effect) == wording


def test_an_unknown_source_is_an_error():
    with pytest.raises(ValueError, match="source"):
        sp.effect_wording({"estimate": 0.1, "ci_low": 0.05, "ci_high": 0.15, "source": "guess"})


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_each_wording_is_a_sentence_in_each_language_and_only_the_pilots_claim_a_direction(lang):
    texts = {w: i18n.t(f"spending.effect.{w}", lang, effect="1,0", effect_ci="a") for w in sp.WORDINGS}
    direction = {"en": ("raised", "lowered"), "es": ("aumentó", "redujo")}[lang]
    assert direction[0] in texts["raised"] and direction[1] in texts["lowered"]
    for wording in ("assumed", "includes_zero"):
        assert not any(word in texts[wording] for word in direction), wording
    assert "spending.effect_default" in texts["assumed"]
    assert all("*" not in text for text in texts.values()), "no Markdown emphasis inside a sentence"


def test_the_spanish_catalogue_spaces_percentages_and_says_pseudonymised():
    spanish = {k: v for k, v in i18n.catalogue("es").items() if k.startswith("spending.")}
    assert [k for k, v in spanish.items() if re.search(r"[\d}]%", v)] == []
    assert [k for k, v in spanish.items() if "anonimiz" in v.lower()] == []


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_sentences_about_the_effect_take_the_worded_sentence_not_a_bare_estimate(lang):
    """No sentence of the spending report narrates {effect} itself outside the worded sentences."""
    catalogue = i18n.catalogue(lang)
    for key in ("findings", "index", "scenario.text", "breakeven.text"):
        text = catalogue[f"spending.{key}"]
        assert "{effect_sentence}" in text and "{effect}" not in text, key


@pytest.mark.parametrize(
    ("effect", "shown"),
    [
        ({"estimate": -0.03, "ci_low": -0.05, "ci_high": -0.01, "source": "pilot"}, (0.03, 0.01, 0.05)),
        ({"estimate": 0.07, "ci_low": 0.01, "ci_high": 0.13, "source": "pilot"}, (0.07, 0.01, 0.13)),
        ({"estimate": -0.04, "ci_low": -0.10, "ci_high": 0.02, "source": "pilot"}, (-0.04, -0.10, 0.02)),
        ({"estimate": -0.03, "ci_low": -0.05, "ci_high": -0.01, "source": "default"}, (-0.03, -0.05, -0.01)),
    ],
)
def test_lowered_by_shows_a_size_with_its_interval_as_sizes_from_low_to_high(effect, shown):
    assert sp.effect_shown(effect) == pytest.approx(shown)
    estimate, low, high = sp.effect_shown(effect)
    assert low <= estimate <= high


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_the_note_on_the_source_never_writes_an_empty_list_of_extracts(lang):
    listed = {"source": "default", "not_delivered": ["a.csv"]}
    assert sp.effect_source_key(listed) == "default"
    assert sp.effect_source_key({"source": "default", "not_delivered": []}) == "default_unlisted"
    assert sp.effect_source_key({"source": "pilot", "not_delivered": []}) == "pilot"
    for key in ("pilot", "default", "default_unlisted"):
        text = i18n.t(f"spending.effect_source.{key}", lang, files="a.csv")
        assert ": )" not in text and "{" not in text
    assert "{files}" not in i18n.catalogue(lang)["spending.effect_source.default_unlisted"]


# --- the summary's forecast: qualified by the backtest that spans its horizon ------------------------

LATEST = {"months": 24, "relative_error": 0.012, "inside": True}
WHOLE_OUT = {"months": 60, "relative_error": -0.069, "inside": False}


@pytest.mark.parametrize(
    ("backtest", "whole", "horizon", "expected"),
    [
        (LATEST, WHOLE_OUT, 5, ("outside", WHOLE_OUT)),  # the 24 months do not reach years 3 to 5
        (LATEST, {**WHOLE_OUT, "inside": True}, 5, ("inside", {**WHOLE_OUT, "inside": True})),
        (LATEST, None, 5, ("untested", None)),
        (LATEST, {**WHOLE_OUT, "relative_error": None}, 5, ("untested", None)),
        (LATEST, WHOLE_OUT, 2, ("inside", LATEST)),  # the latest backtest spans a 2-year horizon
        ({**LATEST, "relative_error": None}, None, 2, ("untested", None)),
    ],
)
def test_the_forecast_is_qualified_by_the_backtest_that_spans_its_horizon(backtest, whole, horizon, expected):
    assert sp.wording.forecast_check(backtest, whole, horizon) == expected


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_each_forecast_check_is_worded_and_only_a_backtest_gives_an_error(lang):
    for check in sp.wording.FORECAST_CHECKS:
        text = i18n.t(f"spending.findings.forecast.{check}", lang, error="−6,9 %")
        assert text.startswith("; ") and text.strip("; ")
        assert ("{error}" in i18n.catalogue(lang)[f"spending.findings.forecast.{check}"]) == (
            check != "untested"
        )
    assert "{future_check}" in i18n.catalogue(lang)["spending.findings"]


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_the_returns_limitation_names_the_assumption_and_no_uncited_cohort(lang):
    """The re-entry share is an external assumption set beside the region's own estimate (03), cited."""
    text = i18n.catalogue(lang)["spending.limitations.text"]
    assert "{reentry_link}" in text and "#ref-canto_2002" in text
    assert "13" not in text and "belg" not in text.lower()


def test_only_full_years_further_than_the_tolerance_from_the_published_figure_are_named():
    from pact_analysis.spending.wording import scaled_years_apart

    ratio = {2017: 1.03, 2011: 0.73, 2015: 0.98, 2018: float("nan"), 2012: 1.11, 2013: 0.9}
    assert scaled_years_apart(ratio) == {2011: 0.73, 2012: 1.11}
    assert scaled_years_apart(ratio, tolerance=0.2) == {2011: 0.73}
    assert scaled_years_apart({2017: 1.0}) == {}
    assert scaled_years_apart({2016: 1.10, 2014: 0.90}) == {}  # at the tolerance on either side
