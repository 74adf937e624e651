"""Workers' load and utilisation, for grid chiefs balancing their workers (``/workload``).

Definitions (the README states them; tests pin them):

- A household's **responsible worker** is ``teams.responsible``: its individual
  helper (帮包; the latest ``since`` wins), else its grid's primary worker.
- A household's **load** (minutes a month) = required visits a month (30 / the tier's
  interval) x (minutes per visit by its method mix over the last ``MIX_DAYS`` days,
  door when it had no visit + the in-person share x a round trip from its grid's
  centre at the policy's speed and road factor) + open cases x minutes per open case.
- A worker's **load** is the sum over the households they are responsible for;
  **utilisation** = load / (capacity x the policy's full-time hours a month x 60).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from gridmap import schema
from gridmap.casework import case_state
from gridmap.policy import Policy
from gridmap.teams import responsible

MIX_DAYS = 180  # the window over which a household's visit-method mix is observed
_IN_PERSON = ("door", "volunteer")
_KM_PER_DEGREE = 111.2


def distance_km(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Straight-line distance in km (equirectangular; exact enough within a city)."""
    lon1, lat1, lon2, lat2 = (np.asarray(a, float) for a in (lon1, lat1, lon2, lat2))
    dx = (lon2 - lon1) * np.cos(np.radians((lat1 + lat2) / 2))
    return _KM_PER_DEGREE * np.hypot(dx, lat2 - lat1)


def household_load(households: pd.DataFrame, grids: pd.DataFrame, visits: pd.DataFrame,
                   cases: pd.DataFrame, policy: Policy, *, as_of: date) -> pd.DataFrame:
    """Per household (same order): ``visits_per_month, minutes_per_visit,
    travel_minutes, open_cases, load_minutes``."""
    w = policy.workload
    ids = households["household_id"].to_numpy()
    per_month = households["tier"].map(policy.visits_per_month).to_numpy(float)

    end = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    recent = visits[(visits["visited_at"] < end)
                    & (visits["visited_at"] >= end - pd.Timedelta(days=MIX_DAYS))]
    mix = (pd.crosstab(recent["household_id"], recent["method"], normalize="index")
           .reindex(index=ids, columns=list(schema.VISIT_METHODS), fill_value=0.0))
    unseen = mix.sum(axis=1).to_numpy() == 0
    mix.loc[unseen, "door"] = 1.0
    minutes = mix.to_numpy() @ np.array([w.minutes_per_visit[m] for m in schema.VISIT_METHODS])
    in_person = mix[list(_IN_PERSON)].sum(axis=1).to_numpy()

    centre = grids.set_index("grid_id").geometry.representative_point()
    centre = centre.reindex(households["grid_id"].to_numpy())
    km = distance_km(households.geometry.x, households.geometry.y, centre.x, centre.y)
    travel = 2 * km * w.road_factor / w.travel_kmh * 60

    state = case_state(cases, policy, as_of=as_of)
    open_cases = (state.loc[state["is_open"], "household_id"].value_counts()
                  .reindex(ids, fill_value=0).to_numpy())
    load = per_month * (minutes + in_person * travel) + open_cases * w.minutes_per_open_case
    return pd.DataFrame({"household_id": ids, "visits_per_month": per_month,
                         "minutes_per_visit": minutes, "travel_minutes": travel,
                         "open_cases": open_cases, "load_minutes": load})


def capacity_minutes(capacity, policy: Policy) -> np.ndarray:
    """A worker's month in minutes for the vulnerable households."""
    return np.asarray(capacity, float) * policy.workload.hours_per_month * 60


def status_of(utilisation, policy: Policy) -> np.ndarray:
    """``overloaded``, ``idle`` or ``ok`` per utilisation."""
    u = np.asarray(utilisation, float)
    return np.where(u > policy.workload.overloaded_above, "overloaded",
                    np.where(u < policy.workload.idle_below, "idle", "ok"))


