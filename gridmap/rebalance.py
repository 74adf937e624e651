"""Rebalancing a chief's workers: who holds which grids, who is responsible for which
household, so that the most loaded worker carries as little as possible.

One OR-Tools CP-SAT model per scope (a community, a street or a chief's team):

- **Grid level.** Every grid in scope has exactly one primary (full-time) worker,
  chosen among the full-time workers holding grids of the same community. Each keeps
  their first grid (the *root*) and their grids stay **contiguous** (rook
  neighbours): a flow from the root reaches every grid they hold through grids they
  hold.
- **Household level.** Each household goes to its grid's primary worker, a backup
  worker of its grid, a volunteer helper (帮包) of its community, or stays with whom
  it has now.
- Loads are those of ``gridmap.workload`` (a household's load does not depend on who
  carries it); load from households outside the scope stays where it is.

It solves twice: first the smallest possible maximum utilisation (with at most
``max_moves`` moves when the chief sets a limit), then, holding that maximum, the
fewest moves with compact territories (grids near their worker's root). Both solves
share a time limit, so the page never hangs; the answer states whether it is proven
optimal and how far it lies above the lower bound: total load / total capacity, the
heaviest household on the largest worker it may go to, or a worker's fixed load
outside the scope, whichever is largest.
"""

from __future__ import annotations

import math
import os
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from libpysal.weights import Rook
from ortools.sat.python import cp_model

from gridmap import schema
from gridmap.errors import ValidationError
from gridmap.places import Area
from gridmap.teams import responsible
from gridmap.workload import capacity_minutes, distance_km

SCOPE_KINDS = ("community", "street", "chief")
_PER_MILLE = 1000


@dataclass(frozen=True)
class Scope:
    """What to rebalance: ``community:ID``, ``street:ID`` or ``chief:WORKER_ID``."""

    kind: str
    id: str

    @classmethod
    def parse(cls, text: str) -> Scope:
        """A chief's team, or an area (``Area.parse``) at community or street level."""
        kind, _, value = text.partition(":")
        if kind == "chief" and value:
            return cls(kind, value)
        try:
            area = Area.parse(text)
        except ValidationError:
            area = None
        if area is None or area.level not in SCOPE_KINDS:
            raise ValidationError(f"{text!r} is not a scope; use community:ID, street:ID or "
                                  f"chief:WORKER_ID")
        return cls(area.level, area.id)

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass
class Instance:
    """One scope's rebalancing problem, as plain tables."""

    scope: Scope
    workers: pd.DataFrame  # index worker_id: name, kind, capacity, cap (minutes), external
    grids: pd.DataFrame  # grid_id, community_id, holder, holders (eligible), x, y
    households: pd.DataFrame  # household_id, grid_id, load, current, with_grid, candidates
    roots: dict[str, str]  # full-time worker -> the grid they keep
    edges: list[tuple[int, int]]  # rook neighbours, by position in ``grids``

    @property
    def lower_bound(self) -> float:
        cap = self.workers["cap"]
        eligible = set().union(*self.households["candidates"], self.grids["holders"].explode())
        total = (self.households["load"].sum() + self.workers["external"].sum()
                 ) / cap[cap.index.isin(eligible)].sum() if len(self.households) else 0.0
        holders = self.grids.set_index("grid_id")["holders"]
        heaviest = max((load / cap.reindex([*c, *holders[gid]]).max() for load, c, gid in
                        zip(self.households["load"], self.households["candidates"],
                            self.households["grid_id"], strict=True)), default=0.0)
        fixed = (self.workers["external"] / cap).max() if len(self.workers) else 0.0
        return float(max(total, heaviest, fixed))


