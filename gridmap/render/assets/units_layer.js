// Grids (or areas) filled by class, in one feature group that holds the tooltip and the
// hover for all of them (no handlers per polygon). Clicks reach Streamlit through
// streamlit-folium, which reads each polygon's `feature`. Needs decode.js, text_box.js.
// d: see webmap.UnitsLayer.
function unitsLayer(d) {
  function style(p) {
    return d.special[p.c] || {fillColor: p.c < 0 ? d.noData : d.colors[p.c],
                              fillOpacity: 0.72, color: "#555", weight: 0.5};
  }
  var layer = L.featureGroup();
  for (var k = 0; k < d.geometry.length; k++) {
    var poly = L.polygon(decodeLatLngs(d.geometry[k], d.origin), style(d.properties[k]));
    poly.feature = {type: "Feature", properties: d.properties[k]};  // toGeoJSON on click
    layer.addLayer(poly);
  }
  layer.bindTooltip(function (l) {
    var p = l.feature.properties, lines = [p.n];
    if (p.t >= 0) lines.push(d.typeLabel + "：" + d.types[p.t]);
    if (p.w) lines.push(d.workersLabel + "：" + p.w);
    lines.push(d.valueLabel + "：" + (p.v === null ? "—" : p.v));
    for (var i = 0; i < d.tiers.length; i++) lines.push(d.tiers[i] + "：" + p.r[i]);
    return textBox(lines);
  }, {sticky: true});
  layer.on("mouseover", function (e) { e.layer.setStyle({weight: 2, color: "#111"}); });
  layer.on("mouseout", function (e) { e.layer.setStyle(style(e.layer.feature.properties)); });
  return layer;
}
