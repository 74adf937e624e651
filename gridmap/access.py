"""Who may see what: accounts, roles and their areas, and the tokens that log a device
in unattended.

Roles (``schema.ROLES``): ``admin`` everything; ``leader`` aggregates and household
lists in their area with personal fields masked; ``chief`` their team's households in
full, and rebalancing; ``worker`` their own grids' households in full, visits and
cases; ``screen`` aggregates only; ``helper`` open needs without personal data.

A token is a long random string (``secrets.token_urlsafe``, 256 bits) put in a
screen's URL; the store keeps only its SHA-256, so a copy of the store does not
give the token away. A token grants one role from ``schema.TOKEN_ROLES``
(``screen``: aggregates only) and nothing more.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

import pandas as pd

from gridmap import schema
from gridmap.places import Area

TOKEN_BYTES = 32


def new_token() -> str:
    """A fresh token (43 URL-safe characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def role_for_token(tokens: pd.DataFrame, token: str | None) -> str | None:
    """The role ``token`` grants (``None`` if unknown, revoked or empty)."""
    if not token or len(token) < 20:
        return None
    digest = token_hash(token)
    live = tokens[tokens["revoked_at"].isna()]
    for stored, role in zip(live["token_sha256"], live["role"], strict=True):
        if hmac.compare_digest(stored, digest):
            return role
    return None


# -- accounts and roles ------------------------------------------------------------

# What each role's household records look like to it.
FULL, MASKED, NONE = "full", "masked", "none"
HOUSEHOLD_ACCESS = {"admin": FULL, "chief": FULL, "worker": FULL, "leader": MASKED,
                    "screen": NONE, "helper": NONE}
# Every page (its file pages/NAME.py and url path /NAME), and the pages each role may
# open, in that role's navigation order: the first is where it lands after the login.
ALL_PAGES = ("households", "overview", "map", "coverage", "hotspots", "cases", "needs",
             "workload", "screen", "admin", "import", "assessment")
PAGES = {
    "admin": ("overview", "map", "coverage", "households", "hotspots", "cases", "needs",
              "workload", "screen", "admin", "import", "assessment"),
    "leader": ("overview", "map", "coverage", "hotspots", "cases", "needs", "workload",
               "screen", "assessment"),
    # A chief's daily job first: their team's load and its rebalancing (issue 19).
    "chief": ("workload", "overview", "map", "coverage", "households", "hotspots", "cases",
              "needs", "assessment"),
    # A worker's daily job first: their households by what is due, and the visit (#19).
    "worker": ("households", "overview", "map", "coverage", "cases", "needs", "assessment"),
    "screen": ("screen",),
    "helper": ("needs",),
}
# The writes each role may make (Store method names).
WRITES = {
    "admin": {"append_visit", "change_tier", "report_case", "advance_case", "post_need",
              "advance_need", "save_assessments", "reassign", "create_token",
              "revoke_token", "create_account", "import_rows", "undo_import"},
    "chief": {"append_visit", "change_tier", "report_case", "advance_case", "post_need",
              "advance_need", "save_assessments", "reassign"},
    "worker": {"append_visit", "change_tier", "report_case", "advance_case", "post_need",
               "advance_need", "save_assessments"},
    "leader": set(), "screen": set(), "helper": {"advance_need"},
}
PERSONAL_COLUMNS = {"households": ("head_name", "id_number", "phone", "address"),
                    "cases": ("description",), "assessments": ("answers",)}
# Services (issue 21): workers record services delivered, chiefs grant them by hand;
# who delivered a service, notes and the reason for a grant are personal.
SERVICE_WRITES = {"admin": {"record_service", "grant_entitlement", "save_entitlements",
                            "save_providers"},
                  "chief": {"record_service", "grant_entitlement", "save_entitlements"},
                  "worker": {"record_service"}}
for _role, _writes in SERVICE_WRITES.items():
    WRITES[_role] = WRITES[_role] | _writes
PERSONAL_COLUMNS.update({"entitlements": ("person", "reason"),
                         "service_records": ("delivered_by", "note")})
# Data matching (issue 20): the admin imports feeds (and sees them, nobody else does);
# workers and chiefs work the alerts of their households and grids; /alerts for the
# roles that see alerts (the screen shows their counts only).
ALERT_WRITES = {"admin": {"save_feed", "advance_alert", "purge_feed_rows"},
                "chief": {"advance_alert"}, "worker": {"advance_alert"}}
for _role, _writes in ALERT_WRITES.items():
    WRITES[_role] = WRITES[_role] | _writes
ALL_PAGES = (*ALL_PAGES, "alerts")
for _role in ("admin", "leader", "chief", "worker"):
    PAGES[_role] = (*PAGES[_role], "alerts")
# Services (issue 21): /services for the roles that see households; the leader's lists
# masked; the screen shows the month's hours as an aggregate, helpers see none of it.
ALL_PAGES = (*ALL_PAGES, "services")
for _role in ("admin", "leader", "chief", "worker"):
    PAGES[_role] = (*PAGES[_role], "services")


@dataclass(frozen=True)
class Principal:
    """Who is asking: an account (or a screen token) with its role and area."""

    username: str
    role: str
    scope: str | None = None  # LEVEL:ID, or None for the whole city
    worker_id: str | None = None
    session: str | None = None

    @property
    def key(self) -> str:
        """Everything that decides what this principal sees (cache keys use it)."""
        return f"{self.username}|{self.role}|{self.scope or ''}|{self.worker_id or ''}"

    @property
    def households(self) -> str:
        return HOUSEHOLD_ACCESS[self.role]

    @property
    def lists_households(self) -> bool:
        """Whether this role may see households one by one (a ledger, a list); the screen
        and helpers see aggregates and needs only."""
        return self.households != NONE

    def may_open(self, page: str) -> bool:
        return page in PAGES[self.role]

    def may(self, write: str) -> bool:
        return write in WRITES[self.role]



def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """An argon2id hash with a random salt (``salt`` only for reproducible demo data)."""
    from argon2 import PasswordHasher, Type
    from argon2.low_level import hash_secret
    if len(password or "") < 8:
        from gridmap.errors import ValidationError
        raise ValidationError("a password needs at least 8 characters", column="password")
    hasher = PasswordHasher()
    if salt is None:
        return hasher.hash(password)
    return hash_secret(password.encode(), salt, time_cost=hasher.time_cost,
                       memory_cost=hasher.memory_cost, parallelism=hasher.parallelism,
                       hash_len=hasher.hash_len, type=Type.ID).decode()


def password_matches(password_hash: str, password: str) -> bool:
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError
    try:
        return PasswordHasher().verify(password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False


def allowed_grids(principal: Principal, grids: pd.DataFrame, workers: pd.DataFrame,
                  assignments: pd.DataFrame) -> set[str] | None:
    """The grids whose households ``principal`` may see; ``None`` means every grid."""
    ids = None
    if principal.scope:
        area = Area.parse(principal.scope)
        ids = set(grids.loc[grids[schema.LEVEL_COLUMN[area.level]] == area.id, "grid_id"])
    if principal.role in ("chief", "worker"):
        team = {principal.worker_id}
        if principal.role == "chief":
            team |= set(workers.loc[workers["chief_id"] == principal.worker_id, "worker_id"])
        mine = set(assignments.loc[assignments["worker_id"].isin(team), "grid_id"])
        ids = mine if ids is None else ids & mine
    return ids


class LoginRefused(Exception):
    """A login that did not succeed; ``reason`` is ``wrong``, ``locked`` (with ``until``)
    or ``disabled``."""

    def __init__(self, reason: str, until=None) -> None:
        super().__init__(reason)
        self.reason, self.until = reason, until


UNKNOWN_SOURCE = "unknown"  # a client whose address the server does not see


def authenticate(store, username: str, password: str, policy, *, source: str | None,
                 session: str | None = None, now: pd.Timestamp | None = None) -> Principal:
    """The principal for a correct user name and password, else ``LoginRefused``.

    Wrong passwords in a row are counted per user name and ``source`` (the client's
    address, or ``cli``): at the policy's ``max_failures`` the name is locked from that
    source for ``lock_minutes``, and from there only, so nobody can lock an account out
    from elsewhere. A refusal does not tell whether the name is an account: names that
    are none are counted and locked alike, and every attempt checks one argon2 hash (a
    dummy one for them). So ``wrong`` is the answer to any wrong password, ``disabled``
    only to the right one, and ``locked`` to any password while the name is locked from
    this source: were it told only to the right one, guesses during a lock would still
    tell the right password from wrong ones.
    """
    now = pd.Timestamp(now or pd.Timestamp.now()).floor("s")
    name, source = (username or "").strip(), source or UNKNOWN_SOURCE
    accounts = store.read("accounts")
    found = accounts[accounts["username"] == name]
    row = found.iloc[0] if len(found) else None
    matches = password_matches(_DUMMY_HASH if row is None else row["password_hash"], password)
    what = ("unknown" if row is None else "wrong password" if not matches
            else "disabled" if bool(row["disabled"]) else None)
    state = store.read("login_failures")
    state = state[(state["username"] == name) & (state["source"] == source)]
    failures = int(state["failed_logins"].iloc[0]) if len(state) else 0
    until = state["locked_until"].iloc[0] if len(state) else pd.NaT
    if pd.notna(until) and until > now:
        _audit(store, name, session, "login_refused", source=source, reason=what or "locked",
               locked_until=until)
        raise LoginRefused("locked", until)
    if what in ("unknown", "wrong password"):
        failures += 1
        lock = (now + pd.Timedelta(minutes=policy.accounts.lock_minutes)
                if failures >= policy.accounts.max_failures else None)
        store.set_login_state(name, source=source, failed_logins=0 if lock else failures,
                              locked_until=lock)
        _audit(store, name, session, "login_refused", source=source, reason=what,
               locked_until=lock)
        raise LoginRefused("locked" if lock else "wrong", lock)
    if len(state):
        store.set_login_state(name, source=source, failed_logins=0, locked_until=None)
    if what == "disabled":
        _audit(store, name, session, "login_refused", source=source, reason=what)
        raise LoginRefused("disabled")
    _audit(store, name, session, "login", source=source)

    def text(value) -> str | None:
        return value if isinstance(value, str) and value else None
    return Principal(row["username"], row["role"], text(row["scope"]), text(row["worker_id"]),
                     session)


def _audit(store, username: str, session: str | None, action: str, **detail) -> None:
    """A login's audit row; ``detail`` (as JSON) says what really happened, from where."""
    store.append_audit([{"at": pd.Timestamp.now().floor("s"), "username": username,
                         "session": session, "action": action, "target": None,
                         "detail": json.dumps({k: v for k, v in detail.items()
                                               if v is not None},
                                              ensure_ascii=False, default=str)}])


_DUMMY_HASH = ("$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$"
               "8yWlUhtDXyKjNlYnO6o0rKyqZXQ0X4ESCBc1Ivc2Jxk")


def principal_for_claims(accounts: pd.DataFrame, claims: dict,
                         session: str | None = None) -> Principal | None:
    """The account an identity provider's user maps to (OIDC through ``st.login``): the
    account whose user name is the user's e-mail, preferred user name or subject.
    ``None`` when no enabled account matches: the provider proves who someone is, the
    account says what they may see."""
    for claim in ("email", "preferred_username", "sub"):
        value = claims.get(claim)
        found = accounts[accounts["username"] == value] if value else accounts.iloc[0:0]
        if len(found) and not bool(found["disabled"].iloc[0]):
            row = found.iloc[0]

            def text(v) -> str | None:
                return v if isinstance(v, str) and v else None
            return Principal(row["username"], row["role"], text(row["scope"]),
                             text(row["worker_id"]), session)
    return None
