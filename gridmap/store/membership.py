"""What belongs to an area: one definition, for the store's area filter (as SQL) and for
the guard (over frames).

A scope starts from grids: an ``Area``'s grids (their district, street, community or
grid column is its id) or a principal's (``access.allowed_grids``: their area, and for a
worker or chief the grids their team serves). The rest follows from the grids by
``RULES``, the same in SQL and in pandas:

- households living in those grids, and those individually assigned (帮包) to the
  principal (a worker or chief);
- cases and needs of those households;
- workers serving those grids or helping those households (and the principal);
- areas enclosing those grids, none above the ``Area``'s own level.

A row of a layer in ``MEMBER_OF`` is in scope when its id in that column is in that
set; the other layers (reassignments, imports, meta, bookkeeping) have no area.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd

from gridmap import schema
from gridmap.access import allowed_grids
from gridmap.places import Area

# layer -> (column, set): a row is in scope when its id in ``column`` is in ``set``.
MEMBER_OF: dict[str, tuple[str, str]] = {
    "areas": ("area_id", "areas"),
    "grids": ("grid_id", "grids"),
    "assignments": ("grid_id", "grids"),
    **{layer: ("household_id", "households") for layer in (
        "households", "household_helpers", "visits", "tier_changes", "cases", "needs",
        "assessments", "entitlements", "service_records", "service_orders")},
    "case_events": ("case_id", "cases"),
    "need_events": ("need_id", "needs"),
    "workers": ("worker_id", "workers"),
}


@dataclass(frozen=True)
class Rule:
    """Set ``target`` holds ``pick`` of the ``layer`` rows whose ``column`` is in set
    ``source``. An areas rule names the ``level`` it adds."""

    target: str
    layer: str
    pick: str
    column: str
    source: str
    level: str | None = None


# In order: a rule's source is complete before it is used.
RULES: tuple[Rule, ...] = (
    Rule("households", "households", "household_id", "grid_id", "grids"),
    Rule("households", "household_helpers", "household_id", "worker_id", "helper"),
    Rule("cases", "cases", "case_id", "household_id", "households"),
    Rule("needs", "needs", "need_id", "household_id", "households"),
    Rule("workers", "assignments", "worker_id", "grid_id", "grids"),
    Rule("workers", "household_helpers", "worker_id", "household_id", "households"),
    *(Rule("areas", "grids", schema.LEVEL_COLUMN[level], "grid_id", "grids", level=level)
      for level in schema.AREA_LEVELS),
)
SETS = ("grids", "households", "cases", "needs", "workers", "areas")


def _rules(top: str | None, with_helper: bool) -> list[Rule]:
    """The rules of a scope: areas none above ``top``; the helper's households only for
    a principal who is one."""
    floor = schema.LEVELS.index(top) if top else 0
    return [r for r in RULES if (r.level is None or schema.LEVELS.index(r.level) >= floor)
            and (with_helper or r.source != "helper")]


@dataclass(frozen=True)
class Reach:
    """The ids a scope covers, per set in ``SETS``; ``ids is None`` covers everything."""

    ids: Mapping[str, frozenset[str]] | None = None

    def __getitem__(self, name: str) -> frozenset[str] | None:
        return None if self.ids is None else self.ids[name]

    def covers(self, name: str, value) -> bool:
        return self.ids is None or value in self.ids[name]

    def isin(self, name: str, values: pd.Series) -> pd.Series:
        """Which of ``values`` (ids of set ``name``) are in reach."""
        if self.ids is None:
            return pd.Series(True, index=values.index)
        return values.isin(self.ids[name])

    def rows(self, layer: str, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows of ``layer`` in reach (all of a layer that has no area)."""
        if self.ids is None or layer not in MEMBER_OF:
            return frame
        column, name = MEMBER_OF[layer]
        return frame[frame[column].isin(self.ids[name])]


Read = Callable[[str, list[str]], pd.DataFrame]  # (layer, columns) -> frame


def _once(read: Read) -> Read:
    """``read``, each layer read once (again only for columns not read yet)."""
    frames: dict[str, pd.DataFrame] = {}

    def get(layer: str, columns: list[str]) -> pd.DataFrame:
        frame = frames.get(layer)
        if frame is None or not set(columns) <= set(frame.columns):
            known = [] if frame is None else [c for c in frame.columns if c != "geometry"]
            frame = frames[layer] = read(layer, list(dict.fromkeys([*known, *columns])))
        return frame
    return get


def reach(grids: set[str] | None, read: Read, *, top: str | None = None,
          helper: str | None = None, worker: str | None = None) -> Reach:
    """What a scope starting from ``grids`` covers (``None``: every grid, so everything),
    by ``RULES`` over frames. ``helper``: the worker whose individually assigned
    households count too; ``worker``: the principal's own worker record."""
    if grids is None:
        return Reach()
    read = _once(read)
    ids = {"grids": set(grids), "helper": {helper} if helper else set(),
           "workers": {worker} if worker else set()}
    for rule in _rules(top, helper is not None):
        frame = read(rule.layer, [rule.pick, rule.column])
        found = frame.loc[frame[rule.column].isin(ids[rule.source]), rule.pick]
        ids.setdefault(rule.target, set()).update(found.dropna())
    return Reach({name: frozenset(ids.get(name, ())) for name in SETS})


def area_grids(area: Area, grids: pd.DataFrame) -> set[str]:
    """The grids of an area."""
    return set(grids.loc[grids[schema.LEVEL_COLUMN[area.level]] == area.id, "grid_id"])


def of_area(area: Area, read: Read) -> Reach:
    """What ``area`` covers, over frames (the same as ``where`` in SQL)."""
    read = _once(read)
    grids = read("grids", list(dict.fromkeys(["grid_id", schema.LEVEL_COLUMN[area.level]])))
    return reach(area_grids(area, grids), read, top=area.level)


def of_principal(principal, read: Read) -> Reach:
    """What a principal covers: their grids (``access.allowed_grids``), the households
    individually assigned to them (a worker or chief), and their own worker record."""
    read = _once(read)
    grids = allowed_grids(principal,
                          read("grids", ["grid_id", "community_id", "street_id", "district_id"]),
                          read("workers", ["worker_id", "chief_id"]),
                          read("assignments", ["worker_id", "grid_id"]))
    helper = principal.worker_id if principal.role in ("worker", "chief") else None
    return reach(grids, read, helper=helper, worker=principal.worker_id)


# -- the same rules as SQL ---------------------------------------------------------

def quote(value: str) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def _ids_sql(name: str, area: Area) -> str | None:
    """A SELECT of the ids of set ``name`` in ``area`` (``None``: none)."""
    if name == "grids":
        return (f'SELECT grid_id FROM grids WHERE "{schema.LEVEL_COLUMN[area.level]}" = '
                f"{quote(area.id)}")
    parts = []
    for rule in _rules(area.level, with_helper=False):
        if rule.target == name:
            source = _ids_sql(rule.source, area)
            if source is not None:
                parts.append(f'SELECT "{rule.pick}" FROM {rule.layer} WHERE "{rule.column}" '
                             f"IN ({source})")
    return " UNION ".join(parts) or None


def where(layer: str, area: Area) -> str | None:
    """The SQL condition on ``layer``'s rows in ``area`` (``None``: the layer has no area)."""
    if layer not in MEMBER_OF:
        return None
    column, name = MEMBER_OF[layer]
    ids = _ids_sql(name, area)
    return f'"{column}" IN ({ids})' if ids else "1 = 0"
