"""Streamlit-side helpers shared by the pages: language, who is logged in, the store,
the read model and the one caching decorator (``data_cache``), the area selector. (The
login itself is in ``login``.)

This is the only place that keeps gridmap's state in ``st.session_state``; the
keys it uses are the constants below.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import html
import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta

import pandas as pd
import streamlit as st

from gridmap import places, schema
from gridmap.access import Principal
from gridmap.demo import build_demo, default_as_of
from gridmap.errors import GridmapError
from gridmap.guard import GuardedStore
from gridmap.i18n import label, normalise_language, t
from gridmap.places import Area
from gridmap.readmodel import ReadModel
from gridmap.reasons import error_text
from gridmap.sanitize import plain
from gridmap.settings import store_url
from gridmap.store import Store, open_store
from gridmap.style import TIER_COLORS

LANG_KEY = "gridmap.lang"
AREA_KEY = "gridmap.area"
PENDING_AREA_KEY = "gridmap.area.pending"  # set by clicks and search, applied next run
_LEVEL_KEYS = {level: f"gridmap.area.{level}" for level in schema.LEVELS}
_ALL = ""
TOKEN_KEY = "gridmap.token"  # a screen's device token, kept for the session
PRINCIPAL_KEY, LOGIN_AT_KEY, EXPIRED_KEY = "gridmap.principal", "gridmap.login_at", \
    "gridmap.expired"
# Data caches are keyed by the store's version: old versions age out, and the caps
# bound memory while data keep changing (bench/bench_screen.py measures it).
CACHE_TTL = timedelta(minutes=10)
READ_MODELS = 4  # read models kept at once: (principal, data version, day)


def _page_not_found(ctx) -> None:
    """Streamlit's answer to a path that is no page of this account (a typo, or a page of
    another role), in the page's language instead of its English dialog; the account's
    start page runs as before."""
    st.toast(t("app.page_not_found", lang()), icon=":material/info:")


# st.navigation looks this up when the path names none of its pages (Streamlit 1.67).
with contextlib.suppress(ImportError, AttributeError):
    import streamlit.commands.navigation as _navigation
    if hasattr(_navigation, "send_page_not_found"):
        _navigation.send_page_not_found = _page_not_found


def uploader_words(language: str) -> None:
    """Streamlit's file uploader speaks English ("Upload", "200MB per file", "Drag and
    drop a file here") and has no option for it in 1.67: its words are replaced by
    ours, in the page's language, with CSS (call before the uploader)."""
    limit = int(st.get_option("server.maxUploadSize"))
    button = t("app.upload", language).replace('"', "")
    hint = t("app.upload_limit", language, mb=limit).replace('"', "")
    drop = t("app.upload_drop", language).replace('"', "")
    st.html(f"""<style>
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p {{
  font-size: 0; }}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {{
  content: "{button}"; font-size: 0.875rem; }}
[data-testid="stFileUploaderDropzoneInstructions"] span {{ font-size: 0; }}
[data-testid="stFileUploaderDropzoneInstructions"] span::before {{
  content: "{hint}"; font-size: 0.875rem; }}
[data-testid="stFileUploaderDropzone"] > div:not([data-testid]) span {{ font-size: 0; }}
[data-testid="stFileUploaderDropzone"] > div:not([data-testid]) span::before {{
  content: "{drop}"; font-size: 1rem; }}
</style>""")


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


def raw_store() -> Store:
    """The store this app serves (``$GRIDMAP_STORE`` or ``data/gridmap.gpkg``), unguarded:
    only for logging in and first-run set-up."""
    return _store(store_url())


@st.cache_resource(show_spinner=False, max_entries=256)
def _guarded(url: str, principal: Principal) -> GuardedStore:
    return GuardedStore(_store(url), principal)


def principal() -> Principal | None:
    """Who is logged in to this session (``None`` when nobody, or the login expired)."""
    who = st.session_state.get(PRINCIPAL_KEY)
    since = st.session_state.get(LOGIN_AT_KEY)
    if who is None:
        return None
    if who.role != "screen" and since is not None and (
            datetime.now() - since > timedelta(minutes=policy().accounts.session_minutes)):
        logout(expired=True)
        return None
    return who


def log_in(who: Principal) -> None:
    st.session_state[PRINCIPAL_KEY] = who
    st.session_state[LOGIN_AT_KEY] = datetime.now()


def logout(*, expired: bool = False) -> None:
    for key in (PRINCIPAL_KEY, LOGIN_AT_KEY, TOKEN_KEY):
        st.session_state.pop(key, None)
    if expired:
        st.session_state[EXPIRED_KEY] = True


def may(write: str) -> bool:
    """Whether the logged-in principal may make this write (forms for it show only then;
    the guarded store refuses it anyway)."""
    who = principal()
    return who is not None and who.may(write)


