"""Rebalancing: known optima on small instances, contiguity, atomic acceptance, CLI."""

import json
from datetime import date

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from gridmap import cli, rebalance, schema
from gridmap.errors import StoreError, ValidationError
from gridmap.policy import Policy
from gridmap.rebalance import Scope
from gridmap.store import open_store

from .conftest import fingerprint

AS_OF = date(2026, 11, 20)
POLICY = Policy()  # a full-time month = 5 h = 300 minutes


def row_of_grids(n: int) -> gpd.GeoDataFrame:
    """``n`` square grids in a row, each touching the next by an edge."""
    return gpd.GeoDataFrame({
        "grid_id": [f"G{i}" for i in range(1, n + 1)], "community_id": "C1",
        "street_id": "S1", "district_id": "D1"},
        geometry=[box(119 + 0.01 * i, 32, 119 + 0.01 * (i + 1), 32.01) for i in range(n)],
        crs=schema.CRS)


def instance(grids, holders: dict, loads: dict, *, backups=(), workers=None, helpers=None):
    """Households named after their load's key, each in the grid given by ``loads``."""
    hh = pd.DataFrame({"household_id": list(loads), "grid_id": [g for g, _ in loads.values()]})
    assignments = pd.DataFrame(
        [(w, g, "primary") for g, w in holders.items()] + [(w, g, "backup") for w, g in backups],
        columns=["worker_id", "grid_id", "role"])
    if workers is None:
        ids = sorted(set(holders.values()) | {w for w, _ in backups})
        workers = pd.DataFrame({"worker_id": ids, "name": ids,
                                "kind": ["full_time" if w.startswith("W") else "part_time"
                                         for w in ids],
                                "capacity": [1.0 if w.startswith("W") else 0.5 for w in ids],
                                "chief_id": None})
    helpers = helpers if helpers is not None else pd.DataFrame(
        columns=["household_id", "worker_id", "since"])
    return rebalance.build_instance(
        Scope("community", "C1"), grids=grids, households=hh, workers=workers,
        assignments=assignments, helpers=helpers,
        loads=pd.Series({h: load for h, (_, load) in loads.items()}), policy=POLICY)


def test_one_grid_move_reaches_the_optimum():
    grids = row_of_grids(4)
    inst = instance(grids, {"G1": "W1", "G2": "W1", "G3": "W1", "G4": "W2"},
                    {"H1": ("G1", 100), "H2": ("G2", 100), "H3": ("G3", 100)})
    assert inst.lower_bound == pytest.approx(300 / 600)
    p = rebalance.solve(inst)
    assert p.status == "optimal"
    assert p.max_utilisation("before") == pytest.approx(1.0)
    assert p.max_utilisation() == pytest.approx(200 / 300)  # indivisible: not the bound 0.5
    assert p.moves.to_dict(orient="records") == [
        {"kind": "grid", "id": "G3", "from": "W1", "to": "W2"}]
    assert p.worker_of["H3"] == "W2"  # the household went with its grid, not counted


def test_territories_stay_contiguous_even_when_a_split_would_balance_better():
    grids = row_of_grids(5)
    # Without contiguity W2 would take G2 and G4 (130 each); connected from its root G5
    # the best is W2 = G2..G5 (160) and W1 = G1 (100).
    inst = instance(grids, {"G1": "W1", "G2": "W1", "G3": "W1", "G4": "W1", "G5": "W2"},
                    {"H1": ("G1", 100), "H2": ("G2", 100), "H3": ("G3", 30),
                     "H4": ("G4", 30)})
    p = rebalance.solve(inst)
    assert p.max_utilisation() == pytest.approx(160 / 300)
    assert p.after.at["W1", "grids"] == ("G1",)
    assert p.after.at["W2", "grids"] == ("G2", "G3", "G4", "G5")


def test_household_moves_to_a_backup_fewest_moves():
    grids = row_of_grids(1)
    inst = instance(grids, {"G1": "W1"}, {"H1": ("G1", 150), "H2": ("G1", 90),
                                          "H3": ("G1", 60)}, backups=[("P1", "G1")])
    # W1 300 min, P1 150 min: P1 taking H2 gives 210/300 and 90/150 -> 0.7, the best.
    p = rebalance.solve(inst)
    assert p.max_utilisation() == pytest.approx(0.7)
    assert p.moves.to_dict(orient="records") == [
        {"kind": "household", "id": "H2", "from": "W1", "to": "P1"}]
    assert p.after.loc["P1", "households"] == ("H2",)


