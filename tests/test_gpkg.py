import sqlite3

import geopandas as gpd
import pyogrio
import shapely

from gridmap.store._gpkg import _parse, register_functions


def test_parse_reads_envelope_and_emptiness(tmp_path):
    path = tmp_path / "t.gpkg"
    gdf = gpd.GeoDataFrame({"k": [1, 2]}, geometry=[shapely.box(1, 2, 3, 4), shapely.Point(5, 6)],
                           crs=4326)
    pyogrio.write_dataframe(gdf, path, layer="t")
    con = sqlite3.connect(path)
    blobs = [r[0] for r in con.execute("SELECT geom FROM t ORDER BY fid")]
    assert _parse(blobs[0]) == (False, (1.0, 3.0, 2.0, 4.0))
    assert _parse(blobs[1]) == (False, (5.0, 5.0, 6.0, 6.0))  # points carry no envelope


def test_triggers_keep_the_spatial_index_right(tmp_path):
    path = tmp_path / "t.gpkg"
    gdf = gpd.GeoDataFrame({"k": [1]}, geometry=[shapely.Point(5, 6)], crs=4326)
    pyogrio.write_dataframe(gdf, path, layer="t")
    con = sqlite3.connect(path)
    register_functions(con)
    blob = con.execute("SELECT geom FROM t").fetchone()[0]
    con.execute("INSERT INTO t (k, geom) VALUES (2, ?)", (blob,))
    con.execute("UPDATE t SET k = 3 WHERE k = 1")
    con.commit()
    assert con.execute("SELECT count(*) FROM rtree_t_geom").fetchone()[0] == 2
    back = pyogrio.read_dataframe(path, bbox=(4, 5, 6, 7))
    assert sorted(back["k"]) == [2, 3]
