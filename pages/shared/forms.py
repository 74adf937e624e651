"""Streamlit-side forms and table helpers: picking a household, a worker's list of
households by what is due, logging a visit, changing a tier, downloading a table. Writes
go through the store, one transaction each."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import date, datetime

import pandas as pd
import streamlit as st

from gridmap import schema
from gridmap.coverage import household_status
from gridmap.errors import GridmapError
from gridmap.i18n import label, t
from gridmap.io import spreadsheet
from gridmap.places import Area
from gridmap.sanitize import download_name, plain
from gridmap.style import TIER_COLORS
from pages.shared.common import labelled, policy, principal, read, read_model, show_error, store


def downloads(table: pd.DataFrame, name: str, language: str) -> None:
    """CSV (UTF-8 with BOM, opens in Excel) and Excel download buttons for a table; no
    cell of either can be a formula. Both are made on the click (deferred), not on every
    run: an Excel file of a province's overdue list takes many seconds (issue 23)."""
    left, right = st.columns(2)
    left.download_button(t("coverage.download_csv", language),
                         lambda: spreadsheet.csv_text(table).encode("utf-8-sig"),
                         file_name=download_name(name, ".csv"), mime="text/csv")
    right.download_button(t("coverage.download_xlsx", language),
                          lambda: spreadsheet.xlsx_bytes({"Sheet1": table}),
                          file_name=download_name(name, ".xlsx"),
                          mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def pick_household(households: pd.DataFrame, language: str, key: str, limit: int = 3000):
    """A household picker by alias and grid (never by name), searchable by typing. It
    starts empty (a household is never chosen for the user), unless there is only one;
    ``None`` until one is picked, or when there are too many to list (the user is asked
    to narrow the area first)."""
    if len(households) > limit:
        st.info(t("coverage.narrow", language, n=f"{len(households):,}"))
        return None
    grids = read("grids").set_index("grid_id")["name"]
    labels = dict(zip(households["household_id"],
                      households["alias"] + " · " + households["grid_id"].map(grids).fillna(""),
                      strict=True))
    return st.selectbox(t("coverage.household", language), list(labels), key=key,
                        index=0 if len(labels) == 1 else None,
                        placeholder=t("coverage.pick_household", language),
                        format_func=labels.get, filter_mode="contains")


def household_style() -> None:
    """Household rows as wide buttons, text to the left, each with its tier's colour bar
    (the key of each row's button names its tier)."""
    css = "".join(f'.st-key-gm-hh-{tier} button, [class*="st-key-gm-hh-{tier}-"] button'
                  f'{{border-left:0.5rem solid {color}}}' for tier, color in TIER_COLORS.items())
    left = '[class*="st-key-gm-hh-"] button'
    st.html(f"<style>{css}{left},{left}>div{{justify-content:flex-start;text-align:left}}"
            f"{left}>div{{width:100%}}{left} p{{text-align:left}}</style>")


def _due_text(row, language: str) -> str:
    if row.days_until_due < 0:
        return t("households.days_overdue", language, n=int(row.days_overdue))
    if row.days_until_due == 0:
        return t("households.due_today", language)
    return t("households.days_until", language, n=int(row.days_until_due))


def _last_text(row, language: str) -> str:
    if pd.isna(row.last_visit):
        return t("households.never", language)
    return t("households.last", language, date=pd.Timestamp(row.last_visit).date().isoformat())


def household_list(rows: pd.DataFrame, language: str, *, limit: int = 300) -> str | None:
    """The rows of ``coverage.due_list`` (the first ``limit``) as one button each, under a
    heading per group (overdue, today, this week, later): tier, alias, days overdue or
    until due, last visit (and the worker, if there is a ``worker`` column). Returns the
    household tapped, if any."""
    from gridmap.coverage import DUE_GROUPS
    shown, picked = rows.head(limit), None
    for group in DUE_GROUPS:
        mine = shown[shown["group"] == group]
        if mine.empty:
            continue
        st.markdown(f"**{t(f'households.group.{group}', language)}** · {len(mine):,}")
        for i, row in enumerate(mine.itertuples(index=False)):
            parts = [f"**{plain(row.alias)}**", label(row.tier, language),
                     _due_text(row, language), _last_text(row, language)]
            if "worker" in rows and isinstance(row.worker, str):
                parts.append(plain(row.worker))
            if st.button(" · ".join(parts), key=f"gm-hh-{row.tier}-{group}-{i}",
                         width="stretch"):
                picked = row.household_id
    return picked


def household_heading(row: pd.Series, households: pd.DataFrame, language: str) -> None:
    """The picked household: alias with its tier's colour, then grid, what is due and the
    last visit, in one line."""
    grids = read("grids").set_index("grid_id")["name"]
    grid = households.set_index("household_id").loc[row.name, "grid_id"]
    st.html(f'<div style="border-left:0.5rem solid {TIER_COLORS[row["tier"]]};'
            f'padding-left:0.6rem;font-size:1.4rem;font-weight:600">'
            f'{html.escape(str(row["alias"]))}</div>')
    facts = [label(row["tier"], language), str(grids.get(grid, "")),
             _due_text(row, language), _last_text(row, language)]
    st.caption(plain(" · ".join(f for f in facts if f)))


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


def visit_form(households: pd.DataFrame, language: str, as_of: date, *,
               household: str | None = None, on_saved: Callable[[str], None] | None = None
               ) -> None:
    """Log a visit; saving is one transaction and moves the household's due date at once.

    Without ``household`` the user picks one first (required). The visitor starts as the
    logged-in worker. ``on_saved`` gets the confirmation (with the next due date); by
    default it is shown here. Compact: it fits a 390x844 phone without scrolling."""
    if household is None:
        household = pick_household(households, language, "gridmap.visit.household")
    row = households.set_index("household_id").loc[household] if household else None
    staff = grid_staff(row["grid_id"], household) if household else {}
    me = principal().worker_id if principal() else None
    with st.form("gridmap.visit.form", clear_on_submit=True, border=False):
        when_row = st.container(horizontal=True)
        day = when_row.date_input(t("coverage.date", language), as_of, max_value=as_of)
        when = when_row.time_input(t("coverage.time", language),
                                   datetime.now().time().replace(second=0, microsecond=0))
        method = st.segmented_control(t("coverage.method", language), schema.VISIT_METHODS,
                                      default=schema.VISIT_METHODS[0], required=True,
                                      format_func=lambda m: label(m, language, "method"))
        visitor = st.selectbox(t("coverage.visitor", language), list(staff),
                               index=list(staff).index(me) if me in staff else 0,
                               placeholder=t("coverage.pick_first", language),
                               format_func=staff.get)
        note = st.text_area(t("coverage.note", language), height=68)
        found = st.checkbox(t("coverage.found", language))
        submitted = st.form_submit_button(t("coverage.save_visit", language), type="primary",
                                          width="stretch")
    if not submitted:
        return
    if household is None:
        st.error(t("coverage.pick_first", language))
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
    message = t("coverage.saved_visit", language, alias=row["alias"], due=due.date().isoformat())
    if on_saved is None:
        st.success(plain(message))
    else:
        on_saved(message)


def tier_form(households: pd.DataFrame, language: str) -> None:
    """Change a tier with a required reason; shows the household's tier history."""
    household = pick_household(households, language, "gridmap.tier.household")
    row = households.set_index("household_id").loc[household] if household else None
    staff = grid_staff(row["grid_id"], household) if household else {}
    if row is not None:
        st.write(f"{label(row['tier'], language)} → ")
    with st.form("gridmap.tier.form"):
        new = st.selectbox(t("coverage.new_tier", language),
                           [x for x in schema.TIERS if row is None or x != row["tier"]],
                           format_func=lambda k: label(k, language))
        reason = st.text_input(t("coverage.reason", language))
        by = st.selectbox(t("coverage.visitor", language), list(staff), format_func=staff.get,
                          placeholder=t("coverage.pick_first", language))
        submitted = st.form_submit_button(t("coverage.save_tier", language), type="primary")
    if submitted and household is None:
        st.error(t("coverage.pick_first", language))
    elif submitted:
        try:
            store().change_tier(household, new, reason=reason, changed_by=by)
        except GridmapError as exc:
            show_error(exc, language, "coverage.error")
        else:
            st.success(plain(t("coverage.saved_tier", language, alias=row["alias"],
                               tier=label(new, language))))
    if household is None:
        return
    history = read("tier_changes", Area("grid", row["grid_id"]))
    history = history[history["household_id"] == household].sort_values("changed_at",
                                                                         ascending=False)
    names = read("workers").set_index("worker_id")["name"]
    history = history.assign(changed_at=history["changed_at"].dt.strftime("%Y-%m-%d %H:%M"),
                             changed_by=history["changed_by"].map(lambda w: names.get(w, w)))
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
    # Read now: the workbook is built when the button is pressed, outside the page's run,
    # where the session (and so the cached reads) is out of reach.
    services = read_model(date.today()).service_texts(lang=language)

    def build() -> bytes:
        return spreadsheet.xlsx_bytes(ledger.ledger_sheets(
            households, status, grids, workers, assignments, helpers, personal=personal,
            lang=language, services=services))

    def audited() -> None:
        if who.principal.households == FULL:
            who.audit("export_personal", name, households=len(households))

    st.download_button(
        t("map.ledger", language), build, file_name=download_name(name, ".xlsx"),
        on_click=audited,
        key="gridmap.io.ledger",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
