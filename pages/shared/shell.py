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

# The legacy mode answers a path that is no file in pages/ (a typo; /home, which
# Streamlit serves at /) with its English "Page not found" dialog, sent before any of
# gridmap's code runs (runtime/scriptrunner/script_runner.py, _mpa_v1), so common.py's
# Chinese answer cannot replace it: this hides it (no other dialog shows before a login)
# and closes it. It is sent on the import of this module by that first run, before the
# imports below take their second; the shell's st.navigation then says it in Chinese.
_CLOSE_NOT_FOUND = """<style>[data-testid="stDialog"]{visibility:hidden}</style><script>
(() => {
  const close = () => {
    for (const dialog of document.querySelectorAll('[data-testid="stDialog"]')) {
      const title = dialog.querySelector('[slot="title"]');
      const button = dialog.querySelector('button[aria-label="Close"]');
      if (title && button && title.textContent.trim() === "Page not found") {
        button.click();
        return true;
      }
    }
    return false;
  };
  let tries = 0;
  const timer = setInterval(() => { if (close() || ++tries > 100) clearInterval(timer); }, 50);
})();
</script>"""


def _close_legacy_not_found() -> None:
    """In the legacy mode's run of app.py for a path it found no file for: close the
    dialog it sent."""
    ctx = get_script_run_ctx()
    if ctx is None or not PagesManager.uses_pages_directory:
        return
    pages = ctx.pages_manager
    asked = pages.intended_page_name
    running = pages.get_pages().get(pages.current_page_script_hash) or {}
    if asked and running.get("url_pathname") != asked:
        st.sidebar.html(_CLOSE_NOT_FOUND, unsafe_allow_javascript=True)


_close_legacy_not_found()

from gridmap.access import ALL_PAGES, Principal
from gridmap.access import PAGES as ROLE_PAGES
from gridmap.i18n import t
from pages.shared import common as ui
from pages.shared import login

ICONS = {"households": ":material/home_pin:", "overview": ":material/dashboard:",
         "map": ":material/map:",
         "coverage": ":material/fact_check:", "hotspots": ":material/local_fire_department:",
         "cases": ":material/assignment_turned_in:", "needs": ":material/volunteer_activism:",
         "workload": ":material/balance:", "screen": ":material/tv:",
         "admin": ":material/admin_panel_settings:", "import": ":material/upload_file:",
         "assessment": ":material/checklist:", "alerts": ":material/notification_important:",
         "services": ":material/handshake:"}
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


# Where a role's page has its own title (a chief's households are the team's).
ROLE_TITLES = {("households", "chief"): "households.title_team",
               ("households", "admin"): "households.title_all"}


def _pages(names, language: str, role: str | None = None) -> list:
    """The pages, the first served at "/" (the role's home). Its own path (a bookmark,
    a link) opens it too, through a hidden twin: Streamlit serves a default page at "/"
    only, and would answer its path with "Page not found"."""
    def title(name: str) -> str:
        return t(ROLE_TITLES.get((name, role), f"nav.{name}"), language)
    pages = [st.Page(f"pages/{name}.py", title=title(name), icon=icon,
                     url_path="home" if i == 0 else name, default=i == 0)
             for i, (name, icon) in enumerate(names)]
    if names:
        name, icon = names[0]
        pages.append(st.Page(f"pages/{name}.py", title=title(name), icon=icon,
                             url_path=name, visibility="hidden"))
    return pages


# On a phone the open sidebar lies over the page. Streamlit closes it after a tap on a
# page only when the browser says it is a phone; this closes it whenever the window is
# phone-narrow (below Streamlit's 768 px breakpoint), after Streamlit's own handler ran.
# Also: no English hint ("Press Enter to submit form") under the inputs of a form.
_PHONE_NAVIGATION = """<style>[data-testid="InputInstructions"]{display:none}</style><script>
if (!window.gridmapCloseNav) {
  window.gridmapCloseNav = true;
  document.addEventListener("click", (event) => {
    if (!event.target.closest('[data-testid="stSidebarNav"] a')
        || window.innerWidth >= 768) return;
    setTimeout(() => {
      const bar = document.querySelector('[data-testid="stSidebar"]');
      const close = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
      if (bar && close && bar.dataset.collapsed !== "true") close.click();
    }, 50);
  }, true);
}
</script>"""


def _close_navigation_on_phones() -> None:
    st.sidebar.html(_PHONE_NAVIGATION, unsafe_allow_javascript=True)


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
    _close_navigation_on_phones()
    allowed = [(name, ICONS[name]) for name in ROLE_PAGES[who.role]]  # the first: home
    navigation = st.navigation(_pages(allowed, language, who.role),
                               expanded=True)  # no "View more"
    if who.role not in ("screen", "helper"):  # a helper's needs are not filtered by area
        ui.area_selector(language)
    navigation.run()
