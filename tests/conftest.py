"""Shared fixtures: demo data sets built once per session, stores in tmp dirs."""

from __future__ import annotations

import shutil
from datetime import date

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from gridmap import schema
from gridmap.coverage import household_status
from gridmap.demo import build_demo
from gridmap.indicators import grid_indicators
from gridmap.mapview import build_view
from gridmap.policy import Policy
from gridmap.store import open_store

AS_OF = date(2026, 11, 20)


@pytest.fixture(scope="session")
def small_frames():
    return build_demo("small", seed=7, as_of=AS_OF)


@pytest.fixture(scope="session")
def city_frames():
    return build_demo("city", seed=0, as_of=AS_OF)


@pytest.fixture(scope="session")
def _small_store_template(tmp_path_factory, small_frames):
    path = tmp_path_factory.mktemp("template") / "small.gpkg"
    open_store(path).init(small_frames)
    return path


@pytest.fixture
def small_store(tmp_path, _small_store_template):
    """A fresh copy of the small demo store for each test (tests may write to it)."""
    path = tmp_path / "small.gpkg"
    shutil.copyfile(_small_store_template, path)
    return open_store(path)


POSTGIS_ENV = "GRIDMAP_TEST_POSTGIS"  # a postgresql:// URL; .ci/run starts a server


@pytest.fixture(params=["gpkg", "postgis"])
def any_store(request, tmp_path, _small_store_template, small_frames):
    """The small demo in each backend: a GeoPackage copy, and a fresh PostgreSQL schema
    (skipped without $GRIDMAP_TEST_POSTIS on a developer machine; required in CI)."""
    if request.param == "gpkg":
        path = tmp_path / "small.gpkg"
        shutil.copyfile(_small_store_template, path)
        yield open_store(path)
        return
    import os
    import uuid

    url = os.environ.get(POSTGIS_ENV)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"${POSTGIS_ENV} is not set: .ci/run starts PostgreSQL and sets it")
        pytest.skip(f"${POSTGIS_ENV} not set")
    import psycopg
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(f"CREATE SCHEMA {name}")
    separator = "&" if "?" in url else "?"
    store = open_store(f"{url}{separator}options=-csearch_path%3D{name},public")
    store.init(small_frames)
    yield store
    store._connection().close()
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(f"DROP SCHEMA {name} CASCADE")


def fingerprint(store) -> str:
    """A digest of every layer's content (for 'nothing was written' checks)."""
    import hashlib

    from gridmap import schema
    digest = hashlib.sha256()
    for layer in schema.LAYERS:
        frame = store.read(layer)
        digest.update(frame.drop(columns="geometry", errors="ignore").to_csv(index=False)
                      .encode())
        if "geometry" in frame:
            digest.update(b"".join(shapely.to_wkb(frame.geometry.values)))
    return digest.hexdigest()


# A napkin town: three grids in two communities of one street.
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


def view_of(town, **kw):
    """A map view of the napkin town."""
    return build_view(areas=town["areas"], grids=town["grids"], households=town["households"],
                      status=town["status"], per_grid=town["per_grid"], **kw)


