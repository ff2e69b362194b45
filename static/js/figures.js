// Draws every figure the server built with plotly.graph_objects (monitor/web/charts.py and views/) into
// its element: each [data-figure] holds one figure's data, layout and config. Plotly is the vendored
// plotly-basic build (window.Plotly); the tables beside the charts hold the numbers.
for (const element of document.querySelectorAll('[data-figure]')) {
  if (!window.Plotly) break;
  const figure = JSON.parse(element.dataset.figure);
  window.Plotly.newPlot(element, figure.data, figure.layout, figure.config);
}
