"""Administration (/admin): accounts, the audit log in words, screen tokens, failed
logins. Every change is audited with it, in one transaction (``gridmap.guard``)."""

from pages.shared.shell import enter

enter()  # started alone (the first request after a start): the shell runs this page

import streamlit as st

from gridmap.i18n import t
from pages.shared import admin
from pages.shared import common as ui
from pages.shared.forms import downloads

lang = ui.lang()
st.title(t("admin.title", lang))
admin.flash()
shown = ui.view_choice(["accounts", "audit", "tokens", "logins"], "admin", lang)

if shown == "accounts":
    st.dataframe(admin.accounts_table(lang), hide_index=True, width="stretch")
    left, right = st.columns(2, gap="large")
    with left:
        admin.create_form(lang)
    with right:
        admin.manage_form(lang)
elif shown == "audit":
    rows = admin.audit_view(lang)
    downloads(rows, "audit", lang)
elif shown == "tokens":
    admin.tokens_view(lang)
else:
    failures = ui.read("login_failures").sort_values("locked_until", ascending=False)
    if failures.empty:
        st.info(t("admin.no_failures", lang))
    else:
        st.dataframe(ui.labelled(failures, lang), hide_index=True, width="stretch")
