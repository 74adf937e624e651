"""The workload page's parts: whose team, the headline figures, the views of load and
the rebalancing proposal, and the maps that show what a proposal changes."""

from __future__ import annotations

import html
from datetime import date

import altair as alt
import folium
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from gridmap import coords, mapview, rebalance, schema, workload
from gridmap.errors import GridmapError
from gridmap.i18n import label, t
from gridmap.places import Area
from gridmap.render.webmap import build_map
from gridmap.sanitize import plain
from gridmap.settings import tiles_from_env
from gridmap.style import CHANGED, WORKLOAD_COLORS
from pages.shared import common as ui
from pages.shared import forms

PROPOSAL_KEY, FLASH_KEY = "gridmap.workload.proposal", "gridmap.workload.flash"
CHIEF_KEY, VIEW_KEY = "gridmap.workload.chief", "gridmap.workload.view"
LIMIT_KEY, MAX_MOVES_KEY = "gridmap.workload.limit", "gridmap.workload.max_moves"
TIME_LIMIT = {"community": 2.0, "chief": 2.0, "street": 10.0}
CHART_ROWS = 16  # beside the map, each bar named
BAR_PX, LABEL_LIMIT = 22, 160  # a bar's height and its name's width (px)


def pct(value: float) -> str:
    return "—" if pd.isna(value) else f"{value:.0%}"


def team_and_scope(area: Area | None, as_of: date, lang: str):
    """The workers shown and the scope to rebalance. A chief sees their own team, with
    no selector; others pick a chief of the street or community (preselected when it
    has one). Says whose team and where."""
    table = ui.read_model(as_of).worker_loads(area)
    who = ui.principal()
    chiefs = workload.chiefs(table)
    names = dict(zip(chiefs["worker_id"], chiefs["name"], strict=True))
    chief = None
    if who.role == "chief" and who.worker_id:
        chief = who.worker_id
        names.setdefault(chief, _name_of(chief, as_of))
    elif area is not None and area.level in ("street", "community") and names:
        chief = st.selectbox(t("workload.chief", lang), ["", *names],
                             index=1 if len(names) == 1 else 0, key=CHIEF_KEY,
                             format_func=lambda w: names.get(w) or t("workload.all_workers",
                                                                      lang)) or None
    if chief:
        table = workload.team(ui.read_model(as_of).worker_loads(), chief)
        scope = rebalance.Scope("chief", chief)
        team = t("workload.team", lang, name=plain(names[chief]), n=len(table))
        st.caption(t("workload.scope_line", lang, scope=ui.scope_name(area, lang), team=team))
    elif area is not None and area.level in ("street", "community"):
        scope = rebalance.Scope(area.level, area.id)
    else:
        scope = None
    return table, scope


def _name_of(worker_id: str, as_of: date) -> str:
    found = ui.read_model(as_of).worker_loads().set_index("worker_id")["name"]
    return str(found.get(worker_id, ""))


def headline(table: pd.DataFrame, policy, lang: str) -> None:
    figures = workload.totals(table)
    for col, key, text in zip(st.columns(6), figures, (
            f"{figures['workers']:,}", pct(figures["mean"]), pct(figures["max"]),
            "—" if pd.isna(figures["cv"]) else f"{figures['cv']:.2f}",
            f"{figures['overloaded']:,}", f"{figures['idle']:,}"), strict=True):
        col.metric(t(f"workload.{key}", lang), text)
    w = policy.workload
    st.caption(t("workload.definition", lang, hours=w.hours_per_month,
                 over=pct(w.overloaded_above), idle=pct(w.idle_below)))


def _token(scope, as_of: date) -> tuple:
    limit = st.session_state.get(LIMIT_KEY, False)
    moves = int(st.session_state.get(MAX_MOVES_KEY, 5)) if limit else None
    return str(scope), ui.store().version(), moves, str(as_of)


