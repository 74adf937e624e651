"""Foundation benchmark: demo build time and store load time.

Run: ``python -m bench.bench_store [--province]``. Loads are compared side by side
in one run against a baseline (pyogrio's plain feature-by-feature read, which is
what ``geopandas.read_file`` does without Arrow), so machine noise cancels out
of the ratio.
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import date
from pathlib import Path

import pyogrio

from bench.common import peak_memory_mb, table, timed
from gridmap.demo import build_demo
from gridmap.store import open_store

AS_OF = date(2026, 11, 20)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--province", action="store_true",
                        help="also build the province scale (~1,000,000 households; minutes)")
    args = parser.parse_args()
    scales = ["small", "city"] + (["province"] if args.province else [])
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for scale in scales:
            seconds, frames = timed(lambda s=scale: build_demo(s, seed=0, as_of=AS_OF),
                                    repeat=1 if scale == "province" else 3,
                                    warmup=0 if scale == "province" else 1)
            path = Path(tmp) / f"{scale}.gpkg"
            store = open_store(path)
            write_s, _ = timed(lambda st=store, f=frames: st.init(f, overwrite=True),
                               repeat=1, warmup=0)
            size_mb = path.stat().st_size / 2**20
            rows.append((scale, len(frames["grids"]), len(frames["households"]),
                         len(frames["visits"]), f"{seconds:.2f}", f"{write_s:.2f}",
                         f"{size_mb:.1f}"))
            if scale == "city":
                city_store = store
        print("## Demo build and write\n")
        print(table(rows, ("scale", "grids", "households", "visits", "build s", "write s",
                           "file MiB")))

        load_rows = []
        for layer in ("grids", "households", "visits"):
            ours, _ = timed(lambda la=layer: city_store.read(la))
            base, _ = timed(lambda la=layer: pyogrio.read_dataframe(city_store.path, layer=la))
            load_rows.append((layer, f"{ours * 1000:.0f}", f"{base * 1000:.0f}",
                              f"{base / ours:.1f}x"))
        all_s, _ = timed(lambda: {la: city_store.read(la) for la in
                                  ("areas", "grids", "households", "workers", "assignments",
                                   "household_helpers", "visits", "tier_changes")})
        load_rows.append(("all layers", f"{all_s * 1000:.0f}", "", ""))
        mem = peak_memory_mb(lambda: city_store.read("households"))
        print("\n## City store load (warm, median of 3)\n")
        print(table(load_rows, ("layer", "gridmap ms", "baseline ms", "speed-up")))
        print(f"\nPeak Python heap while loading city households: {mem:.0f} MiB")


if __name__ == "__main__":
    main()
