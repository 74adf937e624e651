"""The closed loop: discovered difficulties from report to follow-up (/cases)."""

from pages.shared.shell import enter

enter()  # started alone (the first request after a start): the shell runs this page

from datetime import timedelta

import altair as alt
import streamlit as st
from streamlit_folium import st_folium

from gridmap import casework, mapview
from gridmap.i18n import label, t
from gridmap.render.webmap import build_map
from gridmap.settings import tiles_from_env
from pages.shared import casework as cw
from pages.shared import common as ui
from pages.shared.forms import downloads

lang, area, as_of = ui.lang(), ui.current_area(), ui.today()
st.title(t("cases.title", lang))
ui.breadcrumb(area, lang)
cw.flash()
state = ui.read_model(as_of).case_state(area)
households = ui.read("households", area)

shown = ui.view_choice(["board", "map", "funnel"]
                       + (["report"] if ui.may("report_case") else []), "cases", lang)
if shown == "board":
    picked = cw.case_board(state, households, lang) or st.query_params.get("case")
    if picked in set(state["case_id"]):
        st.query_params["case"] = picked  # a case can be bookmarked and shared
        cw.case_detail(picked, state, households, lang, as_of)

elif shown == "map":  # built only when shown: a map drawn hidden in a tab has no size
    st.caption(t("cases.map_caption", lang))
    view = ui.read_model(as_of).map_view(area, "open_cases", "natural_breaks", (), ())
    painted = mapview.with_cases(view, state[state["is_open"]], households)
    st_folium(build_map(painted, lang=lang, tiles=tiles_from_env()), height=560,
              use_container_width=True, render=False, returned_objects=[],
              key="gridmap.cases.map")

elif shown == "funnel":
    period = st.date_input(t("cases.period", lang), (as_of - timedelta(days=89), as_of),
                           max_value=as_of, key="gridmap.cases.period")
    start, end = (period if len(period) == 2 else (period[0], as_of))
    steps = casework.funnel(ui.read("cases"), ui.policy(), start=start, end=end)
    steps = steps.assign(label=[label(s, lang) for s in steps["step"]],
                         side=steps["step"] == "helped_in_difficulty")
    st.caption(t("cases.funnel_caption", lang))
    st.altair_chart(alt.Chart(steps).mark_bar().encode(
        x=alt.X("cases:Q", title=t("map.col.cases", lang)),
        y=alt.Y("label:N", sort=list(steps["label"]), title=None),
        color=alt.Color("side:N", scale=alt.Scale(domain=[False, True],
                                                  range=["#2b8cbe", "#f28c28"]), legend=None),
        tooltip=["label", "cases", "pct"]), width="stretch")
    level = ui.child_level(area)
    table = casework.case_report(state, households, ui.read("grids", area),
                                 ui.read("areas"), ui.policy(), level=level, as_of=as_of)
    st.subheader(t("cases.report_csv", lang))
    st.dataframe(ui.labelled(table.rename(columns={"name": "area"}), lang), hide_index=True,
                 width="stretch")
    downloads(table, f"cases-{level}-{as_of}", lang)

else:
    cw.report_form(households, ui.read("grids", area), lang, as_of)
