"""A synthetic but realistic city for demos, tests and benchmarks.

The ``city`` scale is Zhenjiang (seed 001) on its real district boundaries:
exactly 3,675 grids (1,152 urban, 2,144 rural, 379 dedicated), 3,728 full-time
grid workers plus part-time workers and volunteers, about 19,000 vulnerable
households and a year of visits, cases and needs. Streets, communities and grids are cut
from the districts by clipped Voronoi cells, urban ones small and dense around
the town centres. ``build_demo`` is pure: the same seed and ``as_of`` date give
the same data, byte for byte.

It runs past 500 lines because places, people and a year of visits are one
pipeline drawing from one random stream; split, the stream (and every figure the
tests pin) would change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridmap import schema
from gridmap.assessment import load_config
from gridmap.coords import geometry_to_wgs84
from gridmap.demo import _feeds
from gridmap.demo import _synthetic as syn
from gridmap.demo._assessment import assessments
from gridmap.demo._casework import cases_and_needs
from gridmap.demo._services import orders as demo_orders
from gridmap.demo._services import services as demo_services
from gridmap.policy import Policy
from gridmap.services import load_catalogue
from gridmap.settings import BOUNDARIES

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
HISTORY_DAYS = 365  # a year of visits, cases and needs


@dataclass(frozen=True)
class Scale:
    """Counts for one demo size. Grid and worker counts are per city copy."""

    urban: int
    rural: int
    dedicated: int
    households: int  # in all copies together
    full_time: int
    part_time: int
    volunteers: int
    districts: tuple[str, ...] | None = None  # adcodes; None = every district
    streets_per_district: int | None = None
    copies: int = 1  # the province tiles this many cities


SCALES: dict[str, Scale] = {
    "small": Scale(14, 22, 4, 400, 42, 60, 20, districts=("321112",), streets_per_district=3),
    "city": Scale(1152, 2144, 379, 19_000, 3728, 10_000, 2_500),
    "province": Scale(1152, 2144, 379, 1_000_000, 3728, 10_000, 2_500, copies=13),
}

# Streets (街道, urban) and towns (镇, rural) of each district, centre first.
STREETS: dict[str, list[tuple[str, str]]] = {
    "321102": [(n, "street") for n in ("大市口街道", "正东路街道", "健康路街道", "四牌楼街道",
                                       "象山街道", "谏壁街道", "丁卯街道")],
    "321111": [(n, "street") for n in ("和平路街道", "宝塔路街道", "七里甸街道", "金山街道",
                                       "南山街道", "蒋乔街道", "官塘桥街道")],
    "321112": [("宜城街道", "street")] + [(n, "town") for n in (
        "高资镇", "辛丰镇", "谷阳镇", "上党镇", "宝堰镇", "世业镇")],
    "321181": [("云阳街道", "street"), ("曲阿街道", "street")] + [(n, "town") for n in (
        "司徒镇", "延陵镇", "珥陵镇", "导墅镇", "皇塘镇", "吕城镇", "陵口镇", "访仙镇",
        "界牌镇", "丹北镇")],
    "321182": [("三茅街道", "street"), ("兴隆街道", "street")] + [(n, "town") for n in (
        "新坝镇", "油坊镇", "八桥镇", "西来桥镇")],
    "321183": [("华阳街道", "street"), ("崇明街道", "street"), ("黄梅街道", "street")] + [
        (n, "town") for n in ("下蜀镇", "宝华镇", "郭庄镇", "茅山镇", "后白镇", "白兔镇",
                              "边城镇", "天王镇")],
}
# Town centres (WGS84) around which urban streets cluster.
CENTRES = {"321102": (119.47, 32.20), "321111": (119.42, 32.19), "321112": (119.45, 32.12),
           "321181": (119.58, 32.01), "321182": (119.81, 32.24), "321183": (119.17, 31.95)}
URBAN_CORE_DISTRICTS = ("321102", "321111")  # the old city: densest urban grids
PROVINCE_CITIES = ("南京", "无锡", "徐州", "常州", "苏州", "南通", "连云港", "淮安", "盐城",
                   "扬州", "镇江", "泰州", "宿迁")

_COMMUNITY_CHARS = list("金山桃园花新华长江南北东西丰宝塔梦溪红旗迎春光明和平幸福康乐"
                        "永安建设胜利团结友谊五四七一朝阳东风")
_DEDICATED = ("工业园", "大学城", "高新园", "物流园", "医院", "学校", "养老院", "市场", "小区")
_TIER_MIX = {"red": 0.055, "orange": 0.135, "yellow": 0.30, "green": 0.51}
_CATEGORY_WEIGHTS = {  # by tier: which special groups are likely
    "red": [3, 4, 0.5, 3, 1.5, 0.8, 1.2, 5, 3],
    "orange": [5, 2, 1, 3, 1.2, 0.4, 0.6, 3, 3],
    "yellow": [5, 0.8, 3, 2, 0.8, 0.2, 0.3, 1.5, 2.5],
    "green": [3, 0.3, 5, 1.5, 0.5, 0.1, 0.1, 0.6, 2],
}
_METHOD_P = {"red": [0.62, 0.22, 0.04, 0.12], "orange": [0.5, 0.32, 0.06, 0.12],
             "yellow": [0.38, 0.42, 0.1, 0.1], "green": [0.3, 0.48, 0.14, 0.08]}
_FOUND_P = {"red": 0.05, "orange": 0.03, "yellow": 0.02, "green": 0.01}
_UPGRADE_REASONS = ("住院后病情加重", "突发中风，生活不能自理", "主要劳动力失业",
                    "家庭成员重病，医疗支出骤增", "遭遇意外事故", "配偶去世，独居无人照料",
                    "子女辍学，家庭收入中断")
_DOWNGRADE_REASONS = ("子女就业，收入改善", "病情稳定，已纳入医保报销", "获得临时救助后困难缓解",
                      "就业帮扶后有稳定收入", "纳入低保后生活基本稳定")
_NOTES = ("身体状况稳定", "家中无人，电话联系", "反映药费负担较重", "已协助申请临时救助",
          "子女定期探望", "独居，需加强关注", "居住环境较差", "情绪低落，已安排社工",
          "已送慰问物资", "按时服药，状况良好")
_DIFFICULTY_NOTES = ("新发重病，医疗支出大", "家庭主要劳动力失业", "房屋漏雨，存在安全隐患",
                     "孩子无人照看", "老人行动不便，无人照料")


def read_districts(path=BOUNDARIES) -> gpd.GeoDataFrame:
    """The shipped Zhenjiang district boundaries, converted from GCJ-02 to WGS84."""
    raw = gpd.read_file(path)
    raw = raw[raw["level"] == "区县"].sort_values("adcode").reset_index(drop=True)
    return gpd.GeoDataFrame(
        {"area_id": raw["adcode"].astype(str), "name": raw["district"].astype(str)},
        geometry=geometry_to_wgs84(raw.geometry.values, "gcj02"), crs=schema.CRS)


# -- geometry helpers --------------------------------------------------------
def _polygonal(geom) -> shapely.MultiPolygon:
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and not p.is_empty]
    return shapely.MultiPolygon(parts)


def _points_in(poly, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniform random points inside ``poly`` (rejection sampling)."""
    shapely.prepare(poly)
    x0, y0, x1, y1 = poly.bounds
    found = np.empty((0, 2))
    while len(found) < n:
        m = max(64, 4 * (n - len(found)))
        xy = np.column_stack([rng.uniform(x0, x1, m), rng.uniform(y0, y1, m)])
        found = np.vstack([found, xy[shapely.contains_xy(poly, xy[:, 0], xy[:, 1])]])
    return found[:n]


