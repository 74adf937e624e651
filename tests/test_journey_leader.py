"""A district leader's day, in a real browser at 1440x900 on the city demo: they land on
their district's overview, open the map, and drill down from the district to one grid
with a click per level (the same grid clicked again each time). The presentation
screen at 1920x1080 beside it. No raw id, ``None`` or English shows in Chinese.

Screenshots for the README: docs/img/leader-overview.png, leader-map.png, screen.png.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from gridmap.demo import build_demo, default_as_of
from gridmap.store import open_store

from .browser import (
    ARTIFACTS,
    DRAWN_JS,
    ROOT,
    chromium_page,
    map_frame,
    open_as,
    require_chromium,
    streamlit_server,
    wait_for_app,
)

pytestmark = pytest.mark.browser

DOCS = ROOT / "docs" / "img"
WIDTH, HEIGHT = 1440, 900

# What a page shows, without Streamlit's icon ligatures (":material/map:" is the text
# "map" in an icon font).
_SHOWN_TEXT = """(selector) => {
  const root = document.querySelector(selector).cloneNode(true);
  // Icons, and charts (their axis ticks run together as text: "0200400...").
  root.querySelectorAll('[data-testid="stIconMaterial"], [translate="no"], svg, canvas')
      .forEach(e => e.remove());
  return root.innerText;
}"""


def _problems(text: str) -> list[str]:
    """Raw ids (long digit runs, W/H ids), ``None``/``nan`` and English words."""
    found = re.findall(r"(?<!\d)\d{9,}(?!\d)|(?<![A-Za-z])[WHC]\d{6,}|None|\bnan\b|NaT",
                       text)
    # Allowed: the account's name, and file formats, which have no Chinese names.
    words = set(re.findall(r"[A-Za-z]{3,}", text)) - {"leader", "PNG", "PDF", "Excel", "CSV"}
    return found + sorted(words)


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """The city demo as the app builds it on a first run: its history ends yesterday, so
    the screen's "this week" has data (the screenshots are the README's)."""
    require_chromium()
    path = tmp_path_factory.mktemp("journey-leader") / "city.gpkg"
    store = open_store(path)
    store.init(build_demo("city", as_of=default_as_of()))
    return path, store


# Where (lat, lon) is in the map, and whether a click there would reach a grid: Leaflet's
# canvas finds the clicked polygon by its drawn outline, which it redraws a moment after
# the map's frame has taken its final size (a click before that falls through).
_POINT_JS = """([lat, lon]) => {
  const map = window.map, p = map.latLngToContainerPoint([lat, lon]);
  const at = map.latLngToLayerPoint([lat, lon]);
  let hit = false;
  map.eachLayer(l => { if (l.feature && l._containsPoint && l._containsPoint(at)) hit = true; });
  return [p.x, p.y, hit];
}"""


def _grid_point(frame, page, lon: float, lat: float) -> tuple[float, float, bool]:
    """Where a point of the map is on the page (the iframe's offset plus Leaflet's), and
    whether a click there reaches a grid yet."""
    box = page.locator('iframe[title="streamlit_folium.st_folium"]').bounding_box()
    x, y, hit = frame.evaluate(_POINT_JS, [lat, lon])
    return box["x"] + x, box["y"] + y, hit


def _aim(page, lon: float, lat: float, units: int) -> tuple[float, float]:
    """Where to click at (lon, lat) on the map of ``units`` grids (not the map before it,
    which may still be on the page for a moment), the household dots hidden first (their
    tooltips would sit under the pointer)."""
    for _ in range(100):
        try:
            frame = map_frame(page)
            if frame.evaluate(DRAWN_JS)[0] == units:
                dots = frame.get_by_role("checkbox", name="困难家庭")
                if dots.is_checked():
                    dots.uncheck(timeout=5_000)
                x, y, hit = _grid_point(frame, page, lon, lat)
                if hit:
                    return x, y
        except PlaywrightError:  # replaced meanwhile: look again
            pass
        page.wait_for_timeout(200)
    raise AssertionError(f"no map of {units} grids was drawn")


def test_a_leader_drills_from_their_district_to_a_grid(city):
    path, store = city
    leader = store.read("accounts").set_index("username").loc["leader"]
    district = leader["scope"].split(":")[1]
    areas, grids = store.read("areas").set_index("area_id"), store.read("grids")
    name = areas.loc[district, "name"]
    mine = grids[grids["district_id"] == district]
    # The largest grid: a click at its inner point lands in it at every zoom.
    grid = mine.loc[mine.to_crs(3857).area.idxmax()]
    inner = grid.geometry.representative_point()
    street, community = grid["street_id"], grid["community_id"]

    with streamlit_server(path) as url, chromium_page(width=WIDTH, height=HEIGHT) as (
            page, attempted):
        # Lands on their district's overview, labelled with its name.
        open_as(page, url + "/", "leader")
        expect(page.get_by_role("heading", name="概览")).to_be_visible()
        main = page.evaluate(_SHOWN_TEXT, '[data-testid="stMain"]')
        assert f"范围：{name}" in main and "全市" not in main and "全部" not in main
        assert not _problems(main), _problems(main)
        sidebar = page.get_by_test_id("stSidebar")
        district_box = sidebar.get_by_role("combobox", name="区县")
        expect(district_box).to_have_value(name)  # one value: preselected, fixed
        expect(district_box).to_be_disabled()
        expect(sidebar.get_by_role("combobox", name="街道/镇")).to_have_value(f"整个{name}")
        assert "全部" not in page.evaluate(_SHOWN_TEXT, '[data-testid="stSidebar"]')
        DOCS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=DOCS / "leader-overview.png")

        # One click to the map: all of it above the fold, labelled with the district.
        sidebar.get_by_test_id("stSidebarNav").get_by_text("地图").click()
        page.get_by_role("heading", name="网格地图").wait_for()
        wait_for_app(page)
        frame = map_frame(page)
        box = page.locator('iframe[title="streamlit_folium.st_folium"]').bounding_box()
        assert box["y"] + box["height"] <= HEIGHT, box  # the whole map on the first screen
        expect(page.get_by_role("button", name=name, exact=True)).to_be_disabled()  # path
        legend = frame.locator(".gridmap-legend").inner_text()
        assert " – " not in legend  # counts read as whole numbers: "0", "1–2", "3–5"
        scale = frame.locator(".leaflet-control-scale").inner_text()
        assert re.fullmatch(r"\d+ k?m", scale.strip()), scale  # metric only
        assert "leaflet-control-layers-expanded" in frame.locator(
            ".leaflet-control-layers").get_attribute("class")  # open beside a wide map
        shown = page.evaluate(_SHOWN_TEXT, '[data-testid="stMain"]')
        shown += frame.locator(".gridmap-legend").inner_text()
        shown += frame.locator(".leaflet-control-layers").inner_text()
        assert "全市" not in shown and not _problems(shown), _problems(shown)
        page.wait_for_timeout(500)
        page.screenshot(path=DOCS / "leader-map.png")

        # Drill down: district -> street -> community -> grid, one click each, each on
        # the same grid (a repeated click on it is a new click, not one "handled").
        steps = [(f"street:{street}", areas.loc[street, "name"]),
                 (f"community:{community}", areas.loc[community, "name"]),
                 (f"grid:{grid.grid_id}", grid["name"])]
        units = [len(mine), (mine["street_id"] == street).sum(),
                 (mine["community_id"] == community).sum()]
        for (expected, place), n in zip(steps, units, strict=True):
            x, y = _aim(page, inner.x, inner.y, n)
            page.mouse.click(x, y)
            try:
                page.wait_for_url(re.compile(f"area={expected.replace(':', '(%3A|:)')}"),
                                  timeout=30_000)
            except PlaywrightError:
                page.screenshot(path=ARTIFACTS / "leader-drill-failed.png")
                raise AssertionError(f"one click at ({x:.0f}, {y:.0f}) towards {expected}: "
                                     f"the page is at {page.url}") from None
            wait_for_app(page)
            expect(page.get_by_role("button", name=f"› {place}", exact=True)).to_be_disabled()
        crumbs = page.get_by_test_id("stMain").locator("button[kind^='tertiary']")
        assert crumbs.all_inner_texts()[:4] == [
            name, f"› {areas.loc[street, 'name']}", f"› {areas.loc[community, 'name']}",
            f"› {grid['name']}"]
        # The grid's side panel shows every column of its tables.
        tables = page.get_by_test_id("stDataFrame")
        expect(tables.first).to_be_visible()
        for i in range(tables.count()):
            widths = tables.nth(i).locator(".dvn-scroller").evaluate(
                "e => [e.scrollWidth, e.clientWidth]")
            assert widths[0] <= widths[1] + 1, widths
        shown = page.evaluate(_SHOWN_TEXT, '[data-testid="stMain"]')
        assert not _problems(shown), _problems(shown)
        assert attempted == []

    # On a phone the layer list starts folded into its button.
    with streamlit_server(path) as url, chromium_page(width=390, height=844) as (page, _):
        open_as(page, url + "/map", "leader")
        frame = map_frame(page)
        assert "leaflet-control-layers-expanded" not in (
            frame.locator(".leaflet-control-layers").get_attribute("class") or "")


def test_the_screen_fills_1920x1080_and_says_how_each_figure_moved(city):
    path, store = city
    token = store.create_token("journey-screen", "screen")
    with streamlit_server(path) as url, chromium_page(width=1920, height=1080) as (
            page, attempted):
        page.goto(f"{url}/screen?token={token}&rotate=3")
        page.locator(".gm-fig").first.wait_for(timeout=60_000)
        # Week on week: coloured good or bad, a rate's change in percentage points.
        coverage = page.locator(".gm-fig", has_text="走访覆盖率").locator(".d")
        expect(coverage).to_contain_text("个百分点")
        assert page.locator(".gm-fig .d.good").count() + page.locator(
            ".gm-fig .d.bad").count() >= 3
        size = page.locator(".gm-fig .d").first.evaluate(
            "e => parseFloat(getComputedStyle(e).fontSize)")
        assert size >= 24  # readable across a room at 1920 wide
        seen = set()
        for _ in range(60):  # one full rotation
            title = page.locator(".gm-panel-title").first.inner_text()
            if title in seen:
                page.wait_for_timeout(500)
                continue
            seen.add(title)
            if "分布" in title:  # the map: most of the width, its list beside it
                image = page.get_by_test_id("stImage").locator("img")
                image.wait_for()
                assert image.bounding_box()["width"] >= 0.55 * 1920
                page.wait_for_timeout(800)
                page.screenshot(path=DOCS / "screen.png")
            else:  # a panel reaches down the screen: no empty lower half
                panel = page.locator(".gm-fill").first
                panel.wait_for()
                box = panel.bounding_box()
                assert box["y"] + box["height"] >= 0.85 * 1080, (title, box)
            shown = page.evaluate(_SHOWN_TEXT, '[data-testid="stMain"]')
            assert not _problems(shown), (title, _problems(shown))
            if len(seen) == 4:
                break
        assert len(seen) == 4, seen
        assert page.evaluate("() => document.scrollingElement.scrollHeight") <= 1080
        assert attempted == []
