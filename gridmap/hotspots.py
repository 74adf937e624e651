"""Where need clusters: Getis-Ord Gi* and local Moran's I on grid polygons (PySAL).

- Neighbours are queen contiguity (grids sharing an edge or a corner); a grid
  with no neighbour (an island, e.g. a river islet) is joined to its nearest
  grid, so every grid is judged against some surroundings.
- Inference is by conditional permutation with a fixed seed (the policy's
  ``hotspots.seed``), so a run is repeatable. Classes are Hot/Cold at 99/95/90 %
  confidence or Not significant, optionally with a false-discovery-rate correction
  (esda.fdr).
"""

from __future__ import annotations

import warnings
from datetime import date

import esda
import numpy as np
import pandas as pd
from libpysal.weights import KNN, Queen, W, attach_islands

from gridmap.policy import DEFAULT_HOTSPOT_SEED
from gridmap.privacy import suppress

INDICATORS = ("red_orange", "red_orange_rate", "visits_required", "new_difficulties_30d",
              "new_difficulties_90d", "overdue_rate", "open_cases", "new_alerts")
CONFIDENCE = (0.99, 0.95, 0.90)
GI_CLASSES = ("hot_99", "hot_95", "hot_90", "not_significant", "cold_90", "cold_95", "cold_99")
MORAN_CLASSES = ("high_high", "low_high", "low_low", "high_low", "not_significant")


def contiguity(grids: pd.DataFrame) -> W:
    """Queen contiguity between grids (rows in ``grids`` order); islands get their
    nearest grid as neighbour."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # libpysal reports islands and components
        w = Queen.from_dataframe(grids, use_index=False, silence_warnings=True)
        if w.islands and len(grids) > 1:
            points = grids.set_geometry(grids.representative_point())
            w = attach_islands(w, KNN.from_dataframe(points, k=1))
    return w


def indicator(name: str, grids: pd.DataFrame, per_grid: pd.DataFrame,
              households: pd.DataFrame, visits: pd.DataFrame, *, as_of: date) -> pd.Series:
    """The values of a hotspot indicator per grid (``grids`` order).

    ``per_grid`` is ``indicators.grid_indicators``. Rates are per household
    (0 where a grid has none).
    """
    ids = grids["grid_id"].to_numpy()
    pg = per_grid.reindex(ids)
    if name == "red_orange":
        values = pg["red_orange"]
    elif name == "red_orange_rate":
        values = pg["red_orange"] / pg["households"].replace(0, np.nan)
    elif name == "visits_required":
        values = pg["visits_required"]
    elif name in ("new_difficulties_30d", "new_difficulties_90d"):
        days = 30 if name.endswith("30d") else 90
        start = pd.Timestamp(as_of) - pd.Timedelta(days=days - 1)
        end = pd.Timestamp(as_of) + pd.Timedelta(days=1)
        found = visits[visits["found_difficulty"].astype(bool)
                       & (visits["visited_at"] >= start) & (visits["visited_at"] < end)]
        grid_of = households.set_index("household_id")["grid_id"]
        values = found["household_id"].map(grid_of).value_counts().reindex(ids, fill_value=0)
    elif name == "overdue_rate":
        values = pg["overdue"] / pg["households"].replace(0, np.nan)
    elif name == "open_cases":
        values = pg["open_cases"]
    elif name == "new_alerts":  # raised in the last 30 days (data matching, issue 20)
        values = pg["new_alerts"]
    else:
        raise ValueError(f"unknown indicator {name!r}; use one of {', '.join(INDICATORS)}")
    return pd.Series(values.fillna(0).to_numpy(float), index=ids, name=name)


def _significant(p: np.ndarray, alpha: float, fdr: bool) -> np.ndarray:
    threshold = esda.fdr(p, alpha) if fdr else alpha
    return p <= threshold


def gi_star(values: pd.Series, w: W, *, permutations: int = 999,
            seed: int = DEFAULT_HOTSPOT_SEED, fdr: bool = False) -> pd.DataFrame:
    """Getis-Ord Gi* per unit: ``value, gi_z, p_value, hotspot_class`` (index of ``values``).

    ``p_value`` is the pseudo p-value of the permutation test (esda's ``p_sim``,
    one-sided); with ``fdr`` each confidence level is corrected for the number of
    tests, which needs enough permutations to reach small p-values.
    """
    y = values.to_numpy(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # separate components (e.g. cities)
        g = esda.G_Local(y, w, transform="B", star=True, permutations=permutations,
                         seed=seed, n_jobs=1, keep_simulations=False)
    z, p = np.asarray(g.Zs, float), np.asarray(g.p_sim, float)
    cls = np.full(len(y), "not_significant", dtype=object)
    for confidence in sorted(CONFIDENCE):  # the strongest level is written last and wins
        sig = _significant(p, 1 - confidence, fdr)
        level = round(confidence * 100)
        cls[sig & (z > 0)] = f"hot_{level}"
        cls[sig & (z < 0)] = f"cold_{level}"
    return pd.DataFrame({"value": y, "gi_z": z, "p_value": p, "hotspot_class": cls},
                        index=values.index)


def local_moran(values: pd.Series, w: W, *, permutations: int = 999,
                seed: int = DEFAULT_HOTSPOT_SEED, alpha: float = 0.05,
                fdr: bool = False) -> pd.DataFrame:
    """Local Moran's I clusters: high_high, low_low, and the outliers high_low, low_high."""
    y = values.to_numpy(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (RuntimeWarning, UserWarning))
        m = esda.Moran_Local(y, w, transformation="r", permutations=permutations, seed=seed,
                             n_jobs=1, keep_simulations=False)
    sig = _significant(np.asarray(m.p_sim, float), alpha, fdr)
    quadrant = np.array(MORAN_CLASSES[:4], dtype=object)[np.asarray(m.q) - 1]
    cls = np.where(sig, quadrant, "not_significant")
    return pd.DataFrame({"value": y, "moran_i": m.Is, "p_value": m.p_sim, "cluster": cls},
                        index=values.index)


