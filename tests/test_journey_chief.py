"""The grid chief's daily job in a real browser at 1440x900 (issue 19): log in, land on
the team's workload in their own area, one click to a rebalancing proposal whose maps
show what moves, accept it as the logged-in account; in clean Chinese (and English).

Run under the shared lock: ``flock /tmp/gridmap-server.lock python -m pytest
tests/test_journey_chief.py -q``. The screenshots go to ``docs/img/`` (the README shows
them)."""

from __future__ import annotations

import re
import shutil

import pytest
from playwright.sync_api import expect

from gridmap import teams
from gridmap.store import open_store
from gridmap.style import CHANGED

from .browser import (
    ARTIFACTS,
    ROOT,
    chromium_page,
    map_frame,
    require_chromium,
    streamlit_server,
    wait_for_app,
)

pytestmark = pytest.mark.browser
IMG = ROOT / "docs" / "img"
WIDTH, HEIGHT = 1440, 900
RAW_ID = re.compile(r"\b[A-Z]?\d{9,}\b")  # H32110000001, W3211000000, 321112001001
LATIN = re.compile(r"[A-Za-z]{2,}")
ALLOWED_LATIN = {"CSV", "Excel", "English"}  # file formats; the language switch

# Leaflet layers drawn in the highlight colour: moved grids (paths) and households (rings).
CHANGED_JS = f"""() => Object.values(window.map._layers).filter(
    l => l.options && l.options.color === "{CHANGED}" && !l._layers).length"""


@pytest.fixture(scope="module")
def served(_small_store_template, tmp_path_factory):
    require_chromium()
    path = tmp_path_factory.mktemp("journey-chief") / "small.gpkg"
    shutil.copyfile(_small_store_template, path)
    with streamlit_server(path) as url:
        yield url, open_store(path)


def _log_in(page, url: str, *, english: bool = False) -> int:
    """Log in as the demo chief at ``/``; the clicks it took."""
    page.goto(url + ("/?lang=en" if english else "/"))
    page.get_by_role("textbox", name="User name" if english else "用户名").fill("chief")
    page.get_by_role("textbox", name="Password" if english else "密码").fill("demo-chief")
    page.get_by_role("button", name="Log in" if english else "登录", exact=True).click()
    return 1


# Text as a reader sees it: Material icons are ligatures ("balance" draws a balance).
_TEXT_JS = """(testId) => {
  const copy = document.querySelector(`[data-testid="${testId}"]`).cloneNode(true);
  copy.querySelectorAll('[data-testid="stIconMaterial"]').forEach(e => e.remove());
  document.body.appendChild(copy);
  const text = copy.innerText;
  copy.remove();
  return text;
}"""


def _visible_text(page) -> str:
    """What the page shows: main area, sidebar and the maps' legends."""
    parts = [page.evaluate(_TEXT_JS, test_id) for test_id in ("stMain", "stSidebar")]
    for frame in page.frames:
        if "streamlit_folium" in frame.url:
            parts += frame.locator(".gridmap-legend").all_inner_texts()
    return "\n".join(parts)


def _assert_clean_chinese(page, username: str) -> None:
    text = _visible_text(page)
    assert "None" not in text and "nan" not in text.lower().split(), text
    assert not RAW_ID.findall(text), RAW_ID.findall(text)
    latin = set(LATIN.findall(text)) - ALLOWED_LATIN - {username}
    assert not latin, latin


def _folium_frames(page, n: int):
    for _ in range(300):
        frames = [f for f in page.frames if "streamlit_folium" in f.url
                  and f.locator(".leaflet-control-layers").count()
                  and f.locator("canvas").count()]
        if len(frames) >= n:
            return frames
        page.wait_for_timeout(100)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "chief-maps-missing.png", full_page=True)
    raise AssertionError(f"{n} maps were not drawn")


