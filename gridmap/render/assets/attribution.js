// The basemap's credit alone: no prefix (Leaflet's own link and flag, in English).
function plainAttribution() {
  return L.control.attribution({prefix: false});
}
