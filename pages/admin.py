"""Administration: device tokens for presentation screens."""

from pages.shared.shell import enter

enter()  # started alone (the first request after a start): the shell runs this page

import streamlit as st

from gridmap.errors import GridmapError
from gridmap.i18n import t
from gridmap.sanitize import plain
from pages.shared import common as ui
from pages.shared.forms import downloads

lang = ui.lang()
st.title(t("admin.title", lang))
st.subheader(t("admin.tokens", lang))
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
st.dataframe(ui.labelled(tokens[["name", "role", "created_at", "revoked_at"]], lang),
             hide_index=True, width="stretch")
live = tokens.loc[tokens["revoked_at"].isna(), "name"].tolist()
if live:
    left, right = st.columns([3, 1])
    which = left.selectbox(t("admin.revoke_which", lang), live, key="gridmap.admin.revoke")
    if right.button(t("admin.revoke", lang)):
        ui.store().revoke_token(which)
        st.rerun()

st.subheader(t("admin.audit", lang))
audit = ui.read("audit").sort_values("at", ascending=False)
who = st.selectbox(t("admin.audit_user", lang), sorted(set(audit["username"])), index=None,
                   placeholder=t("admin.audit_everyone", lang), key="gridmap.admin.audit_user")
shown = audit[audit["username"] == who] if who else audit
st.dataframe(ui.labelled(shown.head(2000), lang), hide_index=True, width="stretch", height=360)
downloads(shown, "audit", lang)
st.subheader(t("admin.accounts", lang))
st.dataframe(ui.labelled(ui.read("accounts")[["username", "role", "scope", "worker_id",
                                              "disabled"]], lang),
             hide_index=True, width="stretch")
st.caption(t("admin.accounts_caption", lang))
st.subheader(t("admin.login_failures", lang))
st.dataframe(ui.labelled(ui.read("login_failures").sort_values("locked_until",
                                                               ascending=False), lang),
             hide_index=True, width="stretch")
