"""Many writers at once: no visit lost, no tier without its history row (both backends).

An hour of a district's activity, compressed: PostGIS takes 20 concurrent writers;
the GeoPackage, whose writers SQLite serialises, 8 at a smaller scale.
"""

import itertools
import random
import threading
from collections import Counter
from datetime import datetime, timedelta

import pytest

from gridmap import schema
from gridmap.errors import ValidationError


def test_concurrent_visits_and_tier_changes_lose_nothing(any_store):
    postgis = not hasattr(any_store, "path")
    writers, rounds = (20, 15) if postgis else (8, 10)
    households = list(any_store.read("households")["household_id"][:6])  # contended
    worker = any_store.read("workers")["worker_id"].iloc[0]
    start_tiers = any_store.read("households").set_index("household_id")["tier"]
    visits_before = len(any_store.read("visits"))
    changes_before = any_store.read("tier_changes")
    clock = itertools.count()
    base = datetime(2026, 11, 21, 8, 0)
    done = Counter()
    errors = []
    lock = threading.Lock()

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(rounds):
                household = rng.choice(households)
                with lock:
                    tick = next(clock)
                if rng.random() < 0.6:
                    any_store.append_visit(household_id=household, worker_id=worker,
                                           visited_at=base + timedelta(seconds=tick),
                                           method="door")
                    with lock:
                        done["visits"] += 1
                else:
                    try:
                        any_store.change_tier(household, rng.choice(schema.TIERS),
                                              reason=f"writer {seed}", changed_by=str(seed),
                                              changed_at=base + timedelta(seconds=tick))
                    except ValidationError:  # already that tier: nothing written
                        continue
                    with lock:
                        done["tiers"] += 1
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    assert done["visits"] > 0 and done["tiers"] > 0
    assert len(any_store.read("visits")) == visits_before + done["visits"]
    changes = any_store.read("tier_changes")
    new = changes[changes["changed_at"] >= base]  # the demo's history ends before
    assert len(changes) == len(changes_before) + done["tiers"]
    final = any_store.read("households").set_index("household_id")["tier"]
    for household in households:
        mine = new[new["household_id"] == household]
        # The changes must chain from the first tier to the final one: as a path through
        # the tiers, each tier is left as often as it is entered, except the two ends.
        balance = Counter(mine["from_tier"])
        balance.subtract(Counter(mine["to_tier"]))
        start, end = start_tiers[household], final[household]
        expected = Counter({start: 1}) if start != end else Counter()
        if start != end:
            expected[end] = -1
        assert {k: v for k, v in balance.items() if v} == dict(expected), household
        if len(mine) == 0:
            assert start == end


# -- several processes on one GeoPackage (``python -m gridmap serve`` replicas) --------

@pytest.fixture
def plain_main(monkeypatch):
    """A bare ``__main__`` while processes are spawned: an AppTest earlier in the session
    leaves ``app.py`` as ``__main__``, and a spawned child would run it first (and die)."""
    import sys
    import types
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))


def _process_writer(path: str, seed: int, rounds: int, households: list, worker: str,
                    base: datetime) -> dict:
    """One replica's writes: visits and tier changes; returns what it wrote."""
    from gridmap.store import open_store
    store = open_store(path)
    rng = random.Random(seed)
    visits, tiers = [], 0
    for i in range(rounds):
        household = rng.choice(households)
        if rng.random() < 0.6:
            visits.append(store.append_visit(
                household_id=household, worker_id=worker, method="door",
                visited_at=base + timedelta(minutes=seed, seconds=i)))
        else:
            try:
                store.change_tier(household, rng.choice(schema.TIERS), reason=f"p{seed}",
                                  changed_by=f"p{seed}",
                                  changed_at=base + timedelta(minutes=seed, seconds=i))
            except ValidationError:
                continue
            tiers += 1
    return {"visits": visits, "tiers": tiers}


def _process_replacer(path: str, times: int) -> int:
    """An import or an admin in another process: whole-layer writes, each of which copies
    the file and swaps the copy in while the others write."""
    from gridmap.store import open_store
    store = open_store(path)
    areas = store.read("areas")
    for _ in range(times):
        store.replace({"areas": areas})
    return times


def test_writers_in_different_processes_lose_nothing(small_store, plain_main):
    """Four processes log visits and change tiers while a fifth replaces a layer again
    and again: every visit and every tier change is there, each tier change with its
    history row, whichever process wrote it."""
    import multiprocessing

    path = str(small_store.path)
    households = list(small_store.read("households")["household_id"][:6])
    worker = small_store.read("workers")["worker_id"].iloc[0]
    visits_before = len(small_store.read("visits"))
    changes_before = len(small_store.read("tier_changes"))
    base = datetime(2026, 11, 21, 8, 0)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(5) as pool:
        replacing = pool.apply_async(_process_replacer, (path, 6))
        writers = [pool.apply_async(_process_writer, (path, seed, 12, households, worker, base))
                   for seed in range(4)]
        results = [w.get(timeout=240) for w in writers]
        assert replacing.get(timeout=240) == 6
    written = [v for r in results for v in r["visits"]]
    tiers = sum(r["tiers"] for r in results)
    assert written and tiers
    visits = small_store.read("visits")
    assert len(visits) == visits_before + len(written)
    assert set(written) <= set(visits["visit_id"])
    assert len(small_store.read("tier_changes")) == changes_before + tiers


def _write_on_signal(path: str, household: str, worker: str, go, done, n: int) -> None:
    from gridmap.store import open_store
    store = open_store(path)
    for i in range(n):
        go.wait()
        go.clear()
        store.append_visit(household_id=household, worker_id=worker, method="phone",
                           visited_at=datetime(2026, 11, 21, 9, 0) + timedelta(seconds=i))
        done.set()


def test_a_write_in_one_process_changes_the_version_the_others_see(small_store,
                                                                 plain_main):
    """Caches key on the data version: a replica must see another's write at its next
    run, even writes following each other within one tick of the file clock (the same
    modification time and size)."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    go, done = ctx.Event(), ctx.Event()
    household = small_store.read("households")["household_id"].iloc[0]
    worker = small_store.read("workers")["worker_id"].iloc[0]
    n = 15
    child = ctx.Process(target=_write_on_signal,
                        args=(str(small_store.path), household, worker, go, done, n))
    child.start()
    try:
        seen = [small_store.version()]
        for _ in range(n):
            done.clear()
            go.set()
            assert done.wait(60), "the writer process did not write"
            seen.append(small_store.version())  # this process's memo, after their write
    finally:
        child.join(60)
    assert child.exitcode == 0
    assert len(set(seen)) == n + 1, seen  # every write seen, none missed
