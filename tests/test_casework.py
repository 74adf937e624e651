"""Case and need figures against hand-made data (the napkin town: G1, G2 in C1; G3 in C2)."""

from datetime import date

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmap import schema
from gridmap.casework import (
    age_class,
    case_report,
    case_state,
    funnel,
    hot_list,
    need_report,
    open_cases_per_grid,
)
from gridmap.policy import Policy

AS_OF = date(2026, 11, 20)


def _frame(layer: str, rows: list[dict]) -> pd.DataFrame:
    names = schema.LAYERS[layer].column_names
    return schema.conform(layer, pd.DataFrame([{n: r.get(n) for n in names} for r in rows]))


def _case(case_id, household, reported, due, stage, judgement=None, **times):
    return {"case_id": case_id, "household_id": household, "source": "visit", "category": "因病",
            "urgency": "ordinary", "description": "x", "reported_by": "W", "stage": stage,
            "reported_at": reported, "due_on": due, "judgement": judgement, **times}


@pytest.fixture
def cases():
    return _frame("cases", [
        _case("c1", "a", "2026-11-02 09:00", "2026-11-05", "followed_up", "eligible",
              assessed_at="2026-11-02 15:00", handling_at="2026-11-04 10:00",
              closed_at="2026-11-10 09:00", followed_up_at="2026-11-15 10:00"),
        _case("c2", "b", "2026-11-09 09:00", "2026-11-30", "reported"),
        _case("c3", "d", "2026-11-10 09:00", "2026-11-13", "assessed", "eligible",
              assessed_at="2026-11-11 09:00"),
        _case("c4", "f", "2026-10-10 09:00", "2026-10-20", "closed", "in_difficulty",
              assessed_at="2026-10-11 09:00", handling_at="2026-10-22 09:00",
              closed_at="2026-10-30 09:00"),
        _case("c5", "e", "2026-10-01 09:00", "2026-10-10", "closed", "not_in_difficulty",
              assessed_at="2026-10-02 09:00", closed_at="2026-10-03 09:00"),
        _case("c6", "c", "2026-11-25 09:00", "2026-11-30", "reported"),  # after AS_OF
        _case("c7", "a", "2026-09-01 09:00", "2026-09-04", "closed", "eligible",
              assessed_at="2026-09-02 09:00", handling_at="2026-09-03 09:00",
              closed_at="2026-09-20 09:00"),
    ])


def test_case_state_on_a_day(cases):
    state = case_state(cases, Policy(), as_of=AS_OF).set_index("case_id")
    assert "c6" not in state.index
    assert state["is_open"][state["is_open"]].index.tolist() == ["c2", "c3"]
    assert state["overdue"][state["overdue"]].index.tolist() == ["c3", "c7"]  # no reply; no
    assert state["late"][state["late"]].index.tolist() == ["c3", "c4"]        # follow-up
    assert state.loc["c1", "days_to_close"] == 8.0
    # on 12 November c1 was not followed up yet and c3 was still within its deadline
    earlier = case_state(cases, Policy(), as_of=date(2026, 11, 12)).set_index("case_id")
    assert earlier.loc["c1", "stage"] == "closed" and pd.isna(earlier.loc["c1",
                                                                          "followed_up_at"])
    assert not earlier.loc["c3", "overdue"]
    assert case_state(cases, Policy(), as_of=date(2026, 11, 14)).set_index(
        "case_id").loc["c3", "overdue"]


def test_case_report_per_community(cases, town):
    table = case_report(cases, town["households"], town["grids"], town["areas"], Policy(),
                        level="community", as_of=AS_OF).set_index("area_id")
    assert table.loc["C1"].to_dict() == {
        "name": "甲社区", "reported": 5, "open": 2, "overdue": 2, "closed": 3, "followed_up": 1,
        "median_days_to_close": 8.0}
    assert table.loc["C2", ["reported", "open", "closed", "median_days_to_close"]].tolist() == [
        1, 0, 1, 20.0]


def test_case_report_lists_areas_without_cases(cases, town):
    table = case_report(cases.iloc[:0], town["households"], town["grids"], town["areas"],
                        Policy(), level="grid", as_of=AS_OF)
    assert table["area_id"].tolist() == ["G1", "G2", "G3"] and table["open"].eq(0).all()


def test_funnel_of_a_period(cases):
    table = funnel(cases, Policy(), start=date(2026, 10, 1), end=AS_OF).set_index("step")
    # c3 is eligible but not helped yet; c4 was helped though not eligible
    assert table["cases"].to_dict() == {"discovered": 5, "assessed": 4, "enrolled": 1,
                                        "followed_up": 1, "helped_in_difficulty": 1}
    assert table.loc["enrolled", "pct"] == 20.0


def test_open_cases_per_grid_and_age_classes(cases, town):
    per_grid = open_cases_per_grid(cases, town["households"], town["grids"], Policy(),
                                   as_of=AS_OF)
    assert per_grid.to_dict() == {"G1": 1, "G2": 1, "G3": 0}
    assert list(age_class([0, 7, 8, 30, 31, 400])) == [
        "age_0_7", "age_0_7", "age_8_30", "age_8_30", "age_31_90", "age_over_90"]


@pytest.fixture
def needs():
    def need(need_id, household, posted, **times):
        return {"need_id": need_id, "household_id": household, "category": "家用电器",
                "description": "洗衣机", "posted_by": "W", "posted_at": posted,
                "stage": "posted", **times}
    return _frame("needs", [
        need("n1", "a", "2026-11-01 09:00", claimed_at="2026-11-03 09:00",
             delivered_at="2026-11-05 09:00", confirmed_at="2026-11-06 09:00",
             helper="甲", helper_kind="volunteer"),
        need("n2", "d", "2026-11-01 09:00"),
        need("n3", "f", "2026-11-10 09:00", claimed_at="2026-11-14 09:00", helper="乙",
             helper_kind="charity"),
    ])


