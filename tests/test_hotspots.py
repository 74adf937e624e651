"""Hotspots on a napkin lattice: 12 x 12 unit squares, clusters planted by hand."""

from datetime import date

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gridmap import cli, hotspots
from gridmap.schema import CRS

N = 12


@pytest.fixture(scope="module")
def lattice():
    boxes = [shapely.box(x, y, x + 1, y + 1) for y in range(N) for x in range(N)]
    grids = gpd.GeoDataFrame({"grid_id": [f"g{i:03d}" for i in range(N * N)]},
                             geometry=boxes, crs=CRS)
    return grids, hotspots.contiguity(grids)


def _planted(grids, rng):
    values = rng.poisson(2.0, len(grids)).astype(float)
    block = [y * N + x for y in range(2, 5) for x in range(2, 5)]  # a 3 x 3 block
    values[block] += 12
    return pd.Series(values, index=grids["grid_id"]), grids["grid_id"].iloc[block]


def test_a_planted_cluster_is_found(lattice):
    grids, w = lattice
    values, block = _planted(grids, np.random.default_rng(3))
    table = hotspots.gi_star(values, w, permutations=999, seed=7)
    assert table.loc[block, "hotspot_class"].str.startswith("hot").all()
    assert table.loc[block.iloc[4], "hotspot_class"] == "hot_99"  # the block's centre
    far = table.drop(index=block).loc[table.drop(index=block)["hotspot_class"].str.startswith(
        "hot")]
    assert len(far) < 20  # only the block's own neighbourhood lights up


def test_random_data_is_mostly_not_significant(lattice):
    grids, w = lattice
    values = pd.Series(np.random.default_rng(11).poisson(3.0, len(grids)).astype(float),
                       index=grids["grid_id"])
    table = hotspots.gi_star(values, w, permutations=999, seed=7)
    assert (table["hotspot_class"] != "not_significant").mean() < 0.2
    fdr = hotspots.gi_star(values, w, permutations=999, seed=7, fdr=True)
    assert (fdr["hotspot_class"] != "not_significant").sum() <= (
        table["hotspot_class"] != "not_significant").sum()


def test_classes_match_esda_for_the_same_seed(lattice):
    grids, w = lattice
    values, _ = _planted(grids, np.random.default_rng(5))
    ours = hotspots.gi_star(values, w, permutations=499, seed=42)
    theirs = esda.G_Local(values.to_numpy(), w, transform="B", star=True, permutations=499,
                          seed=42, n_jobs=1)
    assert np.allclose(ours["gi_z"], theirs.Zs) and np.allclose(ours["p_value"], theirs.p_sim)
    expected = np.where(theirs.p_sim <= 0.01, 99, np.where(theirs.p_sim <= 0.05, 95,
                        np.where(theirs.p_sim <= 0.10, 90, 0)))
    for cls, level, z in zip(ours["hotspot_class"], expected, theirs.Zs, strict=True):
        want = "not_significant" if level == 0 else f"{'hot' if z > 0 else 'cold'}_{level}"
        assert cls == want


def test_local_moran_finds_the_block_as_high_high(lattice):
    grids, w = lattice
    values, block = _planted(grids, np.random.default_rng(3))
    table = hotspots.local_moran(values, w, permutations=999, seed=7)
    assert (table.loc[block, "cluster"] == "high_high").mean() >= 0.7


def test_islands_get_a_neighbour():
    boxes = [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(9, 9, 10, 10)]
    grids = gpd.GeoDataFrame({"grid_id": ["a", "b", "island"]}, geometry=boxes, crs=CRS)
    w = hotspots.contiguity(grids)
    assert not w.islands and w.neighbors[2]


def test_open_cases_comes_from_the_per_grid_indicators(lattice):
    grids, _ = lattice
    per_grid = pd.DataFrame({"open_cases": np.arange(len(grids))}, index=grids["grid_id"])
    values = hotspots.indicator("open_cases", grids, per_grid, pd.DataFrame(), pd.DataFrame(),
                                as_of=None)
    assert values.tolist() == list(range(len(grids)))


