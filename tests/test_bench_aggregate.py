"""The aggregation benchmark's two ways agree (bench/bench_aggregate.py): the SQL the
PostGIS store could run gives the per-grid figures pandas gives."""

from dataclasses import replace
from types import MappingProxyType

import pytest

from bench.bench_aggregate import in_pandas, in_sql
from gridmap.policy import load_policy


@pytest.mark.parametrize("any_store", ["postgis"], indirect=True)  # the query is PostGIS's
def test_sql_and_pandas_give_the_same_per_grid_figures(any_store):
    policy = replace(load_policy(), in_person_days=MappingProxyType({}))
    grids = any_store.read("grids")["grid_id"]
    mine = in_pandas(any_store.read("households"), any_store.read("visits"), grids, policy)
    theirs = in_sql(any_store, policy).reindex(mine.index).fillna(0).astype(int)
    assert mine["overdue"].sum() > 0 and mine["red_orange"].sum() > 0
    assert theirs.equals(mine.astype(int))
