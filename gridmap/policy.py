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
from gridmap._errors import ValidationError
from gridmap.settings import DATA_DIR

DEFAULT_POLICY_FILE = DATA_DIR / "policy.toml"


def _default_intervals() -> MappingProxyType:
    return MappingProxyType({"red": 7, "orange": 14, "yellow": 30, "green": 90})


@dataclass(frozen=True)
class Policy:
    """Rules in force. Defaults match the shipped ``data/policy.toml``."""

    interval_days: MappingProxyType = field(default_factory=_default_intervals)
    counted_methods: tuple[str, ...] = schema.VISIT_METHODS
    min_count: int = 5

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
    min_count = raw.get("privacy", {}).get("min_count", 5)
    if not isinstance(min_count, int) or min_count < 1:
        fail("privacy.min_count", "must be a whole number of at least 1")
    return Policy(interval_days=MappingProxyType({t: intervals[t] for t in schema.TIERS}),
                  counted_methods=methods, min_count=min_count)


def load_policy(path: str | Path | None = None) -> Policy:
    """Read and validate a policy file (default ``data/policy.toml``)."""
    path = Path(path or DEFAULT_POLICY_FILE)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"not valid TOML: {exc}", source=str(path)) from exc
    return policy_from_dict(raw, source=str(path))
