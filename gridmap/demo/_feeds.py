"""Demo household members (persons) and a year of department feeds, matched into
alerts as the real import would (``gridmap.feeds.match``), with the alerts' lives.

Rates follow seed 001's funnel: over a year the city's feeds name about 18,000
people, most of them not in the registry; a few thousand rows fire a rule, and a few
hundred alerts end in a confirmed difficulty.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from gridmap import alerts as lifecycle
from gridmap import feeds, idcards, schema
from gridmap.demo import _synthetic as syn
from gridmap.policy import Policy
from gridmap.workdays import add_working_days_many


def persons(households: pd.DataFrame, rng: np.random.Generator, as_of: date) -> pd.DataFrame:
    """One row per member of each household (``members``): the head first, with the
    household's name and ID number, then a spouse, children and grandchildren."""
    hh = households.reset_index(drop=True)
    members = hh["members"].to_numpy(int)
    idx = np.repeat(np.arange(len(hh)), members)
    k = np.arange(len(idx)) - np.repeat(np.cumsum(members) - members, members)
    head_birth = idcards.birth_dates(hh["id_number"]).to_numpy()[idx]
    head_age = (pd.Timestamp(as_of) - pd.DatetimeIndex(head_birth)).days / 365.25
    relation = np.where(k == 0, "户主", np.where(k == 1, "配偶",
                        np.where((k >= 4) & (head_age > 60), "孙子女", "子女")))
    offset_years = np.select(
        [k == 0, k == 1, relation == "子女", relation == "孙子女"],
        [np.zeros(len(k)), rng.normal(0, 4, len(k)), 22 + rng.normal(5, 4, len(k)),
         48 + rng.normal(6, 5, len(k))])
    birth = pd.DatetimeIndex(head_birth) + pd.to_timedelta(
        np.round(offset_years * 365.25 + np.where(k == 0, 0, rng.integers(0, 365, len(k)))),
        "D")
    birth = birth.where(birth < pd.Timestamp(as_of), pd.Timestamp(as_of) - pd.Timedelta(
        days=200))
    area = hh["id_number"].str.slice(0, 6).to_numpy()[idx]
    numbers = idcards.make(area, birth, rng.integers(0, 1000, len(k)))
    numbers[k == 0] = hh["id_number"].to_numpy()[idx[k == 0]]
    for _ in range(10):  # the odd clash of area, birthday and sequence: draw again
        clash = pd.Series(numbers).duplicated(keep="first").to_numpy() & (k != 0)
        if not clash.any():
            break
        numbers[clash] = idcards.make(area[clash], birth[clash],
                                      rng.integers(0, 1000, int(clash.sum())))
    names = syn.person_names(rng, len(k)).astype(object)
    heads = hh["head_name"].to_numpy()[idx]
    kin = np.isin(relation, ("子女", "孙子女"))
    names[kin] = pd.Series(heads[kin]).str.slice(0, 1).to_numpy() + pd.Series(
        names[kin]).str.slice(1).to_numpy()
    names[k == 0] = heads[k == 0]
    ill = hh["categories"].fillna("").str.contains("重病重残").to_numpy()[idx]
    frame = pd.DataFrame({
        "person_id": ("P" + hh["household_id"].str.slice(1).to_numpy(object)[idx]
                      + pd.Series(k).astype(str).str.zfill(2).to_numpy(object)),
        "household_id": hh["household_id"].to_numpy()[idx], "name": names,
        "id_number": numbers, "relation": relation, "birth_date": birth.normalize(),
        "disability": ill & (rng.random(len(k)) < 0.4),
        "chronic_illness": (ill & (rng.random(len(k)) < 0.5)) | (rng.random(len(k)) < 0.08)})
    return schema.conform("persons", frame)


# Rows a year per 10,000 people named in the feeds, per source and 事项 (plausible
# rates: most people in a feed are not in the registry, and most rows fire nothing).
_SOURCES = (("医保", "大额医疗自付"), ("医保", "住院"), ("残联", "新办残疾证"),
            ("人社", "失业登记"), ("水电气", "欠费停水停电"), ("公安", "死亡"))


