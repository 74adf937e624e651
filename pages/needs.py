"""Needs (微心愿 / 红哨子): post a household's need, helpers claim and deliver (/needs)."""

from pages.shared.shell import enter

enter()  # started alone (the first request after a start): the shell runs this page

import streamlit as st

from gridmap import casework, schema
from gridmap.i18n import label, t
from pages.shared import casework as cw
from pages.shared import common as ui
from pages.shared.forms import downloads

lang, area, as_of = ui.lang(), ui.current_area(), ui.today()
if ui.principal().role == "helper":  # a short title on a phone; needs span every area
    st.title(t("nav.needs", lang))
else:
    st.title(t("needs.title", lang))
    ui.breadcrumb(area, lang)
cw.flash()
state = ui.read_model(as_of).need_state(area)
households = ui.read("households", area)
policy = ui.policy()

helper = ui.principal().role == "helper"
views = ["board"] if helper else ["board", "stats"] + (["post"] if ui.may("post_need") else [])
shown = ui.view_choice(views, "needs", lang) if len(views) > 1 else "board"
if shown == "board" and helper:  # a volunteer: their own figures, the open needs, a claim
    me = ui.principal().username
    cw.figure_tiles(cw.helper_figures(state, me), lang)
    st.caption(t("needs.privacy", lang))
    waiting = state[state["stage"] == "posted"].sort_values("posted_at")
    table = cw.need_table(waiting, households)
    if table.empty:
        st.info(t("needs.none_open", lang))
    else:
        st.caption(t("needs.helper_pick", lang))
        event = st.dataframe(ui.labelled(table, lang), hide_index=True, width="stretch",
                             height=min(300, 35 * (len(table) + 1) + 3),  # no empty rows
                             on_select="rerun", selection_mode="single-row",
                             key=cw.need_table_key(),
                             column_order=[t(f"map.col.{c}", lang) for c in
                                           ("category", "description", "community")])
        rows = event.selection.rows if event else []
        if rows:
            cw.need_actions(table["need_id"].iloc[rows[0]], state, households, lang, as_of)
    mine = state[state["helper"] == me].sort_values("claimed_at", ascending=False)
    if not mine.empty:
        st.subheader(t("needs.mine_title", lang))
        st.dataframe(ui.labelled(cw.need_table(mine, households), lang), hide_index=True,
                     width="stretch", column_order=[t(f"map.col.{c}", lang) for c in (
                         "category", "description", "community", "stage")])
elif shown == "board":
    st.caption(t("needs.privacy", lang))
    waiting = state[state["stage"] == "posted"]
    c1, c2 = st.columns(2)
    c1.metric(t("needs.waiting", lang), f"{len(waiting):,}")
    c2.metric(t("needs.stale", lang, days=policy.casework.claim_days),
              f"{int(waiting['stale'].sum()):,}")
    left, right = st.columns(2)
    stages = left.multiselect(t("cases.stages", lang), schema.NEED_STAGES,
                              select_all=False, default=["posted", "claimed", "delivered"],
                              format_func=lambda k: label(k, lang),
                              key=f"gridmap.needs.stages.{lang}",  # a new language: the default
                              placeholder=t("app.choose", lang))
    categories = right.multiselect(t("cases.categories", lang), schema.NEED_CATEGORIES,
                                   select_all=False, key="gridmap.needs.categories",
                                   format_func=lambda k: label(k, lang),
                                   placeholder=t("app.all", lang))
    rows = state[state["stage"].isin(stages)
                 & (state["category"].isin(categories) if categories else True)]
    table = cw.need_table(rows.sort_values("posted_at"), households)
    st.caption(t("needs.pick", lang))
    event = st.dataframe(ui.labelled(table, lang), hide_index=True, width="stretch",
                         height=360, on_select="rerun", selection_mode="single-row",
                         key=cw.need_table_key())
    rows = event.selection.rows if event else []
    picked = table["need_id"].iloc[rows[0]] if rows else st.query_params.get("need")
    if picked in set(state["need_id"]):
        st.query_params["need"] = picked
        cw.need_actions(picked, state, households, lang, as_of)

elif shown == "stats":
    whole = casework.need_report(state, households, ui.read("grids", area), ui.read("areas"),
                                 policy, level="category", as_of=as_of)
    posted, claimed = int(whole["posted"].sum()), int(whole["claimed"].sum())
    c1, c2, c3 = st.columns(3)
    c1.metric(t("needs.posted", lang), f"{posted:,}")
    c2.metric(t("needs.claimed", lang), f"{claimed:,}")
    c3.metric(t("needs.match_rate", lang), f"{100 * claimed / posted:.1f}%" if posted else "—")
    st.subheader(t("needs.by_category", lang))
    st.dataframe(ui.labelled(whole, lang), hide_index=True, width="stretch")
    level = ui.child_level(area)
    by_area = casework.need_report(state, households, ui.read("grids", area),
                                   ui.read("areas"), policy, level=level, as_of=as_of)
    st.subheader(t("needs.by_area", lang))
    st.dataframe(ui.labelled(by_area.rename(columns={"name": "area"}), lang), hide_index=True,
                 width="stretch")
    downloads(by_area, f"needs-{level}-{as_of}", lang)

else:
    cw.post_form(households, lang, as_of)
