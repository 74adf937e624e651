"""The state machines of the closed loop (cases) and of needs, as pure functions.

A case goes 发现报告 → 分析研判 → 跟踪办理 → 办结回访::

    reported → assessed → handling → closed → followed_up
                   └──────────────────┘  (closing straight after an assessment of
                                          'not_in_difficulty')

``handling → handling`` records further aid or referrals. A need (微心愿) goes
``posted → claimed → delivered → confirmed``. Each function checks one change and
returns the new column values plus the event row to keep; the store applies both in
one transaction. Anything else is refused with a ``ValidationError`` saying what the
record may do instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime

import pandas as pd

from gridmap import schema
from gridmap.errors import ValidationError
from gridmap.policy import Policy
from gridmap.workdays import add_working_days

CASE_FLOW: dict[str, tuple[str, ...]] = {
    "reported": ("assessed",),
    "assessed": ("handling", "closed"),
    "handling": ("handling", "closed"),
    "closed": ("followed_up",),
    "followed_up": (),
}
NEED_FLOW: dict[str, tuple[str, ...]] = {
    "posted": ("claimed",),
    "claimed": ("delivered",),
    "delivered": ("confirmed",),
    "confirmed": (),
}
_STAGE_TIME = {"reported": "reported_at", "assessed": "assessed_at", "handling": "handling_at",
               "closed": "closed_at", "followed_up": "followed_up_at", "posted": "posted_at",
               "claimed": "claimed_at", "delivered": "delivered_at",
               "confirmed": "confirmed_at"}
SEP = schema.CATEGORY_SEPARATOR


def new_id(prefix: str) -> str:
    """A fresh stable id such as ``C3f9a1c2b7d40``."""
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def _blank(value) -> bool:
    """True for None, NaN/NaT and the empty string (lists are never blank here)."""
    if isinstance(value, str):
        return value == ""
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _text(value, name: str) -> str:
    if _blank(value) or not str(value).strip():
        raise ValidationError("must not be empty", column=name)
    return str(value).strip()


def _items(values: Iterable[str] | str | None, allowed: tuple[str, ...], name: str
           ) -> list[str]:
    if _blank(values):
        return []
    items = [v for v in (values.split(SEP) if isinstance(values, str) else values) if v]
    unknown = [v for v in items if v not in allowed]
    if unknown:
        raise ValidationError(f"{unknown[0]!r} is not one of {', '.join(allowed)}", column=name)
    return list(dict.fromkeys(items))


def _choice(value, allowed: tuple[str, ...], name: str) -> str:
    if value not in allowed:
        raise ValidationError(f"{value!r} is not one of {', '.join(allowed)}", column=name)
    return value


def _event(key: str, subject_id: str, from_stage, to_stage: str, actor: str, at,
           detail: Mapping) -> dict:
    text = "; ".join(f"{k}={v}" for k, v in detail.items() if not _blank(v)) or None
    return {"event_id": new_id("E"), key: subject_id, "happened_at": at,
            "from_stage": from_stage, "to_stage": to_stage, "actor": actor, "detail": text}


def _check(kind: str, flow: Mapping, row: Mapping, to_stage: str, at: pd.Timestamp) -> str:
    """The current stage, after checking that ``to_stage`` may follow it at ``at``."""
    key = f"{kind}_id"
    current = row["stage"]
    if to_stage not in flow:
        raise ValidationError(f"{to_stage!r} is not a {kind} stage; stages are "
                              f"{', '.join(flow)}", column="stage")
    allowed = flow[current]
    if to_stage not in allowed:
        options = ", ".join(allowed) if allowed else "nothing: it is finished"
        raise ValidationError(f"{kind} {row[key]} is {current!r} and can go to {options}, "
                              f"not to {to_stage!r}", column="stage")
    since = pd.Timestamp(row[_STAGE_TIME[current]])
    if at < since:
        raise ValidationError(f"{at:%Y-%m-%d %H:%M} is before the {kind} became {current!r} "
                              f"({since:%Y-%m-%d %H:%M})", column="happened_at")
    return current


def when(at: datetime | None) -> pd.Timestamp:
    """``at`` to the second, or now."""
    return pd.Timestamp(at or datetime.now()).floor("s")


# -- cases ------------------------------------------------------------------

def new_case(*, household_id: str, source: str, category: str, urgency: str,
             description: str, reported_by: str, policy: Policy,
             reported_at: datetime | None = None, case_id: str | None = None
             ) -> tuple[dict, dict]:
    """A freshly reported case and its first event; the deadline is set from the policy."""
    at = when(reported_at)
    case_id = case_id or new_id("C")
    urgency = _choice(urgency, schema.URGENCIES, "urgency")
    days = policy.casework.deadline_working_days[urgency]
    row = {
        "case_id": case_id, "household_id": _text(household_id, "household_id"),
        "source": _choice(source, schema.CASE_SOURCES, "source"),
        "category": _choice(category, schema.CASE_CATEGORIES, "category"),
        "urgency": urgency, "description": _text(description, "description"),
        "reported_by": _text(reported_by, "reported_by"), "reported_at": at,
        "stage": "reported", "due_on": pd.Timestamp(add_working_days(at.date(), days)),
    }
    for c in schema.LAYERS["cases"].columns:
        row.setdefault(c.name, None)
    event = _event("case_id", case_id, None, "reported", row["reported_by"], at,
                   {"source": source, "category": category, "urgency": urgency})
    return row, event


def advance_case(row: Mapping, to_stage: str, *, actor: str, at: datetime | None = None,
                 judgement: str | None = None, assistance: Iterable[str] | None = None,
                 referrals: Iterable[str] | None = None, aid_kind: str | None = None,
                 aid_amount: float | None = None, visit: Mapping | None = None,
                 order: str | None = None, note: str | None = None) -> tuple[dict, dict]:
    """Move a case (its current row) to ``to_stage``: (changed columns, event row).

    - ``assessed`` needs a ``judgement``; ``eligible`` needs ``assistance`` items,
      ``not_in_difficulty`` takes none.
    - ``handling`` needs referrals, aid (``aid_kind`` with ``aid_amount``) or a
      service ``order`` (its id); again from ``handling`` it adds to them.
    - ``closed`` from ``assessed`` only when the judgement was ``not_in_difficulty``.
    - ``followed_up`` needs ``visit``: a visit (``visit_id``, ``visited_at``) to the
      household after the case was closed.
    """
    at = when(at)
    actor = _text(actor, "actor")
    current = _check("case", CASE_FLOW, row, to_stage, at)
    changes: dict = {"stage": to_stage, _STAGE_TIME[to_stage]: at}
    detail: dict = {"note": note}
    if to_stage == "assessed":
        judgement = _choice(judgement, schema.JUDGEMENTS, "judgement")
        items = _items(assistance, schema.ASSISTANCE, "assistance")
        if judgement == "eligible" and not items:
            raise ValidationError("an eligible case needs the assistance it is eligible for",
                                  column="assistance")
        if judgement == "not_in_difficulty" and items:
            raise ValidationError("no assistance for a case judged not in difficulty",
                                  column="assistance")
        changes.update(judgement=judgement, assistance=SEP.join(items) or None)
        detail.update(judgement=judgement, assistance=SEP.join(items))
    elif to_stage == "handling":
        if row["judgement"] == "not_in_difficulty":
            raise ValidationError(f"case {row['case_id']} was judged not in difficulty; "
                                  "close it instead", column="stage")
        new_refs = _items(referrals, schema.REFERRALS, "referrals")
        has_aid = not _blank(aid_kind)
        if has_aid and (aid_amount is None or pd.isna(aid_amount) or aid_amount < 0):
            raise ValidationError("aid needs an amount (0 or more yuan)", column="aid_amount")
        if not new_refs and not has_aid and _blank(order):
            raise ValidationError("handling needs a referral, aid given or a service "
                                  "ordered", column="referrals")
        refs = _items(row["referrals"], schema.REFERRALS, "referrals") + new_refs
        kinds = [] if _blank(row["aid_kind"]) else str(row["aid_kind"]).split(SEP)
        amount = 0.0 if _blank(row["aid_amount"]) else float(row["aid_amount"])
        if has_aid:
            kinds.append(str(aid_kind).strip())
            amount += float(aid_amount)
        changes.update(referrals=SEP.join(dict.fromkeys(refs)) or None,
                       aid_kind=SEP.join(kinds) or None,
                       aid_amount=amount if kinds else None)
        if current == "handling":  # more help; handling started earlier
            changes["handling_at"] = row["handling_at"]
        detail.update(referrals=SEP.join(new_refs), aid_kind=aid_kind if has_aid else None,
                      aid_amount=aid_amount if has_aid else None)
    elif to_stage == "closed":
        if current == "assessed" and row["judgement"] != "not_in_difficulty":
            raise ValidationError(f"case {row['case_id']} needs aid or a referral before it "
                                  "is closed (only a case judged not in difficulty closes "
                                  "straight away)", column="stage")
    elif to_stage == "followed_up":
        if not visit or _blank(visit.get("visit_id")):
            raise ValidationError(f"case {row['case_id']} needs a visit to the household "
                                  "after closing before it is followed up", column="visit")
        if pd.Timestamp(visit["visited_at"]) <= pd.Timestamp(row["closed_at"]):
            raise ValidationError(f"visit {visit['visit_id']} was before the case was closed",
                                  column="visit")
        changes["follow_up_visit_id"] = visit["visit_id"]
        detail["visit"] = visit["visit_id"]
    if not _blank(order):  # the service ordered (handling) or delivered (closed)
        detail["order"] = order
    return changes, _event("case_id", row["case_id"], current, to_stage, actor, at, detail)


# -- needs ------------------------------------------------------------------

def new_need(*, household_id: str, category: str, description: str, posted_by: str,
             posted_at: datetime | None = None, need_id: str | None = None
             ) -> tuple[dict, dict]:
    """A freshly posted need and its first event."""
    at = when(posted_at)
    need_id = need_id or new_id("N")
    row = {"need_id": need_id, "household_id": _text(household_id, "household_id"),
           "category": _choice(category, schema.NEED_CATEGORIES, "category"),
           "description": _text(description, "description"),
           "posted_by": _text(posted_by, "posted_by"), "posted_at": at, "stage": "posted"}
    for c in schema.LAYERS["needs"].columns:
        row.setdefault(c.name, None)
    return row, _event("need_id", need_id, None, "posted", row["posted_by"], at,
                       {"category": category})


def advance_need(row: Mapping, to_stage: str, *, actor: str, at: datetime | None = None,
                 helper: str | None = None, helper_kind: str | None = None,
                 order: str | None = None, note: str | None = None) -> tuple[dict, dict]:
    """Move a need to ``to_stage``; ``claimed`` needs the ``helper`` and ``helper_kind``.
    ``order`` is the service order that claimed (or delivered) it."""
    at = when(at)
    actor = _text(actor, "actor")
    current = _check("need", NEED_FLOW, row, to_stage, at)
    changes: dict = {"stage": to_stage, _STAGE_TIME[to_stage]: at}
    detail: dict = {"note": note}
    if to_stage == "claimed":
        changes.update(helper=_text(helper, "helper"),
                       helper_kind=_choice(helper_kind, schema.HELPER_KINDS, "helper_kind"))
        detail.update(helper=changes["helper"], helper_kind=helper_kind)
    if not _blank(order):
        detail["order"] = order
    return changes, _event("need_id", row["need_id"], current, to_stage, actor, at, detail)
