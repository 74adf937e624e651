"""gridmap: the Streamlit entry point (navigation, language, area filter).

Run with ``streamlit run app.py``. On first run it builds the city demo store.
"""

import streamlit as st

from app_pages import _common as ui
from gridmap.i18n import t

st.set_page_config(page_title="gridmap", page_icon="🗺️", layout="wide")

# A screen logs in unattended with ?token=; the session stays a screen's for good (the
# token is kept in it: switching pages drops the query).
token = st.query_params.get("token") or st.session_state.get(ui.TOKEN_KEY)
if token is not None:  # a screen logging in unattended: the screen page and nothing else
    language = ui.lang()
    ui.ready_store(language)
    if ui.token_role(token) != "screen":
        st.error(t("screen.bad_token", language))
        st.stop()
    st.session_state[ui.TOKEN_KEY] = token
    kiosk = st.Page("app_pages/screen.py", title=t("nav.screen", language), url_path="screen")
    st.navigation([st.Page(lambda: st.switch_page(kiosk), title=t("nav.screen", language),
                           url_path="home", default=True), kiosk], position="hidden").run()
    st.stop()

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
    st.Page("app_pages/screen.py", title=t("nav.screen", language), icon=":material/tv:",
            url_path="screen"),
    st.Page("app_pages/admin.py", title=t("nav.admin", language),
            icon=":material/admin_panel_settings:", url_path="admin"),
    st.Page("app_pages/assessment.py", title=t("nav.assessment", language),
            icon=":material/checklist:", url_path="assessment"),
])
ui.area_selector(language)
navigation.run()
