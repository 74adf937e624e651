"""AppTest: every page runs without an exception; widgets drive the pages."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from gridmap.access import ALL_PAGES

APP = Path(__file__).resolve().parent.parent / "app.py"
PAGES = [f"pages/{name}.py" for name in ALL_PAGES]


def as_user(at: AppTest, role: str = "admin", **fields) -> AppTest:
    """Log ``at`` in as the demo account of ``role`` (the login form has its own tests)."""
    from datetime import datetime

    from gridmap.access import Principal
    at.session_state["gridmap.principal"] = Principal(role, role, **fields)
    at.session_state["gridmap.login_at"] = datetime.now()
    return at


@pytest.fixture
def app(small_store, monkeypatch):
    monkeypatch.setenv("GRIDMAP_STORE", str(small_store.path))
    return as_user(AppTest.from_file(str(APP), default_timeout=60))


def shown(markdown: str) -> str:
    """What Markdown shows of a message, read as text: its escaped characters as they
    are, without the invisible word joiners that keep URLs from becoming links (data in
    messages is escaped, ``gridmap.sanitize.plain``)."""
    import re

    from gridmap.sanitize import WORD_JOINER
    return re.sub(r"\\(.)", r"\1", markdown).replace(WORD_JOINER, "")


def _text(at) -> str:
    parts = [e.value for e in at.title] + [e.value for e in at.caption]
    parts += [str(e.proto) for e in at.get("html")]
    parts += [f"{m.label}={m.value}" for m in at.metric]
    return "\n".join(parts)


def test_overview_runs_in_chinese_with_the_store_figures(app, small_store):
    app.run()
    assert not app.exception
    text = _text(app)
    assert "概览" in text and "镇江市" in text  # the top level: the city's name (issue 23)
    hh = small_store.read("households")
    assert f"{(hh['tier'] == 'green').sum():,}" in text
    assert f"合计={len(small_store.read('grids')):,}" in text


def test_english_by_query_parameter(app):
    app.query_params["lang"] = "en"
    app.run()
    assert not app.exception
    assert app.title[0].value == "Overview"
    assert "Whole city" in _text(app)


def test_area_selector_filters_the_figures(app, small_store):
    # AppTest drops the entry script's sidebar on a second run under st.navigation,
    # so the choice is set up front; the browser test clicks the real selectors.
    street = small_store.read("areas").query("level == 'street'").iloc[0]
    app.session_state["gridmap.area.district"] = "321112"
    app.session_state["gridmap.area.street"] = street["area_id"]
    app.run()
    assert not app.exception
    assert f"丹徒区 › {street['name']}" in _text(app)
    grids = small_store.read("grids")
    n = (grids["street_id"] == street["area_id"]).sum()
    assert f"合计={n:,}" in _text(app)
    assert app.query_params["area"] in ([f"street:{street['area_id']}"],
                                        f"street:{street['area_id']}")
    assert app.sidebar.selectbox(key="gridmap.area.community").value == ""


def test_area_from_url_is_restored(app, small_store):
    community = small_store.read("areas").query("level == 'community'").iloc[0]
    app.query_params["area"] = f"community:{community['area_id']}"
    app.run()
    assert not app.exception
    assert app.sidebar.selectbox(key="gridmap.area.community").value == community["area_id"]
    assert community["name"] in _text(app)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs(page, app):
    app.run()
    app.switch_page(page).run()
    assert not app.exception


def test_first_run_builds_the_demo_store(tmp_path, monkeypatch):
    import gridmap.demo
    from pages.shared import common

    path = tmp_path / "fresh.gpkg"
    monkeypatch.setenv("GRIDMAP_STORE", str(path))
    small = gridmap.demo.build_demo
    monkeypatch.setattr(common, "build_demo", lambda scale, **kw: small("small", **kw))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception
    assert path.exists() and at.status[0].label == "演示数据已生成"


def _fake_st_folium(clicked_grid):
    """st_folium without a browser; with ``clicked_grid``, the map reports one click on
    it, as the component does: its value, then its ``on_change`` (once per click)."""
    import streamlit as st

    def fake(fig, **kwargs):
        fake.calls += 1
        fake.html = fig.get_root().render()
        props = {"i": clicked_grid} if clicked_grid else {}
        value = {"last_active_drawing": {"type": "Feature", "properties": props},
                 "last_clicked": {"lat": 32.0, "lng": 119.4} if clicked_grid else None}
        if clicked_grid and kwargs.get("on_change") and not fake.clicked:
            fake.clicked = True
            st.session_state[kwargs["key"]] = value
            kwargs["on_change"]()
        return value
    fake.calls, fake.clicked = 0, False
    return fake


def test_map_page_draws_the_selection(app, small_store, monkeypatch):
    import streamlit_folium
    fake = _fake_st_folium(None)
    monkeypatch.setattr(streamlit_folium, "st_folium", fake)
    app.query_params["ind"] = "overdue"
    app.switch_page("pages/map.py").run()
    assert not app.exception
    assert fake.calls == 1 and "units_layer_" in fake.html and "points_layer_" in fake.html
    assert app.title[0].value == "网格地图"
    assert app.selectbox[0].value == "overdue"


def test_clicking_a_grid_drills_down_one_level(app, small_store, monkeypatch):
    import streamlit_folium

    from gridmap.places import Area
    grid = small_store.read("grids").iloc[7]
    monkeypatch.setattr(streamlit_folium, "st_folium", _fake_st_folium(grid["grid_id"]))
    app.switch_page("pages/map.py").run()
    app.run()  # the click's callback ran in the first run: the next one is there
    assert not app.exception
    assert app.session_state["gridmap.area"] == Area("district", grid["district_id"])


def test_grid_level_shows_the_side_panel_without_names(app, small_store, monkeypatch):
    import streamlit_folium
    monkeypatch.setattr(streamlit_folium, "st_folium", _fake_st_folium(None))
    grid = small_store.read("grids").iloc[3]
    app.query_params["area"] = f"grid:{grid['grid_id']}"
    app.switch_page("pages/map.py").run()
    assert not app.exception
    tables = [df.value for df in app.dataframe]
    hh = small_store.read("households")
    mine = hh[hh["grid_id"] == grid["grid_id"]]
    assert sorted(tables[0]["代号"]) == sorted(mine["alias"])
    shown = tables[0].to_string()
    assert not any(name in shown for name in mine["head_name"])
    assert not any(n in shown for n in mine["id_number"])
    assert len(tables[1]) >= 1  # the grid's workers


def _no_map(monkeypatch):
    import streamlit_folium
    monkeypatch.setattr(streamlit_folium, "st_folium", _fake_st_folium(None))


def _coverage_of_first_grid(app, store, monkeypatch):
    """Open /coverage on the grid of the store's first household; returns the households."""
    _no_map(monkeypatch)
    households = store.read("households")
    app.query_params["area"] = f"grid:{households['grid_id'].iloc[0]}"
    app.switch_page("pages/coverage.py").run()
    return households


