import numpy as np
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from gridmap import coords

# (wgs lon, wgs lat, gcj lon, gcj lat): eviltransform's published test vectors.
KNOWN_WGS_GCJ = [
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),  # Shanghai
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),  # Shenzhen
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),  # Beijing
]


@pytest.mark.parametrize(("lon", "lat", "glon", "glat"), KNOWN_WGS_GCJ)
def test_wgs84_to_gcj02_known_values(lon, lat, glon, glat):
    out = coords.wgs84_to_gcj02(lon, lat)
    assert out[0] == pytest.approx(glon, abs=1e-9)
    assert out[1] == pytest.approx(glat, abs=1e-9)


@pytest.mark.parametrize(("lon", "lat", "glon", "glat"), KNOWN_WGS_GCJ)
def test_gcj02_to_wgs84_inverts_known_values(lon, lat, glon, glat):
    out = coords.gcj02_to_wgs84(glon, glat)
    assert out[0] == pytest.approx(lon, abs=1e-8)  # ~1 mm
    assert out[1] == pytest.approx(lat, abs=1e-8)


def test_gcj02_to_wgs84_matches_gcoord():
    # gcoord's test: GCJ02 (123, 45) -> WGS84 (122.99395597, 44.99804071), 5 decimals.
    lon, lat = coords.gcj02_to_wgs84(123.0, 45.0)
    assert abs(lon - 122.99395597) < 5e-6 and abs(lat - 44.99804071) < 5e-6


def test_gcj02_to_bd09_matches_gcoord():
    lon, lat = coords.gcj02_to_bd09(123.0, 45.0)
    assert lon == pytest.approx(123.00636499, abs=1e-7)
    assert lat == pytest.approx(45.00636899, abs=1e-7)


def test_offset_in_zhenjiang_is_hundreds_of_metres():
    lon, lat = coords.gcj02_to_wgs84(119.45, 32.20)
    metres = np.hypot((119.45 - lon) * 111_320 * np.cos(np.radians(32.2)), (32.20 - lat) * 110_540)
    assert 300 < metres < 800


def test_outside_china_is_unchanged():
    assert coords.wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert coords.gcj02_to_wgs84(-74.0, 40.7) == pytest.approx((-74.0, 40.7))


def test_vectorised_over_arrays():
    lon = np.array([r[0] for r in KNOWN_WGS_GCJ])
    lat = np.array([r[1] for r in KNOWN_WGS_GCJ])
    glon, glat = coords.wgs84_to_gcj02(lon, lat)
    assert glon == pytest.approx([r[2] for r in KNOWN_WGS_GCJ], abs=1e-9)
    assert glat == pytest.approx([r[3] for r in KNOWN_WGS_GCJ], abs=1e-9)


china_lon = st.floats(min_value=74.0, max_value=134.0)
china_lat = st.floats(min_value=18.0, max_value=53.0)


@given(china_lon, china_lat)
def test_gcj_round_trip(lon, lat):
    back = coords.gcj02_to_wgs84(*coords.wgs84_to_gcj02(lon, lat))
    assert back[0] == pytest.approx(lon, abs=1e-8)
    assert back[1] == pytest.approx(lat, abs=1e-8)


@given(china_lon, china_lat)
def test_bd_round_trip(lon, lat):
    back = coords.bd09_to_wgs84(*coords.wgs84_to_bd09(lon, lat))
    assert back[0] == pytest.approx(lon, abs=1e-8)
    assert back[1] == pytest.approx(lat, abs=1e-8)


def test_geometry_conversion_moves_every_vertex():
    square = shapely.box(119.4, 32.1, 119.5, 32.2)
    moved = coords.geometry_to_wgs84(square, "gcj02")
    xy, xy2 = shapely.get_coordinates(square), shapely.get_coordinates(moved)
    expected = np.column_stack(coords.gcj02_to_wgs84(xy[:, 0], xy[:, 1]))
    assert np.allclose(xy2, expected)
    back = coords.geometry_from_wgs84(moved, "gcj02")
    assert np.allclose(shapely.get_coordinates(back), xy, atol=1e-8)
