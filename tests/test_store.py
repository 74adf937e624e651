import contextlib
import hashlib
import sqlite3
from datetime import datetime
from pathlib import Path

import geopandas.testing
import pandas as pd
import pyogrio
import pytest

from gridmap import schema
from gridmap.errors import NotFoundError, StoreError, ValidationError
from gridmap.places import Area
from gridmap.store import Transaction, open_store
from gridmap.store._gpkg import register_functions

from .conftest import fingerprint


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_init_creates_every_layer_that_qgis_can_list(tmp_path):
    store = open_store(tmp_path / "new.gpkg")
    assert not store.exists()
    store.init()
    layers = dict(pyogrio.list_layers(store.path))
    assert set(schema.LAYERS) <= set(layers)
    assert layers["grids"] == "MultiPolygon" and layers["households"] == "Point"
    assert layers["visits"] is None  # an attribute table
    assert store.meta() == {"schema_version": schema.SCHEMA_VERSION}
    with pytest.raises(StoreError, match="refusing"):
        store.init()


def test_every_layer_round_trips(tmp_path, small_frames):
    store = open_store(tmp_path / "rt.gpkg")
    store.init(small_frames)
    for layer, frame in small_frames.items():
        back = store.read(layer)
        if schema.LAYERS[layer].geometry:
            geopandas.testing.assert_geodataframe_equal(back, frame)
        else:
            pd.testing.assert_frame_equal(back, frame)


def test_area_filter_limits_every_layer(any_store):
    grids = any_store.read("grids")
    street = grids["street_id"].iloc[0]
    in_street = set(grids.loc[grids["street_id"] == street, "grid_id"])
    area = Area("street", street)
    assert set(any_store.read("grids", area=area)["grid_id"]) == in_street
    households = any_store.read("households", area=area)
    assert len(households) and set(households["grid_id"]) <= in_street
    visits = any_store.read("visits", area=area)
    assert set(visits["household_id"]) <= set(households["household_id"])
    all_visits = any_store.read("visits")
    expected = all_visits["household_id"].isin(households["household_id"]).sum()
    assert len(visits) == expected
    areas = any_store.read("areas", area=area)
    assert street in set(areas["area_id"]) and set(areas["level"]) == {"street", "community"}


def test_area_filter_quotes_ids(any_store):
    # A hostile id is a value, not SQL.
    assert any_store.read("grids", area=Area("grid", "x' OR '1'='1")).empty


def test_read_columns_subset(any_store):
    frame = any_store.read("households", columns=["household_id", "tier"])
    assert list(frame.columns)[:2] == ["household_id", "tier"]
    with pytest.raises(StoreError, match="no columns"):
        any_store.read("households", columns=["nope"])


def test_append_visit_is_read_back(any_store):
    hh = any_store.read("households").iloc[0]
    worker = any_store.read("workers").iloc[0]["worker_id"]
    before = len(any_store.read("visits"))
    vid = any_store.append_visit(household_id=hh["household_id"], worker_id=worker,
                                   visited_at=datetime(2026, 11, 21, 10, 15), method="phone",
                                   note="<b>电话</b>", found_difficulty=True)
    visits = any_store.read("visits")
    assert len(visits) == before + 1
    row = visits.set_index("visit_id").loc[vid]
    assert row["visited_at"] == pd.Timestamp("2026-11-21 10:15")
    assert row["method"] == "phone" and row["note"] == "<b>电话</b>" and row["found_difficulty"]
    if hasattr(any_store, "path"):  # QGIS sees the new feature count too
        assert pyogrio.read_info(any_store.path, layer="visits")["features"] == before + 1


def test_append_visit_refuses_unknown_ids_and_bad_method(any_store):
    digest = fingerprint(any_store)
    hh = any_store.read("households").iloc[0]["household_id"]
    worker = any_store.read("workers").iloc[0]["worker_id"]
    with pytest.raises(NotFoundError, match="no household"):
        any_store.append_visit(household_id="nope", worker_id=worker,
                                 visited_at=datetime(2026, 1, 1), method="door")
    with pytest.raises(ValidationError, match="method"):
        any_store.append_visit(household_id=hh, worker_id=worker,
                                 visited_at=datetime(2026, 1, 1), method="pigeon")
    assert fingerprint(any_store) == digest


