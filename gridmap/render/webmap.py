"""Draw a ``MapView`` as a folium map that works offline and stays light.

- Leaflet and plugins come from the app's own static files (``static/vendor``),
  never from a CDN; ``build_map`` refuses to return a map that links elsewhere.
- Grids and household points are each one canvas layer with compact data and
  a small style function, not thousands of folium objects.
- Tooltips are built with ``textContent``, so text from data is never parsed as
  HTML; the legend is escaped on the server.

It runs past 500 lines because each Leaflet layer's JavaScript sits here, as the
template beside the Python that fills it; apart they would drift.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass

import folium
import folium.plugins
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
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


def js_json(value) -> str:
    """JSON that is safe inside a ``<script>`` element and inside JS source."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


QUANTUM = 1e5  # coordinates travel as integers of 1e-5 degree (~1 m)

# Decodes what ``encode_geometries`` wrote: per feature a list of polygons, per
# polygon a list of rings, each ring a flat list of integer deltas. Straight to
# L.LatLng objects, which L.polygon takes as they are (no GeoJSON in between).
_DECODE_JS = """
function decodeLatLngs(polys, origin) {
  var out = [];
  for (var p = 0; p < polys.length; p++) {
    var rings = [];
    for (var r = 0; r < polys[p].length; r++) {
      var a = polys[p][r], x = 0, y = 0, ring = new Array(a.length / 2);
      for (var i = 0; i < a.length; i += 2) {
        x += a[i]; y += a[i + 1];
        ring[i / 2] = new L.LatLng(origin[1] + y / 1e5, origin[0] + x / 1e5);
      }
      rings.push(ring);
    }
    out.push(rings);
  }
  return out;
}
"""


# A tooltip as plain text lines: the first bold. textContent, never innerHTML.
_TEXT_BOX_JS = """
function textBox(lines) {
  var box = document.createElement("div");
  for (var j = 0; j < lines.length; j++) {
    var line = document.createElement(j === 0 ? "b" : "div");
    line.textContent = lines[j];
    box.appendChild(line);
  }
  return box;
}
"""


def _project(geoms, datum: str):
    return geoms if datum == "wgs84" else coords.geometry_from_wgs84(geoms, datum)


def encode_geometries(geoms, origin: tuple[float, float]) -> list:
    """Polygons as nested lists of integer deltas (see ``_DECODE_JS``); ~half of GeoJSON."""
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


