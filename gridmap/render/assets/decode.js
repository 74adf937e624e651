// Decodes what webmap.encode_geometries wrote: per feature a list of polygons, per
// polygon a list of rings, each ring a flat list of integer deltas (1e-5 degree) from
// `origin`. Straight to L.LatLng objects, which L.polygon takes as they are (no GeoJSON
// in between).
function decodeLatLngs(polys, origin) {
  var out = [];
  for (var p = 0; p < polys.length; p++) {
    var rings = [];
    for (var r = 0; r < polys[p].length; r++) {
      var a = polys[p][r], x = 0, y = 0, ring = new Array(a.length / 2);
      for (var i = 0; i < a.length; i += 2) {
        x += a[i]; y += a[i + 1];
        ring[i / 2] = new L.LatLng(origin[1] + y / 1e5, origin[0] + x / 1e5);
      }
      rings.push(ring);
    }
    out.push(rings);
  }
  return out;
}
