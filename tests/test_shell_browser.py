"""The very first request after a server start, with ``pages/`` beside ``app.py``:
Streamlit's legacy multipage mode starts the page by itself, and the page hands over
to the shell (``pages/shared/shell.py``); a path with no file in ``pages/`` gets
Streamlit's English "Page not found" dialog before any of gridmap's code runs, which the
shell closes, and the page's language answers. Each test starts its own server."""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import expect

from gridmap.i18n import t
from gridmap.store import open_store

from .browser import (
    chromium_page,
    map_frame,
    require_chromium,
    streamlit_server,
    wait_for_app,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def fresh_store(_small_store_template, tmp_path):
    require_chromium()
    path = tmp_path / "small.gpkg"
    shutil.copyfile(_small_store_template, path)
    return path


def test_the_first_request_to_a_page_gets_the_shell_and_its_login_works(fresh_store):
    with streamlit_server(fresh_store) as url, chromium_page() as (page, attempted):
        page.goto(url + "/map")  # the first request this server sees
        page.get_by_role("heading", name="登录").wait_for()
        sidebar = page.get_by_test_id("stSidebar")
        expect(sidebar.get_by_text("English")).to_be_visible()  # the shell's language switch
        assert page.get_by_test_id("stSidebarNav").count() == 0  # no legacy page list
        # The login form of that first page works on the first click.
        page.get_by_role("textbox", name="用户名").fill("admin")
        page.get_by_role("textbox", name="密码").fill("demo-admin")
        page.get_by_role("button", name="登录", exact=True).click()
        page.get_by_role("heading", name="网格地图").wait_for(timeout=30_000)
        wait_for_app(page)
        map_frame(page)
        nav = page.get_by_test_id("stSidebarNav")
        expect(nav.get_by_text("走访覆盖")).to_be_visible()
        expect(nav.get_by_text("数据导入")).to_be_visible()
        assert "/map" in page.url and attempted == []


def test_the_first_request_to_a_screen_gets_the_kiosk(fresh_store):
    token = open_store(fresh_store).create_token("lobby", "screen")
    with streamlit_server(fresh_store) as url, chromium_page(width=1920, height=1080) as (
            page, attempted):
        page.goto(f"{url}/screen?token={token}")  # the first request this server sees
        page.locator(".gm-title").wait_for(timeout=60_000)
        assert page.get_by_test_id("stSidebarNav").count() == 0
        assert page.get_by_role("heading", name="登录").count() == 0
        assert attempted == []


# Counts the animation frames in which the English dialog is visible.
WATCH_JS = """
window.gridmapEnglish = 0;
const tick = () => {
  for (const d of document.querySelectorAll('[data-testid="stDialog"]')) {
    const title = d.querySelector('[slot="title"]');
    if (title && title.textContent.includes("Page not found")
        && getComputedStyle(title).visibility !== "hidden") window.gridmapEnglish++;
  }
  requestAnimationFrame(tick);
};
requestAnimationFrame(tick);
"""


@pytest.mark.parametrize(("path", "known"), [("/map", True), ("/coverage", True),
                                             ("/nosuchpage", False), ("/home", False)])
def test_the_first_request_shows_no_english_page_not_found(fresh_store, path, known):
    with streamlit_server(fresh_store) as url, chromium_page(width=1440, height=900) as (
            page, attempted):
        page.add_init_script(WATCH_JS)
        page.goto(url + path)  # the first request this server sees
        page.get_by_role("heading", name="登录").wait_for(timeout=60_000)
        expect(page.get_by_test_id("stSidebar").get_by_text("English")).to_be_visible()
        toast = page.get_by_test_id("stToast").filter(has_text=t("app.page_not_found", "zh"))
        if known:
            expect(toast).to_have_count(0)
        else:
            expect(toast).to_be_visible()
        expect(page.get_by_test_id("stDialog")).to_have_count(0)
        expect(page.get_by_text("Page not found")).to_have_count(0)
        frames = page.evaluate("window.gridmapEnglish")
        if known:  # pages/ has the file: never sent
            assert frames == 0
        else:  # sent before gridmap runs; hidden as soon as the shell's first element lands
            assert frames < 60, frames
        assert attempted == []
