"""Draw a ``MapView`` as a folium map that works offline and stays light.

- Leaflet and plugins come from the app's own static files (``static/vendor``),
  never from a CDN: the map and plugin classes here list only local links.
- Grids and household points are each one canvas layer with compact data and
  a small style function, not thousands of folium objects.
- The JavaScript and CSS are files in ``assets/`` (one factory function per layer
  or control), inlined into each element's script by ``asset``; data travels as
  JSON arguments (``js_json``).
- Tooltips are built with ``textContent``, so text from data is never parsed as
  HTML; the legend is escaped on the server.
- Only folium's and branca's public extension points are used: elements with a
  ``script`` macro, ``Figure.script``/``header``, ``ElementAddToElement``,
  ``default_js``/``default_css`` of subclasses.
"""

from __future__ import annotations

import functools
import html
import importlib.resources
import json
import re
from dataclasses import dataclass
from typing import ClassVar

import folium
import folium.plugins
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.elements import ElementAddToElement
from folium.utilities import JsCode
from jinja2 import Template

from gridmap import coords, schema
from gridmap.casework import AGE_CLASSES
from gridmap.i18n import label, t
from gridmap.indicators import INDICATORS, Indicator
from gridmap.mapview import SUPPRESSED_CLASS, ZERO_CLASS, MapView
from gridmap.settings import Tiles
from gridmap.style import AGE_COLORS, CHOROPLETH, NO_DATA, SUPPRESSED, TIER_COLORS

# Units outside the breaks drawn in their own style: a suppressed count grey with a dashed
# outline (never like the lightest class), a count of 0 empty.
SUPPRESSED_STYLE = {"fillColor": SUPPRESSED, "fillOpacity": 0.72, "color": "#222",
                    "weight": 1, "dashArray": "3 3"}
ZERO_STYLE = {"fillColor": "#ffffff", "fillOpacity": 0, "color": "#999", "weight": 0.4}
STATIC_URL = "/app/static/vendor"  # where Streamlit serves ./static/vendor
LEAFLET_JS = f"{STATIC_URL}/leaflet/leaflet.js"
LEAFLET_CSS = f"{STATIC_URL}/leaflet/leaflet.css"
FULLSCREEN_JS = f"{STATIC_URL}/leaflet.fullscreen/Control.FullScreen.js"
FULLSCREEN_CSS = f"{STATIC_URL}/leaflet.fullscreen/Control.FullScreen.css"
HEAT_JS = f"{STATIC_URL}/leaflet.heat/leaflet-heat.js"
# A map narrower than this (a phone) starts with its layer list folded into its button.
NARROW_PX = 480


@dataclass(frozen=True)
class _Dots:
    """How one kind of point is drawn: its class column and colours, its date column."""

    layer: str  # i18n keys from here
    class_label: str
    time_label: str
    column: str
    colors: dict[str, str]
    time_column: str


_DOTS = {"households": _Dots("map.households", "overview.tier", "map.last_visit", "tier",
                             TIER_COLORS, "last_visit"),
         "cases": _Dots("cases.open_cases", "cases.age", "cases.reported", "age_class",
                        {k: AGE_COLORS[k] for k in AGE_CLASSES[::-1]}, "reported")}


_JINJA_OPEN = re.compile(r"\{(?=[{%#])")


