"""The admin's daily job (issue 19): accounts managed on /admin, every change audited
and the audit log readable, a token revoked only after a confirmation.

The store and guard half runs without a browser; the journey runs in Chromium at
1440x900 (``flock /tmp/gridmap-server.lock python -m pytest tests/test_journey_admin.py``).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from gridmap import auditlog
from gridmap.access import Principal, password_matches
from gridmap.errors import GridmapError
from gridmap.guard import AccessDenied, GuardedStore

ROOT_DOCS = Path(__file__).resolve().parent.parent / "docs" / "img"
RAW_ID = re.compile(r"\b[WHNCA]\d{8,}\b")  # worker, household, need, case ids


@pytest.fixture
def admin(small_store):
    return GuardedStore(small_store, Principal("admin", "admin", session="s1"))


def _volunteer(store) -> str:
    workers = store.read("workers")
    return workers.loc[workers["kind"] == "volunteer", "worker_id"].iloc[-1]


def test_accounts_are_created_changed_locked_and_reset_each_with_its_audit_row(
        admin, small_store):
    person = _volunteer(small_store)
    district = small_store.read("areas").query("level == 'district'")["area_id"].iloc[0]
    admin.create_account("v2", "helper", "a-long-password", worker_id=person)
    changed = admin.change_account("v2", role="worker", scope=f"district:{district}",
                                   worker_id=person)
    assert changed == {"role": ["helper", "worker"], "scope": [None, f"district:{district}"]}
    assert admin.change_account("v2", role="worker", scope=f"district:{district}",
                                worker_id=person) == {}
    assert admin.set_disabled("v2", True) == {"disabled": [False, True]}
    admin.set_password("v2", "another-password")
    row = small_store.read("accounts").set_index("username").loc["v2"]
    assert (row["role"], row["scope"], row["worker_id"], bool(row["disabled"])) == (
        "worker", f"district:{district}", person, True)
    assert password_matches(row["password_hash"], "another-password")
    audit = small_store.read("audit")
    assert audit["action"].tolist()[-5:] == ["create_account", "change_account",
                                             "change_account", "lock_account",
                                             "reset_password"]
    assert set(audit["username"].tail(5)) == {"admin"}
    assert set(audit["target"].tail(5)) == {"v2"}
    assert "hash" not in " ".join(audit["detail"].dropna())  # never a password or its hash
    admin.set_disabled("v2", False)
    assert not small_store.read("accounts").set_index("username").loc["v2", "disabled"]


def test_account_writes_are_checked(admin, small_store):
    with pytest.raises(AccessDenied):
        admin.set_disabled("admin", True)  # never lock yourself out
    with pytest.raises(AccessDenied):
        admin.change_account("admin", role="helper", scope=None, worker_id=None)
    with pytest.raises(GridmapError):
        admin.create_account("x1", "boss", "a-long-password")
    with pytest.raises(GridmapError):
        admin.create_account("x1", "leader", "a-long-password", scope="district:nowhere")
    with pytest.raises(GridmapError):
        admin.create_account("x1", "leader", "short")
    with pytest.raises(GridmapError):
        admin.set_password("nobody", "a-long-password")
    leader = GuardedStore(small_store, Principal("leader", "leader"))
    for write in (lambda: leader.set_disabled("worker", True),
                  lambda: leader.set_password("worker", "a-long-password"),
                  lambda: leader.change_account("worker", role="admin", scope=None,
                                                worker_id=None)):
        with pytest.raises(AccessDenied):
            write()
    assert "x1" not in set(small_store.read("accounts")["username"])


def test_the_audit_log_reads_as_words():
    import pandas as pd
    audit = pd.DataFrame({
        "at": pd.to_datetime(["2026-11-20 10:00:05", "2026-11-20 10:01:00",
                              "2026-11-20 10:02:00", "2026-11-20 10:03:00"]),
        "username": ["helper", "admin", "admin", "ghost"],
        "session": ["s", "s", "s", None],
        "action": ["advance_need", "change_account", "lock_account", "login_refused"],
        "target": ["N1", "v2", "v2", None],
        "detail": [json.dumps({"to_stage": "claimed"}),
                   json.dumps({"role": ["helper", "worker"], "scope": [None, "district:D"]}),
                   json.dumps({"disabled": [False, True]}),
                   json.dumps({"source": "unknown", "reason": "wrong password"})]})
    names = {"N1": "生活用品：电饭煲", "district:D": "丹徒区"}
    words = auditlog.readable(audit, {"helper": "helper", "admin": "admin"}, "zh",
                              lambda v: names.get(v, v))
    assert words["username"].tolist()[:2] == ["helper（帮扶志愿者）", "admin（管理员）"]
    assert words["action"].tolist() == ["推进微心愿", "更改账号角色或范围", "停用账号",
                                        "登录被拒"]
    assert words["detail"].tolist() == [
        "环节：已认领", "角色：帮扶志愿者 → 网格员；范围：无 → 丹徒区", "停用：否 → 是",
        "来源：未知；原因：密码错误"]
    assert words["target"].iloc[0] == "生活用品：电饭煲"
    english = auditlog.readable(audit, {}, "en")
    assert english["detail"].iloc[0] == "stage: Claimed"
    assert english["action"].iloc[2] == "Locked an account"


# -- the journey in a real browser ------------------------------------------------------

def _zh_clean(text: str, allowed: set[str]) -> list[str]:
    """Raw ids, 'None' and English words a Chinese page should not show."""
    icons = {"visibility", "visibility_off"}  # Material icon ligatures, drawn as icons
    words = set(re.findall(r"[A-Za-z][A-Za-z_]{2,}", text)) - allowed - icons
    return sorted(words) + RAW_ID.findall(text) + (["None"] if "None" in text else [])


def _pick(page, label: str, option: str) -> None:
    """Choose ``option`` in the Streamlit selectbox labelled ``label``."""
    box = page.get_by_test_id("stSelectbox").filter(has_text=label).first
    box.click()
    page.get_by_role("option", name=option).first.click()


@pytest.mark.browser
def test_admin_creates_an_account_and_locks_it(_small_store_template, tmp_path):
    from playwright.sync_api import expect

    from gridmap.store import open_store
    from tests.browser import chromium_page, open_as, require_chromium, streamlit_server

    require_chromium()
    path = tmp_path / "small.gpkg"
    shutil.copyfile(_small_store_template, path)
    store = open_store(path)
    workers = store.read("workers")
    person = workers[workers["kind"] == "volunteer"].iloc[-1]
    usernames = set(store.read("accounts")["username"]) | {"lin"}
    with streamlit_server(path) as url, chromium_page(width=1440, height=900) as (
            page, attempted):
        open_as(page, url + "/admin", "admin")
        main = page.get_by_test_id("stMain")
        expect(main.get_by_role("heading", name="系统管理")).to_be_visible()
        expect(main.get_by_text("新建账号")).to_be_visible()  # lands on accounts
        clicks = 0
        main.get_by_role("textbox", name="用户名").fill("lin")
        main.get_by_role("textbox", name="初始密码（至少 8 位）").fill("a-long-password")
        _pick(page, "角色", "帮扶志愿者")
        clicks += 2
        main.get_by_role("textbox", name="搜索人员（姓名或编号）").first.fill(person["name"])
        page.keyboard.press("Enter")
        page.wait_for_timeout(800)
        _pick(page, "对应人员", f"{person['name']}（志愿者）")
        clicks += 2
        main.get_by_role("button", name="创建账号").click()
        clicks += 1
        expect(main.get_by_text("已创建账号 lin（帮扶志愿者）")).to_be_visible(timeout=15_000)
        row = store.read("accounts").set_index("username").loc["lin"]
        assert (row["role"], row["worker_id"], bool(row["disabled"])) == (
            "helper", person["worker_id"], False)
        # Lock it: pick the account, one click.
        _pick(page, "选择账号", "lin")
        main.get_by_role("button", name="停用账号").click()
        clicks += 2
        expect(main.get_by_text("已停用账号 lin")).to_be_visible(timeout=15_000)
        assert bool(store.read("accounts").set_index("username").loc["lin", "disabled"])
        assert clicks <= 8
        page.wait_for_timeout(500)
        text = main.inner_text()
        assert not _zh_clean(text, usernames), _zh_clean(text, usernames)
        ROOT_DOCS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=ROOT_DOCS / "admin.png")
        # The audit log says it in words.
        audit = store.read("audit")
        assert audit["action"].tolist()[-2:] == ["create_account", "lock_account"]
        main.get_by_text("审计日志", exact=True).click()
        grid = main.get_by_test_id("stDataFrame").first
        grid.wait_for()
        page.wait_for_timeout(800)
        cells = " ".join(grid.locator("td").all_inner_texts())
        assert "停用账号" in cells and "创建账号" in cells, cells[:500]
        assert "admin（管理员）" in cells and "停用：否 → 是" in cells
        assert "lock_account" not in cells and "{" not in cells
        page.screenshot(path=ROOT_DOCS / "admin-audit.png")
        # Revoking a token asks first.
        store.create_token("大厅大屏", "screen")
        main.get_by_text("大屏令牌", exact=True).click()
        main.get_by_role("button", name="撤销", exact=True).click()
        expect(main.get_by_text("确认撤销令牌“大厅大屏”")).to_be_visible(timeout=15_000)
        assert store.read("tokens")["revoked_at"].isna().all()  # not before the yes
        main.get_by_role("button", name="确认撤销").click()
        expect(main.get_by_text("已撤销令牌 大厅大屏")).to_be_visible(timeout=15_000)
        assert store.read("tokens")["revoked_at"].notna().all()
        assert attempted == []
