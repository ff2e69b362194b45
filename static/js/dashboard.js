// The central station: one tile per active session, the sickest on top, kept current from the live
// stream. The server renders the picture once (as JSON in the page); every event after its seq is
// applied here. Applying an event is idempotent, so a fresh picture plus a replay is always right.
import { send } from './forms.js';
import { connectLive } from './live.js';
import WORDS, { shortLabel } from './vocabulary.js';

const RANK = Object.fromEntries(Object.entries(WORDS.priorities).map(([p, { rank }]) => [p, rank]));
const READINGS = WORDS.tile_readings.map((key) => ({ key, ...WORDS.short[key] }));
const TREND = { ...WORDS.tile_trend, width: 200, height: 44 };
const OLD_AFTER_MINUTES = WORDS.settings.overdue_minutes.infusing; // older than the overdue limit while infusing
const MUTE_MINUTES = WORDS.settings.silence_minutes;
const KEEP_EVENTS = 1000; // applied events kept to re-apply over a fresher picture
const PATTERNS = WORDS.alarm_sounds; // a distinct burst per priority, after IEC 60601-1-8
const SVG = 'http://www.w3.org/2000/svg';

const root = document.getElementById('dashboard');
const list = document.getElementById('tiles');
const zone = document.body.dataset.timezone || undefined;
const first = JSON.parse(document.getElementById('dashboard-picture').textContent);
const me = first.user;
const models = new Map();
const tiles = new Map();
const applied = [];

// ---- the model ---------------------------------------------------------------------------------

function modelOf(tile) {
  return {
    session: { ...tile.session },
    patient: tile.patient,
    timeline: { ...tile.timeline },
    mine: tile.mine,
    vitals: new Map(tile.vitals.map((v) => [v.id, v])),
    moaas: new Map(tile.moaas.map((m, i) => [`initial-${i}`, m])),
    sideEffects: new Map(tile.side_effects.map((e) => [e.id, e])),
    alerts: new Map(tile.alerts.map((a) => [a.id, a])),
  };
}

function setPicture(picture) {
  models.clear();
  for (const tile of picture.tiles) models.set(tile.session.id, modelOf(tile));
  for (const event of applied) if (event.seq > picture.last_seq) apply(event);
  for (const id of [...tiles.keys()]) if (!models.has(id)) { tiles.get(id).remove(); tiles.delete(id); }
  for (const id of models.keys()) dirty.add(id);
  scheduleRender();
}

function addVitals(model, records) {
  for (const record of records) if (record.status !== 'void') model.vitals.set(record.id, record);
}

function upsertAlert(model, alert) {
  if (alert.state === 'cleared') model.alerts.delete(alert.id);
  else model.alerts.set(alert.id, alert);
}

const APPLY = {
  'session.transitioned': (m, { data }) => {
    m.session.state = data.to;
    if (!(data.to in m.timeline)) m.timeline[data.to] = data.at;
  },
  'vitals.recorded': (m, { data }) => addVitals(m, [data]),
  'vitals.batch': (m, { data }) => addVitals(m, data.records || []),
  'vitals.amended': (m, { data }) => { m.vitals.delete(data.supersedes); addVitals(m, [data.record]); },
  'vitals.voided': (m, { data }) => m.vitals.delete(data.id),
  'side_effect.recorded': (m, { data }) => { if (!data.resolved_at) m.sideEffects.set(data.id, data); },
  'side_effect.resolved': (m, { data }) => m.sideEffects.delete(data.id),
  'assessment.recorded': (m, { data }) => {
    if (data.instrument === 'moaas') m.moaas.set(data.id, { at: data.at, score: data.total });
  },
  'alert.raised': (m, { data }) => upsertAlert(m, data),
  'alert.acknowledged': (m, { data }) => upsertAlert(m, data),
  'alert.silenced': (m, { data }) => upsertAlert(m, data),
  'alert.cleared': (m, { data }) => upsertAlert(m, data),
};

function apply(event) {
  if (event.type === 'chairs.chosen' && event.data.username === me.username) { // chosen on another screen, or a handover accepted
    myChairs = new Set(event.data.chairs);
    for (const id of models.keys()) dirty.add(id);
    return;
  }
  const model = models.get(event.session_id);
  if (event.type === 'session.created' || (!model && event.type === 'session.transitioned')) {
    refreshPicture();
    return;
  }
  if (!model || !APPLY[event.type]) return;
  APPLY[event.type](model, event);
  if (me.role === 'nurse' && event.data && event.data.entered_by === me.username) model.mine = true;
  if (WORDS.final.includes(model.session.state)) models.delete(event.session_id);
  dirty.add(event.session_id);
}

