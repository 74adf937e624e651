"""Hostile text in every text field, every page, as admin and as leader, in Chromium:
no script runs, no request leaves the machine, no Markdown is interpreted (each payload
stands in the page character for character), and no exported cell is a formula."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from gridmap.access import PAGES
from gridmap.store import open_store

from .browser import (
    ARTIFACTS,
    chromium_page,
    map_frame,
    open_as,
    require_chromium,
    streamlit_server,
)
from .payloads import HOST, add_hostile_accounts, hostile_frames, interpreted

pytestmark = pytest.mark.browser

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, small_frames):
    require_chromium()
    path = tmp_path_factory.mktemp("hostile-browser") / "hostile.gpkg"
    store = open_store(path)
    store.init(hostile_frames(small_frames))
    add_hostile_accounts(store)
    with streamlit_server(path) as url:
        yield url, store


def _pages(store, role: str) -> list[str]:
    """Every page the role may open, and the ones that show one record's text."""
    case = store.read("cases").iloc[0]["case_id"]
    need = store.read("needs").query("stage == 'posted'").iloc[0]["need_id"]
    grid = store.read("grids").iloc[0]["grid_id"]
    urls = ["/" if page == "overview" else f"/{page}" for page in PAGES[role]]
    return [*urls, f"/cases?case={case}", f"/needs?need={need}", f"/map?area=grid:{grid}"]


def _unharmed(page, url: str) -> None:
    """No script of ours ran and no element points outside, in the page and its frames."""
    for frame in page.frames:
        assert frame.evaluate("() => window.__pwned === undefined"), (url, frame.url)
        outside = frame.evaluate(
            f"""() => [...document.querySelectorAll('img, a, link, iframe, source, image')]
                 .map(e => e.getAttribute('src') || e.getAttribute('href') || '')
                 .filter(u => u.includes('{HOST}'))""")
        assert outside == [], (url, outside)
        assert frame.evaluate("() => document.querySelectorAll('.katex').length") == 0, url


@pytest.mark.parametrize("role", ["admin", "leader"])
def test_hostile_text_stays_text_on_every_page(hostile, role):
    server, store = hostile
    with chromium_page(width=1440, height=900) as (page, attempted):
        for url in _pages(store, role):
            open_as(page, server + url, role,
                    ready=".gm-title" if url == "/screen" else '[data-testid="stMain"] h1')
            if any("streamlit_folium" in f.url for f in page.frames):
                map_frame(page)  # its tooltips and legend carry names too
            _unharmed(page, url)
            text = page.locator("body").inner_text()
            assert interpreted(text) == [], url
            assert attempted == [], (url, attempted)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"hostile-{role}.png", full_page=True)


def _download(page, name: str) -> bytes:
    with page.expect_download() as info:
        page.locator("button:visible", has_text=name).first.click()
    return open(info.value.path(), "rb").read()


def test_exports_from_the_pages_hold_no_formula(hostile):
    server, store = hostile
    grids = store.read("grids")
    community = grids["community_id"].iloc[0]
    with chromium_page(width=1440, height=900) as (page, attempted):
        open_as(page, server + "/coverage")
        page.get_by_role("tab", name="逾期清单").click()
        rows = list(csv.reader(io.StringIO(_download(page, "下载 CSV").decode("utf-8-sig"),
                                           newline="")))
        assert any(v.startswith("'=HYPERLINK") for r in rows for v in r)  # there, inert
        assert not [v for r in rows for v in r if v.startswith(FORMULA_START)]
        book = openpyxl.load_workbook(io.BytesIO(_download(page, "下载 Excel")))
        cells = [c for s in book.worksheets for r in s.iter_rows() for c in r]
        assert any(isinstance(c.value, str) and c.value.startswith("=HYPERLINK")
                   for c in cells)
        assert not [c.coordinate for c in cells if c.data_type == "f"]

        open_as(page, server + f"/map?area=community:{community}")
        page.get_by_text("打印与导出").click()
        book = openpyxl.load_workbook(io.BytesIO(_download(page, "下载本区域台账")))
        cells = [c for s in book.worksheets for r in s.iter_rows() for c in r]
        assert any(isinstance(c.value, str) and c.value.startswith("=HYPERLINK")
                   for c in cells)
        assert not [c.coordinate for c in cells if c.data_type == "f"]
        assert attempted == []