@dataclass
class Proposal:
    """A solved rebalancing: the state before and after, and the moves between them."""

    scope: Scope
    lower_bound: float
    seconds: float
    status: str  # 'optimal' or 'feasible' (time limit reached)
    before: pd.DataFrame  # per worker: name, kind, capacity, grids, households, load, util
    after: pd.DataFrame
    holder: dict[str, str] = field(default_factory=dict)  # grid -> primary worker, after
    worker_of: dict[str, str] = field(default_factory=dict)  # household -> worker, after
    moves: pd.DataFrame = field(default_factory=pd.DataFrame)  # kind, id, from, to

    def max_utilisation(self, which: str = "after") -> float:
        table = getattr(self, which)
        return float(table["utilisation"].max()) if len(table) else 0.0

    def to_json(self) -> dict:
        def side(table: pd.DataFrame) -> dict:
            return {"max_utilisation": round(float(table["utilisation"].max()), 4)
                    if len(table) else 0.0,
                    "workers": [{"worker_id": w, "utilisation": round(float(r.utilisation), 4),
                                 "grids": list(r.grids), "households": list(r.households)}
                                for w, r in table.iterrows()]}
        return {"scope": str(self.scope), "lower_bound": round(self.lower_bound, 4),
                "seconds": round(self.seconds, 3), "status": self.status,
                "before": side(self.before), "after": side(self.after),
                "moves": self.moves.to_dict(orient="records")}


def scope_grid_ids(scope: Scope, grids: pd.DataFrame, assignments: pd.DataFrame,
                   workers: pd.DataFrame) -> np.ndarray:
    """The grids a scope covers."""
    if scope.kind == "chief":
        if scope.id not in set(workers["worker_id"]):
            raise ValidationError(f"no worker {scope.id!r}")
        team = workers.loc[(workers["worker_id"] == scope.id)
                           | (workers["chief_id"] == scope.id), "worker_id"]
        held = assignments[(assignments["role"] == "primary")
                           & assignments["worker_id"].isin(team)]["grid_id"]
        ids = grids.loc[grids["grid_id"].isin(held), "grid_id"].to_numpy()
    else:
        ids = grids.loc[grids[schema.LEVEL_COLUMN[scope.kind]] == scope.id, "grid_id"].to_numpy()
    if not len(ids):
        raise ValidationError(f"scope {scope} holds no grids")
    return ids


