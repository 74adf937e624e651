import geopandas as gpd
import pandas as pd
import pytest

from gridmap import schema
from gridmap.errors import ValidationError


def _visits(**overrides):
    row = {"visit_id": "V1", "household_id": "H1", "worker_id": "W1",
           "visited_at": "2026-11-01T09:30:00", "method": "door", "note": None,
           "found_difficulty": False}
    row.update(overrides)
    return pd.DataFrame([row])


def test_conform_casts_types_and_orders_columns():
    frame = schema.conform("visits", _visits().iloc[:, ::-1].assign(extra=1))
    assert list(frame.columns) == schema.LAYERS["visits"].column_names
    assert str(frame["visited_at"].dtype) == "datetime64[ms]"
    assert frame["visited_at"].iloc[0] == pd.Timestamp("2026-11-01 09:30")


def test_conform_normalises_dates_to_midnight():
    f = pd.DataFrame({"household_id": ["H"], "worker_id": ["W"], "since": ["2026-03-04T17:00"]})
    assert schema.conform("household_helpers", f)["since"].iloc[0] == pd.Timestamp("2026-03-04")


def test_validate_names_row_and_column_of_a_bad_choice():
    frame = schema.conform("visits", pd.concat([_visits(), _visits(visit_id="V2",
                                                                   method="pigeon")]))
    with pytest.raises(ValidationError) as err:
        schema.validate("visits", frame, source="visits.csv")
    assert (err.value.source, err.value.row, err.value.column) == ("visits.csv", 2, "method")
    assert "pigeon" in str(err.value) and "visits.csv" in str(err.value)


def test_validate_rejects_empty_required_value_duplicates_and_ranges():
    with pytest.raises(ValidationError, match="empty value") as err:
        schema.validate("visits", schema.conform("visits", _visits(worker_id=None)))
    assert err.value.column == "worker_id"
    with pytest.raises(ValidationError, match="duplicate"):
        schema.validate("visits", schema.conform("visits", pd.concat([_visits(), _visits()])))
    workers = pd.DataFrame([{"worker_id": "W", "name": "n", "kind": "full_time",
                             "capacity": 5.0, "chief_id": None}])
    with pytest.raises(ValidationError, match="outside") as err:
        schema.validate("workers", workers)
    assert err.value.column == "capacity"


def test_validate_rejects_missing_geometry():
    grids = gpd.GeoDataFrame({"grid_id": ["G"], "name": ["n"], "grid_type": ["urban"],
                              "community_id": ["C"], "street_id": ["S"], "district_id": ["D"]},
                             geometry=[None], crs=schema.CRS)
    with pytest.raises(ValidationError, match="geometry"):
        schema.validate("grids", grids)


def test_empty_frames_have_every_column():
    for name, spec in schema.LAYERS.items():
        frame = schema.empty(name)
        assert list(frame.columns)[: len(spec.columns)] == spec.column_names
        assert isinstance(frame, gpd.GeoDataFrame) == bool(spec.geometry)


def test_markdown_documents_every_column():
    text = schema.schema_markdown()
    for spec in schema.LAYERS.values():
        assert f"## `{spec.name}`" in text
        for c in spec.columns:
            assert f"| `{c.name}` |" in text


def test_split_categories():
    assert schema.split_categories("低保;重病重残") == ["低保", "重病重残"]
    assert schema.split_categories(None) == []