def test_a_chief_lands_on_their_team_and_rebalances_it_in_three_clicks(served):
    url, store = served
    chief_id = store.read("accounts").set_index("username").at["chief", "worker_id"]
    workers = store.read("workers").set_index("worker_id")
    chief_name = workers.at[chief_id, "name"]
    team = workers.index[(workers.index == chief_id) | (workers["chief_id"] == chief_id)]
    held = store.read("assignments").query("worker_id in @team")["grid_id"]  # noqa: F841
    home = teams.team_area(store.read("grids").query("grid_id in @held"))
    home_name = store.read("areas").set_index("area_id").at[home.id, "name"]
    assert home.level == "community"

    with chromium_page(width=WIDTH, height=HEIGHT) as (page, attempted):
        clicks = _log_in(page, url)
        # Landing: the team's workload, in the team's area, the chief preselected.
        expect(page.get_by_role("heading", name="网格员工作量与调配")).to_be_visible(
            timeout=60_000)
        wait_for_app(page)
        main = page.get_by_test_id("stMain")
        scope = main.get_by_text("范围：")
        expect(scope).to_contain_text(home_name)
        expect(scope).to_contain_text(f"{chief_name}的团队（{len(team)} 人）")
        assert "全市" not in main.inner_text()
        assert main.get_by_test_id("stSelectbox").count() == 0  # no chief to pick
        sidebar = page.get_by_test_id("stSidebar")
        expect(sidebar.get_by_role("combobox", name="社区/村")).to_have_value(home_name)
        map_frame(page)
        page.wait_for_timeout(500)
        IMG.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=IMG / "chief-workload.png")
        _assert_clean_chinese(page, "chief")
        # The most loaded first, by name, in a warning colour.
        table = main.get_by_test_id("stDataFrame").first
        expect(table).to_be_visible()

        # One click to the proposal.
        page.get_by_role("button", name="生成调配方案").click()
        clicks += 1
        relieved = main.get_by_text("减负：")
        expect(relieved).to_be_visible(timeout=60_000)
        wait_for_app(page)
        before = page.get_by_test_id("stMetric").filter(has_text="调整前")
        # The proposal at the top of the window (the maps load once they are in view).
        before.evaluate("e => e.scrollIntoView({block: 'start'})")
        maps = _folium_frames(page, 2)
        moves_shown = int(main.get_by_test_id("stMetric").filter(has_text="调整").filter(
            has_not_text="调整前").filter(has_not_text="调整后").get_by_test_id(
            "stMetricValue").inner_text())
        assert moves_shown > 0
        for frame in maps:  # before and after: every moved grid and household marked
            assert frame.evaluate(CHANGED_JS) == moves_shown
        # The relieved are named, with their load before and after.
        assert re.search(r"减负：\S+ \d+% → \d+%", relieved.inner_text())
        before.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(800)
        page.screenshot(path=IMG / "chief-rebalance.png")
        _assert_clean_chinese(page, "chief")

        # Accepting signs with the logged-in account: nothing to type.
        expect(main.get_by_text(f"确认人：{chief_name}")).to_be_visible()
        assert main.get_by_role("textbox").count() == 0
        page.get_by_role("button", name="确认并写入").click()
        clicks += 1
        expect(main.get_by_text(f"已写入 {moves_shown} 项调整")).to_be_visible(timeout=30_000)
        assert clicks == 3
        assert attempted == []

    log = store.read("reassignments")
    assert len(log) == moves_shown and set(log["accepted_by"]) == {"chief"}
    assert set(log["scope"]) == {f"chief:{chief_id}"}
    audit = store.read("audit").query("action == 'reassign'")
    assert list(audit["username"]) == ["chief"] and list(audit["target"]) == [
        f"chief:{chief_id}"]
    # The moves are in force: each household now has its new responsible worker.
    hh = store.read("households")
    now = teams.responsible(hh, store.read("assignments"), store.read("household_helpers"))
    for move in log.itertuples():
        if move.kind == "household":
            assert now[move.item_id] == move.to_worker, move


def test_the_chief_journey_reads_in_english_too(served):
    url, store = served
    chief_id = store.read("accounts").set_index("username").at["chief", "worker_id"]
    with chromium_page(width=WIDTH, height=HEIGHT) as (page, attempted):
        _log_in(page, url, english=True)
        expect(page.get_by_role("heading", name="Workers' load and rebalancing")).to_be_visible(
            timeout=60_000)
        wait_for_app(page)
        main = page.get_by_test_id("stMain")
        expect(main.get_by_text("Scope:")).to_contain_text("'s team (")
        assert "Whole city" not in main.inner_text()
        page.get_by_role("button", name="Propose").click()
        expect(main.get_by_text("Accepted by:")).to_be_visible(timeout=60_000)
        wait_for_app(page)
        text = _visible_text(page)
        assert "None" not in text and not RAW_ID.findall(text)
        for word in ("Before", "After", "Lower bound", "Moves", "Who carries what",
                     "Accept and save", "Utilisation"):
            assert word in text, word
        # Chinese only in names from the data: no label or vocabulary left untranslated.
        for word in ("负荷", "调整", "志愿者", "专职", "家庭", "超负荷", "确认", "范围"):
            assert word not in text, word
        assert attempted == []
    assert chief_id  # nothing was accepted in English
    assert store.read("reassignments").query("accepted_by != 'chief'").empty