def js_json(value) -> str:
    """JSON that is safe inside a ``<script>`` element and inside JS source, and that
    holds no Jinja delimiter (``{{``, ``{%``, ``{#``), which streamlit-folium would
    rewrite. Compact JSON has such a brace only inside a string, where ``\\u007b``
    reads the same."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    return _JINJA_OPEN.sub(r"\\u007b", text)


QUANTUM = 1e5  # coordinates travel as integers of 1e-5 degree (~1 m)
ASSETS = importlib.resources.files(__package__) / "assets"


@functools.cache
def asset(name: str) -> str:
    """The text of a file in ``gridmap/render/assets`` (the map's JavaScript and CSS)."""
    return (ASSETS / name).read_text(encoding="utf-8")


def _project(geoms, datum: str):
    return geoms if datum == "wgs84" else coords.geometry_from_wgs84(geoms, datum)


def encode_geometries(geoms, origin: tuple[float, float]) -> list:
    """Polygons as nested lists of integer deltas (``assets/decode.js`` reads them back);
    about half the size of GeoJSON."""
    out = []
    for geom in geoms:
        polys = []
        for poly in shapely.get_parts(geom):
            rings = []
            for ring in (poly.exterior, *poly.interiors):
                xy = np.rint((shapely.get_coordinates(ring) - origin) * QUANTUM).astype(np.int64)
                xy = np.vstack([xy[:1], np.diff(xy, axis=0)])
                rings.append(xy.ravel().tolist())
            polys.append(rings)
        out.append(polys)
    return out


class _Text(Element):
    """Text added to the page as it is. An element made from a string compiles it as a
    Jinja template: for a megabyte of data that costs ~0.2 s on every page run, and text
    from data such as ``{{ ... }}`` would run on the server as template code."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


class _Scripted:
    """An element whose script is ``var <name> = <factory>(<args>)``, with the factory's
    asset files inlined in a closure (no global names) and its arguments as JSON.

    The script is added to the page as text, never re-read as a template (``_Text``);
    streamlit-folium reads the same text from the ``script`` macro. What shows the
    element on the map is separate (``_draw``), as folium does it for its layers.
    """

    _template = Template("{% macro script(this, kwargs) %}{{ this.script() }}{% endmacro %}")
    assets: tuple[str, ...] = ()
    factory = ""

    def arguments(self) -> str:
        return ""

    def script(self) -> str:
        library = "\n".join(asset(name) for name in self.assets)
        return (f"var {self.get_name()} = (function () {{\n{library}\n"
                f"return {self.factory}({self.arguments()});\n}})();\n")

    def render(self, **kwargs) -> None:
        self.get_root().script.add_child(_Text(self.script()), name=self.get_name())


class _Layer(_Scripted, folium.map.Layer):
    """An overlay in the layer list whose data travels as one JSON payload."""

    def __init__(self, name: str, payload: dict, *, show: bool = True) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = type(self).__name__
        self.payload = js_json(payload)

    def arguments(self) -> str:
        return self.payload


class UnitsLayer(_Layer):
    """Grids (or areas) filled by class; tooltip from text; clicks reach Streamlit.

    Each feature's properties: ``i`` id, ``n`` name, ``c`` class (below 0: no data, or
    a suppressed or zero count, drawn in ``special`` styles), ``v`` value text,
    ``r`` counts per tier, ``t`` index of its type label, ``w`` its workers.
    """

    assets = ("decode.js", "text_box.js", "units_layer.js")
    factory = "unitsLayer"


class OutlineLayer(_Layer):
    """Area boundaries, not clickable (clicks fall through to the units)."""

    assets = ("decode.js", "outline_layer.js")
    factory = "outlineLayer"


class PointsLayer(_Layer):
    """Households (or cases) as coloured dots, drawn in one pass on one canvas.

    Columns travel separately: ``x``/``y`` integer deltas from ``origin`` (1e-5
    degree), ``t`` class index, ``a`` alias, ``v`` the date (days before ``day0``,
    -1 never).
    """

    assets = ("text_box.js", "points_layer.js")
    factory = "pointsLayer"


class _Control(_Scripted, MacroElement):
    """A Leaflet control made by a factory in ``assets/``, with JSON arguments."""

    def __init__(self, name: str, assets: tuple[str, ...], factory: str, *args) -> None:
        super().__init__()
        self._name = name
        self.assets = assets
        self.factory = factory
        self.args = args

    def arguments(self) -> str:
        return ", ".join(js_json(a) for a in self.args)


class Legend(_Control):
    """A legend control; its HTML is escaped on the server, its style is ``webmap.css``."""

    def __init__(self, html_text: str) -> None:
        super().__init__("Legend", ("legend.js",), "legendControl", html_text)

    def render(self, **kwargs) -> None:
        style = _Text(f"<style>\n{asset('webmap.css')}</style>")
        self.get_root().header.add_child(style, name="gridmap_css")
        super().render(**kwargs)


class MetricScale(_Control):
    """The scale bar in metres and kilometres only (Leaflet's default adds miles)."""

    def __init__(self) -> None:
        super().__init__("MetricScale", ("scale.js",), "metricScale")


class PlainAttribution(_Control):
    """The basemap's credit without Leaflet's prefix (its link and flag, in English)."""

    def __init__(self) -> None:
        super().__init__("Attribution", ("attribution.js",), "plainAttribution")


def _draw(m: folium.Map, element: MacroElement, *, show: bool = True) -> None:
    """Add ``element`` to ``m``, and show it at once unless ``show`` is false (the layer
    list can show it later). The same two steps as folium's own layers."""
    m.add_child(element)
    if show:
        m.add_child(ElementAddToElement(element.get_name(), m.get_name()))


class _Map(folium.Map):
    """folium's map with Leaflet from the app's static files (folium links to CDNs)."""

    default_js: ClassVar = [("leaflet", LEAFLET_JS)]
    default_css: ClassVar = [("leaflet_css", LEAFLET_CSS)]


class _Fullscreen(folium.plugins.Fullscreen):
    default_js: ClassVar = [("Control.Fullscreen.js", FULLSCREEN_JS)]
    default_css: ClassVar = [("Control.FullScreen.css", FULLSCREEN_CSS)]


class _HeatMap(folium.plugins.HeatMap):
    default_js: ClassVar = [("leaflet-heat.js", HEAT_JS)]
    default_css: ClassVar = []


def _fmt(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}"


def _swatch(color: str, text: str, border: str = "1px solid #777") -> str:
    return (f'<div><span style="display:inline-block;width:14px;height:10px;'
            f'background:{color};margin-right:5px;border:{border}"></span>'
            f"{html.escape(text)}</div>")


_DERIVED = {"hot_grids": Indicator("hot_grids", "unit.grids")}  # shown, never chosen


def view_indicator(view: MapView) -> Indicator:
    return (INDICATORS.get(view.indicator) or _DERIVED.get(view.indicator)
            or Indicator(view.indicator, "unit.value", decimals=2))


def legend_html(view: MapView, lang: str) -> str:
    """The legend: indicator, unit, one swatch per class with its range, tier colours."""
    ind = view_indicator(view)
    rows = [f"<b>{html.escape(t('indicator.' + view.indicator, lang))}</b>"]
    if view.categories:
        rows += [_swatch(color, t("class." + key, lang)) for key, color in view.categories]
        return "".join(rows)
    palette = _palette(view.indicator, len(view.classes.bins) if view.classes else 0)
    rows.append(f"<div>{html.escape(t(ind.unit, lang))} · "
                f"{html.escape(t('scheme.' + view.classes.scheme, lang) if view.classes else '')}"
                "</div>")
    if view.classes:
        rows += [_swatch(color, text) for text, color in
                 zip(view.classes.labels(ind.decimals), palette, strict=True)]
    if view.min_count is None:
        rows.append(_swatch(NO_DATA, t("map.no_data", lang)))
    else:  # the styles of SUPPRESSED_STYLE and ZERO_STYLE
        rows.append(_swatch("transparent", t("map.zero", lang), "1px solid #999"))
        rows.append(_swatch(SUPPRESSED, t("map.suppressed", lang, n=view.min_count),
                            "1px dashed #222"))
    if view.points is not None and len(view.points):
        colors = _DOTS[view.points_kind].colors
        dots = " ".join(
            f'<span style="color:{color}">●</span>{html.escape(label(key, lang))}'
            for key, color in colors.items())
        rows.append(f"<div style='margin-top:4px'>{dots}</div>")
    return "".join(rows)


def _palette(indicator: str, k: int) -> list[str]:
    """k colours from light to dark; reversed where higher is better (dark = worse)."""
    if k == 0:
        return []
    base = CHOROPLETH
    pick = [base[round(i * (len(base) - 1) / max(k - 1, 1))] for i in range(k)]
    known = INDICATORS.get(indicator)
    return pick if known is None or known.higher_is_worse else pick[::-1]


def view_colors(view: MapView) -> list[str]:
    if view.categories:
        return [color for _, color in view.categories]
    return _palette(view.indicator, len(view.classes.bins) if view.classes else 0)


def build_map(view: MapView, *, lang: str = "zh", tiles: Tiles | None = None,
              height: int = 640, heat: pd.DataFrame | None = None) -> folium.Map:
    """A folium map of ``view``: units by class, outlines, household points, legend.

    ``heat`` (``lon, lat, weight``, e.g. ``mapview.heat_points``) adds a heatmap layer.
    """
    datum = tiles.datum if tiles else "wgs84"
    minx, miny, maxx, maxy = view.bounds
    # No attribution control of Leaflet's own: it starts with an English link to Leaflet.
    m = _Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=10,
             tiles=None, prefer_canvas=True, control_scale=False, height=height,
             zoom_control=True, zoom_snap=0.25, attribution_control=False)
    if tiles:
        folium.TileLayer(tiles.url, attr=tiles.attribution or " ", name=t("map.basemap", lang),
                         overlay=False, control=True).add_to(m)
        if tiles.attribution.strip():  # the basemap's credit, as configured, and only it
            _draw(m, PlainAttribution())
    # The view first: every layer then draws once, at its final place.
    if view.bounds != (0.0, 0.0, 0.0, 0.0):
        sw = [miny, minx]
        ne = [maxy, maxx]
        if datum != "wgs84":
            (sx, nx), (sy, ny) = coords.wgs84_to_gcj02([minx, maxx], [miny, maxy])
            sw, ne = [sy, sx], [ny, nx]
        m.fit_bounds([sw, ne])
    ind = view_indicator(view)
    units = view.units
    origin = (round(minx, 2), round(miny, 2))
    types = [label(v, lang) for v in schema.GRID_TYPES]
    type_index = ({v: i for i, v in enumerate(schema.GRID_TYPES)}
                  if view.unit_level == "grid" else {})
    counts = [[c if isinstance(c, str) else int(c) for c in row]  # "<5" when suppressed
              for row in units[list(schema.TIERS)].to_numpy().tolist()]
    texts = (units["value_text"] if "value_text" in units
             else [None if v != v else _fmt(v, ind.decimals) for v in units["value"]])
    blank = [""] * len(units)
    properties = [
        {"i": i, "n": n, "c": int(c), "v": v, "r": r, "t": type_index.get(g, -1), "w": w}
        for i, n, c, v, r, g, w in zip(units["id"], units["name"], units["cls"], texts,
                                       counts, units.get("grid_type", blank),
                                       units.get("workers", blank), strict=True)]
    palette = view_colors(view)
    _draw(m, UnitsLayer(t(f"level.{view.unit_level}", lang), {
        "geometry": encode_geometries(_project(units.geometry.values, datum), origin),
        "origin": origin, "properties": properties, "colors": palette, "noData": NO_DATA,
        "special": {SUPPRESSED_CLASS: SUPPRESSED_STYLE, ZERO_CLASS: ZERO_STYLE},
        "types": types, "typeLabel": t("map.grid_type", lang),
        "workersLabel": t("map.workers", lang),
        "valueLabel": t("indicator." + view.indicator, lang),
        "tiers": [label(x, lang) for x in schema.TIERS]}))
    styles = {"district": {"color": "#222", "weight": 2.4, "fill": False},
              "street": {"color": "#444", "weight": 1.4, "fill": False, "dashArray": "5 3"},
              "community": {"color": "#777", "weight": 0.8, "fill": False}}
    for level, frame in view.outlines.items():
        shown = level != "community"
        _draw(m, OutlineLayer(t(f"map.outline.{level}", lang), {
            "geometry": encode_geometries(_project(frame.geometry.values, datum), origin),
            "origin": origin, "style": styles[level]}, show=shown), show=shown)
    if view.points is not None and len(view.points):
        dots = _DOTS[view.points_kind]
        keys = list(dots.colors)  # drawn last to first: the first is on top
        lon, lat = view.points["lon"].to_numpy(), view.points["lat"].to_numpy()
        if datum != "wgs84":
            lon, lat = coords.wgs84_to_gcj02(lon, lat)
        xy = np.rint((np.column_stack([lon, lat]) - origin) * QUANTUM).astype(np.int64)
        dxy = np.diff(xy, axis=0, prepend=np.zeros((1, 2), np.int64))
        day0 = pd.Timestamp(view.as_of or pd.Timestamp.today().date())
        last = pd.to_datetime(view.points[dots.time_column])
        days = ((day0 - last).dt.days).fillna(-1).astype(int)
        _draw(m, PointsLayer(t(dots.layer, lang), {
            "origin": origin, "x": dxy[:, 0].tolist(), "y": dxy[:, 1].tolist(),
            "t": [keys.index(x) for x in view.points[dots.column]],
            "a": view.points["alias"].tolist(), "v": days.tolist(),
            "day0": day0.strftime("%Y-%m-%d"), "colors": list(dots.colors.values()),
            "tierNames": [label(x, lang) for x in keys],
            "tierLabel": t(dots.class_label, lang), "lastLabel": t(dots.time_label, lang),
            "never": t("map.never_visited", lang)}))
    if heat is not None and len(heat):
        lon, lat = heat["lon"].to_numpy(), heat["lat"].to_numpy()
        if datum != "wgs84":
            lon, lat = coords.wgs84_to_gcj02(lon, lat)
        weight = heat["weight"].to_numpy(float)
        weight = weight / weight.max() if weight.max() > 0 else weight  # leaflet.heat: 0..1
        data = np.column_stack([np.round(lat, 5), np.round(lon, 5),
                                np.round(weight, 3)]).tolist()
        _HeatMap(data, name=t("map.heat", lang), radius=14, blur=18,
                               min_opacity=0.25, max_zoom=13).add_to(m)
    _draw(m, Legend(legend_html(view, lang)))
    _Fullscreen(position="topleft").add_to(m)
    _draw(m, MetricScale())
    # Open beside a wide map; folded into its button on a phone, where it would cover it.
    folium.LayerControl(collapsed=JsCode(f"window.innerWidth < {NARROW_PX}")).add_to(m)
    return m


def external_links(m: folium.Map) -> list[str]:
    """Every http(s) URL in the rendered map (should be none without a tile URL)."""
    rendered = m.get_root().render()
    return sorted(set(re.findall(r"https?://[^\s\"')]+", rendered)))
