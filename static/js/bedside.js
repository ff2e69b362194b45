// The bedside page: fast entry of vitals, side effects, scores and notes, the state buttons,
// amend and void, signing. Saves go through the outbox; after every change the live panels
// are fetched again from the server (which renders them) and swapped in by data-panel.
import {
  send, status, clearErrors, showErrors, askConfirmation, parseTime, parseNumber, clinicDateTime, clinicClock,
  showDialogErrorsOrStatus,
} from './forms.js';
import { Outbox, mountOutbox } from './outbox.js';
import { connectLive } from './live.js';

const root = document.getElementById('bedside');
const sessionId = root.dataset.sessionId;
const chair = root.dataset.chair;
const zone = document.body.dataset.timezone;
const role = document.body.dataset.role;
const api = `/api/sessions/${sessionId}`;
const NUMBERS = ['hr', 'sbp', 'dbp', 'spo2', 'rr', 'temp_c', 'moaas', 'pain', 'etco2', 'o2_lpm'];
const LABELS = { hr: 'HR', sbp: 'SBP', dbp: 'DBP', spo2: 'SpO2', rr: 'RR', temp_c: 'Temp', moaas: 'MOAA/S', pain: 'Pain', etco2: 'EtCO2', o2_lpm: 'O2' };

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
  for (const element of fresh.querySelectorAll('[data-panel]')) {
    const old = panel(element.dataset.panel);
    if (old && old.outerHTML !== element.outerHTML) old.replaceWith(document.importNode(element, true));
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
// an event the panels already show (this page's own saves refresh them at once) is skipped.
let refreshTimer = null;
function onEvent(event) {
  if (event.seq <= lastSeq) return;
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, 150);
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

function timeOrError(form, input, problems) {
  try {
    return parseTime(input.value, zone);
  } catch (error) {
    problems[input.name] = error.message;
    return null;
  }
}

function nowIso() { return new Date().toISOString(); }

function describeVitals(body) {
  const when = body.taken_at && body.taken_at.endsWith('Z') ? clinicClock(body.taken_at, zone) : (body.taken_at || '').slice(11, 16);
  const values = [];
  if (body.hr != null) values.push(`HR ${body.hr}`);
  if (body.sbp != null || body.dbp != null) values.push(`BP ${body.sbp ?? '–'}/${body.dbp ?? '–'}`);
  for (const name of ['spo2', 'rr', 'temp_c', 'moaas', 'pain', 'etco2', 'o2_lpm']) {
    if (body[name] != null) values.push(`${LABELS[name]} ${body[name]}`);
  }
  if (body.consciousness) values.push(body.consciousness);
  return `Chair ${chair} vitals ${when}: ${values.join(', ')}`;
}

// What every entry form does with the answer to a save.
async function settle(form, result, { saved, queuedText, confirm, aliases }) {
  if (result.ok) { saved(result.data); return; }
  if (result.queued) {
    saved(null);
    status(form, queuedText || 'Not saved yet: kept on this device and sent when the server answers.', 'warning');
    return;
  }
  if (result.error.code === 'needs_confirmation' && confirm) {
    showErrors(form, result.error.fields, aliases);
    const area = form.querySelector('.confirm-area');
    if (await askConfirmation(area, result.error.message)) await confirm();
    return;
  }
  showDialogErrorsOrStatus(form, result, aliases);
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
  body.taken_at = timeByHand ? timeOrError(form, timeInput, problems) : nowIso();
  for (const name of NUMBERS) {
    const input = form.elements.namedItem(name);
    if (!input) continue;
    const value = parseNumber(input.value);
    if (Number.isNaN(value)) problems[name] = `${LABELS[name]} must be a number`;
    else if (value !== null) body[name] = value;
  }
  const consciousness = form.elements.namedItem('consciousness');
  if (consciousness && consciousness.value) body.consciousness = consciousness.value;
  const note = form.elements.namedItem('note');
  if (note && note.value.trim()) body.note = note.value.trim();
  return body;
}

async function saveVitals(confirmed = false) {
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
  if (confirmed) body.confirm = true;
  const label = describeVitals(body);
  const result = await outbox.submit({ url: `${api}/vitals`, body, label, sessionId });
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
    confirm: () => saveVitals(true),
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
  body.observed_at = timeOrError(effectForm, f.namedItem('observed_at'), problems) || nowIso();
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
  const result = await outbox.submit({ url: `${api}/side-effects`, body, label, sessionId });
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

// ---- instruments ---------------------------------------------------------------------------

function scoreOf(form) {
  const items = [...form.querySelectorAll('[data-item]')];
  const given = items.filter((i) => i.value.trim() !== '').map((i) => parseNumber(i.value));
  const total = form.elements.namedItem('total');
  if (total && !given.length) {
    const value = parseNumber(total.value);
    return { total: Number.isNaN(value) ? null : value, missing: value === null ? 1 : 0, byItems: false };
  }
  const sum = given.reduce((a, b) => a + (Number.isNaN(b) ? 0 : b), 0);
  return { total: given.length ? sum : null, missing: items.length - given.length, byItems: true };
}

function showTotal(form) {
  const { total, missing } = scoreOf(form);
  const max = form.dataset.max;
  const minimum = form.dataset.dischargeMin;
  const total_ = form.elements.namedItem('total');
  if (total_ && form.querySelector('[data-item]') && [...form.querySelectorAll('[data-item]')].some((i) => i.value.trim())) {
    total_.value = total ?? '';
    total_.readOnly = true;
  } else if (total_) {
    total_.readOnly = false;
  }
  let text = `Total ${total ?? '–'} of ${max}`;
  if (missing && total !== null) text += ` so far (${missing} to score)`;
  if (minimum !== undefined && total !== null && !missing) {
    text += Number(total) >= Number(minimum)
      ? ` · meets discharge criteria (${minimum} or more)`
      : ` · does not meet discharge criteria (needs ${minimum})`;
  }
  form.querySelector('output').textContent = text;
}

// Aldrete circulation is suggested from the BP against the baseline; the nurse may change it.
function suggestCirculation(form) {
  const select = form.elements.namedItem('circulation');
  if (!select || select.value) return;
  const state = panel('state').dataset;
  if (!state.baselineSbp || !state.latestSbp) return;
  const difference = Math.abs(Number(state.latestSbp) - Number(state.baselineSbp));
  const bands = JSON.parse(root.dataset.circulationBands);
  const band = bands.find(([largest]) => difference <= largest);
  select.value = String(band ? band[1] : 0);
  showTotal(form);
}

async function saveInstrument(form) {
  clearErrors(form);
  const instrument = form.dataset.instrument;
  const problems = {};
  const items = {};
  const { byItems } = scoreOf(form);
  const inputs = byItems ? [...form.querySelectorAll('[data-item]')] : [form.elements.namedItem('total')];
  for (const input of inputs) {
    const value = parseNumber(input.value);
    if (value === null) problems[input.name] = 'Score this item';
    else if (Number.isNaN(value)) problems[input.name] = 'Must be a number';
    else items[input.name] = value;
  }
  const body = { instrument, items };
  body.at = timeOrError(form, form.elements.namedItem('at'), problems) || nowIso();
  if (Object.keys(problems).length) {
    showErrors(form, problems);
    status(form, 'Not saved: score every item.', 'error');
    return;
  }
  const title = form.closest('details').querySelector('summary').textContent;
  const result = await outbox.submit({ url: `${api}/assessments`, body, label: `Chair ${chair} ${title} score`, sessionId });
  await settle(form, result, {
    saved: (record) => {
      form.reset();
      showTotal(form);
      if (record) {
        const verdict = record.meets_discharge_criteria === null ? ''
          : record.meets_discharge_criteria ? ', meets discharge criteria' : ', does not meet discharge criteria';
        status(form, `Saved ${title} ${record.total}${verdict}.`, 'ok');
        refresh();
      }
    },
  });
}

for (const form of document.querySelectorAll('.instrument-form')) {
  form.addEventListener('input', () => showTotal(form));
  form.addEventListener('change', () => showTotal(form));
  form.addEventListener('submit', (event) => { event.preventDefault(); saveInstrument(form); });
  form.closest('details').addEventListener('toggle', () => suggestCirculation(form));
  suggestCirculation(form);
}

// ---- notes, medications, supervisor -------------------------------------------------------

const noteForm = document.getElementById('note-form');
const noteKind = noteForm.elements.namedItem('kind');
noteKind.addEventListener('change', () => {
  noteForm.querySelector('[data-medication]').hidden = noteKind.value !== 'medication';
});

async function saveNote(body, form, label, done) {
  const result = await outbox.submit({ url: `${api}/notes`, body, label, sessionId });
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
  body.at = timeOrError(noteForm, f.namedItem('at'), problems) || nowIso();
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

// ---- state changes -------------------------------------------------------------------------

const prompt = document.getElementById('transition-prompt');
const transitionAt = document.getElementById('transition-at');

function showPrompt(...children) {
  prompt.replaceChildren(...children);
  prompt.setAttribute('role', 'alert');
  prompt.hidden = false;
}

function hidePrompt() { prompt.hidden = true; prompt.replaceChildren(); }

function element(tag, props = {}, text = '') {
  const made = Object.assign(document.createElement(tag), props);
  if (text) made.textContent = text;
  return made;
}

function askReason(title, required) {
  const dialog = document.getElementById('reason-dialog');
  const form = document.getElementById('reason-form');
  clearErrors(form);
  form.reset();
  dialog.querySelector('#reason-title').textContent = `${title}: reason${required ? '' : ' (optional)'}`;
  form.querySelector('[data-reason-submit]').textContent = title;
  dialog.showModal();
  return new Promise((resolve) => {
    const finish = (value) => { form.onsubmit = null; dialog.onclose = null; if (dialog.open) dialog.close(); resolve(value); };
    form.onsubmit = (event) => {
      event.preventDefault();
      const reason = form.elements.namedItem('reason').value.trim();
      if (required && !reason) { showErrors(form, { reason: 'A reason is required' }); return; }
      finish(reason);
    };
    dialog.onclose = () => resolve(null);
  });
}

async function transition(to, label, reasonMode, extra = {}) {
  hidePrompt();
  const problems = {};
  clearErrors(transitionAt.closest('.transition-controls'));
  transitionAt.removeAttribute('aria-invalid');
  const at = (() => { try { return parseTime(transitionAt.value, zone); } catch (error) { problems.at = error.message; return null; } })();
  if (problems.at) {
    const line = document.getElementById('transition-at-error');
    line.textContent = problems.at; line.hidden = false;
    transitionAt.setAttribute('aria-invalid', 'true');
    transitionAt.focus();
    return;
  }
  let reason = extra.reason;
  if (reasonMode && reason === undefined) {
    reason = await askReason(label, reasonMode === 'required');
    if (reason === null) return;
  }
  const body = { to };
  if (at) body.at = at;
  if (reason) body.reason = reason;
  if (extra.confirm) body.confirm = true;
  if (extra.override) body.override = true;
  const result = await send('POST', `${api}/transitions`, body);
  if (result.ok) {
    transitionAt.value = '';
    await refresh();
    return;
  }
  const error = result.error;
  if (error.code === 'needs_confirmation') {
    const yes = element('button', { type: 'button', className: 'primary' }, `Confirm and ${label.toLowerCase()}`);
    const no = element('button', { type: 'button' }, 'Cancel');
    yes.addEventListener('click', () => transition(to, label, null, { ...extra, reason, confirm: true }));
    no.addEventListener('click', hidePrompt);
    showPrompt(element('p', {}, error.message), yes, no);
    yes.focus();
  } else if (result.status === 409 && error.fields && error.fields.to === 'early discharge') {
    earlyDischarge(error, label, at);
  } else if (result.offline) {
    showPrompt(element('p', {}, `${label} not saved: the server cannot be reached. Press ${label} again when it answers.`));
  } else if (error.fields && error.fields.at) {
    const line = document.getElementById('transition-at-error');
    line.textContent = error.fields.at; line.hidden = false;
    transitionAt.setAttribute('aria-invalid', 'true');
    showPrompt(element('p', {}, error.message));
  } else {
    showPrompt(element('p', {}, error.message));
  }
}

// Esketamine before the observation time: refused; a clinician may override with a reason.
function earlyDischarge(error, label) {
  const message = element('p', {}, `Discharge refused: ${error.message}.`);
  if (role !== 'clinician') {
    showPrompt(message, element('p', {}, 'Ask a clinician: only a clinician may override with a reason.'));
    return;
  }
  const field = element('div', { className: 'field field-wide' });
  const labelEl = element('label', { htmlFor: 'override-reason' }, 'Reason for discharging early');
  const reason = element('textarea', { id: 'override-reason', rows: 2 });
  reason.setAttribute('aria-describedby', 'override-reason-error');
  const line = element('p', { className: 'field-error', id: 'override-reason-error', hidden: true });
  field.append(labelEl, reason, line);
  const go = element('button', { type: 'button', className: 'danger' }, 'Override and discharge');
  const no = element('button', { type: 'button' }, 'Cancel');
  go.addEventListener('click', () => {
    if (!reason.value.trim()) {
      line.textContent = 'A reason is required to override'; line.hidden = false;
      reason.setAttribute('aria-invalid', 'true');
      reason.focus();
      return;
    }
    transition('discharged', label, null, { override: true, reason: reason.value.trim() });
  });
  no.addEventListener('click', hidePrompt);
  showPrompt(message, field, go, no);
  reason.focus();
}

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
    body.taken_at = timeOrError(form, form.elements.namedItem('taken_at'), problems);
  }
  for (const name of NUMBERS) {
    const input = form.elements.namedItem(name);
    if (!input) continue;
    const value = parseNumber(input.value);
    if (Number.isNaN(value)) problems[name] = `${LABELS[name]} must be a number`;
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
    const result = await send('POST', `/api/alerts/${target.dataset.alert}/${target.dataset.alertAction}`, {});
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

mountOutbox(document.getElementById('outbox'), outbox);
outbox.onChange((change) => { if (change.type === 'sent' && change.entry.sessionId === sessionId) refresh(); });
applyState();
connectLive({ scope: { session_id: Number(sessionId) }, since: lastSeq, onEvent, onStatus, onReload: refresh });
