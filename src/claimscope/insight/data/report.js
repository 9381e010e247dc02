// Draws the report's charts with vega-embed (bundled inline above this script). The state
// boundaries are inline too and put into each map's specification, so nothing is fetched.
"use strict";
(function () {
  const specs = JSON.parse(document.getElementById("report-specs").textContent);
  const topology = JSON.parse(document.getElementById("us-states").textContent);
  function inline(node) {
    if (Array.isArray(node)) return node.map(inline);
    if (node === null || typeof node !== "object") return node;
    if (node.url === "us-states-10m.json") {
      const {url, ...rest} = node;
      return {...rest, values: topology};
    }
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, inline(value)]));
  }
  for (const holder of document.querySelectorAll("[data-chart]")) {
    vegaEmbed(holder, inline(specs[holder.dataset.chart]), {renderer: "svg", actions: false})
      .catch((error) => { holder.textContent = "Chart could not be drawn: " + error.message; });
  }
})();
