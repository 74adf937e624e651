"""Real-browser tests in Debian's Chromium (Playwright): what only a browser can show."""

import pytest
from playwright.sync_api import expect

from .browser import (
    ARTIFACTS,
    DRAWN_JS,
    chromium_page,
    map_frame,
    require_chromium,
    streamlit_server,
    wait_for_app,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(_small_store_template, tmp_path_factory):
    require_chromium()
    import shutil
    path = tmp_path_factory.mktemp("browser") / "small.gpkg"  # its own copy: tests write
    shutil.copyfile(_small_store_template, path)
    with streamlit_server(path) as url:
        yield url


def test_overview_draws_figures_offline(server):
    with chromium_page() as (page, attempted):
        page.goto(server + "/")
        wait_for_app(page)
        cards = page.get_by_test_id("tier-cards")
        cards.wait_for()
        assert "红色" in cards.inner_text() and "绿色" in cards.inner_text()
        expect(page.get_by_role("heading", name="概览")).to_be_visible()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=ARTIFACTS / "overview.png", full_page=True)
        assert attempted == []


def test_selecting_an_area_filters_and_lands_in_the_url(server, small_frames):
    street = small_frames["areas"].query("level == 'street'").iloc[0]
    n_grids = (small_frames["grids"]["street_id"] == street["area_id"]).sum()
    with chromium_page() as (page, attempted):
        page.goto(server + "/")
        wait_for_app(page)
        sidebar = page.get_by_test_id("stSidebar")
        sidebar.get_by_test_id("stSelectbox").first.click()
        page.get_by_role("option", name="丹徒区").click()
        wait_for_app(page)
        sidebar.get_by_test_id("stSelectbox").nth(1).click()
        page.get_by_role("option", name=street["name"]).click()
        wait_for_app(page)
        page.wait_for_function(
            f"() => location.search.includes('area=street%3A{street['area_id']}')"
            f" || location.search.includes('area=street:{street['area_id']}')")
        expect(page.get_by_text("范围：")).to_contain_text(f"丹徒区 › {street['name']}")
        expect(page.get_by_test_id("stMetricValue").first).to_have_text(f"{n_grids:,}")
        assert attempted == []


def test_english_switch(server):
    with chromium_page() as (page, _):
        page.goto(server + "/?lang=en")
        wait_for_app(page)
        expect(page.get_by_role("heading", name="Overview")).to_be_visible()
        page.get_by_test_id("stSidebar").get_by_text("中文", exact=True).click()
        page.wait_for_url("**lang=zh**")
        wait_for_app(page)
        expect(page.get_by_role("heading", name="概览")).to_be_visible()
        assert "lang=zh" in page.url


def test_map_draws_grids_and_tier_points_offline(server, small_frames):
    with chromium_page(width=1500, height=1100) as (page, attempted):
        start = page.evaluate("() => performance.now()")
        page.goto(server + "/map")
        wait_for_app(page)
        frame = map_frame(page)
        units, points = frame.evaluate(DRAWN_JS)
        assert units == len(small_frames["grids"])
        assert points == len(small_frames["households"])
        legend = frame.locator(".gridmap-legend").inner_text()
        assert "红橙户数" in legend and "红色" in legend
        assert page.evaluate("() => performance.now()") > start
        page.wait_for_timeout(500)
        page.screenshot(path=ARTIFACTS / "map.png", full_page=True)
        assert attempted == []


def test_clicking_the_map_drills_down(server, small_frames):
    with chromium_page(width=1500, height=1100) as (page, attempted):
        page.goto(server + "/map")
        wait_for_app(page)
        frame = map_frame(page)
        frame.get_by_text("困难家庭", exact=True).click()  # hide points: click a polygon
        box = page.locator('iframe[title="streamlit_folium.st_folium"]').bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_url("**area=district**", timeout=20_000)
        wait_for_app(page)
        expect(page.get_by_role("button", name="› 丹徒区")).to_be_visible()  # breadcrumb
        assert attempted == []


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory, small_frames):
    require_chromium()
    from gridmap.store import open_store
    frames = {k: v.copy() for k, v in small_frames.items()}
    frames["households"].loc[0, "alias"] = XSS_ALIAS
    frames["grids"].loc[0, "name"] = XSS_NAME
    path = tmp_path_factory.mktemp("hostile") / "hostile.gpkg"
    open_store(path).init(frames)
    with streamlit_server(path) as url:
        yield url, frames