def test_change_tier_writes_history_in_the_same_transaction(any_store):
    hh = any_store.read("households")
    target = hh[hh["tier"] == "orange"].iloc[0]["household_id"]
    n_changes = len(any_store.read("tier_changes"))
    any_store.change_tier(target, "red", reason="突发中风", changed_by="W1",
                            changed_at=datetime(2026, 11, 21, 9, 0))
    row = any_store.read("households").set_index("household_id").loc[target]
    assert row["tier"] == "red" and row["tier_since"] == pd.Timestamp("2026-11-21")
    changes = any_store.read("tier_changes")
    assert len(changes) == n_changes + 1
    last = changes[changes["household_id"] == target].iloc[-1]
    assert (last["from_tier"], last["to_tier"], last["reason"]) == ("orange", "red", "突发中风")


def test_change_tier_needs_a_reason_and_a_real_change(any_store):
    hh = any_store.read("households").iloc[0]
    with pytest.raises(ValidationError, match="reason"):
        any_store.change_tier(hh["household_id"], "red", reason="  ", changed_by="W1")
    with pytest.raises(ValidationError, match="already"):
        any_store.change_tier(hh["household_id"], hh["tier"], reason="x", changed_by="W1")
    with pytest.raises(ValidationError, match="not a tier"):
        any_store.change_tier(hh["household_id"], "purple", reason="x", changed_by="W1")


def test_failed_tier_change_rolls_back(any_store, monkeypatch):
    hh = any_store.read("households")
    target = hh[hh["tier"] == "green"].iloc[0]["household_id"]
    digest = fingerprint(any_store)

    def broken_insert(self, layer, row, **kw):
        raise OSError("disk full")  # after the UPDATE ran, before the history row

    monkeypatch.setattr(Transaction, "insert", broken_insert)
    with pytest.raises(OSError):
        any_store.change_tier(target, "red", reason="test", changed_by="W1")
    assert any_store.read("households").set_index("household_id").loc[target, "tier"] == "green"
    assert fingerprint(any_store) == digest


def test_failed_replace_leaves_the_file_as_it_was(small_store, monkeypatch):
    digest = _digest(small_store.path)
    grids = small_store.read("grids")
    real_write = pyogrio.write_dataframe
    calls = []

    def write_then_fail(*args, **kwargs):
        calls.append(kwargs.get("layer"))
        if len(calls) == 2:
            raise OSError("simulated crash while writing the second layer")
        return real_write(*args, **kwargs)

    monkeypatch.setattr(pyogrio, "write_dataframe", write_then_fail)
    with pytest.raises(OSError):
        small_store.replace({"grids": grids.assign(name="renamed"),
                             "meta": pd.DataFrame({"key": ["x"], "value": ["y"]})})
    assert calls == ["grids", "meta"]
    assert _digest(small_store.path) == digest
    assert not list(small_store.path.parent.glob(".tmp-*"))


def test_replace_refuses_invalid_frames_before_writing(any_store):
    digest = fingerprint(any_store)
    grids = any_store.read("grids")
    grids.loc[3, "grid_type"] = "suburban"
    with pytest.raises(ValidationError) as err:
        any_store.replace({"grids": grids})
    assert (err.value.row, err.value.column) == (4, "grid_type")
    assert fingerprint(any_store) == digest


def test_version_changes_on_write(any_store):
    v0 = any_store.version()
    hh = any_store.read("households").iloc[0]["household_id"]
    w = any_store.read("workers").iloc[0]["worker_id"]
    any_store.append_visit(household_id=hh, worker_id=w, visited_at=datetime(2026, 11, 1),
                             method="door")
    assert any_store.version() != v0


