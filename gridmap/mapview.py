"""What a map view shows, as plain data: pure functions, no drawing.

A view is the current selection (the whole store, or a district, street,
community or grid). Its **units** are the polygons coloured by the indicator:
the selection's grids, or, when there are too many of them to ship to a
browser (a province), the areas one level down, with their indicators summed.
Household points are included only when the view holds few enough of them.
"""

from __future__ import annotations

import itertools
import math
import re
import warnings
from dataclasses import dataclass, field, replace

import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
import shapely

from gridmap import schema
from gridmap.casework import age_class
from gridmap.indicators import INDICATORS, aggregate
from gridmap.places import Area
from gridmap.privacy import is_small, suppress, suppress_breakdown

SCHEMES = ("quantiles", "natural_breaks", "equal_interval")
MAX_GRID_UNITS = 6_000  # more grids than this are drawn as areas instead
MAX_POINTS = 25_000  # more households than this are not drawn as points
SIMPLIFY_DEGREES = {"grid": 0.0002, "community": 0.0003, "street": 0.0005,
                    "district": 0.0008}  # ~20-80 m, invisible at the zoom each is seen
COORD_DECIMALS = 5  # ~1 m
# Class codes of units outside the breaks: no value; a suppressed count (1..min_count-1,
# drawn hatched); a count of 0 (drawn empty, not as the lowest class).
NO_DATA_CLASS, SUPPRESSED_CLASS, ZERO_CLASS = -1, -2, -3


@dataclass(frozen=True)
class Classes:
    """Class breaks of an indicator: ``bins`` are upper bounds, classes 0..k-1."""

    scheme: str
    bins: tuple[float, ...]
    lower: float

    def ranges(self) -> list[tuple[float, float]]:
        """(from, to) of each class."""
        edges = (self.lower, *self.bins)
        return list(itertools.pairwise(edges))

    def labels(self, decimals: int) -> list[str]:
        """Each class's range as a legend shows it. Counts (``decimals == 0``) get
        non-overlapping whole numbers: a class holds the integers above the previous
        upper bound up to its own ("0", "1–2", "3–5"), and a class of one value reads as
        that value. Other values read "from – to"."""
        if decimals:
            return [f"{lo:,.{decimals}f} – {hi:,.{decimals}f}" for lo, hi in self.ranges()]
        out = []
        for i, (lo, hi) in enumerate(self.ranges()):
            first = math.ceil(lo) if i == 0 else math.floor(lo) + 1
            last = math.floor(hi)
            out.append(f"{first:,}" if first >= last else f"{first:,}–{last:,}")
        return out


@dataclass
class MapView:
    """Everything a map of one selection needs."""

    area: Area | None
    unit_level: str  # 'grid' or an area level
    units: gpd.GeoDataFrame  # id, name, level, value, cls, indicator columns, geometry
    indicator: str
    classes: Classes | None
    outlines: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    points: pd.DataFrame | None = None  # lon, lat, tier, alias, last_visit (households)
    # 'households' (by tier), or 'cases': lon, lat, age_class, alias, reported (by age)
    points_kind: str = "households"
    points_hidden: int = 0  # households not drawn because there were too many
    bounds: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # minx, miny, maxx, maxy
    as_of: str = ""  # the day 'last visit' is counted back from (ISO date)
    # Named classes instead of numeric breaks (e.g. hotspot classes): (key, colour) pairs.
    categories: tuple[tuple[str, str], ...] | None = None
    # Set when counts from 1 to min_count - 1 are suppressed (hexagons): the legend then
    # has entries for them and for 0 instead of "no data".
    min_count: int | None = None