def _cells(poly, seeds: np.ndarray) -> list:
    """Voronoi cells of ``seeds`` clipped to ``poly``, in seed order."""
    if len(seeds) == 1:
        return [_polygonal(poly)]
    diagram = shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=poly, ordered=True)
    cells = shapely.intersection(shapely.get_parts(diagram), poly)
    return [_polygonal(c) for c in cells]


def _split(poly, n: int, rng: np.random.Generator, *, relax: int = 1) -> list:
    """Cut ``poly`` into ``n`` cells of similar size (Voronoi with Lloyd relaxation)."""
    seeds = _points_in(poly, n, rng)
    for _ in range(relax):
        if n == 1:
            break
        cells = _cells(poly, seeds)
        new = np.array([c.centroid.coords[0] if c.contains(c.centroid)
                        else c.representative_point().coords[0] for c in cells])
        seeds = new if len(np.unique(new.round(9), axis=0)) == n else seeds
    return _cells(poly, seeds)


def _allocate(total: int, weights) -> np.ndarray:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder)."""
    w = np.asarray(weights, float)
    if total == 0 or len(w) == 0:
        return np.zeros(len(w), int)
    raw = total * w / w.sum()
    out = np.floor(raw).astype(int)
    out[np.argsort(-(raw - out), kind="stable")[: total - out.sum()]] += 1
    return out


# -- the place hierarchy ------------------------------------------------------
def _community_name(rng: np.random.Generator, used: set[str], suffix: str) -> str:
    while True:
        name = "".join(rng.choice(_COMMUNITY_CHARS, 2)) + suffix
        if name not in used:
            used.add(name)
            return name


def _street_cells(district, streets, centre, rng) -> list:
    """Cut a district into streets; urban streets small and close to the centre."""
    n_urban = sum(kind == "street" for _, kind in streets)
    if n_urban == len(streets):
        return _split(district, len(streets), rng, relax=2)
    sigma = 0.012 * np.sqrt(n_urban)
    centre_pt = np.array(centre)
    urban = []
    while len(urban) < n_urban:
        xy = centre_pt + rng.normal(0, sigma, 2)
        if district.contains(shapely.Point(xy)):
            urban.append(xy)
    towns = []
    candidates = _points_in(district, 50 * len(streets), rng)
    far = np.hypot(*(candidates - centre_pt).T) > 3 * sigma
    for xy in candidates[far]:
        if len(towns) == len(streets) - n_urban:
            break
        if not towns or np.min(np.hypot(*(np.array(towns) - xy).T)) > 0.03:
            towns.append(xy)
    return _cells(district, np.array(urban + towns))


def _build_places(districts: gpd.GeoDataFrame, spec: Scale, rng: np.random.Generator,
                  *, name_prefix: str = "") -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Areas (district, street, community) and grids for one city."""
    street_rows = []
    for _, d in districts.iterrows():
        # In the province, each city is a moved copy of Zhenjiang: ``template`` is
        # the real district it copies, ``dx, dy`` how far it moved.
        streets = STREETS[d.template][: spec.streets_per_district]
        centre = np.add(CENTRES[d.template], (d.dx, d.dy))
        cells = _street_cells(d.geometry, streets, centre, rng)
        for k, ((name, kind), cell) in enumerate(zip(streets, cells, strict=True)):
            core = d.template in URBAN_CORE_DISTRICTS
            street_rows.append({"area_id": f"{d.area_id}{k + 1:03d}", "name": name, "kind": kind,
                                "parent_id": d.area_id, "geometry": cell,
                                "weight": (1.3 if core else 1.0) if kind == "street"
                                else np.sqrt(cell.area)})
    streets = pd.DataFrame(street_rows)
    urban = streets["kind"] == "street"
    streets["urban"] = 0
    streets["rural"] = 0
    streets.loc[urban, "urban"] = _allocate(spec.urban, streets.loc[urban, "weight"])
    streets.loc[~urban, "rural"] = _allocate(spec.rural, streets.loc[~urban, "weight"])
    ded_urban = round(spec.dedicated * 0.6) if (~urban).any() else spec.dedicated
    streets["dedicated"] = 0
    streets.loc[urban, "dedicated"] = _allocate(ded_urban, streets.loc[urban, "weight"])
    streets.loc[~urban, "dedicated"] = _allocate(spec.dedicated - ded_urban,
                                                 streets.loc[~urban, "weight"])

    area_rows, grid_rows = [], []
    for d in districts.itertuples():
        area_rows.append((d.area_id, name_prefix + d.name, "district", None, d.geometry))
    for s in streets.itertuples():
        area_rows.append((s.area_id, s.name, "street", s.parent_id, s.geometry))
        types = np.array(["urban"] * s.urban + ["rural"] * s.rural + ["dedicated"] * s.dedicated)
        rng.shuffle(types)
        n_comm = max(1, round(len(types) / 4.6))
        sizes = _allocate(len(types), rng.gamma(4.0, 1.0, n_comm))
        sizes[sizes == 0] = 1
        sizes[np.argmax(sizes)] -= sizes.sum() - len(types)
        used: set[str] = set()
        suffix = "社区" if s.kind == "street" else "村"
        start = 0
        for c, (cell, size) in enumerate(zip(_split(s.geometry, n_comm, rng), sizes,
                                             strict=True)):
            cid = f"{s.area_id}{c + 1:03d}"
            cname = _community_name(rng, used, suffix)
            area_rows.append((cid, cname, "community", s.area_id, cell))
            for g, (gtype, gcell) in enumerate(zip(types[start:start + size],
                                                   _split(cell, size, rng), strict=True)):
                gname = (f"{cname}{rng.choice(_DEDICATED)}专属网格" if gtype == "dedicated"
                         else f"{cname}第{g + 1}网格")
                grid_rows.append((f"{cid}{g + 1:03d}", gname, gtype, cid, s.area_id,
                                  s.parent_id, gcell))
            start += size
    areas = gpd.GeoDataFrame(area_rows, columns=["area_id", "name", "level", "parent_id",
                                                 "geometry"], crs=schema.CRS)
    grids = gpd.GeoDataFrame(grid_rows, columns=["grid_id", "name", "grid_type", "community_id",
                                                 "street_id", "district_id", "geometry"],
                             crs=schema.CRS)
    return areas, grids


