"""Who is responsible for whom: a household's responsible worker, one definition for
the overdue list, workload, ledgers and rebalancing. Pure functions of the frames."""

from __future__ import annotations

import pandas as pd

from gridmap import schema
from gridmap.places import Area


def responsible(households: pd.DataFrame, assignments: pd.DataFrame,
                helpers: pd.DataFrame) -> pd.Series:
    """The responsible worker of each household (index: household_id): its individual
    helper (帮包: a volunteer, or a part-time worker who took it over; the latest
    ``since`` wins), else its grid's primary worker. Workload, ledgers and the overdue
    list all use this one definition."""
    primary = (assignments[assignments["role"] == "primary"]
               .drop_duplicates("grid_id").set_index("grid_id")["worker_id"])
    own = (helpers.sort_values("since").drop_duplicates("household_id", keep="last")
           .set_index("household_id")["worker_id"])
    ids = households["household_id"].to_numpy()
    worker = own.reindex(ids).to_numpy(dtype=object).copy()
    missing = pd.isna(worker)
    worker[missing] = primary.reindex(households["grid_id"].to_numpy()[missing]).to_numpy()
    return pd.Series(worker, index=pd.Index(ids, name="household_id"), name="worker_id")


def responsible_workers(households: pd.DataFrame, assignments: pd.DataFrame,
                        helpers: pd.DataFrame, workers: pd.DataFrame) -> pd.DataFrame:
    """Per household (same order): its responsible worker (``responsible``), id and name."""
    ids = responsible(households, assignments, helpers).to_numpy()
    names = workers.set_index("worker_id")["name"]
    return pd.DataFrame({"worker_id": ids, "worker": names.reindex(ids).to_numpy()})


def team_area(grids: pd.DataFrame) -> Area | None:
    """The smallest area holding every one of ``grids`` (a chief's team's grids): their
    community when they share one, else their street, else their district; ``None``
    without grids or when they span districts. A chief's pages start there."""
    if grids.empty:
        return None
    for level in ("community", "street", "district"):
        ids = grids[schema.LEVEL_COLUMN[level]]
        if ids.notna().all() and ids.nunique() == 1:
            return Area(level, str(ids.iloc[0]))
    return None
