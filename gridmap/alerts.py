"""An alert's life and its figures, as pure functions.

An alert raised by a department feed (``gridmap.feeds``) goes::

    new → assigned → verified → confirmed
                          └──→ dismissed

- ``assigned``: to a worker (an alert that found its worker is raised assigned; a
  lead that found no grid waits as ``new`` until someone places it);
- ``verified``: a door visit logged against it (for a registered household the visit
  is a ``visits`` row; for a lead, the visit is kept on the alert itself);
- ``confirmed``: with an outcome: a tier change, a case opened, or a referral to a
  named department; ``dismissed``: with a reason.

Deadlines are working days (``workdays``, the calendar cases use): a door visit within
``alerts.verify_working_days`` of the alert (``due_on``), then a decision within
``alerts.decide_working_days`` of the visit. Each change returns the new column values
and the ``alert_events`` row; the store writes both in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

import numpy as np
import pandas as pd

from gridmap import schema
from gridmap.errors import ValidationError
from gridmap.places import level_names
from gridmap.policy import Policy
from gridmap.privacy import suppress_derived
from gridmap.stages import new_id
from gridmap.workdays import add_working_days_many

FLOW: dict[str, tuple[str, ...]] = {
    "new": ("assigned",),
    "assigned": ("assigned", "verified"),
    "verified": ("confirmed", "dismissed"),
    "confirmed": (),
    "dismissed": (),
}
_SINCE = {"new": "raised_at", "assigned": "assigned_at", "verified": "verified_at",
          "confirmed": "decided_at", "dismissed": "decided_at"}
COUNTS = ("alerts", "new", "verified", "confirmed", "dismissed", "overdue")
REPORT_COLUMNS = (*COUNTS, "confirm_rate", "median_days_to_verify")


def _blank(value) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _text(value, name: str) -> str:
    if _blank(value):
        raise ValidationError("must not be empty", column=name)
    return str(value).strip()


def event(alert_id: str, from_stage: str | None, to_stage: str, actor: str, at,
          **detail) -> dict:
    """One ``alert_events`` row."""
    text = "; ".join(f"{k}={v}" for k, v in detail.items() if not _blank(v)) or None
    return {"event_id": new_id("E"), "alert_id": alert_id, "happened_at": at,
            "from_stage": from_stage, "to_stage": to_stage, "actor": actor, "detail": text}


def first_events(alerts: pd.DataFrame, actor: str) -> pd.DataFrame:
    """The first event of each freshly raised alert (``feeds.match``), vectorised."""
    n = len(alerts)
    ids = alerts["alert_id"].astype(str)
    return schema.conform("alert_events", pd.DataFrame({
        "event_id": ("E" + ids.str.slice(1) + "0").to_numpy(),
        "alert_id": ids.to_numpy(), "happened_at": alerts["raised_at"].to_numpy(),
        "from_stage": [None] * n, "to_stage": alerts["stage"].to_numpy(),
        "actor": [actor] * n,
        "detail": ("rule=" + alerts["rule"].astype(str) + "; feed="
                   + alerts["feed_id"].astype(str)).to_numpy()}))


def advance(row: Mapping, to_stage: str, *, actor: str, at: datetime | None = None,
            worker_id: str | None = None, grid_id: str | None = None,
            visit: Mapping | None = None, outcome: str | None = None,
            case_id: str | None = None, referral: str | None = None,
            tier: str | None = None, reason: str | None = None) -> tuple[dict, dict]:
    """Move an alert (its current row) to ``to_stage``: (changed columns, event row).

    - ``assigned`` needs ``worker_id`` (and ``grid_id`` for a lead not yet placed);
    - ``verified`` needs ``visit``: ``visited_at`` and ``method`` 'door', and for a
      registered household the ``visit_id`` of its ``visits`` row;
    - ``confirmed`` needs ``outcome``: ``tier_change`` with ``tier``, ``case`` with
      ``case_id``, or ``referral`` with ``referral`` (a department);
    - ``dismissed`` needs a ``reason``.
    """
    at = pd.Timestamp(at or datetime.now()).floor("s")
    actor = _text(actor, "actor")
    current = row["stage"]
    if to_stage not in FLOW:
        raise ValidationError(f"{to_stage!r} is not an alert stage; stages are "
                              f"{', '.join(FLOW)}", column="stage")
    if to_stage not in FLOW[current]:
        options = ", ".join(FLOW[current]) or "nothing: it is finished"
        raise ValidationError(f"alert {row['alert_id']} is {current!r} and can go to "
                              f"{options}, not to {to_stage!r}", column="stage")
    since = pd.Timestamp(row[_SINCE[current]] if not _blank(row[_SINCE[current]])
                         else row["raised_at"])
    if at < since:
        raise ValidationError(f"{at:%Y-%m-%d %H:%M} is before the alert became {current!r}",
                              column="happened_at")
    changes: dict = {"stage": to_stage}
    detail: dict = {}
    if to_stage == "assigned":
        changes.update(assigned_to=_text(worker_id, "worker_id"), assigned_at=at)
        if _blank(row["grid_id"]):
            changes.update(grid_id=_text(grid_id, "grid_id"), placed_by="unplaced")
        detail.update(worker=worker_id, grid=grid_id)
    elif to_stage == "verified":
        if not visit or _blank(visit.get("visited_at")):
            raise ValidationError("an alert is verified by a door visit: when was it?",
                                  column="visit")
        if visit.get("method", "door") != "door":
            raise ValidationError("an alert is verified by a door visit (上门核实), not by "
                                  f"{visit.get('method')!r}", column="visit")
        registered = row["kind"] == "registered"
        if registered and _blank(visit.get("visit_id")):
            raise ValidationError("the visit to the household must be logged first",
                                  column="visit")
        when = pd.Timestamp(visit["visited_at"]).floor("s")
        if when < pd.Timestamp(row["raised_at"]).normalize():
            raise ValidationError("the visit was before the alert was raised", column="visit")
        changes.update(verified_at=when, visit_id=visit.get("visit_id") if registered
                       else None)
        detail.update(visit=visit.get("visit_id"), note=visit.get("note"))
    elif to_stage == "confirmed":
        if outcome not in schema.ALERT_OUTCOMES:
            raise ValidationError(f"confirming needs an outcome: one of "
                                  f"{', '.join(schema.ALERT_OUTCOMES)}", column="outcome")
        if outcome == "tier_change" and tier not in schema.TIERS:
            raise ValidationError("a tier change needs the new tier", column="tier")
        if outcome == "case" and _blank(case_id):
            raise ValidationError("a case outcome needs the case opened", column="case_id")
        if outcome == "referral" and referral not in schema.REFERRALS:
            raise ValidationError(f"a referral needs the department: one of "
                                  f"{', '.join(schema.REFERRALS)}", column="referral")
        changes.update(decided_at=at, outcome=outcome,
                       case_id=case_id if outcome == "case" else None,
                       referral=referral if outcome == "referral" else None,
                       reason=None if _blank(reason) else str(reason).strip())
        detail.update(outcome=outcome, tier=tier, case=case_id, referral=referral)
    elif to_stage == "dismissed":
        changes.update(decided_at=at, reason=_text(reason, "reason"))
        detail.update(reason=changes["reason"])
    return changes, event(row["alert_id"], current, to_stage, actor, at, **detail)


# -- figures ---------------------------------------------------------------------------

def alert_state(alerts: pd.DataFrame, policy: Policy, *, as_of: date) -> pd.DataFrame:
    """Every alert raised by the end of ``as_of`` as it stood then: the alert columns
    plus ``stage`` (on that day), ``decide_due`` (``verified_at`` + decide working
    days), ``overdue`` (not verified by ``due_on``, or verified and undecided after
    ``decide_due``) and ``days_to_verify``."""
    end = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    out = alerts[(alerts["raised_at"] < end).to_numpy()].copy()
    for column in ("assigned_at", "verified_at", "decided_at"):
        out[column] = out[column].where(out[column] < end)
    stage = np.full(len(out), "new", dtype=object)
    stage[out["assigned_at"].notna().to_numpy()] = "assigned"
    stage[out["verified_at"].notna().to_numpy()] = "verified"
    decided = out["decided_at"].notna().to_numpy()
    stage[decided] = np.where(out["outcome"].notna().to_numpy()[decided], "confirmed",
                              "dismissed")
    out["stage"] = stage
    verified = out["verified_at"].notna().to_numpy()
    decide_due = np.full(len(out), np.datetime64("NaT"), dtype="datetime64[D]")
    if verified.any():
        decide_due[verified] = add_working_days_many(
            out.loc[verified, "verified_at"].to_numpy("datetime64[D]"),
            policy.feeds.decide_working_days)
    out["decide_due"] = pd.to_datetime(decide_due)
    late_verify = ~verified & (out["due_on"] + pd.Timedelta(days=1) <= end).to_numpy()
    late_decide = (verified & ~decided
                   & (out["decide_due"] + pd.Timedelta(days=1) <= end).to_numpy())
    out["overdue"] = late_verify | late_decide
    out["days_to_verify"] = (out["verified_at"] - out["raised_at"]).dt.total_seconds() / 86400
    return out.reset_index(drop=True)


def _area_keys(state: pd.DataFrame, grids: pd.DataFrame, areas: pd.DataFrame,
               level: str) -> pd.Series:
    """Each alert's area of ``level``: from its grid, or for an unplaced lead from its
    street (street and district levels only)."""
    if level == "grid":
        return state["grid_id"]
    column = schema.LEVEL_COLUMN[level]
    keys = state["grid_id"].map(grids.set_index("grid_id")[column])
    if level in ("street", "district"):
        street = state["street_id"].where(keys.isna())
        if level == "district":
            street = street.map(areas.set_index("area_id")["parent_id"])
        keys = keys.fillna(street)
    return keys


def alert_report(alerts: pd.DataFrame, grids: pd.DataFrame, areas: pd.DataFrame,
                 policy: Policy, *, level: str, as_of: date) -> pd.DataFrame:
    """Per area of ``level`` (every area), or per ``source`` when ``level='source'``:
    ``alerts, new`` (not verified yet), ``verified`` (reached verification),
    ``confirmed, dismissed, overdue``, ``confirm_rate`` (% confirmed of those decided:
    which feeds are worth their noise) and ``median_days_to_verify``."""
    state = alert_state(alerts, policy, as_of=as_of)
    state["is_new"] = state["stage"].isin(("new", "assigned"))
    state["is_verified"] = state["verified_at"].notna()
    state["is_confirmed"] = state["stage"] == "confirmed"
    state["is_dismissed"] = state["stage"] == "dismissed"
    by = "source" if level == "source" else "area_id"
    if by == "area_id":
        state["area_id"] = _area_keys(state, grids, areas, level)
    table = state.groupby(by).agg(
        alerts=("alert_id", "size"), new=("is_new", "sum"),
        verified=("is_verified", "sum"), confirmed=("is_confirmed", "sum"),
        dismissed=("is_dismissed", "sum"), overdue=("overdue", "sum"),
        median_days_to_verify=("days_to_verify", "median"))
    counts = list(COUNTS)
    if by == "area_id":
        names = level_names(areas, grids, level)
        table = table.reindex(names.index)
        table.insert(0, "name", names)
        table.index.name = "area_id"
    table[counts] = table[counts].fillna(0).astype(int)
    table = table.reset_index()
    decided = (table["confirmed"] + table["dismissed"]).replace(0, np.nan)
    table["confirm_rate"] = (100.0 * table["confirmed"] / decided).round(1)
    table["median_days_to_verify"] = table["median_days_to_verify"].round(1)
    first = ["area_id", "name"] if by == "area_id" else ["source"]
    return table[[*first, *REPORT_COLUMNS]]


def shown_report(table: pd.DataFrame, min_count: int) -> pd.DataFrame:
    """The report for a role without household access: counts below ``min_count``
    suppressed, and the rate and median derived from them withheld."""
    return suppress_derived(table, min_count, {
        "confirm_rate": ("confirmed", "dismissed"),
        "median_days_to_verify": ("verified",)})


def new_per_grid(alerts: pd.DataFrame, grids: pd.DataFrame, *, as_of: date,
                 days: int = 30) -> pd.Series:
    """Alerts raised per grid in the ``days`` up to ``as_of`` (every grid, zeros too):
    the map indicator and hotspot input."""
    end = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    recent = alerts[((alerts["raised_at"] < end)
                     & (alerts["raised_at"] >= end - pd.Timedelta(days=days))).to_numpy()]
    counts = recent["grid_id"].value_counts()
    return counts.reindex(grids["grid_id"].to_numpy(), fill_value=0).astype(int)
