// The bedside page: fast entry of vitals, side effects and notes, amend and void, signing; the
// scores (scores.js) and the state buttons (state_changes.js) are mounted from here. Saves go
// through the outbox; after every change the live panels are fetched again from the server
// (which renders them) and swapped in by data-panel.
import {
  send, status, clearErrors, showErrors, parseNumber, clinicDateTime, clinicClock, showDialogErrorsOrStatus,
  timeOrError, nowIso, element, settle, newKey,
} from './forms.js';
import { Outbox, mountOutbox } from './outbox.js';
import { connectLive } from './live.js';
import { mountScores } from './scores.js';
import { mountStateChanges, transition, showPrompt } from './state_changes.js';
import { mountTrends } from './trends.js';
import WORDS, { shortLabel } from './vocabulary.js';

const root = document.getElementById('bedside');
const sessionId = root.dataset.sessionId;
const chair = root.dataset.chair;
const zone = document.body.dataset.timezone;
const role = document.body.dataset.role;
const api = `/api/sessions/${sessionId}`;
const NUMBERS = WORDS.vitals_form; // the form's fields in its tab order, all numbers

const outbox = new Outbox(document.body.dataset.username);
let lastSeq = Number(panel('state').dataset.lastSeq || 0);

function panel(name) { return document.querySelector(`[data-panel="${name}"]`); }

// ---- live panels -------------------------------------------------------------------------

async function refresh() {
  let response;
  try {
    response = await fetch(`/sessions/${sessionId}/panels`, { headers: { Accept: 'text/html' }, credentials: 'same-origin' });
  } catch (error) { return; }
  if (!response.ok) return;
  const fresh = new DOMParser().parseFromString(await response.text(), 'text/html');
  const focused = document.activeElement;
  const focusedPanel = focused && focused.closest('[data-panel]');
  const focusId = focused && focused.id;
  for (const incoming of fresh.querySelectorAll('[data-panel]')) {
    const old = panel(incoming.dataset.panel);
    if (old && old.outerHTML !== incoming.outerHTML) old.replaceWith(document.importNode(incoming, true));
  }
  lastSeq = Math.max(lastSeq, Number(panel('state').dataset.lastSeq || 0));
  applyState();
  if (focusedPanel && !document.contains(focused)) {
    const again = (focusId && document.getElementById(focusId)) || panel(focusedPanel.dataset.panel).querySelector('button, h2');
    if (again) { if (again.tagName === 'H2') again.tabIndex = -1; again.focus(); }
  }
}

// Forms are usable only while the session may be written; a signed record takes addenda only.
function applyState() {
  const state = panel('state');
  const canRecord = state.dataset.canRecord === 'true';
  const locked = state.dataset.locked === 'true';
  for (const fieldset of document.querySelectorAll('fieldset[data-recording]')) fieldset.disabled = !canRecord;
  const changes = Boolean(state.querySelector('[data-transition]'));
  for (const element of document.querySelectorAll('[data-state-changes]')) element.hidden = !changes;
  for (const element of document.querySelectorAll('[data-when-locked]')) element.hidden = !locked;
  for (const element of document.querySelectorAll('[data-when-unlocked]')) element.hidden = locked;
}

// Changes made elsewhere (another device, an import, the alert engine) arrive on the live stream;
// an event the panels already show is skipped, also when this page's own save refreshed them while
// the event waited (its live event usually comes before the save's answer).
let refreshTimer = null;
const trendsHost = document.getElementById('trends');
const trends = trendsHost && trendsHost.dataset.trends ? mountTrends(trendsHost) : null;
function onEvent(event) {
  if (trends) trends.onEvent(event);
  if (event.seq <= lastSeq) return;
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => { if (event.seq > lastSeq) refresh(); }, 150);
}

function onStatus(state, detail) {
  const line = document.getElementById('connection');
  if (state === 'live') {
    line.hidden = true;
    outbox.flush(); // the server answers again: send what is waiting
  } else if (state === 'disconnected') {
    line.textContent = `Connection lost since ${clinicClock(detail.toISOString(), zone)}: what you save is kept on this device and sent when the server answers.`;
    line.hidden = false;
  } else if (state === 'refused') {
    line.textContent = 'Signed out: sign in again to send what is kept on this device.';
    line.hidden = false;
  }
}

// ---- helpers -------------------------------------------------------------------------------

function describeVitals(body) {
  const when = body.taken_at && body.taken_at.endsWith('Z') ? clinicClock(body.taken_at, zone) : (body.taken_at || '').slice(11, 16);
  const values = [];
  if (body.hr != null) values.push(`${shortLabel('hr')} ${body.hr}`);
  if (body.sbp != null || body.dbp != null) values.push(`${shortLabel('bp')} ${body.sbp ?? '–'}/${body.dbp ?? '–'}`);
  for (const name of NUMBERS.filter((n) => !['hr', 'sbp', 'dbp'].includes(n))) {
    if (body[name] != null) values.push(`${shortLabel(name)} ${body[name]}`);
  }
  if (body.consciousness) values.push(body.consciousness);
  return `Chair ${chair} vitals ${when}: ${values.join(', ')}`;
}