function onEvent(event) {
  applied.push(event);
  if (applied.length > KEEP_EVENTS) applied.splice(0, applied.length - KEEP_EVENTS);
  apply(event);
  scheduleRender();
}

let refreshing = null;
async function refreshPicture() {
  if (refreshing) return;
  refreshing = fetch('/', { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
    .then((response) => (response.ok ? response.json() : null))
    .then((picture) => { if (picture) setPicture(picture); })
    .catch(() => {})
    .finally(() => { refreshing = null; });
}

// ---- what a tile shows ---------------------------------------------------------------------------

function newest(items, value, at) {
  let best = null;
  for (const item of items) {
    if (value(item) == null) continue;
    if (!best || at(item) > at(best) || (at(item) === at(best) && (item.id || 0) > (best.id || 0))) best = item;
  }
  return best;
}

function reading(model, key) {
  const records = [...model.vitals.values()];
  const byTime = (v) => v.taken_at;
  if (key === 'bp') {
    const v = newest(records, (r) => r.sbp, byTime);
    return v && { text: `${v.sbp}/${v.dbp ?? '–'}`, at: v.taken_at };
  }
  if (key === 'moaas') {
    const candidates = records.map((r) => ({ score: r.moaas, at: r.taken_at, id: r.id }))
      .concat([...model.moaas.values()]);
    const m = newest(candidates, (c) => c.score, (c) => c.at);
    return m && { text: String(m.score), at: m.at };
  }
  const v = newest(records, (r) => r[key], byTime);
  return v && { text: String(v[key]), at: v.taken_at };
}

function news2Of(model) {
  const v = newest([...model.vitals.values()], (r) => r.news2, (r) => r.taken_at);
  return v && v.news2;
}

function openAlerts(model) {
  return [...model.alerts.values()].sort((a, b) => RANK[b.priority] - RANK[a.priority]
    || (a.state === 'active' ? -1 : 1) - (b.state === 'active' ? -1 : 1) || b.id - a.id);
}

function alertRank(model) {
  let rank = 0;
  for (const a of model.alerts.values()) rank = Math.max(rank, RANK[a.priority] * 2 + (a.state === 'active' ? 1 : 0));
  return rank;
}

function elapsedMs(model) {
  return model.timeline.infusing ? Date.now() - Date.parse(model.timeline.infusing) : -1;
}

function sounding(alert, now = Date.now()) {
  return alert.state === 'active' && !(alert.silenced_until && Date.parse(alert.silenced_until) > now);
}

function minutesAgo(at) { return Math.max(0, Math.floor((Date.now() - Date.parse(at)) / 60000)); }

function ageText(at) {
  const minutes = minutesAgo(at);
  if (minutes < 1) return 'now';
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function clockText(ms) {
  const total = Math.floor(ms / 1000);
  const pad = (n) => String(n).padStart(2, '0');
  return `${Math.floor(total / 3600)}:${pad(Math.floor(total / 60) % 60)}:${pad(total % 60)}`;
}

function clinicTime(date) {
  return new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', second: '2-digit' })
    .format(date);
}

function words(kind) { return kind.replaceAll('_', ' '); }

// ---- building and updating the tiles -----------------------------------------------------------------

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'text') node.textContent = value;
    else if (name === 'class') node.className = value;
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

function buildTile(id) {
  const heading = `tile-${id}-h`;
  const tile = element('li', { class: 'tile', 'data-session-id': id });
  const article = element('article', { 'aria-labelledby': heading });
  const head = element('header', { class: 'tile-head' },
    element('h2', { id: heading }, element('a', { href: `/sessions/${id}`, class: 'chair' })),
    element('span', { class: 'who' }),
    element('span', { class: 'state' }),
    element('span', { class: 'clock', title: 'Time since the infusion started' }),
    element('span', { class: 'mine', text: 'Your chair', hidden: '' }),
    element('span', { class: 'overdue', text: 'Vitals overdue', hidden: '' }));
  const readings = element('dl', { class: 'readings' });
  for (const r of READINGS) {
    readings.append(element('div', { class: 'reading', 'data-measure': r.key },
      element('dt', {}, r.label, element('span', { class: 'unit', text: r.unit })),
      element('dd', {}, element('span', { class: 'value' }), element('span', { class: 'age' }))));
  }
  const news2 = element('dl', { class: 'readings news2-row' }, element('div', { class: 'reading news2', 'data-measure': 'news2' },
    element('dt', { text: WORDS.measures.news2 }), element('dd', {}, element('span', { class: 'value' }),
      element('span', { class: 'band' }))));
  const trend = document.createElementNS(SVG, 'svg');
  trend.setAttribute('class', 'trend');
  trend.setAttribute('viewBox', `0 0 ${TREND.width} ${TREND.height}`);
  trend.setAttribute('role', 'img');
  trend.setAttribute('aria-label', `${shortLabel('sbp')} and ${shortLabel('hr')}, last ${TREND.minutes / 60} hours`);
  for (const name of ['sbp', 'hr']) {
    const line = document.createElementNS(SVG, 'polyline');
    line.setAttribute('class', `line-${name}`);
    trend.append(line);
  }
  article.append(head, readings,
    element('div', { class: 'trend-row' }, news2, trend,
      element('span', { class: 'legend', 'aria-hidden': 'true' }, element('span', { class: 'key-sbp', text: shortLabel('sbp') }),
        element('span', { class: 'key-hr', text: shortLabel('hr') }))),
    element('ul', { class: 'side-effects', 'aria-label': 'Open side effects' }),
    buildBanner(id),
    element('p', { class: 'tile-status', role: 'status' }));
  tile.append(article);
  return tile;
}

function renderTile(id) {
  const model = models.get(id);
  let tile = tiles.get(id);
  if (!model) {
    if (tile) { tile.remove(); tiles.delete(id); }
    if (panel.open && Number(panel.dataset.sessionId) === id) panel.close(); // the session has ended
    return;
  }
  if (!tile) { tile = buildTile(id); tiles.set(id, tile); }
  const top = openAlerts(model)[0];
  tile.dataset.priority = top ? top.priority : 'none';
  tile.dataset.sounding = top && sounding(top) ? 'true' : 'false';
  tile.querySelector('.chair').textContent = `Chair ${model.session.chair}`;
  tile.dataset.chair = model.session.chair;
  tile.hidden = !shown(model);
  tile.querySelector('.who').textContent = `${model.patient.initials} · ${model.patient.mrn_tail}`;
  const state = tile.querySelector('.state');
  state.textContent = WORDS.states[model.session.state] || model.session.state;
  state.dataset.state = model.session.state;
  tile.querySelector('.mine').hidden = !(me.role === 'nurse' && model.mine);
  renderReadings(tile, model);
  renderTrend(tile, model);
  tile.querySelector('.overdue').hidden = ![...model.alerts.values()].some((a) => a.key === 'vitals_overdue');
  renderSideEffects(tile, model);
  renderAlerts(tile, model);
  tick(tile, model);
}

function renderReadings(tile, model) {
  for (const r of READINGS) {
    const found = reading(model, r.key);
    const cell = tile.querySelector(`[data-measure="${r.key}"]`);
    cell.querySelector('.value').textContent = found ? found.text : '–';
    cell.dataset.at = found ? found.at : '';
  }
  const score = news2Of(model);
  const cell = tile.querySelector('[data-measure="news2"]');
  cell.querySelector('.value').textContent = score ? `${score.score}${score.partial ? '*' : ''}` : '–';
  cell.querySelector('.band').textContent = score && score.band !== 'none' ? score.band : '';
  cell.dataset.band = score ? score.band : 'none';
  cell.title = score && score.partial
    ? `Partial: some parameters have no value in the last ${WORDS.settings.news2_window_minutes} minutes` : '';
}

function renderTrend(tile, model) {
  const now = Date.now();
  const from = now - TREND.minutes * 60000;
  const records = [...model.vitals.values()].filter((v) => Date.parse(v.taken_at) >= from)
    .sort((a, b) => (a.taken_at < b.taken_at ? -1 : 1));
  for (const name of ['sbp', 'hr']) {
    const [low, high] = TREND[name];
    const points = records.filter((v) => v[name] != null).map((v) => {
      const x = ((Date.parse(v.taken_at) - from) / (now - from)) * TREND.width;
      const y = TREND.height - ((Math.min(high, Math.max(low, v[name])) - low) / (high - low)) * TREND.height;
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    });
    tile.querySelector(`.line-${name}`).setAttribute('points', points.join(' '));
  }
}

function renderSideEffects(tile, model) {
  const ul = tile.querySelector('.side-effects');
  ul.replaceChildren(...[...model.sideEffects.values()].map((e) => element('li', {
    class: `severity-${e.severity}`, text: `${e.severity} ${words(e.kind)}${e.serious ? ' (serious)' : ''}`,
  })));
}

// A tile shows its highest open alert as a banner, with a count of the others; acknowledging or silencing
// it happens on the tile, and every alert (with a comment for the acknowledgement) in a panel opened from it.
function buildBanner(id) {
  const messageId = `banner-${id}-message`;
  return element('div', { class: 'banner', hidden: '' },
    element('span', { class: 'priority' }),
    element('span', { class: 'message', id: messageId }),
    element('span', { class: 'alert-actions' },
      element('button', { type: 'button', 'data-action': 'acknowledge', 'aria-describedby': messageId, text: 'Acknowledge' }),
      element('button', { type: 'button', 'data-action': 'silence', 'aria-describedby': messageId, text: `Silence ${MUTE_MINUTES} min` }),
      element('button', { type: 'button', 'data-action': 'panel', class: 'more', 'aria-haspopup': 'dialog' })),
    element('span', { class: 'alert-state' }));
}

function renderAlerts(tile, model) {
  const wanted = openAlerts(model);
  const banner = tile.querySelector('.banner');
  banner.hidden = wanted.length === 0;
  if (wanted.length) {
    updateAlert(banner, wanted[0]);
    banner.querySelector('.message').title = wanted[0].message;
    banner.querySelector('.more').textContent = wanted.length > 1 ? `+${wanted.length - 1} more` : 'Details';
  }
  if (panel.open && Number(panel.dataset.sessionId) === model.session.id) renderPanel(model);
}

const panel = document.getElementById('alert-panel');

function openPanel(sessionId) {
  panel.dataset.sessionId = sessionId;
  renderPanel(models.get(sessionId));
  if (!panel.open) panel.showModal();
}

function renderPanel(model) {
  if (!model) { panel.close(); return; }
  panel.querySelector('h2').textContent = `Chair ${model.session.chair} · ${model.patient.initials} · ${model.patient.mrn_tail}: alerts`;
  const ul = panel.querySelector('.alerts');
  const wanted = openAlerts(model);
  const existing = new Map([...ul.children].map((li) => [Number(li.dataset.alertId), li]));
  wanted.forEach((alert, index) => {
    let li = existing.get(alert.id);
    if (!li) li = buildAlert(alert);
    existing.delete(alert.id);
    updateAlert(li, alert);
    if (ul.children[index] !== li) ul.insertBefore(li, ul.children[index] || null);
  });
  for (const li of existing.values()) li.remove();
  panel.querySelector('.none').hidden = wanted.length > 0;
}

function buildAlert(alert) {
  const messageId = `alert-${alert.id}-message`;
  return element('li', { class: 'alert', 'data-alert-id': alert.id },
    element('span', { class: 'priority' }),
    element('span', { class: 'message', id: messageId }),
    element('span', { class: 'alert-state' }),
    element('span', { class: 'alert-actions' },
      element('input', { class: 'comment', name: 'comment', 'aria-label': 'Comment for the acknowledgement',
        placeholder: 'comment', autocomplete: 'off', maxlength: '1000' }),
      element('button', { type: 'button', 'data-action': 'acknowledge', 'aria-describedby': messageId,
        text: 'Acknowledge' }),
      element('button', { type: 'button', 'data-action': 'silence', 'aria-describedby': messageId,
        text: `Silence ${MUTE_MINUTES} min` })));
}

function updateAlert(li, alert) {
  li.dataset.alertId = alert.id;
  li.dataset.priority = alert.priority;
  li.dataset.state = alert.state;
  li.querySelector('.priority').textContent = WORDS.priorities[alert.priority].word;
  li.querySelector('.message').textContent = alert.message;
  const silenced = alert.silenced_until && Date.parse(alert.silenced_until) > Date.now();
  let state = alert.state === 'acknowledged' ? `acknowledged by ${alert.acknowledged_by}` : '';
  if (silenced) state = `${state ? `${state}, ` : ''}silenced until ${clinicTime(new Date(alert.silenced_until))}`;
  li.querySelector('.alert-state').textContent = state;
  li.querySelector('[data-action="acknowledge"]').hidden = alert.state !== 'active';
  const comment = li.querySelector('.comment');
  if (comment) comment.hidden = alert.state !== 'active';
  li.querySelector('[data-action="silence"]').hidden = Boolean(silenced);
}

// Once a second: clocks and ages move, silences run out on screen.
function tick(tile, model) {
  const clock = tile.querySelector('.clock');
  const ms = elapsedMs(model);
  clock.textContent = ms >= 0 ? clockText(ms) : 'not started';
  for (const cell of tile.querySelectorAll('.reading[data-measure]')) {
    const age = cell.querySelector('.age');
    if (!age) continue;
    age.textContent = cell.dataset.at ? ageText(cell.dataset.at) : '';
    cell.dataset.old = cell.dataset.at && minutesAgo(cell.dataset.at) > OLD_AFTER_MINUTES ? 'true' : 'false';
  }
}

const dirty = new Set();
let frame = null;
function scheduleRender() {
  if (frame === null) frame = requestAnimationFrame(render);
}

// Several events in one frame make one update: changed tiles, then the order, then the sound.
function render() {
  frame = null;
  for (const id of dirty) renderTile(id);
  dirty.clear();
  placeTiles();
  document.getElementById('no-sessions').hidden = models.size > 0;
  showChairs();
  alarm.update(highestSounding());
}

function compare(a, b) {
  const ma = models.get(a);
  const mb = models.get(b);
  if (me.role === 'nurse' && ma.mine !== mb.mine) return ma.mine ? -1 : 1;
  return alertRank(mb) - alertRank(ma) || elapsedMs(mb) - elapsedMs(ma)
    || String(ma.session.chair).localeCompare(String(mb.session.chair), undefined, { numeric: true }) || a - b;
}

function placeTiles() {
  const order = [...models.keys()].sort(compare);
  const current = [...list.children].map((li) => Number(li.dataset.sessionId));
  if (order.length === current.length && order.every((id, i) => id === current[i])) return;
  const focused = document.activeElement;
  list.append(...order.map((id) => tiles.get(id)));
  if (focused && focused !== document.activeElement && document.contains(focused)) focused.focus();
}

function highestSounding() {
  let best = null;
  for (const model of models.values()) {
    for (const alert of model.alerts.values()) {
      if (sounding(alert) && (!best || RANK[alert.priority] > RANK[best])) best = alert.priority;
    }
  }
  return best;
}

// ---- acknowledging and silencing from a tile ------------------------------------------------------

async function act(event) {
  const button = event.target.closest('button[data-action]');
  if (!button) return;
  const li = button.closest('[data-alert-id]');
  const tile = button.closest('.tile');
  if (button.dataset.action === 'panel') { openPanel(Number(tile.dataset.sessionId)); return; }
  const status = (tile || panel).querySelector('.tile-status');
  const id = Number(li.dataset.alertId);
  const action = button.dataset.action;
  const comment = li.querySelector('.comment');
  button.disabled = true;
  status.textContent = '';
  try {
    const body = action === 'acknowledge' ? { comment: (comment && comment.value.trim()) || null } : { minutes: MUTE_MINUTES };
    const answer = await send('POST', `/api/alerts/${id}/${action}`, body);
    if (!answer.ok && answer.error.fields && answer.error.fields.comment && tile) {
      // an alert acknowledged only with a comment (a suicide-risk assessment): its panel asks for it
      openPanel(Number(tile.dataset.sessionId));
      const field = panel.querySelector(`[data-alert-id="${id}"] .comment`);
      if (field) field.focus();
      panel.querySelector('.tile-status').textContent = answer.error.message;
      return;
    }
    if (!answer.ok) throw new Error(answer.error.message);
    const alert = answer.data;
    const model = models.get(alert.session_id);
    if (model) { upsertAlert(model, alert); dirty.add(alert.session_id); scheduleRender(); }
    status.textContent = action === 'acknowledge' ? `Acknowledged: ${alert.message}` : `Silenced for ${MUTE_MINUTES} min: ${alert.message}`;
  } catch (error) {
    status.textContent = `Not done: ${error.message}`;
  } finally {
    button.disabled = false;
  }
}

list.addEventListener('click', act);
panel.addEventListener('click', (event) => {
  if (event.target.closest('[data-close]')) panel.close();
  else act(event);
});

// ---- sound: a distinct pattern per priority, a mute that runs out ------------------------------------

class Alarm {
  constructor() {
    this.context = null;
    this.playing = null;
    this.timer = null;
    this.mutedUntil = 0;
    this.mutedAt = 0; // the highest priority sounding when the mute was pressed
    this.level = null;
    root.dataset.alarm = 'none';
    root.dataset.alarmPlaying = 'false';
  }

  enable() {
    if (!this.context) this.context = new AudioContext();
    this.context.resume();
    this.restart();
  }

  muted() { return Date.now() < this.mutedUntil; }

  mute(minutes) {
    this.mutedUntil = Date.now() + minutes * 60000;
    this.mutedAt = RANK[this.level] || 0;
    this.restart();
  }

  unmute() { this.mutedUntil = 0; this.restart(); }

  update(level) {
    if (this.muted() && (RANK[level] || 0) > this.mutedAt) this.mutedUntil = 0; // a higher priority breaks through
    if (level === this.level && (this.timer !== null) === this.shouldPlay(level)) return;
    this.level = level;
    this.restart();
  }

  shouldPlay(level) { return Boolean(level && this.context && !this.muted()); }

  restart() {
    clearInterval(this.timer);
    this.timer = null;
    if (this.shouldPlay(this.level)) {
      const pattern = PATTERNS[this.level];
      this.burst(pattern);
      this.timer = setInterval(() => this.burst(pattern), pattern.every * 1000);
    }
    root.dataset.alarm = this.level || 'none'; // what should sound, and whether this screen is sounding it
    root.dataset.alarmPlaying = String(this.timer !== null);
  }

  burst(pattern) {
    const start = this.context.currentTime + 0.05;
    for (const offset of pattern.pulses) {
      const tone = this.context.createOscillator();
      const gain = this.context.createGain();
      tone.frequency.value = pattern.hz;
      gain.gain.setValueAtTime(0, start + offset);
      gain.gain.linearRampToValueAtTime(0.25, start + offset + 0.02);
      gain.gain.setValueAtTime(0.25, start + offset + 0.1);
      gain.gain.linearRampToValueAtTime(0, start + offset + 0.12);
      tone.connect(gain).connect(this.context.destination);
      tone.start(start + offset);
      tone.stop(start + offset + 0.13);
    }
  }
}

const alarm = new Alarm();
const soundButton = document.getElementById('sound');
const muteButton = document.getElementById('mute');

soundButton.addEventListener('click', () => {
  alarm.enable();
  soundButton.textContent = 'Sound on';
  soundButton.setAttribute('aria-pressed', 'true');
  soundButton.disabled = true;
});

muteButton.addEventListener('click', () => {
  if (alarm.muted()) alarm.unmute();
  else alarm.mute(MUTE_MINUTES);
  showMute();
});

function showMute() {
  const left = Math.max(0, alarm.mutedUntil - Date.now());
  muteButton.setAttribute('aria-pressed', String(left > 0));
  const seconds = Math.ceil(left / 1000);
  const remaining = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
  muteButton.textContent = left > 0 ? `Unmute (muted ${remaining})` : `Mute ${MUTE_MINUTES} min`;
}

// ---- a nurse's chairs: "My chairs", then a chair, narrows the dashboard to hers (kept for her login) --------

let myChairs = new Set(me.chairs || []);
const chairsButton = document.getElementById('my-chairs');
const picker = document.getElementById('chair-picker');
const narrowedLine = document.getElementById('narrowed');

function shown(model) {
  return myChairs.size === 0 || myChairs.has(String(model.session.chair));
}

function activeChairs() {
  const chairs = new Set([...models.values()].map((m) => String(m.session.chair)));
  for (const chair of myChairs) chairs.add(chair);
  return [...chairs].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
}

function showChairs() {
  const hidden = [...models.values()].filter((m) => !shown(m)).length;
  narrowedLine.hidden = myChairs.size === 0;
  narrowedLine.querySelector('span').textContent = `Your chairs: ${[...myChairs].join(', ')}${hidden ? ` (${hidden} other chair${hidden === 1 ? '' : 's'} not shown)` : ''}`;
  if (picker.hidden) return;
  picker.querySelector('.choices').replaceChildren(...activeChairs().map((chair) => element('button', {
    type: 'button', 'data-chair': chair, 'aria-pressed': String(myChairs.has(chair)), text: `Chair ${chair}`,
  })));
}

async function saveChairs(chairs) {
  const answer = await send('PUT', '/api/me/chairs', { chairs: [...chairs] });
  if (!answer.ok) { narrowedLine.hidden = false; narrowedLine.querySelector('span').textContent = answer.error.message; return; }
  myChairs = new Set(answer.data.chairs);
  for (const id of models.keys()) dirty.add(id);
  scheduleRender();
}

chairsButton.addEventListener('click', () => {
  picker.hidden = !picker.hidden;
  chairsButton.setAttribute('aria-expanded', String(!picker.hidden));
  showChairs();
});
picker.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-chair]');
  if (!button) return;
  const chairs = new Set(myChairs);
  if (chairs.has(button.dataset.chair)) chairs.delete(button.dataset.chair); else chairs.add(button.dataset.chair);
  saveChairs(chairs);
});
document.getElementById('every-chair').addEventListener('click', () => saveChairs([]));

