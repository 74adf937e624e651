"""Streamlit side of the closed loop and of needs: boards, a case's history, and the
forms for each step. Every step is one store transaction; refusals are shown as
the store words them."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import streamlit as st

from gridmap import schema, stages
from gridmap.auditlog import event_text
from gridmap.errors import GridmapError
from gridmap.i18n import label, t
from gridmap.sanitize import plain
from pages.shared import common as ui
from pages.shared.forms import grid_staff, household_staff, pick_household
from pages.shared.services import order_fields, order_service_choice, orders_table

FLASH_KEY = "gridmap.casework.flash"


def flash() -> None:
    """Show the message a save left before the page reran."""
    message = st.session_state.pop(FLASH_KEY, None)
    if message:
        st.success(plain(message))


def _saved(message: str) -> None:
    st.session_state[FLASH_KEY] = message
    st.rerun()


CASE_ROUND_KEY = "gridmap.cases.round"  # bumped after a step is saved: fresh list and form


def _case_saved(message: str) -> None:
    """After a case's step: the list's selection clears (the case may have left the
    filter, and a kept row number would pick another case; ``?case=`` keeps this one
    open) and its form starts afresh."""
    st.session_state[CASE_ROUND_KEY] = st.session_state.get(CASE_ROUND_KEY, 0) + 1
    _saved(message)


def _when(lang: str, key: str, earliest: date, as_of: date) -> datetime:
    left, right = st.columns(2)
    day = left.date_input(t("cases.when", lang), max(as_of, earliest), min_value=earliest,
                          max_value=max(as_of, earliest), key=f"{key}.day")
    now = datetime.now().time().replace(second=0, microsecond=0)
    clock = right.time_input(t("coverage.time", lang), now, key=f"{key}.time")
    return datetime.combine(day, clock)


def _names(frame: pd.DataFrame) -> pd.DataFrame:
    """Worker ids in ``actor``/``reported_by``/``posted_by`` shown as names."""
    workers = ui.read("workers").set_index("worker_id")["name"]
    out = frame.copy()
    for column in ("actor", "reported_by", "posted_by"):
        if column in out:
            out[column] = out[column].map(lambda v: workers.get(v, v))
    return out


def _order_names(orders: pd.DataFrame, lang: str):
    """An order id -> the service it ordered ('助洁 8 小时'); other ids as they are."""
    catalogue = ui.read_model(ui.today()).catalogue()
    named = {o: f"{catalogue.service(s).label(lang)} {q:g} {label(catalogue.service(s).unit, lang)}"
             for o, s, q in zip(orders["order_id"], orders["service_id"], orders["quantity"],
                                strict=True) if s in catalogue.keys}
    return lambda value: named.get(value, value)


# -- cases ------------------------------------------------------------------

def case_table(state: pd.DataFrame, households: pd.DataFrame) -> pd.DataFrame:
    """The board's rows: case, alias, grid, category, urgency, stage, dates, overdue."""
    hh = households.set_index("household_id")
    grids = ui.read("grids").set_index("grid_id")["name"]
    grid_of = hh["grid_id"].reindex(state["household_id"].to_numpy()).to_numpy()
    return pd.DataFrame({
        "case_id": state["case_id"].to_numpy(),
        "alias": hh["alias"].reindex(state["household_id"].to_numpy()).to_numpy(),
        "grid": pd.Series(grid_of).map(grids).to_numpy(),
        "category": state["category"].to_numpy(), "urgency": state["urgency"].to_numpy(),
        "stage": state["stage"].to_numpy(),
        "reported_at": state["reported_at"].dt.strftime("%Y-%m-%d %H:%M").to_numpy(),
        "due_on": state["due_on"].dt.date.to_numpy(), "age_days": state["age_days"].to_numpy(),
        "overdue": state["overdue"].to_numpy()})


