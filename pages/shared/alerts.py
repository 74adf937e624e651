"""Widgets of /alerts (issue 20): the alert list, one alert's detail (each view audited by
the guard) and its actions: assign a lead (chief, admin), verify by a door visit, then
confirm (a lead may become a case, its household registered) or dismiss; and the
admin's feed import, all or nothing with each refused row's reason."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, time

import pandas as pd
import streamlit as st

from gridmap import schema
from gridmap.errors import GridmapError
from gridmap.i18n import label, t
from gridmap.io import feeds as feed_io
from gridmap.io.importing import mapping_from_bytes
from gridmap.places import Area
from gridmap.reasons import reason_text
from gridmap.sanitize import display_name, plain, upload_suffix
from gridmap.store.alerts import prepare_feed
from pages.shared import common as ui
from pages.shared.forms import grid_staff

LIST_COLUMNS = ("alert_id", "stage", "kind", "rule", "risk", "evidence", "name", "grid",
                "triggered_on", "due_on", "overdue", "suggested_tier")


def in_area(state: pd.DataFrame, area: Area | None) -> pd.DataFrame:
    """The alerts of ``area``: by their grid, or an unplaced lead by its street."""
    if area is None:
        return state
    grids = ui.read("grids", area)["grid_id"]
    inside = state["grid_id"].isin(grids)
    if area.level in ("street", "district"):
        streets = ui.read("grids", area)["street_id"]
        inside |= state["grid_id"].isna() & state["street_id"].isin(streets)
    return state[inside.to_numpy()].reset_index(drop=True)


def alert_table(state: pd.DataFrame) -> pd.DataFrame:
    """The list as shown: the grid's name, no amounts (they are not for this list)."""
    names = ui.read("grids").set_index("grid_id")["name"]
    table = state.assign(grid=state["grid_id"].map(names),
                         triggered_on=state["triggered_on"].dt.date,
                         due_on=state["due_on"].dt.date)
    return table[list(LIST_COLUMNS)].sort_values(["overdue", "due_on"],
                                                 ascending=[False, True], ignore_index=True)


def detail(alert_id: str, lang: str, as_of: date) -> None:
    """One alert (the guard audits the view) and, for who may, its next step."""
    try:
        row, events = ui.store().alert_detail(alert_id)
    except GridmapError as error:
        ui.show_error(error, lang)
        return
    st.subheader(t("alerts.detail", lang))
    fields = {"rule": label(row["rule"], lang), "risk": label(row["risk"], lang),
              "evidence": row["evidence"], "stage": label(row["stage"], lang),
              "kind": label(row["kind"], lang), "name": row["name"] or "",
              "id_number": row["id_number"], "placed_by": label(row["placed_by"], lang),
              "triggered_on": f"{row['triggered_on']:%Y-%m-%d}",
              "due_on": f"{row['due_on']:%Y-%m-%d}"}
    st.dataframe(pd.DataFrame({"": [t(f"map.col.{k}", lang) for k in fields],
                               " ": [str(v) for v in fields.values()]}),
                 hide_index=True, width="stretch")
    if isinstance(row["suggested_tier"], str):
        st.info(plain(t("alerts.suggested", lang, tier=label(row["suggested_tier"], lang))))
    with st.expander(t("alerts.history", lang)):
        st.dataframe(ui.labelled(events[["happened_at", "from_stage", "to_stage", "actor",
                                         "detail"]], lang), hide_index=True, width="stretch")
    if ui.may("advance_alert"):
        _actions(row, lang, as_of)


def _advance(alert_id: str, to_stage: str, lang: str, **fields) -> None:
    try:
        ui.store().advance_alert(alert_id, to_stage, **fields)
    except GridmapError as error:
        ui.show_error(error, lang)
        return
    st.session_state["gridmap.alerts.flash"] = t("alerts.done", lang)
    st.rerun()


