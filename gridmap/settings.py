"""Typed defaults for where things are. Rules users change live in the policy file."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
DEFAULT_STORE = DATA_DIR / "gridmap.gpkg"
BOUNDARIES = DATA_DIR / "boundaries" / "zhenjiang_districts_gcj02.geojson"
STORE_ENV = "GRIDMAP_STORE"


def store_url(explicit: str | os.PathLike | None = None) -> str:
    """The store to use: ``explicit``, else ``$GRIDMAP_STORE``, else ``data/gridmap.gpkg``."""
    return str(explicit or os.environ.get(STORE_ENV) or DEFAULT_STORE)
