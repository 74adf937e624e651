"""Workload: who carries too much, and a better assignment the chief can accept."""

from pages.shared.shell import enter

enter()  # started alone (the first request after a start): the shell runs this page

import altair as alt
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from gridmap import mapview, rebalance, schema, workload
from gridmap.errors import GridmapError
from gridmap.i18n import label, t
from gridmap.render.webmap import build_map
from gridmap.settings import tiles_from_env
from gridmap.style import WORKLOAD_COLORS
from pages.shared import common as ui
from pages.shared import forms as forms

PROPOSAL_KEY = "gridmap.workload.proposal"
TIME_LIMIT = {"community": 2.0, "chief": 2.0, "street": 10.0}

lang, area, as_of = ui.lang(), ui.current_area(), ui.today()
policy = ui.policy()
st.title(t("workload.title", lang))
ui.breadcrumb(area, lang)
if flash := st.session_state.pop("gridmap.workload.flash", None):
    st.success(flash)

table = ui.read_model(as_of).worker_loads(area)
chiefs = table[table["chief_id"].isna() & (table["grids"] > 0)]
chief = None
if area is not None and area.level in ("street", "community"):
    names = dict(zip(chiefs["worker_id"], chiefs["name"], strict=True))
    chief = st.selectbox(t("workload.chief", lang), list(names), index=None,
                         placeholder=t("workload.all_workers", lang),
                         format_func=lambda w: f"{names[w]} ({w})", key="gridmap.workload.chief")
if chief:
    table = table[(table["worker_id"] == chief) | (table["chief_id"] == chief)]
    scope = rebalance.Scope("chief", chief)
elif area is not None and area.level in ("street", "community"):
    scope = rebalance.Scope(area.level, area.id)
else:
    scope = None


def pct(value: float) -> str:
    return "—" if pd.isna(value) else f"{value:.0%}"


figures = workload.totals(table)
for col, key, text in zip(st.columns(6), figures, (
        f"{figures['workers']:,}", pct(figures["mean"]), pct(figures["max"]),
        "—" if pd.isna(figures["cv"]) else f"{figures['cv']:.2f}",
        f"{figures['overloaded']:,}", f"{figures['idle']:,}"), strict=True):
    col.metric(t(f"workload.{key}", lang), text)
st.caption(t("workload.definition", lang, hours=policy.workload.hours_per_month,
             over=pct(policy.workload.overloaded_above), idle=pct(policy.workload.idle_below)))

view = ui.view_choice(["load", "areas", "rebalance"], "workload", lang)