def test_coverage_page_figures_equal_the_cli_report(app, small_store, monkeypatch):
    from datetime import date

    from gridmap.coverage import coverage_table
    from gridmap.policy import load_policy
    _no_map(monkeypatch)
    street = small_store.read("areas").query("level == 'street'").iloc[1]
    app.query_params["area"] = f"street:{street['area_id']}"
    app.switch_page("pages/coverage.py").run()
    assert not app.exception
    table = coverage_table(small_store.read("households"), small_store.read("visits"),
                           small_store.read("grids"), small_store.read("areas"), load_policy(),
                           level="street", as_of=date.today())
    row = table.set_index("area_id").loc[street["area_id"]]
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["总覆盖率"] == f"{row['coverage_pct']:.1f}%"
    assert metrics["红色"] == f"{row['coverage_pct_red']:.1f}%"
    assert app.caption[0].value == f"共 {row['overdue']:,} 户逾期"


def test_logging_a_visit_writes_it_and_moves_the_due_date(app, small_store, monkeypatch):
    from datetime import date
    hh = _coverage_of_first_grid(app, small_store, monkeypatch)
    household = hh["household_id"].iloc[0]  # pickers start empty: the user picks
    app.selectbox(key="gridmap.visit.household").select(household).run()
    before = len(small_store.read("visits"))
    app.text_area[0].input("电话回访，身体稳定")
    next(b for b in app.button if b.label == "保存走访").click().run()
    assert not app.exception
    visits = small_store.read("visits")
    assert len(visits) == before + 1
    mine = visits[visits["household_id"] == household].iloc[-1]
    assert mine["note"] == "电话回访，身体稳定" and mine["visited_at"].date() == date.today()
    interval = {"red": 7, "orange": 14, "yellow": 30, "green": 90}[
        hh.set_index("household_id").loc[household, "tier"]]
    due = date.fromordinal(date.today().toordinal() + interval)
    assert any(due.isoformat() in shown(s.value) for s in app.success)