def classify(values: pd.Series, scheme: str, k: int = 5, *, lower: float | None = None
             ) -> tuple[np.ndarray, Classes | None]:
    """Class index per value (-1 for missing) and the breaks, with mapclassify.

    ``natural_breaks`` is k-means based; it is seeded so a view draws the same
    way every time. ``lower`` is the first class's lower bound (default: the least value).
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown classification {scheme!r}; use one of {SCHEMES}")
    y = pd.to_numeric(values, errors="coerce").to_numpy(float)
    present = ~np.isnan(y)
    cls = np.full(len(y), NO_DATA_CLASS)
    if not present.any():
        return cls, None
    data = y[present]
    k = max(1, min(k, len(np.unique(data))))
    lower = float(data.min()) if lower is None else float(lower)
    if k == 1:
        cls[present] = 0
        return cls, Classes(scheme, (float(data.max()),), lower)
    fitted = _fit(data, scheme, k)
    while k > 1 and len(np.unique(fitted.bins)) < len(fitted.bins):
        # Ties (many grids with 0 or 1) give repeated breaks: use fewer classes
        # rather than show empty ones such as "1 – 1".
        k = len(np.unique(fitted.bins))
        fitted = _fit(data, scheme, k)
    cls[present] = fitted.yb
    return cls, Classes(scheme, tuple(float(b) for b in fitted.bins), lower)


def _fit(data: np.ndarray, scheme: str, k: int):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # mapclassify's note on ties
        if scheme == "quantiles":
            return mapclassify.Quantiles(data, k=k)
        if scheme == "equal_interval":
            return mapclassify.EqualInterval(data, k=k)
        state = np.random.get_state()
        np.random.seed(0)  # natural breaks are k-means: seed them for a stable map
        try:
            return mapclassify.NaturalBreaks(data, k=k)
        finally:
            np.random.set_state(state)


def web_geometry(geometry: gpd.GeoSeries, level: str) -> np.ndarray:
    """Geometry light enough for a browser: simplified as a coverage (shared edges stay
    shared), coordinates rounded to ~1 m."""
    geoms = geometry.values
    simple = shapely.coverage_simplify(geoms, SIMPLIFY_DEGREES[level])
    simple = np.where(shapely.is_empty(simple), geoms, simple)
    return shapely.transform(simple, lambda xy: np.round(xy, COORD_DECIMALS))


def build_view(*, areas: gpd.GeoDataFrame, grids: gpd.GeoDataFrame,
               households: gpd.GeoDataFrame, status: pd.DataFrame, per_grid: pd.DataFrame,
               area: Area | None, indicator: str, scheme: str = "quantiles",
               as_of: str = "", tiers: tuple[str, ...] = schema.TIERS,
               categories: tuple[str, ...] = (),
               max_grid_units: int = MAX_GRID_UNITS, max_points: int = MAX_POINTS,
               workers_by_grid: pd.Series | None = None,
               unit_level: str | None = None) -> MapView:
    """The view of ``area`` (``None``: everything) coloured by ``indicator``.

    ``households``/``status`` are aligned row by row; ``per_grid`` is
    ``indicators.grid_indicators`` for ``grids``. ``tiers`` and ``categories`` filter
    the household points (a household matches if it has any of ``categories``).
    ``workers_by_grid`` (from ``grid_workers``) names each grid's workers in tooltips.
    ``unit_level`` colours areas of that level instead of grids (default: grids, or
    the level below the selection when there are too many grids).
    """
    if indicator not in INDICATORS:
        raise ValueError(f"unknown indicator {indicator!r}")
    level_col = schema.LEVEL_COLUMN[area.level] if area else None
    in_view = grids if area is None else grids[grids[level_col] == area.id]
    if unit_level is None:
        unit_level = "grid" if len(in_view) <= max_grid_units else _coarser_level(area)
    if unit_level != "grid":
        keys = in_view[schema.LEVEL_COLUMN[unit_level]]
        values = aggregate(per_grid.loc[in_view["grid_id"]], keys.to_numpy())
        shapes = areas[areas["area_id"].isin(values.index)].set_index("area_id")
        units = gpd.GeoDataFrame(values.join(shapes[["name", "geometry"]]),
                                 geometry="geometry", crs=schema.CRS)
    else:
        units = gpd.GeoDataFrame(
            per_grid.loc[in_view["grid_id"]].join(
                in_view.set_index("grid_id")[["name", "grid_type", "geometry"]]),
            geometry="geometry", crs=schema.CRS)
        if workers_by_grid is not None:
            units["workers"] = workers_by_grid.reindex(units.index).fillna("")
    units.index.name = "id"
    units = units.reset_index()
    units["level"] = unit_level
    units["value"] = units[indicator]
    units["cls"], classes = classify(units["value"], scheme)
    bounds = tuple(units.total_bounds) if len(units) else (0.0, 0.0, 0.0, 0.0)
    units["geometry"] = web_geometry(units.geometry, unit_level)

    outlines = {}
    for level in schema.AREA_LEVELS:
        rows = areas[areas["level"] == level]
        if area is not None:
            rows = rows[rows["area_id"].isin(set(in_view[schema.LEVEL_COLUMN[level]]))]
        if len(rows) and (level != "community" or len(rows) <= 1500):
            outlines[level] = gpd.GeoDataFrame(
                {"id": rows["area_id"].to_numpy(), "name": rows["name"].to_numpy()},
                geometry=web_geometry(rows.geometry, level), crs=schema.CRS)

    grid_ids = set(in_view["grid_id"])
    mask = households["grid_id"].isin(grid_ids).to_numpy().copy()
    mask &= households["tier"].isin(tiers).to_numpy()
    if categories:
        pattern = "|".join(map(re.escape, categories))
        mask &= households["categories"].fillna("").str.contains(pattern).to_numpy()
    n_points = int(mask.sum())
    points, hidden = None, 0
    if n_points <= max_points:
        chosen = households[mask]
        last = status.loc[mask, "last_visit"]
        points = pd.DataFrame({
            "lon": np.round(chosen.geometry.x.to_numpy(), COORD_DECIMALS),
            "lat": np.round(chosen.geometry.y.to_numpy(), COORD_DECIMALS),
            "tier": chosen["tier"].to_numpy(),
            "alias": chosen["alias"].to_numpy(),
            "last_visit": last.dt.normalize().to_numpy(),
        })
    else:
        hidden = n_points
    return MapView(area=area, unit_level=unit_level, units=units, indicator=indicator,
                   classes=classes, outlines=outlines, points=points, points_hidden=hidden,
                   bounds=bounds, as_of=as_of)


def _category_codes(classes: pd.Series, ids: pd.Series,
                    categories: tuple[tuple[str, str], ...]) -> np.ndarray:
    """Each unit's position in ``categories`` (-1 where it has no class)."""
    order = {key: i for i, (key, _) in enumerate(categories)}
    return classes.reindex(ids).map(order).fillna(-1).astype(int).to_numpy()