def test_max_moves_zero_changes_nothing_and_limits_are_kept():
    grids = row_of_grids(4)
    inst = instance(grids, {"G1": "W1", "G2": "W1", "G3": "W1", "G4": "W2"},
                    {"H1": ("G1", 100), "H2": ("G2", 100), "H3": ("G3", 100)})
    p = rebalance.solve(inst, max_moves=0)
    assert p.moves.empty
    assert p.max_utilisation() == pytest.approx(p.max_utilisation("before"))
    doc = p.to_json()
    assert set(doc) >= {"scope", "lower_bound", "seconds", "before", "after", "moves"}
    assert doc["before"]["workers"][0] == {"worker_id": "W1", "utilisation": 1.0,
                                           "grids": ["G1", "G2", "G3"],
                                           "households": ["H1", "H2", "H3"]}


def test_scope_parsing():
    assert str(Scope.parse("street:321102001")) == "street:321102001"
    with pytest.raises(ValidationError):
        Scope.parse("district:3211")


def _connected(grid_ids, geometry) -> bool:
    """Rook-connected, checked with shapely (not the solver's own edges)."""
    ids = list(grid_ids)
    seen, todo = {ids[0]}, [ids[0]]
    while todo:
        here = todo.pop()
        for other in ids:
            if other not in seen and shapely.intersection(
                    geometry[here], geometry[other]).length > 0:
                seen.add(other)
                todo.append(other)
    return len(seen) == len(ids)


def test_demo_streets_balance_with_contiguous_territories(small_store):
    geometry = small_store.read("grids").set_index("grid_id").geometry
    streets = small_store.read("grids")["street_id"].unique()
    for street in streets:
        inst = rebalance.instance_from_store(small_store, Scope("street", street), POLICY,
                                             as_of=AS_OF)
        p = rebalance.solve(inst, time_limit=10)
        assert p.max_utilisation() <= p.max_utilisation("before") + 1e-9
        assert p.max_utilisation() >= p.lower_bound - 1e-9
        for worker, grids in p.after["grids"].items():
            if grids:
                assert _connected(grids, geometry), (street, worker, grids)
        # Every grid has exactly one primary worker; every household one worker.
        assert sorted(p.holder) == sorted(inst.grids["grid_id"])
        assert sorted(p.worker_of) == sorted(inst.households["household_id"])


def test_accept_writes_and_a_stale_proposal_writes_nothing(any_store):
    street = any_store.read("grids")["street_id"].iloc[0]
    scope = Scope("street", street)
    p = rebalance.solve(rebalance.instance_from_store(any_store, scope, POLICY, as_of=AS_OF))
    assert len(p.moves) > 0
    stale = p.moves.copy()
    stale.loc[stale.index[-1], "from"] = "W-nobody"
    before = fingerprint(any_store)
    with pytest.raises(StoreError, match="changed since the proposal"):
        any_store.reassign(stale, scope=str(scope), accepted_by="网格长")
    assert fingerprint(any_store) == before

    assert any_store.reassign(p.moves, scope=str(scope), accepted_by="网格长",
                                accepted_at=pd.Timestamp("2026-11-21 09:00")) == len(p.moves)
    log = any_store.read("reassignments")
    assert len(log) == len(p.moves) and set(log["accepted_by"]) == {"网格长"}
    again = rebalance.solve(rebalance.instance_from_store(any_store, scope, POLICY,
                                                          as_of=AS_OF), max_moves=0)
    assert again.max_utilisation("before") == pytest.approx(p.max_utilisation())
    def held(table, column):  # a helper left with nobody is out of the scope now
        return {w: v for w, v in table[column].items() if v}
    for column in ("grids", "households"):
        assert held(again.before, column) == held(p.after, column)
    with pytest.raises(StoreError):  # the same proposal again is now stale
        any_store.reassign(p.moves, scope=str(scope), accepted_by="网格长")