XSS_ALIAS = "<img src=x onerror=\"window.__xss=1\">"
XSS_NAME = "<script>window.__xss=2</script>网格"


def test_text_from_data_shows_as_text_in_tooltips(hostile_server):
    url, frames = hostile_server
    grid = frames["grids"].iloc[0]
    with chromium_page(width=1500, height=1100) as (page, attempted):
        page.goto(url + f"/map?area=grid:{grid['grid_id']}")
        wait_for_app(page)
        frame = map_frame(page)
        texts = frame.evaluate("""() => {
          const out = [];
          for (const k in window.map._layers) {
            const l = window.map._layers[k];
            if (l.tooltipContent) {  // the households layer
              for (let i = 0; i < l.count(); i++) out.push(l.tooltipContent(i).textContent);
            } else if (l.feature && l.feature.properties.i && l.getTooltip()) {
              l.openTooltip();
              const el = document.querySelector('.leaflet-tooltip');
              if (el) out.push(el.textContent);
            }
          }
          return out;
        }""")
        joined = "\n".join(texts)
        assert XSS_NAME in joined and XSS_ALIAS in joined
        assert frame.evaluate("() => window.__xss") is None
        assert page.evaluate("() => window.__xss") is None
        # The side panel shows the alias as text too.
        expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
        assert attempted == []


def test_logging_a_visit_on_a_phone(server, small_frames, tmp_path):
    grid = small_frames["households"]["grid_id"].iloc[0]
    with chromium_page(width=390, height=844) as (page, attempted):
        page.goto(server + f"/coverage?area=grid:{grid}")
        wait_for_app(page)
        page.get_by_role("tab", name="登记走访").click()
        page.get_by_label("走访记录").fill("上门走访，老人身体稳定")
        page.get_by_role("button", name="保存走访").click()
        expect(page.get_by_text("已保存")).to_be_visible(timeout=20_000)
        page.screenshot(path=ARTIFACTS / "visit-phone.png", full_page=True)
        assert attempted == []


def test_cases_map_draws_open_cases_and_a_row_click_opens_a_case(server, small_frames):
    from datetime import date

    from gridmap.casework import case_state
    from gridmap.policy import Policy


    state = case_state(small_frames["cases"], Policy(), as_of=date.today())
    with chromium_page(width=1500, height=1100) as (page, attempted):
        page.goto(server + "/cases?view=map")
        wait_for_app(page)
        frame = map_frame(page)
        units, points = frame.evaluate(DRAWN_JS)
        assert units == len(small_frames["grids"])
        assert points == int(state["is_open"].sum()) > 0
        assert "未结案件" in frame.locator(".gridmap-legend").inner_text()
        page.wait_for_timeout(500)
        page.screenshot(path=ARTIFACTS / "cases-map.png", full_page=True)
        page.goto(server + "/cases?view=board")
        wait_for_app(page)
        grid = page.get_by_test_id("stDataFrame").first
        grid.wait_for()
        box = grid.bounding_box()
        page.mouse.click(box["x"] + 20, box["y"] + 55)  # the first row's selector
        expect(page.get_by_text("办理记录")).to_be_visible(timeout=15_000)
        assert "case=C" in page.url
        assert attempted == []


def test_workload_proposal_draws_before_and_after_territories(server, small_frames):
    grids = small_frames["grids"]
    street = grids["street_id"].value_counts().index[0]
    in_street = grids[grids["street_id"] == street]["grid_id"]
    households = small_frames["households"]["grid_id"].isin(in_street).sum()
    with chromium_page(width=1500, height=1400) as (page, attempted):
        page.goto(server + f"/workload?area=street:{street}&view=rebalance")
        wait_for_app(page)
        page.get_by_role("button", name="生成调配方案").click()
        expect(page.get_by_text("调整后").first).to_be_visible(timeout=30_000)
        wait_for_app(page)
        drawn = []
        for _ in range(300):  # both maps: before and after
            drawn = [f for f in page.frames if "streamlit_folium" in f.url
                     and f.locator(".leaflet-control-layers").count()
                     and f.locator("canvas").count()]
            if len(drawn) >= 2:
                break
            page.wait_for_timeout(100)
        assert len(drawn) == 2
        for frame in drawn:
            assert frame.evaluate(DRAWN_JS) == [len(in_street), households]
            assert "负荷率" in frame.locator(".gridmap-legend").inner_text()
        page.wait_for_timeout(500)
        page.screenshot(path=ARTIFACTS / "workload-rebalance.png", full_page=True)
        assert attempted == []