def with_categories(view: MapView, name: str, values: pd.Series, classes: pd.Series,
                    categories: tuple[tuple[str, str], ...]) -> MapView:
    """The same view coloured by named classes (e.g. hotspot classes) instead of breaks.

    ``values`` and ``classes`` are indexed by unit id; ``categories`` orders the
    classes and gives their colours.
    """
    units = view.units.copy()
    units["value"] = values.reindex(units["id"]).to_numpy(float)
    units["cls"] = _category_codes(classes, units["id"], categories)
    return replace(view, units=units, indicator=name, classes=None, categories=categories)


HOT_CLASSES = ("hot_99", "hot_95", "hot_90", "high_high", "became_hot")


def with_hot_counts(view: MapView, grids: pd.DataFrame, classes: pd.Series,
                    scheme: str = "natural_breaks") -> MapView:
    """For a view whose units are areas (too many grids to draw): each area coloured by
    how many of its grids are hot (Gi* hot, Moran High-High, or newly hot).

    ``classes`` is indexed by grid id.
    """
    column = schema.LEVEL_COLUMN[view.unit_level]
    area_of = grids.set_index("grid_id")[column].reindex(classes.index).to_numpy()
    counts = pd.Series(classes.isin(HOT_CLASSES).to_numpy(int)).groupby(area_of).sum()
    units = view.units.copy()
    units["value"] = counts.reindex(units["id"].to_numpy(), fill_value=0).to_numpy(float)
    cls, breaks = classify(units["value"], scheme)
    units["cls"] = cls
    return replace(view, units=units, indicator="hot_grids", classes=breaks, categories=None)


