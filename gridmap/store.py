"""The repository: every read and write of gridmap's data goes through a Store.

``open_store(url)`` picks the backend from the URL: a path is a GeoPackage (the
embedded default, one file QGIS opens); ``postgresql://`` is the server backend.
Pages and the CLI use only the ``Store`` interface, so backends are swappable.
"""

from __future__ import annotations

import os

from gridmap.geopackage import GeoPackageStore
from gridmap.postgis import PostGISStore
from gridmap.settings import store_url
from gridmap.sqlstore import Area, SqlStore, Store

__all__ = ["Area", "GeoPackageStore", "PostGISStore", "SqlStore", "Store", "open_store"]


def open_store(url: str | os.PathLike | None = None) -> Store:
    """The store at ``url`` (default: ``$GRIDMAP_STORE`` or ``data/gridmap.gpkg``)."""
    url = store_url(url)
    if url.startswith(("postgresql://", "postgres://")):
        return PostGISStore(url)
    return GeoPackageStore(url)

