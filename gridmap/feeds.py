"""Department feeds matched against the registry (大数据比对): which rows fire which
rule, who each alert goes to, and where a lead (线索) is placed. Pure and vectorised:
frames in, frames out; a million feed rows take seconds (``bench/bench_match.py``).

- **Rules** (``policy.feeds.rules``, one per 事项): a sum of 金额 per person over a
  window, a count of rows per person within a window, or every row. Windows are
  evaluated at every row, so a threshold reached in March fires in March even when the
  feed arrives in May. A rule fires again for the same person only ``repeat_days``
  after its last alert (earlier alerts included), so matching everything again raises
  nothing new.
- **A person in the registry** (``persons.id_number``): the alert goes to their
  household's responsible worker (``teams.responsible``), with the tier the rule
  suggests when the household is less urgent than it (never applied here).
- **An unknown person**: a lead, placed in a grid by the row's 社区代码 (the
  community's first grid), else by finding a community's name in the 地址 (with its
  street's, when names repeat), else unplaced, under the street the address names when
  it names one. A death of someone unknown raises nothing.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pandas as pd

from gridmap import schema
from gridmap.policy import FeedRule, Policy
from gridmap.teams import responsible
from gridmap.workdays import add_working_days_many

ROW_COLUMNS = ("id_number", "name", "item", "happened_on", "amount", "address",
               "community_code")
_DAY = np.timedelta64(1, "D")


def row_hashes(source, rows: pd.DataFrame) -> pd.Series:
    """SHA-256 of a row's source and values: the same row sent twice hashes the same.
    ``source``: the feed's, or one per row (a Series like ``rows``)."""
    parts = [rows[c].astype(object).where(rows[c].notna(), "").astype(str)
             for c in ROW_COLUMNS if c != "happened_on"]
    day = pd.to_datetime(rows["happened_on"]).dt.strftime("%Y-%m-%d")
    amount = pd.to_numeric(rows["amount"], errors="coerce").map(
        lambda v: "" if v != v else f"{v:.2f}")
    text = source + "|" + parts[0] + "|" + parts[1] + "|" + parts[2] + "|" + day + "|" \
        + amount + "|" + parts[4] + "|" + parts[5]
    return text.map(lambda t: hashlib.sha256(t.encode("utf-8")).hexdigest())


def unknown_items(items: pd.Series, policy: Policy) -> pd.Series:
    """Where a row's 事项 has no rule (reported on import, never guessed)."""
    known = [r.item for r in policy.feeds.rules]
    return ~items.isin(known)


# -- which rows fire -----------------------------------------------------------------
# Every rule at once: rows are keyed by (rule, person, day) in one int64 array, so a
# window is a ``searchsorted`` back along it and a sum a difference of cumulative sums.

def _firings(rows: pd.DataFrame, rules: tuple[FeedRule, ...]) -> pd.DataFrame:
    """Every row at which its 事项's rule holds for its person: the row's columns plus
    ``_rule`` (the rule's index in ``rules``), ``amount`` (the window's sum, or the
    row's amount) and ``triggered_on``; ordered by rule, person and day."""
    rule = pd.Index([r.item for r in rules]).get_indexer(rows["item"].astype(object))
    mine = rows[rule >= 0]
    rule = rule[rule >= 0].astype(np.int64)
    if mine.empty:
        return mine.assign(_rule=np.array([], np.int64),
                           triggered_on=pd.Series(dtype="datetime64[ms]"))
    codes, uniques = pd.factorize(mine["id_number"])
    day = mine["happened_on"].to_numpy("datetime64[D]").astype(np.int64)
    day = day - day.min()
    window = np.array([r.window_days for r in rules], np.int64)[rule]
    span = int(day.max() + window.max() + 1)
    key = (rule * len(uniques) + codes) * span + day
    order = np.argsort(key, kind="stable")
    mine, key, rule, window = mine.iloc[order], key[order], rule[order], window[order]
    raw = pd.to_numeric(mine["amount"], errors="coerce").to_numpy(float)
    amount = np.nan_to_num(raw, nan=0.0)
    start = np.searchsorted(key, key - (window - 1), side="left")
    cum = np.concatenate([[0.0], np.cumsum(amount)])
    total = cum[1:] - cum[start]
    count = np.arange(len(key)) - start + 1
    sum_at = np.array([np.nan if r.sum_at_least is None else r.sum_at_least
                       for r in rules])[rule]
    count_at = np.array([np.nan if r.count_at_least is None else r.count_at_least
                         for r in rules])[rule]
    by_sum, by_count = ~np.isnan(sum_at), np.isnan(sum_at) & ~np.isnan(count_at)
    with np.errstate(invalid="ignore"):
        fires = np.where(by_sum, total >= sum_at - 1e-9,
                         np.where(by_count, count >= count_at, True))
    value = np.where(by_sum, total, np.where(by_count, np.nan, raw))
    out = mine[fires].copy()
    out["amount"] = value[fires]
    out["triggered_on"] = out["happened_on"]
    out["_rule"] = rule[fires]
    return out