def test_tier_change_needs_a_reason_and_keeps_history(app, small_store, monkeypatch):
    import hashlib
    hh = _coverage_of_first_grid(app, small_store, monkeypatch)
    household = hh["household_id"].iloc[0]
    app.selectbox(key="gridmap.tier.household").select(household).run()
    digest = hashlib.sha256(small_store.path.read_bytes()).hexdigest()
    next(b for b in app.button if b.label == "保存调整").click().run()
    assert any("原因" in e.value or "reason" in e.value for e in app.error)
    assert hashlib.sha256(small_store.path.read_bytes()).hexdigest() == digest
    next(t for t in app.text_input if "原因" in t.label).input("住院后病情加重")
    next(b for b in app.button if b.label == "保存调整").click().run()
    assert not app.exception and app.success
    changes = small_store.read("tier_changes")
    last = changes[changes["household_id"] == household].iloc[-1]
    assert last["reason"] == "住院后病情加重"
    assert small_store.read("households").set_index("household_id").loc[
        household, "tier"] == last["to_tier"]


def test_a_failed_save_shows_an_error_and_changes_nothing(app, small_store, monkeypatch):
    import hashlib

    from gridmap.errors import StoreError
    from gridmap.store import Transaction
    hh = _coverage_of_first_grid(app, small_store, monkeypatch)
    app.selectbox(key="gridmap.visit.household").select(hh["household_id"].iloc[0]).run()
    digest = hashlib.sha256(small_store.path.read_bytes()).hexdigest()

    def broken(tx, layer, row, **kw):
        raise StoreError("disk full")  # inside the transaction, after the checks

    monkeypatch.setattr(Transaction, "insert", broken)
    next(b for b in app.button if b.label == "保存走访").click().run()
    assert not app.exception
    assert any("disk full" in e.value for e in app.error)
    assert hashlib.sha256(small_store.path.read_bytes()).hexdigest() == digest


def test_overdue_list_shows_warning_levels(app, small_store, monkeypatch):
    _no_map(monkeypatch)
    app.switch_page("pages/coverage.py").run()
    table = next(df.value for df in app.dataframe if "预警等级" in df.value.columns)
    assert set(table["预警等级"]) <= {"无", "一级", "二级", "三级"} and len(table) > 0


@pytest.mark.parametrize("method", ["gi", "moran", "emerging"])
def test_hotspot_methods_run(app, small_store, monkeypatch, method):
    import streamlit_folium
    fake = _fake_st_folium(None)
    monkeypatch.setattr(streamlit_folium, "st_folium", fake)
    app.switch_page("pages/hotspots.py").run()
    next(box for box in app.selectbox if box.label == "方法").select(method).run()
    assert not app.exception
    assert fake.calls >= 1 and "units_layer_" in fake.html
    assert "class." not in fake.html  # every class is named in the legend, none left raw


def _widget(widgets, text):
    return next(w for w in widgets if text in w.label)


def _case_page(app, small_store, case_id):
    app.query_params["case"] = case_id
    app.run()
    app.switch_page("pages/cases.py").run()
    assert not app.exception


