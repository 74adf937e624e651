"""Real-browser tests in Debian's Chromium (Playwright): what only a browser can show."""

import pandas as pd
import pytest
from playwright.sync_api import expect

from .browser import (
    ARTIFACTS,
    DRAWN_JS,
    chromium_page,
    map_frame,
    open_as,
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
        open_as(page, server + "/")
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
        open_as(page, server + "/")
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
        open_as(page, server + "/?lang=en")
        expect(page.get_by_role("heading", name="Overview")).to_be_visible()
        page.get_by_test_id("stSidebar").get_by_text("中文", exact=True).click()
        page.wait_for_url("**lang=zh**")
        wait_for_app(page)
        expect(page.get_by_role("heading", name="概览")).to_be_visible()
        assert "lang=zh" in page.url


def test_map_draws_grids_and_tier_points_offline(server, small_frames):
    with chromium_page(width=1500, height=1100) as (page, attempted):
        start = page.evaluate("() => performance.now()")
        open_as(page, server + "/map")
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
        open_as(page, server + "/map")
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
    # Every other free-text field a page shows gets a payload too.
    frames["households"]["head_name"] = XSS_ALIAS
    frames["households"]["address"] = XSS_NAME
    frames["workers"]["name"] = XSS_ALIAS
    frames["cases"]["description"] = XSS_ALIAS
    frames["needs"]["description"] = XSS_NAME
    frames["visits"]["note"] = XSS_ALIAS
    streets = frames["areas"]["level"] == "street"
    frames["areas"].loc[streets, "name"] = XSS_NAME
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
        open_as(page, url + f"/map?area=grid:{grid['grid_id']}")
        frame = map_frame(page)
        texts = frame.evaluate("""() => {
          const out = [];
          for (const k in window.map._layers) {
            const l = window.map._layers[k];
            if (l.tooltipContent) {  // the households layer
              for (let i = 0; i < l.count(); i++) out.push(l.tooltipContent(i).textContent);
            } else if (l.feature && l.feature.properties.i) {  // a grid: hover it
              l.fire("mouseover", {latlng: l.getCenter()}, true);
              const el = document.querySelector('.leaflet-tooltip');
              if (el) out.push(el.textContent);
              l.fire("mouseout", {}, true);
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
        open_as(page, server + f"/coverage?area=grid:{grid}")
        page.get_by_role("tab", name="登记走访").click()
        # The picker starts empty; typing an alias finds the household.
        alias = small_frames["households"]["alias"].iloc[0]
        picker = page.get_by_role("combobox", name="困难家庭（代号 · 网格）")
        picker.click()
        page.keyboard.type(alias)
        page.keyboard.press("Enter")
        page.wait_for_function(f"() => [...document.querySelectorAll('input[role=combobox]')]"
                               f".some(e => e.value.startsWith({alias!r}))")
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
        open_as(page, server + "/cases?view=map")
        frame = map_frame(page)
        units, points = frame.evaluate(DRAWN_JS)
        assert units == len(small_frames["grids"])
        assert points == int(state["is_open"].sum()) > 0
        assert "未结案件" in frame.locator(".gridmap-legend").inner_text()
        page.wait_for_timeout(500)
        page.screenshot(path=ARTIFACTS / "cases-map.png", full_page=True)
        open_as(page, server + "/cases?view=board")
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
        open_as(page, server + f"/workload?area=street:{street}&view=rebalance")
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


@pytest.fixture(scope="module")
def screen_server(_small_store_template, tmp_path_factory):
    require_chromium()
    import shutil

    from gridmap.store import open_store
    path = tmp_path_factory.mktemp("screen") / "small.gpkg"
    shutil.copyfile(_small_store_template, path)
    token = open_store(path).create_token("lobby", "screen")
    with streamlit_server(path) as url:
        yield url, token, path


def _personal_strings(frames) -> set[str]:
    hh, workers = frames["households"], frames["workers"]
    values = set(hh["alias"]) | set(hh["household_id"]) | set(hh["id_number"])
    values |= set(hh["phone"].dropna()) | set(hh["address"])
    values |= {n for n in pd.concat([hh["head_name"], workers["name"]]) if len(n) >= 3}
    return values


def _everything(page) -> str:
    """The page's HTML and every frame's (map data included), plus its images' alt text."""
    return "\n".join(frame.content() for frame in page.frames)


@pytest.mark.parametrize("width, height", [(1920, 1080), (3840, 2160)])
def test_screen_shows_aggregates_only_and_fits(screen_server, small_frames, width, height):
    import re
    from datetime import date

    from gridmap import screen
    from gridmap.policy import load_policy
    from gridmap.services import load_catalogue
    url, token, _ = screen_server
    policy = load_policy()
    with chromium_page(width=width, height=height) as (page, attempted):
        page.goto(f"{url}/screen?token={token}&rotate=4")
        page.locator(".gm-fig").first.wait_for(timeout=60_000)
        seen = set()
        for _ in range(40):  # one full rotation: map, coverage, hot list, funnel
            title = page.locator(".gm-panel-title")
            if title.count():
                seen.add(title.first.inner_text())
            if len(seen) == 4:
                break
            page.wait_for_timeout(500)
        assert len(seen) == 4, seen
        text = _everything(page)
        assert not [s for s in _personal_strings(small_frames) if s in text]
        cards = page.locator(".gm-fig .v").all_inner_texts()
        assert not [c for c in cards if re.fullmatch(r"[1-4]", c)]  # small counts hidden
        figs = screen.figures(households=small_frames["households"],
                              visits=small_frames["visits"],
                              tier_changes=small_frames["tier_changes"],
                              cases=small_frames["cases"], needs=small_frames["needs"],
                              policy=policy, as_of=date.today(),
                              alerts=small_frames["alerts"],
                              service_records=small_frames["service_records"],
                              catalogue=load_catalogue())
        assert cards == [f.shown(policy.min_count) for f in figs]
        assert page.evaluate("() => document.scrollingElement.scrollHeight") <= height
        assert page.locator('[data-testid="stSidebar"]').is_hidden()
        page.locator(".gm-panel-title", has_text="红橙户").wait_for(timeout=30_000)
        page.locator('[data-testid="stImage"] img').wait_for()
        page.wait_for_timeout(800)
        page.screenshot(path=ARTIFACTS / f"screen-{width}x{height}.png")
        assert attempted == []


def test_screen_refreshes_by_itself_after_a_visit(screen_server, small_frames):
    from datetime import datetime

    from gridmap.store import open_store
    url, _, path = screen_server
    store = open_store(path)
    token = store.create_token("refresh-test", "screen")  # revoked below: its own token
    household = small_frames["households"]["household_id"].iloc[0]
    worker = small_frames["workers"]["worker_id"].iloc[0]
    with chromium_page() as (page, attempted):
        page.goto(f"{url}/screen?token={token}&refresh=2")
        card = page.locator(".gm-fig", has_text="本周走访").locator(".v")
        card.wait_for(timeout=60_000)
        before = card.inner_text()
        for _ in range(6):  # enough to leave "<5" whatever the count was
            store.append_visit(household_id=household, worker_id=worker,
                               visited_at=datetime.now(), method="phone")
        expect(card).not_to_have_text(before, timeout=30_000)
        after = card.inner_text()
        assert int(after.replace(",", "")) >= 6
        store.revoke_token("refresh-test")  # a revoked screen stops at its next refresh
        expect(page.get_by_text("令牌无效")).to_be_visible(timeout=30_000)
        assert attempted == []


def test_map_page_prints_the_view_and_exports_the_ledger(server, small_frames, tmp_path):
    import openpyxl
    community = small_frames["grids"]["community_id"].value_counts().index[0]
    with chromium_page(width=1400, height=1400) as (page, attempted):
        open_as(page, server + f"/map?area=community:{community}")
        page.get_by_text("打印与导出").click()
        with page.expect_download(timeout=60_000) as pdf:
            page.get_by_role("button", name="下载地图（PDF，可打印）").click()
        path = tmp_path / "map.pdf"
        pdf.value.save_as(path)
        assert path.read_bytes()[:5] == b"%PDF-"
        with page.expect_download(timeout=60_000) as xlsx:
            page.get_by_role("button", name="下载本区域台账（Excel）").click()
        xlsx.value.save_as(tmp_path / "ledger.xlsx")
        book = openpyxl.load_workbook(tmp_path / "ledger.xlsx")
        assert book.sheetnames == ["红色", "橙色", "黄色", "绿色"]
        assert attempted == []


def test_no_payload_runs_on_any_page(hostile_server):
    url, frames = hostile_server
    grid = frames["grids"]["grid_id"].iloc[0]
    street = frames["grids"]["street_id"].iloc[0]
    case = frames["cases"]["case_id"].iloc[0]
    pages = [f"/map?area=grid:{grid}", f"/coverage?area=grid:{grid}",
             f"/cases?case={case}", "/cases?view=board", "/needs",
             f"/workload?area=street:{street}", "/hotspots", "/"]
    with chromium_page(width=1500, height=1100) as (page, attempted):
        for path in pages:
            open_as(page, url + path)
            page.wait_for_timeout(1500)
            for frame in page.frames:
                assert frame.evaluate("() => window.__xss") is None, path
            assert not page.locator("[data-testid=stException]").count(), path
        open_as(page, url + f"/cases?case={case}")  # the description is shown, as text
        expect(page.get_by_text(XSS_ALIAS, exact=True).first).to_be_visible(timeout=20_000)
        assert page.evaluate("() => window.__xss") is None
        assert attempted == []


def test_importing_a_ledger_in_the_browser(server, small_frames, tmp_path):
    from tests.test_importing import ledger_xlsx, valid_id
    grid = small_frames["grids"].sort_values("grid_id")["grid_id"].iloc[0]
    bad = tmp_path / "台账-错误.xlsx"
    bad.write_bytes(ledger_xlsx([["甲", "123", "", "一号", grid, "红", "", 1, None, None]]))
    good = tmp_path / "台账.xlsx"
    good.write_bytes(ledger_xlsx([["乙", valid_id(40), "", "二号", grid, "橙色", "低保", 2,
                                   None, None]]))
    with chromium_page(width=1400, height=1400) as (page, attempted):
        open_as(page, server + "/import")
        page.locator('input[type="file"]').first.set_input_files(str(bad))
        expect(page.get_by_text("存在错误，未写入任何数据")).to_be_visible(timeout=30_000)
        expect(page.get_by_text("台账-错误.xlsx").first).to_be_visible()
        # The problem is named in Chinese: '123' is no ID number.
        expect(page.get_by_text("不是 18 位").first).to_be_attached()  # a canvas grid cell
        page.screenshot(path=ARTIFACTS / "import-refused.png", full_page=True)
        page.locator('input[type="file"]').first.set_input_files(str(good))
        page.get_by_role("button", name="确认导入").click()
        expect(page.get_by_text("已导入")).to_be_visible(timeout=30_000)
        page.screenshot(path=ARTIFACTS / "import.png", full_page=True)
        page.get_by_role("button", name="撤销", exact=True).click()
        expect(page.get_by_text("已撤销导入")).to_be_visible(timeout=30_000)
        assert attempted == []