# -- households ---------------------------------------------------------------
def _need_field(grids: gpd.GeoDataFrame, rng: np.random.Generator) -> np.ndarray:
    """A smooth 'need' surface over the city (a few bumps), one value per grid in 0..1."""
    xy = shapely.get_coordinates(grids.geometry.representative_point().values)
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    field = np.zeros(len(xy))
    for _ in range(8):
        centre = lo + rng.random(2) * (hi - lo)
        sigma = rng.uniform(0.02, 0.06)
        field += rng.uniform(1.0, 2.5) * np.exp(-((xy - centre) ** 2).sum(1) / (2 * sigma ** 2))
    return field / field.max()


def _household_points(grids: gpd.GeoDataFrame, grid_idx: np.ndarray,
                      rng: np.random.Generator) -> np.ndarray:
    geoms = grids.geometry.values
    shapely.prepare(geoms)
    bounds = shapely.bounds(geoms)[grid_idx]
    xy = np.full((len(grid_idx), 2), np.nan)
    todo = np.arange(len(grid_idx))
    while len(todo):
        b = bounds[todo]
        x = rng.uniform(b[:, 0], b[:, 2])
        y = rng.uniform(b[:, 1], b[:, 3])
        ok = shapely.contains_xy(geoms[grid_idx[todo]], x, y)
        xy[todo[ok]] = np.column_stack([x[ok], y[ok]])
        todo = todo[~ok]
    return xy


