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


# -- a write moves the model on (issue 23) ---------------------------------------------

class _Frames:
    """A reader over frames in memory; an area's rows by the store's own membership."""

    def __init__(self, frames: dict) -> None:
        self.frames = frames

    def read(self, layer: str, *, area=None) -> pd.DataFrame:
        from gridmap.store import membership
        frame = self.frames[layer]
        if area is None:
            return frame
        reach = membership.of_area(area, lambda name, columns: self.frames[name][columns])
        return reach.rows(layer, frame).reset_index(drop=True)


def _new_visits(frames: dict, rng, n: int) -> pd.DataFrame:
    from datetime import datetime, timedelta

    from gridmap import schema
    households = frames["households"]["household_id"].to_numpy()
    workers = frames["workers"]["worker_id"].to_numpy()
    start = len(frames["visits"])
    rows = pd.DataFrame({
        "visit_id": [f"VNEW{start + i:08d}" for i in range(n)],
        "household_id": rng.choice(households, n),
        "worker_id": rng.choice(workers, n),
        "visited_at": [datetime(2026, 11, 20, 9) - timedelta(days=int(d), hours=int(h))
                       for d, h in zip(rng.integers(-3, 200, n), rng.integers(0, 12, n),
                                       strict=True)],
        "method": rng.choice(list(schema.VISIT_METHODS), n),
        "note": None,
        "found_difficulty": rng.random(n) < 0.3,
    })
    return schema.conform("visits", rows, columns=list(frames["visits"].columns))


def _same(left: pd.DataFrame, right: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(left.reset_index(drop=True), right.reset_index(drop=True))


@pytest.fixture(scope="module")
def frames(small_frames):
    return {k: v for k, v in small_frames.items()}


def test_a_model_moved_on_by_visits_equals_a_fresh_one(frames):
    """Random writes of visits (some in the future, some of households never visited,
    several of one household), each moving the previous model on: every figure that
    depends on visits equals the one computed from scratch on the same data."""
    import numpy as np
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    from gridmap.places import Area
    policy = load_policy()
    street = Area("street", str(frames["grids"]["street_id"].iloc[0]))

    @settings(max_examples=12, deadline=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(st.integers(1, 6), min_size=1, max_size=3), st.integers(0, 2**31))
    def check(batches, seed):
        rng = np.random.default_rng(seed)
        data = dict(frames)
        model = ReadModel(_Frames(data), policy, AS_OF)
        for n in batches:
            model.status(), model.coverage_table("grid"), model.overview(street)
            model.overdue(None), model.frame("visits", street), model.grid_indicators()
            model.case_state(), model.weekly_trend(None), model.weekly_trend(street)
            model.hotspots("red_orange", permutations=99)
            model.hotspots("overdue_rate", permutations=99), model.map_view(None, "overdue")
            added = _new_visits(data, rng, n)
            data = {**data, "visits": pd.concat([data["visits"], added], ignore_index=True)}
            moved = model.advanced(_Frames(data), added)
            fresh = ReadModel(_Frames(data), policy, AS_OF)
            _same(moved.status(), fresh.status())
            _same(moved.frame("visits"), fresh.frame("visits"))
            _same(moved.frame("visits", street), fresh.frame("visits", street))
            for level in ("grid", "community", "district"):
                _same(moved.coverage_table(level), fresh.coverage_table(level))
            _same(moved.grid_indicators(), fresh.grid_indicators())
            _same(moved.overdue(None), fresh.overdue(None))
            _same(moved.overdue(street), fresh.overdue(street))
            for field in ("visits_last_30_days", "households_visited_last_30_days"):
                assert getattr(moved.overview(street), field) == getattr(
                    fresh.overview(street), field)
            pd.testing.assert_series_equal(moved.overview(street).households_by_tier,
                                           fresh.overview(street).households_by_tier)
            _same(moved.weekly_trend(street), fresh.weekly_trend(street))
            _same(moved.weekly_trend(None), fresh.weekly_trend(None))
            _same(moved.worker_loads(), fresh.worker_loads())
            for name in ("red_orange", "overdue_rate"):
                _same(moved.hotspots(name, permutations=99),
                      fresh.hotspots(name, permutations=99))
            _same(moved.map_view(None, "overdue").units, fresh.map_view(None, "overdue").units)
            assert moved.case_state() is model.case_state()  # carried over, not recomputed
            assert moved.hotspots("red_orange", permutations=99) is model.hotspots(
                "red_orange", permutations=99)
            model = moved
    check()


def test_the_store_returns_the_visits_added_and_nothing_else_changed(small_store):
    """``appended``: the rows inserted when inserts into the layer were the only change;
    ``None`` after any other change (a tier change, a visit deleted), or a new file."""
    from datetime import datetime
    households = small_store.read("households")
    hh = households.iloc[0]
    worker = small_store.read("assignments").query("grid_id == @hh.grid_id")["worker_id"].iloc[0]
    since, rows = small_store.mark("visits")
    ids = [small_store.append_visit(household_id=hh.household_id, worker_id=worker,
                                    visited_at=datetime(2026, 11, 19, 10), method=m)
           for m in ("door", "phone")]
    now = small_store.version()
    added = small_store.appended("visits", since, now, rows)
    assert added["visit_id"].tolist() == ids
    _same(added, small_store.read("visits").iloc[-2:])
    assert small_store.appended("visits", now, now, rows + 2).empty
    small_store.change_tier(hh.household_id, "red", reason="x", changed_by="admin")
    assert small_store.appended("visits", since, small_store.version(), rows) is None
    assert small_store.appended("visits", now, small_store.version(), rows + 2) is None
    assert small_store.appended("visits", "1:0", now, rows) is None  # another file


def test_the_top_is_the_province_for_several_cities_else_the_city():
    from gridmap.summary import cities, top_name
    one = pd.DataFrame({"area_id": ["321102", "321111", "3211020001"],
                        "level": ["district", "district", "street"]})
    two = pd.DataFrame({"area_id": ["321102", "320102"], "level": ["district"] * 2})
    assert cities(one) == 1 and cities(two) == 2
    assert top_name(two, {"city": "江苏省"}) == ("province", None)
    assert top_name(one, {"city": "镇江市"}) == ("city", "镇江市")
    assert top_name(one, {}) == ("city", None)


def test_the_app_says_whole_province_for_two_cities(tmp_path, small_frames, monkeypatch):
    """On a store of two cities the top level reads 全省 (sidebar and caption); on one
    city, the city's name."""
    from streamlit.testing.v1 import AppTest

    from gridmap.store import open_store
    from tests.test_app import APP, as_user
    areas = small_frames["areas"]
    other = areas[areas["level"] == "district"].assign(area_id="320112", name="南京丹徒区")
    frames = {**small_frames, "areas": pd.concat([areas, other], ignore_index=True)}
    for name, frames_, top in (("two.gpkg", frames, "全省"),
                               ("one.gpkg", small_frames, "镇江市")):
        path = tmp_path / name
        open_store(path).init(frames_)
        monkeypatch.setenv("GRIDMAP_STORE", str(path))
        at = as_user(AppTest.from_file(str(APP), default_timeout=60))
        at.run()
        assert not at.exception
        caption = "\n".join(c.value for c in at.caption)
        assert f"范围：{top}" in caption or top in caption
        district = at.sidebar.selectbox[0]  # its first option: the whole top level
        assert district.options[0] == top
        assert "全市" not in caption
