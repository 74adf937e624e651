"""The storage interface every backend implements, and the writes it offers.

A backend implements seven things: ``exists``, ``init``, ``upgrade``, ``read``,
``replace``, ``version`` and ``transaction`` (one unit of work). Every small write is a
function of its aggregate that takes a transaction (``visits``, ``casework``,
``assessments``, ``assignments``, ``accounts``, ``imports``); the methods below run one
such function in a transaction of its own, so ``store.append_visit(...)`` is one commit.
The guard runs the same functions, with the audit row, in one transaction.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING

import pandas as pd

from gridmap.store import accounts, assessments, assignments, casework, imports, visits
from gridmap.store import alerts as alert_writes
from gridmap.store import services as service_writes
from gridmap.store.membership import Area

if TYPE_CHECKING:
    from gridmap.policy import Policy
    from gridmap.store.sql import Transaction


class Store(ABC):
    """What pages and the CLI may do with the data."""

    url: str

    # -- the interface a backend implements ------------------------------------------
    @abstractmethod
    def exists(self) -> bool:
        """True when the store holds gridmap's schema, of any version. Only answers:
        an older store is brought up to date by ``upgrade``, never here."""

    @abstractmethod
    def init(self, frames: Mapping[str, pd.DataFrame] | None = None, *,
             overwrite: bool = False) -> None:
        """Create the full schema at this version, empty or filled with ``frames``, all
        or nothing. Refuses to replace an existing store unless ``overwrite``."""

    @abstractmethod
    def upgrade(self) -> list[str]:
        """Bring a store made by an earlier gridmap to this schema version, step by
        step (``gridmap.store.upgrades``), each all or nothing; returns the steps done
        (none for a store that is current). Until then, reads and writes refuse it."""

    @abstractmethod
    def read(self, layer: str, *, area: Area | None = None,
             columns: list[str] | None = None) -> pd.DataFrame:
        """One layer as a (Geo)DataFrame with schema types, limited to ``area``."""

    @abstractmethod
    def replace(self, frames: Mapping[str, pd.DataFrame]) -> None:
        """Replace whole layers, all or nothing."""

    @abstractmethod
    def version(self) -> str:
        """A token that changes whenever the data changes (for caches)."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Transaction]:
        """A unit of work: the writes made with it commit together when the block ends,
        or none does if it raises."""

    def meta(self) -> dict[str, str]:
        """The ``meta`` table as a dict."""
        frame = self.read("meta")
        return dict(zip(frame["key"], frame["value"], strict=True))

    # -- writes, each in a transaction of its own --------------------------------------
    def _run(self, write, *args, **kwargs):
        with self.transaction() as tx:
            return write(tx, *args, **kwargs)

    def append_visit(self, **fields) -> str:
        """Record one visit (``visits.append_visit``); returns its id."""
        return self._run(visits.append_visit, **fields)

    def change_tier(self, household_id: str, to_tier: str, *, reason: str, changed_by: str,
                    changed_at: datetime | None = None) -> None:
        """Change a household's tier and write its ``tier_changes`` row, together."""
        self._run(visits.change_tier, household_id, to_tier, reason=reason,
                  changed_by=changed_by, changed_at=changed_at)

    def report_case(self, *, household: Mapping | None = None, policy: Policy | None = None,
                    **fields) -> str:
        """Record a new case, registering ``household`` first if given
        (``casework.report_case``); returns its id."""
        return self._run(casework.report_case, household=household, policy=policy, **fields)

    def advance_case(self, case_id: str, to_stage: str, **fields) -> None:
        """Move a case on and keep the event (``casework.advance_case``)."""
        self._run(casework.advance_case, case_id, to_stage, **fields)

    def post_need(self, **fields) -> str:
        """Record a new need (``casework.post_need``); returns its id."""
        return self._run(casework.post_need, **fields)

    def advance_need(self, need_id: str, to_stage: str, **fields) -> None:
        """Move a need on and keep the event (``casework.advance_need``)."""
        self._run(casework.advance_need, need_id, to_stage, **fields)

    def save_assessments(self, rows: pd.DataFrame) -> int:
        """Append assessments, all or nothing; returns how many."""
        return self._run(assessments.save_assessments, rows)

    def reassign(self, moves: pd.DataFrame, *, scope: str, accepted_by: str,
                 accepted_at: datetime | None = None) -> int:
        """Apply accepted rebalancing moves (``assignments.reassign``); returns how many."""
        return self._run(assignments.reassign, moves, scope=scope, accepted_by=accepted_by,
                         accepted_at=accepted_at)

    def create_token(self, name: str, role: str) -> str:
        """A new device token (``accounts.create_token``), shown once."""
        return self._run(accounts.create_token, name, role)

    def revoke_token(self, name: str) -> None:
        self._run(accounts.revoke_token, name)

    def create_account(self, username: str, role: str, password: str, *,
                       scope: str | None = None, worker_id: str | None = None) -> None:
        self._run(accounts.create_account, username, role, password, scope=scope,
                  worker_id=worker_id)

    # account management (/admin): each returns what changed, for the audit
    def set_password(self, username: str, password: str) -> dict:
        return self._run(accounts.set_password, username, password)

    def set_disabled(self, username: str, disabled: bool) -> dict:
        return self._run(accounts.set_disabled, username, disabled)

    def change_account(self, username: str, *, role: str, scope: str | None,
                       worker_id: str | None) -> dict:
        return self._run(accounts.change_account, username, role=role, scope=scope,
                         worker_id=worker_id)

    def set_login_state(self, username: str, *, source: str, failed_logins: int,
                        locked_until: datetime | None) -> None:
        self._run(accounts.set_login_state, username, source=source,
                  failed_logins=failed_logins, locked_until=locked_until)

    def append_audit(self, rows: list[dict]) -> None:
        self._run(accounts.append_audit, rows)

    def import_rows(self, frames: Mapping[str, pd.DataFrame], *, source: str, by: str,
                    progress=None) -> str:
        """Upsert rows by key, all or nothing, keeping what they replaced
        (``imports.import_rows``); returns the import's id."""
        prepared, current = imports.prepare(self, frames)
        return self._run(imports.import_rows, prepared, current, source=source, by=by,
                         progress=progress)

    # data matching (大数据比对): feeds, alerts, retention (``alerts``)
    def save_feed(self, prepared: alert_writes.PreparedFeed) -> str:
        """Write a matched feed, its new rows and alerts together; returns its id."""
        return self._run(alert_writes.save_feed, prepared)

    def advance_alert(self, alert_id: str, to_stage: str, **fields) -> None:
        """Move an alert on with its visit, tier change or case (``alerts.advance_alert``)."""
        self._run(alert_writes.advance_alert, alert_id, to_stage, **fields)

    def purge_feed_rows(self, *, retention_days: int, today) -> int:
        """Delete raw feed rows past retention (the alerts stay); returns how many."""
        return self._run(alert_writes.purge_feed_rows, retention_days=retention_days,
                         today=today)

    def undo_import(self, import_id: str) -> None:
        """Take an import back: rows it added removed, rows it changed restored."""
        self._run(imports.undo_import, import_id)

    # services (物质+服务): ``gridmap.store.services``
    def save_providers(self, rows: pd.DataFrame) -> int:
        return self._run(service_writes.save_providers, rows)

    def grant_entitlement(self, **fields) -> str:
        """Grant a household a service by hand; returns the entitlement's id."""
        return self._run(service_writes.grant_entitlement, **fields)

    def save_entitlements(self, rows: pd.DataFrame) -> int:
        """Add entitlements granted by the assessment's rule; returns how many were new."""
        return self._run(service_writes.save_entitlements, rows)

    def record_service(self, **fields) -> str:
        """Record one service delivered; returns its id. Orders it fills close their
        case or deliver their need (``casework.record_service``)."""
        return self._run(casework.record_service, **fields)

