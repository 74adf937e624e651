"""Small timing helpers for benchmarks (never used by tests)."""

from __future__ import annotations

import statistics
import time
import tracemalloc
from collections.abc import Callable


def timed(fn: Callable[[], object], *, repeat: int = 3, warmup: int = 1) -> tuple[float, object]:
    """Median wall time of ``fn`` over ``repeat`` runs after ``warmup`` runs, and its result."""
    result = None
    for _ in range(warmup):
        result = fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def peak_memory_mb(fn: Callable[[], object]) -> float:
    """Peak Python heap allocated while ``fn`` runs, in MiB (tracemalloc)."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def table(rows: list[tuple], header: tuple) -> str:
    """A Markdown table."""
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)
