"""Map benchmark: payload and build time, naive folium vs gridmap, in one run.

Run: ``python -m bench.bench_map [--province] [--no-browser]``.

- naive: one ``folium.CircleMarker`` per household plus the grids as one
  ``folium.GeoJson`` with a style function and tooltip (what a first try does);
- gridmap: ``mapview.build_view`` + ``webmap.build_map`` (canvas layers, compact data).
Both are built from the same city demo and rendered to HTML; the ratios cancel
machine noise. With a browser, it also times a real page load of ``/map`` in
headless Chromium until grids and points are drawn (Streamlit's own start included).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

import folium

from bench.common import table, timed
from gridmap.coverage import household_status
from gridmap.demo import build_demo
from gridmap.indicators import grid_indicators
from gridmap.mapview import build_view
from gridmap.policy import Policy
from gridmap.render.webmap import build_map
from gridmap.store import open_store
from gridmap.style import TIER_COLORS

AS_OF = date(2026, 11, 20)


def naive_map(frames) -> str:
    grids, hh = frames["grids"], frames["households"]
    m = folium.Map(location=[32.0, 119.4], zoom_start=9)
    folium.GeoJson(grids, style_function=lambda f: {"fillColor": "#74a9cf", "weight": 0.5},
                   tooltip=folium.GeoJsonTooltip(["grid_id", "name"])).add_to(m)
    for row in hh.itertuples():
        folium.CircleMarker([row.geometry.y, row.geometry.x], radius=3,
                            color=TIER_COLORS[row.tier], tooltip=row.alias).add_to(m)
    return m.get_root().render()


def ours(frames, status, per_grid, area=None) -> str:
    view = build_view(areas=frames["areas"], grids=frames["grids"],
                      households=frames["households"], status=status, per_grid=per_grid,
                      area=area, indicator="red_orange", as_of=AS_OF.isoformat())
    return build_map(view).get_root().render()


def prepared(frames):
    status = household_status(frames["households"], frames["visits"], Policy(), as_of=AS_OF)
    return status, grid_indicators(frames["grids"], frames["households"], status, Policy())


def browser_time_to_map(store_path: Path, runs: int = 3) -> list[tuple[float, float]]:
    """(seconds to the login page's title, seconds from the login click to grids and
    points drawn on /map) per fresh load."""
    from tests.browser import DRAWN_JS, chromium_page, map_frame, streamlit_server
    times = []
    with streamlit_server(store_path) as url:
        for i in range(runs + 1):
            with chromium_page(width=1500, height=1000, block=False) as (page, attempted):
                start = time.perf_counter()
                page.goto(url + "/map")  # the login form comes first (login is on)
                page.wait_for_selector('[data-testid="stMain"] h1', timeout=60_000)
                titled = time.perf_counter() - start
                page.get_by_role("textbox", name="用户名").fill("admin")
                page.get_by_role("textbox", name="密码").fill("demo-admin")
                start = time.perf_counter()  # from the login click to the drawn map
                page.get_by_role("button", name="登录", exact=True).click()
                frame = map_frame(page, timeout_ms=60_000)
                units = frame.evaluate(DRAWN_JS)[0]
                elapsed = time.perf_counter() - start
                assert units > 0 and not attempted
                if i:  # the first load warms Streamlit's caches
                    times.append((titled, elapsed))
    return times


def browser_time_in_app(store_path: Path, runs: int = 3) -> list[float]:
    """Seconds from clicking 地图 in the sidebar (app already open) to grids+points drawn."""
    from tests.browser import DRAWN_JS, chromium_page, map_frame, open_as, streamlit_server
    times = []
    with streamlit_server(store_path) as url:
        for i in range(runs + 1):
            with chromium_page(width=1500, height=1000, block=False) as (page, _):
                open_as(page, url + "/")
                page.get_by_test_id("tier-cards").wait_for(timeout=60_000)
                start = time.perf_counter()
                page.get_by_test_id("stSidebarNav").get_by_text("地图").click()
                frame = map_frame(page, timeout_ms=60_000)
                assert frame.evaluate(DRAWN_JS)[0] > 0
                if i:
                    times.append(time.perf_counter() - start)
    return times


def browser_floor(runs: int = 3) -> list[float]:
    """Baseline in the same run: a one-line Streamlit page, load to its title."""
    import subprocess
    import sys

    from tests.browser import _free_port, chromium_page
    with tempfile.TemporaryDirectory() as tmp:
        app = Path(tmp) / "hello.py"
        app.write_text('import streamlit as st\nst.title("hello")\n')
        port = _free_port()
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(app),
                                 "--server.port", str(port), "--server.headless", "true"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(4)
            times = []
            for i in range(runs + 1):
                with chromium_page(block=False) as (page, _):
                    start = time.perf_counter()
                    page.goto(f"http://127.0.0.1:{port}/")
                    page.wait_for_selector('[data-testid="stMain"] h1', timeout=60_000)
                    if i:
                        times.append(time.perf_counter() - start)
            return times
        finally:
            proc.terminate()
            proc.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--province", action="store_true")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    city = build_demo("city", seed=0, as_of=AS_OF)
    status, per_grid = prepared(city)
    naive_s, naive_html = timed(lambda: naive_map(city), repeat=1, warmup=0)
    ours_s, ours_html = timed(lambda: ours(city, status, per_grid))
    rows = [("naive folium", f"{len(naive_html.encode()) / 2**20:.1f}", f"{naive_s:.2f}"),
            ("gridmap", f"{len(ours_html.encode()) / 2**20:.2f}", f"{ours_s:.2f}"),
            ("ratio naive/gridmap",
             f"{len(naive_html.encode()) / len(ours_html.encode()):.1f}x",
             f"{naive_s / ours_s:.1f}x")]
    print("## City map (3,675 grids, 19,000 households), HTML payload and build+render\n")
    print(table(rows, ("map", "MiB", "seconds")))
    if not args.no_browser:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "city.gpkg"
            open_store(path).init(city)
            times = browser_time_to_map(path)
            in_app = browser_time_in_app(path)
        floor = browser_floor()
        med = sorted(t for _, t in times)[1]
        print("\n## Headless Chromium, page load (warm server, 3 loads)\n")
        print(table([
            ("one-line Streamlit page, to its title (baseline)",
             ", ".join(f"{t:.2f}" for t in floor)),
            ("/map, to the login page's title", ", ".join(f"{a:.2f}" for a, _ in times)),
            ("/map, login click to grids and points drawn",
             ", ".join(f"{b:.2f}" for _, b in times)),
            ("in the app: click 地图 to grids and points drawn",
             ", ".join(f"{t:.2f}" for t in in_app)),
        ], ("load", "seconds")))
        base = sorted(floor)[1]
        print(f"\nMedian time to a drawn /map: {sorted(in_app)[1]:.2f} s from a click in the "
              f"app; {med:.2f} s from the login click (password hashing and the app's first "
              f"render included, {med / base:.2f}x the baseline); a one-line Streamlit page "
              f"takes {base:.2f} s to its title.")
    if args.province:
        province = build_demo("province", seed=0, as_of=AS_OF)
        p_status, p_grid = prepared(province)
        top_s, top_html = timed(lambda: ours(province, p_status, p_grid), repeat=1)
        from gridmap.places import Area
        district = province["grids"]["district_id"].iloc[0]
        d_s, d_html = timed(lambda: ours(province, p_status, p_grid, Area("district", district)),
                            repeat=1)
        if not args.no_browser:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "province.gpkg"
                open_store(path).init(province)
                p_times = browser_time_to_map(path)
            print("\n## Province in headless Chromium: /map to areas drawn (warm server)\n")
            print(", ".join(f"{b:.2f}" for _, b in p_times) + " s")
        print("\n## Province (~48,000 grids, 1,000,000 households)\n")
        print(table([("whole province (districts as units, no points)",
                      f"{len(top_html.encode()) / 2**20:.2f}", f"{top_s:.2f}"),
                     (f"one district ({district}: grids and points)",
                      f"{len(d_html.encode()) / 2**20:.2f}", f"{d_s:.2f}")],
                    ("view", "MiB", "seconds")))


if __name__ == "__main__":
    main()
