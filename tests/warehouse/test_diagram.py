"""The warehouse's schema diagram: layout and drawing."""

from __future__ import annotations

from pact_analysis import warehouse


def test_schema_layout_places_every_related_table_once_per_slot():
    model = warehouse.logical_model()
    place = warehouse.schema_layout(model)
    kinds = {t["name"]: t["kind"] for t in model["tables"]}
    related = {r[side] for r in model["relationships"] for side in ("from_table", "to_table")}
    assert set(place) == related  # the parameters table (no keys) is left out
    assert len(set(place.values())) == len(place)  # no two boxes in one slot
    assert {n for n, (c, _) in place.items() if c == 2} == {
        n for n in related if kinds[n] in ("fact", "bridge", "derived", "aggregate")
    }
    assert place["dim_person"][0] == 1 and place["dim_sex"][0] == 0
    assert place["dim_provision"][0] == 3  # a code list of facts only goes right


def test_schema_layout_orders_code_lists_by_their_referrers():
    model = {
        "tables": [
            {"name": "fact_a", "kind": "fact", "primary_key": ["id"]},
            {"name": "fact_b", "kind": "fact", "primary_key": ["id"]},
            {"name": "dim_x", "kind": "dimension", "primary_key": ["code"]},
            {"name": "dim_y", "kind": "dimension", "primary_key": ["code"]},
        ],
        "relationships": [
            {"from_table": "fact_b", "from_column": "x", "to_table": "dim_x", "to_column": "code"},
            {"from_table": "fact_a", "from_column": "y", "to_table": "dim_y", "to_column": "code"},
        ],
    }
    place = warehouse.schema_layout(model)
    assert place["dim_y"] == (3, 0.0) and place["dim_x"] == (3, 1.0)
    fig = warehouse.draw_logical_model(model, {"fact": "hecho"})
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"fact_a", "dim_x", "PK: code"} <= texts
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["dimension", "hecho"]
