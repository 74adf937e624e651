"""Shared fixtures: demo data sets built once per session, stores in tmp dirs."""

from __future__ import annotations

import shutil
from datetime import date

import pytest

from gridmap.demo import build_demo
from gridmap.store import open_store

AS_OF = date(2026, 11, 20)


@pytest.fixture(scope="session")
def small_frames():
    return build_demo("small", seed=7, as_of=AS_OF)


@pytest.fixture(scope="session")
def city_frames():
    return build_demo("city", seed=0, as_of=AS_OF)


@pytest.fixture(scope="session")
def _small_store_template(tmp_path_factory, small_frames):
    path = tmp_path_factory.mktemp("template") / "small.gpkg"
    open_store(path).init(small_frames)
    return path


@pytest.fixture
def small_store(tmp_path, _small_store_template):
    """A fresh copy of the small demo store for each test (tests may write to it)."""
    path = tmp_path / "small.gpkg"
    shutil.copyfile(_small_store_template, path)
    return open_store(path)
