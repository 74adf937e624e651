"""Many users at once: K concurrent real-browser sessions against three servers.

Run: ``python -m bench.bench_load [--k 1,4,8,16,32] [--setups floor,plain,replicas]
[--replicas 2] [--kill]`` (heavy: run it alone, ``flock /tmp/gridmap-server.lock ...``).

On the city demo, each session (its own browser context in one headless Chromium)
logs in as the district leader at ``/map``, waits for the map to be drawn, then
follows the sidebar link to ``/coverage`` and waits for that page and its map. K
sessions start together. Measured in the same run, against:

- ``plain``: one ``streamlit run app.py``;
- ``replicas``: ``python -m gridmap serve --replicas N`` (HAProxy in front);
- ``floor``: a one-line Streamlit page (``st.title``) through one process: what
  Streamlit itself costs per session on this machine (no login, no map).

Printed per setup and K: median and p95 seconds from the login click to the map drawn
and to the coverage page drawn, errors, the servers' CPU seconds per session and per
view (user + system of every server process, HAProxy included, from /proc), and the
growth of their resident memory per open session, the browsers' CPU seconds per
session (Chromium and Playwright), and the machine's load average. Each server is
warmed first by one session per process, so views come from its caches (as in a
meeting, after the first user). The browsers share the machine's cores with the
servers: figures are for this machine as a whole, not for the server alone.

``--kill``: with the replicas, K sessions each log a visit while replica r1 is killed
mid-run; counts sessions that had to log in again, errors, and visits lost.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from bench.common import table
from gridmap.demo import build_demo
from gridmap.serve import COOKIE
from gridmap.store import open_store
from tests.browser import CHROMIUM, CHROMIUM_ARGS, ROOT, _free_port, streamlit_server

TICK = os.sysconf("SC_CLK_TCK")
PAGE = "/map?lang=en"
DRAWN = """() => !!(window.map && document.querySelector('.leaflet-control-layers')
                    && document.querySelector('canvas'))"""


# -- server processes: CPU and memory from /proc ------------------------------------

def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (after pid, comm)
    return total / TICK


def rss_mib(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


# -- the servers ---------------------------------------------------------------------

@contextmanager
def plain(store: Path):
    with streamlit_server(store, with_process=True, timeout=120) as (url, proc):
        yield url, (lambda: _tree(proc.pid)), [None]


@contextmanager
def replicas(store: Path, n: int):
    port = _free_port()
    log = store.parent / "serve.log"
    out = open(log, "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "gridmap", "serve", "--replicas", str(n), "--port", str(port),
         "--address", "127.0.0.1", "--store", str(store)],
        cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while "serving http://" not in log.read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("serve did not start:\n" + log.read_text())
            time.sleep(0.3)
        yield f"http://127.0.0.1:{port}", (lambda: _tree(proc.pid)), \
            [f"r{i + 1}" for i in range(n)]
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        out.close()


@contextmanager
def floor(folder: Path):
    page = folder / "floor_app.py"
    page.write_text('import streamlit as st\n\nst.title("gridmap")\n')
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(page), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        import urllib.request
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield url, (lambda: _tree(proc.pid)), [None]
    finally:
        proc.terminate()
        proc.wait(10)


# -- one session -----------------------------------------------------------------------

async def _map_drawn(page, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for frame in page.frames:
            if "streamlit_folium" not in frame.url:
                continue
            try:
                # Polled every 50 ms, not every animation frame: K pages polling on
                # every frame would take the CPU the servers are measured on.
                await frame.wait_for_function(DRAWN, polling=50, timeout=250)
                return
            except Exception:  # not drawn yet, or replaced meanwhile
                pass
        await page.wait_for_timeout(50)
    raise TimeoutError("the map was not drawn")


async def _idle(page, timeout_ms: int = 120_000) -> None:
    await page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
        polling=50, timeout=timeout_ms)


async def login(page, url: str, user: str = "leader") -> float:
    """Open /map, log in; returns the moment of the login click."""
    await page.goto(url + PAGE)
    await page.get_by_role("textbox", name="User name").fill(user)
    await page.get_by_role("textbox", name="Password").fill(f"demo-{user}")
    start = time.perf_counter()
    await page.get_by_role("button", name="Log in", exact=True).click()
    return start


async def journey(browser, url: str, replica: str | None, is_floor: bool) -> dict:
    """One user: log in at /map, the map drawn, then /coverage drawn."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    if replica:
        await context.add_cookies([{"name": COOKIE, "value": replica, "url": url}])
    page = await context.new_page()
    try:
        if is_floor:
            start = time.perf_counter()
            await page.goto(url)
            await page.wait_for_selector("h1", timeout=120_000)
            await _idle(page)
            return {"map": time.perf_counter() - start, "coverage": None, "context": context}
        start = await login(page, url)
        await _map_drawn(page)
        drawn = time.perf_counter() - start
        step = time.perf_counter()
        await page.get_by_test_id("stSidebarNavLink").filter(has_text="Coverage").click()
        await page.wait_for_selector('[data-testid="stMain"] h1:has-text("overage")',
                                     timeout=120_000)
        await _map_drawn(page)
        await _idle(page)
        return {"map": drawn, "coverage": time.perf_counter() - step, "context": context}
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {str(exc)[:120]}", "context": context}


