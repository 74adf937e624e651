"""Streamlit side of /admin: accounts (create, reset a password, lock/unlock, change role
and area), the audit log in words, screen tokens (revoked after a confirmation). Every
write goes through the guarded store, which audits it in the same transaction."""

from __future__ import annotations

import json
from collections.abc import Callable

import pandas as pd
import streamlit as st

from gridmap import auditlog, schema
from gridmap.errors import GridmapError
from gridmap.i18n import label, t
from gridmap.places import Area
from gridmap.sanitize import plain
from pages.shared import common as ui

FLASH_KEY = "gridmap.admin.flash"
ROUND_KEY = "gridmap.admin.round"  # bumped after a save: the inputs start empty again
PERSON_ROLES = ("chief", "worker", "helper")  # accounts that are one person of `workers`


def flash() -> None:
    if message := st.session_state.pop(FLASH_KEY, None):
        st.success(plain(message))


def _done(message: str) -> None:
    st.session_state[FLASH_KEY] = message
    st.session_state[ROUND_KEY] = st.session_state.get(ROUND_KEY, 0) + 1
    st.rerun()


def _key(name: str) -> str:
    return f"gridmap.admin.{name}.{st.session_state.get(ROUND_KEY, 0)}"


def scopes() -> dict[str, str]:
    """``LEVEL:ID`` -> its name (and level), districts, streets and communities; ``""``
    is the whole city."""
    areas = ui.read("areas")
    out = {"": t("admin.scope_all", ui.lang())}
    for level in schema.AREA_LEVELS:
        mine = areas[areas["level"] == level].sort_values("area_id")
        kind = label(level, ui.lang())
        out |= {str(Area(level, i)): f"{n}（{kind}）" if ui.lang() == "zh" else f"{n} ({kind})"
                for i, n in zip(mine["area_id"], mine["name"], strict=True)}
    return out


def name_of() -> Callable[[str], str]:
    """Names an id as people know it: an area or grid by name, a household by alias, a
    worker by name, ``LEVEL:ID`` by the area's name; anything else unchanged."""
    names: dict[str, str] = {}
    for layer, key, value in (("areas", "area_id", "name"), ("grids", "grid_id", "name"),
                              ("workers", "worker_id", "name"),
                              ("households", "household_id", "alias")):
        frame = ui.read(layer)
        names |= dict(zip(frame[key], frame[value], strict=True))
    known = scopes()

    def name(value: str) -> str:
        if value in known and value:
            return known[value]
        return names.get(value, value)
    return name


def _person(lang: str, key: str, current: str | None = None) -> str | None:
    """Find a worker by name or id, then pick them (``None``: nobody)."""
    workers = ui.read("workers")
    text = st.text_input(t("admin.worker_search", lang), key=f"{key}.search")
    hits = workers.iloc[0:0]
    if text.strip():
        found = (workers["name"].str.contains(text.strip(), regex=False)
                 | workers["worker_id"].str.contains(text.strip(), regex=False))
        hits = workers[found].head(30)
    elif current:
        hits = workers[workers["worker_id"] == current]
    names = dict(zip(hits["worker_id"], hits["name"] + "（" + hits["kind"].map(
        lambda k: label(k, lang)) + "）", strict=True))
    options = [None, *names]
    return st.selectbox(t("admin.worker", lang), options,
                        index=options.index(current) if current in names else 0,
                        format_func=lambda v: t("admin.worker_none", lang) if v is None
                        else names[v], key=f"{key}.pick")


