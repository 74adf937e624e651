"""The Chinese working-day calendar: weekends, public holidays and make-up working days
(调休), from the maintained ``holidays`` package (not a hand-written list).

The State Council publishes each year's arrangement in the autumn before; for a
year not yet published, ``holidays`` falls back to the statutory holidays alone,
without the make-up working days.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _calendar(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("CN", years=year)


def is_working_day(day: date) -> bool:
    """True on a working day: a weekday that is no holiday, or a make-up working day."""
    return _calendar(day.year).is_working_day(day)


def add_working_days(start: date, n: int) -> date:
    """The ``n``-th working day after ``start`` (``start`` itself does not count).

    A case reported on Wednesday 30 September 2026 with 3 working days is due on
    Saturday 10 October: 1–7 October are the National Day holiday and the 10th is
    a make-up working day.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    day = start
    while n:
        day += timedelta(days=1)
        n -= is_working_day(day)
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end <= start``)."""
    return sum(is_working_day(start + timedelta(days=k))
               for k in range(1, (end - start).days + 1))
