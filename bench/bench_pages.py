"""Every page in a real browser: first view, repeat view, and the view after a write.

Run: ``python -m bench.bench_pages [--province | --store PATH] [--roles admin,leader]
[--pages overview,map,...] [--sessions N]`` (heavy: run it alone,
``flock /tmp/gridmap-server.lock python -m bench.bench_pages --province``).

One ``streamlit run app.py`` on the store (the city demo built into a temporary folder
by default; ``--province`` uses ``/work/province/gridmap.gpkg``, or ``$GRIDMAP_PROVINCE``,
built once with ``python -m gridmap demo --scale province --store ...``). For each role
(admin, then a district leader) one headless Chromium session logs in and opens every
page of the role through the sidebar, three times:

- ``first``: the first view after the server started (for the leader: their own
  caches are cold, the server's modules are loaded);
- ``repeat``: the same page again, after the round of all the others;
- ``after write``: one visit is logged through the store (``Store.append_visit``, as the
  visit form does, in the leader's district), then every page again.

A view's time runs from the click on the sidebar link (or the login button) to the end
of the script run (Streamlit's ``script_finished`` message on the websocket, with no
new run starting within 0.4 s) and, where the page has a map, to the map drawn in its
frame. A one-line Streamlit page (``st.title``), served by its own process in the same
run, is the floor: a fresh session's first and repeat load. The server's resident
memory (the process tree) is printed after each role and after ``--sessions`` more
leader sessions each opened the map and coverage.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

from bench.bench_load import DRAWN, _tree, floor, rss_mib
from bench.common import table
from gridmap.demo import build_demo
from gridmap.store import open_store
from tests.browser import CHROMIUM, CHROMIUM_ARGS, streamlit_server

PROVINCE = Path(os.environ.get("GRIDMAP_PROVINCE", "/work/province/gridmap.gpkg"))
PAGES = {"admin": ("overview", "map", "coverage", "hotspots", "workload", "alerts",
                   "services", "households"),
         "leader": ("overview", "map", "coverage", "hotspots", "workload", "alerts",
                    "services")}
TIMEOUT = 400.0  # seconds: a province page's first view took 77 s before issue 23
QUIET = 0.4  # a run counts as the last when no other starts within this


class Runs:
    """Watches a page's websocket for Streamlit's run messages."""

    def __init__(self, page) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
        self._msg = ForwardMsg
        self.finished: list[float] = []  # times of runs finished successfully
        self.started: list[float] = []
        page.on("websocket", self._watch)

    def _watch(self, ws) -> None:
        ws.on("framereceived", self._frame)

    def _frame(self, payload) -> None:
        if isinstance(payload, str):
            return
        msg = self._msg()
        try:
            msg.ParseFromString(payload)
        except Exception:  # not a ForwardMsg
            return
        kind = msg.WhichOneof("type")
        now = time.perf_counter()
        if kind == "new_session":
            self.started.append(now)
        elif kind == "script_finished" and msg.script_finished in (0, 1):  # not for a rerun
            self.finished.append(now)

    def wait(self, page, since: float, timeout: float = TIMEOUT) -> float:
        """The moment the last run started after ``since`` finished (no run after it)."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            page.wait_for_timeout(50)  # lets Playwright deliver the frames
            done = [t for t in self.finished if t > since]
            if not done:
                continue
            last = done[-1]
            if any(t > last for t in self.started):
                continue  # another run began after it
            if time.perf_counter() - last >= QUIET:
                return last
        raise TimeoutError("the page did not finish")


def _map_drawn(page, timeout: float = 120.0) -> float | None:
    """When the page's map (if it has one) is drawn; ``None`` when it has none."""
    frames = [f for f in page.frames if "streamlit_folium" in f.url]
    if not frames and not page.query_selector('iframe[title*="streamlit_folium"]'):
        return None
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        for frame in page.frames:
            if "streamlit_folium" not in frame.url:
                continue
            try:
                frame.wait_for_function(DRAWN, polling=50, timeout=250)
                return time.perf_counter()
            except Exception:  # not drawn yet, or replaced meanwhile
                pass
        page.wait_for_timeout(50)
    raise TimeoutError("the map was not drawn")


def _view(page, runs: Runs, act) -> float:
    start = time.perf_counter()
    act()
    end = runs.wait(page, start)
    drawn = _map_drawn(page)
    return max(end, drawn or end) - start


def _nav(page, url: str, name: str, home: str):
    """Click the sidebar link of page ``name`` (the role's home is served at "/")."""
    def act():
        links = page.locator('[data-testid="stSidebarNavLink"]')
        target = url + "/" if name == home else f"{url}/{name}"
        for i in range(links.count()):
            href = links.nth(i).get_attribute("href") or ""
            if href.rstrip("/") == target.rstrip("/"):
                links.nth(i).click()
                return
        raise LookupError(f"no link to {name}")
    return act


def _visit_target(store: Path, district: str | None) -> tuple[str, str]:
    """A household (in ``district`` if given) and its grid's primary worker."""
    with sqlite3.connect(store) as db:
        where = "WHERE g.district_id = ?" if district else ""
        row = db.execute(
            "SELECT h.household_id, a.worker_id FROM households h "
            "JOIN grids g ON g.grid_id = h.grid_id "
            "JOIN assignments a ON a.grid_id = h.grid_id AND a.role = 'primary' "
            f"{where} LIMIT 1", (district,) if district else ()).fetchone()
    return row[0], row[1]


