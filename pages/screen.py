"""The presentation screen (大屏): aggregates only, rotating and refreshing by itself.

``?rotate=SECONDS`` (default 20) and ``?refresh=SECONDS`` (default 30) set the pace.
A screen opened with ``?token=`` re-checks its token on every refresh, so revoking
it ends the session at the next refresh.
"""

from pages.shared.shell import enter

enter()  # started alone (the first request after a start): the shell runs this page

from datetime import datetime, timedelta

import streamlit as st

from gridmap.i18n import t
from pages.shared import common as ui
from pages.shared import login as login
from pages.shared import screen as screen


def _seconds(param: str, default: int) -> timedelta:
    try:
        value = int(st.query_params.get(param, default))
    except ValueError:
        value = default
    return timedelta(seconds=min(max(value, 2), 3600))


lang, as_of = ui.lang(), ui.today()
st.html(screen.KIOSK_CSS)


@st.fragment(run_every=_seconds("refresh", 30))
def figures() -> None:
    if not login.token_still_valid():
        st.rerun(scope="app")
    st.html(f'<div class="gm-title">{t("screen.title", lang)}'
            f'<small>{t("screen.updated", lang, time=datetime.now().strftime("%Y-%m-%d %H:%M:%S"))}'
            "</small></div>")
    st.html(screen.figures_html(as_of, lang))


@st.fragment(run_every=_seconds("rotate", 20))
def rotating() -> None:
    turn = st.session_state.get("gridmap.screen.turn", -1) + 1
    st.session_state["gridmap.screen.turn"] = turn
    view = screen.VIEWS[turn % len(screen.VIEWS)]
    st.html(f'<div class="gm-panel-title">{t(f"screen.view.{view}", lang)}</div>')
    if view == "map":  # the city is about as wide as high: the rest of the row beside it
        left, right = st.columns([1.55, 1], vertical_alignment="center")
        left.image(screen.map_png(as_of, lang), width="stretch")
        right.html(screen.map_side_html(as_of, lang))
    else:
        st.html(getattr(screen, f"{view}_html")(as_of, lang))


figures()
rotating()
