"""The embedded store: one GeoPackage file that QGIS opens.

Bulk writes build a copy and swap it in atomically; small writes are one SQLite
transaction each. Several processes (``python -m gridmap serve`` replicas, the command
line) may write at once: every gridmap write first takes an exclusive ``flock`` on a lock
file beside the store (``NAME.gpkg.lock``), then SQLite's write lock. SQLite's lock alone
serialises small writes, but not a small write against a bulk write, which copies the
file and swaps the copy in: a write committed to the old file meanwhile, or one waiting
on the old file's lock, would be lost with it. The lock file is never replaced, so it
orders both kinds; a bulk write also holds SQLite's write lock on the old file while it
copies, so writers outside gridmap (QGIS) wait rather than write into a file about to go.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import struct
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyogrio
import shapely

from gridmap import schema
from gridmap.errors import StoreError
from gridmap.store._gpkg import geometry_blob, geometry_of, register_functions
from gridmap.store.sql import SqlStore, Transaction, select, stamped

log = logging.getLogger(__name__)
WRITE_TIMEOUT = 30.0  # seconds a small write waits for the store (SQLite's busy timeout too)
_HELD = threading.local()  # lock files this thread holds (the lock is reentrant per thread)


@contextlib.contextmanager
def write_lock(path: Path, timeout: float | None = WRITE_TIMEOUT) -> Iterator[None]:
    """Exclusive use of the store at ``path`` for writing, across processes and threads:
    ``flock`` on ``path.lock`` (released by the kernel if the process dies). Waits up to
    ``timeout`` seconds (``None``: as long as it takes), then refuses. Reentrant within a
    thread, so an upgrade may hold it around the bulk writes it makes."""
    lock_path = path.with_name(path.name + ".lock")
    held = _HELD.__dict__.setdefault("paths", set())
    key = str(lock_path.resolve())
    if key in held:
        yield
        return
    import fcntl
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
    except PermissionError:  # a read-only lock file still locks
        fd = os.open(lock_path, os.O_RDONLY)
    try:
        deadline = None if timeout is None else time.monotonic() + timeout
        pause = 0.002
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (fcntl.LOCK_NB if deadline else 0))
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StoreError(f"{path} is busy: another writer held it for "
                                     f"{timeout:g} s; try again") from None
                time.sleep(pause)
                pause = min(pause * 2, 0.05)
        held.add(key)
        try:
            yield
        finally:
            held.discard(key)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _to_gpkg(layer: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Schema types as GDAL should store them: dates as DATE, not DATETIME."""
    spec = schema.LAYERS[layer]
    out = schema.conform(layer, frame)
    for c in spec.columns:
        if c.kind == "date":
            out[c.name] = out[c.name].astype(pd.ArrowDtype(pa.date32()))
    return out


def _retrying(read, attempts: int = 20, pause: float = 0.05):
    """A GeoPackage read, retried while a writer holds SQLite's lock (readers are
    blocked for the moment a write commits; GDAL reports it as an error)."""
    import time
    for attempt in range(attempts):
        try:
            return read()
        except pyogrio.errors.DataSourceError as exc:
            if attempt == attempts - 1 or not any(
                    word in str(exc) for word in ("locked", "readonly", "busy")):
                raise
            time.sleep(pause * (attempt + 1))
    raise AssertionError("unreachable")


def _install_version(con: sqlite3.Connection, bump: bool) -> None:
    """The data version: a counter bumped by triggers on every data layer, whoever
    writes (QGIS too); ``BOOKKEEPING`` layers have none. Idempotent."""
    table = schema.VERSION_TABLE
    con.execute(f"CREATE TABLE IF NOT EXISTS {table} (n INTEGER NOT NULL)")
    if con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0:
        con.execute(f"INSERT INTO {table} VALUES (0)")
    for layer in schema.LAYERS.keys() - schema.BOOKKEEPING:
        for event in ("INSERT", "UPDATE", "DELETE"):
            con.execute(f'CREATE TRIGGER IF NOT EXISTS "gridmap_bump_{layer}_{event.lower()}" '
                        f'AFTER {event} ON "{layer}" BEGIN UPDATE {table} SET n = n + 1; END')
    if bump:
        con.execute(f"UPDATE {table} SET n = n + 1")


