// A tooltip as plain text lines, the first bold. Text from data is set as text, never
// parsed as HTML.
function textBox(lines) {
  var box = document.createElement("div");
  for (var j = 0; j < lines.length; j++) {
    var line = document.createElement(j === 0 ? "b" : "div");
    line.textContent = lines[j];
    box.appendChild(line);
  }
  return box;
}
