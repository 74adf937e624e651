"""Writes of services (物质+服务): providers, entitlements granted by hand or by the
assessment's rule, and service records. Each takes the transaction it runs in; the guard
adds its audit row to the same transaction."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import pandas as pd

from gridmap import schema, stages
from gridmap.errors import NotFoundError, ValidationError
from gridmap.services import Catalogue, load_catalogue
from gridmap.store.visits import household_tier

if TYPE_CHECKING:
    from gridmap.store.sql import Transaction


def _service(catalogue: Catalogue | None, service_id: str) -> tuple[Catalogue, str]:
    catalogue = catalogue or load_catalogue()
    if service_id not in catalogue.keys:
        raise ValidationError(f"{service_id!r} is not a service of the catalogue",
                              column="service_id")
    return catalogue, service_id


def _provider_kind(tx: Transaction, provider_id: str) -> str:
    found = tx.execute("SELECT kind FROM providers WHERE provider_id = ?",
                       (provider_id,)).fetchone()
    if found is None:
        raise NotFoundError(f"no provider {provider_id!r}")
    return found[0]


def save_providers(tx: Transaction, rows: pd.DataFrame) -> int:
    """Add providers (``providers`` columns), all or nothing; returns how many."""
    frame = schema.conform("providers", rows)
    schema.validate("providers", frame)
    for row in frame.to_dict(orient="records"):
        if tx.has("providers", "provider_id", row["provider_id"]):
            raise ValidationError(f"provider {row['provider_id']!r} exists",
                                  column="provider_id")
        tx.insert("providers", row)
    return len(frame)


def grant_entitlement(tx: Transaction, *, household_id: str, service_id: str, amount: float,
                      valid_from: date, reason: str, granted_by: str,
                      valid_until: date | None = None, provider_id: str | None = None,
                      person: str | None = None, catalogue: Catalogue | None = None,
                      granted_at: datetime | None = None) -> str:
    """Grant a household a service by hand (``source`` manual, a reason required);
    returns the entitlement's id."""
    catalogue, service_id = _service(catalogue, service_id)
    if not (reason or "").strip():
        raise ValidationError("a grant needs a reason", column="reason")
    if valid_until is not None and pd.Timestamp(valid_until) < pd.Timestamp(valid_from):
        raise ValidationError("ends before it starts", column="valid_until")
    household_tier(tx, household_id)
    if provider_id:
        kind = _provider_kind(tx, provider_id)
        if not catalogue.allows(service_id, kind):
            raise ValidationError(f"a {kind} may not deliver {service_id}",
                                  column="provider_id")
    entitlement_id = stages.new_id("E")
    tx.insert("entitlements", {
        "entitlement_id": entitlement_id, "household_id": household_id, "person": person,
        "service_id": service_id, "provider_id": provider_id or None,
        "amount": float(amount), "valid_from": pd.Timestamp(valid_from),
        "valid_until": None if valid_until is None else pd.Timestamp(valid_until),
        "reason": reason.strip(), "source": "manual", "assessment_id": None,
        "granted_by": granted_by,
        "granted_at": pd.Timestamp(granted_at or datetime.now()).floor("s")})
    return entitlement_id


def save_entitlements(tx: Transaction, rows: pd.DataFrame) -> int:
    """Add entitlements granted by rule (``services.entitlements_from_assessments``),
    skipping those already granted (same id); returns how many were added."""
    frame = schema.conform("entitlements", rows)
    schema.validate("entitlements", frame)
    added = 0
    for row in frame.to_dict(orient="records"):
        if tx.has("entitlements", "entitlement_id", row["entitlement_id"]):
            continue
        household_tier(tx, row["household_id"])
        tx.insert("entitlements", row)
        added += 1
    return added


def record_service(tx: Transaction, *, household_id: str, service_id: str, provider_id: str,
                   delivered_by: str, started_at: datetime, quantity: float,
                   recorded_by: str, scheduled_at: datetime | None = None,
                   note: str | None = None, catalogue: Catalogue | None = None,
                   record_id: str | None = None) -> str:
    """Record one service delivered; returns its id. The provider must be of a kind the
    catalogue allows for the service."""
    catalogue, service_id = _service(catalogue, service_id)
    if not (delivered_by or "").strip():
        raise ValidationError("who delivered it is required", column="delivered_by")
    if not quantity or float(quantity) <= 0:
        raise ValidationError("the quantity must be more than 0", column="quantity")
    household_tier(tx, household_id)
    kind = _provider_kind(tx, provider_id)
    if not catalogue.allows(service_id, kind):
        raise ValidationError(f"a {kind} may not deliver {service_id}", column="provider_id")
    record_id = record_id or stages.new_id("S")
    tx.insert("service_records", {
        "record_id": record_id, "household_id": household_id, "service_id": service_id,
        "provider_id": provider_id, "delivered_by": delivered_by.strip(),
        "started_at": pd.Timestamp(started_at).floor("s"), "quantity": float(quantity),
        "scheduled_at": None if scheduled_at is None else pd.Timestamp(scheduled_at),
        "note": note or None, "recorded_by": recorded_by,
        "recorded_at": pd.Timestamp.now().floor("s")})
    return record_id
