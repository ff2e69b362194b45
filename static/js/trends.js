// Trends on the bedside page: HR, blood pressure, SpO2 and RR against minutes since the infusion
// started, the phases shaded, side effects, notes and medications as markers, the alert thresholds in
// force as lines. Self-contained: the page gives <div id="trends" data-session-id="N"> and this module
// fetches the record and the rules, draws, then follows the session's live events. New readings are
// appended with Plotly.extendTraces, all that arrived in one frame together; only a correction (an
// amendment, a void, a late entry) or a new time origin redraws.
import { connectLive } from './live.js';
import WORDS, { shortLabel } from './vocabulary.js';

const host = document.getElementById('trends');
const sessionId = Number(host && host.dataset.sessionId);
const VENDOR = { Plotly: '/static/vendor/plotly-basic.min.js', io: '/static/vendor/socket.io.min.js' };
const COLORS = { hr: '#0b5cad', sbp: '#b00020', dbp: '#8a3ffc', spo2: '#1d6b35', rr: '#8a5a00' };
const CHARTS = WORDS.trend_charts.map((c) => ({ ...c, series: c.series.map((key) => [key, shortLabel(key)]) }));
const CHART_OF = Object.fromEntries(CHARTS.flatMap((c) => c.series.map(([key]) => [key, c.id])));
// The markers: one trace each after the series, drawn along the top edge of every chart.
const MARKERS = [
  { kind: 'side_effect', name: 'Side effects', symbol: 'triangle-up', color: '#b36b00' },
  { kind: 'note', name: 'Notes', symbol: 'circle-open', color: '#4d4d4d' },
  { kind: 'medication', name: 'Medications', symbol: 'diamond', color: '#0b5cad' },
];
const PHASES = { infusing: 'rgba(176, 0, 32, 0.08)', paused: '#78787829',
  recovery: 'rgba(11, 92, 173, 0.08)', ready: 'rgba(29, 107, 53, 0.10)' };
const PRIORITY_LINES = { high: { color: '#b00020', dash: 'dash' }, medium: { color: '#b36b00', dash: 'dot' },
  low: { color: '#00758f', dash: 'dot' } };

const state = { record: null, rules: null, vitals: new Map(), marks: new Map(), divs: new Map(), origin: null };
const queue = new Map(); // chart id → trace index → {x, y, text}
let frame = null;
let redrawAll = false;
let phasesChanged = false;

function loadScript(global, src) {
  if (window[global]) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = src;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.append(script);
  });
}

