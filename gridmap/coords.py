"""Conversions between WGS84 and the Chinese web-map datums GCJ-02 and BD-09.

GCJ-02 ("Mars coordinates") is the datum of AMap/Gaode and Tencent maps; BD-09
is Baidu's, derived from GCJ-02. Both sit a few hundred metres off WGS84.
All functions are vectorised over NumPy arrays (lon, lat in degrees) and leave
points outside China unchanged, as the datums themselves do.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import shapely

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323  # its eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0

ArrayPair = tuple[np.ndarray, np.ndarray]


def outside_china(lon, lat) -> np.ndarray:
    """True where a point lies outside the rough box in which GCJ-02 applies."""
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _gcj_offset(lon: np.ndarray, lat: np.ndarray) -> ArrayPair:
    x, y = lon - 105.0, lat - 35.0
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y
            + 0.2 * np.sqrt(np.abs(x)) + common
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y
            + 0.1 * np.sqrt(np.abs(x)) + common
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    rad = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = dlat * 180.0 / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = dlon * 180.0 / (_A / sqrt_magic * np.cos(rad) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon, lat) -> ArrayPair:
    """WGS84 lon/lat to GCJ-02 (the published forward formula)."""
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    dlon, dlat = _gcj_offset(lon, lat)
    out = outside_china(lon, lat)
    return np.where(out, lon, lon + dlon), np.where(out, lat, lat + dlat)


def gcj02_to_wgs84(lon, lat, *, tolerance: float = 1e-10, max_iter: int = 30) -> ArrayPair:
    """GCJ-02 lon/lat to WGS84, by fixed-point inversion of the forward formula.

    The usual one-step inverse is off by up to a few metres; iterating until the
    forward transform reproduces the input brings the error below a millimetre.
    """
    glon, glat = np.asarray(lon, float), np.asarray(lat, float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(max_iter):
        flon, flat = wgs84_to_gcj02(wlon, wlat)
        elon, elat = flon - glon, flat - glat
        wlon, wlat = wlon - elon, wlat - elat
        if np.all(np.abs(elon) < tolerance) and np.all(np.abs(elat) < tolerance):
            break
    return wlon, wlat


def gcj02_to_bd09(lon, lat) -> ArrayPair:
    """GCJ-02 to Baidu's BD-09."""
    x, y = np.asarray(lon, float), np.asarray(lat, float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon, lat, *, iterations: int = 3) -> ArrayPair:
    """Baidu's BD-09 to GCJ-02.

    Baidu's own inverse formula is off by up to ~20 cm; a few fixed-point steps
    against the forward formula make it exact to well below a millimetre.
    """
    blon, blat = np.asarray(lon, float), np.asarray(lat, float)
    x, y = blon - 0.0065, blat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    glon, glat = z * np.cos(theta), z * np.sin(theta)
    for _ in range(iterations):
        flon, flat = gcj02_to_bd09(glon, glat)
        glon, glat = glon - (flon - blon), glat - (flat - blat)
    return glon, glat


def bd09_to_wgs84(lon, lat) -> ArrayPair:
    """Baidu's BD-09 to WGS84."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def wgs84_to_bd09(lon, lat) -> ArrayPair:
    """WGS84 to Baidu's BD-09."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


_TO_WGS84: dict[str, Callable[..., ArrayPair]] = {
    "gcj02": gcj02_to_wgs84,
    "bd09": bd09_to_wgs84,
}
_FROM_WGS84: dict[str, Callable[..., ArrayPair]] = {
    "gcj02": wgs84_to_gcj02,
    "bd09": wgs84_to_bd09,
}


def _apply(geometry, func: Callable[..., ArrayPair]):
    def on_coords(xy: np.ndarray) -> np.ndarray:
        lon, lat = func(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geometry, on_coords)


def geometry_to_wgs84(geometry, datum: str):
    """Shapely geometry (or array of them) from ``datum`` ('gcj02'|'bd09') to WGS84."""
    return _apply(geometry, _TO_WGS84[datum])


def geometry_from_wgs84(geometry, datum: str):
    """Shapely geometry (or array of them) from WGS84 to ``datum`` ('gcj02'|'bd09')."""
    return _apply(geometry, _FROM_WGS84[datum])