// ---- vitals ----------------------------------------------------------------------------------

const vitalsForm = document.getElementById('vitals-form');
const takenAt = vitalsForm.elements.namedItem('taken_at');
let takenAtByHand = false;

function showNow() {
  if (!takenAtByHand && document.activeElement !== takenAt) takenAt.value = clinicDateTime(new Date(), zone);
}
takenAt.addEventListener('input', () => { takenAtByHand = true; });
showNow();
setInterval(showNow, 15000);

function vitalsBody(form, problems, { timeByHand = true } = {}) {
  const body = {};
  const timeInput = form.elements.namedItem('taken_at');
  body.taken_at = timeByHand ? timeOrError(timeInput, zone, problems) : nowIso();
  for (const name of NUMBERS) {
    const input = form.elements.namedItem(name);
    if (!input) continue;
    const value = parseNumber(input.value);
    if (Number.isNaN(value)) problems[name] = `${shortLabel(name)} must be a number`;
    else if (value !== null) body[name] = value;
  }
  const consciousness = form.elements.namedItem('consciousness');
  if (consciousness && consciousness.value) body.consciousness = consciousness.value;
  const note = form.elements.namedItem('note');
  if (note && note.value.trim()) body.note = note.value.trim();
  return body;
}

// `confirmedKey`: the key of the action whose unusual values the nurse has just confirmed.
async function saveVitals(confirmedKey = null) {
  if (outbox.sending.has(vitalsForm)) return;
  clearErrors(vitalsForm);
  const problems = {};
  const body = vitalsBody(vitalsForm, problems, { timeByHand: takenAtByHand });
  if (!body.taken_at && !problems.taken_at) body.taken_at = nowIso();
  const measured = Object.keys(body).filter((k) => k !== 'taken_at' && k !== 'note');
  if (!measured.length && !Object.keys(problems).length) {
    status(vitalsForm, 'Enter at least one measurement.', 'error');
    vitalsForm.elements.namedItem('hr').focus();
    return;
  }
  if (Object.keys(problems).length) {
    showErrors(vitalsForm, problems);
    status(vitalsForm, 'Not saved: check the marked fields.', 'error');
    return;
  }
  if (confirmedKey) body.confirm = true;
  const label = describeVitals(body);
  const key = confirmedKey || newKey();
  const result = await outbox.submitOnce(vitalsForm, { url: `${api}/vitals`, body, label, sessionId, key });
  if (!result) return;
  await settle(vitalsForm, result, {
    saved: (record) => {
      for (const name of [...NUMBERS, 'consciousness', 'note']) {
        const input = vitalsForm.elements.namedItem(name);
        if (input) input.value = '';
      }
      takenAtByHand = false;
      showNow();
      status(vitalsForm, record ? `Saved ${label.replace(/^Chair \S+ vitals /, '')}.` : '', record ? 'ok' : 'warning');
      vitalsForm.elements.namedItem('hr').focus();
      if (record) refresh();
    },
    confirm: () => saveVitals(key),
  });
}

vitalsForm.addEventListener('submit', (event) => { event.preventDefault(); saveVitals(); });

// ---- side effects --------------------------------------------------------------------------

const effectForm = document.getElementById('side-effect-form');
const kindSelect = effectForm.elements.namedItem('kind');

function pressKind() {
  for (const chip of effectForm.querySelectorAll('[data-kind]')) {
    chip.setAttribute('aria-pressed', String(chip.dataset.kind === kindSelect.value));
  }
}
effectForm.addEventListener('click', (event) => {
  const chip = event.target.closest('[data-kind]');
  if (!chip) return;
  kindSelect.value = chip.dataset.kind;
  pressKind();
});
kindSelect.addEventListener('change', pressKind);

