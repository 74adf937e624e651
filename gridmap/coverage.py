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

from gridmap import schema
from gridmap.policy import Policy

STATUS_COLUMNS = ["household_id", "tier", "last_visit", "last_method", "due", "overdue",
                  "days_overdue", "days_until_due"]


def household_status(households: pd.DataFrame, visits: pd.DataFrame, policy: Policy, *,
                     as_of: date) -> pd.DataFrame:
    """One row per household (same order as ``households``): last counted visit, due date
    and whether it is overdue on ``as_of``."""
    day = pd.Timestamp(as_of)
    counted = visits[visits["method"].isin(policy.counted_methods)
                     & (visits["visited_at"] < day + pd.Timedelta(days=1))]
    latest = counted.sort_values("visited_at").drop_duplicates("household_id", keep="last")
    latest = latest.set_index("household_id")
    ids = households["household_id"]
    last_visit = latest["visited_at"].reindex(ids).to_numpy()
    last_method = latest["method"].reindex(ids).to_numpy()
    since = households["tier_since"].to_numpy()
    base = pd.to_datetime(np.where(pd.isna(last_visit), since, last_visit)).normalize()
    interval = pd.to_timedelta(households["tier"].map(policy.interval_days).to_numpy(), "D")
    due = base + interval
    if policy.in_person_days:
        door = counted[counted["method"] == "door"].sort_values("visited_at").drop_duplicates(
            "household_id", keep="last").set_index("household_id")["visited_at"]
        last_door = door.reindex(ids).to_numpy()
        door_base = pd.to_datetime(np.where(pd.isna(last_door), since, last_door)).normalize()
        days = households["tier"].map(policy.in_person_days).to_numpy(float)
        door_due = door_base + pd.to_timedelta(np.nan_to_num(days, nan=0.0), "D")
        due = pd.DatetimeIndex(np.where(np.isnan(days), due, np.minimum(due, door_due)))
    until = (due - day).days.to_numpy()
    return pd.DataFrame({
        "household_id": ids.to_numpy(),
        "tier": households["tier"].to_numpy(),
        "last_visit": pd.to_datetime(last_visit),
        "last_method": last_method,
        "due": due,
        "overdue": until < 0,
        "days_overdue": np.maximum(-until, 0),
        "days_until_due": until,
    })


def coverage_by(status: pd.DataFrame, keys: pd.Series) -> pd.DataFrame:
    """Coverage per group: ``keys`` gives each status row's area id (aligned by position).

    Columns: ``households, covered, overdue, coverage_pct`` and the same per tier
    (``households_red``, ..., ``coverage_pct_green``). Percentages are 0-100;
    an area without households of a tier has NaN coverage for it.
    """
    frame = pd.DataFrame({"key": np.asarray(keys), "tier": status["tier"].to_numpy(),
                          "overdue": status["overdue"].to_numpy()})
    grouped = frame.groupby("key")
    out = pd.DataFrame({"households": grouped.size(), "overdue": grouped["overdue"].sum()})
    out["covered"] = out["households"] - out["overdue"]
    out["coverage_pct"] = 100.0 * out["covered"] / out["households"]
    per = frame.groupby(["key", "tier"]).agg(households=("overdue", "size"),
                                             overdue=("overdue", "sum")).unstack("tier")
    for tier in schema.TIERS:
        n = per["households"].get(tier, 0)
        o = per["overdue"].get(tier, 0)
        n = pd.Series(n, index=per.index).reindex(out.index).fillna(0).astype(int)
        o = pd.Series(o, index=per.index).reindex(out.index).fillna(0).astype(int)
        out[f"households_{tier}"] = n
        out[f"covered_{tier}"] = n - o
        out[f"overdue_{tier}"] = o
        out[f"coverage_pct_{tier}"] = (100.0 * (n - o) / n.replace(0, np.nan))
    out.index.name = "area_id"
    out["overdue"] = out["overdue"].astype(int)
    return out[["households", "covered", "overdue", "coverage_pct"]
               + [c for c in out.columns if "_" in c and c != "coverage_pct"]]


