"""The warehouse's logical model: keys and relationships."""

from __future__ import annotations

from pact_analysis import warehouse


def test_logical_model_relationships_point_at_primary_keys():
    model = warehouse.logical_model()
    keys = {t["name"]: t["primary_key"] for t in model["tables"]}
    assert {"dim_person", "dim_household", "dim_territory", "dim_date", "fact_benefit_spell"} <= set(keys)
    for rel in model["relationships"]:
        assert keys[rel["to_table"]] == [rel["to_column"]], rel
    kinds = {t["name"]: t["kind"] for t in model["tables"]}
    assert {k for n, k in kinds.items() if n.startswith("fact_")} == {"fact"}
