// Area boundaries, not clickable (clicks fall through to the units). Needs decode.js.
// d: {geometry, origin, style}.
function outlineLayer(d) {
  var layer = L.featureGroup();
  for (var k = 0; k < d.geometry.length; k++) {
    layer.addLayer(L.polygon(decodeLatLngs(d.geometry[k], d.origin),
                             L.extend({interactive: false}, d.style)));
  }
  return layer;
}