def test_a_case_is_assessed_from_its_page_with_a_tier_change(app, small_store):
    cases = small_store.read("cases")
    case = cases[cases["stage"] == "reported"].iloc[0]
    household = case["household_id"]
    tier = small_store.read("households").set_index("household_id").loc[household, "tier"]
    new_tier = "red" if tier != "red" else "orange"
    _case_page(app, small_store, case["case_id"])
    assert f"案件 {case['case_id']}" in "".join(h.value for h in app.subheader)
    app.radio(key=f"gridmap.case.{case['case_id']}.next").set_value("assessed").run()
    _widget(app.selectbox, "研判结论").set_value("eligible")
    _widget(app.multiselect, "可享受的救助").set_value(["临时救助"])
    _widget(app.selectbox, "颜色等级").set_value(new_tier)
    _widget(app.text_input, "调整理由").input("入户核实后升级")
    _widget(app.button, "提交").click().run()
    assert not app.exception
    assert any("分析研判" in s.value for s in app.success)
    after = small_store.read("cases").set_index("case_id").loc[case["case_id"]]
    assert after["stage"] == "assessed" and after["assistance"] == "临时救助"
    hh = small_store.read("households").set_index("household_id").loc[household]
    assert hh["tier"] == new_tier
    last = small_store.read("tier_changes").query("household_id == @household").iloc[-1]
    assert last["reason"] == "入户核实后升级"


def _assessed_case_page(app, small_store):
    """A reported case assessed eligible yesterday, its page open: ready to be handled."""
    from datetime import datetime, timedelta
    cases = small_store.read("cases")
    case = cases[cases["stage"] == "reported"].iloc[0]
    small_store.advance_case(case["case_id"], "assessed", actor="W1",
                             at=datetime.now() - timedelta(days=1),
                             judgement="eligible", assistance=["低保"])
    _case_page(app, small_store, case["case_id"])
    return case


def test_a_refused_step_shows_why_and_writes_nothing(app, small_store):
    import hashlib
    case = _assessed_case_page(app, small_store)
    app.radio(key=f"gridmap.case.{case['case_id']}.next").set_value("handling").run()
    digest = hashlib.sha256(small_store.path.read_bytes()).hexdigest()
    _widget(app.button, "提交").click().run()  # neither a referral nor aid
    # In the page's language, with the column it is about.
    assert any("跟踪办理须有转介、救助或订购服务" in e.value and "转介：" in e.value
               and "referrals" not in e.value for e in app.error), [e.value for e in app.error]
    assert hashlib.sha256(small_store.path.read_bytes()).hexdigest() == digest


def test_reporting_a_case_for_someone_not_yet_registered(app, small_store):
    app.query_params["view"] = "report"
    app.run()
    app.switch_page("pages/cases.py").run()
    app.radio(key="gridmap.report.kind").set_value("new").run()
    grid = app.selectbox(key="gridmap.report.grid").value
    _widget(app.text_input, "户主姓名").input("<b>王五</b>")
    _widget(app.text_input, "身份证号").input("11010519491231002X")
    _widget(app.text_input, "住址").input("幸福路1号")
    _widget(app.text_area, "情况描述").input("独居，无人照料")
    _widget(app.button, "提交").click().run()
    assert not app.exception and app.success
    hh = small_store.read("households").iloc[-1]
    assert hh["head_name"] == "<b>王五</b>" and hh["grid_id"] == grid
    case = small_store.read("cases").iloc[-1]
    assert case["household_id"] == hh["household_id"] and case["description"] == "独居，无人照料"


