"""Writes of the closed loop and of needs: a case or need and its history event go in
together (``stages`` decides what may change). Each takes the transaction it runs in.

A case in handling, or a need being claimed, may order a service from the catalogue
(``orders``); the service record that fills the order closes the case, or delivers the
need, in the same transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

import pandas as pd
import shapely

from gridmap import stages
from gridmap.aliases import new_aliases
from gridmap.errors import NotFoundError, ValidationError
from gridmap.policy import Policy, load_policy
from gridmap.store import orders
from gridmap.store import services as service_writes
from gridmap.store.visits import change_tier, household_tier

if TYPE_CHECKING:
    from gridmap.store.sql import Transaction


def new_household(tx: Transaction, fields: Mapping, at: pd.Timestamp, by: str) -> str:
    """Register a household met through a case: ``head_name, id_number, phone, address,
    grid_id, tier, categories, members`` and optionally ``lon, lat`` (else it is placed
    at its grid's representative point and flagged approximate); returns its id."""
    grid = tx.execute(f"SELECT {tx.geom_select} FROM grids WHERE grid_id = ?",
                      (fields.get("grid_id"),)).fetchone()
    if grid is None:
        raise NotFoundError(f"no grid {fields.get('grid_id')!r}")
    lon, lat = fields.get("lon"), fields.get("lat")
    exact = lon is not None and lat is not None
    if not exact:
        point = tx.geometry(grid[0]).representative_point()
        lon, lat = point.x, point.y
    taken = [a for (a,) in tx.execute("SELECT alias FROM households")]
    household_id = stages.new_id("H")
    row = {"household_id": household_id, "alias": new_aliases(taken, 1)[0],
           "registered_grid_id": None, "tier_since": at, "warning_level": 0,
           "location_quality": "exact" if exact else "approximate",
           **{k: fields.get(k) for k in ("head_name", "id_number", "phone", "address",
                                         "grid_id", "tier", "categories", "members")}}
    tx.insert("households", row, point=shapely.Point(float(lon), float(lat)))
    tx.insert("tier_changes", {
        "household_id": household_id, "changed_at": at, "from_tier": None,
        "to_tier": row["tier"], "reason": "registered from a case", "changed_by": by})
    return household_id


def report_case(tx: Transaction, *, household: Mapping | None = None,
                policy: Policy | None = None, **fields) -> str:
    """Record a new case (``stages.new_case`` fields); returns its id. ``household``
    registers the household first (``new_household``), for a person not yet known."""
    policy = policy or load_policy()
    if household is not None:
        at = pd.Timestamp(fields.get("reported_at") or datetime.now()).floor("s")
        fields["household_id"] = new_household(tx, household, at,
                                                fields.get("reported_by") or "")
    row, event = stages.new_case(policy=policy, **fields)
    household_tier(tx, row["household_id"])
    tx.insert("cases", row)
    tx.insert("case_events", event)
    return row["case_id"]


def advance_case(tx: Transaction, case_id: str, to_stage: str, *, tier: str | None = None,
                 tier_reason: str | None = None, order: Mapping | None = None,
                 delivered: str | None = None, **fields) -> None:
    """Move a case on (``stages.advance_case``) and keep the event. With ``tier`` (on
    assessment) the household's tier changes too. For ``followed_up`` without
    ``visit``, the first visit to the household after closing is used. ``order``
    (``service_id``, ``quantity``, ``provider_id``) orders a service as handling."""
    row = tx.row("cases", "case_id", case_id)
    if delivered is not None:  # the order whose delivery closes it
        fields["order"] = delivered
    if order is not None:
        if to_stage != "handling":
            raise ValidationError("a case orders a service when it is handled",
                                  column="service_id")
        fields["order"] = orders.place(
            tx, order, household_id=row["household_id"], by=fields.get("actor", ""),
            at=stages.when(fields.get("at")), case_id=case_id)["order_id"]
    if to_stage == "followed_up" and "visit" not in fields and row["stage"] == "closed":
        found = tx.execute(
            "SELECT visit_id, visited_at FROM visits WHERE household_id = ? AND "
            "visited_at > ? ORDER BY visited_at LIMIT 1",
            (row["household_id"], tx.value("datetime", row["closed_at"]))).fetchone()
        fields["visit"] = dict(zip(("visit_id", "visited_at"), found,
                                   strict=True)) if found else None
    changes, event = stages.advance_case(row, to_stage, **fields)
    tx.update("cases", "case_id", row, changes)
    tx.insert("case_events", event)
    if tier is not None:
        if to_stage != "assessed":
            raise ValidationError("a case changes a tier only when it is assessed",
                                  column="tier")
        change_tier(tx, row["household_id"], tier,
                    reason=tier_reason or f"case {case_id} assessed",
                    changed_by=event["actor"], changed_at=event["happened_at"])


def post_need(tx: Transaction, **fields) -> str:
    """Record a new need (``stages.new_need`` fields); returns its id."""
    row, event = stages.new_need(**fields)
    household_tier(tx, row["household_id"])
    tx.insert("needs", row)
    tx.insert("need_events", event)
    return row["need_id"]


def advance_need(tx: Transaction, need_id: str, to_stage: str, *,
                 order: Mapping | None = None, delivered: str | None = None,
                 **fields) -> None:
    """Move a need on (``stages.advance_need``) and keep the event. With ``order``, a
    need is claimed by ordering a service: the provider is its helper."""
    row = tx.row("needs", "need_id", need_id)
    if delivered is not None:
        fields["order"] = delivered
    if order is not None:
        if to_stage != "claimed":
            raise ValidationError("a need orders a service when it is claimed",
                                  column="service_id")
        placed = orders.place(tx, order, household_id=row["household_id"],
                              by=fields.get("actor", ""), at=stages.when(fields.get("at")),
                              need_id=need_id)
        name = tx.execute("SELECT name FROM providers WHERE provider_id = ?",
                          (placed["provider_id"],)).fetchone()[0]
        fields.update(helper=name, helper_kind="organisation", order=placed["order_id"])
    changes, event = stages.advance_need(row, to_stage, **fields)
    tx.update("needs", "need_id", row, changes)
    tx.insert("need_events", event)


def record_service(tx: Transaction, **fields) -> str:
    """Record a service delivered (``services.record_service``); returns its id. The
    orders it fills are delivered, which closes their case once every order of the
    case is, and delivers their need."""
    record_id = service_writes.record_service(tx, **fields)
    at = max(pd.Timestamp.now().floor("s"), pd.Timestamp(fields["started_at"]).floor("s"))
    actor = fields["recorded_by"]
    for order in orders.deliver(tx, fields["household_id"], fields["service_id"], at):
        if pd.notna(order["case_id"]):
            case = tx.row("cases", "case_id", order["case_id"])
            still_open = tx.execute(
                "SELECT 1 FROM service_orders WHERE case_id = ? AND delivered_at IS NULL",
                (order["case_id"],)).fetchone()
            if case["stage"] == "handling" and still_open is None:
                advance_case(tx, order["case_id"], "closed", actor=actor, at=at,
                             delivered=order["order_id"])
        if pd.notna(order["need_id"]):
            need = tx.row("needs", "need_id", order["need_id"])
            if need["stage"] == "claimed":
                advance_need(tx, order["need_id"], "delivered", actor=need["helper"],
                             at=at, delivered=order["order_id"])
    return record_id
