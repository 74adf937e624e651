"""Tests that try to get in: every role against data outside its area, through every
layer and write; logins, locks and the audit log."""

import json
from datetime import datetime

import pandas as pd
import pytest

from gridmap import access
from gridmap.access import LoginRefused, Principal, authenticate
from gridmap.guard import AccessDenied, GuardedStore
from gridmap.places import Area
from gridmap.policy import Policy

from .conftest import fingerprint

HOUSEHOLD_LAYERS = ("households", "household_helpers", "visits", "tier_changes", "cases",
                    "needs", "assessments")


def principal_of(store, role: str) -> Principal:
    row = store.read("accounts").set_index("username").loc[role]
    text = (lambda v: v if isinstance(v, str) and v else None)  # noqa: E731
    return Principal(role, role, text(row["scope"]), text(row["worker_id"]), "test")


def guarded(store, role: str) -> GuardedStore:
    return GuardedStore(store, principal_of(store, role))


def expected_households(store, role: str) -> set[str]:
    """Worked out independently of the guard, from the raw tables."""
    p = principal_of(store, role)
    hh, grids = store.read("households"), store.read("grids")
    workers, assignments = store.read("workers"), store.read("assignments")
    helpers = store.read("household_helpers")
    if role in ("admin", "screen"):
        return set(hh["household_id"])
    if role == "helper":
        return set()
    if role == "leader":
        district = p.scope.split(":")[1]
        return set(hh.loc[hh["grid_id"].isin(
            grids.loc[grids["district_id"] == district, "grid_id"]), "household_id"])
    team = {p.worker_id}
    if role == "chief":
        team |= set(workers.loc[workers["chief_id"] == p.worker_id, "worker_id"])
    mine = set(assignments.loc[assignments["worker_id"].isin(team), "grid_id"])
    own = set(hh.loc[hh["grid_id"].isin(mine), "household_id"])
    return own | set(helpers.loc[helpers["worker_id"] == p.worker_id, "household_id"])


@pytest.mark.parametrize("role", ["admin", "leader", "chief", "worker", "screen", "helper"])
def test_no_role_reads_a_household_outside_its_area(small_store, role):
    store = guarded(small_store, role)
    allowed = expected_households(small_store, role)
    everyone = set(small_store.read("households")["household_id"])
    if role in ("chief", "worker"):
        assert 0 < len(allowed) < len(everyone)  # the probe means something
    for layer in HOUSEHOLD_LAYERS:
        seen = set(store.read(layer)["household_id"]) - {""}
        assert seen <= allowed, (role, layer, sorted(seen - allowed)[:3])
    # Asking for another area by id gives nothing more.
    outside = small_store.read("households").query("household_id not in @allowed")
    if len(outside):
        other_grid = outside["grid_id"].iloc[0]
        assert set(store.read("households", area=Area("grid", other_grid))["household_id"]
                   ) <= allowed
        cases = small_store.read("cases").query("household_id not in @allowed")
        events = set(store.read("case_events")["case_id"])
        assert not events & set(cases["case_id"])
    small_store.create_token(f"probe-{role}", "screen")  # something to hide
    for layer in ("accounts", "tokens"):
        assert store.read(layer).empty == (role != "admin"), (role, layer)
    assert role == "admin" or store.read("audit").empty


def test_worker_sees_exactly_their_grid_in_full(small_store):
    store = guarded(small_store, "worker")
    households = store.read("households")
    assert set(households["household_id"]) == expected_households(small_store, "worker")
    assert not households["head_name"].str.contains(r"\*").any()  # in full
    assert len(store.read("grids")) == 1  # the demo worker holds one grid