async function saveSideEffect() {
  clearErrors(effectForm);
  const f = effectForm.elements;
  const problems = {};
  const body = { kind: kindSelect.value, severity: (effectForm.querySelector('[name=severity]:checked') || {}).value };
  if (!body.kind) problems.kind = 'Choose the side effect';
  if (!body.severity) problems.severity = 'Choose the severity';
  body.observed_at = timeOrError(f.namedItem('observed_at'), zone, problems) || nowIso();
  const drug = f.namedItem('drug').value.trim();
  const dose = f.namedItem('dose').value.trim();
  const infusion = f.namedItem('infusion').value;
  if (drug || dose || infusion !== 'none') body.intervention = { drug: drug || null, dose: dose || null, infusion };
  body.serious = f.namedItem('serious').checked;
  const note = f.namedItem('note').value.trim();
  if (note) body.note = note;
  if (Object.keys(problems).length) {
    showErrors(effectForm, problems);
    status(effectForm, 'Not saved: check the marked fields.', 'error');
    return;
  }
  const name = kindSelect.options[kindSelect.selectedIndex].text;
  const label = `Chair ${chair} side effect: ${body.severity} ${name.toLowerCase()}${drug ? `, ${drug} ${dose}` : ''}`;
  const result = await outbox.submitOnce(effectForm, { url: `${api}/side-effects`, body, label, sessionId });
  if (!result) return;
  await settle(effectForm, result, {
    saved: (record) => {
      effectForm.reset();
      pressKind();
      status(effectForm, record ? `Recorded ${body.severity} ${name.toLowerCase()}.` : '', 'ok');
      if (record) refresh();
    },
    aliases: { 'intervention.drug': 'drug', 'intervention.dose': 'dose', 'intervention.infusion': 'infusion' },
  });
}

effectForm.addEventListener('submit', (event) => { event.preventDefault(); saveSideEffect(); });

// ---- notes, medications, supervisor -------------------------------------------------------

const noteForm = document.getElementById('note-form');
const noteKind = noteForm.elements.namedItem('kind');
noteKind.addEventListener('change', () => {
  noteForm.querySelector('[data-medication]').hidden = noteKind.value !== 'medication';
});

async function saveNote(body, form, label, done) {
  const result = await outbox.submitOnce(form, { url: `${api}/notes`, body, label, sessionId });
  if (!result) return;
  await settle(form, result, {
    saved: done,
    queuedText: body.kind === 'escalation'
      ? 'The server cannot be reached: call the supervisor by phone. The call is kept and recorded when the server answers.'
      : undefined,
    aliases: { 'medication.name': 'medication_name' },
  });
}

noteForm.addEventListener('submit', (event) => {
  event.preventDefault();
  clearErrors(noteForm);
  const f = noteForm.elements;
  const problems = {};
  const body = { kind: noteKind.value, text: f.namedItem('text').value.trim() };
  body.at = timeOrError(f.namedItem('at'), zone, problems) || nowIso();
  if (body.kind === 'medication') {
    const medication = { name: f.namedItem('medication_name').value.trim(), dose: f.namedItem('medication_dose').value.trim() || null,
      route: f.namedItem('medication_route').value.trim() || null };
    if (!medication.name) problems.medication_name = 'Name the medication given';
    body.medication = medication;
    if (!body.text) body.text = [medication.name, medication.dose, medication.route].filter(Boolean).join(' ');
  }
  if (!body.text && !problems.medication_name) problems.text = 'Write the note';
  if (Object.keys(problems).length) { showErrors(noteForm, problems); return; }
  saveNote(body, noteForm, `Chair ${chair} ${noteKind.options[noteKind.selectedIndex].text.toLowerCase()}`, (record) => {
    noteForm.reset();
    noteForm.querySelector('[data-medication]').hidden = true;
    if (record) { status(noteForm, 'Saved.', 'ok'); refresh(); }
  });
});

document.getElementById('call-supervisor').addEventListener('click', () => {
  clearErrors(noteForm);
  const detail = noteForm.elements.namedItem('text').value.trim();
  const body = { kind: 'escalation', text: `Supervisor called to chair ${chair}${detail ? `: ${detail}` : ''}`, at: nowIso() };
  saveNote(body, noteForm, `Chair ${chair} supervisor call`, (record) => {
    if (record) {
      noteForm.elements.namedItem('text').value = '';
      status(noteForm, `Supervisor called at ${clinicClock(record.at, zone)}.`, 'ok');
      refresh();
    }
  });
});

// ---- the vitals table: amend and void; side effects: resolve; alerts: acknowledge ----------

function fillAmend(record) {
  const form = document.getElementById('amend-form');
  clearErrors(form);
  form.reset();
  form.dataset.vitalsId = record.id;
  form.dataset.original = JSON.stringify(record);
  form.elements.namedItem('taken_at').value = clinicDateTime(new Date(record.taken_at), zone);
  for (const name of NUMBERS) {
    const input = form.elements.namedItem(name);
    if (input) input.value = record[name] ?? '';
  }
  document.getElementById('amend-title').textContent = `Amend vitals at ${clinicClock(record.taken_at, zone)}`;
}

