"""The server store: PostgreSQL + PostGIS behind the same interface as the GeoPackage.

Chosen by a URL (``GRIDMAP_STORE=postgresql://user:password@host/db``). Every layer is
a table of the same name with typed columns and, for spatial layers, a ``geom``
column in EPSG:4326 with a GiST index. Bulk writes (``init``, ``replace``) happen in
one transaction, so readers see the old data or the new, never half. Small writes run
the same write functions as the GeoPackage's; rows they change are locked
(``SELECT ... FOR UPDATE``), so concurrent tier changes queue instead of overwriting
each other.
"""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Iterator, Mapping

import numpy as np
import pandas as pd
import shapely

from gridmap import schema
from gridmap.errors import StoreError
from gridmap.store.sql import SqlStore, Transaction, stamped

_TYPES = {"str": "TEXT", "int": "BIGINT", "float": "DOUBLE PRECISION", "bool": "BOOLEAN",
          "date": "DATE", "datetime": "TIMESTAMP"}
_INDEXED = ("household_id", "grid_id", "worker_id", "case_id", "need_id", "community_id",
            "street_id", "district_id", "parent_id",
            "id_number", "feed_id", "alert_id")  # data matching (issue 20)
_VERSION = schema.VERSION_TABLE
# The data version: statement triggers on every data layer bump it, whoever writes.
_BUMP_FUNCTION = f"""CREATE OR REPLACE FUNCTION gridmap_bump() RETURNS trigger
LANGUAGE plpgsql AS $$ BEGIN UPDATE {_VERSION} SET n = n + 1; RETURN NULL; END $$"""


def _bump_trigger(layer: str) -> str:
    return (f"CREATE TRIGGER gridmap_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "
            f"{layer} FOR EACH STATEMENT EXECUTE FUNCTION gridmap_bump()")


class PostGISTransaction(Transaction):
    """psycopg's, with the ``?`` placeholders the shared SQL uses; geometries as WKB;
    rows read to be changed are locked until commit."""

    lock = " FOR UPDATE"
    geom_placeholder = "ST_GeomFromWKB(?, 4326)"
    geom_select = "ST_AsBinary(geom)"

    def execute(self, sql: str, params=()):
        return self.con.execute(sql.replace("?", "%s"), tuple(params))

    def executemany(self, sql: str, rows):
        cursor = self.con.cursor()
        cursor.executemany(sql.replace("?", "%s"), rows)
        return cursor

    def geom_param(self, geometry: shapely.Geometry):
        return shapely.to_wkb(geometry)

    def geometry(self, value) -> shapely.Geometry:
        return shapely.from_wkb(bytes(value))


