"""Import benchmark: a household ledger of N rows into the city demo store.

Run: ``python -m bench.bench_import [--rows 1000000]``. Target: 1,000,000 rows in
<= 60 s. The baseline in the same run is reading the file alone (CSV, UTF-8), which
every import pays; the figures are checking (prepare) and writing (commit).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from bench.common import table
from gridmap.demo import build_demo
from gridmap.io import importing
from gridmap.store import open_store


def ledger(grids, n: int, rng) -> pd.DataFrame:
    pick = rng.integers(0, len(grids), n)
    points = grids.geometry.representative_point().to_numpy()[pick]
    body = [f"3211021980{i:07d}" for i in range(n)]
    weights = np.array(importing._ID_WEIGHTS)
    digits = np.array([[int(c) for c in b] for b in body[:1]])  # shape check only
    assert digits.shape[1] == 17
    ids = []
    for b in body:
        total = sum(int(d) * w for d, w in zip(b, weights, strict=True))
        ids.append(b + importing._ID_CHECK[total % 11])
    return pd.DataFrame({
        "户主姓名": "测试", "身份证号": ids, "联系电话": "", "住址": "测试路1号",
        "所属网格": grids["grid_id"].to_numpy()[pick],
        "颜色等级": rng.choice(["红色", "橙", "黄", "green"], n), "救助类别": "低保",
        "家庭人口": rng.integers(1, 6, n), "经度": [p.x for p in points],
        "纬度": [p.y for p in points]})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="gridmap-import-"))
    store = open_store(folder / "city.gpkg")
    frames = build_demo("city", seed=0, as_of=date(2026, 11, 20))
    store.init(frames)
    path = folder / "ledger.csv"
    ledger(frames["grids"], args.rows, np.random.default_rng(0)).to_csv(
        path, index=False, encoding="utf-8")
    started = time.perf_counter()
    importing.read_cells(path, path.name)
    read_s = time.perf_counter() - started
    started = time.perf_counter()
    prepared = importing.prepare("households", path, path.name, store=store,
                                 as_of=date(2026, 11, 22))
    prepare_s = time.perf_counter() - started
    assert not prepared.errors, prepared.errors[:3]
    started = time.perf_counter()
    importing.commit(store, prepared, by="bench")
    commit_s = time.perf_counter() - started
    total = prepare_s + commit_s
    print(f"## Importing {args.rows:,} household rows (CSV) into the city demo store\n")
    print(table([(f"{args.rows:,}", f"{read_s:.1f}", f"{prepare_s:.1f}", f"{commit_s:.1f}",
                  f"{total:.1f}", f"{total / read_s:.1f}")],
                ("rows", "read s (baseline)", "check s", "write s", "total s",
                 "total / read")))


if __name__ == "__main__":
    main()