def test_a_need_is_claimed_by_ordering_a_service_and_its_record_delivers_it(app,
                                                                             small_store):
    from datetime import datetime
    needs = small_store.read("needs")
    need = needs[needs["stage"] == "posted"].iloc[0]
    app.query_params["need"] = need["need_id"]
    app.run()
    app.switch_page("pages/needs.py").run()
    app.selectbox(key=f"gridmap.need.{need['need_id']}.claimed.service").set_value(
        "companionship").run()
    assert not [w for w in app.text_input if "认领人" in w.label]  # the provider claims it
    picker = _widget(app.selectbox, "服务机构")
    names = small_store.read("providers").set_index("name")["provider_id"]
    picker.set_value(names[picker.options[0]])
    _widget(app.button, "认领").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    after = small_store.read("needs").set_index("need_id").loc[need["need_id"]]
    assert (after["stage"], after["helper"], after["helper_kind"]) == (
        "claimed", picker.options[0], "organisation")
    order = small_store.read("service_orders").query("need_id == @need['need_id']").iloc[0]
    small_store.record_service(household_id=need["household_id"], service_id="companionship",
                               provider_id=order["provider_id"], delivered_by="李青",
                               started_at=datetime.now(), quantity=order["quantity"],
                               recorded_by="admin")
    assert small_store.read("needs").set_index("need_id").loc[need["need_id"],
                                                             "stage"] == "delivered"


def test_a_helper_claims_a_need(app, small_store):
    needs = small_store.read("needs")
    need = needs[needs["stage"] == "posted"].iloc[0]
    app.query_params["need"] = need["need_id"]
    app.run()
    app.switch_page("pages/needs.py").run()
    assert not app.exception
    _widget(app.text_input, "认领人").input("爱心企业甲")
    _widget(app.selectbox, "认领方类型").set_value("organisation")
    _widget(app.button, "认领").click().run()
    assert not app.exception and app.success
    after = small_store.read("needs").set_index("need_id").loc[need["need_id"]]
    assert (after["stage"], after["helper"], after["helper_kind"]) == (
        "claimed", "爱心企业甲", "organisation")
    # the board never shows who the household is
    shown = "".join(str(df.value) for df in app.dataframe)
    alias = small_store.read("households").set_index("household_id").loc[
        need["household_id"], "alias"]
    assert alias not in shown


@pytest.mark.parametrize("view", ["mismatch", "profiles"])
def test_assessment_views_run(app, small_store, view):
    from gridmap import assessment
    app.query_params["view"] = view
    app.run()
    app.switch_page("pages/assessment.py").run()
    assert not app.exception
    if view == "mismatch":
        n = len(assessment.mismatches(small_store.read("assessments"),
                                      small_store.read("households")))
        assert any(f"{n:,} 户" in c.value for c in app.caption)


def test_the_assessment_form_scores_as_it_is_filled_in_and_saves(app, small_store):
    app.run()
    app.switch_page("pages/assessment.py").run()
    assert not app.metric  # no household is chosen for the assessor: nothing scored yet
    picker = app.selectbox(key="gridmap.assess.household")
    assert picker.value is None
    picker.set_value(small_store.read("households")["household_id"].iloc[0]).run()
    before = float(app.metric[0].value)
    app.checkbox(key="gridmap.assess.accident").check().run()
    assert float(app.metric[0].value) == pytest.approx(before + 4, abs=0.01)
    n = len(small_store.read("assessments"))
    _widget(app.button, "保存评估").click().run()
    assert not app.exception and app.success
    saved = small_store.read("assessments")
    assert len(saved) == n + 1 and saved.iloc[-1]["score"] == pytest.approx(before + 4, abs=0.01)


def test_workload_rebalance_is_proposed_and_accepted(app, small_store):
    community = small_store.read("grids")["community_id"].value_counts().index[0]
    app.query_params["area"] = f"community:{community}"
    app.query_params["view"] = "rebalance"
    app.run()
    app.switch_page("pages/workload.py").run()
    assert not app.exception
    _widget(app.button, "生成调配方案").click().run()
    assert not app.exception
    metrics = {m.label: m.value for m in app.metric}
    assert {"调整前", "调整后", "理论下限", "调整"} <= set(metrics)
    moves = int(metrics["调整"])
    assert moves > 0  # its volunteers carry red households: much to gain
    assert float(metrics["调整后"].rstrip("%")) < float(metrics["调整前"].rstrip("%"))
    assert not app.text_input  # the logged-in account signs: nothing to type
    _widget(app.button, "确认并写入").click().run()
    assert not app.exception
    assert any(f"已写入 {moves} 项调整" in s.value for s in app.success)
    log = small_store.read("reassignments")
    assert len(log) == moves and set(log["accepted_by"]) == {"admin"}