def accounts_table(lang: str) -> pd.DataFrame:
    accounts = ui.read("accounts")
    workers = ui.read("workers").set_index("worker_id")["name"]
    known = scopes()
    return pd.DataFrame({
        t("admin.username", lang): accounts["username"],
        t("admin.role", lang): [label(r, lang) for r in accounts["role"]],
        # Without a scope, a chief, worker or helper reaches the grids they (their team) cover.
        t("admin.scope", lang): [known.get(s, s) if isinstance(s, str) and s else
                                 t("admin.scope_own", lang) if isinstance(w, str) and w
                                 else known[""]
                                 for s, w in zip(accounts["scope"], accounts["worker_id"],
                                                 strict=True)],
        t("admin.person", lang): [workers.get(w, w) if isinstance(w, str) else ""
                                  for w in accounts["worker_id"]],
        t("admin.status", lang): [t("admin.locked" if d else "admin.active", lang)
                                  for d in accounts["disabled"]],
        t("admin.created_at", lang): pd.to_datetime(accounts["created_at"]).dt.strftime(
            "%Y-%m-%d")})


def _role_scope_person(lang: str, key: str, role=None, scope=None, person=None):
    known = scopes()
    a, b = st.columns(2)
    role = a.selectbox(t("admin.role", lang), schema.ROLES,
                       index=schema.ROLES.index(role) if role in schema.ROLES else 3,
                       format_func=lambda r: label(r, lang), key=f"{key}.role")
    scope = b.selectbox(t("admin.scope", lang), list(known),
                        index=list(known).index(scope) if scope in known else 0,
                        format_func=known.get, key=f"{key}.scope")
    person = _person(lang, key, person) if role in PERSON_ROLES else None
    return role, scope, person


def create_form(lang: str) -> None:
    st.subheader(t("admin.new_account", lang))
    key = _key("new")
    a, b = st.columns(2)
    username = a.text_input(t("admin.username", lang), key=f"{key}.username")
    password = b.text_input(t("admin.password", lang), type="password", key=f"{key}.password")
    role, scope, person = _role_scope_person(lang, key)
    if st.button(t("admin.create_account", lang), type="primary", key=f"{key}.go"):
        if role in PERSON_ROLES and person is None:
            st.warning(t("admin.worker_needed", lang))
            return
        try:
            ui.store().create_account(username, role, password, scope=scope or None,
                                      worker_id=person)
        except GridmapError as exc:
            ui.show_error(exc, lang)
        else:
            _done(t("admin.account_created", lang, name=username.strip(),
                    role=label(role, lang)))


def manage_form(lang: str) -> None:
    """One account: reset its password, lock or unlock it, change its role and area."""
    st.subheader(t("admin.manage", lang))
    accounts = ui.read("accounts").set_index("username")
    who = st.selectbox(t("admin.which_account", lang), list(accounts.index), index=None,
                       placeholder=t("app.choose", lang), key="gridmap.admin.account")
    if who is None:
        return
    row, key = accounts.loc[who], _key(f"manage.{who}")
    mine = who == ui.principal().username
    left, right = st.columns(2)
    password = left.text_input(t("admin.new_password", lang), type="password",
                               key=f"{key}.password")
    if left.button(t("admin.reset_password", lang), key=f"{key}.reset"):
        _run(lambda: ui.store().set_password(who, password),
             t("admin.password_done", lang, name=who), lang)
    if mine:
        right.info(t("admin.own_account", lang))
        return
    locked = bool(row["disabled"])
    right.markdown(f"**{t('admin.status', lang)}**：" +
                   t("admin.locked" if locked else "admin.active", lang))
    if right.button(t("admin.unlock" if locked else "admin.lock", lang), key=f"{key}.lock",
                    type="secondary" if locked else "primary"):
        _run(lambda: ui.store().set_disabled(who, not locked),
             t("admin.unlocked_done" if locked else "admin.locked_done", lang, name=who),
             lang)

    def text(v):
        return v if isinstance(v, str) and v else None
    role, scope, person = _role_scope_person(lang, key, row["role"], text(row["scope"]) or "",
                                             text(row["worker_id"]))
    if st.button(t("admin.change", lang), key=f"{key}.change"):
        if role in PERSON_ROLES and person is None:
            st.warning(t("admin.worker_needed", lang))
            return
        try:
            changed = ui.store().change_account(who, role=role, scope=scope or None,
                                                worker_id=person)
        except GridmapError as exc:
            ui.show_error(exc, lang)
            return
        words = (auditlog.detail_text(json.dumps(changed, ensure_ascii=False), lang,
                                      name_of()) if changed else t("admin.unchanged", lang))
        _done(t("admin.changed_done", lang, name=who, what=words))


