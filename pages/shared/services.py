"""Streamlit side of /services (物质+服务, issue 21): the month, the figures, the shortfall
list, the record form (a phone's), the provider table and the grants. Figures come from
the read model (the logged-in principal's households only); writes go through the
guarded store, each audited."""

from __future__ import annotations

from datetime import date, datetime, time

import pandas as pd
import streamlit as st

from gridmap import services
from gridmap.errors import GridmapError
from gridmap.i18n import label, t
from gridmap.places import Area
from gridmap.privacy import suppress_derived
from gridmap.sanitize import plain
from pages.shared import common as ui
from pages.shared.forms import pick_household

FLASH_KEY = "gridmap.services.flash"
RECORD = "gridmap.services.record."  # the record form's widget keys
GRANT = "gridmap.services.grant."


def month_choice(lang: str, as_of: date) -> str:
    """This month or one of the eleven before it, kept in ``?month=``."""
    months = [str(pd.Period(as_of, freq="M") - i) for i in range(12)]
    default = ui.url_choice("month", months, months[0])
    month = st.selectbox(t("services.month", lang), months, index=months.index(default),
                         key="gridmap.services.month", width=180)  # a month, not a row
    st.query_params["month"] = month
    return month


def small() -> bool:
    """Whether the reader sees masked lists (small counts hidden)."""
    return ui.principal().households != "full"


