"""A map view drawn: as an offline Leaflet map, or as a printable snapshot."""