def _households(grids, areas, n, city_code, rng, as_of) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    need = _need_field(grids, rng)
    type_factor = grids["grid_type"].map({"urban": 1.3, "rural": 1.0, "dedicated": 0.35})
    weight = type_factor.to_numpy() * (0.4 + 1.6 * need) * rng.gamma(3.0, 1 / 3.0, len(grids))
    counts = rng.multinomial(n, weight / weight.sum())
    gi = np.repeat(np.arange(len(grids)), counts)
    risk = need[gi]
    p = np.column_stack([_TIER_MIX["red"] * (0.5 + risk), _TIER_MIX["orange"] * (0.7 + 0.6 * risk),
                         np.full(n, _TIER_MIX["yellow"]), np.zeros(n)])
    p[:, 3] = 1 - p[:, :3].sum(1)
    tier_idx = (rng.random(n)[:, None] > p.cumsum(1)).sum(1).clip(0, 3)
    tiers = np.array(schema.TIERS)[tier_idx]

    xy = _household_points(grids, gi, rng)
    approximate = rng.random(n) < 0.03
    rep = shapely.get_coordinates(grids.geometry.representative_point().values)
    xy[approximate] = rep[gi[approximate]]

    categories = np.empty(n, dtype=object)
    for t in schema.TIERS:
        idx = np.flatnonzero(tiers == t)
        w = np.array(_CATEGORY_WEIGHTS[t]) / sum(_CATEGORY_WEIGHTS[t])
        first = rng.choice(len(schema.CATEGORIES), len(idx), p=w)
        second = rng.choice(len(schema.CATEGORIES), len(idx), p=w)
        both = (rng.random(len(idx)) < 0.35) & (second != first)
        cats = np.array(schema.CATEGORIES)
        categories[idx] = np.where(both, np.char.add(np.char.add(cats[first], ";"), cats[second]),
                                   cats[first])
    alone = pd.Series(categories).str.contains("独居老人").to_numpy()
    members = np.where(alone, 1, rng.choice([1, 2, 3, 4, 5, 6], n,
                                            p=[0.22, 0.3, 0.22, 0.14, 0.08, 0.04]))
    warning = np.select([tiers == "red", tiers == "orange", tiers == "yellow"],
                        [rng.choice([1, 2, 3], n, p=[0.2, 0.4, 0.4]),
                         rng.choice([0, 1, 2], n, p=[0.3, 0.5, 0.2]),
                         rng.choice([0, 1], n, p=[0.8, 0.2])], 0)

    age = np.clip(rng.normal(63, 15, n), 22, 98).astype(int)
    birth = pd.DatetimeIndex(pd.Timestamp(as_of) - pd.to_timedelta(age * 365.25
                                                                  + rng.integers(0, 365, n), "D"))
    male = rng.random(n) < 0.5
    moved = rng.random(n) < 0.05  # 人户分离: registered elsewhere
    reg_idx = np.where(moved, rng.integers(0, len(grids), n), gi)
    reg_district = grids["district_id"].to_numpy()[reg_idx]
    names_by_id = dict(zip(areas["area_id"], areas["name"], strict=True))
    place = (grids["district_id"].map(names_by_id) + grids["street_id"].map(names_by_id)
             + grids["community_id"].map(names_by_id)).to_numpy()[gi]
    tier_since = pd.Timestamp(as_of) - pd.to_timedelta(rng.integers(HISTORY_DAYS + 20, 1100, n),
                                                       "D")
    frame = gpd.GeoDataFrame({
        "household_id": [f"H{city_code}{i:07d}" for i in range(n)],
        "alias": syn.aliases(rng, n),
        "head_name": syn.person_names(rng, n),
        "id_number": syn.id_numbers(rng, reg_district, birth, male),
        "phone": syn.phones(rng, n),
        "address": syn.addresses(rng, place),
        "grid_id": grids["grid_id"].to_numpy()[gi],
        "registered_grid_id": grids["grid_id"].to_numpy()[reg_idx],
        "tier": tiers,
        "tier_since": tier_since.normalize(),
        "categories": categories,
        "members": members,
        "warning_level": warning,
        "location_quality": np.where(approximate, "approximate", "exact"),
    }, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=schema.CRS)
    return frame, gi


