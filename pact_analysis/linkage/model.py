"""The Splink model: comparisons tuned to Spanish identities and blocking rules.

Everything here is backend-agnostic: :func:`linkage_settings` returns a Splink ``SettingsCreator``
built from the comparison and comparison-level libraries and plain SQL conditions, so the same model
runs on DuckDB (the embedded default) or Spark (``linkage.backend: spark``) unchanged. The columns
used are those produced by :mod:`pact_analysis.linkage.prepare`.
"""

from __future__ import annotations

from collections.abc import Iterable

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on
from splink.internals.blocking_rule_creator import BlockingRuleCreator
from splink.internals.comparison_creator import ComparisonCreator


def given_name_comparison() -> ComparisonCreator:
    """Given name: exact full name, exact first element, initial plus further names, then
    Jaro-Winkler, with term frequencies.

    A last level catches given name and surname swapped between forms (frequent for foreign
    residents, ``identities.md``).

    ``"MARIA JOSE"`` and ``"MARIA"`` agree on the first element; an abbreviated ``"Mª José"`` has
    already been expanded by :func:`pact_analysis.linkage.prepare.expand_given_names`.
    """
    return cl.CustomComparison(
        output_column_name="given_name",
        comparison_levels=[
            cll.NullLevel("given_norm"),
            cll.ExactMatchLevel("given_norm", term_frequency_adjustments=True),
            cll.ExactMatchLevel("given_first", term_frequency_adjustments=True).configure(
                label_for_charts="Exact match on first given name"
            ),
            cll.And(cll.ExactMatchLevel("given_initial"), cll.ExactMatchLevel("given_rest")).configure(
                label_for_charts="Same initial and same further given names (F. Javier)"
            ),
            cll.JaroWinklerLevel("given_norm", 0.92),
            cll.JaroWinklerLevel("given_first", 0.85),
            cll.CustomLevel(
                "given_first_l = surname1_norm_r OR surname1_norm_l = given_first_r",
                label_for_charts="Given name found in the first-surname field",
            ),
            cll.ElseLevel(),
        ],
        comparison_description="Given name(s)",
    )


def surnames_comparison() -> ComparisonCreator:
    """Both surnames together, aware of swaps, a missing second surname and typos.

    Comparing the two surnames in one comparison keeps the model honest about their dependence
    (siblings share both, a parent and child share one). Levels, most specific first: both equal
    (term frequency of the pair), swapped, first equal with the second missing on one side, both
    similar (Jaro-Winkler >= 0.9), first equal with a different second, one surname found in the
    other position, first similar, first surname recorded as the given name, anything else.
    """
    s1_missing_one_side = "(surname2_norm_l IS NULL OR surname2_norm_r IS NULL)"
    return cl.CustomComparison(
        output_column_name="surnames",
        comparison_levels=[
            cll.NullLevel("surname1_norm"),
            cll.ExactMatchLevel("surnames_full", term_frequency_adjustments=True).configure(
                label_for_charts="Both surnames equal"
            ),
            cll.ColumnsReversedLevel("surname1_norm", "surname2_norm", symmetrical=True).configure(
                label_for_charts="Surnames swapped"
            ),
            cll.And(cll.ExactMatchLevel("surname1_norm"), cll.CustomLevel(s1_missing_one_side)).configure(
                label_for_charts="First surname equal, second missing on one side",
                tf_adjustment_column="surname1_norm",
                tf_adjustment_weight=1.0,
            ),
            cll.And(
                cll.JaroWinklerLevel("surname1_norm", 0.9), cll.JaroWinklerLevel("surname2_norm", 0.9)
            ).configure(label_for_charts="Both surnames similar (Jaro-Winkler >= 0.9)"),
            cll.ExactMatchLevel("surname1_norm").configure(
                label_for_charts="First surname equal, second different",
                tf_adjustment_column="surname1_norm",
                tf_adjustment_weight=1.0,
            ),
            cll.CustomLevel(
                "surname1_norm_l = surname2_norm_r OR surname2_norm_l = surname1_norm_r",
                label_for_charts="One surname found in the other position",
            ),
            cll.JaroWinklerLevel("surname1_norm", 0.88),
            cll.CustomLevel(
                "surname1_norm_l = given_first_r OR given_first_l = surname1_norm_r",
                label_for_charts="First surname found in the given-name field",
            ),
            cll.ElseLevel(),
        ],
        comparison_description="Surnames (swap-aware)",
    )


