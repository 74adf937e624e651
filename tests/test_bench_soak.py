"""The soak benchmark's arithmetic (bench/bench_soak.py): pure functions, no server."""

import pytest

from bench.bench_soak import per_session, per_ten_minutes, slope


def test_slope_is_the_least_squares_fit():
    assert slope([0, 5, 10], [300.0, 310.0, 320.0]) == pytest.approx(2.0)
    # Noise around a line: the fit, not the end points ((330 - 300) / 10 would say 3).
    assert slope([0, 5, 10], [300.0, 320.0, 330.0]) == pytest.approx(3.0)
    assert slope([0, 1, 2, 3], [5.0, 7.0, 5.0, 7.0]) == pytest.approx(0.4)
    assert slope([4, 4], [1.0, 9.0]) == 0.0  # no spread in x: no slope


def test_growth_per_session_from_the_first_sample():
    assert per_session([0, 5, 10], [300.0, 312.5, 330.0]) == [None, 2.5, 3.0]
    assert per_session([2, 2, 6], [100.0, 101.0, 108.0]) == [None, None, 2.0]


def test_soak_trend_in_mib_per_ten_minutes():
    seconds = [0, 30, 60, 90, 120]
    assert per_ten_minutes(seconds, [400.0] * 5) == 0.0  # flat
    rising = [400 + s / 60 for s in seconds]  # 1 MiB a minute
    assert per_ten_minutes(seconds, rising) == pytest.approx(10.0)
