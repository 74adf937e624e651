"""Colours shared by every page, map and export."""

TIER_COLORS = {"red": "#d7301f", "orange": "#f28c28", "yellow": "#f2c500", "green": "#2e9d4d"}
GRID_TYPE_COLORS = {"urban": "#4c72b0", "rural": "#55a868", "dedicated": "#8172b2"}
# Choropleth classes, light to dark (ColorBrewer PuBu): blue-purple, so the
# red/orange/yellow/green household points stay readable on top.
CHOROPLETH = ["#f1eef6", "#d0d1e6", "#a6bddb", "#74a9cf", "#2b8cbe", "#045a8d", "#023858"]
NO_DATA = "#e0e0e0"
