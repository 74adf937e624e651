"""Services (物质+服务, /services, issue 21): what entitled households are owed this month,
what they got, and who is short. A worker records a service on a phone; a chief also
sees the providers and grants a service by hand; a leader sees the figures, a masked
list and the providers."""

from pages.shared.shell import enter

enter()  # started alone (the first request after a start): the shell runs this page

import streamlit as st

from gridmap.i18n import t
from pages.shared import common as ui
from pages.shared import services as sv

lang, area, as_of = ui.lang(), ui.current_area(), ui.today()
role = ui.principal().role
st.title(t("services.title", lang))
ui.breadcrumb(area, lang)
st.caption(t("services.caption", lang))
model = ui.read_model(as_of)
households, _ = model.area_households(area)

views = ["short"]
if ui.may("record_service"):
    views.append("record")
if role in ("chief", "leader", "admin"):
    views.append("providers")
if ui.may("grant_entitlement"):
    views.append("grant")
# A worker on the phone: the form first when coming back to record the next one.
shown = ui.view_choice(views, "services", lang)

if shown == "record":
    sv.record_form(households, model, lang, as_of)
elif shown == "grant":
    sv.grant_form(households, model, lang, as_of)
    sv.rule_grants(households, model, lang, as_of)
else:
    month = sv.month_choice(lang, as_of)
    sv.figures(model, households, month, lang)
    if shown == "short":
        sv.shortfall(model, area, month, lang)
    else:
        sv.provider_table(model, month, lang)