def test_cli_rebalance_json_and_apply(small_store, capsys):
    street = small_store.read("grids")["street_id"].iloc[0]
    args = ["rebalance", "--scope", f"street:{street}", "--as-of", "2026-11-20",
            "--store", str(small_store.path)]
    before = small_store.path.read_bytes()
    assert cli.main(args) == 0
    doc = json.loads(capsys.readouterr().out)
    assert small_store.path.read_bytes() == before  # nothing without --apply
    assert doc["scope"] == f"street:{street}"
    assert doc["after"]["max_utilisation"] <= doc["before"]["max_utilisation"]
    assert {"worker_id", "utilisation", "grids", "households"} <= set(
        doc["after"]["workers"][0])
    assert cli.main([*args, "--apply", "--by", "chief"]) == 0
    capsys.readouterr()
    assert len(open_store(small_store.path).read("reassignments")) == len(doc["moves"])
    assert cli.main(["rebalance", "--scope", "street:nope", "--store",
                     str(small_store.path)]) == 2


def test_cli_report_workload(small_store, capsys):
    assert cli.main(["report", "workload", "--as-of", "2026-11-20", "--store",
                     str(small_store.path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == ("worker_id,name,kind,capacity,households,visits_per_month,"
                        "load_minutes,utilisation")
    assert len(lines) - 1 == len(small_store.read("workers"))
    assert cli.main(["report", "workload", "--level", "street", "--format", "json",
                     "--as-of", "2026-11-20", "--store", str(small_store.path)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {"area_id", "workers", "max", "cv", "overloaded", "idle"} <= set(rows[0])


def test_rook_edges_only_between_grids_sharing_an_edge():
    grids = row_of_grids(3)
    grids.loc[2, "geometry"] = box(119.02, 32.01, 119.03, 32.02)  # touches G2 at a corner only
    inst = instance(grids, {"G1": "W1", "G2": "W2", "G3": "W3"}, {"H1": ("G1", 10)})
    assert inst.edges == [(0, 1), (1, 0)]


def test_changes_name_the_relieved_and_moves_read_by_name():
    grids = row_of_grids(4)
    # W1 carries 360 of 300 minutes (120 %): the grid G3 goes to W2, who had 0.
    inst = instance(grids, {"G1": "W1", "G2": "W1", "G3": "W1", "G4": "W2"},
                    {"H1": ("G1", 120), "H2": ("G2", 120), "H3": ("G3", 120)})
    p = rebalance.solve(inst)
    changes = rebalance.worker_changes(p, POLICY.workload.overloaded_above)
    assert list(changes.index) == ["W1", "W2"]  # the most loaded before first
    assert changes.at["W1", "before"] == pytest.approx(1.2)
    assert changes.at["W1", "after"] == pytest.approx(0.8)
    assert (changes.at["W1", "gave"], changes.at["W2", "got"]) == (1, 1)
    assert changes["relieved"].to_dict() == {"W1": True, "W2": False}
    moved = rebalance.named_moves(p, changes, pd.Series({"H1": "甲户"}),
                                  pd.Series({"G3": "三网格"}))
    assert moved.to_dict(orient="records") == [
        {"kind": "grid", "item": "三网格", "from_worker": "W1", "to_worker": "W2",
         "id": "G3"}]


def test_named_moves_tell_namesakes_apart_and_list_the_most_loaded_first():
    grids = row_of_grids(1)
    workers = pd.DataFrame({"worker_id": ["W1", "P1", "P2"], "name": ["王志", "王志", "李国"],
                            "kind": ["full_time", "part_time", "part_time"],
                            "capacity": [1.0, 0.5, 0.5], "chief_id": None})
    inst = instance(grids, {"G1": "W1"}, {"H1": ("G1", 200), "H2": ("G1", 90),
                                          "H3": ("G1", 90)},
                    backups=[("P1", "G1"), ("P2", "G1")], workers=workers)
    p = rebalance.solve(inst)
    changes = rebalance.worker_changes(p, POLICY.workload.overloaded_above)
    assert changes.at["W1", "name"] == "王志" and changes.at["P1", "name"] == "王志 (2)"
    moved = rebalance.named_moves(p, changes, pd.Series({"H1": "甲", "H2": "乙", "H3": "丙"}),
                                  pd.Series(dtype=object))
    assert len(moved) == len(p.moves) > 0
    assert set(moved["from_worker"]) == {"王志"} and set(moved["kind"]) == {"household"}
    assert not moved["item"].str.startswith("H").any()  # aliases, not ids