def test_masking_by_role(small_store):
    raw = small_store.read("households").set_index("household_id")
    leader = guarded(small_store, "leader").read("households").set_index("household_id")
    some = leader.index[0]
    assert leader.at[some, "head_name"] == raw.at[some, "head_name"][0] + "*" * (
        len(raw.at[some, "head_name"]) - 1)
    assert leader.at[some, "id_number"] == (raw.at[some, "id_number"][:4] + "*" * 10
                                            + raw.at[some, "id_number"][-4:])
    assert leader.at[some, "alias"] == raw.at[some, "alias"]  # lists by alias
    assert (guarded(small_store, "leader").read("cases")["description"] == "***").all()
    screen = guarded(small_store, "screen").read("households")
    assert (screen[["alias", "head_name", "id_number", "phone", "address"]] == "").all().all()
    assert screen["tier"].value_counts().sum() == len(raw)  # aggregates still add up


def test_helper_sees_open_needs_without_the_household_and_may_only_claim(small_store):
    store = guarded(small_store, "helper")
    needs = store.read("needs")
    assert set(needs["stage"]) <= {"posted"} and (needs["household_id"] == "").all()
    # Where, never who: each need carries its household's community.
    raw = small_store.read("needs").set_index("need_id")["household_id"]
    community = (raw.map(small_store.read("households").set_index("household_id")["grid_id"])
                 .map(small_store.read("grids").set_index("grid_id")["community_id"]))
    assert len(needs) and (needs["community_id"].to_numpy()
                           == community.loc[needs["need_id"]].to_numpy()).all()
    assert store.read("households").empty and store.read("cases").empty
    open_need = needs["need_id"].iloc[0]
    store.advance_need(open_need, "claimed", actor="helper", at=datetime.now(),
                       helper="helper", helper_kind="volunteer")
    claimed = small_store.read("needs").set_index("need_id").loc[open_need]
    assert claimed["stage"] == "claimed"
    with pytest.raises(AccessDenied):
        store.advance_need(open_need, "delivered", actor="helper", at=datetime.now())
    with pytest.raises(AccessDenied):
        store.append_visit(household_id=small_store.read("households")["household_id"][0],
                           worker_id="x", visited_at=datetime.now(), method="door")


def test_writes_outside_the_area_are_refused_and_change_nothing(any_store):
    store = guarded(any_store, "worker")
    allowed = expected_households(any_store, "worker")
    hh = any_store.read("households")
    outside = hh.loc[~hh["household_id"].isin(allowed), "household_id"].iloc[0]
    inside = sorted(allowed)[0]
    worker = principal_of(any_store, "worker").worker_id
    before = fingerprint(any_store)
    for attempt in (
            lambda: store.append_visit(household_id=outside, worker_id=worker,
                                       visited_at=datetime.now(), method="door"),
            lambda: store.change_tier(outside, "red", reason="x", changed_by=worker),
            lambda: store.reassign(pd.DataFrame([{"kind": "grid", "id": "g", "from": "a",
                                                  "to": "b"}]), scope="x", accepted_by="w"),
            lambda: store.create_token("x", "screen"),
            lambda: store.append_audit([])):
        with pytest.raises(AccessDenied):
            attempt()
    assert fingerprint(any_store) == before
    store.append_visit(household_id=inside, worker_id=worker, visited_at=datetime.now(),
                       method="phone")
    log = any_store.read("audit")
    assert list(log["action"]) == ["append_visit"] and log["target"].iloc[0] == inside
    assert log["username"].iloc[0] == "worker" and log["session"].iloc[0] == "test"
    with pytest.raises(AccessDenied):
        guarded(any_store, "leader").append_visit(
            household_id=inside, worker_id=worker, visited_at=datetime.now(), method="door")


def test_a_write_whose_audit_row_fails_is_not_written(any_store, monkeypatch):
    """The guard writes the audit row in the write's own transaction: no audit, no write."""
    from gridmap.store import accounts
    store = guarded(any_store, "worker")
    inside = sorted(expected_households(any_store, "worker"))[0]
    worker = principal_of(any_store, "worker").worker_id
    tier = any_store.read("households").set_index("household_id").loc[inside, "tier"]
    before = fingerprint(any_store)

    def broken(tx, rows):
        raise OSError("audit log unwritable")

    monkeypatch.setattr(accounts, "append_audit", broken)
    for attempt in (
            lambda: store.append_visit(household_id=inside, worker_id=worker,
                                       visited_at=datetime(2026, 11, 21, 9), method="door"),
            lambda: store.change_tier(inside, "red" if tier != "red" else "green",
                                      reason="x", changed_by=worker),
            lambda: store.post_need(household_id=inside, category="家用电器",
                                    description="一台洗衣机", posted_by=worker,
                                    posted_at=datetime(2026, 11, 21, 9))):
        with pytest.raises(OSError, match="audit log"):
            attempt()
        assert fingerprint(any_store) == before
    monkeypatch.undo()
    store.append_visit(household_id=inside, worker_id=worker,
                       visited_at=datetime(2026, 11, 21, 9), method="door")
    assert list(any_store.read("audit")["action"]) == ["append_visit"]


