// Draw every Vega-Lite spec of the page: <script type="application/json" class="vega-spec" data-target="ID">.
(function () {
  "use strict";
  var options = { renderer: "svg", actions: { export: true, source: false, compiled: false, editor: false } };
  document.querySelectorAll("script.vega-spec").forEach(function (node) {
    var target = document.getElementById(node.getAttribute("data-target"));
    var spec = JSON.parse(node.textContent);
    window.vegaEmbed(target, spec, options).catch(function (error) {
      console.error("llmzoo: chart " + target.id + " failed: " + error);
      target.textContent = "This chart could not be drawn: " + error;
    });
  });
})();