def _p95(values: list[float]) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


async def run_setup(name: str, server, ks: list[int]) -> list[tuple]:
    from playwright.async_api import async_playwright
    rows = []
    with server as (url, pids, pins):
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            is_floor = name == "floor"
            for pin in pins:  # warm every process's caches: one session each
                warm = await journey(browser, url, pin, is_floor)
                await warm["context"].close()
                if "error" in warm:
                    raise RuntimeError(f"{name}: warm-up failed: {warm['error']}")
            for k in ks:
                await asyncio.sleep(2)
                procs = pids()
                cpu0, rss0 = cpu_seconds(procs), rss_mib(procs)
                client0 = cpu_seconds(_tree(os.getpid()))  # Playwright and Chromium
                results = await asyncio.gather(*(journey(browser, url, None, is_floor)
                                                  for _ in range(k)))
                procs = pids()
                cpu = cpu_seconds(procs) - cpu0
                rss = rss_mib(procs) - rss0  # the K sessions still open
                client = cpu_seconds(_tree(os.getpid())) - client0
                for r in results:
                    await r["context"].close()
                ok = [r for r in results if "error" not in r]
                errors = [r["error"] for r in results if "error" in r]
                maps = [r["map"] for r in ok]
                covs = [r["coverage"] for r in ok if r["coverage"] is not None]
                views = 1 if is_floor else 2
                rows.append((
                    name, k,
                    f"{statistics.median(maps):.2f}" if maps else "—",
                    f"{_p95(maps):.2f}" if maps else "—",
                    f"{statistics.median(covs):.2f}" if covs else "—",
                    f"{_p95(covs):.2f}" if covs else "—",
                    len(errors),
                    f"{cpu / k:.2f}", f"{cpu / k / views:.2f}", f"{rss / k:.1f}",
                    f"{client / k:.2f}", f"{os.getloadavg()[0]:.1f}"))
                print(" | ".join(str(c) for c in rows[-1]), flush=True)
                for e in errors[:3]:
                    print("   error:", e, flush=True)
            await browser.close()
    return rows


# -- a replica killed mid-run ------------------------------------------------------------

