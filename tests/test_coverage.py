from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmap import schema
from gridmap.coverage import coverage_by, household_status
from gridmap.policy import Policy

P = Policy()  # red 7, orange 14, yellow 30, green 90 days


def _hh(*rows):
    return pd.DataFrame(rows, columns=["household_id", "tier", "tier_since"]).assign(
        tier_since=lambda f: pd.to_datetime(f["tier_since"]))


def _visits(*rows):
    return pd.DataFrame(rows, columns=["household_id", "visited_at", "method"]).assign(
        visited_at=lambda f: pd.to_datetime(f["visited_at"]))


def test_a_visit_exactly_on_the_due_date_is_not_overdue():
    hh = _hh(("a", "red", "2026-01-01"))
    v = _visits(("a", "2026-11-01 15:30", "door"))
    on_due = household_status(hh, v, P, as_of=date(2026, 11, 8)).iloc[0]
    assert on_due["due"] == pd.Timestamp("2026-11-08") and not on_due["overdue"]
    assert on_due["days_overdue"] == 0 and on_due["days_until_due"] == 0
    after = household_status(hh, v, P, as_of=date(2026, 11, 9)).iloc[0]
    assert after["overdue"] and after["days_overdue"] == 1


def test_no_visits_counts_from_tier_since():
    row = household_status(_hh(("a", "yellow", "2026-10-01")), _visits(), P,
                           as_of=date(2026, 11, 20)).iloc[0]
    assert pd.isna(row["last_visit"]) and row["due"] == pd.Timestamp("2026-10-31")
    assert row["overdue"] and row["days_overdue"] == 20


def test_a_tier_change_between_visits_uses_the_new_interval():
    # Visited as green on 10-01 (would be due 12-30); upgraded to red on 10-20:
    # due is now 10-01 + 7 days, so on 10-21 it is 13 days overdue.
    hh = _hh(("a", "red", "2026-10-20"))
    v = _visits(("a", "2026-10-01 09:00", "phone"))
    row = household_status(hh, v, P, as_of=date(2026, 10, 21)).iloc[0]
    assert row["due"] == pd.Timestamp("2026-10-08") and row["days_overdue"] == 13


def test_only_counted_methods_and_visits_up_to_the_day_count():
    hh = _hh(("a", "orange", "2026-01-01"))
    v = _visits(("a", "2026-11-01 10:00", "door"), ("a", "2026-11-10 10:00", "online"),
                ("a", "2026-11-25 10:00", "door"))
    door_only = Policy(counted_methods=("door",))
    row = household_status(hh, v, door_only, as_of=date(2026, 11, 20)).iloc[0]
    assert row["last_visit"] == pd.Timestamp("2026-11-01 10:00")  # online skipped, 11-25 future
    assert row["due"] == pd.Timestamp("2026-11-15") and row["overdue"]
    row = household_status(hh, v, P, as_of=date(2026, 11, 20)).iloc[0]
    assert row["last_method"] == "online" and not row["overdue"]


def test_coverage_overall_and_per_tier():
    hh = _hh(("a", "red", "2026-11-19"), ("b", "red", "2026-01-01"),
             ("c", "green", "2026-01-01"), ("d", "green", "2026-11-01"))
    status = household_status(hh, _visits(), P, as_of=date(2026, 11, 20))
    out = coverage_by(status, ["x", "x", "x", "y"])
    assert out.loc["x", "households"] == 3 and out.loc["x", "covered"] == 1
    assert out.loc["x", "coverage_pct"] == pytest.approx(100 / 3)
    assert out.loc["x", "coverage_pct_red"] == 50.0 and out.loc["x", "coverage_pct_green"] == 0
    assert out.loc["y", "coverage_pct"] == 100.0 and np.isnan(out.loc["y", "coverage_pct_red"])


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["s1", "s2"]), st.sampled_from(["c1", "c2", "c3"]),
                          st.sampled_from(schema.TIERS), st.integers(0, 200)),
                min_size=1, max_size=40))
def test_children_sum_to_the_parent(rows):
    hh = pd.DataFrame({"household_id": [str(i) for i in range(len(rows))],
                       "tier": [r[2] for r in rows],
                       "tier_since": pd.Timestamp("2026-11-20") - pd.to_timedelta(
                           [r[3] for r in rows], "D")})
    status = household_status(hh, _visits(), P, as_of=date(2026, 11, 20))
    street = coverage_by(status, [r[0] for r in rows])
    community = coverage_by(status, [r[0] + r[1] for r in rows])
    summed = community.groupby(community.index.str[:2]).sum()
    for col in ["households", "covered", "overdue"] + [f"covered_{t}" for t in schema.TIERS]:
        assert (summed[col] == street[col]).all()


def test_city_coverage_is_believable(city_frames):
    status = household_status(city_frames["households"], city_frames["visits"], P,
                              as_of=date(2026, 11, 20))
    share = 1 - status["overdue"].mean()
    assert 0.5 < share < 0.9  # mostly covered, with real gaps


