"""Demo services (物质+服务): providers, entitlements and a year of service records.

- Providers: an elderly-care centre (养老服务中心) per street, and per district a social
  work station (社工站), a canteen (助餐点) and a volunteer team (志愿队伍).
- Entitlements: about a tenth of the elderly households (head aged 60 or more, from the
  ID number) are assessed 失能 or 半失能 and get 60 or 45 hours of in-home service a
  month by the catalogue's rule (Qingdao, seed 004), from their street's centre;
  a grant lasts 12 months and is renewed when the elder is assessed again.
- Records: the centre's staff come on distinct days, each staff member serving a few
  households in fixed slots of the day (so nobody is in two homes at once), for 2 to
  3¾ hours starting at times like 08:05 or 13:40; most visits are booked and start on
  time. A few centres under-deliver (55-75 % of the hours) and start late.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from gridmap import schema
from gridmap.demo import _synthetic as syn
from gridmap.services import Catalogue, entitlements_from_levels

SLOTS = np.array([7 * 60, 11 * 60 + 15, 15 * 60 + 30])  # minutes after midnight
NEXT_SLOT = np.array([11 * 60 + 15, 15 * 60 + 30, 21 * 60])
HOUSEHOLDS_PER_STAFF = 3
UNDER_DELIVERING = 0.12  # the share of centres that deliver too little


def _providers(areas: pd.DataFrame, city_code: str) -> pd.DataFrame:
    names = areas.set_index("area_id")["name"]
    streets = areas[areas["level"] == "street"]
    districts = areas[areas["level"] == "district"]
    rows = [{"name": f"{name}居家养老服务中心", "kind": "养老服务中心", "area_id": a}
            for a, name in zip(streets["area_id"], streets["name"], strict=True)]
    for a in districts["area_id"]:
        rows += [{"name": f"{names[a]}社会工作服务站", "kind": "社工站", "area_id": a},
                 {"name": f"{names[a]}爱心助餐点", "kind": "助餐点", "area_id": a},
                 {"name": f"{names[a]}志愿服务队", "kind": "志愿队伍", "area_id": a}]
    frame = pd.DataFrame(rows)
    frame.insert(0, "provider_id", [f"P{city_code}{i:04d}" for i in range(len(frame))])
    frame["phone"] = [f"0511-8{int(city_code) % 100:02d}{i:05d}" for i in range(len(frame))]
    return frame


def services(households: pd.DataFrame, grids: pd.DataFrame, areas: pd.DataFrame,
             catalogue: Catalogue, city_code: str, rng: np.random.Generator, as_of: date,
             *, history_days: int = 365) -> dict[str, pd.DataFrame]:
    """The providers, entitlements and service records of one demo city."""
    providers = _providers(areas, city_code)
    rule = catalogue.rule
    day = pd.Timestamp(as_of)
    born = pd.to_datetime(households["id_number"].str.slice(6, 14), format="%Y%m%d")
    elderly = ((day - born).dt.days / 365.25 >= 60).to_numpy()
    chosen = np.flatnonzero(elderly & (rng.random(len(households)) < 0.1))
    n = len(chosen)
    street = households["grid_id"].map(grids.set_index("grid_id")["street_id"]).to_numpy()
    centre_of = providers[providers["kind"] == "养老服务中心"].set_index("area_id")[
        "provider_id"]
    levels = pd.DataFrame({
        "household_id": households["household_id"].to_numpy()[chosen],
        "care_level": np.where(rng.random(n) < 0.4, "失能", "半失能"),
        "assessed_at": day - pd.to_timedelta(rng.integers(20, 700, n), "D")
        + pd.to_timedelta(rng.integers(9 * 60, 17 * 60, n), "min"),
        "provider_id": centre_of.reindex(street[chosen]).to_numpy()})
    first = entitlements_from_levels(levels, rule, granted_by="评估员")
    renew = levels[(levels["assessed_at"] + pd.DateOffset(months=rule.months)) <= day].copy()
    renew["assessed_at"] = renew["assessed_at"] + pd.DateOffset(months=rule.months)
    grants = pd.concat([first, entitlements_from_levels(renew, rule, granted_by="评估员")],
                       ignore_index=True)
    grants = grants.sort_values(["household_id", "valid_from"], ignore_index=True)
    records = _records(grants, providers, rng, day, city_code, history_days)
    return {"providers": schema.conform("providers", providers),
            "entitlements": schema.conform("entitlements", grants),
            "service_records": records}


def _records(grants: pd.DataFrame, providers: pd.DataFrame, rng: np.random.Generator,
             day: pd.Timestamp, city_code: str, history_days: int) -> pd.DataFrame:
    """A year of in-home service up to ``day`` for ``grants``, vectorised by
    grant-month."""
    centres = providers[providers["kind"] == "养老服务中心"]["provider_id"].to_numpy()
    perf = pd.Series(rng.uniform(0.9, 1.04, len(centres)), index=centres)
    weak = rng.random(len(centres)) < UNDER_DELIVERING
    perf[weak] = rng.uniform(0.55, 0.75, int(weak.sum()))
    late = pd.Series(np.where(weak, 0.45, 0.06), index=centres)
    # Staff: each centre's households in groups of three, one slot each.
    household_ids = grants["household_id"].drop_duplicates().to_numpy()
    provider_of = grants.drop_duplicates("household_id").set_index("household_id")[
        "provider_id"]
    order = pd.DataFrame({"household_id": household_ids,
                          "provider_id": provider_of.reindex(household_ids).to_numpy()})
    rank = order.groupby("provider_id").cumcount().to_numpy()
    staff_no = rank // HOUSEHOLDS_PER_STAFF
    names = syn.person_names(rng, len(order))  # more than needed: one per (centre, group)
    key = order["provider_id"] + ":" + staff_no.astype(str)
    codes, _ = pd.factorize(key)
    staff = pd.Series(names[codes], index=household_ids)
    slot = pd.Series(rank % HOUSEHOLDS_PER_STAFF, index=household_ids)
    # Grant-months within the year before the day.
    start = (day - pd.Timedelta(days=history_days)).to_period("M")
    months = pd.period_range(start, day.to_period("M"), freq="M")
    rows = []
    for month in months:
        m0 = month.start_time.normalize()
        m1 = min((month + 1).start_time.normalize(), day + pd.Timedelta(days=1))
        lo = pd.to_datetime(grants["valid_from"]).clip(lower=m0)
        hi = (pd.to_datetime(grants["valid_until"]).fillna(m1) + pd.Timedelta(days=1)
              ).clip(upper=m1)
        days = (hi - lo).dt.days.to_numpy()
        live = days > 0
        if not live.any():
            continue
        g = grants[live]
        share = days[live] / month.days_in_month
        target = g["amount"].to_numpy() * share * perf.reindex(g["provider_id"]).to_numpy() \
            * rng.uniform(0.92, 1.03, len(g))
        sessions = np.clip(np.round(target / 2.9).astype(int), 1, days[live])
        # Distinct days per grant-month: the k smallest of random keys over its days.
        span = int(days[live].max())
        keys = rng.random((len(g), span))
        keys[np.arange(span)[None, :] >= days[live][:, None]] = 2.0
        picked = np.argsort(keys, axis=1)
        which = np.arange(span)[None, :] < sessions[:, None]
        gi, di = np.nonzero(which)
        offset = picked[gi, di]
        dates = lo.to_numpy()[live][gi] + offset.astype("timedelta64[D]")
        hours = np.clip(np.round(rng.normal(2.9, 0.45, len(gi)) * 4) / 4, 2.0, 3.75)
        hh = g["household_id"].to_numpy()[gi]
        minutes = SLOTS[slot.reindex(hh).to_numpy()] + rng.integers(0, 5, len(gi)) * 5
        booked = dates + (minutes * 60).astype("timedelta64[s]")
        is_late = rng.random(len(gi)) < late.reindex(g["provider_id"].to_numpy()[gi]).to_numpy()
        delay = np.where(is_late, rng.integers(35, 90, len(gi)), rng.integers(-10, 15, len(gi)))
        began = booked + (delay * 60).astype("timedelta64[s]")
        # A late start ends no later than the staff member's next slot.
        room = NEXT_SLOT[slot.reindex(hh).to_numpy()] - (minutes + delay)
        hours = np.minimum(hours, np.floor(room / 15) / 4)
        rows.append(pd.DataFrame({
            "household_id": hh, "service_id": "home_care",
            "provider_id": g["provider_id"].to_numpy()[gi],
            "delivered_by": staff.reindex(hh).to_numpy(), "started_at": began,
            "quantity": hours,
            "scheduled_at": np.where(rng.random(len(gi)) < 0.85, booked,
                                     np.datetime64("NaT")),
            "note": None}))
    out = pd.concat(rows, ignore_index=True)
    out = out[out["started_at"] < day + pd.Timedelta(days=1)]
    out = out.sort_values(["started_at", "household_id"], ignore_index=True)
    out.insert(0, "record_id", [f"S{city_code}{i:08d}" for i in range(len(out))])
    out["recorded_by"] = out["delivered_by"]
    out["recorded_at"] = (pd.to_datetime(out["started_at"])
                          + pd.to_timedelta(out["quantity"], unit="h")).dt.ceil("min")
    return schema.conform("service_records", out)


# A case's category -> the service a worker orders for it, and from which provider kind.
_ORDERED = {"因病": ("hospital_care", 24.0, "养老服务中心"),
            "因残": ("cleaning", 8.0, "养老服务中心"),
            "失业": ("job_coaching", 2.0, "社工站"),
            "意外事故": ("counselling", 4.0, "社工站"),
            "儿童监护": ("child_care", 4.0, "社工站")}


def orders(cases: pd.DataFrame, households: pd.DataFrame, grids: pd.DataFrame,
           providers: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Services ordered by about a third of the cases in handling (issue 21), from the
    nearest provider of the kind, still open: none of these services has a demo record,
    so the board shows them waiting for their first delivery."""
    picked = cases[(cases["stage"] == "handling") & cases["category"].isin(list(_ORDERED))]
    picked = picked[rng.random(len(picked)) < 0.35]
    service = picked["category"].map(lambda c: _ORDERED[c][0])
    grid = picked["household_id"].map(households.set_index("household_id")["grid_id"])
    street = grid.map(grids.set_index("grid_id")["street_id"])
    district = grid.map(grids.set_index("grid_id")["district_id"])
    by_area = providers.set_index(["kind", "area_id"])["provider_id"]
    kind = picked["category"].map(lambda c: _ORDERED[c][2])
    provider = [by_area.get((k, s), by_area.get((k, d))) for k, s, d in
                zip(kind, street, district, strict=True)]
    frame = pd.DataFrame({
        "order_id": "O" + picked["case_id"].astype(str).to_numpy(),
        "household_id": picked["household_id"].to_numpy(),
        "service_id": service.to_numpy(),
        "quantity": picked["category"].map(lambda c: _ORDERED[c][1]).to_numpy(float),
        "provider_id": provider, "case_id": picked["case_id"].to_numpy(), "need_id": None,
        "ordered_by": picked["reported_by"].to_numpy(),
        "ordered_at": pd.DatetimeIndex(picked["handling_at"]), "delivered_at": pd.NaT})
    return schema.conform("service_orders", frame[frame["provider_id"].notna()])
