"""The place hierarchy district -> street -> community -> grid: ``Area`` (one place, by
level and id; ``LEVEL:ID`` parsed in one place), selectors and drill-down."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from gridmap import schema
from gridmap.errors import ValidationError


def children(areas: pd.DataFrame, grids: pd.DataFrame, parent: Area | None) -> pd.DataFrame:
    """The places one level below ``parent`` (districts when ``None``), as ``id, name, level``.

    Sorted by id, which follows the hierarchy's own order.
    """
    if parent is None:
        rows = areas[areas["level"] == "district"]
        level = "district"
    elif parent.level == "community":
        rows = grids[grids["community_id"] == parent.id].rename(columns={"grid_id": "area_id"})
        level = "grid"
    elif parent.level == "grid":
        return pd.DataFrame({"id": [], "name": [], "level": []}, dtype="str")
    else:
        level = schema.LEVELS[schema.LEVELS.index(parent.level) + 1]
        rows = areas[(areas["parent_id"] == parent.id) & (areas["level"] == level)]
    out = pd.DataFrame({"id": rows["area_id"].to_numpy(), "name": rows["name"].to_numpy()})
    out["level"] = level
    return out.sort_values("id", ignore_index=True)


def lineage(areas: pd.DataFrame, grids: pd.DataFrame, area: Area | None) -> list[Area]:
    """The chain from the district down to ``area`` (for breadcrumbs and selectors)."""
    if area is None:
        return []
    if area.level == "grid":
        row = grids.loc[grids["grid_id"] == area.id]
        if row.empty:
            return []
        return [Area("district", row["district_id"].iloc[0]),
                Area("street", row["street_id"].iloc[0]),
                Area("community", row["community_id"].iloc[0]), area]
    chain = []
    parents = areas.set_index("area_id")
    current: str | None = area.id
    while current is not None and current in parents.index:
        row = parents.loc[current]
        chain.append(Area(row["level"], current))
        current = row["parent_id"] if pd.notna(row["parent_id"]) else None
    return chain[::-1]


def level_names(areas: pd.DataFrame, grids: pd.DataFrame, level: str) -> pd.Series:
    """Every place of ``level`` (a grid, or an area level): id -> name (a report's rows)."""
    if level == "grid":
        return grids.set_index("grid_id")["name"]
    return areas[areas["level"] == level].set_index("area_id")["name"]


def name_of(areas: pd.DataFrame, grids: pd.DataFrame, area: Area) -> str:
    """A place's name, or its id when unknown."""
    table, key = (grids, "grid_id") if area.level == "grid" else (areas, "area_id")
    hit = table.loc[table[key] == area.id, "name"]
    return str(hit.iloc[0]) if len(hit) else area.id


@dataclass(frozen=True)
class Area:
    """A place to filter by: a district, street, community or grid, by id."""

    level: str
    id: str

    def __post_init__(self) -> None:
        if self.level not in schema.LEVELS:
            raise ValidationError(f"unknown level {self.level!r}; use one of {schema.LEVELS}")

    @classmethod
    def parse(cls, text: str) -> Area:
        """``'community:321102001001'`` -> ``Area('community', '321102001001')``."""
        level, sep, area_id = text.partition(":")
        if not sep or not area_id:
            raise ValidationError(f"{text!r} is not LEVEL:ID (e.g. street:321102001)")
        return cls(level, area_id)

    def __str__(self) -> str:
        return f"{self.level}:{self.id}"