class PostGISStore(SqlStore):
    """The store in a PostgreSQL database with PostGIS."""

    geom_select = "ST_AsBinary(geom)"

    def __init__(self, url: str) -> None:
        self.url = url
        self._local = threading.local()
        self._label = self._safe_url
        self._arg = "URL"

    # -- connections -----------------------------------------------------------------
    def _connection(self):
        """One autocommit connection per thread (Streamlit serves sessions in threads)."""
        import psycopg
        con = getattr(self._local, "con", None)
        if con is None or con.closed:
            try:
                con = psycopg.connect(self.url, autocommit=True)
            except psycopg.OperationalError as exc:
                raise StoreError(f"cannot connect to {self._safe_url}: {exc}") from None
            self._local.con = con
        return con

    @property
    def _safe_url(self) -> str:
        from urllib.parse import urlsplit
        parts = urlsplit(self.url)
        return parts._replace(netloc=parts.hostname or "").geturl()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[PostGISTransaction]:
        self._require()
        con = self._connection()
        with con.transaction():
            yield PostGISTransaction(con)

    # -- what the store is -----------------------------------------------------------
    def _tables(self) -> set[str]:
        rows = self._connection().execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = "
            "current_schema()").fetchall()
        return {r[0] for r in rows}

    def _probe(self) -> tuple[set[str], str | None]:
        tables = self._tables()
        found = self._connection().execute(
            "SELECT value FROM meta WHERE key = 'schema_version'").fetchone() if (
            "meta" in tables) else None
        return tables, found[0] if found else None

    # -- reading -----------------------------------------------------------------------
    def _fetch(self, spec: schema.Layer, columns: list[str], sql: str) -> pd.DataFrame:
        import geopandas as gpd
        rows = self._connection().execute(sql).fetchall()
        names = [*columns, "geom"] if spec.geometry else columns
        frame = pd.DataFrame.from_records(rows, columns=names)
        if spec.geometry:
            geometry = shapely.from_wkb([bytes(g) if g is not None else None
                                         for g in frame.pop("geom")])
            frame = gpd.GeoDataFrame(frame, geometry=geometry, crs=schema.CRS)
        for column in spec.columns:
            if column.name in frame and column.kind == "date":
                frame[column.name] = pd.to_datetime(frame[column.name])
        return schema.conform(spec.name, frame, columns=columns)

    def version(self) -> str:
        row = self._connection().execute(f"SELECT n FROM {_VERSION}").fetchone()
        return f"pg:{row[0]}"

    # -- bulk writes: one transaction ----------------------------------------------------
    def init(self, frames: Mapping[str, pd.DataFrame] | None = None, *,
             overwrite: bool = False) -> None:
        if self._tables() & set(schema.LAYERS) and not overwrite:
            raise StoreError(f"{self._safe_url} holds a store; refusing to overwrite it")
        full = {name: schema.empty(name) for name in schema.LAYERS}
        full.update(frames or {})
        full["meta"] = stamped(full["meta"])
        self._write(full)

    def replace(self, frames: Mapping[str, pd.DataFrame]) -> None:
        self._require()
        frames = dict(frames)
        if "meta" in frames:
            frames["meta"] = stamped(frames["meta"])
        self._write(frames)

    def _migrate(self, frames: Mapping[str, pd.DataFrame]) -> None:
        self._write(frames, every_trigger=True)

    def _write(self, frames: Mapping[str, pd.DataFrame], *, every_trigger: bool = False
               ) -> None:
        prepared = {}
        for layer, frame in frames.items():
            if layer not in schema.LAYERS:
                raise StoreError(f"unknown layer {layer!r}")
            schema.validate(layer, frame)
            prepared[layer] = schema.conform(layer, frame)
        con = self._connection()
        with con.transaction():
            con.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            here = con.execute("SELECT current_schema()").fetchone()[0]
            con.execute(f'CREATE TABLE IF NOT EXISTS "{here}".{_VERSION} (n BIGINT NOT NULL)')
            if con.execute(f"SELECT count(*) FROM {_VERSION}").fetchone()[0] == 0:
                con.execute(f"INSERT INTO {_VERSION} VALUES (0)")
            con.execute(_BUMP_FUNCTION)
            for layer, frame in prepared.items():
                self._create(con, layer)
                self._copy(con, layer, frame)
            if every_trigger:  # layers of a store from before the data version
                self._add_triggers(con)
            con.execute(f"UPDATE {_VERSION} SET n = n + 1")

    @staticmethod
    def _add_triggers(con) -> None:
        """The data version's trigger on every data layer that lacks it."""
        have = {r[0] for r in con.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = 'gridmap_bump' AND c.relnamespace = current_schema()::regnamespace"
        ).fetchall()}
        for layer in sorted(schema.LAYERS.keys() - schema.BOOKKEEPING - have):
            con.execute(_bump_trigger(layer))

    @staticmethod
    def _create(con, layer: str) -> None:
        spec = schema.LAYERS[layer]
        columns = [f'"{c.name}" {_TYPES[c.kind]}' for c in spec.columns]
        if spec.geometry:
            columns.append(f"geom geometry({spec.geometry}, 4326)")
        # Qualified: a bare name could find the same table in another schema on the
        # search path (e.g. public) and drop that one.
        here = con.execute("SELECT current_schema()").fetchone()[0]
        con.execute(f'DROP TABLE IF EXISTS "{here}".{layer}')
        con.execute(f'CREATE TABLE "{here}".{layer} ({", ".join(columns)})')
        for name in spec.column_names:
            if name in _INDEXED or name in spec.key[:1]:
                con.execute(f'CREATE INDEX ON {layer} ("{name}")')
        if spec.geometry:
            con.execute(f"CREATE INDEX ON {layer} USING GIST (geom)")
        if layer not in schema.BOOKKEEPING:
            con.execute(_bump_trigger(layer))

    @staticmethod
    def _copy(con, layer: str, frame: pd.DataFrame) -> None:
        """COPY the rows in (text format; geometry as hex EWKB)."""
        spec = schema.LAYERS[layer]
        if frame.empty:
            return
        out = pd.DataFrame(index=frame.index)
        for c in spec.columns:
            values = frame[c.name]
            if c.kind == "datetime":
                text = values.dt.strftime("%Y-%m-%d %H:%M:%S")
            elif c.kind == "date":
                text = values.dt.strftime("%Y-%m-%d")
            elif c.kind == "bool":
                text = values.map({True: "t", False: "f"})
            elif c.kind == "int":
                text = values.astype("Int64").astype(str)
            else:
                text = values.astype(object).map(lambda v: v if isinstance(v, str) else (
                    None if v is None or v != v else repr(float(v))))
            out[c.name] = text.where(values.notna(), None)
        names = list(spec.column_names)
        if spec.geometry:
            geoms = frame.geometry.values
            if spec.geometry == "MultiPolygon":
                geoms = np.array([shapely.MultiPolygon([g]) if g.geom_type == "Polygon" else g
                                  for g in geoms], dtype=object)
            out["geom"] = shapely.to_wkb(shapely.set_srid(geoms, 4326), hex=True,
                                         include_srid=True)
            names.append("geom")
        buffer = io.StringIO()
        out.to_csv(buffer, header=False, index=False, na_rep="\\N")
        cols = ", ".join(f'"{n}"' for n in names)
        with con.cursor().copy(f"COPY {layer} ({cols}) FROM STDIN WITH (FORMAT csv, "
                               "NULL '\\N')") as copy:
            copy.write(buffer.getvalue())
