"""What the two SQL backends share: reading a layer (its columns, its area), the unit of
work every write runs in (``Transaction``), and the explicit, versioned upgrade.

A backend (``geopackage``, ``postgis``) supplies how it reads a SELECT, writes whole
layers, opens a transaction, and binds and reads back a geometry.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping

import geopandas as gpd
import pandas as pd
import shapely

from gridmap import schema
from gridmap.errors import NotFoundError, StoreError
from gridmap.store import upgrades
from gridmap.store.base import Store
from gridmap.store.membership import Area, where
from gridmap.store.values import DATE, DATETIME, sql_value

log = logging.getLogger(__name__)
_UPGRADING = threading.Lock()


class Transaction:
    """One unit of work: a connection between BEGIN and COMMIT (ROLLBACK when anything
    inside raises), with the SQL the write functions share. Statements take ``?``
    placeholders on every backend. Write functions (``visits``, ``casework``,
    ``accounts``, ...) take one, so several writes, an audit row among them, commit or
    fail together."""

    lock = ""  # appended to a SELECT whose rows must be held until commit
    geom_placeholder = "?"
    geom_select = "geom"
    chunk = 50_000  # rows per executemany when reporting progress

    def __init__(self, con) -> None:
        self.con = con

    value = staticmethod(sql_value)  # one value as it is bound

    def execute(self, sql: str, params=()):
        return self.con.execute(sql, tuple(params))

    def executemany(self, sql: str, rows):
        return self.con.executemany(sql, rows)

    # -- geometry, as this backend binds and returns it ------------------------------
    def geom_param(self, geometry: shapely.Geometry):
        raise NotImplementedError

    def geom_params(self, geometries) -> list:
        return [self.geom_param(g) for g in geometries]

    def geometry(self, value) -> shapely.Geometry:
        raise NotImplementedError

    # -- rows ----------------------------------------------------------------------------
    def has(self, layer: str, column: str, value) -> bool:
        """Whether ``layer`` holds a row whose ``column`` is ``value``."""
        return self.execute(f'SELECT 1 FROM {layer} WHERE "{column}" = ?',
                            (value,)).fetchone() is not None

    def row(self, layer: str, key: str, value: str) -> dict:
        """The row of ``layer`` whose ``key`` is ``value``, with schema types."""
        names = schema.LAYERS[layer].column_names
        cols = ", ".join(f'"{n}"' for n in names)
        found = self.execute(f"SELECT {cols} FROM {layer} WHERE {key} = ?", (value,)).fetchone()
        if found is None:
            raise NotFoundError(f"no {layer[:-1]} {value!r}")
        frame = schema.conform(layer, pd.DataFrame([dict(zip(names, found, strict=True))]))
        return frame.iloc[0].to_dict()

    def insert(self, layer: str, row: dict, *, point: shapely.Point | None = None) -> None:
        """One row, checked against the schema."""
        spec = schema.LAYERS[layer]
        frame = pd.DataFrame([row])
        if spec.geometry:
            frame = gpd.GeoDataFrame(frame, geometry=[point], crs=schema.CRS)
        frame = schema.conform(layer, frame)
        schema.validate(layer, frame)
        names = spec.column_names
        values = [sql_value(spec.column(n).kind, frame[n].iloc[0]) for n in names]
        marks = ["?"] * len(names)
        if spec.geometry:
            names, values = [*names, "geom"], [*values, self.geom_param(point)]
            marks.append(self.geom_placeholder)
        cols = ", ".join(f'"{n}"' for n in names)
        self.execute(f"INSERT INTO {layer} ({cols}) VALUES ({', '.join(marks)})", values)

    def update(self, layer: str, key: str, row: dict, changes: dict) -> None:
        """Change some columns of ``row`` (as read), checking the row as it will be."""
        spec = schema.LAYERS[layer]
        merged = schema.conform(layer, pd.DataFrame([{**row, **changes}]))
        schema.validate(layer, merged)
        values = [sql_value(spec.column(n).kind, merged[n].iloc[0]) for n in changes]
        sets = ", ".join(f'"{n}" = ?' for n in changes)
        self.execute(f"UPDATE {layer} SET {sets} WHERE {key} = ?", (*values, row[key]))

    def columns(self, layer: str, frame: pd.DataFrame) -> list[list]:
        """Each column's values ready to bind (geometry last), vectorised."""
        spec = schema.LAYERS[layer]
        out = []
        for c in spec.columns:
            values = frame[c.name]
            if c.kind == "datetime":
                col = values.dt.strftime(DATETIME)
            elif c.kind == "date":
                col = values.dt.strftime(DATE)
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
            out.append(self.geom_params(frame.geometry.values))
        return out

    def insert_many(self, layer: str, frame: pd.DataFrame, report=None,
                    chunk: int | None = None) -> None:
        """Many rows (already conformed and validated); with ``report``, large frames go
        in chunks, saying how far they got."""
        chunk = chunk or self.chunk
        if frame.empty:
            return
        if report and len(frame) > chunk:
            for start in range(0, len(frame), chunk):
                Transaction.insert_many(self, layer, frame.iloc[start:start + chunk])
                done = min(start + chunk, len(frame))
                report(done / len(frame), f"wrote {done:,} of {len(frame):,} {layer}")
            return
        spec = schema.LAYERS[layer]
        names = list(spec.column_names)
        marks = ["?"] * len(names)
        if spec.geometry:
            names.append("geom")
            marks.append(self.geom_placeholder)
        cols = ", ".join(f'"{n}"' for n in names)
        rows = list(zip(*self.columns(layer, frame), strict=True))
        self.executemany(f"INSERT INTO {layer} ({cols}) VALUES ({', '.join(marks)})", rows)


