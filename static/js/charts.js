// One look for every plotly chart of the pages: static (no toolbar, no hover-only information),
// readable, sized by its container. Plotly is the vendored plotly-basic build (window.Plotly).
export function plot(id, traces, yTitle, layout = {}) {
  const element = document.getElementById(id);
  if (!element || !window.Plotly) return;
  const hasData = traces.some((trace) => [...(trace.x || []), ...(trace.y || [])].some((v) => v !== null && v !== undefined));
  if (!hasData) {
    element.classList.add('chart-empty');
    element.textContent = 'No data yet.';
    return;
  }
  window.Plotly.newPlot(element, traces, {
    margin: { l: 56, r: 16, t: 16, b: 56 },
    height: 300,
    font: { family: 'system-ui, sans-serif', size: 13, color: '#1a1a1a' },
    yaxis: { title: { text: yTitle }, rangemode: 'tozero' },
    legend: { orientation: 'h', y: -0.25 },
    barmode: 'group',
    ...layout,
  }, { staticPlot: true, responsive: true, displayModeBar: false });
}