def build_instance(scope: Scope, *, grids, households, workers, assignments, helpers,
                   loads: pd.Series, policy) -> Instance:
    """The problem for ``scope``. The frames may cover more than the scope (loads of
    households outside it stay fixed); ``loads`` is load minutes by household_id."""
    in_scope = scope_grid_ids(scope, grids, assignments, workers)
    g = grids[grids["grid_id"].isin(in_scope)].sort_values("grid_id").reset_index(drop=True)
    who = responsible(households, assignments, helpers)
    inside = households["grid_id"].isin(in_scope).to_numpy()
    h = households.loc[inside, ["household_id", "grid_id"]].reset_index(drop=True)
    primary = assignments[assignments["role"] == "primary"]
    holder = primary.drop_duplicates("grid_id").set_index("grid_id")["worker_id"]
    h["current"] = who.reindex(h["household_id"]).to_numpy()
    h["with_grid"] = h["current"].to_numpy() == holder.reindex(h["grid_id"]).to_numpy()
    h["load"] = loads.reindex(h["household_id"]).to_numpy(float)
    g["holder"] = holder.reindex(g["grid_id"]).to_numpy()

    # Who may take part.
    kind = workers.set_index("worker_id")["kind"]
    community = grids.set_index("grid_id")["community_id"]
    held_in = primary[primary["grid_id"].isin(in_scope)]
    full = sorted(set(held_in["worker_id"]) & set(kind[kind == "full_time"].index))
    roots = held_in[held_in["worker_id"].isin(full)].sort_values("grid_id").drop_duplicates(
        "worker_id").set_index("worker_id")["grid_id"].to_dict()
    holder_community = {w: community[r] for w, r in roots.items()}
    g["holders"] = [tuple(w for w in full if holder_community[w] == c) or (hd,)
                    for c, hd in zip(g["community_id"], g["holder"], strict=True)]
    backups = (assignments[(assignments["role"] == "backup")
                           & assignments["grid_id"].isin(in_scope)]
               .groupby("grid_id")["worker_id"].apply(tuple))
    helped = helpers.merge(households[["household_id", "grid_id"]])
    home = pd.concat([
        pd.DataFrame({"worker_id": helped["worker_id"],
                      "community_id": community.reindex(helped["grid_id"]).to_numpy()}),
        _chief_communities(workers, primary, community)])
    home = home[home["worker_id"].map(kind) == "volunteer"].drop_duplicates()
    volunteers = home.groupby("community_id")["worker_id"].apply(tuple)
    cap_of = workers.set_index("worker_id")["capacity"]
    h_comm = community.reindex(h["grid_id"]).to_numpy()
    h["candidates"] = [
        tuple(dict.fromkeys(w for w in (cur, *backups.get(gid, ()), *volunteers.get(c, ()))
                            if w == cur or cap_of.get(w, 0) > 0))
        for cur, gid, c in zip(h["current"], h["grid_id"], h_comm, strict=True)]
    # A household with its grid's primary worker may go with whoever holds the grid.
    h["candidates"] = [tuple(w for w in cands if not (with_grid and w == cur))
                       for cands, cur, with_grid in
                       zip(h["candidates"], h["current"], h["with_grid"], strict=True)]

    involved = sorted(set(full) | set(g["holder"].dropna())
                      | {w for c in h["candidates"] for w in c})
    if scope.kind == "chief":
        team = workers.loc[(workers["worker_id"] == scope.id)
                           | (workers["chief_id"] == scope.id), "worker_id"]
        involved = sorted(set(involved) | set(team))
    w = workers.set_index("worker_id").loc[involved, ["name", "kind", "capacity"]]
    w["cap"] = capacity_minutes(w["capacity"], policy)
    outside = pd.Series(loads.reindex(households["household_id"]).to_numpy(float)[~inside],
                        index=who.to_numpy()[~inside])
    w["external"] = outside.groupby(level=0).sum().reindex(w.index, fill_value=0.0)

    points = g.geometry.representative_point()
    g["x"], g["y"] = points.x.to_numpy(), points.y.to_numpy()
    return Instance(scope=scope, workers=w, grids=pd.DataFrame(g.drop(columns="geometry")),
                    households=h, roots=roots, edges=_rook_edges(g))


def _chief_communities(workers, primary, community) -> pd.DataFrame:
    """Each worker's chief's community (volunteers without households help there)."""
    chief_grid = primary.sort_values("grid_id").drop_duplicates("worker_id").set_index(
        "worker_id")["grid_id"]
    grid = chief_grid.reindex(workers["chief_id"]).to_numpy()
    known = pd.notna(grid)
    return pd.DataFrame({"worker_id": workers["worker_id"].to_numpy()[known],
                         "community_id": community.reindex(grid[known]).to_numpy()})


def _rook_edges(grids) -> list[tuple[int, int]]:
    if len(grids) < 2:
        return []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # libpysal reports islands
        w = Rook.from_dataframe(grids, use_index=False, silence_warnings=True)
    return sorted({(i, j) for i, js in w.neighbors.items() for j in js if i != j})


def _state(inst: Instance, holder: dict[str, str], worker_of: dict[str, str]) -> pd.DataFrame:
    """Per worker: grids held and households carried, load and utilisation."""
    w = inst.workers
    grids = pd.Series(list(holder.keys()), index=list(holder.values()), dtype=object)
    hh = inst.households
    carried = pd.Series(hh["household_id"].to_numpy(), index=[worker_of[x] for x in
                                                             hh["household_id"]], dtype=object)
    load = pd.Series(hh["load"].to_numpy(), index=carried.index).groupby(level=0).sum()
    table = w[["name", "kind", "capacity"]].copy()
    table["grids"] = [tuple(sorted(grids[grids.index == x])) for x in w.index]
    table["households"] = [tuple(sorted(carried[carried.index == x])) for x in w.index]
    table["load_minutes"] = load.reindex(w.index, fill_value=0.0) + w["external"]
    table["utilisation"] = table["load_minutes"] / w["cap"].where(w["cap"] > 0)
    table["utilisation"] = table["utilisation"].fillna(0.0)
    table.index.name = "worker_id"
    return table