def test_login_locks_after_wrong_passwords(any_store):
    policy = Policy()
    who = authenticate(any_store, "worker", "demo-worker", policy, source="10.0.0.1",
                       session="s1")
    assert (who.role, who.worker_id) == ("worker", principal_of(any_store, "worker").worker_id)
    for _ in range(policy.accounts.max_failures - 1):
        with pytest.raises(LoginRefused) as refused:
            authenticate(any_store, "worker", "guess", policy, source="10.0.0.1")
        assert refused.value.reason == "wrong"
    with pytest.raises(LoginRefused) as refused:
        authenticate(any_store, "worker", "guess", policy, source="10.0.0.1")
    assert refused.value.reason == "locked"
    with pytest.raises(LoginRefused) as refused:  # even the right password, while locked
        authenticate(any_store, "worker", "demo-worker", policy, source="10.0.0.1")
    assert refused.value.reason == "locked"
    later = pd.Timestamp.now() + pd.Timedelta(minutes=policy.accounts.lock_minutes + 1)
    assert authenticate(any_store, "worker", "demo-worker", policy, source="10.0.0.1",
                        now=later).role == "worker"
    with pytest.raises(LoginRefused) as refused:
        authenticate(any_store, "nobody", "demo-worker", policy, source="10.0.0.1")
    assert refused.value.reason == "wrong"  # no hint that the user does not exist
    actions = any_store.read("audit")["action"].value_counts()
    assert actions["login"] == 2 and actions["login_refused"] >= policy.accounts.max_failures
    stored = any_store.read("accounts")["password_hash"]
    assert stored.str.startswith("$argon2id$").all()
    assert not stored.str.contains("demo-").any()


def _disable(store, username: str) -> None:
    accounts = store.read("accounts")
    store.replace({"accounts": accounts.assign(disabled=accounts["username"] == username)})


def _attempt(store, username: str, password: str, source: str = "10.0.0.1",
             now=None) -> str:
    """What a login answers: the role it logs in as, else the refusal's reason."""
    try:
        return authenticate(store, username, password, Policy(), source=source, now=now).role
    except LoginRefused as refused:
        return refused.reason


def test_a_refusal_does_not_tell_whether_the_name_is_an_account(any_store):
    """Unknown name, wrong password, disabled account: the same answers, attempt by
    attempt, up to and through the lock; only the right password tells more."""
    _disable(any_store, "leader")
    tries = Policy().accounts.max_failures + 2
    answers = {name: [_attempt(any_store, name, "not-the-password") for _ in range(tries)]
               for name in ("worker", "leader", "nobody")}
    expected = ["wrong"] * (tries - 3) + ["locked"] * 3
    assert answers == {"worker": expected, "leader": expected, "nobody": expected}
    later = pd.Timestamp.now() + pd.Timedelta(minutes=Policy().accounts.lock_minutes + 1)
    assert [_attempt(any_store, name, "not-the-password", now=later)
            for name in ("worker", "leader", "nobody")] == ["wrong"] * 3
    # The truth, and only now: the right password of a disabled account.
    assert _attempt(any_store, "leader", "demo-leader", now=later) == "disabled"
    assert _attempt(any_store, "worker", "demo-worker", now=later) == "worker"
    log = any_store.read("audit").query("action == 'login_refused'")
    details = [json.loads(d) for d in log["detail"]]
    assert {d["source"] for d in details} == {"10.0.0.1"}
    said = {(name, d["reason"]) for name, d in zip(log["username"], details, strict=True)}
    assert said == {("worker", "wrong password"), ("leader", "wrong password"),
                    ("nobody", "unknown"), ("leader", "disabled")}  # what really happened


