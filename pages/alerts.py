"""Alerts from department feeds (大数据比对预警, /alerts): a worker verifies an alert with a
door visit and confirms or dismisses it; a leader sees the figures and a masked list."""

from pages.shared.shell import enter

enter()  # started alone (the first request after a start): the shell runs this page

import pandas as pd
import streamlit as st

from gridmap import alerts, privacy, schema
from gridmap.i18n import label, t
from pages.shared import alerts as al
from pages.shared import common as ui


def _figure(value) -> str:
    return value if isinstance(value, str) else f"{value:,}"  # "<5" and "—" as they are


lang, area, as_of = ui.lang(), ui.current_area(), ui.today()
st.title(t("alerts.title", lang))
ui.breadcrumb(area, lang)
st.caption(t("alerts.caption", lang))
if flash := st.session_state.pop("gridmap.alerts.flash", None):
    st.success(flash)
state = al.in_area(alerts.alert_state(ui.read("alerts"), ui.policy(), as_of=as_of), area)

open_ = state["stage"].isin(("new", "assigned"))
figures = (("alerts.open", int(open_.sum())), ("alerts.overdue", int(state["overdue"].sum())),
           ("alerts.verified", int((state["stage"] == "verified").sum())),
           ("alerts.confirmed", int((state["stage"] == "confirmed").sum())),
           ("alerts.dismissed", int((state["stage"] == "dismissed").sum())))
if ui.principal().households != "full":  # the parts add up to a total shown elsewhere
    shown = privacy.suppress_breakdown(pd.DataFrame([dict(figures)]), ui.policy().min_count)
    figures = tuple(shown.iloc[0].items())
st.markdown(" · ".join(f"{t(key, lang)} **{_figure(value)}**" for key, value in figures))

views = ["list", "stats"] + (["feeds"] if ui.principal().role == "admin" else [])
shown = ui.view_choice(views, "alerts", lang)
if shown == "list":
    stages = st.multiselect(t("alerts.stages", lang), schema.ALERT_STAGES,
                            select_all=False, default=["new", "assigned", "verified"],
                            format_func=lambda k: label(k, lang),
                            key=f"gridmap.alerts.stages.{lang}",  # a new language: the default
                            placeholder=t("app.choose", lang))
    table = al.alert_table(state[state["stage"].isin(stages)])
    if table.empty:
        st.info(t("alerts.none", lang))
    else:
        st.caption(t("alerts.pick", lang))
        event = st.dataframe(ui.labelled(table, lang), hide_index=True, width="stretch",
                             height=320, on_select="rerun", selection_mode="single-row",
                             key="gridmap.alerts.table",
                             column_order=[t(f"map.col.{c}", lang) for c in table.columns
                                           if c != "alert_id"])
        rows = event.selection.rows if event else []
        picked = table["alert_id"].iloc[rows[0]] if rows else st.query_params.get("alert")
        if picked in set(table["alert_id"]):
            st.query_params["alert"] = picked
            al.detail(picked, lang, as_of)
elif shown == "stats":
    model = ui.read_model(as_of)
    level = ui.child_level(area)
    report = model.alert_report(level)
    if area is not None and level != "grid":
        report = report[report["area_id"].isin(
            ui.read("grids", area)[schema.LEVEL_COLUMN[level]])]
    elif area is not None:
        report = report[report["area_id"].isin(ui.read("grids", area)["grid_id"])]
    small = ui.principal().households != "full"
    st.subheader(t("alerts.report", lang, level=t(f"level.{level}", lang)))
    report = report.drop(columns="area_id").rename(columns={"name": "area"})
    st.dataframe(ui.labelled(alerts.shown_report(report, ui.policy().min_count) if small
                             else report, lang), hide_index=True, width="stretch")
    st.subheader(t("alerts.by_source", lang))
    by_source = model.alert_report("source")
    st.dataframe(ui.labelled(alerts.shown_report(by_source, ui.policy().min_count) if small
                             else by_source, lang), hide_index=True, width="stretch")
else:
    al.feed_import(lang, as_of)
    st.subheader(t("alerts.feeds", lang))
    feeds = ui.read("feeds").sort_values("received_on", ascending=False)
    st.dataframe(ui.labelled(feeds[["source", "file", "received_on", "imported_by", "rows",
                                    "new_rows", "alerts"]], lang),
                 hide_index=True, width="stretch")