async function saveAmendment(confirmed = false) {
  const form = document.getElementById('amend-form');
  clearErrors(form);
  const original = JSON.parse(form.dataset.original);
  const problems = {};
  const body = {};
  const typed = form.elements.namedItem('taken_at').value.trim();
  if (typed !== clinicDateTime(new Date(original.taken_at), zone)) {
    body.taken_at = timeOrError(form.elements.namedItem('taken_at'), zone, problems);
  }
  for (const name of NUMBERS) {
    const input = form.elements.namedItem(name);
    if (!input) continue;
    const value = parseNumber(input.value);
    if (Number.isNaN(value)) problems[name] = `${shortLabel(name)} must be a number`;
    else if (value !== (original[name] ?? null)) body[name] = value;
  }
  body.reason = form.elements.namedItem('reason').value.trim();
  if (!body.reason) problems.reason = 'A reason is required to amend';
  if (Object.keys(problems).length) { showErrors(form, problems); return; }
  if (confirmed) body.confirm = true;
  const result = await send('POST', `/api/vitals/${form.dataset.vitalsId}/amend`, body);
  if (result.ok) {
    document.getElementById('amend-dialog').close();
    await refresh();
    return;
  }
  if (result.offline) { status(form, 'Not saved: the server cannot be reached. Try again when it answers.', 'error'); return; }
  await settle(form, result, { saved: () => {}, confirm: () => saveAmendment(true) });
}

document.getElementById('amend-form').addEventListener('submit', (event) => { event.preventDefault(); saveAmendment(); });

document.getElementById('void-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  clearErrors(form);
  const reason = form.elements.namedItem('reason').value.trim();
  if (!reason) { showErrors(form, { reason: 'A reason is required to void' }); return; }
  const result = await send('POST', `/api/vitals/${form.dataset.vitalsId}/void`, { reason });
  if (result.ok) { document.getElementById('void-dialog').close(); await refresh(); return; }
  showDialogErrorsOrStatus(form, result);
});

for (const dialog of document.querySelectorAll('dialog')) {
  for (const close of dialog.querySelectorAll('[data-close]')) close.addEventListener('click', () => dialog.close());
}

document.addEventListener('click', async (event) => {
  const target = event.target.closest('button');
  if (!target) return;
  if (target.dataset.transition) {
    transition(target.dataset.transition, target.textContent.trim(), target.dataset.reason || null);
  } else if (target.dataset.amend) {
    fillAmend(JSON.parse(target.closest('tr').dataset.vitals));
    document.getElementById('amend-dialog').showModal();
  } else if (target.dataset.void) {
    const form = document.getElementById('void-form');
    clearErrors(form);
    form.reset();
    form.dataset.vitalsId = target.dataset.void;
    document.getElementById('void-dialog').showModal();
  } else if (target.dataset.resolve) {
    const result = await send('POST', `/api/side-effects/${target.dataset.resolve}/resolve`, {});
    if (result.ok) refresh(); else showPrompt(element('p', {}, result.error.message));
  } else if (target.dataset.alertAction) {
    const comment = document.querySelector(`[data-alert-comment="${target.dataset.alert}"]`);
    const body = comment ? { comment: comment.value.trim() || null } : {};
    const result = await send('POST', `/api/alerts/${target.dataset.alert}/${target.dataset.alertAction}`, body);
    if (result.ok) refresh(); else showPrompt(element('p', {}, result.error.message));
  }
});

// ---- clinician review and addenda -----------------------------------------------------------

const signForm = document.getElementById('sign-form');
if (signForm) {
  signForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(signForm);
    const password = signForm.elements.namedItem('password').value;
    if (!password) { showErrors(signForm, { password: 'Enter your password to sign' }); return; }
    const result = await send('POST', `${api}/sign`, { password, meaning: signForm.elements.namedItem('meaning').value });
    signForm.elements.namedItem('password').value = '';
    if (result.ok) { await refresh(); document.getElementById('addendum-h')?.focus(); return; }
    showDialogErrorsOrStatus(signForm, result);
  });
}

const addendumForm = document.getElementById('addendum-form');
if (addendumForm) {
  addendumForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(addendumForm);
    const text = addendumForm.elements.namedItem('text').value.trim();
    if (!text) { showErrors(addendumForm, { text: 'Write the addendum' }); return; }
    const result = await send('POST', `${api}/addenda`, { text });
    if (result.ok) { addendumForm.reset(); status(addendumForm, 'Addendum added.', 'ok'); await refresh(); return; }
    showDialogErrorsOrStatus(addendumForm, result);
  });
}

mountScores({ root, panel, chair, api, sessionId, outbox, refresh, zone });
mountStateChanges({ api, zone, role, refresh });
mountOutbox(document.getElementById('outbox'), outbox);
outbox.onChange((change) => { if (change.type === 'sent' && change.entry.sessionId === sessionId) refresh(); });
applyState();
// The page's one live connection: its panels and its trends follow the session from here.
function reload() { refresh(); if (trends) trends.redraw(); }
connectLive({ scope: { session_id: Number(sessionId) }, since: lastSeq, onEvent, onStatus, onReload: reload });