def _tier_changes(households, primary_of_grid, rng, as_of):
    """Some households changed tier during the window (mostly upgrades after a crisis)."""
    n = len(households)
    to_idx = households["tier"].map({t: i for i, t in enumerate(schema.TIERS)}).to_numpy()
    # Red households most often got there by a change; green ones by recovering.
    changed = np.flatnonzero(rng.random(n) < np.array([0.2, 0.07, 0.03, 0.015])[to_idx])
    to_idx = to_idx[changed]
    upgrade = rng.random(len(changed)) < np.array([1.0, 0.75, 0.5, 0.0])[to_idx]
    step = rng.integers(1, 3, len(changed))
    from_idx = np.where(upgrade, np.minimum(to_idx + step, 3), np.maximum(to_idx - step, 0))
    keep = from_idx != to_idx
    changed, to_idx, from_idx, upgrade = changed[keep], to_idx[keep], from_idx[keep], upgrade[keep]
    when = (pd.Timestamp(as_of) - pd.to_timedelta(rng.integers(3, HISTORY_DAYS, len(changed)), "D")
            + pd.to_timedelta(rng.integers(8 * 60, 18 * 60, len(changed)), "min"))
    reasons = np.where(upgrade, rng.choice(_UPGRADE_REASONS, len(changed)),
                       rng.choice(_DOWNGRADE_REASONS, len(changed)))
    tiers = np.array(schema.TIERS)
    changes = pd.DataFrame({
        "household_id": households["household_id"].to_numpy()[changed],
        "changed_at": when.floor("min"),
        "from_tier": tiers[from_idx], "to_tier": tiers[to_idx], "reason": reasons,
        "changed_by": primary_of_grid.reindex(households["grid_id"].to_numpy()[changed]).to_numpy(),
    })
    households.loc[changed, "tier_since"] = when.normalize()
    return changes