def coverage_table(households: pd.DataFrame, visits: pd.DataFrame, grids: pd.DataFrame,
                   areas: pd.DataFrame, policy: Policy, *, level: str, as_of: date
                   ) -> pd.DataFrame:
    """One row per area of ``level`` (every area, also those without households):
    ``area_id, name, households, covered, overdue, coverage_pct`` and per-tier columns."""
    status = household_status(households, visits, policy, as_of=as_of)
    keys = households["grid_id"]
    if level != "grid":
        keys = keys.map(grids.set_index("grid_id")[schema.LEVEL_COLUMN[level]])
    table = coverage_by(status, keys)
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


def responsible_workers(households: pd.DataFrame, assignments: pd.DataFrame,
                        workers: pd.DataFrame) -> pd.DataFrame:
    """Per household (same order): the primary worker of its grid, id and name."""
    primary = assignments[assignments["role"] == "primary"].drop_duplicates("grid_id")
    primary = primary.merge(workers[["worker_id", "name"]], on="worker_id").set_index("grid_id")
    grid = households["grid_id"].to_numpy()
    return pd.DataFrame({"worker_id": primary["worker_id"].reindex(grid).to_numpy(),
                         "worker": primary["name"].reindex(grid).to_numpy()})


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


def weekly_trend(households: pd.DataFrame, visits: pd.DataFrame, policy: Policy, *,
                 as_of: date, weeks: int = 26) -> pd.DataFrame:
    """Coverage per tier at the end of each of the last ``weeks`` weeks (ending ``as_of``).

    Columns ``week_end, tier, households, covered, coverage_pct``; tier ``all`` is the
    total. Households count from their ``tier_since``; each is judged by its current
    tier (tier history is in ``tier_changes``), and by the interval rule only. Weeks
    less than one longest interval after the first recorded visit are left out:
    before that, a visit that did happen may simply not be in the records.
    """
    ends = pd.DatetimeIndex([pd.Timestamp(as_of) - pd.Timedelta(weeks=k)
                             for k in range(weeks)][::-1])
    counted = visits[visits["method"].isin(policy.counted_methods)]
    if len(counted):
        reach = (counted["visited_at"].min().normalize()
                 + pd.Timedelta(days=max(policy.interval_days.values())))
        ends = ends[ends >= reach]
    v = pd.DataFrame({"household_id": counted["household_id"].to_numpy(),
                      "day": counted["visited_at"].dt.normalize().to_numpy(
                          dtype="datetime64[ms]")})
    v = v.sort_values("day")
    grid = pd.DataFrame({
        "household_id": np.repeat(households["household_id"].to_numpy(), len(ends)),
        "tier": np.repeat(households["tier"].to_numpy(), len(ends)),
        "since": np.repeat(households["tier_since"].to_numpy(), len(ends)),
        "day": np.tile(ends.to_numpy(dtype="datetime64[ms]"), len(households)),
    }).sort_values("day")
    merged = pd.merge_asof(grid, v.rename(columns={"day": "visit"}), left_on="day",
                           right_on="visit", by="household_id", direction="backward")
    merged = merged[merged["since"] <= merged["day"]]
    base = merged["visit"].fillna(merged["since"])
    due = base + pd.to_timedelta(merged["tier"].map(policy.interval_days), "D")
    merged["covered"] = (due >= merged["day"]).to_numpy()
    by = merged.groupby(["day", "tier"])["covered"].agg(["size", "sum"]).reset_index()
    total = merged.groupby("day")["covered"].agg(["size", "sum"]).reset_index().assign(tier="all")
    out = pd.concat([by, total], ignore_index=True).rename(
        columns={"day": "week_end", "size": "households", "sum": "covered"})
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