class GeoPackageTransaction(Transaction):
    """SQLite's: geometries as GeoPackage blobs; large inserts without GDAL's per-row
    triggers."""

    def geom_param(self, geometry: shapely.Geometry):
        return geometry_blob(geometry)

    def geom_params(self, geometries) -> list:
        """Blobs for many geometries: points in one vectorised pass."""
        points = shapely.get_type_id(geometries) == 0
        wkb = shapely.to_wkb(geometries, byte_order=1)
        header = b"GP\x00\x01" + struct.pack("<i", 4326)
        return [header + w if p else geometry_blob(g)
                for w, p, g in zip(wkb, points, geometries, strict=True)]

    def geometry(self, value) -> shapely.Geometry:
        return geometry_of(value)

    def insert_many(self, layer: str, frame: pd.DataFrame, report=None,
                    chunk: int | None = None) -> None:
        """Large inserts without GDAL's per-row insert triggers (R-tree and feature
        count), which are put back afterwards and their work done once, set-wise, in
        the same transaction."""
        if len(frame) < 5_000:
            return super().insert_many(layer, frame, report, chunk)
        con = self.con
        triggers = con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                               "AND tbl_name = ? AND sql LIKE '%AFTER INSERT%'",
                               (layer,)).fetchall()
        for name, _ in triggers:
            con.execute(f'DROP TRIGGER "{name}"')
        last = con.execute(f'SELECT coalesce(max(fid), 0) FROM "{layer}"').fetchone()[0]
        super().insert_many(layer, frame, report, chunk)
        if schema.LAYERS[layer].geometry and con.execute(
                "SELECT 1 FROM sqlite_master WHERE name = ?",
                (f"rtree_{layer}_geom",)).fetchone():
            # The new rows' fids, in insertion order = the frame's order.
            fids = [f for (f,) in con.execute(f'SELECT fid FROM "{layer}" WHERE fid > ? '
                                               "ORDER BY fid", (last,))]
            geoms = frame.geometry.values
            minx, miny, maxx, maxy = shapely.bounds(geoms).T
            keep = ~shapely.is_empty(geoms) & ~shapely.is_missing(geoms)
            con.executemany(f'INSERT INTO "rtree_{layer}_geom" VALUES (?, ?, ?, ?, ?)', [
                (f, a, b, c, d) for f, a, b, c, d, k in
                zip(fids, minx, maxx, miny, maxy, keep, strict=True) if k])
        if con.execute("SELECT 1 FROM sqlite_master WHERE name = 'gpkg_ogr_contents'"
                       ).fetchone():
            con.execute(f'UPDATE gpkg_ogr_contents SET feature_count = (SELECT count(*) FROM '
                        f'"{layer}") WHERE lower(table_name) = lower(?)', (layer,))
        for _, sql in triggers:
            con.execute(sql)
        if layer not in schema.BOOKKEEPING:  # the data version's per-row trigger was off
            con.execute(f"UPDATE {schema.VERSION_TABLE} SET n = n + 1")


