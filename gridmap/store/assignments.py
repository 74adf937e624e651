"""Who serves what: accepted rebalancing moves. Takes the transaction it runs in."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import pandas as pd

from gridmap import schema
from gridmap.errors import NotFoundError, StoreError, ValidationError

if TYPE_CHECKING:
    from gridmap.store.sql import Transaction


def reassign(tx: Transaction, moves: pd.DataFrame, *, scope: str, accepted_by: str,
             accepted_at: datetime | None = None) -> int:
    """Apply accepted rebalancing moves (``kind, id, from, to``), all or nothing.

    A grid move makes ``to`` the grid's primary worker (``from`` leaves it); a household
    move makes ``to`` responsible for it (an individual assignment, removed when ``to``
    is its grid's primary worker after the grid moves). Every ``from`` must still hold:
    a proposal made on data that has changed since is refused. Each move is logged in
    ``reassignments``; returns how many."""
    at = pd.Timestamp(accepted_at or datetime.now()).floor("s")
    if not (accepted_by or "").strip():
        raise ValidationError("accepting a proposal needs who accepts it",
                              column="accepted_by")
    ordered = sorted(moves.to_dict(orient="records"), key=lambda m: m["kind"] != "grid")

    def primary_of(grid_id: str) -> str | None:
        row = tx.execute("SELECT worker_id FROM assignments WHERE grid_id = ? AND "
                         "role = 'primary'", (grid_id,)).fetchone()
        return row[0] if row else None

    def holder_of(household_id: str) -> tuple[str, str | None]:
        found = tx.execute(
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
        if not tx.has("workers", "worker_id", new):
            raise NotFoundError(f"move {n}: no worker {new!r}")
        now = primary_of(item) if kind == "grid" else holder_of(item)[1]
        if now != old:
            raise StoreError(f"move {n}: {kind} {item} is with {now}, not {old}: the "
                             "data changed since the proposal; propose again")
    for move in ordered:
        kind, item, old, new = move["kind"], move["id"], move["from"], move["to"]
        if kind == "grid":
            tx.execute("DELETE FROM assignments WHERE grid_id = ? AND worker_id IN (?, ?)",
                       (item, old, new))
            tx.insert("assignments", {"worker_id": new, "grid_id": item, "role": "primary"})
        else:
            grid = holder_of(item)[0]
            tx.execute("DELETE FROM household_helpers WHERE household_id = ?", (item,))
            if new != primary_of(grid):
                tx.insert("household_helpers", {
                    "household_id": item, "worker_id": new, "since": at.normalize()})
        tx.insert("reassignments", {
            "kind": kind, "item_id": item, "from_worker": old, "to_worker": new,
            "scope": scope, "accepted_by": accepted_by.strip(), "accepted_at": at})
    return len(ordered)