def case_board(state: pd.DataFrame, households: pd.DataFrame, lang: str) -> str | None:
    """Stage counts, filters and the list; returns the case picked in the list."""
    cols = st.columns(len(schema.CASE_STAGES))
    for col, stage in zip(cols, schema.CASE_STAGES, strict=True):
        mine = state[state["stage"] == stage]
        col.metric(label(stage, lang), f"{len(mine):,}")
        if mine["overdue"].any():
            col.caption(":red[" + t("cases.overdue_n", lang, n=f"{mine['overdue'].sum():,}")
                        + "]")
    c1, c2, c3, c4 = st.columns([3, 3, 2, 1.4])
    # Keyed by language: switching it starts from the default, not from an empty choice.
    shown = c1.multiselect(t("cases.stages", lang), schema.CASE_STAGES, select_all=False,
                           default=["reported", "assessed", "handling", "closed"],
                           format_func=lambda k: label(k, lang),
                           key=f"gridmap.cases.stages.{lang}", placeholder=t("app.choose", lang))
    categories = c2.multiselect(t("cases.categories", lang), schema.CASE_CATEGORIES,
                                select_all=False,
                                key="gridmap.cases.categories", placeholder=t("app.all", lang),
                                format_func=lambda k: label(k, lang))
    urgencies = c3.multiselect(t("cases.urgency", lang), schema.URGENCIES,
                               select_all=False,
                               format_func=lambda k: label(k, lang), key="gridmap.cases.urgency",
                               placeholder=t("app.all", lang))
    overdue_only = c4.toggle(t("cases.overdue_only", lang), key="gridmap.cases.overdue")
    keep = state["stage"].isin(shown)
    if categories:
        keep &= state["category"].isin(categories)
    if urgencies:
        keep &= state["urgency"].isin(urgencies)
    if overdue_only:
        keep &= state["overdue"]
    rows = state[keep.to_numpy()].sort_values(["overdue", "reported_at"], ascending=[False, True])
    if rows.empty:
        st.info(t("cases.none", lang))
        return None
    table = case_table(rows, households)
    st.caption(t("cases.pick", lang))
    event = st.dataframe(ui.labelled(table, lang), hide_index=True, width="stretch", height=360,
                         on_select="rerun", selection_mode="single-row",
                         key=f"gridmap.cases.table.{st.session_state.get(CASE_ROUND_KEY, 0)}")
    picked = event.selection.rows if event else []
    return table["case_id"].iloc[picked[0]] if picked else None


def case_detail(case_id: str, state: pd.DataFrame, households: pd.DataFrame, lang: str,
                as_of: date) -> None:
    """One case: what it is, its history, and the form for its next step."""
    row = state.set_index("case_id").loc[case_id]
    hh = households.set_index("household_id").loc[row["household_id"]]
    st.subheader(plain(t("cases.detail", lang, case=case_id) + f" · {hh['alias']}"))
    ui.audit_once("view_household", row["household_id"], case=case_id)
    facts = [(t("cases.source", lang), label(row["source"], lang, "case_source")),
             (t("cases.category", lang), label(row["category"], lang)),
             (t("cases.urgency", lang), label(row["urgency"], lang)),
             (t("map.col.due_on", lang), row["due_on"].date().isoformat()),
             (t("map.col.stage", lang), label(row["stage"], lang))]
    st.markdown(" · ".join(f"**{k}** {plain(v)}" for k, v in facts))
    st.text(row["description"])  # text, never markup
    events = ui.read("case_events")
    history = events[events["case_id"] == case_id].sort_values("happened_at")
    st.markdown(f"**{t('cases.timeline', lang)}**")
    orders = ui.read("service_orders")
    history = history.assign(detail=[event_text(d, lang, _order_names(orders, lang))
                                     for d in history["detail"]])
    st.dataframe(ui.labelled(_names(history[["happened_at", "from_stage", "to_stage", "actor",
                                             "detail"]]), lang),
                 hide_index=True, width="stretch")
    orders_table(orders[orders["case_id"] == case_id], lang)
    options = [s for s in stages.CASE_FLOW[row["stage"]]
               if not (s == "closed" and row["stage"] == "assessed"
                       and row["judgement"] != "not_in_difficulty")
               and not (s == "handling" and row["judgement"] == "not_in_difficulty")]
    if not options:
        st.info(t("cases.finished", lang))
        return
    if not ui.may("advance_case"):
        return
    target = st.radio(t("cases.next", lang), options, horizontal=True,
                      format_func=lambda k: label(k, lang), key=f"gridmap.case.{case_id}.next")
    staff = grid_staff(hh["grid_id"], row["household_id"])
    key = f"gridmap.case.{case_id}.{target}.{st.session_state.get(CASE_ROUND_KEY, 0)}"
    service = None
    if target == "handling" and ui.may("record_service"):
        st.caption(t("orders.case_hint", lang))
        service = order_service_choice(lang, key)
    with st.form(key):
        actor = st.selectbox(t("cases.actor", lang), list(staff), format_func=staff.get)
        since = max(pd.Timestamp(row[c]) for c in ("reported_at", "assessed_at", "handling_at",
                                                    "closed_at") if pd.notna(row[c]))
        at = _when(lang, key, since.date(), as_of)
        fields: dict = {}
        tier = reason = None
        if target == "assessed":
            fields["judgement"] = st.selectbox(t("cases.judgement", lang), schema.JUDGEMENTS,
                                               format_func=lambda k: label(k, lang))
            fields["assistance"] = st.multiselect(t("cases.assistance", lang), schema.ASSISTANCE,
                                                  select_all=False,
                                                  format_func=lambda k: label(k, lang),
                                                  placeholder=t("app.choose", lang))
            tier = st.selectbox(t("cases.tier", lang), [None, *schema.TIERS],
                                format_func=lambda k: t("cases.tier_keep", lang) if k is None
                                else label(k, lang))
            reason = st.text_input(t("cases.tier_reason", lang))
        elif target == "handling":
            fields["referrals"] = st.multiselect(t("cases.referrals", lang), schema.REFERRALS,
                                                 select_all=False,
                                                 format_func=lambda k: label(k, lang),
                                                 placeholder=t("app.choose", lang))
            left, right = st.columns(2)
            fields["aid_kind"] = left.text_input(t("cases.aid_kind", lang)).strip() or None
            fields["aid_amount"] = right.number_input(t("cases.aid_amount", lang), 0.0,
                                                      1e7, 0.0, step=100.0)
            fields["order"] = order_fields(service, row["household_id"], households, lang)
        elif target == "followed_up":
            st.caption(t("cases.follow_up_hint", lang))
        fields["note"] = st.text_input(t("cases.note", lang)).strip() or None
        submitted = st.form_submit_button(t("cases.save", lang), type="primary")
    if not submitted:
        return
    if tier == hh["tier"]:
        tier = None
    try:
        ui.store().advance_case(case_id, target, actor=actor, at=at, tier=tier,
                                tier_reason=reason or None, **fields)
    except GridmapError as exc:
        ui.show_error(exc, lang, "cases.error")
    else:
        _case_saved(t("cases.saved", lang, stage=label(target, lang)))


