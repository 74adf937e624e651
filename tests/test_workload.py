"""Load and utilisation on hand-made cases (gridmap.workload)."""

from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from gridmap import schema, stages, teams, workload
from gridmap.errors import ValidationError
from gridmap.places import Area
from gridmap.policy import Policy, policy_from_dict

CHIEF = "gridmap.workload.chief"

AS_OF = date(2026, 11, 20)
POLICY = Policy()  # door 60, phone 15, online 10, volunteer 30; 12 km/h, x1.3; 5 h


def grids_frame():
    return gpd.GeoDataFrame({
        "grid_id": ["G1", "G2"], "name": ["一", "二"], "grid_type": ["urban", "urban"],
        "community_id": ["C1", "C1"], "street_id": ["S1", "S1"], "district_id": ["D1", "D1"],
    }, geometry=[box(119.0, 32.0, 119.02, 32.02), box(119.02, 32.0, 119.04, 32.02)],
        crs=schema.CRS)


def households_frame(grids):
    centre = grids.set_index("grid_id").geometry.representative_point()
    c1, c2 = centre["G1"], centre["G2"]
    points = [Point(c1.x, c1.y), Point(c1.x, c1.y + 0.01), Point(c2.x, c2.y)]
    return gpd.GeoDataFrame({
        "household_id": ["H1", "H2", "H3"], "grid_id": ["G1", "G1", "G2"],
        "tier": ["red", "yellow", "green"]}, geometry=points, crs=schema.CRS)


def visits_frame():
    at = pd.Timestamp("2026-11-01 10:00")
    rows = [("H2", "door", at), ("H2", "phone", at), ("H2", "phone", at),
            ("H2", "online", at),
            ("H3", "door", at - pd.Timedelta(days=200))]  # outside the 180-day window
    return pd.DataFrame(rows, columns=["household_id", "method", "visited_at"])


def cases_frame():
    row, _ = stages.new_case(household_id="H1", source="visit", category="因病",
                             urgency="ordinary", description="x", reported_by="W1",
                             policy=POLICY, reported_at=pd.Timestamp("2026-11-10 09:00"))
    return schema.conform("cases", pd.DataFrame([row]))


def test_household_load_by_hand():
    grids = grids_frame()
    loads = workload.household_load(households_frame(grids), grids, visits_frame(),
                                    cases_frame(), POLICY, as_of=AS_OF).set_index("household_id")
    # H1: red, never visited -> door 60 min, at its grid's centre (no travel), 1 open case.
    assert loads.at["H1", "visits_per_month"] == pytest.approx(30 / 7)
    assert loads.at["H1", "travel_minutes"] == pytest.approx(0, abs=1e-9)
    assert loads.at["H1", "load_minutes"] == pytest.approx(30 / 7 * 60 + 120)
    # H2: yellow (1 a month); mix door 1/4, phone 2/4, online 1/4 -> 15 + 7.5 + 2.5 = 25;
    # 0.01 degree north of the centre = 1.112 km, round trip x1.3 at 12 km/h = 14.456 min,
    # for the in-person quarter.
    travel = 2 * 1.112 * 1.3 / 12 * 60
    assert loads.at["H2", "minutes_per_visit"] == pytest.approx(25)
    assert loads.at["H2", "travel_minutes"] == pytest.approx(travel, rel=1e-3)
    assert loads.at["H2", "load_minutes"] == pytest.approx(25 + travel / 4, rel=1e-3)
    # H3: green (1/3 a month); its only visit is older than the window -> door.
    assert loads.at["H3", "load_minutes"] == pytest.approx(60 / 3)


def test_responsible_helper_wins_latest_first():
    grids = grids_frame()
    households = households_frame(grids)
    assignments = pd.DataFrame({"worker_id": ["W1", "W2", "P1"], "grid_id": ["G1", "G2", "G1"],
                                "role": ["primary", "primary", "backup"]})
    helpers = pd.DataFrame({"household_id": ["H2", "H2"], "worker_id": ["V1", "P1"],
                            "since": pd.to_datetime(["2025-01-01", "2026-03-01"])})
    who = teams.responsible(households, assignments, helpers)
    assert who.to_dict() == {"H1": "W1", "H2": "P1", "H3": "W2"}


