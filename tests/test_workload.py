"""Load and utilisation on hand-made cases (gridmap.workload)."""

from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from gridmap import schema, stages, teams, workload
from gridmap.errors import ValidationError
from gridmap.policy import Policy, policy_from_dict

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
