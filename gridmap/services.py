"""Services as well as money (物质+服务): the catalogue, what households are owed, what
was delivered, and the shortfall. Pure functions of frames.

The catalogue (``data/services.toml``) is configuration, validated on load like the
policy file: a mistake names the key that is wrong. It also holds the entitlement the
assessment grants by rule (Qingdao, seed 004: 失能 elders get 60 hours, 半失能 45 hours of
in-home service a month).

Definitions, per household and calendar month:

- *entitled*: the amounts of its entitlements in force that month, each prorated by
  the days of the month it is in force (granted on the 16th of a 30-day month: half);
- *due*: what is owed so far: the entitled amount, times the share of the month gone
  by the day ``as_of`` (the whole of a past month, none of a future one);
- *delivered*: the records' quantities in that month. A record counted in hours runs
  from ``started_at`` for ``quantity`` hours and is split across month boundaries by
  time, so a record over midnight at the end of a month counts in both months,
  proportionally; other units count in the month they started;
- *shortfall*: per entitled service, what is due less what was delivered of it (never
  below zero); a household is *short* when its shortfall is more than the policy's
  ``services.shortfall_pct`` % of what it is due.

Hours are what the figures count (``hours_entitled``, ``hours_delivered``); services in
other units (times, meals, yuan) are counted in their own unit by ``household_month``.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from gridmap import schema
from gridmap.coverage import area_keys, positions_in
from gridmap.errors import ValidationError
from gridmap.places import level_names
from gridmap.policy import Policy
from gridmap.privacy import suppress_derived
from gridmap.settings import DATA_DIR

DEFAULT_CATALOGUE = DATA_DIR / "services.toml"
REPORT_COLUMNS = ("area_id", "name", "households_entitled", "hours_entitled",
                  "hours_delivered", "delivery_rate", "households_short")
REPORT_LEVELS = (*schema.LEVELS, "provider")


@dataclass(frozen=True)
class Category:
    key: str
    name: str
    name_en: str


@dataclass(frozen=True)
class Service:
    key: str
    category: str
    name: str
    name_en: str
    unit: str  # one of schema.SERVICE_UNITS
    providers: tuple[str, ...]  # kinds of provider allowed (schema.PROVIDER_KINDS)

    def label(self, lang: str = "zh") -> str:
        return self.name_en if lang == "en" else self.name


@dataclass(frozen=True)
class EntitlementRule:
    """The assessment's answer ``answer`` (a care level) -> ``amount`` of ``service`` a
    month, for ``months`` months from the assessment."""

    service: str
    answer: str
    amount: dict[str, float] = field(default_factory=dict)
    months: int = 12


@dataclass(frozen=True)
class Catalogue:
    version: str
    categories: tuple[Category, ...]
    services: tuple[Service, ...]
    rule: EntitlementRule | None = None

    def service(self, key: str) -> Service:
        return next(s for s in self.services if s.key == key)

    @property
    def keys(self) -> list[str]:
        return [s.key for s in self.services]

    def units(self) -> dict[str, str]:
        """Service key -> unit."""
        return {s.key: s.unit for s in self.services}

    def hour_services(self) -> list[str]:
        return [s.key for s in self.services if s.unit == "hours"]

    def allows(self, service: str, provider_kind: str) -> bool:
        """Whether a provider of ``provider_kind`` may deliver ``service``."""
        return provider_kind in self.service(service).providers


# -- loading ------------------------------------------------------------------------

def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """Read and validate a catalogue (default ``data/services.toml``)."""
    path = Path(path or DEFAULT_CATALOGUE)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"not valid TOML: {exc}", source=str(path)) from exc
    return catalogue_from_dict(raw, source=str(path))


def catalogue_from_dict(raw: dict, *, source: str = "services") -> Catalogue:
    """Validate a parsed catalogue; a mistake raises ``ValidationError`` naming the key."""
    def fail(key: str, reason: str):
        raise ValidationError(reason, source=source, column=key)

    version = str(raw.get("version") or "")
    if not version:
        fail("version", "needs a version")
    categories = []
    for n, c in enumerate(raw.get("categories", [])):
        for key in ("key", "name", "name_en"):
            if not isinstance(c.get(key), str) or not c[key].strip():
                fail(f"categories[{n}].{key}", "is missing")
        categories.append(Category(c["key"], c["name"], c["name_en"]))
    if not categories:
        fail("categories", "needs at least one category")
    category_keys = [c.key for c in categories]
    if len(set(category_keys)) != len(category_keys):
        fail("categories", f"duplicate keys: {_twice(category_keys)}")
    services = []
    for n, s in enumerate(raw.get("services", [])):
        where = f"services[{n}]" + (f" ({s['key']})" if isinstance(s.get("key"), str) else "")
        for key in ("key", "category", "name", "name_en", "unit"):
            if not isinstance(s.get(key), str) or not s[key].strip():
                fail(f"{where}.{key}", "is missing")
        if s["category"] not in category_keys:
            fail(f"{where}.category", f"{s['category']!r} is not a category "
                 f"({', '.join(category_keys)})")
        if s["unit"] not in schema.SERVICE_UNITS:
            fail(f"{where}.unit", f"{s['unit']!r} is not one of "
                 f"{', '.join(schema.SERVICE_UNITS)}")
        providers = s.get("providers")
        if not isinstance(providers, list) or not providers:
            fail(f"{where}.providers", "needs at least one kind of provider")
        unknown = [p for p in providers if p not in schema.PROVIDER_KINDS]
        if unknown:
            fail(f"{where}.providers", f"unknown kinds {unknown}; allowed: "
                 f"{', '.join(schema.PROVIDER_KINDS)}")
        services.append(Service(s["key"], s["category"], s["name"], s["name_en"], s["unit"],
                                tuple(providers)))
    if not services:
        fail("services", "needs at least one service")
    keys = [s.key for s in services]
    if len(set(keys)) != len(keys):
        fail("services", f"duplicate keys: {_twice(keys)}")
    empty = [c for c in category_keys if c not in {s.category for s in services}]
    if empty:
        fail("categories", f"no service in {', '.join(empty)}")
    rule = None
    if "entitlement" in raw:
        rule = _rule(raw["entitlement"], {s.key: s for s in services}, fail)
    return Catalogue(version, tuple(categories), tuple(services), rule)


def _rule(raw: dict, services: dict[str, Service], fail) -> EntitlementRule:
    if not isinstance(raw, dict):
        fail("entitlement", "must be a table")
    service = raw.get("service")
    if service not in services:
        fail("entitlement.service", f"{service!r} is not a service of the catalogue")
    answer = raw.get("answer")
    if not isinstance(answer, str) or not answer:
        fail("entitlement.answer", "needs the assessment answer that holds the care level")
    amount = raw.get("amount")
    if not isinstance(amount, dict) or not amount:
        fail("entitlement.amount", "needs an amount a month per care level")
    for level, value in amount.items():
        if not (isinstance(value, int | float) and not isinstance(value, bool) and value > 0):
            fail(f"entitlement.amount.{level}", f"must be a positive amount, not {value!r}")
    months = raw.get("months", 12)
    if not isinstance(months, int) or isinstance(months, bool) or not 1 <= months <= 120:
        fail("entitlement.months", f"must be a whole number of months from 1 to 120, "
             f"not {months!r}")
    return EntitlementRule(service, answer, {k: float(v) for k, v in amount.items()}, months)


def _twice(keys: list[str]) -> list[str]:
    return sorted({k for k in keys if keys.count(k) > 1})


# -- entitlements from the assessment ---------------------------------------------------

def entitlement_id(household_id: str, service: str, valid_from) -> str:
    """A stable id: the same grant made twice is the same row."""
    text = f"{household_id}|{service}|{pd.Timestamp(valid_from):%Y-%m-%d}"
    return "E" + hashlib.sha1(text.encode()).hexdigest()[:12].upper()


def entitlements_from_levels(levels: pd.DataFrame, rule: EntitlementRule, *,
                             granted_by: str = "assessment") -> pd.DataFrame:
    """Entitlements granted by ``rule`` to ``levels`` (``household_id, care_level,
    assessed_at`` and optionally ``assessment_id``, ``person``, ``provider_id``): one per
    household whose care level the rule names, from the day assessed for ``rule.months``
    months."""
    amount = levels["care_level"].map(rule.amount)
    chosen = levels[amount.notna().to_numpy()].reset_index(drop=True)
    amount = amount.dropna().reset_index(drop=True)
    start = pd.to_datetime(chosen["assessed_at"]).dt.normalize()
    until = start + pd.DateOffset(months=rule.months) - pd.Timedelta(days=1)
    column = lambda name: (chosen[name] if name in chosen  # noqa: E731
                           else pd.Series([None] * len(chosen), dtype=object))
    return schema.conform("entitlements", pd.DataFrame({
        "entitlement_id": [entitlement_id(h, rule.service, s)
                           for h, s in zip(chosen["household_id"], start, strict=True)],
        "household_id": chosen["household_id"], "person": column("person"),
        "provider_id": column("provider_id"),
        "service_id": rule.service, "amount": amount.astype(float),
        "valid_from": start, "valid_until": until,
        "reason": "评估：" + chosen["care_level"].astype(str), "source": "assessment",
        "assessment_id": column("assessment_id"), "granted_by": granted_by,
        "granted_at": pd.to_datetime(chosen["assessed_at"])}))


def entitlements_from_assessments(assessments: pd.DataFrame, rule: EntitlementRule, *,
                                  granted_by: str = "assessment") -> pd.DataFrame:
    """The entitlements each household's latest assessment grants by ``rule``: its answer
    ``rule.answer`` (e.g. ``care_level``: 失能 / 半失能) read from the stored answers."""
    from gridmap.assessment import latest
    last = latest(assessments)

    def level(text) -> str | None:
        try:
            value = json.loads(text).get(rule.answer)
        except (TypeError, ValueError, AttributeError):
            return None
        return value if isinstance(value, str) else None
    levels = pd.DataFrame({"household_id": last["household_id"],
                           "care_level": last["answers"].map(level),
                           "assessed_at": last["assessed_at"],
                           "assessment_id": last["assessment_id"]})
    return entitlements_from_levels(levels, rule, granted_by=granted_by)


# -- months ---------------------------------------------------------------------------

def parse_month(text: str) -> pd.Period:
    """``'2026-11'`` -> that month; anything else raises ``ValidationError``."""
    try:
        if not isinstance(text, str) or len(text) != 7 or text[4] != "-":
            raise ValueError
        return pd.Period(text, freq="M")
    except ValueError:
        raise ValidationError(f"{text!r} is not a month like 2026-11", column="month") from None


def _bounds(month: pd.Period) -> tuple[pd.Timestamp, pd.Timestamp]:
    start = month.start_time.normalize()
    return start, (month + 1).start_time.normalize()


def _seconds(records: pd.DataFrame, units: dict[str, str]) -> np.ndarray:
    """Each hour record's duration in whole seconds (0 for other units)."""
    hours = records["service_id"].map(units).eq("hours").to_numpy()
    return np.where(hours, np.round(records["quantity"].to_numpy(float) * 3600), 0
                    ).astype(np.int64)


