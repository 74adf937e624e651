"""The folium map builder, tested on its rendered HTML (no browser)."""

import json
import re

import numpy as np
import pytest
import shapely

from gridmap import coords
from gridmap.render.webmap import (
    LEAFLET_JS,
    asset,
    build_map,
    encode_geometries,
    external_links,
    js_json,
    legend_html,
)
from gridmap.settings import Tiles, tiles_from_env

from .conftest import view_of

XSS = "<img src=x onerror=alert(1)>"


def _decode(polys, origin):
    """Python twin of the page's decodeGeometry."""
    out = []
    for rings in polys:
        decoded = []
        for ring in rings:
            xy = np.cumsum(np.array(ring).reshape(-1, 2), axis=0) / 1e5 + origin
            decoded.append(xy)
        out.append(decoded)
    return out


def test_encoding_round_trips_to_a_metre():
    poly = shapely.Polygon([(119.123456, 32.1), (119.2, 32.1), (119.2, 32.2), (119.123456, 32.1)],
                           holes=[[(119.15, 32.12), (119.16, 32.12), (119.16, 32.13)]])
    encoded = encode_geometries([shapely.MultiPolygon([poly])], (119.0, 32.0))
    (outer, hole), = _decode(encoded[0], (119.0, 32.0))
    assert np.allclose(outer, shapely.get_coordinates(poly.exterior), atol=1e-5)
    assert np.allclose(hole, shapely.get_coordinates(poly.interiors[0]), atol=1e-5)
    assert all(isinstance(v, int) for v in encoded[0][0][0])


def test_map_has_layers_local_assets_and_no_external_links(town):
    m = build_map(view_of(town, area=None, indicator="red_orange", as_of="2026-11-20"))
    html = m.get_root().render()
    assert external_links(m) == []
    assert LEAFLET_JS in html and "Control.FullScreen.js" in html
    for name in ("units_layer_", "outline_layer_", "points_layer_", "L.control.layers",
                 "L.control.scale", "preferCanvas"):
        assert name in html, name
    assert "fitBounds" in html


def sent_to_browser(m, **kwargs) -> dict:
    """What streamlit-folium hands the browser for ``m`` (its component's arguments), as
    the pages call it."""
    import streamlit_folium

    sent = {}
    original = streamlit_folium._component_func
    streamlit_folium._component_func = lambda **kw: sent.update(kw)
    try:
        streamlit_folium.st_folium(m, render=False, key="m", **kwargs)
    finally:
        streamlit_folium._component_func = original
    return sent


def test_same_view_sends_the_same_map(town):
    """Built twice, a view reaches the browser as the same script, head and links, so
    streamlit-folium keeps the map it drew (its key is a hash of the script)."""
    view = view_of(town, area=None, indicator="overdue", as_of="2026-11-20")
    first, second = sent_to_browser(build_map(view)), sent_to_browser(build_map(view))
    for part in ("script", "header", "html", "js_links", "css_links", "key"):
        assert first[part] == second[part], part
    assert "units_layer_div" in first["script"]


def test_text_from_data_reaches_the_browser_unchanged(town):
    """streamlit-folium renames folium's variables by any ``_<suffix>`` in the script
    that matches an element id, and resolves ``{{ 'name' }}``; text from data that looks
    like either arrives as it was."""
    view = view_of(town, area=None, indicator="red", as_of="2026-11-20")
    names = ["一网格_0003", "{{ 'x' }}"]
    town["grids"].loc[[0, 2], "name"] = names
    town["households"].loc[0, "alias"] = "户_0005"
    view = view_of(town, area=None, indicator="red", as_of="2026-11-20")
    script = sent_to_browser(build_map(view))["script"]
    for text in [*names, "户_0005"]:
        assert js_json(text) in script, text


def test_script_comes_from_the_asset_files(town):
    html = build_map(view_of(town, area=None, indicator="red_orange")).get_root().render()
    for name in ("decode.js", "text_box.js", "units_layer.js", "outline_layer.js",
                 "points_layer.js", "legend.js", "scale.js"):
        assert asset(name).strip() in html, name
    assert ".gridmap-legend {" in asset("webmap.css") and asset("webmap.css") in html


def test_text_from_data_is_never_html(town):
    town["households"].loc[0, "alias"] = XSS
    town["grids"].loc[1, "name"] = XSS + "</script><script>alert(2)</script>"
    html = build_map(view_of(town, area=None, indicator="red", as_of="2026-11-20")
                     ).get_root().render()
    assert "<img src=x" not in html and "</script><script>alert(2)" not in html
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in html  # travels as JSON text
    # The legend (escaped on the server) is the only innerHTML; tooltips use textContent.
    assert html.count("innerHTML") == 1 and "div.innerHTML = " in html
    assert html.count("textContent") >= 2


@pytest.mark.parametrize("text", ["{{ 7*7 }}", "{% if x %}", "{# x", "{{ unclosed"])
def test_text_from_data_is_never_template_code(town, text):
    """branca re-parses rendered scripts as Jinja templates; ours must stay verbatim, in
    the full page and in what streamlit-folium sends (a crash or '49' would mean the
    server ran text from data)."""
    town["households"].loc[0, "alias"] = text
    town["grids"].loc[1, "name"] = text
    view = view_of(town, area=None, indicator="red", as_of="2026-11-20")
    html = build_map(view).get_root().render()
    assert html.count(js_json(text)) == 2
    sent = sent_to_browser(build_map(view))
    assert sent["script"].count(js_json(text)) == 2
    assert "49" not in js_json(text) and '"49"' not in sent["script"]


