"""The shell every page runs in: language, login, navigation, the area filter.

``app.py`` calls ``main``; each page file starts with ``enter()``.

With a ``pages/`` folder beside the entry script, Streamlit starts in its legacy
multipage mode: the first request after a start (and every AppTest run) runs the page
the URL names by itself, ``/map`` without ``app.py``. That page hands over to the
shell, which registers its navigation (ending that mode for good) and runs the page
inside it. The shell's own widgets are keyed as when ``app.py`` runs them, so the login
form is the same form in every run and a first click is never lost. Helpers live in
``pages/shared/``, which that mode never lists as pages.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx

from gridmap.access import ALL_PAGES, Principal
from gridmap.i18n import t
from pages.shared import common as ui
from pages.shared import login

ICONS = {"overview": ":material/dashboard:", "map": ":material/map:",
         "coverage": ":material/fact_check:", "hotspots": ":material/local_fire_department:",
         "cases": ":material/assignment_turned_in:", "needs": ":material/volunteer_activism:",
         "workload": ":material/balance:", "screen": ":material/tv:",
         "admin": ":material/admin_panel_settings:", "import": ":material/upload_file:",
         "assessment": ":material/checklist:"}
PAGES = [(name, ICONS[name]) for name in ALL_PAGES]  # (file and url path, icon)


def _legacy_mode() -> bool:
    """Whether Streamlit's legacy multipage mode is running this script."""
    return bool(PagesManager.uses_pages_directory)


def enter() -> None:
    """The first statement of every page: a page started by itself hands over to the
    shell, which runs it, and stops there (outside the legacy mode, pages only ever
    run inside the shell)."""
    if _legacy_mode():
        main()
        st.stop()


def _pages(names, language: str) -> list:
    return [st.Page(f"pages/{name}.py", title=t(f"nav.{name}", language), icon=icon,
                    url_path=name, default=i == 0) for i, (name, icon) in enumerate(names)]


def main() -> None:
    """Set the page up, log in (or take a screen's token), and run the page asked for."""
    if not _legacy_mode():
        _shell()
        return
    # Run as app.py runs: Streamlit keys widgets by the script running them.
    ctx = get_script_run_ctx()
    with ctx.run_with_active_hash(ctx.pages_manager.main_script_hash):
        _shell()


def _shell() -> None:
    st.set_page_config(page_title="gridmap", page_icon="🗺️", layout="wide")
    # A screen logs in unattended with ?token=; the session stays a screen's for good
    # (the token is kept in it: switching pages drops the query).
    token = st.query_params.get("token") or st.session_state.get(ui.TOKEN_KEY)
    if token is not None:  # the screen page and nothing else
        language = ui.lang()
        ui.ready_store(language)
        if login.token_role(token) != "screen":
            ui.logout()
            st.error(t("screen.bad_token", language))
            st.stop()
        st.session_state[ui.TOKEN_KEY] = token
        if ui.principal() is None:
            ui.log_in(Principal("screen-token", "screen"))
        kiosk = st.Page("pages/screen.py", title=t("nav.screen", language), url_path="screen")
        st.navigation([st.Page(lambda: st.switch_page(kiosk), title=t("nav.screen", language),
                               url_path="home", default=True), kiosk],
                      position="hidden").run()
        st.stop()

    language = ui.language_switch()
    ui.ready_store(language)
    # Login is on by default (demo accounts are in the README); the page follows a
    # successful login in the same run. The form's place is kept in every run, so the
    # page below it never moves (a moved element would lose its state, e.g. the open tab).
    login_box = st.empty()
    who = ui.principal() or login.login_form(language, login_box)
    if who is None:
        # Every page is known (none runs, none is listed), so the page the URL asked for
        # is the one shown after the login, with its query.
        st.navigation(_pages(PAGES, language), position="hidden")
        st.stop()
    login.account_box(language)
    allowed = [(name, icon) for name, icon in PAGES if who.may_open(name)]
    navigation = st.navigation(_pages(allowed, language))
    if who.role != "screen":
        ui.area_selector(language)
    navigation.run()