def _run(write, message: str, lang: str) -> None:
    try:
        write()
    except GridmapError as exc:
        ui.show_error(exc, lang)
    else:
        _done(message)


def audit_view(lang: str) -> pd.DataFrame:
    """The audit log in words, latest first, for one user or everyone; returns the rows
    shown, as shown (the download is what the reader sees)."""
    st.caption(t("admin.audit_caption", lang))
    audit = ui.read("audit").sort_values("at", ascending=False, kind="stable")
    who = st.selectbox(t("admin.audit_user", lang), sorted(set(audit["username"])),
                       index=None, placeholder=t("admin.audit_everyone", lang),
                       key="gridmap.admin.audit_user")
    shown = (audit[audit["username"] == who] if who else audit).head(2000)
    roles = dict(zip(ui.read("accounts")["username"], ui.read("accounts")["role"],
                     strict=True))
    words = ui.labelled(auditlog.readable(shown, roles, lang, name_of()), lang)
    st.dataframe(words, hide_index=True, width="stretch",
                 height=min(420, 35 * (len(words) + 1) + 3),  # no padded empty rows
                 column_config={t("map.col.detail", lang): st.column_config.TextColumn(
                     width="large")})
    return words


def tokens_view(lang: str) -> None:
    """Create a screen token; revoke one after a confirmation."""
    st.caption(t("admin.tokens_caption", lang))
    if created := st.session_state.pop("gridmap.admin.created", None):
        name, token = created
        st.success(plain(t("admin.created", lang, name=name)))
        st.code(f"/screen?token={token}", language=None)
    with st.form("gridmap.admin.new_token", clear_on_submit=True):
        name = st.text_input(t("admin.token_name", lang))
        if st.form_submit_button(t("admin.create", lang)):
            try:
                token = ui.store().create_token(name, "screen")
            except GridmapError as exc:
                ui.show_error(exc, lang)
            else:
                st.session_state["gridmap.admin.created"] = (name.strip(), token)
                st.rerun()
    tokens = ui.read("tokens")
    if tokens.empty:
        st.info(t("admin.no_tokens", lang))
        return
    table = tokens[["name", "role", "created_at", "revoked_at"]].assign(
        created_at=tokens["created_at"].dt.strftime("%Y-%m-%d %H:%M"),
        revoked_at=tokens["revoked_at"].dt.strftime("%Y-%m-%d %H:%M"))
    st.dataframe(ui.labelled(table, lang), hide_index=True, width="stretch")
    live = tokens.loc[tokens["revoked_at"].isna(), "name"].tolist()
    if not live:
        return
    pending = st.session_state.get("gridmap.admin.revoking")
    if pending in live:
        st.warning(plain(t("admin.revoke_confirm", lang, name=pending)))
        yes, no, _ = st.columns([1, 1, 4])
        if yes.button(t("admin.revoke_yes", lang), type="primary", key="gridmap.admin.yes"):
            st.session_state.pop("gridmap.admin.revoking", None)
            _run(lambda: ui.store().revoke_token(pending),
                 t("admin.revoked", lang, name=pending), lang)
        if no.button(t("admin.revoke_no", lang), key="gridmap.admin.no"):
            st.session_state.pop("gridmap.admin.revoking", None)
            st.rerun()
        return
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    which = left.selectbox(t("admin.revoke_which", lang), live, key="gridmap.admin.revoke")
    if right.button(t("admin.revoke", lang)):
        st.session_state["gridmap.admin.revoking"] = which
        st.rerun()
