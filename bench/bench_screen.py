"""Presentation-screen soak: does the server's memory grow while a screen runs?

Run: ``python -m bench.bench_screen [--minutes 5]``. Builds the city demo, starts the
app, opens ``/screen`` in Chromium with views rotating every 2 s and figures
refreshing every 2 s (10-15x faster than in a service centre), and logs a visit
every 20 s so the cached data really changes. The baseline is the server's memory
after the first full rotation; the figure is its growth by the end.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

from bench.common import table
from gridmap.demo import build_demo
from gridmap.store import open_store
from tests.browser import chromium_page, streamlit_server


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=5.0)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="gridmap-screen-"))
    store = open_store(folder / "city.gpkg")
    store.init(build_demo("city", seed=0, as_of=date.today()))
    token = store.create_token("soak", "screen")
    household = store.read("households")["household_id"].iloc[0]
    worker = store.read("workers")["worker_id"].iloc[0]
    rows = []
    with streamlit_server(store.path, with_process=True) as (url, proc), \
            chromium_page(width=1920, height=1080, block=False) as (page, _):
        page.goto(f"{url}/screen?token={token}&rotate=2&refresh=2")
        page.locator(".gm-fig").first.wait_for(timeout=120_000)
        page.wait_for_timeout(12_000)  # a full rotation: every view drawn once
        start, base = time.monotonic(), rss_mb(proc.pid)
        rows.append(("0:00", f"{base:.0f}", "1.00"))
        last_visit = start
        while (elapsed := time.monotonic() - start) < args.minutes * 60:
            page.wait_for_timeout(5_000)
            if time.monotonic() - last_visit > 20:
                store.append_visit(household_id=household, worker_id=worker,
                                   visited_at=datetime.now(), method="phone")
                last_visit = time.monotonic()
            if int(elapsed) // 60 != int(elapsed - 5) // 60:
                now = rss_mb(proc.pid)
                rows.append((f"{int(elapsed) // 60}:{int(elapsed) % 60:02d}", f"{now:.0f}",
                             f"{now / base:.2f}"))
        end = rss_mb(proc.pid)
        rows.append((f"{args.minutes:g}:00", f"{end:.0f}", f"{end / base:.2f}"))
    print("## Screen soak: server memory (RSS) while /screen rotates and refreshes\n")
    print(table(rows, ("elapsed", "RSS MiB", "vs after first rotation")))


if __name__ == "__main__":
    main()
