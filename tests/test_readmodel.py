"""The read model: one source for the reports and the pages, each figure computed once,
the hotspot seed from the policy."""

import json
import threading
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from gridmap import cli, hotspots
from gridmap.casework import open_cases_per_grid
from gridmap.coverage import household_status
from gridmap.i18n import t
from gridmap.indicators import grid_indicators
from gridmap.policy import Hotspots, Policy, load_policy
from gridmap.readmodel import KEEP, ReadModel, _Memo

AS_OF = date(2026, 11, 20)


@pytest.fixture
def model(small_store):
    return ReadModel(small_store, load_policy(), AS_OF)


def _records(table: pd.DataFrame) -> list[dict]:
    return json.loads(table.to_json(orient="records", force_ascii=False))


def _cli_json(capsys, store, *args) -> list[dict]:
    assert cli.main(["report", *args, "--as-of", AS_OF.isoformat(), "--format", "json",
                     "--store", str(store.path)]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_cli_reports_are_the_read_models_figures(model, small_store, capsys):
    for level in ("district", "street", "grid"):
        assert _cli_json(capsys, small_store, "coverage", "--level", level) == _records(
            model.coverage_table(level))
    assert _cli_json(capsys, small_store, "cases", "--level", "community") == _records(
        model.case_report("community"))
    assert _cli_json(capsys, small_store, "needs", "--level", "category") == _records(
        model.need_report("category"))
    assert _cli_json(capsys, small_store, "workload", "--level", "street") == _records(
        model.workload_summary("street"))
    workers = _cli_json(capsys, small_store, "workload")
    loads = model.worker_loads()
    assert [w["worker_id"] for w in workers] == loads["worker_id"].tolist()
    assert [w["utilisation"] for w in workers] == loads["utilisation"].round(4).tolist()
    rows = _cli_json(capsys, small_store, "hotspots", "--indicator", "open_cases",
                     "--permutations", "99")
    result = model.hotspots("open_cases", permutations=99)
    assert rows == _records(result.rename_axis("grid_id").reset_index())


def test_the_chain_status_open_cases_indicators_is_the_pure_functions(model, small_store):
    policy = load_policy()
    households, grids = small_store.read("households"), small_store.read("grids")
    status = household_status(households, small_store.read("visits"), policy, as_of=AS_OF)
    open_cases = open_cases_per_grid(small_store.read("cases"), households, grids, policy,
                                     as_of=AS_OF)
    from gridmap import services
    hours = services.household_month(  # services this month (issue 21)
        small_store.read("entitlements"), small_store.read("service_records"),
        services.load_catalogue(), pd.Period(AS_OF, freq="M"), policy, as_of=AS_OF)
    from gridmap import alerts
    new_alerts = alerts.new_per_grid(small_store.read("alerts"), grids, as_of=AS_OF)  # issue 20
    expected = grid_indicators(grids, households, status, policy, open_cases, hours,
                               new_alerts)
    pd.testing.assert_frame_equal(model.grid_indicators(), expected)
    assert model.grid_indicators()["hours_delivered"].sum() > 0
    assert model.grid_indicators()["open_cases"].sum() > 0
    assert model.grid_indicators()["new_alerts"].sum() == new_alerts.sum() > 0


def test_a_figure_others_need_is_computed_once(model, monkeypatch):
    from gridmap import coverage
    calls = []
    real = coverage.household_status
    monkeypatch.setattr(coverage, "household_status",
                        lambda *a, **kw: calls.append(1) or real(*a, **kw))
    model.status()
    model.grid_indicators()
    model.map_view(None, "overdue")
    model.area_households(None)
    assert len(calls) == 1
    assert model.status() is model.status()


def _counting(monkeypatch, name: str) -> list[dict]:
    """Replace ``hotspots.NAME`` by itself, recording the keywords of each call."""
    calls, real = [], getattr(hotspots, name)

    def counted(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)
    monkeypatch.setattr(hotspots, name, counted)
    return calls


def test_the_hexagon_gi_star_is_computed_once_for_the_same_choice(model, monkeypatch):
    calls = _counting(monkeypatch, "gi_star")
    first = model.hex_hotspots("red_orange", "gi", permutations=99)
    again = model.hex_hotspots("red_orange", "gi", permutations=99)
    assert len(calls) == 1 and again is first
    model.hex_hotspots("red_orange", "gi", permutations=199)
    model.hex_hotspots("households", "gi", permutations=99)
    assert len(calls) == 3
    model.hex_hotspots("red_orange", "gi", permutations=99)
    assert len(calls) == 3
    counts, _, _ = model.hex_data()
    assert first.index.equals(counts.index)


def test_the_hexagon_page_runs_gi_star_once_across_reruns(small_store, monkeypatch):
    import streamlit_folium
    from streamlit.testing.v1 import AppTest

    from tests.test_app import APP, _fake_st_folium, as_user
    monkeypatch.setenv("GRIDMAP_STORE", str(small_store.path))
    monkeypatch.setattr(streamlit_folium, "st_folium", _fake_st_folium(None))
    calls = _counting(monkeypatch, "gi_star")
    app = as_user(AppTest.from_file(str(APP), default_timeout=60))
    app.switch_page("pages/hotspots.py").run()
    assert len(calls) == 1  # the grids' Gi*, shown first
    unit = next(r for r in app.radio if r.value == "grid")
    unit.set_value("hex").run()
    assert not app.exception
    assert len(calls) == 2  # the hexagons'
    heat = next(w for w in app.toggle if w.label == t("hotspots.heat", "zh"))
    heat.set_value(True).run()  # another widget
    app.run()
    assert not app.exception
    assert len(calls) == 2


def test_the_hotspot_seed_comes_from_the_policy(small_store, monkeypatch):
    gi, moran = _counting(monkeypatch, "gi_star"), _counting(monkeypatch, "local_moran")
    model = ReadModel(small_store, Policy(hotspots=Hotspots(seed=7)), AS_OF)
    assert model.seed == 7
    model.hotspots("red_orange", permutations=99)
    model.hotspots("red_orange", "moran", permutations=99)
    model.hotspots("red_orange", "emerging", permutations=99)
    model.hex_hotspots("red_orange", "gi", permutations=99)
    model.hex_hotspots("red_orange", "moran", permutations=99)
    assert {c["seed"] for c in gi + moran} == {7} and len(gi) == 4 and len(moran) == 2
    model.hotspots("red_orange", permutations=99, seed=3)
    assert gi[-1]["seed"] == 3
    assert load_policy().hotspots.seed == 12345  # the shipped policy


def test_the_cli_seed_defaults_to_the_policy(small_store, monkeypatch, capsys):
    calls = _counting(monkeypatch, "gi_star")
    monkeypatch.setattr(cli, "load_policy", lambda *a: Policy(hotspots=Hotspots(seed=7)))
    _cli_json(capsys, small_store, "hotspots", "--indicator", "red_orange",
              "--permutations", "99")
    _cli_json(capsys, small_store, "hotspots", "--indicator", "red_orange",
              "--permutations", "99", "--seed", "9")
    assert [c["seed"] for c in calls] == [7, 9]


def test_the_hotspot_page_names_the_policy_seed(small_store, monkeypatch):
    import streamlit_folium
    from streamlit.testing.v1 import AppTest

    from pages.shared import common
    from tests.test_app import APP, _fake_st_folium, as_user
    monkeypatch.setenv("GRIDMAP_STORE", str(small_store.path))
    monkeypatch.setattr(streamlit_folium, "st_folium", _fake_st_folium(None))
    monkeypatch.setattr(common, "policy", lambda: Policy(hotspots=Hotspots(seed=4242)))
    app = as_user(AppTest.from_file(str(APP), default_timeout=60))
    app.switch_page("pages/hotspots.py").run()
    assert not app.exception
    assert any("随机种子 4242" in c.value for c in app.caption)


def test_the_memo_computes_once_under_concurrent_callers_and_keeps_a_few():
    memo, calls, entered, release = _Memo(), [], threading.Event(), threading.Event()

    def slow():
        calls.append(1)
        entered.set()
        release.wait(10)
        return "value"
    results = []
    threads = [threading.Thread(target=lambda: results.append(memo.get("status", None, slow)))
               for _ in range(6)]
    for thread in threads:
        thread.start()
    entered.wait(10)
    release.set()
    for thread in threads:
        thread.join(10)
    assert results == ["value"] * 6 and len(calls) == 1

    kept = KEEP["view"]
    for i in range(kept + 1):
        memo.get("view", i, lambda i=i: i)
    assert memo.get("view", 0, lambda: "again") == "again"  # the oldest went first
    assert memo.get("view", kept, lambda: "again") == kept


def test_the_read_model_runs_without_streamlit():
    import subprocess
    import sys
    code = ("import sys; import gridmap.readmodel, gridmap.cli; "
            "assert 'streamlit' not in sys.modules, 'streamlit imported'")
    subprocess.run([sys.executable, "-c", code], check=True,
                   cwd=Path(__file__).resolve().parent.parent)