def _coarser_level(area: Area | None) -> str:
    """The level of areas to draw instead of grids: one below the selection."""
    if area is None:
        return "district"
    index = schema.LEVELS.index(area.level)
    return schema.LEVELS[min(index + 1, len(schema.AREA_LEVELS) - 1)]


def drill_target(grids: pd.DataFrame, current: Area | None, clicked_id: str,
                 clicked_level: str) -> Area | None:
    """Where a click on a unit leads: one level below ``current``, towards the click.

    Clicking a grid while viewing the city selects its district; while viewing a
    district, its street; and so on down to the grid itself.
    """
    depth = 0 if current is None else schema.LEVELS.index(current.level) + 1
    if depth >= len(schema.LEVELS):
        return current
    target_level = schema.LEVELS[depth]
    if clicked_level == "grid":
        row = grids.loc[grids["grid_id"] == clicked_id]
        if row.empty:
            return current
        return Area(target_level, str(row[schema.LEVEL_COLUMN[target_level]].iloc[0]))
    if schema.LEVELS.index(clicked_level) >= depth:
        return Area(clicked_level, clicked_id) if clicked_level == target_level else current
    return current


def grid_workers(assignments: pd.DataFrame, workers: pd.DataFrame, *, most: int = 3
                 ) -> pd.Series:
    """Per grid, its workers' names for a tooltip: primary first, at most ``most`` names."""
    staff = assignments.merge(workers[["worker_id", "name"]], on="worker_id")
    staff = staff.assign(_r=(staff["role"] != "primary").astype(int)).sort_values(
        ["grid_id", "_r", "worker_id"])
    def names(group: pd.Series) -> str:
        shown = "、".join(group.head(most))
        return shown + (f" 等{len(group)}人" if len(group) > most else "")
    return staff.groupby("grid_id")["name"].agg(names)


