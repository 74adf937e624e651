"""Visit coverage: due dates, overdue households and coverage per area.

Definitions (the README states them; tests pin them):

- A household's **due date** is its last counted visit (or ``tier_since`` if it
  has none) plus its tier's interval from the policy. Only visits on or before
  the reference day ``D`` with a counted method count.
- A tier with an in-person rule (policy ``in_person_days``) is also due its last
  ``door`` visit (or ``tier_since``) plus that many days; the earlier date wins.
- It is **overdue** on ``D`` if due < D; **days overdue** = D - due.
- **Coverage** of an area on ``D`` = households not overdue / households,
  overall and per tier.
"""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from gridmap import schema
from gridmap.policy import Policy


def positions_in(values, universe) -> np.ndarray:
    """Position of each of ``values`` in ``universe`` (-1 if absent), hashed by Arrow:
    ~5x faster than ``Index.get_indexer`` on millions of ids."""
    def arrow(strings) -> pa.Array:
        array = pa.array(strings)  # zero-copy for pandas' Arrow-backed strings
        return array if array.type == pa.large_string() else array.cast(pa.large_string())
    found = pc.index_in(arrow(values), value_set=arrow(universe))
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _last_per_household(positions: np.ndarray, times: np.ndarray, n: int
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Latest time per household position (``NaT`` if none) and the row that holds it."""
    nat = np.iinfo(np.int64).min
    last = np.full(n, nat, dtype=np.int64)
    np.maximum.at(last, positions, times)
    row = np.full(n, -1)
    hit = np.flatnonzero(times == last[positions])
    row[positions[hit]] = hit  # ties: any of the equal rows
    return last, row


def household_status(households: pd.DataFrame, visits: pd.DataFrame, policy: Policy, *,
                     as_of: date) -> pd.DataFrame:
    """One row per household (same order as ``households``): last counted visit, due date
    and whether it is overdue on ``as_of``."""
    n = len(households)
    day = pd.Timestamp(as_of)
    end = (day + pd.Timedelta(days=1)).to_datetime64().astype("datetime64[ms]").astype(np.int64)
    # Integer work from here: visits -> household positions, times as int64 milliseconds.
    position = positions_in(visits["household_id"], households["household_id"])
    times = visits["visited_at"].to_numpy(dtype="datetime64[ms]").astype(np.int64)
    method = positions_in(visits["method"], schema.VISIT_METHODS)  # method codes
    counted = np.isin(method, [schema.VISIT_METHODS.index(m) for m in policy.counted_methods])
    keep = (position >= 0) & (times < end) & counted
    position, times, method = position[keep], times[keep], method[keep]
    last, row = _last_per_household(position, times, n)
    seen = row >= 0
    last_visit = np.where(seen, last, np.iinfo(np.int64).min).astype("datetime64[ms]")
    last_method = np.full(n, None, dtype=object)
    last_method[seen] = np.array(schema.VISIT_METHODS, dtype=object)[method[row[seen]]]

    tier_code = pd.Categorical(households["tier"], categories=schema.TIERS).codes
    since = households["tier_since"].to_numpy(dtype="datetime64[ms]")
    day_ms = np.int64(86_400_000)
    base = np.where(seen, last - last % day_ms, since.astype(np.int64))
    intervals = np.array([policy.interval_days[t] for t in schema.TIERS], dtype=np.int64)
    due = base + intervals[tier_code] * day_ms
    if policy.in_person_days:
        door = method == schema.VISIT_METHODS.index("door")
        door_last, door_row = _last_per_household(position[door], times[door], n)
        door_base = np.where(door_row >= 0, door_last - door_last % day_ms,
                             since.astype(np.int64))
        rule = np.array([policy.in_person_days.get(t, -1) for t in schema.TIERS])[tier_code]
        has_rule = rule > 0
        due = np.where(has_rule, np.minimum(due, door_base + rule * day_ms), due)
    due = due.astype("datetime64[ms]")
    until = ((due - day.to_datetime64().astype("datetime64[ms]"))
             // np.timedelta64(1, "D")).astype(np.int64)
    return pd.DataFrame({
        "household_id": households["household_id"].to_numpy(),
        "tier": households["tier"].to_numpy(),
        "last_visit": pd.to_datetime(last_visit),
        "last_method": last_method,
        "due": pd.to_datetime(due),
        "overdue": until < 0,
        "days_overdue": np.maximum(-until, 0),
        "days_until_due": until,
    })


def coverage_by(status: pd.DataFrame, keys) -> pd.DataFrame:
    """Coverage per group: ``keys`` gives each status row's area id (aligned by position).

    Columns: ``households, covered, overdue, coverage_pct`` and the same per tier
    (``households_red``, ..., ``coverage_pct_green``). Percentages are 0-100;
    an area without households of a tier has NaN coverage for it.
    """
    codes, uniques = pd.factorize(np.asarray(keys), sort=True)
    k = len(uniques)
    late = status["overdue"].to_numpy().astype(np.int64)
    tier = pd.Categorical(status["tier"], categories=schema.TIERS).codes
    out = pd.DataFrame(index=pd.Index(uniques, name="area_id"))
    out["households"] = np.bincount(codes, minlength=k)
    out["overdue"] = np.bincount(codes, weights=late, minlength=k).astype(int)
    out["covered"] = out["households"] - out["overdue"]
    out["coverage_pct"] = 100.0 * out["covered"] / out["households"]
    for i, name in enumerate(schema.TIERS):
        mine = tier == i
        n = np.bincount(codes[mine], minlength=k)
        o = np.bincount(codes[mine], weights=late[mine], minlength=k).astype(int)
        out[f"households_{name}"] = n
        out[f"covered_{name}"] = n - o
        out[f"overdue_{name}"] = o
        out[f"coverage_pct_{name}"] = np.where(n > 0, 100.0 * (n - o) / np.maximum(n, 1),
                                               np.nan)
    return out[["households", "covered", "overdue", "coverage_pct"]
               + [c for c in out.columns if "_" in c and c != "coverage_pct"]]


def area_keys(households: pd.DataFrame, grids: pd.DataFrame, level: str) -> np.ndarray:
    """Each household's area id at ``level`` (by position, without string maps)."""
    if level == "grid":
        return households["grid_id"].to_numpy()
    where = positions_in(households["grid_id"], grids["grid_id"])
    return grids[schema.LEVEL_COLUMN[level]].to_numpy()[where]


def update_status(status: pd.DataFrame, households: pd.DataFrame, visits: pd.DataFrame,
                  changed, policy: Policy, *, as_of: date) -> pd.DataFrame:
    """``household_status`` after a write, from the changed households alone: ``status``
    was computed from ``households`` and an earlier ``visits``; ``visits`` is the new
    one, and only the households ``changed`` (ids) have visits added or changed. Equal
    to ``household_status(households, visits, ...)`` (tests/test_coverage.py holds it),
    without scanning every household: only their rows are recomputed and replaced."""
    rows = positions_in(households["household_id"], pd.unique(np.asarray(changed, object)))
    rows = np.flatnonzero(rows >= 0)
    if not len(rows):
        return status
    mine = households.iloc[rows]
    theirs = visits[positions_in(visits["household_id"], mine["household_id"]) >= 0]
    fresh = household_status(mine, theirs, policy, as_of=as_of)
    out = status.copy()
    for column in out.columns:
        values = out[column].to_numpy(copy=True)
        values[rows] = fresh[column].to_numpy()
        out[column] = values
    return out


def coverage_table(households: pd.DataFrame, visits: pd.DataFrame, grids: pd.DataFrame,
                   areas: pd.DataFrame, policy: Policy, *, level: str, as_of: date,
                   status: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per area of ``level`` (every area, also those without households):
    ``area_id, name, households, covered, overdue, coverage_pct`` and per-tier columns.
    ``status``: ``household_status`` of the same data, when known already."""
    if status is None:
        status = household_status(households, visits, policy, as_of=as_of)
    table = coverage_by(status, area_keys(households, grids, level))
    if level == "grid":
        names = grids.set_index("grid_id")["name"]
    else:
        names = areas[areas["level"] == level].set_index("area_id")["name"]
    table = table.reindex(names.index)
    counts = [c for c in table.columns if not c.startswith("coverage_pct")]
    table[counts] = table[counts].fillna(0).astype(int)
    table.insert(0, "name", names)
    table.index.name = "area_id"
    return table.reset_index()


def overdue_list(households: pd.DataFrame, status: pd.DataFrame, grid_names: pd.Series,
                 workers: pd.DataFrame) -> pd.DataFrame:
    """Overdue households, most urgent first: by tier (red first), then days overdue.

    ``status`` and ``workers`` (``responsible_workers``) are aligned with ``households``.
    Only the alias identifies a household here.
    """
    late = status["overdue"].to_numpy()
    rows = pd.DataFrame({
        "alias": households["alias"].to_numpy()[late],
        "tier": status["tier"].to_numpy()[late],
        "grid": grid_names.reindex(households["grid_id"].to_numpy()[late]).to_numpy(),
        "worker": workers["worker"].to_numpy()[late],
        "worker_id": workers["worker_id"].to_numpy()[late],
        "last_visit": status["last_visit"].to_numpy()[late],
        "last_method": status["last_method"].to_numpy()[late],
        "due": status["due"].to_numpy()[late],
        "days_overdue": status["days_overdue"].to_numpy()[late],
        "household_id": households["household_id"].to_numpy()[late],
    })
    rank = rows["tier"].map({tier: i for i, tier in enumerate(schema.TIERS)})
    order = np.lexsort((-rows["days_overdue"].to_numpy(), rank.to_numpy()))
    return rows.iloc[order].reset_index(drop=True)


def week_ends(visits: pd.DataFrame, policy: Policy, *, as_of: date, weeks: int = 26
              ) -> pd.DatetimeIndex:
    """The week ends ``weekly_trend`` reports on for these visits."""
    ends = pd.DatetimeIndex([pd.Timestamp(as_of) - pd.Timedelta(weeks=k)
                             for k in range(weeks)][::-1])
    counted = visits.loc[visits["method"].isin(policy.counted_methods), "visited_at"]
    if len(counted):
        reach = counted.min().normalize() + pd.Timedelta(days=max(policy.interval_days.values()))
        ends = ends[ends >= reach]
    return ends


def update_trend(trend: pd.DataFrame, households: pd.DataFrame, before: pd.DataFrame,
                 after: pd.DataFrame, policy: Policy, *, as_of: date) -> pd.DataFrame:
    """``weekly_trend`` after visits were added, from the households visited alone:
    ``trend`` is the old figure, ``households`` those visited, ``before`` and ``after``
    their visits without and with the new ones. Their covered counts come off and go
    back on; the totals stay (households count by ``tier_since``). Equal to
    ``weekly_trend`` of everything (tests/test_readmodel.py)."""
    ends = pd.DatetimeIndex(trend["week_end"].unique())
    key = ["week_end", "tier"]
    old = weekly_trend(households, before, policy, as_of=as_of, ends=ends).set_index(key)
    new = weekly_trend(households, after, policy, as_of=as_of, ends=ends).set_index(key)
    out = trend.set_index(key)
    covered = (out["covered"].sub(old["covered"], fill_value=0)
               .add(new["covered"], fill_value=0)).reindex(out.index)
    out = out.assign(covered=covered.astype(out["covered"].dtype))
    out["coverage_pct"] = 100.0 * out["covered"] / out["households"]
    return out.reset_index()


def weekly_trend(households: pd.DataFrame, visits: pd.DataFrame, policy: Policy, *,
                 as_of: date, weeks: int = 26, ends: pd.DatetimeIndex | None = None
                 ) -> pd.DataFrame:
    """Coverage per tier at the end of each of the last ``weeks`` weeks (ending ``as_of``).

    Columns ``week_end, tier, households, covered, coverage_pct``; tier ``all`` is the
    total. Households count from their ``tier_since``; each is judged by its current
    tier (tier history is in ``tier_changes``), and by the interval rule only. Weeks
    less than one longest interval after the first recorded visit are left out:
    before that, a visit that did happen may simply not be in the records.
    """
    if ends is None:  # or given: those of the whole data, for a part of it
        ends = week_ends(visits, policy, as_of=as_of, weeks=weeks)
    # A household is judged at a week end if its tier began by then; it is covered there
    # if it had a counted visit within its interval before it (a visit on day v covers
    # the ends in [v, v + interval]), or, with no visit yet by then, if its tier began
    # within the interval. Integer work on a households x weeks matrix (issue 23: 26
    # weeks of a province's million households in seconds, not a 26-million-row join).
    counted = visits[visits["method"].isin(policy.counted_methods)]
    n, k = len(households), len(ends)
    day_ms = np.int64(86_400_000)
    end_ms = ends.to_numpy(dtype="datetime64[ms]").astype(np.int64)
    tier_code = pd.Categorical(households["tier"], categories=schema.TIERS).codes
    interval = np.array([policy.interval_days[t] for t in schema.TIERS], np.int64)[tier_code]
    since = households["tier_since"].to_numpy(dtype="datetime64[ms]").astype(np.int64)
    row = positions_in(counted["household_id"], households["household_id"])
    times = counted["visited_at"].to_numpy(dtype="datetime64[ms]").astype(np.int64)
    keep = row >= 0
    row, times = row[keep], times[keep]
    day = times - times % day_ms
    lo = np.searchsorted(end_ms, day, side="left")  # the first end on or after the visit
    hi = np.searchsorted(end_ms, day + interval[row] * day_ms, side="right")  # past the last
    hit = lo < hi
    marks = np.zeros((n, k + 1), np.int32)
    np.add.at(marks, (row[hit], lo[hit]), 1)
    np.add.at(marks, (row[hit], hi[hit]), -1)
    by_visit = np.cumsum(marks, axis=1)[:, :k] > 0
    first = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first, row, day)
    unvisited = first[:, None] > end_ms[None, :]
    by_since = since[:, None] + interval[:, None] * day_ms >= end_ms[None, :]
    covered = by_visit | (unvisited & by_since)
    judged = since[:, None] <= end_ms[None, :]
    frames = []
    for name in [*sorted(set(schema.TIERS)), "all"]:
        mine = judged if name == "all" else judged & (tier_code == schema.TIERS.index(name)
                                                      )[:, None]
        size = mine.sum(axis=0)
        got = (covered & mine).sum(axis=0)
        frames.append(pd.DataFrame({"week_end": ends.to_numpy(dtype="datetime64[ms]"),
                                    "tier": name, "households": size.astype(np.int64),
                                    "covered": got.astype(np.int64)})[size > 0])
    out = pd.concat(frames, ignore_index=True)
    out["coverage_pct"] = 100.0 * out["covered"] / out["households"]
    return out.sort_values(["week_end", "tier"], ignore_index=True)


def never_visited(households: pd.DataFrame, status: pd.DataFrame) -> pd.Series:
    """Households with no counted visit at all, per tier (all tiers listed)."""
    none = status["last_visit"].isna().to_numpy()
    return (pd.Series(households["tier"].to_numpy()[none]).value_counts()
            .reindex(list(schema.TIERS), fill_value=0).astype(int))


def tier_flows(tier_changes: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """How many households moved from each tier (rows) to each tier (columns) in
    ``start``..``end`` (days included)."""
    day = tier_changes["changed_at"].dt.normalize()
    rows = tier_changes[(day >= pd.Timestamp(start)) & (day <= pd.Timestamp(end))]
    table = pd.crosstab(rows["from_tier"], rows["to_tier"])
    return table.reindex(index=list(schema.TIERS), columns=list(schema.TIERS),
                         fill_value=0).astype(int)


def warning_levels(households: pd.DataFrame, visits: pd.DataFrame, policy: Policy, *,
                   as_of: date) -> pd.Series:
    """The graded warning 0-3 per household (same order), scored as the policy says."""
    w = policy.warnings
    cats = households["categories"].fillna("")
    def has_any(names: tuple[str, ...]) -> np.ndarray:
        if not names:
            return np.zeros(len(households), bool)
        return cats.str.contains("|".join(map(re.escape, names))).to_numpy()
    start = pd.Timestamp(as_of) - pd.Timedelta(days=w.recent_days - 1)
    recent = visits[visits["found_difficulty"].astype(bool)
                    & (visits["visited_at"].dt.normalize() >= start)
                    & (visits["visited_at"] < pd.Timestamp(as_of) + pd.Timedelta(days=1))]
    found = recent.groupby("household_id").size().reindex(
        households["household_id"]).fillna(0).to_numpy()
    points = (w.health_points * has_any(w.health_categories)
              + w.family_points * has_any(w.family_categories)
              + w.recent_difficulty_points * found)
    level = np.searchsorted(np.array(w.levels), points, side="right")
    return pd.Series(level.astype(int), index=households.index, name="warning")


# What is due, in the order a worker takes it: overdue, due today, due within the week
# (the next ``soon_days`` days), later.
DUE_GROUPS = ("overdue", "today", "week", "later")


def due_list(households: pd.DataFrame, status: pd.DataFrame, *, soon_days: int = 7
             ) -> pd.DataFrame:
    """Households by what is due (``status`` aligned with ``households``): overdue first,
    the longest overdue first, then due today, then due within ``soon_days`` days, then
    the rest, each by due date; on the same day the more urgent tier first.

    Columns ``household_id, alias, tier, group`` (one of ``DUE_GROUPS``),
    ``days_overdue, days_until_due, due, last_visit`` (``NaT`` if never visited),
    ``last_method``.
    """
    until = status["days_until_due"].to_numpy()
    group = np.select([until < 0, until == 0, until <= soon_days], list(DUE_GROUPS[:3]),
                      DUE_GROUPS[3])
    rows = pd.DataFrame({
        "household_id": households["household_id"].to_numpy(),
        "alias": households["alias"].to_numpy(),
        "tier": status["tier"].to_numpy(),
        "group": group,
        "days_overdue": status["days_overdue"].to_numpy(),
        "days_until_due": until,
        "due": status["due"].to_numpy(),
        "last_visit": status["last_visit"].to_numpy(),
        "last_method": status["last_method"].to_numpy(),
    })
    rank = pd.Categorical(rows["tier"], categories=schema.TIERS).codes
    order = np.lexsort((rows["alias"].to_numpy(), rank, until))
    return rows.iloc[order].reset_index(drop=True)