// ---- theme and wall mode ----------------------------------------------------------------------------------

const themeButton = document.getElementById('theme');
const wallButton = document.getElementById('wall');

function setTheme(theme) {
  document.documentElement.dataset.theme = theme;
  themeButton.textContent = theme === 'dark' ? 'Light theme' : 'Dark theme';
  try { localStorage.setItem('monitor.theme', theme); } catch (error) { /* private mode: not kept */ }
}

function storedTheme() {
  try { return localStorage.getItem('monitor.theme'); } catch (error) { return null; }
}

setTheme(storedTheme() || (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'));
themeButton.addEventListener('click', () => setTheme(document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark'));

function setWall(on) {
  document.body.classList.toggle('wall', on);
  wallButton.setAttribute('aria-pressed', String(on));
  wallButton.textContent = on ? 'Leave wall mode' : 'Wall mode';
}

wallButton.addEventListener('click', () => {
  const on = !document.body.classList.contains('wall');
  setWall(on);
  if (on && document.documentElement.requestFullscreen) document.documentElement.requestFullscreen().catch(() => {});
  if (!on && document.fullscreenElement) document.exitFullscreen().catch(() => {});
});
document.addEventListener('fullscreenchange', () => { if (!document.fullscreenElement) setWall(false); });

// ---- the connection ---------------------------------------------------------------------------------------

const connection = document.getElementById('connection');
const banner = document.getElementById('disconnected');
const signedOut = document.getElementById('signed-out');
const caughtUp = document.getElementById('caught-up');
const STATUS_WORDS = { connecting: 'Connecting…', 'catching-up': 'Catching up…', live: 'Live', behind: 'Behind', disconnected: 'Disconnected', refused: 'Signed out' };
let wasDown = false;
let caughtUpTimer = null;

function onStatus(state, detail) {
  connection.dataset.state = state;
  connection.textContent = STATUS_WORDS[state];
  if (state === 'behind') { // the server's message queue is down: changes through other processes come late
    connection.textContent = `Behind since ${clinicTime(detail)}`;
  } else if (state === 'disconnected') {
    wasDown = true;
    banner.querySelector('time').dateTime = detail.toISOString();
    banner.querySelector('time').textContent = clinicTime(detail);
    banner.hidden = false;
    root.classList.add('stale');
  } else if (state === 'refused') {
    signedOut.hidden = false;
    banner.hidden = true;
    root.classList.add('stale');
  } else if (state === 'live') {
    banner.hidden = true;
    root.classList.remove('stale');
    if (wasDown) {
      caughtUp.textContent = `Reconnected at ${clinicTime(new Date())}: ${detail} change${detail === 1 ? '' : 's'} caught up.`;
      clearTimeout(caughtUpTimer);
      caughtUpTimer = setTimeout(() => { caughtUp.textContent = ''; }, 15000);
    }
    wasDown = false;
  }
}

setPicture(first);
connectLive({ scope: { dashboard: true }, since: first.last_seq, onEvent, onStatus, onReload: refreshPicture });
setInterval(() => {
  for (const [id, tile] of tiles) tick(tile, models.get(id));
  for (const model of models.values()) {
    for (const alert of model.alerts.values()) {
      if (alert.silenced_until && Date.parse(alert.silenced_until) <= Date.now()) dirty.add(alert.session_id);
    }
  }
  if (dirty.size) scheduleRender();
  else alarm.update(highestSounding());
  showMute();
}, 1000);
setInterval(() => { for (const id of models.keys()) dirty.add(id); scheduleRender(); }, 30000);