async def kill_run(store: Path, k: int, n: int) -> None:
    """K sessions on the replicas, each logging in at /coverage and saving one visit;
    r1 is killed while they run. Those on r1 meet the login page again (their session
    was in r1), log in on another replica, and save their visit there."""
    from playwright.async_api import async_playwright
    s = open_store(store)
    households = s.read("households")
    before = len(s.read("visits"))
    with replicas(store, n) as (url, pids, _):
        procs = {}
        for pid in pids():
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            if b"streamlit" in cmd:
                procs[pid] = cmd
        r1 = min(procs)  # the first replica started
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            killed = asyncio.Event()

            async def user(i: int) -> dict:
                hh = households.iloc[i * 37 % len(households)]
                context = await browser.new_context(viewport={"width": 1280, "height": 900})
                page = await context.new_page()
                target = f"{url}/coverage?area=grid:{hh['grid_id']}&lang=en"
                logins = 0

                async def on_the_form() -> None:
                    """Logged in (again, if the session is gone) with the visit tab open."""
                    nonlocal logins
                    for attempt in range(4):
                        try:
                            name = page.get_by_role("textbox", name="User name")
                            await page.wait_for_selector(
                                'input[aria-label="User name"], [role="tab"]', timeout=60_000)
                            if await name.count():
                                logins += 1
                                await name.fill("admin")
                                await page.get_by_role("textbox", name="Password").fill(
                                    "demo-admin")
                                await page.get_by_role("button", name="Log in",
                                                       exact=True).click()
                            await page.get_by_role("tab", name="Log a visit").click(
                                timeout=60_000)
                            return
                        except Exception:
                            if attempt == 3:
                                raise
                            await page.goto(target)

                try:
                    await page.goto(target)
                    await on_the_form()
                    replica = next(c["value"] for c in await context.cookies()
                                   if c["name"] == COOKIE)
                    await killed.wait()  # r1 is gone now: its sessions must notice
                    await page.wait_for_timeout(8_000)
                    for _ in range(4):
                        await on_the_form()
                        picker = page.get_by_label("Household (alias · grid)").filter(
                            visible=True)
                        await picker.click()
                        await picker.fill(hh["alias"])
                        await page.get_by_role("option", name=re.compile(
                            re.escape(hh["alias"]))).first.click()
                        await page.get_by_role("button", name="Save the visit").click()
                        try:
                            await page.get_by_text(re.compile(r"^Saved\.")).wait_for(
                                timeout=30_000)
                            return {"replica": replica, "relogins": logins - 1,
                                    "saved": True}
                        except Exception:
                            await page.goto(target)
                    return {"replica": replica, "relogins": logins - 1, "saved": False}
                except Exception as exc:
                    return {"error": f"{type(exc).__name__}: {str(exc)[:160]}"}
                finally:
                    await context.close()

            async def killer() -> None:
                await asyncio.sleep(45)  # everyone logged in meanwhile
                os.kill(r1, signal.SIGKILL)
                killed.set()

            results, _ = await asyncio.gather(asyncio.gather(*(user(i) for i in range(k))),
                                              killer())
            await browser.close()
    saved = sum(1 for r in results if r.get("saved"))
    after = len(open_store(store).read("visits"))
    print("\n## A replica killed mid-run\n")
    print(table([(k, sum(r.get("replica") == "r1" for r in results),
                  sum(r.get("relogins", 0) > 0 for r in results),
                  sum(r.get("relogins", 0) > 0 and r.get("replica") != "r1" for r in results),
                  sum("error" in r for r in results) + sum(r.get("saved") is False
                                                            for r in results),
                  saved, after - before)],
                ("sessions", "on r1", "logged in again", "of them not on r1",
                 "errors", "visits saved", "visits in the store")))
    for r in results:
        if "error" in r:
            print("   error:", r["error"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--k", default="1,4,8,16,32", help="concurrent sessions, comma-separated")
    parser.add_argument("--setups", default="floor,plain,replicas",
                        help="any of floor,plain,replicas; empty for --kill alone")
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--kill", action="store_true", help="also kill a replica mid-run")
    args = parser.parse_args()
    ks = [int(x) for x in args.k.split(",")]
    folder = Path(tempfile.mkdtemp(prefix="gridmap-load-"))
    store = folder / "city.gpkg"
    open_store(store).init(build_demo("city", seed=0, as_of=date.today()))
    header = ("setup", "K", "map median s", "map p95 s", "coverage median s",
              "coverage p95 s", "errors", "server CPU s/session", "CPU s/view",
              "RSS MiB/session", "browser CPU s/session", "load avg")
    print(" | ".join(header), flush=True)
    rows = []
    for name in filter(None, args.setups.split(",")):
        server = {"floor": lambda: floor(folder), "plain": lambda: plain(store),
                  "replicas": lambda: replicas(store, args.replicas)}[name]()
        rows += asyncio.run(run_setup(name, server, ks))
    if rows:
        print(f"\n## {os.cpu_count()} cores, browsers on the same machine; city demo\n")
        print(table(rows, header))
    if args.kill:
        asyncio.run(kill_run(store, max(ks), args.replicas))


if __name__ == "__main__":
    main()
