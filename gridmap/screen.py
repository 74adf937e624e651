"""The figures of the presentation screen (大屏): aggregates with their change against
last week, small counts suppressed. Pure functions of the store's frames.

"This week" is the seven days ending on D; "last week" the seven before. Stock
figures (households by tier, coverage, open and overdue cases) compare D with D - 7.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from gridmap import schema
from gridmap.casework import case_state
from gridmap.coverage import household_status
from gridmap.policy import Policy
from gridmap.privacy import suppress_count


@dataclass(frozen=True)
class Figure:
    key: str  # i18n key screen.fig.<key>, or a tier
    value: float
    previous: float
    percent: bool = False  # a percentage (never suppressed) rather than a count

    def shown(self, min_count: int):
        """The value for the public: counts 1..min_count-1 as "<min_count"."""
        if self.percent:
            return f"{self.value:.1f}%"
        value = suppress_count(int(self.value), min_count)
        return f"{value:,}" if isinstance(value, int) else value

    def change(self, min_count: int) -> str | None:
        """"+3" / "-1.2%" against last week; nothing when either side is suppressed."""
        if not self.percent and (0 < self.value < min_count or 0 < self.previous < min_count):
            return None
        delta = self.value - self.previous
        return f"{delta:+.1f}%" if self.percent else f"{int(delta):+,}"


def tiers_on(households: pd.DataFrame, tier_changes: pd.DataFrame, day: date) -> pd.Series:
    """Households per tier as they stood at the end of ``day`` (later changes undone)."""
    end = pd.Timestamp(day) + pd.Timedelta(days=1)
    later = tier_changes[tier_changes["changed_at"] >= end].sort_values("changed_at")
    first = later.drop_duplicates("household_id").set_index("household_id")["from_tier"]
    tier = households.set_index("household_id")["tier"].astype(object)
    changed = tier.index.isin(first.index)
    tier[changed] = first.reindex(tier.index[changed]).to_numpy()  # empty: tagged later
    tier = tier.dropna()
    return tier.value_counts().reindex(list(schema.TIERS), fill_value=0)


def _between(frame: pd.DataFrame, column: str, start: date, end: date) -> int:
    at = frame[column]
    return int(((at >= pd.Timestamp(start))
                & (at < pd.Timestamp(end) + pd.Timedelta(days=1))).sum())


def figures(*, households, visits, tier_changes, cases, needs, policy: Policy,
            as_of: date) -> list[Figure]:
    """Every figure of the screen, in display order."""
    last = as_of - timedelta(days=7)
    week, before = (as_of - timedelta(days=6), as_of), (last - timedelta(days=6), last)
    now_tiers, then_tiers = (tiers_on(households, tier_changes, as_of),
                             tiers_on(households, tier_changes, last))
    out = [Figure(tier, now_tiers[tier], then_tiers[tier]) for tier in schema.TIERS]
    out.append(Figure("visits", _between(visits, "visited_at", *week),
                      _between(visits, "visited_at", *before)))

    def coverage(day: date) -> float:
        status = household_status(households, visits, policy, as_of=day)
        return 100.0 * (~status["overdue"]).mean() if len(status) else 0.0
    out.append(Figure("coverage", coverage(as_of), coverage(last), percent=True))
    now_cases, then_cases = (case_state(cases, policy, as_of=as_of),
                             case_state(cases, policy, as_of=last))
    out.append(Figure("open_cases", now_cases["is_open"].sum(), then_cases["is_open"].sum()))
    out.append(Figure("overdue_cases", now_cases["overdue"].sum(), then_cases["overdue"].sum()))
    out.append(Figure("new_difficulties", _between(cases, "reported_at", *week),
                      _between(cases, "reported_at", *before)))
    out.append(Figure("needs_posted", _between(needs, "posted_at", *week),
                      _between(needs, "posted_at", *before)))
    out.append(Figure("needs_matched", _between(needs, "claimed_at", *week),
                      _between(needs, "claimed_at", *before)))
    return out
