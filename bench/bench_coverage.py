"""Coverage benchmark: due dates and coverage for all four levels.

Run: ``python -m bench.bench_coverage [--province]``. The baseline in the same run
is the obvious per-household loop (find the last counted visit of each household
in Python), so the ratio survives machine noise. Targets: city <= 0.2 s warm,
province <= 5 s.
"""

from __future__ import annotations

import argparse
from datetime import date

import pandas as pd

from bench.common import table, timed
from gridmap import schema
from gridmap.coverage import area_keys, coverage_by, household_status
from gridmap.demo import build_demo
from gridmap.policy import load_policy

AS_OF = date(2026, 11, 20)


def all_levels(frames, policy) -> dict[str, pd.DataFrame]:
    status = household_status(frames["households"], frames["visits"], policy, as_of=AS_OF)
    return {level: coverage_by(status, area_keys(frames["households"], frames["grids"], level))
            for level in schema.LEVELS}


def naive_overdue(frames, policy) -> int:
    """Baseline: per household, scan its visits in Python."""
    by_household = {k: v for k, v in frames["visits"].groupby("household_id")["visited_at"]}
    day = pd.Timestamp(AS_OF)
    overdue = 0
    for row in frames["households"].itertuples():
        seen = by_household.get(row.household_id)
        last = seen.max().normalize() if seen is not None else row.tier_since
        overdue += last + pd.Timedelta(days=policy.interval_days[row.tier]) < day
    return overdue


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--province", action="store_true")
    args = parser.parse_args()
    policy = load_policy()
    rows = []
    city = build_demo("city", seed=0, as_of=AS_OF)
    ours, _ = timed(lambda: all_levels(city, policy))
    base, _ = timed(lambda: naive_overdue(city, policy), repeat=1)
    rows.append(("city", f"{len(city['households']):,}", f"{len(city['visits']):,}",
                 f"{ours:.3f}", f"{base:.2f}", f"{base / ours:.0f}x"))
    if args.province:
        province = build_demo("province", seed=0, as_of=AS_OF)
        p_ours, _ = timed(lambda: all_levels(province, policy), repeat=1)
        rows.append(("province", f"{len(province['households']):,}",
                     f"{len(province['visits']):,}", f"{p_ours:.2f}", "", ""))
        # The province has ~10,000,000 visits: three copies of the history,
        # each shifted back by six months, give 11.8 million.
        v = province["visits"]
        province["visits"] = pd.concat(
            [v.assign(visited_at=v["visited_at"] - pd.Timedelta(days=182 * k)) for k in range(3)],
            ignore_index=True)
        p_big, _ = timed(lambda: all_levels(province, policy), repeat=1)
        rows.append(("province, 3 years of visits", f"{len(province['households']):,}",
                     f"{len(province['visits']):,}", f"{p_big:.2f}", "", ""))
    print("## Coverage for all four levels (warm, median of 3)\n")
    print(table(rows, ("scale", "households", "visits", "gridmap s",
                       "per-household loop s (baseline)", "speed-up")))


if __name__ == "__main__":
    main()
