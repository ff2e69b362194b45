// Trends on the bedside page: the server builds the figures (monitor/web/charts.py, plotly's Python API)
// and hands them over in <div id="trends" data-trends>; this module draws them and then only appends the
// live readings, all that arrived in one frame together (Plotly.extendTraces). Anything more than a new
// reading (a correction, a late entry, a marker, a state change) draws the server's figures afresh
// from /sessions/{id}/trends. The events come from the page's one live connection (bedside.js).

export function mountTrends(host) {
  const sessionId = host.dataset.sessionId;
  let current = JSON.parse(host.dataset.trends);
  let known = new Set(current.vitals);
  const divs = new Map();
  const queue = new Map(); // chart id → trace index → {x, y}
  let frame = null;
  let fetching = null;

  function minutes(at) { return Math.round(((Date.parse(at) - Date.parse(current.origin)) / 60000) * 10) / 10; }

  function drawAll(react) {
    const draw = react ? window.Plotly.react : window.Plotly.newPlot;
    return Promise.all(current.charts.map(({ id, figure }) => draw(divs.get(id), figure.data, figure.layout, figure.config)));
  }

  // The server's figures afresh; events after their seq are still appended.
  function redraw() {
    queue.clear();
    if (fetching) return fetching;
    fetching = fetch(`/sessions/${sessionId}/trends`, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      .then((response) => (response.ok ? response.json() : null))
      .then((fresh) => {
        if (!fresh) return null;
        current = fresh;
        known = new Set(fresh.vitals);
        return drawAll(true);
      })
      .catch(() => {})
      .finally(() => { fetching = null; });
    return fetching;
  }

  function lastX(chartId, index) {
    const queued = queue.get(chartId) && queue.get(chartId).get(index);
    if (queued && queued.x.length) return queued.x[queued.x.length - 1];
    const xs = divs.get(chartId).data[index].x;
    return xs.length ? xs[xs.length - 1] : -Infinity;
  }

  // A new current reading: appended to each chart that shows one of its measures; a late one redraws.
  function addReading(record) {
    if (known.has(record.id) || record.status !== 'current') return false;
    known.add(record.id);
    const x = minutes(record.taken_at);
    for (const chart of current.charts) {
      chart.series.forEach((key, index) => {
        if (record[key] == null) return;
        if (x < lastX(chart.id, index)) { redraw(); return; } // its point belongs inside the line
        if (!queue.has(chart.id)) queue.set(chart.id, new Map());
        const traces = queue.get(chart.id);
        if (!traces.has(index)) traces.set(index, { x: [], y: [] });
        traces.get(index).x.push(x);
        traces.get(index).y.push(record[key]);
      });
    }
    return true;
  }

  // One frame, one update per chart.
  function flush() {
    frame = null;
    if (fetching) { queue.clear(); return; } // the fresh figures hold these readings
    for (const [chartId, traces] of queue) {
      const indices = [...traces.keys()];
      window.Plotly.extendTraces(divs.get(chartId), { x: indices.map((i) => traces.get(i).x), y: indices.map((i) => traces.get(i).y) }, indices);
    }
    queue.clear();
  }

  function onEvent(event) {
    if (event.seq <= current.seq) return;
    const { type, data } = event;
    if (type === 'vitals.recorded' || type === 'vitals.batch') {
      const records = type === 'vitals.batch' ? (data.records || []) : [data];
      if (records.map(addReading).some(Boolean) && frame === null) frame = requestAnimationFrame(flush);
    } else if (['vitals.amended', 'vitals.voided', 'side_effect.recorded', 'session.transitioned'].includes(type)
      || (type === 'note.recorded' && data.kind !== 'addendum')) {
      redraw();
    }
  }

  // The open phase grows with the clock.
  function growOpenPhase() {
    const now = (Date.now() - Date.parse(current.origin)) / 60000;
    for (const chart of current.charts) {
      if (chart.open_phase !== null) window.Plotly.relayout(divs.get(chart.id), { [`shapes[${chart.open_phase}].x1`]: now });
    }
  }

  host.classList.add('trends');
  for (const { id } of current.charts) {
    const div = document.createElement('div');
    div.className = 'trend-chart';
    div.id = `trend-${id}`;
    div.setAttribute('role', 'img');
    div.setAttribute('aria-label', `${current.charts.find((c) => c.id === id).figure.layout.title.text} trend`);
    host.append(div);
    divs.set(id, div);
  }
  drawAll(false).then(() => { host.dataset.ready = 'true'; })
    .catch((error) => { host.textContent = `Trends could not be drawn: ${error.message}`; });
  setInterval(growOpenPhase, 60000);
  return { onEvent, redraw };
}
