"""Importing boundaries: encodings, coordinate systems and checks, on fixtures made here."""

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from gridmap import cli, coords, schema
from gridmap.errors import ValidationError
from gridmap.io.boundaries import prepare_boundaries
from gridmap.io.importing import commit

from .conftest import fingerprint


def new_grids(store, n: int = 3) -> gpd.GeoDataFrame:
    """Copies of a community's grids under new ids and Chinese names."""
    grids = store.read("grids")
    community = grids["community_id"].value_counts().index[0]
    mine = grids[grids["community_id"] == community].head(n).reset_index(drop=True)
    return gpd.GeoDataFrame({
        "网格编码": [f"{g}N" for g in mine["grid_id"]],
        "网格名称": [f"新建第{i + 1}网格" for i in range(len(mine))],
        "网格类型": ["城市", "农村", "专属"][: len(mine)],
        "所属社区": community}, geometry=mine.geometry.values, crs=schema.CRS)


def test_a_gbk_shapefile_without_cpg_reads_as_chinese(small_store, tmp_path):
    path = tmp_path / "grids.shp"
    pyogrio.write_dataframe(new_grids(small_store), path, encoding="GBK")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    prepared = prepare_boundaries("grids", path, store=small_store)
    assert not prepared.errors
    names = list(prepared.frames["grids"]["name"])
    assert names == ["新建第1网格", "新建第2网格", "新建第3网格"]
    assert any("GBK" in p.reason for p in prepared.warnings)
    assert list(prepared.frames["grids"]["grid_type"]) == ["urban", "rural", "dedicated"]
    import zipfile
    zipped = tmp_path / "grids.zip"  # as a surveying bureau sends it
    with zipfile.ZipFile(zipped, "w") as z:
        for part in tmp_path.glob("grids.*"):
            if part != zipped:
                z.write(part, part.name)
    prepared = prepare_boundaries("grids", zipped, store=small_store)
    assert list(prepared.frames["grids"]["name"]) == names


def _close(a, b, tolerance=1e-6) -> bool:
    return shapely.hausdorff_distance(a, b) < tolerance


def test_gauss_kruger_and_gcj02_come_back_to_wgs84(small_store, tmp_path):
    original = new_grids(small_store)
    gk = tmp_path / "gk.gpkg"
    original.to_crs("EPSG:4549").to_file(gk)  # CGCS2000 / 3-degree Gauss-Kruger CM 120E
    prepared = prepare_boundaries("grids", gk, store=small_store)
    for a, b in zip(prepared.frames["grids"].geometry, original.geometry, strict=True):
        assert _close(a, b)
    gcj = original.copy()
    gcj["geometry"] = shapely.transform(original.geometry.values, lambda xy: np.column_stack(
        coords.wgs84_to_gcj02(xy[:, 0], xy[:, 1])))
    web = tmp_path / "amap.geojson"
    gcj.to_file(web, driver="GeoJSON")
    assert not _close(gcj.geometry[0], original.geometry[0], 1e-4)  # hundreds of metres off
    prepared = prepare_boundaries("grids", web, store=small_store, crs="gcj02")
    for a, b in zip(prepared.frames["grids"].geometry, original.geometry, strict=True):
        assert _close(a, b)


def test_no_crs_is_refused_unless_given_and_swapped_axes_are_put_right(small_store, tmp_path):
    original = new_grids(small_store)
    bare = tmp_path / "bare.shp"  # DBF names are 10 bytes: English ones here
    ascii_names = original.rename(columns={"网格编码": "code", "网格名称": "name",
                                           "网格类型": "type", "所属社区": "community"})
    pyogrio.write_dataframe(ascii_names.set_crs(None, allow_override=True), bare,
                            encoding="UTF-8")
    with pytest.raises(ValidationError, match="no coordinate system"):
        prepare_boundaries("grids", bare, store=small_store)
    assert not prepare_boundaries("grids", bare, store=small_store, crs="EPSG:4326").errors
    swapped = original.copy()
    swapped["geometry"] = shapely.transform(original.geometry.values, lambda xy: xy[:, ::-1])
    path = tmp_path / "swapped.geojson"
    swapped.to_file(path, driver="GeoJSON")
    prepared = prepare_boundaries("grids", path, store=small_store)
    assert any("swapped" in p.reason for p in prepared.warnings)
    assert _close(prepared.frames["grids"].geometry[0], original.geometry[0])