# -- workers ------------------------------------------------------------------
def _workers(grids, households, spec: Scale, city_code: str, rng: np.random.Generator, as_of):
    n_grids = len(grids)
    hh_per_grid = households["grid_id"].value_counts().reindex(grids["grid_id"], fill_value=0)
    primary = np.arange(n_grids)  # primary worker index per grid
    # Some rural workers hold a second, neighbouring grid of their village.
    shared_target = max(n_grids - spec.full_time, round(0.033 * n_grids))
    rural = np.flatnonzero(grids["grid_type"].to_numpy() == "rural")
    comm = grids["community_id"].to_numpy()
    geoms = grids.geometry.values
    shared = 0
    for g in rng.permutation(rural):
        if shared >= shared_target:
            break
        if primary[g] != g:
            continue
        mates = [m for m in np.flatnonzero(comm == comm[g]) if m != g and primary[m] == m
                 and not (primary == m).sum() > 1 and geoms[g].intersects(geoms[m])]
        if mates:
            primary[mates[0]] = primary[g]
            shared += 1
    distinct = np.unique(primary)
    n_full = max(spec.full_time, len(distinct))
    worker_of = {g: k for k, g in enumerate(distinct)}
    full_idx = np.array([worker_of[p] for p in primary])
    ids = [f"W{city_code}{k:06d}" for k in range(n_full + spec.part_time + spec.volunteers)]
    full_ids = np.array(ids[:n_full])

    assignments = [pd.DataFrame({"worker_id": full_ids[full_idx], "grid_id": grids["grid_id"],
                                 "role": "primary"})]
    extra = np.arange(len(distinct), n_full)  # full-time backups in the busiest urban grids
    busiest = hh_per_grid.to_numpy().argsort()[::-1][: len(extra)]
    assignments.append(pd.DataFrame({"worker_id": full_ids[extra],
                                     "grid_id": grids["grid_id"].to_numpy()[busiest],
                                     "role": "backup"}))
    part_ids = np.array(ids[n_full:n_full + spec.part_time])
    w = hh_per_grid.to_numpy() + 1.0
    part_grid = rng.choice(n_grids, spec.part_time, p=w / w.sum())
    assignments.append(pd.DataFrame({"worker_id": part_ids,
                                     "grid_id": grids["grid_id"].to_numpy()[part_grid],
                                     "role": "backup"}))
    assignments = pd.concat(assignments, ignore_index=True)

    # Volunteers each help (帮包) one to three red or orange households of one village.
    vol_ids = np.array(ids[n_full + spec.part_time:])
    needy = households[households["tier"].isin(["red", "orange"])].sort_values("grid_id")
    sizes = rng.choice([1, 2, 3], len(vol_ids), p=[0.4, 0.4, 0.2])
    take = min(len(needy), int(sizes.sum()))
    helper_of = np.repeat(vol_ids, sizes)[:take]
    helpers = pd.DataFrame({
        "household_id": needy["household_id"].to_numpy()[:take],
        "worker_id": helper_of,
        "since": (pd.Timestamp(as_of) - pd.to_timedelta(rng.integers(30, 700, take), "D")
                  ).normalize(),
    })

    # One grid chief (网格长) per community: the primary worker of its first grid.
    grid_comm = grids.set_index("grid_id")["community_id"]
    chief_of_comm = (assignments[assignments["role"] == "primary"]
                     .assign(community_id=lambda a: a["grid_id"].map(grid_comm))
                     .groupby("community_id")["worker_id"].first())
    home = pd.concat([assignments[["worker_id", "grid_id"]],
                      helpers.merge(households[["household_id", "grid_id"]])[
                          ["worker_id", "grid_id"]]]).drop_duplicates("worker_id")
    home_comm = home.set_index("worker_id")["grid_id"].map(grid_comm)
    kinds = (["full_time"] * n_full + ["part_time"] * spec.part_time
             + ["volunteer"] * spec.volunteers)
    capacity = np.concatenate([np.ones(n_full),
                               rng.choice([0.3, 0.4, 0.5], spec.part_time),
                               rng.choice([0.3, 0.5, 0.8], spec.volunteers)])
    workers = pd.DataFrame({"worker_id": ids, "name": syn.person_names(rng, len(ids)),
                            "kind": kinds, "capacity": capacity})
    workers["chief_id"] = workers["worker_id"].map(home_comm).map(chief_of_comm)
    workers.loc[workers["worker_id"].isin(chief_of_comm.values), "chief_id"] = None
    # Volunteers with nobody to help yet still report to some chief.
    orphan = workers["chief_id"].isna() & ~workers["worker_id"].isin(chief_of_comm.values)
    workers.loc[orphan, "chief_id"] = rng.choice(chief_of_comm.to_numpy(), int(orphan.sum()))
    primary_of_grid = assignments[assignments["role"] == "primary"].set_index("grid_id")[
        "worker_id"]
    return workers, assignments, helpers, primary_of_grid


