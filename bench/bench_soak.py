"""Server memory: per idle session, and over a soak (issue 22).

Run: ``python -m bench.bench_soak [--idle 0,5,10] [--minutes 30] [--sessions 10]
[--rotate 20] [--think 5]`` (heavy: run it alone, ``flock /tmp/gridmap-server.lock ...``).

One ``streamlit run app.py`` on the city demo (a fresh temporary store), headless
Chromium on the same machine, the server's resident memory read from /proc (the
server process and its children; helpers of ``bench_load``).

1. **Idle sessions.** After one warm-up session (so the caches hold the map), K
   sessions (``--idle``, cumulative: 0, then 5, then 10) each log in as the district
   leader at ``/map``, wait for the map, and then do nothing. Printed: the server's
   RSS at each K, the growth per session from K=0, and the least-squares slope of RSS
   over K (MiB per session).
2. **Soak.** The presentation screen (``/screen?token=…``, rotating every ``--rotate``
   seconds) plus ``--sessions`` leaders who each log in once and then walk the sidebar
   (map, coverage, overview, cases, workload) in a loop, ``--think`` seconds on each
   page, for ``--minutes``, after one warm-up pass over the same pages and one
   rotation of the screen. The server's RSS is sampled every 30 s. Printed: every
   sample, the RSS at the start and the end, and the least-squares slope (MiB per 10
   minutes). "Flat" means a slope near 0 once the caches are full.

The browsers share the machine with the server: the figures are for this machine as
a whole. No figure here is asserted by a test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from bench.bench_load import _map_drawn, cpu_seconds, login, plain, rss_mib
from bench.common import table
from gridmap.demo import build_demo
from gridmap.store import open_store
from tests.browser import CHROMIUM, CHROMIUM_ARGS

SAMPLE_S = 30
LOOP = ("Map", "Coverage", "Overview", "Cases", "Workload")  # the leader's sidebar, en


# -- the arithmetic (pure; tests/test_bench_soak.py) ----------------------------------

def slope(xs: list[float], ys: list[float]) -> float:
    """The least-squares slope of ``ys`` over ``xs`` (0 for fewer than two distinct xs)."""
    if len(set(xs)) < 2:
        return 0.0
    return statistics.linear_regression(xs, ys).slope


def per_session(counts: list[int], rss: list[float]) -> list[float | None]:
    """Growth of RSS per session from the first sample (the one with the fewest
    sessions), for each sample; ``None`` where no session was added."""
    base_n, base_rss = counts[0], rss[0]
    return [None if n == base_n else (r - base_rss) / (n - base_n)
            for n, r in zip(counts, rss, strict=True)]


def per_ten_minutes(seconds: list[float], rss: list[float]) -> float:
    """The RSS trend of a soak in MiB per 10 minutes (least squares over time)."""
    return slope(seconds, rss) * 600


# -- the browsers ----------------------------------------------------------------------

async def _idle_page(page, timeout_ms: int = 120_000) -> None:
    await page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
        polling=200, timeout=timeout_ms)


async def open_session(browser, url: str):
    """A leader logged in at /map with the map drawn; returns its context."""
    context = await browser.new_context(viewport={"width": 1440, "height": 900})
    page = await context.new_page()
    await login(page, url)
    await _map_drawn(page)
    return context, page


async def browse(browser, url: str, until: float, think: float, log: dict,
                 once: bool = False) -> None:
    """One leader: log in once, then walk ``LOOP`` in the sidebar until ``until`` (or
    ``once``)."""
    try:
        context, page = await open_session(browser, url)
    except Exception as exc:
        log["errors"].append(f"login: {type(exc).__name__}: {str(exc)[:100]}")
        return
    try:
        i = 0
        while i < len(LOOP) if once else time.monotonic() < until:
            name = LOOP[i % len(LOOP)]
            i += 1
            try:
                await page.get_by_test_id("stSidebarNavLink").filter(
                    has_text=re.compile(f"{name}$")).click(timeout=60_000)
                await _idle_page(page)
                log["views"] += 1
            except Exception as exc:
                log["errors"].append(f"{name}: {type(exc).__name__}: {str(exc)[:100]}")
            await asyncio.sleep(think)
    finally:
        await context.close()


async def screen(browser, url: str, token: str, rotate: int, until: float, log: dict) -> None:
    context = await browser.new_context(viewport={"width": 1920, "height": 1080})
    page = await context.new_page()
    try:
        await page.goto(f"{url}/screen?token={token}&rotate={rotate}&lang=en")
        while time.monotonic() < until:
            await asyncio.sleep(5)
    except Exception as exc:
        log["errors"].append(f"screen: {type(exc).__name__}: {str(exc)[:100]}")
    finally:
        await context.close()


async def warm_pages(browser, url: str, token: str, rotate: int) -> None:
    """One pass over every page of the soak (and one rotation of the screen), so the
    soak measures memory with the caches filled, not the caches filling."""
    log = {"views": 0, "errors": []}
    await asyncio.gather(
        browse(browser, url, time.monotonic() + 1, 0, log, once=True),
        screen(browser, url, token, rotate, time.monotonic() + 4 * rotate + 5, log))
    if log["errors"]:
        raise RuntimeError(f"warm-up failed: {log['errors'][:2]}")


async def sampler(pids, start: float, until: float, samples: list) -> None:
    while True:
        procs = pids()
        samples.append((time.monotonic() - start, rss_mib(procs), cpu_seconds(procs),
                        os.getloadavg()[0]))
        print(f"  {samples[-1][0]:6.0f} s  RSS {samples[-1][1]:7.1f} MiB  "
              f"CPU {samples[-1][2]:7.1f} s  load {samples[-1][3]:.1f}", flush=True)
        if time.monotonic() >= until:
            return
        await asyncio.sleep(min(SAMPLE_S, max(until - time.monotonic(), 0)))


# -- the run -----------------------------------------------------------------------------

async def run(store: Path, token: str, args) -> None:
    from playwright.async_api import async_playwright
    idle = sorted(int(k) for k in args.idle.split(","))
    with plain(store) as (url, pids, _):
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            warm, _page = await open_session(browser, url)  # the caches hold the map now
            await warm.close()
            await asyncio.sleep(5)

            print(f"\n## Idle sessions (leader at /map), {os.cpu_count()} cores\n", flush=True)
            open_ = []
            counts, rss = [], []
            for k in idle:
                while len(open_) < k:
                    open_.append(await open_session(browser, url))
                await asyncio.sleep(10)  # let the runs finish and the heap settle
                counts.append(k)
                rss.append(rss_mib(pids()))
                print(f"  K={k}: RSS {rss[-1]:.1f} MiB", flush=True)
            growth = per_session(counts, rss)
            print(table([(k, f"{r:.1f}", "—" if g is None else f"{g:.2f}")
                         for k, r, g in zip(counts, rss, growth, strict=True)],
                        ("idle sessions", "server RSS MiB", "MiB per session from K=0")))
            print(f"\nleast-squares slope: {slope(counts, rss):.2f} MiB per idle session",
                  flush=True)
            for context, _page in open_:
                await context.close()
            await asyncio.sleep(5)

            await warm_pages(browser, url, token, args.rotate)
            await asyncio.sleep(5)
            print(f"\n## Soak: screen rotating every {args.rotate} s + {args.sessions} "
                  f"leaders browsing, {args.minutes} min\n", flush=True)
            start = time.monotonic()
            until = start + args.minutes * 60
            log = {"views": 0, "errors": []}
            samples: list = []
            cpu0 = cpu_seconds(pids())
            await asyncio.gather(
                sampler(pids, start, until, samples),
                screen(browser, url, token, args.rotate, until, log),
                *(browse(browser, url, until, args.think, log)
                  for _ in range(args.sessions)))
            await browser.close()
    seconds = [s[0] for s in samples]
    memory = [s[1] for s in samples]
    print()
    print(table([(f"{args.minutes}", args.sessions, f"{memory[0]:.1f}", f"{memory[-1]:.1f}",
                  f"{max(memory):.1f}", f"{per_ten_minutes(seconds, memory):+.1f}",
                  log["views"], len(log["errors"]),
                  f"{samples[-1][2] - cpu0:.0f}")],
                ("minutes", "sessions", "RSS start MiB", "RSS end MiB", "RSS max MiB",
                 "slope MiB/10 min", "page views", "errors", "server CPU s")))
    half = [(s, m) for s, m in zip(seconds, memory, strict=True) if s >= seconds[-1] / 2]
    if len(half) >= 2:
        print(f"\nslope over the second half: "
              f"{per_ten_minutes([s for s, _ in half], [m for _, m in half]):+.1f} MiB/10 min")
    for e in log["errors"][:5]:
        print("   error:", e)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--idle", default="0,5,10", help="idle sessions, comma-separated")
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--rotate", type=int, default=20, help="the screen's rotation, s")
    parser.add_argument("--think", type=float, default=5, help="seconds on each page")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="gridmap-soak-"))
    store = folder / "city.gpkg"
    open_store(store).init(build_demo("city", seed=0, as_of=date.today()))
    token = open_store(store).create_token("soak", "screen")
    print(f"city demo in {store}", flush=True)
    asyncio.run(run(store, token, args))


if __name__ == "__main__":
    main()
