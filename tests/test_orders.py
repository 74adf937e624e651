"""A case or a need orders a service from the catalogue, and its delivery closes the
loop (issue 21): the pure filling of orders, and the writes on both backends."""

from __future__ import annotations

import pandas as pd
import pytest

from gridmap import services as sv
from gridmap.errors import ValidationError
from gridmap.guard import AccessDenied
from gridmap.policy import Policy

from .test_access import expected_households, guarded

T = pd.Timestamp


def _orders(rows):
    return pd.DataFrame(rows, columns=["order_id", "household_id", "service_id", "quantity",
                                       "ordered_at"]).assign(ordered_at=lambda f: pd.to_datetime(
                                           f["ordered_at"]))


def _records(rows):
    return pd.DataFrame(rows, columns=["household_id", "service_id", "started_at",
                                       "quantity"]).assign(started_at=lambda f: pd.to_datetime(
                                           f["started_at"]))


def test_records_fill_orders_oldest_first_and_only_after_they_were_placed():
    orders = _orders([("O1", "H1", "home_care", 3.0, "2026-11-02 09:00"),
                      ("O2", "H1", "home_care", 2.0, "2026-11-05 09:00"),
                      ("O3", "H2", "home_care", 1.0, "2026-11-02 09:00"),
                      ("O4", "H1", "counselling", 1.0, "2026-11-02 09:00")])
    records = _records([("H1", "home_care", "2026-11-01 10:00", 5.0),  # before any order
                        ("H1", "home_care", "2026-11-03 10:00", 2.0),  # O1: 2 of 3
                        ("H1", "home_care", "2026-11-06 10:00", 2.5),  # O1 full, O2: 1.5
                        ("H2", "counselling", "2026-11-03 10:00", 1.0)])  # not O3's service
    got = sv.order_progress(orders, records).set_index("order_id")
    assert got["delivered"].to_dict() == {"O1": 3.0, "O2": 1.5, "O3": 0.0, "O4": 0.0}
    assert got["done"].to_dict() == {"O1": True, "O2": False, "O3": False, "O4": False}
    # A record that started before the second order fills only the first.
    early = _records([("H1", "home_care", "2026-11-03 10:00", 9.0)])
    got = sv.order_progress(orders, early).set_index("order_id")
    assert got.loc["O1", "delivered"] == 3.0 and got.loc["O2", "delivered"] == 0.0


def _centre(store, kind="养老服务中心") -> str:
    providers = store.read("providers")
    return providers.loc[providers["kind"] == kind, "provider_id"].iloc[0]


def _handled_case(store, household: str, actor: str) -> str:
    """A case reported and assessed eligible for the household: ready to be handled."""
    case_id = store.report_case(household_id=household, source="visit", category="因病",
                                urgency="ordinary", description="独居老人，术后需照护",
                                reported_by=actor, reported_at=T("2026-11-10 09:00"),
                                policy=Policy())
    store.advance_case(case_id, "assessed", actor=actor, at=T("2026-11-10 15:00"),
                       judgement="eligible", assistance=["临时救助"])
    return case_id


def _record(store, household: str, provider: str, at: str, hours: float, by: str) -> str:
    return store.record_service(household_id=household, service_id="home_care",
                                provider_id=provider, delivered_by="王芳", started_at=T(at),
                                quantity=hours, recorded_by=by)


