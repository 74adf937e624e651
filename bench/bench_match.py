"""Matching benchmark (issue 20): 1,000,000 feed rows against the city demo's persons.

Run: ``python -m bench.bench_match [--rows N]``. Target: ``feeds.match`` (every default
rule over every row, placement of leads, responsible workers) in <= 10 s. Baseline in
the same run: a plain pandas merge of the rows with the persons on ``id_number``, the
least any matching must do.
"""

from __future__ import annotations

import argparse
from datetime import date

import numpy as np
import pandas as pd

from bench.common import table, timed
from gridmap import feeds, idcards
from gridmap.demo import build_demo
from gridmap.policy import load_policy

AS_OF = date(2026, 11, 20)
ITEMS = ("大额医疗自付", "住院", "新办残疾证", "失业登记", "欠费停水停电", "死亡")


def feed(frames, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """``n`` rows over a year: a fifth naming registered persons, the rest strangers."""
    persons, areas = frames["persons"], frames["areas"]
    known = rng.random(n) < 0.2
    ids = np.empty(n, dtype=object)
    ids[known] = persons["id_number"].to_numpy()[rng.integers(0, len(persons), known.sum())]
    strangers = int((~known).sum())
    ids[~known] = idcards.make(np.full(strangers, "321102"), pd.Timestamp("1940-01-01")
                               + pd.to_timedelta(rng.integers(0, 25_000, strangers), "D"),
                               rng.integers(0, 1000, strangers))
    communities = areas.loc[areas["level"] == "community", "area_id"].to_numpy()
    item = rng.choice(len(ITEMS), n, p=[0.45, 0.35, 0.02, 0.08, 0.08, 0.02])
    rows = pd.DataFrame({
        "id_number": ids, "name": "某某", "item": np.array(ITEMS)[item],
        "happened_on": pd.Timestamp(AS_OF) - pd.to_timedelta(rng.integers(0, 365, n), "D"),
        "amount": np.where(item == 0, rng.gamma(2, 900, n), np.nan),
        "address": None, "community_code": communities[rng.integers(0, len(communities), n)],
        "source": np.where(item < 2, "医保", "其他")})
    rows["row_hash"] = [f"h{i}" for i in range(n)]
    rows["feed_id"] = "F1"
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    frames = build_demo("city", seed=0, as_of=AS_OF)
    rows = feed(frames, args.rows, np.random.default_rng(1))
    policy = load_policy()

    def run():
        return feeds.match(rows, frames["persons"], frames["households"], frames["grids"],
                           frames["areas"], frames["assignments"],
                           frames["household_helpers"], policy, feed_id="F1",
                           raised_at=pd.Timestamp(AS_OF))

    def baseline():
        return rows.merge(frames["persons"][["id_number", "person_id", "household_id"]],
                          on="id_number", how="left")

    base_s, merged = timed(baseline, repeat=3)
    match_s, alerts = timed(run, repeat=3)
    print(table([("plain pandas merge on id_number (baseline)", f"{base_s:.2f}",
                  f"{merged['household_id'].notna().sum():,} rows matched"),
                 ("feeds.match: rules, placement, workers", f"{match_s:.2f}",
                  f"{len(alerts):,} alerts ({(alerts['kind'] == 'lead').sum():,} leads)")],
                ("step", "seconds", "result")))
    print(f"\n{len(rows):,} rows vs {len(frames['persons']):,} persons; target <= 10 s: "
          f"{'met' if match_s <= 10 else 'NOT met'}")


if __name__ == "__main__":
    main()
