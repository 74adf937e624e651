"""The screen's figures on hand-made data (gridmap.screen)."""

from datetime import date

import pandas as pd

from gridmap import schema, screen
from gridmap.casework import FUNNEL_STEPS, hot_list
from gridmap.policy import Policy
from gridmap.privacy import HIDDEN

D = date(2026, 11, 20)


def frames():
    households = pd.DataFrame({
        "household_id": ["H1", "H2", "H3"], "tier": ["red", "orange", "green"],
        "tier_since": pd.to_datetime(["2026-01-01", "2026-11-18", "2026-11-19"])})
    tier_changes = pd.DataFrame({
        "household_id": ["H2", "H3"],
        "changed_at": pd.to_datetime(["2026-11-18 10:00", "2026-11-19 10:00"]),
        "from_tier": ["yellow", None], "to_tier": ["orange", "green"]})
    visits = pd.DataFrame({
        "household_id": ["H1"] * 9, "method": ["door"] * 9,
        "visited_at": pd.to_datetime(["2026-11-20 09:00", "2026-11-14 09:00"]
                                     + ["2026-11-10 09:00"] * 7)})
    cases = schema.empty("cases")
    needs = schema.empty("needs")
    return dict(households=households, visits=visits, tier_changes=tier_changes,
                cases=cases, needs=needs)


def test_tiers_a_week_ago_undo_later_changes():
    f = frames()
    now = screen.tiers_on(f["households"], f["tier_changes"], D)
    then = screen.tiers_on(f["households"], f["tier_changes"], date(2026, 11, 13))
    assert now.to_dict() == {"red": 1, "orange": 1, "yellow": 0, "green": 1}
    # H2 was yellow then; H3 was not tagged yet.
    assert then.to_dict() == {"red": 1, "orange": 0, "yellow": 1, "green": 0}


def test_figures_week_on_week_and_suppressed():
    figs = {f.key: f for f in screen.figures(**frames(), policy=Policy(), as_of=D)}
    assert (figs["visits"].value, figs["visits"].previous) == (2, 7)  # 14-20 vs 7-13 Nov
    assert figs["visits"].shown(5) == "<5" and figs["visits"].change(5) is None
    assert figs["red"].shown(5) == "<5"
    assert figs["open_cases"].shown(5) == "0"
    big = screen.Figure("visits", 1234, 1200)
    assert (big.shown(5), big.change(5)) == ("1,234", "+34")
    pct = screen.Figure("coverage", 3.0, 4.5, percent=True, base=200, previous_base=180)
    assert (pct.shown(5), pct.change(5)) == ("3.0%", "-1.5")  # percentage points


def test_a_percentage_of_few_households_is_withheld():
    figs = {f.key: f for f in screen.figures(**frames(), policy=Policy(), as_of=D)}
    assert figs["coverage"].base == 3  # 2 of 3 covered: 66.7 % would give both back
    assert figs["coverage"].shown(5) == HIDDEN and figs["coverage"].change(5) is None
    small_before = screen.Figure("coverage", 50.0, 25.0, percent=True, base=80,
                                 previous_base=4)
    assert small_before.shown(5) == "50.0%" and small_before.change(5) is None


def _reported(per_category: dict[str, tuple[int, int]], column: str) -> pd.DataFrame:
    """Reports per category: (this week, last week) on 19 and 12 November."""
    rows = [(category, day) for category, weeks in per_category.items()
            for day, n in zip(("2026-11-19", "2026-11-12"), weeks, strict=True)
            for _ in range(n)]
    return pd.DataFrame({"category": [c for c, _ in rows],
                         column: pd.to_datetime([d for _, d in rows])})


def test_the_hot_list_gives_no_small_count_back():
    # 76 this week; 住房困难 has 3 (3.9 %) and 因残 4; 意外事故 had 2 last week.
    cases = _reported({"因病": (40, 30), "失业": (19, 19), "意外事故": (10, 2), "因残": (4, 6),
                       "住房困难": (3, 7), "儿童监护": (0, 5)}, "reported_at")
    needs = _reported({"助学": (6, 0), "家用电器": (9, 5)}, "posted_at")
    table = screen.shown_hot_list(hot_list(cases, needs, week_end=D), 5)
    hard = table[table["kind"] == "difficulty"].set_index("category")
    # Ranked rows first; the suppressed ones by category, not by count (4 before 3 would
    # rank them); none this week last.
    assert hard.index.tolist() == ["因病", "失业", "意外事故", "住房困难", "因残", "儿童监护"]
    for small in ("住房困难", "因残"):
        assert hard.loc[small, ["rank", "count", "share", "change"]].tolist() == [
            HIDDEN, "<5", HIDDEN, HIDDEN]
    assert hard["rank"].tolist()[:3] == ["1", "2", "3"]
    assert hard.loc["因病", "change"] == "+10" and hard.loc["儿童监护", "change"] == "-5"
    assert hard.loc["意外事故", "change"] == HIDDEN  # against last week's 2
    # Their shares would give the total, 76, and 76 - 40 - 19 - 10 - 4 = 3.
    assert (hard["share"] == HIDDEN).all()
    need = table[table["kind"] == "need"]
    assert need["share"].tolist() == ["60.0%", "40.0%"]  # no small count among needs


