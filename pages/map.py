"""The map: grids coloured by an indicator, households by tier, drill-down by click."""

from pages.shared.shell import enter

enter()  # started alone (the first request after a start): the shell runs this page

import streamlit as st
from streamlit_folium import st_folium

from gridmap import mapview, schema
from gridmap.i18n import label, t
from gridmap.indicators import INDICATORS
from gridmap.settings import tiles_from_env
from pages.shared import common as ui
from pages.shared import forms as forms

lang, area, as_of = ui.lang(), ui.current_area(), ui.today()
st.title(t("map.title", lang))
ui.breadcrumb(area, lang)

c1, c2, c3, c4 = st.columns([2, 1.4, 2, 2])
indicators, schemes = list(INDICATORS), list(mapview.SCHEMES)
indicator = c1.selectbox(t("map.indicator", lang), indicators,
                         index=indicators.index(ui.url_choice("ind", indicators, "red_orange")),
                         format_func=lambda k: t("indicator." + k, lang))
scheme = c2.selectbox(t("map.scheme", lang), schemes,
                      index=schemes.index(ui.url_choice("scheme", schemes, "quantiles")),
                      format_func=lambda k: t("scheme." + k, lang))
tiers = c3.multiselect(t("map.tiers", lang), schema.TIERS, default=schema.TIERS,
                       format_func=lambda k: label(k, lang), placeholder=t("app.choose", lang))
categories = c4.multiselect(t("map.categories", lang), schema.CATEGORIES,
                            format_func=lambda k: label(k, lang), placeholder=t("app.all", lang))
st.query_params.update({"ind": indicator, "scheme": scheme})
ui.grid_search(lang)

view = ui.read_model(as_of).map_view(area, indicator, scheme, tuple(tiers), tuple(categories))
fmap = ui.folium_map(area, indicator, scheme, tuple(tiers), tuple(categories), as_of, lang,
                    tiles_from_env())
if view.points_hidden:
    st.info(t("map.points_hidden", lang, n=f"{view.points_hidden:,}"))
st.caption(t("map.click_hint", lang))

map_col, panel_col = (st.columns([3, 1.3]) if area and area.level == "grid"
                      else (st.container(), None))
with map_col:
    event = st_folium(fmap, height=620, use_container_width=True, render=False,
                      returned_objects=["last_active_drawing"], key="gridmap.map")
clicked = ((event or {}).get("last_active_drawing") or {}).get("properties") or {}
if clicked.get("i") and clicked != st.session_state.get("gridmap.map.handled"):
    st.session_state["gridmap.map.handled"] = clicked
    target = mapview.drill_target(ui.read("grids"), area, clicked["i"], view.unit_level)
    if target != area:
        ui.go_to(target)

if panel_col is not None:
    households, workers = mapview.grid_panel(
        area.id, ui.read("households"), ui.read_model(as_of).status(),
        ui.read("workers", area), ui.read("assignments", area))
    with panel_col:
        st.subheader(t("map.panel.households", lang))
        st.dataframe(ui.labelled(households, lang), hide_index=True, width="stretch")
        st.subheader(t("map.panel.workers", lang))
        st.dataframe(ui.labelled(workers, lang), hide_index=True, width="stretch")

with st.expander(t("map.print", lang)):
    scope = ui.scope_name(area, lang)
    forms.print_buttons(view, f"{scope} · {t('indicator.' + indicator, lang)}",
                        f"map-{indicator}-{as_of}", lang)
    if area is not None and area.level in ("community", "grid"):
        households, status = ui.read_model(as_of).area_households(area)
        forms.ledger_button(households, status, ui.read("grids", area), ui.read("workers"),
                            ui.read("assignments", area), ui.read("household_helpers", area),
                            f"ledger-{area.id}-{as_of}", lang)
        st.caption(t("map.ledger_caption", lang))
