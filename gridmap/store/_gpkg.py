"""The SQL functions GeoPackage triggers expect, for writes made through ``sqlite3``.

GDAL's spatial-index triggers call ``ST_IsEmpty`` and ``ST_MinX``...``ST_MaxY``;
SQLite resolves them when a statement is prepared, so even an attribute update
needs them. They read the GeoPackage geometry blob: a header with flags and an
optional envelope, then WKB (GeoPackage 1.3, clause 2.1.3).
"""

from __future__ import annotations

import sqlite3
import struct

import shapely

_ENVELOPE_DOUBLES = {0: 0, 1: 4, 2: 6, 3: 6, 4: 8}


def _parse(blob: bytes) -> tuple[bool, tuple[float, float, float, float] | None]:
    """(is_empty, (minx, maxx, miny, maxy) or None) of a GeoPackage geometry blob."""
    if blob[:2] != b"GP":
        raise ValueError("not a GeoPackage geometry")
    flags = blob[3]
    empty = bool(flags & 0b10000)
    indicator = (flags >> 1) & 0b111
    n = _ENVELOPE_DOUBLES[indicator]
    order = "<" if flags & 1 else ">"
    if empty:
        return True, None
    if n:
        minx, maxx, miny, maxy = struct.unpack_from(f"{order}4d", blob, 8)
        return False, (minx, maxx, miny, maxy)
    wkb_order = "<" if blob[8] == 1 else ">"
    if struct.unpack_from(f"{wkb_order}I", blob, 9)[0] == 1:  # a 2D point: read it directly
        x, y = struct.unpack_from(f"{wkb_order}2d", blob, 13)
        if x != x and y != y:  # POINT EMPTY is NaN, NaN
            return True, None
        return False, (x, x, y, y)
    geom = shapely.from_wkb(bytes(blob[8 + 8 * n:]))
    if geom.is_empty:
        return True, None
    x0, y0, x1, y1 = geom.bounds
    return False, (x0, x1, y0, y1)


def geometry_of(blob: bytes) -> shapely.Geometry:
    """The shapely geometry in a GeoPackage geometry blob."""
    flags = blob[3]
    n = _ENVELOPE_DOUBLES[(flags >> 1) & 0b111]
    return shapely.from_wkb(bytes(blob[8 + 8 * n:]))


def point_blob(x: float, y: float, srs_id: int = 4326) -> bytes:
    """A GeoPackage geometry blob of one point: little-endian header, no envelope."""
    return b"GP\x00\x01" + struct.pack("<i", srs_id) + shapely.to_wkb(
        shapely.Point(x, y), byte_order=1)


def geometry_blob(geometry: shapely.Geometry, srs_id: int = 4326) -> bytes:
    """A GeoPackage geometry blob of any geometry, with its xy envelope."""
    if geometry.geom_type == "Point":
        return point_blob(geometry.x, geometry.y, srs_id)
    minx, miny, maxx, maxy = geometry.bounds
    return (b"GP\x00\x03" + struct.pack("<i4d", srs_id, minx, maxx, miny, maxy)
            + shapely.to_wkb(geometry, byte_order=1))


def _is_empty(blob):
    return None if blob is None else int(_parse(blob)[0])


def _bound(index: int):
    def fn(blob):
        if blob is None:
            return None
        empty, env = _parse(blob)
        return None if empty else env[index]
    return fn


def register_functions(con: sqlite3.Connection) -> None:
    """Make ``con`` able to run statements that fire GeoPackage's R-tree triggers."""
    con.create_function("ST_IsEmpty", 1, _is_empty, deterministic=True)
    for i, name in enumerate(("ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY")):
        con.create_function(name, 1, _bound(i), deterministic=True)
