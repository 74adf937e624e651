"""The figures of the presentation screen (大屏): aggregates with their change against
last week, small counts suppressed. Pure functions of the store's frames.

"This week" is the seven days ending on D; "last week" the seven before. Stock
figures (households by tier, coverage, open and overdue cases) compare D with D - 7.
Service hours are this month's so far, against last month's to the same day; new
alerts the last 30 days, against the 30 before (feeds come in monthly).

Nothing on the screen gives a small count back (see ``gridmap.privacy``): no change
against a suppressed count, no percentage of fewer than ``min_count`` households, and
the hot list and funnel go through ``privacy.suppress_derived``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from gridmap import schema
from gridmap.casework import case_state
from gridmap.coverage import household_status
from gridmap.policy import Policy
from gridmap.privacy import HIDDEN, is_small, suppress_count, suppress_derived

# Which way a figure is better: 1 when higher is better, -1 when lower is, 0 when neither
# (more difficulties found, or more needs posted, is the work being done, not a failure).
BETTER = {"red": -1, "orange": -1, "visits": 1, "coverage": 1, "open_cases": -1,
          "overdue_cases": -1, "needs_matched": 1, "service_hours": 1}


@dataclass(frozen=True)
class Trend:
    """A figure's change against last week, as the screen shows it."""

    text: str  # "+3", "-1.2" (a percentage's change is in percentage points)
    direction: int  # 1 up, -1 down, 0 the same
    judgement: str  # 'good', 'bad' or 'neutral'
    points: bool  # the change of a percentage, in percentage points


@dataclass(frozen=True)
class Figure:
    key: str  # i18n key screen.fig.<key>, or a tier
    value: float
    previous: float
    percent: bool = False  # a percentage of ``base`` (now) and ``previous_base`` households
    base: int = 0
    previous_base: int = 0
    amount: bool = False  # an amount (hours) given to ``base`` households, not a count
    against: str = "week"  # the change is against last 'week', the '30d' before, or last 'month'

    def _hidden(self, min_count: int) -> tuple[bool, bool]:
        """Whether this week's and last week's figure are withheld: a count from 1 to
        min_count-1, or a percentage or amount of that few households (it would give
        them back)."""
        now, then = ((self.base, self.previous_base) if self.percent or self.amount
                     else (self.value, self.previous))
        return bool(is_small([now], min_count)[0]), bool(is_small([then], min_count)[0])

    def shown(self, min_count: int) -> str:
        """The value for the public: counts 1..min_count-1 as "<min_count"; a percentage
        or amount of fewer than min_count households as ``HIDDEN``."""
        if self.percent or self.amount:
            if self._hidden(min_count)[0]:
                return HIDDEN
            return f"{self.value:.1f}%" if self.percent else f"{round(self.value):,}"
        value = suppress_count(int(self.value), min_count)
        return f"{value:,}" if isinstance(value, int) else value

    def change(self, min_count: int) -> str | None:
        """"+3" against last week, "-1.2" (percentage points) for a percentage; nothing
        when either side is withheld."""
        if any(self._hidden(min_count)):
            return None
        delta = self.value - self.previous
        return f"{delta:+.1f}" if self.percent else f"{round(delta):+,}"

    def trend(self, min_count: int) -> Trend | None:
        """The change with its direction and whether it is good news (``BETTER``); a
        change that rounds to nothing is 'the same', and neither good nor bad."""
        text = self.change(min_count)
        if text is None:
            return None
        delta = float(text.replace(",", ""))
        direction = int(np.sign(delta))
        better = BETTER.get(self.key, 0) * direction
        return Trend(text, direction, {1: "good", -1: "bad", 0: "neutral"}[better],
                     self.percent)


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


