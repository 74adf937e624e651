"""Real-browser tests in Debian's Chromium (Playwright): what only a browser can show."""

import pytest
from playwright.sync_api import expect

from .browser import ARTIFACTS, chromium_page, require_chromium, streamlit_server, wait_for_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(_small_store_template):
    require_chromium()
    with streamlit_server(_small_store_template) as url:
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
