"""Typed defaults for where things are. Rules users change live in the policy file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
DEFAULT_STORE = DATA_DIR / "gridmap.gpkg"
BOUNDARIES = DATA_DIR / "boundaries" / "zhenjiang_districts_gcj02.geojson"
STORE_ENV = "GRIDMAP_STORE"
PASSWORD_ENV = "GRIDMAP_PASSWORD"  # the command line's --as password, for scripts
# serve: Streamlit's server.cookieSecret, the same on every replica (default: a new one
# per `python -m gridmap serve` run)
COOKIE_SECRET_ENV = "GRIDMAP_COOKIE_SECRET"
TILES_ENV, TILES_DATUM_ENV, TILES_ATTRIBUTION_ENV = (
    "GRIDMAP_TILES", "GRIDMAP_TILES_DATUM", "GRIDMAP_TILES_ATTRIBUTION")


def store_url(explicit: str | os.PathLike | None = None) -> str:
    """The store to use: ``explicit``, else ``$GRIDMAP_STORE``, else ``data/gridmap.gpkg``."""
    return str(explicit or os.environ.get(STORE_ENV) or DEFAULT_STORE)


def cookie_secret_from_env(environ=os.environ) -> str | None:
    """``$GRIDMAP_COOKIE_SECRET``: the replicas' shared cookie secret (``None``: make one)."""
    return environ.get(COOKIE_SECRET_ENV) or None


def password_from_env(environ=os.environ) -> str | None:
    """``$GRIDMAP_PASSWORD`` for ``--as USER`` in scripts (``None``: ask)."""
    return environ.get(PASSWORD_ENV) or None


@dataclass(frozen=True)
class Tiles:
    """An optional basemap: an XYZ URL template (a local folder under ``static/``,
    Tianditu with the user's key, or AMap). ``datum`` 'gcj02' shifts every overlay
    into GCJ-02 so it lines up with AMap's tiles."""

    url: str
    attribution: str = ""
    datum: str = "wgs84"


def tiles_from_env(environ=os.environ) -> Tiles | None:
    """``$GRIDMAP_TILES`` (and ``_DATUM``, ``_ATTRIBUTION``), or ``None`` for no basemap."""
    url = environ.get(TILES_ENV, "").strip()
    if not url:
        return None
    datum = environ.get(TILES_DATUM_ENV, "wgs84").strip().lower()
    if datum not in ("wgs84", "gcj02"):
        raise ValueError(f"{TILES_DATUM_ENV} must be wgs84 or gcj02, not {datum!r}")
    return Tiles(url, environ.get(TILES_ATTRIBUTION_ENV, ""), datum)
