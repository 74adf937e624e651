"""Writes of data matching: a department feed with its rows and the alerts it raises
(together), an alert moved on with the visit, tier change or case it rests on
(together), and the retention that deletes raw feed rows. Each takes the transaction
it runs in; ``prepare_feed`` reads and matches beforehand, as ``imports.prepare`` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

import pandas as pd

from gridmap import alerts as lifecycle
from gridmap import feeds, schema, stages
from gridmap.errors import ValidationError
from gridmap.policy import Policy
from gridmap.store import casework, visits
from gridmap.store.values import DATE

if TYPE_CHECKING:
    from gridmap.store.base import Store
    from gridmap.store.sql import Transaction


@dataclass
class PreparedFeed:
    """A feed checked and matched, ready to write: its ``feeds`` row, the rows not seen
    before, and the new alerts with their first events."""

    feed: dict
    rows: pd.DataFrame
    alerts: pd.DataFrame
    events: pd.DataFrame


def prepare_feed(store: Store, rows: pd.DataFrame, *, source: str, file: str,
                 received_on: date, by: str, policy: Policy,
                 now: datetime | None = None) -> PreparedFeed:
    """Match ``rows`` (``feed_rows`` columns but ``row_hash, feed_id``) and every row
    kept before against the registry; nothing is written."""
    source = (source or "").strip()
    if not source:
        raise ValidationError("a feed needs its source (the department)", column="source")
    now = pd.Timestamp(now or datetime.now()).floor("s")
    feed_id = stages.new_id("F")
    rows = rows.assign(row_hash=feeds.row_hashes(source, rows).to_numpy(), feed_id=feed_id)
    rows = rows.drop_duplicates("row_hash")
    kept = store.read("feed_rows")
    fresh = schema.conform("feed_rows", rows[~rows["row_hash"].isin(kept["row_hash"])])
    schema.validate("feed_rows", fresh, source=file)
    sources = store.read("feeds", columns=["feed_id", "source"]).set_index("feed_id")["source"]
    everything = pd.concat([kept.assign(source=kept["feed_id"].map(sources)),
                            fresh.assign(source=source)], ignore_index=True)
    raised = feeds.match(
        everything, store.read("persons"), store.read("households"), store.read("grids"),
        store.read("areas"), store.read("assignments"), store.read("household_helpers"),
        policy, existing=store.read("alerts"), feed_id=feed_id, raised_at=now)
    feed = {"feed_id": feed_id, "source": source, "file": file,
            "received_on": pd.Timestamp(received_on), "imported_by": by, "imported_at": now,
            "rows": len(rows), "new_rows": len(fresh), "alerts": len(raised)}
    return PreparedFeed(feed, fresh, raised, lifecycle.first_events(raised, by))


def save_feed(tx: Transaction, prepared: PreparedFeed) -> str:
    """Write a prepared feed, its new rows and its alerts, all or nothing; rows or
    alerts another import wrote meanwhile are skipped. Returns the feed's id."""
    taken = {h for (h,) in tx.execute("SELECT row_hash FROM feed_rows")}
    rows = prepared.rows[~prepared.rows["row_hash"].isin(taken)]
    known = {a for (a,) in tx.execute("SELECT alert_id FROM alerts")}
    raised = prepared.alerts[~prepared.alerts["alert_id"].isin(known)]
    events = prepared.events[prepared.events["alert_id"].isin(raised["alert_id"])]
    feed = {**prepared.feed, "new_rows": len(rows), "alerts": len(raised)}
    tx.insert("feeds", feed)
    for layer, frame in (("feed_rows", rows), ("alerts", raised), ("alert_events", events)):
        if len(frame):
            schema.validate(layer, frame)
            tx.insert_many(layer, frame.reset_index(drop=True))
    return feed["feed_id"]


def advance_alert(tx: Transaction, alert_id: str, to_stage: str, *, actor: str,
                  at: datetime | None = None, visit: Mapping | None = None,
                  worker_id: str | None = None, household: Mapping | None = None,
                  policy: Policy | None = None, case: Mapping | None = None,
                  **fields) -> None:
    """Move an alert on (``alerts.advance``) with what it rests on, in this transaction:

    - ``verified`` with ``visit`` (``visited_at``, ``note``): for a registered household
      the door visit is logged first (by ``worker_id``, else the assignee);
    - ``confirmed`` with ``outcome='tier_change'`` changes the household's tier;
      ``outcome='case'`` opens a case (``case``: category, urgency, description; the
      source is ``data_alert``), registering ``household`` first for a lead.
    """
    row = tx.row("alerts", "alert_id", alert_id)
    at = pd.Timestamp(at or datetime.now()).floor("s")
    if to_stage == "verified" and visit is not None:
        visit = dict(visit)
        visit.setdefault("method", "door")
        if row["kind"] == "registered" and not visit.get("visit_id"):
            if visit["method"] != "door":
                raise ValidationError("an alert is verified by a door visit", column="visit")
            visit["visit_id"] = visits.append_visit(
                tx, household_id=row["household_id"],
                worker_id=worker_id or row["assigned_to"], visited_at=visit["visited_at"],
                method="door", note=visit.get("note") or f"核实预警 {alert_id}",
                found_difficulty=bool(visit.get("found_difficulty", False)))
    if to_stage == "confirmed" and fields.get("outcome") == "case":
        case = dict(case or {})
        household_id = row["household_id"]
        if household_id is None or pd.isna(household_id):
            if household is None:
                raise ValidationError("a lead becomes a case with its household registered",
                                      column="household")
            household = {"grid_id": row["grid_id"], "id_number": row["id_number"],
                         "head_name": row["name"], **household}
        fields["case_id"] = casework.report_case(
            tx, household=household if row["kind"] == "lead" else None, policy=policy,
            household_id=None if row["kind"] == "lead" else household_id,
            source="data_alert", category=case.get("category", "生活困难"),
            urgency=case.get("urgency", "ordinary"),
            description=case.get("description") or row["evidence"],
            reported_by=actor, reported_at=at)
    changes, event = lifecycle.advance(row, to_stage, actor=actor, at=at, visit=visit,
                                       worker_id=worker_id, **fields)
    if to_stage == "confirmed" and fields.get("outcome") == "tier_change":
        if row["kind"] != "registered":
            raise ValidationError("only a registered household changes tier; register a "
                                  "lead through a case", column="outcome")
        visits.change_tier(tx, row["household_id"], fields["tier"],
                           reason=f"{row['evidence']}（预警 {alert_id} 核实）",
                           changed_by=actor, changed_at=at)
    tx.update("alerts", "alert_id", row, changes)
    tx.insert("alert_events", event)


def purge_feed_rows(tx: Transaction, *, retention_days: int, today: date) -> int:
    """Delete the rows of feeds received more than ``retention_days`` before ``today``
    (the alerts stay); returns how many. ``retention_days`` 0 keeps everything."""
    if retention_days <= 0:
        return 0
    cutoff = (pd.Timestamp(today) - pd.Timedelta(days=retention_days)).strftime(DATE)
    old = "SELECT feed_id FROM feeds WHERE received_on < ?"
    (n,) = tx.execute(f"SELECT count(*) FROM feed_rows WHERE feed_id IN ({old})",
                      (cutoff,)).fetchone()
    if n:
        tx.execute(f"DELETE FROM feed_rows WHERE feed_id IN ({old})", (cutoff,))
    return int(n)
