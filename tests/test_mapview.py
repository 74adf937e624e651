"""Map views on napkin geometry: three grids in two communities of one street."""

from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gridmap import schema
from gridmap.coverage import household_status
from gridmap.indicators import aggregate, grid_indicators
from gridmap.mapview import build_view, classify, drill_target, grid_panel, search_grids
from gridmap.policy import Policy
from gridmap.store import Area

BOX = shapely.box


@pytest.fixture
def town():
    areas = gpd.GeoDataFrame({
        "area_id": ["D", "S", "C1", "C2"], "name": ["区", "街道", "甲社区", "乙社区"],
        "level": ["district", "street", "community", "community"],
        "parent_id": [None, "D", "S", "S"]},
        geometry=[BOX(0, 0, 3, 1), BOX(0, 0, 3, 1), BOX(0, 0, 2, 1), BOX(2, 0, 3, 1)],
        crs=schema.CRS)
    grids = gpd.GeoDataFrame({
        "grid_id": ["G1", "G2", "G3"], "name": ["一网格", "<b>二</b>网格", "三网格"],
        "grid_type": ["urban", "urban", "dedicated"], "community_id": ["C1", "C1", "C2"],
        "street_id": ["S", "S", "S"], "district_id": ["D", "D", "D"]},
        geometry=[BOX(0, 0, 1, 1), BOX(1, 0, 2, 1), BOX(2, 0, 3, 1)], crs=schema.CRS)
    households = gpd.GeoDataFrame({
        "household_id": list("abcdef"), "alias": [f"户{i}" for i in range(6)],
        "head_name": ["张三"] * 6, "id_number": ["11010519491231002X"] * 6,
        "grid_id": ["G1", "G1", "G1", "G2", "G2", "G3"],
        "tier": ["red", "orange", "green", "red", "yellow", "green"],
        "tier_since": pd.to_datetime(["2026-01-01"] * 6),
        "categories": ["低保", "特困", "低保;独居老人", "孤儿", "低保边缘", "低保"]},
        geometry=shapely.points([(0.5, 0.5), (0.2, 0.3), (0.7, 0.8), (1.5, 0.5), (1.2, 0.2),
                                 (2.5, 0.5)]), crs=schema.CRS)
    visits = pd.DataFrame({"household_id": ["a", "f"], "method": ["door", "phone"],
                           "visited_at": pd.to_datetime(["2026-11-18 10:00", "2026-11-01 09:00"])})
    status = household_status(households, visits, Policy(), as_of=date(2026, 11, 20))
    per_grid = grid_indicators(grids, households, status, Policy())
    return {"areas": areas, "grids": grids, "households": households, "status": status,
            "per_grid": per_grid}


def _view(town, **kw):
    return build_view(areas=town["areas"], grids=town["grids"], households=town["households"],
                      status=town["status"], per_grid=town["per_grid"], **kw)


def test_grid_indicators_known_values(town):
    pg = town["per_grid"]
    assert pg.loc["G1", ["red", "orange", "green", "red_orange", "households"]].tolist() == [
        1, 1, 1, 2, 3]
    assert pg.loc["G1", "visits_required"] == pytest.approx(30 / 7 + 30 / 14 + 30 / 90)
    assert pg.loc["G1", "overdue"] == 2 and pg.loc["G1", "coverage_pct"] == pytest.approx(100 / 3)
    assert pg.loc["G3", "coverage_pct"] == 100.0


def test_aggregate_recomputes_coverage(town):
    by_comm = aggregate(town["per_grid"], town["grids"]["community_id"].to_numpy())
    assert by_comm.loc["C1", "households"] == 5 and by_comm.loc["C1", "covered"] == 1
    assert by_comm.loc["C1", "coverage_pct"] == pytest.approx(20.0)


def test_view_of_everything_has_grid_units_points_and_outlines(town):
    view = _view(town, area=None, indicator="red_orange")
    assert view.unit_level == "grid" and list(view.units["id"]) == ["G1", "G2", "G3"]
    assert list(view.units["value"]) == [2, 1, 0]
    assert set(view.outlines) == {"district", "street", "community"}
    assert len(view.points) == 6 and set(view.points.columns) == {
        "lon", "lat", "tier", "alias", "last_visit"}
    assert "张三" not in view.points.to_string()  # aliases only
    assert view.bounds == (0.0, 0.0, 3.0, 1.0)