def test_version_ignores_logins_and_audit_but_not_replacements(any_store):
    """Caches key on the version: a login or an audit row must not empty them."""
    v0 = any_store.version()
    any_store.append_audit([{"at": datetime(2026, 11, 1, 9), "username": "admin",
                             "session": "s", "action": "login", "target": None,
                             "detail": None}])
    any_store.set_login_state("nobody", source="cli", failed_logins=1, locked_until=None)
    any_store.create_token("lobby", "screen")
    assert len(any_store.read("audit")) == 1 and len(any_store.read("tokens")) == 1
    assert any_store.version() == v0
    grids = any_store.read("grids")
    any_store.replace({"grids": grids})
    v1 = any_store.version()
    assert v1 != v0
    workers = any_store.read("workers")
    any_store.replace({"workers": workers.iloc[:-1]})
    assert any_store.version() not in (v0, v1)


def test_version_sees_edits_made_outside_gridmap(small_store):
    """QGIS edits the GeoPackage directly: the triggers still count the change."""
    v0 = small_store.version()
    with sqlite3.connect(small_store.path) as con:
        register_functions(con)
        con.execute("UPDATE households SET tier = 'red' WHERE fid = 1")
    con.close()
    assert small_store.version() != v0
    with sqlite3.connect(small_store.path) as con:
        con.execute("DELETE FROM audit")  # bookkeeping: not counted
    con.close()
    v1 = small_store.version()
    with sqlite3.connect(small_store.path) as con:
        con.execute("INSERT INTO audit (at, username, action) VALUES ('2026-11-01', 'x', 'y')")
    con.close()
    assert small_store.version() == v1


def test_open_store_rejects_non_store_and_reports_postgis(tmp_path):
    junk = tmp_path / "junk.gpkg"
    junk.write_text("not a database")
    assert not open_store(junk).exists()
    with pytest.raises(StoreError, match="not a gridmap store"):
        open_store(junk).read("grids")
    with pytest.raises(StoreError, match="cannot connect"):
        open_store("postgresql://nobody@127.0.0.1:1/none").read("grids")


def test_area_parse():
    assert Area.parse("community:321102001001") == Area("community", "321102001001")
    with pytest.raises(ValidationError):
        Area.parse("321102")
    with pytest.raises(ValidationError):
        Area("province", "32")


# -- the closed loop and needs ---------------------------------------------------

def _report(store, household_id, **kw):
    fields = {"source": "visit", "category": "因病", "urgency": "emergency",
              "description": "突发重病", "reported_by": "W1",
              "reported_at": datetime(2026, 11, 2, 9)} | kw
    return store.report_case(household_id=household_id, **fields)


def test_a_case_runs_the_whole_loop_with_its_history(any_store):
    hh = any_store.read("households").iloc[0]
    case_id = _report(any_store, hh["household_id"])
    any_store.advance_case(case_id, "assessed", actor="W1", at=datetime(2026, 11, 3, 9),
                             judgement="eligible", assistance=["临时救助"])
    any_store.advance_case(case_id, "handling", actor="W1", at=datetime(2026, 11, 4, 9),
                             aid_kind="临时救助金", aid_amount=2000, referrals=["health"])
    any_store.advance_case(case_id, "closed", actor="W1", at=datetime(2026, 11, 30, 9))
    with pytest.raises(ValidationError, match="needs a visit"):  # no visit after closing yet
        any_store.advance_case(case_id, "followed_up", actor="W1",
                                 at=datetime(2026, 12, 2, 9))
    worker = any_store.read("workers").iloc[0]["worker_id"]
    visit = any_store.append_visit(household_id=hh["household_id"], worker_id=worker,
                                     visited_at=datetime(2026, 12, 1, 9), method="door")
    any_store.advance_case(case_id, "followed_up", actor="W1", at=datetime(2026, 12, 2, 9))
    case = any_store.read("cases").set_index("case_id").loc[case_id]
    assert case["stage"] == "followed_up" and case["follow_up_visit_id"] == visit
    assert case["due_on"] == pd.Timestamp("2026-11-05") and case["aid_amount"] == 2000
    events = any_store.read("case_events").query("case_id == @case_id")
    assert events["to_stage"].tolist() == ["reported", "assessed", "handling", "closed",
                                           "followed_up"]


