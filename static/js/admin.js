// Administration through the API: add, disable and enable users; change the alert thresholds.
import { send, status, clearErrors, showErrors, parseNumber, showDialogErrorsOrStatus } from './forms.js';
import WORDS from './vocabulary.js';

const userForm = document.getElementById('user-form');
if (userForm) {
  userForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(userForm);
    const body = {
      username: userForm.elements.namedItem('username').value.trim(),
      role: userForm.elements.namedItem('role').value,
      password: userForm.elements.namedItem('password').value,
    };
    const problems = {};
    if (!body.username) problems.username = 'Required';
    if (body.password.length < WORDS.password_min) problems.password = `At least ${WORDS.password_min} characters`;
    if (Object.keys(problems).length) { showErrors(userForm, problems); return; }
    const result = await send('POST', '/api/users', body);
    if (result.ok) { window.location.reload(); return; }
    showDialogErrorsOrStatus(userForm, result);
  });
}

document.addEventListener('click', async (event) => {
  const button = event.target.closest('[data-user]');
  if (!button) return;
  const result = await send('POST', `/api/users/${button.dataset.user}`, { disabled: button.dataset.disable === 'true' });
  if (result.ok) { window.location.reload(); return; }
  document.getElementById('users-status').textContent = result.error.message;
});

const rulesForm = document.getElementById('rules-form');
rulesForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  clearErrors(rulesForm);
  const rules = JSON.parse(rulesForm.dataset.rules);
  const problems = {};
  for (const input of rulesForm.querySelectorAll('[data-setting]')) {
    const value = parseNumber(input.value);
    if (value === null || Number.isNaN(value)) { problems[input.name] = 'Must be a number'; continue; }
    const path = input.name.split('.');
    const parent = path.slice(0, -1).reduce((node, key) => node[key], rules);
    parent[path[path.length - 1]] = value;
  }
  const reason = rulesForm.elements.namedItem('reason').value.trim();
  if (!reason) problems.reason = 'Say why the thresholds change';
  if (Object.keys(problems).length) { showErrors(rulesForm, problems); status(rulesForm, 'Not saved: check the marked fields.', 'error'); return; }
  const result = await send('PUT', '/api/alert-rules', { rules, reason });
  if (result.ok) { window.location.reload(); return; }
  const fields = Object.fromEntries(Object.entries(result.error.fields || {}).map(([k, v]) => [k.replace(/^rules\./, ''), v]));
  showDialogErrorsOrStatus(rulesForm, { ...result, error: { ...result.error, fields } });
});