def test_worker_table_and_summary():
    grids = grids_frame()
    households = households_frame(grids)
    assignments = pd.DataFrame({"worker_id": ["W1", "W2", "P1"], "grid_id": ["G1", "G2", "G1"],
                                "role": ["primary", "primary", "backup"]})
    helpers = pd.DataFrame({"household_id": ["H2"], "worker_id": ["P1"],
                            "since": pd.to_datetime(["2026-03-01"])})
    workers = pd.DataFrame({"worker_id": ["W1", "W2", "P1", "V9"], "name": list("甲乙丙丁"),
                            "kind": ["full_time", "full_time", "part_time", "volunteer"],
                            "capacity": [1.0, 1.0, 0.5, 0.5], "chief_id": [None, "W1", "W1",
                                                                            "W1"]})
    loads = pd.DataFrame({"household_id": ["H1", "H2", "H3"], "visits_per_month": [4, 1, 1],
                          "load_minutes": [330.0, 60.0, 15.0]})
    table = workload.worker_table(workers, assignments, helpers, households, loads, grids,
                                  POLICY).set_index("worker_id")
    assert table["households"].to_dict() == {"W1": 1, "W2": 1, "P1": 1, "V9": 0}
    assert table.at["W1", "utilisation"] == pytest.approx(330 / 300)
    assert table.at["P1", "utilisation"] == pytest.approx(60 / 150)
    assert table.at["W2", "utilisation"] == pytest.approx(15 / 300)
    assert table["status"].to_dict() == {"W1": "overloaded", "W2": "idle", "P1": "ok",
                                         "V9": "idle"}
    assert table.at["P1", "home_grid_id"] == "G1" and pd.isna(table.at["V9", "home_grid_id"])
    summary = workload.summary(table.reset_index(), POLICY, level="community").iloc[0]
    u = np.array([1.1, 0.05, 0.4])
    assert summary["workers"] == 3  # V9 has no home grid
    assert summary["max"] == pytest.approx(1.1)
    assert summary["cv"] == pytest.approx(u.std() / u.mean())
    assert summary["max_over_mean"] == pytest.approx(1.1 / u.mean())
    assert (summary["overloaded"], summary["idle"]) == (1, 1)


@pytest.mark.parametrize("raw, key", [
    ({"minutes_per_visit": {"door": 60}}, "workload.minutes_per_visit"),
    ({"travel_kmh": 0}, "workload.travel_kmh"),
    ({"road_factor": 0.5}, "workload.road_factor"),
    ({"idle_below": 1.5}, "workload.idle_below"),
    ({"hours_per_month": "ten"}, "workload.hours_per_month"),
])
def test_policy_refuses_bad_workload(raw, key):
    with pytest.raises(ValidationError) as err:
        policy_from_dict({"workload": raw}, source="policy.toml")
    assert err.value.column == key


def test_totals_are_the_summary_of_one_area():
    table = pd.DataFrame({"utilisation": [0.05, 0.5, 1.5], "status": ["idle", "ok",
                                                                        "overloaded"],
                          "district_id": ["D", "D", "D"]})
    whole = workload.totals(table)
    one = workload.summary(table, Policy(), level="district").iloc[0]
    for key in ("workers", "mean", "max", "cv", "overloaded", "idle"):
        assert whole[key] == pytest.approx(one[key]), key
    assert pd.isna(workload.totals(table.iloc[:0])["cv"])


def test_a_teams_area_is_the_smallest_area_holding_its_grids():
    grids = grids_frame()
    assert teams.team_area(grids) == Area("community", "C1")
    two = grids.assign(community_id=["C1", "C2"])
    assert teams.team_area(two) == Area("street", "S1")
    apart = grids.assign(community_id=["C1", "C2"], street_id=["S1", "S2"],
                         district_id=["D1", "D2"])
    assert teams.team_area(apart) is None and teams.team_area(grids.iloc[:0]) is None


