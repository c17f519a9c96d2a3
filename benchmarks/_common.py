"""Timing helpers shared by the benchmarks: best-of-n wall time and a ratio table."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_of(func: Callable[[], object], repeat: int = 3) -> float:
    """Best wall-clock time of ``repeat`` calls, in seconds (the least disturbed run)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return min(times)


def report(title: str, rows: list[tuple[str, float]], baseline: str) -> None:
    """Print times and each row's speed-up over ``baseline`` (>1 means faster than it)."""
    base = dict(rows)[baseline]
    print(f"\n{title}")
    width = max(len(name) for name, _ in rows)
    for name, seconds in rows:
        print(f"  {name:<{width}}  {seconds:9.3f} s   {base / seconds:8.1f}x vs {baseline}")
