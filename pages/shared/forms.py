"""Streamlit-side forms and table helpers: picking a household, logging a visit,
changing a tier, downloading a table. Writes go through the store, one transaction each."""

from __future__ import annotations

from datetime import date, datetime, time

import pandas as pd
import streamlit as st

from gridmap import schema
from gridmap.coverage import household_status
from gridmap.errors import GridmapError
from gridmap.i18n import label, t
from gridmap.io import spreadsheet
from gridmap.places import Area
from gridmap.sanitize import download_name, plain
from pages.shared.common import labelled, policy, read, show_error, store


def downloads(table: pd.DataFrame, name: str, language: str) -> None:
    """CSV (UTF-8 with BOM, opens in Excel) and Excel download buttons for a table; no
    cell of either can be a formula."""
    left, right = st.columns(2)
    left.download_button(t("coverage.download_csv", language),
                         spreadsheet.csv_text(table).encode("utf-8-sig"),
                         file_name=download_name(name, ".csv"), mime="text/csv")
    right.download_button(t("coverage.download_xlsx", language),
                          spreadsheet.xlsx_bytes({"Sheet1": table}),
                          file_name=download_name(name, ".xlsx"),
                          mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def pick_household(households: pd.DataFrame, language: str, key: str, limit: int = 3000):
    """A household picker by alias and grid (never by name); ``None`` when there are too
    many to list (the user is asked to narrow the area first)."""
    if len(households) > limit:
        st.info(t("coverage.narrow", language, n=f"{len(households):,}"))
        return None
    grids = read("grids").set_index("grid_id")["name"]
    labels = dict(zip(households["household_id"],
                      households["alias"] + " · " + households["grid_id"].map(grids),
                      strict=True))
    return st.selectbox(t("coverage.household", language), list(labels), key=key,
                        format_func=labels.get)


def grid_staff(grid_id: str, household_id: str) -> dict[str, str]:
    """Who may have visited: the grid's workers, then the household's helpers."""
    workers = read("workers").set_index("worker_id")["name"]
    assigned = read("assignments")
    ids = assigned.loc[assigned["grid_id"] == grid_id].sort_values("role", key=lambda r: r.map(
        {"primary": 0, "backup": 1}))["worker_id"].tolist()
    helpers = read("household_helpers")
    ids += helpers.loc[helpers["household_id"] == household_id, "worker_id"].tolist()
    return {w: workers.get(w, w) for w in dict.fromkeys(ids)}


def household_staff(households: pd.DataFrame, household_id: str) -> dict[str, str]:
    """``grid_staff`` for a household of ``households``, looked up by id."""
    grid_id = households.set_index("household_id").loc[household_id, "grid_id"]
    return grid_staff(grid_id, household_id)


def visit_form(households: pd.DataFrame, language: str, as_of: date) -> None:
    """Log a visit; saving is one transaction and moves the household's due date at once."""
    household = pick_household(households, language, "gridmap.visit.household")
    if household is None:
        return
    row = households.set_index("household_id").loc[household]
    staff = grid_staff(row["grid_id"], household)
    with st.form("gridmap.visit.form", clear_on_submit=True):
        day = st.date_input(t("coverage.date", language), as_of, max_value=as_of)
        when = st.time_input(t("coverage.time", language), time(10, 0))
        method = st.selectbox(t("coverage.method", language), schema.VISIT_METHODS,
                              format_func=lambda m: label(m, language))
        visitor = st.selectbox(t("coverage.visitor", language), list(staff),
                               format_func=staff.get)
        note = st.text_area(t("coverage.note", language))
        found = st.checkbox(t("coverage.found", language))
        submitted = st.form_submit_button(t("coverage.save_visit", language), type="primary")
    if not submitted:
        return
    s = store()
    try:
        s.append_visit(household_id=household, worker_id=visitor,
                       visited_at=datetime.combine(day, when), method=method,
                       note=note.strip() or None, found_difficulty=found)
    except GridmapError as exc:
        show_error(exc, language, "coverage.error")
        return
    grid = Area("grid", row["grid_id"])
    mine = s.read("households", area=grid)
    status = household_status(mine, s.read("visits", area=grid), policy(), as_of=as_of)
    due = status.loc[mine["household_id"] == household, "due"].iloc[0]
    st.success(plain(t("coverage.saved_visit", language, alias=row["alias"],
                       due=due.date().isoformat())))


def tier_form(households: pd.DataFrame, language: str) -> None:
    """Change a tier with a required reason; shows the household's tier history."""
    household = pick_household(households, language, "gridmap.tier.household")
    if household is None:
        return
    row = households.set_index("household_id").loc[household]
    staff = grid_staff(row["grid_id"], household)
    st.write(f"{label(row['tier'], language)} → ")
    with st.form("gridmap.tier.form"):
        new = st.selectbox(t("coverage.new_tier", language),
                           [x for x in schema.TIERS if x != row["tier"]],
                           format_func=lambda k: label(k, language))
        reason = st.text_input(t("coverage.reason", language))
        by = st.selectbox(t("coverage.visitor", language), list(staff), format_func=staff.get)
        submitted = st.form_submit_button(t("coverage.save_tier", language), type="primary")
    if submitted:
        try:
            store().change_tier(household, new, reason=reason, changed_by=by)
        except GridmapError as exc:
            show_error(exc, language, "coverage.error")
        else:
            st.success(plain(t("coverage.saved_tier", language, alias=row["alias"],
                               tier=label(new, language))))
    history = read("tier_changes", Area("grid", row["grid_id"]))
    history = history[history["household_id"] == household].sort_values("changed_at",
                                                                         ascending=False)
    st.subheader(t("coverage.history", language))
    st.dataframe(labelled(history[["changed_at", "from_tier", "to_tier", "reason",
                                   "changed_by"]], language), hide_index=True, width="stretch")


def print_buttons(view, title: str, name: str, language: str) -> None:
    """PNG and PDF snapshots of a map view, rendered only when clicked."""
    from gridmap.render import snapshot

    left, right = st.columns(2)
    for col, fmt, mime in ((left, "png", "image/png"), (right, "pdf", "application/pdf")):
        col.download_button(t(f"map.print_{fmt}", language),
                            lambda f=fmt: snapshot.render(view, title=title, fmt=f,
                                                          lang=language),
                            file_name=download_name(name, f".{fmt}"), mime=mime, on_click="ignore",
                            key=f"gridmap.print.{fmt}")


def ledger_button(households, status, grids, workers, assignments, helpers, name: str,
                  language: str) -> None:
    """The ledger (台账) of these households as Excel. Personal fields as the role sees
    them (in full, or masked for leaders); an export with them in full is audited."""
    from gridmap.access import FULL
    from gridmap.io import ledger

    who = store()
    personal = who.principal.lists_households

    def build() -> bytes:
        return spreadsheet.xlsx_bytes(ledger.ledger_sheets(
            households, status, grids, workers, assignments, helpers, personal=personal,
            lang=language))

    def audited() -> None:
        if who.principal.households == FULL:
            who.audit("export_personal", name, households=len(households))

    st.download_button(
        t("map.ledger", language), build, file_name=download_name(name, ".xlsx"),
        on_click=audited,
        key="gridmap.io.ledger",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
