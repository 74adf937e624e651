"""The screen's figures on hand-made data (gridmap.screen)."""

from datetime import date

import pandas as pd

from gridmap import schema, screen
from gridmap.policy import Policy

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
    pct = screen.Figure("coverage", 3.0, 4.5, percent=True)
    assert (pct.shown(5), pct.change(5)) == ("3.0%", "-1.5%")  # never suppressed
