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
import numpy as np


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


def add_working_days_many(starts, n) -> np.ndarray:
    """``add_working_days`` for arrays of start days and day counts (datetime64[D])."""
    starts = np.asarray(starts, dtype="datetime64[D]")
    n = np.broadcast_to(np.asarray(n, dtype=np.int64), starts.shape)
    if not len(starts):
        return starts
    first = starts.min()
    span = int((starts.max() - first).astype(int)) + 3 * int(n.max()) + 40
    days = first + np.arange(span + 1)
    working = np.array([is_working_day(d.item()) for d in days], dtype=np.int64)
    count = np.cumsum(working)  # working days from first to each day, inclusive
    offset = (starts - first).astype(int)
    target = count[offset] + n
    return np.where(n == 0, starts, days[np.searchsorted(count, target, side="left")])
