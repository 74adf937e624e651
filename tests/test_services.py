"""Services as well as money (issue 21): the catalogue, entitlements, the month's
arithmetic, the import, roles, and the report's sums."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from gridmap import cli, schema
from gridmap import services as sv
from gridmap.errors import ValidationError
from gridmap.guard import AccessDenied
from gridmap.policy import Policy

from .test_access import expected_households, guarded

CATALOGUE = sv.load_catalogue()


# -- the catalogue ------------------------------------------------------------------

def test_the_default_catalogue_has_five_categories_and_21_services():
    assert len(CATALOGUE.categories) == 5
    assert len(CATALOGUE.services) == 21
    assert {s.unit for s in CATALOGUE.services} == set(schema.SERVICE_UNITS)
    assert CATALOGUE.service("home_care").unit == "hours"
    assert CATALOGUE.rule.amount == {"失能": 60.0, "半失能": 45.0}
    assert all(s.name and s.name_en for s in CATALOGUE.services)


def _raw():
    import tomllib
    return tomllib.loads(sv.DEFAULT_CATALOGUE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("change, key", [
    (lambda r: r["services"][0].update(unit="minutes"), "services[0] (home_care).unit"),
    (lambda r: r["services"][1].update(providers=["物业公司"]),
     "services[1] (meals).providers"),
    (lambda r: r["services"][2].update(category="nowhere"), "services[2] (cleaning).category"),
    (lambda r: r["services"][3].update(key="home_care"), "services"),
    (lambda r: r["services"][4].pop("name_en"), "services[4] (haircut).name_en"),
    (lambda r: r["entitlement"].update(service="flying"), "entitlement.service"),
    (lambda r: r["entitlement"]["amount"].update({"失能": -1}), "entitlement.amount.失能"),
    (lambda r: r["entitlement"].update(months=0), "entitlement.months"),
    (lambda r: r.pop("version"), "version"),
])
def test_a_catalogue_mistake_names_its_key(change, key):
    raw = _raw()
    change(raw)
    with pytest.raises(ValidationError) as err:
        sv.catalogue_from_dict(raw, source="services.toml")
    assert err.value.column == key
    assert "services.toml" in str(err.value)


def test_the_policy_holds_the_shortfall_share_and_checks_it():
    from gridmap.policy import policy_from_dict
    assert Policy().services.shortfall_pct == 20
    with pytest.raises(ValidationError, match=r"services\.shortfall_pct"):
        policy_from_dict({"services": {"shortfall_pct": 120}})


# -- entitlements from the assessment ------------------------------------------------------

def _assessment(household, level, at, n):
    return {"assessment_id": f"A{n}", "household_id": household,
            "assessed_at": pd.Timestamp(at), "answers": json.dumps(
                {"care_level": level} if level else {}, ensure_ascii=False)}


def test_an_assessment_grants_60_or_45_hours_a_month_for_a_year():
    assessments = pd.DataFrame([
        _assessment("H1", "失能", "2026-03-10 09:30", 1),
        _assessment("H2", "半失能", "2026-04-01 10:00", 2),
        _assessment("H3", "自理", "2026-04-01 10:00", 3),
        _assessment("H4", None, "2026-04-01 10:00", 4),
        _assessment("H5", "失能", "2025-01-01 10:00", 5),  # the later one counts
        _assessment("H5", "半失能", "2026-01-05 10:00", 6),
    ])
    grants = sv.entitlements_from_assessments(assessments, CATALOGUE.rule)
    schema.validate("entitlements", grants)
    got = grants.set_index("household_id")
    assert sorted(got.index) == ["H1", "H2", "H5"]
    assert got.loc["H1", "amount"] == 60 and got.loc["H2", "amount"] == 45
    assert got.loc["H5", "amount"] == 45 and got.loc["H5", "assessment_id"] == "A6"
    assert got.loc["H1", "valid_from"] == pd.Timestamp("2026-03-10")
    assert got.loc["H1", "valid_until"] == pd.Timestamp("2027-03-09")
    assert got.loc["H1", "service_id"] == "home_care" and got.loc["H1", "source"] == "assessment"
    assert got.loc["H1", "reason"] == "评估：失能"
    # The same assessment grants the same row again (stable ids).
    again = sv.entitlements_from_assessments(assessments, CATALOGUE.rule)
    assert list(again["entitlement_id"]) == list(grants["entitlement_id"])


# -- the month's arithmetic ---------------------------------------------------------------

def _records(rows):
    frame = pd.DataFrame(rows, columns=["record_id", "household_id", "service_id",
                                        "delivered_by", "started_at", "quantity"])
    return frame.assign(provider_id="P1", started_at=pd.to_datetime(frame["started_at"]),
                        scheduled_at=pd.NaT)


def _grant(household="H1", amount=60.0, start="2026-01-01", until=None):
    return pd.DataFrame({"entitlement_id": ["E1"], "household_id": [household],
                         "service_id": ["home_care"], "provider_id": ["P1"],
                         "amount": [amount], "valid_from": [pd.Timestamp(start)],
                         "valid_until": [pd.Timestamp(until) if until else pd.NaT]})


def test_a_record_over_midnight_at_the_end_of_a_month_counts_in_both_months():
    records = _records([
        ("R1", "H1", "home_care", "王芳", "2026-10-31 22:00", 4.0),  # 2 h in Oct, 2 in Nov
        ("R2", "H1", "home_care", "王芳", "2026-10-15 09:10", 2.5),
        ("R3", "H1", "meals", "李强", "2026-10-31 23:30", 1.0),  # a meal: where it starts
    ])
    policy = Policy()
    october = sv.household_month(_grant(), records, CATALOGUE, sv.parse_month("2026-10"),
                                 policy).iloc[0]
    november = sv.household_month(_grant(), records, CATALOGUE, sv.parse_month("2026-11"),
                                  policy).iloc[0]
    assert october["hours_delivered"] == pytest.approx(4.5)
    assert november["hours_delivered"] == pytest.approx(2.0)
    assert october["shortfall"] == pytest.approx(55.5)
    assert october["shortfall_pct"] == pytest.approx(92.5) and october["short"]
    meals = sv.service_month(_grant(), records, CATALOGUE, sv.parse_month("2026-10"))
    assert meals.set_index("service_id").loc["meals", "delivered"] == 1.0
    # Split by time, the parts add up to the whole: nothing lost, nothing counted twice.
    parts = sum(sv.delivered_in(records, CATALOGUE, sv.parse_month(m)).sum()
                for m in ("2026-09", "2026-10", "2026-11"))
    assert parts == pytest.approx(4.0 + 2.5 + 1.0)


def test_a_grant_from_mid_month_is_owed_for_its_days_and_due_as_the_month_goes():
    november = sv.parse_month("2026-11")
    grant = _grant(start="2026-11-16")  # 15 of 30 days
    records = _records([("R1", "H1", "home_care", "王芳", "2026-11-17 08:05", 3.0)])
    row = sv.household_month(grant, records, CATALOGUE, november, Policy()).iloc[0]
    assert row["hours_entitled"] == pytest.approx(30.0)
    # On the 20th two thirds of the month have gone: 20 of the 30 hours are due.
    row = sv.household_month(grant, records, CATALOGUE, november, Policy(),
                             as_of=pd.Timestamp("2026-11-20").date()).iloc[0]
    assert row["hours_due"] == pytest.approx(20.0)
    assert row["shortfall"] == pytest.approx(17.0)
    ended = _grant(until="2026-10-31")
    assert sv.household_month(ended, records.iloc[0:0], CATALOGUE, november, Policy()).empty


def test_overlaps_and_records_outside_an_entitlement_are_warned():
    records = _records([
        ("R1", "H1", "home_care", "王芳", "2026-10-10 08:00", 3.0),
        ("R2", "H2", "home_care", "王芳", "2026-10-10 10:30", 2.0),  # 王芳 is still at H1
        ("R3", "H2", "home_care", "李强", "2026-10-11 10:30", 2.0),
        ("R4", "H1", "home_care", "王芳", "2026-10-10 11:00", 2.0),  # after R1 ends: fine
    ])
    found = sv.record_warnings(records, _grant(), CATALOGUE)
    assert set(map(tuple, found[["record_id", "warning"]].values)) == {
        ("R2", "overlap"), ("R4", "overlap"), ("R2", "no_entitlement"),
        ("R3", "no_entitlement")}


# -- the report reconciles with the records ---------------------------------------------

@pytest.mark.parametrize("level", ["district", "street", "community", "grid", "provider"])
def test_report_sums_reconcile_exactly_with_the_records(any_store, level):
    frames = {layer: any_store.read(layer) for layer in (
        "entitlements", "service_records", "households", "grids", "areas", "providers")}
    month = sv.parse_month("2026-10")
    table = sv.service_report(frames["entitlements"], frames["service_records"],
                              frames["households"], frames["grids"], frames["areas"],
                              frames["providers"], CATALOGUE, Policy(), month=month,
                              level=level)
    assert list(table.columns) == list(sv.REPORT_COLUMNS)
    records = frames["service_records"]
    hours = sv.delivered_in(records, CATALOGUE, month)[
        records["service_id"].map(CATALOGUE.units()).eq("hours")].sum()
    assert hours > 0
    assert table["hours_delivered"].sum() == pytest.approx(hours, abs=0.005 * len(table))
    per_household = sv.household_month(frames["entitlements"], records, CATALOGUE, month,
                                       Policy())
    assert table["households_entitled"].sum() == (per_household["hours_entitled"] > 0).sum()
    assert table["households_short"].sum() == per_household["short"].sum()
    assert table["hours_entitled"].sum() == pytest.approx(
        per_household["hours_entitled"].sum(), abs=0.005 * len(table))


def test_the_demo_has_providers_entitlements_and_a_few_under_delivering(small_frames):
    grants, records = small_frames["entitlements"], small_frames["service_records"]
    assert len(small_frames["providers"]) and len(grants) and len(records)
    assert (records["started_at"].dt.minute != 0).mean() > 0.8  # not all on the hour
    schema.validate("service_records", records)
    warned = sv.record_warnings(records, grants, CATALOGUE)
    assert len(warned) < 0.01 * len(records)


def test_report_services_from_the_command_line(small_store, capsys, monkeypatch):
    args = ["report", "services", "--month", "2026-10", "--level", "street", "--as-of",
            "2026-11-20", "--store", str(small_store.path)]
    assert cli.main(args) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == ",".join(sv.REPORT_COLUMNS)
    # The screen sees aggregates only: few households are "<5" and their hours withheld.
    monkeypatch.setenv("GRIDMAP_PASSWORD", "demo-screen")
    assert cli.main([*args[:5], "grid", *args[6:], "--as", "screen", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    small = [r for r in rows if r["households_entitled"] == "<5"]
    assert small and all(r["hours_delivered"] == "—" for r in small)
    assert cli.main([*args[:3], "2026-13", *args[4:]]) == 2
    assert "not a month" in capsys.readouterr().err


# -- the import ---------------------------------------------------------------------------

def _provider_of_kind(store) -> pd.Series:
    """A provider id per kind."""
    return store.read("providers").drop_duplicates("kind").set_index("kind")["provider_id"]


def _csv(tmp_path, rows, name="服务记录.csv"):
    header = ("服务机构：某某居家养老服务中心 2026年10月,,,,,,,\n"  # a title row above
              "户编号,服务项目,服务机构编号,服务人员,开始时间,时长（小时）,预约时间,备注\n")
    path = tmp_path / name
    path.write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_an_import_with_planted_errors_is_refused_by_row(small_store, tmp_path, capsys):
    from gridmap.io import services as service_import
    households = small_store.read("households")["household_id"]
    providers = _provider_of_kind(small_store)
    centre, canteen = providers["养老服务中心"], providers["助餐点"]
    h = households.iloc[0]
    path = _csv(tmp_path, [
        # row 3: good
        f"{h},居家上门服务,{centre},王芳,2026-10-05 08:05,3,2026-10-05 08:00,",
        f"H-NOBODY,居家上门服务,{centre},王芳,2026-10-06 08:05,3,,",  # row 4
        f"{h},飞行服务,{centre},王芳,2026-10-07 08:05,3,,",  # row 5
        f"{h},居家上门服务,{canteen},王芳,2026-10-08 08:05,3,,",  # row 6: not a canteen's
        f"{h},居家上门服务,{centre},王芳,2026-10-09 08:05,-2,,",  # row 7
        f"{h},居家上门服务,{centre},王芳,不是日期,3,,",  # row 8
        f"{h},居家上门服务,{centre},,2026-10-10 08:05,3,,",  # row 9
        f"{h},居家上门服务,{centre},王芳,2026-10-11 08:05,30,,",  # row 10: > 24 h
    ])
    before = len(small_store.read("service_records"))
    prepared = service_import.prepare(path, path.name, store=small_store)
    errors = {(p.row, p.column) for p in prepared.errors}
    assert errors == {(4, "household_id"), (5, "service_id"), (6, "provider_id"),
                      (7, "quantity"), (8, "started_at"), (9, "delivered_by"),
                      (10, "quantity")}
    assert cli.main(["import", "services", str(path), "--store", str(small_store.path)]) == 2
    err = capsys.readouterr().err
    assert "row 6, column provider_id" in err and "nothing written" in err
    assert len(small_store.read("service_records")) == before


def test_a_clean_import_writes_every_row_once(small_store, tmp_path, capsys):
    grants = small_store.read("entitlements")
    h, provider = grants["household_id"].iloc[0], grants["provider_id"].iloc[0]
    path = _csv(tmp_path, [f"{h},居家上门服务,{provider},张三丰,2030-01-05 08:05,3,,",
                           f"{h},home_care,{provider},张三丰,2030-01-05 10:00,2,,"])
    before = len(small_store.read("service_records"))
    args = ["import", "services", str(path), "--store", str(small_store.path)]
    assert cli.main(args) == 0
    err = capsys.readouterr().err
    assert "2 accepted" in err and "warning" in err  # the second overlaps the first
    assert len(small_store.read("service_records")) == before + 2
    assert cli.main(args) == 0  # the same file again changes nothing
    assert len(small_store.read("service_records")) == before + 2


# -- roles ------------------------------------------------------------------------------

def test_each_role_reads_only_the_services_it_may(any_store):
    records = any_store.read("service_records")
    for role in ("worker", "chief", "leader"):
        seen = guarded(any_store, role).read("service_records")
        allowed = expected_households(any_store, role)
        assert set(seen["household_id"]) <= allowed
        assert len(seen) == records["household_id"].isin(allowed).sum()
    leader = guarded(any_store, "leader").read("service_records")
    assert len(leader) and (leader["delivered_by"] == "***").all()
    assert (guarded(any_store, "leader").read("entitlements")["reason"] == "***").all()
    screen = guarded(any_store, "screen").read("service_records")
    assert (screen["delivered_by"] == "").all() and screen["note"].fillna("").eq("").all()
    assert guarded(any_store, "helper").read("service_records").empty
    assert guarded(any_store, "helper").read("entitlements").empty


def test_who_may_record_and_grant_and_every_write_is_audited(any_store):
    worker = guarded(any_store, "worker")
    mine = sorted(expected_households(any_store, "worker"))[0]
    other = sorted(set(any_store.read("households")["household_id"])
                   - expected_households(any_store, "worker"))[0]
    centre = _provider_of_kind(any_store)["养老服务中心"]
    record = dict(service_id="home_care", provider_id=centre, delivered_by="王芳",
                  started_at=pd.Timestamp("2026-11-19 08:05"), quantity=2.5,
                  recorded_by="worker")
    record_id = worker.record_service(household_id=mine, **record)
    assert record_id in set(any_store.read("service_records")["record_id"])
    with pytest.raises(AccessDenied):
        worker.record_service(household_id=other, **record)
    with pytest.raises(AccessDenied):
        worker.grant_entitlement(household_id=mine, service_id="home_care", amount=10,
                                 valid_from=pd.Timestamp("2026-11-01"), reason="x",
                                 granted_by="worker")
    for role in ("leader", "screen", "helper"):
        with pytest.raises(AccessDenied):
            guarded(any_store, role).record_service(household_id=mine, **record)
    chief = guarded(any_store, "chief")
    theirs = sorted(expected_households(any_store, "chief"))[0]
    grant = chief.grant_entitlement(household_id=theirs, service_id="counselling", amount=4,
                                    valid_from=pd.Timestamp("2026-11-01"),
                                    reason="独居，情绪低落", granted_by="chief")
    row = any_store.read("entitlements").set_index("entitlement_id").loc[grant]
    assert row["source"] == "manual" and row["amount"] == 4
    audit = any_store.read("audit")
    assert set(audit["action"]) >= {"record_service", "grant_entitlement"}
    assert audit.loc[audit["action"] == "grant_entitlement", "target"].iloc[0] == theirs
    with pytest.raises(ValidationError, match="may not deliver"):
        chief.record_service(household_id=theirs, **{
            **record, "provider_id": _provider_of_kind(any_store)["助餐点"]})


# -- the map indicator and the ledger ----------------------------------------------------

def test_the_map_shows_the_share_of_hours_due_delivered_per_grid_and_area():
    from gridmap.indicators import aggregate, grid_indicators
    grids = pd.DataFrame({"grid_id": ["G1", "G2", "G3"]})
    households = pd.DataFrame({"household_id": ["H1", "H2", "H3"], "tier": ["red"] * 3,
                               "grid_id": ["G1", "G1", "G2"]})
    status = pd.DataFrame({"overdue": [False, False, True]})
    month = pd.DataFrame({"household_id": ["H1", "H2", "H3"], "hours_due": [60.0, 45.0, 30.0],
                          "hours_delivered": [60.0, 24.0, 0.0]})
    per_grid = grid_indicators(grids, households, status, Policy(), service_month=month)
    assert per_grid.loc["G1", "service_rate"] == pytest.approx(100 * 84 / 105)
    assert per_grid.loc["G2", "service_rate"] == 0.0
    assert pd.isna(per_grid.loc["G3", "service_rate"])  # nothing owed: no rate, not 0
    area = aggregate(per_grid, ["A", "A", "A"])
    assert area.loc["A", "service_rate"] == pytest.approx(100 * 84 / 135)
    assert grid_indicators(grids, households, status, Policy())["service_rate"].isna().all()


def test_the_ledger_lists_each_households_services_this_month():
    records = _records([("R1", "H1", "home_care", "王芳", "2026-10-10 08:00", 3.5),
                        ("R2", "H1", "meals", "李强", "2026-10-11 11:30", 2)])
    month = sv.service_month(_grant(), records, CATALOGUE, pd.Period("2026-10", freq="M"))
    text = sv.services_text(month, CATALOGUE)
    assert text["H1"] == "居家上门服务 3.5/60 小时；助餐送餐 2 餐"
    assert sv.services_text(month, CATALOGUE, "en")["H1"] == (
        "In-home service 3.5/60 hours; Meals and meal delivery 2 meals")


def test_the_exported_ledger_has_the_services_column(small_store, tmp_path):
    grants = small_store.read("entitlements")
    households = small_store.read("households").set_index("household_id")
    household = grants["household_id"].iloc[0]
    community = small_store.read("grids").set_index("grid_id").loc[
        households.loc[household, "grid_id"], "community_id"]
    out = tmp_path / "台账.xlsx"
    assert cli.main(["export", "ledger", "--scope", f"community:{community}", "--out", str(out),
                     "--as-of", "2026-11-20", "--store", str(small_store.path)]) == 0
    sheets = pd.read_excel(out, sheet_name=None)
    rows = pd.concat(sheets.values(), ignore_index=True).set_index("代号")
    assert "本月服务" in rows.columns
    line = rows.loc[households.loc[household, "alias"], "本月服务"]
    assert line.startswith("居家上门服务 ") and line.endswith(" 小时")


# -- the assessment asks for the care level the rule reads --------------------------------

def test_the_assessment_asks_the_care_level_optionally_and_the_rule_reads_it():
    from gridmap import assessment
    from gridmap.io import survey
    config = assessment.load_config()
    care = config.indicator("care_level")
    assert care.optional and care.weight == 0 and set(care.values) == {"失能", "半失能", "自理"}
    table = survey.read_table("data/examples/assessment_survey.xlsx", "s.xlsx")
    assert care.name not in table.columns  # an older survey: it still scores
    before, problems = survey.parse_answers(table, config)
    assert len(before) and not any(p.column == care.name for p in problems)
    levels = ["失能", "半失能", None] + [None] * (len(table) - 3)
    after, _ = survey.parse_answers(table.assign(**{care.name: levels}), config)
    pd.testing.assert_series_equal(assessment.score_table(after, config)["score"],
                                   assessment.score_table(before, config)["score"])
    stored = pd.DataFrame({
        "assessment_id": ["A1", "A2", "A3"], "household_id": after["household_id"][:3],
        "assessed_at": pd.Timestamp("2026-11-03 10:00"),
        "answers": [json.dumps(r, ensure_ascii=False, default=str)
                    for r in after[config.keys][:3].to_dict("records")]})
    grants = sv.entitlements_from_assessments(stored, CATALOGUE.rule)
    hours = {"失能": 60.0, "半失能": 45.0}
    expected = {h: hours[level] for h, level in zip(after["household_id"][:3],
                                                    after["care_level"][:3], strict=True)
                if level in hours}
    assert expected and dict(zip(grants["household_id"], grants["amount"], strict=True)) == (
        expected)
    assert set(grants["service_id"]) == {"home_care"}