def propose_button(scope, policy, as_of: date, lang: str) -> None:
    """The one click to a proposal: solves, keeps it, and opens the rebalance view."""
    left, right = st.columns([3, 1], vertical_alignment="center")
    left.caption(t("workload.propose_hint", lang))
    if not right.button(t("workload.propose", lang), type="primary", width="stretch"):
        return
    token = _token(scope, as_of)
    with st.spinner(t("workload.solving", lang)):
        try:
            instance = rebalance.instance_from_store(ui.store(), scope, policy, as_of=as_of)
            st.session_state[PROPOSAL_KEY] = (token, rebalance.solve(
                instance, max_moves=token[2], time_limit=TIME_LIMIT[scope.kind]))
        except GridmapError as exc:
            ui.show_error(exc, lang)
            return
    st.query_params["view"] = "rebalance"
    st.session_state[VIEW_KEY] = "rebalance"  # the view row comes below: not drawn yet


def _styled(frame: pd.DataFrame, lang: str):
    """A labelled table with overloaded rows' status and utilisation in warning colours."""
    shown = ui.labelled(frame, lang)
    status, util = t("map.col.status", lang), t("map.col.utilisation", lang)
    warn = f"background-color:{WORKLOAD_COLORS['overloaded']}30;color:#a63603"

    def paint(row: pd.Series) -> list[str]:
        hot = status in row and row[status] == label("overloaded", lang)
        return [warn if hot and c in (status, util) else "" for c in row.index]
    return shown.style.apply(paint, axis=1).format(precision=1, na_rep="—")


def load_view(table: pd.DataFrame, scope, area: Area | None, as_of: date, lang: str) -> None:
    """The chart and, for a scope, its territory map side by side; the table below."""
    rows = workload.load_table(table)
    chart = rows.head(CHART_ROWS).assign(status_name=lambda f: f["status"].map(
        lambda s: label(s, lang)))
    left, right = st.columns(2) if scope is not None else (st.container(), None)
    left.altair_chart(alt.Chart(chart, height=alt.Step(BAR_PX)).mark_bar().encode(
        x=alt.X("utilisation:Q", title=t("map.col.utilisation", lang)),
        # Vega hides labels it finds crowded (every other name at 1440x900): each bar
        # gets its row and its name.
        y=alt.Y("name:N", sort="-x", title=None,
                axis=alt.Axis(labelOverlap=False, labelLimit=LABEL_LIMIT)),
        color=alt.Color("status_name:N", title=None, legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=[label(k, lang) for k in WORKLOAD_COLORS],
                                        range=list(WORKLOAD_COLORS.values())))),
        width="stretch", height="content")  # as tall as its bars
    if len(rows) > CHART_ROWS:
        left.caption(t("workload.top", lang, n=CHART_ROWS))
    if right is None:
        st.info(t("workload.pick_scope", lang))
    else:
        held = ui.read("assignments", area)
        holder = held[held["role"] == "primary"].drop_duplicates("grid_id").set_index(
            "grid_id")["worker_id"]
        with right:
            territory_map(area, as_of, holder, ui.read_model(as_of).worker_loads().set_index(
                "worker_id"), "gridmap.workload.map", lang, height=440)
            st.caption(t("workload.map_caption", lang))
    rows = rows.assign(utilisation=rows["utilisation"].astype("Int64"))
    st.dataframe(_styled(rows.drop(columns="worker_id"), lang), hide_index=True,
                 width="stretch", height=320)
    forms.downloads(ui.labelled(rows, lang), f"workload-{as_of}", lang)


def areas_view(table: pd.DataFrame, area: Area | None, policy, as_of: date, lang: str) -> None:
    level = ui.child_level(area) if area is None or area.level != "community" else "community"
    summary = workload.summary(table, policy, level=level)
    named = summary.assign(name=summary["area_id"].map(
        ui.read("areas").set_index("area_id")["name"]))
    out = named[["name", "workers", "mean", "max", "max_over_mean", "cv", "overloaded",
                 "idle", "area_id"]].round(2).sort_values("max", ascending=False)
    st.dataframe(ui.labelled(out.drop(columns="area_id"), lang), hide_index=True,
                 width="stretch")
    forms.downloads(ui.labelled(out, lang), f"workload-{level}-{as_of}", lang)


