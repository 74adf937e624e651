"""The policy file: the rules a district edits (``data/policy.toml``).

Loaded into a frozen ``Policy``; every value is checked on load and a mistake
raises ``ValidationError`` naming the file and the key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from gridmap import schema
from gridmap.errors import ValidationError
from gridmap.settings import DATA_DIR

DEFAULT_POLICY_FILE = DATA_DIR / "policy.toml"


def _default_intervals() -> MappingProxyType:
    return MappingProxyType({"red": 7, "orange": 14, "yellow": 30, "green": 90})


@dataclass(frozen=True)
class Warnings:
    """How the graded warning (一级/二级/三级预警) is scored from a household's record."""

    health_categories: tuple[str, ...] = ("重病重残",)
    family_categories: tuple[str, ...] = ("独居老人", "事实无人抚养", "孤儿", "困境儿童")
    recent_days: int = 90
    health_points: int = 2
    family_points: int = 1
    recent_difficulty_points: int = 1  # per visit that found a new difficulty
    levels: tuple[int, int, int] = (1, 3, 4)  # points for level 1, 2, 3


@dataclass(frozen=True)
class Casework:
    """Deadlines of the closed loop (cases) and of needs."""

    # Working days from a report to aid or referral, per urgency (seed 003: 3 for
    # emergencies).
    deadline_working_days: MappingProxyType = field(default_factory=lambda: MappingProxyType(
        {"emergency": 3, "ordinary": 15}))
    follow_up_days: int = 30  # days after closing by which a follow-up visit is due
    claim_days: int = 14  # a need unclaimed this long is flagged


@dataclass(frozen=True)
class Workload:
    """How a worker's monthly load is estimated and judged (``/workload``)."""

    # Minutes per visit by method, including the record written afterwards.
    minutes_per_visit: MappingProxyType = field(default_factory=lambda: MappingProxyType(
        {"door": 60, "phone": 15, "online": 10, "volunteer": 30}))
    # In-person visits (door, volunteer) add a round trip from the centre of the
    # household's grid: straight-line distance x road_factor at travel_kmh.
    travel_kmh: float = 12.0
    road_factor: float = 1.3
    minutes_per_open_case: int = 120  # a month, per open case of the household
    hours_per_month: float = 5.0  # a full-time worker's month for vulnerable households
    overloaded_above: float = 1.0
    idle_below: float = 0.1


@dataclass(frozen=True)
class Accounts:
    """Logins: how long a session lasts, and the lock after wrong passwords."""

    session_minutes: int = 480
    max_failures: int = 5
    lock_minutes: int = 15


DEFAULT_HOTSPOT_SEED = 12345
_MAX_SEED = 2**32 - 1  # numpy's seeds


@dataclass(frozen=True)
class Hotspots:
    """How hotspots are tested (``/hotspots``, ``report hotspots``)."""

    # The permutation tests' random seed: the same data and seed give the same classes.
    seed: int = DEFAULT_HOTSPOT_SEED


@dataclass(frozen=True)
class FeedRule:
    """How one 事项 of a department feed becomes an alert (``[feeds.rules.<事项>]``).

    With ``sum_at_least`` the 金额 summed per person over ``window_days`` must reach it;
    with ``count_at_least`` that many rows per person within ``window_days``; with
    neither every row raises one. ``repeat_days``: no second alert of the rule for the
    same person within that many days. ``raise_to``: the tier suggested (never applied)
    for a household less urgent than it. ``review``: an eligibility review of the
    household (a death), not a difficulty.
    """

    item: str
    risk: str
    sum_at_least: float | None = None
    count_at_least: int | None = None
    window_days: int = 365
    repeat_days: int = 365
    raise_to: str | None = None
    review: bool = False

    @property
    def evidence(self) -> str:
        """What fired, as a worker may read it: the rule, never the amount."""
        if self.sum_at_least is not None:
            return f"{self.item}：{self.window_days}天内合计≥{self.sum_at_least:,.0f}元"
        if self.count_at_least is not None:
            return f"{self.item}：{self.window_days}天内{self.count_at_least}次及以上"
        return self.item