def _in_area(frame: pd.DataFrame, households: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``households`` (hashed by Arrow: pandas' ``isin`` on Arrow strings takes
    seconds on a province)."""
    from gridmap.coverage import positions_in
    return frame[positions_in(frame["household_id"], households["household_id"]) >= 0]


def figures(model, households: pd.DataFrame, month: str, lang: str) -> None:
    """Households entitled, hours due so far and delivered, the rate, households short."""
    table = _in_area(model.service_month(month), households)
    entitled = int((table["hours_entitled"] > 0).sum())
    due, done = float(table["hours_due"].sum()), float(table["hours_delivered"].sum())
    short = int(table["short"].sum())
    rate = f"{100 * done / due:.1f}%" if due > 0 else "–"
    values = [f"{entitled:,}", f"{due:,.1f}", f"{done:,.1f}", rate, f"{short:,}"]
    minimum = ui.policy().min_count
    if small() and 0 < entitled < minimum:  # a few households' hours tell about them
        values = [f"<{minimum}", "–", "–", "–", "–"]
    keys = ("households_entitled", "hours_due", "hours_delivered", "rate", "households_short")
    for column, key, value in zip(st.columns(len(keys)), keys, values, strict=True):
        column.metric(t(f"services.{key}", lang), value)


def shortfall(model, area: Area | None, month: str, lang: str) -> None:
    """Households more than the policy's share short this month (alias, never the id)."""
    st.caption(t("services.short_caption", lang, pct=f"{ui.policy().services.shortfall_pct:g}"))
    table = model.shortfall_list(area, month)
    if table.empty:
        st.info(t("services.none_short", lang))
        return
    st.dataframe(ui.labelled(table.drop(columns="household_id"), lang), hide_index=True,
                 width="stretch", height=min(420, 38 + 35 * len(table)))


def service_label(catalogue, lang: str):
    """A service key -> 'category · name' in ``lang``."""
    categories = {c.key: (c.name_en if lang == "en" else c.name) for c in catalogue.categories}
    return lambda key: f"{catalogue.service(key).label(lang)} · " \
                       f"{categories[catalogue.service(key).category]}"


def _owed_line(model, household: str, month: str, catalogue, lang: str) -> str:
    items = model.service_items(month)
    mine = items[(items["household_id"] == household) & (items["entitled"] > 0)]
    if mine.empty:
        return t("services.owed_none", lang)
    text = services.services_text(mine, catalogue, lang).iloc[0]
    return t("services.owed", lang, items=text)


def _providers_for(service: str, near: set[str], catalogue) -> dict[str, str]:
    """Providers allowed to deliver ``service``, those serving ``near`` (the household's
    street or district) first: id -> name."""
    providers = ui.read("providers")
    allowed = providers[providers["kind"].map(lambda k: catalogue.allows(service, k))]
    allowed = allowed.assign(far=~allowed["area_id"].isin(near)).sort_values(["far", "name"])
    return dict(zip(allowed["provider_id"], allowed["name"], strict=True))


def record_form(households: pd.DataFrame, model, lang: str, as_of: date) -> None:
    """Record a service delivered: household (required, searchable, empty at first), the
    service, provider, who, start, quantity and a note. The warnings (no entitlement, an
    overlapping record of the same staff member) show as soon as they apply, before
    saving, and again with the confirmation."""
    catalogue = model.catalogue()
    if message := st.session_state.pop(FLASH_KEY, None):
        text, warned = message
        st.success(plain(text))
        for warning in warned:
            st.warning(plain(warning))
    household = pick_household(households, lang, RECORD + "household")
    near: set[str] = set()
    if household:
        grid = households.set_index("household_id").loc[household, "grid_id"]
        grids = ui.read("grids").set_index("grid_id")
        near = set(grids.loc[[grid], ["street_id", "district_id"]].iloc[0])
        st.caption(plain(_owed_line(model, household, str(pd.Period(as_of, freq="M")),
                                    catalogue, lang)))
    service = st.selectbox(t("services.service", lang), catalogue.keys, index=0,
                           format_func=service_label(catalogue, lang), key=RECORD + "service")
    unit = label(catalogue.service(service).unit, lang)
    if household and (line := open_orders_line(household, service, lang)):
        st.info(plain(line))
    providers = _providers_for(service, near, catalogue)
    if not providers:
        st.warning(t("services.no_provider", lang))
        return
    provider = st.selectbox(t("services.provider", lang), list(providers), index=None,
                            placeholder=t("services.pick_provider", lang),
                            format_func=providers.get, key=RECORD + "provider")
    who = st.text_input(t("services.delivered_by", lang), key=RECORD + "who", max_chars=40)
    when = st.container(horizontal=True)
    day = when.date_input(t("services.day", lang), as_of, max_value=as_of, key=RECORD + "day")
    start = when.time_input(t("services.time", lang), time(9, 0), step=300,
                            key=RECORD + "time")
    hours = catalogue.service(service).unit == "hours"
    quantity = st.number_input(t("services.quantity", lang, unit=unit), min_value=0.0,
                               max_value=24.0 if hours else 10000.0, value=2.0 if hours else 1.0,
                               step=0.5 if hours else 1.0, key=RECORD + "quantity")
    note = st.text_input(t("services.note", lang), key=RECORD + "note", max_chars=200)
    record = {"household_id": household, "service_id": service, "provider_id": provider,
              "delivered_by": who.strip(), "started_at": datetime.combine(day, start),
              "quantity": quantity}
    warned = _warnings(record, lang, catalogue) if household and provider else []
    for warning in warned:
        st.warning(plain(warning))
    if not st.button(t("services.save", lang), type="primary", width="stretch",
                     key=RECORD + "save"):
        return
    missing = ("household" if not household else "provider" if not provider
               else "delivered_by" if not who.strip() else None)
    if missing:
        st.error(t(f"services.need.{missing}", lang))
        return
    orders = ui.read("service_orders")
    was_open = set(orders.loc[orders["delivered_at"].isna(), "order_id"])
    try:
        ui.store().record_service(**record, note=note.strip() or None,
                                  recorded_by=ui.principal().username, catalogue=catalogue)
    except GridmapError as exc:
        ui.show_error(exc, lang, "services.error")
        return
    alias = households.set_index("household_id").loc[household, "alias"]
    orders = ui.read("service_orders")
    filled = orders[orders["order_id"].isin(was_open) & orders["delivered_at"].notna()]
    closed = t("orders.done", lang, what=t("app.list_separator", lang).join(
        t("orders.case_closed" if pd.notna(case) else "orders.need_delivered", lang)
        for case in filled["case_id"])) if len(filled) else ""
    st.session_state[FLASH_KEY] = (t("services.saved", lang, alias=alias,
                                     service=catalogue.service(service).label(lang),
                                     quantity=f"{quantity:g}", unit=unit) + closed, warned)
    for key in ("household", "provider", "who", "note"):
        st.session_state.pop(RECORD + key, None)
    st.rerun()


def _warnings(record: dict, lang: str, catalogue) -> list[str]:
    found = services.new_record_warnings(record, ui.read("service_records"),
                                         ui.read("entitlements"), catalogue)
    return [t("services.warn.no_entitlement", lang) if kind == "no_entitlement"
            else t("services.warn.overlap", lang, when=f"{other:%Y-%m-%d %H:%M}")
            for kind, other in found]


def provider_table(model, month: str, lang: str) -> None:
    """Per provider this month: kind, records, hours, households served, on-time rate
    (for a reader of masked lists, small household counts and what follows from them
    hidden)."""
    st.caption(t("services.providers_caption", lang,
                 minutes=ui.policy().services.on_time_minutes))
    table = model.provider_table(month).rename(columns={"name": "provider"})
    table = table[table["records"] > 0].sort_values("hours_delivered", ascending=False)
    table = table.drop(columns="provider_id")
    if small():
        table = suppress_derived(table, ui.policy().min_count, {
            "hours_delivered": ("households_served",), "records": ("households_served",),
            "booked": ("households_served",), "on_time_rate": ("households_served",)})
    st.dataframe(ui.labelled(table, lang), hide_index=True, width="stretch")


def grant_form(households: pd.DataFrame, model, lang: str, as_of: date) -> None:
    """Grant a service by hand (a reason required; audited)."""
    catalogue = model.catalogue()
    st.caption(t("services.grant_caption", lang))
    household = pick_household(households, lang, GRANT + "household")
    if household:
        st.caption(plain(_owed_line(model, household, str(pd.Period(as_of, freq="M")),
                                    catalogue, lang)))
    service = st.selectbox(t("services.service", lang), catalogue.keys, index=0,
                           format_func=service_label(catalogue, lang), key=GRANT + "service")
    unit = label(catalogue.service(service).unit, lang)
    amount = st.number_input(t("services.amount", lang, unit=unit), min_value=0.5,
                             value=10.0, step=1.0, key=GRANT + "amount")
    dates = st.container(horizontal=True)
    start = dates.date_input(t("services.valid_from", lang), as_of.replace(day=1),
                             key=GRANT + "from")
    until = dates.date_input(t("services.valid_until", lang), None, key=GRANT + "until")
    reason = st.text_input(t("services.reason", lang), key=GRANT + "reason", max_chars=200)
    if not st.button(t("services.grant", lang), type="primary", key=GRANT + "save"):
        return
    if not household or not reason.strip():
        st.error(t("services.need.household" if not household else "services.need.reason",
                   lang))
        return
    try:
        ui.store().grant_entitlement(household_id=household, service_id=service,
                                     amount=amount, valid_from=start, valid_until=until,
                                     reason=reason, granted_by=ui.principal().username,
                                     catalogue=catalogue)
    except GridmapError as exc:
        ui.show_error(exc, lang, "services.error")
        return
    alias = households.set_index("household_id").loc[household, "alias"]
    st.success(plain(t("services.granted", lang, alias=alias, amount=f"{amount:g}", unit=unit,
                       service=catalogue.service(service).label(lang))))


def rule_grants(households: pd.DataFrame, model, lang: str, as_of: date) -> None:
    """The grants the assessments call for by the catalogue's rule, still in force on
    ``as_of`` and not yet made."""
    rule = model.catalogue().rule
    if rule is None:
        return
    st.subheader(t("services.by_rule", lang))
    due = services.entitlements_from_assessments(
        _in_area(ui.read("assessments"), households), rule, granted_by=ui.principal().username)
    due = due[~due["entitlement_id"].isin(ui.read("entitlements")["entitlement_id"])
              & (due["valid_until"] >= pd.Timestamp(as_of))]
    levels = "、".join(rule.amount) if lang == "zh" else ", ".join(
        label(level, lang) for level in rule.amount)
    st.caption(t("services.by_rule_caption", lang, levels=levels, n=len(due),
                 service=model.catalogue().service(rule.service).label(lang)))
    if len(due) and st.button(t("services.by_rule_button", lang, n=len(due)),
                              key=GRANT + "rule"):
        try:
            added = ui.store().save_entitlements(due)
        except GridmapError as exc:
            ui.show_error(exc, lang, "services.error")
            return
        st.success(t("services.by_rule_done", lang, n=added))


# -- orders: a case or a need orders a service (issue 21) -----------------------------

def _catalogue():
    """The catalogue as the read model holds it (read once, not on every run)."""
    return ui.read_model(ui.today()).catalogue()


def order_service_choice(lang: str, key: str) -> str | None:
    """The service a case or need orders, or none (outside the form: the providers
    offered depend on it)."""
    catalogue = _catalogue()
    return st.selectbox(t("orders.service", lang), [None, *catalogue.keys], index=0,
                        format_func=lambda k: t("orders.no_service", lang) if k is None
                        else service_label(catalogue, lang)(k), key=key + ".service")


def order_fields(service: str | None, household: str, households: pd.DataFrame,
                 lang: str) -> dict | None:
    """Inside the form: how much of ``service`` and from which provider (those serving
    the household's street or district first); none when no service is ordered."""
    if service is None:
        return None
    catalogue = _catalogue()
    grid = households.set_index("household_id").loc[household, "grid_id"]
    near = set(ui.read("grids").set_index("grid_id").loc[[grid], ["street_id",
                                                                   "district_id"]].iloc[0])
    providers = _providers_for(service, near, catalogue)
    unit = catalogue.service(service).unit
    left, right = st.columns(2)
    quantity = left.number_input(t("services.quantity", lang, unit=label(unit, lang)),
                                 min_value=0.0, max_value=10000.0,
                                 value=4.0 if unit == "hours" else 1.0, step=1.0)
    provider = right.selectbox(t("services.provider", lang), list(providers), index=None,
                               placeholder=t("services.pick_provider", lang),
                               format_func=providers.get)
    return {"service_id": service, "quantity": quantity, "provider_id": provider}


def orders_table(orders: pd.DataFrame, lang: str) -> None:
    """The services a case or need ordered: how much, from whom, delivered so far."""
    if orders.empty:
        return
    catalogue = _catalogue()
    records = ui.read("service_records")
    progress = services.order_progress(orders, records[records["household_id"].isin(
        orders["household_id"])]).set_index("order_id")
    names = ui.read("providers").set_index("provider_id")["name"]
    rows = pd.DataFrame({
        "service": [catalogue.service(s).label(lang) for s in orders["service_id"]],
        "ordered": [f"{q:g} {label(catalogue.service(s).unit, lang)}" for q, s in
                    zip(orders["quantity"], orders["service_id"], strict=True)],
        "delivered_so_far": [f"{progress.loc[o, 'delivered']:g}" for o in orders["order_id"]],
        "provider": orders["provider_id"].map(names).fillna("—").to_numpy(),
        "status": [t("orders.delivered_on", lang, day=f"{d:%Y-%m-%d}") if pd.notna(d)
                   else t("orders.open", lang) for d in orders["delivered_at"]]})
    st.markdown(f"**{t('orders.title', lang)}**")
    st.dataframe(rows.rename(columns=lambda c: t(f"orders.col.{c}", lang)), hide_index=True,
                 width="stretch")


def open_orders_line(household: str, service: str, lang: str) -> str | None:
    """'待送达的订购服务：居家照护 4 小时（已送达 1.5）' for the record form."""
    orders = ui.read("service_orders")
    mine = orders[(orders["household_id"] == household) & (orders["service_id"] == service)
                  & orders["delivered_at"].isna()]
    if mine.empty:
        return None
    records = ui.read("service_records")
    progress = services.order_progress(mine, records[records["household_id"] == household])
    catalogue = _catalogue()
    unit = label(catalogue.service(service).unit, lang)
    items = t("app.list_separator", lang).join(
        t("orders.item", lang, quantity=f"{q:g}", unit=unit, delivered=f"{d:g}")
        for q, d in zip(mine["quantity"], progress["delivered"], strict=True))
    return t("orders.open_line", lang, service=catalogue.service(service).label(lang),
             items=items)
