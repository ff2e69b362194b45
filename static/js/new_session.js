// Check-in: find or add the patient, plan the dose, the checklist, baseline vitals; then create
// the session through the API step by step. A step that fails keeps every value on screen and
// the next press of "Create session" continues from that step (nothing is created twice).
import WORDS, { shortLabel } from './vocabulary.js';
import { send, newKey, status, clearErrors, showErrors, showDialogErrorsOrStatus, askConfirmation, timeOrError, parseNumber } from './forms.js';

const form = document.getElementById('new-session');
const zone = document.body.dataset.timezone;
const field = (name) => form.elements.namedItem(name);
const VITALS = WORDS.baseline_fields;
const done = { patientId: null, sessionId: null, baseline: false, vitalsKey: newKey() };
let doseTypedAs = 'per_kg';

// ---- the patient -----------------------------------------------------------------------------

let searchTimer = null;
field('q').addEventListener('input', () => { clearTimeout(searchTimer); searchTimer = setTimeout(search, 200); });

async function search() {
  const query = field('q').value.trim();
  const list = document.getElementById('patient-results');
  if (query.length < 2) { list.replaceChildren(); return; }
  const result = await send('GET', `/api/patients?q=${encodeURIComponent(query)}&limit=8`);
  if (!result.ok) return;
  const found = result.data.items.map((patient) => {
    const item = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = `Choose ${patient.family_name}, ${patient.given_name} · ${patient.mrn} · born ${patient.birth_date}`;
    button.addEventListener('click', () => choose(patient));
    item.append(button);
    return item;
  });
  if (!found.length) {
    const none = document.createElement('li');
    none.textContent = 'No patient found: add them as a new patient below.';
    found.push(none);
  }
  list.replaceChildren(...found);
}

async function choose(patient) {
  field('patient_id').value = patient.id;
  const chosen = document.getElementById('patient-chosen');
  const change = document.createElement('button');
  change.type = 'button';
  change.textContent = 'Change patient';
  change.addEventListener('click', () => {
    field('patient_id').value = '';
    chosen.hidden = true;
    document.getElementById('new-patient').hidden = false;
    field('q').focus();
  });
  chosen.replaceChildren(`Patient: ${patient.family_name}, ${patient.given_name} · ${patient.mrn} · born ${patient.birth_date} `, change);
  chosen.hidden = false;
  document.getElementById('new-patient').hidden = true;
  document.getElementById('patient-results').replaceChildren();
  if (patient.weight_kg && !field('weight_kg').value) { field('weight_kg').value = patient.weight_kg; linkDose(); }
  const series = await send('GET', `/api/patients/${patient.id}`);
  if (series.ok && !field('series_number').value) field('series_number').value = series.data.sessions.length + 1;
  field('chair').focus();
}

// ---- dose: mg/kg ⇄ mg, and the rate over the planned minutes ---------------------------------

function round(value, places) { const scale = 10 ** places; return Math.round(value * scale) / scale; }

function linkDose() {
  const weight = parseNumber(field('weight_kg').value);
  const perKg = parseNumber(field('dose_mg_per_kg').value);
  const mg = parseNumber(field('dose_mg').value);
  if (weight > 0 && doseTypedAs === 'per_kg' && perKg > 0) field('dose_mg').value = round(perKg * weight, 1);
  if (weight > 0 && doseTypedAs === 'mg' && mg > 0) field('dose_mg_per_kg').value = round(mg / weight, 2);
  showRate();
}

function showRate() {
  const output = document.getElementById('rate');
  const mg = parseNumber(field('dose_mg').value);
  const minutes = parseNumber(field('planned_minutes').value);
  if (field('route').value === 'intranasal') {
    output.textContent = mg > 0 ? `Nasal spray: ${mg} mg, ${round(mg / 28, 1)} devices of 28 mg` : 'Nasal spray: enter the dose';
  } else if (mg > 0 && minutes > 0) {
    output.textContent = `Rate: ${round((mg / minutes) * 60, 1)} mg/h (${round(mg / minutes, 2)} mg/min) over ${minutes} minutes`;
  } else {
    output.textContent = 'Rate: enter the dose and minutes';
  }
}

field('dose_mg_per_kg').addEventListener('input', () => { doseTypedAs = 'per_kg'; linkDose(); });
field('dose_mg').addEventListener('input', () => { doseTypedAs = 'mg'; linkDose(); });
field('weight_kg').addEventListener('input', linkDose);
field('planned_minutes').addEventListener('input', showRate);
field('route').addEventListener('change', showRate);
field('drug').addEventListener('change', () => {
  const esketamine = field('drug').value === 'esketamine';
  for (const element of form.querySelectorAll('[data-esketamine]')) element.hidden = !esketamine;
  field('route').value = esketamine ? 'intranasal' : 'iv';
  if (esketamine) { field('planned_minutes').value = ''; field('dose_mg_per_kg').value = ''; } else if (!field('planned_minutes').value) field('planned_minutes').value = WORDS.settings.planned_minutes;
  showRate();
});

// ---- baseline above the limits: shown now, and the start will need confirming ----------------