def _spaced(firings: pd.DataFrame, earlier: pd.DataFrame, rules: tuple[FeedRule, ...]
            ) -> pd.DataFrame:
    """The firings kept: per rule and person, none within the rule's ``repeat_days`` of
    an ``earlier`` alert (``rule, id_number, triggered_on``) or of a firing kept before
    it. Ordered by rule, then round (first firings, second ones, ...), then person."""
    if firings.empty:
        return firings.assign(_round=np.array([], np.int64))
    items = pd.Index([r.item for r in rules])
    repeat = np.array([r.repeat_days for r in rules], np.int64)
    before = earlier[items.get_indexer(earlier["rule"].astype(object)) >= 0]
    ids, uniques = pd.factorize(pd.concat([firings["id_number"], before["id_number"]],
                                          ignore_index=True).astype(object))
    n_ids = max(len(uniques), 1)
    group = firings["_rule"].to_numpy(np.int64) * n_ids + ids[:len(firings)]
    day = firings["triggered_on"].to_numpy("datetime64[D]").astype(np.int64)
    order = np.lexsort((day, group))  # stable: same-day firings keep their row order
    f, group, day = firings.iloc[order], group[order], day[order]
    rep = repeat[f["_rule"].to_numpy(np.int64)]
    keep = np.ones(len(f), bool)
    if len(before):
        e_group = (items.get_indexer(before["rule"].astype(object)).astype(np.int64) * n_ids
                   + ids[len(firings):])
        e_day = before["triggered_on"].to_numpy("datetime64[D]").astype(np.int64)
        e_order = np.lexsort((e_day, e_group))
        e_group, e_day = e_group[e_order], e_day[e_order]
        base = min(day.min(), e_day.min())
        gap = np.full(len(f), np.iinfo(np.int64).max)
        at = np.searchsorted(e_group * (1 << 24) + (e_day - base),
                             group * (1 << 24) + (day - base))
        for near in (at - 1, at):  # the earlier alert just before, and just after
            ok = (near >= 0) & (near < len(e_group))
            near = np.clip(near, 0, len(e_group) - 1)
            same = ok & (e_group[near] == group)
            gap = np.where(same, np.minimum(gap, np.abs(day - e_day[near])), gap)
        keep = gap >= rep
    f, group, day, rep = f[keep], group[keep], day[keep], rep[keep]
    last = np.full(int(group.max()) + 1 if len(group) else 0, np.iinfo(np.int64).min // 2)
    rounds = np.full(len(f), -1)
    left = np.arange(len(f))
    r = 0
    while len(left):  # one round per repeat period: a handful
        g = group[left]
        first = np.r_[True, g[1:] != g[:-1]]
        rounds[left[first]] = r
        last[g[first]] = day[left[first]]
        left = left[~first & (day[left] >= last[g] + rep[left])]
        r += 1
    kept = rounds >= 0
    out = f[kept].assign(_round=rounds[kept])
    return out.sort_values(["_rule", "_round", "id_number"], kind="stable")


# -- who it goes to, where a lead goes ---------------------------------------------------

def _names_pattern(names) -> re.Pattern | None:
    names = sorted({n for n in names if isinstance(n, str) and n}, key=len, reverse=True)
    return re.compile("(" + "|".join(map(re.escape, names)) + ")") if names else None


def place_leads(leads: pd.DataFrame, areas: pd.DataFrame, grids: pd.DataFrame
                ) -> pd.DataFrame:
    """``grid_id, street_id, placed_by`` for each lead (same index): by its
    ``community_code``, else by its ``address``, else unplaced."""
    out = pd.DataFrame({"grid_id": None, "street_id": None, "placed_by": "unplaced"},
                       index=leads.index, dtype=object)
    if leads.empty:
        return out
    first_grid = grids.sort_values("grid_id").drop_duplicates("community_id").set_index(
        "community_id")["grid_id"]
    communities = areas[areas["level"] == "community"]
    parent = communities.set_index("area_id")["parent_id"]
    code = leads["community_code"].astype(object)
    by_code = code.map(first_grid)
    hit = by_code.notna()
    out.loc[hit, "grid_id"] = by_code[hit]
    out.loc[hit, "street_id"] = code[hit].map(parent)
    out.loc[hit, "placed_by"] = "community_code"
    rest = ~hit & leads["address"].notna()
    if rest.any():
        address = leads.loc[rest, "address"].astype(str)
        streets = areas[areas["level"] == "street"]
        street_pattern = _names_pattern(streets["name"])
        street_ids = streets.groupby("name")["area_id"].agg(
            lambda ids: ids.iloc[0] if len(ids) == 1 else None)
        street = (address.str.extract(street_pattern, expand=False).map(street_ids)
                  if street_pattern else pd.Series(None, index=address.index))
        community_pattern = _names_pattern(communities["name"])
        name = (address.str.extract(community_pattern, expand=False) if community_pattern
                else pd.Series(None, index=address.index))
        by_pair = communities.set_index(["parent_id", "name"])["area_id"]
        by_pair = by_pair[~by_pair.index.duplicated(keep=False)]
        unique = communities.groupby("name")["area_id"].agg(
            lambda ids: ids.iloc[0] if len(ids) == 1 else None)
        pair = pd.MultiIndex.from_arrays([street.astype(object), name.astype(object)])
        community = pd.Series(by_pair.reindex(pair).to_numpy(), index=address.index)
        community = community.fillna(name.map(unique))
        grid = community.map(first_grid)
        placed = grid.notna()
        out.loc[placed[placed].index, "grid_id"] = grid[placed]
        out.loc[placed[placed].index, "street_id"] = community[placed].map(parent)
        out.loc[placed[placed].index, "placed_by"] = "address"
        loose = placed[~placed].index
        out.loc[loose, "street_id"] = street[~placed]
    return out


def alert_ids(rule: pd.Series, id_number: pd.Series, triggered_on: pd.Series) -> np.ndarray:
    """Stable ids: one rule, person and day make one alert, however often matched."""
    text = rule.astype(str) + "|" + id_number.astype(str) + "|" \
        + pd.to_datetime(triggered_on).dt.strftime("%Y-%m-%d")
    return ("A" + text.map(lambda t: hashlib.sha1(t.encode("utf-8")).hexdigest()[:12])
            ).to_numpy(dtype=object)


def match(rows: pd.DataFrame, persons: pd.DataFrame, households: pd.DataFrame,
          grids: pd.DataFrame, areas: pd.DataFrame, assignments: pd.DataFrame,
          helpers: pd.DataFrame, policy: Policy, *, existing: pd.DataFrame | None = None,
          feed_id: str, raised_at: pd.Timestamp) -> pd.DataFrame:
    """The new alerts (``alerts`` columns) from feed ``rows`` (``feed_rows`` columns plus
    the feed's ``source``): every rule over every row, less what ``existing`` alerts
    (``alerts`` rows) already cover. ``feed_id`` is the import that raises them."""
    existing = existing if existing is not None else pd.DataFrame(
        {"alert_id": [], "rule": [], "id_number": [], "triggered_on": []})
    raised_at = pd.Timestamp(raised_at).floor("s")
    rules = policy.feeds.rules
    fired = _spaced(_firings(rows, rules), existing, rules)
    if fired.empty:
        return schema.empty("alerts")
    which = fired["_rule"].to_numpy(np.int64)
    fired = fired.reset_index(drop=True).assign(
        rule=np.array([r.item for r in rules], dtype=object)[which],
        risk=np.array([r.risk for r in rules], dtype=object)[which],
        evidence=np.array([r.evidence for r in rules], dtype=object)[which],
        _raise=np.array([r.raise_to for r in rules], dtype=object)[which],
        _review=np.array([r.review for r in rules], dtype=bool)[which])
    who = persons[["id_number", "person_id", "household_id"]].drop_duplicates("id_number")
    fired = fired.merge(who, on="id_number", how="left")
    known = fired["household_id"].notna().to_numpy()
    fired = fired[known | ~fired["_review"].to_numpy(bool)].reset_index(drop=True)
    known = fired["household_id"].notna().to_numpy()

    home = households.set_index("household_id")
    worker = responsible(households, assignments, helpers)
    grid_of = fired["household_id"].map(home["grid_id"])
    tier = fired["household_id"].map(home["tier"])
    street_of_grid = grids.set_index("grid_id")["street_id"]
    placed = place_leads(fired[~known], areas, grids)
    grid_id = grid_of.astype(object).copy()
    grid_id[~known] = placed["grid_id"]
    street_id = grid_id.map(street_of_grid).astype(object)
    street_id[~known] = placed["street_id"]
    placed_by = pd.Series("registry", index=fired.index, dtype=object)
    placed_by[~known] = placed["placed_by"]
    primary = (assignments[assignments["role"] == "primary"].sort_values("worker_id")
               .drop_duplicates("grid_id").set_index("grid_id")["worker_id"])
    assigned = fired["household_id"].map(worker).astype(object)
    assigned[~known] = grid_id[~known].map(primary)

    rank = {t: i for i, t in enumerate(schema.TIERS)}
    raise_rank = fired["_raise"].astype(object).map(rank).astype(float)
    tier_rank = tier.astype(object).map(rank).astype(float)
    suggest = fired["_raise"].astype(object).where(~known | (tier_rank > raise_rank))
    start = np.full(len(fired), np.datetime64(raised_at.date(), "D"))
    due = add_working_days_many(start, policy.feeds.verify_working_days)
    has_worker = assigned.notna()
    out = pd.DataFrame({
        "alert_id": alert_ids(fired["rule"], fired["id_number"], fired["triggered_on"]),
        "rule": fired["rule"], "risk": fired["risk"], "source": fired["source"],
        "feed_id": feed_id, "kind": np.where(known, "registered", "lead"),
        "id_number": fired["id_number"], "name": fired["name"],
        "person_id": fired["person_id"], "household_id": fired["household_id"],
        "grid_id": grid_id, "street_id": street_id, "placed_by": placed_by,
        "evidence": fired["evidence"], "amount": fired["amount"],
        "triggered_on": fired["triggered_on"], "raised_at": raised_at,
        "suggested_tier": suggest,
        "stage": np.where(has_worker, "assigned", "new"),
        "assigned_to": assigned, "assigned_at": raised_at,
        "due_on": pd.to_datetime(due), "verified_at": pd.NaT, "visit_id": None,
        "decided_at": pd.NaT, "outcome": None, "case_id": None, "referral": None,
        "reason": None})
    out["assigned_at"] = out["assigned_at"].where(has_worker)
    out = out.drop_duplicates("alert_id")
    if not existing.empty:
        out = out[~out["alert_id"].isin(existing["alert_id"])]
    return schema.conform("alerts", out)
