"""The grid worker's day on a 390x844 phone (issue 19): land on "my households" by what
is due, tap one, log the visit, come back to the list; report a difficulty from the same
household. AppTest for the page logic, then one real-browser journey."""

from __future__ import annotations

import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from gridmap.coverage import due_list, household_status
from gridmap.policy import load_policy
from tests.test_access import guarded, principal_of
from tests.test_app import APP, as_user, shown

PHONE = {"width": 390, "height": 844}
DOCS = Path(__file__).resolve().parent.parent / "docs" / "img"
RAW_ID = re.compile(r"\b(H\d{11}|W\d{10}|\d{15})\b")  # household, worker, grid ids


def _worker_app(small_store, monkeypatch, role: str = "worker", lang: str | None = None):
    from streamlit.testing.v1 import AppTest
    monkeypatch.setenv("GRIDMAP_STORE", str(small_store.path))
    p = principal_of(small_store, role)
    at = as_user(AppTest.from_file(str(APP), default_timeout=60), role, scope=p.scope,
                 worker_id=p.worker_id)
    if lang:
        at.query_params["lang"] = lang
    return at


def _expected_order(small_store, role: str = "worker"):
    """The worker's households by what is due, worked out from the store directly."""
    store = guarded(small_store, role)
    hh = store.read("households").reset_index(drop=True)
    status = household_status(hh, store.read("visits"), load_policy(), as_of=date.today())
    return due_list(hh, status)


def _rows(at):
    return [b for b in at.button if b.key and b.key.startswith("gm-hh-")]


def test_the_worker_lands_on_their_households_overdue_first(small_store, monkeypatch):
    at = _worker_app(small_store, monkeypatch)
    at.run()
    assert not at.exception
    assert at.title[0].value == "我的住户"
    expected = _expected_order(small_store)
    rows = _rows(at)
    assert len(rows) == len(expected) > 0
    aliases = [shown(b.label).split("**")[1] for b in rows]
    assert aliases == expected["alias"].tolist()
    late = expected["group"].eq("overdue").sum()
    assert 0 < late < len(rows)
    assert all("逾期" in b.label for b in rows[:late])
    assert not any("逾期" in b.label for b in rows[late:])
    first = expected.iloc[0]
    assert f"逾期 {first['days_overdue']} 天" in rows[0].label
    text = " ".join([b.label for b in rows] + [c.value for c in at.caption]
                    + [m.value for m in at.markdown])
    assert "None" not in text and not RAW_ID.search(text)
    never = expected[expected["last_visit"].isna()]
    for alias in never["alias"]:
        assert "从未走访" in next(b.label for b in rows if alias in shown(b.label))


def test_one_tap_opens_the_visit_form_and_saving_returns_to_the_list(small_store,
                                                                      monkeypatch):
    at = _worker_app(small_store, monkeypatch)
    at.run()
    target = _expected_order(small_store).iloc[0]
    _rows(at)[0].click().run()  # one tap
    assert not at.exception and not _rows(at)
    assert any(target["alias"] in shown(h.proto.body) for h in at.get("html"))
    assert at.button(key="gridmap.households.back")  # the way back
    before = len(small_store.read("visits"))
    at.text_area[0].input("上门查看，情况稳定")
    next(b for b in at.button if b.label == "保存走访").click().run()
    assert not at.exception
    visits = small_store.read("visits")
    assert len(visits) == before + 1
    saved = visits.iloc[-1]
    me = principal_of(small_store, "worker").worker_id
    assert (saved["household_id"], saved["worker_id"], saved["method"], saved["note"]) == (
        target["household_id"], me, "door", "上门查看，情况稳定")
    interval = load_policy().interval_days[target["tier"]]
    due = (date.today() + timedelta(days=interval)).isoformat()
    assert at.title[0].value == "我的住户" and _rows(at)  # back on the list
    message = shown(at.success[0].value)
    assert target["alias"] in message and due in message
    # The household has moved down: it is no longer overdue.
    assert target["alias"] not in shown(_rows(at)[0].label)