def document_comparison() -> ComparisonCreator:
    """DNI/NIE: exact normalised document, exact number part, one edit in the number, else.

    The number part (``doc_digits``) ignores the check letter and the NIE prefix, so a missing or
    wrong letter or a dropped prefix still scores high; a transposed or substituted digit is one
    Damerau-Levenshtein edit.
    """
    return cl.CustomComparison(
        output_column_name="document",
        comparison_levels=[
            cll.NullLevel("doc_digits"),
            cll.ExactMatchLevel("doc_norm"),
            cll.ExactMatchLevel("doc_digits"),
            cll.DamerauLevenshteinLevel("doc_digits", 1),
            cll.ElseLevel(),
        ],
        comparison_description="Identity document (DNI/NIE)",
    )


def birth_date_comparison() -> ComparisonCreator:
    """Date of birth: exact, day and month swapped, year typo, one-character typo, same year or a close
    year when only the year is known on one side (NGO records), two characters apart, else."""
    date_missing_one_side = "(birth_date_str_l IS NULL OR birth_date_str_r IS NULL)"
    return cl.CustomComparison(
        output_column_name="birth_date",
        comparison_levels=[
            cll.NullLevel("birth_year"),
            cll.ExactMatchLevel("birth_date_str"),
            cll.And(
                cll.ExactMatchLevel("birth_year"),
                cll.ColumnsReversedLevel("birth_day", "birth_month", symmetrical=True),
            ).configure(label_for_charts="Day and month swapped"),
            cll.And(
                cll.ExactMatchLevel("birth_month"),
                cll.ExactMatchLevel("birth_day"),
                cll.DamerauLevenshteinLevel("birth_year", 1),
            ).configure(label_for_charts="Year differs by one typo"),
            cll.LevenshteinLevel("birth_date_str", 1),
            cll.And(cll.CustomLevel(date_missing_one_side), cll.ExactMatchLevel("birth_year")).configure(
                label_for_charts="Same birth year, full date unknown on one side"
            ),
            cll.And(
                cll.CustomLevel(date_missing_one_side),
                cll.Or(
                    cll.CustomLevel("abs(cast(birth_year_l AS int) - cast(birth_year_r AS int)) = 1"),
                    cll.DamerauLevenshteinLevel("birth_year", 1),
                ),
            ).configure(
                label_for_charts="Birth year close (one year or one typo), full date unknown on one side"
            ),
            cll.LevenshteinLevel("birth_date_str", 2),
            cll.ElseLevel(),
        ],
        comparison_description="Date of birth",
    )


def sex_comparison() -> ComparisonCreator:
    """Sex: equal or not."""
    return cl.ExactMatch("sex")


def municipality_comparison() -> ComparisonCreator:
    """Municipality of residence: same municipality, same province, else."""
    return cl.CustomComparison(
        output_column_name="municipality",
        comparison_levels=[
            cll.NullLevel("municipality_code"),
            cll.ExactMatchLevel("municipality_code"),
            cll.ExactMatchLevel("province_code"),
            cll.ElseLevel(),
        ],
        comparison_description="Municipality of residence",
    )


#: Comparisons by name, with the prepared columns each needs (dropped when a column is all empty).
COMPARISONS = {
    "given_name": (given_name_comparison, ["given_norm"]),
    "surnames": (surnames_comparison, ["surname1_norm"]),
    "document": (document_comparison, ["doc_digits"]),
    "birth_date": (birth_date_comparison, ["birth_year"]),
    "sex": (sex_comparison, ["sex"]),
    "municipality": (municipality_comparison, ["municipality_code"]),
}


