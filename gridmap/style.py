"""Colours shared by every page, map and export."""

TIER_COLORS = {"red": "#d7301f", "orange": "#f28c28", "yellow": "#f2c500", "green": "#2e9d4d"}
# Choropleth classes, light to dark (ColorBrewer PuBu): blue-purple, so the
# red/orange/yellow/green household points stay readable on top.
CHOROPLETH = ["#f1eef6", "#d0d1e6", "#a6bddb", "#74a9cf", "#2b8cbe", "#045a8d", "#023858"]
NO_DATA = "#e0e0e0"
# Suppressed small counts: a mid grey, hatched in print and dash-outlined on the web map,
# so they never pass for the lightest class or for "no data".
SUPPRESSED = "#9a9a9a"
SUPPRESSED_HATCH = "////"

# Hotspot classes (Gi*), hot red to cold blue (ColorBrewer RdBu), and local Moran clusters.
HOTSPOT_COLORS = {"hot_99": "#b2182b", "hot_95": "#ef8a62", "hot_90": "#fddbc7",
                  "not_significant": "#f7f7f7", "cold_90": "#d1e5f0", "cold_95": "#67a9cf",
                  "cold_99": "#2166ac"}
MORAN_COLORS = {"high_high": "#d7191c", "low_high": "#abd9e9", "low_low": "#2c7bb6",
                "high_low": "#fdae61", "not_significant": "#f7f7f7"}
EMERGING_COLORS = {"became_hot": "#b2182b", "hotter": "#f4a582", "no_rise": "#f0f0f0"}
# Open cases by days since the report: light to dark, the oldest darkest.
AGE_COLORS = {"age_0_7": "#fdd49e", "age_8_30": "#fc8d59", "age_31_90": "#d7301f",
              "age_over_90": "#7f0000"}
# Workers' utilisation (policy [workload]): overloaded in a warning colour (a deep
# orange that reads as "too much" without passing for a red household), the rest blue.
WORKLOAD_COLORS = {"overloaded": "#e6550d", "ok": "#6baed6", "idle": "#deebf7"}
# What a rebalancing changes, drawn over the territory maps: grids that move outlined,
# households that move ringed, in a magenta no tier, class or workload colour uses.
CHANGED = "#c51b7d"
