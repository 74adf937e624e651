"""Colours shared by every page, map and export."""

TIER_COLORS = {"red": "#d7301f", "orange": "#f28c28", "yellow": "#f2c500", "green": "#2e9d4d"}
GRID_TYPE_COLORS = {"urban": "#4c72b0", "rural": "#55a868", "dedicated": "#8172b2"}