def test_assessment_changes_the_tier_in_the_same_transaction(any_store):
    hh = any_store.read("households")
    target = hh[hh["tier"] == "green"].iloc[0]["household_id"]
    case_id = _report(any_store, target)
    any_store.advance_case(case_id, "assessed", actor="W1", at=datetime(2026, 11, 3, 9),
                             judgement="eligible", assistance=["低保"], tier="red",
                             tier_reason="评估为收入型贫困")
    assert any_store.read("households").set_index("household_id").loc[target, "tier"] == "red"
    change = any_store.read("tier_changes").query("household_id == @target").iloc[-1]
    assert (change["to_tier"], change["reason"], change["changed_by"]) == (
        "red", "评估为收入型贫困", "W1")


def test_a_failed_tier_change_rolls_back_the_assessment(any_store):
    hh = any_store.read("households")
    target = hh[hh["tier"] == "green"].iloc[0]["household_id"]
    case_id = _report(any_store, target)
    n_events = len(any_store.read("case_events"))
    digest = fingerprint(any_store)
    with pytest.raises(ValidationError, match="already green"):
        any_store.advance_case(case_id, "assessed", actor="W1", at=datetime(2026, 11, 3, 9),
                                 judgement="eligible", assistance=["低保"], tier="green")
    assert any_store.read("cases").set_index("case_id").loc[case_id, "stage"] == "reported"
    assert len(any_store.read("case_events")) == n_events
    assert fingerprint(any_store) == digest


def test_a_case_can_register_a_new_household(any_store):
    grid = any_store.read("grids").iloc[0]
    n = len(any_store.read("households"))
    case_id = any_store.report_case(
        household={"head_name": "王五", "id_number": "11010519491231002X", "phone": None,
                   "address": "幸福路1号", "grid_id": grid["grid_id"], "tier": "orange",
                   "categories": "独居老人", "members": 1},
        source="neighbour", category="养老照护", urgency="ordinary", description="独居无人照料",
        reported_by="W1", reported_at=datetime(2026, 11, 2, 9))
    hh = any_store.read("households")
    assert len(hh) == n + 1
    new = hh.iloc[-1]
    assert new["location_quality"] == "approximate" and new["members"] == 1
    assert grid.geometry.contains(new.geometry)
    assert new["alias"] not in set(hh["alias"].iloc[:-1])
    case = any_store.read("cases").set_index("case_id").loc[case_id]
    assert case["household_id"] == new["household_id"]
    first = any_store.read("tier_changes").query("household_id == @new.household_id")
    assert first["from_tier"].isna().all() and first["to_tier"].tolist() == ["orange"]
    # the spatial index knows the new point: an area read finds it
    assert new["household_id"] in set(any_store.read(
        "households", area=Area("grid", grid["grid_id"]))["household_id"])


def test_a_bad_new_household_writes_nothing(any_store):
    digest = fingerprint(any_store)
    with pytest.raises(ValidationError, match="members"):
        any_store.report_case(
            household={"head_name": "王五", "id_number": "11010519491231002X",
                       "address": "x", "grid_id": any_store.read("grids").iloc[0]["grid_id"],
                       "tier": "orange", "members": 0},
            source="neighbour", category="养老照护", urgency="ordinary", description="x",
            reported_by="W1")
    assert fingerprint(any_store) == digest