DEFAULT_FEED_RULES = (
    FeedRule("大额医疗自付", "支出型", sum_at_least=20000, window_days=365, repeat_days=365,
             raise_to="orange"),
    FeedRule("住院", "因病", count_at_least=2, window_days=90, repeat_days=90),
    FeedRule("新办残疾证", "因残", repeat_days=365, raise_to="orange"),
    FeedRule("失业登记", "收入型", repeat_days=180, raise_to="yellow"),
    FeedRule("欠费停水停电", "生活困难", repeat_days=90),
    FeedRule("死亡", "资格复核", repeat_days=36500, review=True),
)


@dataclass(frozen=True)
class Feeds:
    """Department feeds and the alerts they raise (``[feeds]``, ``[alerts]``)."""

    rules: tuple[FeedRule, ...] = DEFAULT_FEED_RULES
    retention_days: int = 365  # raw feed rows are deleted after this; 0 keeps them
    verify_working_days: int = 5  # from an alert to its verifying door visit
    decide_working_days: int = 10  # from the visit to confirming or dismissing it

    def rule(self, item: str) -> FeedRule | None:
        return next((r for r in self.rules if r.item == item), None)


@dataclass(frozen=True)
class Services:
    """How services owed are judged delivered (``/services``, ``report services``)."""

    # A household is short when more than this share (%) of its hours owed so far this
    # month was not delivered.
    shortfall_pct: float = 20.0
    # A booked service is on time when it started at most this many minutes late.
    on_time_minutes: int = 30


@dataclass(frozen=True)
class Policy:
    """Rules in force. Defaults match the shipped ``data/policy.toml``."""

    interval_days: MappingProxyType = field(default_factory=_default_intervals)
    counted_methods: tuple[str, ...] = schema.VISIT_METHODS
    # Tiers that also need an in-person ('door') visit at least every N days.
    in_person_days: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    min_count: int = 5
    warnings: Warnings = field(default_factory=Warnings)
    casework: Casework = field(default_factory=Casework)
    workload: Workload = field(default_factory=Workload)
    accounts: Accounts = field(default_factory=Accounts)
    hotspots: Hotspots = field(default_factory=Hotspots)
    services: Services = field(default_factory=Services)
    feeds: Feeds = field(default_factory=Feeds)

    def visits_per_month(self, tier: str) -> float:
        """Required visits in a 30-day month for a household of ``tier``."""
        return 30.0 / self.interval_days[tier]


def policy_from_dict(raw: dict[str, Any], *, source: str = "policy") -> Policy:
    """Validate a parsed policy file and build a ``Policy``."""
    def fail(key: str, reason: str):
        raise ValidationError(reason, source=source, column=key)

    visits = raw.get("visits", {})
    intervals = dict(visits.get("interval_days", _default_intervals()))
    if set(intervals) != set(schema.TIERS):
        fail("visits.interval_days", f"needs exactly the tiers {', '.join(schema.TIERS)}")
    for tier, days in intervals.items():
        if not isinstance(days, int) or isinstance(days, bool) or days <= 0:
            fail(f"visits.interval_days.{tier}", f"must be a positive whole number of days, "
                 f"not {days!r}")
    order = [intervals[t] for t in schema.TIERS]
    if order != sorted(order):
        fail("visits.interval_days", "red must be visited at least as often as orange, "
             "orange as yellow, yellow as green")
    methods = tuple(visits.get("counted_methods", schema.VISIT_METHODS))
    if not methods or set(methods) - set(schema.VISIT_METHODS):
        fail("visits.counted_methods", f"must be some of {', '.join(schema.VISIT_METHODS)}")
    in_person = dict(visits.get("in_person_days", {}))
    for tier, days in in_person.items():
        if tier not in schema.TIERS:
            fail(f"visits.in_person_days.{tier}", f"{tier!r} is not a tier")
        if not _positive_int(days):
            fail(f"visits.in_person_days.{tier}", f"must be a positive whole number of days, "
                 f"not {days!r}")
    min_count = raw.get("privacy", {}).get("min_count", 5)
    if not isinstance(min_count, int) or min_count < 1:
        fail("privacy.min_count", "must be a whole number of at least 1")
    w = raw.get("warnings", {})
    default = Warnings()
    points = w.get("points", {})
    warnings = Warnings(
        health_categories=tuple(w.get("health_categories", default.health_categories)),
        family_categories=tuple(w.get("family_categories", default.family_categories)),
        recent_days=w.get("recent_days", default.recent_days),
        health_points=points.get("health", default.health_points),
        family_points=points.get("family", default.family_points),
        recent_difficulty_points=points.get("recent_difficulty",
                                            default.recent_difficulty_points),
        levels=tuple(w.get("levels", default.levels)))
    for name in ("health_categories", "family_categories"):
        unknown = set(getattr(warnings, name)) - set(schema.CATEGORIES)
        if unknown:
            fail(f"warnings.{name}", f"unknown categories {sorted(unknown)}")
    if not _positive_int(warnings.recent_days):
        fail("warnings.recent_days", "must be a positive whole number of days")
    for key in ("health", "family", "recent_difficulty"):
        value = getattr(warnings, f"{key}_points" if key != "recent_difficulty"
                        else "recent_difficulty_points")
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            fail(f"warnings.points.{key}", "must be a whole number of points, 0 or more")
    lv = warnings.levels
    if len(lv) != 3 or not all(_positive_int(x) for x in lv) or list(lv) != sorted(set(lv)):
        fail("warnings.levels", "needs three rising whole numbers: points for level 1, 2, 3")
    return Policy(interval_days=MappingProxyType({t: intervals[t] for t in schema.TIERS}),
                  counted_methods=methods, in_person_days=MappingProxyType(in_person),
                  min_count=min_count, warnings=warnings,
                  casework=_casework(raw.get("cases", {}), raw.get("needs", {}), fail),
                  workload=_workload(raw.get("workload", {}), fail),
                  accounts=_accounts(raw.get("accounts", {}), fail),
                  hotspots=_hotspots(raw.get("hotspots", {}), fail),
                  services=_services(raw.get("services", {}), fail),
                  feeds=_feeds(raw.get("feeds", {}), raw.get("alerts", {}), fail))