def _current(inst: Instance) -> tuple[dict[str, str], dict[str, str]]:
    holder = dict(zip(inst.grids["grid_id"], inst.grids["holder"], strict=True))
    worker_of = dict(zip(inst.households["household_id"], inst.households["current"],
                         strict=True))
    return holder, worker_of


def solve(inst: Instance, *, max_moves: int | None = None, time_limit: float = 10.0,
          workers: int | None = None) -> Proposal:
    """Propose new responsibilities for ``inst`` (see the module's docstring)."""
    started = time.perf_counter()
    holder0, worker0 = _current(inst)
    model = cp_model.CpModel()
    g, hh, w = inst.grids, inst.households, inst.workers
    cap = {x: round(float(c)) for x, c in w["cap"].items()}

    # y[i, x]: worker x holds grid i.
    y = {(i, x): model.new_bool_var(f"y{i}_{x}") for i, hs in enumerate(g["holders"])
         for x in hs}
    for i, hs in enumerate(g["holders"]):
        model.add_exactly_one(y[i, x] for x in hs)
    position = {gid: i for i, gid in enumerate(g["grid_id"])}
    for x, root in inst.roots.items():
        model.add(y[position[root], x] == 1)
    _contiguity(model, inst, y)

    # z[k, x]: worker x carries household k (holders through y).
    z, load_terms = {}, {x: [] for x in w.index}
    moves = []
    for k, row in enumerate(hh.itertuples(index=False)):
        i = position[row.grid_id]
        options = [(x, model.new_bool_var(f"z{k}_{x}")) for x in row.candidates]
        holders = [(x, model.new_bool_var(f"zh{k}_{x}")) for x in g["holders"][i]]
        for x, var in holders:
            model.add_implication(var, y[i, x])
        model.add_exactly_one(v for _, v in options + holders)
        weight = round(float(row.load))
        for x, var in options + holders:
            z[k, x, var.name.startswith("zh")] = var
            load_terms[x].append(weight * var)
        if row.with_grid:
            moves.append(1 - sum(v for _, v in holders))
        else:
            stay = [v for x, v in options if x == row.current]
            moves.append(1 - stay[0])
    for i, row in enumerate(g.itertuples(index=False)):
        if (i, row.holder) in y:
            moves.append(1 - y[i, row.holder])
    n_moves = sum(moves) if moves else 0

    top = model.new_int_var(0, 100 * _PER_MILLE, "max_utilisation")
    for x in w.index:
        external = round(float(w.at[x, "external"]))
        if cap[x] > 0:
            model.add((sum(load_terms[x]) + external) * _PER_MILLE <= top * cap[x])
        elif load_terms[x]:
            model.add(sum(load_terms[x]) == 0)
    model.add(top >= math.floor(inst.lower_bound * _PER_MILLE))
    if max_moves is not None:
        model.add(n_moves <= max_moves)
    _hint_current(model, inst, y, z)

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers or min(8, max(2, os.cpu_count() or 2))
    solver.parameters.max_time_in_seconds = max(0.1, 0.6 * time_limit)
    model.minimize(top)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise ValidationError(f"no assignment found for {inst.scope} within {time_limit} s")
    proven = status == cp_model.OPTIMAL
    best = int(solver.value(top))

    # Second pass: hold the maximum, fewest moves, then compact territories.
    model.add(top <= best)
    compact = _compactness(inst, y)
    model.minimize(n_moves * (sum(c for c, _ in compact) + 1) + sum(c * v for c, v in compact))
    model.clear_hints()
    for var in [*y.values(), *z.values()]:
        model.add_hint(var, solver.value(var))
    remaining = time_limit - (time.perf_counter() - started)
    solver.parameters.max_time_in_seconds = max(0.1, remaining)
    second = solver.solve(model)
    if second in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        proven = proven and second == cp_model.OPTIMAL
    else:  # no time left: keep the first answer
        raise ValidationError(f"no assignment found for {inst.scope} within {time_limit} s")

    holder = {gid: x for (i, x), v in y.items() if solver.value(v)
              for gid in [g["grid_id"][i]]}
    worker_of = {hh["household_id"][k]: x for (k, x, _), v in z.items() if solver.value(v)}
    before, after = _state(inst, holder0, worker0), _state(inst, holder, worker_of)
    return Proposal(scope=inst.scope, lower_bound=inst.lower_bound,
                    seconds=time.perf_counter() - started,
                    status="optimal" if proven else "feasible", before=before, after=after,
                    holder=holder, worker_of=worker_of,
                    moves=_moves(inst, holder0, worker0, holder, worker_of))