def report_form(households: pd.DataFrame, grids: pd.DataFrame, lang: str, as_of: date, *,
                household: str | None = None) -> None:
    """Report a new case, for a registered household or for someone not yet registered;
    for ``household`` when the report starts from it (nothing to choose)."""
    choices = {"registered": "cases.report_new", "new": "cases.report_unregistered"}
    new_person = household is None and st.radio(
        t("cases.tab.report", lang), list(choices), horizontal=True,
        label_visibility="collapsed", key="gridmap.report.kind",
        format_func=lambda k: t(choices[k], lang)) == "new"
    person = None
    if household is not None:
        staff = household_staff(households, household)
    elif new_person:
        if len(grids) > 3000:
            st.info(t("coverage.narrow", lang, n=f"{len(grids):,}"))
            return
        names = dict(zip(grids["grid_id"], grids["name"], strict=True))
        grid_id = st.selectbox(t("cases.grid", lang), list(names), format_func=names.get,
                               key="gridmap.report.grid")
        staff = grid_staff(grid_id, "")
    else:  # the form shows at once; saving it without a household asks for one
        household = pick_household(households, lang, "gridmap.report.household")
        staff = household_staff(households, household) if household else {}
    with st.form("gridmap.report.form", clear_on_submit=True):
        if new_person:
            a, b = st.columns(2)
            person = {"head_name": a.text_input(t("cases.head_name", lang)),
                      "id_number": b.text_input(t("cases.id_number", lang)),
                      "phone": a.text_input(t("cases.phone", lang)) or None,
                      "address": b.text_input(t("cases.address", lang)),
                      "tier": a.selectbox(t("overview.tier", lang), schema.TIERS,
                                          format_func=lambda k: label(k, lang)),
                      "members": b.number_input(t("cases.members", lang), 1, 30, 1),
                      "grid_id": grid_id}
            person["categories"] = schema.CATEGORY_SEPARATOR.join(st.multiselect(
                t("cases.household_categories", lang), schema.HOUSEHOLD_CATEGORIES,
                select_all=False, format_func=lambda k: label(k, lang),
                placeholder=t("app.choose", lang))) or None
        a, b, c = st.columns(3)
        source = a.selectbox(t("cases.source", lang), schema.CASE_SOURCES,
                             format_func=lambda k: label(k, lang, "case_source"))
        category = b.selectbox(t("cases.category", lang), schema.CASE_CATEGORIES,
                               format_func=lambda k: label(k, lang))
        urgency = c.radio(t("cases.urgency", lang), schema.URGENCIES, horizontal=True,
                          format_func=lambda k: label(k, lang), index=1)
        description = st.text_area(t("cases.description", lang))
        reporter = st.selectbox(t("cases.reported_by", lang), list(staff),
                                placeholder=t("coverage.pick_first", lang),
                                format_func=staff.get)
        at = _when(lang, "gridmap.report", as_of.replace(year=as_of.year - 1), as_of)
        submitted = st.form_submit_button(t("cases.save", lang), type="primary")
    if not submitted:
        return
    if not new_person and household is None:
        st.error(t("coverage.pick_first", lang))
        return
    try:
        case_id = ui.store().report_case(
            household=person, household_id=household, source=source, category=category,
            urgency=urgency, description=description, reported_by=reporter, reported_at=at,
            policy=ui.policy())
    except GridmapError as exc:
        ui.show_error(exc, lang, "cases.error")
        return
    due = ui.store().read("cases").set_index("case_id").loc[case_id, "due_on"]
    _saved(t("cases.saved_new", lang, due=due.date().isoformat()))