class _Verbatim(Element):
    """Rendered script kept as it is. branca would compile it as a Jinja template once
    more: slow for a megabyte of data, and text from data such as ``{{ ... }}`` would
    run on the server as template code."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


class _VerbatimScript(MacroElement):
    """An element whose ``script`` macro output (it holds data) is never re-parsed."""

    def render(self, **kwargs) -> None:
        script = self._template.module.script(self, kwargs)
        self.get_root().script.add_child(_Verbatim(script), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


class _Layer(_VerbatimScript, folium.map.Layer):
    """A layer whose JavaScript is one template (data passed as JSON)."""

    text_box = _TEXT_BOX_JS

    def __init__(self, name: str, *, show: bool = True, **data) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = type(self).__name__
        self.data = {k: js_json(v) for k, v in data.items()}


class UnitsLayer(_Layer):
    """Grids (or areas) filled by class; tooltip from textContent; clicks reach Streamlit.

    Each feature's properties: ``i`` id, ``n`` name, ``c`` class (below 0: no data, or
    a suppressed or zero count, drawn in ``special`` styles), ``v`` value text,
    ``r`` counts per tier, ``t`` index of its type label.
    """

    _template = Template("""
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function () {
  {{ this.decode }}
  {{ this.text_box }}
  var d = {{ this.data.payload }};
  function style(p) {
    return d.special[p.c] || {fillColor: p.c < 0 ? d.noData : d.colors[p.c],
                              fillOpacity: 0.72, color: "#555", weight: 0.5};
  }
  // One group holds the tooltip and the hover for all units: no handlers per polygon.
  var layer = L.featureGroup();
  for (var k = 0; k < d.geometry.length; k++) {
    var poly = L.polygon(decodeLatLngs(d.geometry[k], d.origin), style(d.properties[k]));
    poly.feature = {type: "Feature", properties: d.properties[k]};  // toGeoJSON on click
    layer.addLayer(poly);
  }
  layer.bindTooltip(function (l) {
    var p = l.feature.properties, lines = [p.n];
    if (p.t >= 0) lines.push(d.typeLabel + "：" + d.types[p.t]);
    if (p.w) lines.push(d.workersLabel + "：" + p.w);
    lines.push(d.valueLabel + "：" + (p.v === null ? "—" : p.v));
    for (var i = 0; i < d.tiers.length; i++) lines.push(d.tiers[i] + "：" + p.r[i]);
    return textBox(lines);
  }, {sticky: true});
  layer.on("mouseover", function (e) { e.layer.setStyle({weight: 2, color: "#111"}); });
  layer.on("mouseout", function (e) { e.layer.setStyle(style(e.layer.feature.properties)); });
  return layer;
})();
{% if this.show %}{{ this.get_name() }}.addTo({{ this._parent.get_name() }});{% endif %}
{% endmacro %}
""")

    decode = _DECODE_JS


class OutlineLayer(_Layer):
    """Area boundaries, not clickable (clicks fall through to the units)."""

    _template = Template("""
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function () {
  {{ this.decode }}
  var d = {{ this.data.payload }};
  var layer = L.featureGroup();
  for (var k = 0; k < d.geometry.length; k++) {
    layer.addLayer(L.polygon(decodeLatLngs(d.geometry[k], d.origin),
                             L.extend({interactive: false}, d.style)));
  }
  return layer;
})();
{% if this.show %}{{ this.get_name() }}.addTo({{ this._parent.get_name() }});{% endif %}
{% endmacro %}
""")

    decode = _DECODE_JS


class PointsLayer(_Layer):
    """Households as tier-coloured dots, drawn in one pass on one canvas.

    19,000 Leaflet markers cost the browser ~0.4 s to create; this layer keeps
    plain arrays and paints them. Its canvas ignores the pointer, so clicks reach
    the grids beneath; the tooltip comes from a nearest-dot lookup on mousemove.
    Columns travel separately: ``x``/``y`` integer deltas from ``origin`` (1e-5
    degree), ``t`` tier index, ``a`` alias, ``v`` last visit (days before
    ``day0``, -1 never).
    """

    _template = Template("""
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function () {
  {{ this.text_box }}
  var d = {{ this.data.payload }};
  var n = d.t.length, lat = new Float64Array(n), lng = new Float64Array(n);
  var mx = new Float64Array(n), my = new Float64Array(n);  // projected once, here
  var x = 0, y = 0, day0 = Date.parse(d.day0), mercator = L.Projection.SphericalMercator;
  for (var i = 0; i < n; i++) {
    x += d.x[i]; y += d.y[i];
    lng[i] = d.origin[0] + x / 1e5; lat[i] = d.origin[1] + y / 1e5;
    var m = mercator.project(new L.LatLng(lat[i], lng[i]));
    mx[i] = m.x; my[i] = m.y;
  }
  var Dots = L.Layer.extend({
    onAdd: function (map) {
      this._map = map;
      this._canvas = L.DomUtil.create("canvas", "gridmap-dots leaflet-zoom-hide");
      this._canvas.style.pointerEvents = "none";
      map.getPanes().overlayPane.appendChild(this._canvas);
      this._tip = L.tooltip({sticky: true, direction: "top", offset: [0, -4]});
      map.on("moveend zoomend resize", this._draw, this);
      map.on("mousemove", this._hover, this);
      map.on("mouseout", this._unhover, this);
      this._draw();
    },
    onRemove: function (map) {
      L.DomUtil.remove(this._canvas);
      map.off("moveend zoomend resize", this._draw, this);
      map.off("mousemove", this._hover, this);
      map.off("mouseout", this._unhover, this);
      this._unhover();
    },
    count: function () { return n; },
    tooltipContent: function (i) {
      var last = d.v[i] < 0 ? d.never
        : new Date(day0 - d.v[i] * 864e5).toISOString().slice(0, 10);
      return textBox([d.a[i], d.tierLabel + "：" + d.tierNames[d.t[i]],
                      d.lastLabel + "：" + last]);
    },
    _draw: function () {
      var map = this._map, size = map.getSize(), c = this._canvas;
      var ratio = window.devicePixelRatio || 1;
      var topLeft = map.containerPointToLayerPoint([0, 0]);
      L.DomUtil.setPosition(c, topLeft);
      c.width = size.x * ratio; c.height = size.y * ratio;
      c.style.width = size.x + "px"; c.style.height = size.y + "px";
      var ctx = c.getContext("2d");
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.lineWidth = 0.6; ctx.strokeStyle = "#222";
      // A container point is linear in the projected one at a given zoom: one offset
      // and two factors instead of a Leaflet call (and two objects) per dot.
      var crs = map.options.crs, scale = crs.scale(map.getZoom());
      var q0 = crs.transformation.transform(L.point(0, 0), scale);
      var q1 = crs.transformation.transform(L.point(1, 1), scale);
      var o = map.latLngToContainerPoint([0, 0]), kx = q1.x - q0.x, ky = q1.y - q0.y;
      var px = this._px = new Float32Array(n), py = this._py = new Float32Array(n);
      for (var i = 0; i < n; i++) { px[i] = o.x + kx * mx[i]; py[i] = o.y + ky * my[i]; }
      for (var tier = d.colors.length - 1; tier >= 0; tier--) {  // red painted last, on top
        ctx.fillStyle = d.colors[tier];
        ctx.beginPath();
        for (var i = 0; i < n; i++) {
          if (d.t[i] !== tier || px[i] < -5 || py[i] < -5 || px[i] > size.x + 5
              || py[i] > size.y + 5) continue;
          ctx.moveTo(px[i] + 3.5, py[i]);
          ctx.arc(px[i], py[i], 3.5, 0, 2 * Math.PI);
        }
        ctx.fill(); ctx.stroke();
      }
    },
    _hover: function (e) {
      var best = -1, bestD = 36, px = this._px, py = this._py;  // within 6 px
      if (!px) return;
      for (var i = 0; i < n; i++) {
        var dx = px[i] - e.containerPoint.x, dy = py[i] - e.containerPoint.y;
        var dd = dx * dx + dy * dy;
        if (dd < bestD) { bestD = dd; best = i; }
      }
      if (best < 0) { this._unhover(); return; }
      if (best !== this._shown) {
        this._shown = best;
        this._tip.setContent(this.tooltipContent(best));
      }
      this._tip.setLatLng([lat[best], lng[best]]);
      if (!this._map.hasLayer(this._tip)) this._tip.addTo(this._map);
    },
    _unhover: function () {
      this._shown = -1;
      if (this._map && this._map.hasLayer(this._tip)) this._map.removeLayer(this._tip);
    }
  });
  return new Dots();
})();
{% if this.show %}{{ this.get_name() }}.addTo({{ this._parent.get_name() }});{% endif %}
{% endmacro %}
""")


class MetricScale(MacroElement):
    """The scale bar in metres and kilometres only (Leaflet's default adds miles)."""

    _template = Template("""
{% macro script(this, kwargs) %}
L.control.scale({metric: true, imperial: false}).addTo({{ this._parent.get_name() }});
{% endmacro %}
""")

    def __init__(self) -> None:
        super().__init__()
        self._name = "MetricScale"


class Legend(_VerbatimScript):
    """A legend control; its HTML is escaped on the server."""

    _template = Template("""
{% macro script(this, kwargs) %}
(function () {
  var legend = L.control({position: "bottomright"});
  legend.onAdd = function () {
    var div = L.DomUtil.create("div", "gridmap-legend");
    div.style.cssText = "background:rgba(255,255,255,.92);padding:6px 9px;" +
      "font:12px/1.45 sans-serif;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3)";
    div.innerHTML = {{ this.html }};
    return div;
  };
  legend.addTo({{ this._parent.get_name() }});
})();
{% endmacro %}
""")

    def __init__(self, html_text: str) -> None:
        super().__init__()
        self._name = "Legend"
        self.html = js_json(html_text)


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


def _localise_assets(m: folium.Map) -> None:
    """Point every element's JS/CSS at the app's own static files; refuse any other link."""
    local = {"leaflet": LEAFLET_JS, "leaflet_css": LEAFLET_CSS,
             "Control.Fullscreen.js": FULLSCREEN_JS, "Control.FullScreen.css": FULLSCREEN_CSS,
             "leaflet-heat.js": HEAT_JS}

    def walk(element):
        yield element
        for child in getattr(element, "_children", {}).values():
            yield from walk(child)

    for element in walk(m):
        for attr in ("default_js", "default_css"):
            links = getattr(element, attr, None)
            if not links:
                continue
            kept = [(name, local[name]) for name, _ in links if name in local]
            setattr(element, attr, kept)


def build_map(view: MapView, *, lang: str = "zh", tiles: Tiles | None = None,
              height: int = 640, heat: pd.DataFrame | None = None) -> folium.Map:
    """A folium map of ``view``: units by class, outlines, household points, legend.

    ``heat`` (``lon, lat, weight``, e.g. ``mapview.heat_points``) adds a heatmap layer.
    """
    datum = tiles.datum if tiles else "wgs84"
    minx, miny, maxx, maxy = view.bounds
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=10,
                   tiles=None, prefer_canvas=True, control_scale=False, height=height,
                   zoom_control=True, zoom_snap=0.25)
    if tiles:
        folium.TileLayer(tiles.url, attr=tiles.attribution or " ", name=t("map.basemap", lang),
                         overlay=False, control=True).add_to(m)
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
    UnitsLayer(t(f"level.{view.unit_level}", lang), payload={
        "geometry": encode_geometries(_project(units.geometry.values, datum), origin),
        "origin": origin, "properties": properties, "colors": palette, "noData": NO_DATA,
        "special": {SUPPRESSED_CLASS: SUPPRESSED_STYLE, ZERO_CLASS: ZERO_STYLE},
        "types": types, "typeLabel": t("map.grid_type", lang),
        "workersLabel": t("map.workers", lang),
        "valueLabel": t("indicator." + view.indicator, lang),
        "tiers": [label(x, lang) for x in schema.TIERS]}).add_to(m)
    styles = {"district": {"color": "#222", "weight": 2.4, "fill": False},
              "street": {"color": "#444", "weight": 1.4, "fill": False, "dashArray": "5 3"},
              "community": {"color": "#777", "weight": 0.8, "fill": False}}
    for level, frame in view.outlines.items():
        OutlineLayer(t(f"map.outline.{level}", lang), show=level != "community", payload={
            "geometry": encode_geometries(_project(frame.geometry.values, datum), origin),
            "origin": origin, "style": styles[level]}).add_to(m)
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
        PointsLayer(t(dots.layer, lang), payload={
            "origin": origin, "x": dxy[:, 0].tolist(), "y": dxy[:, 1].tolist(),
            "t": [keys.index(x) for x in view.points[dots.column]],
            "a": view.points["alias"].tolist(), "v": days.tolist(),
            "day0": day0.strftime("%Y-%m-%d"), "colors": list(dots.colors.values()),
            "tierNames": [label(x, lang) for x in keys],
            "tierLabel": t(dots.class_label, lang), "lastLabel": t(dots.time_label, lang),
            "never": t("map.never_visited", lang)}).add_to(m)
    if heat is not None and len(heat):
        lon, lat = heat["lon"].to_numpy(), heat["lat"].to_numpy()
        if datum != "wgs84":
            lon, lat = coords.wgs84_to_gcj02(lon, lat)
        weight = heat["weight"].to_numpy(float)
        weight = weight / weight.max() if weight.max() > 0 else weight  # leaflet.heat: 0..1
        data = np.column_stack([np.round(lat, 5), np.round(lon, 5),
                                np.round(weight, 3)]).tolist()
        folium.plugins.HeatMap(data, name=t("map.heat", lang), radius=14, blur=18,
                               min_opacity=0.25, max_zoom=13).add_to(m)
    Legend(legend_html(view, lang)).add_to(m)
    folium.plugins.Fullscreen(position="topleft").add_to(m)
    MetricScale().add_to(m)
    # Open beside a wide map; folded into its button on a phone, where it would cover it.
    folium.LayerControl(collapsed=JsCode(f"window.innerWidth < {NARROW_PX}")).add_to(m)
    _localise_assets(m)
    _stable_ids(m)
    return m


def _stable_ids(m: folium.Map) -> None:
    """Number the elements in tree order instead of folium's random ids, so the same
    view always renders the same script (and the browser need not redraw it)."""
    def walk(element):
        yield element
        for child in list(getattr(element, "_children", {}).values()):
            yield from walk(child)

    for i, element in enumerate(walk(m)):
        element._id = f"{i:04d}"


def external_links(m: folium.Map) -> list[str]:
    """Every http(s) URL in the rendered map (should be none without a tile URL)."""
    import re
    rendered = m.get_root().render()
    return sorted(set(re.findall(r"https?://[^\s\"')]+", rendered)))