def test_a_difficulty_is_reported_from_the_same_household(small_store, monkeypatch):
    at = _worker_app(small_store, monkeypatch)
    at.run()
    target = _expected_order(small_store).iloc[1]
    _rows(at)[1].click().run()
    at.button(key="gridmap.households.other").click().run()
    assert not at.exception
    # The report is for the household open: nothing to choose, no one else to report.
    keys = {w.key for w in at.selectbox} | {w.key for w in at.radio}
    assert not keys & {"gridmap.report.household", "gridmap.report.kind"}
    at.text_area[0].input("老人独居，行动不便，需要助餐")
    next(b for b in at.button if b.label == "提交").click().run()
    assert not at.exception
    cases = small_store.read("cases")
    assert cases.iloc[-1]["household_id"] == target["household_id"]
    assert at.title[0].value == "我的住户" and any("已上报" in s.value for s in at.success)


def test_household_pickers_start_empty_and_are_required(small_store, monkeypatch):
    at = _worker_app(small_store, monkeypatch, "chief")
    at.run()
    at.switch_page("pages/coverage.py").run()
    assert not at.exception
    for key in ("gridmap.visit.household", "gridmap.tier.household"):
        picker = at.selectbox(key=key)
        assert picker.value is None and picker.proto.placeholder == "输入代号搜索住户"
    before = len(small_store.read("visits"))
    next(b for b in at.button if b.label == "保存走访").click().run()
    assert any("请先选择住户" in e.value for e in at.error)
    assert len(small_store.read("visits")) == before


