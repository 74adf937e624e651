"""/services in a real browser (issue 21): a worker records a service on a 390x844 phone;
the chief's view at 1440x900. Screenshots go to docs/img/."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.test_access import expected_households
from tests.test_journey_worker import RAW_ID, VISIBLE_TEXT

PHONE = {"width": 390, "height": 844}
DOCS = Path(__file__).resolve().parent.parent / "docs" / "img"


def _pick(page, label: str, option: str) -> None:
    box = page.get_by_test_id("stSelectbox").filter(has_text=label).first
    box.click()
    page.keyboard.type(option)  # searchable: typing narrows a long list
    page.get_by_role("option", name=option).first.click()


def _clean(text: str) -> None:
    assert "None" not in text and not RAW_ID.search(text), text
    assert not re.findall(r"[A-Za-z]{2,}", text), re.findall(r"[A-Za-z]{2,}", text)


@pytest.mark.browser
def test_a_worker_records_a_service_on_a_phone_and_the_chief_sees_the_month(
        _small_store_template, tmp_path):
    from playwright.sync_api import expect

    from gridmap.store import open_store
    from tests.browser import chromium_page, open_as, require_chromium, streamlit_server

    require_chromium()
    path = tmp_path / "small.gpkg"
    shutil.copyfile(_small_store_template, path)
    store = open_store(path)
    households = store.read("households").set_index("household_id")
    grants = store.read("entitlements")
    mine = sorted(set(grants["household_id"]) & expected_households(store, "worker"))[0]
    alias = households.loc[mine, "alias"]
    before = len(store.read("service_records"))
    DOCS.mkdir(parents=True, exist_ok=True)
    with streamlit_server(path) as url:
        with chromium_page(**PHONE) as (page, attempted):
            open_as(page, f"{url}/services?view=record", "worker")
            main = page.get_by_test_id("stMain")
            expect(main.locator("h1")).to_have_text("服务")
            save = page.get_by_role("button", name="保存服务记录")
            save.wait_for()
            _pick(page, "困难家庭", alias)
            expect(main).to_contain_text("本月应享：居家上门服务")
            _pick(page, "服务机构", "居家养老服务中心")
            page.get_by_role("textbox", name="服务人员").fill("王芳")
            main.locator("h1").click()  # leave the field: the warnings are worked out
            page.wait_for_timeout(800)
            _clean(page.evaluate(VISIBLE_TEXT))
            page.screenshot(path=DOCS / "services-phone.png")
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
            save.click()
            expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text(alias,
                                                                                 timeout=30_000)
            assert attempted == []
        records = store.read("service_records")
        assert len(records) == before + 1
        row = records[records["recorded_by"] == "worker"].iloc[-1]
        assert (row["household_id"], row["service_id"], row["delivered_by"],
                row["quantity"]) == (mine, "home_care", "王芳", 2.0)
        with chromium_page(width=1440, height=900) as (page, attempted):
            open_as(page, f"{url}/services?month=2026-11", "chief")
            table = page.get_by_test_id("stDataFrame")
            table.first.wait_for()
            page.wait_for_timeout(800)
            _clean(page.evaluate(VISIBLE_TEXT))
            page.screenshot(path=DOCS / "services-chief.png")
            assert attempted == []