# -- visits -------------------------------------------------------------------
def _visits(households, assignments, helpers, workers, policy, city_code, rng, as_of):
    """A year of visits: regular per tier, uneven per worker, a few never visited."""
    n = len(households)
    end = pd.Timestamp(as_of) + pd.Timedelta(days=1)  # visits up to the end of as_of
    start = end - pd.Timedelta(days=HISTORY_DAYS)
    primary = assignments[assignments["role"] == "primary"].set_index("grid_id")["worker_id"]
    backup = assignments[assignments["role"] == "backup"].drop_duplicates("grid_id").set_index(
        "grid_id")["worker_id"]
    grid = households["grid_id"].to_numpy()
    worker = primary.reindex(grid).to_numpy()
    backup_w = backup.reindex(grid).to_numpy()
    helper = helpers.drop_duplicates("household_id").set_index("household_id")["worker_id"
                                                                                ].reindex(
        households["household_id"]).to_numpy()

    # Diligence per worker: most near 1, some clearly behind, the overloaded slower.
    tiers = households["tier"].to_numpy()
    interval = households["tier"].map(policy.interval_days).to_numpy(float)
    demand = pd.Series(30.0 / interval).groupby(worker).sum()
    uw = demand.index.to_numpy()
    diligence = rng.lognormal(0.0, 0.18, len(uw))
    diligence[rng.random(len(uw)) < 0.12] *= rng.uniform(1.8, 2.6)
    diligence *= np.maximum(1.0, (demand.to_numpy() / np.median(demand.to_numpy())) ** 0.5)
    slowness = pd.Series(diligence, index=uw).reindex(worker).to_numpy()
    never = rng.random(n) < 0.015
    registered = households["tier_since"].to_numpy()

    frames = []
    seq = 0
    for lo in range(0, n, 50_000):
        sl = slice(lo, min(n, lo + 50_000))
        # Even the slowest worker sees a household about twice a year.
        step = np.minimum(interval[sl] * slowness[sl], 110.0)
        k = int(np.ceil(HISTORY_DAYS / (step.min() * 0.55))) + 2
        gaps = step[:, None] * rng.uniform(0.55, 1.25, (len(step), k))
        first = -rng.random(len(step))[:, None] * step[:, None]
        days = first + np.cumsum(gaps, axis=1)
        ok = (days >= 0) & (days < HISTORY_DAYS) & ~never[sl, None]
        r, c = np.nonzero(ok)
        h = r + lo
        when = start + pd.to_timedelta(days[r, c], "D")
        when = when.normalize() + pd.to_timedelta(rng.integers(8 * 60, 18 * 60, len(h)), "min")
        keep = when.to_numpy() >= registered[h]
        h, when = h[keep], when[keep]
        t = tiers[h]
        u = rng.random(len(h))
        method_idx = np.zeros(len(h), int)
        for tier in schema.TIERS:
            m = t == tier
            method_idx[m] = (u[m, None] > np.cumsum(_METHOD_P[tier])).sum(1)
        methods = np.array(schema.VISIT_METHODS)[np.minimum(method_idx, 3)]
        has_helper = pd.notna(helper[h])
        methods = np.where((methods == "volunteer") & ~has_helper, "phone", methods)
        who = np.where(methods == "volunteer", helper[h], worker[h])
        use_backup = (rng.random(len(h)) < 0.2) & pd.notna(backup_w[h]) & (methods != "volunteer")
        who = np.where(use_backup, backup_w[h], who)
        found = rng.random(len(h)) < pd.Series(t).map(_FOUND_P).to_numpy()
        notes = np.where(found, rng.choice(_DIFFICULTY_NOTES, len(h)),
                         rng.choice(_NOTES, len(h)))
        frames.append(pd.DataFrame({
            "visit_id": [f"V{city_code}{seq + i:09d}" for i in range(len(h))],
            "household_id": households["household_id"].to_numpy()[h],
            "worker_id": who, "visited_at": when, "method": methods,
            "note": notes, "found_difficulty": found}))
        seq += len(h)
    visits = pd.concat(frames, ignore_index=True)
    return visits.sort_values(["visited_at", "visit_id"], ignore_index=True)


# -- the whole city -----------------------------------------------------------
# The steps of one city, in order, as ``build_demo`` reports them (the app names them).
CITY_STEPS = ("places", "households", "workers", "visits", "cases")


def _city(districts, spec: Scale, households_n: int, city_code: str, rng, as_of, policy,
          name_prefix: str = "", step: Callable[[str], None] = lambda name: None):
    step("places")
    areas, grids = _build_places(districts, spec, rng, name_prefix=name_prefix)
    step("households")
    households, _ = _households(grids, areas, households_n, city_code, rng, as_of)
    step("workers")
    workers, assignments, helpers, primary_of_grid = _workers(grids, households, spec, city_code,
                                                              rng, as_of)
    changes = _tier_changes(households, primary_of_grid, rng, as_of)
    step("visits")
    visits = _visits(households, assignments, helpers, workers, policy, city_code, rng, as_of)
    step("cases")
    loop = cases_and_needs(households, visits, primary_of_grid, policy, city_code, rng, as_of)
    loop["assessments"] = assessments(households, primary_of_grid, load_config(), city_code,
                                      rng, as_of)
    visits = pd.concat([visits, loop.pop("follow_up_visits")]).sort_values(
        ["visited_at", "visit_id"], ignore_index=True)
    # Services (issue 21).
    # Their own stream (a child of this city's), so nothing drawn after them changes.
    loop.update(demo_services(households, grids, areas, load_catalogue(), city_code,
                              rng.spawn(1)[0], as_of, history_days=HISTORY_DAYS))
    loop["service_orders"] = demo_orders(loop["cases"], households, grids, loop["providers"],
                                         rng.spawn(1)[0])
    frames = {"areas": areas, "grids": grids, "households": households, "workers": workers,
              "assignments": assignments, "household_helpers": helpers, "visits": visits,
              "tier_changes": changes, **loop}
    # Data matching (issue 20): drawn last, so the layers above stay as they were.
    frames["persons"] = _feeds.persons(households, rng, as_of)
    frames.update(_feeds.feeds_and_alerts(frames, policy, rng, as_of, named=households_n,
                                          city_code=city_code))
    return frames