def store() -> GuardedStore:
    """The store as the logged-in principal may see and change it. Pages use only this."""
    who = principal()
    if who is None:
        raise RuntimeError("nobody is logged in")
    return _guarded(store_url(), who)


def ready_store(language: str) -> Store:
    """The store, brought up to this gridmap's schema if an earlier one made it (the
    explicit upgrade, ``Store.upgrade``), or with the city demo built into it first if it
    is empty (first run)."""
    s = raw_store()
    if s.exists():
        try:
            s.upgrade()  # nothing to do, quickly, once it is current
        except GridmapError as exc:
            st.error(plain(t("app.store_error", language, error=str(exc))))
            st.stop()
        return s
    path = getattr(s, "path", None)
    if path is not None and path.exists():  # never overwrite a file that is not ours
        st.error(plain(t("app.store_error", language, error=f"{path} is not a gridmap store")))
        st.stop()
    with st.status(t("app.building_demo", language), expanded=True) as status:
        bar = st.progress(0.0, text=t("demo.step.places", language))
        frames = build_demo("city", as_of=default_as_of(), progress=lambda f, step: bar.progress(
            min(f, 1.0), text=t(f"demo.step.{step}", language)))
        s.init(frames, overwrite=True)
        status.update(label=t("app.demo_ready", language), state="complete", expanded=False)
    return s


