"""The read model: every figure the pages and the reports show, from one place.

A ``ReadModel`` is the data as one reader sees it (a ``Store``, a ``GuardedStore``, or
the app's cached reads: anything with ``read(layer, area=...)``), under one policy, on
one day. Each figure is assembled here once (status → open cases → grid indicators →
maps and hotspots; coverage, cases, needs, workload) and memoised in the model, so a
figure that several others need is computed once. The command line builds a model per
run; the app keeps one per principal, data version and day (``pages/shared/common.py``).

Figures are shared between callers (and, in the app, between sessions): treat them as
read-only and build new frames from them. The figures that take parameters (map views,
hotspots, hexagons, trends) keep only the most recently used few of a kind.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from gridmap import casework, coverage, indicators, schema
from gridmap.policy import Policy

if TYPE_CHECKING:
    from libpysal.weights import W

    from gridmap.mapview import MapView
    from gridmap.places import Area

# The analysis modules (PySAL, H3, mapclassify) are imported where a figure needs
# them: the login page and the reports that do not use them start faster.

# How many results of each parameterised figure a model keeps (least recently used go).
KEEP = {"view": 8, "hotspots": 16, "contiguity": 8, "hex": 4, "hex_hotspots": 16, "trend": 16,
        "area_frame": 32, "overview": 16, "overdue": 8, "responsible": 8, "due_list": 8}
# What a model carries over to the next data version when visits were only added
# (``ReadModel.advanced``): every figure that does not depend on visits.
UNTOUCHED_BY_VISITS = ("open_cases", "new_alerts", "case_state", "need_state", "case_report",
                       "need_report", "alert_report", "contiguity", "hex", "catalogue",
                       "service_month", "service_items", "service_texts", "service_report",
                       "provider_table", "shortfall_list", "responsible", "grid_workers",
                       "hex_hotspots")
# Hotspot indicators that visits leave alone (``hotspots.indicator``): their results are
# carried over too (Gi* with permutations is seconds on a province).
HOTSPOTS_WITHOUT_VISITS = ("red_orange", "red_orange_rate", "visits_required", "open_cases")
HEX_INDICATORS = ("red_orange", "households")  # counts, the only values hexagons carry


class Reader(Protocol):
    def read(self, layer: str, *, area: Area | None = None) -> pd.DataFrame: ...


class _Memo:
    """Values by key, each computed once even when threads ask for it at the same time
    (sessions share a model); at most ``KEEP[kind]`` of a kind are kept."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, OrderedDict] = {}
        self._computing: dict[tuple, threading.Lock] = {}

    def kinds(self) -> dict[str, OrderedDict]:
        """A copy of what is kept, by kind (the values themselves are shared)."""
        with self._lock:
            return {kind: OrderedDict(values) for kind, values in self._values.items()}

    def seed(self, kind: str, values: OrderedDict) -> None:
        with self._lock:
            self._values[kind] = values

    def get(self, kind: str, key: Hashable, compute: Callable[[], Any]) -> Any:
        with self._lock:
            values = self._values.setdefault(kind, OrderedDict())
            if key in values:
                values.move_to_end(key)
                return values[key]
            lock = self._computing.setdefault((kind, key), threading.Lock())
        with lock:  # one thread computes; the others wait for its value
            with self._lock:
                if key in values:
                    return values[key]
            try:
                value = compute()
                with self._lock:
                    values[key] = value
                    while len(values) > KEEP.get(kind, len(values)):
                        values.popitem(last=False)
            finally:
                with self._lock:
                    self._computing.pop((kind, key), None)
        return value


