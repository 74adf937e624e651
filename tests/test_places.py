import pytest

from gridmap import places
from gridmap.places import Area


@pytest.fixture
def hierarchy(small_frames):
    return small_frames["areas"], small_frames["grids"]


def test_children_walk_down_the_hierarchy(hierarchy):
    areas, grids = hierarchy
    districts = places.children(areas, grids, None)
    assert list(districts["id"]) == ["321112"] and districts["level"].iloc[0] == "district"
    streets = places.children(areas, grids, Area("district", "321112"))
    assert len(streets) == 3 and set(streets["level"]) == {"street"}
    community = places.children(areas, grids, Area("street", streets["id"].iloc[0]))["id"].iloc[0]
    grid_rows = places.children(areas, grids, Area("community", community))
    assert set(grid_rows["id"]) == set(grids.loc[grids["community_id"] == community, "grid_id"])
    assert places.children(areas, grids, Area("grid", grid_rows["id"].iloc[0])).empty


def test_lineage_and_names(hierarchy):
    areas, grids = hierarchy
    g = grids.iloc[5]
    chain = places.lineage(areas, grids, Area("grid", g["grid_id"]))
    assert [a.level for a in chain] == ["district", "street", "community", "grid"]
    assert chain[2].id == g["community_id"]
    assert places.lineage(areas, grids, Area("community", g["community_id"])) == chain[:3]
    assert places.name_of(areas, grids, chain[0]) == "丹徒区"
    assert places.name_of(areas, grids, chain[3]) == g["name"]
    assert places.lineage(areas, grids, Area("grid", "missing")) == []