async function getJson(path) {
  const response = await fetch(path, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  return response.json();
}

// ---- from the record to what is drawn ---------------------------------------------------------------

function originOf(record) {
  const line = record.timeline;
  const at = line.infusing || line.baseline || record.created_at;
  return { at: Date.parse(at), label: line.infusing ? 'minutes since the infusion started' : 'minutes since baseline' };
}

function minutes(at) { return Math.round(((Date.parse(at) - state.origin.at) / 60000) * 10) / 10; }

function currentVitals() {
  return [...state.vitals.values()].filter((v) => v.status === 'current')
    .sort((a, b) => (a.taken_at < b.taken_at ? -1 : a.taken_at > b.taken_at ? 1 : a.id - b.id));
}

function markKind(entry) {
  if (entry.severity) return 'side_effect';
  return entry.kind === 'medication' ? 'medication' : 'note';
}

function markOf(entry) {
  const kind = markKind(entry);
  if (kind === 'side_effect') {
    return { kind, at: entry.observed_at, text: `${entry.severity} ${entry.kind.replaceAll('_', ' ')}${entry.serious ? ' (serious)' : ''}` };
  }
  const medication = entry.medication ? `${entry.medication.name}${entry.medication.dose ? ` ${entry.medication.dose}` : ''}: ` : '';
  return { kind, at: entry.at, text: `${entry.kind.replaceAll('_', ' ')}: ${medication}${entry.text}` };
}

function thresholdLines(chart) {
  const lines = [];
  const rules = state.rules || {};
  for (const key of ['bp_high', 'sbp_low', 'hr', 'spo2', 'rr']) {
    for (const [priority, conditions] of Object.entries(rules[key] || {})) {
      for (const [measure, comparisons] of Object.entries(conditions)) {
        if (CHART_OF[measure] !== chart.id) continue;
        for (const [comparison, limit] of Object.entries(comparisons)) {
          if (typeof limit === 'number') lines.push({ y: limit, priority, text: `${shortLabel(measure)} ${WORDS.comparisons[comparison]} ${limit}` });
        }
      }
    }
  }
  const baseline = state.record.baseline;
  const rise = rules.bp_rise && rules.bp_rise.medium;
  if (chart.id === 'bp' && baseline && baseline.sbp != null && rise && rise.sbp_rise) {
    const limit = baseline.sbp + rise.sbp_rise.at_least;
    lines.push({ y: limit, priority: 'medium', text: `${WORDS.measures.sbp_rise} ${WORDS.comparisons.at_least} ${rise.sbp_rise.at_least} (${limit})` });
  }
  return lines.map((line) => ({
    type: 'line', xref: 'paper', x0: 0, x1: 1, yref: 'y', y0: line.y, y1: line.y, layer: 'below',
    line: { color: PRIORITY_LINES[line.priority].color, width: 1, dash: PRIORITY_LINES[line.priority].dash },
    label: { text: line.text, textposition: line.priority === 'high' ? 'end' : 'start', // apart when close
      font: { size: 10, color: PRIORITY_LINES[line.priority].color } },
  }));
}

function phaseShapes() {
  const steps = state.record.transitions || [];
  const now = (Date.now() - state.origin.at) / 60000;
  return steps.map((step, i) => ({ step, end: steps[i + 1] ? minutes(steps[i + 1].at) : now }))
    .filter(({ step }) => PHASES[step.to])
    .map(({ step, end }) => ({
      type: 'rect', xref: 'x', yref: 'paper', x0: minutes(step.at), x1: end, y0: 0, y1: 1, layer: 'below',
      fillcolor: PHASES[step.to], line: { width: 0 },
    }));
}

function tracesOf(chart) {
  const records = currentVitals();
  const traces = chart.series.map(([key, name]) => {
    const points = records.filter((v) => v[key] != null);
    return { type: 'scatter', mode: 'lines+markers', name, x: points.map((v) => minutes(v.taken_at)),
      y: points.map((v) => v[key]), line: { color: COLORS[key], width: 2 }, marker: { size: 5 },
      hovertemplate: `${name} %{y} at %{x} min<extra></extra>` };
  });
  const top = chart.range[1];
  for (const marker of MARKERS) {
    const marks = [...state.marks.values()].filter((m) => m.kind === marker.kind);
    traces.push({ type: 'scatter', mode: 'markers', name: marker.name, x: marks.map((m) => minutes(m.at)),
      y: marks.map(() => top), text: marks.map((m) => m.text), cliponaxis: false,
      marker: { symbol: marker.symbol, size: 10, color: marker.color }, hovertemplate: '%{text} at %{x} min<extra></extra>' });
  }
  return traces;
}

function layoutOf(chart) {
  return {
    height: 230, margin: { l: 48, r: 12, t: 28, b: 36 }, showlegend: chart.series.length > 1 || chart.id === 'hr',
    legend: { orientation: 'h', y: -0.28, font: { size: 11 } },
    title: { text: `${chart.title} (${chart.unit})`, font: { size: 14 }, x: 0, xanchor: 'left' },
    xaxis: { title: { text: state.origin.label, font: { size: 11 } }, zeroline: true, rangemode: 'normal' },
    yaxis: { range: chart.range, fixedrange: true },
    shapes: [...phaseShapes(), ...thresholdLines(chart)],
    paper_bgcolor: 'rgba(0,0,0,0)', plot_bgcolor: 'rgba(0,0,0,0)',
  };
}

const CONFIG = { displayModeBar: false, responsive: true, displaylogo: false };

function draw(chart) {
  return window.Plotly.react(state.divs.get(chart.id), tracesOf(chart), layoutOf(chart), CONFIG);
}

// ---- following the session -----------------------------------------------------------------------------

function lastX(div, index) {
  const xs = div.data[index].x;
  return xs.length ? xs[xs.length - 1] : -Infinity;
}

function enqueue(chartId, index, x, y, text) {
  if (!queue.has(chartId)) queue.set(chartId, new Map());
  const traces = queue.get(chartId);
  if (!traces.has(index)) traces.set(index, { x: [], y: [], text: [] });
  const pending = traces.get(index);
  pending.x.push(x);
  pending.y.push(y);
  pending.text.push(text);
}

function addReading(record) {
  if (state.vitals.has(record.id) || record.status !== 'current') return;
  state.vitals.set(record.id, record);
  const x = minutes(record.taken_at);
  for (const chart of CHARTS) {
    chart.series.forEach(([key], index) => {
      if (record[key] == null) return;
      const div = state.divs.get(chart.id);
      const queued = queue.get(chart.id) && queue.get(chart.id).get(index);
      const last = queued && queued.x.length ? queued.x[queued.x.length - 1] : lastX(div, index);
      if (x < last) redrawAll = true; // a late entry: its point belongs inside the line
      else enqueue(chart.id, index, x, record[key], null);
    });
  }
}

function addMark(entry) {
  const id = `${markKind(entry)}-${entry.id}`;
  if (state.marks.has(id) || (entry.kind === 'addendum')) return;
  const mark = markOf(entry);
  state.marks.set(id, mark);
  const index = MARKERS.findIndex((m) => m.kind === mark.kind);
  for (const chart of CHARTS) enqueue(chart.id, chart.series.length + index, minutes(mark.at), chart.range[1], mark.text);
}

function onEvent(event) {
  const { type, data } = event;
  if (type === 'vitals.recorded') addReading(data);
  else if (type === 'vitals.batch') (data.records || []).forEach(addReading);
  else if (type === 'vitals.amended') {
    const old = state.vitals.get(data.supersedes);
    if (old) old.status = 'amended';
    state.vitals.set(data.record.id, data.record);
    redrawAll = true;
  } else if (type === 'vitals.voided') {
    const old = state.vitals.get(data.id);
    if (old) old.status = 'void';
    redrawAll = true;
  } else if (type === 'side_effect.recorded' || type === 'note.recorded') addMark(data);
  else if (type === 'session.transitioned') {
    state.record.transitions.push({ from: data.from, to: data.to, at: data.at });
    if (!(data.to in state.record.timeline)) state.record.timeline[data.to] = data.at;
    const origin = originOf(state.record);
    if (origin.at !== state.origin.at) { state.origin = origin; redrawAll = true; } else phasesChanged = true;
  } else return;
  schedule();
}

function schedule() {
  if (frame === null) frame = requestAnimationFrame(flush);
}

// One frame, one update per chart: a redraw when something moved, else the queued points appended.
function flush() {
  frame = null;
  if (redrawAll) {
    redrawAll = false;
    phasesChanged = false;
    queue.clear();
    CHARTS.forEach(draw);
    return;
  }
  for (const chart of CHARTS) {
    const traces = queue.get(chart.id);
    const div = state.divs.get(chart.id);
    if (traces && traces.size) {
      const indices = [...traces.keys()];
      const update = { x: indices.map((i) => traces.get(i).x), y: indices.map((i) => traces.get(i).y) };
      if (indices.some((i) => i >= chart.series.length)) update.text = indices.map((i) => traces.get(i).text);
      window.Plotly.extendTraces(div, update, indices);
    }
    if (phasesChanged) window.Plotly.relayout(div, { shapes: layoutOf(chart).shapes });
  }
  queue.clear();
  phasesChanged = false;
}

// ---- start ----------------------------------------------------------------------------------------------------

function buildCharts() {
  host.classList.add('trends');
  host.style.display = 'grid';
  host.style.gridTemplateColumns = 'repeat(auto-fit, minmax(20rem, 1fr))';
  host.style.gap = '0.5rem';
  for (const chart of CHARTS) {
    const div = document.createElement('div');
    div.className = 'trend-chart';
    div.id = `trend-${chart.id}`;
    div.setAttribute('role', 'img');
    div.setAttribute('aria-label', `${chart.title} trend`);
    host.append(div);
    state.divs.set(chart.id, div);
  }
}

// The record and the rules in force, fetched afresh; returns the seq they are at least current to.
async function load() {
  const { last_seq: since } = await getJson('/api/events?since=0&limit=1');
  const [record, rules] = await Promise.all([getJson(`/api/sessions/${sessionId}`), getJson('/api/alert-rules')]);
  state.record = record;
  state.rules = rules.rules;
  state.origin = originOf(record);
  state.vitals = new Map(record.vitals.map((v) => [v.id, v]));
  state.marks = new Map(record.side_effects.map((e) => [`side_effect-${e.id}`, markOf(e)]));
  record.notes.filter((n) => n.kind !== 'addendum').forEach((n) => state.marks.set(`${markKind(n)}-${n.id}`, markOf(n)));
  return since;
}

async function start() {
  await Promise.all([loadScript('Plotly', VENDOR.Plotly), loadScript('io', VENDOR.io)]);
  const since = await load();
  buildCharts();
  await Promise.all(CHARTS.map(draw));
  host.dataset.ready = 'true';
  const reload = () => load().then(() => { redrawAll = true; schedule(); });
  connectLive({ scope: { session_id: sessionId }, since, onEvent, onReload: reload });
  // The open phase grows with the clock.
  setInterval(() => { phasesChanged = true; schedule(); }, 60000);
}

if (host && sessionId) {
  start().catch((error) => {
    host.textContent = `Trends could not be drawn: ${error.message}`;
  });
}