def test_bad_grids_are_reported_and_nothing_is_written(any_store, tmp_path):
    grids = new_grids(any_store)
    minx, miny, maxx, maxy = grids.geometry[0].bounds
    bowtie = shapely.Polygon([(minx, miny), (maxx, maxy), (maxx, miny), (minx, maxy)])
    grids.loc[0, "geometry"] = bowtie                                  # invalid: repaired
    grids.loc[1, "网格编码"] = grids.loc[2, "网格编码"]                  # duplicate id
    grids.loc[2, "geometry"] = grids.geometry[0].buffer(0.0001)  # overlaps the first
    extra = grids.iloc[[0]].assign(**{"网格编码": "X1", "所属社区": "nowhere"})
    bad = gpd.GeoDataFrame(__import__("pandas").concat([grids, extra]), crs=schema.CRS)
    path = tmp_path / "bad.geojson"
    bad.to_file(path, driver="GeoJSON")
    before = fingerprint(any_store)
    prepared = prepare_boundaries("grids", path, store=any_store)
    errors = {(p.row, p.column) for p in prepared.errors}
    assert errors == {(3, "grid_id"), (4, "community_id")}
    warnings = " ".join(p.reason for p in prepared.warnings)
    assert "make_valid" in warnings
    with pytest.raises(ValidationError):
        commit(any_store, prepared, by="test")
    assert fingerprint(any_store) == before


def test_good_grids_import_and_undo(any_store, tmp_path):
    path = tmp_path / "grids.gpkg"
    new_grids(any_store).to_file(path)
    n = len(any_store.read("grids"))
    prepared = prepare_boundaries("grids", path, store=any_store)
    assert not prepared.errors
    import_id = commit(any_store, prepared, by="test")
    grids = any_store.read("grids").set_index("grid_id")
    assert len(grids) == n + 3
    added = grids.loc[prepared.frames["grids"]["grid_id"]]
    assert added["street_id"].notna().all() and added["district_id"].notna().all()
    assert (added.geometry.geom_type == "MultiPolygon").all()
    any_store.undo_import(import_id)
    assert len(any_store.read("grids")) == n


def test_cli_import_areas_needs_a_level_and_reports(small_store, tmp_path, capsys):
    areas = small_store.read("areas")
    district = areas[areas["level"] == "district"].iloc[0]
    frame = gpd.GeoDataFrame({"编码": ["999001"], "名称": ["新街道"],
                              "上级编码": [district["area_id"]]},
                             geometry=[district.geometry.buffer(-0.01)], crs=schema.CRS)
    path = tmp_path / "street.geojson"
    frame.to_file(path, driver="GeoJSON")
    args = ["import", "areas", str(path), "--store", str(small_store.path)]
    assert cli.main(args) == 2
    assert "--level" in capsys.readouterr().err
    assert cli.main([*args, "--level", "street", "--dry-run"]) == 0
    assert "1 rows read" in capsys.readouterr().err
    assert cli.main([*args, "--level", "street"]) == 0
    assert "新街道" in set(small_store.read("areas")["name"])


@pytest.mark.parametrize("code, name", [("XZQDM", "XZQMC"), ("ZLDWDM", "ZLDWMC")])
def test_land_survey_field_names_need_no_mapping(small_store, tmp_path, code, name):
    """China's land-survey and administrative data: 行政区代码/名称 (XZQDM/XZQMC) and
    坐落单位代码/名称 (ZLDWDM/ZLDWMC) are recognised as they come."""
    areas = small_store.read("areas")
    district = areas[areas["level"] == "district"].iloc[0]
    frame = gpd.GeoDataFrame({code: ["999002"], name: ["新镇"],
                              "上级编码": [district["area_id"]]},
                             geometry=[district.geometry.buffer(-0.01)], crs=schema.CRS)
    path = tmp_path / "towns.geojson"
    frame.to_file(path, driver="GeoJSON")
    prepared = prepare_boundaries("areas", path, store=small_store, level="street")
    assert prepared.mapping == {code: "area_id", name: "name", "上级编码": "parent_id"}
    assert not prepared.errors
    assert list(prepared.frames["areas"]["name"]) == ["新镇"]