def test_the_overdue_list_reads_as_words(small_store, monkeypatch):
    at = _worker_app(small_store, monkeypatch, "chief")
    at.run()
    at.switch_page("pages/coverage.py").run()
    table = next(df.value for df in at.dataframe if "预警等级" in df.value.columns)
    assert len(table) and table["代号"].map(bool).all()  # no empty rows
    assert set(table["预警等级"]) <= {"无", "一级", "二级", "三级"}
    assert table["最近走访"].str.fullmatch(r"\d{4}-\d{2}-\d{2}|从未走访").all()
    assert table["应访日期"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    workers = set(small_store.read("workers")["name"])
    assert table["网格员"].isin(workers | {""}).all()
    text = table.to_csv()
    assert "None" not in text and "NaT" not in text and not RAW_ID.search(text)


def test_a_worker_logs_visits_from_their_households_not_from_coverage(small_store,
                                                                      monkeypatch):
    at = _worker_app(small_store, monkeypatch)
    at.run()
    at.switch_page("pages/coverage.py").run()
    assert not at.exception and at.title[0].value == "走访覆盖"
    assert "登记走访" not in {tab.label for tab in at.tabs}


def test_english_mode_is_clean(small_store, monkeypatch):
    at = _worker_app(small_store, monkeypatch, lang="en")
    at.run()
    assert not at.exception and at.title[0].value == "My households"
    labels = [b.label for b in _rows(at)]
    assert any("overdue" in x for x in labels)
    text = " ".join(labels + [c.value for c in at.caption])
    assert "None" not in text and not RAW_ID.search(text)
    assert not re.search(r"[逾期天上次从未走访色]", " ".join(x.split("**")[2] for x in labels))


# -- the journey in a real browser ---------------------------------------------------

VISIBLE_TEXT = """() => {
  const main = document.querySelector('[data-testid="stMain"]'), out = [];
  const walk = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const parent = walk.currentNode.parentElement;
    if (!parent || parent.closest('[data-testid="stIconMaterial"], style, script')
        || !parent.checkVisibility()) continue;
    out.push(walk.currentNode.textContent);
  }
  return out.join(" ");
}"""


@pytest.mark.browser
def test_the_workers_day_on_a_phone(_small_store_template, tmp_path):
    from playwright.sync_api import expect

    from gridmap.store import open_store
    from tests.browser import (
        chromium_page,
        open_as,
        require_chromium,
        streamlit_server,
        wait_for_app,
    )
    require_chromium()
    path = tmp_path / "small.gpkg"
    shutil.copyfile(_small_store_template, path)
    store = open_store(path)
    expected = _expected_order(store)
    clicks = 0

    def tap(locator) -> None:
        nonlocal clicks
        clicks += 1
        locator.click()

    def visible_text(page) -> str:
        """The text a user sees on the page (icons are glyphs, not their names)."""
        return page.evaluate(VISIBLE_TEXT)

    def clean(text: str) -> None:
        assert "None" not in text and not RAW_ID.search(text), text
        assert not re.findall(r"[A-Za-z]{2,}", text), re.findall(r"[A-Za-z]{2,}", text)

    with streamlit_server(path) as url, chromium_page(**PHONE) as (page, attempted):
        open_as(page, url, "worker")
        # Landing: my households, by what is due, overdue first.
        expect(page.locator('[data-testid="stMain"] h1')).to_have_text("我的住户")
        rows = page.locator('[class*="st-key-gm-hh-"] button')
        expect(rows).to_have_count(len(expected))
        texts = rows.all_inner_texts()
        assert [t.split(" · ")[0] for t in texts[:5]] == expected["alias"].tolist()[:5]
        late = int(expected["group"].eq("overdue").sum())
        assert all("逾期" in t for t in texts[:late]) and "逾期" not in texts[late]
        clean(visible_text(page))
        assert page.get_by_test_id("stSidebar").get_attribute("data-collapsed") == "true"
        DOCS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=DOCS / "worker-households.png")

        # One tap: the visit form for that household, whole on the screen.
        target = expected.iloc[0]
        tap(rows.first)
        save = page.get_by_role("button", name="保存走访")
        save.wait_for()
        wait_for_app(page, selector='[data-testid="stForm"]')
        assert target["alias"] in visible_text(page)
        box = save.bounding_box()
        assert box["y"] + box["height"] <= PHONE["height"]  # no scrolling to save
        assert page.evaluate("() => window.scrollY") == 0
        clean(visible_text(page))
        page.screenshot(path=DOCS / "worker-visit.png")
        page.get_by_role("textbox", name="走访记录").fill("上门查看，情况稳定")
        tap(save)

        # Saved: the confirmation with the next due date, back on the list.
        due = (date.today() + timedelta(days=load_policy().interval_days[target["tier"]]))
        message = page.get_by_test_id("stAlertContentSuccess")
        expect(message).to_contain_text(due.isoformat(), timeout=30_000)
        expect(message).to_contain_text(target["alias"])
        expect(page.locator('[data-testid="stMain"] h1')).to_have_text("我的住户")
        assert clicks == 2
        saved = store.read("visits").iloc[-1]
        assert (saved["household_id"], saved["note"], saved["method"]) == (
            target["household_id"], "上门查看，情况稳定", "door")
        assert saved["worker_id"] == principal_of(store, "worker").worker_id
        wait_for_app(page)
        clean(visible_text(page))

        # The navigation does not stay over the page after a tap on a phone.
        page.get_by_test_id("stExpandSidebarButton").click()
        sidebar = page.get_by_test_id("stSidebar")
        expect(sidebar).to_have_attribute("data-collapsed", "false")
        sidebar.get_by_test_id("stSidebarNav").get_by_text("走访覆盖").click()
        expect(page.locator('[data-testid="stMain"] h1')).to_have_text("走访覆盖")
        expect(sidebar).to_have_attribute("data-collapsed", "true")
        title = page.locator('[data-testid="stMain"] h1')
        lines = title.evaluate("""e => { const s = getComputedStyle(e);
            return (e.clientHeight - parseFloat(s.paddingTop) - parseFloat(s.paddingBottom))
                   / parseFloat(s.lineHeight); }""")
        assert lines < 1.5  # the title is one line
        wait_for_app(page)
        clean(visible_text(page))
        assert attempted == []
