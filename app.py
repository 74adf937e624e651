"""gridmap: the Streamlit entry point (navigation, language, area filter).

Run with ``streamlit run app.py``. On first run it builds the city demo store.
"""

import streamlit as st

from app_pages import _common as ui
from app_pages import _login as login
from gridmap.access import Principal
from gridmap.i18n import t

st.set_page_config(page_title="gridmap", page_icon="🗺️", layout="wide")

# A screen logs in unattended with ?token=; the session stays a screen's for good (the
# token is kept in it: switching pages drops the query).
token = st.query_params.get("token") or st.session_state.get(ui.TOKEN_KEY)
if token is not None:  # a screen logging in unattended: the screen page and nothing else
    language = ui.lang()
    ui.ready_store(language)
    if login.token_role(token) != "screen":
        ui.logout()
        st.error(t("screen.bad_token", language))
        st.stop()
    st.session_state[ui.TOKEN_KEY] = token
    if ui.principal() is None:
        ui.log_in(Principal("screen-token", "screen"))
    kiosk = st.Page("app_pages/screen.py", title=t("nav.screen", language), url_path="screen")
    st.navigation([st.Page(lambda: st.switch_page(kiosk), title=t("nav.screen", language),
                           url_path="home", default=True), kiosk], position="hidden").run()
    st.stop()

PAGES = [  # (file, url path, icon)
    ("overview", ":material/dashboard:"), ("map", ":material/map:"),
    ("coverage", ":material/fact_check:"), ("hotspots", ":material/local_fire_department:"),
    ("cases", ":material/assignment_turned_in:"), ("needs", ":material/volunteer_activism:"),
    ("workload", ":material/balance:"), ("screen", ":material/tv:"),
    ("admin", ":material/admin_panel_settings:"), ("import", ":material/upload_file:"),
    ("assessment", ":material/checklist:"),
]


def pages(names) -> list:
    return [st.Page(f"app_pages/{name}.py", title=t(f"nav.{name}", language), icon=icon,
                    url_path=name, default=i == 0) for i, (name, icon) in enumerate(names)]


language = ui.language_switch()
ui.ready_store(language)
# Login is on by default (demo accounts are in the README); the page follows a
# successful login in the same run. The form's place is kept in every run, so the page
# below it never moves (a moved element would lose its state, e.g. the open tab).
login_box = st.empty()
who = ui.principal() or login.login_form(language, login_box)
if who is None:
    # Every page is known (none runs, none is listed), so the page the URL asked for is
    # the one shown after the login, with its query.
    st.navigation(pages(PAGES), position="hidden")
    st.stop()
login.account_box(language)
allowed = [(name, icon) for name, icon in PAGES if who.may_open(name)]
navigation = st.navigation(pages(allowed))
if who.role != "screen":
    ui.area_selector(language)
navigation.run()
