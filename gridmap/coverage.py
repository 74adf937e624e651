"""Visit coverage: due dates, overdue households and coverage per area.

Definitions (the README states them; tests pin them):

- A household's **due date** is its last counted visit (or ``tier_since`` if it
  has none) plus its tier's interval from the policy. Only visits on or before
  the reference day ``D`` with a counted method count.
- It is **overdue** on ``D`` if due < D; **days overdue** = D - due.
- **Coverage** of an area on ``D`` = households not overdue / households,
  overall and per tier.
"""

from __future__ import annotations

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
    base = np.where(pd.isna(last_visit), households["tier_since"].to_numpy(), last_visit)
    base = pd.to_datetime(base).normalize()
    interval = pd.to_timedelta(households["tier"].map(policy.interval_days).to_numpy(), "D")
    due = base + interval
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
