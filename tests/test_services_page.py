"""/services (issue 21) in AppTest: each role's views, a worker recording a service with
its warnings, a chief granting one by hand, the leader's masked lists, both languages."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from gridmap.access import PAGES
from tests.test_access import expected_households, principal_of

APP = Path(__file__).resolve().parent.parent / "app.py"
VIEWS = {"admin": {"服务缺口", "登记服务", "服务机构", "授予服务"},
         "chief": {"服务缺口", "登记服务", "服务机构", "授予服务"},
         "worker": {"服务缺口", "登记服务"},
         "leader": {"服务缺口", "服务机构"}}


def _page(store, monkeypatch, role: str, view: str | None = None, lang: str | None = None,
          month: str = "2026-11") -> AppTest:
    monkeypatch.setenv("GRIDMAP_STORE", str(store.path))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["gridmap.principal"] = principal_of(store, role)
    at.session_state["gridmap.login_at"] = datetime.now()
    if view:
        at.session_state["gridmap.services.view"] = view
    if lang:
        at.query_params["lang"] = lang
    at.query_params["month"] = month  # the demo's records end on 2026-11-20
    at.run()
    at.switch_page("pages/services.py").run()
    assert not at.exception, at.exception
    return at


def _views(at: AppTest) -> set[str]:
    return {o.content for control in at.get("button_group") for o in control.proto.options}


def _texts(at: AppTest) -> list[str]:
    """Every text the page shows: titles, captions, metrics, tables (headers and cells)."""
    out = [e.value for kind in ("title", "caption", "info", "warning", "success", "error")
           for e in getattr(at, kind)]
    out += [m.label for m in at.metric] + [str(m.value) for m in at.metric]
    for frame in at.dataframe:
        out += [str(c) for c in frame.value.columns]
        out += [str(v) for v in frame.value.to_numpy().ravel()]
    return out


@pytest.mark.parametrize("role", ["admin", "leader", "chief", "worker"])
def test_each_role_gets_its_views(small_store, monkeypatch, role):
    at = _page(small_store, monkeypatch, role)
    assert at.title[0].value == "服务"
    assert _views(at) == VIEWS[role]
    table = at.dataframe[0].value
    assert "代号" in table.columns and "household_id" not in table.columns
    assert not table.empty
    mine = small_store.read("households").set_index("household_id").loc[
        sorted(expected_households(small_store, role))]
    assert set(table["代号"]) <= set(mine["alias"])  # only the role's own households


def test_the_helper_and_the_screen_do_not_get_the_page():
    for role in ("helper", "screen"):
        assert "services" not in PAGES[role]
    for role in ("admin", "leader", "chief", "worker"):
        assert "services" in PAGES[role]


def test_the_leader_sees_masked_lists_and_the_providers(small_store, monkeypatch):
    people = small_store.read("households")
    at = _page(small_store, monkeypatch, "leader")
    shown = " ".join(_texts(at))
    for column in ("head_name", "id_number", "phone"):
        assert not any(str(v) in shown for v in people[column].dropna().head(200))
    at = _page(small_store, monkeypatch, "leader", view="providers")
    providers = at.dataframe[0].value
    assert {"服务机构", "服务户数", "准时率%"} <= set(providers.columns)
    assert "provider_id" not in providers.columns
    records = small_store.read("service_records")
    assert not any(str(v) in " ".join(_texts(at)) for v in records["delivered_by"].unique())


def test_the_chinese_page_shows_no_english_none_or_raw_ids(small_store, monkeypatch):
    ids = set(small_store.read("households")["household_id"]) | set(
        small_store.read("providers")["provider_id"])
    for role, view in (("chief", "short"), ("chief", "providers"), ("worker", "record"),
                       ("chief", "grant")):
        at = _page(small_store, monkeypatch, role, view=view)
        texts = _texts(at)
        texts += [s.label for s in at.selectbox] + [  # options as shown (formatted)
            o for s in at.selectbox if s.key and "services" in s.key for o in s.options[:3]]
        for text in texts:
            assert "None" not in text and "nan" not in text.lower().split(), (view, text)
            assert text not in ids, (view, text)
        words = [t for t in texts if t.isascii() and any(c.isalpha() for c in t)]
        assert not words, (view, words)


def test_english_names_the_services_units_and_provider_kinds(small_store, monkeypatch):
    at = _page(small_store, monkeypatch, "chief", view="providers", lang="en")
    assert at.title[0].value == "Services"
    providers = at.dataframe[0].value
    assert set(providers["Kind"]) == {"Elderly-care centre"}
    at = _page(small_store, monkeypatch, "worker", view="record", lang="en")
    service = at.selectbox(key="gridmap.services.record.service")
    assert service.options[0] == "In-home service · Daily care"
    assert any(n.label == "Quantity (hours)" for n in at.number_input)


def _record(at: AppTest, household: str, provider: str, who: str, hour: int):
    at.selectbox(key="gridmap.services.record.household").select(household).run()
    at.selectbox(key="gridmap.services.record.provider").select(provider).run()
    at.text_input(key="gridmap.services.record.who").input(who).run()
    at.date_input(key="gridmap.services.record.day").set_value(
        pd.Timestamp("2026-11-25").date()).run()
    at.time_input(key="gridmap.services.record.time").set_value(
        datetime(2026, 11, 25, hour).time()).run()
    return at


def test_a_worker_records_a_service_and_sees_its_warnings(small_store, monkeypatch):
    mine = sorted(expected_households(small_store, "worker"))
    grants = small_store.read("entitlements")
    bare = next(h for h in mine if h not in set(grants["household_id"]))
    centre = small_store.read("providers").query("kind == '养老服务中心'")["provider_id"].iloc[0]
    at = _page(small_store, monkeypatch, "worker", view="record")
    save = next(b for b in at.button if b.label == "保存服务记录")
    save.click().run()  # nothing picked: refused, nothing written
    assert any("请先选择服务对象" in e.value for e in at.error)
    before = len(small_store.read("service_records"))
    _record(at, bare, centre, "王芳", 9)
    assert any("没有此项服务资格" in w.value for w in at.warning)  # before saving
    next(b for b in at.button if b.label == "保存服务记录").click().run()
    assert not at.exception
    records = small_store.read("service_records")
    assert len(records) == before + 1
    row = records[records["household_id"] == bare].iloc[-1]
    assert (row["service_id"], row["provider_id"], row["delivered_by"], row["quantity"]) == (
        "home_care", centre, "王芳", 2.0)
    assert pd.Timestamp(row["started_at"]) == pd.Timestamp("2026-11-25 09:00")
    assert any(s.value.startswith("已保存") for s in at.success)
    assert any("没有此项服务资格" in w.value for w in at.warning)  # after saving, too
    audit = small_store.read("audit")
    assert ((audit["action"] == "record_service") & (audit["target"] == bare)).any()
    # The same person an hour later overlaps: warned before saving.
    _record(at, bare, centre, "王芳", 10)
    shown = [w.value.replace("\\", "") for w in at.warning]  # Markdown-escaped text
    assert any("已有服务记录（2026-11-25 09:00）" in w for w in shown), shown


def test_a_chief_grants_a_service_by_hand_with_a_reason(small_store, monkeypatch):
    theirs = sorted(expected_households(small_store, "chief"))[0]
    at = _page(small_store, monkeypatch, "chief", view="grant")
    at.selectbox(key="gridmap.services.grant.household").select(theirs).run()
    at.selectbox(key="gridmap.services.grant.service").select("counselling").run()
    before = len(small_store.read("entitlements"))
    next(b for b in at.button if b.label == "授予").click().run()
    assert any("请填写授予理由" in e.value for e in at.error)
    assert len(small_store.read("entitlements")) == before
    at.text_input(key="gridmap.services.grant.reason").input("独居，情绪低落").run()
    next(b for b in at.button if b.label == "授予").click().run()
    assert not at.exception
    grants = small_store.read("entitlements")
    assert len(grants) == before + 1
    row = grants[grants["reason"] == "独居，情绪低落"].iloc[0]
    assert (row["household_id"], row["service_id"], row["source"]) == (
        theirs, "counselling", "manual")
    audit = small_store.read("audit")
    assert ((audit["action"] == "grant_entitlement") & (audit["target"] == theirs)
            & (audit["username"] == "chief")).any()
