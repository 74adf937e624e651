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
    # Services (issue 21): hours delivered of the hours due so far this month, in %.
    Indicator("service_rate", "unit.percent_delivered", higher_is_worse=False, decimals=1),
    # Data matching (issue 20): alerts raised in the last 30 days.
    Indicator("new_alerts", "unit.alerts"),
)}
_ADDITIVE = ["households", "covered", *schema.TIERS, "red_orange", "visits_required", "overdue",
             "open_cases", "hours_due", "hours_delivered", "new_alerts"]


def grid_indicators(grids: pd.DataFrame, households: pd.DataFrame, status: pd.DataFrame,
                    policy: Policy, open_cases: pd.Series | None = None,
                    service_month: pd.DataFrame | None = None,
                    new_alerts: pd.Series | None = None) -> pd.DataFrame:
    """Every indicator for every grid in ``grids`` (grids without households get zeros).

    ``status`` is ``coverage.household_status`` for ``households`` (same order);
    ``open_cases`` is ``casework.open_cases_per_grid`` (none when not given);
    ``service_month`` is ``services.household_month`` for this month (hours due so far
    and delivered per household; none when not given); ``new_alerts`` is
    ``alerts.new_per_grid`` (none when not given).
    """
    # Integer work (issue 23: a province's million households in well under a second):
    # each household's grid position, then one bincount per figure.
    from gridmap.coverage import positions_in
    k = len(grids)
    at = positions_in(households["grid_id"], grids["grid_id"])
    inside = at >= 0
    where = at[inside]
    tier = households["tier"].to_numpy()[inside]
    late = status["overdue"].to_numpy()[inside].astype(np.int64)

    def count(mask=None) -> np.ndarray:
        return np.bincount(where if mask is None else where[mask], minlength=k)
    out = pd.DataFrame(index=pd.Index(grids["grid_id"].to_numpy()))
    out["households"] = count()
    out["covered"] = out["households"] - np.bincount(where, weights=late, minlength=k).astype(
        np.int64)
    for name in schema.TIERS:
        out[name] = count(tier == name)
    out["red_orange"] = out["red"] + out["orange"]
    required = households["tier"].map(policy.visits_per_month).to_numpy(float)[inside]
    out["visits_required"] = np.bincount(where, weights=required, minlength=k)
    out["overdue"] = out["households"] - out["covered"]
    out["open_cases"] = (0 if open_cases is None else
                         open_cases.reindex(out.index, fill_value=0).to_numpy(int))
    due = np.zeros(k)
    delivered = np.zeros(k)
    if service_month is not None and len(service_month):
        row = positions_in(service_month["household_id"], households["household_id"])
        grid = np.where(row >= 0, at[np.maximum(row, 0)], -1)
        owed = grid >= 0
        due = np.bincount(grid[owed], weights=service_month["hours_due"].to_numpy(float)[owed],
                          minlength=k)
        delivered = np.bincount(grid[owed], weights=service_month["hours_delivered"]
                                .to_numpy(float)[owed], minlength=k)
    out["hours_due"], out["hours_delivered"] = due, delivered
    out["new_alerts"] = (0 if new_alerts is None else
                         new_alerts.reindex(out.index, fill_value=0).to_numpy(int))
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
    frame["service_rate"] = 100.0 * frame["hours_delivered"] / frame["hours_due"].replace(
        0, np.nan)
    return frame