# -- needs ------------------------------------------------------------------

NEED_ROUND_KEY = "gridmap.needs.round"  # bumped after a save: the board's selection clears


def need_table_key() -> str:
    """The board's widget key; a new one after every save, so nothing stays selected
    (the next need is never silently picked, ready for a second tap)."""
    return f"gridmap.needs.table.{st.session_state.get(NEED_ROUND_KEY, 0)}"


def _need_saved(message: str) -> None:
    st.session_state[NEED_ROUND_KEY] = st.session_state.get(NEED_ROUND_KEY, 0) + 1
    st.query_params.pop("need", None)
    _saved(message)


def need_table(state: pd.DataFrame, households: pd.DataFrame) -> pd.DataFrame:
    """Needs as helpers may see them: community, never the household."""
    areas = ui.read("areas").set_index("area_id")["name"]
    if "community_id" in state:  # a helper's needs carry their community, not the household
        community = state["community_id"].map(areas)
    else:
        grids = ui.read("grids").set_index("grid_id")["community_id"]
        grid_of = households.set_index("household_id")["grid_id"]
        community = state["household_id"].map(grid_of).map(grids).map(areas)
    return pd.DataFrame({
        "need_id": state["need_id"].to_numpy(), "category": state["category"].to_numpy(),
        "description": state["description"].to_numpy(), "community": community.to_numpy(),
        "stage": state["stage"].to_numpy(),
        "posted_at": state["posted_at"].dt.date.to_numpy(),
        "age_days": state["age_days"].to_numpy(), "helper": state["helper"].to_numpy()})


def need_name(row, lang: str) -> str:
    """A need as a person names it: 生活用品：需要一台电饭煲（某某社区）."""
    where = row.get("community") if isinstance(row.get("community"), str) else None
    text = f"{label(row['category'], lang)}{'：' if lang == 'zh' else ': '}{row['description']}"
    return text + (f"（{where}）" if lang == "zh" else f" ({where})") if where else text


def helper_figures(state: pd.DataFrame, username: str) -> dict[str, int]:
    """A helper's own figures: needs waiting for anyone, and theirs claimed, delivered
    (or confirmed) and still to deliver."""
    mine = state[state["helper"] == username]
    return {"needs.waiting": int((state["stage"] == "posted").sum()),
            "needs.mine_claimed": len(mine),
            "needs.mine_delivered": int(mine["stage"].isin(["delivered", "confirmed"]).sum()),
            "needs.mine_open": int((mine["stage"] == "claimed").sum())}


def figure_tiles(figures: dict[str, int], lang: str) -> None:
    """Small figures side by side, two to a row on a phone."""
    import html
    cells = "".join(
        '<div style="flex:1 1 40%;min-width:8rem;padding:0.3rem 0.6rem;border-radius:6px;'
        'background:rgba(128,128,128,0.08)">'
        f'<div style="font-size:0.85rem">{html.escape(t(k, lang))}</div>'
        f'<div style="font-size:1.6rem;font-weight:600" data-figure="{k}">{v:,}</div></div>'
        for k, v in figures.items())
    st.html(f'<div style="display:flex;flex-wrap:wrap;gap:0.5rem" '
            f'data-testid="need-figures">{cells}</div>')