def test_in_person_rule_makes_a_phone_only_red_household_due():
    from types import MappingProxyType
    strict = Policy(in_person_days=MappingProxyType({"red": 30}))
    hh = _hh(("a", "red", "2026-01-01"), ("b", "orange", "2026-01-01"))
    v = _visits(("a", "2026-10-01 09:00", "door"), ("a", "2026-11-18 09:00", "phone"),
                ("b", "2026-11-18 09:00", "phone"))
    rows = household_status(hh, v, strict, as_of=date(2026, 11, 20)).set_index("household_id")
    # Phone on 11-18 would make it due 11-25, but the last door visit was 10-01: due 10-31.
    assert rows.loc["a", "due"] == pd.Timestamp("2026-10-31") and rows.loc["a", "overdue"]
    assert rows.loc["b", "due"] == pd.Timestamp("2026-12-02")  # orange: no in-person rule


def test_overdue_list_is_most_urgent_first():
    from gridmap.coverage import overdue_list
    hh = _hh(("g", "green", "2026-01-01"), ("r1", "red", "2026-11-01"),
             ("r2", "red", "2026-10-01"), ("y", "yellow", "2026-11-19")).assign(
        alias=["G", "R1", "R2", "Y"], grid_id="X")
    status = household_status(hh, _visits(), P, as_of=date(2026, 11, 20))
    workers = pd.DataFrame({"worker_id": ["w"] * 4, "worker": ["网格员"] * 4})
    rows = overdue_list(hh, status, pd.Series({"X": "一网格"}), workers)
    assert list(rows["alias"]) == ["R2", "R1", "G"]  # Y is not overdue
    assert list(rows["days_overdue"]) == [43, 12, 233]
    assert set(rows["grid"]) == {"一网格"}


def test_weekly_trend_known_values():
    from gridmap.coverage import weekly_trend
    hh = _hh(("a", "red", "2026-01-01"), ("b", "red", "2026-01-01"))
    v = _visits(("a", "2026-07-01 10:00", "door"), ("a", "2026-11-16 10:00", "door"),
                ("b", "2026-11-01 10:00", "door"))
    trend = weekly_trend(hh, v, P, as_of=date(2026, 11, 20), weeks=3)
    red = trend[trend["tier"] == "red"].set_index("week_end")["covered"]
    # 11-06: a last seen 07-01 (late), b 11-01 (due 11-08): 1 covered.
    # 11-13: a late, b due 11-08 (late): 0.   11-20: a 11-16 (due 11-23): 1.
    assert red.to_dict() == {pd.Timestamp("2026-11-06"): 1, pd.Timestamp("2026-11-13"): 0,
                             pd.Timestamp("2026-11-20"): 1}
    assert (trend.loc[trend["tier"] == "all", "households"] == 2).all()


def test_never_visited_and_tier_flows():
    from gridmap.coverage import never_visited, tier_flows
    hh = _hh(("a", "red", "2026-01-01"), ("b", "green", "2026-01-01"))
    status = household_status(hh, _visits(("a", "2026-11-01 10:00", "door")), P,
                              as_of=date(2026, 11, 20))
    assert never_visited(hh, status).to_dict() == {"red": 0, "orange": 0, "yellow": 0,
                                                   "green": 1}
    changes = pd.DataFrame({
        "changed_at": pd.to_datetime(["2026-09-01 10:00", "2026-10-05 10:00",
                                      "2026-10-06 10:00", "2026-11-21 10:00"]),
        "from_tier": ["orange", "orange", "green", "orange"],
        "to_tier": ["red", "red", "red", "yellow"]})
    flows = tier_flows(changes, date(2026, 10, 1), date(2026, 11, 20))
    assert flows.loc["orange", "red"] == 1 and flows.loc["green", "red"] == 1
    assert flows.to_numpy().sum() == 2 and list(flows.index) == list(schema.TIERS)


def test_warning_levels_from_health_family_and_recent_difficulties():
    from gridmap.coverage import warning_levels
    hh = _hh(("a", "red", "2026-01-01"), ("b", "green", "2026-01-01"),
             ("c", "yellow", "2026-01-01"), ("d", "green", "2026-01-01")).assign(
        categories=["重病重残;独居老人", "低保", "孤儿", "低保"])
    v = _visits(("a", "2026-11-01 10:00", "door"), ("c", "2026-10-01 10:00", "door"),
                ("d", "2026-05-01 10:00", "door")).assign(found_difficulty=[True, True, True])
    levels = warning_levels(hh, v, P, as_of=date(2026, 11, 20))
    # a: health 2 + family 1 + 1 recent = 4 -> level 3; b: 0 -> 0;
    # c: family 1 + recent 1 = 2 -> level 1; d: the difficulty is older than 90 days -> 0.
    assert list(levels) == [3, 0, 1, 0]