def test_a_screen_token_opens_the_screen_and_nothing_else(app, small_store):
    token = small_store.create_token("lobby", "screen")
    app.query_params["token"] = token
    app.run()
    assert not app.exception
    html_text = "".join(str(e.proto) for e in app.get("html"))
    assert "社会救助主动发现" in html_text and "gm-fig" in html_text
    assert not app.sidebar.selectbox  # no area selector, no language switch
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page("pages/map.py")  # no other page is in a screen's navigation
    small_store.revoke_token("lobby")
    app.run()
    assert any("令牌无效" in e.value for e in app.error)


def test_a_wrong_token_shows_nothing(app):
    app.query_params["token"] = "x" * 43
    app.run()
    assert any("令牌无效" in e.value for e in app.error)
    assert not app.get("html") and not app.title


def test_an_admin_creates_and_revokes_a_screen_token(app, small_store):
    from gridmap.access import role_for_token
    app.query_params["view"] = "tokens"
    app.run()
    app.switch_page("pages/admin.py").run()
    _widget(app.text_input, "大屏名称").input("服务中心")
    app.button[0].click().run()  # the form's submit button
    assert not app.exception
    shown = app.code[0].value
    token = shown.split("token=", 1)[1]
    assert role_for_token(small_store.read("tokens"), token) == "screen"
    _widget(app.button, "撤销").click().run()
    assert role_for_token(small_store.read("tokens"), token) == "screen"  # asks first
    assert any("确认撤销令牌“服务中心”" in w.value for w in app.warning)
    _widget(app.button, "确认撤销").click().run()
    assert role_for_token(small_store.read("tokens"), token) is None


def _fresh(small_store, monkeypatch):
    monkeypatch.setenv("GRIDMAP_STORE", str(small_store.path))
    return AppTest.from_file(str(APP), default_timeout=60)


def test_login_is_required_and_wrong_passwords_are_refused(small_store, monkeypatch):
    at = _fresh(small_store, monkeypatch)
    at.run()
    assert at.title[0].value == "登录" and not at.metric  # nothing but the form
    at.text_input(key="gridmap.login.user").input("worker")
    at.text_input(key="gridmap.login.password").input("wrong-password")
    at.button[0].click().run()
    assert any("不正确" in e.value for e in at.error)
    # Counted against the client's address; AppTest has none.
    assert small_store.read("login_failures")["source"].tolist() == ["unknown"]
    at.text_input(key="gridmap.login.password").input("demo-worker")
    at.button[0].click().run()
    assert not at.exception
    assert at.title[0].value == "我的住户"  # a worker lands on their households
    assert "worker" in " ".join(c.value for c in at.sidebar.caption)


def test_a_worker_sees_only_their_grid_whatever_the_url_asks(small_store, monkeypatch):
    from tests.test_access import expected_households, principal_of
    at = _fresh(small_store, monkeypatch)
    p = principal_of(small_store, "worker")
    as_user(at, "worker", worker_id=p.worker_id)
    mine = expected_households(small_store, "worker")
    hh = small_store.read("households")
    other = hh.loc[~hh["household_id"].isin(mine), "grid_id"].iloc[0]
    at.query_params["area"] = f"grid:{other}"  # a bookmark for someone else's grid
    at.run()
    at.switch_page("pages/overview.py").run()
    assert not at.exception
    grids_total = next(m.value for m in at.metric if m.label == "合计")
    assert grids_total in ("0", "1")  # their own grid at most, never the other
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/workload.py")  # not a worker's page
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/admin.py")
    at.switch_page("pages/coverage.py").run()
    assert not at.exception
    shown = " ".join(str(df.value.to_csv()) for df in at.dataframe)
    outsiders = hh.loc[~hh["household_id"].isin(mine), "alias"]
    assert not [a for a in outsiders if a in shown]