def worker_table(workers: pd.DataFrame, assignments: pd.DataFrame, helpers: pd.DataFrame,
                 households: pd.DataFrame, loads: pd.DataFrame, grids: pd.DataFrame,
                 policy: Policy) -> pd.DataFrame:
    """One row per worker of ``workers``: ``worker_id, name, kind, capacity, chief_id,
    home_grid_id, grids, households, visits_per_month, load_minutes, utilisation,
    status``. ``loads`` is ``household_load`` for ``households`` (same order); a worker's
    home grid is their first primary grid, else backup grid, else a helped household's."""
    who = responsible(households, assignments, helpers).to_numpy()
    per = (pd.DataFrame({"worker_id": who, "households": 1,
                         "visits_per_month": loads["visits_per_month"].to_numpy(),
                         "load_minutes": loads["load_minutes"].to_numpy()})
           .groupby("worker_id").sum())
    primary = assignments[assignments["role"] == "primary"]
    held = primary.groupby("worker_id").size()
    by_role = assignments.assign(order=(assignments["role"] != "primary").astype(int))
    home = by_role.sort_values(["order", "grid_id"]).drop_duplicates("worker_id").set_index(
        "worker_id")["grid_id"]
    helped_grid = (helpers.merge(households[["household_id", "grid_id"]])
                   .drop_duplicates("worker_id").set_index("worker_id")["grid_id"])
    ids = workers["worker_id"]
    table = workers[["worker_id", "name", "kind", "capacity", "chief_id"]].copy()
    table["home_grid_id"] = home.reindex(ids).fillna(helped_grid.reindex(ids)).to_numpy()
    table["grids"] = held.reindex(ids, fill_value=0).to_numpy()
    for column in ("households", "visits_per_month", "load_minutes"):
        table[column] = per[column].reindex(ids, fill_value=0).to_numpy()
    table["households"] = table["households"].astype(int)
    table["utilisation"] = table["load_minutes"] / capacity_minutes(table["capacity"], policy)
    table["status"] = status_of(table["utilisation"], policy)
    known = grids.set_index("grid_id")
    for level in ("community", "street", "district"):
        column = schema.LEVEL_COLUMN[level]
        table[column] = known[column].reindex(table["home_grid_id"]).to_numpy()
    return table.reset_index(drop=True)


def totals(table: pd.DataFrame) -> dict[str, float]:
    """The whole table's figures, as ``summary`` gives them per area: ``workers, mean,
    max, cv, overloaded, idle`` of utilisation (mean, max and cv NaN without workers)."""
    u = table["utilisation"]
    mean = u.mean()
    return {"workers": len(table), "mean": mean, "max": u.max(),
            "cv": u.std(ddof=0) / mean if mean else float("nan"),
            "overloaded": int((table["status"] == "overloaded").sum()),
            "idle": int((table["status"] == "idle").sum())}


def summary(table: pd.DataFrame, policy: Policy, *, level: str) -> pd.DataFrame:
    """Per area of ``level`` (by the workers' home grid): ``area_id, workers, mean, max,
    max_over_mean, cv, overloaded, idle`` of utilisation (workers without a home left out)."""
    column = schema.LEVEL_COLUMN[level]
    known = table.dropna(subset=[column])
    grouped = known.groupby(column)["utilisation"]
    out = pd.DataFrame({"workers": grouped.size(), "mean": grouped.mean(),
                        "max": grouped.max()})
    out["max_over_mean"] = out["max"] / out["mean"].where(out["mean"] > 0)
    out["cv"] = grouped.std(ddof=0) / out["mean"].where(out["mean"] > 0)
    status = known.groupby(column)["status"]
    out["overloaded"] = status.apply(lambda s: int((s == "overloaded").sum()))
    out["idle"] = status.apply(lambda s: int((s == "idle").sum()))
    out.index.name = "area_id"
    return out.reset_index()


def chiefs(table: pd.DataFrame) -> pd.DataFrame:
    """The chiefs in a worker table: workers without a chief who hold grids (``worker_id,
    name``, in the table's order)."""
    return table.loc[table["chief_id"].isna() & (table["grids"] > 0), ["worker_id", "name"]]


def team(table: pd.DataFrame, chief: str) -> pd.DataFrame:
    """A chief's team in a worker table: the chief and the workers reporting to them."""
    return table[(table["worker_id"] == chief) | (table["chief_id"] == chief)]


def distinct_names(names: pd.Series) -> pd.Series:
    """Names to tell people apart by: a name that occurs again gets ``(2)``, ``(3)`` in
    order (two 王志 in one team stay two bars, two rows), never their ids."""
    seen = names.groupby(names).cumcount() + 1
    return names.where(seen == 1, names + " (" + seen.astype(str) + ")")


def load_table(table: pd.DataFrame) -> pd.DataFrame:
    """A worker table as people read it, the most loaded first: ``name, kind, capacity,
    grids, households, visits_per_month, load_hours, utilisation`` (per cent), ``status``
    and, last, ``worker_id`` (for exports; pages leave it out)."""
    out = table.sort_values(["utilisation", "worker_id"], ascending=[False, True])
    out = out.assign(name=distinct_names(out["name"].reset_index(drop=True)).to_numpy(),
                     load_hours=(out["load_minutes"] / 60).round(1),
                     visits_per_month=out["visits_per_month"].round(1),
                     utilisation=(out["utilisation"] * 100).round(0))
    return out[["name", "kind", "capacity", "grids", "households", "visits_per_month",
                "load_hours", "utilisation", "status", "worker_id"]].reset_index(drop=True)
