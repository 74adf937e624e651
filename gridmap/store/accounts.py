"""Writes of who may log in and what they did: device tokens, accounts, login state and
the audit log. These are bookkeeping: they leave the data version alone. Each takes the
transaction it runs in; the guard writes its audit row in the transaction of the write
it audits."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

import pandas as pd

from gridmap import access, schema
from gridmap.errors import NotFoundError, ValidationError
from gridmap.store.membership import Area

if TYPE_CHECKING:
    from gridmap.store.sql import Transaction


def create_token(tx: Transaction, name: str, role: str) -> str:
    """A new token for a device named ``name``; returns the token (shown once; only its
    hash is stored)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError("a token needs a name", column="name")
    if role not in schema.TOKEN_ROLES:
        raise ValidationError(f"a token grants only {', '.join(schema.TOKEN_ROLES)}, "
                              f"not {role!r}", column="role")
    token = access.new_token()
    if tx.has("tokens", "name", name):
        raise ValidationError(f"a token named {name!r} exists; revoke it or pick another "
                              "name", column="name")
    tx.insert("tokens", {
        "name": name, "role": role, "token_sha256": access.token_hash(token),
        "created_at": pd.Timestamp.now().floor("s"), "revoked_at": None})
    return token


def revoke_token(tx: Transaction, name: str) -> None:
    """Revoke the token named ``name`` from now on."""
    done = tx.execute("UPDATE tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                      (tx.value("datetime", pd.Timestamp.now()), name))
    if done.rowcount == 0:
        raise NotFoundError(f"no valid token named {name!r}")


def create_account(tx: Transaction, username: str, role: str, password: str, *,
                   scope: str | None = None, worker_id: str | None = None) -> None:
    """A new account (the password is stored as an argon2id hash)."""
    username = (username or "").strip()
    if not username:
        raise ValidationError("an account needs a user name", column="username")
    role, scope = _role(role), _scope(tx, scope)
    row = {"username": username, "role": role, "scope": scope,
           "worker_id": worker_id or None, "password_hash": access.hash_password(password),
           "created_at": pd.Timestamp.now().floor("s"), "disabled": False}
    if tx.has("accounts", "username", username):
        raise ValidationError(f"an account {username!r} exists", column="username")
    if worker_id and not tx.has("workers", "worker_id", worker_id):
        raise NotFoundError(f"no worker {worker_id!r}")
    tx.insert("accounts", row)


def _scope(tx: Transaction, scope: str | None) -> str | None:
    """``LEVEL:ID`` checked: a known area or grid (``None``/empty: the whole city)."""
    if not scope:
        return None
    area = Area.parse(scope)
    layer, column = ("grids", "grid_id") if area.level == "grid" else ("areas", "area_id")
    if not tx.has(layer, column, area.id):
        raise NotFoundError(f"no {area.level} {area.id}")
    return str(area)


def _role(role: str) -> str:
    if role not in schema.ROLES:
        raise ValidationError(f"{role!r} is not one of {', '.join(schema.ROLES)}",
                              column="role")
    return role


def set_password(tx: Transaction, username: str, password: str) -> dict:
    """A new password for ``username`` (argon2id hash); returns what changed, in words
    for the audit (never the hash)."""
    row = tx.row("accounts", "username", username)
    tx.update("accounts", "username", row, {"password_hash": access.hash_password(password)})
    return {"password": "reset"}


def set_disabled(tx: Transaction, username: str, disabled: bool) -> dict:
    """Lock (``disabled``) or unlock an account; returns what changed."""
    row = tx.row("accounts", "username", username)
    if bool(row["disabled"]) == bool(disabled):
        return {}
    tx.update("accounts", "username", row, {"disabled": bool(disabled)})
    return {"disabled": [bool(row["disabled"]), bool(disabled)]}


def change_account(tx: Transaction, username: str, *, role: str, scope: str | None,
                   worker_id: str | None) -> dict:
    """Set an account's role, area and worker; returns what changed as
    ``{column: [before, after]}``."""
    row = tx.row("accounts", "username", username)
    if worker_id and not tx.has("workers", "worker_id", worker_id):
        raise NotFoundError(f"no worker {worker_id!r}")
    after = {"role": _role(role), "scope": _scope(tx, scope), "worker_id": worker_id or None}

    def text(value):
        return value if isinstance(value, str) and value else None
    changed = {k: [text(row[k]), v] for k, v in after.items() if text(row[k]) != v}
    if changed:
        tx.update("accounts", "username", row, {k: v for k, (_, v) in changed.items()})
    return changed


def set_login_state(tx: Transaction, username: str, *, source: str, failed_logins: int,
                    locked_until: datetime | None) -> None:
    """Record wrong passwords in a row for a user name from a source, and any lock (none
    of either: the row goes)."""
    tx.execute("DELETE FROM login_failures WHERE username = ? AND source = ?",
               (username, source))
    if failed_logins or locked_until is not None:
        tx.insert("login_failures", {
            "username": username, "source": source, "failed_logins": failed_logins,
            "locked_until": locked_until})


def append_audit(tx: Transaction, rows: list[dict]) -> None:
    """Append audit rows (``audit`` columns)."""
    for row in rows:
        tx.insert("audit", row)


def audit_row(username: str, session: str | None, action: str, target: str | None = None,
              **detail) -> dict:
    """One audit row, now: who, from which session, did what to what (``detail`` as
    JSON)."""
    return {"at": pd.Timestamp.now().floor("s"), "username": username, "session": session,
            "action": action, "target": target,
            "detail": json.dumps(detail, ensure_ascii=False, default=str) if detail else None}
