"""Streamlit-side helpers shared by the pages: language, store, caching, area selector.

This is the only place that keeps gridmap's state in ``st.session_state``; the
keys it uses are the constants below.
"""

from __future__ import annotations

import html
from datetime import date

import pandas as pd
import streamlit as st

from gridmap import places, schema
from gridmap._errors import GridmapError
from gridmap.demo import build_demo, default_as_of
from gridmap.i18n import label, normalise_language, t
from gridmap.settings import store_url
from gridmap.store import Area, Store, open_store
from gridmap.style import TIER_COLORS

LANG_KEY = "gridmap.lang"
AREA_KEY = "gridmap.area"
_LEVEL_KEYS = {level: f"gridmap.area.{level}" for level in schema.LEVELS}
_ALL = ""


def lang() -> str:
    """The UI language: the session's choice, first taken from ``?lang=``."""
    if LANG_KEY not in st.session_state:
        st.session_state[LANG_KEY] = normalise_language(st.query_params.get("lang"))
    return st.session_state[LANG_KEY]


def language_switch() -> str:
    """The sidebar's 中文/English switch; keeps ``?lang=`` in the URL."""
    current = lang()  # seeds the widget's state from ?lang= on the first run
    st.sidebar.radio(t("app.language", current), ["zh", "en"], key=LANG_KEY, horizontal=True,
                     format_func={"zh": "中文", "en": "English"}.get)
    current = st.session_state[LANG_KEY]
    st.query_params["lang"] = current
    return current


@st.cache_resource
def _store(url: str) -> Store:
    return open_store(url)


def store() -> Store:
    """The store this app serves (``$GRIDMAP_STORE`` or ``data/gridmap.gpkg``)."""
    return _store(store_url())


def ready_store(language: str) -> Store:
    """The store, building the city demo into it first if it is empty (first run)."""
    s = store()
    if s.exists():
        return s
    with st.status(t("app.building_demo", language), expanded=True) as status:
        bar = st.progress(0.0)
        frames = build_demo("city", as_of=default_as_of(),
                            progress=lambda f, msg: bar.progress(min(f, 1.0), text=msg))
        s.init(frames, overwrite=True)
        status.update(label=t("app.demo_ready", language), state="complete", expanded=False)
    return s


@st.cache_data(show_spinner=False, max_entries=64)
def _read(url: str, version: str, layer: str, area: str | None) -> pd.DataFrame:
    return open_store(url).read(layer, area=Area.parse(area) if area else None)


def read(layer: str, area: Area | None = None) -> pd.DataFrame:
    """One layer for ``area``, cached until the store changes."""
    s = store()
    return _read(s.url, s.version(), layer, str(area) if area else None)


def current_area() -> Area | None:
    """The area chosen in the sidebar (``None`` = everything)."""
    return st.session_state.get(AREA_KEY)


def _clear_below(level: str) -> None:
    for lower in schema.LEVELS[schema.LEVELS.index(level) + 1:]:
        st.session_state.pop(_LEVEL_KEYS[lower], None)


def area_selector(language: str) -> Area | None:
    """District -> street -> community -> grid selectors in the sidebar; ``?area=`` in the URL."""
    areas, grids = read("areas"), read("grids")
    if AREA_KEY not in st.session_state and st.query_params.get("area"):
        try:
            chain = places.lineage(areas, grids, Area.parse(st.query_params["area"]))
        except GridmapError:
            chain = []
        for a in chain:
            st.session_state[_LEVEL_KEYS[a.level]] = a.id
    st.sidebar.subheader(t("app.area", language))
    parent: Area | None = None
    chosen: Area | None = None
    for level in schema.LEVELS:
        options = places.children(areas, grids, parent)
        if options.empty:
            break
        names = dict(zip(options["id"], options["name"], strict=True))
        key = _LEVEL_KEYS[level]
        if st.session_state.get(key) not in names:
            st.session_state[key] = _ALL
        picked = st.sidebar.selectbox(
            t(f"level.{level}", language), [_ALL, *names], key=key,
            format_func=lambda v, n=names: t("app.all", language) if v == _ALL else n[v],
            on_change=_clear_below, args=(level,))
        if picked == _ALL:
            break
        chosen = parent = Area(level, picked)
    st.session_state[AREA_KEY] = chosen
    if chosen:
        st.query_params["area"] = str(chosen)
    else:
        st.query_params.pop("area", None)
    return chosen


def scope_name(area: Area | None, language: str) -> str:
    """'丹徒区 › 高资镇' style path of the current area."""
    if area is None:
        return t("overview.whole_city", language)
    areas, grids = read("areas"), read("grids")
    return " › ".join(places.name_of(areas, grids, a)
                      for a in places.lineage(areas, grids, area))


def tier_cards(counts: pd.Series, language: str) -> None:
    """Four coloured figures, red to green."""
    cells = "".join(
        f'<div style="flex:1;border-left:8px solid {TIER_COLORS[tier]};padding:0.4rem 0.8rem;'
        f'background:{TIER_COLORS[tier]}14;border-radius:4px">'
        f'<div style="font-size:0.9rem">{html.escape(label(tier, language))}</div>'
        f'<div style="font-size:2rem;font-weight:600">{int(counts[tier]):,}</div></div>'
        for tier in schema.TIERS)
    st.html(f'<div style="display:flex;gap:0.8rem" data-testid="tier-cards">{cells}</div>')


def today() -> date:
    """The reference day for 'last 30 days' figures."""
    return date.today()
