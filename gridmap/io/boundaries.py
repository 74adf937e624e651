"""Importing boundaries: areas (district, street, community) and grids from GeoJSON,
GeoPackage or Shapefile (zipped or not), checked and brought into WGS84.

- Shapefiles from Chinese sources often have GBK attributes and no ``.cpg``: the
  encoding is detected (UTF-8 if every text decodes as UTF-8, else GBK) unless given.
- The file's CRS is used (EPSG:4326, CGCS2000 EPSG:4490, its Gauss-Krüger zones
  EPSG:4491-4554, Web Mercator, ...); a file without one is refused unless ``crs`` is
  given. ``crs='gcj02'`` or ``'bd09'`` declares coordinates taken from Chinese web maps,
  converted to WGS84. Swapped lon/lat is detected and put right, with a warning.
- Invalid geometries are repaired (``make_valid``) with a warning; duplicate ids and
  unknown parents are errors; overlaps between sibling grids, gaps in a parent's
  cover and grids lying outside their parent are warnings.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from gridmap import coords, schema
from gridmap.errors import ValidationError
from gridmap.io.importing import Prepared, header_key, note_problem

BOUNDARY_KINDS = ("areas", "grids")
UPLOAD_SUFFIXES = (".geojson", ".json", ".gpkg", ".zip", ".shp")
HEADERS = {
    # China's land-survey and administrative data name them XZQDM/XZQMC (行政区代码/名称)
    # and ZLDWDM/ZLDWMC (坐落单位代码/名称).
    "areas": {"area_id": ("编码", "区划代码", "代码", "行政区代码", "坐落单位代码", "XZQDM",
                          "ZLDWDM", "area_id", "code", "id"),
              "name": ("名称", "行政区名称", "坐落单位名称", "XZQMC", "ZLDWMC", "name"),
              "parent_id": ("上级编码", "所属上级", "parent_id", "parent")},
    "grids": {"grid_id": ("网格编码", "网格编号", "编码", "grid_id", "code", "id"),
              "name": ("网格名称", "名称", "name"),
              "grid_type": ("网格类型", "类型", "grid_type", "type"),
              "community_id": ("所属社区", "社区编码", "community_id", "community")},
}
GRID_TYPE_WORDS = {"urban": ("城市", "城市网格", "城镇", "urban"),
                   "rural": ("农村", "农村网格", "rural"),
                   "dedicated": ("专属", "专属网格", "dedicated")}
OVERLAP_SHARE = 0.01  # of the smaller grid's area
GAP_SHARE = 0.01  # of the parent's area


def _is_shapefile(path: Path) -> bool:
    if path.suffix.lower() == ".shp":
        return True
    if path.suffix.lower() == ".zip":
        import zipfile
        with zipfile.ZipFile(path) as z:
            return any(n.lower().endswith(".shp") for n in z.namelist())
    return False


def _has_cpg(path: Path) -> bool:
    if path.suffix.lower() == ".shp":
        return path.with_suffix(".cpg").exists() or path.with_suffix(".CPG").exists()
    import zipfile
    with zipfile.ZipFile(path) as z:
        return any(n.lower().endswith(".cpg") for n in z.namelist())


def read_file(path: str | Path, *, encoding: str | None = None,
              name: str | None = None) -> tuple[gpd.GeoDataFrame, str | None]:
    """The file's first layer and the encoding used for its attributes (detected for a
    Shapefile without ``.cpg``). ``name`` labels the file in messages."""
    path = Path(path)
    if _is_shapefile(path) and encoding is None and not _has_cpg(path):
        raw = pyogrio.read_dataframe(path, encoding="ISO-8859-1")  # bytes kept as they are
        values = [v for c in raw.columns if c != "geometry" for v in raw[c].dropna()
                  if isinstance(v, str)]
        texts = [v.encode("latin-1") for v in [*map(str, raw.columns), *values]]
        try:
            for t in texts:
                t.decode("utf-8")
            encoding = "UTF-8"
        except UnicodeDecodeError:
            encoding = "GBK"
    try:
        frame = pyogrio.read_dataframe(path, encoding=encoding) if encoding else \
            pyogrio.read_dataframe(path)
    except Exception as exc:
        raise ValidationError(f"cannot read it as GeoJSON, GeoPackage or Shapefile ({exc})",
                              source=name or path.name) from exc
    return frame, encoding


def _to_wgs84(frame: gpd.GeoDataFrame, crs: str | None, prepared: Prepared) -> gpd.GeoDataFrame:
    declared = (crs or "").lower()
    if declared in ("gcj02", "bd09"):
        frame = frame.set_crs(schema.CRS, allow_override=True)
        convert = coords.gcj02_to_wgs84 if declared == "gcj02" else coords.bd09_to_wgs84
        return frame.set_geometry(shapely.transform(
            frame.geometry.values, lambda xy: np.column_stack(convert(xy[:, 0], xy[:, 1]))))
    if crs:
        frame = frame.set_crs(crs, allow_override=True)
    if frame.crs is None:
        raise ValidationError("the file has no coordinate system: give one with --crs "
                              "(EPSG:4326, EPSG:4490, EPSG:4491-4554, gcj02, bd09)",
                              source=prepared.file)
    return frame.to_crs(schema.CRS)


def _unswap(frame: gpd.GeoDataFrame, prepared: Prepared) -> gpd.GeoDataFrame:
    minx, miny, maxx, maxy = frame.total_bounds
    if minx >= 3 and maxx <= 54 and miny >= 73 and maxy <= 136:  # China, axes swapped
        note_problem(prepared, 0, "geometry", "longitude and latitude were swapped; put right",
                 warning=True)
        return frame.set_geometry(shapely.transform(frame.geometry.values,
                                                    lambda xy: xy[:, ::-1]))
    return frame


def prepare_boundaries(kind: str, path: str | Path, *, store, level: str | None = None,
                       crs: str | None = None, encoding: str | None = None,
                       mapping: dict[str, str] | None = None,
                       name: str | None = None) -> Prepared:
    """Read and check a boundary file; nothing is written. ``name`` labels the file in
    messages (an upload's own name; default: the path's)."""
    path = Path(path)
    name = name or path.name
    if kind not in BOUNDARY_KINDS:
        raise ValidationError(f"unknown boundaries {kind!r}; use areas or grids")
    if kind == "areas" and level not in ("district", "street", "community"):
        raise ValidationError("areas need --level district, street or community")
    frame, used = read_file(path, encoding=encoding, name=name)
    headers = [c for c in frame.columns if c != "geometry"]
    if mapping is None:
        known = {header_key(n): col for col, names in HEADERS[kind].items() for n in names}
        mapping = {}
        for h in headers:
            column = known.get(header_key(h))
            if column and column not in mapping.values():
                mapping[h] = column
    if frame.empty:
        raise ValidationError("the file has no features", source=name)
    prepared = Prepared(kind, name, mapping, 1, rows_read=len(frame))
    if used:
        prepared.problems.append(_note(prepared, f"attributes read as {used}"))
    key = "area_id" if kind == "areas" else "grid_id"
    needed = [key, "name"] + (["community_id"] if kind == "grids" else [])
    missing = [c for c in needed if c not in mapping.values()]
    if missing:
        raise ValidationError(f"no column for {', '.join(missing)} (columns: "
                              f"{', '.join(headers)})", source=name)
    frame = _unswap(_to_wgs84(frame, crs, prepared), prepared)
    rows = gpd.GeoDataFrame({column: frame[h].astype(object).where(frame[h].notna(), None)
                             .map(lambda v: str(v).strip() if v is not None else None)
                             for h, column in mapping.items()},
                            geometry=frame.geometry.values, crs=schema.CRS)
    rows["_row"] = np.arange(len(rows)) + 1  # feature number
    bad = set()
    for n, geometry in zip(rows["_row"], rows.geometry, strict=True):
        if geometry is None or geometry.is_empty:
            note_problem(prepared, n, "geometry", "empty")
            bad.add(n)
        elif not geometry.is_valid:
            note_problem(prepared, n, "geometry", f"invalid ({shapely.is_valid_reason(geometry)}); "
                     "repaired with make_valid", warning=True)
    rows["geometry"] = [shapely.make_valid(g) if g is not None and not g.is_valid else g
                        for g in rows.geometry]
    rows["geometry"] = [_polygonal(g) for g in rows.geometry]
    first = {}
    for n, value in zip(rows["_row"], rows[key], strict=True):
        if not value:
            note_problem(prepared, n, key, "empty")
            bad.add(n)
        elif value in first:
            note_problem(prepared, n, key, f"{value!r} repeats feature {first[value]}")
            bad.add(n)
        else:
            first[value] = n
    areas = store.read("areas")
    if kind == "areas":
        _areas(rows, prepared, areas, level, bad)
    else:
        _grids(rows, prepared, areas, bad)
    return prepared


def _note(prepared: Prepared, text: str):
    from gridmap.io.importing import Problem
    return Problem(prepared.file, 0, "encoding", text, "warning")


def _polygonal(geometry):
    if geometry is None:
        return None
    parts = [g for g in getattr(geometry, "geoms", [geometry])
             if g.geom_type in ("Polygon", "MultiPolygon")]
    polygons = [p for g in parts for p in getattr(g, "geoms", [g])]
    return shapely.MultiPolygon(polygons) if polygons else geometry


def _areas(rows, prepared, areas, level, bad) -> None:
    parent_level = {"district": None, "street": "district", "community": "street"}[level]
    parents = areas[areas["level"] == parent_level].set_index("area_id") if parent_level \
        else None
    if parent_level:
        if "parent_id" not in rows:
            raise ValidationError(f"{level} areas need a parent column (上级编码)",
                                  source=prepared.file)
        for n, parent, geometry in zip(rows["_row"], rows["parent_id"], rows.geometry,
                                       strict=True):
            if parent not in parents.index:
                note_problem(prepared, n, "parent_id", f"unknown {parent_level} {parent!r}")
                bad.add(n)
            elif geometry is not None and _outside(geometry, parents.geometry[parent]):
                note_problem(prepared, n, "geometry", f"lies mostly outside its {parent_level} "
                         f"{parent}", warning=True)
    ok = rows[~rows["_row"].isin(bad)].copy()
    ok["level"] = level
    if not parent_level:
        ok["parent_id"] = None
    if not prepared.errors:
        prepared.frames["areas"] = schema.conform("areas", ok)


def _grids(rows, prepared, areas, bad) -> None:
    communities = areas[areas["level"] == "community"].set_index("area_id")
    streets = areas.set_index("area_id")["parent_id"]
    types = []
    for n, value in zip(rows["_row"], rows.get("grid_type", [None] * len(rows)), strict=True):
        key = header_key(value or "urban")
        found = next((k for k, words in GRID_TYPE_WORDS.items()
                      if key in {header_key(w) for w in words}), None)
        if found is None:
            note_problem(prepared, n, "grid_type", f"{value!r} is not 城市/农村/专属")
            bad.add(n)
        types.append(found)
    rows["grid_type"] = types
    for n, community, geometry in zip(rows["_row"], rows["community_id"], rows.geometry,
                                      strict=True):
        if community not in communities.index:
            note_problem(prepared, n, "community_id", f"unknown community {community!r}")
            bad.add(n)
        elif geometry is not None and _outside(geometry, communities.geometry[community]):
            note_problem(prepared, n, "geometry", f"lies mostly outside its community {community}",
                     warning=True)
    ok = rows[~rows["_row"].isin(bad)].copy()
    # Overlaps between sibling grids, and gaps in each community's cover.
    tree = shapely.STRtree(ok.geometry.values)
    left, right = tree.query(ok.geometry.values, predicate="intersects")
    for i, j in zip(left, right, strict=True):
        if i < j and ok["community_id"].iloc[i] == ok["community_id"].iloc[j]:
            a, b = ok.geometry.iloc[i], ok.geometry.iloc[j]
            shared = shapely.intersection(a, b).area
            if shared > OVERLAP_SHARE * min(a.area, b.area):
                note_problem(prepared, ok["_row"].iloc[j], "geometry",
                         f"overlaps grid {ok['grid_id'].iloc[i]} by "
                         f"{shared / min(a.area, b.area):.0%}", warning=True)
    for community, part in ok.groupby("community_id"):
        shape = communities.geometry[community]
        gap = shapely.difference(shape, shapely.union_all(part.geometry.values)).area
        if gap > GAP_SHARE * shape.area:
            note_problem(prepared, int(part["_row"].iloc[0]), "geometry",
                     f"the grids leave {gap / shape.area:.0%} of community {community} "
                     "uncovered", warning=True)
    ok["street_id"] = ok["community_id"].map(streets)
    ok["district_id"] = ok["street_id"].map(streets)
    if not prepared.errors:
        prepared.frames["grids"] = schema.conform("grids", ok)


def _outside(geometry, parent) -> bool:
    """Less than half of it inside its parent."""
    return shapely.intersection(geometry, parent).area < 0.5 * geometry.area