def _relabel(districts: gpd.GeoDataFrame, copy: int, scale_name: str) -> gpd.GeoDataFrame:
    """The districts of city ``copy``: the province is 13 cities, tiled side by side."""
    moved = districts.assign(template=districts["area_id"], dx=0.0, dy=0.0)
    if scale_name != "province":
        return moved
    col, row = copy % 4, copy // 4
    moved["dx"], moved["dy"] = (col - 1.5) * 0.8, (1.5 - row) * 0.65
    moved["geometry"] = districts.geometry.translate(moved["dx"].iloc[0], moved["dy"].iloc[0])
    # Replace the city digits of the adcode (3211xx) with this copy's (32NNxx).
    moved["area_id"] = "32" + f"{copy + 1:02d}" + districts["area_id"].str.slice(4)
    return moved


def build_demo(scale: str = "city", *, seed: int = 0, as_of: date | None = None,
               policy: Policy | None = None, districts: gpd.GeoDataFrame | None = None,
               progress: Progress | None = None) -> dict[str, pd.DataFrame]:
    """Generate a demo data set: one frame per store layer, ready for ``Store.replace``.

    ``as_of`` is the last day of the visit history (default: today). The same
    ``scale``, ``seed`` and ``as_of`` always give the same data.
    """
    spec = SCALES[scale]
    as_of = as_of or default_as_of()
    policy = policy or Policy()
    report = progress or (lambda fraction, message: None)
    base = districts if districts is not None else read_districts()
    if spec.districts:
        base = base[base["area_id"].isin(spec.districts)].reset_index(drop=True)
    households_each = _allocate(spec.households, np.ones(spec.copies))
    parts = []
    for copy in range(spec.copies):
        def step(name: str, copy: int = copy) -> None:  # message: the step's name
            done = copy + CITY_STEPS.index(name) / len(CITY_STEPS)
            report(0.95 * done / spec.copies, name)
        rng = np.random.default_rng([seed, copy])
        city_districts = _relabel(base, copy, scale)
        prefix = PROVINCE_CITIES[copy] if scale == "province" else ""
        code = city_districts["area_id"].iloc[0][:4]
        parts.append(_city(city_districts, spec, int(households_each[copy]), code, rng, as_of,
                           policy, name_prefix=prefix, step=step))
    report(0.95, "assembling")
    frames = {}
    for layer in parts[0]:
        joined = pd.concat([p[layer] for p in parts], ignore_index=True)
        frames[layer] = schema.conform(layer, joined)
    frames["accounts"] = demo_accounts(frames, as_of)
    frames["meta"] = pd.DataFrame({
        "key": ["schema_version", "demo_scale", "demo_seed", "as_of", "city"],
        "value": [schema.SCHEMA_VERSION, scale, str(seed), as_of.isoformat(),
                  "江苏省" if scale == "province" else "镇江市"]})
    report(1.0, "done")
    return frames


def demo_accounts(frames: dict[str, pd.DataFrame], as_of: date) -> pd.DataFrame:
    """One account per role, user name = role, password ``demo-<role>``. DEMO ONLY."""
    import hashlib

    from gridmap.access import hash_password
    grids, households = frames["grids"], frames["households"]
    assignments, workers = frames["assignments"], frames["workers"]
    per_grid = households["grid_id"].value_counts()
    roles = assignments.groupby("worker_id").size()
    single = assignments[(assignments["role"] == "primary")
                         & assignments["worker_id"].map(roles).eq(1)]
    worker = single.assign(n=single["grid_id"].map(per_grid).fillna(0)).sort_values(
        ["n", "grid_id"], ascending=[False, True]).iloc[0]["worker_id"]
    chiefs = workers[workers["chief_id"].isna() & workers["worker_id"].isin(
        assignments["worker_id"])]["worker_id"].sort_values()
    helper = workers[workers["kind"] == "volunteer"]["worker_id"].sort_values().iloc[0]
    district = grids["district_id"].iloc[0]
    rows = [("admin", None, None), ("leader", f"district:{district}", None),
            ("chief", None, chiefs.iloc[0]), ("worker", None, worker),
            ("screen", None, None), ("helper", None, helper)]
    return schema.conform("accounts", pd.DataFrame([{
        "username": role, "role": role, "scope": scope, "worker_id": who,
        "password_hash": hash_password(
            f"demo-{role}", salt=hashlib.sha256(f"gridmap-demo-{role}".encode()).digest()[:16]),
        "created_at": pd.Timestamp(as_of), "disabled": False}
        for role, scope, who in rows]))


def default_as_of() -> date:
    """Yesterday: a demo built today has a full last day of visits."""
    return date.today() - timedelta(days=1)
