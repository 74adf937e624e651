"""Demo cases and needs: a year of the closed loop and of 微心愿, with plausible stage
times, some late and some still open, all valid under ``stages``' rules.

Cases found on visits start at those visits; the rest come from the other
channels. A followed-up case has a real door visit after closing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridmap import schema
from gridmap.policy import Policy
from gridmap.workdays import add_working_days_many

DAYS = 365
SEP = schema.CATEGORY_SEPARATOR

_CATEGORY_P = dict(zip(schema.CASE_CATEGORIES,
                       (0.27, 0.10, 0.08, 0.12, 0.06, 0.07, 0.15, 0.05, 0.10), strict=True))
_SOURCE_P = {"volunteer": 0.22, "hotline": 0.27, "neighbour": 0.18, "data_alert": 0.20,
             "online_application": 0.13}  # the channels other than visits
_MAIN_AID = {"因病": "医疗救助", "因残": "残疾人补贴", "因学": "教育救助", "失业": "就业救助",
             "意外事故": "临时救助", "住房困难": "住房救助", "养老照护": "特困供养",
             "儿童监护": "服务类帮扶", "生活困难": "低保"}
_REFERRAL = {"因病": "health", "因残": "disability", "因学": "education", "失业": "employment",
             "意外事故": "charity", "住房困难": "housing", "养老照护": "charity",
             "儿童监护": "education", "生活困难": "charity"}
_DESCRIPTIONS = {
    "因病": ["家庭成员突发重病住院，自付医疗费用高", "慢性病长期服药，支出压力大",
             "医保预警：年度自付医疗费用超过家庭收入一半"],
    "因残": ["家中新增重度残疾人，需要照护", "残疾证到期未换，补贴中断"],
    "因学": ["子女考上大学，学费生活费无着落", "孩子辍学在家，需要劝返和资助"],
    "失业": ["主要劳动力失业，家庭收入中断", "灵活就业收入不稳定，连续数月无收入"],
    "意外事故": ["交通事故致家庭成员受伤", "家中失火，生活用品受损"],
    "住房困难": ["房屋年久失修，雨季漏水", "租住房屋到期，无处可住"],
    "养老照护": ["独居老人行动不便，无人照料", "老人失能，子女在外地无法照护"],
    "儿童监护": ["父母一方服刑，儿童无人监护", "父母外出务工，留守儿童生活无人照顾"],
    "生活困难": ["家庭收入低于当地低保标准", "突发变故，基本生活难以维持"],
}
_NEED_P = dict(zip(schema.NEED_CATEGORIES, (0.18, 0.2, 0.17, 0.08, 0.12, 0.12, 0.08, 0.05),
                   strict=True))
_NEED_TEXT = {
    "家用电器": ["需要一台洗衣机", "冰箱坏了，需要一台冰箱", "冬天需要一台取暖器"],
    "生活用品": ["需要过冬棉被两床", "需要轮椅一辆", "需要米面油等生活物资"],
    "助学": ["孩子暑期想参加夏令营", "需要课业辅导，每周两次", "需要一台学习用的电脑"],
    "就业": ["希望找一份就近的工作", "想参加技能培训"],
    "医疗康复": ["需要康复训练指导", "需要陪同就医"],
    "陪伴照料": ["老人希望每周有人上门陪伴聊天", "需要助餐服务"],
    "维修改造": ["卫生间需要适老化改造", "电线老化需要维修"],
    "文体活动": ["孩子想学一门乐器", "希望参加社区文体活动"],
}
_HELPERS = {"volunteer": ["志愿者"], "organisation": ["爱心企业", "物业服务中心", "社会组织"],
            "party_member": ["党员先锋岗"], "charity": ["慈善分会", "红十字会"]}


def _pick(rng, options: dict, n: int) -> np.ndarray:
    keys = list(options)
    p = np.array(list(options.values()), float)
    return np.array(keys, dtype=object)[rng.choice(len(keys), n, p=p / p.sum())]


def _texts(rng, table: dict, categories: np.ndarray) -> np.ndarray:
    return np.array([table[c][rng.integers(len(table[c]))] for c in categories], dtype=object)


def _stamp(base: pd.Series | pd.DatetimeIndex, days: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(base) + pd.to_timedelta(np.round(days * 1440), "min")


def _events(key: str, ids: np.ndarray, times: dict, actors: dict, details: dict,
            prefix: str) -> pd.DataFrame:
    parts, last = [], np.full(len(ids), None, dtype=object)
    for stage, when in times.items():
        reached = np.asarray(pd.notna(when))
        parts.append(pd.DataFrame({
            key: ids[reached], "happened_at": when[reached], "from_stage": last[reached],
            "to_stage": stage, "actor": actors[stage][reached],
            "detail": details.get(stage, np.full(len(ids), None, dtype=object))[reached]}))
        last[reached] = stage
    events = pd.concat(parts, ignore_index=True).sort_values(["happened_at", key],
                                                             ignore_index=True)
    events.insert(0, "event_id", [f"E{prefix}{i:08d}" for i in range(len(events))])
    return events


def cases_and_needs(households: pd.DataFrame, visits: pd.DataFrame,
                    primary_of_grid: pd.Series, policy: Policy, city_code: str,
                    rng: np.random.Generator, as_of) -> dict[str, pd.DataFrame]:
    """``cases``, ``case_events``, ``needs``, ``need_events`` and the follow-up visits."""
    end = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    start = end - pd.Timedelta(days=DAYS)
    hh = households.set_index("household_id")
    worker_of = pd.Series(primary_of_grid.reindex(hh["grid_id"]).to_numpy(), index=hh.index)

    # -- cases: from visits that found a difficulty, and from the other channels
    found = visits[visits["found_difficulty"].to_numpy()]
    found = found.iloc[rng.random(len(found)) < 0.6]
    n_other = round(0.1 * len(households))
    weights = hh["tier"].map({"red": 4.0, "orange": 3.0, "yellow": 1.5, "green": 1.0}
                             ).to_numpy()
    others = rng.choice(len(hh), n_other, p=weights / weights.sum())
    other_at = (start + pd.to_timedelta(rng.integers(0, DAYS, n_other), "D")
                + pd.to_timedelta(rng.integers(8 * 60, 20 * 60, n_other), "min"))
    household_id = np.concatenate([found["household_id"].to_numpy(),
                                   hh.index.to_numpy()[others]])
    reported = pd.DatetimeIndex(np.concatenate([
        found["visited_at"].to_numpy(dtype="datetime64[ms]"),
        other_at.floor("min").to_numpy(dtype="datetime64[ms]")]))
    source = np.concatenate([np.full(len(found), "visit", dtype=object),
                             _pick(rng, _SOURCE_P, n_other)])
    n = len(household_id)
    category = _pick(rng, _CATEGORY_P, n)
    recent = (reported >= end - pd.Timedelta(days=21)) & (rng.random(n) < 0.25)
    category[recent] = "因病"  # a winter wave of illness: rising on the hot list
    urgency = np.where(rng.random(n) < 0.2, "emergency", "ordinary")
    deadline = np.where(urgency == "emergency", policy.casework.deadline_working_days[
        "emergency"], policy.casework.deadline_working_days["ordinary"])
    due = add_working_days_many(reported.to_numpy(dtype="datetime64[D]"), deadline)
    actor = worker_of.reindex(household_id).to_numpy()

    emergency = urgency == "emergency"
    judgement = _pick(rng, {"eligible": 0.55, "in_difficulty": 0.3, "not_in_difficulty": 0.15},
                      n)
    # A few recent ones never got past the report or the assessment: the overdue ones.
    stuck = (rng.random(n) < 0.06) & (reported >= end - pd.Timedelta(days=75))
    unassessed = stuck & (rng.random(n) < 0.6)
    assessed = _stamp(reported, np.where(emergency, rng.uniform(0.05, 1.2, n),
                                         rng.exponential(3.0, n) + 0.5))
    late = rng.random(n) < 0.08
    delay = np.where(emergency, rng.uniform(0.1, 1.5, n), rng.uniform(1, 14, n))
    delay = np.where(late, delay + rng.uniform(5, 20, n), delay)
    helped = judgement != "not_in_difficulty"
    handling = _stamp(assessed, delay)
    closed = _stamp(handling, rng.uniform(5, 60, n))
    closed = closed.where(helped, _stamp(assessed, rng.uniform(0.1, 2, n)))
    followed = _stamp(closed, rng.exponential(12.0, n) + 2)
    followed = followed.where(helped | (rng.random(n) < 0.5))

    def by_end(when: pd.DatetimeIndex, *before: pd.DatetimeIndex, blocked=stuck
               ) -> pd.DatetimeIndex:
        ok = pd.notna(when) & (when < end) & ~blocked
        for b in before:
            ok &= pd.notna(b)
        return when.where(ok)

    assessed = by_end(assessed, blocked=unassessed)
    handling = by_end(handling.where(helped), assessed)
    closed = by_end(closed, assessed)
    closed = closed.where(~helped | pd.notna(handling))
    followed = by_end(followed, closed)
    stage = np.select([pd.notna(followed), pd.notna(closed), pd.notna(handling),
                       pd.notna(assessed)],
                      ["followed_up", "closed", "handling", "assessed"], "reported")

    assistance = np.where(judgement == "eligible",
                          pd.Series(category).map(_MAIN_AID).to_numpy(dtype=object), None)
    extra = (judgement == "eligible") & (rng.random(n) < 0.25) & (assistance != "临时救助")
    assistance[extra] = assistance[extra] + SEP + "临时救助"
    assistance[judgement == "in_difficulty"] = _pick(
        rng, {"慈善帮扶": 0.6, "服务类帮扶": 0.4}, int((judgement == "in_difficulty").sum()))
    refer = rng.random(n) < 0.6
    aid = (judgement == "eligible") & ((rng.random(n) < 0.7) | ~refer)
    refer |= ~aid
    referrals = np.where(refer, pd.Series(category).map(_REFERRAL).to_numpy(dtype=object), None)
    aid_kind = np.where(aid, np.where(emergency, "临时救助金", "救助金"), None)
    amount = np.where(aid, np.round(rng.uniform(500, 5000, n), -2), np.nan)
    has_handling = pd.notna(handling)
    assessed_ok = pd.notna(assessed)

    case_ids = np.array([f"C{city_code}{i:07d}" for i in range(n)])
    follow_ids = np.array([f"V{city_code}F{i:07d}" for i in range(n)], dtype=object)
    has_follow = pd.notna(followed)
    cases = pd.DataFrame({
        "case_id": case_ids, "household_id": household_id, "source": source,
        "category": category, "urgency": urgency,
        "description": _texts(rng, _DESCRIPTIONS, category), "reported_by": actor,
        "reported_at": reported, "stage": stage, "due_on": due.astype("datetime64[ms]"),
        "judgement": np.where(assessed_ok, judgement, None),
        "assistance": np.where(assessed_ok, assistance, None),
        "referrals": np.where(has_handling, referrals, None),
        "aid_kind": np.where(has_handling, aid_kind, None),
        "aid_amount": np.where(has_handling, amount, np.nan),
        "assessed_at": assessed, "handling_at": handling, "closed_at": closed,
        "followed_up_at": followed, "follow_up_visit_id": np.where(has_follow, follow_ids, None),
    })
    follow_visits = pd.DataFrame({
        "visit_id": follow_ids[has_follow], "household_id": household_id[has_follow],
        "worker_id": actor[has_follow], "visited_at": followed[has_follow] - pd.Timedelta(
            minutes=30),
        "method": "door", "note": "办结回访", "found_difficulty": False})

    def detail(*pairs) -> np.ndarray:
        rows = zip(*(values for _, values in pairs), strict=True)
        names = [name for name, _ in pairs]
        return np.array(["; ".join(f"{k}={v}" for k, v in zip(names, row, strict=True)
                                   if v is not None and v == v) for row in rows], dtype=object)

    case_events = _events("case_id", case_ids, {
        "reported": reported, "assessed": assessed, "handling": handling, "closed": closed,
        "followed_up": followed}, {s: actor for s in schema.CASE_STAGES}, {
        "reported": detail(("source", source), ("category", category), ("urgency", urgency)),
        "assessed": detail(("judgement", judgement), ("assistance", assistance)),
        "handling": np.where(aid, detail(("aid_kind", aid_kind), ("aid_amount", amount)),
                             detail(("referrals", referrals))),
        "followed_up": detail(("visit", follow_ids))}, city_code + "C")

    # -- needs (seed 004: 1,756 posted, 1,713 matched in a city)
    m = round(0.0924 * len(households))
    red_orange = weights >= 3
    pool = np.flatnonzero(red_orange) if red_orange.any() else np.arange(len(hh))
    need_hh = hh.index.to_numpy()[rng.choice(pool, m)]
    posted = (start + pd.to_timedelta(rng.integers(0, DAYS, m), "D")
              + pd.to_timedelta(rng.integers(8 * 60, 19 * 60, m), "min"))
    need_cat = _pick(rng, _NEED_P, m)
    never = rng.random(m) < 0.025
    claimed = _stamp(posted, rng.exponential(3.0, m) + 0.1)
    claimed = claimed.where((claimed < end) & ~never)
    delivered = _stamp(claimed, rng.uniform(1, 10, m))
    delivered = delivered.where(pd.notna(claimed) & (delivered < end))
    confirmed = _stamp(delivered, rng.uniform(0.2, 5, m))
    recent = delivered >= end - pd.Timedelta(days=30)  # older ones were all confirmed
    confirmed = confirmed.where(pd.notna(delivered) & (confirmed < end)
                                & ~(recent & (rng.random(m) < 0.3)))
    kind = _pick(rng, {"volunteer": 0.45, "organisation": 0.25, "party_member": 0.2,
                       "charity": 0.1}, m)
    helper = np.array([f"{_HELPERS[k][rng.integers(len(_HELPERS[k]))]}{rng.integers(1, 60):02d}"
                       for k in kind], dtype=object)
    has_claim = pd.notna(claimed)
    need_stage = np.select([pd.notna(confirmed), pd.notna(delivered), has_claim],
                           ["confirmed", "delivered", "claimed"], "posted")
    need_ids = np.array([f"N{city_code}{i:07d}" for i in range(m)])
    poster = worker_of.reindex(need_hh).to_numpy()
    needs = pd.DataFrame({
        "need_id": need_ids, "household_id": need_hh, "category": need_cat,
        "description": _texts(rng, _NEED_TEXT, need_cat), "posted_by": poster,
        "posted_at": posted, "stage": need_stage,
        "helper": np.where(has_claim, helper, None),
        "helper_kind": np.where(has_claim, kind, None), "claimed_at": claimed,
        "delivered_at": delivered, "confirmed_at": confirmed})
    need_events = _events("need_id", need_ids, {
        "posted": posted, "claimed": claimed, "delivered": delivered, "confirmed": confirmed},
        {"posted": poster, "claimed": helper, "delivered": helper, "confirmed": poster},
        {"posted": np.array([f"category={c}" for c in need_cat], dtype=object),
         "claimed": np.array([f"helper={h}; helper_kind={k}" for h, k in zip(
             helper, kind, strict=True)], dtype=object)}, city_code + "N")
    return {"cases": cases, "case_events": case_events, "needs": needs,
            "need_events": need_events, "follow_up_visits": follow_visits}
