// Figures built on the server with plotly.graph_objects (views/), drawn by the vendored plotly.js:
// every element with data-figure holds one figure's JSON. Static pictures: the tables hold the numbers.
for (const element of document.querySelectorAll('[data-figure]')) {
  if (!window.Plotly) break;
  const figure = JSON.parse(element.dataset.figure);
  window.Plotly.newPlot(element, figure.data, figure.layout, { staticPlot: true, responsive: true, displayModeBar: false });
}
