"""Map views on napkin geometry: three grids in two communities of one street."""


import numpy as np
import pandas as pd
import pytest

from gridmap import mapview
from gridmap.indicators import aggregate
from gridmap.mapview import Classes, classify, drill_target, grid_panel
from gridmap.places import Area
from gridmap.render.webmap import legend_html

from .conftest import view_of


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
    view = view_of(town, area=None, indicator="red_orange")
    assert view.unit_level == "grid" and list(view.units["id"]) == ["G1", "G2", "G3"]
    assert list(view.units["value"]) == [2, 1, 0]
    assert set(view.outlines) == {"district", "street", "community"}
    assert len(view.points) == 6 and set(view.points.columns) == {
        "lon", "lat", "tier", "alias", "last_visit"}
    assert "张三" not in view.points.to_string()  # aliases only
    assert view.bounds == (0.0, 0.0, 3.0, 1.0)


def test_view_of_a_community_and_point_filters(town):
    view = view_of(town, area=Area("community", "C1"), indicator="households",
                 tiers=("red",), categories=())
    assert list(view.units["id"]) == ["G1", "G2"]
    assert sorted(view.points["alias"]) == ["户0", "户3"]
    view = view_of(town, area=None, indicator="households", categories=("独居老人", "孤儿"))
    assert sorted(view.points["alias"]) == ["户2", "户3"]


def test_too_many_grids_become_areas_and_too_many_points_are_not_sent(town):
    view = view_of(town, area=None, indicator="households", max_grid_units=2, max_points=5)
    assert view.unit_level == "district" and list(view.units["id"]) == ["D"]
    assert view.units["households"].iloc[0] == 6
    assert view.points is None and view.points_hidden == 6
    view = view_of(town, area=Area("street", "S"), indicator="coverage_pct", max_grid_units=2)
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


def test_classify_never_repeats_a_break():
    values = pd.Series([0] * 20 + [1] * 10 + [2] * 5 + [3, 7, 10], dtype=float)
    for scheme in ("quantiles", "natural_breaks", "equal_interval"):
        cls, classes = classify(values, scheme)
        assert len(set(classes.bins)) == len(classes.bins), scheme
        assert cls.max() == len(classes.bins) - 1


def test_grid_workers_for_tooltips(town):
    from gridmap.mapview import grid_workers
    workers = pd.DataFrame({"worker_id": list("abcde"), "name": ["甲", "乙", "丙", "丁", "戊"]})
    assignments = pd.DataFrame({"worker_id": list("abcde"), "grid_id": ["G1"] * 4 + ["G2"],
                                "role": ["backup", "backup", "primary", "backup", "primary"]})
    names = grid_workers(assignments, workers)
    assert names["G1"] == "丙、甲、乙 等4人" and names["G2"] == "戊"
    view = view_of(town, area=None, indicator="households", workers_by_grid=names)
    assert list(view.units["workers"]) == ["丙、甲、乙 等4人", "戊", ""]


def test_units_at_a_chosen_level(town):
    view = view_of(town, area=None, indicator="coverage_pct", unit_level="community")
    assert view.unit_level == "community" and sorted(view.units["id"]) == ["C1", "C2"]
    c1 = view.units.set_index("id").loc["C1"]
    assert c1["households"] == 5 and c1["value"] == pytest.approx(20.0)


def test_hot_counts_colour_areas_when_grids_are_too_many(town):
    view = view_of(town, area=None, indicator="red_orange", unit_level="community")
    classes = pd.Series({"G1": "hot_95", "G2": "high_high", "G3": "cold_99"})
    painted = mapview.with_hot_counts(view, town["grids"], classes)
    values = dict(zip(painted.units["id"], painted.units["value"], strict=True))
    assert values == {"C1": 2.0, "C2": 0.0}
    assert painted.indicator == "hot_grids" and painted.categories is None
    assert painted.units.set_index("id").loc["C1", "cls"] > painted.units.set_index(
        "id").loc["C2", "cls"]


@pytest.mark.parametrize("lower, bins, expected", [
    (0.0, (0.0, 2.0, 5.0), ["0", "1–2", "3–5"]),  # counts: whole, non-overlapping
    (1.0, (2.5, 4.0, 9.0), ["1–2", "3–4", "5–9"]),  # fractional quantile breaks
    (3.0, (3.0, 4.0), ["3", "4"]),  # a class of one value reads as that value
    (0.0, (1200.0,), ["0–1,200"]),
])
def test_count_classes_read_as_whole_numbers(lower, bins, expected):
    assert Classes("quantiles", bins, lower).labels(0) == expected


def test_rates_keep_their_decimals():
    assert Classes("quantiles", (50.0, 87.25), 12.5).labels(1) == ["12.5 – 50.0",
                                                                    "50.0 – 87.2"]


def test_count_legends_have_no_overlapping_classes(town):
    view = view_of(town, area=None, indicator="households", scheme="quantiles")
    text = legend_html(view, "zh")
    for label_ in view.classes.labels(0):
        assert label_ in text
    assert "0 – 0" not in text and "0 – 1" not in text
