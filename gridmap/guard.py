"""The store as one principal may use it: every read filtered to their area and masked
for their role, every write checked and audited.

Pages get a ``GuardedStore`` for the logged-in account, never the raw store, so what a
role may see is decided here, whichever page (or URL, or export) asks. What belongs to
the principal's area is ``gridmap.store.membership``'s one definition (the store's SQL
area filter uses the same). A write and its audit row are one transaction: both are
written, or neither.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import pandas as pd

from gridmap import privacy, schema
from gridmap.access import FULL, MASKED, PERSONAL_COLUMNS, Principal
from gridmap.errors import GridmapError, NotFoundError
from gridmap.store import (
    Area,
    Store,
    accounts,
    assessments,
    assignments,
    casework,
    imports,
    membership,
    visits,
)
from gridmap.store import alerts as alert_writes
from gridmap.store import services as service_writes

ADMIN_LAYERS = ("accounts", "audit", "login_failures", "tokens", "feeds", "feed_rows")
ALERT_LAYERS = ("persons", "alerts", "alert_events")  # data matching (issue 20)


class AccessDenied(GridmapError):
    """A principal asked for something their role or area does not allow."""


class GuardedStore(Store):
    """``store`` as ``principal`` may see and change it."""

    def __init__(self, store: Store, principal: Principal) -> None:
        self.inner, self.principal = store, principal
        self.url = f"{store.url}#as={principal.key}"
        self._memo: tuple[str, membership.Reach] | None = None

    # -- what this principal covers ------------------------------------------------
    def reach(self) -> membership.Reach:
        """The ids this principal covers (``membership.of_principal``), per version."""
        version = self.inner.version()
        if self._memo and self._memo[0] == version:
            return self._memo[1]
        reach = membership.of_principal(
            self.principal, lambda layer, columns: self.inner.read(layer, columns=columns))
        self._memo = (version, reach)
        return reach

    def covers_needs(self, households: pd.Series) -> pd.Series:
        return self.reach().isin("households", households)

    def covers_household(self, household_id: str) -> bool:
        return self.reach().covers("households", household_id)

    # -- reading -------------------------------------------------------------------
    def read(self, layer: str, *, area: Area | None = None,
             columns: list[str] | None = None) -> pd.DataFrame:
        p = self.principal
        if layer in ADMIN_LAYERS and p.role != "admin":
            frame = schema.empty(layer)
            return frame[columns] if columns else frame
        frame = self.inner.read(layer, area=area)
        if p.role == "helper":
            frame = self._for_helper(layer, frame)
        elif layer in ALERT_LAYERS:
            frame = self._alert_rows(layer, frame)
        elif layer == "reassignments" and p.role not in ("admin", "chief"):
            frame = frame.iloc[0:0]
        else:
            frame = self.reach().rows(layer, frame)
        frame = self._mask(layer, frame)
        frame = frame.reset_index(drop=True)
        return frame[columns + (["geometry"] if "geometry" in frame and "geometry" not in
                                columns else [])] if columns else frame

    def _for_helper(self, layer: str, frame: pd.DataFrame) -> pd.DataFrame:
        """Helpers see open needs (and those they claimed), without the household: only
        its community (``community_id``, an extra column), to know where to go."""
        if layer == "needs":
            name = self.principal.username
            open_or_mine = (frame["stage"] == "posted") | (frame["helper"] == name)
            frame = frame[open_or_mine & self.covers_needs(frame["household_id"])]
            grid_of = self.inner.read("households", columns=["household_id", "grid_id"])
            community_of = self.inner.read("grids", columns=["grid_id", "community_id"])
            community = frame["household_id"].map(
                grid_of.set_index("household_id")["grid_id"]).map(
                community_of.set_index("grid_id")["community_id"])
            return frame.assign(household_id="", community_id=community)
        if layer in ("areas", "grids", "meta"):
            return frame
        return frame.iloc[0:0]

    # -- data matching (issue 20): persons and alerts ------------------------------------
    def covers_alerts(self, alerts: pd.DataFrame) -> pd.Series:
        """Which alerts are this principal's: on a household in reach, a lead in a grid in
        reach (or an unplaced one under a street in reach), or assigned to them."""
        reach = self.reach()
        if reach.ids is None:
            return pd.Series(True, index=alerts.index)
        mine = (reach.isin("households", alerts["household_id"])
                | (alerts["household_id"].isna() & (
                    reach.isin("grids", alerts["grid_id"])
                    | (alerts["grid_id"].isna() & reach.isin("areas", alerts["street_id"])
                       & (self.principal.role not in ("chief", "worker"))))))
        if self.principal.worker_id:
            mine |= alerts["assigned_to"] == self.principal.worker_id
        return mine.fillna(False).astype(bool)

    def _alert_rows(self, layer: str, frame: pd.DataFrame) -> pd.DataFrame:
        """Persons as households are seen; alerts of this principal's reach, amounts for
        the admin only (the rule that fired says enough), names and ID numbers masked for
        a leader, blank for the screen; none for a helper."""
        role = self.principal.role
        if role == "helper":
            return frame.iloc[0:0]
        if layer == "persons":
            frame = self.reach().rows("households", frame) if role != "screen" else \
                frame.iloc[0:0]
            if role == "leader":
                frame = frame.assign(name=frame["name"].map(privacy.mask_name),
                                     id_number=frame["id_number"].map(privacy.mask_id))
            return frame
        alerts = frame if layer == "alerts" else self.inner.read("alerts")
        alerts = alerts[self.covers_alerts(alerts).to_numpy()]
        if layer == "alert_events":
            return frame[frame["alert_id"].isin(alerts["alert_id"])]
        if role == "admin":
            return alerts
        alerts = alerts.assign(amount=float("nan"))
        if role == "leader":
            return alerts.assign(name=alerts["name"].map(privacy.mask_name),
                                 id_number=alerts["id_number"].map(privacy.mask_id))
        if role == "screen":
            return alerts.assign(name=None, id_number="", person_id=None, household_id=None,
                                 reason=None)
        return alerts

    def alert_detail(self, alert_id: str) -> tuple[dict, pd.DataFrame]:
        """One alert as this principal may see it, with its history; every view audited."""
        if not self.principal.lists_households:
            raise AccessDenied(f"the {self.principal.role} role sees alerts as counts only")
        alerts = self.read("alerts")
        found = alerts[alerts["alert_id"] == alert_id]
        if found.empty:
            raise NotFoundError(f"no alert {alert_id!r}")
        self.audit("view_alert", alert_id)
        events = self.read("alert_events")
        return found.iloc[0].to_dict(), events[events["alert_id"] == alert_id].sort_values(
            "happened_at", ignore_index=True)

    def save_feed(self, prepared) -> str:
        self._allow("save_feed")
        return self._write("import_feed", alert_writes.save_feed, prepared,
                           target=lambda feed_id: feed_id,
                           detail=lambda _: {"file": prepared.feed["file"],
                                             "source": prepared.feed["source"],
                                             "alerts": len(prepared.alerts)})

    def advance_alert(self, alert_id: str, to_stage: str, **fields) -> None:
        self._allow("advance_alert")
        alerts = self.inner.read("alerts")
        found = alerts[alerts["alert_id"] == alert_id]
        if found.empty:
            raise NotFoundError(f"no alert {alert_id!r}")
        if not self.covers_alerts(found).iloc[0]:
            raise AccessDenied(f"alert {alert_id} is outside your area")
        if to_stage == "assigned" and self.principal.role not in ("admin", "chief"):
            raise AccessDenied("a chief or the admin assigns alerts")
        if fields.get("household") is not None:  # a lead registered: in a grid in reach
            grids = self.reach()["grids"]
            grid = {**found.iloc[0].to_dict(), **fields["household"]}.get("grid_id")
            if grids is not None and grid not in grids:
                raise AccessDenied(f"grid {grid} is outside your area")
        fields.setdefault("actor", self.principal.username)
        self._write("advance_alert", alert_writes.advance_alert, alert_id, to_stage,
                    target=alert_id, detail=lambda _: {"to_stage": to_stage}, **fields)

    def purge_feed_rows(self, *, retention_days: int, today) -> int:
        self._allow("purge_feed_rows")
        return self._write("purge_feed_rows", alert_writes.purge_feed_rows,
                           retention_days=retention_days, today=today,
                           detail=lambda n: {"rows": n, "retention_days": retention_days})

    def _mask(self, layer: str, frame: pd.DataFrame) -> pd.DataFrame:
        access = self.principal.households
        if access == FULL or layer not in PERSONAL_COLUMNS or frame.empty:
            return frame
        if access == MASKED:
            if layer == "households":
                return privacy.masked(frame)
            return frame.assign(**{c: "***" for c in PERSONAL_COLUMNS[layer]})
        # No household access (screen): aggregates only, nothing that names anyone.
        blank = dict.fromkeys(PERSONAL_COLUMNS[layer], "")
        if layer == "households":
            blank["alias"] = ""
        return frame.assign(**blank)

    # -- writing: checked, then written with its audit row in one transaction --------
    def _allow(self, write: str, household_id: str | None = None) -> None:
        if not self.principal.may(write):
            raise AccessDenied(f"{self.principal.role} may not {write.replace('_', ' ')}")
        if household_id is not None and not self.covers_household(household_id):
            raise AccessDenied(f"household {household_id} is outside your area")

    def _audit_row(self, action: str, target: str | None = None, **detail) -> dict:
        return accounts.audit_row(self.principal.username, self.principal.session, action,
                                   target, **detail)

    def audit(self, action: str, target: str | None = None, **detail) -> None:
        """Record who did what (views of details, exports of personal data)."""
        with self.inner.transaction() as tx:
            accounts.append_audit(tx, [self._audit_row(action, target, **detail)])

    def _write(self, action: str, write, *args, target=None, detail=None, **kwargs):
        """``write(tx, *args, **kwargs)`` and its audit row, in one transaction of the
        inner store. ``target`` and ``detail`` make the row from the write's result."""
        with self.inner.transaction() as tx:
            result = write(tx, *args, **kwargs)
            accounts.append_audit(tx, [self._audit_row(
                action, target(result) if callable(target) else target,
                **(detail(result) if detail else {}))])
        return result

    def transaction(self):
        raise AccessDenied("writes go through the guard's checked methods")

    def append_visit(self, *, household_id: str, **fields) -> str:
        self._allow("append_visit", household_id)
        return self._write("append_visit", visits.append_visit, household_id=household_id,
                           target=household_id, detail=lambda v: {"visit_id": v}, **fields)

    def change_tier(self, household_id: str, to_tier: str, **fields) -> None:
        self._allow("change_tier", household_id)
        self._write("change_tier", visits.change_tier, household_id, to_tier,
                    target=household_id, detail=lambda _: {"to_tier": to_tier}, **fields)

    def report_case(self, *, household: Mapping | None = None, **fields) -> str:
        if household is not None:
            self._allow("report_case")
            grids = self.reach()["grids"]
            if grids is not None and household.get("grid_id") not in grids:
                raise AccessDenied(f"grid {household.get('grid_id')} is outside your area")
        else:
            self._allow("report_case", fields.get("household_id"))
        return self._write("report_case", casework.report_case, household=household,
                           target=lambda case_id: case_id, **fields)

    def _case_household(self, case_id: str) -> str:
        cases = self.inner.read("cases", columns=["case_id", "household_id"])
        found = cases.loc[cases["case_id"] == case_id, "household_id"]
        if found.empty:
            raise NotFoundError(f"no case {case_id!r}")
        return found.iloc[0]

    def advance_case(self, case_id: str, to_stage: str, **fields) -> None:
        self._allow("advance_case", self._case_household(case_id))
        self._write("advance_case", casework.advance_case, case_id, to_stage,
                    target=case_id, detail=lambda _: {"to_stage": to_stage}, **fields)

    def post_need(self, **fields) -> str:
        self._allow("post_need", fields.get("household_id"))
        return self._write("post_need", casework.post_need, target=lambda need_id: need_id,
                           **fields)

    def advance_need(self, need_id: str, to_stage: str, **fields) -> None:
        needs = self.inner.read("needs", columns=["need_id", "household_id", "stage"])
        found = needs[needs["need_id"] == need_id]
        if found.empty:
            raise NotFoundError(f"no need {need_id!r}")
        if self.principal.role == "helper":
            self._allow("advance_need")
            if to_stage != "claimed" or fields.get("order") is not None:
                raise AccessDenied("a helper may claim a need, nothing more")
            # A helper claims as themselves: the claimant is the logged-in account.
            fields.update(helper=self.principal.username, actor=self.principal.username,
                          helper_kind=fields.get("helper_kind") or "volunteer")
        else:
            self._allow("advance_need", found["household_id"].iloc[0])
        self._write("advance_need", casework.advance_need, need_id, to_stage,
                    target=need_id, detail=lambda _: {"to_stage": to_stage}, **fields)

    def save_assessments(self, rows: pd.DataFrame) -> int:
        self._allow("save_assessments")
        outside = [h for h in rows["household_id"] if not self.covers_household(h)]
        if outside:
            raise AccessDenied(f"household {outside[0]} is outside your area")
        return self._write("save_assessments", assessments.save_assessments, rows,
                           detail=lambda _: {"households": len(rows)})

    def reassign(self, moves: pd.DataFrame, *, scope: str, accepted_by: str,
                 accepted_at: datetime | None = None) -> int:
        self._allow("reassign")
        grids = self.reach()["grids"]
        for move in moves.itertuples(index=False):
            inside = (move.id in grids if move.kind == "grid" and grids is not None
                      else move.kind == "grid" or self.covers_household(move.id))
            if not inside:
                raise AccessDenied(f"{move.kind} {move.id} is outside your area")
        return self._write("reassign", assignments.reassign, moves, scope=scope,
                           accepted_by=accepted_by, accepted_at=accepted_at, target=scope,
                           detail=lambda n: {"moves": n})

    def create_token(self, name: str, role: str) -> str:
        self._allow("create_token")
        return self._write("create_token", accounts.create_token, name, role, target=name,
                           detail=lambda _: {"role": role})

    def revoke_token(self, name: str) -> None:
        self._allow("revoke_token")
        self._write("revoke_token", accounts.revoke_token, name, target=name)

    def create_account(self, username: str, role: str, password: str, **fields) -> None:
        self._allow("create_account")
        self._write("create_account", accounts.create_account, username, role, password,
                    target=username, detail=lambda _: {"role": role, **{
                        k: v for k, v in fields.items() if v}}, **fields)

    # account management (/admin): the audit row says what changed, never a password
    def _not_self(self, username: str, what: str) -> None:
        if username == self.principal.username:
            raise AccessDenied(f"you may not {what} your own account")

    def set_password(self, username: str, password: str) -> dict:
        self._allow("create_account")
        return self._write("reset_password", accounts.set_password, username, password,
                           target=username)

    def set_disabled(self, username: str, disabled: bool) -> dict:
        self._allow("create_account")
        self._not_self(username, "lock")
        return self._write("lock_account" if disabled else "unlock_account",
                           accounts.set_disabled, username, disabled, target=username,
                           detail=lambda changed: changed)

    def change_account(self, username: str, *, role: str, scope: str | None,
                       worker_id: str | None) -> dict:
        self._allow("create_account")
        self._not_self(username, "change the role of")
        return self._write("change_account", accounts.change_account, username, role=role,
                           scope=scope, worker_id=worker_id, target=username,
                           detail=lambda changed: changed)

    def import_rows(self, frames, *, source: str, by: str, progress=None) -> str:
        self._allow("import_rows")
        prepared, current = imports.prepare(self.inner, frames)
        return self._write("import", imports.import_rows, prepared, current, source=source,
                           by=by, progress=progress, target=lambda import_id: import_id,
                           detail=lambda _: {"file": source})

    def undo_import(self, import_id: str) -> None:
        self._allow("undo_import")
        self._write("undo_import", imports.undo_import, import_id, target=import_id)

    # services (issue 21): a record or a grant, checked and audited like a visit
    def record_service(self, *, household_id: str, **fields) -> str:
        self._allow("record_service", household_id)
        return self._write("record_service", casework.record_service,
                           household_id=household_id, target=household_id,
                           detail=lambda r: {"record_id": r,
                                             "service_id": fields.get("service_id")},
                           **fields)

    def grant_entitlement(self, *, household_id: str, **fields) -> str:
        self._allow("grant_entitlement", household_id)
        return self._write("grant_entitlement", service_writes.grant_entitlement,
                           household_id=household_id, target=household_id,
                           detail=lambda e: {"entitlement_id": e,
                                             "service_id": fields.get("service_id"),
                                             "amount": fields.get("amount")}, **fields)

    def save_entitlements(self, rows: pd.DataFrame) -> int:
        self._allow("save_entitlements")
        outside = [h for h in rows["household_id"] if not self.covers_household(h)]
        if outside:
            raise AccessDenied(f"household {outside[0]} is outside your area")
        return self._write("save_entitlements", service_writes.save_entitlements, rows,
                           detail=lambda n: {"entitlements": n})

    def save_providers(self, rows: pd.DataFrame) -> int:
        self._allow("save_providers")
        return self._write("save_providers", service_writes.save_providers, rows,
                           detail=lambda n: {"providers": n})

    def set_login_state(self, username: str, **fields) -> None:
        raise AccessDenied("login state is kept by the login itself")

    def append_audit(self, rows: list[dict]) -> None:
        raise AccessDenied("the audit log is written by the store's guard only")

    # -- the rest passes through -------------------------------------------------------
    def exists(self) -> bool:
        return self.inner.exists()

    def init(self, frames=None, *, overwrite: bool = False) -> None:
        raise AccessDenied("only the command line may initialise a store")

    def upgrade(self) -> list[str]:
        raise AccessDenied("only the command line or the app's start may upgrade a store")

    def replace(self, frames) -> None:
        raise AccessDenied("only the command line may replace layers")

    def version(self) -> str:
        return self.inner.version()