def test_new_alerts_cluster_like_any_count(lattice):
    grids, _ = lattice
    alerts = np.zeros(len(grids))
    alerts[:5] = 9  # a planted block of grids with many alerts in the last 30 days
    per_grid = pd.DataFrame({"new_alerts": alerts}, index=grids["grid_id"])
    values = hotspots.indicator("new_alerts", grids, per_grid, pd.DataFrame(), pd.DataFrame(),
                                as_of=None)
    assert values.tolist() == alerts.tolist() and "new_alerts" in hotspots.INDICATORS


def test_cli_report_hotspots(small_store, capsys):
    import json
    assert cli.main(["report", "hotspots", "--indicator", "red_orange", "--as-of", "2026-11-20",
                     "--format", "json", "--permutations", "199", "--store",
                     str(small_store.path)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == len(small_store.read("grids"))
    assert set(rows[0]) == {"grid_id", "value", "gi_z", "p_value", "hotspot_class"}
    assert {r["hotspot_class"] for r in rows} <= set(hotspots.GI_CLASSES)
    assert cli.main(["report", "hotspots", "--indicator", "open_cases", "--as-of",
                     "2026-11-20", "--format", "json", "--permutations", "99", "--store",
                     str(small_store.path)]) == 0
    rows = json.loads(capsys.readouterr().out)
    from gridmap.casework import case_state
    from gridmap.policy import Policy
    state = case_state(small_store.read("cases"), Policy(), as_of=date(2026, 11, 20))
    assert sum(r["value"] for r in rows) == state["is_open"].sum() > 0


def test_emerging_finds_a_cluster_that_appears(lattice):
    grids, w = lattice
    rng = np.random.default_rng(9)
    before = pd.Series(rng.poisson(2.0, len(grids)).astype(float), index=grids["grid_id"])
    after, block = _planted(grids, rng)
    table = hotspots.emerging(before, after, w, permutations=499, seed=3)
    assert (table.loc[block, "change"] == "became_hot").mean() >= 0.7
    assert (table.loc[block, "after"].str.startswith("hot")).all()
    assert set(table["change"]) <= set(hotspots.EMERGING_CLASSES)
    same = hotspots.emerging(after, after, w, permutations=499, seed=3)
    assert (same["change"] == "no_rise").all()  # nothing rises against itself


def test_difficulties_between_counts_days_inclusively():
    grids = pd.DataFrame({"grid_id": ["a", "b"]})
    households = pd.DataFrame({"household_id": ["h1", "h2"], "grid_id": ["a", "b"]})
    visits = pd.DataFrame({
        "household_id": ["h1", "h1", "h2", "h2"],
        "visited_at": pd.to_datetime(["2026-10-01 08:00", "2026-10-31 20:00",
                                      "2026-09-30 23:00", "2026-10-15 10:00"]),
        "found_difficulty": [True, True, True, False]})
    from datetime import date
    counts = hotspots.difficulties_between(grids, households, visits, date(2026, 10, 1),
                                           date(2026, 10, 31))
    assert counts.to_dict() == {"a": 2.0, "b": 0.0}


def test_results_on_hexagons_show_no_small_count_or_statistic():
    result = pd.DataFrame({"value": [0.0, 3.0, 12.0], "gi_z": [-0.4, 1.2, 2.9],
                           "p_value": [0.3, 0.1, 0.002],
                           "hotspot_class": ["not_significant", "hot_90", "hot_99"]},
                          index=pd.Index(["h1", "h2", "h3"], name="cell"))
    shown = hotspots.on_hexagons(result, "hotspot_class", 5)
    assert shown.columns.tolist() == ["value", "hotspot_class"]  # z and p give counts back
    assert shown["value"].tolist() == ["0", "<5", "12"]  # text: one type for the table
    assert shown.index.tolist() == ["h1", "h2", "h3"]