def territory_map(area: Area | None, as_of: date, holder: pd.Series, util: pd.DataFrame,
                  key: str, lang: str, height: int = 460,
                  moved: pd.DataFrame | None = None) -> None:
    """Grids of the scope coloured by their primary worker's utilisation; what
    ``moved`` (``rebalance.named_moves``) changes drawn over them."""
    base = ui.read_model(as_of).map_view(area, "households", "quantiles", schema.TIERS, (),
                                         unit_level="grid")
    painted = mapview.with_workload(base, holder, util["name"], util["utilisation"],
                                    util["status"], WORKLOAD_COLORS)
    tiles = tiles_from_env()
    m = build_map(painted, lang=lang, tiles=tiles, height=height)
    if moved is not None and len(moved):
        _draw_moves(m, moved, area, tiles.datum if tiles else "wgs84", lang)
    st_folium(m, height=height, use_container_width=True, render=False, returned_objects=[],
              key=key)


def _draw_moves(m: folium.Map, moved: pd.DataFrame, area: Area | None, datum: str,
                lang: str) -> None:
    """Moved grids outlined and moved households ringed in ``CHANGED``, each with a
    tooltip (escaped: names come from data) saying who gives it and who takes it."""
    grids = ui.read("grids", area).set_index("grid_id").geometry
    points = ui.read("households", area).set_index("household_id").geometry
    group = folium.FeatureGroup(name=t("workload.moves", lang))
    for i, row in enumerate(moved.itertuples(index=False)):
        tip = html.escape(t("workload.moved_tip", lang, item=row.item,
                            from_worker=row.from_worker, to_worker=row.to_worker))
        shapes = grids if row.kind == "grid" else points
        if row.id not in shapes.index:
            continue
        geom = shapes[row.id]
        if datum != "wgs84":
            geom = coords.geometry_from_wgs84(geom, datum)
        if row.kind == "grid":  # a plain path: st_folium draws without rendering first
            rings = [[[y, x] for x, y in part.exterior.coords]
                     for part in getattr(geom, "geoms", [geom])]
            mark = folium.Polygon(rings, color=CHANGED, weight=4, fill=False, tooltip=tip)
        else:
            mark = folium.CircleMarker([geom.y, geom.x], radius=8, color=CHANGED, weight=3,
                                       fill=False, tooltip=tip)
        mark._id = f"moved{i:04d}"  # stable ids: the same proposal renders the same map
        mark.add_to(group)
    group._id = "moved"
    group.add_to(m)
    for key, child in list(m._children.items()):  # the layer control lists it: after it
        if isinstance(child, folium.LayerControl):
            m._children.move_to_end(key)


def rebalance_view(scope, area: Area | None, table: pd.DataFrame, policy, as_of: date,
                   lang: str) -> None:
    if scope is None:
        st.info(t("workload.pick_scope", lang))
        return
    with st.expander(t("workload.settings", lang)):
        st.caption(t("workload.rebalance_intro", lang))
        left, right = st.columns(2)
        limit = left.checkbox(t("workload.limit_moves", lang), key=LIMIT_KEY)
        right.number_input(t("workload.max_moves", lang), 0, 500, 5, disabled=not limit,
                           key=MAX_MOVES_KEY)
    kept = st.session_state.get(PROPOSAL_KEY)
    if not kept or kept[0] != _token(scope, as_of):
        return
    proposal = kept[1]
    _proposal_figures(proposal, lang)
    changes = rebalance.worker_changes(proposal, policy.workload.overloaded_above)
    households = ui.read("households", area)
    moved = rebalance.named_moves(
        proposal, changes, households.set_index("household_id")["alias"],
        ui.read("grids", area).set_index("grid_id")["name"])
    relieved = changes[changes["relieved"]]
    if proposal.moves.empty:
        st.info(t("workload.no_moves", lang, max=pct(proposal.max_utilisation("before"))))
    elif len(relieved):
        st.success(t("workload.relieved", lang, who=_relieved_text(relieved, lang)))
    elif (changes["before"] > policy.workload.overloaded_above).any():
        st.warning(t("workload.none_relieved", lang))
    _maps(proposal, moved, area, policy, as_of, lang)
    left, right = st.columns([3, 2])
    with left:
        st.subheader(t("workload.changes", lang))
        out = changes.drop(columns="relieved").assign(
            before=(changes["before"] * 100).round(0).astype("Int64"),
            after=(changes["after"] * 100).round(0).astype("Int64"))
        st.dataframe(ui.labelled(out, lang), hide_index=True, width="stretch", height=300)
    with right:
        st.subheader(t("workload.moves_table", lang))
        st.dataframe(ui.labelled(moved.drop(columns="id"), lang), hide_index=True,
                     width="stretch", height=300)
    forms.downloads(ui.labelled(moved, lang), f"rebalance-{scope.kind}-{scope.id}", lang)
    _accept(proposal, scope, relieved, table, lang)