def test_need_report_per_community_and_category(needs, town):
    table = need_report(needs, town["households"], town["grids"], town["areas"], Policy(),
                        level="community", as_of=AS_OF).set_index("area_id")
    assert table.loc["C1"].to_dict() == {
        "name": "甲社区", "posted": 2, "claimed": 1, "delivered": 1, "confirmed": 1,
        "stale": 1, "median_days_to_claim": 2.0, "match_rate": 50.0}
    assert table.loc["C2", ["posted", "claimed", "match_rate", "median_days_to_claim"]
                     ].tolist() == [1, 1, 100.0, 4.0]
    by_category = need_report(needs, town["households"], town["grids"], town["areas"],
                              Policy(), level="category", as_of=AS_OF).set_index("category")
    assert by_category.loc["家用电器", "posted"] == 3 and by_category.loc["助学", "posted"] == 0
    # before n3 was claimed
    early = need_report(needs, town["households"], town["grids"], town["areas"], Policy(),
                        level="community", as_of=date(2026, 11, 12)).set_index("area_id")
    assert early.loc["C2", "claimed"] == 0 and early.loc["C1", "stale"] == 0


def test_hot_list_ranks_this_week_against_the_last():
    def c(i, category, day):
        return _case(f"c{i}", "a", f"2026-11-{day:02d} 10:00", "2026-12-01",
                     "reported") | {"category": category}
    rows = ([c(i, "因病", 18) for i in range(3)] + [c(10 + i, "失业", 17) for i in range(2)]
            + [c(20, "因学", 10)] + [c(30 + i, "失业", 9) for i in range(4)])
    cases = _frame("cases", rows)
    needs = _frame("needs", [{"need_id": "n1", "household_id": "a", "category": "助学",
                              "description": "x", "posted_by": "W",
                              "posted_at": "2026-11-19 09:00", "stage": "posted"}])
    table = hot_list(cases, needs, week_end=AS_OF)
    difficulty = table[table["kind"] == "difficulty"].set_index("category")
    assert difficulty.index.tolist() == ["因病", "失业", "因学"]
    row = difficulty.loc["因病"].to_dict()
    assert pd.isna(row.pop("previous_rank")) and pd.isna(row.pop("rank_change"))  # new
    assert row == {"kind": "difficulty", "count": 3, "share_pct": 60.0, "rank": 1,
                   "previous": 0, "change": 3}
    assert difficulty.loc["失业", ["count", "previous", "rank", "previous_rank",
                                 "rank_change"]].tolist() == [2, 4, 2, 1, -1]
    assert difficulty.loc["因学", "count"] == 0 and difficulty.loc["因学", "share_pct"] == 0
    need = table[table["kind"] == "need"]
    assert need[["category", "count", "share_pct", "rank"]].values.tolist() == [
        ["助学", 1, 100.0, 1]]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(schema.CASE_CATEGORIES), st.integers(0, 13)),
                min_size=1, max_size=60))
def test_hot_list_shares_sum_to_100(reports):
    rows = [_case(f"c{i}", "a", f"2026-11-{20 - back:02d} 10:00", "2026-12-01", "reported")
            | {"category": category} for i, (category, back) in enumerate(reports)]
    empty_needs = schema.empty("needs")
    table = hot_list(_frame("cases", rows), empty_needs, week_end=AS_OF)
    this_week = table[table["count"] > 0]
    if len(this_week):
        assert abs(this_week["share_pct"].sum() - 100) <= 0.05 * len(this_week)
        assert this_week["rank"].min() == 1
    assert table["count"].sum() == sum(back <= 6 for _, back in reports)
    assert table["previous"].sum() == sum(7 <= back <= 13 for _, back in reports)


def test_the_hot_list_ranks_alerts_by_risk_type_when_given():
    from gridmap.casework import hot_list
    alerts = pd.DataFrame({
        "risk": ["因病"] * 3 + ["支出型"] * 5 + ["因病"],
        "raised_at": pd.to_datetime([f"{AS_OF:%Y-%m-%d} 08:00"] * 8
                                    + [(pd.Timestamp(AS_OF) - pd.Timedelta(days=8))])})
    cases, needs = schema.empty("cases"), schema.empty("needs")
    table = hot_list(cases, needs, week_end=AS_OF, alerts=alerts)
    alert = table[table["kind"] == "alert"].set_index("category")
    assert alert["count"].to_dict() == {"支出型": 5, "因病": 3}
    assert alert.loc["支出型", "rank"] == 1 and alert.loc["因病", "previous"] == 1
    assert alert.loc["因病", "change"] == 2
    assert "alert" not in set(hot_list(cases, needs, week_end=AS_OF)["kind"])


def test_a_category_with_none_this_week_has_no_rank():
    from gridmap.casework import hot_list
    from gridmap.screen import shown_hot_list
    needs = pd.DataFrame({"category": ["助学"] * 6 + ["就业"] * 7,
                          "posted_at": pd.to_datetime(["2026-11-19"] * 6 + ["2026-11-12"] * 7)})
    table = hot_list(schema.empty("cases"), needs, week_end=AS_OF).set_index("category")
    assert table.loc["助学", "rank"] == 1 and pd.isna(table.loc["就业", "rank"])
    shown = shown_hot_list(table.reset_index(), 5).set_index("category")
    assert shown.loc["就业", "rank"] == "—" and shown.loc["助学", "rank"] == "1"
