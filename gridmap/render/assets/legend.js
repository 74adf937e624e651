// The legend: a control holding HTML built and escaped on the server (webmap.legend_html);
// its look is in webmap.css.
function legendControl(html) {
  var legend = L.control({position: "bottomright"});
  legend.onAdd = function () {
    var div = L.DomUtil.create("div", "gridmap-legend");
    div.innerHTML = html;
    return div;
  };
  return legend;
}
