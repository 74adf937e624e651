"""Logging in: the login form, sign-in through an identity provider, device tokens and
the account box. Who is logged in is ``common.principal``, which every page uses."""

from __future__ import annotations

import streamlit as st

from gridmap.access import Principal
from gridmap.i18n import label, t
from gridmap.sanitize import plain
from pages.shared.common import (
    EXPIRED_KEY,
    TOKEN_KEY,
    log_in,
    logout,
    policy,
    principal,
    raw_store,
)


def token_role(token: str | None) -> str | None:
    """The role a device token grants (``None`` if unknown or revoked)."""
    from gridmap.access import role_for_token
    return role_for_token(raw_store().read("tokens"), token)


def token_still_valid() -> bool:
    """False once the token this session logged in with has been revoked."""
    token = st.session_state.get(TOKEN_KEY)
    return token is None or token_role(token) is not None


def oidc_configured() -> bool:
    """An identity provider is set up in ``.streamlit/secrets.toml`` (``[auth]``)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def oidc_principal() -> Principal | None:
    """The account of a user signed in through the identity provider, if any."""
    from gridmap.access import principal_for_claims
    if not oidc_configured() or not st.user.is_logged_in:
        return None
    return principal_for_claims(raw_store().read("accounts"), st.user.to_dict(),
                                st.session_state.get("gridmap.session"))


def client_address() -> str | None:
    """Where a login comes from, as the server sees it: ``None`` on localhost or without a
    real connection (under AppTest it is a stand-in object, not an address)."""
    address = st.context.ip_address
    return address if isinstance(address, str) else None


def login_form(language: str, box) -> Principal | None:
    """User name and password in ``box`` (an ``st.empty``); wrong passwords count towards
    a lock of the name from this client's address. With an identity provider configured,
    a button to sign in there as well. Returns who logged in (``box`` is empty again by
    then), else ``None``."""
    import uuid

    from gridmap.access import LoginRefused, authenticate
    if (who := oidc_principal()) is not None:
        log_in(who)
        return who
    with box.container():
        st.title(t("login.title", language))
        if oidc_configured():
            if st.user.is_logged_in:  # signed in at the provider, but no account here
                st.error(t("login.no_account", language))
            st.button(t("login.oidc", language), on_click=st.login)
        if st.session_state.pop(EXPIRED_KEY, False):
            st.info(t("login.expired", language))
        with st.form("gridmap.login"):
            username = st.text_input(t("login.username", language), key="gridmap.login.user")
            password = st.text_input(t("login.password", language), type="password",
                                     key="gridmap.login.password")
            submitted = st.form_submit_button(t("login.submit", language), type="primary")
        if submitted:
            session = st.session_state.setdefault("gridmap.session", uuid.uuid4().hex[:12])
            try:
                who = authenticate(raw_store(), username, password, policy(),
                                   source=client_address(), session=session)
            except LoginRefused as refused:
                st.error(t(f"login.{refused.reason}", language,
                           until=str(refused.until)[:16] if refused.until is not None else ""))
        if who is None and raw_store().meta().get("demo_scale"):  # demo data: how to get in
            st.caption(t("login.demo_hint", language))
    if who is not None:
        log_in(who)
        box.empty()
    return who


def account_box(language: str) -> None:
    """Who is logged in, and the way out."""
    who = principal()
    st.sidebar.caption(t("login.as", language, user=plain(who.username),
                         role=label(who.role, language)))
    if st.sidebar.button(t("login.logout", language), key="gridmap.logout"):
        logout()
        st.rerun()
