// Households (or cases) as coloured dots, painted in one pass on one canvas: 19,000
// Leaflet markers would cost the browser ~0.4 s to create. The canvas ignores the
// pointer, so clicks reach the grids beneath; the tooltip comes from a nearest-dot
// lookup on mousemove. Needs text_box.js. d: see webmap.PointsLayer.
function pointsLayer(d) {
  var n = d.t.length, lat = new Float64Array(n), lng = new Float64Array(n);
  var mx = new Float64Array(n), my = new Float64Array(n);  // projected once, here
  var x = 0, y = 0, day0 = Date.parse(d.day0), mercator = L.Projection.SphericalMercator;
  for (var i = 0; i < n; i++) {
    x += d.x[i]; y += d.y[i];
    lng[i] = d.origin[0] + x / 1e5; lat[i] = d.origin[1] + y / 1e5;
    var m = mercator.project(new L.LatLng(lat[i], lng[i]));
    mx[i] = m.x; my[i] = m.y;
  }
  var Dots = L.Layer.extend({
    onAdd: function (map) {
      this._map = map;
      this._canvas = L.DomUtil.create("canvas", "gridmap-dots leaflet-zoom-hide");
      this._canvas.style.pointerEvents = "none";
      map.getPanes().overlayPane.appendChild(this._canvas);
      this._tip = L.tooltip({sticky: true, direction: "top", offset: [0, -4]});
      map.on("moveend zoomend resize", this._draw, this);
      map.on("mousemove", this._hover, this);
      map.on("mouseout", this._unhover, this);
      this._draw();
    },
    onRemove: function (map) {
      L.DomUtil.remove(this._canvas);
      map.off("moveend zoomend resize", this._draw, this);
      map.off("mousemove", this._hover, this);
      map.off("mouseout", this._unhover, this);
      this._unhover();
    },
    count: function () { return n; },
    tooltipContent: function (i) {
      var last = d.v[i] < 0 ? d.never
        : new Date(day0 - d.v[i] * 864e5).toISOString().slice(0, 10);
      return textBox([d.a[i], d.tierLabel + "：" + d.tierNames[d.t[i]],
                      d.lastLabel + "：" + last]);
    },
    _draw: function () {
      var map = this._map, size = map.getSize(), c = this._canvas;
      var ratio = window.devicePixelRatio || 1;
      var topLeft = map.containerPointToLayerPoint([0, 0]);
      L.DomUtil.setPosition(c, topLeft);
      c.width = size.x * ratio; c.height = size.y * ratio;
      c.style.width = size.x + "px"; c.style.height = size.y + "px";
      var ctx = c.getContext("2d");
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.lineWidth = 0.6; ctx.strokeStyle = "#222";
      // A container point is linear in the projected one at a given zoom: one offset
      // and two factors instead of a Leaflet call (and two objects) per dot.
      var crs = map.options.crs, scale = crs.scale(map.getZoom());
      var q0 = crs.transformation.transform(L.point(0, 0), scale);
      var q1 = crs.transformation.transform(L.point(1, 1), scale);
      var o = map.latLngToContainerPoint([0, 0]), kx = q1.x - q0.x, ky = q1.y - q0.y;
      var px = this._px = new Float32Array(n), py = this._py = new Float32Array(n);
      for (var i = 0; i < n; i++) { px[i] = o.x + kx * mx[i]; py[i] = o.y + ky * my[i]; }
      for (var tier = d.colors.length - 1; tier >= 0; tier--) {  // red painted last, on top
        ctx.fillStyle = d.colors[tier];
        ctx.beginPath();
        for (var i = 0; i < n; i++) {
          if (d.t[i] !== tier || px[i] < -5 || py[i] < -5 || px[i] > size.x + 5
              || py[i] > size.y + 5) continue;
          ctx.moveTo(px[i] + 3.5, py[i]);
          ctx.arc(px[i], py[i], 3.5, 0, 2 * Math.PI);
        }
        ctx.fill(); ctx.stroke();
      }
    },
    _hover: function (e) {
      var best = -1, bestD = 36, px = this._px, py = this._py;  // within 6 px
      if (!px) return;
      for (var i = 0; i < n; i++) {
        var dx = px[i] - e.containerPoint.x, dy = py[i] - e.containerPoint.y;
        var dd = dx * dx + dy * dy;
        if (dd < bestD) { bestD = dd; best = i; }
      }
      if (best < 0) { this._unhover(); return; }
      if (best !== this._shown) {
        this._shown = best;
        this._tip.setContent(this.tooltipContent(best));
      }
      this._tip.setLatLng([lat[best], lng[best]]);
      if (!this._map.hasLayer(this._tip)) this._tip.addTo(this._map);
    },
    _unhover: function () {
      this._shown = -1;
      if (this._map && this._map.hasLayer(this._tip)) this._map.removeLayer(this._tip);
    }
  });
  return new Dots();
}