def test_a_case_orders_hours_of_care_and_the_record_that_fills_them_closes_it(any_store):
    worker = guarded(any_store, "worker")
    mine = sorted(expected_households(any_store, "worker"))[0]
    me = worker.principal.username
    case_id = _handled_case(worker, mine, me)
    centre = _centre(any_store)
    worker.advance_case(case_id, "handling", actor=me, at=T("2026-11-11 09:00"),
                        order={"service_id": "home_care", "quantity": 4,
                               "provider_id": centre})
    orders = any_store.read("service_orders")
    order = orders[orders["case_id"] == case_id].iloc[0]
    assert (order["household_id"], order["quantity"], order["provider_id"]) == (mine, 4.0,
                                                                                centre)
    assert pd.isna(order["delivered_at"])
    events = any_store.read("case_events")
    assert order["order_id"] in events.loc[events["case_id"] == case_id, "detail"].iloc[-1]

    _record(worker, mine, centre, "2026-11-09 09:00", 8, me)  # before the order: no
    _record(worker, mine, centre, "2026-11-12 09:00", 2.5, me)
    case = any_store.read("cases").set_index("case_id").loc[case_id]
    assert case["stage"] == "handling"
    _record(worker, mine, centre, "2026-11-13 09:00", 1.5, me)
    case = any_store.read("cases").set_index("case_id").loc[case_id]
    assert case["stage"] == "closed" and pd.notna(case["closed_at"])
    order = any_store.read("service_orders").set_index("order_id").loc[order["order_id"]]
    assert pd.notna(order["delivered_at"])
    last = any_store.read("case_events").query("case_id == @case_id").sort_values(
        "happened_at").iloc[-1]
    assert last["to_stage"] == "closed" and f"order={order.name}" in last["detail"]
    actions = any_store.read("audit")["action"]
    assert (actions == "record_service").sum() >= 3 and (actions == "advance_case").any()


def test_a_need_claimed_by_ordering_a_service_is_delivered_by_its_record(any_store):
    chief = guarded(any_store, "chief")
    theirs = sorted(expected_households(any_store, "chief"))[0]
    me = chief.principal.username
    need_id = chief.post_need(household_id=theirs, category="陪伴照料",
                              description="需要上门助浴两次", posted_by=me,
                              posted_at=T("2026-11-10 09:00"))
    centre = _centre(any_store)
    chief.advance_need(need_id, "claimed", actor=me, at=T("2026-11-10 10:00"),
                       order={"service_id": "home_care", "quantity": 2,
                              "provider_id": centre})
    need = any_store.read("needs").set_index("need_id").loc[need_id]
    name = any_store.read("providers").set_index("provider_id").loc[centre, "name"]
    assert (need["stage"], need["helper"], need["helper_kind"]) == ("claimed", name,
                                                                    "organisation")
    _record(chief, theirs, centre, "2026-11-11 09:00", 2, me)
    need = any_store.read("needs").set_index("need_id").loc[need_id]
    assert need["stage"] == "delivered" and pd.notna(need["delivered_at"])
    events = any_store.read("need_events").query("need_id == @need_id").sort_values(
        "happened_at")
    order_id = any_store.read("service_orders").query("need_id == @need_id")["order_id"].iloc[0]
    assert [f"order={order_id}" in d for d in events["detail"].iloc[1:]] == [True, True]


def test_an_order_refused_writes_nothing_and_a_helper_cannot_order(any_store):
    worker = guarded(any_store, "worker")
    mine = sorted(expected_households(any_store, "worker"))[0]
    me = worker.principal.username
    case_id = _handled_case(worker, mine, me)
    before = len(any_store.read("service_orders"))
    meals = _centre(any_store, "助餐点")
    with pytest.raises(ValidationError, match="may not deliver"):
        worker.advance_case(case_id, "handling", actor=me, at=T("2026-11-11 09:00"),
                            order={"service_id": "home_care", "quantity": 4,
                                   "provider_id": meals})
    with pytest.raises(ValidationError, match="more than 0"):
        worker.advance_case(case_id, "handling", actor=me, at=T("2026-11-11 09:00"),
                            order={"service_id": "home_care", "quantity": 0,
                                   "provider_id": _centre(any_store)})
    with pytest.raises(ValidationError, match="when it is handled"):
        worker.advance_case(case_id, "closed", actor=me, order={
            "service_id": "home_care", "quantity": 1, "provider_id": _centre(any_store)})
    assert len(any_store.read("service_orders")) == before
    assert any_store.read("cases").set_index("case_id").loc[case_id, "stage"] == "assessed"
    needs = any_store.read("needs")
    posted = needs.loc[needs["stage"] == "posted", "need_id"].iloc[0]
    with pytest.raises(AccessDenied):
        guarded(any_store, "helper").advance_need(posted, "claimed", order={
            "service_id": "home_care", "quantity": 1, "provider_id": _centre(any_store)})
    assert len(any_store.read("service_orders")) == before
