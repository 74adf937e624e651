"""Service orders (issue 21): a case or a need orders a service from the catalogue, and
the records of that service delivered to the household since fill it
(``services.order_progress``). Each function takes the transaction it runs in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pandas as pd

from gridmap import schema, stages
from gridmap.errors import ValidationError
from gridmap.services import Catalogue, order_progress
from gridmap.store.services import _provider_kind, _service

if TYPE_CHECKING:
    from gridmap.store.sql import Transaction


def place(tx: Transaction, order: Mapping, *, household_id: str, by: str, at: pd.Timestamp,
          case_id: str | None = None, need_id: str | None = None,
          catalogue: Catalogue | None = None) -> dict:
    """Insert the order (``service_id``, ``quantity``, ``provider_id``) of a case or a
    need; returns its row. The provider must be of a kind allowed for the service."""
    catalogue, service_id = _service(catalogue, order.get("service_id"))
    quantity = order.get("quantity")
    if quantity is None or pd.isna(quantity) or float(quantity) <= 0:
        raise ValidationError("the quantity ordered must be more than 0", column="quantity")
    provider_id = order.get("provider_id")
    if not provider_id:
        raise ValidationError("an order needs the provider to deliver it",
                              column="provider_id")
    kind = _provider_kind(tx, provider_id)
    if not catalogue.allows(service_id, kind):
        raise ValidationError(f"a {kind} may not deliver {service_id}", column="provider_id")
    row = {"order_id": stages.new_id("O"), "household_id": household_id,
           "service_id": service_id, "quantity": float(quantity), "provider_id": provider_id,
           "case_id": case_id, "need_id": need_id, "ordered_by": by, "ordered_at": at,
           "delivered_at": None}
    tx.insert("service_orders", row)
    return row


def _frame(tx: Transaction, layer: str, columns: list[str], where: str, params) -> pd.DataFrame:
    rows = tx.execute(f"SELECT {', '.join(columns)} FROM {layer} WHERE {where}",
                      params).fetchall()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=columns)
    return schema.conform(layer, frame.reindex(columns=schema.LAYERS[layer].column_names)
                          )[columns]


def deliver(tx: Transaction, household_id: str, service_id: str, at: pd.Timestamp
            ) -> list[dict]:
    """Mark the household's open orders of ``service_id`` that its records now fill as
    delivered at ``at``; returns those orders' rows (as they were)."""
    key = "household_id = ? AND service_id = ?"
    columns = list(schema.LAYERS["service_orders"].column_names)
    orders = _frame(tx, "service_orders", columns, key + " AND delivered_at IS NULL",
                    (household_id, service_id))
    if orders.empty:
        return []
    since = tx.value("datetime", orders["ordered_at"].min())
    records = _frame(tx, "service_records",
                     ["household_id", "service_id", "started_at", "quantity"],
                     key + " AND started_at >= ?", (household_id, service_id, since))
    done = order_progress(orders, records).set_index("order_id")["done"]
    filled = orders[orders["order_id"].map(done).astype(bool)]
    rows = filled.to_dict(orient="records")
    for row in rows:
        tx.update("service_orders", "order_id", row, {"delivered_at": at})
    return rows