def test_the_overdue_list_names_the_same_responsible_worker_as_the_workload():
    from gridmap.teams import responsible_workers
    households = pd.DataFrame({"household_id": ["H1", "H2"], "grid_id": ["G", "G"]})
    assignments = pd.DataFrame({"worker_id": ["W", "B"], "grid_id": ["G", "G"],
                                "role": ["primary", "backup"]})
    helpers = pd.DataFrame({"household_id": ["H2"], "worker_id": ["V"],
                            "since": pd.to_datetime(["2026-01-01"])})
    workers = pd.DataFrame({"worker_id": ["W", "B", "V"], "name": ["网格员", "后备", "志愿者"]})
    rows = responsible_workers(households, assignments, helpers, workers)
    assert rows.to_dict("list") == {"worker_id": ["W", "V"], "worker": ["网格员", "志愿者"]}


def test_the_due_list_puts_overdue_first_then_today_this_week_and_later():
    from gridmap.coverage import due_list
    hh = _hh(("green_late", "green", "2026-01-01"), ("red_late", "red", "2026-01-01"),
             ("later", "green", "2026-01-01"), ("today", "orange", "2026-01-01"),
             ("week", "yellow", "2026-01-01"), ("never", "yellow", "2026-10-15"),
             ("red_week", "red", "2026-01-01")).assign(alias=lambda f: "户" + f["household_id"])
    v = _visits(("green_late", "2026-08-01 10:00", "phone"),  # due 10-30: 21 days late
                ("red_late", "2026-11-10 09:00", "door"),      # due 11-17: 3 days late
                ("later", "2026-11-19 10:00", "door"),         # due 2027-02-17
                ("today", "2026-11-06 10:00", "door"),         # due 11-20: today
                ("week", "2026-10-25 10:00", "door"),          # due 11-24: in 4 days
                ("red_week", "2026-11-17 10:00", "door"))      # due 11-24 too
    status = household_status(hh, v, P, as_of=date(2026, 11, 20))
    rows = due_list(hh, status)
    assert rows["household_id"].tolist() == [
        "green_late", "never", "red_late", "today", "red_week", "week", "later"]
    assert rows["group"].tolist() == ["overdue"] * 3 + ["today", "week", "week", "later"]
    assert rows["days_overdue"].tolist()[:3] == [21, 6, 3]  # never visited: since 10-15
    assert rows.set_index("household_id").loc["week", "days_until_due"] == 4
    assert pd.isna(rows.set_index("household_id").loc["never", "last_visit"])  # from tier_since
    assert rows["alias"].iloc[0] == "户green_late"
    # A shorter "this week" moves households due in 4 days to later.
    assert due_list(hh, status, soon_days=3)["group"].tolist()[4:6] == ["later", "later"]


# -- after a write: only the visited households again (issue 23) ------------------------

@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 399), st.integers(-5, 400),
                          st.sampled_from(schema.VISIT_METHODS)), min_size=1, max_size=8))
def test_status_and_trend_from_the_visited_households_equal_a_full_recomputation(
        small_frames, writes):
    """New visits (any household, any day, future ones too, several of one household):
    ``update_status`` and ``update_trend`` from the visited households alone equal
    ``household_status`` and ``weekly_trend`` of all the data."""
    from datetime import datetime, timedelta

    from gridmap.coverage import update_status, update_trend, weekly_trend
    from gridmap.policy import load_policy
    policy, as_of = load_policy(), date(2026, 11, 20)
    households, visits = small_frames["households"], small_frames["visits"]
    ids = households["household_id"].to_numpy()
    added = schema.conform("visits", pd.DataFrame({
        "visit_id": [f"VNEW{i:06d}" for i in range(len(writes))],
        "household_id": [ids[h % len(ids)] for h, _, _ in writes],
        "worker_id": visits["worker_id"].iloc[0],
        "visited_at": [datetime(2026, 11, 20, 10) - timedelta(days=d) for _, d, _ in writes],
        "method": [m for _, _, m in writes], "note": None, "found_difficulty": False,
    }), columns=list(visits.columns))
    after = pd.concat([visits, added], ignore_index=True)
    status = household_status(households, visits, policy, as_of=as_of)
    moved = update_status(status, households, after, added["household_id"], policy,
                          as_of=as_of)
    pd.testing.assert_frame_equal(moved, household_status(households, after, policy,
                                                          as_of=as_of))
    # the old figure is left as it was (models share it)
    pd.testing.assert_frame_equal(status, household_status(households, visits, policy,
                                                           as_of=as_of))
    trend, full = (weekly_trend(households, v, policy, as_of=as_of) for v in (visits, after))
    if pd.DatetimeIndex(full["week_end"].unique()).equals(
            pd.DatetimeIndex(trend["week_end"].unique())):
        mine = households[households["household_id"].isin(added["household_id"])]
        pd.testing.assert_frame_equal(
            update_trend(trend, mine, visits[visits["household_id"].isin(mine["household_id"])],
                         after[after["household_id"].isin(mine["household_id"])], policy,
                         as_of=as_of), full)