def _contiguity(model: cp_model.CpModel, inst: Instance, y) -> None:
    """Each worker's grids connected to their root by a flow through their own grids."""
    arcs = [(i, j) for i, j in inst.edges] + [(j, i) for i, j in inst.edges]
    for x, root in inst.roots.items():
        mine = {i for (i, w) in y if w == x}
        if len(mine) < 2:
            continue
        big = len(mine) - 1
        flow = {}
        for i, j in arcs:
            if i in mine and j in mine:
                f = flow[i, j] = model.new_int_var(0, big, f"f{x}_{i}_{j}")
                model.add(f <= big * y[j, x])
                model.add(f <= big * y[i, x])
        root_i = int(np.flatnonzero(inst.grids["grid_id"].to_numpy() == root)[0])
        for j in mine - {root_i}:
            inflow = sum(f for (a, b), f in flow.items() if b == j)
            outflow = sum(f for (a, b), f in flow.items() if a == j)
            model.add(inflow - outflow == y[j, x])


def _compactness(inst: Instance, y) -> list[tuple[int, object]]:
    """(distance from the worker's root in 100 m, y) for every grid a worker may hold."""
    g = inst.grids.set_index("grid_id")
    out = []
    for (i, x), var in y.items():
        root = inst.roots.get(x)
        if root is None:
            continue
        gid = inst.grids["grid_id"][i]
        km = distance_km(g.at[root, "x"], g.at[root, "y"], g.at[gid, "x"], g.at[gid, "y"])
        out.append((round(float(km) * 10), var))
    return out


def _hint_current(model, inst: Instance, y, z) -> None:
    for (i, x), var in y.items():
        model.add_hint(var, int(inst.grids["holder"][i] == x))
    for (k, x, via_holder), var in z.items():
        row = inst.households.iloc[k]
        keep = (row["with_grid"] and via_holder and x == inst.grids.set_index("grid_id").at[
            row["grid_id"], "holder"]) or (not row["with_grid"] and not via_holder
                                           and x == row["current"])
        model.add_hint(var, int(keep))


def _moves(inst: Instance, holder0, worker0, holder, worker_of) -> pd.DataFrame:
    rows = [{"kind": "grid", "id": gid, "from": holder0[gid], "to": holder[gid]}
            for gid in inst.grids["grid_id"] if holder0[gid] != holder[gid]]
    grid_of = dict(zip(inst.households["household_id"], inst.households["grid_id"],
                       strict=True))
    for hid, before in worker0.items():
        after, gid = worker_of[hid], grid_of[hid]
        followed = before == holder0[gid] and after == holder[gid]  # went with its grid
        if after != before and not followed:
            rows.append({"kind": "household", "id": hid, "from": before, "to": after})
    return pd.DataFrame(rows, columns=["kind", "id", "from", "to"])


