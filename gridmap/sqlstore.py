"""The store's interface and the SQL its two backends share.

``Store`` is what pages and the CLI use (through ``open_store`` in ``gridmap.store``);
``SqlStore`` holds every small write as one transaction and the area filters, for the
GeoPackage (``gridmap.geopackage``) and PostGIS (``gridmap.postgis``) backends.

All writes are transactional: a failed write leaves the store as it was.
"""

from __future__ import annotations

import json
import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridmap import access, schema, stages
from gridmap._errors import NotFoundError, StoreError, ValidationError
from gridmap._synthetic import aliases
from gridmap.policy import Policy, load_policy


@dataclass(frozen=True)
class Area:
    """A place to filter by: a district, street, community or grid, by id."""

    level: str
    id: str

    def __post_init__(self) -> None:
        if self.level not in schema.LEVELS:
            raise ValidationError(f"unknown level {self.level!r}; use one of {schema.LEVELS}")

    @classmethod
    def parse(cls, text: str) -> Area:
        """``'community:321102001001'`` -> ``Area('community', '321102001001')``."""
        level, sep, area_id = text.partition(":")
        if not sep or not area_id:
            raise ValidationError(f"{text!r} is not LEVEL:ID (e.g. street:321102001)")
        return cls(level, area_id)

    def __str__(self) -> str:
        return f"{self.level}:{self.id}"


class Store(ABC):
    """What pages and the CLI may do with the data."""

    url: str

    @abstractmethod
    def exists(self) -> bool:
        """True when the store holds gridmap's schema."""

    @abstractmethod
    def init(self, frames: Mapping[str, pd.DataFrame] | None = None, *,
             overwrite: bool = False) -> None:
        """Create the full schema, empty or filled with ``frames``, all or nothing.

        Refuses to replace an existing store unless ``overwrite``.
        """

    @abstractmethod
    def read(self, layer: str, *, area: Area | None = None,
             columns: list[str] | None = None) -> pd.DataFrame:
        """One layer as a (Geo)DataFrame with schema types, limited to ``area``."""

    @abstractmethod
    def replace(self, frames: Mapping[str, pd.DataFrame]) -> None:
        """Replace whole layers, all or nothing."""

    @abstractmethod
    def append_visit(self, *, household_id: str, worker_id: str, visited_at: datetime,
                     method: str, note: str | None = None, found_difficulty: bool = False,
                     visit_id: str | None = None) -> str:
        """Record one visit; returns its id."""

    @abstractmethod
    def change_tier(self, household_id: str, to_tier: str, *, reason: str, changed_by: str,
                    changed_at: datetime | None = None) -> None:
        """Change a household's tier and write its ``tier_changes`` row, together."""

    @abstractmethod
    def report_case(self, *, household: Mapping | None = None, policy: Policy | None = None,
                    **fields) -> str:
        """Record a new case (``stages.new_case`` fields); returns its id.

        ``household`` creates the household first, in the same transaction, for a
        person not yet registered: ``head_name, id_number, phone, address, grid_id,
        tier, categories, members`` and optionally ``lon, lat`` (else it is placed at
        its grid's representative point and flagged approximate).
        """

    @abstractmethod
    def advance_case(self, case_id: str, to_stage: str, *, tier: str | None = None,
                     tier_reason: str | None = None, **fields) -> None:
        """Move a case on (``stages.advance_case``) and keep the event, together.

        With ``tier`` (on assessment), the household's tier changes in the same
        transaction. For ``followed_up`` without ``visit``, the first visit to the
        household after closing is used.
        """

    @abstractmethod
    def post_need(self, **fields) -> str:
        """Record a new need (``stages.new_need`` fields); returns its id."""

    @abstractmethod
    def advance_need(self, need_id: str, to_stage: str, **fields) -> None:
        """Move a need on (``stages.advance_need``) and keep the event, together."""

    @abstractmethod
    def save_assessments(self, rows: pd.DataFrame) -> int:
        """Append assessments (``assessments`` columns), all or nothing; returns how many."""

    @abstractmethod
    def reassign(self, moves: pd.DataFrame, *, scope: str, accepted_by: str,
                 accepted_at: datetime | None = None) -> int:
        """Apply accepted rebalancing moves (``kind, id, from, to``), all or nothing.

        A grid move makes ``to`` the grid's primary worker (``from`` leaves it); a
        household move makes ``to`` responsible for it (an individual assignment,
        removed when ``to`` is its grid's primary worker after the grid moves). Every
        ``from`` must still hold: a proposal made on data that has changed since is
        refused. Each move is logged in ``reassignments``; returns how many."""

    @abstractmethod
    def create_token(self, name: str, role: str) -> str:
        """A new token for a device named ``name``; returns the token (shown once; only
        its hash is stored)."""

    @abstractmethod
    def revoke_token(self, name: str) -> None:
        """Revoke the token named ``name`` from now on."""

    @abstractmethod
    def create_account(self, username: str, role: str, password: str, *,
                       scope: str | None = None, worker_id: str | None = None) -> None:
        """A new account (the password is stored as an argon2id hash)."""

    @abstractmethod
    def set_login_state(self, username: str, *, source: str, failed_logins: int,
                        locked_until: datetime | None) -> None:
        """Record wrong passwords in a row for a user name from a source, and any lock
        (none of either: the row goes)."""

    @abstractmethod
    def append_audit(self, rows: list[dict]) -> None:
        """Append audit rows (``audit`` columns)."""

    @abstractmethod
    def import_rows(self, frames: Mapping[str, pd.DataFrame], *, source: str, by: str,
                    progress=None) -> str:
        """Upsert rows by key into their layers, all or nothing, keeping what they
        replaced; returns the import's id. Unchanged rows are left alone, so the same
        file imported twice changes nothing the second time."""

    @abstractmethod
    def undo_import(self, import_id: str) -> None:
        """Take an import back: rows it added removed, rows it changed restored."""

    @abstractmethod
    def version(self) -> str:
        """A token that changes whenever the data changes (for caches)."""

    def meta(self) -> dict[str, str]:
        """The ``meta`` table as a dict."""
        frame = self.read("meta")
        return dict(zip(frame["key"], frame["value"], strict=True))


