"""Imports and their undo: rows upserted by key, all or nothing, keeping what they
replaced. ``prepare`` checks the frames and reads what is there now; ``import_rows`` and
``undo_import`` take the transaction they run in."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import shapely

from gridmap import schema, stages
from gridmap.errors import NotFoundError, ValidationError
from gridmap.store.values import DATE, DATETIME

if TYPE_CHECKING:
    from gridmap.store.base import Store
    from gridmap.store.sql import Transaction

ADDED_BATCH = 100_000  # keys of added rows per import_undo row


def row_json(layer: str, frame: pd.DataFrame) -> list[str]:
    """Each row as JSON (dates ISO, geometry as WKB hex): what undo puts back."""
    spec = schema.LAYERS[layer]
    plain = pd.DataFrame({c: frame[c].astype(object).where(frame[c].notna(), None)
                          for c in spec.column_names})
    for c in spec.columns:
        if c.kind in ("date", "datetime"):
            plain[c.name] = frame[c.name].dt.strftime(DATETIME).where(
                frame[c.name].notna(), None)
    if spec.geometry:
        plain["geometry"] = shapely.to_wkb(frame.geometry.values, hex=True)
    return [json.dumps(r, ensure_ascii=False, default=str)
            for r in plain.to_dict(orient="records")]


def keys(layer: str, frame: pd.DataFrame) -> pd.Series:
    """Each row's key as bound in SQL (times as stored), joined by '|'."""
    spec = schema.LAYERS[layer]
    if frame.empty:
        return pd.Series([], dtype=object)
    parts = []
    for name in spec.key:
        kind = spec.column(name).kind
        values = frame[name]
        parts.append(values.dt.strftime(DATETIME) if kind == "datetime" else
                     values.dt.strftime(DATE) if kind == "date" else
                     values.astype(str))
    joined = parts[0].astype(str)
    for part in parts[1:]:
        joined = joined + "|" + part.astype(str)
    return joined.reset_index(drop=True)


def prepare(store: Store, frames: Mapping[str, pd.DataFrame]
            ) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """The frames conformed and checked, and what their layers hold now. Read before
    the transaction: a GeoPackage writer that spills to disk locks readers out, its own
    reads included."""
    prepared = {}
    for layer, frame in frames.items():
        frame = schema.conform(layer, frame)
        schema.validate(layer, frame)
        prepared[layer] = frame
    current = {layer: store.read(layer) for layer, frame in prepared.items() if len(frame)}
    return prepared, current


def import_rows(tx: Transaction, prepared: Mapping[str, pd.DataFrame],
                current: Mapping[str, pd.DataFrame], *, source: str, by: str,
                progress=None) -> str:
    """Upsert ``prepared`` rows by key into their layers (``current``: what they hold,
    from ``prepare``), keeping what they replaced; returns the import's id. Unchanged
    rows are left alone, so the same file imported twice changes nothing the second
    time."""
    import_id = stages.new_id("I")
    report = progress or (lambda fraction, message: None)
    at = pd.Timestamp.now().floor("s")
    inserted = updated = 0
    undo = []
    for layer, frame in prepared.items():
        if frame.empty:
            continue
        key = list(schema.LAYERS[layer].key)
        old = current[layer]
        old_keys = keys(layer, old)
        new_keys = keys(layer, frame)
        present = new_keys.isin(set(old_keys))
        fresh = frame[~present.to_numpy()]
        before = old[old_keys.isin(set(new_keys[present])).to_numpy()]
        if len(before):  # keep only rows that really change
            before_json = dict(zip(old_keys[old_keys.isin(set(new_keys[present]))],
                                   row_json(layer, before), strict=True))
            candidates = frame[present.to_numpy()]
            after_json = row_json(layer, candidates)
            keys_c = new_keys[present].tolist()
            changed_mask = [before_json[k] != j for k, j in
                            zip(keys_c, after_json, strict=True)]
            changed = candidates[changed_mask]
            changed_keys = [k for k, m in zip(keys_c, changed_mask, strict=True) if m]
        else:
            changed, changed_keys, before_json = frame.iloc[0:0], [], {}
        for k in changed_keys:
            where = " AND ".join(f'"{c}" = ?' for c in key)
            tx.execute(f"DELETE FROM {layer} WHERE {where}", k.split("|"))
        tx.insert_many(layer, pd.concat([fresh, changed]), report)
        added = new_keys[~present.to_numpy()].tolist()
        for start in range(0, len(added), ADDED_BATCH):  # added rows: keys in batches
            undo.append((layer, f"added:{start}", json.dumps(
                [k.split("|") for k in added[start:start + ADDED_BATCH]],
                ensure_ascii=False)))
        undo += [(layer, json.dumps(k.split("|"), ensure_ascii=False), before_json[k])
                 for k in changed_keys]
        inserted += len(fresh)
        updated += len(changed)
    tx.executemany("INSERT INTO import_undo (import_id, layer, row_key, before) "
                   "VALUES (?, ?, ?, ?)", [(import_id, *u) for u in undo])
    tx.insert("imports", {
        "import_id": import_id, "file": source, "layers": ";".join(prepared),
        "inserted": inserted, "updated": updated, "imported_by": by,
        "imported_at": at, "undone_at": None})
    return import_id


def undo_import(tx: Transaction, import_id: str) -> None:
    """Take an import back: rows it added removed, rows it changed restored."""
    found = tx.execute("SELECT undone_at FROM imports WHERE import_id = ?",
                       (import_id,)).fetchone()
    if found is None:
        raise NotFoundError(f"no import {import_id!r}")
    if found[0] is not None:
        raise ValidationError(f"import {import_id} was undone already")
    rows = tx.execute("SELECT layer, row_key, before FROM import_undo WHERE import_id = ?",
                      (import_id,)).fetchall()
    for layer, row_key, before in rows:
        key = list(schema.LAYERS[layer].key)
        where = " AND ".join(f'"{c}" = ?' for c in key)
        if row_key.startswith("added:"):  # rows the import added: delete them all
            tx.executemany(f"DELETE FROM {layer} WHERE {where}", json.loads(before))
            continue
        tx.execute(f"DELETE FROM {layer} WHERE {where}", json.loads(row_key))
        if before is not None:
            record = json.loads(before)
            geometry = record.pop("geometry", None)
            frame = pd.DataFrame([record])
            if geometry is not None:
                frame = gpd.GeoDataFrame(frame, geometry=[shapely.from_wkb(geometry)],
                                         crs=schema.CRS)
            tx.insert_many(layer, schema.conform(layer, frame))
    tx.execute("UPDATE imports SET undone_at = ? WHERE import_id = ?",
               (tx.value("datetime", pd.Timestamp.now()), import_id))