def grid_panel(grid_id: str, households: pd.DataFrame, status: pd.DataFrame,
               workers: pd.DataFrame, assignments: pd.DataFrame
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The side panel of one grid: its households (alias, tier, last visit, days until
    due; most urgent first) and its workers. ``households`` and ``status`` are aligned.

    Only the alias is shown, never the head's name or ID number.
    """
    mask = (households["grid_id"] == grid_id).to_numpy()
    rows = pd.DataFrame({
        "alias": households.loc[mask, "alias"].to_numpy(),
        "tier": households.loc[mask, "tier"].to_numpy(),
        "last_visit": status.loc[mask, "last_visit"].dt.date.to_numpy(),
        "days_until_due": status.loc[mask, "days_until_due"].to_numpy(),
    })
    rank = rows["tier"].map({tier: i for i, tier in enumerate(schema.TIERS)})
    rows = rows.assign(_r=rank).sort_values(["_r", "days_until_due"]).drop(columns="_r")
    held = assignments[assignments["grid_id"] == grid_id]
    staff = held.merge(workers[["worker_id", "name", "kind"]], on="worker_id")
    staff = staff.sort_values(["role", "kind"], key=lambda s: s.map(
        {"primary": 0, "backup": 1, "full_time": 0, "part_time": 1, "volunteer": 2}))
    return rows.reset_index(drop=True), staff[["name", "kind", "role"]].reset_index(drop=True)


def heat_points(households: gpd.GeoDataFrame, policy) -> pd.DataFrame:
    """Households for a heatmap, each weighted by its required visits per month, so a
    red household weighs about 13 times a green one (with the default intervals)."""
    return pd.DataFrame({
        "lon": households.geometry.x.to_numpy(), "lat": households.geometry.y.to_numpy(),
        "weight": households["tier"].map(policy.visits_per_month).to_numpy(float)})


def hex_view(base: MapView, counts: pd.DataFrame, polygons: gpd.GeoSeries, name: str, *,
             min_count: int, classes: pd.Series | None = None,
             categories: tuple[tuple[str, str], ...] | None = None,
             scheme: str = "quantiles") -> MapView:
    """``base`` redrawn with H3 hexagons as units and small counts suppressed.

    A suppressed value is drawn in its own (hatched) style with the text ``<min_count``,
    so neither the number nor its class shows; a cell's households per tier (tooltip)
    are withheld where any of them is suppressed (``privacy.suppress_breakdown``). The
    breaks are fitted on the counts of at least ``min_count`` only, from ``min_count``
    up, so no class reaches below it; cells with none are drawn empty.
    ``classes``/``categories`` colour by named classes (e.g. Gi* on the hexagons)
    instead of breaks.
    """
    small = is_small(counts[name], min_count)
    value = counts[name].where(~small).astype(float)
    units = gpd.GeoDataFrame({"id": counts.index.to_numpy(), "name": counts.index.to_numpy(),
                              "value": value.to_numpy(), "level": "hex"},
                             geometry=polygons.reindex(counts.index).values, crs=schema.CRS)
    tiers = suppress_breakdown(counts[list(schema.TIERS)], min_count)
    for column in schema.TIERS:
        units[column] = tiers[column].to_numpy()
    units["value_text"] = suppress(counts[[name]], min_count)[name].astype(str).to_numpy()
    if categories:
        units["cls"] = _category_codes(classes, units["id"], categories)
        classes_ = None
    else:
        cls, classes_ = classify(value.where(value >= min_count), scheme, lower=min_count)
        cls[small] = SUPPRESSED_CLASS
        cls[(value == 0).to_numpy()] = ZERO_CLASS
        units["cls"] = cls
    return replace(base, unit_level="hex", units=units, indicator=name, classes=classes_,
                   categories=categories, points=None, min_count=min_count)


def with_cases(view: MapView, cases: pd.DataFrame, households: pd.DataFrame) -> MapView:
    """``view`` with cases (``casework.case_state`` rows) as points coloured by age,
    in place of households; a case's label is its household's alias and category."""
    hh = households.set_index("household_id")
    rows = cases[cases["household_id"].isin(hh.index).to_numpy()]
    where = hh.geometry.reindex(rows["household_id"].to_numpy())
    points = pd.DataFrame({
        "lon": where.x.to_numpy(), "lat": where.y.to_numpy(),
        "age_class": np.asarray(age_class(rows["age_days"]).astype(str)),
        "alias": (hh["alias"].reindex(rows["household_id"].to_numpy()).to_numpy()
                  + " · " + rows["category"].to_numpy()),
        "reported": rows["reported_at"].dt.normalize().to_numpy()})
    return replace(view, points=points, points_kind="cases", points_hidden=0)


def with_workload(view: MapView, holder: pd.Series, names: pd.Series, utilisation: pd.Series,
                  status: pd.Series, colors: dict[str, str]) -> MapView:
    """Grids coloured by their primary worker's utilisation class (``colors`` orders the
    classes), the worker's name and utilisation in the tooltip. ``holder`` maps grid ->
    worker; ``names``, ``utilisation`` and ``status`` are indexed by worker."""
    grid_ids = view.units["id"]
    worker = holder.reindex(grid_ids)
    painted = with_categories(view, "utilisation",
                              pd.Series(utilisation.reindex(worker).to_numpy(), index=grid_ids),
                              pd.Series(status.reindex(worker).to_numpy(), index=grid_ids),
                              tuple(colors.items()))
    units = painted.units
    units["workers"] = names.reindex(worker).fillna("").to_numpy()
    units["value_text"] = [None if v != v else f"{v:.0%}" for v in units["value"]]
    return painted
