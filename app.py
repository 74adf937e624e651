"""gridmap: the Streamlit entry point (navigation, language, area filter).

Run with ``streamlit run app.py``. On first run it builds the city demo store.
"""

import streamlit as st

from app_pages import _common as ui
from gridmap.i18n import t

st.set_page_config(page_title="gridmap", page_icon="🗺️", layout="wide")

language = ui.language_switch()
ui.ready_store(language)
navigation = st.navigation([
    st.Page("app_pages/overview.py", title=t("nav.overview", language), icon=":material/dashboard:",
            url_path="overview", default=True),
    st.Page("app_pages/map.py", title=t("nav.map", language), icon=":material/map:",
            url_path="map"),
    st.Page("app_pages/coverage.py", title=t("nav.coverage", language),
            icon=":material/fact_check:", url_path="coverage"),
    st.Page("app_pages/hotspots.py", title=t("nav.hotspots", language),
            icon=":material/local_fire_department:", url_path="hotspots"),
    st.Page("app_pages/cases.py", title=t("nav.cases", language),
            icon=":material/assignment_turned_in:", url_path="cases"),
    st.Page("app_pages/needs.py", title=t("nav.needs", language),
            icon=":material/volunteer_activism:", url_path="needs"),
    st.Page("app_pages/workload.py", title=t("nav.workload", language),
            icon=":material/balance:", url_path="workload"),
    st.Page("app_pages/assessment.py", title=t("nav.assessment", language),
            icon=":material/checklist:", url_path="assessment"),
])
ui.area_selector(language)
navigation.run()