def _relieved_text(relieved: pd.DataFrame, lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(
        t("workload.relieved_one", lang, name=plain(r.name), before=pct(r.before),
          after=pct(r.after))
        for r in relieved.head(5).itertuples())


def _proposal_figures(proposal, lang: str) -> None:
    cols = st.columns(4)
    before, after = proposal.max_utilisation("before"), proposal.max_utilisation()
    cols[0].metric(t("workload.before", lang), pct(before))
    cols[1].metric(t("workload.after", lang), pct(after), delta_color="inverse",
                   delta=t("workload.pp", lang, change=f"{100 * (after - before):+.0f}"))
    cols[2].metric(t("workload.lower_bound", lang), pct(proposal.lower_bound))
    cols[3].metric(t("workload.moves", lang), f"{len(proposal.moves):,}")
    gap = after / proposal.lower_bound - 1 if proposal.lower_bound else 0
    at_bound = proposal.status == "optimal" and gap < 0.005
    st.caption(t("workload.status.at_bound" if at_bound else
                 f"workload.status.{proposal.status}", lang, gap=f"{gap:.1%}"))


def _maps(proposal, moved: pd.DataFrame, area: Area | None, policy, as_of: date,
          lang: str) -> None:
    for col, which in zip(st.columns(2), ("before", "after"), strict=True):
        frame = getattr(proposal, which)
        holder = proposal.holder if which == "after" else {
            gid: w for w, gids in frame["grids"].items() for gid in gids}
        util = frame.assign(status=workload.status_of(frame["utilisation"], policy))
        with col:
            st.markdown(f"**{t(f'workload.{which}', lang)}**")
            territory_map(area, as_of, pd.Series(holder, dtype=object), util,
                          f"gridmap.workload.map.{which}", lang, height=360, moved=moved)
    st.caption(t("workload.changed_legend", lang))


def _accept(proposal, scope, relieved: pd.DataFrame, table: pd.DataFrame, lang: str) -> None:
    """Accepting: the logged-in account signs, nobody types a name."""
    if not ui.may("reassign"):
        return
    who = ui.principal()
    mine = table.loc[table["worker_id"] == who.worker_id, "name"] if who.worker_id else []
    st.caption(t("workload.accept_as", lang,
                  who=plain(mine.iloc[0] if len(mine) else who.username)))
    if not st.button(t("workload.accept", lang), type="primary",
                     disabled=proposal.moves.empty):
        return
    try:
        n = ui.store().reassign(proposal.moves, scope=str(scope), accepted_by=who.username)
    except GridmapError as exc:
        ui.show_error(exc, lang)
        return
    st.session_state.pop(PROPOSAL_KEY, None)
    st.session_state[FLASH_KEY] = (
        t("workload.accepted_relieved", lang, n=n, who=_relieved_text(relieved, lang))
        if len(relieved) else t("workload.accepted", lang, n=n))
    st.rerun()
