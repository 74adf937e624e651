"""The Chinese working-day calendar, across holidays and make-up working days."""

from datetime import date

import pytest

from gridmap.workdays import add_working_days, is_working_day, working_days_between


@pytest.mark.parametrize(("day", "working"), [
    (date(2026, 11, 20), True),   # a Friday
    (date(2026, 11, 21), False),  # a Saturday
    (date(2026, 10, 1), False),   # National Day, a Thursday
    (date(2026, 10, 7), False),   # National Day holiday, a Wednesday
    (date(2026, 10, 10), True),   # a Saturday made a working day (调休)
    (date(2026, 2, 14), True),    # a Saturday worked before the Spring Festival
    (date(2026, 2, 18), False),   # Spring Festival, a Wednesday
])
def test_is_working_day(day, working):
    assert is_working_day(day) is working


def test_three_working_days_across_national_day_and_a_make_up_saturday():
    # Reported Wed 30 Sep: 1-7 Oct off, Thu 8 and Fri 9 work, Sat 10 is a make-up day.
    assert add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)


def test_three_working_days_over_a_plain_weekend():
    assert add_working_days(date(2026, 11, 20), 3) == date(2026, 11, 25)


def test_make_up_sunday_counts():
    # Fri 18 Sep: Sat 19 off, Sun 20 is a make-up working day, then Mon 21 and Tue 22.
    assert add_working_days(date(2026, 9, 18), 1) == date(2026, 9, 20)
    assert add_working_days(date(2026, 9, 18), 3) == date(2026, 9, 22)


def test_zero_days_and_counting_back():
    assert add_working_days(date(2026, 10, 1), 0) == date(2026, 10, 1)
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 10)) == 3
    assert working_days_between(date(2026, 10, 10), date(2026, 9, 30)) == 0
    with pytest.raises(ValueError):
        add_working_days(date(2026, 10, 1), -1)


def test_the_array_version_agrees_day_by_day():
    import numpy as np

    from gridmap.workdays import add_working_days_many
    days = np.arange(np.datetime64("2025-12-20"), np.datetime64("2026-12-31"))
    for n in (0, 1, 3, 15):
        got = add_working_days_many(days, n)
        assert [g.item() for g in got] == [add_working_days(d.item(), n) for d in days]