def _assign(row: dict, key: str, lang: str) -> None:
    """A chief or the admin assigns (or passes on) an alert; an unplaced lead gets its
    grid first."""
    grids = ui.read("grids")
    if isinstance(row["grid_id"], str):
        grid_id = row["grid_id"]
    else:
        street = grids[grids["street_id"] == row["street_id"]] if isinstance(
            row["street_id"], str) else grids
        names = dict(zip(street["grid_id"], street["name"], strict=True))
        if not names:
            return
        grid_id = st.selectbox(t("alerts.grid", lang), list(names), format_func=names.get,
                               key=f"{key}.grid")
    staff = grid_staff(grid_id, "")
    with st.form(f"{key}.assign"):
        st.markdown(f"**{t('alerts.assign', lang)}**")
        worker = st.selectbox(t("alerts.worker", lang), list(staff), format_func=staff.get)
        if st.form_submit_button(t("alerts.assign_button", lang)):
            _advance(row["alert_id"], "assigned", lang, worker_id=worker, grid_id=grid_id)


def _lead_household(lang: str) -> dict:
    """The household of a lead that becomes a case (name and ID number from the alert)."""
    st.caption(t("alerts.lead_case", lang))
    a, b = st.columns(2)
    return {"phone": a.text_input(t("cases.phone", lang)) or None,
            "address": b.text_input(t("cases.address", lang)),
            "members": a.number_input(t("cases.members", lang), 1, 30, 1),
            "tier": b.selectbox(t("overview.tier", lang), schema.TIERS, index=2,
                                format_func=lambda k: label(k, lang)),
            "categories": None}


def _actions(row: dict, lang: str, as_of: date) -> None:
    key = f"gridmap.alerts.{row['alert_id']}"
    if row["stage"] in ("new", "assigned") and ui.principal().role in ("admin", "chief"):
        _assign(row, key, lang)
    if row["stage"] == "assigned":
        with st.form(f"{key}.verify"):
            st.markdown(f"**{t('alerts.verify', lang)}**")
            day = st.date_input(t("alerts.visit_day", lang), value=as_of, max_value=as_of)
            note = st.text_input(t("alerts.note", lang), max_chars=300)
            if st.form_submit_button(t("alerts.verify_button", lang)):
                _advance(row["alert_id"], "verified", lang,
                         worker_id=ui.principal().worker_id or None,
                         # 10:00 that day, but never later than now (a morning's visit
                         # today would otherwise be in the future, and the next step
                         # refused as before it)
                         visit={"visited_at": min(datetime.combine(day, time(10)),
                                                  datetime.now().replace(microsecond=0)),
                                "note": note})
    elif row["stage"] == "verified":
        st.markdown(f"**{t('alerts.decide', lang)}**")
        left, right = st.columns(2)
        with left.form(f"{key}.confirm"):
            outcomes = [o for o in schema.ALERT_OUTCOMES
                        if row["kind"] == "registered" or o != "tier_change"]
            outcome = st.selectbox(t("alerts.confirm_as", lang), outcomes,
                                   format_func=lambda o: label(o, lang))
            tier = st.selectbox(t("alerts.new_tier", lang), schema.TIERS,
                                index=schema.TIERS.index(row["suggested_tier"])
                                if isinstance(row["suggested_tier"], str) else 0,
                                format_func=lambda v: label(v, lang))
            department = st.selectbox(t("alerts.department", lang), schema.REFERRALS,
                                      format_func=lambda v: label(v, lang))
            category = st.selectbox(t("alerts.case_category", lang), schema.CASE_CATEGORIES,
                                    format_func=lambda v: label(v, lang))
            household = _lead_household(lang) if row["kind"] != "registered" else None
            if st.form_submit_button(t("alerts.confirm_button", lang)):
                _advance(row["alert_id"], "confirmed", lang, outcome=outcome, tier=tier,
                         referral=department, case={"category": category},
                         policy=ui.policy(),
                         household=household if outcome == "case" else None)
        with right.form(f"{key}.dismiss"):
            reason = st.text_input(t("alerts.reason", lang), max_chars=300)
            if st.form_submit_button(t("alerts.dismiss_button", lang)):
                _advance(row["alert_id"], "dismissed", lang, reason=reason)


