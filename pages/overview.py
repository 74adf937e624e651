"""Overview: grids, households by tier, workers and recent visits for the chosen area."""

from pages.shared.shell import enter

enter()  # started alone (the first request after a start): the shell runs this page

import altair as alt
import pandas as pd
import streamlit as st

from gridmap.i18n import label, t
from gridmap.sanitize import plain
from gridmap.style import TIER_COLORS
from pages.shared import common as ui

lang, area = ui.lang(), ui.current_area()
as_of = ui.today()
ov = ui.read_model(as_of).overview(area)  # computed once per data version

st.title(t("overview.title", lang))
st.caption(t("overview.scope", lang, scope=plain(ui.scope_name(area, lang))) + " · "
           + t("overview.as_of", lang, date=as_of.isoformat()))

st.subheader(t("overview.households", lang))
ui.tier_cards(ov.households_by_tier, lang)

left, middle, right = st.columns(3)
with left:
    st.subheader(t("overview.grids", lang))
    st.metric(t("overview.total", lang), f"{ov.grids_by_type.sum():,}")
    for kind, n in ov.grids_by_type.items():
        st.metric(label(kind, lang), f"{n:,}")
with middle:
    st.subheader(t("overview.workers", lang))
    st.metric(t("overview.total", lang), f"{ov.workers_by_kind.sum():,}")
    for kind, n in ov.workers_by_kind.items():
        st.metric(label(kind, lang), f"{n:,}")
with right:
    st.subheader(t("overview.visits", lang))
    st.metric(t("overview.visits_count", lang), f"{ov.visits_last_30_days:,}")
    st.metric(t("overview.visited_households", lang), f"{ov.households_visited_last_30_days:,}")

st.subheader(t("overview.loop", lang))
model = ui.read_model(as_of)
cases, needs = model.case_state(area), model.need_state(area)
c1, c2, c3, c4 = st.columns(4)
c1.metric(t("cases.open_cases", lang), f"{int(cases['is_open'].sum()):,}")
c2.metric(t("overview.cases_overdue", lang), f"{int(cases['overdue'].sum()):,}")
c3.metric(t("needs.waiting", lang), f"{int((needs['stage'] == 'posted').sum()):,}")
posted = len(needs)
c4.metric(t("needs.match_rate", lang),
          f"{100 * needs['claimed_at'].notna().sum() / posted:.1f}%" if posted else "—")
st.page_link("pages/cases.py", label=t("overview.to_cases", lang),
             icon=":material/arrow_forward:")

st.subheader(t("overview.tier_chart", lang))
chart_data = pd.DataFrame({"tier": [label(k, lang) for k in ov.households_by_tier.index],
                           "n": ov.households_by_tier.to_numpy()})
st.altair_chart(
    alt.Chart(chart_data).mark_bar().encode(
        x=alt.X("tier:N", sort=None, title=t("overview.tier", lang)),
        y=alt.Y("n:Q", title=t("overview.count", lang)),
        color=alt.Color("tier:N", legend=None, scale=alt.Scale(
            domain=chart_data["tier"].tolist(), range=list(TIER_COLORS.values())))),
    width="stretch")