def select(layer: str, area: Area | None, columns: list[str] | None,
           geom_select: str) -> tuple[schema.Layer, list[str], str]:
    """(spec, columns, SQL) of a read: the columns asked for, checked, the geometry as
    the backend returns it (``geom_select``), and the area's rows only."""
    if layer not in schema.LAYERS:
        raise StoreError(f"unknown layer {layer!r}")
    spec = schema.LAYERS[layer]
    wanted = columns or spec.column_names
    unknown = set(wanted) - set(spec.column_names)
    if unknown:
        raise StoreError(f"layer {layer} has no columns {sorted(unknown)}")
    sql = "SELECT " + ", ".join(f'"{c}"' for c in wanted)
    if spec.geometry:
        sql += f", {geom_select}"
    sql += f" FROM {layer}"
    condition = where(layer, area) if area else None
    if condition:
        sql += f" WHERE {condition}"
    return spec, wanted, sql


def stamped(meta: pd.DataFrame | None, version: str = schema.SCHEMA_VERSION) -> pd.DataFrame:
    """``meta`` with its ``schema_version`` set: the store keeps that key itself."""
    meta = meta if meta is not None else schema.empty("meta")
    rest = meta[meta["key"] != "schema_version"]
    return pd.concat([pd.DataFrame({"key": ["schema_version"], "value": [str(version)]}),
                      rest[["key", "value"]]], ignore_index=True)


class SqlStore(Store):
    """A store in SQL tables. A backend supplies ``_probe`` (its tables and recorded
    schema version), ``_fetch`` (run a SELECT into a frame), ``_migrate`` (write whole
    layers at once, for an upgrade), ``_identity`` and ``transaction``."""

    geom_select = "geom"
    _label = ""  # the store as error messages name it
    _arg: str | None = None  # ... and as --store takes it (default: _label)
    _checked = None  # the _identity() last found at this schema version

    # -- what the backend supplies ---------------------------------------------------
    def _probe(self) -> tuple[set[str], str | None]:
        """The tables present, and ``meta``'s schema_version (None if it has none)."""
        raise NotImplementedError

    def _fetch(self, spec: schema.Layer, columns: list[str], sql: str) -> pd.DataFrame:
        raise NotImplementedError

    def _migrate(self, frames: Mapping[str, pd.DataFrame]) -> None:
        """Write whole layers, all or nothing, and (re)install the data version."""
        raise NotImplementedError

    def _identity(self):
        """What the version check is remembered for (a GeoPackage: the file itself)."""
        return True

    # -- the schema version ----------------------------------------------------------
    def exists(self) -> bool:
        tables, _ = self._probe()
        return {"meta", "households"} <= tables

    def schema_version(self) -> int | None:
        """The schema version this store was made or upgraded to (``None``: not a
        store). Stores from before versions were counted say 1."""
        tables, recorded = self._probe()
        if not {"meta", "households"} <= tables:
            return None
        try:
            return int(recorded) if recorded is not None else 1
        except ValueError:
            raise StoreError(f"{self._label} records schema version {recorded!r}") from None

    def _require(self) -> None:
        """Refuse a store that is none, or not at this gridmap's schema version."""
        identity = self._identity()
        if identity is not None and identity == self._checked:
            return
        found, current = self.schema_version(), int(schema.SCHEMA_VERSION)
        where = self._arg or self._label
        if found is None:
            raise StoreError(f"{self._label} is not a gridmap store; run `python -m gridmap "
                             f"init --store {where}` or `... demo`")
        if found < current:
            raise StoreError(f"{self._label} has schema version {found}, this gridmap needs "
                             f"{current}: run `python -m gridmap upgrade --store {where}` "
                             "(the app upgrades it when it starts)")
        if found > current:
            raise StoreError(f"{self._label} has schema version {found}, newer than this "
                             f"gridmap's {current}: update gridmap")
        self._checked = identity

    def upgrade(self) -> list[str]:
        identity = self._identity()
        if identity is not None and identity == self._checked:  # current already
            return []
        with _UPGRADING:  # sessions starting together upgrade once
            found, current = self.schema_version(), int(schema.SCHEMA_VERSION)
            if found is None or found > current:
                self._require()  # says why not
            done = []
            for step in upgrades.STEPS:
                if step.version <= found:
                    continue
                frames = dict(step.apply(self))
                frames["meta"] = stamped(self._fetch(*select("meta", None, None,
                                                             self.geom_select)),
                                         str(step.version))
                self._migrate(frames)
                log.info("upgraded %s to schema version %s: %s", self._label, step.version,
                         step.doc)
                done.append(f"{step.version}: {step.doc}")
            self._require()
        return done

    def layers(self) -> set[str]:
        """The layers this store holds (an older one may lack some)."""
        return self._probe()[0] & set(schema.LAYERS)

    # -- reading -----------------------------------------------------------------------
    def read(self, layer: str, *, area: Area | None = None,
             columns: list[str] | None = None) -> pd.DataFrame:
        spec, wanted, sql = select(layer, area, columns, self.geom_select)
        self._require()
        return self._fetch(spec, wanted, sql)
