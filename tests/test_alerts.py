"""An alert's life (issue 20): assigned → verified by a door visit → confirmed or
dismissed, deadlines in working days, the report, and what each role sees."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from gridmap import alerts, cli
from gridmap.access import Principal
from gridmap.errors import ValidationError
from gridmap.guard import AccessDenied, GuardedStore
from gridmap.policy import Policy
from gridmap.privacy import HIDDEN

POLICY = Policy()


def _registered(store):
    found = store.read("alerts")
    return found[(found["kind"] == "registered") & (found["stage"] == "assigned")].iloc[0]


def test_a_worker_verifies_with_a_door_visit_then_confirms_with_a_tier_change(any_store):
    alert = _registered(any_store)
    with pytest.raises(ValidationError, match="can go to assigned, verified"):
        any_store.advance_alert(alert["alert_id"], "confirmed", actor="w",
                                  outcome="referral", referral="health")
    with pytest.raises(ValidationError, match="door visit"):
        any_store.advance_alert(alert["alert_id"], "verified", actor="w",
                                  visit={"visited_at": datetime(2026, 11, 21),
                                         "method": "phone"})
    before = len(any_store.read("visits"))
    any_store.advance_alert(alert["alert_id"], "verified", actor="w",
                              visit={"visited_at": datetime(2026, 11, 21, 10), "note": "核实"})
    visits = any_store.read("visits")
    assert len(visits) == before + 1
    row = any_store.read("alerts").set_index("alert_id").loc[alert["alert_id"]]
    assert row["stage"] == "verified"
    assert visits.set_index("visit_id").loc[row["visit_id"], "method"] == "door"
    household = any_store.read("households").set_index("household_id").loc[
        alert["household_id"]]
    new_tier = "red" if household["tier"] != "red" else "orange"
    any_store.advance_alert(alert["alert_id"], "confirmed", actor="w",
                              at=datetime(2026, 11, 22), outcome="tier_change", tier=new_tier)
    assert any_store.read("households").set_index("household_id").loc[
        alert["household_id"], "tier"] == new_tier
    events = any_store.read("alert_events")
    assert events[events["alert_id"] == alert["alert_id"]]["to_stage"].tolist()[-2:] == [
        "verified", "confirmed"]


def test_a_dismissal_needs_a_reason_and_a_case_outcome_opens_a_data_alert_case(any_store):
    found = any_store.read("alerts")
    registered = found[(found["kind"] == "registered") & (found["stage"] == "assigned")]
    first, second = registered["alert_id"].iloc[0], registered["alert_id"].iloc[1]
    for alert_id in (first, second):
        any_store.advance_alert(alert_id, "verified", actor="w",
                                  visit={"visited_at": datetime(2026, 11, 21, 10)})
    with pytest.raises(ValidationError, match="must not be empty"):
        any_store.advance_alert(first, "dismissed", actor="w", reason=" ")
    any_store.advance_alert(first, "dismissed", actor="w", reason="收支正常")
    any_store.advance_alert(second, "confirmed", actor="w", outcome="case",
                              case={"category": "因病", "description": "住院多次"})
    rows = any_store.read("alerts").set_index("alert_id")
    assert rows.loc[first, "stage"] == "dismissed" and rows.loc[first, "reason"] == "收支正常"
    case = any_store.read("cases").set_index("case_id").loc[rows.loc[second, "case_id"]]
    assert case["source"] == "data_alert" and case["household_id"] == rows.loc[
        second, "household_id"]


def _alerts(**over):
    base = {"alert_id": "A1", "rule": "住院", "risk": "因病", "source": "医保", "feed_id": "F",
            "kind": "registered", "id_number": "x", "name": "n", "person_id": "P",
            "household_id": "c", "grid_id": "G1", "street_id": "S", "placed_by": "registry",
            "evidence": "住院", "amount": None, "triggered_on": pd.Timestamp("2026-11-02"),
            "raised_at": pd.Timestamp("2026-11-02 09:00"), "suggested_tier": None,
            "stage": "assigned", "assigned_to": "W1",
            "assigned_at": pd.Timestamp("2026-11-02 09:00"),
            "due_on": pd.Timestamp("2026-11-09"), "verified_at": pd.NaT, "visit_id": None,
            "decided_at": pd.NaT, "outcome": None, "case_id": None, "referral": None,
            "reason": None}
    return pd.DataFrame([{**base, **o} for o in over.get("rows", [{}])])


def test_overdue_counts_working_days_to_verify_and_to_decide():
    frame = _alerts(rows=[{}, {"alert_id": "A2", "verified_at": pd.Timestamp("2026-11-04")},
                          {"alert_id": "A3", "verified_at": pd.Timestamp("2026-11-04"),
                           "decided_at": pd.Timestamp("2026-11-05"), "outcome": "referral"}])
    # As for cases: overdue once the due day has ended with nothing done.
    before = alerts.alert_state(frame, POLICY, as_of=date(2026, 11, 8)).set_index("alert_id")
    assert not before["overdue"].any()
    after = alerts.alert_state(frame, POLICY, as_of=date(2026, 11, 9)).set_index("alert_id")
    assert after["overdue"].tolist() == [True, False, False]
    # Verified on Wednesday 4 November: ten working days later is Wednesday 18th.
    assert after.loc["A2", "decide_due"] == pd.Timestamp("2026-11-18")
    assert not alerts.alert_state(frame, POLICY, as_of=date(2026, 11, 17)).set_index(
        "alert_id").loc["A2", "overdue"]
    late = alerts.alert_state(frame, POLICY, as_of=date(2026, 11, 18)).set_index("alert_id")
    assert late["overdue"].tolist() == [True, True, False]


def test_the_report_per_source_and_its_suppression(town):
    rows = [{"alert_id": f"A{i}", "verified_at": pd.Timestamp("2026-11-04"),
             "decided_at": pd.Timestamp("2026-11-05"),
             "outcome": "referral" if i < 4 else None, "reason": None if i < 4 else "no"}
            for i in range(5)]
    rows += [{"alert_id": "B1", "source": "残联"}]
    frame = _alerts(rows=rows)
    table = alerts.alert_report(frame, town["grids"], town["areas"], POLICY, level="source",
                                as_of=date(2026, 11, 20)).set_index("source")
    assert table.loc["医保", ["alerts", "verified", "confirmed", "dismissed"]].tolist() == [
        5, 5, 4, 1]
    assert table.loc["医保", "confirm_rate"] == 80.0
    assert table.loc["医保", "median_days_to_verify"] == 1.6
    assert table.loc["残联", ["alerts", "new", "overdue"]].tolist() == [1, 1, 1]
    shown = alerts.shown_report(table.reset_index(), 5).set_index("source")
    assert shown.loc["医保", "confirmed"] == "<5" and shown.loc["医保", "confirm_rate"] == HIDDEN
    by_grid = alerts.alert_report(frame, town["grids"], town["areas"], POLICY, level="grid",
                                  as_of=date(2026, 11, 20))
    assert by_grid["area_id"].tolist() == ["G1", "G2", "G3"]
    assert by_grid["alerts"].tolist() == [6, 0, 0]


# -- what each role sees ---------------------------------------------------------------

def _as(store, role, **kw):
    accounts = store.read("accounts").set_index("username")
    row = accounts.loc[role]
    scope = row["scope"] if isinstance(row["scope"], str) else None
    worker = row["worker_id"] if isinstance(row["worker_id"], str) else None
    return GuardedStore(store, Principal(role, role, scope, worker, "s1"))


def test_each_role_sees_only_what_is_stated(small_store):
    everything = small_store.read("alerts")
    assert everything["amount"].notna().any()
    admin = _as(small_store, "admin")
    assert len(admin.read("feeds")) and len(admin.read("feed_rows"))
    assert admin.read("alerts")["amount"].notna().any()
    worker = _as(small_store, "worker")
    mine = worker.read("alerts")
    assert worker.read("feeds").empty and worker.read("feed_rows").empty
    assert mine["amount"].isna().all()  # the rule that fired, not the amount
    assert mine["id_number"].str.len().eq(18).all()  # their own households: in full
    grids = set(worker.read("grids")["grid_id"])
    assert set(mine["grid_id"].dropna()) <= grids and len(mine) < len(everything)
    leader = _as(small_store, "leader")
    seen = leader.read("alerts")
    assert len(seen) and seen["id_number"].str.contains(r"\*").all()
    assert seen["name"].dropna().str.contains(r"\*").all() and seen["amount"].isna().all()
    assert leader.read("feeds").empty
    persons = leader.read("persons")
    assert len(persons) and persons["id_number"].str.contains(r"\*").all()
    screen = _as(small_store, "screen")
    counted = screen.read("alerts")
    assert len(counted) == len(everything)  # for counts
    assert (counted["id_number"] == "").all() and counted["name"].isna().all()
    assert screen.read("persons").empty and screen.read("feed_rows").empty
    with pytest.raises(AccessDenied):
        screen.alert_detail(everything["alert_id"].iloc[0])
    assert _as(small_store, "helper").read("alerts").empty


def test_every_view_of_an_alerts_detail_is_audited_and_writes_are_checked(small_store):
    worker = _as(small_store, "worker")
    mine = worker.read("alerts")
    row, events = worker.alert_detail(mine["alert_id"].iloc[0])
    assert row["alert_id"] == mine["alert_id"].iloc[0] and len(events) >= 1
    audit = small_store.read("audit")
    assert ((audit["action"] == "view_alert") & (audit["target"] == row["alert_id"])).sum() == 1
    others = small_store.read("alerts")
    outside = others[~others["alert_id"].isin(mine["alert_id"])]["alert_id"].iloc[0]
    with pytest.raises(AccessDenied, match="outside"):
        worker.advance_alert(outside, "verified",
                             visit={"visited_at": datetime(2026, 11, 21)})
    with pytest.raises(AccessDenied):
        _as(small_store, "leader").advance_alert(outside, "dismissed", reason="x")
    with pytest.raises(AccessDenied):
        worker.save_feed(None)


def test_report_alerts_on_the_command_line(small_store, capsys, monkeypatch):
    store = ["--store", str(small_store.path)]
    assert cli.main(["report", "alerts", "--level", "source", "--as-of", "2026-11-20",
                     *store]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == ("source,alerts,new,verified,confirmed,dismissed,overdue,confirm_rate,"
                      "median_days_to_verify")
    assert len(out) > 2
    monkeypatch.setenv("GRIDMAP_PASSWORD", "demo-screen")
    assert cli.main(["report", "alerts", "--level", "district", "--format", "json",
                     "--as", "screen", *store]) == 0
    assert '"alerts"' in capsys.readouterr().out


def test_import_feed_on_the_command_line_and_its_dry_run(small_store, tmp_path, capsys):
    person = small_store.read("persons").iloc[-1]
    path = tmp_path / "残联.csv"
    path.write_text(f"身份证号,姓名,事项,日期\n{person['id_number']},{person['name']},"
                    "新办残疾证,2026-11-02\n", encoding="utf-8")
    store = ["--store", str(small_store.path)]
    args = ["import", "feed", str(path), "--source", "残联", "--received", "2026-11-19"]
    assert cli.main([*args, "--dry-run", *store]) == 0
    assert "1 alerts" in capsys.readouterr().err
    before = len(small_store.read("alerts"))
    assert len(small_store.read("alerts")) == before
    assert cli.main([*args, *store]) == 0
    assert len(small_store.read("alerts")) == before + 1
    assert cli.main([*args, *store]) == 0
    assert len(small_store.read("alerts")) == before + 1  # the same rows: nothing new
    bad = tmp_path / "bad.csv"
    bad.write_text("身份证号,事项,日期\n123,死亡,2026-11-02\n", encoding="utf-8")
    assert cli.main(["import", "feed", str(bad), "--source", "公安", *store]) == 2
    assert "bad.csv, row 2, column 身份证号" in capsys.readouterr().err


def test_demo_alerts_rest_on_their_visits_and_cases(small_frames):
    found = small_frames["alerts"]
    verified = found[(found["kind"] == "registered") & found["verified_at"].notna()]
    assert len(verified)
    visits = small_frames["visits"].set_index("visit_id").loc[verified["visit_id"]]
    assert (visits["method"] == "door").all()
    assert (visits["household_id"].to_numpy() == verified["household_id"].to_numpy()).all()
    assert (visits["visited_at"].to_numpy() == verified["verified_at"].to_numpy()).all()
    with_case = found[found["outcome"] == "case"]
    cases = small_frames["cases"].set_index("case_id").loc[with_case["case_id"]]
    assert (cases["source"] == "data_alert").all()
    assert (cases["household_id"].to_numpy() == with_case["household_id"].to_numpy()).all()
    assert found.loc[found["outcome"] != "case", "case_id"].isna().all()