function checkBaseline() {
  const sbp = parseNumber(field('sbp').value);
  const dbp = parseNumber(field('dbp').value);
  const high = (sbp > Number(form.dataset.baselineSbp)) || (dbp > Number(form.dataset.baselineDbp));
  document.getElementById('baseline-warning').textContent = high
    ? `${WORDS.states.baseline} ${shortLabel('bp')} ${sbp ?? '–'}/${dbp ?? '–'} is above ${form.dataset.baselineSbp}/${form.dataset.baselineDbp}: starting the infusion will need confirming.`
    : '';
}
field('sbp').addEventListener('input', checkBaseline);
field('dbp').addEventListener('input', checkBaseline);

// ---- create ------------------------------------------------------------------------------------

function optionalNumber(name, problems) {
  const value = parseNumber(field(name).value);
  if (Number.isNaN(value)) problems[name] = 'Must be a number';
  return Number.isNaN(value) ? null : value;
}

function collect(problems) {
  const text = (name) => field(name).value.trim();
  const patient = { mrn: text('mrn'), family_name: text('family_name'), given_name: text('given_name'), birth_date: text('birth_date') };
  const chosen = Number(field('patient_id').value) || null;
  if (!chosen && !done.patientId) {
    for (const [name, value] of Object.entries(patient)) if (!value) problems[name] = 'Required for a new patient';
  }
  if (text('sex')) patient.sex = text('sex');
  const weight = optionalNumber('weight_kg', problems);
  if (weight !== null) patient.weight_kg = weight;
  const session = { chair: text('chair'), drug: field('drug').value, route: field('route').value };
  if (!session.chair) problems.chair = 'Which chair?';
  for (const name of ['dose_mg', 'dose_mg_per_kg', 'planned_minutes', 'series_number']) {
    const value = optionalNumber(name, problems);
    if (value !== null) session[name] = value;
  }
  if (text('indication')) session.indication = text('indication');
  if (session.drug === 'esketamine' && text('lot_number')) session.lot_number = text('lot_number');
  session.checklist = {
    medication_flags: [...form.querySelectorAll('[name=medication_flags]:checked')].map((box) => box.value),
    escort_confirmed: field('escort_confirmed').checked,
    consent: field('consent').checked,
    weight_kg: weight,
  };
  const vitals = {};
  for (const name of VITALS) {
    const value = optionalNumber(name, problems);
    if (value !== null) vitals[name] = value;
  }
  vitals.taken_at = timeOrError(field('taken_at'), zone, problems);
  return { chosen, patient, session, vitals };
}

function refused(result) {
  if (result.offline) {
    status(form, 'Not saved: the server cannot be reached. Everything you typed is still here; press Create session again when it answers.', 'error');
    return;
  }
  showDialogErrorsOrStatus(form, result, { 'checklist.weight_kg': 'weight_kg', 'checklist': 'medication_flags' });
}

function lockStep(step) {
  for (const fieldset of form.querySelectorAll(`fieldset[data-step="${step}"]`)) fieldset.disabled = true;
}

// `confirmed`: what the nurse has confirmed so far ({ dose, vitals }): an unusual weight or dose, unusual vitals.
async function create(confirmed = {}) {
  clearErrors(form);
  const problems = {};
  const { chosen, patient, session, vitals } = collect(problems);
  if (Object.keys(problems).length) {
    showErrors(form, problems);
    status(form, 'Not created: check the marked fields.', 'error');
    return;
  }
  if (!done.patientId) {
    if (chosen) done.patientId = chosen;
    else {
      const result = await send('POST', '/api/patients', patient);
      if (!result.ok) { refused(result); return; }
      done.patientId = result.data.id;
    }
    lockStep('patient');
  }
  if (!done.sessionId) {
    const result = await send('POST', '/api/sessions', { ...session, patient_id: done.patientId, ...(confirmed.dose ? { confirm: true } : {}) });
    if (!result.ok) {
      if (result.error.code === 'needs_confirmation') {
        showErrors(form, result.error.fields, { 'checklist.weight_kg': 'weight_kg' });
        if (await askConfirmation(form.querySelector('.confirm-area'), result.error.message)) await create({ ...confirmed, dose: true });
        return;
      }
      refused(result);
      return;
    }
    done.sessionId = result.data.id;
    lockStep('session');
  }
  const measured = VITALS.some((name) => vitals[name] !== undefined);
  if (measured) {
    if (!done.baseline) {
      const result = await send('POST', `/api/sessions/${done.sessionId}/transitions`, vitals.taken_at ? { to: 'baseline', at: vitals.taken_at } : { to: 'baseline' });
      if (!result.ok) { refused(result); status(form, `Session created; not moved to baseline: ${result.error.message}`, 'error'); return; }
      done.baseline = true;
    }
    const body = { ...vitals };
    if (!body.taken_at) delete body.taken_at;
    if (confirmed.vitals) body.confirm = true;
    const result = await send('POST', `/api/sessions/${done.sessionId}/vitals`, body, { idempotencyKey: done.vitalsKey });
    if (!result.ok) {
      if (result.error.code === 'needs_confirmation') {
        showErrors(form, result.error.fields);
        if (await askConfirmation(form.querySelector('.confirm-area'), result.error.message)) await create({ ...confirmed, vitals: true });
        return;
      }
      refused(result);
      status(form, `Session created; baseline vitals not saved yet: ${result.error.message}`, 'error');
      return;
    }
  }
  window.location.assign(`/sessions/${done.sessionId}`);
}

form.addEventListener('submit', (event) => { event.preventDefault(); create(); });
showRate();
