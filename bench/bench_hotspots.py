"""Hotspot benchmark: Getis-Ord Gi* (999 permutations) on all grids.

Run: ``python -m bench.bench_hotspots [--province]``. Targets: city <= 1 s warm,
province (~48,000 grids) <= 20 s. The baseline in the same run is building the
contiguity graph, which every analysis pays once and the page caches.
"""

from __future__ import annotations

import argparse
from datetime import date

from bench.common import table, timed
from gridmap import hotspots
from gridmap.coverage import household_status
from gridmap.demo import build_demo
from gridmap.indicators import grid_indicators
from gridmap.policy import load_policy

AS_OF = date(2026, 11, 20)


def measure(scale: str) -> tuple:
    frames = build_demo(scale, seed=0, as_of=AS_OF)
    policy = load_policy()
    status = household_status(frames["households"], frames["visits"], policy, as_of=AS_OF)
    per_grid = grid_indicators(frames["grids"], frames["households"], status, policy)
    values = hotspots.indicator("red_orange", frames["grids"], per_grid, frames["households"],
                                frames["visits"], as_of=AS_OF)
    graph_s, w = timed(lambda: hotspots.contiguity(frames["grids"]), repeat=1)
    gi_s, _ = timed(lambda: hotspots.gi_star(values, w, permutations=999),
                    repeat=3 if scale == "city" else 1)
    return scale, f"{len(frames['grids']):,}", f"{graph_s:.2f}", f"{gi_s:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--province", action="store_true")
    args = parser.parse_args()
    rows = [measure("city")] + ([measure("province")] if args.province else [])
    print("## Gi* with 999 permutations (warm)\n")
    print(table(rows, ("scale", "grids", "contiguity graph s", "Gi* s")))


if __name__ == "__main__":
    main()
