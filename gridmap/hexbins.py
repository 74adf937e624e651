"""H3 hexagon bins: a privacy-friendly view of where households are.

Counts per hexagon over a full cover of the area (empty cells included, so a
neighbour graph over them is complete), with small counts suppressed: any count
from 1 to ``min_count - 1`` is shown as ``"<min_count"`` (policy ``privacy.min_count``).
"""

from __future__ import annotations

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely
from libpysal.weights import W

from gridmap import schema
from gridmap.places import Area

# Finer hexagons as the view narrows: ~5.2 km², ~0.74 km², ~0.11 km², ~0.015 km².
RESOLUTION = {None: 7, "district": 8, "street": 9, "community": 9, "grid": 10}


def resolution_for(area: Area | None) -> int:
    """The H3 resolution that suits a view of ``area``."""
    return RESOLUTION[area.level if area else None]


def cells_of(points: gpd.GeoSeries, res: int) -> np.ndarray:
    """The H3 cell of each point."""
    return np.array([h3.latlng_to_cell(y, x, res)
                     for x, y in zip(points.x.to_numpy(), points.y.to_numpy(), strict=True)],
                    dtype=object)


def hex_counts(households: gpd.GeoDataFrame, boundary, res: int) -> pd.DataFrame:
    """Households per cell and per tier, for every cell covering ``boundary`` (a shapely
    geometry) and every cell that holds a household; sorted by cell id."""
    cells = cells_of(households.geometry, res)
    cover = set(h3.geo_to_cells(shapely.geometry.mapping(boundary), res)) | set(cells)
    frame = pd.DataFrame({"cell": cells, "tier": households["tier"].to_numpy()})
    counts = pd.crosstab(frame["cell"], frame["tier"]).reindex(columns=list(schema.TIERS),
                                                              fill_value=0)
    counts = counts.reindex(sorted(cover), fill_value=0)
    counts.insert(0, "households", counts[list(schema.TIERS)].sum(axis=1))
    counts["red_orange"] = counts["red"] + counts["orange"]
    counts.index.name = "cell"
    return counts.astype(int)


def hex_polygons(cells) -> gpd.GeoSeries:
    """Cell outlines as polygons (lon/lat)."""
    polys = [shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(c)])
             for c in cells]
    return gpd.GeoSeries(polys, index=pd.Index(cells, name="cell"), crs=schema.CRS)


def hex_weights(cells) -> W:
    """Neighbours among ``cells``: the cells sharing an edge (H3 ring 1)."""
    present = set(cells)
    neighbors = {c: [n for n in h3.grid_disk(c, 1) if n != c and n in present] for c in cells}
    return W(neighbors, id_order=list(cells), silence_warnings=True)