def _casework(cases: dict, needs: dict, fail) -> Casework:
    default = Casework()
    deadlines = dict(cases.get("deadline_working_days", default.deadline_working_days))
    if set(deadlines) != set(schema.URGENCIES):
        fail("cases.deadline_working_days", f"needs exactly {', '.join(schema.URGENCIES)}")
    for urgency, days in deadlines.items():
        if not _positive_int(days):
            fail(f"cases.deadline_working_days.{urgency}",
                 f"must be a positive whole number of working days, not {days!r}")
    follow_up = cases.get("follow_up_days", default.follow_up_days)
    if not _positive_int(follow_up):
        fail("cases.follow_up_days", "must be a positive whole number of days")
    claim = needs.get("claim_days", default.claim_days)
    if not _positive_int(claim):
        fail("needs.claim_days", "must be a positive whole number of days")
    return Casework(deadline_working_days=MappingProxyType(deadlines),
                    follow_up_days=follow_up, claim_days=claim)


def _workload(raw: dict, fail) -> Workload:
    default = Workload()
    minutes = dict(raw.get("minutes_per_visit", default.minutes_per_visit))
    if set(minutes) != set(schema.VISIT_METHODS):
        fail("workload.minutes_per_visit", f"needs exactly {', '.join(schema.VISIT_METHODS)}")
    for method, value in minutes.items():
        if not _positive_number(value):
            fail(f"workload.minutes_per_visit.{method}", f"must be a positive number of "
                 f"minutes, not {value!r}")
    values = {key: raw.get(key, getattr(default, key)) for key in (
        "travel_kmh", "road_factor", "minutes_per_open_case", "hours_per_month",
        "overloaded_above", "idle_below")}
    for key, value in values.items():
        if not _positive_number(value) and not (key == "minutes_per_open_case" and value == 0):
            fail(f"workload.{key}", f"must be a positive number, not {value!r}")
    if values["road_factor"] < 1:
        fail("workload.road_factor", "roads are never shorter than the straight line: "
             "use 1 or more")
    if values["idle_below"] >= values["overloaded_above"]:
        fail("workload.idle_below", "must be below workload.overloaded_above")
    return Workload(minutes_per_visit=MappingProxyType(
        {m: minutes[m] for m in schema.VISIT_METHODS}), **values)


def _accounts(raw: dict, fail) -> Accounts:
    values = {key: raw.get(key, getattr(Accounts(), key))
              for key in ("session_minutes", "max_failures", "lock_minutes")}
    for key, value in values.items():
        if not _positive_int(value):
            fail(f"accounts.{key}", f"must be a positive whole number, not {value!r}")
    return Accounts(**values)


def _hotspots(raw: dict, fail) -> Hotspots:
    seed = raw.get("seed", DEFAULT_HOTSPOT_SEED)
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= _MAX_SEED:
        fail("hotspots.seed", f"must be a whole number from 0 to {_MAX_SEED}, not {seed!r}")
    return Hotspots(seed=seed)


