"""The store as one principal may use it: every read filtered to their area and masked
for their role, every write checked and audited.

Pages get a ``GuardedStore`` for the logged-in account, never the raw store, so what a
role may see is decided here, whichever page (or URL, or export) asks.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

import pandas as pd

from gridmap import privacy, schema
from gridmap._errors import GridmapError, NotFoundError
from gridmap.access import FULL, MASKED, PERSONAL_COLUMNS, Principal, allowed_grids
from gridmap.store import Area, Store

ADMIN_LAYERS = ("accounts", "audit", "login_failures", "tokens")
_BY_HOUSEHOLD = ("household_helpers", "visits", "tier_changes", "cases", "needs",
                 "assessments")


class AccessDenied(GridmapError):
    """A principal asked for something their role or area does not allow."""


class GuardedStore(Store):
    """``store`` as ``principal`` may see and change it."""

    def __init__(self, store: Store, principal: Principal) -> None:
        self.inner, self.principal = store, principal
        self.url = f"{store.url}#as={principal.key}"
        self._memo: tuple[str, dict] | None = None

    # -- what this principal covers ------------------------------------------------
    def _scope(self) -> dict:
        """Allowed grid, household, case and need ids (None = all), per store version."""
        version = self.inner.version()
        if self._memo and self._memo[0] == version:
            return self._memo[1]
        p, inner = self.principal, self.inner
        grids = allowed_grids(p, inner.read("grids", columns=[
            "grid_id", "community_id", "street_id", "district_id"]),
            inner.read("workers"), inner.read("assignments"))
        scope = {"grids": grids, "households": None, "cases": None, "needs": None}
        if grids is not None:
            households = inner.read("households", columns=["household_id", "grid_id"])
            ids = set(households.loc[households["grid_id"].isin(grids), "household_id"])
            if p.role in ("worker", "chief") and p.worker_id:  # individually assigned (帮包)
                helpers = inner.read("household_helpers")
                ids |= set(helpers.loc[helpers["worker_id"] == p.worker_id, "household_id"])
            scope["households"] = ids
            cases = inner.read("cases", columns=["case_id", "household_id"])
            needs = inner.read("needs", columns=["need_id", "household_id"])
            scope["cases"] = set(cases.loc[cases["household_id"].isin(ids), "case_id"])
            scope["needs"] = set(needs.loc[needs["household_id"].isin(ids), "need_id"])
        self._memo = (version, scope)
        return scope

    def covers_needs(self, households: pd.Series) -> pd.Series:
        ids = self._scope()["households"]
        return households.isin(ids) if ids is not None else pd.Series(True, households.index)

    def covers_household(self, household_id: str) -> bool:
        ids = self._scope()["households"]
        return ids is None or household_id in ids

    # -- reading -------------------------------------------------------------------
    def read(self, layer: str, *, area: Area | None = None,
             columns: list[str] | None = None) -> pd.DataFrame:
        p = self.principal
        if layer in ADMIN_LAYERS and p.role != "admin":
            frame = schema.empty(layer)
            return frame[columns] if columns else frame
        frame = self.inner.read(layer, area=area)
        scope = self._scope()
        grids, households = scope["grids"], scope["households"]
        if p.role == "helper":
            frame = self._for_helper(layer, frame)
        elif layer in ("grids", "assignments") and grids is not None:
            frame = frame[frame["grid_id"].isin(grids)]
        elif layer in ("households", *_BY_HOUSEHOLD) and households is not None:
            frame = frame[frame["household_id"].isin(households)]
        elif layer in ("case_events", "need_events") and households is not None:
            kind = layer.split("_")[0]
            frame = frame[frame[f"{kind}_id"].isin(scope[f"{kind}s"])]
        elif layer == "areas" and grids is not None:
            known = self.inner.read("grids").query("grid_id in @grids")
            ids = set(known["district_id"]) | set(known["street_id"]) | set(
                known["community_id"])
            frame = frame[frame["area_id"].isin(ids)]
        elif layer == "workers" and grids is not None:
            assignments = self.inner.read("assignments")
            helpers = self.inner.read("household_helpers")
            ids = (set(assignments.loc[assignments["grid_id"].isin(grids), "worker_id"])
                   | set(helpers.loc[helpers["household_id"].isin(households), "worker_id"])
                   | {p.worker_id})
            frame = frame[frame["worker_id"].isin(ids)]
        elif layer == "reassignments" and p.role not in ("admin", "chief"):
            frame = frame.iloc[0:0]
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

    # -- writing: checked, then audited ----------------------------------------------
    def _allow(self, write: str, household_id: str | None = None) -> None:
        if not self.principal.may(write):
            raise AccessDenied(f"{self.principal.role} may not {write.replace('_', ' ')}")
        if household_id is not None and not self.covers_household(household_id):
            raise AccessDenied(f"household {household_id} is outside your area")

    def audit(self, action: str, target: str | None = None, **detail) -> None:
        """Record who did what (views of details, exports of personal data, changes)."""
        self.inner.append_audit([{
            "at": pd.Timestamp.now().floor("s"), "username": self.principal.username,
            "session": self.principal.session, "action": action, "target": target,
            "detail": json.dumps(detail, ensure_ascii=False, default=str) if detail
            else None}])

    def append_visit(self, *, household_id: str, **fields) -> str:
        self._allow("append_visit", household_id)
        visit_id = self.inner.append_visit(household_id=household_id, **fields)
        self.audit("append_visit", household_id, visit_id=visit_id)
        return visit_id

    def change_tier(self, household_id: str, to_tier: str, **fields) -> None:
        self._allow("change_tier", household_id)
        self.inner.change_tier(household_id, to_tier, **fields)
        self.audit("change_tier", household_id, to_tier=to_tier)

    def report_case(self, *, household: Mapping | None = None, **fields) -> str:
        if household is not None:
            self._allow("report_case")
            grids = self._scope()["grids"]
            if grids is not None and household.get("grid_id") not in grids:
                raise AccessDenied(f"grid {household.get('grid_id')} is outside your area")
        else:
            self._allow("report_case", fields.get("household_id"))
        case_id = self.inner.report_case(household=household, **fields)
        self.audit("report_case", case_id)
        return case_id

    def _case_household(self, case_id: str) -> str:
        cases = self.inner.read("cases", columns=["case_id", "household_id"])
        found = cases.loc[cases["case_id"] == case_id, "household_id"]
        if found.empty:
            raise NotFoundError(f"no case {case_id!r}")
        return found.iloc[0]

    def advance_case(self, case_id: str, to_stage: str, **fields) -> None:
        self._allow("advance_case", self._case_household(case_id))
        self.inner.advance_case(case_id, to_stage, **fields)
        self.audit("advance_case", case_id, to_stage=to_stage)

    def post_need(self, **fields) -> str:
        self._allow("post_need", fields.get("household_id"))
        need_id = self.inner.post_need(**fields)
        self.audit("post_need", need_id)
        return need_id

    def advance_need(self, need_id: str, to_stage: str, **fields) -> None:
        needs = self.inner.read("needs", columns=["need_id", "household_id", "stage"])
        found = needs[needs["need_id"] == need_id]
        if found.empty:
            raise NotFoundError(f"no need {need_id!r}")
        if self.principal.role == "helper":
            self._allow("advance_need")
            if to_stage != "claimed":
                raise AccessDenied("a helper may claim a need, nothing more")
        else:
            self._allow("advance_need", found["household_id"].iloc[0])
        self.inner.advance_need(need_id, to_stage, **fields)
        self.audit("advance_need", need_id, to_stage=to_stage)

    def save_assessments(self, rows: pd.DataFrame) -> int:
        self._allow("save_assessments")
        outside = [h for h in rows["household_id"] if not self.covers_household(h)]
        if outside:
            raise AccessDenied(f"household {outside[0]} is outside your area")
        n = self.inner.save_assessments(rows)
        self.audit("save_assessments", None, households=len(rows))
        return n

    def reassign(self, moves: pd.DataFrame, *, scope: str, accepted_by: str,
                 accepted_at: datetime | None = None) -> int:
        self._allow("reassign")
        grids = self._scope()["grids"]
        for move in moves.itertuples(index=False):
            inside = (move.id in grids if move.kind == "grid" and grids is not None
                      else move.kind == "grid" or self.covers_household(move.id))
            if not inside:
                raise AccessDenied(f"{move.kind} {move.id} is outside your area")
        n = self.inner.reassign(moves, scope=scope, accepted_by=accepted_by,
                                accepted_at=accepted_at)
        self.audit("reassign", scope, moves=n)
        return n

    def create_token(self, name: str, role: str) -> str:
        self._allow("create_token")
        token = self.inner.create_token(name, role)
        self.audit("create_token", name, role=role)
        return token

    def revoke_token(self, name: str) -> None:
        self._allow("revoke_token")
        self.inner.revoke_token(name)
        self.audit("revoke_token", name)

    def create_account(self, username: str, role: str, password: str, **fields) -> None:
        self._allow("create_account")
        self.inner.create_account(username, role, password, **fields)
        self.audit("create_account", username, role=role)

    def import_rows(self, frames, *, source: str, by: str, progress=None) -> str:
        self._allow("import_rows")
        import_id = self.inner.import_rows(frames, source=source, by=by, progress=progress)
        self.audit("import", import_id, file=source)
        return import_id

    def undo_import(self, import_id: str) -> None:
        self._allow("undo_import")
        self.inner.undo_import(import_id)
        self.audit("undo_import", import_id)

    def set_login_state(self, username: str, **fields) -> None:
        raise AccessDenied("login state is kept by the login itself")

    def append_audit(self, rows: list[dict]) -> None:
        raise AccessDenied("the audit log is written by the store's guard only")

    # -- the rest passes through -------------------------------------------------------
    def exists(self) -> bool:
        return self.inner.exists()

    def init(self, frames=None, *, overwrite: bool = False) -> None:
        raise AccessDenied("only the command line may initialise a store")

    def replace(self, frames) -> None:
        raise AccessDenied("only the command line may replace layers")

    def version(self) -> str:
        return self.inner.version()