def test_a_lock_is_said_alike_for_any_name_and_password(small_store):
    """While a name is locked from a source, every answer there is the same lock,
    right password or not, account or not (else guesses during the lock would still
    tell a right password from a wrong one)."""
    now = pd.Timestamp("2026-11-20 09:00")
    for name in ("worker", "nobody"):
        for _ in range(Policy().accounts.max_failures):
            _attempt(small_store, name, "not-the-password", now=now)
    for name, password in (("worker", "demo-worker"), ("worker", "guess-again"),
                           ("nobody", "demo-worker")):
        with pytest.raises(LoginRefused) as refused:
            authenticate(small_store, name, password, Policy(), source="10.0.0.1",
                         now=now + pd.Timedelta(minutes=1))
        assert (refused.value.reason, refused.value.until) == (
            "locked", now + pd.Timedelta(minutes=Policy().accounts.lock_minutes))
    log = small_store.read("audit").query("action == 'login_refused'").tail(3)
    assert [json.loads(d)["reason"] for d in log["detail"]] == [
        "locked", "wrong password", "unknown"]


def test_every_login_checks_one_password_hash(small_store, monkeypatch):
    """The same argon2 work on every path: no timing hint (counted, not timed)."""
    checked = []
    real = access.password_matches
    monkeypatch.setattr(access, "password_matches",
                        lambda stored, password: checked.append(stored) or real(stored,
                                                                                password))
    _disable(small_store, "leader")
    hashes = small_store.read("accounts").set_index("username")["password_hash"]
    now = pd.Timestamp("2026-11-20 09:00")
    for _ in range(Policy().accounts.max_failures):  # lock worker from this source
        _attempt(small_store, "worker", "not-the-password", now=now)
    checked.clear()
    for name, password, source, expected in (
            ("nobody", "demo-worker", "10.0.0.1", access._DUMMY_HASH),
            ("chief", "not-the-password", "10.0.0.1", hashes["chief"]),
            ("chief", "demo-chief", "10.0.0.1", hashes["chief"]),
            ("leader", "not-the-password", "10.0.0.1", hashes["leader"]),
            ("leader", "demo-leader", "10.0.0.1", hashes["leader"]),
            ("worker", "not-the-password", "10.0.0.1", hashes["worker"]),
            ("worker", "demo-worker", "10.0.0.1", hashes["worker"])):
        _attempt(small_store, name, password, source, now=now)
        assert checked == [expected], (name, password)
        checked.clear()


def test_a_lock_from_one_source_leaves_the_others_alone(any_store):
    """Nobody can keep an account locked out from elsewhere."""
    for _ in range(Policy().accounts.max_failures):
        _attempt(any_store, "admin", "not-the-password", source="203.0.113.9")
    assert _attempt(any_store, "admin", "demo-admin", source="203.0.113.9") == "locked"
    assert _attempt(any_store, "admin", "demo-admin", source="10.0.0.1") == "admin"
    assert _attempt(any_store, "admin", "demo-admin", source="cli") == "admin"
    # Failures elsewhere neither add up with these nor lift them.
    assert _attempt(any_store, "admin", "not-the-password", source="10.0.0.1") == "wrong"
    assert _attempt(any_store, "admin", "demo-admin", source="203.0.113.9") == "locked"


def test_a_lock_lasts_lock_minutes_and_then_the_count_starts_again(small_store):
    policy = Policy()
    start = pd.Timestamp("2026-11-20 09:00")
    for _ in range(policy.accounts.max_failures):
        _attempt(small_store, "worker", "not-the-password", now=start)
    end = start + pd.Timedelta(minutes=policy.accounts.lock_minutes)
    assert _attempt(small_store, "worker", "demo-worker",
                    now=end - pd.Timedelta(seconds=1)) == "locked"
    assert _attempt(small_store, "worker", "not-the-password", now=end) == "wrong"
    assert _attempt(small_store, "worker", "demo-worker", now=end) == "worker"
    assert small_store.read("login_failures").empty  # the right password clears the count


