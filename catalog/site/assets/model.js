// A model page's compute chart: the catalogue's compute chart (assets/compute.js) with this model ringed.
(function () {
  "use strict";
  var target = document.getElementById("compute-chart");
  var pointNode = document.getElementById("compute-point");
  if (!target || !pointNode || !window.LLMZOO_COMPUTE) { return; }
  var point = JSON.parse(pointNode.textContent);
  var spec = JSON.parse(JSON.stringify(window.LLMZOO_COMPUTE));
  var x = { field: "x_params", type: "quantitative" };
  var y = { field: "y_tokens", type: "quantitative" };
  // the background chart labels some models; drop its label of this one, which gets a red label
  Object.keys(spec.datasets || {}).forEach(function (name) {
    spec.datasets[name] = spec.datasets[name].filter(function (row) {
      return !(row && "label" in row && "lx" in row && row.label === point.name);
    });
  });
  var layers = spec.layer || [];
  layers.push({
    data: { values: [point] }, mark: { type: "point", shape: "circle", size: 420, filled: false,
      stroke: "#d62728", strokeWidth: 3, clip: true },
    encoding: { x: x, y: y, tooltip: [{ field: "name", type: "nominal", title: "this model" }] }
  });
  layers.push({
    data: { values: [point] }, mark: { type: "text", align: "left", dx: 14, dy: -10, fontWeight: "bold",
      fontSize: 12, color: "#d62728", clip: true },
    encoding: { x: x, y: y, text: { field: "name", type: "nominal" } }
  });
  spec.layer = layers;
  var options = { renderer: "svg", actions: { export: true, source: false, compiled: false, editor: false } };
  window.vegaEmbed(target, spec, options).catch(function (error) {
    console.error("llmzoo: compute chart failed: " + error);
    target.textContent = "The chart could not be drawn: " + error;
  });
})();
