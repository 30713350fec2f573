"""The public API of the former single module, and the words of the published tables."""

from __future__ import annotations

import pytest

import pact_analysis.chronicity as ch
from pact_analysis import labels
from pact_analysis.chronicity.tables import predictor_label
from pact_analysis.report import i18n


def test_the_generic_api_keeps_its_import_path():
    from pact_analysis.chronicity import calibration, concordance, cumulative_incidence, fit_aft, fit_cox

    assert fit_cox.__module__ == "pact_analysis.chronicity.survival"
    assert concordance.__module__ == calibration.__module__ == "pact_analysis.chronicity.metrics"
    assert callable(cumulative_incidence) and callable(fit_aft)
    assert all(hasattr(ch, name) for name in ch.__all__)


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_the_ground_floor_reads_the_reports_catalogues(lang):
    assert labels.catalogue(lang) == i18n.catalogue(lang)
    assert labels.text("chronicity.value.by_year_on_spell", lang, feature="X") == i18n.t(
        "chronicity.value.by_year_on_spell", lang, feature="X"
    )
    with pytest.raises(KeyError):
        labels.text("chronicity.no_such_key", lang)


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_predictor_labels(lang):
    assert predictor_label(ch.REFERENCE_ROW, lang) == i18n.t("chronicity.value.reference", lang)
    feature = i18n.t("chronicity.value.contracts_before", lang)
    assert predictor_label("contracts_before", lang) == feature
    assert predictor_label("contracts_before" + ch.BY_MONTH, lang) == i18n.t(
        "chronicity.value.by_year_on_spell", lang, feature=feature
    )
    assert all(predictor_label(p, lang) for p in ch.predictors())
