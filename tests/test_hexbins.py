import re
from dataclasses import replace

import geopandas as gpd
import h3
import matplotlib.pyplot as plt
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmap import hexbins, privacy, schema
from gridmap.mapview import SUPPRESSED_CLASS, ZERO_CLASS, hex_view
from gridmap.render import snapshot, webmap
from gridmap.render.webmap import build_map, js_json, legend_html
from gridmap.style import SUPPRESSED_HATCH

from .conftest import view_of

AREA = shapely.box(119.40, 32.10, 119.50, 32.20)


def _households(points, tiers):
    return gpd.GeoDataFrame({"tier": tiers}, geometry=[shapely.Point(p) for p in points],
                            crs=schema.CRS)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.floats(119.40, 119.50), st.floats(32.10, 32.20),
                          st.sampled_from(schema.TIERS)), max_size=60))
def test_counts_conserve_households_and_cover_the_area(rows):
    hh = _households([(x, y) for x, y, _ in rows], [t for *_, t in rows])
    counts = hexbins.hex_counts(hh, AREA, 8)
    assert counts["households"].sum() == len(rows)
    assert (counts[list(schema.TIERS)].sum(axis=1) == counts["households"]).all()
    assert set(h3.geo_to_cells(shapely.geometry.mapping(AREA), 8)) <= set(counts.index)
    assert (counts["households"] == 0).any()  # empty cells are part of the cover


def test_suppression_hides_small_counts_only():
    counts = pd.DataFrame({"households": [0, 1, 4, 5, 12]})
    shown = privacy.suppress(counts, 5)
    assert shown["households"].tolist() == [0, "<5", "<5", 5, 12]


def test_weights_link_adjacent_cells_both_ways():
    cells = sorted(h3.geo_to_cells(shapely.geometry.mapping(AREA), 8))
    w = hexbins.hex_weights(cells)
    for cell in cells[:20]:
        for other in w.neighbors[cell]:
            assert cell in w.neighbors[other] and h3.are_neighbor_cells(cell, other)
    assert max(len(v) for v in w.neighbors.values()) == 6


def test_hex_view_never_ships_a_small_count(town):
    # Napkin town moved to Zhenjiang so H3 cells are of a sensible size.
    for frame in (town["areas"], town["grids"], town["households"]):
        frame["geometry"] = frame.geometry.scale(0.01, 0.01, origin=(0, 0)).translate(119.4,
                                                                                      32.1)
    hh = town["households"]
    counts = hexbins.hex_counts(hh, town["areas"].union_all(), 9)
    assert counts["households"].max() < 5  # every occupied cell is small here
    view = hex_view(view_of(town, area=None, indicator="households"), counts,
                    hexbins.hex_polygons(counts.index), "households", min_count=5)
    occupied = view.units[view.units["value_text"] != "0"]
    assert (occupied["value_text"] == "<5").all()
    assert (occupied["cls"] == SUPPRESSED_CLASS).all()
    html = build_map(view).get_root().render()
    assert '"\\u003c5"' in html  # the text travels, JSON-escaped
    for n in range(1, 5):
        assert f'"v":"{n}"' not in html and f'"r":[{n},' not in html


def test_resolution_narrows_with_the_view():
    from gridmap.places import Area
    assert hexbins.resolution_for(None) < hexbins.resolution_for(Area("district", "x")) \
        < hexbins.resolution_for(Area("street", "y")) <= hexbins.resolution_for(
            Area("grid", "z"))


@pytest.mark.parametrize("res", [7, 9])
def test_polygons_are_the_cells(res):
    cell = h3.latlng_to_cell(32.15, 119.45, res)
    poly = hexbins.hex_polygons([cell]).iloc[0]
    assert poly.contains(shapely.Point(119.45, 32.15)) and len(poly.exterior.coords) == 7


# Red households per cell; cell 9 also has 9 green ones (12 in all, 3 of them red).
RED = [0, 0, 0, 1, 3, 4, 5, 7, 9, 3, 20, 33, 41]
GREEN = [0] * 9 + [9] + [0] * 3


def _red_orange_view(town):
    cells = sorted(h3.grid_disk(h3.latlng_to_cell(32.15, 119.45, 8), 2))[:len(RED)]
    counts = pd.DataFrame({"red": RED, "orange": 0, "yellow": 0, "green": GREEN},
                          index=pd.Index(cells, name="cell"))
    counts.insert(0, "households", counts.sum(axis=1))
    counts["red_orange"] = counts["red"] + counts["orange"]
    polygons = hexbins.hex_polygons(cells)
    base = replace(view_of(town, area=None, indicator="red_orange"), outlines={},
                   bounds=tuple(polygons.total_bounds))
    return hex_view(base, counts, polygons, "red_orange", min_count=5,
                    scheme="natural_breaks")


def test_hex_classes_start_at_the_minimum_count(town):
    view = _red_orange_view(town)
    assert view.classes.ranges()[0][0] == 5  # no "0 – 0" or "0 – 7"
    assert all(lo >= 5 for lo, _ in view.classes.ranges())
    cls = view.units["cls"].tolist()
    assert cls[:3] == [ZERO_CLASS] * 3  # zeros are not a class
    assert cls[3:6] == [SUPPRESSED_CLASS] * 3 and cls[9] == SUPPRESSED_CLASS
    assert min(cls[6:9] + cls[10:]) == 0
    # The tooltip's tiers of the cell of 12 would give its 3 red households back.
    assert view.units.loc[9, list(schema.TIERS)].tolist() == [privacy.HIDDEN] * 4
    assert view.units.loc[9, "value_text"] == "<5"
    assert view.units.loc[12, list(schema.TIERS)].tolist() == [41, 0, 0, 0]


def test_suppressed_cells_are_hatched_in_the_snapshot(town):
    view = _red_orange_view(town)
    fig = snapshot.draw(view, title=None)
    try:
        hatched = [c for c in fig.axes[0].collections if c.get_hatch() == SUPPRESSED_HATCH]
        assert len(hatched) == 1 and len(hatched[0].get_paths()) == 4
        legend = {text.get_text(): handle for text, handle in
                  zip(fig.legends[0].get_texts(), fig.legends[0].legend_handles, strict=True)}
        assert legend["少于5户（隐去）"].get_hatch() == SUPPRESSED_HATCH
        assert "0（无）" in legend and "无数据" not in legend
        assert not any(name.startswith("0 –") for name in legend)
    finally:
        plt.close(fig)


def test_suppressed_cells_have_their_own_style_on_the_web_map(town):
    view = _red_orange_view(town)
    html = build_map(view).get_root().render()
    assert js_json(webmap.SUPPRESSED_STYLE) in html and "d.special[p.c]" in html
    assert '"dashArray":"3 3"' in html and html.count('"c":-2') == 4
    legend = legend_html(view, "zh")
    assert "少于5户（隐去）" in legend and "dashed" in legend and "0（无）" in legend
    assert "无数据" not in legend
    lows = [float(x) for x in re.findall(r"</span>([\d,]+)(?:–[\d,]+)?</div>", legend)]
    assert lows and min(lows) == 5  # no "0 – 0" or "0 – 7"