def _leader_district(store: Path) -> str | None:
    with sqlite3.connect(store) as db:
        row = db.execute("SELECT scope FROM accounts WHERE username = 'leader'").fetchone()
    return row[0].split(":", 1)[1] if row and row[0] else None


def log_visit(store: Path) -> None:
    household, worker = _visit_target(store, _leader_district(store))
    open_store(store).append_visit(household_id=household, worker_id=worker,
                                   visited_at=datetime.now(), method="door",
                                   note="bench_pages")


def role_run(browser, url: str, role: str, pages: tuple[str, ...], store: Path,
             rss) -> list[tuple]:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    runs = Runs(page)
    page.goto(url + "/?lang=en", timeout=TIMEOUT * 1000)
    page.get_by_role("textbox", name="User name").fill(role)
    page.get_by_role("textbox", name="Password").fill(f"demo-{role}")
    home = pages[0]
    times: dict[str, dict[str, float]] = {p: {} for p in pages}
    times[home]["first"] = _view(page, runs, page.get_by_role(
        "button", name="Log in", exact=True).click)
    print(f"{role} {home} first {times[home]['first']:.2f}", flush=True)
    for rnd in ("first", "repeat", "after write"):
        if rnd == "after write":
            log_visit(store)
        for name in pages:
            if rnd == "first" and name == home:
                continue
            times[name][rnd] = _view(page, runs, _nav(page, url, name, home))
            print(f"{role} {name} {rnd} {times[name][rnd]:.2f}  rss {rss():.0f} MiB",
                  flush=True)
    context.close()
    return [(role, name, *(f"{times[name].get(k, float('nan')):.2f}"
                           for k in ("first", "repeat", "after write"))) for name in pages]


def floor_run(browser, folder: Path) -> tuple:
    with floor(folder) as (url, _, _):
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        page = context.new_page()
        runs = Runs(page)
        first = _view(page, runs, lambda: page.goto(url))
        repeat = _view(page, runs, lambda: page.reload())
        context.close()
    return ("—", "floor (st.title)", f"{first:.2f}", f"{repeat:.2f}", "—")


def extra_sessions(browser, url: str, n: int, rss) -> list[str]:
    """``n`` more leader sessions, each at the map then coverage, kept open."""
    notes, contexts = [], []
    for i in range(n):
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        page = context.new_page()
        runs = Runs(page)
        page.goto(url + "/?lang=en", timeout=TIMEOUT * 1000)
        page.get_by_role("textbox", name="User name").fill("leader")
        page.get_by_role("textbox", name="Password").fill("demo-leader")
        _view(page, runs, page.get_by_role("button", name="Log in", exact=True).click)
        for name in ("map", "coverage"):
            _view(page, runs, _nav(page, url, name, "overview"))
        contexts.append(context)
        notes.append(f"{i + 1} more leader sessions open: server RSS {rss():.0f} MiB")
        print(notes[-1], flush=True)
    for c in contexts:
        c.close()
    return notes


def main() -> None:
    parser = argparse.ArgumentParser()
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--province", action="store_true", help=f"the store at {PROVINCE}")
    where.add_argument("--store", type=Path, help="an existing store (GeoPackage)")
    parser.add_argument("--roles", default="admin,leader")
    parser.add_argument("--pages", default="", help="limit to these pages (comma-separated)")
    parser.add_argument("--sessions", type=int, default=0,
                        help="then open this many more leader sessions (memory)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="gridmap-pages-"))
    if args.province or args.store:
        source = PROVINCE if args.province else args.store
        if not source.exists():
            raise SystemExit(f"error: no store at {source}; build it with python -m gridmap "
                             f"demo --scale province --store {source}")
        # The visits logged go to a copy only when asked; by default to the store itself
        # (one visit per role and run: a benchmark store, never the checkout's data/).
        store = source
    else:
        store = folder / "city.gpkg"
        open_store(store).init(build_demo("city", as_of=date.today()))
    only = [p for p in args.pages.split(",") if p]
    from playwright.sync_api import sync_playwright
    rows, notes = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        rows.append(floor_run(browser, folder))
        print(rows[-1], flush=True)
        start = time.perf_counter()
        with streamlit_server(store, with_process=True, timeout=TIMEOUT) as (url, proc):
            started = time.perf_counter() - start
            def rss() -> float:
                return rss_mib(_tree(proc.pid))
            notes.append(f"server up in {started:.1f} s, RSS {rss():.0f} MiB")
            for role in args.roles.split(","):
                pages = tuple(n for n in PAGES[role] if not only or n in only)
                rows += role_run(browser, url, role, pages, store, rss)
                notes.append(f"after {role}: server RSS {rss():.0f} MiB")
            if args.sessions:
                notes += extra_sessions(browser, url, args.sessions, rss)
        browser.close()
    scale = "province" if args.province else (str(args.store) if args.store else "city demo")
    print(f"\n## {scale}; {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}\n")
    print(table(rows, ("role", "page", "first s", "repeat s", "after write s")))
    print()
    for n in notes:
        print("-", n)


if __name__ == "__main__":
    main()
