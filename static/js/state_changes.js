// The state buttons of the bedside page: the time of a late change, the reason where one is asked,
// the confirmation a high baseline needs, and the esketamine early discharge a clinician may override.
import { send, clearErrors, showErrors, timeOrError, element } from './forms.js';

let page = null; // { api, zone, role, refresh }, from mountStateChanges
const prompt = document.getElementById('transition-prompt');
const transitionAt = document.getElementById('transition-at');

export function showPrompt(...children) {
  prompt.replaceChildren(...children);
  prompt.setAttribute('role', 'alert');
  prompt.hidden = false;
}

function hidePrompt() { prompt.hidden = true; prompt.replaceChildren(); }

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

function showAtError(message) {
  const line = document.getElementById('transition-at-error');
  line.textContent = message; line.hidden = false;
  transitionAt.setAttribute('aria-invalid', 'true');
}

export async function transition(to, label, reasonMode, extra = {}) {
  hidePrompt();
  const problems = {};
  clearErrors(transitionAt.closest('.transition-controls'));
  const at = timeOrError(transitionAt, page.zone, problems);
  if (problems[transitionAt.name]) {
    showAtError(problems[transitionAt.name]);
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
  const result = await send('POST', `${page.api}/transitions`, body);
  if (result.ok) {
    transitionAt.value = '';
    await page.refresh();
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
    earlyDischarge(error, label);
  } else if (result.offline) {
    showPrompt(element('p', {}, `${label} not saved: the server cannot be reached. Press ${label} again when it answers.`));
  } else if (error.fields && error.fields.at) {
    showAtError(error.fields.at);
    showPrompt(element('p', {}, error.message));
  } else {
    showPrompt(element('p', {}, error.message));
  }
}

// Esketamine before the observation time: refused; a clinician may override with a reason.
function earlyDischarge(error, label) {
  const message = element('p', {}, `Discharge refused: ${error.message}.`);
  if (page.role !== 'clinician') {
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

export function mountStateChanges(context) {
  page = context;
}
