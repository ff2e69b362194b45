// Shared by the page scripts: JSON requests with the CSRF token, field errors, the inline
// confirmation prompt for unusual values, and clinic-clock times typed by hand.

export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : '';
}

// Send JSON; never throws. `offline` is true when the server could not be reached or is down.
export async function send(method, url, body, { idempotencyKey } = {}) {
  const headers = { Accept: 'application/json', 'X-CSRFToken': csrfToken() };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  let response;
  try {
    response = await fetch(url, {
      method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    return { ok: false, status: 0, offline: true, error: { code: 'offline', message: 'The server cannot be reached.', fields: {} } };
  }
  let data = null;
  try { data = await response.json(); } catch (error) { data = null; }
  if (response.ok) return { ok: true, status: response.status, data };
  const down = response.status >= 500;
  const error = (data && data.error) || {
    code: down ? 'offline' : `http_${response.status}`,
    message: down ? `The server is not answering (${response.status}).` : `The server answered ${response.status}.`,
    fields: {},
  };
  return { ok: false, status: response.status, offline: down, error };
}

// A random key for Idempotency-Key; crypto.getRandomValues works outside secure contexts too.
export function newKey() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function errorElement(input) {
  const ids = (input.getAttribute('aria-describedby') || '').split(/\s+/);
  const id = ids.find((candidate) => candidate.endsWith('-error'));
  return id ? document.getElementById(id) : null;
}

export function status(form, message, kind = '') {
  const line = form.querySelector('.form-status');
  if (!line) return;
  line.textContent = message;
  line.className = `form-status ${kind}`.trim();
}

export function clearErrors(form) {
  for (const input of form.querySelectorAll('[aria-invalid="true"]')) input.removeAttribute('aria-invalid');
  for (const line of form.querySelectorAll('.field-error')) { line.textContent = ''; line.hidden = true; }
  const area = form.querySelector('.confirm-area');
  if (area) { area.hidden = true; area.replaceChildren(); }
  status(form, '');
}

// The input a server field name points at: "hr", "items.activity", "0.hr", "medication.name"…
function inputFor(form, field, aliases) {
  const candidates = [aliases[field], field, field.replace(/^\d+\./, ''), field.split('.').pop(), field.replace('.', '_')];
  for (const name of candidates) {
    if (!name) continue;
    const element = form.elements.namedItem(name);
    if (element) return element instanceof RadioNodeList ? element[0] : element;
  }
  return null;
}

// Show each field's message beside its input (the typed value stays); return messages with no field.
export function showErrors(form, fields, aliases = {}) {
  const unplaced = [];
  let first = null;
  for (const [field, message] of Object.entries(fields || {})) {
    const input = inputFor(form, field, aliases);
    const line = input && errorElement(input);
    if (!input || !line) { unplaced.push(message); continue; }
    input.setAttribute('aria-invalid', 'true');
    line.textContent = message;
    line.hidden = false;
    if (!first) first = input;
  }
  if (first) {
    const details = first.closest('details');
    if (details) details.open = true;
    first.focus();
  }
  return unplaced;
}

// The inline prompt for a possible but unusual value: resolves true when the user confirms.
export function askConfirmation(area, message, confirmLabel = 'Confirm and save') {
  return new Promise((resolve) => {
    const text = document.createElement('p');
    text.textContent = message;
    const yes = document.createElement('button');
    yes.type = 'button';
    yes.className = 'primary';
    yes.textContent = confirmLabel;
    const no = document.createElement('button');
    no.type = 'button';
    no.textContent = 'Change values';
    const finish = (answer) => { area.hidden = true; area.replaceChildren(); resolve(answer); };
    yes.addEventListener('click', () => finish(true));
    no.addEventListener('click', () => finish(false));
    area.replaceChildren(text, yes, no);
    area.setAttribute('role', 'alert');
    area.hidden = false;
    yes.focus();
  });
}

// Times on the clinic's clock ("YYYY-MM-DD HH:MM"), whatever the device's own zone is.
function parts(date, zone) {
  const format = new Intl.DateTimeFormat('en-GB', {
    timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  });
  return Object.fromEntries(format.formatToParts(date).map((p) => [p.type, p.value]));
}

export function clinicDateTime(date, zone) {
  const p = parts(date, zone);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

export function clinicClock(iso, zone) {
  const p = parts(new Date(iso), zone);
  return `${p.hour}:${p.minute}`;
}

// A typed clinic time as ISO without an offset (the server reads it in the clinic's zone); null when blank.
export function parseTime(text, zone) {
  const value = (text || '').trim();
  if (!value) return null;
  const today = clinicDateTime(new Date(), zone).slice(0, 10);
  let match = value.match(/^(\d{1,2})[:.](\d{2})$/);
  if (match) return `${today}T${match[1].padStart(2, '0')}:${match[2]}:00`;
  match = value.match(/^(\d{4}-\d{2}-\d{2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$/);
  if (match) return `${match[1]}T${match[2].padStart(2, '0')}:${match[3]}:${match[4] || '00'}`;
  throw new Error('Use HH:MM or YYYY-MM-DD HH:MM (clinic time)');
}

// A typed number; null when blank, NaN when it is not a number.
export function parseNumber(text) {
  const value = (text || '').trim().replace(',', '.');
  if (!value) return null;
  return /^[-+]?\d*\.?\d+$/.test(value) ? Number(value) : NaN;
}

export function showDialogErrorsOrStatus(form, result, aliases) {
  const unplaced = showErrors(form, result.error.fields, aliases);
  status(form, unplaced.length ? unplaced.join(' ') : result.error.message, 'error');
}

// A typed time for a form field, or null; a wrong format becomes that field's problem.
export function timeOrError(input, zone, problems) {
  try {
    return parseTime(input.value, zone);
  } catch (error) {
    problems[input.name] = error.message;
    return null;
  }
}

export function nowIso() { return new Date().toISOString(); }

export function element(tag, props = {}, text = '') {
  const made = Object.assign(document.createElement(tag), props);
  if (text) made.textContent = text;
  return made;
}

// What every entry form does with the answer to a save: saved, kept for later, asked to confirm, refused.
export async function settle(form, result, { saved, queuedText, confirm, aliases }) {
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
