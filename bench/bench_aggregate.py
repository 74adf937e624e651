"""Where to aggregate: PostGIS or pandas (issue 23).

Run: ``python -m bench.bench_aggregate [--scale city|province] [--url postgresql://…]``
(default URL ``$GRIDMAP_TEST_POSTGIS``; a fresh schema is made and dropped).

The per-grid figures every map and report starts from: households, red and orange
households, and households overdue on the day (the last counted visit, else the day
the tier was set, plus the tier's interval). Three ways, side by side in one run:

1. **pandas, frames in memory**: ``coverage.household_status`` and a ``bincount`` per
   grid, as the app's read model does once the frames are read (cached per data
   version);
2. **pandas, reading first**: the same after reading households and visits from
   PostGIS (what a new data version costs);
3. **SQL in PostGIS**: one query, the last visit per household by ``GROUP BY`` and the
   sums per grid, only the per-grid rows coming back.

The results are checked equal (without the policy's in-person rule, which the query
leaves out). Printed: the median of three runs each and the ratios against (1).
"""

from __future__ import annotations

import argparse
import os
import uuid
from dataclasses import replace
from datetime import date
from types import MappingProxyType

import numpy as np
import pandas as pd

from bench.common import table, timed
from gridmap import schema
from gridmap.coverage import household_status, positions_in
from gridmap.demo import build_demo
from gridmap.policy import load_policy
from gridmap.store import open_store

AS_OF = date(2026, 11, 20)

QUERY = """
WITH last AS (
  SELECT household_id, max(visited_at) AS at FROM visits
  WHERE method = ANY(%(methods)s) AND visited_at < %(end)s GROUP BY household_id)
SELECT h.grid_id, count(*) AS households,
       count(*) FILTER (WHERE h.tier IN ('red', 'orange')) AS red_orange,
       count(*) FILTER (WHERE date_trunc('day', coalesce(l.at, h.tier_since))
                        + make_interval(days => CASE h.tier {cases} END) < %(day)s)
         AS overdue
FROM households h LEFT JOIN last l USING (household_id)
GROUP BY h.grid_id
"""


def in_pandas(households: pd.DataFrame, visits: pd.DataFrame, grids: pd.Series, policy
              ) -> pd.DataFrame:
    status = household_status(households, visits, policy, as_of=AS_OF)
    at = positions_in(households["grid_id"], grids)
    n = len(grids)
    red_orange = households["tier"].isin(["red", "orange"]).to_numpy()
    return pd.DataFrame({
        "households": np.bincount(at, minlength=n),
        "red_orange": np.bincount(at, weights=red_orange, minlength=n).astype(int),
        "overdue": np.bincount(at, weights=status["overdue"].to_numpy(bool),
                               minlength=n).astype(int)}, index=grids.to_numpy())


def in_sql(store, policy) -> pd.DataFrame:
    cases = " ".join(f"WHEN '{t}' THEN {int(policy.interval_days[t])}" for t in schema.TIERS)
    day = pd.Timestamp(AS_OF)
    with store.transaction() as tx:
        rows = tx.con.execute(QUERY.format(cases=cases), {
            "methods": list(policy.counted_methods), "end": day + pd.Timedelta(days=1),
            "day": day}).fetchall()
    return pd.DataFrame(rows, columns=["grid_id", "households", "red_orange", "overdue"]
                        ).set_index("grid_id")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="city", choices=["small", "city", "province"])
    parser.add_argument("--url", default=os.environ.get("GRIDMAP_TEST_POSTGIS"))
    args = parser.parse_args()
    if not args.url:
        raise SystemExit("give --url postgresql://… or set $GRIDMAP_TEST_POSTGIS")
    import psycopg
    name = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(args.url, autocommit=True) as con:
        con.execute(f"CREATE SCHEMA {name}")
    sep = "&" if "?" in args.url else "?"
    try:
        frames = build_demo(args.scale, seed=0, as_of=AS_OF)
        store = open_store(f"{args.url}{sep}options=-csearch_path%3D{name},public")
        store.init(frames)
        with store.transaction() as tx:
            tx.con.execute("ANALYZE")
        policy = replace(load_policy(), in_person_days=MappingProxyType({}))
        grids = frames["grids"]["grid_id"]
        memory_s, mine = timed(lambda: in_pandas(frames["households"], frames["visits"],
                                                 grids, policy))
        read_s, _ = timed(lambda: in_pandas(store.read("households"), store.read("visits"),
                                            grids, policy))
        sql_s, theirs = timed(lambda: in_sql(store, policy))
        theirs = theirs.reindex(mine.index).fillna(0).astype(int)
        assert theirs.equals(mine.astype(int)), "the two ways disagree"
        print(f"{args.scale}: {len(frames['households']):,} households, "
              f"{len(frames['visits']):,} visits, {len(grids):,} grids; results equal\n")
        print(table([("pandas, frames in memory", f"{memory_s:.3f}", "1.0"),
                     ("pandas, reading from PostGIS first", f"{read_s:.3f}",
                      f"{read_s / memory_s:.1f}"),
                     ("SQL in PostGIS", f"{sql_s:.3f}", f"{sql_s / memory_s:.1f}")],
                    ("way", "seconds (median of 3)", "× in memory")))
        store._connection().close()
    finally:
        with psycopg.connect(args.url, autocommit=True) as con:
            con.execute(f"DROP SCHEMA {name} CASCADE")


if __name__ == "__main__":
    main()
