// The tablet self-report mode: one question at a time, an answer per tap, then the whole set is sent as
// the patient's self-report (the nurse's login enters it); the nurse's password ends the mode.
import { send, status } from './forms.js';

const root = document.getElementById('self-report');
const form = document.getElementById('answers');
const handBack = document.getElementById('hand-back');
const steps = [...form.querySelectorAll('.tablet-item')];
const done = form.querySelector('.tablet-done');
const answers = {};
let current = 0;

function show(index) {
  current = index;
  steps.forEach((step, n) => { step.hidden = n !== index; });
  done.hidden = index !== steps.length;
  if (index === steps.length) review();
  const shown = index === steps.length ? done : steps[index];
  (shown.querySelector('[aria-pressed="true"]') || shown.querySelector('button')).focus();
}

function review() {
  const list = done.querySelector('.review');
  list.replaceChildren(...steps.map((step) => {
    const item = document.createElement('li');
    const chosen = step.querySelector(`[data-value="${answers[step.dataset.item]}"]`);
    item.textContent = `${step.querySelector('legend').lastChild.textContent.trim()}: ${chosen.textContent.trim()}`;
    return item;
  }));
}

for (const step of steps) {
  for (const choice of step.querySelectorAll('.choice')) {
    choice.addEventListener('click', () => {
      answers[step.dataset.item] = Number(choice.dataset.value);
      step.querySelectorAll('.choice').forEach((c) => c.setAttribute('aria-pressed', String(c === choice)));
      show(current + 1);
    });
  }
}
for (const back of form.querySelectorAll('.back')) back.addEventListener('click', () => show(current - 1));

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const body = { instrument: root.dataset.instrument, items: answers, answered_by: 'patient' };
  const result = await send('POST', `/api/sessions/${root.dataset.sessionId}/assessments`, body);
  if (!result.ok) { status(root, `Not sent: ${result.error.message} Please ask your nurse.`, 'error'); return; }
  form.hidden = true;
  handBack.hidden = false;
  handBack.elements.password.focus();
});

handBack.addEventListener('submit', async (event) => {
  event.preventDefault();
  const result = await send('POST', '/self-report/leave', { password: handBack.elements.password.value });
  if (result.ok) { window.location.assign(result.data.next); return; }
  handBack.elements.password.value = '';
  status(handBack, result.error.message, 'error');
});