class GeoPackageStore(SqlStore):
    """The embedded store: one GeoPackage file."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.url = str(self.path)
        self._label = str(self.path)
        self._version: tuple[tuple, str] | None = None  # (file stat, version) last read

    def _connect_ro(self) -> sqlite3.Connection:
        uri = self.path.resolve().as_uri() + "?mode=ro"  # any path: '#', '?', spaces
        return sqlite3.connect(uri, uri=True, timeout=WRITE_TIMEOUT)

    def _change_counter(self) -> bytes:
        """SQLite's file change counter (header bytes 24-27), bumped by every commit
        that changes the file (rollback-journal mode). Unlike the modification time it
        cannot miss a write made within the same clock tick by another process."""
        try:
            with open(self.path, "rb") as f:
                return os.pread(f.fileno(), 4, 24)
        except OSError:
            return b""

    # -- what the store is ---------------------------------------------------------
    def _probe(self) -> tuple[set[str], str | None]:
        if not self.path.is_file():
            return set(), None
        try:
            with contextlib.closing(self._connect_ro()) as con:
                tables = {name for (name,) in con.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'")}
                if "gpkg_contents" not in tables:  # a SQLite file, not a GeoPackage
                    return set(), None
                found = con.execute("SELECT value FROM meta WHERE key = 'schema_version'"
                                    ).fetchone() if "meta" in tables else None
        except sqlite3.DatabaseError:  # not a database at all
            return set(), None
        return tables, found[0] if found else None

    def _identity(self) -> tuple[int, int] | None:
        """The file itself (replaced atomically, a store gets a new inode)."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        return stat.st_dev, stat.st_ino

    def _counter(self) -> int | None:
        """The data version's counter (``None`` if the file has none)."""
        with contextlib.closing(self._connect_ro()) as con:
            try:
                return con.execute(f"SELECT n FROM {schema.VERSION_TABLE}").fetchone()[0]
            except sqlite3.OperationalError:  # no such table
                return None

    # -- reading -------------------------------------------------------------------
    def _fetch(self, spec: schema.Layer, columns: list[str], sql: str) -> pd.DataFrame:
        frame = _retrying(lambda: pyogrio.read_dataframe(self.path, sql=sql, use_arrow=True))
        if spec.geometry and frame.crs is None:
            frame = frame.set_crs(schema.CRS)
        return schema.conform(spec.name, frame, columns=columns)

    def version(self) -> str:
        """The file's identity and its data counter: unchanged by logins and audit rows,
        changed by any write to the data (the counter) or a new file (the inode). The
        counter is read again only when the file changed (its inode, size, modification
        time or SQLite's change counter), whichever process wrote it."""
        stat = self.path.stat()
        key = (stat.st_ino, stat.st_mtime_ns, stat.st_size, self._change_counter())
        memo = self._version
        if memo is not None and memo[0] == key:  # the file did not change at all
            return memo[1]
        counter = self._counter()
        version = (f"{stat.st_ino}:{counter}" if counter is not None
                   else f"{stat.st_mtime_ns}:{stat.st_size}")
        self._version = (key, version)
        return version

    def mark(self, layer: str) -> tuple[str, int]:
        """The data version and ``layer``'s row count, from one snapshot (``appended``
        takes them back)."""
        with contextlib.closing(self._connect_ro()) as con:
            con.execute("BEGIN")
            counter = con.execute(f"SELECT n FROM {schema.VERSION_TABLE}").fetchone()[0]
            rows = con.execute(f'SELECT count(*) FROM "{layer}"').fetchone()[0]
        return f"{self.path.stat().st_ino}:{counter}", rows

    def appended(self, layer: str, since: str, now: str, rows_then: int
                 ) -> pd.DataFrame | None:
        """The rows inserted into ``layer`` between the data versions ``since`` (when the
        caller read its ``rows_then`` rows) and ``now``, if those inserts were the only
        change to the data in between; ``None`` otherwise (read everything again).

        Exact, from the counter alone: each row inserted, updated or deleted in any data
        layer adds one to it, so with ``d`` added and the layer ``d`` rows longer, the
        changes were ``d`` inserts into this layer, nothing else (issue 23: a logged
        visit then costs the app its new rows, not a province's visits again)."""
        try:
            ino_then, then = (int(x) for x in since.split(":"))
            ino_now, count_now = (int(x) for x in now.split(":"))
        except ValueError:
            return None
        if ino_then != ino_now or count_now < then:
            return None
        added = count_now - then
        spec = schema.LAYERS[layer]
        with contextlib.closing(self._connect_ro()) as con:
            con.execute("BEGIN")  # one snapshot: counter, row count, the new rows' ids
            counter = con.execute(f"SELECT n FROM {schema.VERSION_TABLE}").fetchone()[0]
            rows = con.execute(f'SELECT count(*) FROM "{layer}"').fetchone()[0]
            if counter != count_now or rows != rows_then + added:
                return None
            if not added:
                return schema.empty(layer)
            ids = [r[0] for r in con.execute(
                f'SELECT rowid FROM "{layer}" ORDER BY rowid DESC LIMIT {added}')]
        _, wanted, sql = select(layer, None, None, self.geom_select)
        # Later inserts have larger rowids: the bounds hold exactly these rows.
        return self._fetch(spec, wanted, f"{sql} WHERE rowid BETWEEN {min(ids)} AND "
                                         f"{max(ids)} ORDER BY rowid")

    # -- bulk writes: build a copy, then swap it in atomically ---------------------
    def init(self, frames: Mapping[str, pd.DataFrame] | None = None, *,
             overwrite: bool = False) -> None:
        if self.path.exists() and not overwrite:
            raise StoreError(f"{self.path} exists; refusing to overwrite it")
        full = {name: schema.empty(name) for name in schema.LAYERS}
        full.update(frames or {})
        full["meta"] = stamped(full["meta"])
        with write_lock(self.path, None):
            if self.path.exists() and not overwrite:  # made meanwhile by another process
                raise StoreError(f"{self.path} exists; refusing to overwrite it")
            self._write_atomically(full, fresh=True)

    def upgrade(self) -> list[str]:
        """As ``SqlStore.upgrade``, holding the store's write lock throughout, so replicas
        starting together upgrade once: the others find it current."""
        identity = self._identity()
        if identity is not None and identity == self._checked:
            return []
        with write_lock(self.path, None):
            return super().upgrade()

    def replace(self, frames: Mapping[str, pd.DataFrame]) -> None:
        self._require()
        frames = dict(frames)
        if "meta" in frames:
            frames["meta"] = stamped(frames["meta"])
        self._write_atomically(frames, fresh=False)

    def _migrate(self, frames: Mapping[str, pd.DataFrame]) -> None:
        self._write_atomically(frames, fresh=False)  # installs the data version too

    def _write_atomically(self, frames: Mapping[str, pd.DataFrame], *, fresh: bool) -> None:
        prepared = {}
        for layer, frame in frames.items():
            if layer not in schema.LAYERS:
                raise StoreError(f"unknown layer {layer!r}")
            schema.validate(layer, frame)
            prepared[layer] = _to_gpkg(layer, frame)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with write_lock(self.path, None), self._holding_old_file():
            self._swap_in(prepared, fresh=fresh)

    @contextlib.contextmanager
    def _holding_old_file(self) -> Iterator[None]:
        """SQLite's write lock on the file being replaced, until it is replaced: writers
        outside gridmap wait (or time out) instead of writing into it and being lost."""
        if not self.path.is_file():
            yield
            return
        con = sqlite3.connect(self.path, timeout=WRITE_TIMEOUT, isolation_level=None)
        try:
            with contextlib.suppress(sqlite3.DatabaseError):  # not a database: none to hold
                con.execute("BEGIN IMMEDIATE")
            yield
        finally:
            con.close()  # rolls back: nothing was written through it

    def _swap_in(self, prepared: Mapping[str, pd.DataFrame], *, fresh: bool) -> None:
        # The new file's counter continues the old one's, so no version repeats.
        counter = None
        if self.path.exists() and fresh:
            with contextlib.suppress(sqlite3.DatabaseError):
                counter = self._counter()
        fd, tmp_name = tempfile.mkstemp(suffix=".gpkg", prefix=".tmp-", dir=self.path.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            if fresh:
                tmp.unlink()
            else:
                shutil.copyfile(self.path, tmp)
            for layer, frame in prepared.items():
                spec = schema.LAYERS[layer]
                kwargs = {"geometry_type": spec.geometry, "promote_to_multi":
                          spec.geometry == "MultiPolygon"} if spec.geometry else {}
                pyogrio.write_dataframe(frame, tmp, layer=layer, driver="GPKG",
                                        use_arrow=True, **kwargs)
            with contextlib.closing(sqlite3.connect(tmp, isolation_level=None)) as con:
                con.execute("BEGIN")
                _install_version(con, bump=True)  # rewritten layers lost their triggers
                if counter:
                    con.execute(f"UPDATE {schema.VERSION_TABLE} SET n = n + ?", (counter,))
                con.execute("COMMIT")
            if fresh:
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(tmp, 0o666 & ~umask)
            else:
                shutil.copymode(self.path, tmp)
            os.replace(tmp, self.path)
        except Exception:
            tmp.unlink(missing_ok=True)
            raise
        log.info("wrote %s to %s", ", ".join(prepared), self.path)

    # -- small writes: one SQLite transaction, under the store's write lock ---------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[GeoPackageTransaction]:
        self._require()
        with write_lock(self.path):  # no bulk write swaps the file from under it
            con = sqlite3.connect(self.path, timeout=WRITE_TIMEOUT, isolation_level=None)
            register_functions(con)
            try:
                con.execute("BEGIN IMMEDIATE")  # outside writers (QGIS) are ordered here
                try:
                    yield GeoPackageTransaction(con)
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                con.execute("COMMIT")
            finally:
                con.close()