def _settle() -> None:
    """After a new cached value: collect, then freeze what is alive (modules, cached
    figures) out of the garbage collector's way. Streamlit runs a full collection after
    every script run (``runner.postScriptGC``), which otherwise walks every long-lived
    object each time: 0.15-0.3 s of CPU a run, two thirds of a cached /map view
    (bench/bench_load.py, issue 22). Unfrozen first, so entries that aged out are
    collected here."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def data_cache(*, max_entries: int, ttl: timedelta = CACHE_TTL) -> Callable:
    """Cache a function of the data the logged-in principal sees: its key is the
    function's arguments plus the guarded store's url (which names the principal) and
    the data version, so a change to the data starts new entries and old ones age out
    (``ttl``, ``max_entries`` bound memory). Nothing in it depends on the session, so
    the caches outlive a login.

    Values are shared between reruns and sessions, not copied (``cache_resource``, not
    ``cache_data``): callers treat them as read-only and build new frames from them.
    """
    def decorate(fn: Callable) -> Callable:
        def keyed(url: str, version: str, *args, **kwargs):
            value = fn(*args, **kwargs)
            _settle()
            return value
        # Streamlit names a cache by module, qualified name and source: one per function.
        keyed.__module__, keyed.__qualname__ = fn.__module__, f"{fn.__qualname__}.keyed"
        cached = st.cache_resource(show_spinner=False, max_entries=max_entries,
                                   ttl=ttl)(keyed)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            s = store()
            return cached(s.url, s.version(), *args, **kwargs)
        wrapper.clear = cached.clear
        return wrapper
    return decorate


def read(layer: str, area: Area | None = None) -> pd.DataFrame:
    """One layer for ``area``, kept by today's read model until the data change (a
    logged visit only adds its rows, ``ReadModel.advanced``). Read-only: do not modify.
    Tokens, accounts, audit and login failures are read fresh (their changes leave the
    version alone)."""
    if layer in schema.BOOKKEEPING:
        return store().read(layer, area=area)
    return read_model(today()).frame(layer, area)


class _StoreReads:
    """The app's reader for the read model: the guarded store of whoever asks (the
    model keeps what it read)."""

    def __init__(self, guarded: GuardedStore) -> None:
        self.guarded = guarded

    def read(self, layer: str, *, area: Area | None = None) -> pd.DataFrame:
        return self.guarded.read(layer, area=area)


# The latest model per (guarded store url, day), with the store's mark of it: the next
# data version starts from it when only visits were added (issue 23).
_LATEST: dict[tuple[str, date], tuple[tuple[str, int], ReadModel]] = {}
_LATEST_LOCK = threading.Lock()


def _advanced(s: GuardedStore, as_of: date, mark: tuple[str, int] | None
              ) -> ReadModel | None:
    """Today's model of the previous data version moved on by the visits added since,
    if those were the only change (``Store.appended``); else ``None``."""
    with _LATEST_LOCK:
        last = _LATEST.get((s.url, as_of))
    if last is None or mark is None or s.principal.role == "helper":
        return None
    (since, rows_then), model = last
    if since == mark[0]:
        return model
    added = s.inner.appended("visits", since, mark[0], rows_then)
    if added is None:
        return None
    added = s._mask("visits", s.reach().rows("visits", added)).reset_index(drop=True)
    moved = model.advanced(_StoreReads(s), added)
    model.forget()  # nobody asks for the old version again: its frames may go
    return moved


@data_cache(max_entries=READ_MODELS)
def read_model(as_of: date) -> ReadModel:
    """Every figure of the data the logged-in principal sees on ``as_of``
    (``gridmap.readmodel``), each computed once per data version. After a write that
    only added visits, the previous version's model moves on by their rows instead of
    starting again. Read-only."""
    s = store()
    marking = getattr(s.inner, "mark", None)
    mark = marking("visits") if marking else None
    model = _advanced(s, as_of, mark) or ReadModel(_StoreReads(s), policy(), as_of)
    if mark is not None:
        with _LATEST_LOCK:
            _LATEST[(s.url, as_of)] = (mark, model)
            while len(_LATEST) > READ_MODELS:  # bounded: the oldest go
                _LATEST.pop(next(iter(_LATEST)))
    return model


def current_area() -> Area | None:
    """The area chosen in the sidebar (``None`` = everything)."""
    return st.session_state.get(AREA_KEY)


def _clear_below(level: str) -> None:
    for lower in schema.LEVELS[schema.LEVELS.index(level) + 1:]:
        st.session_state.pop(_LEVEL_KEYS[lower], None)


def home_area() -> Area | None:
    """The area the logged-in account covers (a leader's district; a chief's team's or
    a worker's own area, ``teams.team_area`` of the grids they see), ``None`` for the
    whole city: where its pages start, and what they are labelled with."""
    who = principal()
    if who is not None and who.role in ("chief", "worker") and not who.scope:
        from gridmap.teams import team_area
        return team_area(read("grids"))  # the guarded read: the team's grids only
    if who is None or not who.scope:
        return None
    with contextlib.suppress(GridmapError):
        return Area.parse(who.scope)
    return None


def area_selector(language: str) -> Area | None:
    """District -> street -> community -> grid selectors in the sidebar; ``?area=`` in the URL."""
    areas, grids = read("areas"), read("grids")
    target: Area | None = None
    apply = False
    if PENDING_AREA_KEY in st.session_state:
        target, apply = st.session_state.pop(PENDING_AREA_KEY), True
    elif AREA_KEY not in st.session_state and st.query_params.get("area"):
        with contextlib.suppress(GridmapError):
            target, apply = Area.parse(st.query_params["area"]), True
    elif AREA_KEY not in st.session_state and home_area() is not None:
        target, apply = home_area(), True  # an account with one area starts in it
    if apply:
        for key in _LEVEL_KEYS.values():
            st.session_state.pop(key, None)
        for a in places.lineage(areas, grids, target):
            st.session_state[_LEVEL_KEYS[a.level]] = a.id
    st.sidebar.subheader(t("app.area", language))
    # The account's own area and those above it are fixed: one value, preselected.
    home = home_area()
    fixed = {a.level: a.id for a in places.lineage(areas, grids, home)} if home else {}
    parent: Area | None = None
    chosen: Area | None = None
    for level in schema.LEVELS:
        options = places.children(areas, grids, parent)
        if options.empty:
            break
        names = dict(zip(options["id"], options["name"], strict=True))
        key = _LEVEL_KEYS[level]
        if fixed.get(level) in names:
            st.session_state[key] = fixed[level]
        elif st.session_state.get(key) not in names:
            st.session_state[key] = _ALL
        everything = (top_name(language) if parent is None
                      else t("app.all_in", language, scope=places.name_of(areas, grids, parent)))
        picked = st.sidebar.selectbox(
            t(f"level.{level}", language),
            [fixed[level]] if fixed.get(level) in names else [_ALL, *names], key=key,
            format_func=lambda v, n=names, e=everything: e if v == _ALL else n[v],
            disabled=fixed.get(level) in names, on_change=_clear_below, args=(level,))
        if picked == _ALL:
            break
        chosen = parent = Area(level, picked)
    st.session_state[AREA_KEY] = chosen
    if chosen:
        st.query_params["area"] = str(chosen)
    else:
        st.query_params.pop("area", None)
    return chosen


def go_to(area: Area | None, *, rerun: bool = True) -> None:
    """Move the whole app to ``area`` (from a map click, a breadcrumb or a search)."""
    st.session_state[PENDING_AREA_KEY] = area
    if rerun:
        st.rerun()


def url_choice(param: str, options: list[str], default: str) -> str:
    """A choice kept in the URL query (``?param=``) so a view can be bookmarked."""
    value = st.query_params.get(param, default)
    return value if value in options else default


def view_choice(views: list[str], prefix: str, lang: str) -> str:
    """A row of buttons choosing one view of a page, kept in ``?view=``; only the
    chosen view runs (a map built in a hidden tab would have no size)."""
    shown = st.segmented_control(" ", views, default=url_choice("view", views, views[0]),
                                 format_func=lambda k: t(f"{prefix}.tab.{k}", lang),
                                 label_visibility="collapsed",
                                 key=f"gridmap.{prefix}.view") or views[0]
    st.query_params["view"] = shown
    return shown


@data_cache(max_entries=8)
def _top() -> tuple[str, str | None]:
    from gridmap.summary import top_name as named
    return named(read("areas"), store().meta())


def top_name(language: str) -> str:
    """The top of the area hierarchy as the pages name it: 全省 for a province's store
    (several cities), the city's name for one city (全市 when the store has none)."""
    kind, name = _top()
    if kind == "province":
        return t("overview.whole_province", language)
    return name if name and language == "zh" else t("overview.whole_city", language)


def scope_name(area: Area | None, language: str) -> str:
    """'丹徒区 › 高资镇' style path of the current area (nothing chosen: the account's
    own area, or the whole city)."""
    area = area or home_area()
    if area is None:
        return top_name(language)
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


@st.cache_resource
def policy():
    """The policy file in force (``data/policy.toml``)."""
    from gridmap.policy import load_policy
    return load_policy()


def labelled(frame: pd.DataFrame, language: str) -> pd.DataFrame:
    """A table ready to show: localised headers and values."""
    from gridmap.i18n import localise_frame
    return localise_frame(frame, language, prefix="map.col.")


def breadcrumb(area: Area | None, language: str, hint: str | None = None) -> None:
    """全市 › district › street › ...: one compact path, each step a button that goes
    back up (the last, where the page is, disabled); ``hint`` in small print after it."""
    home = home_area()
    chain = places.lineage(read("areas"), read("grids"), area or home) if area or home else []
    # An account with one area starts there: no "whole city" step above it.
    steps = [] if home else [(None, top_name(language))]
    steps += [(a, places.name_of(read("areas"), read("grids"), a)) for a in chain]
    path = st.container(horizontal=True, gap="small", vertical_alignment="center")
    for i, (target, name) in enumerate(steps):
        if path.button(("› " if i else "") + plain(name), key=f"gridmap.crumb.{i}",
                       disabled=i == len(steps) - 1, type="tertiary"):
            go_to(target)
    if hint:
        path.caption(hint)


def _search_changed() -> None:
    picked = st.session_state.get("gridmap.search.pick")
    if picked:
        go_to(Area("grid", picked), rerun=False)
        st.session_state["gridmap.search.pick"] = None


def grid_search(language: str) -> None:
    """Find a grid by id or name (typing filters the list) and jump to it."""
    grids = read("grids")
    names = dict(zip(grids["grid_id"], grids["name"], strict=True))
    st.selectbox(t("map.search", language), list(names), index=None,
                 format_func=lambda g: f"{names[g]} · {g}", key="gridmap.search.pick",
                 placeholder=t("map.search_placeholder", language),
                 on_change=_search_changed)


@data_cache(max_entries=8)
def _folium_map(area: Area | None, indicator: str, scheme: str, tiers: tuple,
                categories: tuple, as_of: date, language: str, tiles, unit_level: str | None):
    from gridmap.render.webmap import build_map
    view = read_model(as_of).map_view(area, indicator, scheme, tiers, categories, unit_level)
    return build_map(view, lang=language, tiles=tiles)


def folium_map(area: Area | None, indicator: str, scheme: str, tiers: tuple,
               categories: tuple, as_of: date, language: str, tiles=None,
               unit_level: str | None = None):
    """The folium map of a view, built once per view, language and basemap.

    A copy each time: streamlit-folium alters the map it is given while rendering it,
    so the cached original must never be handed over.
    """
    import copy
    return copy.deepcopy(_folium_map(area, indicator, scheme, tuple(tiers), tuple(categories),
                                     as_of, language, tiles, unit_level))


def child_level(area: Area | None) -> str:
    """The level one below ``area`` (districts for the whole city; grids stay grids)."""
    if area is None:
        return "district"
    return schema.LEVELS[min(schema.LEVELS.index(area.level) + 1, len(schema.LEVELS) - 1)]


def show_error(error: Exception, language: str, key: str | None = None) -> None:
    """An error as a page shows it: where and why in ``language`` (inside the message
    ``key``'s ``{error}`` if given), as plain text: it carries values from data."""
    text = error_text(error, language)
    st.error(plain(t(key, language, error=text) if key else text))


def audit_once(action: str, target: str, **detail) -> None:
    """Record a view in the audit log once per session (not on every rerun)."""
    done = st.session_state.setdefault("gridmap.audited", set())
    if (action, target) not in done:
        store().audit(action, target, **detail)
        done.add((action, target))
