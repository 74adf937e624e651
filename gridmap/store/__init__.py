"""The repository: every read and write of gridmap's data goes through a Store.

``open_store(url)`` picks the backend from the URL: a path is a GeoPackage (the
embedded default, one file QGIS opens); ``postgresql://`` is the server backend.
Pages and the CLI use only the ``Store`` interface, so backends are swappable.

- ``base``: the interface (``Store``) and its writes, each in its own transaction;
- ``membership``: ``Area`` and what belongs to one, for SQL filters and the guard;
- ``visits``, ``casework``, ``assessments``, ``assignments``, ``accounts``,
  ``imports``: the writes, one function each, taking a ``Transaction``;
- ``sql``: what the SQL backends share (reads, ``Transaction``, ``upgrade``);
  ``values``: values as SQL binds them;
- ``upgrades``: the ordered schema upgrade steps;
- ``geopackage``, ``postgis``: the backends (``_gpkg``: GeoPackage geometry blobs).
"""

from __future__ import annotations

import os

from gridmap.errors import NotFoundError, StoreError, ValidationError
from gridmap.settings import store_url
from gridmap.store.base import Store
from gridmap.store.geopackage import GeoPackageStore
from gridmap.store.membership import Area
from gridmap.store.postgis import PostGISStore
from gridmap.store.sql import SqlStore, Transaction

__all__ = ["Area", "GeoPackageStore", "NotFoundError", "PostGISStore", "SqlStore", "Store",
           "StoreError", "Transaction", "ValidationError", "open_store"]


def open_store(url: str | os.PathLike | None = None) -> Store:
    """The store at ``url`` (default: ``$GRIDMAP_STORE`` or ``data/gridmap.gpkg``)."""
    url = store_url(url)
    if url.startswith(("postgresql://", "postgres://")):
        return PostGISStore(url)
    return GeoPackageStore(url)
