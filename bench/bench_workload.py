"""Rebalancing benchmark: CP-SAT on every community of the city demo, and on streets.

Run: ``python -m bench.bench_workload [--streets N]``. Targets: each community solved
in <= 2 s and a whole street in <= 10 s (the page's time limits), every community's
maximum utilisation after rebalancing within 5 % of its lower bound, or proven
optimal (so no assignment does better and the gap is the bound's, not the solver's).
Side by side in the same run: the maximum utilisation before, after, and the bound.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date

from bench.common import table
from gridmap import rebalance, workload
from gridmap.demo import build_demo
from gridmap.policy import load_policy

AS_OF = date(2026, 11, 20)


def solve_all(frames, loads, policy, kind: str, ids, limit: float) -> list[dict]:
    out = []
    for area_id in ids:
        started = time.perf_counter()
        inst = rebalance.build_instance(
            rebalance.Scope(kind, area_id), grids=frames["grids"],
            households=frames["households"], workers=frames["workers"],
            assignments=frames["assignments"], helpers=frames["household_helpers"],
            loads=loads, policy=policy)
        p = rebalance.solve(inst, time_limit=limit)
        out.append({"id": area_id, "households": len(inst.households),
                    "workers": len(inst.workers), "solve_s": p.seconds,
                    "total_s": time.perf_counter() - started, "status": p.status,
                    "before": p.max_utilisation("before"), "after": p.max_utilisation(),
                    "bound": p.lower_bound, "moves": len(p.moves)})
    return out


def summarise(label: str, rows: list[dict], target_s: float) -> tuple:
    solved = [r for r in rows if r["households"]]
    within = sum(r["after"] <= 1.05 * r["bound"] + 1e-9 for r in solved)
    optimal = sum(r["status"] == "optimal" for r in solved)
    over = sum(r["solve_s"] > target_s for r in solved)
    ratio = [r["after"] / r["bound"] for r in solved if r["bound"] > 0]
    return (label, len(solved), f"{max(r['solve_s'] for r in solved):.2f}",
            f"{statistics.median(r['solve_s'] for r in solved):.2f}", over,
            f"{within} ({within / len(solved):.0%})", optimal,
            f"{statistics.median(r['before'] for r in solved):.2f}",
            f"{statistics.median(r['after'] for r in solved):.2f}",
            f"{max(ratio):.2f}", sum(r["moves"] for r in solved))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--streets", type=int, default=10,
                        help="the N streets with most households (0: all)")
    args = parser.parse_args()
    frames = build_demo("city", seed=0, as_of=AS_OF)
    policy = load_policy()
    started = time.perf_counter()
    loads = workload.household_load(frames["households"], frames["grids"], frames["visits"],
                                    frames["cases"], policy, as_of=AS_OF)
    loads_s = time.perf_counter() - started
    loads = loads.set_index("household_id")["load_minutes"]
    communities = frames["grids"]["community_id"].unique()
    by_street = frames["households"].merge(frames["grids"][["grid_id", "street_id"]])[
        "street_id"].value_counts()
    streets = by_street.index[: args.streets or None]
    rows = [summarise("community", solve_all(frames, loads, policy, "community", communities,
                                             2.0), 2.0),
            summarise("street", solve_all(frames, loads, policy, "street", streets, 10.0), 10.0)]
    print(f"household loads for the whole city: {loads_s:.2f} s\n")
    print("## CP-SAT rebalancing on the city demo\n")
    print(table(rows, ("scope", "solved", "max s", "median s", "over target",
                       "within 5% of bound", "proven optimal", "median max util before",
                       "median max util after", "worst after/bound", "moves")))


if __name__ == "__main__":
    main()