# -- the admin's feed import ------------------------------------------------------------
# Reasons of gridmap.io.feeds the shared patterns (gridmap.reasons) do not know.
_FEED_REASONS = (
    (r"not 18 characters: 17 digits and a digit or X", "alerts.reason.shape"),
    (r"no such birth date in it", "alerts.reason.birth"),
    (r"wrong check character \(should be (?P<c>.)\)", "alerts.reason.check"),
    (r"unknown 事项 '(?P<v>.*)': .*", "alerts.reason.item"),
    (r"empty: this 事项 sums amounts", "alerts.reason.amount"),
    (r"after the day the feed was received \((?P<d>.+)\)", "alerts.reason.after"),
    (r"an ID number stored as a number .*", "alerts.reason.numeric"),
)


def feed_reason(reason: str, lang: str) -> str:
    """A feed row's reason in ``lang``."""
    for pattern, key in _FEED_REASONS:
        found = re.fullmatch(pattern, reason, re.S)
        if found:
            return t(key, lang, **found.groupdict())
    return reason_text(reason, lang)


def feed_import(lang: str, as_of: date) -> None:
    """Import a department feed: read and checked in memory (the upload's name is only a
    label), matched, shown, and written all or nothing on the admin's word."""
    st.subheader(t("alerts.import", lang))
    a, b = st.columns(2)
    source = a.text_input(t("alerts.source", lang), max_chars=40, key="gridmap.feed.source")
    received = b.date_input(t("alerts.received_on", lang), value=as_of, max_value=as_of,
                            key="gridmap.feed.received")
    ui.uploader_words(lang)
    upload = st.file_uploader(t("import.file", lang), type=["xlsx", "xls", "csv"],
                              key="gridmap.feed.file")
    saved = st.file_uploader(t("import.mapping_file", lang), type=["json"],
                             key="gridmap.feed.mapping")
    if upload is None:
        return
    name = display_name(upload.name)
    try:
        upload_suffix(upload.name, (".xlsx", ".xls", ".csv"))
        mapping = mapping_from_bytes(saved.getvalue(), display_name(saved.name)) \
            if saved is not None else None
        read = feed_io.read_feed(io.BytesIO(upload.getvalue()), name, ui.policy(),
                                 received_on=received, mapping=mapping)
        if read.errors:
            report = read.report().drop(columns=["file", "severity"])
            report["reason"] = [feed_reason(r, lang) for r in report["reason"]]
            st.error(t("import.refused", lang))
            st.dataframe(ui.labelled(report, lang), hide_index=True, width="stretch")
            return
        prepared = prepare_feed(ui.store(), read.rows, source=source, file=name,
                                received_on=received, by=ui.principal().username,
                                policy=ui.policy())
    except GridmapError as error:
        ui.show_error(error, lang)
        return
    cols = st.columns(3)
    cols[0].metric(t("import.read", lang), f"{read.rows_read:,}")
    cols[1].metric(t("map.col.new_rows", lang), f"{prepared.feed['new_rows']:,}")
    cols[2].metric(t("map.col.alerts", lang), f"{len(prepared.alerts):,}")
    if st.button(t("import.commit", lang), type="primary", key="gridmap.feed.commit"):
        try:
            ui.store().save_feed(prepared)
            policy = ui.policy()
            ui.store().purge_feed_rows(retention_days=policy.feeds.retention_days,
                                       today=as_of)
        except GridmapError as error:
            ui.show_error(error, lang)
            return
        st.session_state["gridmap.alerts.flash"] = t(
            "alerts.imported", lang, rows=prepared.feed["new_rows"], n=len(prepared.alerts))
        st.rerun()
