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

MAP_KEY, MAP_HEIGHT = "gridmap.map", 540  # 1440x900: the whole map above the fold
TIERS_KEY, CATEGORIES_KEY = "gridmap.map.tiers", "gridmap.map.categories"

lang, area, as_of = ui.lang(), ui.current_area(), ui.today()
st.title(t("map.title", lang))
ui.breadcrumb(area, lang, hint=t("map.click_hint", lang))

# One row of compact filters; the household filters fold into a popover.
indicators, schemes = list(INDICATORS), list(mapview.SCHEMES)
row = st.container(horizontal=True, vertical_alignment="bottom", gap="small")
indicator = row.selectbox(t("map.indicator", lang), indicators, width=190,
                          index=indicators.index(ui.url_choice("ind", indicators, "red_orange")),
                          format_func=lambda k: t("indicator." + k, lang))
scheme = row.selectbox(t("map.scheme", lang), schemes, width=130,
                       index=schemes.index(ui.url_choice("scheme", schemes, "quantiles")),
                       format_func=lambda k: t("scheme." + k, lang))
shown_tiers = st.session_state.get(TIERS_KEY, list(schema.TIERS))
with row.popover(t("map.filter", lang, n=len(shown_tiers), of=len(schema.TIERS)),
                 icon=":material/filter_list:"):
    tiers = st.multiselect(t("map.tiers", lang), schema.TIERS, select_all=False,
                           default=schema.TIERS,
                           key=TIERS_KEY, format_func=lambda k: label(k, lang),
                           placeholder=t("app.choose", lang))
    categories = st.multiselect(t("map.categories", lang), schema.CATEGORIES,
                                select_all=False,
                                key=CATEGORIES_KEY, format_func=lambda k: label(k, lang),
                                placeholder=t("map.all_categories", lang))
with row:
    ui.grid_search(lang)
st.query_params.update({"ind": indicator, "scheme": scheme})

view = ui.read_model(as_of).map_view(area, indicator, scheme, tuple(tiers), tuple(categories))
fmap = ui.folium_map(area, indicator, scheme, tuple(tiers), tuple(categories), as_of, lang,
                    tiles_from_env())
if view.points_hidden:
    st.caption(t("map.points_hidden", lang, n=f"{view.points_hidden:,}"))


def _clicked() -> None:
    """A click on the map moves the whole app one level down towards it. Run before the
    page, once per click: streamlit-folium reports a click with the point clicked, so
    a click on the grid clicked before is news too (nothing to compare with a "handled"
    one). The point, not a click count: the count starts at 0 where the defaults say
    nothing, which would rerun the page once more on every map load."""
    value = st.session_state.get(MAP_KEY) or {}
    unit = (value.get("last_active_drawing") or {}).get("properties") or {}
    if unit.get("i"):
        target = mapview.drill_target(ui.read("grids"), area, unit["i"], view.unit_level)
        if target != area:
            ui.go_to(target, rerun=False)


at_grid = area is not None and area.level == "grid"
map_col, panel_col = st.columns([1.45, 1]) if at_grid else (st.container(), None)
with map_col:
    st_folium(fmap, height=MAP_HEIGHT, use_container_width=True, render=False,
              returned_objects=["last_active_drawing", "last_clicked"],
              key=MAP_KEY, on_change=_clicked)

if panel_col is not None:
    households, workers = mapview.grid_panel(
        area.id, ui.read("households"), ui.read_model(as_of).status(),
        ui.read("workers", area), ui.read("assignments", area))
    with panel_col:
        st.subheader(t("map.panel.households", lang))
        st.dataframe(ui.labelled(households, lang), hide_index=True, width="stretch",
                     height=min(36 + 35 * len(households), 300))
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
