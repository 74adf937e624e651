"""Coverage: who is overdue, how coverage moves, and the visit log (logging visits and tiers)."""

from pages.shared.shell import enter

enter()  # started alone (the first request after a start): the shell runs this page

from datetime import timedelta

import altair as alt
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from gridmap import coverage, schema
from gridmap.i18n import label, t
from gridmap.settings import tiles_from_env
from gridmap.style import TIER_COLORS
from pages.shared import common as ui
from pages.shared import forms as forms

lang, area, as_of = ui.lang(), ui.current_area(), ui.today()
policy = ui.policy()
households, status = ui.read_model(as_of).area_households(area)
st.title(t("coverage.title_read", lang))  # short: one line on a phone
ui.breadcrumb(area, lang)
# A worker logs visits from their households (one tap each); the others may log here.
on_list = ui.principal().role == "worker"
if on_list:
    st.page_link("pages/households.py", label=t("coverage.to_households", lang),
                 icon=":material/home_pin:")

table = coverage.coverage_by(status, ["all"] * len(status))
figures = st.container(horizontal=True, gap="small")  # wraps three a row on a phone
if len(table):
    figures.metric(t("coverage.overall", lang), f"{table['coverage_pct'].iloc[0]:.1f}%",
                   width=104)
    for tier in schema.TIERS:
        pct = table[f"coverage_pct_{tier}"].iloc[0]
        figures.metric(label(tier, lang), "—" if pd.isna(pct) else f"{pct:.1f}%", width=104)
figures.metric(t("coverage.never", lang),
               f"{coverage.never_visited(households, status).sum():,}", width=104)

names = ["map", "overdue", "trend", "visit", "tier", "flows"]
names = [k for k in names if {"visit": ui.may("append_visit") and not on_list,
                              "tier": ui.may("change_tier")}.get(k, True)]
tabs = dict(zip(names, st.tabs([t(f"coverage.tab.{k}", lang) for k in names]),
                strict=True))
with tabs["map"]:
    levels = [lv for lv in schema.LEVELS
              if area is None or schema.LEVELS.index(lv) > schema.LEVELS.index(area.level)]
    levels = levels or ["grid"]  # a single grid: colour the grid itself
    seen = ui.read("grids", area)  # start at the first level with more than one area
    first = next((lv for lv in levels if seen[schema.LEVEL_COLUMN[lv]].nunique() > 1),
                 levels[-1])
    level = st.segmented_control(t("coverage.level", lang), levels, default=first,
                                 format_func=lambda lv: t(f"level.{lv}", lang)) or first
    fmap = ui.folium_map(area, "coverage_pct", "quantiles", schema.TIERS, (), as_of, lang,
                         tiles_from_env(), unit_level=level)
    st_folium(fmap, height=520, use_container_width=True, render=False, returned_objects=[],
              key="gridmap.coverage.map")
    by_area = ui.read_model(as_of).coverage_table(level)
    if area is not None:
        by_area = by_area[by_area["area_id"].isin(
            ui.read("grids", area)[schema.LEVEL_COLUMN[level]])]
    with st.expander(t("coverage.table", lang)):
        pct = {c: by_area[c].map(lambda v: "—" if pd.isna(v) else f"{v:.1f}")
               for c in by_area.columns if c.startswith("coverage_pct")}  # never "None"
        st.dataframe(ui.labelled(by_area.drop(columns="area_id").assign(**pct)
                                 .rename(columns={"name": "area",
                                                  "overdue": "overdue_households"}), lang),
                     hide_index=True, width="stretch")
        forms.downloads(ui.labelled(by_area, lang), f"coverage-{level}-{as_of}", lang)

with tabs["overdue"]:
    late = ui.read_model(as_of).overdue(area)  # once per data version (issue 23)
    late = late.assign(warning=late["warning"].map(
        lambda n: t(f"coverage.warning.{int(n)}", lang) if pd.notna(n) else ""))
    left, right = st.columns(2)
    tiers = left.multiselect(t("map.tiers", lang), schema.TIERS, select_all=False,
                             default=schema.TIERS,
                             format_func=lambda k: label(k, lang),
                             placeholder=t("app.choose", lang))
    names = late.drop_duplicates("worker_id").set_index("worker_id")["worker"].dropna()
    who = right.selectbox(t("coverage.worker", lang), list(names.index), index=None,
                          placeholder=t("coverage.all_workers", lang), format_func=names.get)
    late = late[late["tier"].isin(tiers) & ((late["worker_id"] == who) if who else True)]
    shown = late[["alias", "tier", "warning", "grid", "worker", "last_visit", "last_method",
                  "due", "days_overdue"]].assign(
        due=late["due"].dt.strftime("%Y-%m-%d"),
        last_visit=late["last_visit"].dt.strftime("%Y-%m-%d").fillna(t("coverage.never", lang)))
    st.caption(t("coverage.count", lang, n=f"{len(shown):,}"))
    st.dataframe(ui.labelled(shown, lang), hide_index=True, width="stretch")  # no empty rows
    forms.downloads(ui.labelled(shown, lang), f"overdue-{as_of}", lang)

with tabs["trend"]:
    trend = ui.read_model(as_of).weekly_trend(area)
    trend = trend.assign(tier_name=trend["tier"].map(lambda k: label(k, lang)))
    colors = [*TIER_COLORS.values(), "#333333"]
    domain = [label(k, lang) for k in (*schema.TIERS, "all")]
    st.altair_chart(alt.Chart(trend).mark_line(point=True).encode(
        x=alt.X("week_end:T", title=t("coverage.week", lang)),
        y=alt.Y("coverage_pct:Q", title=t("coverage.pct", lang), scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("tier_name:N", scale=alt.Scale(domain=domain, range=colors), title=None)),
        width="stretch")
    st.caption(t("coverage.trend_caption", lang))

if "visit" in tabs:
    with tabs["visit"]:
        forms.visit_form(households, lang, as_of)

if "tier" in tabs:
    with tabs["tier"]:
        forms.tier_form(households, lang)

with tabs["flows"]:
    period = st.date_input(t("coverage.period", lang), (as_of - timedelta(days=90), as_of),
                           max_value=as_of)
    if len(period) == 2:  # while a range is being picked, only its start is known
        flows = coverage.tier_flows(ui.read("tier_changes", area), *period)
        names = [label(k, lang) for k in schema.TIERS]
        flows.index, flows.columns = names, names
        st.dataframe(flows, width="content")
        st.caption(t("coverage.flows_caption", lang))
        pairs = flows.stack().rename("n").rename_axis(["from", "to"]).reset_index()
        st.altair_chart(alt.Chart(pairs[pairs["n"] > 0]).mark_bar().encode(
            y=alt.Y("from:N", sort=names, title=t("map.col.from_tier", lang)),
            x=alt.X("n:Q", title=t("overview.count", lang)),
            color=alt.Color("to:N", title=t("map.col.to_tier", lang),
                            scale=alt.Scale(domain=names, range=list(TIER_COLORS.values())))),
            width="stretch")