def _quote(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _new_id(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def _sql_value(kind: str, value):
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if kind == "datetime":
        return pd.Timestamp(value).strftime("%Y-%m-%dT%H:%M:%S")
    if kind == "date":
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    if kind == "bool":
        return bool(value)
    if kind == "int":
        return int(value)  # numpy ints would be bound as 8-byte blobs
    if kind == "float":
        return float(value)
    return str(value)



class SqlStore(Store):
    """What the SQL backends share: area filters and every small write as one
    transaction. A backend supplies ``_transaction`` (a connection whose ``execute``
    takes ``?`` placeholders) and how a geometry is bound and read back."""

    _lock = ""  # appended to a SELECT that must hold the row until commit
    _geom_placeholder = "?"
    _geom_select = "geom"

    @staticmethod
    def _geom_param(point: shapely.Point):
        raise NotImplementedError

    @staticmethod
    def _to_geometry(value):
        raise NotImplementedError

    def _transaction(self):
        raise NotImplementedError

    def _where(self, layer: str, area: Area) -> str | None:
        a = _quote(area.id)
        grids = f"SELECT grid_id FROM grids WHERE {schema.LEVEL_COLUMN[area.level]} = {a}"
        households = f"SELECT household_id FROM households WHERE grid_id IN ({grids})"
        if layer == "areas":
            if area.level == "grid":
                return "0"
            return (f"area_id = {a} OR parent_id = {a} OR parent_id IN "
                    f"(SELECT area_id FROM areas WHERE parent_id = {a})")
        if layer == "grids":
            return f"{schema.LEVEL_COLUMN[area.level]} = {a}"
        if layer in ("households", "assignments"):
            return f"grid_id IN ({grids})"
        if layer in ("household_helpers", "visits", "tier_changes", "cases", "needs",
                     "assessments"):
            return f"household_id IN ({households})"
        if layer in ("case_events", "need_events"):
            kind = layer.split("_")[0]
            return (f"{kind}_id IN (SELECT {kind}_id FROM {kind}s "
                    f"WHERE household_id IN ({households}))")
        if layer == "workers":
            return (f"worker_id IN (SELECT worker_id FROM assignments WHERE grid_id IN ({grids})) "
                    f"OR worker_id IN (SELECT worker_id FROM household_helpers "
                    f"WHERE household_id IN ({households}))")
        return None

    def _select(self, layer: str, area: Area | None, columns: list[str] | None):
        """(spec, columns, SQL) of a read: the columns asked for, checked, the geometry
        as this backend returns it, and the area filter."""
        if layer not in schema.LAYERS:
            raise StoreError(f"unknown layer {layer!r}")
        self._require()
        spec = schema.LAYERS[layer]
        wanted = columns or spec.column_names
        unknown = set(wanted) - set(spec.column_names)
        if unknown:
            raise StoreError(f"layer {layer} has no columns {sorted(unknown)}")
        select = ", ".join(f'"{c}"' for c in wanted)
        if spec.geometry:
            select += f", {self._geom_select}"
        sql = f"SELECT {select} FROM {layer}"
        where = self._where(layer, area) if area else None
        if where:
            sql += f" WHERE {where}"
        return spec, wanted, sql

    # -- small writes: one transaction each ---------------------------------
    def _insert(self, con, layer: str, row: dict, *,
                point: shapely.Point | None = None) -> None:
        spec = schema.LAYERS[layer]
        frame = pd.DataFrame([row])
        if spec.geometry:
            frame = gpd.GeoDataFrame(frame, geometry=[point], crs=schema.CRS)
        frame = schema.conform(layer, frame)
        schema.validate(layer, frame)
        names = spec.column_names
        values = [_sql_value(spec.column(n).kind, frame[n].iloc[0]) for n in names]
        marks = ["?"] * len(names)
        if spec.geometry:
            names, values = [*names, "geom"], [*values, self._geom_param(point)]
            marks.append(self._geom_placeholder)
        cols = ", ".join(f'"{n}"' for n in names)
        con.execute(f"INSERT INTO {layer} ({cols}) VALUES ({', '.join(marks)})", values)

    def _household_tier(self, con, household_id: str) -> str:
        row = con.execute(f"SELECT tier FROM households WHERE household_id = ?{self._lock}",
                          (household_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no household {household_id!r}")
        return row[0]

    def append_visit(self, *, household_id: str, worker_id: str, visited_at: datetime,
                     method: str, note: str | None = None, found_difficulty: bool = False,
                     visit_id: str | None = None) -> str:
        visit_id = visit_id or _new_id("V")
        with self._transaction() as con:
            self._household_tier(con, household_id)
            if con.execute("SELECT 1 FROM workers WHERE worker_id = ?",
                           (worker_id,)).fetchone() is None:
                raise NotFoundError(f"no worker {worker_id!r}")
            self._insert(con, "visits", {
                "visit_id": visit_id, "household_id": household_id, "worker_id": worker_id,
                "visited_at": visited_at, "method": method, "note": note or None,
                "found_difficulty": bool(found_difficulty)})
        return visit_id

    def change_tier(self, household_id: str, to_tier: str, *, reason: str, changed_by: str,
                    changed_at: datetime | None = None) -> None:
        changed_at = pd.Timestamp(changed_at or datetime.now()).floor("s")
        with self._transaction() as con:
            self._set_tier(con, household_id, to_tier, reason=reason, changed_by=changed_by,
                           changed_at=changed_at)

    def _set_tier(self, con, household_id: str, to_tier: str, *,
                  reason: str, changed_by: str, changed_at: pd.Timestamp) -> None:
        if to_tier not in schema.TIERS:
            raise ValidationError(f"{to_tier!r} is not a tier", column="tier")
        if not (reason or "").strip():
            raise ValidationError("a tier change needs a reason", column="reason")
        from_tier = self._household_tier(con, household_id)
        if from_tier == to_tier:
            raise ValidationError(f"household {household_id} is already {to_tier}",
                                  column="tier")
        con.execute("UPDATE households SET tier = ?, tier_since = ? WHERE household_id = ?",
                    (to_tier, changed_at.strftime("%Y-%m-%d"), household_id))
        self._insert(con, "tier_changes", {
            "household_id": household_id, "changed_at": changed_at,
            "from_tier": from_tier, "to_tier": to_tier, "reason": reason.strip(),
            "changed_by": changed_by})

    # -- the closed loop and needs -------------------------------------------
    def _row(self, con, layer: str, key: str, value: str) -> dict:
        names = schema.LAYERS[layer].column_names
        cols = ", ".join(f'"{n}"' for n in names)
        found = con.execute(f"SELECT {cols} FROM {layer} WHERE {key} = ?", (value,)).fetchone()
        if found is None:
            raise NotFoundError(f"no {layer[:-1]} {value!r}")
        frame = schema.conform(layer, pd.DataFrame([dict(zip(names, found, strict=True))]))
        return frame.iloc[0].to_dict()

    def _update(self, con, layer: str, key: str, row: dict,
                changes: dict) -> None:
        spec = schema.LAYERS[layer]
        merged = schema.conform(layer, pd.DataFrame([{**row, **changes}]))
        schema.validate(layer, merged)
        values = [_sql_value(spec.column(n).kind, merged[n].iloc[0]) for n in changes]
        sets = ", ".join(f'"{n}" = ?' for n in changes)
        con.execute(f"UPDATE {layer} SET {sets} WHERE {key} = ?", (*values, row[key]))

    def _new_household(self, con, fields: Mapping, at: pd.Timestamp,
                       by: str) -> str:
        grid = con.execute(f"SELECT {self._geom_select} FROM grids WHERE grid_id = ?",
                           (fields.get("grid_id"),)).fetchone()
        if grid is None:
            raise NotFoundError(f"no grid {fields.get('grid_id')!r}")
        lon, lat = fields.get("lon"), fields.get("lat")
        exact = lon is not None and lat is not None
        if not exact:
            point = self._to_geometry(grid[0]).representative_point()
            lon, lat = point.x, point.y
        taken = {a for (a,) in con.execute("SELECT alias FROM households")}
        alias = next(a for a in aliases(np.random.default_rng(), 50) if a not in taken)
        household_id = stages.new_id("H")
        row = {"household_id": household_id, "alias": alias,
               "registered_grid_id": None, "tier_since": at, "warning_level": 0,
               "location_quality": "exact" if exact else "approximate",
               **{k: fields.get(k) for k in ("head_name", "id_number", "phone", "address",
                                             "grid_id", "tier", "categories", "members")}}
        self._insert(con, "households", row, point=shapely.Point(float(lon), float(lat)))
        self._insert(con, "tier_changes", {
            "household_id": household_id, "changed_at": at, "from_tier": None,
            "to_tier": row["tier"], "reason": "registered from a case", "changed_by": by})
        return household_id

    def report_case(self, *, household: Mapping | None = None, policy: Policy | None = None,
                    **fields) -> str:
        policy = policy or load_policy()
        with self._transaction() as con:
            if household is not None:
                at = pd.Timestamp(fields.get("reported_at") or datetime.now()).floor("s")
                fields["household_id"] = self._new_household(
                    con, household, at, fields.get("reported_by") or "")
            row, event = stages.new_case(policy=policy, **fields)
            self._household_tier(con, row["household_id"])
            self._insert(con, "cases", row)
            self._insert(con, "case_events", event)
        return row["case_id"]

    def advance_case(self, case_id: str, to_stage: str, *, tier: str | None = None,
                     tier_reason: str | None = None, **fields) -> None:
        with self._transaction() as con:
            row = self._row(con, "cases", "case_id", case_id)
            if to_stage == "followed_up" and "visit" not in fields and row["stage"] == "closed":
                found = con.execute(
                    "SELECT visit_id, visited_at FROM visits WHERE household_id = ? AND "
                    "visited_at > ? ORDER BY visited_at LIMIT 1",
                    (row["household_id"], _sql_value("datetime", row["closed_at"]))).fetchone()
                fields["visit"] = dict(zip(("visit_id", "visited_at"), found,
                                           strict=True)) if found else None
            changes, event = stages.advance_case(row, to_stage, **fields)
            self._update(con, "cases", "case_id", row, changes)
            self._insert(con, "case_events", event)
            if tier is not None:
                if to_stage != "assessed":
                    raise ValidationError("a case changes a tier only when it is assessed",
                                          column="tier")
                self._set_tier(con, row["household_id"], tier,
                               reason=tier_reason or f"case {case_id} assessed",
                               changed_by=event["actor"], changed_at=event["happened_at"])

    def save_assessments(self, rows: pd.DataFrame) -> int:
        frame = schema.conform("assessments", rows)
        schema.validate("assessments", frame)
        with self._transaction() as con:
            known = {h for (h,) in con.execute("SELECT household_id FROM households")}
            unknown = ~frame["household_id"].isin(known)
            if unknown.any():
                i = int(np.flatnonzero(unknown.to_numpy())[0])
                raise ValidationError(f"no household {frame['household_id'][i]!r}",
                                      source="assessments", row=i + 1, column="household_id")
            names = schema.LAYERS["assessments"].column_names
            kinds = [schema.LAYERS["assessments"].column(n).kind for n in names]
            values = [[_sql_value(k, v) for k, v in zip(kinds, row, strict=True)]
                      for row in frame[names].itertuples(index=False)]
            cols = ", ".join(f'"{n}"' for n in names)
            con.executemany(f"INSERT INTO assessments ({cols}) VALUES "
                            f"({', '.join('?' * len(names))})", values)
        return len(frame)

    def reassign(self, moves: pd.DataFrame, *, scope: str, accepted_by: str,
                 accepted_at: datetime | None = None) -> int:
        at = pd.Timestamp(accepted_at or datetime.now()).floor("s")
        if not (accepted_by or "").strip():
            raise ValidationError("accepting a proposal needs who accepts it",
                                  column="accepted_by")
        ordered = sorted(moves.to_dict(orient="records"), key=lambda m: m["kind"] != "grid")
        with self._transaction() as con:
            def primary_of(grid_id: str) -> str | None:
                row = con.execute("SELECT worker_id FROM assignments WHERE grid_id = ? AND "
                                  "role = 'primary'", (grid_id,)).fetchone()
                return row[0] if row else None

            def holder_of(household_id: str) -> tuple[str, str | None]:
                found = con.execute(
                    "SELECT grid_id, (SELECT worker_id FROM household_helpers AS x WHERE "
                    "x.household_id = h.household_id ORDER BY since DESC LIMIT 1) "
                    "FROM households AS h WHERE household_id = ?", (household_id,)).fetchone()
                if found is None:
                    raise NotFoundError(f"no household {household_id!r}")
                return found[0], found[1] or primary_of(found[0])

            # Check every move against the data as it is now, then write.
            for n, move in enumerate(ordered, start=1):
                kind, item, old, new = move["kind"], move["id"], move["from"], move["to"]
                if kind not in schema.MOVE_KINDS:
                    raise ValidationError(f"move {n}: kind must be grid or household, not "
                                          f"{kind!r}", column="kind")
                if con.execute("SELECT 1 FROM workers WHERE worker_id = ?",
                               (new,)).fetchone() is None:
                    raise NotFoundError(f"move {n}: no worker {new!r}")
                now = primary_of(item) if kind == "grid" else holder_of(item)[1]
                if now != old:
                    raise StoreError(f"move {n}: {kind} {item} is with {now}, not {old}: the "
                                     "data changed since the proposal; propose again")
            for move in ordered:
                kind, item, old, new = move["kind"], move["id"], move["from"], move["to"]
                if kind == "grid":
                    con.execute("DELETE FROM assignments WHERE grid_id = ? AND worker_id IN "
                                "(?, ?)", (item, old, new))
                    self._insert(con, "assignments", {"worker_id": new, "grid_id": item,
                                                      "role": "primary"})
                else:
                    grid = holder_of(item)[0]
                    con.execute("DELETE FROM household_helpers WHERE household_id = ?", (item,))
                    if new != primary_of(grid):
                        self._insert(con, "household_helpers", {
                            "household_id": item, "worker_id": new, "since": at.normalize()})
                self._insert(con, "reassignments", {
                    "kind": kind, "item_id": item, "from_worker": old, "to_worker": new,
                    "scope": scope, "accepted_by": accepted_by.strip(), "accepted_at": at})
        return len(ordered)

    def _columns(self, layer: str, frame: pd.DataFrame) -> list[list]:
        """Each column's values ready to bind (geometry last), vectorised."""
        spec = schema.LAYERS[layer]
        out = []
        for c in spec.columns:
            values = frame[c.name]
            if c.kind == "datetime":
                col = values.dt.strftime("%Y-%m-%dT%H:%M:%S")
            elif c.kind == "date":
                col = values.dt.strftime("%Y-%m-%d")
            elif c.kind == "bool":
                col = values.astype(object).map(lambda v: None if v is None or v != v
                                                else bool(v))
            elif c.kind == "int":
                col = values.astype("Int64").astype(object)
                col = col.map(lambda v: None if v is pd.NA else int(v))
            elif c.kind == "float":
                col = values.astype(float)
            else:
                col = values.astype(object)
            col = col.astype(object).where(values.notna(), None)
            out.append(col.tolist())
        if spec.geometry:
            out.append(self._geom_params(frame.geometry.values))
        return out

    def _geom_params(self, geometries) -> list:
        return [self._geom_param(g) for g in geometries]

    @staticmethod
    def _row_json(layer: str, frame: pd.DataFrame) -> list[str]:
        spec = schema.LAYERS[layer]
        plain = pd.DataFrame({c: frame[c].astype(object).where(frame[c].notna(), None)
                              for c in spec.column_names})
        for c in spec.columns:
            if c.kind in ("date", "datetime"):
                plain[c.name] = frame[c.name].dt.strftime("%Y-%m-%dT%H:%M:%S").where(
                    frame[c.name].notna(), None)
        if spec.geometry:
            plain["geometry"] = shapely.to_wkb(frame.geometry.values, hex=True)
        return [json.dumps(r, ensure_ascii=False, default=str)
                for r in plain.to_dict(orient="records")]

    @staticmethod
    def _keys(layer: str, frame: pd.DataFrame) -> pd.Series:
        """Each row's key as bound in SQL (times as stored), joined by '|'."""
        spec = schema.LAYERS[layer]
        if frame.empty:
            return pd.Series([], dtype=object)
        parts = []
        for name in spec.key:
            kind = spec.column(name).kind
            values = frame[name]
            parts.append(values.dt.strftime("%Y-%m-%dT%H:%M:%S") if kind == "datetime" else
                         values.dt.strftime("%Y-%m-%d") if kind == "date" else
                         values.astype(str))
        joined = parts[0].astype(str)
        for part in parts[1:]:
            joined = joined + "|" + part.astype(str)
        return joined.reset_index(drop=True)

    _chunk = 50_000  # rows per executemany when reporting progress

    def _insert_many(self, con, layer: str, frame: pd.DataFrame, report=None,
                     chunk: int | None = None) -> None:
        chunk = chunk or self._chunk
        if frame.empty:
            return
        if report and len(frame) > chunk:  # large: in chunks, saying how far it got
            for start in range(0, len(frame), chunk):
                SqlStore._insert_many(self, con, layer, frame.iloc[start:start + chunk])
                done = min(start + chunk, len(frame))
                report(done / len(frame), f"wrote {done:,} of {len(frame):,} {layer}")
            return
        spec = schema.LAYERS[layer]
        names = list(spec.column_names)
        marks = ["?"] * len(names)
        if spec.geometry:
            names.append("geom")
            marks.append(self._geom_placeholder)
        cols = ", ".join(f'"{n}"' for n in names)
        rows = list(zip(*self._columns(layer, frame), strict=True))
        con.executemany(f"INSERT INTO {layer} ({cols}) VALUES ({', '.join(marks)})", rows)

    def import_rows(self, frames: Mapping[str, pd.DataFrame], *, source: str, by: str,
                    progress=None) -> str:
        import_id = _new_id("I")
        report = progress or (lambda fraction, message: None)
        at = pd.Timestamp.now().floor("s")
        prepared = {}
        for layer, frame in frames.items():
            frame = schema.conform(layer, frame)
            schema.validate(layer, frame)
            prepared[layer] = frame
        # What is there now, read before the write lock is taken (a GeoPackage writer
        # that spills to disk locks readers out, its own reads included).
        olds = {layer: self.read(layer) for layer, frame in prepared.items() if len(frame)}
        inserted = updated = 0
        with self._transaction() as con:
            undo = []
            for layer, frame in prepared.items():
                if frame.empty:
                    continue
                key = list(schema.LAYERS[layer].key)
                old = olds[layer]
                old_keys = self._keys(layer, old)
                new_keys = self._keys(layer, frame)
                present = new_keys.isin(set(old_keys))
                fresh = frame[~present.to_numpy()]
                before = old[old_keys.isin(set(new_keys[present])).to_numpy()]
                if len(before):  # keep only rows that really change
                    before_json = dict(zip(old_keys[old_keys.isin(set(new_keys[present]))],
                                           self._row_json(layer, before), strict=True))
                    candidates = frame[present.to_numpy()]
                    after_json = self._row_json(layer, candidates)
                    keys_c = new_keys[present].tolist()
                    changed_mask = [before_json[k] != j for k, j in
                                    zip(keys_c, after_json, strict=True)]
                    changed = candidates[changed_mask]
                    changed_keys = [k for k, m in zip(keys_c, changed_mask, strict=True) if m]
                else:
                    changed, changed_keys, before_json = frame.iloc[0:0], [], {}
                for k in changed_keys:
                    values = k.split("|")
                    where = " AND ".join(f'"{c}" = ?' for c in key)
                    con.execute(f"DELETE FROM {layer} WHERE {where}", values)
                self._insert_many(con, layer, pd.concat([fresh, changed]), report)
                added = new_keys[~present.to_numpy()].tolist()
                for start in range(0, len(added), 100_000):  # added rows: keys in batches
                    undo.append((layer, f"added:{start}", json.dumps(
                        [k.split("|") for k in added[start:start + 100_000]],
                        ensure_ascii=False)))
                undo += [(layer, json.dumps(k.split("|"), ensure_ascii=False),
                          before_json[k]) for k in changed_keys]
                inserted += len(fresh)
                updated += len(changed)
            con.executemany("INSERT INTO import_undo (import_id, layer, row_key, before) "
                            "VALUES (?, ?, ?, ?)", [(import_id, *u) for u in undo])
            self._insert(con, "imports", {
                "import_id": import_id, "file": source, "layers": ";".join(prepared),
                "inserted": inserted, "updated": updated, "imported_by": by,
                "imported_at": at, "undone_at": None})
        return import_id

    def undo_import(self, import_id: str) -> None:
        with self._transaction() as con:
            found = con.execute("SELECT undone_at FROM imports WHERE import_id = ?",
                                (import_id,)).fetchone()
            if found is None:
                raise NotFoundError(f"no import {import_id!r}")
            if found[0] is not None:
                raise ValidationError(f"import {import_id} was undone already")
            rows = con.execute("SELECT layer, row_key, before FROM import_undo WHERE "
                               "import_id = ?", (import_id,)).fetchall()
            for layer, row_key, before in rows:
                key = list(schema.LAYERS[layer].key)
                where = " AND ".join(f'"{c}" = ?' for c in key)
                if row_key.startswith("added:"):  # rows the import added: delete them all
                    con.executemany(f"DELETE FROM {layer} WHERE {where}", json.loads(before))
                    continue
                con.execute(f"DELETE FROM {layer} WHERE {where}", json.loads(row_key))
                if before is not None:
                    record = json.loads(before)
                    geometry = record.pop("geometry", None)
                    frame = pd.DataFrame([record])
                    if geometry is not None:
                        frame = gpd.GeoDataFrame(frame, geometry=[shapely.from_wkb(geometry)],
                                                 crs=schema.CRS)
                    self._insert_many(con, layer, schema.conform(layer, frame))
            con.execute("UPDATE imports SET undone_at = ? WHERE import_id = ?",
                        (_sql_value("datetime", pd.Timestamp.now()), import_id))

    def create_token(self, name: str, role: str) -> str:
        name = (name or "").strip()
        if not name:
            raise ValidationError("a token needs a name", column="name")
        if role not in schema.TOKEN_ROLES:
            raise ValidationError(f"a token grants only {', '.join(schema.TOKEN_ROLES)}, "
                                  f"not {role!r}", column="role")
        token = access.new_token()
        with self._transaction() as con:
            if con.execute("SELECT 1 FROM tokens WHERE name = ?", (name,)).fetchone():
                raise ValidationError(f"a token named {name!r} exists; revoke it or pick "
                                      "another name", column="name")
            self._insert(con, "tokens", {
                "name": name, "role": role, "token_sha256": access.token_hash(token),
                "created_at": pd.Timestamp.now().floor("s"), "revoked_at": None})
        return token

    def create_account(self, username: str, role: str, password: str, *,
                       scope: str | None = None, worker_id: str | None = None) -> None:
        username = (username or "").strip()
        if not username:
            raise ValidationError("an account needs a user name", column="username")
        if scope:
            Area.parse(scope)
        row = {"username": username, "role": role, "scope": scope or None,
               "worker_id": worker_id or None,
               "password_hash": access.hash_password(password),
               "created_at": pd.Timestamp.now().floor("s"), "disabled": False}
        with self._transaction() as con:
            if con.execute("SELECT 1 FROM accounts WHERE username = ?",
                           (username,)).fetchone():
                raise ValidationError(f"an account {username!r} exists", column="username")
            if worker_id and con.execute("SELECT 1 FROM workers WHERE worker_id = ?",
                                         (worker_id,)).fetchone() is None:
                raise NotFoundError(f"no worker {worker_id!r}")
            self._insert(con, "accounts", row)

    def set_login_state(self, username: str, *, source: str, failed_logins: int,
                        locked_until: datetime | None) -> None:
        with self._transaction() as con:
            con.execute("DELETE FROM login_failures WHERE username = ? AND source = ?",
                        (username, source))
            if failed_logins or locked_until is not None:
                self._insert(con, "login_failures", {
                    "username": username, "source": source, "failed_logins": failed_logins,
                    "locked_until": locked_until})

    def append_audit(self, rows: list[dict]) -> None:
        with self._transaction() as con:
            for row in rows:
                self._insert(con, "audit", row)

    def revoke_token(self, name: str) -> None:
        with self._transaction() as con:
            done = con.execute("UPDATE tokens SET revoked_at = ? WHERE name = ? AND "
                               "revoked_at IS NULL",
                               (pd.Timestamp.now().strftime("%Y-%m-%dT%H:%M:%S"), name))
            if done.rowcount == 0:
                raise NotFoundError(f"no valid token named {name!r}")

    def post_need(self, **fields) -> str:
        row, event = stages.new_need(**fields)
        with self._transaction() as con:
            self._household_tier(con, row["household_id"])
            self._insert(con, "needs", row)
            self._insert(con, "need_events", event)
        return row["need_id"]

    def advance_need(self, need_id: str, to_stage: str, **fields) -> None:
        with self._transaction() as con:
            row = self._row(con, "needs", "need_id", need_id)
            changes, event = stages.advance_need(row, to_stage, **fields)
            self._update(con, "needs", "need_id", row, changes)
            self._insert(con, "need_events", event)
