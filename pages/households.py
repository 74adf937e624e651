"""My households (/households): a grid worker's day on a phone. Their households by what
is due, overdue first; one tap opens the visit form for that household, and saving
comes back here with the next due date. A difficulty is reported from the same place."""

from pages.shared.shell import enter

enter()  # started alone (the first request after a start): the shell runs this page

import streamlit as st

from gridmap.i18n import t
from gridmap.sanitize import plain
from pages.shared import casework as cw
from pages.shared import common as ui
from pages.shared import forms

PICK_KEY, MODE_KEY, FLASH_KEY = ("gridmap.households.pick", "gridmap.households.mode",
                                 "gridmap.households.flash")
lang, area, as_of = ui.lang(), ui.current_area(), ui.today()
model = ui.read_model(as_of)
households, _ = model.area_households(area)
rows = model.due_list(area)  # kept by the read model: read-only
team = ui.principal().role != "worker"  # a chief sees the team's households, by worker
if not team:
    rows = rows.drop(columns="worker")

if st.session_state.get(MODE_KEY) == "report" and cw.FLASH_KEY in st.session_state:
    st.session_state.pop(PICK_KEY, None)  # a report was saved: back to the list
picked = st.session_state.get(PICK_KEY)
if picked not in set(rows["household_id"]):
    picked = None
forms.household_style()


def back() -> None:
    st.session_state.pop(PICK_KEY, None)


def saved(message: str) -> None:
    st.session_state[FLASH_KEY] = message
    back()
    st.rerun()


if picked is None:  # the list
    st.title(t({"worker": "households.title", "chief": "households.title_team"}.get(
        ui.principal().role, "households.title_all"), lang))
    if message := st.session_state.pop(FLASH_KEY, None):
        st.success(plain(message))
    cw.flash()
    if rows.empty:
        st.info(t("households.none", lang))
        st.stop()
    count = rows["group"].value_counts()
    st.caption(t("households.summary", lang, **{g: int(count.get(g, 0))
                                               for g in ("overdue", "today", "week")})
               + " · " + t("households.tap", lang))
    chosen = forms.household_list(rows, lang, limit=300)
    if chosen is not None:
        st.session_state[PICK_KEY], st.session_state[MODE_KEY] = chosen, "visit"
        st.rerun()
    if len(rows) > 300:
        st.caption(t("households.more", lang, n=f"{len(rows) - 300:,}"))
    st.stop()

row = rows.set_index("household_id").loc[picked]
mode = st.session_state.get(MODE_KEY, "visit")
top = st.container(horizontal=True, vertical_alignment="center")
top.button(t("households.back", lang), icon=":material/arrow_back:", type="tertiary",
           on_click=back, key="gridmap.households.back")
other = "report" if mode == "visit" else "visit"
if ui.may("report_case" if other == "report" else "append_visit") and top.button(
        t(f"households.{other}", lang), key="gridmap.households.other",
        icon=":material/report:" if other == "report" else ":material/edit_note:"):
    st.session_state[MODE_KEY] = other
    st.rerun()
forms.household_heading(row, households, lang)
one = households[households["household_id"] == picked]
if mode == "report":
    cw.report_form(one, ui.read("grids", area), lang, as_of, household=picked)
else:
    forms.visit_form(one, lang, as_of, household=picked, on_saved=saved)
