"""/alerts in a real browser (issue 20): a worker on a 390x844 phone verifies an alert
with a door visit and confirms it; the leader's view at 1440x900. Screenshots go to
docs/img/."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.test_access import guarded
from tests.test_journey_worker import RAW_ID, VISIBLE_TEXT

PHONE = {"width": 390, "height": 844}
DOCS = Path(__file__).resolve().parent.parent / "docs" / "img"
ALERT_ID = re.compile(r"\b[AFE][0-9a-f]{12}\b")  # alert, feed and event ids


def _clean(text: str) -> None:
    assert "None" not in text and "nan" not in text, text
    assert not RAW_ID.search(text) and not ALERT_ID.search(text), text
    assert not re.findall(r"[A-Za-z]{2,}", text), re.findall(r"[A-Za-z]{2,}", text)


@pytest.mark.browser
def test_a_worker_verifies_and_confirms_an_alert_on_a_phone_and_the_leader_sees_figures(
        _small_store_template, tmp_path):
    from playwright.sync_api import expect

    from gridmap.store import open_store
    from tests.browser import chromium_page, open_as, require_chromium, streamlit_server

    require_chromium()
    path = tmp_path / "small.gpkg"
    shutil.copyfile(_small_store_template, path)
    store = open_store(path)
    mine = guarded(store, "worker").read("alerts")
    mine = mine[(mine["kind"] == "registered") & (mine["stage"] == "assigned")]
    assert len(mine)
    alert = mine.sort_values("suggested_tier", na_position="last").iloc[0]
    households = store.read("households").set_index("household_id")
    old_tier = households.loc[alert["household_id"], "tier"]
    visits_before = len(store.read("visits"))
    DOCS.mkdir(parents=True, exist_ok=True)
    with streamlit_server(path) as url:
        with chromium_page(**PHONE) as (page, attempted):
            open_as(page, f"{url}/alerts?alert={alert['alert_id']}", "worker")
            main = page.get_by_test_id("stMain")
            expect(main.locator("h1")).to_have_text("大数据比对预警")
            verify = page.get_by_role("button", name="登记上门核实")
            verify.wait_for(timeout=30_000)
            page.get_by_role("textbox", name="核实情况").fill("入户核实，住院两次，家庭支出大")
            main.locator("h1").click()
            page.wait_for_timeout(800)
            _clean(page.evaluate(VISIBLE_TEXT))
            verify.scroll_into_view_if_needed()
            page.screenshot(path=DOCS / "alerts-worker.png")
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
            verify.click()
            expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text(
                "已保存", timeout=30_000)
            confirm = page.get_by_role("button", name="确认", exact=True)
            confirm.wait_for(timeout=30_000)
            _clean(page.evaluate(VISIBLE_TEXT))
            confirm.click()
            expect(confirm).to_have_count(0, timeout=30_000)  # decided: no more forms
            expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text("已保存")
            _clean(page.evaluate(VISIBLE_TEXT))
            assert attempted == []
        row = store.read("alerts").set_index("alert_id").loc[alert["alert_id"]]
        assert row["stage"] == "confirmed" and row["outcome"] == "tier_change"
        visits = store.read("visits")
        assert len(visits) == visits_before + 1
        visit = visits.set_index("visit_id").loc[row["visit_id"]]
        assert visit["method"] == "door" and visit["household_id"] == alert["household_id"]
        assert visit["note"] == "入户核实，住院两次，家庭支出大"
        new_tier = store.read("households").set_index("household_id").loc[
            alert["household_id"], "tier"]
        expected = alert["suggested_tier"] if isinstance(alert["suggested_tier"], str) \
            else "red"
        assert new_tier == expected and (new_tier != old_tier or expected == old_tier)
        with chromium_page(width=1440, height=900) as (page, attempted):
            open_as(page, f"{url}/alerts?view=stats", "leader")
            table = page.get_by_test_id("stDataFrame")
            table.first.wait_for()
            page.wait_for_timeout(800)
            _clean(page.evaluate(VISIBLE_TEXT))
            page.screenshot(path=DOCS / "alerts-leader.png")
            assert attempted == []
