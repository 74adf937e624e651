// The scale bar in metres and kilometres only (Leaflet's default adds miles and feet).
function metricScale() {
  return L.control.scale({metric: true, imperial: false});
}
