"""Hotspots: where need clusters (Getis-Ord Gi*, local Moran's I) on the grid map."""

from pages.shared.shell import enter

enter()  # started alone (the first request after a start): the shell runs this page

from datetime import timedelta

import streamlit as st
from streamlit_folium import st_folium

from gridmap import casework, hexbins, hotspots, mapview
from gridmap.i18n import label, t
from gridmap.render.webmap import build_map
from gridmap.screen import shown_hot_list
from gridmap.settings import tiles_from_env
from gridmap.style import EMERGING_COLORS, HOTSPOT_COLORS, MORAN_COLORS
from pages.shared import common as ui
from pages.shared.forms import downloads

lang, area, as_of = ui.lang(), ui.current_area(), ui.today()
st.title(t("hotspots.title", lang))
ui.breadcrumb(area, lang)

c1, c2, c3, c4 = st.columns([2, 2, 1.2, 1.4])
name = c1.selectbox(t("hotspots.indicator", lang), hotspots.INDICATORS,
                    format_func=lambda k: t("indicator." + k, lang))
method = c2.selectbox(t("hotspots.method", lang), ["gi", "moran", "emerging"],
                      format_func=lambda k: t("hotspots.method." + k, lang))
fdr = c4.toggle(t("hotspots.fdr", lang))
permutations = c3.selectbox(t("hotspots.permutations", lang), [999, 9999],
                            index=1 if fdr else 0)
min_count = ui.policy().min_count
left, right = st.columns([3, 2])
unit = left.radio(t("hotspots.unit", lang), ["grid", "hex"], horizontal=True,
                  format_func=lambda u: t("hotspots.unit." + u, lang, n=min_count))
heat = right.toggle(t("hotspots.heat", lang))

model = ui.read_model(as_of)
view = model.map_view(area, "red_orange", "quantiles", (), ())
grids = ui.read("grids", area)
if fdr and permutations < 9999:
    st.warning(t("hotspots.fdr_note", lang, n=f"{len(grids):,}"))
column, colors = {"gi": ("hotspot_class", HOTSPOT_COLORS), "moran": ("cluster", MORAN_COLORS),
                  "emerging": ("change", EMERGING_COLORS)}[method]
days = 30
if method == "emerging":
    days = st.segmented_control(t("hotspots.period", lang), [30, 90], default=30,
                                format_func=lambda d: t("hotspots.period." + (
                                    "month" if d == 30 else "quarter"), lang),
                                key="gridmap.hotspots.period") or 30
on_hexagons = unit == "hex" and method != "emerging" and name in ("red_orange", "households")
if on_hexagons:
    res = hexbins.resolution_for(area)
    counts, polygons, _ = model.hex_data(area, res)
    result = model.hex_hotspots(name, method, area, res=res, permutations=permutations,
                                fdr=fdr)
    painted = mapview.hex_view(view, counts, polygons, name, min_count=min_count,
                               classes=result[column], categories=tuple(colors.items()))
else:  # grids (the other indicators are rates or need the grid's records)
    result = model.hotspots(name, method, area, permutations=permutations, fdr=fdr,
                            days=days)
    shown = "new_difficulties_30d" if method == "emerging" else name
    if view.unit_level == "grid":
        painted = mapview.with_categories(view, shown, result["value"], result[column],
                                          tuple(colors.items()))
    else:  # the province at its top levels: areas, each with its count of hot grids
        st.caption(t("hotspots.hot_grids_note", lang))
        painted = mapview.with_hot_counts(view, grids, result[column])
if method == "emerging":
    st.caption(t("hotspots.emerging_summary", lang,
                 n=f"{(result[column] == 'became_hot').sum():,}"))
else:
    hot = result[column].astype(str).str.startswith(("hot", "high_high")).sum()
    cold = result[column].astype(str).str.startswith(("cold", "low_low")).sum()
    st.caption(t("hotspots.summary", lang, hot=f"{hot:,}", cold=f"{cold:,}", seed=model.seed))
heat_data = mapview.heat_points(ui.read("households", area), ui.policy()) if heat else None
st_folium(build_map(painted, lang=lang, tiles=tiles_from_env(), heat=heat_data), height=600,
          use_container_width=True, render=False, returned_objects=[],
          key="gridmap.hotspots.map")
with st.expander(t("hotspots.table", lang)):
    # Counts per cell for a role with masked lists (a leader): small ones hidden, and no
    # statistic beside them that would give one back (as on hexagons).
    counted = name not in ("red_orange_rate", "overdue_rate") and method != "emerging"
    masked = ui.principal().households != "full"
    shown = (hotspots.on_hexagons(result, column, min_count)
             if on_hexagons or (masked and counted) else result)
    named = shown.reset_index()
    st.dataframe(ui.labelled(named, lang), hide_index=True, width="stretch", height=300)
    downloads(ui.labelled(named, lang), f"hotspots-{name}-{method}-{as_of}", lang)

st.subheader(t("hotspots.hot_list", lang))
week_end = st.date_input(t("hotspots.week_end", lang), as_of, max_value=as_of,
                         key="gridmap.hotspots.week")
st.caption(t("hotspots.hot_list_caption", lang, start=week_end - timedelta(days=6),
             end=week_end))
hot = casework.hot_list(ui.read("cases", area), ui.read("needs", area), week_end=week_end,
                        alerts=ui.read("alerts", area))
if ui.principal().households != "full":  # a leader: no small count, nor what it gives back
    hot = shown_hot_list(hot, min_count)
hot = hot.assign(kind=[label(k, lang) for k in hot["kind"]]).rename(columns={"kind": "list"})
st.dataframe(ui.labelled(hot, lang), hide_index=True, width="stretch")
downloads(ui.labelled(hot, lang), f"hot-list-{week_end}", lang)