def _feeds(raw: dict, alerts: dict, fail) -> Feeds:
    default = Feeds()
    rules = raw.get("rules")
    if rules is None:
        parsed = default.rules
    elif not isinstance(rules, dict) or not rules:
        fail("feeds.rules", "needs at least one rule: a table per 事项")
    else:
        parsed = tuple(_feed_rule(item, rule, fail) for item, rule in rules.items())
    retention = raw.get("retention_days", default.retention_days)
    if not isinstance(retention, int) or isinstance(retention, bool) or retention < 0:
        fail("feeds.retention_days", f"must be a whole number of days, 0 or more (0 keeps "
             f"them), not {retention!r}")
    unknown = set(raw) - {"rules", "retention_days"}
    if unknown:
        fail(f"feeds.{sorted(unknown)[0]}", "unknown setting")
    days = {}
    for key in ("verify_working_days", "decide_working_days"):
        days[key] = alerts.get(key, getattr(default, key))
        if not _positive_int(days[key]):
            fail(f"alerts.{key}", f"must be a positive whole number of working days, not "
                 f"{days[key]!r}")
    return Feeds(rules=parsed, retention_days=retention, **days)


def _feed_rule(item: str, raw, fail) -> FeedRule:
    key = f"feeds.rules.{item}"
    if not isinstance(raw, dict):
        fail(key, "must be a table (risk = ..., ...)")
    known = {"risk", "sum_at_least", "count_at_least", "window_days", "repeat_days",
             "raise_to", "review"}
    unknown = set(raw) - known
    if unknown:
        fail(f"{key}.{sorted(unknown)[0]}", f"unknown setting; use {', '.join(sorted(known))}")
    risk = raw.get("risk")
    if risk not in schema.ALERT_RISKS:
        fail(f"{key}.risk", f"must be one of {', '.join(schema.ALERT_RISKS)}, not {risk!r}")
    total, count = raw.get("sum_at_least"), raw.get("count_at_least")
    if total is not None and count is not None:
        fail(key, "a rule sums amounts or counts rows, not both")
    if total is not None and not _positive_number(total):
        fail(f"{key}.sum_at_least", f"must be a positive number of yuan, not {total!r}")
    if count is not None and not (_positive_int(count) and count >= 2):
        fail(f"{key}.count_at_least", f"must be a whole number of 2 or more, not {count!r}")
    window = raw.get("window_days", 365)
    repeat = raw.get("repeat_days", window)
    for name, value in (("window_days", window), ("repeat_days", repeat)):
        if not _positive_int(value):
            fail(f"{key}.{name}", f"must be a positive whole number of days, not {value!r}")
    raise_to = raw.get("raise_to")
    if raise_to is not None and raise_to not in schema.TIERS:
        fail(f"{key}.raise_to", f"must be one of {', '.join(schema.TIERS)}, not {raise_to!r}")
    review = raw.get("review", False)
    if not isinstance(review, bool):
        fail(f"{key}.review", "must be true or false")
    if review and raise_to is not None:
        fail(f"{key}.raise_to", "an eligibility review suggests no tier")
    return FeedRule(item, risk, sum_at_least=None if total is None else float(total),
                    count_at_least=count, window_days=window, repeat_days=repeat,
                    raise_to=raise_to, review=review)


def _services(raw: dict, fail) -> Services:
    default = Services()
    pct = raw.get("shortfall_pct", default.shortfall_pct)
    if not (isinstance(pct, int | float) and not isinstance(pct, bool) and 0 <= pct < 100):
        fail("services.shortfall_pct", f"must be a percentage from 0 to below 100, not {pct!r}")
    minutes = raw.get("on_time_minutes", default.on_time_minutes)
    if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes < 0:
        fail("services.on_time_minutes", f"must be a whole number of minutes, 0 or more, "
             f"not {minutes!r}")
    return Services(shortfall_pct=float(pct), on_time_minutes=minutes)


def _positive_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def _positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def load_policy(path: str | Path | None = None) -> Policy:
    """Read and validate a policy file (default ``data/policy.toml``)."""
    path = Path(path or DEFAULT_POLICY_FILE)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"not valid TOML: {exc}", source=str(path)) from exc
    return policy_from_dict(raw, source=str(path))
