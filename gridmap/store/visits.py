"""Writes to a household's contact history: visits and tier changes. Each takes the
transaction it runs in."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import pandas as pd

from gridmap import schema, stages
from gridmap.errors import NotFoundError, ValidationError

if TYPE_CHECKING:
    from gridmap.store.sql import Transaction


def household_tier(tx: Transaction, household_id: str) -> str:
    """The household's tier, its row held until commit (``NotFoundError`` if none)."""
    row = tx.execute(f"SELECT tier FROM households WHERE household_id = ?{tx.lock}",
                     (household_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"no household {household_id!r}")
    return row[0]


def append_visit(tx: Transaction, *, household_id: str, worker_id: str,
                 visited_at: datetime, method: str, note: str | None = None,
                 found_difficulty: bool = False, visit_id: str | None = None) -> str:
    """Record one visit; returns its id."""
    visit_id = visit_id or stages.new_id("V")
    household_tier(tx, household_id)
    if not tx.has("workers", "worker_id", worker_id):
        raise NotFoundError(f"no worker {worker_id!r}")
    tx.insert("visits", {
        "visit_id": visit_id, "household_id": household_id, "worker_id": worker_id,
        "visited_at": visited_at, "method": method, "note": note or None,
        "found_difficulty": bool(found_difficulty)})
    return visit_id


def change_tier(tx: Transaction, household_id: str, to_tier: str, *, reason: str,
                changed_by: str, changed_at: datetime | None = None) -> None:
    """Change a household's tier and write its ``tier_changes`` row, together."""
    if to_tier not in schema.TIERS:
        raise ValidationError(f"{to_tier!r} is not a tier", column="tier")
    if not (reason or "").strip():
        raise ValidationError("a tier change needs a reason", column="reason")
    changed_at = pd.Timestamp(changed_at or datetime.now()).floor("s")
    from_tier = household_tier(tx, household_id)
    if from_tier == to_tier:
        raise ValidationError(f"household {household_id} is already {to_tier}",
                              column="tier")
    tx.execute("UPDATE households SET tier = ?, tier_since = ? WHERE household_id = ?",
               (to_tier, changed_at.strftime("%Y-%m-%d"), household_id))
    tx.insert("tier_changes", {
        "household_id": household_id, "changed_at": changed_at,
        "from_tier": from_tier, "to_tier": to_tier, "reason": reason.strip(),
        "changed_by": changed_by})