def test_a_need_is_claimed_delivered_and_confirmed(any_store):
    hh = any_store.read("households").iloc[3]
    need_id = any_store.post_need(household_id=hh["household_id"], category="家用电器",
                                    description="一台洗衣机", posted_by="W1",
                                    posted_at=datetime(2026, 11, 1, 9))
    any_store.advance_need(need_id, "claimed", actor="爱心企业", helper="爱心企业",
                             helper_kind="organisation", at=datetime(2026, 11, 3, 9))
    with pytest.raises(ValidationError, match="can go to delivered"):
        any_store.advance_need(need_id, "confirmed", actor="W1", at=datetime(2026, 11, 4))
    any_store.advance_need(need_id, "delivered", actor="爱心企业", at=datetime(2026, 11, 5))
    any_store.advance_need(need_id, "confirmed", actor="W1", at=datetime(2026, 11, 6))
    need = any_store.read("needs").set_index("need_id").loc[need_id]
    assert need["stage"] == "confirmed" and need["helper_kind"] == "organisation"
    assert len(any_store.read("need_events").query("need_id == @need_id")) == 4
    area = Area("grid", hh["grid_id"])
    assert need_id in set(any_store.read("needs", area=area)["need_id"])
    assert need_id in set(any_store.read("need_events", area=area)["need_id"])
    with pytest.raises(NotFoundError):
        any_store.advance_need("N-none", "claimed", actor="x", helper="x",
                                 helper_kind="volunteer")


def test_version_works_for_any_file_name(tmp_path, small_frames):
    folder = tmp_path / "网格 #1 ?x %20"
    folder.mkdir()
    store = open_store(folder / "a store.gpkg")
    store.init(small_frames)
    v0 = store.version()
    assert store._counter() is not None and v0.endswith(f":{store._counter()}")  # no fallback
    hh = store.read("households").iloc[0]["household_id"]
    store.change_tier(hh, "red" if store.read("households").iloc[0]["tier"] != "red"
                      else "green", reason="test", changed_by="admin")
    assert store.version() != v0


# -- schema upgrades: explicit and versioned ---------------------------------------

STEP_3 = ("3: persons, feeds, feed_rows, alerts and alert_events added (data matching); "
          "providers, entitlements and service_records added (services)")
STEP_4 = "4: service_orders added (cases and needs order a service)"


def _as_previous_schema(store):
    """``store`` as the gridmap before schema versions were counted left it: meta says
    version 1, and (an early one) it lacks a later layer and the data version counter.
    Returns the store opened afresh."""
    if hasattr(store, "path"):
        with contextlib.closing(sqlite3.connect(store.path)) as con:
            con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
            for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                       "AND name LIKE 'gridmap_bump_%'").fetchall():
                con.execute(f'DROP TRIGGER "{name}"')
            con.execute("DROP TABLE gridmap_version")
            con.execute("DROP TABLE tokens")
            con.execute("DELETE FROM gpkg_contents WHERE table_name = 'tokens'")
            con.execute("DELETE FROM gpkg_geometry_columns WHERE table_name = 'tokens'")
            con.commit()
        return open_store(store.path)
    con = store._connection()
    con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    for layer in sorted(schema.LAYERS.keys() - schema.BOOKKEEPING):
        con.execute(f"DROP TRIGGER gridmap_bump ON {layer}")
    con.execute("DROP TABLE gridmap_version")
    con.execute("DROP TABLE tokens")
    return open_store(store.url)


def test_a_store_of_the_previous_schema_is_refused_until_upgraded(any_store):
    households = any_store.read("households")
    old = _as_previous_schema(any_store)
    before = _digest(old.path) if hasattr(old, "path") else None
    assert old.exists() and old.schema_version() == 1  # exists() only answers
    hh, worker = households["household_id"].iloc[0], any_store.read("workers")["worker_id"][0]
    for attempt in (lambda: old.read("households"),
                    lambda: old.append_visit(household_id=hh, worker_id=worker,
                                             visited_at=datetime(2026, 11, 2), method="door"),
                    lambda: old.replace({"households": households})):
        with pytest.raises(StoreError, match=r"schema version 1, this gridmap needs 4: run "
                                             r"`python -m gridmap upgrade --store "):
            attempt()
    if before is not None:
        assert _digest(old.path) == before  # nothing written on the way
    assert old.upgrade() == ["2: every layer present (those missing added empty) and the "
                             "data version counted by triggers", STEP_3, STEP_4]
    assert old.schema_version() == 4 and old.meta()["schema_version"] == "4"
    assert old.read("tokens").empty
    geopandas.testing.assert_geodataframe_equal(old.read("households"), households)
    v0 = old.version()
    assert not v0.endswith(":None")
    old.change_tier(hh, "red" if households["tier"].iloc[0] != "red" else "green",
                    reason="test", changed_by="admin")
    assert old.version() != v0  # the data version is counted again
    assert old.upgrade() == []
    again = open_store(getattr(old, "path", old.url))
    assert again.upgrade() == [] and again.schema_version() == 4
    if not hasattr(old, "path"):
        old._connection().close()
        again._connection().close()


