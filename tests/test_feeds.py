"""Department feeds (issue 20): ID numbers, the default rules at their thresholds, who an
alert goes to and where a lead is placed, the import all or nothing, re-import."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from gridmap import feeds, idcards, schema
from gridmap.errors import ValidationError
from gridmap.io import feeds as feed_io
from gridmap.policy import Policy, policy_from_dict
from gridmap.store.alerts import prepare_feed

POLICY = Policy()
NOW = pd.Timestamp("2026-11-20 09:00")
# Valid ID numbers (check characters computed, not copied).
A = idcards.make(["321102"], [pd.Timestamp("1950-03-04")], [11])[0]  # a registered head
B = idcards.make(["321102"], [pd.Timestamp("1980-07-01")], [22])[0]  # his spouse
X = idcards.make(["321181"], [pd.Timestamp("1975-01-09")], [33])[0]  # nobody known


def test_id_numbers_are_checked_with_their_check_character():
    assert idcards.is_valid("11010519491231002X") and idcards.is_valid("11010519491231002x")
    reasons = idcards.problems(["110105194912310021", "1101051949", "",
                                "110105194913310028", A]).tolist()
    assert reasons[0] == "wrong check character (should be X)"
    assert reasons[1].startswith("not 18 characters")
    assert reasons[2] == "empty"
    assert reasons[3] == "no such birth date in it"
    assert reasons[4] is None
    assert idcards.birth_dates([A]).iloc[0] == pd.Timestamp("1950-03-04")


@pytest.fixture
def registry(town):
    """The napkin town with household 'a' (green... made green here) and its members."""
    households = town["households"].copy()
    households["tier"] = ["green", "orange", "green", "red", "yellow", "green"]
    persons = schema.conform("persons", pd.DataFrame({
        "person_id": ["P1", "P2"], "household_id": ["c", "c"], "name": ["王大", "李二"],
        "id_number": [A, B], "relation": ["户主", "配偶"],
        "birth_date": pd.to_datetime(["1950-03-04", "1980-07-01"]),
        "disability": [False, False], "chronic_illness": [False, False]}))
    assignments = pd.DataFrame({"worker_id": ["W1", "W2", "W3"], "grid_id": ["G1", "G2", "G3"],
                                "role": ["primary"] * 3})
    helpers = pd.DataFrame({"household_id": pd.Series([], dtype=str),
                            "worker_id": pd.Series([], dtype=str),
                            "since": pd.Series([], dtype="datetime64[ms]")})
    return {**town, "households": households, "persons": persons,
            "assignments": assignments, "helpers": helpers}


def rows(*records) -> pd.DataFrame:
    """Feed rows (source 医保 unless said): (id, item, day, amount[, address, code])."""
    out = []
    for r in records:
        r = (*r, None, None, None)[:7] if len(r) < 7 else r
        out.append({"id_number": r[0], "name": "某某", "item": r[1],
                    "happened_on": pd.Timestamp(r[2]), "amount": r[3], "address": r[4],
                    "community_code": r[5], "source": r[6] or "医保"})
    frame = pd.DataFrame(out)
    frame["row_hash"] = feeds.row_hashes("医保", frame)
    frame["feed_id"] = "F1"
    return frame


def match(registry, feed_rows, existing=None, policy=POLICY):
    return feeds.match(feed_rows, registry["persons"], registry["households"],
                       registry["grids"], registry["areas"], registry["assignments"],
                       registry["helpers"], policy, existing=existing, feed_id="F1",
                       raised_at=NOW)


def test_medical_costs_fire_at_20000_summed_over_12_months_and_not_below(registry):
    below = match(registry, rows((A, "大额医疗自付", "2026-01-05", 12000.0),
                                 (A, "大额医疗自付", "2026-09-01", 7999.99)))
    assert below.empty
    at = match(registry, rows((A, "大额医疗自付", "2026-01-05", 12000.0),
                              (A, "大额医疗自付", "2026-09-01", 8000.0)))
    assert len(at) == 1
    alert = at.iloc[0]
    assert (alert["kind"], alert["risk"], alert["household_id"]) == ("registered", "支出型", "c")
    assert alert["triggered_on"] == pd.Timestamp("2026-09-01")
    assert alert["amount"] == 20000.0 and "≥20,000" in alert["evidence"]
    assert alert["assigned_to"] == "W1" and alert["stage"] == "assigned"
    assert alert["suggested_tier"] == "orange"  # green → orange, suggested only
    assert registry["households"].set_index("household_id").loc["c", "tier"] == "green"
    # The same amounts more than 12 months apart never make 20,000 together.
    apart = match(registry, rows((A, "大额医疗自付", "2025-01-05", 12000.0),
                                 (A, "大额医疗自付", "2026-01-05", 8000.0)))
    assert apart.empty


def test_two_hospital_stays_within_90_days_fire_and_one_or_far_apart_do_not(registry):
    assert match(registry, rows((A, "住院", "2026-03-01", None))).empty
    assert match(registry, rows((A, "住院", "2026-03-01", None),
                                (A, "住院", "2026-05-30", None))).empty  # 91st day
    fired = match(registry, rows((A, "住院", "2026-03-01", None),
                                 (A, "住院", "2026-05-29", None)))  # 90th day
    assert len(fired) == 1 and fired["risk"].iloc[0] == "因病"
    assert fired["triggered_on"].iloc[0] == pd.Timestamp("2026-05-29")


@pytest.mark.parametrize("item, risk, tier", [("新办残疾证", "因残", "orange"),
                                              ("失业登记", "收入型", "yellow"),
                                              ("欠费停水停电", "生活困难", None)])
def test_every_row_of_an_event_rule_fires_and_other_items_do_not(registry, item, risk, tier):
    fired = match(registry, rows((B, item, "2026-10-01", None)))
    assert len(fired) == 1 and fired["risk"].iloc[0] == risk
    assert (fired["suggested_tier"].iloc[0] if tier else None) == tier or (
        tier is None and pd.isna(fired["suggested_tier"].iloc[0]))
    assert match(registry, rows((B, "住院", "2026-10-01", None))).empty


def test_a_death_asks_for_an_eligibility_review_and_no_tier(registry):
    fired = match(registry, rows((A, "死亡", "2026-10-01", None)))
    assert len(fired) == 1
    assert fired["risk"].iloc[0] == "资格复核" and pd.isna(fired["suggested_tier"].iloc[0])
    assert match(registry, rows((X, "死亡", "2026-10-01", None))).empty  # nobody to review


def test_no_tier_suggested_for_a_household_already_as_urgent(registry):
    households = registry["households"].copy()
    households.loc[households["household_id"] == "c", "tier"] = "red"
    fired = match({**registry, "households": households},
                  rows((B, "新办残疾证", "2026-10-01", None)))
    assert pd.isna(fired["suggested_tier"].iloc[0])


def test_an_unknown_person_becomes_a_lead_placed_by_community_code(registry):
    fired = match(registry, rows((X, "失业登记", "2026-10-01", None, "别处", "C2")))
    lead = fired.iloc[0]
    assert (lead["kind"], lead["placed_by"], lead["grid_id"]) == ("lead", "community_code",
                                                                  "G3")
    assert lead["assigned_to"] == "W3" and pd.isna(lead["household_id"])
    assert lead["suggested_tier"] == "yellow"


def test_a_lead_without_code_is_placed_by_address_else_unplaced_under_its_street(registry):
    by_address = match(registry, rows((X, "失业登记", "2026-10-01", None,
                                       "某区街道甲社区解放路1号", None)))
    assert by_address.iloc[0][["placed_by", "grid_id"]].tolist() == ["address", "G1"]
    loose = match(registry, rows((X, "失业登记", "2026-10-01", None, "街道某路2号", "nope")))
    assert loose.iloc[0]["placed_by"] == "unplaced" and pd.isna(loose.iloc[0]["grid_id"])
    assert loose.iloc[0]["street_id"] == "S" and loose.iloc[0]["stage"] == "new"


def test_matching_again_raises_nothing_and_repeats_wait_their_days(registry):
    feed = rows((B, "欠费停水停电", "2026-01-10", 300.0), (B, "欠费停水停电", "2026-02-10", 300.0),
                (B, "欠费停水停电", "2026-06-10", 300.0))
    first = match(registry, feed)
    assert first["triggered_on"].tolist() == [pd.Timestamp("2026-01-10"),
                                              pd.Timestamp("2026-06-10")]  # 90 days apart
    assert match(registry, feed, existing=first).empty


def test_the_policy_rules_are_validated_with_key_paths():
    with pytest.raises(ValidationError, match=r"feeds.rules.住院.risk"):
        policy_from_dict({"feeds": {"rules": {"住院": {"risk": "bad"}}}})
    with pytest.raises(ValidationError, match=r"feeds.rules.x.count_at_least"):
        policy_from_dict({"feeds": {"rules": {"x": {"risk": "因病", "count_at_least": 1}}}})
    with pytest.raises(ValidationError, match=r"alerts.verify_working_days"):
        policy_from_dict({"alerts": {"verify_working_days": 0}})
    custom = policy_from_dict({"feeds": {"rules": {"大额医疗自付": {
        "risk": "支出型", "sum_at_least": 5000, "window_days": 30}}}})
    assert custom.feeds.rule("大额医疗自付").sum_at_least == 5000
    assert custom.feeds.rule("住院") is None


# -- the import: all or nothing ----------------------------------------------------------

def _csv(tmp_path, lines, encoding="utf-8", name="feed.csv"):
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def test_a_bad_id_number_refuses_the_whole_file_naming_its_row(tmp_path):
    bad = A[:-1] + ("0" if A[-1] != "0" else "1")
    path = _csv(tmp_path, ["身份证号,姓名,事项,日期,金额", f"{A},王大,住院,2026-10-01,",
                           f"{bad},李二,住院,2026-10-02,"])
    read = feed_io.read_feed(path, "feed.csv", POLICY, received_on=date(2026, 11, 1))
    assert read.rows.empty and len(read.errors) == 1
    problem = read.errors[0]
    assert (problem.row, problem.column) == (3, "身份证号")
    assert "check character" in problem.reason


def test_an_unknown_item_is_reported_not_guessed(tmp_path):
    path = _csv(tmp_path, ["身份证号,事项,日期", f"{A},住院治疗,2026-10-01"])
    read = feed_io.read_feed(path, "feed.csv", POLICY)
    assert read.rows.empty and "unknown 事项 '住院治疗'" in read.errors[0].reason


def test_a_gbk_feed_with_all_headers_is_read(tmp_path):
    path = _csv(tmp_path, ["身份证号,姓名,事项,日期,金额,地址,社区代码",
                           f"{A.lower()},王大,大额医疗自付,2026/10/01,\"12,500.5\",甲社区,C1"],
                encoding="gbk")
    read = feed_io.read_feed(path, "feed.csv", POLICY)
    assert not read.problems
    row = read.rows.iloc[0]
    assert row["id_number"] == A.upper() and row["amount"] == 12500.5
    assert row["happened_on"] == pd.Timestamp("2026-10-01") and row["community_code"] == "C1"


def test_reimporting_the_same_rows_creates_nothing(any_store, tmp_path):
    person = any_store.read("persons").iloc[0]
    path = _csv(tmp_path, ["身份证号,姓名,事项,日期", f"{person['id_number']},{person['name']},"
                           "新办残疾证,2026-11-02"])
    for attempt in range(2):
        read = feed_io.read_feed(path, "feed.csv", POLICY, received_on=date(2026, 11, 20))
        prepared = prepare_feed(any_store, read.rows, source="残联", file="feed.csv",
                                received_on=date(2026, 11, 20), by="admin", policy=POLICY)
        any_store.save_feed(prepared)
        if attempt == 0:
            assert prepared.feed["new_rows"] == 1 and len(prepared.alerts) == 1
            assert prepared.alerts["household_id"].iloc[0] == person["household_id"]
    assert prepared.feed["new_rows"] == 0 and prepared.alerts.empty
    feeds_table = any_store.read("feeds")
    assert feeds_table["source"].tolist()[-2:] == ["残联", "残联"]
    assert feeds_table["imported_by"].iloc[-1] == "admin"
    assert feeds_table["new_rows"].tolist()[-2:] == [1, 0]


def test_persons_import_checks_households_and_ids(small_store, tmp_path):
    hh = small_store.read("households").iloc[0]
    path = _csv(tmp_path, ["户编号,姓名,身份证号,与户主关系,残疾",
                           f"{hh['household_id']},新成员,{X},子女,否",
                           f"NOPE,另一人,{B},本人,是"])
    read = feed_io.read_persons(path, "m.csv", households=small_store.read("households"))
    assert [(p.row, p.column) for p in read.errors] == [(3, "户编号")]
    path = _csv(tmp_path, ["户编号,姓名,身份证号,与户主关系,残疾",
                           f"{hh['household_id']},新成员,{X},子女,否"], name="m2.csv")
    read = feed_io.read_persons(path, "m2.csv", households=small_store.read("households"))
    assert not read.problems
    small_store.import_rows({"persons": read.rows}, source="m2.csv", by="admin")
    again = small_store.read("persons")
    assert (again["id_number"] == X).sum() == 1
    assert again.loc[again["id_number"] == X, "birth_date"].iloc[0] == pd.Timestamp(
        "1975-01-09")


def test_the_demo_persons_match_households_with_valid_ids(small_frames):
    persons, households = small_frames["persons"], small_frames["households"]
    assert persons.groupby("household_id").size().reindex(
        households["household_id"]).tolist() == households["members"].tolist()
    heads = persons[persons["relation"] == "户主"].set_index("household_id")["id_number"]
    assert (heads.reindex(households["household_id"]).to_numpy()
            == households["id_number"].to_numpy()).all()
    assert idcards.problems(persons["id_number"]).isna().all()
    assert not persons["id_number"].duplicated().any()
    assert len(small_frames["alerts"]) > 0 and len(small_frames["feeds"]) > 0


def test_problems_name_the_file_and_the_header_it_uses(small_store, tmp_path):
    """Both readers report a problem with the file's name and under the file's own
    header (a mapping's too); a column the file lacks is named by its schema name."""
    path = _csv(tmp_path, ["证号,业务,日子", f"{A},大额医疗自付,2026-13-01"])
    read = feed_io.read_feed(path, "医保.csv", POLICY, mapping={
        "证号": "id_number", "业务": "item", "日子": "happened_on"})
    assert sorted((p.file, p.row, p.column, p.reason) for p in read.errors) == [
        ("医保.csv", 2, "amount", "empty: this 事项 sums amounts"),
        ("医保.csv", 2, "日子", "not a date")]
    hh = small_store.read("households").iloc[0]
    path = _csv(tmp_path, ["户,名,证,亲属", f"{hh['household_id']},新成员,{X},邻居",
                           f"NOPE,另一人,{B},子女"], name="成员.csv")
    read = feed_io.read_persons(path, "成员.csv", households=small_store.read("households"),
                                mapping={"户": "household_id", "名": "name", "证": "id_number",
                                         "亲属": "relation"})
    assert sorted((p.file, p.row, p.column) for p in read.errors) == [
        ("成员.csv", 2, "亲属"), ("成员.csv", 3, "户")]