class ReadModel:
    """The figures of the data ``reader`` sees, under ``policy``, on the day ``as_of``."""

    def __init__(self, reader: Reader, policy: Policy, as_of: date) -> None:
        self.reader, self.policy, self.as_of = reader, policy, as_of
        self._memo = _Memo()

    def _once(self, kind: str, key: Hashable, compute: Callable[[], Any]) -> Any:
        return self._memo.get(kind, key, compute)

    # -- the data -------------------------------------------------------------------
    def frame(self, layer: str, area: Area | None = None) -> pd.DataFrame:
        """One layer, limited to ``area``; each is read once per model (the most recent
        few of an area)."""
        if area is not None:
            return self._once("area_frame", (layer, area),
                              lambda: self.reader.read(layer, area=area))
        return self._once("frame", layer, lambda: self.reader.read(layer, area=None))

    def _trend_moved(self, model: ReadModel, area, trend: pd.DataFrame,
                     before: pd.DataFrame, visits: pd.DataFrame) -> pd.DataFrame | None:
        """``weekly_trend(area)`` of ``model`` (``before``, this model's visits of
        ``area``, and ``visits``), from this one's by the visited households alone;
        ``None`` if the weeks reported would change."""
        after = model.frame("visits", area)
        ends = coverage.week_ends(after, self.policy, as_of=self.as_of)
        if not ends.equals(pd.DatetimeIndex(trend["week_end"].unique())):
            return None
        households = model.frame("households", area)
        visited = households[coverage.positions_in(
            households["household_id"], pd.unique(visits["household_id"].to_numpy())) >= 0]
        if visited.empty:
            return trend
        ids = visited["household_id"]
        return coverage.update_trend(
            trend, visited, before[coverage.positions_in(before["household_id"], ids) >= 0],
            after[coverage.positions_in(after["household_id"], ids) >= 0], self.policy,
            as_of=self.as_of)

    def forget(self) -> None:
        """Let go of every figure (a model superseded by ``advanced``); asked again, they
        are computed again."""
        self._memo = _Memo()

    def advanced(self, reader: Reader, visits: pd.DataFrame) -> ReadModel:
        """This model after ``visits`` were added to the store and nothing else changed:
        the figures that do not depend on visits are carried over, the visit frames get
        the new rows, each household's status is recomputed for the households visited
        only (``coverage.update_status``); the rest is computed again when asked, from
        the frames in memory. Equal to a model built afresh (tests/test_readmodel.py),
        without a province-wide read or status (issue 23). ``visits`` are rows this
        model's reader may see."""
        model = ReadModel(reader, self.policy, self.as_of)
        kept = self._memo.kinds()
        for kind in UNTOUCHED_BY_VISITS:
            if kind in kept:
                model._memo.seed(kind, kept[kind])
        frames = OrderedDict(kept.get("frame", ()))  # a copy: ``kept`` keeps the old
        households = frames.get("households")
        if "visits" in frames:
            frames["visits"] = _appended(frames["visits"], visits)
        model._memo.seed("frame", frames)
        areas = OrderedDict(kept.get("area_frame", ()))
        for (layer, area), frame in list(areas.items()):
            if layer == "visits":
                mine = areas.get(("households", area))
                if mine is None:
                    mine = reader.read("households", area=area)
                areas[(layer, area)] = _appended(frame, visits[coverage.positions_in(
                    visits["household_id"], mine["household_id"]) >= 0])
        model._memo.seed("area_frame", areas)
        hot = OrderedDict((key, value) for key, value in kept.get("hotspots", {}).items()
                          if key[0] in HOTSPOTS_WITHOUT_VISITS and key[1] != "emerging")
        model._memo.seed("hotspots", hot)
        trends = OrderedDict()
        for area, trend in kept.get("trend", OrderedDict()).items():
            before = (kept.get("frame", {}).get("visits") if area is None
                      else kept.get("area_frame", {}).get(("visits", area)))
            if before is None:  # not kept: this model would read the new data
                continue
            # A model reads lazily: a frame read after the write holds the new rows.
            before = before[~before["visit_id"].isin(visits["visit_id"]).to_numpy()]
            moved = self._trend_moved(model, area, trend, before, visits)
            if moved is not None:
                trends[area] = moved
        model._memo.seed("trend", trends)
        if "status" in kept and households is not None and "visits" in frames:
            status = coverage.update_status(
                kept["status"][None], households, frames["visits"], visits["household_id"],
                self.policy, as_of=self.as_of)
            model._memo.seed("status", OrderedDict({None: status}))
        return model

    @property
    def seed(self) -> int:
        """The permutation tests' seed (the policy's ``hotspots.seed``)."""
        return self.policy.hotspots.seed

    # -- visits and the grid indicators --------------------------------------------
    def status(self) -> pd.DataFrame:
        """Due dates and overdue flags of every household (row order of
        ``frame('households')``)."""
        return self._once("status", None, lambda: coverage.household_status(
            self.frame("households"), self.frame("visits"), self.policy, as_of=self.as_of))

    def open_cases(self) -> pd.Series:
        """Open cases per grid (every grid)."""
        return self._once("open_cases", None, lambda: casework.open_cases_per_grid(
            self.frame("cases"), self.frame("households"), self.frame("grids"), self.policy,
            as_of=self.as_of))

    def grid_indicators(self) -> pd.DataFrame:
        """Every indicator for every grid (``indicators.grid_indicators``)."""
        return self._once("grid_indicators", None, lambda: indicators.grid_indicators(
            self.frame("grids"), self.frame("households"), self.status(), self.policy,
            self.open_cases(), self.service_month(), self.new_alerts()))

    def new_alerts(self) -> pd.Series:
        """Alerts raised per grid in the 30 days to ``as_of`` (every grid; issue 20)."""
        from gridmap import alerts
        return self._once("new_alerts", None, lambda: alerts.new_per_grid(
            self.frame("alerts"), self.frame("grids"), as_of=self.as_of))

    def area_households(self, area: Area | None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The households of ``area`` and their status, aligned row by row."""
        everyone, status = self.frame("households"), self.status()
        if area is None:
            return everyone, status
        mask = coverage.positions_in(everyone["grid_id"], self.frame("grids", area)["grid_id"]) >= 0
        return everyone[mask].reset_index(drop=True), status[mask].reset_index(drop=True)

    def coverage_table(self, level: str) -> pd.DataFrame:
        """Coverage for every area of ``level`` (``report coverage``)."""
        return self._once("coverage_table", level, lambda: coverage.coverage_table(
            self.frame("households"), self.frame("visits"), self.frame("grids"),
            self.frame("areas"), self.policy, level=level, as_of=self.as_of,
            status=self.status()))

    def overview(self, area: Area | None = None):
        """The overview's headline counts of ``area`` (``summary.overview``)."""
        from gridmap import summary
        return self._once("overview", area, lambda: summary.overview(
            self.frame("grids", area), self.frame("households", area),
            self.frame("workers", area), self.frame("visits", area), as_of=self.as_of))

    def overdue(self, area: Area | None = None) -> pd.DataFrame:
        """The overdue households of ``area``, most urgent first (``coverage.overdue_list``)
        with their responsible worker and the warning level 0-3 (``warning``)."""
        def compute() -> pd.DataFrame:
            households, status = self.area_households(area)
            workers = self.responsible(area)
            late = coverage.overdue_list(households, status,
                                         self.frame("grids").set_index("grid_id")["name"],
                                         workers)
            warning = coverage.warning_levels(households, self.frame("visits", area),
                                              self.policy, as_of=self.as_of)
            return late.assign(warning=late["household_id"].map(
                pd.Series(warning.to_numpy(), index=households["household_id"].to_numpy())))
        return self._once("overdue", area, compute)

    def responsible(self, area: Area | None = None) -> pd.DataFrame:
        """Each household of ``area``'s responsible worker (``teams.responsible_workers``),
        aligned with ``area_households``."""
        from gridmap import teams
        return self._once("responsible", area, lambda: teams.responsible_workers(
            self.area_households(area)[0], self.frame("assignments"),
            self.frame("household_helpers"), self.frame("workers")))

    def due_list(self, area: Area | None = None) -> pd.DataFrame:
        """``area``'s households by what is due (``coverage.due_list``), with each one's
        responsible worker's name in ``worker``: /households."""
        def compute() -> pd.DataFrame:
            households, status = self.area_households(area)
            rows = coverage.due_list(households, status)
            worker = dict(zip(households["household_id"], self.responsible(area)["worker"],
                              strict=True))
            return rows.assign(worker=rows["household_id"].map(worker))
        return self._once("due_list", area, compute)

    def weekly_trend(self, area: Area | None = None) -> pd.DataFrame:
        """Coverage per tier per week in ``area``."""
        return self._once("trend", area, lambda: coverage.weekly_trend(
            self.frame("households", area), self.frame("visits", area), self.policy,
            as_of=self.as_of))

    # -- cases and needs ---------------------------------------------------------------
    def _in_area(self, frame: pd.DataFrame, area: Area | None) -> pd.DataFrame:
        if area is None:
            return frame
        if "community_id" in frame:  # a helper's needs: where, never who
            communities = self.frame("grids", area)["community_id"]
            return frame[frame["community_id"].isin(communities).to_numpy()].reset_index(
                drop=True)
        mine = self.frame("households", area)["household_id"]
        return frame[coverage.positions_in(frame["household_id"], mine) >= 0].reset_index(
            drop=True)

    def case_state(self, area: Area | None = None) -> pd.DataFrame:
        """Cases of ``area`` as they stood on the day (``casework.case_state``)."""
        state = self._once("case_state", None, lambda: casework.case_state(
            self.frame("cases"), self.policy, as_of=self.as_of))
        return self._in_area(state, area)

    def need_state(self, area: Area | None = None) -> pd.DataFrame:
        """Needs of ``area`` as they stood on the day (``casework.need_state``)."""
        state = self._once("need_state", None, lambda: casework.need_state(
            self.frame("needs"), self.policy, as_of=self.as_of))
        return self._in_area(state, area)

    def case_report(self, level: str) -> pd.DataFrame:
        """The closed loop per area of ``level`` (``report cases``)."""
        return self._once("case_report", level, lambda: casework.case_report(
            self.frame("cases"), self.frame("households"), self.frame("grids"),
            self.frame("areas"), self.policy, level=level, as_of=self.as_of))

    def need_report(self, level: str) -> pd.DataFrame:
        """Needs per area of ``level``, or per ``category`` (``report needs``)."""
        return self._once("need_report", level, lambda: casework.need_report(
            self.frame("needs"), self.frame("households"), self.frame("grids"),
            self.frame("areas"), self.policy, level=level, as_of=self.as_of))

    def alert_report(self, level: str) -> pd.DataFrame:
        """Alerts per area of ``level`` or per ``source`` (``report alerts``, issue 20)."""
        from gridmap import alerts
        return self._once("alert_report", level, lambda: alerts.alert_report(
            self.frame("alerts"), self.frame("grids"), self.frame("areas"), self.policy,
            level=level, as_of=self.as_of))

    # -- workload --------------------------------------------------------------------
    def worker_loads(self, area: Area | None = None) -> pd.DataFrame:
        """``workload.worker_table`` for the workers whose home grid lies in ``area``."""
        table = self._once("worker_loads", None, self._worker_table)
        if area is None:
            return table
        return table[table[schema.LEVEL_COLUMN[area.level]] == area.id].reset_index(drop=True)

    def _worker_table(self) -> pd.DataFrame:
        from gridmap import workload
        households, grids = self.frame("households"), self.frame("grids")
        loads = workload.household_load(households, grids, self.frame("visits"),
                                        self.frame("cases"), self.policy, as_of=self.as_of)
        return workload.worker_table(self.frame("workers"), self.frame("assignments"),
                                     self.frame("household_helpers"), households, loads, grids,
                                     self.policy)

    def workload_summary(self, level: str) -> pd.DataFrame:
        """Workers' utilisation summed up per area of ``level`` (``workload.summary``)."""
        from gridmap import workload
        return workload.summary(self.worker_loads(), self.policy, level=level)

    # -- hotspots --------------------------------------------------------------------
    def contiguity(self, area: Area | None = None) -> W:
        """Queen contiguity of the grids of ``area`` (``hotspots.contiguity``)."""
        from gridmap import hotspots
        return self._once("contiguity", area,
                          lambda: hotspots.contiguity(self.frame("grids", area)))

    def hotspots(self, name: str, method: str = "gi", area: Area | None = None, *,
                 permutations: int = 999, fdr: bool = False, days: int = 30,
                 seed: int | None = None) -> pd.DataFrame:
        """Gi* classes (``gi``) or Moran clusters (``moran``) of indicator ``name`` per grid
        of ``area``; or, for ``emerging``, the change in new difficulties between the last
        ``days`` and the ``days`` before. The seed is the policy's unless given."""
        seed = self.seed if seed is None else seed
        if method not in ("gi", "moran", "emerging"):
            raise ValueError(f"unknown method {method!r}; use gi, moran or emerging")
        key = (name, method, area, permutations, fdr, days if method == "emerging" else None,
               seed)
        return self._once("hotspots", key, lambda: self._hotspots(
            name, method, area, permutations=permutations, fdr=fdr, days=days, seed=seed))

    def _hotspots(self, name: str, method: str, area: Area | None, *, permutations: int,
                  fdr: bool, days: int, seed: int) -> pd.DataFrame:
        from gridmap import hotspots
        grids, households = self.frame("grids", area), self.frame("households", area)
        visits, w = self.frame("visits", area), self.contiguity(area)
        options = {"permutations": permutations, "fdr": fdr, "seed": seed}
        if method == "emerging":
            as_of = self.as_of
            after = hotspots.difficulties_between(grids, households, visits,
                                                  as_of - timedelta(days=days - 1), as_of)
            before = hotspots.difficulties_between(grids, households, visits,
                                                   as_of - timedelta(days=2 * days - 1),
                                                   as_of - timedelta(days=days))
            return hotspots.emerging(before, after, w, **options)
        values = hotspots.indicator(name, grids, self.grid_indicators(), households, visits,
                                    as_of=self.as_of)
        if method == "gi":
            return hotspots.gi_star(values, w, **options)
        return hotspots.local_moran(values, w, **options)

    def hex_data(self, area: Area | None = None, res: int | None = None):
        """Hexagon counts over a full cover of ``area``, their outlines and neighbour graph
        (``res``: the H3 resolution, by default the one that suits the area)."""
        from gridmap import hexbins
        res = hexbins.resolution_for(area) if res is None else res
        return self._once("hex", (area, res), lambda: self._hexes(area, res))

    def _hexes(self, area: Area | None, res: int):
        from gridmap import hexbins
        if area is None:
            shape = self.frame("areas").query("level == 'district'").union_all()
        elif area.level == "grid":
            shape = self.frame("grids").set_index("grid_id").geometry[area.id]
        else:
            shape = self.frame("areas").set_index("area_id").geometry[area.id]
        counts = hexbins.hex_counts(self.frame("households", area), shape, res)
        return counts, hexbins.hex_polygons(counts.index), hexbins.hex_weights(counts.index)

    def hex_hotspots(self, name: str, method: str = "gi", area: Area | None = None, *,
                     res: int | None = None, permutations: int = 999, fdr: bool = False,
                     seed: int | None = None) -> pd.DataFrame:
        """Gi* (``gi``) or local Moran's I (``moran``) of the households (``name``:
        ``red_orange`` or ``households``) on the hexagons of ``hex_data``."""
        from gridmap import hexbins, hotspots
        if name not in HEX_INDICATORS:
            raise ValueError(f"hexagons carry counts only: {', '.join(HEX_INDICATORS)}")
        if method not in ("gi", "moran"):
            raise ValueError(f"unknown method {method!r} on hexagons; use gi or moran")
        res = hexbins.resolution_for(area) if res is None else res
        seed = self.seed if seed is None else seed
        key = (name, method, area, res, permutations, fdr, seed)

        def compute() -> pd.DataFrame:
            counts, _, weights = self.hex_data(area, res)
            analyse = hotspots.gi_star if method == "gi" else hotspots.local_moran
            return analyse(counts[name].astype(float), weights, permutations=permutations,
                           fdr=fdr, seed=seed)
        return self._once("hex_hotspots", key, compute)

    # -- services (物质+服务, issue 21) ---------------------------------------------------
    def catalogue(self):
        """The service catalogue (``data/services.toml``), read once per model."""
        from gridmap import services
        return self._once("catalogue", None, services.load_catalogue)

    def _month(self, month: str | None):
        from gridmap import services
        return services.parse_month(month) if month else pd.Period(self.as_of, freq="M")

    def service_month(self, month: str | None = None) -> pd.DataFrame:
        """Hours owed, due and delivered per household in ``month`` (default: the month
        of the day), with the shortfall (``services.household_month``)."""
        from gridmap import services
        period = self._month(month)
        return self._once("service_month", str(period), lambda: services.household_month(
            self.frame("entitlements"), self.frame("service_records"), self.catalogue(),
            period, self.policy, as_of=self.as_of))

    def service_items(self, month: str | None = None) -> pd.DataFrame:
        """Per household and service in ``month``: entitled, due, delivered, shortfall in
        the service's unit (``services.service_month``)."""
        from gridmap import services
        period = self._month(month)
        return self._once("service_items", str(period), lambda: services.service_month(
            self.frame("entitlements"), self.frame("service_records"), self.catalogue(),
            period, as_of=self.as_of))

    def service_texts(self, month: str | None = None, lang: str = "zh") -> pd.Series:
        """Each household's services in ``month`` as one line (the ledger's column)."""
        from gridmap import services
        return self._once("service_texts", (str(self._month(month)), lang), lambda: (
            services.services_text(self.service_items(month), self.catalogue(), lang)))

    def service_report(self, level: str, month: str | None = None) -> pd.DataFrame:
        """``report services``: per area of ``level`` or per provider."""
        from gridmap import services
        period = self._month(month)
        return self._once("service_report", (level, str(period)), lambda: (
            services.service_report(
                self.frame("entitlements"), self.frame("service_records"),
                self.frame("households"), self.frame("grids"), self.frame("areas"),
                self.frame("providers"), self.catalogue(), self.policy, month=period,
                level=level, as_of=self.as_of)))

    def provider_table(self, month: str | None = None) -> pd.DataFrame:
        """Per provider: delivered, households served, on-time rate."""
        from gridmap import services
        period = self._month(month)
        return self._once("provider_table", str(period), lambda: services.provider_table(
            self.frame("service_records"), self.frame("providers"), self.catalogue(),
            period, self.policy))

    def shortfall_list(self, area: Area | None = None, month: str | None = None
                       ) -> pd.DataFrame:
        """Households of ``area`` more than the policy's share short in ``month``."""
        from gridmap import services
        households = self.frame("households", area) if area else self.frame("households")
        return self._once("shortfall_list", (area, str(self._month(month))), lambda: (
            services.shortfall_list(self.service_month(month), households,
                                    self.frame("grids").set_index("grid_id")["name"])))

    def service_hours(self, month: str | None = None) -> float:
        """Hours of service delivered in ``month``, in total (the screen's aggregate)."""
        return float(self.service_month(month)["hours_delivered"].sum())

    # -- maps and the screen ---------------------------------------------------------
    def map_view(self, area: Area | None, indicator: str, scheme: str = "quantiles",
                 tiers: tuple[str, ...] = schema.TIERS, categories: tuple[str, ...] = (),
                 unit_level: str | None = None) -> MapView:
        """What a map of ``area`` coloured by ``indicator`` shows (``mapview.build_view``)."""
        from gridmap import mapview
        key = (area, indicator, scheme, tuple(tiers), tuple(categories), unit_level)
        return self._once("view", key, lambda: mapview.build_view(
            areas=self.frame("areas"), grids=self.frame("grids"),
            households=self.frame("households"),
            workers_by_grid=self._once("grid_workers", None, lambda: mapview.grid_workers(
                self.frame("assignments"), self.frame("workers"))),
            status=self.status(), per_grid=self.grid_indicators(), area=area,
            indicator=indicator, scheme=scheme, as_of=self.as_of.isoformat(),
            tiers=tuple(tiers), categories=tuple(categories), unit_level=unit_level))

    def screen_figures(self) -> list:
        """The presentation screen's figures (``screen.figures``)."""
        from gridmap import screen
        return self._once("screen", None, lambda: screen.figures(
            households=self.frame("households"), visits=self.frame("visits"),
            tier_changes=self.frame("tier_changes"), cases=self.frame("cases"),
            needs=self.frame("needs"), policy=self.policy, as_of=self.as_of,
            alerts=self.frame("alerts"), service_records=self.frame("service_records"),
            catalogue=self.catalogue()))


def _appended(frame: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``rows`` after it (the same layer's columns)."""
    if rows.empty:
        return frame
    if "visit_id" in frame:  # read after the write already (a model reads lazily)
        import pyarrow as pa
        import pyarrow.compute as pc
        seen = pc.drop_null(pc.index_in(pa.array(frame["visit_id"]),
                                        value_set=pa.array(rows["visit_id"]))).to_numpy()
        keep = np.ones(len(rows), bool)
        keep[seen.astype(np.int64)] = False
        rows = rows[keep]
        if rows.empty:
            return frame
    return pd.concat([frame, rows[frame.columns]], ignore_index=True)