def instance_from_store(store, scope: Scope, policy, *, as_of) -> Instance:
    """Read the street around ``scope`` from ``store`` and build its problem (loads of
    the street's households outside the scope count as fixed)."""
    from gridmap.places import Area
    from gridmap.workload import household_load

    if scope.kind == "street":
        street = scope.id
    else:
        if scope.kind == "chief":
            held = store.read("assignments", columns=["worker_id", "grid_id", "role"])
            held = held[(held["worker_id"] == scope.id) & (held["role"] == "primary")]
            if held.empty:
                raise ValidationError(f"{scope.id!r} holds no grid: not a chief")
            area = Area("grid", held["grid_id"].iloc[0])
        else:
            area = Area("community", scope.id)
        found = store.read("grids", area=area, columns=["grid_id", "street_id"])
        if found.empty:
            raise ValidationError(f"scope {scope} holds no grids")
        street = found["street_id"].iloc[0]
    area = Area("street", street)
    frames = {layer: store.read(layer, area=area) for layer in (
        "grids", "households", "workers", "assignments", "household_helpers", "visits",
        "cases")}
    if scope.kind == "chief":  # the chief's team, helped households or not
        everyone = store.read("workers")
        team = everyone[(everyone["worker_id"] == scope.id) | (everyone["chief_id"] == scope.id)]
        frames["workers"] = pd.concat([frames["workers"], team]).drop_duplicates("worker_id")
    loads = household_load(frames["households"], frames["grids"], frames["visits"],
                           frames["cases"], policy, as_of=as_of)
    return build_instance(scope, grids=frames["grids"], households=frames["households"],
                          workers=frames["workers"], assignments=frames["assignments"],
                          helpers=frames["household_helpers"],
                          loads=loads.set_index("household_id")["load_minutes"], policy=policy)


def worker_changes(proposal: Proposal, overloaded_above: float) -> pd.DataFrame:
    """Per worker of a proposal (index worker_id), the most loaded before first:
    ``name`` (told apart, ``workload.distinct_names``), ``kind``, ``before`` and
    ``after`` utilisation, ``gave`` and ``got`` (moves away from and to them) and
    ``relieved``: overloaded before (above ``overloaded_above``) and carrying less after."""
    from gridmap.workload import distinct_names

    before, after, moves = proposal.before, proposal.after, proposal.moves
    out = pd.DataFrame({"name": before["name"].to_numpy(),
                        "kind": before["kind"].to_numpy(),
                        "before": before["utilisation"].to_numpy(float),
                        "after": after["utilisation"].reindex(before.index).to_numpy(float)},
                       index=before.index)
    out["gave"] = moves["from"].value_counts().reindex(out.index, fill_value=0).astype(int)
    out["got"] = moves["to"].value_counts().reindex(out.index, fill_value=0).astype(int)
    out["relieved"] = (out["before"] > overloaded_above) & (out["after"] < out["before"])
    out.index.name = "worker_id"
    out = out.sort_values(["before", "worker_id"], ascending=[False, True])
    out["name"] = distinct_names(out["name"])  # in that order: the most loaded keeps it
    return out


def named_moves(proposal: Proposal, changes: pd.DataFrame, aliases: pd.Series,
                grid_names: pd.Series) -> pd.DataFrame:
    """A proposal's moves as people read them, those away from the most loaded first:
    ``kind, item`` (a household's alias, a grid's name), ``from_worker, to_worker``
    (names from ``changes``, ``worker_changes``) and, last, ``id`` (for maps and
    exports; pages leave it out). ``aliases`` and ``grid_names`` are indexed by id."""
    moves = proposal.moves
    names = changes["name"]
    item = np.where(moves["kind"] == "grid", grid_names.reindex(moves["id"]).to_numpy(),
                    aliases.reindex(moves["id"]).to_numpy())
    out = pd.DataFrame({
        "kind": moves["kind"].to_numpy(),
        "item": pd.Series(item, dtype=object).fillna("").to_numpy(),
        "from_worker": names.reindex(moves["from"]).fillna("").to_numpy(),
        "to_worker": names.reindex(moves["to"]).fillna("").to_numpy(),
        "id": moves["id"].to_numpy(),
        "_load": changes["before"].reindex(moves["from"]).to_numpy(float)})
    return (out.sort_values(["_load", "kind", "item"], ascending=[False, True, True])
            .drop(columns="_load").reset_index(drop=True))