def delivered_in(records: pd.DataFrame, catalogue: Catalogue, month: pd.Period
                 ) -> pd.Series:
    """Each record's quantity that falls in ``month`` (aligned with ``records``): hours
    split by time across the month's boundaries, other units whole in the month they
    started."""
    return delivered_between(records, catalogue, *_bounds(month))


def delivered_between(records: pd.DataFrame, catalogue: Catalogue, start: pd.Timestamp,
                      end: pd.Timestamp) -> pd.Series:
    """Each record's quantity that falls in [``start``, ``end``) (aligned with
    ``records``): hours split by time at the bounds, other units whole where they
    started."""
    units = catalogue.units()
    begin = pd.to_datetime(records["started_at"]).to_numpy("datetime64[s]").astype(np.int64)
    seconds = _seconds(records, units)
    lo = np.int64(start.value // 10**9)
    hi = np.int64(end.value // 10**9)
    overlap = np.clip(np.minimum(begin + seconds, hi) - np.maximum(begin, lo), 0, None)
    hours = records["service_id"].map(units).eq("hours").to_numpy()
    inside = (begin >= lo) & (begin < hi)
    quantity = np.where(hours, overlap / 3600.0,
                        np.where(inside, records["quantity"].to_numpy(float), 0.0))
    return pd.Series(quantity, index=records.index)


def hours_between(records: pd.DataFrame, catalogue: Catalogue, start: pd.Timestamp,
                  end: pd.Timestamp) -> tuple[float, int]:
    """Hours of service delivered in [``start``, ``end``), and how many households they
    served (the screen's aggregate)."""
    hours = records["service_id"].map(catalogue.units()).eq("hours").to_numpy()
    quantity = delivered_between(records, catalogue, start, end).to_numpy() * hours
    served = records["household_id"].to_numpy()[quantity > 0]
    return float(quantity.sum()), int(pd.unique(served).size)


def entitled_in(entitlements: pd.DataFrame, month: pd.Period) -> pd.Series:
    """Each entitlement's amount owed in ``month``, prorated by its days in force."""
    start, end = _bounds(month)
    last = end - pd.Timedelta(days=1)
    first = pd.to_datetime(entitlements["valid_from"]).clip(lower=start)
    until = pd.to_datetime(entitlements["valid_until"]).fillna(last).clip(upper=last)
    days = ((until - first).dt.days + 1).clip(lower=0).to_numpy(float)
    return pd.Series(entitlements["amount"].to_numpy(float) * days / month.days_in_month,
                     index=entitlements.index)


def _gone_by(month: pd.Period, as_of: date | None) -> float:
    """The share of ``month`` gone by the end of ``as_of`` (1 for a past month)."""
    if as_of is None:
        return 1.0
    day = pd.Timestamp(as_of)
    start, end = _bounds(month)
    if day >= end - pd.Timedelta(days=1):
        return 1.0
    if day < start:
        return 0.0
    return (day.day) / month.days_in_month


# -- per household ------------------------------------------------------------------

def service_month(entitlements: pd.DataFrame, records: pd.DataFrame, catalogue: Catalogue,
                  month: pd.Period, *, as_of: date | None = None) -> pd.DataFrame:
    """Per household and service with anything owed or delivered in ``month``:
    ``household_id, service_id, unit, entitled, due, delivered, shortfall``."""
    owed = entitlements.assign(entitled=entitled_in(entitlements, month))
    owed = owed[owed["entitled"] > 0].groupby(["household_id", "service_id"])[
        "entitled"].sum()
    done = records.assign(delivered=delivered_in(records, catalogue, month))
    done = done[done["delivered"] > 0].groupby(["household_id", "service_id"])[
        "delivered"].sum()
    table = pd.concat([owed, done], axis=1).fillna(0.0)
    table.index.names = ["household_id", "service_id"]
    table = table.reset_index()
    if table.empty:
        table = pd.DataFrame({"household_id": pd.Series([], dtype=object),
                              "service_id": pd.Series([], dtype=object),
                              "entitled": pd.Series([], dtype=float),
                              "delivered": pd.Series([], dtype=float)})
    table.insert(2, "unit", table["service_id"].map(catalogue.units()))
    table["due"] = table["entitled"] * _gone_by(month, as_of)
    table["shortfall"] = (table["due"] - table["delivered"]).clip(lower=0).where(
        table["entitled"] > 0, 0.0)
    return table[["household_id", "service_id", "unit", "entitled", "due", "delivered",
                  "shortfall"]]


def household_month(entitlements: pd.DataFrame, records: pd.DataFrame, catalogue: Catalogue,
                    month: pd.Period, policy: Policy, *, as_of: date | None = None
                    ) -> pd.DataFrame:
    """Hours per household in ``month``: ``household_id, hours_entitled, hours_due,
    hours_delivered, shortfall, shortfall_pct, short`` (every household with hours owed
    or delivered). ``hours_delivered`` counts every hour service delivered; the shortfall
    only those it is owed."""
    table = service_month(entitlements, records, catalogue, month, as_of=as_of)
    hours = table[table["unit"] == "hours"]
    out = hours.groupby("household_id").agg(
        hours_entitled=("entitled", "sum"), hours_due=("due", "sum"),
        hours_delivered=("delivered", "sum"), shortfall=("shortfall", "sum"))
    out["shortfall_pct"] = (100.0 * out["shortfall"] / out["hours_due"].replace(0, np.nan))
    out["short"] = (out["shortfall_pct"] > policy.services.shortfall_pct).fillna(False)
    return out.reset_index()


def shortfall_list(month_table: pd.DataFrame, households: pd.DataFrame,
                   grid_names: pd.Series) -> pd.DataFrame:
    """Households short this month, the largest shortfall share first: ``household_id,
    alias, tier, grid, hours_entitled, hours_due, hours_delivered, shortfall,
    shortfall_pct`` (``households``: the reader's, so a household out of reach is not
    listed)."""
    short = month_table[month_table["short"].astype(bool)]
    info = households[["household_id", "alias", "tier", "grid_id"]]
    out = short.merge(info, on="household_id", how="inner")
    out["grid"] = out["grid_id"].map(grid_names)
    out = out.sort_values(["shortfall_pct", "household_id"], ascending=[False, True])
    return out[["household_id", "alias", "tier", "grid", "hours_entitled", "hours_due",
                "hours_delivered", "shortfall", "shortfall_pct"]].round(
        {"hours_entitled": 2, "hours_due": 2, "hours_delivered": 2, "shortfall": 2,
         "shortfall_pct": 1}).reset_index(drop=True)


def services_text(month_table: pd.DataFrame, catalogue: Catalogue, lang: str = "zh"
                  ) -> pd.Series:
    """Each household's services in a month as one line (the ledger's column), from
    ``service_month``: ``居家上门服务 38.5/60 小时；助餐送餐 12 餐`` (delivered of entitled,
    or delivered alone when not entitled). Indexed by household id."""
    from gridmap.i18n import label
    if month_table.empty:
        return pd.Series([], dtype=object)
    names = {s.key: s.label(lang) for s in catalogue.services}

    def item(row) -> str:
        owed = f"/{round(row.entitled, 2):g}" if row.entitled > 0 else ""
        return (f"{names.get(row.service_id, row.service_id)} {round(row.delivered, 2):g}"
                f"{owed} {label(row.unit, lang)}")
    ordered = month_table.sort_values(["household_id", "service_id"])
    lines = pd.Series([item(r) for r in ordered.itertuples(index=False)], index=ordered.index)
    separator = "；" if lang == "zh" else "; "
    return lines.groupby(ordered["household_id"]).agg(separator.join)


# -- per provider ---------------------------------------------------------------------

def on_time(records: pd.DataFrame, policy: Policy) -> pd.Series:
    """Whether each booked record started on time (``NaN`` for records not booked)."""
    late = pd.to_datetime(records["started_at"]) - pd.to_datetime(records["scheduled_at"])
    ok = late <= pd.Timedelta(minutes=policy.services.on_time_minutes)
    return ok.astype(float).where(records["scheduled_at"].notna())


def provider_table(records: pd.DataFrame, providers: pd.DataFrame, catalogue: Catalogue,
                   month: pd.Period, policy: Policy) -> pd.DataFrame:
    """Per provider in ``month``: ``provider_id, name, kind, records, hours_delivered,
    households_served, booked, on_time_rate`` (every provider, also idle ones)."""
    quantity = delivered_in(records, catalogue, month)
    these = records.assign(delivered=quantity)[quantity.to_numpy() > 0]
    these = these.assign(
        hours=np.where(these["service_id"].map(catalogue.units()).eq("hours"),
                       these["delivered"], 0.0),
        on_time=on_time(these, policy))
    table = these.groupby("provider_id").agg(
        records=("record_id", "size"), hours_delivered=("hours", "sum"),
        households_served=("household_id", "nunique"), booked=("on_time", "count"),
        on_time=("on_time", "sum"))
    table = table.reindex(providers["provider_id"].to_numpy())
    counts = ["records", "households_served", "booked", "on_time"]
    table[counts] = table[counts].fillna(0).astype(int)
    table["hours_delivered"] = table["hours_delivered"].fillna(0.0).round(2)
    table["on_time_rate"] = (100.0 * table["on_time"] / table["booked"].replace(0, np.nan)
                             ).round(1)
    table.index.name = "provider_id"
    table = table.reset_index().merge(providers[["provider_id", "name", "kind"]],
                                      on="provider_id")
    return table[["provider_id", "name", "kind", "records", "hours_delivered",
                  "households_served", "booked", "on_time_rate"]]


# -- the report -----------------------------------------------------------------------

def service_report(entitlements: pd.DataFrame, records: pd.DataFrame, households: pd.DataFrame,
                   grids: pd.DataFrame, areas: pd.DataFrame, providers: pd.DataFrame,
                   catalogue: Catalogue, policy: Policy, *, month: pd.Period, level: str,
                   as_of: date | None = None) -> pd.DataFrame:
    """Per area of ``level`` (every area) or per ``provider``: ``area_id, name,
    households_entitled, hours_entitled, hours_delivered, delivery_rate,
    households_short``. ``hours_delivered`` sums exactly to the hours of the records in
    the month (of the households in ``households``); ``delivery_rate`` is delivered /
    entitled in %. At provider level a household counts with the provider its
    entitlement names, hours with the provider that delivered them."""
    if level not in REPORT_LEVELS:
        raise ValidationError(f"unknown level {level!r}; use {', '.join(REPORT_LEVELS)}",
                              column="level")
    known = households["household_id"]
    entitlements = entitlements[positions_in(entitlements["household_id"], known) >= 0]
    records = records[positions_in(records["household_id"], known) >= 0]
    per_household = household_month(entitlements, records, catalogue, month, policy,
                                     as_of=as_of)
    hours = set(catalogue.hour_services())
    if level == "provider":
        owed = entitlements[entitlements["service_id"].isin(hours)]
        owed = owed.assign(entitled=entitled_in(owed, month))
        owed = owed[owed["entitled"] > 0]
        short = set(per_household.loc[per_household["short"], "household_id"])
        by_owed = owed.groupby(owed["provider_id"].fillna("")).agg(
            households_entitled=("household_id", "nunique"), hours_entitled=("entitled", "sum"))
        by_owed["households_short"] = owed[owed["household_id"].isin(short)].groupby(
            owed["provider_id"].fillna(""))["household_id"].nunique()
        done = records.assign(delivered=delivered_in(records, catalogue, month))
        done = done[done["service_id"].isin(hours)]
        delivered = done.groupby("provider_id")["delivered"].sum()
        names = providers.set_index("provider_id")["name"]
        ids = list(names.index) + ([""] if "" in by_owed.index else [])
        table = pd.DataFrame(index=pd.Index(ids, name="area_id"))
        table["name"] = pd.Series(names).reindex(ids).fillna("").to_numpy()
        table = table.join(by_owed).join(delivered.rename("hours_delivered"))
    else:
        keys = pd.Series(area_keys(households, grids, level),
                         index=households["household_id"].to_numpy())
        per_household["area_id"] = keys.reindex(per_household["household_id"]).to_numpy()
        per_household["entitled"] = per_household["hours_entitled"] > 0
        table = per_household.groupby("area_id").agg(
            households_entitled=("entitled", "sum"), hours_entitled=("hours_entitled", "sum"),
            hours_delivered=("hours_delivered", "sum"), households_short=("short", "sum"))
        names = level_names(areas, grids, level)
        table = table.reindex(names.index)
        table.insert(0, "name", names)
        table.index.name = "area_id"
    counts = ["households_entitled", "households_short"]
    table[counts] = table[counts].fillna(0).astype(int)
    table[["hours_entitled", "hours_delivered"]] = table[
        ["hours_entitled", "hours_delivered"]].fillna(0.0)
    table["delivery_rate"] = (100.0 * table["hours_delivered"]
                              / table["hours_entitled"].replace(0, np.nan)).round(1)
    table = table.round({"hours_entitled": 2, "hours_delivered": 2})
    return table.reset_index()[list(REPORT_COLUMNS)]


def suppress_report(table: pd.DataFrame, min_count: int) -> pd.DataFrame:
    """``service_report`` for a role that sees aggregates only: household counts from 1
    to ``min_count - 1`` shown as ``"<min_count"``, and the hours and rate of such an area
    withheld (a few households' hours tell about them)."""
    of_households = ("households_entitled",)
    return suppress_derived(table, min_count, {
        "hours_entitled": of_households, "hours_delivered": of_households,
        "delivery_rate": of_households, "households_short": ("households_short",)})


# -- warnings -------------------------------------------------------------------------

def record_warnings(records: pd.DataFrame, entitlements: pd.DataFrame, catalogue: Catalogue
             ) -> pd.DataFrame:
    """Records to look at: ``record_id, warning, detail``. ``overlap``: the same person
    (a provider's ``delivered_by``) delivered it while delivering another record (hours
    services); ``no_entitlement``:
    the household is owed no such service on the day it started."""
    rows = []
    units = catalogue.units()
    timed = records[records["service_id"].map(units).eq("hours").to_numpy()].copy()
    if len(timed):
        timed["end"] = pd.to_datetime(timed["started_at"]) + pd.to_timedelta(
            timed["quantity"].astype(float), unit="h")
        person = timed["provider_id"] + "|" + timed["delivered_by"]
        timed = timed.assign(person=person).sort_values(["person", "started_at", "record_id"])
        # Overlap: starts before the latest end of the same person's earlier records.
        by = timed.groupby("person")
        ends = by["end"].transform(lambda s: s.shift().cummax())
        which = by["record_id"].shift()
        hit = (pd.to_datetime(timed["started_at"]) < ends).to_numpy()
        for record, other, who in zip(timed["record_id"][hit], which[hit],
                                      timed["delivered_by"][hit], strict=True):
            rows.append((record, "overlap", f"{who}: overlaps {other}"))
    day = pd.to_datetime(records["started_at"]).dt.normalize()
    pairs = records[["record_id", "household_id", "service_id"]].assign(day=day)
    grants = entitlements[["household_id", "service_id", "valid_from", "valid_until"]]
    joined = pairs.merge(grants, on=["household_id", "service_id"], how="left")
    until = pd.to_datetime(joined["valid_until"])
    joined["covered"] = ((pd.to_datetime(joined["valid_from"]) <= joined["day"])
                         & (until.isna() | (joined["day"] <= until))).fillna(False)
    covered = joined.groupby("record_id")["covered"].any()
    for record in covered.index[~covered.to_numpy()]:
        rows.append((record, "no_entitlement", "no entitlement to this service that day"))
    return pd.DataFrame(rows, columns=["record_id", "warning", "detail"])


def new_record_warnings(record: dict, records: pd.DataFrame, entitlements: pd.DataFrame,
                        catalogue: Catalogue) -> list[tuple[str, pd.Timestamp | None]]:
    """What ``record_warnings`` would say of ``record`` (``household_id, service_id,
    provider_id, delivered_by, started_at, quantity``) before it is saved beside
    ``records``: ``("no_entitlement", None)`` and ``("overlap", start)`` for each record
    of the same person it overlaps, in either order (hours services)."""
    one = pd.DataFrame([{**record, "record_id": "new"}])
    found = record_warnings(one, entitlements, catalogue)
    out: list[tuple[str, pd.Timestamp | None]] = [
        ("no_entitlement", None) for _ in found.index[found["warning"] == "no_entitlement"]]
    units = catalogue.units()
    if units.get(record["service_id"]) != "hours" or not record.get("delivered_by"):
        return out
    start = pd.Timestamp(record["started_at"])
    end = start + pd.Timedelta(hours=float(record["quantity"]))
    same = records[(records["provider_id"] == record["provider_id"])
                   & (records["delivered_by"] == record["delivered_by"])
                   & records["service_id"].map(units).eq("hours")]
    begin = pd.to_datetime(same["started_at"])
    finish = begin + pd.to_timedelta(same["quantity"].astype(float), unit="h")
    for other in sorted(begin[(begin < end) & (finish > start)]):
        out.append(("overlap", other))
    return out


# -- orders (a case or a need orders a service) ---------------------------------------

def order_progress(orders: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    """How far each order is delivered: ``order_id, delivered, done``.

    Records of a household's service fill its orders oldest first: a record counts
    toward the earliest order not yet filled that was placed before the record
    started, and what is left over goes on to the next. An order is done when filled.
    """
    out = pd.DataFrame({"order_id": orders["order_id"].to_numpy(object),
                        "delivered": 0.0, "done": False})
    if orders.empty:
        return out
    position = {order_id: i for i, order_id in enumerate(out["order_id"])}
    wanted = records.merge(orders[["household_id", "service_id"]].drop_duplicates(),
                           on=["household_id", "service_id"])
    by_key = {key: group.sort_values("started_at")
              for key, group in wanted.groupby(["household_id", "service_id"])}
    for key, group in orders.sort_values("ordered_at").groupby(
            ["household_id", "service_id"], sort=False):
        queue = [[row.order_id, pd.Timestamp(row.ordered_at), float(row.quantity), 0.0]
                 for row in group.itertuples(index=False)]
        for record in by_key.get(key, wanted.iloc[0:0]).itertuples(index=False):
            left = float(record.quantity)
            for entry in queue:
                if left <= 0 or entry[1] > pd.Timestamp(record.started_at):
                    break
                take = min(left, entry[2] - entry[3])
                entry[3] += take
                left -= take
        for order_id, _, quantity, filled in queue:
            i = position[order_id]
            out.loc[i, "delivered"] = filled
            out.loc[i, "done"] = filled >= quantity - 1e-9
    return out
