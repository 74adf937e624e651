"""Figures of the closed loop and of needs: where each case stood on a day, what is
late, reports per area, the funnel, and the weekly hot list. Pure functions.

A case's stage on a day is read from its stage times, so any past day can be
reported. Definitions:

- *open*: reported, assessed or handling; the loop is not closed yet.
- *responded*: aid or a referral started (handling), or the case was closed
  straight after an assessment of 'not in difficulty'. Due by ``due_on``, counted
  in working days from the report (policy).
- *overdue*: open and not responded after ``due_on``; or helped, closed and not
  followed up more than ``follow_up_days`` after closing (the loop is still open).
  A case closed as 'not in difficulty' needs no follow-up.
- *closed* counts every case that reached closing (followed up or not).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from gridmap import schema
from gridmap.coverage import area_keys
from gridmap.places import level_names
from gridmap.policy import Policy

OPEN_STAGES = ("reported", "assessed", "handling")
_CASE_TIMES = {"reported": "reported_at", "assessed": "assessed_at", "handling": "handling_at",
               "closed": "closed_at", "followed_up": "followed_up_at"}
_NEED_TIMES = {"posted": "posted_at", "claimed": "claimed_at", "delivered": "delivered_at",
               "confirmed": "confirmed_at"}
AGE_BINS = (0, 7, 30, 90, 100_000)  # days, for maps of open cases by age
AGE_CLASSES = ("age_0_7", "age_8_30", "age_31_90", "age_over_90")


def _end_of(day: date) -> pd.Timestamp:
    return pd.Timestamp(day) + pd.Timedelta(days=1)


def _stage_on(frame: pd.DataFrame, times: dict[str, str], end: pd.Timestamp) -> np.ndarray:
    stage = np.full(len(frame), None, dtype=object)
    for name, column in times.items():  # in order: later stages overwrite earlier ones
        stage[(frame[column] < end).to_numpy(dtype=bool, na_value=False)] = name
    return stage


def case_state(cases: pd.DataFrame, policy: Policy, *, as_of: date) -> pd.DataFrame:
    """Every case reported by the end of ``as_of``, as it stood then.

    The case columns plus ``stage`` (on that day), ``is_open``, ``responded_at``,
    ``late`` (responded after the deadline, or not yet and past it), ``overdue``
    (see the module), ``follow_up_due``, ``age_days`` and ``days_to_close``.
    """
    end = _end_of(as_of)
    out = cases[(cases["reported_at"] < end).to_numpy()].copy()
    out["stage"] = _stage_on(out, _CASE_TIMES, end)
    for column in list(_CASE_TIMES.values())[1:]:
        out[column] = out[column].where(out[column] < end)
    is_open = out["stage"].isin(OPEN_STAGES).to_numpy()
    skipped = out["handling_at"].isna() & out["closed_at"].notna()  # not in difficulty
    responded = out["handling_at"].where(~skipped, out["closed_at"])
    deadline = out["due_on"] + pd.Timedelta(days=1)
    late_reply = responded.notna() & (responded >= deadline)
    waiting = responded.isna() & (deadline <= end)
    out["is_open"] = is_open
    out["responded_at"] = responded
    out["late"] = (late_reply | waiting).to_numpy()
    out["follow_up_due"] = out["closed_at"] + pd.Timedelta(days=policy.casework.follow_up_days)
    follow_up_late = ((out["stage"] == "closed") & out["handling_at"].notna()
                      & (out["follow_up_due"] < end))
    out["overdue"] = ((is_open & waiting) | follow_up_late).to_numpy()
    out["age_days"] = (end - out["reported_at"]).dt.days
    out["days_to_close"] = (out["closed_at"] - out["reported_at"]).dt.total_seconds() / 86400
    return out.reset_index(drop=True)


def age_class(age_days) -> pd.Categorical:
    """Days since a report, binned (``age_0_7`` ... ``age_over_90``)."""
    return pd.cut(np.asarray(age_days), AGE_BINS, labels=AGE_CLASSES, right=True,
                  include_lowest=True)


def _keys(frame: pd.DataFrame, households: pd.DataFrame, grids: pd.DataFrame, level: str
          ) -> np.ndarray:
    per_household = pd.Series(area_keys(households, grids, level),
                              index=households["household_id"].to_numpy())
    return per_household.reindex(frame["household_id"].to_numpy()).to_numpy()


def _named(table: pd.DataFrame, grids: pd.DataFrame, areas: pd.DataFrame, level: str,
           counts: list[str]) -> pd.DataFrame:
    names = level_names(areas, grids, level)
    table = table.reindex(names.index)
    table[counts] = table[counts].fillna(0).astype(int)
    table.insert(0, "name", names)
    table.index.name = "area_id"
    return table.reset_index()


def case_report(cases: pd.DataFrame, households: pd.DataFrame, grids: pd.DataFrame,
                areas: pd.DataFrame, policy: Policy, *, level: str, as_of: date
                ) -> pd.DataFrame:
    """Per area of ``level``: ``area_id, name, reported, open, overdue, closed,
    followed_up, median_days_to_close`` (every area, also those without cases)."""
    state = case_state(cases, policy, as_of=as_of)
    state["area_id"] = _keys(state, households, grids, level)
    state["is_closed"] = state["stage"].isin(("closed", "followed_up"))
    state["is_followed_up"] = state["stage"] == "followed_up"
    table = state.groupby("area_id").agg(
        reported=("case_id", "size"), open=("is_open", "sum"), overdue=("overdue", "sum"),
        closed=("is_closed", "sum"), followed_up=("is_followed_up", "sum"),
        median_days_to_close=("days_to_close", "median"))
    counts = ["reported", "open", "overdue", "closed", "followed_up"]
    table = _named(table, grids, areas, level, counts)
    table["median_days_to_close"] = table["median_days_to_close"].round(1)
    return table


def need_state(needs: pd.DataFrame, policy: Policy, *, as_of: date) -> pd.DataFrame:
    """Every need posted by the end of ``as_of`` as it stood then, with ``stage``,
    ``days_to_claim``, ``age_days`` and ``stale`` (unclaimed longer than the policy allows)."""
    end = _end_of(as_of)
    out = needs[(needs["posted_at"] < end).to_numpy()].copy()
    out["stage"] = _stage_on(out, _NEED_TIMES, end)
    for column in list(_NEED_TIMES.values())[1:]:
        out[column] = out[column].where(out[column] < end)
    out["days_to_claim"] = (out["claimed_at"] - out["posted_at"]).dt.total_seconds() / 86400
    out["age_days"] = (end - out["posted_at"]).dt.days
    out["stale"] = ((out["stage"] == "posted")
                    & (out["age_days"] > policy.casework.claim_days)).to_numpy()
    return out.reset_index(drop=True)


def need_report(needs: pd.DataFrame, households: pd.DataFrame, grids: pd.DataFrame,
                areas: pd.DataFrame, policy: Policy, *, level: str, as_of: date
                ) -> pd.DataFrame:
    """Per area of ``level`` (or per ``category`` when ``level='category'``): ``posted,
    claimed, delivered, confirmed, stale, match_rate`` (% claimed of posted) and
    ``median_days_to_claim``."""
    state = need_state(needs, policy, as_of=as_of)
    for name in ("claimed", "delivered", "confirmed"):
        state[f"has_{name}"] = state[_NEED_TIMES[name]].notna()
    by = "category" if level == "category" else "area_id"
    if by == "area_id":
        state["area_id"] = _keys(state, households, grids, level)
    table = state.groupby(by).agg(
        posted=("need_id", "size"), claimed=("has_claimed", "sum"),
        delivered=("has_delivered", "sum"), confirmed=("has_confirmed", "sum"),
        stale=("stale", "sum"), median_days_to_claim=("days_to_claim", "median"))
    counts = ["posted", "claimed", "delivered", "confirmed", "stale"]
    if by == "area_id":
        table = _named(table, grids, areas, level, counts)
    else:
        table = table.reindex(list(schema.NEED_CATEGORIES), fill_value=0)
        table[counts] = table[counts].astype(int)
        table = table.reset_index()
    table["match_rate"] = (100.0 * table["claimed"] / table["posted"].replace(0, np.nan)
                           ).round(1)
    table["median_days_to_claim"] = table["median_days_to_claim"].round(1)
    return table


FUNNEL_STEPS = ("discovered", "assessed", "enrolled", "followed_up", "helped_in_difficulty")


def funnel(cases: pd.DataFrame, policy: Policy, *, start: date, end: date) -> pd.DataFrame:
    """Cases reported from ``start`` to ``end`` and how far they got by ``end``.

    The funnel (seed 001's 筛查 → 纳入救助): discovered → assessed → enrolled (judged
    eligible and aid or referral started) → followed up (enrolled and visited after
    closing). A last row counts those judged not eligible but in difficulty who were
    helped all the same (seed 003: 134 of 409). Columns ``step, cases, pct`` (% of
    discovered).
    """
    state = case_state(cases, policy, as_of=end)
    state = state[(state["reported_at"] >= pd.Timestamp(start)).to_numpy()]
    helped = state["handling_at"].notna()
    enrolled = helped & (state["judgement"] == "eligible")
    counts = [len(state), int(state["assessed_at"].notna().sum()), int(enrolled.sum()),
              int((enrolled & state["followed_up_at"].notna()).sum()),
              int((helped & (state["judgement"] == "in_difficulty")).sum())]
    out = pd.DataFrame({"step": FUNNEL_STEPS, "cases": counts})
    out["pct"] = (100.0 * out["cases"] / max(len(state), 1)).round(1)
    return out


def hot_list(cases: pd.DataFrame, needs: pd.DataFrame, *, week_end: date,
             alerts: pd.DataFrame | None = None) -> pd.DataFrame:
    """The weekly ranking of newly found difficulties and needs, like the city hotline's,
    and of data-matching alerts by risk type when ``alerts`` are given (issue 20).

    For the seven days ending ``week_end`` against the seven before: one row per
    ``kind`` (``difficulty`` | ``need`` | ``alert``) and category with ``count,
    share_pct, rank, previous, previous_rank, change`` (count difference) and
    ``rank_change`` (positive = rose). Categories with nothing in either week are left
    out.
    """
    end = _end_of(week_end)
    weeks = {"this": (end - pd.Timedelta(days=7), end),
             "last": (end - pd.Timedelta(days=14), end - pd.Timedelta(days=7))}
    parts = []
    kinds = [("difficulty", cases, "reported_at", "category", schema.CASE_CATEGORIES),
             ("need", needs, "posted_at", "category", schema.NEED_CATEGORIES)]
    if alerts is not None:
        kinds.append(("alert", alerts, "raised_at", "risk", schema.ALERT_RISKS))
    for kind, frame, column, by, categories in kinds:
        counts = {}
        for week, (lo, hi) in weeks.items():
            inside = ((frame[column] >= lo) & (frame[column] < hi)).to_numpy()
            counts[week] = frame.loc[inside, by].value_counts().reindex(
                list(categories), fill_value=0)
        t = pd.DataFrame({"kind": kind, "category": list(categories),
                          "count": counts["this"].to_numpy(),
                          "previous": counts["last"].to_numpy()})
        t = t[(t["count"] > 0) | (t["previous"] > 0)].copy()
        t["share_pct"] = (100.0 * t["count"] / max(t["count"].sum(), 1)).round(1)
        # Only what was found is ranked: a category with none that week has no rank.
        t["rank"] = t["count"].where(t["count"] > 0).rank(
            method="min", ascending=False).astype("Int64")
        t["previous_rank"] = t["previous"].where(t["previous"] > 0).rank(
            method="min", ascending=False).astype("Int64")
        t["change"] = t["count"] - t["previous"]
        t["rank_change"] = t["previous_rank"] - t["rank"]
        parts.append(t.sort_values(["rank", "category"], na_position="last"))
    columns = ["kind", "category", "count", "share_pct", "rank", "previous", "previous_rank",
               "change", "rank_change"]
    return pd.concat(parts, ignore_index=True)[columns]


def open_cases_per_grid(cases: pd.DataFrame, households: pd.DataFrame, grids: pd.DataFrame,
                        policy: Policy, *, as_of: date) -> pd.Series:
    """Open cases per grid on ``as_of`` (every grid of ``grids``, zeros included)."""
    state = case_state(cases, policy, as_of=as_of)
    keys = _keys(state[state["is_open"]], households, grids, "grid")
    counts = pd.Series(keys).value_counts()
    return counts.reindex(grids["grid_id"].to_numpy(), fill_value=0).astype(int)