def _month_so_far(as_of: date, months_back: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[start, end) of the month ``months_back`` before ``as_of``'s, up to the same day
    (or that month's last)."""
    month = pd.Period(as_of, freq="M") - months_back
    day = min(as_of.day, month.days_in_month)
    return month.start_time, month.start_time + pd.Timedelta(days=day)


def figures(*, households, visits, tier_changes, cases, needs, policy: Policy,
            as_of: date, alerts=None, service_records=None, catalogue=None
            ) -> list[Figure]:
    """Every figure of the screen, in display order (new alerts with ``alerts``, this
    month's service hours with ``service_records`` and the ``catalogue``)."""
    last = as_of - timedelta(days=7)
    week, before = (as_of - timedelta(days=6), as_of), (last - timedelta(days=6), last)
    now_tiers, then_tiers = (tiers_on(households, tier_changes, as_of),
                             tiers_on(households, tier_changes, last))
    out = [Figure(tier, now_tiers[tier], then_tiers[tier]) for tier in schema.TIERS]
    out.append(Figure("visits", _between(visits, "visited_at", *week),
                      _between(visits, "visited_at", *before)))

    def coverage(day: date) -> tuple[float, int]:
        status = household_status(households, visits, policy, as_of=day)
        return (100.0 * (~status["overdue"]).mean() if len(status) else 0.0), len(status)
    (now_pct, now_n), (then_pct, then_n) = coverage(as_of), coverage(last)
    out.append(Figure("coverage", now_pct, then_pct, percent=True, base=now_n,
                      previous_base=then_n))
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
    if alerts is not None:  # feeds come in monthly: 30 days against the 30 before
        month = (as_of - timedelta(days=29), as_of)
        earlier = (as_of - timedelta(days=59), as_of - timedelta(days=30))
        out.append(Figure("new_alerts", _between(alerts, "raised_at", *month),
                          _between(alerts, "raised_at", *earlier), against="30d"))
    if service_records is not None and catalogue is not None:
        from gridmap.services import hours_between
        (hours, served), (then_hours, then_served) = (
            hours_between(service_records, catalogue, *_month_so_far(as_of, back))
            for back in (0, 1))
        out.append(Figure("service_hours", hours, then_hours, base=served,
                          previous_base=then_served, amount=True, against="month"))
    return out


def _texts(values: pd.Series, template: str) -> list[str]:
    """Figures as text by ``template``; ``HIDDEN`` and "<5" are text already."""
    return [v if isinstance(v, str) else HIDDEN if pd.isna(v) else template.format(v)
            for v in values]


def shown_hot_list(table: pd.DataFrame, min_count: int) -> pd.DataFrame:
    """``casework.hot_list`` for the public, as text: ``kind, category, rank, count,
    share, change``.

    A suppressed row has no rank, share or change and is listed after the ranked rows
    in the order of its category, never of its count (the order would rank it); in a
    kind with any suppressed row no share is shown at all (``privacy.suppress_derived``).
    Categories with none this week come last.
    """
    shown = suppress_derived(table, min_count, {
        "rank": ("count",), "share_pct": ("count",), "change": ("count", "previous")},
        shares=("share_pct",), by="kind")
    count = table["count"].to_numpy()
    place = np.select([count >= min_count, count > 0], [0, 1], 2)
    order = pd.DataFrame({"kind": pd.factorize(table["kind"])[0], "place": place,
                          "rank": np.where(place == 0, table["rank"].fillna(0), 0),
                          "category": table["category"]}).sort_values(
        ["kind", "place", "rank", "category"]).index
    shown = shown.loc[order]
    return pd.DataFrame({"kind": shown["kind"], "category": shown["category"],
                         "rank": _texts(shown["rank"], "{:d}"),
                         "count": _texts(shown["count"], "{:,d}"),
                         "share": _texts(shown["share_pct"], "{:.1f}%"),
                         "change": _texts(shown["change"], "{:+,d}")}).reset_index(drop=True)


def shown_funnel(table: pd.DataFrame, min_count: int) -> pd.DataFrame:
    """``casework.funnel`` for the public: ``step, cases, pct`` as text and ``bar`` (the
    percentage to draw, 0 where it is withheld). A step's percentage is withheld when its
    count or the count of discovered cases is suppressed: either one gives it back."""
    with_base = table.assign(discovered=table["cases"].iloc[0])
    shown = suppress_derived(with_base, min_count, {"pct": ("cases", "discovered")})
    hidden = (shown["pct"] == HIDDEN).to_numpy()
    return pd.DataFrame({"step": table["step"], "cases": _texts(shown["cases"], "{:,d}"),
                         "pct": _texts(shown["pct"], "{:.0f}%"),
                         "bar": np.where(hidden, 0.0, table["pct"].to_numpy(float))})


def lowest_coverage(table: pd.DataFrame, min_count: int, *, most: int = 14) -> pd.DataFrame:
    """The areas of ``coverage.coverage_table`` with the lowest coverage, at most ``most``:
    ``name, coverage_pct, text``. Only areas of at least ``min_count`` households: a share
    of fewer would give their counts back, and placing the area in the list would rank it.
    """
    kept = table[table["households"] >= max(min_count, 1)].sort_values("coverage_pct")
    kept = kept.head(most)
    return pd.DataFrame({"name": kept["name"].to_numpy(),
                         "coverage_pct": kept["coverage_pct"].to_numpy(float),
                         "text": [f"{p:.1f}%" for p in kept["coverage_pct"]]})


def most_red_orange(table: pd.DataFrame, min_count: int, *, most: int = 10) -> pd.DataFrame:
    """The areas of ``coverage.coverage_table`` with the most red and orange households,
    at most ``most``: ``name, count, share`` (of the largest, for a bar) and ``text``.
    Only areas with at least ``min_count`` of them: a smaller count is not shown, and its
    place in the list would give it back."""
    count = table["households_red"] + table["households_orange"]
    kept = table.assign(_n=count)[count >= max(min_count, 1)].sort_values(
        ["_n", "name"], ascending=[False, True]).head(most)
    top = float(kept["_n"].max()) if len(kept) else 1.0
    return pd.DataFrame({"name": kept["name"].to_numpy(),
                         "count": kept["_n"].to_numpy(int),
                         "share": (100.0 * kept["_n"] / top).to_numpy(float),
                         "text": [f"{n:,}" for n in kept["_n"]]})