def test_a_session_expires(app, small_store):
    from datetime import datetime, timedelta
    app.session_state["gridmap.login_at"] = datetime.now() - timedelta(hours=9)
    app.run()
    assert app.title[0].value == "登录"
    assert any("过期" in i.value for i in app.info)


def test_viewing_a_case_is_audited_once(app, small_store):
    case = small_store.read("cases").iloc[0]
    _case_page(app, small_store, case["case_id"])
    app.run()
    log = small_store.read("audit").query("action == 'view_household'")
    assert list(log["target"]) == [case["household_id"]]
    assert log["username"].iloc[0] == "admin"


@pytest.mark.parametrize("role", ["leader", "chief", "worker", "helper", "screen"])
def test_every_page_a_role_may_open_runs_for_it(small_store, monkeypatch, role):
    from gridmap.access import PAGES
    from tests.test_access import principal_of
    p = principal_of(small_store, role)
    for page in PAGES[role]:
        at = _fresh(small_store, monkeypatch)
        as_user(at, role, scope=p.scope, worker_id=p.worker_id)
        at.run()
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, (role, page, at.exception)


def test_a_role_sees_only_the_forms_it_may_use(small_store, monkeypatch):
    """A leader reads; a worker writes. Forms a role cannot use are not shown at all."""
    from tests.test_access import principal_of

    def page_of(role, page, **query):
        p = principal_of(small_store, role)
        at = as_user(_fresh(small_store, monkeypatch), role, scope=p.scope,
                     worker_id=p.worker_id)
        for key, value in query.items():
            at.query_params[key] = value
        at.run()
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception
        return at

    def labels(at):
        return {tab.label for tab in at.tabs} | {
            option for control in at.get("button_group") for option in
            control.proto.options and [o.content for o in control.proto.options]}

    leader, worker = page_of("leader", "coverage"), page_of("worker", "coverage")
    assert "调整等级" in labels(worker)  # a worker logs visits from their households
    assert "登记走访" not in labels(worker) and "登记走访" in labels(page_of("chief", "coverage"))
    assert not {"登记走访", "调整等级"} & labels(leader)
    assert (leader.title[0].value, worker.title[0].value) == ("走访覆盖", "走访覆盖")
    assert "发布需求" in labels(page_of("worker", "needs"))
    assert "发布需求" not in labels(page_of("leader", "needs"))
    assert "发布需求" not in labels(page_of("helper", "needs"))
    assert "上报新案件" in labels(page_of("worker", "cases"))
    assert "上报新案件" not in labels(page_of("leader", "cases"))


def test_a_helper_sees_where_each_need_is_but_not_who(small_store, monkeypatch):
    at = as_user(_fresh(small_store, monkeypatch), "helper")
    at.run()
    at.switch_page("pages/needs.py").run()
    assert not at.exception
    board = at.dataframe[0].value
    communities = set(small_store.read("areas").query("level == 'community'")["name"])
    column = next(c for c in board.columns if board[c].isin(communities).any())
    assert len(board) and board[column].isin(communities).all()
    aliases = set(small_store.read("households")["alias"])
    assert not board.isin(aliases).any().any()


@pytest.mark.parametrize("page", ["map", "coverage", "cases", "needs"])
def test_multiselects_speak_the_page_language(app, page):
    """No Streamlit default ("Choose options") in the Chinese UI: each multiselect has
    a placeholder of ours, and its options read in the page's language."""
    from gridmap.i18n import MESSAGES
    app.run()
    app.switch_page(f"pages/{page}.py").run()
    assert not app.exception and app.multiselect
    ours = {zh for zh, _ in MESSAGES.values()}
    for control in app.multiselect:
        assert control.proto.placeholder in ours, (control.label, control.proto.placeholder)


