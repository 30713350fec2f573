"""The public API of the former single module, and the words of the published tables."""

from __future__ import annotations

import pandas as pd
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


def test_an_interval_with_a_negative_limit_is_not_written_with_a_dash():
    from pact_analysis.chronicity.tables import with_intervals

    table = pd.DataFrame({"x": [-0.2, 0.3], "x_lower": [-0.36, 0.21], "x_upper": [-0.08, 0.48]})
    shown = with_intervals(table, ["x"], lambda v: f"{v:.2f}")["x"].tolist()
    assert shown == ["-0.20 (-0.36; -0.08)", "0.30 (0.21–0.48)"]


def test_the_returns_table_suppresses_small_returns_and_what_would_bound_a_hidden_exit_count():
    from pact_analysis.chronicity.spells import UNKNOWN_EXIT
    from pact_analysis.chronicity.tables import returns_table
    from pact_analysis.disclosure import SUPPRESSED

    back = pd.DataFrame(
        {
            "n": [238, 1427, 1340, 60],
            "events": [0, 298, 3, 30],
            "still_12": [1.0, 0.81, 0.99, 0.2],
            "still_24": [1.0, 0.78, 0.98, 0.1],
        },
        index=pd.Index(["CARE_MOVED", "JOB_INCOME", "NON_COMPLIANCE", "OTHER"], name="group"),
    )
    shown = returns_table(back, unknown=4, min_cell=10)
    t = shown.table
    assert t.loc[UNKNOWN_EXIT, "n"] == SUPPRESSED  # 4 exits: primary
    assert t.loc["NON_COMPLIANCE", "events"] == SUPPRESSED  # 3 returns: primary
    assert (
        returns_table(back.assign(events=[0, 298, 300, 55]), 0, 10).table.loc["OTHER", "events"] == SUPPRESSED
    )
    assert t.loc["JOB_INCOME", "events"] == 298 and t.loc["JOB_INCOME", "n"] == 1427
    # the exits add up to the published total: a second one is hidden, and its returns with it
    complement = [r for r in t.index if r != UNKNOWN_EXIT and t.loc[r, "n"] == SUPPRESSED]
    assert len(complement) == 1 and t.loc[complement[0], "events"] == SUPPRESSED
    for row in ["NON_COMPLIANCE", *complement]:
        assert t.loc[row, "back_12"] == SUPPRESSED and t.loc[row, "back_24"] == SUPPRESSED
    assert (shown.primary, shown.secondary) == (2, 2)  # 4 exits, 3 returns; the complement and its returns
    assert shown.primary + shown.secondary == int(shown.mask.to_numpy().sum())
    assert t.loc["CARE_MOVED", "events"] == 0 or "CARE_MOVED" in complement  # a published zero stays


def test_a_lone_small_number_of_returns_gets_a_complement_as_the_returns_add_up_to_a_published_total():
    from pact_analysis.chronicity.tables import returns_table
    from pact_analysis.disclosure import SUPPRESSED

    back = pd.DataFrame(
        {
            "n": [238, 1427, 1340],
            "events": [0, 298, 3],
            "still_12": [1.0, 0.8, 0.99],
            "still_24": [1.0, 0.78, 0.99],
        },
        index=pd.Index(["CARE_MOVED", "JOB_INCOME", "NON_COMPLIANCE"], name="group"),
    )
    shown = returns_table(back, unknown=0, min_cell=10)
    events = shown.table["events"]
    assert events["NON_COMPLIANCE"] == SUPPRESSED
    # spells - heads gives the sum of the returns: one hidden cell alone would come back
    assert (events == SUPPRESSED).sum() >= 2 and (shown.primary, shown.secondary) == (1, 1)