def test_a_funnel_step_below_the_minimum_has_no_percentage():
    steps = pd.DataFrame({"step": FUNNEL_STEPS, "cases": [76, 60, 3, 0, 8]})
    steps["pct"] = (100.0 * steps["cases"] / 76).round(1)
    shown = screen.shown_funnel(steps, 5).set_index("step")
    assert shown.loc["enrolled", ["cases", "pct", "bar"]].tolist() == ["<5", HIDDEN, 0.0]
    assert shown.loc["discovered", ["cases", "pct"]].tolist() == ["76", "100%"]
    assert shown.loc["followed_up", ["cases", "pct"]].tolist() == ["0", "0%"]
    assert shown.loc["helped_in_difficulty", "bar"] == steps["pct"].iloc[4]
    few = steps.assign(cases=[4, 4, 2, 0, 0], pct=[100.0, 100.0, 50.0, 0.0, 0.0])
    assert (screen.shown_funnel(few, 5)["pct"] == HIDDEN).all()  # "of 4" gives them back


def test_lowest_coverage_leaves_out_areas_of_few_households():
    table = pd.DataFrame({"name": ["甲", "乙", "丙", "丁"], "households": [3, 200, 0, 50],
                          "coverage_pct": [0.0, 40.0, float("nan"), 80.0]})
    shown = screen.lowest_coverage(table, 5)
    assert shown["name"].tolist() == ["乙", "丁"]
    assert shown["text"].tolist() == ["40.0%", "80.0%"]


def test_a_change_says_whether_it_is_good_news():
    fewer_red = screen.Figure("red", 40, 45).trend(5)
    assert (fewer_red.text, fewer_red.direction, fewer_red.judgement) == ("-5", -1, "good")
    more_overdue = screen.Figure("overdue_cases", 12, 9).trend(5)
    assert (more_overdue.direction, more_overdue.judgement) == (1, "bad")
    assert screen.Figure("new_difficulties", 80, 60).trend(5).judgement == "neutral"
    rate = screen.Figure("coverage", 77.1, 78.3, percent=True, base=900,
                         previous_base=900).trend(5)
    assert (rate.text, rate.points, rate.judgement) == ("-1.2", True, "bad")
    same = screen.Figure("coverage", 80.02, 80.0, percent=True, base=900,
                         previous_base=900).trend(5)
    assert (same.direction, same.judgement) == (0, "neutral")
    assert screen.Figure("visits", 3, 40).trend(5) is None  # this week's count is withheld


def test_most_red_orange_lists_only_areas_of_enough_households():
    table = pd.DataFrame({"name": ["甲", "乙", "丙", "丁"], "households_red": [9, 1, 3, 0],
                          "households_orange": [11, 2, 30, 0]})
    top = screen.most_red_orange(table, 5)
    assert top["name"].tolist() == ["丙", "甲"]  # 乙 has 3: neither shown nor placed
    assert top["text"].tolist() == ["33", "20"] and top["share"].iloc[0] == 100.0


def _hour_records(rows):
    """Service records (household, service, start, hours)."""
    return pd.DataFrame({"household_id": [r[0] for r in rows],
                         "service_id": [r[1] for r in rows],
                         "started_at": pd.to_datetime([r[2] for r in rows]),
                         "quantity": [float(r[3]) for r in rows]})


def test_service_hours_this_month_so_far_against_last_month_to_the_same_day():
    from gridmap.services import load_catalogue
    catalogue = load_catalogue()
    hourly = catalogue.hour_services()[0]
    other = next(s.key for s in catalogue.services if s.unit != "hours")
    served = [f"H{i}" for i in range(6)]
    records = _hour_records(
        [(h, hourly, "2026-11-03 09:00", 2) for h in served]  # 12 h this month
        + [("H1", hourly, "2026-11-21 09:00", 5)]  # after the day: not yet
        + [("H2", other, "2026-11-05 09:00", 3)]  # meals, not hours
        + [("H3", hourly, "2026-10-31 23:00", 2)]  # one hour in each month
        + [(h, hourly, "2026-10-10 09:00", 1) for h in served[:5]]  # by 20 Oct
        + [("H4", hourly, "2026-10-25 09:00", 9)])  # after 20 Oct: not compared
    figs = {f.key: f for f in screen.figures(
        **frames(), policy=Policy(), as_of=D, service_records=records, catalogue=catalogue,
        alerts=pd.DataFrame({"raised_at": pd.to_datetime(["2026-11-19"] * 6  # 30 days
                                                         + ["2026-10-20"] * 2  # the 30 before
                                                         + ["2026-09-01"])}))}
    hours = figs["service_hours"]
    assert (hours.value, hours.base) == (13.0, 6)  # 12 + H3's hour past midnight
    assert (hours.previous, hours.previous_base) == (5.0, 5)
    assert (hours.shown(5), hours.change(5), hours.against) == ("13", "+8", "month")
    assert hours.trend(5).judgement == "good"
    assert hours.shown(7) == HIDDEN and hours.change(7) is None  # six households served
    assert (figs["new_alerts"].value, figs["new_alerts"].shown(5)) == (6, "6")
    assert (figs["new_alerts"].previous, figs["new_alerts"].against) == (2, "30d")


def test_without_services_or_alerts_the_screen_has_its_eleven_figures():
    keys = [f.key for f in screen.figures(**frames(), policy=Policy(), as_of=D)]
    assert len(keys) == 11 and "service_hours" not in keys and "new_alerts" not in keys