def feed_rows(people: pd.DataFrame, households: pd.DataFrame, grids: pd.DataFrame,
              areas: pd.DataFrame, rng: np.random.Generator, as_of: date, *,
              named: int) -> pd.DataFrame:
    """A year of feed rows (with ``source``) naming about ``named`` people: a third
    from the registry, the rest strangers with an address or a community code."""
    start = pd.Timestamp(as_of) - pd.Timedelta(days=364)
    known_n = min(len(people), named // 3)
    known = people.iloc[rng.choice(len(people), known_n, replace=False)]
    home = households.set_index("household_id")
    strangers_n = named - known_n
    communities = areas[areas["level"] == "community"]
    names_by_id = areas.set_index("area_id")["name"]
    where = communities.iloc[rng.integers(0, len(communities), strangers_n)]
    street_only = rng.random(strangers_n) < 0.08  # an address no community is found in
    place = np.where(street_only, where["parent_id"].map(names_by_id).to_numpy(),
                     (where["parent_id"].map(names_by_id) + where["name"]).to_numpy())
    stranger_birth = pd.Timestamp(as_of) - pd.to_timedelta(
        rng.integers(20 * 365, 90 * 365, strangers_n), "D")
    district = where["parent_id"].map(areas.set_index("area_id")["parent_id"]).to_numpy()
    pool = pd.DataFrame({
        "id_number": np.concatenate([known["id_number"].to_numpy(), idcards.make(
            district, stranger_birth, rng.integers(0, 1000, strangers_n))]),
        "name": np.concatenate([known["name"].to_numpy(),
                                syn.person_names(rng, strangers_n)]),
        "address": np.concatenate([
            known["household_id"].map(home["address"]).to_numpy(),
            syn.addresses(rng, place)]),
        "community_code": np.concatenate([
            known["household_id"].map(home["grid_id"]).map(
                grids.set_index("grid_id")["community_id"]).to_numpy(),
            np.where((rng.random(strangers_n) < 0.6) & ~street_only,
                     where["area_id"].to_numpy(), None)]),
        "known": np.r_[np.ones(known_n, bool), np.zeros(strangers_n, bool)]})
    pool = pool.drop_duplicates("id_number").reset_index(drop=True)
    n = len(pool)
    # Each person gets one main 事项; known (vulnerable) people are likelier to fire.
    weights = np.array([0.40, 0.40, 0.03, 0.07, 0.07, 0.03])
    item = rng.choice(len(_SOURCES), n, p=weights)
    parts = []
    for i, (source, what) in enumerate(_SOURCES):
        who = pool[item == i]
        if what == "大额医疗自付":  # monthly out-of-pocket bills, a few large spenders
            bills = rng.integers(1, 7, len(who))
            heavy = rng.random(len(who)) < np.where(who["known"], 0.06, 0.02)
            each = np.where(heavy, rng.gamma(4, 1800, len(who)), rng.gamma(2, 600, len(who)))
        elif what == "住院":
            bills = np.where(rng.random(len(who)) < np.where(who["known"], 0.12, 0.04),
                             2 + rng.integers(0, 2, len(who)), 1)
            each = np.zeros(len(who))
        else:
            bills = np.ones(len(who), int)
            each = np.where(what == "欠费停水停电", rng.gamma(2, 150, len(who)), np.nan)
        rows = who.loc[who.index.repeat(bills)].reset_index(drop=True)
        spread = {"住院": 60, "大额医疗自付": 300}.get(what, 1)
        first = rng.integers(0, 365 - spread + 1, len(who))
        step = rng.integers(0, spread, int(bills.sum()))  # sorted within each person
        step = step[np.lexsort((step, np.repeat(np.arange(len(who)), bills)))]
        day = np.repeat(first, bills) + step
        amount = np.repeat(each, bills) * rng.uniform(0.7, 1.3, len(rows))
        parts.append(rows.assign(source=source, item=what,
                                 happened_on=start + pd.to_timedelta(day, "D"),
                                 amount=np.round(amount, 2) if what != "住院" else np.nan))
    out = pd.concat(parts, ignore_index=True).drop(columns="known")
    return out.sort_values(["happened_on", "id_number"], kind="stable", ignore_index=True)


def feeds_and_alerts(frames: dict[str, pd.DataFrame], policy: Policy,
                     rng: np.random.Generator, as_of: date, *, named: int,
                     city_code: str) -> dict[str, pd.DataFrame]:
    """``persons``, ``feeds``, ``feed_rows`` (within retention), ``alerts`` and
    ``alert_events`` for a year: one feed per source and month, matched in order, and
    each alert worked as far as its age allows."""
    people = frames["persons"]
    rows = feed_rows(people, frames["households"], frames["grids"], frames["areas"], rng,
                     as_of, named=named)
    # One feed per source and month, received five days after the month ends (the
    # current month's has not arrived yet). Matching
    # them one by one in order raises the same alerts as matching the year at once (a
    # rule fires at the row where it holds), each from the feed holding that row.
    period = rows["happened_on"].dt.to_period("M")
    received = period.dt.end_time.dt.normalize() + pd.Timedelta(days=5)
    arrived = (received <= pd.Timestamp(as_of)).to_numpy()  # this month's: not yet
    rows, received = rows[arrived], received[arrived]
    rows = rows.assign(feed_id="F" + city_code + period.dt.strftime("%Y%m") + rows["source"],
                       _received=received)
    rows["row_hash"] = feeds.row_hashes(rows["source"], rows)
    rows = rows.drop_duplicates("row_hash")
    alerts = feeds.match(rows, people, frames["households"], frames["grids"], frames["areas"],
                         frames["assignments"], frames["household_helpers"], policy,
                         feed_id="", raised_at=pd.Timestamp(as_of))
    by_day = rows.drop_duplicates(["source", "id_number", "happened_on", "item"]).set_index(
        ["source", "id_number", "item", "happened_on"])
    key = pd.MultiIndex.from_arrays([alerts["source"], alerts["id_number"], alerts["rule"],
                                     alerts["triggered_on"]])
    alerts["feed_id"] = by_day["feed_id"].reindex(key).to_numpy()
    raised = pd.to_datetime(by_day["_received"].reindex(key).to_numpy()) + pd.Timedelta(
        hours=9)
    alerts["raised_at"] = raised
    alerts["assigned_at"] = alerts["assigned_at"].where(alerts["assigned_at"].isna(), raised)
    alerts["due_on"] = pd.to_datetime(add_working_days_many(
        raised.to_numpy("datetime64[D]"), policy.feeds.verify_working_days))
    feed_table = rows.groupby("feed_id").agg(
        source=("source", "first"), received_on=("_received", "first"),
        rows=("row_hash", "size")).reset_index()
    counts = alerts["feed_id"].value_counts()
    feed_table = feed_table.assign(
        file=feed_table["source"] + feed_table["feed_id"].str.slice(5, 11) + ".xlsx",
        imported_by="admin", imported_at=feed_table["received_on"] + pd.Timedelta(hours=9),
        new_rows=feed_table["rows"], alerts=feed_table["feed_id"].map(counts).fillna(0))
    kept = [rows.drop(columns=["source", "_received"])]
    alerts, events = _worked(alerts, rng, as_of, policy)
    alerts, behind = _behind(alerts, rng, as_of, policy)
    alerts, households, changes = _tier_outcomes(alerts, frames["households"],
                                                 frames["tier_changes"])
    retained = pd.concat(kept, ignore_index=True)
    feed_table = schema.conform("feeds", feed_table)
    if policy.feeds.retention_days:
        cutoff = pd.Timestamp(as_of) - pd.Timedelta(days=policy.feeds.retention_days)
        old = feed_table.loc[feed_table["received_on"] < cutoff, "feed_id"]
        retained = retained[~retained["feed_id"].isin(old)]
    visits_all = pd.concat([frames["visits"], behind["visits"]]).sort_values(
        ["visited_at", "visit_id"], ignore_index=True)
    return {"feeds": feed_table, "feed_rows": schema.conform("feed_rows", retained),
            "alerts": schema.conform("alerts", alerts), "alert_events": events,
            "visits": visits_all, "households": households, "tier_changes": changes,
            "cases": pd.concat([frames["cases"], behind["cases"]], ignore_index=True),
            "case_events": pd.concat([frames["case_events"], behind["case_events"]],
                                     ignore_index=True)}


def _worked(alerts: pd.DataFrame, rng: np.random.Generator, as_of: date, policy: Policy
            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Alerts taken as far as their age allows: most verified in a few working days,
    then about half confirmed (registered) or a third (leads), the rest dismissed; a
    few recent ones still waiting or overdue. Returns the alerts and all their events."""
    a = alerts.copy().reset_index(drop=True)
    n = len(a)
    first = lifecycle.first_events(a, "admin")
    end = pd.Timestamp(as_of) + pd.Timedelta(hours=18)
    unplaced = a["stage"].eq("new").to_numpy()
    lag = rng.integers(1, 9, n)
    verified_day = add_working_days_many(a["raised_at"].to_numpy("datetime64[D]"), lag)
    verified_at = pd.to_datetime(verified_day) + pd.to_timedelta(rng.integers(9, 17, n), "h")
    done = (verified_at <= end) & ~unplaced & (rng.random(n) < 0.93)
    decide_lag = rng.integers(1, 12, n)
    decided_at = pd.to_datetime(add_working_days_many(verified_day, decide_lag)) \
        + pd.to_timedelta(rng.integers(9, 17, n), "h")
    decided = done & (decided_at <= end) & (rng.random(n) < 0.95)
    registered = a["kind"].eq("registered").to_numpy()
    review = a["risk"].eq("资格复核").to_numpy()
    confirm = decided & (rng.random(n) < np.where(review, 0.9, np.where(registered, 0.35,
                                                                         0.06)))
    outcome = np.where(review | ~registered, "referral",
                       np.where(a["suggested_tier"].notna(), "tier_change", "referral"))
    referral = np.where(a["risk"].isin(["支出型", "因病"]), "health",
                        np.where(a["risk"].eq("因残"), "disability",
                                 np.where(a["risk"].eq("收入型"), "employment", "charity")))
    reasons = np.array(["入户核实，家庭收支正常", "已享受相关救助", "人员已迁出本辖区",
                        "数据有误，非本人", "子女有赡养能力，暂不纳入"])
    a["verified_at"] = verified_at.where(done)
    a["visit_id"] = None
    a["decided_at"] = decided_at.where(decided)
    a["outcome"] = np.where(confirm, outcome, None)
    a["referral"] = np.where(confirm & (outcome == "referral"), referral, None)
    a["reason"] = np.where(decided & ~confirm, reasons[rng.integers(0, len(reasons), n)],
                           None)
    a["stage"] = np.where(confirm, "confirmed", np.where(
        decided, "dismissed", np.where(done, "verified", a["stage"])))
    events = [first]
    for mask, to_stage, at in ((done, "verified", a["verified_at"]),
                               (decided, None, a["decided_at"])):
        if not mask.any():
            continue
        ids = a.loc[mask, "alert_id"].astype(str)
        stage = to_stage or a.loc[mask, "stage"]
        events.append(schema.conform("alert_events", pd.DataFrame({
            "event_id": ("E" + ids.str.slice(1) + ("1" if to_stage else "2")).to_numpy(),
            "alert_id": ids.to_numpy(), "happened_at": at[mask].to_numpy(),
            "from_stage": "assigned" if to_stage else "verified",
            "to_stage": stage if isinstance(stage, str) else stage.to_numpy(),
            "actor": a.loc[mask, "assigned_to"].fillna("admin").to_numpy(),
            "detail": None})))
    return a, pd.concat(events, ignore_index=True)


def _tier_outcomes(alerts: pd.DataFrame, households: pd.DataFrame,
                   tier_changes: pd.DataFrame
                   ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The tier change behind each alert confirmed as one, as the app writes it: the
    household moves from its tier to the more urgent one suggested, when the alert was
    decided. Only a household that changed tier no other time keeps such an outcome
    (its history stays one chain), once; the others become referrals."""
    a = alerts.copy()
    tiers = list(schema.TIERS)
    rank = {t: i for i, t in enumerate(tiers)}
    tier_of = households.set_index("household_id")["tier"]
    current = a["household_id"].map(tier_of)
    wanted = a["outcome"].eq("tier_change").to_numpy()
    upgrade = (a["suggested_tier"].map(rank).fillna(9) < current.map(rank).fillna(-1))
    keep = (wanted & upgrade.to_numpy()
            & ~a["household_id"].isin(set(tier_changes["household_id"])).to_numpy())
    first = a[keep].sort_values("decided_at").drop_duplicates("household_id").index
    keep &= a.index.isin(first)
    drop = wanted & ~keep
    a.loc[drop, "outcome"] = "referral"
    a.loc[drop, "referral"] = a.loc[drop, "risk"].map(_REFER_BY_RISK).fillna("charity")
    c = a[keep]
    rows = pd.DataFrame({
        "household_id": c["household_id"].to_numpy(),
        "changed_at": pd.DatetimeIndex(c["decided_at"]).floor("min"),
        "from_tier": current[keep].to_numpy(), "to_tier": c["suggested_tier"].to_numpy(),
        "reason": (c["evidence"].astype(str) + "（预警 " + c["alert_id"].astype(str)
                   + " 核实）").to_numpy(),
        "changed_by": c["assigned_to"].fillna("admin").to_numpy()})
    households = households.copy()
    if len(rows):
        moved = households["household_id"].isin(set(rows["household_id"]))
        by = rows.set_index("household_id")
        households["tier"] = households["tier"].mask(
            moved, households["household_id"].map(by["to_tier"].to_dict()))
        households["tier_since"] = pd.to_datetime(households["tier_since"]).mask(
            moved, households["household_id"].map(by["changed_at"].dt.normalize().to_dict()))
    return a, households, pd.concat([tier_changes, rows], ignore_index=True)


_REFER_BY_RISK = {"支出型": "health", "因病": "health", "因残": "disability",
                  "收入型": "employment"}


# A confirmed alert's risk type as a case category.
_CASE_CATEGORY = {"支出型": "因病", "因病": "因病", "因残": "因残", "收入型": "失业",
                  "生活困难": "生活困难", "资格复核": "生活困难"}
_AID = {"因病": "医疗救助", "因残": "残疾人补贴", "失业": "就业救助", "生活困难": "低保"}
_REFER = {"因病": "health", "因残": "disability", "失业": "employment", "生活困难": "charity"}


def _behind(alerts: pd.DataFrame, rng: np.random.Generator, as_of: date, policy: Policy
            ) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """What the worked alerts rest on, as the app writes it: the door visit behind each
    verified alert on a registered household (``visit_id``), and for about a third of
    the confirmed registered ones a ``data_alert`` case instead of a tier change or
    referral, reported when the alert was confirmed and worked since."""
    a = alerts.copy()
    end = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    visited = (a["kind"].eq("registered") & a["verified_at"].notna()).to_numpy()
    hexes = a["alert_id"].astype(str).str.slice(1).to_numpy(object)
    visit_ids = "VA" + hexes
    a["visit_id"] = np.where(visited, visit_ids, None)
    confirmed = a["stage"].eq("confirmed").to_numpy()
    visits = pd.DataFrame({
        "visit_id": visit_ids[visited], "household_id": a.loc[visited, "household_id"],
        "worker_id": a.loc[visited, "assigned_to"], "visited_at": a.loc[visited,
                                                                          "verified_at"],
        "method": "door", "note": "核实预警：" + a.loc[visited, "evidence"].astype(str),
        "found_difficulty": confirmed[visited]})

    n = len(a)
    as_case = (confirmed & visited & ~a["risk"].eq("资格复核").to_numpy()
               & (rng.random(n) < 0.35))
    c = a[as_case]
    m = len(c)
    category = c["risk"].map(_CASE_CATEGORY).to_numpy(object)
    reported = pd.DatetimeIndex(c["decided_at"])
    due = add_working_days_many(reported.to_numpy("datetime64[D]"),
                                policy.casework.deadline_working_days["ordinary"])
    assessed = reported + pd.to_timedelta(rng.integers(1, 4 * 24, m), "h")
    handling = assessed + pd.to_timedelta(rng.integers(1, 8 * 24, m), "h")
    closed = handling + pd.to_timedelta(rng.integers(5 * 24, 40 * 24, m), "h")
    assessed = assessed.where(assessed < end)
    handling = handling.where(pd.notna(assessed) & (handling < end))
    closed = closed.where(pd.notna(handling) & (closed < end))
    stage = np.select([pd.notna(closed), pd.notna(handling), pd.notna(assessed)],
                      ["closed", "handling", "assessed"], "reported")
    case_ids = ("CA" + hexes[as_case]).astype(object)
    aid = pd.Series(category).map(_AID).to_numpy(object)
    refer = pd.Series(category).map(_REFER).to_numpy(object)
    cases = pd.DataFrame({
        "case_id": case_ids, "household_id": c["household_id"].to_numpy(),
        "source": "data_alert", "category": category, "urgency": "ordinary",
        "description": c["evidence"].to_numpy(), "reported_by": c["assigned_to"].to_numpy(),
        "reported_at": reported, "stage": stage, "due_on": pd.to_datetime(due),
        "judgement": np.where(pd.notna(assessed), "eligible", None),
        "assistance": np.where(pd.notna(assessed), aid, None),
        "referrals": np.where(pd.notna(handling), refer, None),
        "aid_kind": None, "aid_amount": np.nan, "assessed_at": assessed,
        "handling_at": handling, "closed_at": closed, "followed_up_at": pd.NaT,
        "follow_up_visit_id": None})
    parts, last = [], np.full(m, None, dtype=object)
    for digit, (to, when) in enumerate((("reported", reported), ("assessed", assessed),
                                        ("handling", handling), ("closed", closed))):
        reached = np.asarray(pd.notna(when))
        parts.append(pd.DataFrame({
            "event_id": "EA" + hexes[as_case][reached] + str(digit),
            "case_id": case_ids[reached], "happened_at": when[reached],
            "from_stage": last[reached], "to_stage": to,
            "actor": c["assigned_to"].to_numpy()[reached],
            "detail": "source=data_alert" if to == "reported" else None}))
        last[reached] = to
    a.loc[as_case, "outcome"] = "case"
    a.loc[as_case, "case_id"] = case_ids
    a.loc[as_case, "referral"] = None
    return a, {"visits": visits, "cases": cases,
               "case_events": pd.concat(parts, ignore_index=True)}