def test_a_store_from_a_newer_gridmap_is_refused(small_store):
    with contextlib.closing(sqlite3.connect(small_store.path)) as con:
        con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
        con.commit()
    newer = open_store(small_store.path)
    assert newer.exists()
    for attempt in (lambda: newer.read("grids"), newer.upgrade):
        with pytest.raises(StoreError, match="schema version 99, newer than this gridmap's 4"):
            attempt()


def test_replacing_meta_keeps_the_schema_version(any_store):
    any_store.replace({"meta": pd.DataFrame({"key": ["x"], "value": ["y"]})})
    assert any_store.meta() == {"schema_version": schema.SCHEMA_VERSION, "x": "y"}


def test_the_command_line_upgrades_explicitly(small_store, capsys):
    from gridmap import cli
    old = _as_previous_schema(small_store)
    store = ["--store", str(old.path)]
    assert cli.main(["info", *store]) == 2
    assert "run `python -m gridmap upgrade --store" in capsys.readouterr().err
    assert cli.main(["upgrade", *store]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "upgraded to schema version 2: every layer present (those missing added empty) and "
        "the data version counted by triggers", f"upgraded to schema version {STEP_3}",
        f"upgraded to schema version {STEP_4}", "the store is at schema version 4"]
    assert cli.main(["info", *store]) == 0 and "meta.schema_version = 4" in (
        capsys.readouterr().out)
    assert cli.main(["upgrade", *store]) == 0
    assert capsys.readouterr().out == "the store is at schema version 4 already\n"


def test_the_app_upgrades_a_store_of_the_previous_schema_when_it_starts(small_store,
                                                                        monkeypatch):
    from streamlit.testing.v1 import AppTest
    old = _as_previous_schema(small_store)
    monkeypatch.setenv("GRIDMAP_STORE", str(old.path))
    app = Path(__file__).resolve().parent.parent / "app.py"
    at = AppTest.from_file(str(app), default_timeout=60).run()
    assert not at.exception and not at.error
    assert open_store(old.path).schema_version() == 4
    assert len(open_store(old.path).read("households")) == len(small_store.read("households"))


# -- one definition of what belongs to an area -----------------------------------

def test_the_sql_area_filter_is_the_membership_rules(any_store):
    """Every layer read for an area (SQL) holds exactly the rows the same rules give over
    frames (what the guard uses), at every level."""
    from gridmap.store import membership

    def frames(layer, columns):
        return any_store.read(layer, columns=columns)
    grids = any_store.read("grids").iloc[0]
    for level in schema.LEVELS:
        area = Area(level, grids[schema.LEVEL_COLUMN[level]])
        reach = membership.of_area(area, frames)
        assert reach["households"], area
        for layer in schema.LAYERS:
            whole = any_store.read(layer)
            expected = reach.rows(layer, whole).reset_index(drop=True)
            got = any_store.read(layer, area=area)
            key = list(schema.LAYERS[layer].key)
            assert (sorted(map(tuple, got[key].astype(str).values.tolist()))
                    == sorted(map(tuple, expected[key].astype(str).values.tolist()))), (
                area, layer)
    street = Area("street", grids["street_id"])
    assert membership.of_area(street, frames)["areas"] == {
        street.id, *any_store.read("grids").query("street_id == @street.id")["community_id"]}


def test_the_store_imports_no_demo_code():
    import subprocess
    import sys
    done = subprocess.run([sys.executable, "-c", (
        "import sys, gridmap.store, gridmap.guard; "
        "print(sorted(m for m in sys.modules if m.startswith('gridmap.demo')))")],
        capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
