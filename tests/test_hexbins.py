import geopandas as gpd
import h3
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmap import hexbins, privacy, schema
from gridmap.mapview import hex_view
from gridmap.webmap import build_map

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
    assert (occupied["value_text"] == "<5").all() and (occupied["cls"] == -1).all()
    html = build_map(view).get_root().render()
    assert '"\\u003c5"' in html  # the text travels, JSON-escaped
    for n in range(1, 5):
        assert f'"v":"{n}"' not in html and f'"r":[{n},' not in html


def test_resolution_narrows_with_the_view():
    from gridmap.store import Area
    assert hexbins.resolution_for(None) < hexbins.resolution_for(Area("district", "x")) \
        < hexbins.resolution_for(Area("street", "y")) <= hexbins.resolution_for(
            Area("grid", "z"))


@pytest.mark.parametrize("res", [7, 9])
def test_polygons_are_the_cells(res):
    cell = h3.latlng_to_cell(32.15, 119.45, res)
    poly = hexbins.hex_polygons([cell]).iloc[0]
    assert poly.contains(shapely.Point(119.45, 32.15)) and len(poly.exterior.coords) == 7
