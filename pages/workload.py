"""Workload: who carries too much, and a better assignment the chief can accept.

A chief lands here (their first page), on their team in their own area: one click
proposes a rebalancing, the maps show what it changes, and accepting signs it with
the logged-in account. The parts are in ``pages/shared/workload.py``."""

from pages.shared.shell import enter

enter()  # started alone (the first request after a start): the shell runs this page

import streamlit as st

from gridmap.i18n import t
from pages.shared import common as ui
from pages.shared import workload as parts

lang, area, as_of = ui.lang(), ui.current_area(), ui.today()
policy = ui.policy()
st.title(t("workload.title", lang))
ui.breadcrumb(area, lang)
if flash := st.session_state.pop(parts.FLASH_KEY, None):
    st.success(flash)

table, scope = parts.team_and_scope(area, as_of, lang)
if table.empty:
    who = ui.principal()
    st.info(t("workload.no_team" if who.role == "chief" else "workload.no_workers", lang))
    st.stop()
parts.headline(table, policy, lang)
if scope is not None:
    parts.propose_button(scope, policy, as_of, lang)

view = ui.view_choice(["load", "areas", "rebalance"], "workload", lang)
if view == "load":
    parts.load_view(table, scope, area, as_of, lang)
elif view == "areas":
    parts.areas_view(table, area, policy, as_of, lang)
else:
    parts.rebalance_view(scope, area, table, policy, as_of, lang)