def need_actions(need_id: str, state: pd.DataFrame, households: pd.DataFrame, lang: str,
                 as_of: date) -> None:
    """Claim, deliver or confirm the picked need. A helper claims it as themselves, in
    one tap; staff record who claimed it, or move it on."""
    row = state.set_index("need_id").loc[need_id]
    options = stages.NEED_FLOW[row["stage"]]
    if not options:
        st.info(t("cases.finished", lang))
        return
    target = options[0]
    key = f"gridmap.need.{need_id}.{target}"
    service = None
    name = need_name(need_table(state[state["need_id"] == need_id], households).iloc[0], lang)
    who = ui.principal()
    stage = label(row["stage"], lang, "need_stage")  # where it is; staff see where it goes
    step = stage if who.role == "helper" else f"{stage} → {label(target, lang, 'need_stage')}"
    st.markdown(f"**{step}** · {plain(name)}")
    if not ui.may("advance_need"):
        return
    if who.role == "helper":
        if target != "claimed":
            return
        if st.button(t("needs.claim_this", lang), type="primary", key=key,
                     width="stretch"):
            try:
                ui.store().advance_need(need_id, "claimed", actor=who.username)
            except GridmapError as exc:
                ui.show_error(exc, lang, "cases.error")
            else:
                _need_saved(t("needs.claimed_done", lang, need=name))
        return
    if target == "claimed" and ui.may("record_service"):
        st.caption(t("orders.need_hint", lang))
        service = order_service_choice(lang, key)
    with st.form(key):
        fields: dict = {}
        if target == "claimed" and service is not None:
            fields["order"] = order_fields(service, row["household_id"], households, lang)
            actor = ui.principal().username
        elif target == "claimed":
            fields["helper"] = st.text_input(t("needs.helper", lang))
            fields["helper_kind"] = st.selectbox(t("needs.helper_kind", lang),
                                                 schema.HELPER_KINDS,
                                                 format_func=lambda k: label(k, lang,
                                                                         "helper_kind"))
            actor = fields["helper"]
        elif target == "delivered":
            actor = row["helper"]
        else:  # confirmed by a worker of the household's grid
            staff = household_staff(households, row["household_id"])
            actor = st.selectbox(t("cases.actor", lang), list(staff), format_func=staff.get)
        earliest = max(pd.Timestamp(row[c]) for c in ("posted_at", "claimed_at",
                                                       "delivered_at") if pd.notna(row[c]))
        at = _when(lang, key, earliest.date(), as_of)
        note = st.text_input(t("cases.note", lang)).strip() or None
        submitted = st.form_submit_button(
            t("needs.claim", lang) if target == "claimed" else t("cases.save", lang),
            type="primary")
    if not submitted:
        return
    try:
        ui.store().advance_need(need_id, target, actor=actor, at=at, note=note, **fields)
    except GridmapError as exc:
        ui.show_error(exc, lang, "cases.error")
    else:
        _need_saved(t("needs.claimed_done", lang, need=name) if target == "claimed"
                    else t("cases.saved", lang, stage=label(target, lang)) + f" · {name}")


def post_form(households: pd.DataFrame, lang: str, as_of: date) -> None:
    """Post a household's need for helpers to claim."""
    household = pick_household(households, lang, "gridmap.post.household")
    staff = household_staff(households, household) if household else {}
    with st.form("gridmap.post.form", clear_on_submit=True):
        category = st.selectbox(t("cases.category", lang), schema.NEED_CATEGORIES,
                                format_func=lambda k: label(k, lang))
        description = st.text_area(t("cases.description", lang),
                                   help=t("needs.description_hint", lang))
        poster = st.selectbox(t("cases.reported_by", lang), list(staff), format_func=staff.get,
                              placeholder=t("coverage.pick_first", lang))
        at = _when(lang, "gridmap.post", as_of.replace(year=as_of.year - 1), as_of)
        submitted = st.form_submit_button(t("cases.save", lang), type="primary")
    if not submitted:
        return
    if household is None:
        st.error(t("coverage.pick_first", lang))
        return
    try:
        ui.store().post_need(household_id=household, category=category,
                             description=description, posted_by=poster, posted_at=at)
    except GridmapError as exc:
        ui.show_error(exc, lang, "cases.error")
    else:
        _saved(t("needs.saved", lang))