def test_legend_states_breaks_and_units(town):
    view = view_of(town, area=None, indicator="coverage_pct", scheme="equal_interval")
    text = legend_html(view, "zh")
    assert "走访覆盖率" in text and "%" in text and "等间距" in text
    for lo, hi in view.classes.ranges():
        assert f"{lo:,.1f} – {hi:,.1f}" in text
    text_en = legend_html(view, "en")
    assert "Visit coverage" in text_en and "Equal interval" in text_en


def test_js_json_is_script_safe():
    assert js_json({"a": "</script>&\u2028"}) == '{"a":"\\u003c/script\\u003e\\u0026\\u2028"}'


@pytest.mark.parametrize("value", ["{{ 7*7 }}", {"{%": ["{#", {}]}, [{}, {"a": {}}], "{{{"])
def test_js_json_holds_no_template_delimiter_and_reads_back(value):
    text = js_json(value)
    assert not re.search(r"\{[{%#]", text) and json.loads(text) == value


def test_gcj02_tiles_shift_every_overlay(town):
    # A town in Zhenjiang, so GCJ-02 applies.
    for frame in (town["areas"], town["grids"], town["households"]):
        frame["geometry"] = frame.geometry.translate(119.4, 32.1)
    view = view_of(town, area=None, indicator="households", as_of="2026-11-20")
    plain = build_map(view).get_root().render()
    tiles = Tiles("/app/static/tiles/{z}/{x}/{y}.png", "local", "gcj02")
    shifted = build_map(view, tiles=tiles).get_root().render()
    assert tiles.url in shifted and tiles.url not in plain
    bounds = re.search(r"fitBounds\(\s*\[\[([\d.]+), ([\d.]+)\]", shifted).groups()
    lon, lat = coords.wgs84_to_gcj02(119.4, 32.1)
    assert float(bounds[0]) == pytest.approx(float(lat)) and float(bounds[1]) == pytest.approx(
        float(lon))


def test_tiles_from_env():
    assert tiles_from_env({}) is None
    t = tiles_from_env({"GRIDMAP_TILES": "https://t0.tianditu.gov.cn/x?tk=K",
                        "GRIDMAP_TILES_ATTRIBUTION": "天地图"})
    assert t == Tiles("https://t0.tianditu.gov.cn/x?tk=K", "天地图", "wgs84")
    with pytest.raises(ValueError, match="wgs84 or gcj02"):
        tiles_from_env({"GRIDMAP_TILES": "x", "GRIDMAP_TILES_DATUM": "bd09"})


def test_grid_tooltips_carry_workers(town):
    import pandas as pd
    view = view_of(town, area=None, indicator="households",
                   workers_by_grid=pd.Series({"G1": "李网格"}))
    html = build_map(view).get_root().render()
    assert '"w":"李网格"' in html and "workersLabel" in html


def test_heatmap_is_local_and_weighted_by_tier(town):
    from gridmap.mapview import heat_points
    from gridmap.policy import Policy
    heat = heat_points(town["households"], Policy())
    assert heat.set_index(town["households"]["tier"])["weight"].to_dict() == pytest.approx(
        {"red": 30 / 7, "orange": 30 / 14, "green": 30 / 90, "yellow": 1.0})
    m = build_map(view_of(town, area=None, indicator="households"), heat=heat)
    html = m.get_root().render()
    assert "/app/static/vendor/leaflet.heat/leaflet-heat.js" in html and "heatLayer" in html
    assert external_links(m) == []


def test_scale_bar_is_metric_only(town):
    html = build_map(view_of(town, area=None, indicator="red_orange")).get_root().render()
    assert "L.control.scale({metric: true, imperial: false})" in html
    assert "L.control.scale()" not in html  # Leaflet's default shows miles and feet too


def test_layer_list_folds_on_a_narrow_map(town):
    """Open beside a wide map; folded into its button on a phone (decided in the page,
    where the map's width is known)."""
    from gridmap.render.webmap import NARROW_PX
    html = build_map(view_of(town, area=None, indicator="red_orange")).get_root().render()
    options = re.search(r"L\.control\.layers\([^;]*?(\{[^{}]*\})\s*\)", html, re.S).group(1)
    assert f'"collapsed": window.innerWidth < {NARROW_PX}' in options


def test_no_english_credit_on_the_map(town):
    """Leaflet's attribution control starts with an English link to Leaflet. Without a
    basemap there is no control at all; with one, only its credit, with no prefix."""
    view = view_of(town, area=None, indicator="red_orange")
    bare = build_map(view).get_root().render()
    assert '"attributionControl": false' in bare and "plainAttribution()" not in bare
    tiles = Tiles("/app/static/tiles/{z}/{x}/{y}.png", "天地图", "wgs84")
    credited = build_map(view, tiles=tiles).get_root().render()
    assert '"attributionControl": false' in credited
    assert asset("attribution.js") in credited
    assert '"attribution": ' + json.dumps("天地图") in credited  # the tile layer's option
    assert "L.control.attribution({prefix: false})" in credited
    silent = build_map(view, tiles=Tiles(tiles.url, "", "wgs84")).get_root().render()
    assert "plainAttribution()" not in silent
