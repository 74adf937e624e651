"""Indicators per grid, and the same summed up to any area level.

Every indicator is additive (a count or a sum) except ``coverage_pct``, which is
recomputed from the summed ``covered`` and ``households``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridmap import schema
from gridmap.policy import Policy


@dataclass(frozen=True)
class Indicator:
    """An indicator the maps can show: its unit and which direction is worse."""

    name: str
    unit: str  # an i18n key
    higher_is_worse: bool = True
    decimals: int = 0


INDICATORS: dict[str, Indicator] = {i.name: i for i in (
    Indicator("red_orange", "unit.households"),
    Indicator("households", "unit.households"),
    Indicator("red", "unit.households"),
    Indicator("orange", "unit.households"),
    Indicator("yellow", "unit.households"),
    Indicator("green", "unit.households"),
    Indicator("visits_required", "unit.visits_per_month", decimals=1),
    Indicator("coverage_pct", "unit.percent", higher_is_worse=False, decimals=1),
    Indicator("overdue", "unit.households"),
    Indicator("open_cases", "unit.cases"),
)}
_ADDITIVE = ["households", "covered", *schema.TIERS, "red_orange", "visits_required", "overdue",
             "open_cases"]


def grid_indicators(grids: pd.DataFrame, households: pd.DataFrame, status: pd.DataFrame,
                    policy: Policy, open_cases: pd.Series | None = None) -> pd.DataFrame:
    """Every indicator for every grid in ``grids`` (grids without households get zeros).

    ``status`` is ``coverage.household_status`` for ``households`` (same order);
    ``open_cases`` is ``casework.open_cases_per_grid`` (none when not given).
    """
    frame = pd.DataFrame({
        "grid_id": households["grid_id"].to_numpy(),
        "visits_required": households["tier"].map(policy.visits_per_month).to_numpy(float),
        "overdue": status["overdue"].to_numpy().astype(int),
    })
    for tier in schema.TIERS:
        frame[tier] = (households["tier"].to_numpy() == tier).astype(int)
    frame["households"] = 1
    frame["covered"] = 1 - frame["overdue"]
    frame["red_orange"] = frame["red"] + frame["orange"]
    sums = frame.groupby("grid_id")[_ADDITIVE[:-1]].sum()
    out = sums.reindex(grids["grid_id"].to_numpy(), fill_value=0)
    out["open_cases"] = (0 if open_cases is None else
                         open_cases.reindex(out.index, fill_value=0).to_numpy(int))
    out.index.name = "grid_id"
    return _with_coverage(out)


def aggregate(per_grid: pd.DataFrame, keys) -> pd.DataFrame:
    """Indicators summed per area; ``keys`` maps each row of ``per_grid`` to an area id."""
    out = per_grid[_ADDITIVE].groupby(np.asarray(keys)).sum()
    out.index.name = "area_id"
    return _with_coverage(out)


def _with_coverage(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["coverage_pct"] = 100.0 * frame["covered"] / frame["households"].replace(0, np.nan)
    return frame