def test_view_of_a_community_and_point_filters(town):
    view = _view(town, area=Area("community", "C1"), indicator="households",
                 tiers=("red",), categories=())
    assert list(view.units["id"]) == ["G1", "G2"]
    assert sorted(view.points["alias"]) == ["户0", "户3"]
    view = _view(town, area=None, indicator="households", categories=("独居老人", "孤儿"))
    assert sorted(view.points["alias"]) == ["户2", "户3"]


def test_too_many_grids_become_areas_and_too_many_points_are_not_sent(town):
    view = _view(town, area=None, indicator="households", max_grid_units=2, max_points=5)
    assert view.unit_level == "district" and list(view.units["id"]) == ["D"]
    assert view.units["households"].iloc[0] == 6
    assert view.points is None and view.points_hidden == 6
    view = _view(town, area=Area("street", "S"), indicator="coverage_pct", max_grid_units=2)
    assert view.unit_level == "community" and set(view.units["id"]) == {"C1", "C2"}


@pytest.mark.parametrize(("scheme", "values", "bins"), [
    ("equal_interval", [0, 1, 2, 3, 4, 5, 6, 7, 8, 10], (2.0, 4.0, 6.0, 8.0, 10.0)),
    ("quantiles", list(range(10)), (1.8, 3.6, 5.4, 7.2, 9.0)),
])
def test_classify_known_breaks(scheme, values, bins):
    cls, classes = classify(pd.Series(values, dtype=float), scheme)
    assert classes.bins == pytest.approx(bins)
    assert cls.min() == 0 and cls.max() == 4
    assert classes.ranges()[0][0] == 0


def test_classify_handles_missing_and_constant_values():
    cls, classes = classify(pd.Series([np.nan, 3.0, 3.0]), "natural_breaks")
    assert list(cls) == [-1, 0, 0] and classes.bins == (3.0,)
    cls, classes = classify(pd.Series([np.nan]), "quantiles")
    assert list(cls) == [-1] and classes is None
    again = classify(pd.Series(np.arange(50.0) ** 1.5), "natural_breaks")[1]
    assert again == classify(pd.Series(np.arange(50.0) ** 1.5), "natural_breaks")[1]


@pytest.mark.parametrize(("current", "expected"), [
    (None, Area("district", "D")), (Area("district", "D"), Area("street", "S")),
    (Area("street", "S"), Area("community", "C1")), (Area("community", "C1"), Area("grid", "G2")),
    (Area("grid", "G2"), Area("grid", "G2")),
])
def test_drill_goes_one_level_down_towards_the_click(town, current, expected):
    assert drill_target(town["grids"], current, "G2", "grid") == expected


def test_drill_on_area_units(town):
    assert drill_target(town["grids"], None, "D", "district") == Area("district", "D")
    assert drill_target(town["grids"], Area("street", "S"), "C2", "community") == Area(
        "community", "C2")


def test_grid_panel_lists_aliases_most_urgent_first_and_workers(town):
    workers = pd.DataFrame({"worker_id": ["w1", "w2"], "name": ["李网格", "王志愿"],
                            "kind": ["full_time", "part_time"]})
    assignments = pd.DataFrame({"worker_id": ["w2", "w1"], "grid_id": ["G1", "G1"],
                                "role": ["backup", "primary"]})
    rows, staff = grid_panel("G1", town["households"], town["status"], workers, assignments)
    assert list(rows["alias"]) == ["户0", "户1", "户2"]
    assert list(rows.columns) == ["alias", "tier", "last_visit", "days_until_due"]
    assert rows["days_until_due"].iloc[0] == 5  # red, visited 11-18: due 11-25
    assert list(staff["name"]) == ["李网格", "王志愿"]


def test_search_grids_by_id_or_name(town):
    assert list(search_grids(town["grids"], "G3")["grid_id"]) == ["G3"]
    assert list(search_grids(town["grids"], "网格")["grid_id"]) == ["G1", "G2", "G3"]
    assert search_grids(town["grids"], "  ").empty


def test_classify_never_repeats_a_break():
    values = pd.Series([0] * 20 + [1] * 10 + [2] * 5 + [3, 7, 10], dtype=float)
    for scheme in ("quantiles", "natural_breaks", "equal_interval"):
        cls, classes = classify(values, scheme)
        assert len(set(classes.bins)) == len(classes.bins), scheme
        assert cls.max() == len(classes.bins) - 1