def test_tables_read_by_name_the_most_loaded_first():
    table = pd.DataFrame({
        "worker_id": ["W1", "W2", "W3", "W4"], "name": ["王志", "李国", "王志", "赵六"],
        "kind": ["full_time", "full_time", "volunteer", "part_time"],
        "capacity": [1.0, 1.0, 0.3, 0.5], "chief_id": [None, "W1", "W1", None],
        "grids": [2, 1, 0, 0], "households": [9, 4, 3, 0],
        "visits_per_month": [12.34, 4.0, 3.0, 0.0],
        "load_minutes": [240.0, 120.0, 200.0, 0.0], "utilisation": [0.8, 0.4, 2.2, 0.0],
        "status": ["ok", "ok", "overloaded", "idle"]})
    rows = workload.load_table(table)
    assert list(rows["worker_id"]) == ["W3", "W1", "W2", "W4"]  # highest load first
    assert list(rows["name"]) == ["王志", "王志 (2)", "李国", "赵六"]  # told apart, no ids
    assert list(rows["utilisation"]) == [220, 80, 40, 0]
    assert rows.at[1, "load_hours"] == 4.0 and rows.at[1, "visits_per_month"] == 12.3
    assert list(workload.chiefs(table)["worker_id"]) == ["W1"]  # W4 holds no grid
    assert set(workload.team(table, "W1")["worker_id"]) == {"W1", "W2", "W3"}


def _chief_app(small_store, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.test_access import principal_of
    from tests.test_app import APP, as_user
    monkeypatch.setenv("GRIDMAP_STORE", str(small_store.path))
    p = principal_of(small_store, "chief")
    at = as_user(AppTest.from_file(str(APP), default_timeout=60), "chief",
                 worker_id=p.worker_id)
    return at, p


def test_a_chief_lands_on_their_team_and_accepts_as_themselves(small_store, monkeypatch):
    at, p = _chief_app(small_store, monkeypatch)
    at.run()  # "/": the chief's first page
    assert not at.exception
    assert at.title[0].value == "网格员工作量与调配"
    workers = small_store.read("workers").set_index("worker_id")
    team = workers.index[(workers.index == p.worker_id) | (workers["chief_id"] == p.worker_id)]
    captions = " ".join(c.value for c in at.caption)
    assert f"{workers.at[p.worker_id, 'name']}的团队（{len(team)} 人）" in captions
    assert "全市" not in captions and CHIEF not in [s.key for s in at.selectbox]  # no picking
    shown = at.dataframe[0].value
    assert "worker_id" not in shown.columns and "人员编号" not in shown.columns
    assert list(shown["负荷率 %"]) == sorted(shown["负荷率 %"], reverse=True)
    next(b for b in at.button if b.label == "生成调配方案").click().run()  # one click
    assert not at.exception
    assert at.query_params["view"] in ("rebalance", ["rebalance"])
    assert any(s.value.startswith("减负：") for s in at.success)
    assert not at.text_input  # the logged-in account signs
    moves = int(next(m.value for m in at.metric if m.label == "调整"))
    next(b for b in at.button if b.label == "确认并写入").click().run()
    assert not at.exception
    log = small_store.read("reassignments")
    assert len(log) == moves and set(log["accepted_by"]) == {"chief"}
    audit = small_store.read("audit").query("action == 'reassign'")
    assert list(audit["username"]) == ["chief"]


def test_a_chief_with_no_team_is_told_why_and_what_to_do(small_store, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.test_app import APP, as_user
    monkeypatch.setenv("GRIDMAP_STORE", str(small_store.path))
    at = as_user(AppTest.from_file(str(APP), default_timeout=60), "chief", worker_id="W0")
    at.run()
    assert not at.exception
    assert any("没有关联的团队" in i.value for i in at.info)