def prediction_blocking_rules() -> list[BlockingRuleCreator | str]:
    """Blocking rules for prediction: each is an equi-join on selective keys, so that pairs grow
    about linearly with the number of records. A rule on values that are common in a large region
    grows as its square: first given name and first surname gave 38 million pairs at 100,000 persons,
    both surnames 5 million, hence a given name or its initial added to every name rule
    (``benchmarks/blocking.json`` measures every rule's pairs and the true pairs only it keeps, at
    20,000 and 500,000 persons). No rule keys on sex: a record without it (FEBRL has none) would
    drop out of the rule, and a miscoded sex would hide a true pair.

    Together they keep a true pair if it agrees on any of: the document number part; first given
    name and birth date; both surnames and first given name; birth date and municipality; first
    surname, birth year and initial; full given name, first surname and municipality (records
    without document or birth date); full given name or first surname with birth year and
    municipality (NGO records with a birth year only and a typo in the other name); first surname,
    initial, birth month and day (a typo in the birth year); both surnames swapped (with initial and
    birth year); given name and first surname swapped. The swap rules are
    symmetric, as rules are evaluated with ``l`` and ``r`` in one order only. Only the document, the
    names and the birth date compare records of different municipalities, so a person who moved is
    still compared if one of them agrees.
    """
    return [
        block_on("doc_digits"),
        block_on("given_first", "birth_date_str"),
        block_on("surname1_norm", "surname2_norm", "given_first"),
        block_on("birth_date_str", "municipality_code"),
        block_on("surname1_norm", "birth_year", "given_initial"),
        block_on("given_norm", "surname1_norm", "municipality_code"),
        block_on("given_norm", "birth_year", "municipality_code"),
        block_on("surname1_norm", "birth_year", "municipality_code"),
        block_on("surname1_norm", "given_initial", "birth_month", "birth_day"),
        "l.surname1_norm = r.surname2_norm AND l.surname2_norm = r.surname1_norm"
        " AND l.given_initial = r.given_initial AND l.birth_year = r.birth_year",
        "l.given_first = r.surname1_norm AND l.surname1_norm = r.given_first",
    ]


def training_blocking_rules() -> list[BlockingRuleCreator]:
    """Blocking rules for EM: together every comparison is estimated at least once.

    Blocking on the document estimates names, birth date, sex and municipality; blocking on first
    surname and birth date estimates the document and the given name.
    """
    return [block_on("doc_digits"), block_on("surname1_norm", "birth_date_str")]


def deterministic_rules() -> list[BlockingRuleCreator]:
    """Rules that admit almost no false positive (for the prior probability of a match)."""
    return [block_on("doc_norm"), block_on("given_norm", "surnames_full", "birth_date_str")]


def linkage_settings(
    available: Iterable[str] | None = None, link_type: str = "link_and_dedupe"
) -> SettingsCreator:
    """Return the Splink settings (no backend, no trained parameters).

    Parameters
    ----------
    available : iterable of str, optional
        Prepared columns that hold at least one value. A comparison whose columns are all empty
        (for example sex in FEBRL) is left out. Default: all comparisons.
    link_type : {"link_and_dedupe", "dedupe_only"}
        ``link_and_dedupe`` for several sources (the default), ``dedupe_only`` for one source
        (Splink's ``link_and_dedupe`` needs a ``source_dataset`` column that one table lacks).

    Returns
    -------
    SettingsCreator
        Settings with the comparisons of :data:`COMPARISONS` and :func:`prediction_blocking_rules`.
    """
    present = set(available) if available is not None else None
    comparisons = [
        make() for make, needed in COMPARISONS.values() if present is None or set(needed) <= present
    ]
    return SettingsCreator(
        link_type=link_type,
        unique_id_column_name="unique_id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=prediction_blocking_rules(),
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