def on_hexagons(result: pd.DataFrame, column: str, min_count: int) -> pd.DataFrame:
    """A result on hexagons (counts) for display: each cell's count, suppressed, and its
    class ``column``.

    The statistic (Gi* z, Moran's I) and the p-value are left out: each is computed
    from the counts of the cell, of its neighbours and of all cells (their mean and
    spread), so beside the shown counts they would give a suppressed one back. A class
    is too coarse to.
    """
    counts = suppress(result[["value"]].astype(int), min_count)["value"].astype(str)
    return pd.DataFrame({"value": counts, column: result[column]}, index=result.index)


EMERGING_CLASSES = ("became_hot", "hotter", "no_rise")
_HEAT = {"cold_99": -3, "cold_95": -2, "cold_90": -1, "not_significant": 0,
         "hot_90": 1, "hot_95": 2, "hot_99": 3}


def difficulties_between(grids: pd.DataFrame, households: pd.DataFrame,
                         visits: pd.DataFrame, start: date, end: date) -> pd.Series:
    """New difficulties found on visits from ``start`` to ``end`` (days included), per grid."""
    day = visits["visited_at"].dt.normalize()
    found = visits[visits["found_difficulty"].astype(bool) & (day >= pd.Timestamp(start))
                   & (day <= pd.Timestamp(end))]
    grid_of = households.set_index("household_id")["grid_id"]
    ids = grids["grid_id"].to_numpy()
    counts = found["household_id"].map(grid_of).value_counts().reindex(ids, fill_value=0)
    return pd.Series(counts.to_numpy(float), index=ids)


def emerging(before: pd.Series, after: pd.Series, w: W, *, permutations: int = 999,
             seed: int = DEFAULT_HOTSPOT_SEED, fdr: bool = False) -> pd.DataFrame:
    """Gi* classes in two periods and whether each grid's class rose.

    ``became_hot``: now a hotspot and not before; ``hotter``: a stronger class than
    before; ``no_rise``: otherwise. Both periods use the same seed.
    """
    a = gi_star(before, w, permutations=permutations, seed=seed, fdr=fdr)["hotspot_class"]
    b = gi_star(after, w, permutations=permutations, seed=seed, fdr=fdr)["hotspot_class"]
    rose = b.map(_HEAT) > a.map(_HEAT)
    now_hot = b.str.startswith("hot") & ~a.str.startswith("hot")
    change = np.where(now_hot, "became_hot", np.where(rose, "hotter", "no_rise"))
    return pd.DataFrame({"before": a, "after": b, "value": after.to_numpy(float),
                         "change": change}, index=before.index)
