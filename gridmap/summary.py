"""Headline counts for the overview: pure functions of the store's frames."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from gridmap import schema


@dataclass(frozen=True)
class Overview:
    """What the overview page shows for one area on one day."""

    grids_by_type: pd.Series
    households_by_tier: pd.Series
    workers_by_kind: pd.Series
    visits_last_30_days: int
    households_visited_last_30_days: int


def counts(values: pd.Series, categories: tuple[str, ...]) -> pd.Series:
    """Counts of each allowed value, in schema order, zeros included."""
    return values.value_counts().reindex(list(categories), fill_value=0).astype(int)


def visits_between(visits: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """Visits on days ``start`` to ``end``, both included."""
    day = visits["visited_at"].dt.normalize()
    return visits[(day >= pd.Timestamp(start)) & (day <= pd.Timestamp(end))]


def overview(grids: pd.DataFrame, households: pd.DataFrame, workers: pd.DataFrame,
             visits: pd.DataFrame, *, as_of: date) -> Overview:
    """Grids by type, households by tier, workers by kind and recent visits.

    "The last 30 days" are the 30 days ending with ``as_of``.
    """
    recent = visits_between(visits, pd.Timestamp(as_of) - pd.Timedelta(days=29), as_of)
    return Overview(
        grids_by_type=counts(grids["grid_type"], schema.GRID_TYPES),
        households_by_tier=counts(households["tier"], schema.TIERS),
        workers_by_kind=counts(workers["kind"], schema.WORKER_KINDS),
        visits_last_30_days=len(recent),
        households_visited_last_30_days=int(recent["household_id"].nunique()),
    )


def cities(areas: pd.DataFrame) -> int:
    """How many cities the top of the hierarchy spans: the districts' six-digit codes
    (GB/T 2260) share their first four digits within a city."""
    districts = areas.loc[areas["level"] == "district", "area_id"].astype(str)
    return int(districts.str[:4].nunique())


def top_name(areas: pd.DataFrame, meta: dict[str, str]) -> tuple[str, str | None]:
    """What the top of the hierarchy is called: ``("province", None)`` when it spans
    several cities (全省), ``("city", NAME)`` for one city whose name the store records
    (``meta`` ``city``), ``("city", None)`` otherwise (全市)."""
    if cities(areas) > 1:
        return "province", None
    name = str(meta.get("city") or "").strip()
    return "city", name if name.endswith("市") else None
