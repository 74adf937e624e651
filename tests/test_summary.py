from datetime import date

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmap import schema
from gridmap.summary import counts, overview


def _frames():
    grids = pd.DataFrame({"grid_type": ["urban", "urban", "dedicated"]})
    households = pd.DataFrame({"household_id": ["a", "b", "c", "d"],
                               "tier": ["red", "green", "green", "yellow"]})
    workers = pd.DataFrame({"kind": ["full_time", "volunteer"]})
    visits = pd.DataFrame({
        "household_id": ["a", "a", "b", "c"],
        "visited_at": pd.to_datetime(["2026-11-20 17:00", "2026-10-22 08:00",
                                      "2026-10-21 23:59", "2026-11-21 09:00"]),
    })
    return grids, households, workers, visits


def test_overview_counts_known_values():
    ov = overview(*_frames(), as_of=date(2026, 11, 20))
    assert ov.grids_by_type.to_dict() == {"urban": 2, "rural": 0, "dedicated": 1}
    assert ov.households_by_tier.to_dict() == {"red": 1, "orange": 0, "yellow": 1, "green": 2}
    assert ov.workers_by_kind.to_dict() == {"full_time": 1, "part_time": 0, "volunteer": 1}
    # 30 days ending 2026-11-20 are 10-22 .. 11-20: 10-21 is out, 11-21 is in the future.
    assert ov.visits_last_30_days == 2
    assert ov.households_visited_last_30_days == 1


def test_counts_keep_schema_order_and_zeros():
    assert list(counts(pd.Series(["green"]), schema.TIERS).items()) == [
        ("red", 0), ("orange", 0), ("yellow", 0), ("green", 1)]


@settings(max_examples=40)
@given(st.lists(st.tuples(st.sampled_from(["d1", "d2", "d3"]), st.sampled_from(schema.TIERS)),
                max_size=60))
def test_district_counts_sum_to_the_city(rows):
    households = pd.DataFrame(rows, columns=["district", "tier"]).assign(
        household_id=lambda f: [str(i) for i in range(len(f))])
    empty_v = pd.DataFrame({"household_id": [], "visited_at": pd.to_datetime([])})
    grids = pd.DataFrame({"grid_type": []})
    workers = pd.DataFrame({"kind": []})
    whole = overview(grids, households, workers, empty_v, as_of=date(2026, 1, 1))
    parts = sum(overview(grids, h, workers, empty_v, as_of=date(2026, 1, 1)).households_by_tier
                for _, h in households.groupby("district"))
    assert (whole.households_by_tier == (parts if len(households) else 0)).all()


def test_demo_streets_sum_to_their_district(city_frames):
    hh = city_frames["households"].merge(city_frames["grids"][["grid_id", "street_id",
                                                               "district_id"]])
    for _district, rows in hh.groupby("district_id"):
        by_street = rows.groupby("street_id")["tier"].value_counts().groupby("tier").sum()
        assert by_street.to_dict() == rows["tier"].value_counts().to_dict()
