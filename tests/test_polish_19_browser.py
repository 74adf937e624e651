"""The very first request after a server start, to a path: Streamlit's legacy multipage
mode (``pages/`` beside ``app.py``) answers a path with no file in ``pages/`` with an
English "Page not found" dialog before any of gridmap's code runs; the shell closes it
and the page's language answers (``pages/shared/shell.py``). Each case starts its own
server. Run under the shared lock: ``flock /tmp/gridmap-server.lock python -m pytest
tests/test_polish_19_browser.py -q``."""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import expect

from gridmap.i18n import t

from .browser import chromium_page, require_chromium, streamlit_server

pytestmark = pytest.mark.browser

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


@pytest.fixture
def fresh_store(_small_store_template, tmp_path):
    require_chromium()
    path = tmp_path / "small.gpkg"
    shutil.copyfile(_small_store_template, path)
    return path


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