def test_cli_creates_the_first_admin(tmp_path, monkeypatch, capsys):
    from gridmap import cli
    from gridmap.store import open_store
    path = tmp_path / "s.gpkg"
    assert cli.main(["init", "--store", str(path)]) == 0
    monkeypatch.setenv("GRIDMAP_PASSWORD", "a-long-secret")
    assert cli.main(["user", "create-admin", "root", "--store", str(path)]) == 0
    store = open_store(path)
    assert authenticate(store, "root", "a-long-secret", Policy(), source="cli"
                        ).role == "admin"
    monkeypatch.setenv("GRIDMAP_PASSWORD", "short")
    assert cli.main(["user", "create-admin", "other", "--store", str(path)]) == 2
    assert "at least 8" in capsys.readouterr().err
    assert access.password_matches(store.read("accounts")["password_hash"][0], "a-long-secret")


def test_the_command_line_as_an_account_sees_only_its_area(small_store, monkeypatch, capsys,
                                                           tmp_path):
    from gridmap import cli
    store = ["--store", str(small_store.path), "--as-of", "2026-11-20"]
    monkeypatch.setenv("GRIDMAP_PASSWORD", "demo-worker")
    assert cli.main(["report", "coverage", "--level", "district", *store, "--as", "worker"]) == 0
    rows = capsys.readouterr().out.strip().splitlines()[1:]
    assert sum(int(r.split(",")[2]) for r in rows) == len(
        expected_households(small_store, "worker"))
    hh = small_store.read("households")
    grids = small_store.read("grids").set_index("grid_id")["community_id"]
    allowed = hh["household_id"].isin(expected_households(small_store, "worker"))
    theirs = set(grids[hh.loc[allowed, "grid_id"]])
    other = sorted(set(grids[hh.loc[~allowed, "grid_id"]]) - theirs)[0]
    assert cli.main(["export", "ledger", "--scope", f"community:{other}", "--out",
                     str(tmp_path / "x.xlsx"), *store[:2], "--as", "worker"]) == 2
    assert "no households" in capsys.readouterr().err
    monkeypatch.setenv("GRIDMAP_PASSWORD", "wrong-password")
    assert cli.main(["report", "cases", *store, "--as", "worker"]) == 2
    assert "login refused" in capsys.readouterr().err
    failures = small_store.read("login_failures")  # counted as from the command line
    assert failures[["username", "source", "failed_logins"]].values.tolist() == [
        ["worker", "cli", 1]]


def test_an_identity_provider_user_maps_to_an_account(small_store):
    accounts = small_store.read("accounts")
    who = access.principal_for_claims(accounts, {"email": "nobody@x", "sub": "worker"}, "s")
    assert (who.username, who.role, who.session) == ("worker", "worker", "s")
    assert who.worker_id == principal_of(small_store, "worker").worker_id
    assert access.principal_for_claims(accounts, {"email": "stranger@example.org"}) is None
    disabled = accounts.assign(disabled=accounts["username"] == "leader")
    assert access.principal_for_claims(disabled, {"preferred_username": "leader"}) is None


def test_every_page_is_listed_once_and_every_role_opens_known_pages():
    import pathlib

    from gridmap.access import ALL_PAGES, PAGES
    files = {p.stem for p in pathlib.Path("pages").glob("*.py") if p.stem != "__init__"}
    assert set(ALL_PAGES) == files and len(ALL_PAGES) == len(set(ALL_PAGES))
    for role, pages in PAGES.items():
        assert set(pages) <= set(ALL_PAGES), role
        assert len(pages) == len(set(pages)), role  # each once, in the role's nav order
    assert PAGES["chief"][0] == "workload"  # a chief lands on their team's workload
    assert PAGES["worker"][0] == "households"  # a worker lands on their households