def shown(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[["worker_id", "name", "kind", "capacity", "grids", "households",
                 "visits_per_month", "load_minutes", "utilisation", "status"]].copy()
    out.insert(7, "load_hours", (out.pop("load_minutes") / 60).round(1))
    out["visits_per_month"] = out["visits_per_month"].round(1)
    out["utilisation"] = (out["utilisation"] * 100).round(0)
    return out.sort_values("utilisation", ascending=False)


def territory_map(holder: pd.Series, util: pd.DataFrame, key: str, height: int = 460):
    """Grids of the scope coloured by their primary worker's utilisation."""
    base = ui.read_model(as_of).map_view(area, "households", "quantiles", schema.TIERS, (),
                                         unit_level="grid")
    painted = mapview.with_workload(base, holder, util["name"], util["utilisation"],
                                    util["status"], WORKLOAD_COLORS)
    st_folium(build_map(painted, lang=lang, tiles=tiles_from_env(), height=height),
              height=height, use_container_width=True, render=False, returned_objects=[],
              key=key)


if view == "load":
    chart = shown(table).head(60).assign(
        who=lambda f: f["name"] + " " + f["worker_id"].str[-4:],
        status_name=lambda f: f["status"].map(lambda s: label(s, lang)))
    st.altair_chart(alt.Chart(chart).mark_bar().encode(
        x=alt.X("utilisation:Q", title=t("map.col.utilisation", lang)),
        y=alt.Y("who:N", sort="-x", title=None),
        color=alt.Color("status_name:N", title=None, scale=alt.Scale(
            domain=[label(k, lang) for k in WORKLOAD_COLORS],
            range=list(WORKLOAD_COLORS.values())))), width="stretch")
    if len(table) > 60:
        st.caption(t("workload.top", lang, n=60))
    st.dataframe(ui.labelled(shown(table), lang), hide_index=True, width="stretch", height=320)
    forms.downloads(ui.labelled(shown(table), lang), f"workload-{as_of}", lang)
    if scope is None:
        st.info(t("workload.pick_scope", lang))
    else:
        assignments = ui.read("assignments", area)
        holder = assignments[assignments["role"] == "primary"].drop_duplicates(
            "grid_id").set_index("grid_id")["worker_id"]
        territory_map(holder, ui.read_model(as_of).worker_loads().set_index("worker_id"),
                      "gridmap.workload.map")
        st.caption(t("workload.map_caption", lang))

elif view == "areas":
    level = ui.child_level(area) if area is None or area.level != "community" else "community"
    summary = workload.summary(table, policy, level=level)
    named = summary.assign(name=summary["area_id"].map(
        ui.read("areas").set_index("area_id")["name"]))
    out = named[["area_id", "name", "workers", "mean", "max", "max_over_mean", "cv",
                 "overloaded", "idle"]].round(2).sort_values("max", ascending=False)
    st.dataframe(ui.labelled(out, lang), hide_index=True, width="stretch")
    forms.downloads(ui.labelled(out, lang), f"workload-{level}-{as_of}", lang)

else:  # rebalance
    if scope is None:
        st.info(t("workload.pick_scope", lang))
        st.stop()
    st.caption(t("workload.rebalance_intro", lang))
    left, right = st.columns(2)
    limit = left.checkbox(t("workload.limit_moves", lang), key="gridmap.workload.limit")
    max_moves = right.number_input(t("workload.max_moves", lang), 0, 500, 5,
                                   disabled=not limit, key="gridmap.workload.max_moves")
    token = (str(scope), ui.store().version(), int(max_moves) if limit else None, str(as_of))
    if st.button(t("workload.propose", lang), type="primary"):
        with st.spinner(t("workload.solving", lang)):
            try:
                instance = rebalance.instance_from_store(ui.store(), scope, policy, as_of=as_of)
                st.session_state[PROPOSAL_KEY] = (token, rebalance.solve(
                    instance, max_moves=token[2], time_limit=TIME_LIMIT[scope.kind]))
            except GridmapError as exc:
                ui.show_error(exc, lang)
    kept = st.session_state.get(PROPOSAL_KEY)
    if not kept or kept[0] != token:
        st.stop()
    proposal = kept[1]
    cols = st.columns(5)
    cols[0].metric(t("workload.before", lang), pct(proposal.max_utilisation("before")))
    cols[1].metric(t("workload.after", lang), pct(proposal.max_utilisation()),
                   delta=f"{proposal.max_utilisation() - proposal.max_utilisation('before'):+.0%}",
                   delta_color="inverse")
    cols[2].metric(t("workload.lower_bound", lang), pct(proposal.lower_bound))
    cols[3].metric(t("workload.moves", lang), f"{len(proposal.moves):,}")
    cols[4].metric(t("workload.seconds", lang), f"{proposal.seconds:.2f}")
    gap = proposal.max_utilisation() / proposal.lower_bound - 1 if proposal.lower_bound else 0
    at_bound = proposal.status == "optimal" and gap < 0.005
    st.caption(t("workload.status.at_bound" if at_bound else
                 f"workload.status.{proposal.status}", lang, gap=f"{gap:.1%}"))

    def side(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.reset_index()[["worker_id", "name", "kind", "utilisation"]].copy()
        out["grids"] = frame["grids"].map(len).to_numpy()
        out["households"] = frame["households"].map(len).to_numpy()
        out["utilisation"] = (out["utilisation"] * 100).round(0)
        return out

    names = proposal.after["name"]
    moves = proposal.moves.assign(**{"from": lambda f: f["from"].map(names).fillna(f["from"]),
                                     "to": lambda f: f["to"].map(names).fillna(f["to"])})
    alias = ui.read("households", area).set_index("household_id")["alias"]
    moves = moves.rename(columns={"id": "item_id", "from": "from_worker", "to": "to_worker"})
    moves.insert(2, "alias", moves["item_id"].map(alias).fillna(""))
    before_col, after_col = st.columns(2)
    for col, which, holder in ((before_col, "before", None), (after_col, "after",
                                                              proposal.holder)):
        frame = getattr(proposal, which)
        with col:
            st.subheader(t(f"workload.{which}", lang))
            st.dataframe(ui.labelled(side(frame), lang), hide_index=True, width="stretch",
                         height=260)
            grid_holder = pd.Series(holder if holder else {
                gid: w for w, gids in frame["grids"].items() for gid in gids})
            util = frame.assign(status=workload.status_of(frame["utilisation"], policy))
            territory_map(grid_holder, util, f"gridmap.workload.map.{which}", height=380)
    st.subheader(t("workload.moves", lang))
    st.dataframe(ui.labelled(moves, lang), hide_index=True, width="stretch")
    forms.downloads(ui.labelled(moves, lang), f"rebalance-{scope.kind}-{scope.id}", lang)
    if ui.may("reassign"):
        who = st.text_input(t("workload.accepted_by", lang), key="gridmap.workload.by")
        if st.button(t("workload.accept", lang), disabled=proposal.moves.empty or not who.strip()):
            try:
                n = ui.store().reassign(proposal.moves, scope=str(scope), accepted_by=who)
            except GridmapError as exc:
                ui.show_error(exc, lang)
            else:
                st.session_state.pop(PROPOSAL_KEY, None)
                st.session_state["gridmap.workload.flash"] = t("workload.accepted", lang, n=n)
                st.rerun()