def test_a_leader_starts_in_their_district_and_sees_its_name(small_store, monkeypatch):
    """Labelled with the scope's name (丹徒区), never 全市, and no step above it."""
    from tests.test_access import principal_of
    p = principal_of(small_store, "leader")
    name = small_store.read("areas").set_index("area_id").loc[p.scope.split(":")[1], "name"]
    at = as_user(_fresh(small_store, monkeypatch), "leader", scope=p.scope)
    at.run()
    assert not at.exception
    caption = " ".join(c.value for c in at.caption)
    assert name in caption and "全市" not in caption
    assert at.sidebar.selectbox(key="gridmap.area.district").value == p.scope.split(":")[1]
    at.switch_page("pages/map.py").run()
    crumbs = [b.label for b in at.button if b.key and b.key.startswith("gridmap.crumb.")]
    assert crumbs == [name]


def test_a_case_orders_a_service_from_its_page_and_the_record_closes_it(app, small_store):
    from datetime import datetime
    case = _assessed_case_page(app, small_store)
    key = f"gridmap.case.{case['case_id']}.handling.0"
    app.selectbox(key=key + ".service").set_value("cleaning").run()
    picker = _widget(app.selectbox, "服务机构")  # in the form: sent with the submit
    names = small_store.read("providers").set_index("name")["provider_id"]
    picker.set_value(names[picker.options[0]])
    _widget(app.button, "提交").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    orders = small_store.read("service_orders")
    order = orders[orders["case_id"] == case["case_id"]].iloc[0]
    assert (order["service_id"], order["quantity"]) == ("cleaning", 4.0)
    assert small_store.read("cases").set_index("case_id").loc[case["case_id"],
                                                             "stage"] == "handling"
    ordering = [w for w in app.selectbox if w.key and w.key.endswith(".service")]
    assert [w.value for w in ordering] == [None]  # a fresh form for the next step
    assert any(case["case_id"] in h.value for h in app.subheader)  # still this case
    # The services page shows the open order when the household's record is entered,
    # and the record that fills it closes the case.
    app.query_params.clear()
    app.query_params["view"] = "record"
    app.switch_page("pages/services.py").run()
    app.selectbox(key="gridmap.services.record.household").set_value(
        order["household_id"]).run()
    app.selectbox(key="gridmap.services.record.service").set_value("cleaning").run()
    assert any("待送达的订购服务" in i.value and "4 小时（已送达 0）" in i.value
               for i in app.info), [i.value for i in app.info]
    small_store.record_service(household_id=order["household_id"], service_id="cleaning",
                               provider_id=order["provider_id"], delivered_by="王芳",
                               started_at=datetime.now(), quantity=4, recorded_by="admin")
    assert small_store.read("cases").set_index("case_id").loc[case["case_id"],
                                                             "stage"] == "closed"


@pytest.mark.parametrize("page, view", [("pages/cases.py", "report"),
                                        ("pages/needs.py", "post")])
def test_a_report_or_need_saved_without_a_household_asks_for_one(app, small_store, page,
                                                                  view):
    import hashlib
    app.query_params["view"] = view
    app.run()
    app.switch_page(page).run()
    assert not app.exception
    digest = hashlib.sha256(small_store.path.read_bytes()).hexdigest()
    _widget(app.text_area, "情况描述").input("独居老人，冬季取暖困难")
    _widget(app.button, "提交").click().run()
    assert [e.value for e in app.error] == ["请先选择住户"]
    assert hashlib.sha256(small_store.path.read_bytes()).hexdigest() == digest


def test_a_leaders_hotspot_table_hides_small_counts_and_the_statistics(small_store,
                                                                       monkeypatch):
    from .test_access import principal_of
    monkeypatch.setenv("GRIDMAP_STORE", str(small_store.path))
    p = principal_of(small_store, "leader")
    at = as_user(AppTest.from_file(str(APP), default_timeout=60), "leader", scope=p.scope)
    at.run()
    at.switch_page("pages/hotspots.py").run()
    picker = next(w for w in at.selectbox if w.label == "分析指标")
    picker.set_value("open_cases").run()
    assert not at.exception
    table = at.dataframe[0].value  # in the expander: one row per grid
    values = [str(v) for v in table.iloc[:, 1]]
    assert "<5" in values and not {"1", "2", "3", "4"} & set(values)
    assert len(table.columns) == 3  # the grid, its count and its class: no z, no p
