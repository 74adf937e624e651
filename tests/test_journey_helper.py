"""The helper's (volunteer's) daily job on a phone (issue 19): open needs, one claim as
themselves, the selection cleared and the claimed need named, their own figures.

``flock /tmp/gridmap-server.lock python -m pytest tests/test_journey_helper.py``
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from gridmap.access import Principal
from gridmap.guard import GuardedStore

DOCS = Path(__file__).resolve().parent.parent / "docs" / "img"
RAW_ID = re.compile(r"\b[WHNCA]\d{8,}\b")


def test_a_helper_claims_as_themselves_whatever_they_send(small_store):
    needs = small_store.read("needs")
    need = needs[needs["stage"] == "posted"].iloc[0]["need_id"]
    helper = GuardedStore(small_store, Principal("helper", "helper"))
    helper.advance_need(need, "claimed", actor="someone else", helper="爱心企业甲",
                        helper_kind="organisation")
    after = small_store.read("needs").set_index("need_id").loc[need]
    assert (after["stage"], after["helper"]) == ("claimed", "helper")
    events = small_store.read("need_events")
    assert events[events["need_id"] == need]["actor"].iloc[-1] == "helper"
    # Claimed needs stay in the helper's view (theirs), with no household in them.
    mine = helper.read("needs")
    assert need in set(mine["need_id"]) and set(mine["household_id"]) == {""}


@pytest.mark.browser
def test_helper_claims_a_need_on_a_phone(_small_store_template, tmp_path):
    from playwright.sync_api import expect

    from gridmap.i18n import label
    from gridmap.store import open_store
    from tests.browser import chromium_page, open_as, require_chromium, streamlit_server

    require_chromium()
    path = tmp_path / "small.gpkg"
    shutil.copyfile(_small_store_template, path)
    store = open_store(path)
    households = store.read("households")
    for i, (category, text) in enumerate([("生活用品", "需要一台电饭煲"),
                                          ("陪伴照料", "周末陪老人聊天")]):
        store.post_need(household_id=households["household_id"].iloc[i], category=category,
                        description=text, posted_by="W1",
                        posted_at=pd.Timestamp.now().floor("min") - pd.Timedelta(hours=i + 1))
    helper = GuardedStore(store, Principal("helper", "helper"))
    needs = helper.read("needs")
    waiting = needs[needs["stage"] == "posted"].sort_values("posted_at", kind="stable")
    first = waiting.iloc[0]
    before = {"needs.waiting": len(waiting),
              "needs.mine_claimed": int((needs["helper"] == "helper").sum())}
    with streamlit_server(path) as url, chromium_page(width=390, height=844) as (
            page, attempted):
        open_as(page, url + "/needs", "helper")
        main = page.get_by_test_id("stMain")
        expect(main.get_by_role("heading", name="微心愿", exact=True)).to_be_visible()

        def figure(key: str) -> int:
            return int(main.locator(f'[data-figure="{key}"]').inner_text().replace(",", ""))
        assert figure("needs.waiting") == before["needs.waiting"]
        assert figure("needs.mine_claimed") == before["needs.mine_claimed"]
        # No area filter: a helper's needs are not filtered by area.
        assert page.get_by_test_id("stSidebar").get_by_text("区域").count() == 0
        assert main.get_by_role("button", name="全市").count() == 0
        # Tap the first need, then claim it: two taps.
        grid = main.get_by_test_id("stDataFrame").first
        grid.wait_for()
        grid.scroll_into_view_if_needed()
        box = grid.bounding_box()
        page.mouse.click(box["x"] + 18, box["y"] + 53)  # the first row's selector
        claim = main.get_by_role("button", name="认领这项需求")
        expect(claim).to_be_visible(timeout=15_000)
        claim.click()
        message = main.get_by_test_id("stAlert").filter(has_text="已认领")
        expect(message).to_be_visible(timeout=15_000)
        text = message.inner_text()
        assert label(first["category"], "zh") in text and first["description"] in text
        after = store.read("needs").set_index("need_id").loc[first["need_id"]]
        assert (after["stage"], after["helper"]) == ("claimed", "helper")
        # The selection is cleared: nothing is ready for a second tap.
        page.wait_for_timeout(500)
        assert main.get_by_role("button", name="认领这项需求").count() == 0
        assert before["needs.waiting"] >= 3  # the next needs are there, none picked
        assert figure("needs.waiting") == before["needs.waiting"] - 1
        assert figure("needs.mine_claimed") == before["needs.mine_claimed"] + 1
        shown = main.inner_text()
        assert not RAW_ID.findall(shown) and "None" not in shown
        assert not set(re.findall(r"[A-Za-z][A-Za-z_]{2,}", shown)) - {"helper"}
        DOCS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=DOCS / "helper-needs.png", full_page=True)
        assert attempted == []
